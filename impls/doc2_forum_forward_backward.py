"""The forum question's ``forward`` / ``backward`` (two sigmoid hidden layers, linear output).

Conventions (its own): samples are the columns of X (n_0, N) and Y (n_3, N);
W^l is (n_l, n_{l-1}); biases are flat (n_l,) vectors, broadcast with
``b[:, np.newaxis]``; the parameters are the flat list [W1, b1, W2, b2, W3, b3];
the output layer is the identity; the loss is

    squared_loss = mean over the batch of 1/2 ||prediction - target||^2

and ``deriv_squared_loss`` divides by the batch size: reduction "mean", loss
"half_sse".  The architecture is fixed to three weight layers (layer_sizes of
length 4), so that is the declared support.

The question's code is correct: the transposes it asks about
(``np.dot(W3.T, dL_dPredictions)``) are BP2, and ``np.dot(delta, np.ones(N))``
is BP3 summed over the batch.  No known failure.

Changed from the question: ``initialize`` draws from a seeded
``numpy.random.Generator`` instead of the global ``np.random`` (it is
``reference.documents.forum.initialize``, with ``rng=`` a keyword).
"""
import numpy as np

from conformance import implementation
from reference.documents.forum import initialize as forum_initialize


# The forum's ``initialize`` (seeded, the forum's drawing order) is kept once, in
# reference/documents/forum.py, where the forum check uses it too.
initialize = forum_initialize


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def squared_loss(predictions, targets):
    return np.mean(0.5 * np.linalg.norm(predictions - targets, axis=0, ord=2)**2, axis=0)


def deriv_squared_loss(predictions, targets):
    return (predictions - targets) / targets.shape[-1]


def forward(parameters, X):
    W1, b1, W2, b2, W3, b3 = parameters
    hid_1 = sigmoid(W1 @ X + b1[:, np.newaxis])
    hid_2 = sigmoid(W2 @ hid_1 + b2[:, np.newaxis])
    outputs = W3 @ hid_2 + b3[:, np.newaxis]
    return [X, hid_1, hid_2, outputs]


def backward(activations, targets, parameters):
    X, hid_1, hid_2, predictions = activations
    W1, b1, W2, b2, W3, b3 = parameters
    batch_size = X.shape[-1]
    # dL/dprediction
    dL_dPredictions = deriv_squared_loss(predictions, targets)
    # dL/db3 = dL/dprediction * dprediction/db3 = dL/dprediction * 1
    dL_db3 = np.dot(dL_dPredictions, np.ones((batch_size,)))
    # dL/dW3 = dL/dprediction * dprediction/dW3 = dL/dprediction * hid_2
    dL_dW3 = np.dot(dL_dPredictions, hid_2.T)
    # dL/dhid_2 = dL/dprediction * W3 * hid_2 * (1 - hid_2)
    dL_hid_2 = np.dot(W3.T, dL_dPredictions) * hid_2 * (1 - hid_2)
    # dL/db2 = dL/dhid_2 * 1
    dL_db2 = np.dot(dL_hid_2, np.ones((batch_size,)))
    # dL/dW2 = dL/dhid_2 * hid_1
    dL_dW2 = np.dot(dL_hid_2, hid_1.T)
    dL_hid_1 = np.dot(W2.T, dL_hid_2) * hid_1 * (1 - hid_1)
    dL_db1 = np.dot(dL_hid_1, np.ones((batch_size,)))
    dL_dW1 = np.dot(dL_hid_1, X.T)
    return [dL_dW1, dL_db1, dL_dW2, dL_db2, dL_dW3, dL_db3]


# ---------------------------------------------------------------------------
# Declaration: the question's own call sequence, as functions of (parameters, X, Y).

def gradient(parameters, X, Y):
    """grads = backward(forward(parameters, X), Y, parameters), flat like parameters."""
    return backward(forward(parameters, X), Y, parameters)


def output(parameters, X):
    """The predictions, forward(parameters, X)[-1], shape (n_3, N)."""
    return forward(parameters, X)[-1]


def loss(parameters, X, Y):
    """squared_loss(predictions, targets), the question's own loss."""
    return squared_loss(output(parameters, X), Y)


IMPLEMENTATION = implementation(
    "doc2.forum_forward_backward",
    gradient=gradient, loss=loss, forward=output,
    samples="columns", weights="out_in", bias="vector", reduction="mean", loss_kind="half_sse",
    layout="flat", output="identity", min_depth=3, max_depth=3,
    description="forum question: flat [W1, b1, W2, b2, W3, b3], two sigmoid hidden layers, linear output",
)
