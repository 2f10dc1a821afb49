"""A real engine as an oracle: gradients from ``jax.grad``, in float64 (x64 enabled).

The loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 is written once in ``jax.numpy``
(``jax.nn.sigmoid`` at hidden layers, sigmoid or identity at the output) and
differentiated by ``jax.grad``; nothing about backpropagation is written by
hand.  Conventions are the reference's: samples as columns, W^l (n_l, n_{l-1}),
b^l (n_l,), mean over the batch.  Both output activations are declared; the
suite passes the one drawn as ``output=``.

The functions are ``jax.jit``-compiled.  So that Hypothesis' ever-changing
shapes do not each cost a compilation (~0.1 s), every width is zero-padded to
one bucket size (8, or the next power of two) and the batch likewise, with a
0/1 mask on the loss: padded hidden units have zero outgoing weights and padded
samples and outputs are masked out, so the loss, and its gradient with respect
to every real parameter, are exactly those of the unpadded network; the padded
entries of the gradient are dropped.

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


def _output(params, X, output):
    """a^L: z^l = W^l a^{l-1} + b^l, a^l = sigmoid(z^l) (identity at L if asked)."""
    a = X
    L = len(params)
    for l, (W, b) in enumerate(params, start=1):
        z = W @ a + b[:, None]
        a = z if (l == L and output == "identity") else jax.nn.sigmoid(z)
    return a


def _loss(params, X, Y, mask, N, output):
    """C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 over the real (mask 1) entries."""
    a = _output(params, X, output)
    return 0.5 * jnp.sum(mask * (a - Y) ** 2) / N


def _bucket(n):
    """Padded size for a real size n: 8, or the next power of two above it."""
    return max(8, 1 << (int(n) - 1).bit_length())


def _padded(params, X, Y=None):
    """Zero-padded float64 copies (params pytree, X, Y, mask, N) and the real layer sizes."""
    sizes = [np.shape(params[0][0])[1]] + [np.shape(W)[0] for W, _ in params]
    P, N = _bucket(max(sizes)), np.shape(X)[1]
    Q = _bucket(N)
    p = []
    for W, b in params:
        Wp, bp = np.zeros((P, P)), np.zeros(P)
        Wp[:np.shape(W)[0], :np.shape(W)[1]] = W
        bp[:np.shape(b)[0]] = b
        p.append((jnp.asarray(Wp), jnp.asarray(bp)))
    Xp = np.zeros((P, Q))
    Xp[:sizes[0], :N] = X
    Yp, mask = np.zeros((P, Q)), np.zeros((P, Q))
    mask[:sizes[-1], :N] = 1.0
    if Y is not None:
        Yp[:sizes[-1], :N] = Y
    return (p, jnp.asarray(Xp), jnp.asarray(Yp), jnp.asarray(mask), float(N)), sizes


if jax is not None:
    _grad = jax.jit(jax.grad(_loss), static_argnames="output")
    _loss_jit = jax.jit(_loss, static_argnames="output")
    _output_jit = jax.jit(_output, static_argnames="output")


def gradient(params, X, Y, *, output="sigmoid"):
    """[(dC/dW^l, dC/db^l)] by jax.grad of C, the padding dropped."""
    args, sizes = _padded(params, X, Y)
    grads = _grad(*args, output=output)
    return [(np.array(gW[:sizes[l + 1], :sizes[l]]), np.array(gb[:sizes[l + 1]]))
            for l, (gW, gb) in enumerate(grads)]


def loss(params, X, Y, *, output="sigmoid"):
    """C as a float."""
    args, _ = _padded(params, X, Y)
    return float(_loss_jit(*args, output=output))


def forward(params, X, *, output="sigmoid"):
    """a^L, (n_L, N)."""
    (p, Xp, _, _, _), sizes = _padded(params, X)
    return np.array(_output_jit(p, Xp, output=output))[:sizes[-1], :np.shape(X)[1]]


IMPLEMENTATIONS = [] if jax is None else [
    implementation("jax.grad", gradient=gradient, loss=loss, forward=forward,
                   outputs=("sigmoid", "identity"),
                   description=f"JAX {jax.__version__} jax.grad, float64 (x64)")]
