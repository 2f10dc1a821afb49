"""The size condition of a failure on the size ladder, found by bisection (``conformance.checks.sizes``).

A ladder check stops at its first failing rung and records the last rung that
passed.  ``size_condition`` bisects between the two (one call per size, on the
ladder's own problems) for the smallest failing size b, with c = b - 1 the
largest passing one, then

* for batch sizes and widths tries 2c, 3c (pass?) and 2c + 1 (fail?): a chunk
  or tile of c whose ragged tail is mishandled reads "every N not a multiple of c";
* names what is wrong at b: errors of float32 size (within the float32
  tolerance, outside the float64 one), whole layers of zeros, the last columns
  or rows of dC/dW^l, got = c x expected, or how many entries;

and words it the way a person would: "right for N <= 48, wrong from N = 49
(every N not a multiple of 48)", "right up to depth 3; from depth 4 the first
layer's gradients are zero", "right up to width 24; for width 25 the last column
of dC/dW^1 and dC/dW^2 is zero", "errors of float32 size from N = 513".
A failure of the smallest rung again after the larger ones is state kept from
a larger call.  The MNIST-shaped network, when it fails for every N, is
bisected over the width of its first layer whose narrowing lets it pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from conformance.checks.sizes import AXES, rung_problem, sized_problem
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem
from conformance.core.tolerances import agreement_tolerance
from conformance.diagnosis.factors import Observation, explain, fit_factor
from conformance.diagnosis.probes import Evaluation, evaluate
from reference.network import Network

__all__ = ["SizeFinding", "size_condition", "what_is_wrong"]

_CAUSE = {"N": "wrong_from_batch_size", "width": "wrong_from_width", "depth": "wrong_from_depth",
          "mnist": "wrong_from_batch_size"}
_ORDINAL = {1: "first", 2: "second", 3: "third"}


@dataclass
class SizeFinding:
    """The boundary problem, its evaluation, the cause key and the condition in words."""

    evaluation: Evaluation
    cause: str
    words: str


class _Sizes:
    """Evaluations of problems built by ``make(size)`` (None outside the support), each size called once."""

    def __init__(self, ctx: Context, make: Callable[[int], Optional[Problem]]):
        self.ctx, self.make, self.seen = ctx, make, {}

    def at(self, value: int) -> Optional[Evaluation]:
        if value not in self.seen:
            p = self.make(value)
            self.seen[value] = None if p is None else evaluate(self.ctx, p)
        return self.seen[value]

    def fails(self, value: int) -> Optional[bool]:
        ev = self.at(value)
        return None if ev is None else ev.failed


def _lowest(ctx: Context, axis: str) -> int:
    sup = ctx.impl.support
    return {"N": sup.min_N, "mnist": sup.min_N, "width": sup.min_width, "depth": sup.min_depth}[axis]


def bisect(sizes: _Sizes, passed: Optional[int], failed: int, lowest: int) -> Optional[Tuple[int, int]]:
    """(c, b): the largest passing and the smallest failing size between ``passed`` and ``failed``; None
    when the implementation fails from the smallest claimed size on (no size condition)."""
    if passed is None:
        if lowest >= failed or sizes.fails(lowest) is not False:
            return None
        passed = lowest
    while failed - passed > 1:
        mid = (passed + failed) // 2
        verdict = sizes.fails(mid)
        if verdict is None:
            break
        passed, failed = (passed, mid) if verdict else (mid, failed)
    return passed, failed


def _multiples(sizes: _Sizes, c: int) -> bool:
    """True when 2c and 3c pass and 2c + 1 fails: a chunk or tile of c whose ragged tail goes wrong."""
    return c >= 2 and sizes.fails(2 * c) is False and sizes.fails(3 * c) is False and sizes.fails(2 * c + 1) is True


def _masks(ev: Evaluation):
    return [tuple(~(np.abs(np.asarray(g, dtype=np.float64) - e) <= t) for g, e, t in zip(pg, pe, pt))
            for pg, pe, pt in zip(ev.outcome.grads, ev.expected, ev.tol)]


def _float32_sized(ctx: Context, ev: Evaluation) -> bool:
    """Wrong against the implementation's float64 tolerance, right against a float32 one."""
    if ctx.dtype != np.float64 or not ev.bad:
        return False
    p = ev.problem
    tol = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=np.float32, expected=ev.expected,
                              recovery=ev.outcome.recovery)
    return all(np.all(np.abs(g - e) <= t) for pg, pe, pt in zip(ev.outcome.grads, ev.expected, tol)
               for g, e, t in zip(pg, pe, pt))


def _tail(indices: np.ndarray, n: int) -> int:
    """k when ``indices`` are exactly the last k of range(n), else 0."""
    k = indices.size
    return k if k and np.array_equal(indices, np.arange(n - k, n)) else 0


def _array_pattern(mask: np.ndarray, got: np.ndarray) -> Optional[str]:
    """'the last column of {}' / 'the last 3 rows of {}' when the wrong entries of a W are exactly that."""
    for axis, unit in ((0, "column"), (1, "row")):
        lines = np.flatnonzero(mask.any(axis=axis))
        k = _tail(lines, mask.shape[1 - axis])
        full = mask[:, lines].all() if axis == 0 else mask[lines, :].all()
        if k and full and k < mask.shape[1 - axis]:
            sub = got[:, lines] if axis == 0 else got[lines, :]
            what = f"the last {unit}" if k == 1 else f"the last {k} {unit}s"
            return f"{what} of {{}} " + ("is" if k == 1 else "are") + (" zero" if np.all(sub == 0) else " wrong")
    return None


def _joined(names: List[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _layers_zero(ev: Evaluation, masks) -> Optional[str]:
    wrong = [l for l, pair in enumerate(masks, start=1) if any(m.any() for m in pair)]
    got = ev.outcome.grads
    if not wrong or not all(np.all(got[l - 1][0] == 0) and np.all(got[l - 1][1] == 0) for l in wrong):
        return None
    if len(wrong) == 1:
        l = wrong[0]
        return f"the {_ORDINAL[l]} layer's gradients are zero" if l in _ORDINAL else f"layer {l}'s gradients are zero"
    return f"the gradients of layers {_joined([str(l) for l in wrong])} are zero"


def _count(ev: Evaluation, masks) -> str:
    total = sum(m.size for pair in masks for m in pair)
    return "every entry is wrong" if ev.n_bad == total else f"{ev.n_bad} of {total} entries are wrong"


def what_is_wrong(ctx: Context, ev: Evaluation) -> str:
    """What is wrong on one evaluated problem, in words (see the module docstring)."""
    if not ev.outcome.ok:
        return f"the call {ev.outcome.error.message}"
    if _float32_sized(ctx, ev):
        return "errors of float32 size"
    masks = _masks(ev)
    zero = _layers_zero(ev, masks)
    if zero:
        return zero
    patterns: Dict[str, List[str]] = {}
    for l, ((mW, mb), (gW, _)) in enumerate(zip(masks, ev.outcome.grads), start=1):
        if mb.any() and not mW.any():
            return _count(ev, masks)
        pattern = _array_pattern(mW, gW) if mW.any() and not mb.any() else None
        if mW.any() and pattern is None:
            break
        if pattern:
            patterns.setdefault(pattern, []).append(f"dC/dW^{l}")
    else:
        if patterns:
            return "; ".join(p.format(_joined(names)) for p, names in patterns.items())
    keep = lambda pairs: [a for pair in pairs for a in pair]  # noqa: E731
    fit = fit_factor(keep(ev.outcome.grads), keep(ev.expected), keep(ev.tol))
    if fit is not None and not np.isclose(fit[0], 0.0):
        found = explain([Observation(fit[0], ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L), fit[1])])
        return f"got = {found[0].formula() if found else f'{fit[0]:.6g}'} x expected"
    return _count(ev, masks)


def _words(axis: str, c: int, b: int, what: str, multiples: bool) -> str:
    every = f" (every {'N' if axis in ('N', 'mnist') else 'width'} not a multiple of {c})" if multiples else ""
    if what == "errors of float32 size":
        unit = {"N": "N = ", "mnist": "N = ", "width": "width ", "depth": "depth "}[axis]
        return f"errors of float32 size from {unit}{b} (right up to {unit}{c}){every}"
    if axis == "depth":
        return f"right up to depth {c}; from depth {b} {what}"
    if axis == "width":
        return f"right up to width {c}; for width {b} {what}{every}"
    prefix = "on 784-256-128-10: " if axis == "mnist" else ""
    return f"{prefix}right for N <= {c}, wrong from N = {b}{every}; at N = {b}: {what}"


def _layer_width_condition(ctx: Context, ev: Optional[Evaluation]) -> Optional[SizeFinding]:
    """On a wide network that fails for every N: the first layer whose width, made 1, lets it pass, and the
    bisection over that width ('on 784-256-128-10 (N = 1): right up to input width 512; ...')."""
    if ev is None or not ev.failed:
        return None
    p, support = ev.problem, ctx.impl.support
    base = list(p.net.layer_sizes)
    for j in range(len(base) - 1):
        def make(width, j=j):
            net = Network(base[:j] + [width] + base[j + 1:], output=p.net.output)
            if support.gap(net, p.X.shape[1]):
                return None
            return ctx.prepare(sized_problem(net, p.X.shape[1], ctx.seed_for("sizes.mnist")))
        sizes = _Sizes(ctx, make)
        found = bisect(sizes, None, base[j], support.min_width)
        if found is not None:
            c, b = found
            where = "input width" if j == 0 else f"width of layer {j}"
            words = (f"on {'-'.join(map(str, base))} (N = {p.X.shape[1]}): right up to {where} {c}; from {where} {b} "
                     f"{what_is_wrong(ctx, sizes.at(b))}")
            return SizeFinding(sizes.at(b), "wrong_from_width", words)
    return None


def size_condition(ctx: Context, failure: CheckFailure) -> Optional[SizeFinding]:
    """The size condition of a ladder failure (``failure.data["ladder"]``), or None when there is none."""
    ladder = failure.data.get("ladder")
    if not ladder or ladder.get("check") not in AXES:
        return None
    check, axis = ladder["check"], ladder["axis"]
    sizes = _Sizes(ctx, lambda value: rung_problem(ctx, check, value)[0])
    if ladder.get("after") is not None:   # it passed at first (the ladder's record), failed after larger calls
        ev = sizes.at(ladder["failed"])
        if ev is None or not ev.failed:
            return None
        unit = "N = " if axis == "N" else "width "
        return SizeFinding(ev, "hidden_state", f"right for {unit}{ladder['failed']} at first, wrong for it after the "
                           f"calls up to {unit}{ladder['after']} ({what_is_wrong(ctx, ev)}): state kept from a larger "
                           "call, such as a workspace sized for it")
    found = bisect(sizes, None if axis == "mnist" else ladder["passed"], ladder["failed"], _lowest(ctx, axis))
    if found is None:
        return _layer_width_condition(ctx, sizes.at(ladder["failed"])) if axis == "mnist" else None
    c, b = found
    ev = sizes.at(b)
    what = what_is_wrong(ctx, ev)
    multiples = axis in ("N", "width", "mnist") and _multiples(sizes, c)
    cause = "float32_at_scale" if what == "errors of float32 size" else _CAUSE[axis]
    return SizeFinding(ev, cause, _words(axis, c, b, what, multiples))
