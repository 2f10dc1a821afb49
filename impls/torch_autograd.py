"""A real engine as an oracle: gradients from PyTorch autograd, in float64.

The loss is written once as a PyTorch expression and differentiated with
``torch.autograd.grad``; nothing about backpropagation is written by hand.
Conventions are the reference's: samples as columns, W^l (n_l, n_{l-1}), b^l (n_l,).

    torch.autograd                  C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2; every hidden activation
                                    (torch.sigmoid, tanh, relu, leaky_relu, identity) and a sigmoid,
                                    identity or softmax output, passed as hidden= and output=
    torch.autograd.binary_cross_entropy
                                    sigmoid outputs with torch's binary_cross_entropy_with_logits
                                    (summed over the outputs, mean over the batch) + 0.125/2 ||W||^2
    torch.autograd.cross_entropy    softmax with the cross-entropy from log_softmax, summed over the
                                    batch, layers without biases

When torch is not installed the module still imports: ``IMPLEMENTATIONS`` is
empty and ``UNAVAILABLE`` says why and how to install it, so the suite reports
the module as skipped with that note.
"""
import numpy as np

from conformance import implementation

try:
    import torch
except ImportError:            # optional oracle
    torch = None

UNAVAILABLE = None if torch is not None else (
    "torch is not installed: pip install torch==2.13.0 (the CPU build; plain `torch` pulls CUDA)")

HIDDENS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
SLOPE = 0.01


def _tensors(params, biases=True):
    """Fresh float64 leaf tensors (copies: the caller's arrays are never touched); no b's without biases."""
    Ws = [torch.tensor(np.asarray(p[0] if biases else p, dtype=np.float64), requires_grad=True) for p in params]
    bs = [torch.tensor(np.asarray(b, dtype=np.float64), requires_grad=True) for _, b in params] if biases else []
    return Ws, bs


def _hidden(z, hidden):
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, SLOPE), "identity": lambda t: t}[hidden](z)


def _logits(Ws, bs, X, hidden):
    """z^L: z^l = W^l a^{l-1} (+ b^l), a^l = f(z^l) for l < L."""
    a = torch.tensor(np.asarray(X, dtype=np.float64))
    for l, W in enumerate(Ws, start=1):
        z = W @ a + (bs[l - 1][:, None] if bs else 0.0)
        a = z if l == len(Ws) else _hidden(z, hidden)
    return z


def _output(z, output):
    return {"sigmoid": torch.sigmoid, "identity": lambda t: t, "softmax": lambda t: torch.softmax(t, dim=0)}[output](z)


def _loss(Ws, bs, X, Y, *, hidden, output, kind):
    """The implementation's loss as a 0-d tensor (its own reduction and L2 term)."""
    z = _logits(Ws, bs, X, hidden)
    Y = torch.tensor(np.asarray(Y, dtype=np.float64))
    N = z.shape[1]
    if kind == "bce":
        data = torch.nn.functional.binary_cross_entropy_with_logits(z, Y, reduction="sum") / N
        return data + 0.125 / 2 * sum(torch.sum(W ** 2) for W in Ws)
    if kind == "cce":
        return -torch.sum(Y * torch.log_softmax(z, dim=0))
    return 0.5 * torch.sum((_output(z, output) - Y) ** 2) / N


def _engine(kind, output=None, biases=True):
    """(gradient, loss, forward) of one declared loss."""
    def gradient(params, X, Y, *, hidden="sigmoid", output=output):
        Ws, bs = _tensors(params, biases)
        grads = torch.autograd.grad(_loss(Ws, bs, X, Y, hidden=hidden, output=output, kind=kind), Ws + bs)
        L = len(Ws)
        if not biases:
            return [g.numpy() for g in grads]
        return [(grads[l].numpy(), grads[L + l].numpy()) for l in range(L)]

    def loss(params, X, Y, *, hidden="sigmoid", output=output):
        with torch.no_grad():
            Ws, bs = _tensors(params, biases)
            return float(_loss(Ws, bs, X, Y, hidden=hidden, output=output, kind=kind))

    def forward(params, X, *, hidden="sigmoid", output=output):
        with torch.no_grad():
            Ws, bs = _tensors(params, biases)
            return _output(_logits(Ws, bs, X, hidden), output).numpy()
    return gradient, loss, forward


def _declare(name, kind, words, *, output=None, biases=True, **declared):
    gradient, loss, forward = _engine(kind, output, biases)
    return implementation(name, gradient=gradient, loss=loss, forward=forward, hiddens=HIDDENS, slope=SLOPE,
                          # any size: no limit declared (the size ladder tries them)
                          description=f"PyTorch {torch.__version__} autograd, float64: {words}", **declared)


IMPLEMENTATIONS = [] if torch is None else [
    _declare("torch.autograd", "sse", "squared error", outputs=("sigmoid", "identity", "softmax")),
    _declare("torch.autograd.binary_cross_entropy", "bce", "binary cross-entropy from the logits, L2 0.125",
             output="sigmoid", outputs=("sigmoid",), loss_kind="binary_cross_entropy", l2=0.125),
    _declare("torch.autograd.cross_entropy", "cce", "cross-entropy from log_softmax, summed, no biases",
             output="softmax", outputs=("softmax",), biases=False, loss_kind="categorical_cross_entropy",
             reduction="sum", bias="none"),
]
