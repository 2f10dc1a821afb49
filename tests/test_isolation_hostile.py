"""The catalogue of hostile implementations: each is checked together with a correct one, in one real run.

Every case runs ``python -m conformance hostile.py correct.py`` in a subprocess, as a grader or a CI
owner would: the run must end by itself (no outer kill), exit 1, and its JSON report must hold both
rows, the hostile one failing with what happened named, the correct one passing.  Before issue 13
each of these ended the run, hung it, or turned it green.
"""
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = "interface.shapes,reference.agreement,interface.quiet,interface.clean_exit"

CORRECT = """
from conformance import implementation
from conformance.testing import backprop

IMPLEMENTATION = implementation("plain.correct", gradient=backprop(None))
"""

#: name -> (module text, checks, extra arguments, what the hostile row's failures must say, the cause named)
HOSTILE = {
    "exit": ("""
        import os
        from conformance.testing import backprop
        def gradient(params, X, Y):
            os._exit(0)
        """, CHECKS, (), "exited with status 0", "crashed"),
    "segfault": ("""
        import ctypes
        def gradient(params, X, Y):
            ctypes.string_at(0)
        """, CHECKS, (), "SIGSEGV", "crashed"),
    "signal": ("""
        import os, signal
        def gradient(params, X, Y):
            os.kill(os.getpid(), signal.SIGTERM)
        """, CHECKS, (), "SIGTERM", "crashed"),
    "keyboard_interrupt": ("""
        def gradient(params, X, Y):
            raise KeyboardInterrupt
        """, CHECKS, (), "KeyboardInterrupt", "raises"),
    "endless_loop_timer_disabled": ("""
        import signal
        def gradient(params, X, Y):
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                pass
        """, "interface.shapes,reference.agreement", ("--time-limit", "0.5"), "its worker was killed", "timeout"),
    "thread": ("""
        import threading, time
        from conformance.testing import backprop
        def _forever():
            while True:
                time.sleep(0.05)
        threading.Thread(target=_forever, name="left-behind").start()
        gradient = backprop(None)
        """, CHECKS, (), "left 1 non-daemon thread(s) running at shutdown ('left-behind')", "unclean_exit"),
    "atexit": ("""
        import atexit, os
        from conformance.testing import backprop
        atexit.register(os._exit, 0)
        gradient = backprop("summed")
        """, CHECKS, (), "an atexit hook ended the process (exited with status 0)", "unclean_exit"),
    "huge_allocation": ("""
        import numpy as np
        def gradient(params, X, Y):
            return np.ones(int(7.5e8))
        """, CHECKS, ("--memory-limit", "1G"), "MemoryError", "out_of_memory"),
    "output_flood": ("""
        import os
        from conformance.testing import backprop
        _g = backprop(None)
        def gradient(params, X, Y):
            print("x" * 50_000_000)
            os.write(1, b"y" * 5_000_000)
            return _g(params, X, Y)
        """, CHECKS, (), "a flood of 55000001 characters, cut at 65536", "prints_output"),
    "global_numpy_state": ("""
        import numpy as np
        from conformance.testing import backprop
        np.seterr(all="raise")
        np.set_printoptions(precision=1, threshold=2)
        gradient = backprop("summed")
        """, CHECKS + ",interface.finite", (), "differ from the reference", "summed_not_averaged"),
    "patches_the_checker": ("""
        import conformance.run.runner as runner
        import conformance.run.verdicts as verdicts
        from conformance.testing import backprop
        runner.run_check = lambda impl, check, **kw: verdicts.Verdict(check, "pass", "patched")
        verdicts.Verdict.unexpected = property(lambda self: False)
        gradient = backprop("sign")
        """, CHECKS, (), "differ from the reference", "sign_flipped"),
    "self_declared_known_failures_under_strict": ("""
        from conformance.testing import backprop
        gradient = backprop("summed")
        KNOWN = {"reference.agreement": "fine, trust me"}
        """, CHECKS, ("--strict",), "differ from the reference", "summed_not_averaged"),
}


def _module(name: str, body: str) -> str:
    known = ", known_failures=KNOWN" if "KNOWN =" in body else ""
    return (textwrap.dedent(body) + "\nfrom conformance import implementation\n"
            f"IMPLEMENTATION = implementation('hostile.{name}', gradient=gradient{known})\n")


def _run(tmp_path: Path, name: str, body: str, checks: str, extra=()):
    folder = tmp_path / "dropins"
    folder.mkdir()
    (folder / "hostile.py").write_text(_module(name, body))
    (folder / "correct.py").write_text(textwrap.dedent(CORRECT))
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if k not in ("BACKPROP_IMPL", "PYTHONPATH")}
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "conformance", str(folder / "hostile.py"), str(folder / "correct.py"),
                          "--profile", "dev", "--checks", checks, "--json", str(report), *extra],
                         cwd=ROOT, capture_output=True, text=True, timeout=240, env=env)
    data = json.loads(report.read_text()) if report.exists() else None
    return out, data, time.monotonic() - t0


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_implementation_fails_named_and_the_correct_one_beside_it_passes(tmp_path, name):
    body, checks, extra, words, cause = HOSTILE[name]
    out, data, seconds = _run(tmp_path, name, body, checks, extra)
    assert out.returncode == 1, f"exit {out.returncode} after {seconds:.1f} s\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}"
    assert data is not None, out.stdout[-3000:] + out.stderr[-2000:]
    rows = {r["name"]: r for r in data["implementations"]}
    assert set(rows) == {f"hostile.{name}", "plain.correct"}
    correct, hostile = rows["plain.correct"], rows[f"hostile.{name}"]
    assert correct["ok"] and all(v["status"] == "pass" for v in correct["verdicts"].values()), correct
    failed = [v for v in hostile["verdicts"].values() if v["status"] == "fail"]
    assert not hostile["ok"] and failed, hostile
    text = " ".join(v["message"] + " " + json.dumps(v["diagnosis"]) for v in failed)
    assert words in text, text[:3000]
    assert cause in {(v["diagnosis"] or {}).get("cause") for v in failed}, [v["diagnosis"] for v in failed]


def test_the_known_failures_an_implementation_declares_apply_only_without_strict(tmp_path):
    body = HOSTILE["self_declared_known_failures_under_strict"][0]
    out, data, _ = _run(tmp_path, "self_declared_known_failures_under_strict", body, CHECKS)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    row = {r["name"]: r for r in data["implementations"]}["hostile.self_declared_known_failures_under_strict"]
    assert row["verdicts"]["reference.agreement"]["status"] == "xfail"
    assert {"check": "reference.agreement", "reason": "fine, trust me", "origin": ""} in row["known_failures"]["applied"]
    assert "declared by the implementation" in out.stdout and not data["strict"]


def test_under_strict_the_report_lists_what_was_ignored_and_the_callers_file_applies(tmp_path):
    body = HOSTILE["self_declared_known_failures_under_strict"][0]
    caller = tmp_path / "course.json"
    caller.write_text(json.dumps({"hostile.": {"reference.agreement": "the course accepts a summed gradient"}}))
    out, data, _ = _run(tmp_path, "self_declared_known_failures_under_strict", body, CHECKS,
                        ("--strict", "--known-failures", str(caller)))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    row = {r["name"]: r for r in data["implementations"]}["hostile.self_declared_known_failures_under_strict"]
    assert row["verdicts"]["reference.agreement"]["status"] == "xfail"
    assert row["known_failures"]["applied"] == [{"check": "reference.agreement", "origin": str(caller),
                                                 "reason": "the course accepts a summed gradient"}]
    assert row["known_failures"]["ignored"] == [{"check": "reference.agreement", "reason": "fine, trust me", "origin": ""}]
    assert data["strict"] and data["known_failures_file"] == str(caller)
    assert f"given in {caller}" in out.stdout and "ignored" in out.stdout
