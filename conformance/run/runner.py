"""Running the checks in this process: one check, one implementation, or a list of them.

    run_check(impl, check, profile="ci", seed=0) -> Verdict
    check_implementation(impl, profile="ci", checks=None, seed=0) -> ImplementationReport
    run_in_process(impls, ...) -> [ImplementationReport]

``run_check`` is where a check's result becomes a verdict: the declared known
failures are applied, and a failure is diagnosed (``conformance.diagnosis``) on
the shrunk example.  Nothing a misbehaving implementation does escapes it.
"""
from __future__ import annotations

import dataclasses
import os
import time
import traceback
from typing import Callable, Iterable, List, Optional, Sequence

from conformance.checks import CHECKS, CheckResult, select_checks
from conformance.checks.registry import unmatched_known_failures
from conformance.core.context import Context
from conformance.core.corpus import REPLAY_VAR, load_entries, load_entry
from conformance.core.search import CheckFailure
from conformance.diagnosis import diagnose_failure
from conformance.dropin.protocol import Implementation
from conformance.run.verdicts import ImplementationReport, Verdict

__all__ = ["run_check", "check_implementation", "run_in_process", "validated"]


def validated(impl: Implementation) -> Implementation:
    """``impl``, or a row that fails to load when its declaration names known failures that match no check."""
    if impl.load_error or impl.unavailable:
        return impl
    problems = unmatched_known_failures(impl.known_failures)
    if not problems:
        return impl
    return dataclasses.replace(impl, load_error=f"{impl.name}: " + "; ".join(problems),
                               description="invalid declaration")


def _load_failure(impl: Implementation, check: str) -> CheckResult:
    return CheckResult("fail", f"[{impl.name}] {check}: {impl.load_error}",
                       CheckFailure(impl.load_error, hint="import_error"))


def _status(result: CheckResult, impl: Implementation, check: str):
    kf = impl.known_failure(check)
    if result.status == "skip":
        return "skip", kf.reason if kf else ""
    if kf is None:
        return result.status, ""
    return ("xfail" if result.status == "fail" else "xpass"), kf.reason


def replay_entries(impl: Implementation, check: str, replay_dir: Optional[str] = None) -> tuple:
    """The saved examples to run first: the corpus' (``replay_dir``, else $CONFORMANCE_REPLAY) and the
    counterexample a known failure pins."""
    folder = replay_dir or os.environ.get(REPLAY_VAR)
    entries = list(load_entries(folder, impl.name, check)) if folder else []
    kf = impl.known_failure(check)
    pinned = getattr(kf, "counterexample", "") if kf is not None else ""
    if pinned:
        try:
            entries.append(load_entry(pinned))
        except (OSError, ValueError, KeyError) as exc:
            entries.append({"file": pinned, "example": None, "error": f"{type(exc).__name__}: {exc}"})
    return tuple(e for e in entries if e.get("example") is not None)


def run_check(impl: Implementation, check: str, *, profile: str = "ci", seed: int = 0,
              eta: Optional[float] = None, time_limit: Optional[float] = None, diagnose: bool = True,
              replay_dir: Optional[str] = None) -> Verdict:
    """Run one check on one implementation; never raises for a misbehaving implementation.

    Saved examples (``replay_dir`` or $CONFORMANCE_REPLAY, and a known failure's pinned
    counterexample) run first; the verdict's data says per file "still failing" or "now passes".
    """
    ctx_kwargs = {k: v for k, v in (("eta", eta), ("time_limit", time_limit)) if v is not None}
    ctx = Context(impl, profile=profile, seed=seed, known_failure=impl.known_failure(check) is not None,
                  replay=replay_entries(impl, check, replay_dir) if not (impl.load_error or impl.unavailable) else (),
                  **ctx_kwargs)
    t0 = time.perf_counter()
    if impl.load_error:
        result = _load_failure(impl, check)
    elif impl.unavailable:
        result = CheckResult("skip", f"not available: {impl.unavailable}")
    else:
        try:
            result = CHECKS[check].run(ctx)
        except Exception as exc:  # a bug in the suite itself: say so, never stop the run
            result = CheckResult("fail", f"[{impl.name}] {check}: internal error in the conformance suite: "
                                 f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}")
    status, reason = _status(result, impl, check)
    diag = None
    if result.status == "fail" and result.failure is not None and diagnose:
        try:
            diag = diagnose_failure(ctx, check, result.failure)
        except Exception as exc:  # the verdict stands without a diagnosis
            result.notes.append(f"diagnosis failed: {type(exc).__name__}: {exc}")
    message = result.message + "".join(f"\n  ({n})" for n in result.notes)
    return Verdict(check=check, status=status, message=message, diagnosis=diag, reason=reason,
                   examples=result.examples, seconds=time.perf_counter() - t0, data=result.data)


def check_implementation(impl: Implementation, *, profile: str = "ci", checks: Optional[Iterable[str]] = None,
                         seed: int = 0, eta: Optional[float] = None, time_limit: Optional[float] = None,
                         on_verdict: Optional[Callable[[Implementation, Verdict], None]] = None
                         ) -> ImplementationReport:
    """Run the selected checks (all by default) on one implementation; never raises for it.

    ``on_verdict(impl, verdict)`` is called as each verdict is made (progress, a partial report)."""
    t0 = time.perf_counter()
    impl = validated(impl)
    report = ImplementationReport(impl.name, description=impl.description, source=impl.source)
    for check in select_checks(list(checks) if checks is not None else None):
        report.verdicts[check] = run_check(impl, check, profile=profile, seed=seed, eta=eta, time_limit=time_limit)
        if on_verdict is not None:
            on_verdict(impl, report.verdicts[check])
    report.seconds = time.perf_counter() - t0
    return report


def run_in_process(impls: Sequence[Implementation], **kwargs) -> List[ImplementationReport]:
    """``check_implementation`` for every implementation, in order (``on_verdict`` as there)."""
    return [check_implementation(impl, **kwargs) for impl in impls]
