"""Batched backprop on stacks: the fully vectorised path of the last document.

Every per-sample column vector becomes a stack of shape (N, n, 1): sample i is
``stack[i]``, an (n, 1) column.  BP1-BP2 act on whole stacks with batched
matmul; BP3-BP4 are per-sample quantities summed over the batch axis (axis 0).

BP4's per-sample outer products delta_i (a_i^{l-1})^T form a stack of shape
(N, n_l, n_{l-1}).  The document materialises it whole and sums over axis 0,
which costs 8 N n_l n_{l-1} bytes (94 GB for a 784-256 layer at N = 60000).
Here the same sum is taken as one contraction over the batch axis
(``einsum('nio,njo->ij')``: sum over n of stack_i (stack_j)^T), so no stack
larger than the (N, n, 1) activations themselves is ever held.
"""
from __future__ import annotations

import numpy as np

from reference.forward import activation_prime, forward_unchecked
from reference.network import Network, Params

__all__ = ["as_stack", "bp1_output_error", "bp2_hidden_error", "bp3_bias_gradient",
           "bp4_weight_gradient", "gradients_unchecked"]


def as_stack(M: np.ndarray) -> np.ndarray:
    """An (n, N) matrix of columns as an (N, n, 1) stack of column vectors (a new array)."""
    return np.ascontiguousarray(M.T)[:, :, np.newaxis]


def bp1_output_error(net: Network, z_L: np.ndarray, a_L: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BP1 on stacks: delta^L_i = (a^L_i - y_i) (.) sigma'(z^L_i).  (N, n_L, 1)."""
    return (a_L - y) * activation_prime(net, net.L, z_L)


def bp2_hidden_error(net: Network, l: int, W_next: np.ndarray, delta_next: np.ndarray,
                     z_l: np.ndarray) -> np.ndarray:
    """BP2 on stacks: delta^l_i = ((W^{l+1})^T delta^{l+1}_i) (.) sigma'(z^l_i).

    W^{l+1}: (n_{l+1}, n_l) broadcast over the stack (N, n_{l+1}, 1) -> (N, n_l, 1).
    """
    return (W_next.T @ delta_next) * activation_prime(net, l, z_l)


def bp3_bias_gradient(delta: np.ndarray) -> np.ndarray:
    """BP3 summed over the batch axis, then averaged: (1/N) sum_i delta^l_i.  (N, n_l, 1) -> (n_l,)."""
    return delta.sum(axis=0)[:, 0] / delta.shape[0]


def bp4_weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """BP4 summed over the batch axis: (1/N) sum_i delta^l_i (a^{l-1}_i)^T.

    delta^l: (N, n_l, 1), a^{l-1}: (N, n_{l-1}, 1) -> (n_l, n_{l-1}), contracting
    the stack axis without materialising the (N, n_l, n_{l-1}) outer products.
    """
    return np.einsum("nio,njo->ij", delta, a_prev, optimize=True) / delta.shape[0]


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """[(dC/dW^l, dC/db^l)] from stacks of per-sample columns."""
    fp = forward_unchecked(net, params, X)
    L = net.L
    zs = [as_stack(z) for z in fp.zs]
    activations = [as_stack(a) for a in fp.activations]
    delta = bp1_output_error(net, zs[L - 1], activations[L], as_stack(Y))
    nabla = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(net, l, params[l][0], delta, zs[l - 1])
        nabla[l - 1] = (bp4_weight_gradient(delta, activations[l - 1]), bp3_bias_gradient(delta))
    return nabla
