"""The forward pass and the loss, shared by every formulation.

    a^0 = X,   z^l = W^l a^{l-1} + b^l,   a^l = sigma(z^l)   (l = 1..L)

with the identity in place of sigma at l = L when ``net.output == "identity"``.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

import numpy as np

from reference.activations import sigmoid, sigmoid_prime
from reference.network import Network, Params
from reference.validation import check_data, check_inputs, check_params

__all__ = ["ForwardPass", "forward", "loss", "activation", "activation_prime"]


class ForwardPass(NamedTuple):
    """Every z^l and a^l of one forward pass; ``zs[l-1] = z^l``, ``activations[l] = a^l``."""

    zs: Tuple[np.ndarray, ...]
    activations: Tuple[np.ndarray, ...]

    def z(self, l: int) -> np.ndarray:
        """z^l, shape (n_l, N), for l = 1..L."""
        if not 1 <= l <= len(self.zs):
            raise ValueError(f"z^{l} does not exist: layers are 1..{len(self.zs)}")
        return self.zs[l - 1]

    def a(self, l: int) -> np.ndarray:
        """a^l, shape (n_l, N), for l = 0..L (a^0 is the input X)."""
        if not 0 <= l < len(self.activations):
            raise ValueError(f"a^{l} does not exist: layers are 0..{len(self.activations) - 1}")
        return self.activations[l]


def activation(net: Network, l: int, z: np.ndarray) -> np.ndarray:
    """a^l = sigma(z^l), or z^L itself for an identity output layer."""
    if l == net.L and net.output == "identity":
        return z.copy()
    return sigmoid(z)


def activation_prime(net: Network, l: int, z: np.ndarray) -> np.ndarray:
    """da^l/dz^l elementwise: sigma'(z^l), or ones for an identity output layer."""
    if l == net.L and net.output == "identity":
        return np.ones_like(z)
    return sigmoid_prime(z)


def forward_unchecked(net: Network, params: Params, X: np.ndarray) -> ForwardPass:
    """The forward pass on already validated float64 arrays."""
    zs, activations = [], [X]
    for l, (W, b) in enumerate(params, start=1):
        z = W @ activations[-1] + b[:, np.newaxis]
        zs.append(z)
        activations.append(activation(net, l, z))
    return ForwardPass(tuple(zs), tuple(activations))


def forward(net: Network, params: Params, X) -> ForwardPass:
    """Every z^l (n_l, N) and a^l (n_l, N) for inputs X of shape (n_0, N)."""
    params = check_params(net, params)
    X = check_inputs(net, X)
    return forward_unchecked(net, params, X)


def loss_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """C on validated arrays (see ``loss``)."""
    aL = forward_unchecked(net, params, X).activations[-1]
    N = X.shape[1]
    return float(0.5 * np.sum((aL - Y) ** 2) / N)


def loss(net: Network, params: Params, X, Y) -> float:
    """C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 for X (n_0, N) and Y (n_L, N)."""
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    return loss_unchecked(net, params, X, Y)
