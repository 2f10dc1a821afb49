"""Per-sample backprop: vectorised BP1-BP4 for one sample held as column vectors.

This is the per-example path of the last document (``backprop_1_example``) and of
the classic network.py (``backprop(x, y)``): each sample x_i is an (n_0, 1)
column, its gradients are accumulated as ``nabla_w`` / ``nabla_b``, and the sum
is divided by N at the end (the mean reduction of the loss).
"""
from __future__ import annotations

import numpy as np

from reference.forward import activation, activation_prime, pre_activation
from reference.losses import add_l2, output_error
from reference.network import Network, Params

__all__ = ["feedforward", "bp1_output_error", "bp2_hidden_error", "bp3_bias_gradient",
           "bp4_weight_gradient", "backprop", "gradients_unchecked"]


def feedforward(net: Network, params: Params, x: np.ndarray):
    """zs[l-1] = z^l and activations[l] = a^l, each an (n_l, 1) column, for one sample x (n_0, 1)."""
    zs, activations = [], [x]
    for l, (W, b) in enumerate(params, start=1):
        z = pre_activation(net, W, b, activations[-1])
        zs.append(z)
        activations.append(activation(net, l, z))
    return zs, activations


def bp1_output_error(net: Network, z_L: np.ndarray, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BP1: delta^L = J(z^L)^T dC_x/da^L, (n_L, 1) columns: (a^L - y) (.) sigma'(z^L) for the squared
    error at a sigmoid output, a^L - y at an identity output and for the cross-entropies
    (``reference.losses.output_error``)."""
    return output_error(net, z_L, a_L, y)


def bp2_hidden_error(net: Network, l: int, W_next: np.ndarray, delta_next: np.ndarray,
                     z_l: np.ndarray) -> np.ndarray:
    """BP2: delta^l = ((W^{l+1})^T delta^{l+1}) (.) f'(z^l), f the hidden activation.  (n_l, 1) column."""
    return (W_next.T @ delta_next) * activation_prime(net, l, z_l)


def bp3_bias_gradient(delta: np.ndarray) -> np.ndarray:
    """BP3: dC_x/db^l = delta^l, an (n_l, 1) column."""
    return delta


def bp4_weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """BP4: dC_x/dW^l = delta^l (a^{l-1})^T, the outer product (n_l, 1)(1, n_{l-1}).

    Formed as the broadcast product of the column delta^l and the row (a^{l-1})^T,
    which writes the same entries delta_j a_k as ``delta @ a_prev.T`` without a
    matrix product of inner dimension 1 (BLAS is slow there).
    """
    return delta * a_prev.T


def backprop(net: Network, params: Params, x: np.ndarray, y: np.ndarray):
    """(nabla_w, nabla_b) of C_x (1/2 ||a^L - y||^2 by default) for one sample, as network.py's backprop.

    Without biases nabla_b is zeros; the L2 term is not per sample (``gradients_unchecked`` adds it).
    """
    zs, activations = feedforward(net, params, x)
    L = net.L
    delta = bp1_output_error(net, zs[L - 1], activations[L], y)
    nabla_w, nabla_b = [None] * L, [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(net, l, params[l][0], delta, zs[l - 1])
        nabla_w[l - 1] = bp4_weight_gradient(delta, activations[l - 1])
        nabla_b[l - 1] = bp3_bias_gradient(delta) if net.bias else np.zeros_like(delta)
    return nabla_w, nabla_b


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """Mean over the columns of X of the per-sample gradients, as [(dW^l, db^l)].

    As network.py's ``update_mini_batch``: nabla_w, nabla_b accumulate each
    sample's ``backprop`` (in place), and the sum is divided by N; then the L2
    term lambda W^l is added (network2.py's weight decay, on the batch mean).
    """
    N = X.shape[1]
    nabla_w = [np.zeros_like(W) for W, _ in params]
    nabla_b = [np.zeros((b.shape[0], 1)) for _, b in params]
    # training_data as in the document: one (x, y) pair of (n, 1) columns per sample
    # (copied once so that each column is contiguous in memory)
    for x, y in zip(np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)):
        delta_nabla_w, delta_nabla_b = backprop(net, params, x[:, np.newaxis], y[:, np.newaxis])
        for nw, dnw, nb, dnb in zip(nabla_w, delta_nabla_w, nabla_b, delta_nabla_b):
            nw += dnw
            nb += dnb
    return add_l2(net, params, [(nw / N, nb[:, 0] / N) for nw, nb in zip(nabla_w, nabla_b)])
