"""``parametrize_with_checks``: the conformance checks as items of a user's own pytest module.

    from conformance import parametrize_with_checks

    @parametrize_with_checks(["impls/my_backprop.py"], expected_failures={"finite_differences.own_loss": "why"})
    def test_backprop(impl, check):
        check(impl)

One pytest item per (implementation, check) with the stable id ``impl::check``. A failure raises
with the same finding text as the command line (where, the cause, the reproducer). Expected
failures (keys ``check``, ``impl::check`` or a prefix ending in ".") and the known failures the
implementation declares itself are strict xfail marks: a check that passes there fails the item.
"""
from __future__ import annotations

from typing import Dict, Iterable, Mapping, Optional, Sequence, Union

from conformance.checks import select_checks
from conformance.dropin.protocol import Implementation
from conformance.run.loading import RunSettings, implementations_for_run
from conformance.run.report import format_verdict
from conformance.run.runner import run_check, validated

__all__ = ["ConformanceCheck", "parametrize_with_checks", "resolve_implementations"]


class ConformanceCheck:
    """One check as a callable: ``check(impl)`` runs it and raises with the finding text on a failure."""

    def __init__(self, check_id: str, *, profile: str = "ci", seed: int = 0, time_limit: Optional[float] = None):
        self.id, self.profile, self.seed, self.time_limit = check_id, profile, seed, time_limit

    def __call__(self, impl: Implementation):
        import pytest
        verdict = run_check(impl, self.id, profile=self.profile, seed=self.seed, time_limit=self.time_limit)
        if verdict.status == "skip":
            pytest.skip(verdict.message)
        if verdict.status in ("fail", "xfail"):
            pytest.fail(format_verdict(verdict), pytrace=False)
        return verdict

    def __repr__(self) -> str:
        return self.id


def resolve_implementations(impls: Iterable[Union[Implementation, str]], *, isolation: str = "workers") -> list:
    """Implementation objects as given (already imported: they run in this process); strings (files, folders,
    modules, names) through discovery, each in a worker process of its own unless ``isolation="in-process"``."""
    out = []
    for item in impls:
        if isinstance(item, Implementation):
            out.append(validated(item))
        else:
            out += implementations_for_run(RunSettings(target=str(item), isolation=isolation)).impls
    return out


def _expected(impl: Implementation, check: str, expected: Mapping[str, str]) -> Optional[str]:
    for key in (f"{impl.name}::{check}", check):
        if key in expected:
            return expected[key]
    for key, reason in expected.items():
        scope, _, cid = key.rpartition("::")
        if (not scope or scope == impl.name) and cid.endswith(".") and check.startswith(cid):
            return reason
    kf = impl.known_failure(check)
    return kf.reason if kf is not None else None


def parametrize_with_checks(impls: Sequence[Union[Implementation, str]], expected_failures: Optional[Dict[str, str]] = None,
                            *, checks=None, profile: str = "ci", seed: int = 0, time_limit: Optional[float] = None,
                            isolation: str = "workers"):
    """A ``pytest.mark.parametrize("impl, check", ...)`` over every (implementation, check) pair; implementations
    named by a string run in worker processes (``isolation="in-process"`` imports them here, for debugging)."""
    import pytest
    expected = dict(expected_failures or {})
    params = []
    for impl in resolve_implementations(impls, isolation=isolation):
        for cid in select_checks(checks):
            reason = None if impl.unavailable else _expected(impl, cid, expected)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(impl, ConformanceCheck(cid, profile=profile, seed=seed, time_limit=time_limit),
                                       id=f"{impl.name}::{cid}", marks=marks))
    return pytest.mark.parametrize("impl, check", params)
