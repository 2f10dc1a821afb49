"""All Hypothesis strategies of the project, composed like ``hypothesis.extra.numpy``.

Every strategy takes keyword-only arguments with deliberate default bounds and
states its shrink direction.  Networks shrink toward fewer layers, narrower
layers and a sigmoid output; batches toward N = 1; parameter scales toward 1.0
and entries toward 0; so a failure is reported on the smallest network and
batch that still shows it.

Networks drawn inside a ``Support`` carry its model (issue 16): a hidden activation
of ``support.hiddens`` (shrinking toward the first), its loss, biases and slope;
a softmax output gets at least two units; targets lie where the loss wants them
(class labels on the simplex for a softmax output); biases are 0 without biases;
and a ReLU network may have hidden pre-activations put near the kink
(``near_kinks``: shrinks toward not moving them).  The L2 term's lambda depends
on the batch size and is set by ``Context.prepare``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference.forward import forward
from reference.network import Network, Params

__all__ = ["Problem", "networks", "parameters", "batches", "problems", "chains", "SCALES",
           "LARGE_SCALES", "supported_networks", "problems_in", "permutations_of", "model_network",
           "class_targets", "near_kinks", "KINK_DISTANCES", "with_hidden_unit"]

#: Parameter scales, ordered so that shrinking goes toward 1.0.  0.01 gives
#: near-linear units; 10 and 30 saturate sigmoids (|z| in the hundreds).
SCALES = (1.0, 0.1, 3.0, 0.01, 10.0, 30.0)

#: Scales that reach |z| in the thousands: exp(-z) overflows float64 beyond
#: |z| = 709 and float32 beyond 88.  Shrinks toward 1.0.
LARGE_SCALES = (1.0, 30.0, 300.0)


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


#: Arrays with more entries are drawn from a seed (numpy Generator) instead of entry by entry.
ELEMENTWISE_LIMIT = 64


@lru_cache(maxsize=None)
def _unit_arrays(shape: Tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with entries in [-1, 1] (cached: building strategies is costly).

    Up to ``ELEMENTWISE_LIMIT`` entries each entry is drawn (and shrinks toward 0);
    larger arrays (a 784-256-128-10 network) come from a drawn seed through a
    local ``numpy.random.Generator``, which shrinks toward seed 0 only.
    """
    if int(np.prod(shape)) <= ELEMENTWISE_LIMIT:
        return hnp.arrays(np.float64, shape, elements=_unit_floats())
    return st.integers(0, 2 ** 32 - 1).map(lambda s: np.random.default_rng(s).uniform(-1.0, 1.0, shape))


@lru_cache(maxsize=None)
def _sampled(values: tuple) -> st.SearchStrategy:
    return st.sampled_from(values)


@lru_cache(maxsize=None)
def _integers(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@lru_cache(maxsize=None)
def _target_arrays(shape: Tuple[int, ...], sigmoid: bool) -> st.SearchStrategy[np.ndarray]:
    if int(np.prod(shape)) > ELEMENTWISE_LIMIT:
        return _unit_arrays(shape).map(lambda a: 0.5 * (a + 1.0) if sigmoid else a)
    elements = st.floats(0.0, 1.0, allow_subnormal=False) if sigmoid else _unit_floats()
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def parameters(draw, net: Network, *, scales: Sequence[float] = SCALES) -> Params:
    """(W^l, b^l) float64 pairs for ``net``: entries uniform-ish in [-1, 1] times a drawn scale.

    One scale per layer, drawn from ``scales`` (shrinks toward ``scales[0]``);
    entries shrink toward 0.
    """
    params = []
    for l in range(1, net.L + 1):
        scale = draw(_sampled(tuple(scales)))
        W = draw(_unit_arrays(net.weight_shape(l))) * scale
        b = draw(_unit_arrays(net.bias_shape(l))) * scale if net.bias else np.zeros(net.bias_shape(l))
        params.append((W, b))
    return params


@st.composite
def batches(draw, net: Network, *, min_N: int = 1, max_N: int = 8,
            input_scale: float = 3.0) -> Tuple[np.ndarray, np.ndarray]:
    """(X, Y) of shapes (n_0, N), (n_L, N), N in ``min_N..max_N`` (shrinks toward ``min_N``).

    X entries lie in [-input_scale, input_scale]; Y in [0, 1] for a sigmoid
    output and [-input_scale, input_scale] for an identity output.
    """
    N = draw(_integers(min_N, max_N))
    X = draw(_unit_arrays((net.n(0), N))) * input_scale
    if net.output == "softmax":
        return X, draw(class_targets(net.n(net.L), N))
    Y = draw(_target_arrays((net.n(net.L), N), net.output == "sigmoid"))
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


def _bounds(lo_sup: int, hi_sup: int, lo: Optional[int], hi: Optional[int]) -> Tuple[int, int]:
    return max(lo_sup, lo if lo is not None else lo_sup), min(hi_sup, hi if hi is not None else hi_sup)


def _n_params(sizes: Sequence[int]) -> int:
    return sum(n * (m + 1) for m, n in zip(sizes[:-1], sizes[1:]))


def _fits(sizes: Sequence[int], depth: Tuple[int, int], width: Tuple[int, int],
          max_params: Optional[int], hidden_width_at_least: Optional[int]) -> bool:
    L = len(sizes) - 1
    if not (depth[0] <= L <= depth[1] and all(width[0] <= n <= width[1] for n in sizes)):
        return False
    if max_params is not None and _n_params(sizes) > max_params:
        return False
    return hidden_width_at_least is None or any(n >= hidden_width_at_least for n in sizes[1:-1])


def _fixed_networks(support, outputs, min_depth, max_depth, max_params, hidden_width_at_least):
    """The declared architectures that fit the bounds, smallest first, or None."""
    fixed = sorted({tuple(s) for s in support.layer_sizes
                    if _fits(s, (min_depth or 1, max_depth or 10 ** 6), (1, 10 ** 6), max_params, hidden_width_at_least)},
                   key=lambda s: (_n_params(s), s))
    pairs = [(s, o) for s in fixed for o in outputs if o != "softmax" or s[-1] >= 2]
    if not pairs:
        return None
    return st.builds(lambda so, h: model_network(support, so[0], so[1], h), st.sampled_from(pairs),
                     st.sampled_from(tuple(support.hiddens)))


def supported_networks(support, *, min_depth: Optional[int] = None, max_depth: Optional[int] = None,
                       min_width: Optional[int] = None, max_width: Optional[int] = None,
                       max_params: Optional[int] = None,
                       hidden_width_at_least: Optional[int] = None) -> Optional[st.SearchStrategy[Network]]:
    """Networks inside a ``Support`` and the extra bounds, or None when none exists.

    Shrinks toward the shallowest, narrowest network and the first declared
    output.  With a fixed ``support.layer_sizes`` list it samples from the
    architectures that fit, smallest first.  ``max_params`` caps the parameter
    count (for full finite differences); ``hidden_width_at_least`` asks for a
    hidden layer at least that wide (for hidden-unit permutations).
    """
    support = support.drawn()
    depth = _bounds(support.min_depth, support.max_depth, min_depth, max_depth)
    width = _bounds(support.min_width, support.max_width, min_width, max_width)
    outputs = tuple(support.outputs)
    if support.layer_sizes is not None:
        return _fixed_networks(support, outputs, min_depth, max_depth, max_params, hidden_width_at_least)
    if hidden_width_at_least is not None:
        depth = (max(depth[0], 2), depth[1])
        if width[1] < hidden_width_at_least:
            return None
    if depth[0] > depth[1] or width[0] > width[1]:
        return None
    if max_params is not None and _n_params([width[0]] * (depth[0] + 1)) > max_params:
        return None

    @st.composite
    def draw_net(draw):
        L = draw(_integers(*depth))
        sizes = [draw(_integers(*width)) for _ in range(L + 1)]
        output = draw(_sampled(outputs))
        if output == "softmax" and sizes[-1] < 2:
            sizes[-1] = max(2, width[0])
        if hidden_width_at_least is not None and not any(n >= hidden_width_at_least for n in sizes[1:-1]):
            j = draw(_integers(1, L - 1))
            sizes[j] = draw(_integers(max(hidden_width_at_least, width[0]), width[1]))
        while max_params is not None and _n_params(sizes) > max_params:
            j = max(range(L + 1), key=lambda i: sizes[i])
            sizes[j] -= 1
            if sizes[j] < width[0] or sizes[j] < 1 or (j == L and output == "softmax" and sizes[j] < 2):
                break
        if output == "softmax" and sizes[-1] < 2:
            return None
        return model_network(support, sizes, output, draw(_sampled(tuple(support.hiddens))))

    return draw_net().filter(lambda net: net is not None and _fits(net.layer_sizes, depth, width, max_params,
                                                                   hidden_width_at_least))


def problems_in(support, *, scales: Sequence[float] = SCALES, min_N: Optional[int] = None,
                max_N: Optional[int] = None, **network_bounds) -> Optional[st.SearchStrategy[Problem]]:
    """Problems inside a ``Support`` (and the extra bounds), or None when none exists.

    ``network_bounds`` go to ``supported_networks``; N lies in the intersection
    of the support's and the given bounds and shrinks toward its minimum.
    """
    support = support.drawn()
    nets = supported_networks(support, **network_bounds)
    lo_N, hi_N = _bounds(support.min_N, support.max_N, min_N, max_N)
    if nets is None or lo_N > hi_N:
        return None

    @st.composite
    def draw_problem(draw):
        net = draw(nets)
        params = draw(parameters(net, scales=scales))
        X, Y = draw(batches(net, min_N=lo_N, max_N=hi_N))
        if net.kinked:
            params = draw(near_kinks(net, params, X))
        return Problem(net, params, X, Y)

    return draw_problem()


@lru_cache(maxsize=None)
def permutations_of(n: int, *, non_identity: bool = True) -> st.SearchStrategy[Tuple[int, ...]]:
    """Permutations of range(n) (n >= 2 when non_identity), shrinking toward a single swap of 0 and 1."""
    perms = st.permutations(list(range(n)))
    if non_identity:
        perms = perms.map(lambda p: tuple(p) if list(p) != list(range(n)) else (1, 0) + tuple(range(2, n)))
    return perms.map(tuple)


# ----------------------------------------------------------------- the models of issue 16

def model_network(support, sizes: Sequence[int], output: str, hidden: str) -> Network:
    """``Network(sizes, output)`` with the support's model: hidden activation, loss, biases, slope,
    L2 on the biases (lambda itself is set per batch size by ``Context.prepare``)."""
    m = getattr(support, "model", None)
    if m is None:
        return Network(sizes, output=output, hidden=hidden)
    slope = {"slope": m.slope} if hidden == "leaky_relu" else {}
    return Network(sizes, output=output, hidden=hidden, loss=m.loss, bias=m.bias, l2_bias=m.l2_bias, **slope)


@lru_cache(maxsize=None)
def class_targets(n: int, N: int) -> st.SearchStrategy[np.ndarray]:
    """Targets on the simplex, (n, N): each column one-hot, or the mean of two one-hot columns (a soft
    label of halves, which sums to exactly 1 also in float32).  Shrinks toward class 0, one-hot."""
    pairs = st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=N, max_size=N)

    def build(chosen):
        Y = np.zeros((n, N))
        for i, (c, d) in enumerate(chosen):
            Y[c, i] += 0.5
            Y[d, i] += 0.5
        return Y
    return pairs.map(build)


#: How far from the kink ``near_kinks`` puts a hidden pre-activation: exactly on it, or 1e-12 .. 1e-3 away.
KINK_DISTANCES = (0.0, 1e-12, 1e-9, 1e-6, 1e-3)


@st.composite
def near_kinks(draw, net: Network, params, X: np.ndarray):
    """Parameters with, in each hidden layer l, some units' z^l_j at one sample moved to +-d of the kink
    (d from ``KINK_DISTANCES``), or ``params`` unchanged: shrinks toward unchanged, then d = 0.

    The bias b^l_j is moved (without biases, the unit's weights along that sample's a^{l-1}),
    layer by layer from the first, so that later layers see the moved activations.
    """
    if not draw(st.booleans()):
        return params
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    for l in range(1, net.L):
        z = forward(net, params, X).z(l)
        units = draw(st.lists(_integers(0, net.n(l) - 1), min_size=1, max_size=net.n(l), unique=True))
        for j in units:
            i = draw(_integers(0, X.shape[1] - 1))
            target = draw(_sampled(KINK_DISTANCES)) * draw(_sampled((1.0, -1.0)))
            W, b = params[l - 1]
            if net.bias:
                b[j] += target - z[j, i]
            else:
                a = forward(net, params, X).a(l - 1)[:, i]
                if float(a @ a) > 0:
                    W[j] += (target - z[j, i]) * a / float(a @ a)
    return params


@st.composite
def with_hidden_unit(draw, problems: st.SearchStrategy[Problem]):
    """(problem, l, k): a problem with a hidden layer and one of its units, unit k of layer l (1 <= l < L).

    Shrinks toward the first hidden layer and its first unit.
    """
    p = draw(problems)
    l = draw(st.integers(1, p.net.L - 1))
    return p, l, draw(st.integers(0, p.net.n(l) - 1))
