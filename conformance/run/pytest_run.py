"""Running the checks under pytest (with pytest-xdist): ``run_pytest`` and the ``Collector`` plugin.

    run_pytest(target, ..., workers="2") -> (pytest exit code, [ImplementationReport], names)

Under pytest every (implementation, check) pair is one test of
``conformance/test_implementations.py``; known failures are
``xfail(strict=True)`` with the declared reason, so pytest itself reports
xfail and XPASS.  Each test records its ``Verdict`` as JSON in
``record_property``; ``Collector`` (a plugin in the controlling process) reads
them back from the reports, which pytest-xdist forwards from its workers.  The
reports are therefore identical to the in-process ones.

Configuration reaches the test module (and the xdist workers) through
environment variables, which plain ``pytest`` honours too:

    BACKPROP_IMPL         the implementations (see conformance.dropin.discovery)
    CONFORMANCE_PROFILE   dev | ci | thorough (default: $HYPOTHESIS_PROFILE, else ci, as the command line)
    CONFORMANCE_CHECKS    comma-separated check ids or families (default: all)
    CONFORMANCE_SEED      integer seed (default 0)
    CONFORMANCE_TIME_LIMIT seconds per call (default 5)
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from conformance.diagnosis.causes import Diagnosis
from conformance.dropin.discovery import ENV_VAR, load_implementations
from conformance.run.verdicts import ImplementationReport, Verdict

__all__ = ["run_pytest", "Collector", "settings_from_env", "TEST_MODULE", "VERDICT_PROPERTY", "META_PROPERTY"]

#: The pytest module holding one test per (implementation, check).
TEST_MODULE = Path(__file__).resolve().parent.parent / "test_implementations.py"
VERDICT_PROPERTY = "conformance_verdict"
META_PROPERTY = "conformance_impl"


def settings_from_env() -> dict:
    """profile, seed, checks, time_limit and target from the environment (see the module docstring)."""
    profile = os.environ.get("CONFORMANCE_PROFILE") or os.environ.get("HYPOTHESIS_PROFILE") or "ci"
    limit = os.environ.get("CONFORMANCE_TIME_LIMIT")
    return {"profile": profile, "seed": int(os.environ.get("CONFORMANCE_SEED", "0")),
            "checks": os.environ.get("CONFORMANCE_CHECKS") or None,
            "time_limit": float(limit) if limit else None, "target": os.environ.get(ENV_VAR) or None}


_ID = re.compile(r"\[(?P<id>.*)\]$")


class Collector:
    """pytest plugin (controller side): gathers the Verdict of every conformance test report."""

    def __init__(self) -> None:
        self.verdicts: Dict[str, Dict[str, Verdict]] = {}
        self.meta: Dict[str, dict] = {}

    def _add(self, impl: str, verdict: Verdict) -> None:
        self.verdicts.setdefault(impl, {})[verdict.check] = verdict

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        if VERDICT_PROPERTY in props and report.when == "call":
            meta = json.loads(props[META_PROPERTY])
            self.meta.setdefault(meta["name"], meta)
            self._add(meta["name"], Verdict.from_dict(json.loads(props[VERDICT_PROPERTY])))
        elif report.failed and "test_implementations.py" in report.nodeid and VERDICT_PROPERTY not in props:
            m = _ID.search(report.nodeid)
            if m and "::" in m.group("id"):
                impl, check = m.group("id").rsplit("::", 1)
                text = str(report.longrepr).strip().splitlines()[-1:] or ["no details"]
                self._add(impl, Verdict(check, "fail", f"[{impl}] {check}: the test crashed ({report.when}): {text[0]}",
                                        diagnosis=Diagnosis(cause="raises", cause_text=text[0], check=check, impl=impl)))

    def reports(self, order: Sequence[str] = ()) -> List[ImplementationReport]:
        names = list(dict.fromkeys(list(order) + sorted(self.verdicts)))
        out = []
        for name in names:
            meta = self.meta.get(name, {})
            verdicts = dict(sorted(self.verdicts.get(name, {}).items()))
            out.append(ImplementationReport(name, verdicts=verdicts, description=meta.get("description", ""),
                                            source=meta.get("source", ""),
                                            seconds=sum(v.seconds for v in verdicts.values())))
        return out


def run_pytest(target: Optional[str] = None, *, profile: str = "ci", checks: Optional[str] = None, seed: int = 0,
               workers: Optional[str] = None, junitxml: Optional[str] = None, time_limit: Optional[float] = None,
               extra_args: Sequence[str] = (), quiet: bool = True) -> Tuple[int, List[ImplementationReport], List[str]]:
    """Run the conformance tests under pytest; (exit code, reports, names in discovery order)."""
    import pytest

    env = {"CONFORMANCE_PROFILE": profile, "CONFORMANCE_SEED": str(seed), "CONFORMANCE_CHECKS": checks or "",
           ENV_VAR: target or "", "CONFORMANCE_TIME_LIMIT": "" if time_limit is None else str(time_limit)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    args = [str(TEST_MODULE), "-p", "no:cacheprovider", "-o", "addopts=", "-o", "console_output_style=classic",
            "-rN", "--tb=no", "-qq" if quiet else "-v", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "-W", "ignore::pytest.PytestUnknownMarkWarning"]
    if workers not in (None, "", "0"):
        args += ["-n", str(workers), "--dist", "worksteal"]
    if junitxml:
        args += ["--junitxml", junitxml, "-o", "junit_family=xunit1", "-o", "junit_suite_name=backprop-conformance"]
    args += list(extra_args)
    collector = Collector()
    sys.modules.pop("conformance.test_implementations", None)  # its settings are read at import
    try:
        order = [i.name for i in load_implementations(target or None)]
        code = int(pytest.main(args, plugins=[collector]))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, collector.reports(order), order
