"""Per-neuron backprop: the index-level equations, explicit loops, one sample at a time.

With j indexing neurons of layer l and k neurons of layer l-1 (w^l_jk connects
neuron k of layer l-1 to neuron j of layer l):

    z^l_j = sum_k w^l_jk a^{l-1}_k + b^l_j,        a^l_j = f(z^l_j)   (sigma by default)
    BP1   delta^L_j   = sum_k (dC/da^L_k) (da^L_k/dz^L_j)
                      = (a^L_j - y_j) sigma'(z^L_j)                 squared error, sigmoid output
                      = a^L_j - y_j                                 identity output; binary cross-entropy
                      = a^L_j (r_j - sum_k a^L_k r_k), r = a^L - y  squared error, softmax output
                      = a^L_j sum_k y_k - y_j                       categorical cross-entropy
          dC/da^{l-1}_k = sum_j w^l_jk delta^l_j
    BP2   delta^{l-1}_k = (dC/da^{l-1}_k) f'(z^{l-1}_k)
    BP3   dC/db^l_j   = delta^l_j                    (+ lambda b^l_j with an L2 term on the biases)
    BP4   dC/dw^l_jk  = a^{l-1}_k delta^l_j          (+ lambda w^l_jk with an L2 term)

(the softmax output's a^L_k = exp(z_k - m) / sum_q exp(z_q - m), m = max_q z_q; without
biases z^l_j has no b^l_j).  Every quantity is a Python float; arrays appear only at the boundary.
"""
from __future__ import annotations

import numpy as np

import math

from reference.activations import scalar_function, scalar_sigmoid, scalar_sigmoid_prime
from reference.losses import add_l2
from reference.network import Network, Params

__all__ = ["neuron_forward", "bp1_output_error", "dC_da_prev", "bp2_hidden_error",
           "bp3_bias_gradient", "bp4_weight_gradient", "gradients_unchecked"]


def _act(net: Network, l: int, z: float) -> float:
    if l < net.L:
        return scalar_function(net.hidden, net.slope)[0](z)
    return z if net.output == "identity" else scalar_sigmoid(z)


def _act_prime(net: Network, l: int, z: float) -> float:
    if l < net.L:
        return scalar_function(net.hidden, net.slope)[1](z)
    return 1.0 if net.output == "identity" else scalar_sigmoid_prime(z)


def _softmax(z_L: list) -> list:
    """a_j = exp(z_j - m) / sum_k exp(z_k - m), m = max_k z_k, one neuron at a time."""
    m = max(z_L)
    e = [math.exp(zj - m) for zj in z_L]
    total = sum(e)
    return [ej / total for ej in e]


def neuron_forward(net: Network, W: list, b: list, x: list):
    """z[l][j] = z^l_j and a[l][j] = a^l_j for one sample, as nested lists (a[0] = x)."""
    z, a = [None], [list(x)]
    for l in range(1, net.L + 1):
        z_l = [sum(W[l][j][k] * a[l - 1][k] for k in range(net.n(l - 1))) + (b[l][j] if net.bias else 0.0)
               for j in range(net.n(l))]
        z.append(z_l)
        a.append(_softmax(z_l) if (l == net.L and net.output == "softmax") else [_act(net, l, zj) for zj in z_l])
    return z, a


def bp1_output_error(net: Network, z_L: list, a_L: list, y: list) -> list:
    """BP1 per neuron: delta^L_j = sum_k (dC/da^L_k)(da^L_k/dz^L_j), in the forms of the module docstring."""
    n_L = net.n(net.L)
    if net.loss == "binary_cross_entropy":
        return [a_L[j] - y[j] for j in range(n_L)]
    if net.loss == "categorical_cross_entropy":
        total = sum(y)
        return [a_L[j] * total - y[j] for j in range(n_L)]
    if net.output == "softmax":
        r = [a_L[k] - y[k] for k in range(n_L)]
        mean_r = sum(a_L[k] * r[k] for k in range(n_L))
        return [a_L[j] * (r[j] - mean_r) for j in range(n_L)]
    return [(a_L[j] - y[j]) * _act_prime(net, net.L, z_L[j]) for j in range(n_L)]


def dC_da_prev(W_l: list, delta_l: list, k: int) -> float:
    """dC/da^{l-1}_k = sum_j w^l_jk delta^l_j: neuron k feeds every neuron j of layer l."""
    return sum(W_l[j][k] * delta_l[j] for j in range(len(delta_l)))


def bp2_hidden_error(net: Network, l: int, W_next: list, delta_next: list, z_l: list) -> list:
    """BP2 per neuron: delta^l_k = (sum_j w^{l+1}_jk delta^{l+1}_j) sigma'(z^l_k)."""
    return [dC_da_prev(W_next, delta_next, k) * _act_prime(net, l, z_l[k]) for k in range(net.n(l))]


def bp3_bias_gradient(delta_l: list, j: int) -> float:
    """BP3 per neuron: dC/db^l_j = delta^l_j (and 0 for a network without biases, see below)."""
    return delta_l[j]


def bp4_weight_gradient(delta_l: list, a_prev: list, j: int, k: int) -> float:
    """BP4 per neuron: dC/dw^l_jk = a^{l-1}_k delta^l_j."""
    return a_prev[k] * delta_l[j]


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """Mean over samples of the per-neuron gradients, returned as [(dW^l, db^l)] arrays."""
    L, N = net.L, X.shape[1]
    W = [None] + [Wl.tolist() for Wl, _ in params]
    b = [None] + [bl.tolist() for _, bl in params]
    gW = [None] + [[[0.0] * net.n(l - 1) for _ in range(net.n(l))] for l in range(1, L + 1)]
    gb = [None] + [[0.0] * net.n(l) for l in range(1, L + 1)]
    for i in range(N):
        z, a = neuron_forward(net, W, b, X[:, i].tolist())
        delta = bp1_output_error(net, z[L], a[L], Y[:, i].tolist())
        for l in range(L, 0, -1):
            if l < L:
                delta = bp2_hidden_error(net, l, W[l + 1], delta, z[l])
            for j in range(net.n(l)):
                if net.bias:
                    gb[l][j] += bp3_bias_gradient(delta, j)
                for k in range(net.n(l - 1)):
                    gW[l][j][k] += bp4_weight_gradient(delta, a[l - 1], j, k)
    return add_l2(net, params, [(np.array(gW[l]) / N, np.array(gb[l]) / N) for l in range(1, L + 1)])
