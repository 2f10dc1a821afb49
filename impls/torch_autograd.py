"""A real engine as an oracle: gradients from PyTorch autograd, in float64.

The loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 is written once as a PyTorch
expression (``torch.sigmoid`` at hidden layers, sigmoid or identity at the
output) and differentiated with ``torch.autograd.grad``; nothing about
backpropagation is written by hand.  Conventions are the reference's: samples
as columns, W^l (n_l, n_{l-1}), b^l (n_l,), mean over the batch.  Both output
activations are declared; the suite passes the one drawn as ``output=``.

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


def _tensors(params):
    """Fresh float64 leaf tensors (copies: the caller's arrays are never touched)."""
    Ws = [torch.tensor(np.asarray(W, dtype=np.float64), requires_grad=True) for W, _ in params]
    bs = [torch.tensor(np.asarray(b, dtype=np.float64), requires_grad=True) for _, b in params]
    return Ws, bs


def _output(Ws, bs, X, output):
    """a^L as a tensor: z^l = W^l a^{l-1} + b^l, a^l = sigmoid(z^l) (identity at L if asked)."""
    a = torch.tensor(np.asarray(X, dtype=np.float64))
    L = len(Ws)
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = W @ a + b[:, None]
        a = z if (l == L and output == "identity") else torch.sigmoid(z)
    return a


def _loss(Ws, bs, X, Y, output):
    """C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 as a 0-d tensor."""
    a = _output(Ws, bs, X, output)
    return 0.5 * torch.sum((a - torch.tensor(np.asarray(Y, dtype=np.float64))) ** 2) / a.shape[1]


def gradient(params, X, Y, *, output="sigmoid"):
    """[(dC/dW^l, dC/db^l)] by torch.autograd.grad of C."""
    Ws, bs = _tensors(params)
    grads = torch.autograd.grad(_loss(Ws, bs, X, Y, output), Ws + bs)
    L = len(Ws)
    return [(grads[l].numpy(), grads[L + l].numpy()) for l in range(L)]


def loss(params, X, Y, *, output="sigmoid"):
    """C as a float."""
    with torch.no_grad():
        Ws, bs = _tensors(params)
        return float(_loss(Ws, bs, X, Y, output))


def forward(params, X, *, output="sigmoid"):
    """a^L, (n_L, N)."""
    with torch.no_grad():
        Ws, bs = _tensors(params)
        return _output(Ws, bs, X, output).numpy()


IMPLEMENTATIONS = [] if torch is None else [
    implementation("torch.autograd", gradient=gradient, loss=loss, forward=forward,
                   outputs=("sigmoid", "identity"),  # any size: no limit declared
                   description=f"PyTorch {torch.__version__} autograd, float64")]
