"""The classic network.py ``Network`` class (Nielsen), as the last document compares against it.

Conventions (its own): one sample at a time as an (n_0, 1) column x with an
(n_L, 1) label y; W^l is (n_l, n_{l-1}); b^l is an (n_l, 1) column; sigmoid at
every layer.  ``backprop(x, y)`` returns ``(nabla_b, nabla_w)`` of
C_x = 1/2 ||a^L - y||^2; ``update_mini_batch`` sums them over the mini-batch and
steps by eta / len(mini_batch): the mean.

Two declarations: the gradient as ``update_mini_batch`` accumulates it (the sum
of ``backprop`` over the columns of X, reduction "sum"), and the training step
``update_mini_batch`` itself (a new list of parameters, reduction "mean").  Both
are correct: no known failure.

Changed from the document: the random initialisation takes a seeded
``numpy.random.Generator`` (``rng``) instead of the global ``np.random``; the
notebook's debugging appends (``nielsen_w``, ``nielsen_bp``, ...) are left out:
they only record and would grow without bound under thousands of calls; and
``SGD``'s printing loop and ``evaluate`` are left out (never on the gradient path).
"""
import numpy as np

from conformance import implementation
from reference.documents.networkpy import NielsenNetwork, sigmoid, sigmoid_prime  # noqa: F401


# The class itself, verbatim from the document but for the seeded initialisation, is kept once in
# reference/documents/networkpy.py (the documents' comparison point) and put under test from there.
Network = NielsenNetwork


# ---------------------------------------------------------------------------
# Declarations.  Native params [(W^l, b^l (n_l, 1))]; X (n_0, N), Y (n_L, N) columns.

def network_on(params):
    """A ``Network`` holding the arrays of ``params`` (layer sizes read from the shapes)."""
    sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
    return Network(sizes, weights=[W for W, _ in params], biases=[b for _, b in params])


def mini_batch_of(X, Y):
    """network.py's training data: a list of (x, y) column pairs."""
    return [(X[:, i:i + 1], Y[:, i:i + 1]) for i in range(X.shape[1])]


def summed_backprop(params, X, Y):
    """nabla as update_mini_batch accumulates it: the sum over samples of backprop(x, y)."""
    net = network_on(params)
    nabla_b = [np.zeros(b.shape) for b in net.biases]
    nabla_w = [np.zeros(w.shape) for w in net.weights]
    for x, y in mini_batch_of(X, Y):
        delta_nabla_b, delta_nabla_w = net.backprop(x, y)
        nabla_b = [nb+dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
        nabla_w = [nw+dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
    return list(zip(nabla_w, nabla_b))


def update_mini_batch(params, X, Y, eta):
    """One call of update_mini_batch; returns the network's new [(W^l, b^l)]."""
    net = network_on(params)
    net.update_mini_batch(mini_batch_of(X, Y), eta)
    return list(zip(net.weights, net.biases))


def output(params, X):
    """feedforward(X): a^L for every column at once, (n_L, N)."""
    return network_on(params).feedforward(X)


# Any N, depth and width (no limit declared): the size ladder tries them.
_COMMON = dict(samples="columns", weights="out_in", bias="column", loss_kind="half_sse", forward=output)

IMPLEMENTATIONS = [
    implementation("doc3.network_py.backprop", gradient=summed_backprop, reduction="sum", **_COMMON,
                   description="network.py: per-sample backprop(x, y) summed as update_mini_batch does"),
    implementation("doc3.network_py.update_mini_batch", train_step=update_mini_batch, reduction="mean",
                   **_COMMON, description="network.py: the training step, eta/len(mini_batch) times the sum"),
]
