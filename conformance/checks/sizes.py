"""The size ladder (``sizes.*``): fixed problems past the drawn shapes, around the sizes where code changes.

Hypothesis draws networks at most 4 deep and 6 wide and batches of at most 8
(``Support.drawn``).  Real code switches behaviour on size: it streams the
batch in chunks, tiles a matrix product, changes precision for big batches,
caps a loop at the deepest network its author tried, keeps workspaces.  Each
family below is a fixed list of rungs, tried smallest first, one call per
rung, compared with the float64 reference (``batched_matrix``) within the
error model's agreement tolerance (``conformance.core.tolerances``), which
grows with N and the widths in the implementation's dtype.  The first failing
rung ends the family and fails the check, naming the last rung that passed;
the diagnosis bisects between the two and names the size condition
(``conformance.diagnosis.sizes``).

    sizes.batch   N = 15, 16, 17, 31, 32, 33, ..., 1023, 1024, 1025 on an [11, 13, 3] network (depth and
                  widths moved into the declared support), then N = 15 again after the larger batches
    sizes.width   every layer 15, 16, 17, ..., 255, 256, 257 units wide (depth 2), N = 37, then 15 again
    sizes.depth   depth 1, 2, ..., 8 on [9, 7, ..., 7, 3], N = 21
    sizes.mnist   the MNIST-shaped 784-256-128-10 with N = 1 (the cost of one sample), then N = 100

Rungs outside the declared support are skipped and named in the verdict (a
family with none inside is a skip); so are rungs whose projected call time
(from the rungs before, by the cost N sum_l n_l n_{l-1}) exceeds the ladder's
time allowance, so a slow correct implementation is never failed for a timeout
here.  Problems come from a Generator seeded by the run seed, the family and
the rung: W^l uniform in +-sqrt(3 / n_{l-1}) (z of unit scale, no saturation
at any width), b^l in +-0.5 (0 without biases), X in +-2, Y in [0, 1] (identity output: +-1; softmax:
one-hot class labels).  The rungs carry the declared model: the first declared output and hidden
activation, the loss, biases or none, the L2 term (lambda set per batch size by ``Context.prepare``).
"""
from __future__ import annotations

import time
from typing import List, Optional, Tuple

import numpy as np

from conformance.checks.agreement import agreement_failure
from conformance.checks.registry import CheckResult, register
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem, model_network
from reference.network import Network

__all__ = ["LADDERS", "AXES", "DESCRIPTIONS", "sized_problem", "rung_network", "rung_problem", "ladder_cost", "climb"]

_AROUND_POWERS = tuple(v for k in range(4, 11) for v in (2 ** k - 1, 2 ** k, 2 ** k + 1))
#: Rungs per profile: dev and ci share the standard ladder; thorough climbs further.  Each family starts
#: small, so the time of the larger rungs can be projected before they are called.
LADDERS = {
    "standard": {"N": _AROUND_POWERS, "width": _AROUND_POWERS[:15], "depth": tuple(range(1, 9)), "mnist": (1, 100)},
    "thorough": {"N": _AROUND_POWERS + (2047, 2048, 2049, 4095, 4096, 4097), "width": _AROUND_POWERS[:18],
                 "depth": tuple(range(1, 13)), "mnist": (1, 100, 1025)},
}
#: check id -> the axis its rungs move along.
AXES = {"sizes.batch": "N", "sizes.width": "width", "sizes.depth": "depth", "sizes.mnist": "mnist"}
#: The fixed sizes of the other axes: the batch network's widths, the width family's N, and so on.
BATCH_SIZES, WIDTH_N, DEPTH_N, DEPTH_SIZES, MNIST = (11, 13, 3), 37, 21, (9, 7, 3), (784, 256, 128, 10)


def _clamp(v: int, lo: int, hi: Optional[int]) -> int:
    return max(lo, v if hi is None else min(v, hi))


def _depth(support, preferred: int) -> int:
    return _clamp(preferred, support.min_depth, support.max_depth)


def _widths(support, sizes) -> List[int]:
    return [_clamp(n, support.min_width, support.max_width) for n in sizes]


def _n_params(sizes) -> int:
    return sum(n * m for m, n in zip(sizes[:-1], sizes[1:]))


def rung_network(support, axis: str, value: int) -> Network:
    """The network of the rung ``value`` on ``axis``, its fixed sizes moved into the declared support, with
    the declared model (the first declared output and hidden activation, the loss, biases, leaky slope)."""
    output = support.outputs[0]
    if axis == "mnist":
        sizes = list(MNIST)
    elif axis == "N" and support.layer_sizes is not None:   # the largest declared architecture
        sizes = list(max(support.layer_sizes, key=lambda s: (_n_params(s), s)))
    elif axis == "width":
        sizes = [value] * (_depth(support, 2) + 1)
    else:
        depth = value if axis == "depth" else _depth(support, len(BATCH_SIZES) - 1)
        first, hidden, last = (DEPTH_SIZES if axis == "depth" else BATCH_SIZES)
        sizes = _widths(support, [first] + [hidden] * (depth - 1) + [last])
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    return model_network(support, sizes, output, support.hiddens[0])


def _rung_N(support, axis: str, value: int) -> int:
    fixed = {"N": value, "width": WIDTH_N, "depth": DEPTH_N, "mnist": value}[axis]
    return fixed if axis == "N" else _clamp(fixed, support.min_N, support.max_N)


def sized_problem(net: Network, N: int, seed: int) -> Problem:
    """A deterministic problem of any size from one seeded Generator (see the module docstring)."""
    rng = np.random.default_rng([seed, N] + list(net.layer_sizes))
    params = [(rng.uniform(-1, 1, net.weight_shape(l)) * np.sqrt(3.0 / net.n(l - 1)),
               rng.uniform(-0.5, 0.5, net.bias_shape(l))) for l in range(1, net.L + 1)]
    if not net.bias:
        params = [(W, np.zeros_like(b)) for W, b in params]
    X = rng.uniform(-2, 2, (net.n(0), N))
    n_L = net.n(net.L)
    if net.output == "softmax":        # class labels: one-hot columns (on the simplex, as the cross-entropy needs)
        Y = np.eye(n_L)[:, rng.integers(0, n_L, N)]
    elif net.output == "sigmoid":
        Y = rng.uniform(0, 1, (n_L, N))
    else:
        Y = rng.uniform(-1, 1, (n_L, N))
    return Problem(net, params, X, Y)


def rung_problem(ctx: Context, check: str, value: int) -> Tuple[Optional[Problem], str]:
    """(the rung's problem in the implementation's dtype, '') or (None, what lies outside the support)."""
    axis, support = AXES[check], ctx.impl.support
    net, N = rung_network(support, axis, value), _rung_N(support, axis, value)
    gap = support.gap(net, N)
    if gap:
        return None, gap
    return ctx.prepare(sized_problem(net, N, ctx.seed_for(check))), ""


def ladder_cost(p: Problem) -> float:
    """The cost of one call, up to a constant: N (sum_l n_l n_{l-1} + sum_l n_l)."""
    return p.X.shape[1] * (_n_params(p.net.layer_sizes) + sum(p.net.layer_sizes[1:]))


def _rung_words(axis: str, value) -> str:
    return {"N": "N = {}", "width": "width {}", "depth": "depth {}", "mnist": "N = {} on 784-256-128-10"}[axis].format(value)


class _Climb:
    """One family's climb: rungs run, rungs skipped (outside the support, or projected too slow)."""

    def __init__(self, ctx: Context, check: str):
        self.ctx, self.check, self.axis = ctx, check, AXES[check]
        self.passed: List[int] = []
        self.outside: List[Tuple[int, str]] = []
        self.too_slow: List[Tuple[int, float]] = []
        self.per_cost = 0.0                       # the implementation's seconds per unit of cost
        self.start, self.allowance = time.perf_counter(), ctx.budget("ladder_s")

    def projected(self, p: Problem) -> float:
        return self.per_cost * ladder_cost(p)

    def affordable(self, p: Problem) -> bool:
        """The rung's projected call time fits the per-call limit's half and the time left to the ladder."""
        if not self.passed:
            return True
        left = self.allowance - (time.perf_counter() - self.start)
        limit = self.ctx.impl.time_limit or self.ctx.time_limit or float("inf")
        return self.projected(p) <= min(0.5 * limit, left)

    def run(self, value: int, p: Problem, *, again: bool = False) -> None:
        """One rung: the implementation against the reference; CheckFailure (with the ladder's data) if wrong."""
        try:
            out = agreement_failure(self.ctx, self.check, p)
        except CheckFailure as failure:
            failure.data["ladder"] = {"check": self.check, "axis": self.axis,
                                      "failed": p.X.shape[1] if self.axis == "mnist" else value,
                                      "passed": self.passed[-1] if self.passed else None,
                                      "after": max(self.passed) if again else None}
            if failure.hint is None and again:
                failure.hint = "hidden_state"
            raise
        if not again:   # seconds per unit of cost at the largest rung so far (fixed overheads fade)
            self.per_cost = out.seconds / max(ladder_cost(p), 1.0)
        if not again:
            self.passed.append(value)

    def notes(self) -> List[str]:
        out = []
        if self.outside:
            values = ", ".join(str(v) for v, _ in self.outside)
            out.append(f"outside the declared support ({self.outside[0][1]}): {self.axis} = {values}")
        if self.too_slow:
            v, secs = self.too_slow[0]
            out.append(f"not run, projected beyond the ladder's time allowance ({secs:.3g} s per call at "
                       f"{_rung_words(self.axis, v)}): {self.axis} = {', '.join(str(v) for v, _ in self.too_slow)}")
        return out


def climb(ctx: Context, check: str) -> CheckResult:
    """Run one family's rungs, smallest first; stop at the first failure."""
    profile = "thorough" if ctx.profile == "thorough" else "standard"
    c = _Climb(ctx, check)
    first = None
    for value in LADDERS[profile][c.axis]:
        p, gap = rung_problem(ctx, check, value)
        if p is None:
            c.outside.append((value, gap))
            continue
        if not c.affordable(p):
            c.too_slow.append((value, c.projected(p)))
            continue
        first = first or (value, p)
        try:
            c.run(value, p)
        except CheckFailure as failure:
            before = f"; {_rung_words(c.axis, c.passed[-1])} passed" if c.passed else ""
            failure.message += f"\n  (size ladder: first failing rung {_rung_words(c.axis, value)}{before})"
            return CheckResult("fail", failure.message, failure, len(c.passed) + 1, c.notes())
    if not c.passed:
        reason = c.notes()[0] if c.notes() else "no rung"
        return CheckResult("skip", f"no rung of the size ladder lies inside the declared support: {reason}",
                           notes=c.notes())
    if c.axis in ("N", "width") and len(c.passed) > 1:   # the smallest rung again, after the larger calls
        try:
            c.run(first[0], first[1], again=True)
        except CheckFailure as failure:
            failure.message += (f"\n  (size ladder: {_rung_words(c.axis, first[0])} passed first, then failed after "
                                f"the calls up to {_rung_words(c.axis, max(c.passed))}: state kept from a larger call)")
            return CheckResult("fail", failure.message, failure, len(c.passed) + 1, c.notes())
    words = ", ".join(str(v) for v in c.passed)
    return CheckResult("pass", f"{len(c.passed)} rungs agree with the reference ({c.axis} = {words})",
                       examples=len(c.passed), notes=c.notes())


#: check id -> what it asserts (the registry's description).
DESCRIPTIONS = {
    "sizes.batch": "agrees with the reference for batches of 15 to 1025 samples, around powers of two",
    "sizes.width": "agrees with the reference for layers 15 to 257 units wide, around powers of two",
    "sizes.depth": "agrees with the reference for networks 1 to 8 layers deep",
    "sizes.mnist": "agrees with the reference on the MNIST-shaped 784-256-128-10 network",
}


def _ladder(check: str):
    def run(ctx: Context) -> CheckResult:
        return climb(ctx, check)
    run.__name__ = check.split(".")[1]
    return run


for _check, _words in DESCRIPTIONS.items():
    register(_check, _words)(_ladder(_check))
