"""Driving Hypothesis for one check: search, shrink within a budget, keep the minimal failure.

``search(strategy, body, ...)`` runs ``body(example)`` on examples drawn from
``strategy``.  ``body`` raises ``CheckFailure`` when the check fails on an
example.  Hypothesis then shrinks toward the smallest failing example (the
strategies shrink toward fewer, narrower layers, N = 1 and entries 0) and
re-raises the failure of the minimal one, which is returned.

Budgets keep a misbehaving implementation from taking the run hostage:

* every failing example is remembered by value, so replays fail identically
  (no ``Flaky`` from a nondeterministic implementation);
* after ``shrink_budget`` seconds of shrinking (and at once after a timeout),
  examples not seen before are treated as passing without calling the
  implementation, so the shrinker stops where it is;
* after ``time_budget`` seconds without a failure the remaining examples are
  skipped the same way and the result says so.

Settings: no example database (verdicts do not depend on earlier runs), an
explicit seed (the same examples for every implementation), quiet output.
"""
from __future__ import annotations

import pickle
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from hypothesis import HealthCheck, Verbosity, given, seed as hyp_seed, settings
from hypothesis.errors import Flaky, Unsatisfiable

try:  # Hypothesis stops shrinking after this many seconds ("very slow shrinking"); see _shrink_deadline
    from hypothesis.internal.conjecture import engine as _engine
except ImportError:  # pragma: no cover - a future Hypothesis without the module
    _engine = None

__all__ = ["CheckFailure", "SearchResult", "search"]


class CheckFailure(Exception):
    """A check failed on one example.

    ``message`` names the implementation, check, layer, parameter and index,
    expected vs got; ``problem`` is the (shrunk) example; ``hint`` a cause key
    the check already knows (e.g. "mutates_inputs"); ``location`` a Mismatch
    or None; ``call_error`` a CallError or None; ``repro`` extra lines for the
    reproducer; ``data`` anything else a diagnosis may use.
    """

    def __init__(self, message: str, *, problem=None, hint: Optional[str] = None, location=None,
                 call_error=None, factor: Optional[float] = None, repro: tuple = (), data: Optional[dict] = None):
        super().__init__(message)
        self.message = message
        self.problem = problem
        self.hint = hint
        self.location = location
        self.call_error = call_error
        self.factor = factor
        self.repro = tuple(repro)
        self.data = dict(data or {})
        self.example = None     # what the check's body was called with (set by ``search``)


@dataclass
class SearchResult:
    """Outcome of one search: the minimal failure (or None) and what was run."""

    failure: Optional[CheckFailure] = None
    examples: int = 0
    stopped_early: bool = False
    shrink_cut: bool = False
    notes: list = field(default_factory=list)


def _key(example: Any) -> bytes:
    try:
        return pickle.dumps(example, protocol=4)
    except Exception:
        return repr(example).encode()


def _settings(max_examples: int) -> settings:
    """Quiet, no database (verdicts never depend on earlier runs), no deadline, one bug at a time."""
    return settings(max_examples=max(1, max_examples), deadline=None, database=None, derandomize=False,
                    verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@contextmanager
def _shrink_deadline(seconds: Optional[float]):
    """Lower Hypothesis' own shrink deadline (300 s by default) to ``seconds`` for one search.

    Hypothesis ends shrinking when the deadline passes and reports the smallest
    failure found so far.  This sets the module constant it reads
    (``MAX_SHRINKING_SECONDS``); when a Hypothesis version lacks it, the
    pass-through of unseen examples (see the module docstring) still bounds the
    cost of each shrink step, only not the number of steps.
    """
    old = getattr(_engine, "MAX_SHRINKING_SECONDS", None)
    if seconds is None or old is None:
        yield
        return
    _engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        _engine.MAX_SHRINKING_SECONDS = old


def search(strategy, body: Callable[[Any], None], *, max_examples: int, seed: int,
           time_budget: Optional[float] = None, shrink_budget: Optional[float] = None) -> SearchResult:
    """Run ``body`` on up to ``max_examples`` examples of ``strategy``; shrink the first failure."""
    result = SearchResult()
    seen: dict = {}
    state = {"start": time.perf_counter(), "first_fail": None, "hard_stop": False}

    def test(example):
        key = _key(example)
        if key in seen:
            raise seen[key]
        now = time.perf_counter()
        if state["hard_stop"] or (state["first_fail"] is not None and shrink_budget is not None
                                  and now - state["first_fail"] > shrink_budget):
            result.shrink_cut = True
            return
        if state["first_fail"] is None and time_budget is not None and now - state["start"] > time_budget:
            result.stopped_early = True
            return
        result.examples += 1
        try:
            body(example)
        except CheckFailure as failure:
            if failure.problem is None:
                failure.problem = example
            failure.example = example
            seen[key] = failure
            if state["first_fail"] is None:
                state["first_fail"] = now
            if failure.hint == "timeout":
                state["hard_stop"] = True
            raise

    run = _settings(max_examples)(hyp_seed(seed)(given(strategy)(test)))
    try:
        with _shrink_deadline(shrink_budget):
            run()
    except CheckFailure as failure:
        result.failure = failure
    except Flaky:
        result.failure = min(seen.values(), key=lambda f: len(_key(f.problem)))
        result.notes.append("Hypothesis reported the failure as flaky")
    except Unsatisfiable:
        result.notes.append("no example inside the declared support could be drawn")
    return result
