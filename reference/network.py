"""The network specification: layer sizes and output activation, nothing else.

A ``Network`` holds no parameters; parameters are a separate list of (W, b)
pairs so that every function stays pure (arrays in, new arrays out).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import List, Sequence, Tuple, Union

import numpy as np

__all__ = ["Network", "Params", "OUTPUTS", "as_generator"]

#: A list of (W^l, b^l) pairs, ``params[l - 1] == (W^l, b^l)``.
Params = List[Tuple[np.ndarray, np.ndarray]]

#: Output activations the reference knows.  Hidden layers are always sigmoid.
OUTPUTS = ("sigmoid", "identity")


def as_generator(rng: Union[np.random.Generator, int]) -> np.random.Generator:
    """A numpy Generator from a Generator or an integer seed (never global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
    )


@dataclass(frozen=True)
class Network:
    """A fully connected network ``[n_0, n_1, ..., n_L]`` with sigmoid hidden layers.

    ``output`` is "sigmoid" (the documents' default) or "identity" (the forum
    question's linear output layer).
    """

    layer_sizes: Tuple[int, ...]
    output: str = "sigmoid"

    def __init__(self, layer_sizes: Sequence[int], output: str = "sigmoid") -> None:
        sizes = _checked_sizes(layer_sizes)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "output", output)

    @property
    def L(self) -> int:
        """Number of weight layers (the documents' L)."""
        return len(self.layer_sizes) - 1

    def n(self, l: int) -> int:
        """n_l, the width of layer l (l = 0 is the input)."""
        if not 0 <= l <= self.L:
            raise ValueError(f"layer {l} out of range 0..{self.L} for {self}")
        return self.layer_sizes[l]

    def weight_shape(self, l: int) -> Tuple[int, int]:
        """Shape of W^l, (n_l, n_{l-1}), for l = 1..L."""
        self._check_weight_layer(l)
        return (self.layer_sizes[l], self.layer_sizes[l - 1])

    def bias_shape(self, l: int) -> Tuple[int]:
        """Shape of b^l, (n_l,), for l = 1..L."""
        self._check_weight_layer(l)
        return (self.layer_sizes[l],)

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters, sum over l of n_l (n_{l-1} + 1)."""
        return sum(n * (m + 1) for m, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))

    def init(self, rng: Union[np.random.Generator, int]) -> Params:
        """He ('Kaiming') initial values as in the first document.

        W^l ~ Normal(0, 2 / n_{l-1}) of shape (n_l, n_{l-1}); b^l = 0 of shape (n_l,).
        ``rng`` is a numpy Generator or an integer seed; no global state is used.
        """
        gen = as_generator(rng)
        params: Params = []
        for l in range(1, self.L + 1):
            n_out, n_in = self.weight_shape(l)
            W = gen.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
            params.append((W, np.zeros(n_out)))
        return params

    def _check_weight_layer(self, l: int) -> None:
        if not 1 <= l <= self.L:
            raise ValueError(f"weight layer {l} out of range 1..{self.L} for {self}")

    def __repr__(self) -> str:
        sizes = list(self.layer_sizes)
        return f"Network({sizes})" if self.output == "sigmoid" else f"Network({sizes}, output={self.output!r})"


def _checked_sizes(layer_sizes: Sequence[int]) -> Tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise ValueError(f"layer_sizes must be a sequence of integers, got {layer_sizes!r}")
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least two sizes (input and output), got {list(layer_sizes)!r}"
        )
    sizes = []
    for i, n in enumerate(layer_sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise ValueError(f"layer_sizes[{i}] must be an integer, got {n!r}")
        if n < 1:
            raise ValueError(f"layer_sizes[{i}] must be at least 1, got {n}")
        sizes.append(int(n))
    return tuple(sizes)
