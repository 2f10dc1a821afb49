"""All Hypothesis strategies of the project, composed like ``hypothesis.extra.numpy``.

Every strategy takes keyword-only arguments with deliberate default bounds and
states its shrink direction.  Networks shrink toward fewer layers, narrower
layers and a sigmoid output; batches toward N = 1; parameter scales toward 1.0
and entries toward 0; so a failure is reported on the smallest network and
batch that still shows it.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference.network import Network, Params

__all__ = ["Problem", "networks", "parameters", "batches", "problems", "chains", "SCALES"]

#: Parameter scales, ordered so that shrinking goes toward 1.0.  0.01 gives
#: near-linear units; 10 and 30 saturate sigmoids (|z| in the hundreds).
SCALES = (1.0, 0.1, 3.0, 0.01, 10.0, 30.0)


class Problem(NamedTuple):
    """One drawn case: a network, its parameters and a batch (X, Y)."""

    net: Network
    params: Params
    X: np.ndarray
    Y: np.ndarray

    def describe(self) -> str:
        return f"{self.net} with N = {self.X.shape[1]}"


@st.composite
def networks(draw, *, min_depth: int = 1, max_depth: int = 4, min_width: int = 1,
             max_width: int = 6, outputs: Sequence[str] = ("sigmoid", "identity")) -> Network:
    """A Network with ``min_depth..max_depth`` weight layers of widths ``min_width..max_width``.

    Shrinks toward ``min_depth`` layers of ``min_width`` and ``outputs[0]``.
    """
    depth = draw(st.integers(min_depth, max_depth))
    sizes = draw(st.lists(st.integers(min_width, max_width), min_size=depth + 1, max_size=depth + 1))
    return Network(sizes, output=draw(st.sampled_from(tuple(outputs))))


def _unit_floats() -> st.SearchStrategy[float]:
    """Floats in [-1, 1]; magnitudes below 1e-12 become exactly 0.0.

    Values like 6e-265 say nothing about backprop but make every loss underflow,
    so finite differences could not see them; 0.0 itself stays reachable.
    """
    return st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, allow_subnormal=False).map(
        lambda x: 0.0 if abs(x) < 1e-12 else x)


@st.composite
def parameters(draw, net: Network, *, scales: Sequence[float] = SCALES) -> Params:
    """(W^l, b^l) float64 pairs for ``net``: entries uniform-ish in [-1, 1] times a drawn scale.

    One scale per layer, drawn from ``scales`` (shrinks toward ``scales[0]``);
    entries shrink toward 0.
    """
    params = []
    for l in range(1, net.L + 1):
        scale = draw(st.sampled_from(tuple(scales)))
        W = draw(hnp.arrays(np.float64, net.weight_shape(l), elements=_unit_floats())) * scale
        b = draw(hnp.arrays(np.float64, net.bias_shape(l), elements=_unit_floats())) * scale
        params.append((W, b))
    return params


@st.composite
def batches(draw, net: Network, *, min_N: int = 1, max_N: int = 8,
            input_scale: float = 3.0) -> Tuple[np.ndarray, np.ndarray]:
    """(X, Y) of shapes (n_0, N), (n_L, N), N in ``min_N..max_N`` (shrinks toward ``min_N``).

    X entries lie in [-input_scale, input_scale]; Y in [0, 1] for a sigmoid
    output and [-input_scale, input_scale] for an identity output.
    """
    N = draw(st.integers(min_N, max_N))
    X = draw(hnp.arrays(np.float64, (net.n(0), N), elements=_unit_floats())) * input_scale
    y_elements = st.floats(0.0, 1.0, allow_subnormal=False) if net.output == "sigmoid" else _unit_floats()
    Y = draw(hnp.arrays(np.float64, (net.n(net.L), N), elements=y_elements))
    if net.output == "identity":
        Y = Y * input_scale
    return X, Y


@st.composite
def problems(draw, *, min_depth: int = 1, max_depth: int = 4, min_width: int = 1, max_width: int = 6,
             min_N: int = 1, max_N: int = 8, outputs: Sequence[str] = ("sigmoid", "identity"),
             scales: Sequence[float] = SCALES) -> Problem:
    """A whole ``Problem``: network, parameters and batch, each shrinking as documented above."""
    net = draw(networks(min_depth=min_depth, max_depth=max_depth, min_width=min_width,
                        max_width=max_width, outputs=outputs))
    params = draw(parameters(net, scales=scales))
    X, Y = draw(batches(net, min_N=min_N, max_N=max_N))
    return Problem(net, params, X, Y)


def chains(*, min_depth: int = 1, max_depth: int = 4, min_N: int = 1, max_N: int = 8,
           scales: Sequence[float] = SCALES) -> st.SearchStrategy[Problem]:
    """Problems on width-1 chains (every layer one neuron): the scalar formulation's domain."""
    return problems(min_depth=min_depth, max_depth=max_depth, min_width=1, max_width=1,
                    min_N=min_N, max_N=max_N, scales=scales)
