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
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from conformance.core.assertions import count_mismatches, format_mismatch, mismatches
from conformance.core.calls import CallOutcome
from conformance.core.context import Context
from conformance.core.minimize import minimize
from conformance.core.search import CheckFailure, search
from conformance.core.strategies import Problem
from reference.network import Params

__all__ = ["Check", "CheckResult", "CHECKS", "FAMILY_AFTER", "register", "prerequisites", "depth",
           "fundamental_order", "require", "compare", "searched", "replay", "select_checks", "first_in_backprop_order",
           "unmatched_known_failures"]


@dataclass
class CheckResult:
    """What a check found: status pass, fail or skip, with the failure or the reason."""

    status: str
    message: str = ""
    failure: Optional[CheckFailure] = None
    examples: int = 0
    notes: List[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)     # JSON-ready figures for the reports (e.g. loss curves)


@dataclass(frozen=True)
class Check:
    id: str
    run: Callable[[Context], CheckResult]
    description: str
    after: Tuple[str, ...] = ()      # families (or check ids) whose failures are more fundamental than this one's
    last: bool = False      # runs after every other check of the implementation (it ends its worker)

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


CHECKS: Dict[str, Check] = {}
#: Wrong entries kept per array for messages and diagnosis (all are counted).
PER_ARRAY = 32

#: The prerequisites of each family: a failure there is more fundamental (findings come in this order).
#: Interface before agreement with the reference before finite differences before properties before the
#: documents' examples; a family not listed comes after the agreement checks.
FAMILY_AFTER: Dict[str, Tuple[str, ...]] = {
    "interface": (),
    "reference": ("interface",),
    "symbolic": ("interface", "reference"),
    "finite_differences": ("interface", "reference", "symbolic"),
    "properties": ("interface", "reference", "symbolic", "finite_differences"),
    "documents": ("interface", "reference", "symbolic", "finite_differences", "properties"),
}


def register(check_id: str, description: str, *, after: Tuple[str, ...] = (), last: bool = False):
    """Decorator registering ``run(ctx) -> CheckResult`` under a stable id.

    ``after`` names families or check ids that are prerequisites of this check beyond its
    family's (``FAMILY_AFTER``): their failures are reported first. ``last``: see ``Check``.
    """
    def deco(fn):
        CHECKS[check_id] = Check(check_id, fn, description, tuple(after), last)
        return fn
    return deco


def prerequisites(check_id: str) -> Tuple[str, ...]:
    """The families and check ids that come before ``check_id``."""
    family = check_id.split(".", 1)[0]
    declared = CHECKS[check_id].after if check_id in CHECKS else ()
    return FAMILY_AFTER.get(family, ("interface", "reference", "symbolic")) + tuple(declared)


def depth(check_id: str, _seen=()) -> int:
    """How many layers of prerequisites lie below ``check_id`` (0: nothing is more fundamental)."""
    family = check_id.split(".", 1)[0]
    before = [p for p in prerequisites(check_id) if p != family and p != check_id and p not in _seen]
    if not before:
        return 0
    return 1 + max(depth(p if "." in p else p + ".", _seen + (check_id, family)) for p in before)


def fundamental_order(check_ids) -> List[str]:
    """``check_ids`` most fundamental first: by depth of prerequisites, then in registration order."""
    order = {cid: i for i, cid in enumerate(CHECKS)}
    return sorted(check_ids, key=lambda c: (depth(c), order.get(c, len(order)), c))


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
    replayed = []
    if ctx.replay:
        failure, replayed = replay(ctx.replay, body)
        if failure is not None:
            return CheckResult("fail", failure.message, failure, len(replayed),
                               [f"a saved example still fails ({failure.data['replayed']})"], data={"replay": replayed})
    if strategy is None:
        return CheckResult("skip", skip_reason or "no network in the declared support fits this check",
                           data={"replay": replayed} if replayed else {})
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
    data = {"replay": replayed} if replayed else {}
    if replayed:
        notes.append(f"{len(replayed)} saved example(s) replayed first: every one now passes")
    if res.failure is not None:
        return CheckResult("fail", res.failure.message, res.failure, res.examples, notes, data=data)
    if res.examples == 0:
        return CheckResult("skip", "; ".join(notes) or "no example ran", examples=0, notes=notes, data=data)
    return CheckResult("pass", f"{res.examples} examples passed", examples=res.examples, notes=notes, data=data)


def replay(entries, body) -> Tuple[Optional[CheckFailure], List[dict]]:
    """Run ``body`` on each saved example first: (the first that still fails, or None; per file its outcome)."""
    outcomes = []
    for entry in entries:
        example, where = entry["example"], entry.get("file", "a saved example")
        try:
            body(example)
        except CheckFailure as failure:
            failure.example = example
            if failure.problem is None:
                failure.problem = example if isinstance(example, Problem) else example[0]
            failure.data["replayed"] = where
            outcomes.append({"file": where, "status": "still failing"})
            return failure, outcomes
        except Exception as exc:  # a file for another version of the check: say so, never stop
            outcomes.append({"file": where, "status": f"cannot replay: {type(exc).__name__}: {exc}"})
            continue
        outcomes.append({"file": where, "status": "now passes"})
    return None, outcomes


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


def unmatched_known_failures(declared) -> List[str]:
    """One message per declared known failure that names no check, with the closest ids.

    A known failure names a check id, a prefix ending in "." (a family or a group of checks) or
    "*"; an entry that matches none of the registered checks is a typo that would otherwise
    silently declare nothing.
    """
    import difflib
    ids = sorted(CHECKS)
    prefixes = sorted({c.rsplit(".", k)[0] + "." for c in ids for k in range(1, c.count(".") + 1)})
    out = []
    for entry in declared:
        cid = getattr(entry, "check", entry)
        if cid == "*" or cid in CHECKS or (cid.endswith(".") and any(c.startswith(cid) for c in ids)):
            continue
        close = difflib.get_close_matches(cid, ids + prefixes, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "; see --list for the check ids"
        out.append(f"known failure {cid!r} matches no check{hint}")
    return out
