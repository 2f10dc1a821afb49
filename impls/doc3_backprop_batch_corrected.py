"""The last document's ``backprop_batch`` with its defects corrected.

Same conventions as ``doc3_backprop_batch``: rows as samples (X (N, d), Y
(N, n_L)), W^l (n_l, n_{l-1}), (n_l, 1) biases, BP3/BP4 summed over the stack
axis (reduction "sum").  The corrections: the weights are an argument (no global
read); the forward pass loops over any depth and keeps (n_l, N) activations (the
corrected ``feedforward_batch``); the labels stay (N, n_L) and become an
(N, n_L, 1) stack.
"""
import numpy as np

from conformance import implementation
from .doc3_backprop_1_example import sigmoid_prime
from .doc3_backprop_1_example_corrected import feedforward_batch


def as_stack(M):
    """(n, N) matrix of columns -> (N, n, 1) stack of column vectors."""
    return (M.T)[:, :, np.newaxis]


def backprop_batch(activities, activations, weights, y_batch):
    """(weight_updates, bias_updates) summed over the batch; y_batch is (N, n_L)."""
    layer_num = len(activations)
    delta = (as_stack(activations[-1]) - y_batch[:, :, np.newaxis]) * sigmoid_prime(as_stack(activities[-1]))
    bias_updates = [delta.sum(axis=0)]                                              # BP3
    weight_updates = [(delta @ as_stack(activations[-2]).transpose(0, 2, 1)).sum(axis=0)]  # BP4
    for layer in range(2, layer_num):
        l = -layer
        delta = (weights[l + 1].T @ delta) * sigmoid_prime(as_stack(activities[l]))  # BP2
        bias_updates = [delta.sum(axis=0)] + bias_updates
        weight_updates = [(delta @ as_stack(activations[l - 1]).transpose(0, 2, 1)).sum(axis=0)] + weight_updates
    return weight_updates, bias_updates


def gradient(params, X, Y):
    """[(grad_W^l, grad_b^l)] summed over the rows of X."""
    weights = [W for W, _ in params]
    activities, activations = feedforward_batch(X, weights, [b for _, b in params])
    weight_grads, bias_grads = backprop_batch(activities, activations, weights, Y)
    return list(zip(weight_grads, bias_grads))


IMPLEMENTATION = implementation(
    "doc3.backprop_batch.corrected", gradient=gradient,
    samples="rows", weights="out_in", bias="column", reduction="sum", loss_kind="half_sse",
    description="last document's batched tensor backprop, any depth, no squeeze, weights passed in",
)
