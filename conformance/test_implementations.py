"""The conformance run as pytest tests: one test per (implementation, check).

Plain ``pytest`` collects this module (testpaths include conformance/), as do
``python -m conformance`` and ``backprop-conformance`` (which add the table and
the reports).  The implementations come from ``conformance.run.loading`` (by default
each runs in a worker process of its own: this process never imports them); the
profile, seed, checks, limits and known-failure policy from the environment
(``conformance.run.loading.settings_from_env``).

A known failure the run applies is ``xfail(strict=True, reason=...)``: a failing
check shows as xfail, a passing one as a strict XPASS, which fails the run.
"""
from __future__ import annotations

import json

import pytest

from conformance.checks import select_checks
from conformance.run.loading import implementations_for_run, settings_from_env
from conformance.run.pytest_run import META_PROPERTY, VERDICT_PROPERTY
from conformance.run.findings import summary_of
from conformance.run.report import format_verdict
from conformance.run.runner import run_check
from conformance.run.trust import records

SETTINGS = settings_from_env()
LOADED = implementations_for_run(SETTINGS)


def _cases():
    cases = []
    for impl in LOADED.impls:
        for check in select_checks(SETTINGS.checks):
            kf = impl.known_failure(check)
            marks = [pytest.mark.xfail(strict=True, reason=kf.reason)] if kf and not impl.unavailable else []
            cases.append(pytest.param(impl, check, marks=marks, id=f"{impl.name}::{check}"))
    return cases


@pytest.mark.parametrize("impl,check", _cases())
def test_conformance(impl, check, record_property, record_xml_attribute):
    # JUnit: the class is the check id and the name the implementation, never an install path
    record_xml_attribute("classname", check)
    record_xml_attribute("name", impl.name)
    verdict = run_check(impl, check, profile=SETTINGS.profile, seed=SETTINGS.seed, time_limit=SETTINGS.time_limit)
    applied, ignored = records(impl, LOADED.ignored.get(impl.name, ()))
    record_property(META_PROPERTY, json.dumps({"name": impl.name, "description": impl.description,
                                               "source": impl.source, "known_failures": applied,
                                               "ignored_known_failures": ignored}))
    record_property(VERDICT_PROPERTY, json.dumps(verdict.to_dict()))
    d = verdict.diagnosis
    if d is not None and verdict.status in ("fail", "xfail"):   # the root cause, for JUnit readers
        record_property("cause", d.cause or "unknown")
        record_property("finding", summary_of(d, verdict))
        if d.explained is not None:
            record_property("explained", f"{d.explained:.4f}")
        if d.native or d.location():
            record_property("where", d.native or d.location())
    if verdict.status == "skip":
        pytest.skip(verdict.message)
    if verdict.status in ("fail", "xfail"):
        pytest.fail(format_verdict(verdict), pytrace=False)
