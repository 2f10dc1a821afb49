"""Parameters as one flat vector theta and back, in a fixed documented order.

Order: W^1 (row-major), b^1, W^2, b^2, ..., W^L, b^L.  ``param_index(net, i)``
names entry i as (layer, "W" or "b", index) so that any flat position can be
reported in the documents' terms.
"""
from __future__ import annotations

from typing import Iterator, Tuple

import numpy as np

from reference.network import Network, Params

__all__ = ["flatten", "unflatten", "param_index", "param_slices", "zeros_like_params"]


def param_slices(net: Network) -> Iterator[Tuple[int, str, slice, tuple]]:
    """(l, "W" or "b", slice into theta, shape) for every array, in theta order."""
    start = 0
    for l in range(1, net.L + 1):
        for name, shape in (("W", net.weight_shape(l)), ("b", net.bias_shape(l))):
            size = int(np.prod(shape))
            yield l, name, slice(start, start + size), shape
            start += size


def flatten(params: Params) -> np.ndarray:
    """theta = concat(W^1.ravel(), b^1, ..., W^L.ravel(), b^L), a new float64 vector."""
    parts = []
    for W, b in params:
        parts.append(np.asarray(W, dtype=np.float64).ravel())
        parts.append(np.asarray(b, dtype=np.float64).ravel())
    return np.concatenate(parts)


def unflatten(net: Network, theta: np.ndarray) -> Params:
    """The (W^l, b^l) pairs of ``net`` from a flat vector of length ``net.n_params`` (copies)."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (net.n_params,):
        raise ValueError(f"theta has shape {theta.shape}; expected ({net.n_params},) for {net}")
    arrays = [theta[s].reshape(shape).copy() for _, _, s, shape in param_slices(net)]
    return [(arrays[2 * i], arrays[2 * i + 1]) for i in range(net.L)]


def param_index(net: Network, i: int) -> Tuple[int, str, tuple]:
    """(layer l, "W" or "b", index within that array) of flat position i."""
    for l, name, s, shape in param_slices(net):
        if s.start <= i < s.stop:
            return l, name, tuple(int(k) for k in np.unravel_index(i - s.start, shape))
    raise ValueError(f"flat index {i} out of range 0..{net.n_params - 1} for {net}")


def zeros_like_params(net: Network) -> Params:
    """Fresh zero arrays in the shapes of ``net``'s parameters."""
    return [(np.zeros(net.weight_shape(l)), np.zeros(net.bias_shape(l))) for l in range(1, net.L + 1)]
