"""The last document's per-example backprop with its four defects corrected.

Same conventions as ``doc3_backprop_1_example``: rows as samples (X (N, d),
Y (N, n_L)), W^l (n_l, n_{l-1}), (n_l, 1) column biases, per-sample updates
summed over the batch (reduction "sum").  The corrections:

1. ``feedforward_batch`` loops over any number of layers;
2. activations keep their (n_l, N) shape (no squeeze), so a batch of one sample
   and width-1 layers work;
3. the label of sample i is the column ``labels[i].reshape(-1, 1)``;
4. the reported loss is the one the summed updates belong to,
   sum_i 1/2 ||a_i - y_i||^2;

and the weights are passed to ``backprop_1_example`` instead of read from a global.
"""
import numpy as np

from conformance import implementation
from .doc3_backprop_1_example import sigmoid, sigmoid_prime


def feedforward_batch(X, weights, biases):
    """activities[l-1] = z^l and activations[l] = a^l, each (n_l, N), for X of shape (N, d)."""
    activities = []
    activations = [X.T]
    for W, b in zip(weights, biases):
        z = W.dot(activations[-1]) + b
        activities.append(z)
        activations.append(sigmoid(z))
    return activities, activations


def backprop_1_example(activities, activations, weights, y, sample_idx):
    """(weight_updates, bias_updates) of 1/2 ||a^L - y||^2 for sample ``sample_idx``; y an (n_L, 1) column."""
    layer_num = len(activations)
    a_L = activations[-1][:, sample_idx].reshape(-1, 1)
    a_L_minus_1 = activations[-2][:, sample_idx].reshape(-1, 1)
    z_L = activities[-1][:, sample_idx].reshape(-1, 1)
    delta = (a_L - y) * sigmoid_prime(z_L)                       # BP1
    bias_updates = [delta]                                        # BP3
    weight_updates = [delta.dot(a_L_minus_1.T)]                   # BP4
    for layer in range(2, layer_num):
        l = -layer
        z_l = activities[l][:, sample_idx].reshape(-1, 1)
        delta = weights[l + 1].T.dot(delta) * sigmoid_prime(z_l)  # BP2
        a_l_minus_1 = activations[l - 1][:, sample_idx].reshape(-1, 1)
        bias_updates = [delta] + bias_updates
        weight_updates = [delta.dot(a_l_minus_1.T)] + weight_updates
    return weight_updates, bias_updates


def gradient(params, X, Y):
    """sum over the rows i of X of backprop_1_example's updates, as [(grad_W^l, grad_b^l)]."""
    weights = [W for W, _ in params]
    biases = [b for _, b in params]
    activities, activations = feedforward_batch(X, weights, biases)
    grad_W = [np.zeros_like(W) for W in weights]
    grad_b = [np.zeros_like(b) for b in biases]
    for idx in range(X.shape[0]):
        current_label = Y[idx].reshape(-1, 1)
        weight_updates, bias_updates = backprop_1_example(activities, activations, weights,
                                                          current_label, idx)
        grad_W = [g + u for g, u in zip(grad_W, weight_updates)]
        grad_b = [g + u for g, u in zip(grad_b, bias_updates)]
    return list(zip(grad_W, grad_b))


def loss(params, X, Y):
    """sum_i 1/2 ||a_i - y_i||^2 over the rows of X and Y."""
    _, activations = feedforward_batch(X, [W for W, _ in params], [b for _, b in params])
    return 0.5 * float(np.sum((activations[-1] - Y.T) ** 2))


IMPLEMENTATION = implementation(
    "doc3.backprop_1_example.corrected",
    gradient=gradient, loss=loss,
    samples="rows", weights="out_in", bias="column", reduction="sum", loss_kind="half_sse",
    description="last document's per-example backprop, any depth, no squeeze, labels as columns",
)
