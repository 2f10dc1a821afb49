"""The forward pass and the loss, shared by every formulation.

    a^0 = X,   z^l = W^l a^{l-1} + b^l,   a^l = f(z^l)   (l = 1..L-1),   a^L = sigma_L(z^L)

f is the hidden activation (``net.hidden``, sigmoid by default), sigma_L the output
activation (``net.output``: sigmoid, identity or softmax, see ``reference.losses``); without
biases (``net.bias`` False) z^l = W^l a^{l-1}.  The loss is
C = (1/N) sum_i C_{x_i} + lambda/2 sum_l ||W^l||^2 (``reference.losses``).
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

import numpy as np

from reference.activations import hidden_function, sigmoid_prime
from reference.losses import data_loss, l2_penalty, output_activation
from reference.network import Network, Params
from reference.validation import check_data, check_inputs, check_params

__all__ = ["ForwardPass", "forward", "loss", "activation", "activation_prime", "pre_activation"]


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
    """a^l = f(z^l) for a hidden layer, sigma_L(z^L) at the output (a new array in every case)."""
    if l == net.L:
        return output_activation(net, z)
    return hidden_function(net.hidden, net.slope)[0](z)


def activation_prime(net: Network, l: int, z: np.ndarray) -> np.ndarray:
    """da^l/dz^l elementwise: f'(z^l) for a hidden layer; sigma'(z^L) or ones at a sigmoid or identity output.

    A softmax output has no elementwise derivative (its Jacobian couples the units): ValueError.
    """
    if l == net.L:
        if net.output == "identity":
            return np.ones_like(z)
        if net.output == "softmax":
            raise ValueError("a softmax output has no elementwise derivative: use reference.losses.output_error")
        return sigmoid_prime(z)
    return hidden_function(net.hidden, net.slope)[1](z)


def pre_activation(net: Network, W: np.ndarray, b: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """z^l = W^l a^{l-1} + b^l (W^l a^{l-1} for a network without biases), a new (n_l, N) array."""
    z = W @ a_prev
    if net.bias:
        z = z + b[:, np.newaxis]
    return z


def forward_unchecked(net: Network, params: Params, X: np.ndarray) -> ForwardPass:
    """The forward pass on already validated float64 arrays."""
    zs, activations = [], [X]
    for l, (W, b) in enumerate(params, start=1):
        z = pre_activation(net, W, b, activations[-1])
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
    fp = forward_unchecked(net, params, X)
    C = data_loss(net, fp.zs[-1], fp.activations[-1], Y)
    return C if net.l2 == 0.0 else C + l2_penalty(net, params)


def loss(net: Network, params: Params, X, Y) -> float:
    """C = (1/N) sum_i C_{x_i} (+ the L2 term) for X (n_0, N) and Y (n_L, N); C_x = 1/2 ||a^L - y||^2 by default."""
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    return loss_unchecked(net, params, X, Y)
