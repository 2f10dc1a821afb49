"""Batched backprop in plain matrix form: the whole batch as (n_l, N) matrices.

Samples are the columns of delta^l and a^l, so BP4's sum over the batch of
outer products delta_i (a_i^{l-1})^T is one matrix product delta^l (A^{l-1})^T.
This is the fast path.
"""
from __future__ import annotations

import numpy as np

from reference.forward import activation_prime, forward_unchecked
from reference.network import Network, Params

__all__ = ["bp1_output_error", "bp2_hidden_error", "bp3_bias_gradient",
           "bp4_weight_gradient", "gradients_unchecked"]


def bp1_output_error(net: Network, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """BP1: delta^L = (a^L - y) * sigma'(z^L), all columns at once.  Shapes (n_L, N)."""
    return (a_L - Y) * activation_prime(net, net.L, z_L)


def bp2_hidden_error(net: Network, l: int, W_next: np.ndarray, delta_next: np.ndarray,
                     z_l: np.ndarray) -> np.ndarray:
    """BP2: delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l).

    W^{l+1}: (n_{l+1}, n_l), delta^{l+1}: (n_{l+1}, N), z^l: (n_l, N) -> (n_l, N).
    """
    return (W_next.T @ delta_next) * activation_prime(net, l, z_l)


def bp3_bias_gradient(delta: np.ndarray) -> np.ndarray:
    """BP3 averaged over the batch: dC/db^l = (1/N) sum_i delta^l_i.  (n_l, N) -> (n_l,)."""
    return delta.sum(axis=1) / delta.shape[1]


def bp4_weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """BP4 averaged over the batch: dC/dW^l = (1/N) delta^l (A^{l-1})^T.

    delta^l: (n_l, N), a^{l-1}: (n_{l-1}, N) -> (n_l, n_{l-1}).
    """
    return (delta @ a_prev.T) / delta.shape[1]


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """[(dC/dW^l, dC/db^l) for l = 1..L] on validated float64 arrays."""
    fp = forward_unchecked(net, params, X)
    L = net.L
    delta = bp1_output_error(net, fp.z(L), fp.a(L), Y)
    nabla = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(net, l, params[l][0], delta, fp.z(l))
        nabla[l - 1] = (bp4_weight_gradient(delta, fp.a(l - 1)), bp3_bias_gradient(delta))
    return nabla
