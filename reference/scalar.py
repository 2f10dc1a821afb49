"""Scalar backprop: the 1-D chain of the last document, every layer one neuron.

For the chain x -> a^1 -> ... -> a^L with scalars w^l, b^l:

    z^l = w^l a^{l-1} + b^l,   a^l = f(z^l)    (sigma by default; no b^l without biases)
    BP1  delta^L = (a^L - y) sigma'(z^L)        (a^L - y at an identity output, and for the
                                                 binary cross-entropy at a sigmoid output)
    BP2  delta^l = w^{l+1} delta^{l+1} f'(z^l)
    BP3  dC/db^l = delta^l                      (+ lambda b^l with an L2 term on the biases)
    BP4  dC/dw^l = a^{l-1} delta^l              (+ lambda w^l with an L2 term)

Everything is a plain Python float.  Networks wider than one neuron in any layer
are refused: this formulation covers width-1 chains only (so no softmax output,
which needs two units).
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from reference.activations import scalar_function, scalar_sigmoid, scalar_sigmoid_prime
from reference.losses import add_l2
from reference.network import Network, Params

__all__ = ["check_chain", "chain_forward", "bp1_output_error", "bp2_hidden_error",
           "bp3_bias_gradient", "bp4_weight_gradient", "backprop_1d", "gradients_unchecked"]


def check_chain(net: Network) -> None:
    """ValueError unless every layer of ``net`` has exactly one neuron."""
    if any(n != 1 for n in net.layer_sizes):
        raise ValueError(
            f"the scalar formulation covers width-1 chains only (every layer one neuron, "
            f"e.g. Network([1, 1, 1, 1])); got {net}"
        )


def _act(net: Network, l: int, z: float) -> float:
    if l < net.L:
        return scalar_function(net.hidden, net.slope)[0](z)
    return z if net.output == "identity" else scalar_sigmoid(z)


def _act_prime(net: Network, l: int, z: float) -> float:
    if l < net.L:
        return scalar_function(net.hidden, net.slope)[1](z)
    return 1.0 if net.output == "identity" else scalar_sigmoid_prime(z)


def chain_forward(net: Network, w: List[float], b: List[float], x: float) -> Tuple[list, list]:
    """z[l] = z^l and a[l] = a^l for l = 1..L (z[0] is None, a[0] = x); w[l], b[l] as floats."""
    z, a = [None], [x]
    for l in range(1, net.L + 1):
        z.append(w[l] * a[l - 1] + b[l] if net.bias else w[l] * a[l - 1])
        a.append(_act(net, l, z[l]))
    return z, a


def bp1_output_error(net: Network, z_L: float, a_L: float, y: float) -> float:
    """BP1: delta^L = (a^L - y) sigma'(z^L), or a^L - y for the binary cross-entropy."""
    if net.loss == "binary_cross_entropy":
        return a_L - y
    return (a_L - y) * _act_prime(net, net.L, z_L)


def bp2_hidden_error(net: Network, l: int, w_next: float, delta_next: float, z_l: float) -> float:
    """BP2: delta^l = w^{l+1} delta^{l+1} sigma'(z^l)."""
    return w_next * delta_next * _act_prime(net, l, z_l)


def bp3_bias_gradient(delta_l: float) -> float:
    """BP3: dC/db^l = delta^l."""
    return delta_l


def bp4_weight_gradient(delta_l: float, a_prev: float) -> float:
    """BP4: dC/dw^l = a^{l-1} delta^l."""
    return a_prev * delta_l


def backprop_1d(net: Network, w: List[float], b: List[float], x: float, y: float):
    """(dC/dw, dC/db) for one sample, each a list indexed by layer (index 0 unused)."""
    L = net.L
    z, a = chain_forward(net, w, b, x)
    dw, db = [None] * (L + 1), [None] * (L + 1)
    delta = bp1_output_error(net, z[L], a[L], y)
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(net, l, w[l + 1], delta, z[l])
        dw[l], db[l] = bp4_weight_gradient(delta, a[l - 1]), bp3_bias_gradient(delta)
    return dw, db


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """Mean over samples of the scalar chain gradients, as [(dW^l (1,1), db^l (1,))]."""
    check_chain(net)
    L, N = net.L, X.shape[1]
    w = [None] + [float(W[0, 0]) for W, _ in params]
    b = [None] + [float(bl[0]) for _, bl in params]
    gw, gb = [0.0] * (L + 1), [0.0] * (L + 1)
    for i in range(N):
        dw, db = backprop_1d(net, w, b, float(X[0, i]), float(Y[0, i]))
        for l in range(1, L + 1):
            gw[l] += dw[l]
            gb[l] += db[l]
    return add_l2(net, params, [(np.array([[gw[l] / N]]), np.array([gb[l] / N if net.bias else 0.0]))
                                for l in range(1, L + 1)])
