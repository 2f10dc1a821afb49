"""Findings, not failures: one finding per root cause, most fundamental first.

A planted bug fails many checks (the agreement with the reference, the symbolic
vectors, finite differences, properties, the documents' examples), and each
failing check's diagnosis names a cause.  ``findings(report)`` groups the
unexpected failures of one implementation by that cause:

* checks are taken most fundamental first (``conformance.checks.registry.fundamental_order``:
  interface before agreement before finite differences before properties before
  the documents' examples), never alphabetically;
* a failure whose diagnosis names a cause joins the finding of that cause, or starts one;
* a failure whose diagnosis names no cause (a document's criterion missed because
  training went wrong) is a consequence: it joins the first finding, or, when no
  check named a cause, one "no known cause" finding;
* each finding shows the smallest example any of its checks found (by the numbers
  it holds), that check's location, expected and got, and its reproducer.

``headline(report)`` is the one line per implementation that leads the output:
"1 finding: dC/db summed over the batch, not averaged (BP3); right for N = 1".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional

from conformance.checks.registry import fundamental_order
from conformance.diagnosis.causes import CAUSES, SHORT, Diagnosis
from conformance.dropin.protocol import DRAWN_MAX_DEPTH, DRAWN_MAX_N, DRAWN_MAX_WIDTH
from conformance.run.verdicts import ImplementationReport, Verdict

__all__ = ["Finding", "findings", "headline", "summary_of", "short_condition"]


@dataclass
class Finding:
    """One root cause and every check it made fail."""

    cause: Optional[str]
    verdicts: List[Verdict] = field(default_factory=list)   # most fundamental first
    lead: Optional[Verdict] = None                           # the check with the smallest example

    @property
    def checks(self) -> List[str]:
        return [v.check for v in self.verdicts]

    @property
    def diagnosis(self) -> Optional[Diagnosis]:
        return self.lead.diagnosis if self.lead is not None else None

    @property
    def summary(self) -> str:
        return summary_of(self.diagnosis, self.lead)

    def to_dict(self) -> dict:
        d = self.diagnosis
        return {"cause": self.cause, "summary": self.summary, "checks": self.checks,
                "lead_check": self.lead.check if self.lead else None,
                "explained": None if d is None else d.explained, "equation": None if d is None else d.equation,
                "where": "" if d is None else d.location(), "native": "" if d is None else d.native,
                "expected": None if d is None else d.expected, "got": None if d is None else d.got,
                "example": "" if d is None else d.example, "conditions": [] if d is None else list(d.conditions),
                "rerun": "" if d is None else d.rerun, "reproducer": "" if d is None else d.reproducer}


def _size(v: Verdict) -> float:
    """How many numbers the verdict's example holds (inf when it has none)."""
    p = v.diagnosis.problem if v.diagnosis else None
    if not p:
        return float("inf")
    count = lambda x: sum(count(y) for y in x) if isinstance(x, list) else 1  # noqa: E731
    return count(p["params"]) + count(p["X"]) + count(p["Y"])


def _cause(v: Verdict) -> Optional[str]:
    d = v.diagnosis
    return d.cause if d is not None and d.cause else None


#: Causes that make every numeric verdict of the implementation unreliable: they absorb the others.
STATE = ("hidden_state", "random_mask")
#: Causes that say where it fails (a condition), not why.
CONDITION = ("wrong_for_batch_of_one", "wrong_for_N_gt_1", "wrong_for_width_one", "wrong_for_large_z",
             "wrong_for_specific_shapes")
#: Causes that say how a call failed (a symptom), not why.
SYMPTOM = ("raises", "wrong_structure", "non_finite", "timeout")
#: Findings of these causes are never merged into another: each is its own defect.
OWN = ("mutates_inputs", "prints_output", "wrong_dtype", "different_loss", "import_error")
#: Causes that explain state between calls: a kept input or a reused buffer makes the next calls differ.
OWNERSHIP = ("keeps_inputs", "reused_buffers", "aliases_inputs")
#: Causes of imprecise numbers: differences between layouts or repeated calls of that size follow from them.
PRECISION = ("float32_intermediate", "finite_difference_inside", "float32_at_scale")
#: Size conditions and the words their probe patterns use.
SIZES = {"wrong_from_depth": "depth", "wrong_from_width": "width", "wrong_from_batch_size": "N ="}


def _signature(f: "Finding") -> str:
    """The first condition the lead's probes found, without counts: 'right for N = 1, wrong for N = 3'."""
    d = f.diagnosis
    return short_condition(d.conditions[0]) if d is not None and d.conditions else ""


def _kind(cause: Optional[str]) -> str:
    if cause in STATE:
        return "state"
    if cause in CONDITION or cause in SYMPTOM or cause in (None, "scaled"):
        return "weak"
    return "own" if cause in OWN else "mechanism"


def _error_text(v: Verdict) -> str:
    """The exception a verdict reports ('ValueError: matmul: ...'), without where it was raised."""
    m = re.search(r"raised (\w+(?:Error|Exception)\b[^()]*)", v.message or "") or \
        re.search(r"(wrong structure: layer \d+, [^;]*?has shape)", v.message or "")
    return m.group(1).strip()[:60] if m else ""


def _same_error(a: "Finding", b: "Finding") -> bool:
    texts = {_error_text(v) for v in a.verdicts} - {""}
    return bool(texts & ({_error_text(v) for v in b.verdicts} - {""}))


#: The largest size Hypothesis draws on each axis (``Support.drawn``): a size condition that starts
#: below (not at the edge) describes a bug the drawn examples see, not one of realistic sizes.
DRAWN = {"wrong_from_batch_size": DRAWN_MAX_N, "wrong_from_width": DRAWN_MAX_WIDTH, "wrong_from_depth": DRAWN_MAX_DEPTH}


def _within_drawn(size: "Finding") -> bool:
    """True when a size finding's condition says 'wrong from' a size the drawn examples reach."""
    d = size.diagnosis
    text = " ".join([d.cause_text or "", *d.conditions]) if d is not None else ""
    m = re.search(r"from (?:N = |width |depth )(\d+)", text)
    return m is not None and int(m.group(1)) < DRAWN[size.cause]


def _merge(into: "Finding", other: "Finding", cause: Optional[str]) -> None:
    into.verdicts += [v for v in other.verdicts if v not in into.verdicts]
    into.cause = cause


def _consolidate(out: List["Finding"]) -> List["Finding"]:
    """One finding per root cause: symptoms and conditions join the mechanism that shows the same pattern.

    State kept between calls (or a random mask) makes every numeric verdict unreliable: such a finding
    absorbs every other one but the defects of their own kind (``OWN``).  Otherwise a finding that names
    only a condition or a symptom (or an unexplained scale) joins a finding with the same probe pattern,
    taking its mechanism as the cause; a symptom with no such partner joins a first finding that is a
    condition or a symptom itself (one crash, seen by several checks).
    """
    owner = next((f for f in out if f.cause in OWNERSHIP), None)
    state = owner or next((f for f in out if _kind(f.cause) == "state"), None)
    if state is not None:
        for f in [f for f in out if f is not state and _kind(f.cause) != "own" and f.cause not in OWNERSHIP]:
            _merge(state, f, state.cause)
            out.remove(f)
    precise = next((f for f in out if f.cause in PRECISION), None)
    for f in [f for f in out if precise is not None and f.cause == "layout_dependent"]:
        _merge(precise, f, precise.cause)     # rounding that differs with the layout: the precision's doing
        out.remove(f)
    for size in [f for f in out if f.cause in SIZES]:
        for f in [f for f in out if f is not size and f.cause not in SIZES and _kind(f.cause) != "own"
                  and SIZES[size.cause] in _signature(f)]:
            if _kind(f.cause) == "mechanism" and _within_drawn(size):
                _merge(f, size, f.cause)        # wrong already at drawn sizes: the mechanism says it best
                out.remove(size)
                break
            _merge(size, f, size.cause)         # the same size pattern: the size condition says it best
            out.remove(f)
    for f in [f for f in out if f.cause in SYMPTOM]:
        earlier = next((a for a in out[:out.index(f)] if _same_error(a, f)), None)
        if earlier is not None:               # the same exception seen by an earlier finding's checks
            _merge(earlier, f, earlier.cause)
            out.remove(f)
    merged = True
    while merged:
        merged = False
        for a in out:
            for b in out:
                if a is b or _kind(b.cause) != "weak" or _kind(a.cause) == "own":
                    continue
                same = _signature(a) and _signature(a) == _signature(b)
                crash = b.cause in SYMPTOM and out.index(a) == 0 and _kind(a.cause) == "weak" and a.cause not in (None, "scaled")
                if same or crash:
                    keep = a.cause if _kind(a.cause) != "weak" or out.index(a) < out.index(b) else b.cause
                    _merge(a, b, keep)
                    out.remove(b)
                    merged = True
                    break
            if merged:
                break
    return out


def findings(report: ImplementationReport, statuses=("fail",)) -> List[Finding]:
    """The failures of ``report`` with a status in ``statuses``, grouped by root cause, most fundamental first."""
    failing = [report.verdicts[c] for c in fundamental_order(
        [c for c, v in report.verdicts.items() if v.status in statuses])]
    out: List[Finding] = []
    by_cause = {}
    for v in failing:
        cause = _cause(v)
        if cause is not None:
            if cause not in by_cause:
                by_cause[cause] = Finding(cause)
                out.append(by_cause[cause])
            by_cause[cause].verdicts.append(v)
    for f in out:  # a lead is needed to read each finding's probe pattern
        f.lead = min(f.verdicts, key=lambda v: (_size(v), f.verdicts.index(v)))
    out = _consolidate(out)
    unexplained = [v for v in failing if _cause(v) is None]
    if unexplained:
        if out:
            out[0].verdicts += unexplained
        else:
            out.append(Finding(None, unexplained))
    for f in out:
        f.verdicts = [v for v in failing if v in f.verdicts]
        named = [v for v in f.verdicts if _cause(v) == f.cause] or f.verdicts
        f.lead = min(named, key=lambda v: (_size(v), named.index(v)))
    out.sort(key=lambda f: failing.index(f.verdicts[0]))
    return out


def summary_of(d: Optional[Diagnosis], v: Optional[Verdict] = None) -> str:
    """The cause in a few words: 'dC/db summed over the batch, not averaged'."""
    if d is None or not d.cause:
        if d is not None and d.cause_text:
            return d.cause_text.split(";")[0]
        first = (v.message.split(": ", 1)[-1].splitlines() or [""])[0][:80] if v else ""
        return "no known cause" + (f" ({first})" if first else "")
    words = SHORT.get(d.cause) or CAUSES.get(d.cause, d.cause)
    text = d.cause_text or ""
    if d.cause == "scaled" and d.factor is not None:
        words = f"scaled by {d.factor:.4g}"
    if d.cause == "weight_decay" and "L1" in text:
        words = "an undeclared L1 penalty's gradient lambda x sign(W) added"
    for where, prefix in (("for dC/db only", "dC/db "), ("for dC/dW only", "dC/dW ")):
        if where in text:
            return prefix + words
    m = re.search(r"for (layer \d+|dC/d[Wb]\^\d+|layer L[-\d]*|dC/d[Wb]\^L[-\d]*) only", text)
    if m:
        return f"{m.group(1)}: {words}"
    return words


def short_condition(condition: str) -> str:
    """'passes for N = 1, fails for N = 3 (3 wrong entries)' -> 'right for N = 1, wrong for N = 3'."""
    text = re.sub(r"\s*\([^)]*\)", "", condition)
    return text.replace("passes for", "right for").replace("fails for", "wrong for").replace("passes with", "right with") \
        .replace("fails with", "wrong with").replace("passes on", "right on").replace("fails on", "wrong on")


def headline(report: ImplementationReport) -> str:
    """One line: how many findings, the first one's cause, its equation and the condition it shows under."""
    found = findings(report)
    if not found:
        return ""
    d = found[0].diagnosis
    parts = [found[0].summary]
    if d is not None and d.equation:
        parts[0] += f" ({d.equation})"
    if d is not None and d.conditions:
        parts.append(short_condition(d.conditions[0]))
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    return f"{len(found)} finding{'s' if len(found) > 1 else ''}: " + "; ".join(parts) + more
