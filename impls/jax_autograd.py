"""A real engine as an oracle: gradients from ``jax.grad``, in float64 (x64 enabled).

The loss is written once in ``jax.numpy`` and differentiated by ``jax.grad``; nothing about
backpropagation is written by hand.  Conventions are the reference's: samples as columns,
W^l (n_l, n_{l-1}), b^l (n_l,), mean over the batch.

    jax.grad                        C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2; every hidden activation
                                    (jax.nn.sigmoid, tanh, relu, leaky_relu, identity) and a sigmoid,
                                    identity or softmax output, passed as hidden= and output=
    jax.grad.cross_entropy_l2       softmax with the cross-entropy (jax.nn.log_softmax), relu, leaky_relu
                                    or tanh, + 0.03125/2 (||W||^2 + ||b||^2)
    jax.grad.binary_cross_entropy_no_bias
                                    sigmoid outputs with the binary cross-entropy from the logits
                                    (jax.nn.softplus), layers without biases

The functions are ``jax.jit``-compiled.  So that Hypothesis' ever-changing
shapes do not each cost a compilation (~0.1 s), every width is zero-padded to
one bucket size (8, or the next power of two) and the batch likewise, with a
0/1 mask on the loss: padded hidden units have zero outgoing weights, padded
samples and outputs are masked out (a softmax's padded logits are -inf, so they
take no share of it), so the loss, and its gradient with respect to every real
parameter, are exactly those of the unpadded network; the padded entries of the
gradient are dropped.

Importing this module turns on ``jax_enable_x64`` for the process (JAX computes
in float32 otherwise) and, unless already set, ``JAX_PLATFORMS=cpu``.  When jax
is not installed the module still imports: ``IMPLEMENTATIONS`` is empty and
``UNAVAILABLE`` says why, so the suite reports it as skipped with that note.
"""
import os

import numpy as np

from conformance import implementation

os.environ.setdefault("JAX_PLATFORMS", "cpu")
try:
    import jax
    import jax.numpy as jnp
except ImportError:            # optional oracle
    jax = None
else:
    jax.config.update("jax_enable_x64", True)

UNAVAILABLE = None if jax is not None else "jax is not installed: pip install jax jaxlib"


HIDDENS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
SLOPE = 0.01


def _hidden(z, hidden):
    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
            "leaky_relu": lambda t: jax.nn.leaky_relu(t, SLOPE), "identity": lambda t: t}[hidden](z)


def _logits(params, X, out_rows, hidden, bias):
    """z^L: z^l = W^l a^{l-1} (+ b^l), a^l = f(z^l) for l < L; a softmax's padded output rows are -inf."""
    a = X
    L = len(params)
    for l, (W, b) in enumerate(params, start=1):
        z = W @ a + (b[:, None] if bias else 0.0)
        a = z if l == L else _hidden(z, hidden)
    return z


def _output(z, out_rows, output):
    if output == "softmax":
        return jax.nn.softmax(jnp.where(out_rows > 0, z, -jnp.inf), axis=0)
    return z if output == "identity" else jax.nn.sigmoid(z)


def _loss(params, X, Y, mask, out_rows, N, *, hidden, output, kind, bias, l2, l2_bias):
    """The implementation's loss over the real (mask 1) entries, plus its L2 term (padding adds 0)."""
    z = _logits(params, X, out_rows, hidden, bias)
    if kind == "bce":
        data = jnp.sum(mask * (Y * jax.nn.softplus(-z) + (1 - Y) * jax.nn.softplus(z))) / N
    elif kind == "cce":
        logp = jax.nn.log_softmax(jnp.where(out_rows > 0, z, -jnp.inf), axis=0)
        data = -jnp.sum(jnp.where(mask > 0, Y * logp, 0.0)) / N
    else:
        data = 0.5 * jnp.sum(mask * (_output(z, out_rows, output) - Y) ** 2) / N
    decay = sum(jnp.sum(W ** 2) + (jnp.sum(b ** 2) if l2_bias else 0.0) for W, b in params)
    return data + 0.5 * l2 * decay


def _bucket(n):
    """Padded size for a real size n: 8, or the next power of two above it."""
    return max(8, 1 << (int(n) - 1).bit_length())


def _padded(params, X, Y=None, bias=True):
    """Zero-padded float64 copies (params pytree, X, Y, mask, output rows, N) and the real layer sizes."""
    Ws = [p[0] if bias else p for p in params]
    bs = [p[1] for p in params] if bias else [np.zeros(np.shape(W)[0]) for W in Ws]
    sizes = [np.shape(Ws[0])[1]] + [np.shape(W)[0] for W in Ws]
    P, N = _bucket(max(sizes)), np.shape(X)[1]
    Q = _bucket(N)
    p = []
    for W, b in zip(Ws, bs):
        Wp, bp = np.zeros((P, P)), np.zeros(P)
        Wp[:np.shape(W)[0], :np.shape(W)[1]] = W
        bp[:np.shape(b)[0]] = b
        p.append((jnp.asarray(Wp), jnp.asarray(bp)))
    Xp = np.zeros((P, Q))
    Xp[:sizes[0], :N] = X
    Yp, mask, rows = np.zeros((P, Q)), np.zeros((P, Q)), np.zeros((P, 1))
    mask[:sizes[-1], :N] = 1.0
    rows[:sizes[-1]] = 1.0
    if Y is not None:
        Yp[:sizes[-1], :N] = Y
    return (p, jnp.asarray(Xp), jnp.asarray(Yp), jnp.asarray(mask), jnp.asarray(rows), float(N)), sizes


_STATIC = ("hidden", "output", "kind", "bias", "l2", "l2_bias")
if jax is not None:
    _grad = jax.jit(jax.grad(_loss), static_argnames=_STATIC)
    _loss_jit = jax.jit(_loss, static_argnames=_STATIC)
    _output_jit = jax.jit(lambda p, X, rows, hidden, output, bias: _output(_logits(p, X, rows, hidden, bias), rows, output),
                          static_argnames=("hidden", "output", "bias"))


def _engine(kind, output=None, bias=True, l2=0.0, l2_bias=False):
    """(gradient, loss, forward) of one declared model."""
    static = {"kind": kind, "bias": bias, "l2": l2, "l2_bias": l2_bias}

    def gradient(params, X, Y, *, hidden="sigmoid", output=output):
        args, sizes = _padded(params, X, Y, bias)
        grads = _grad(*args, hidden=hidden, output=output, **static)
        out = [(np.array(gW[:sizes[l + 1], :sizes[l]]), np.array(gb[:sizes[l + 1]])) for l, (gW, gb) in enumerate(grads)]
        return out if bias else [gW for gW, _ in out]

    def loss(params, X, Y, *, hidden="sigmoid", output=output):
        args, _ = _padded(params, X, Y, bias)
        return float(_loss_jit(*args, hidden=hidden, output=output, **static))

    def forward(params, X, *, hidden="sigmoid", output=output):
        (p, Xp, _, _, rows, _), sizes = _padded(params, X, None, bias)
        a = _output_jit(p, Xp, rows, hidden=hidden, output=output, bias=bias)
        return np.array(a)[:sizes[-1], :np.shape(X)[1]]
    return gradient, loss, forward


def _declare(name, kind, words, *, output=None, bias=True, l2=0.0, l2_bias=False, **declared):
    gradient, loss, forward = _engine(kind, output, bias, l2, l2_bias)
    if l2:
        declared.update(l2=l2, l2_bias=l2_bias)
    return implementation(name, gradient=gradient, loss=loss, forward=forward, slope=SLOPE,
                          bias="vector" if bias else "none",
                          description=f"JAX {jax.__version__} jax.grad, float64 (x64): {words}", **declared)


IMPLEMENTATIONS = [] if jax is None else [
    _declare("jax.grad", "sse", "squared error", hiddens=HIDDENS, outputs=("sigmoid", "identity", "softmax")),
    _declare("jax.grad.cross_entropy_l2", "cce", "cross-entropy from log_softmax, L2 0.03125 on W and b",
             output="softmax", hiddens=("relu", "leaky_relu", "tanh"), outputs=("softmax",),
             loss_kind="categorical_cross_entropy", l2=0.03125, l2_bias=True),
    _declare("jax.grad.binary_cross_entropy_no_bias", "bce", "binary cross-entropy from the logits, no biases",
             output="sigmoid", hiddens=HIDDENS, outputs=("sigmoid",), loss_kind="binary_cross_entropy", bias=False),
]
