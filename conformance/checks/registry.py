"""The check registry (stable ids) and the helpers every check family shares.

A check is a function ``run(ctx) -> CheckResult`` registered under a stable id
``family.name``.  The families (interface, reference, symbolic,
finite_differences, properties, documents) live in their own modules of
``conformance.checks`` and import this registry; the registry imports none of
them (``conformance.checks`` imports them all, which registers them).
Turning a result into a verdict (known failures, diagnosis) happens a layer
above, in ``conformance.run.verdicts``: a check never sees a diagnosis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

from conformance.core.assertions import count_mismatches, format_mismatch, mismatches
from conformance.core.calls import CallOutcome
from conformance.core.context import Context
from conformance.core.minimize import minimize
from conformance.core.search import CheckFailure, search
from conformance.core.strategies import Problem
from reference.network import Params

__all__ = ["Check", "CheckResult", "CHECKS", "register", "require", "compare", "searched", "select_checks",
           "first_in_backprop_order"]


@dataclass
class CheckResult:
    """What a check found: status pass, fail or skip, with the failure or the reason."""

    status: str
    message: str = ""
    failure: Optional[CheckFailure] = None
    examples: int = 0
    notes: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Check:
    id: str
    run: Callable[[Context], CheckResult]
    description: str
    last: bool = False      # runs after every other check of the implementation (it ends its worker)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


CHECKS: Dict[str, Check] = {}
#: Wrong entries kept per array for messages and diagnosis (all are counted).
PER_ARRAY = 32


def register(check_id: str, description: str, *, last: bool = False):
    """Decorator registering ``run(ctx) -> CheckResult`` under a stable id (``last``: see ``Check``)."""
    def deco(fn):
        CHECKS[check_id] = Check(check_id, fn, description, last)
        return fn
    return deco


def first_in_backprop_order(bad):
    """The mismatch backprop computes first: the highest layer, W before b, lowest index."""
    return min(bad, key=lambda m: (-m.layer, m.param != "W", m.index)) if bad else None


def require(ctx: Context, check: str, problem: Problem, outcome: CallOutcome) -> Params:
    """The outcome's gradients, or a CheckFailure naming what went wrong in the call."""
    if outcome.ok:
        return outcome.grads
    err = outcome.error
    raise CheckFailure(f"[{ctx.name}] {check}: {err.message} on {problem.describe()}", problem=problem,
                       hint=err.category, call_error=err)


def compare(ctx: Context, check: str, problem: Problem, got: Params, expected: Params, bound: Params, *,
            what: str = "the reference", hint: Optional[str] = None, repro: tuple = (), show: int = 3,
            other: Optional[Problem] = None) -> None:
    """CheckFailure listing the entries of ``got`` outside ``bound`` around ``expected``, if any."""
    bad = mismatches(got, expected, bound, per_array=PER_ARRAY)
    if not bad:
        return
    first = first_in_backprop_order(bad)
    total = sum(np.size(a) for pair in expected for a in pair)
    n_bad = count_mismatches(got, expected, bound)
    lines = [f"[{ctx.name}] {check}: {n_bad} of {total} gradient entries differ from {what} on "
             f"{problem.describe()}; first wrong entry (in backprop order) {format_mismatch(first)}"]
    lines += ["  " + format_mismatch(m) for m in bad if m is not first][:show]
    raise CheckFailure("\n".join(lines), problem=problem, hint=hint, location=first, repro=repro,
                       data={"wrong": n_bad, "total": total, "other": other})


def searched(ctx: Context, check: str, strategy, body, *, skip_reason: str = "",
             examples: Optional[int] = None) -> CheckResult:
    """Run ``body`` over ``strategy`` with the profile's budgets; a None strategy skips."""
    if strategy is None:
        return CheckResult("skip", skip_reason or "no network in the declared support fits this check")
    res = search(strategy, body, max_examples=examples or ctx.budget(check), seed=ctx.seed_for(check),
                 time_budget=ctx.budget("check_s"), shrink_budget=ctx.budget("shrink_s"))
    if res.failure is not None:
        before = res.failure.problem
        res.failure = minimize(body, res.failure, ctx.impl.support, budget=2 * ctx.budget("shrink_s"))
        if res.failure.problem is not before:
            res.shrink_cut = False
    notes = list(res.notes)
    if res.stopped_early:
        notes.append(f"time budget reached after {res.examples} examples")
    if res.shrink_cut:
        notes.append("shrinking stopped at the time budget; the example may not be minimal")
    if res.failure is not None:
        return CheckResult("fail", res.failure.message, res.failure, res.examples, notes)
    if res.examples == 0:
        return CheckResult("skip", "; ".join(notes) or "no example ran", examples=0, notes=notes)
    return CheckResult("pass", f"{res.examples} examples passed", examples=res.examples, notes=notes)


def select_checks(selection=None) -> List[str]:
    """Check ids matching a selection of ids or prefixes ('reference.', 'interface'); all if None.

    In run order: sorted, the checks registered ``last`` at the end."""
    ids = sorted(CHECKS, key=lambda c: (CHECKS[c].last, c))
    if not selection:
        return ids
    if isinstance(selection, str):
        selection = [s for s in selection.split(",") if s.strip()]
    chosen = [c for c in ids if any(c == s.strip() or c.startswith(s.strip().rstrip(".") + ".")
                                    for s in selection)]
    unknown = [s for s in selection if not any(c == s.strip() or c.startswith(s.strip().rstrip(".") + ".")
                                               for c in ids)]
    if unknown:
        raise ValueError(f"unknown check ids or families {unknown}; known: {ids}")
    return chosen
