"""Running the checks under pytest (with pytest-xdist): ``run_pytest`` and the ``Collector`` plugin.

    run_pytest(target, ..., workers="2") -> (pytest exit code, [ImplementationReport], names)

Under pytest every (implementation, check) pair is one test of
``conformance/test_implementations.py``; known failures are
``xfail(strict=True)`` with the declared reason, so pytest itself reports
xfail and XPASS.  Each test records its ``Verdict`` as JSON in
``record_property``; ``Collector`` (a plugin in the controlling process) reads
them back from the reports, which pytest-xdist forwards from its workers.  The
reports are therefore identical to the in-process ones.

``run_pytest`` discovers the implementations once (through worker processes:
it imports none of them) and hands the declarations to the test module and the
xdist workers in a file (``conformance.run.loading.DECLARATIONS_VAR``).  The rest
of the configuration reaches them through environment variables, which plain
``pytest`` honours too (``conformance.run.loading``): BACKPROP_IMPL,
BACKPROP_IMPL_CMD / BACKPROP_IMPL_CONVENTIONS, CONFORMANCE_PROFILE (default:
$HYPOTHESIS_PROFILE or ci), CONFORMANCE_CHECKS, CONFORMANCE_SEED,
CONFORMANCE_TIME_LIMIT (seconds per call, default 5), CONFORMANCE_ISOLATION,
CONFORMANCE_STRICT, CONFORMANCE_KNOWN_FAILURES, CONFORMANCE_MEMORY_LIMIT,
CONFORMANCE_IMPL_TIME_LIMIT.
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from conformance.diagnosis.causes import Diagnosis
from conformance.dropin.discovery import ENV_VAR
from conformance.isolation.client import stop_all
from conformance.isolation.limits import Limits
from conformance.isolation.discover import write_rows
from conformance.run.loading import (CMD_VAR, CONVENTIONS_VAR, DECLARATIONS_VAR, RunSettings, found_for_run,
                                     settings_from_env)
from conformance.run.verdicts import ImplementationReport, Verdict

__all__ = ["run_pytest", "Collector", "hide_letters", "settings_from_env", "TEST_MODULE", "VERDICT_PROPERTY", "META_PROPERTY",
           "settings_env"]

#: The pytest module holding one test per (implementation, check).
TEST_MODULE = Path(__file__).resolve().parent.parent / "test_implementations.py"
VERDICT_PROPERTY = "conformance_verdict"
META_PROPERTY = "conformance_impl"


def settings_env(settings: RunSettings, limits: Optional[Limits] = None) -> Dict[str, str]:
    """The environment variables that describe ``settings`` (and ``limits``) to the test module."""
    env = {"CONFORMANCE_PROFILE": settings.profile, "CONFORMANCE_SEED": str(settings.seed),
           "CONFORMANCE_CHECKS": settings.checks or "", ENV_VAR: settings.target or "",
           "CONFORMANCE_TIME_LIMIT": "" if settings.time_limit is None else str(settings.time_limit),
           CMD_VAR: "\n".join(c for c, _ in settings.commands),
           CONVENTIONS_VAR: "\n".join(str(f) for _, f in settings.commands),
           "CONFORMANCE_ISOLATION": settings.isolation, "CONFORMANCE_STRICT": "1" if settings.strict else "",
           "CONFORMANCE_KNOWN_FAILURES": settings.known_failures or "", DECLARATIONS_VAR: ""}
    if limits is not None:
        env["CONFORMANCE_IMPL_TIME_LIMIT"] = str(limits.impl_time_limit)
        env["CONFORMANCE_MEMORY_LIMIT"] = "0" if limits.memory is None else str(limits.memory)
    return env


_ID = re.compile(r"\[(?P<id>.*)\]$")


class Collector:
    """pytest plugin (controller side): gathers the Verdict of every conformance test report.

    ``listeners`` (``conformance.run.live``: progress, the partial JSON report) are called with
    ``(implementation name, verdict, {implementation: verdicts so far})`` as each verdict arrives;
    ``run_in_process`` feeds the same collector through ``add``.
    """

    def __init__(self, listeners: Sequence[Callable] = ()) -> None:
        self.verdicts: Dict[str, Dict[str, Verdict]] = {}
        self.meta: Dict[str, dict] = {}
        self.listeners = list(listeners)
        self.lock = threading.RLock()     # held while a verdict is added (a listener's timer reads the reports)

    def add(self, impl: str, verdict: Verdict, meta: Optional[dict] = None) -> None:
        """Record one verdict (and the implementation's description, once), then tell the listeners."""
        with self.lock:
            if meta is not None:
                self.meta.setdefault(impl, meta)
            self.verdicts.setdefault(impl, {})[verdict.check] = verdict
            done = {name: len(v) for name, v in self.verdicts.items()}
            for listener in self.listeners:
                listener(impl, verdict, done)

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        if VERDICT_PROPERTY in props and report.when == "call":
            meta = json.loads(props[META_PROPERTY])
            self.add(meta["name"], Verdict.from_dict(json.loads(props[VERDICT_PROPERTY])), meta)
        elif report.failed and "test_implementations.py" in report.nodeid and VERDICT_PROPERTY not in props:
            m = _ID.search(report.nodeid)
            if m and "::" in m.group("id"):
                impl, check = m.group("id").rsplit("::", 1)
                text = str(report.longrepr).strip().splitlines()[-1:] or ["no details"]
                self.add(impl, Verdict(check, "fail", f"[{impl}] {check}: the test crashed ({report.when}): {text[0]}",
                                        diagnosis=Diagnosis(cause="raises", cause_text=text[0], check=check, impl=impl)))

    def reports(self, order: Sequence[str] = ()) -> List[ImplementationReport]:
        names = list(dict.fromkeys(list(order) + sorted(self.verdicts)))
        out = []
        for name in names:
            meta = self.meta.get(name, {})
            verdicts = dict(sorted(self.verdicts.get(name, {}).items()))
            out.append(ImplementationReport(name, verdicts=verdicts, description=meta.get("description", ""),
                                            source=meta.get("source", ""),
                                            known_failures=meta.get("known_failures", []),
                                            ignored_known_failures=meta.get("ignored_known_failures", []),
                                            seconds=sum(v.seconds for v in verdicts.values())))
        return out


def hide_letters():
    """A pytest plugin: no '.', 's', 'x' per test on the terminal (a progress line shows the run instead)."""
    import pytest

    class HideLetters:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_report_teststatus(self, report, config):
            outcome = yield
            result = outcome.get_result()
            if result and len(result) == 3 and isinstance(result[1], str) and len(result[1]) <= 1:
                outcome.force_result((result[0], "", result[2]))

    return HideLetters()


def run_pytest(target: Optional[str] = None, *, profile: str = "ci", checks: Optional[str] = None, seed: int = 0,
               workers: Optional[str] = None, junitxml: Optional[str] = None, time_limit: Optional[float] = None,
               extra_args: Sequence[str] = (), quiet: bool = True, settings: Optional[RunSettings] = None,
               limits: Optional[Limits] = None, found: Optional[list] = None, collector: Optional[Collector] = None,
               letters: bool = True) -> Tuple[int, List[ImplementationReport], List[str]]:
    """Run the conformance tests under pytest; (exit code, reports, names in discovery order).

    ``settings`` (``conformance.run.loading.RunSettings``) describes the run in full; without it the
    keyword arguments do, with the defaults (worker processes, the implementations' own known failures).
    ``found``: the implementations ``found_for_run(settings)`` returned, when the caller has them already.
    ``collector``: the caller's (with its listeners), which then holds the verdicts also when the run is
    interrupted.  ``letters=False``: pytest prints no letter per test (a progress line replaces them).
    """
    import pytest

    settings = settings or RunSettings(profile=profile, seed=seed, checks=checks, time_limit=time_limit,
                                       target=target)
    env = settings_env(settings, limits)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    args = [str(TEST_MODULE), "-p", "no:cacheprovider", "-o", "addopts=", "-o", "console_output_style=classic",
            "-rN", "--tb=no", "-qq" if quiet else "-v", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "-W", "ignore::pytest.PytestUnknownMarkWarning", "-W", "ignore::pytest.PytestExperimentalApiWarning"]
    if workers not in (None, "", "0"):
        args += ["-n", str(workers), "--dist", "worksteal"]
    if junitxml:
        args += ["--junitxml", junitxml, "-o", "junit_family=xunit1", "-o", "junit_suite_name=backprop-conformance"]
    args += list(extra_args)
    collector = Collector() if collector is None else collector
    plugins = [collector] if letters else [collector, hide_letters()]
    sys.modules.pop("conformance.test_implementations", None)  # its settings are read at import
    rows = None
    try:
        found = found_for_run(settings, keep_workers=False) if found is None else found
        stop_all()   # the workers that discovered: the tests start their own
        order = [i.name for i in found]
        if settings.isolation == "workers":
            fd, rows = tempfile.mkstemp(prefix="conformance-declarations-", suffix=".json")
            os.close(fd)
            write_rows(rows, found)
            os.environ[DECLARATIONS_VAR] = rows
        code = int(pytest.main(args, plugins=plugins))
    finally:
        stop_all()
        if rows:
            os.unlink(rows)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, collector.reports(order), order
