"""The size condition of a failure on the size ladder, found by bisection (``conformance.checks.sizes``).

A ladder check stops at its first failing rung and records the last rung that
passed.  ``size_condition`` bisects between the two (one call per size, on the
ladder's own problems) for the smallest failing size b, with c = b - 1 the
largest passing one, then

* says how far the failure reaches (``extent``): for batch sizes and widths,
  2c and 3c passing while 2c + 1 fails is a chunk or tile of c whose ragged tail
  goes wrong ("every N not a multiple of c"); b + 1 passing again is b alone, or
  b and its multiples when 2b and 3b fail too; otherwise "from b on";
* names what is wrong at b (``what_is_wrong``): errors of float32 size (inside
  the float32 tolerance and below 1e-4 of each array, outside the float64 one),
  the last columns of dC/dW^l, the last units of a layer, whole layers (zero or
  wrong), got = c x expected, or how many entries and in which layers;

and words it the way a person would: "right for N <= 48, wrong from N = 49
(every N not a multiple of 48); at N = 49: ...", "right up to depth 3; from
depth 4 the first layer's gradients are zero", "right up to width 24, wrong from
width 25 (every width not a multiple of 24); at width 25: the last column of
dC/dW^1 and dC/dW^2 is zero", "errors of float32 size from N = 513 (right up to
N = 512)".  A failure of the smallest rung again after the larger ones is state
kept from a larger call.  The MNIST-shaped network, when it fails for every N,
is bisected over the width of its first layer whose narrowing lets it pass.
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
    """Per layer, (wrong entries of dC/dW^l, of dC/db^l) against the evaluation's tolerance."""
    return [tuple(~(np.abs(np.asarray(g, dtype=np.float64) - e) <= t) for g, e, t in zip(pg, pe, pt))
            for pg, pe, pt in zip(ev.outcome.grads, ev.expected, ev.tol)]


#: Errors "of float32 size" stay below this share of each array's largest entry: float32 rounds at 6e-8, and
#: the worst-case float32 bound alone is loose on wide layers (12 |g| on 784-256-128-10).
FLOAT32_RELATIVE = 1e-4


def _lower_precision(ctx: Context, ev: Evaluation) -> Optional[str]:
    """'float32' when a float64 implementation's errors fit the float32 tolerance and stay small relative to
    every array (FLOAT32_RELATIVE), but not its own tolerance."""
    if ctx.dtype != np.float64 or not ev.bad:
        return None
    p = ev.problem
    tol = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=np.float32, expected=ev.expected,
                              recovery=ev.outcome.recovery)
    fits = all(np.all(np.abs(g - e) <= np.minimum(t, FLOAT32_RELATIVE * np.max(np.abs(e), initial=0.0)))
               for pg, pe, pt in zip(ev.outcome.grads, ev.expected, tol) for g, e, t in zip(pg, pe, pt))
    return "float32" if fits else None


def _tail(indices: np.ndarray, n: int) -> int:
    """k when ``indices`` are exactly the last k of range(n), else 0."""
    k = indices.size
    return k if k and np.array_equal(indices, np.arange(n - k, n)) else 0


def _last(k: int, unit: str) -> str:
    return f"the last {unit}" if k == 1 else f"the last {k} {unit}s"


def _layer_pattern(l: int, mW: np.ndarray, mb: np.ndarray, gW: np.ndarray, gb: np.ndarray) -> Optional[Tuple[str, bool]]:
    """(words with {} for the array names, zero?) when layer l's wrong entries are a tail of columns of dC/dW^l,
    a tail of its units (rows of dC/dW^l and entries of dC/db^l), or the whole layer; else None."""
    cols, rows = np.flatnonzero(mW.any(axis=0)), np.flatnonzero(mW.any(axis=1) | mb)
    k = _tail(cols, mW.shape[1])
    if not mb.any() and k and k < mW.shape[1] and mW[:, cols].all():
        return f"{_last(k, 'column')} of {{}}", bool(np.all(gW[:, cols] == 0))
    k = _tail(rows, mW.shape[0])
    if k and k < mW.shape[0] and mW[rows, :].all() and mb[rows].all():
        return f"{_last(k, 'unit')} of {{}}", bool(np.all(gW[rows] == 0) and np.all(gb[rows] == 0))
    if mW.all() and mb.all():
        return "the gradients of {}", bool(np.all(gW == 0) and np.all(gb == 0))
    return None


def _layer_name(l: int) -> str:
    return f"the {_ORDINAL[l]} layer" if l in _ORDINAL else f"layer {l}"


def _joined(names: List[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _patterns(ev: Evaluation, masks) -> Optional[str]:
    """'the last column of dC/dW^1 and dC/dW^2 is zero', "the first layer's gradients are zero", ... or None."""
    groups: Dict[Tuple[str, bool], List[int]] = {}
    for l, ((mW, mb), (gW, gb)) in enumerate(zip(masks, ev.outcome.grads), start=1):
        if mW.any() or mb.any():
            found = _layer_pattern(l, mW, mb, gW, np.asarray(gb))
            if found is None:
                return None
            groups.setdefault(found, []).append(l)
    if list(groups) == [("the gradients of {}", False)] and len(groups[("the gradients of {}", False)]) == len(masks):
        return None   # every entry of every layer: no pattern to name
    out = []
    for (words, zero), layers in groups.items():
        state = "zero" if zero else "wrong"
        if words.startswith("the gradients of"):
            out.append(f"{_layer_name(layers[0])}'s gradients are {state}" if len(layers) == 1 else
                       f"the gradients of layers {_joined([str(l) for l in layers])} are {state}")
        elif "column" in words:
            verb = "is" if words.startswith("the last column") else "are"
            out.append(f"{words.format(_joined([f'dC/dW^{l}' for l in layers]))} {verb} {state}")
        else:
            verb = "is" if words.startswith("the last unit") else "are"
            out.append(f"{words.format(_joined([f'layer {l}' for l in layers]))} {verb} {state}")
    return "; ".join(out) if out else None


def _count(ev: Evaluation, masks) -> str:
    total = sum(m.size for pair in masks for m in pair)
    layers = [l for l, pair in enumerate(masks, start=1) if any(m.any() for m in pair)]
    if ev.n_bad == total:
        return "every entry is wrong"
    where = f" (all in layer{'s' if len(layers) > 1 else ''} {_joined([str(l) for l in layers])})" \
        if len(layers) < len(masks) else ""
    return f"{ev.n_bad} of {total} entries are wrong{where}"


def what_is_wrong(ctx: Context, ev: Evaluation) -> str:
    """What is wrong on one evaluated problem, in words (see the module docstring)."""
    if not ev.outcome.ok:
        return f"the call {ev.outcome.error.message}"
    lower = _lower_precision(ctx, ev)
    if lower:
        return f"errors of {lower} size"
    masks = _masks(ev)
    found = _patterns(ev, masks)
    if found:
        return found
    keep = lambda pairs: [a for pair in pairs for a in pair]  # noqa: E731
    fit = fit_factor(keep(ev.outcome.grads), keep(ev.expected), keep(ev.tol))
    if fit is not None and not np.isclose(fit[0], 0.0):
        seen = explain([Observation(fit[0], ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L), fit[1])])
        return f"got = {seen[0].formula() if seen else f'{fit[0]:.6g}'} x expected"
    return _count(ev, masks)


def extent(sizes: _Sizes, c: int, b: int) -> str:
    """How far the failure reaches past b: 'from' (every size tried above), 'not_multiples' (a chunk or tile
    of c with its ragged tail wrong), 'multiples' (b and its multiples only) or 'only' (b + 1 right again)."""
    if _multiples(sizes, c):
        return "not_multiples"
    if sizes.fails(b + 1) is False:
        return "multiples" if sizes.fails(2 * b) and sizes.fails(3 * b) else "only"
    return "from"


def _words(axis: str, c: int, b: int, what: str, reach: str) -> str:
    unit = {"N": "N = ", "mnist": "N = ", "width": "width ", "depth": "depth "}[axis]
    noun = "N" if axis in ("N", "mnist") else axis
    wrong = {"from": f"wrong from {unit}{b}",
             "not_multiples": f"wrong from {unit}{b} (every {noun} not a multiple of {c})",
             "multiples": f"wrong for {unit}{b} and its multiples ({unit}{b + 1} is right)",
             "only": f"wrong for {unit}{b} ({unit}{b + 1} is right again)"}[reach]
    if what.startswith("errors of float"):
        return f"{what} {wrong.replace('wrong ', '', 1)} (right up to {unit}{c})"
    if axis == "depth":
        return f"right up to depth {c}; {wrong.replace('wrong ', '', 1)} {what}"
    prefix = "on 784-256-128-10: " if axis == "mnist" else ""
    return f"{prefix}right {'for N <=' if noun == 'N' else 'up to width'} {c}, {wrong}; at {unit}{b}: {what}"


def _layer_width_condition(ctx: Context, ev: Optional[Evaluation]) -> Optional[SizeFinding]:
    """On a wide network that fails for every N: the first layer whose width, made 1, lets it pass, and the
    bisection over that width ('on 784-256-128-10 (N = 1): right up to input width 512; ...')."""
    if ev is None or not ev.failed:
        return None
    p, support = ev.problem, ctx.impl.support
    base = list(p.net.layer_sizes)
    for j in range(len(base) - 1):
        def make(width, j=j):
            net = p.net.replace(layer_sizes=base[:j] + [width] + base[j + 1:])
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
    reach = extent(sizes, c, b) if axis != "depth" else ("only" if sizes.fails(b + 1) is False else "from")
    cause = "float32_at_scale" if what.startswith("errors of float") else _CAUSE[axis]
    return SizeFinding(ev, cause, _words(axis, c, b, what, reach))
