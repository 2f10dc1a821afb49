"""Batched backprop on stacks: the fully vectorised path of the last document.

Every per-sample column vector becomes a stack of shape (N, n, 1): sample i is
``stack[i]``, an (n, 1) column.  As in the document, the stacks are made from
the batched forward pass's (n, N) matrices as ``(M.T)[:, :, np.newaxis]``, a
view: no copy.  BP1-BP2 act on whole stacks with broadcasting and batched
matmul; BP3-BP4 are per-sample quantities summed over the batch axis (axis 0).

BP4's per-sample outer products delta_i (a_i^{l-1})^T form a stack of shape
(N, n_l, n_{l-1}).  The document materialises it whole and sums over axis 0,
which costs 8 N n_l n_{l-1} bytes (94 GB for a 784-256 layer at N = 60000);
even in cache-sized chunks, writing and re-reading N n_l n_{l-1} products is
tens of times slower than a matrix product (BENCHMARKS.md).  Here the same sum
is one contraction of the two stacks over the batch axis n and the unit axis o,

    sum_i delta_i (a_i^{l-1})^T = einsum("nio,njo->ij", delta, a_prev)
                                = tensordot(delta, a_prev, axes=([0, 2], [0, 2])),

so no stack larger than the (N, n, 1) stacks themselves is ever held.
"""
from __future__ import annotations

import numpy as np

from reference.batched_matrix import feedforward
from reference.losses import add_l2
from reference.network import Network, Params

__all__ = ["as_stack", "bp1_output_error", "bp2_hidden_error", "bp3_bias_gradient",
           "bp4_weight_gradient", "gradients_unchecked"]


def as_stack(M: np.ndarray) -> np.ndarray:
    """An (n, N) matrix of columns as an (N, n, 1) stack of column vectors (a view of M)."""
    return (M.T)[:, :, np.newaxis]


def bp1_output_error(net: Network, a_L: np.ndarray, y: np.ndarray, sigma_prime_L: np.ndarray) -> np.ndarray:
    """BP1 on stacks: delta^L_i = J(z^L_i)^T dC/da^L_i.  (N, n_L, 1).

    (a^L_i - y_i) (.) sigma'(z^L_i) for the squared error at a sigmoid or identity output;
    J^T (a - y) = a (.) ((a - y) - a^T (a - y)) at a softmax output; a - y for the binary
    cross-entropy and a sum_j y_j - y for the categorical one.
    """
    if net.loss == "binary_cross_entropy":
        return a_L - y
    if net.loss == "categorical_cross_entropy":
        return a_L * y.sum(axis=1, keepdims=True) - y
    delta = a_L - y
    if net.output == "softmax":
        return a_L * (delta - (a_L * delta).sum(axis=1, keepdims=True))
    delta *= sigma_prime_L
    return delta


def bp2_hidden_error(W_next: np.ndarray, delta_next: np.ndarray, sigma_prime_l: np.ndarray) -> np.ndarray:
    """BP2 on stacks: delta^l_i = ((W^{l+1})^T delta^{l+1}_i) (.) sigma'(z^l_i).

    W^{l+1}: (n_{l+1}, n_l) broadcast over the stack (N, n_{l+1}, 1) -> (N, n_l, 1).
    """
    delta = W_next.T @ delta_next
    delta *= sigma_prime_l
    return delta


def bp3_bias_gradient(delta: np.ndarray) -> np.ndarray:
    """BP3 summed over the batch axis, then averaged: (1/N) sum_i delta^l_i.  (N, n_l, 1) -> (n_l,)."""
    nabla_b = delta.sum(axis=0)[:, 0]
    nabla_b /= delta.shape[0]
    return nabla_b


def bp4_weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """BP4 summed over the batch axis: (1/N) sum_i delta^l_i (a^{l-1}_i)^T.

    delta^l: (N, n_l, 1), a^{l-1}: (N, n_{l-1}, 1) -> (n_l, n_{l-1}), contracting
    the stack axis (and the unit axis) without materialising the
    (N, n_l, n_{l-1}) outer products: einsum("nio,njo->ij", delta, a_prev).
    """
    nabla_w = np.tensordot(delta, a_prev, axes=([0, 2], [0, 2]))
    nabla_w /= delta.shape[0]
    return nabla_w


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """[(dC/dW^l, dC/db^l)] from stacks of per-sample columns."""
    activations, sigma_primes = feedforward(net, params, X)
    L = net.L
    activations = [as_stack(a) for a in activations]
    sigma_primes = [as_stack(s) for s in sigma_primes]
    delta = bp1_output_error(net, activations[L], as_stack(Y), sigma_primes[L - 1])
    nabla = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(params[l][0], delta, sigma_primes[l - 1])
        nabla_b = bp3_bias_gradient(delta) if net.bias else np.zeros(net.n(l))
        nabla[l - 1] = (bp4_weight_gradient(delta, activations[l - 1]), nabla_b)
    return add_l2(net, params, nabla)
