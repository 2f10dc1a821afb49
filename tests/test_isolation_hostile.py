"""The catalogue of hostile implementations: each is checked together with a correct one, in one real run.

One run checks every hostile drop-in of the catalogue beside a correct one, as a grader or a CI
owner would (``python -m conformance ... --strict -n 2`` in a subprocess): the run must end by itself
(no outer kill), exit 1, and its JSON report must hold every row, each hostile one failing with what
happened named, the correct one passing.  Before issue 13 each of these ended the run, hung it, or
turned it green (and, in one process, the first to do so hid all the others).
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

CORRECT = """
from conformance import implementation
from conformance.testing import backprop

IMPLEMENTATION = implementation("plain.correct", gradient=backprop(None))
"""

#: name -> (module text, what the hostile row's failures must say, the cause named)
HOSTILE = {
    "exit": ("""
        import os
        def gradient(params, X, Y):
            os._exit(0)
        """, "exited with status 0", "crashed"),
    "segfault": ("""
        import ctypes
        def gradient(params, X, Y):
            ctypes.string_at(0)
        """, "SIGSEGV", "crashed"),
    "signal": ("""
        import os, signal
        def gradient(params, X, Y):
            os.kill(os.getpid(), signal.SIGTERM)
        """, "SIGTERM", "crashed"),
    "keyboard_interrupt": ("""
        def gradient(params, X, Y):
            raise KeyboardInterrupt
        """, "KeyboardInterrupt", "raises"),
    "endless_loop_timer_disabled": ("""
        import signal
        def gradient(params, X, Y):
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            while True:
                pass
        """, "its worker was killed", "timeout"),
    "thread": ("""
        import threading, time
        from conformance.testing import backprop
        def _forever():
            while True:
                time.sleep(0.05)
        threading.Thread(target=_forever, name="left-behind").start()
        gradient = backprop(None)
        """, "left 1 non-daemon thread(s) running at shutdown ('left-behind')", "unclean_exit"),
    "atexit": ("""
        import atexit, os
        from conformance.testing import backprop
        atexit.register(os._exit, 0)
        gradient = backprop("summed")
        """, "an atexit hook ended the process (exited with status 0)", "unclean_exit"),
    "huge_allocation": ("""
        import numpy as np
        def gradient(params, X, Y):
            return np.ones(int(7.5e8))
        """, "MemoryError", "out_of_memory"),
    "output_flood": ("""
        import os
        from conformance.testing import backprop
        _g = backprop(None)
        def gradient(params, X, Y):
            print("x" * 50_000_000)
            os.write(1, b"y" * 5_000_000)
            return _g(params, X, Y)
        """, "a flood of 55000001 characters, cut at 65536", "prints_output"),
    "global_numpy_state": ("""
        import numpy as np
        from conformance.testing import backprop
        np.seterr(all="raise")
        np.set_printoptions(precision=1, threshold=2)
        gradient = backprop("summed")
        """, "differ from the reference", "summed_not_averaged"),
    "patches_the_checker": ("""
        import conformance.run.runner as runner
        import conformance.run.verdicts as verdicts
        from conformance.testing import backprop
        runner.run_check = lambda impl, check, **kw: verdicts.Verdict(check, "pass", "patched")
        verdicts.Verdict.unexpected = property(lambda self: False)
        gradient = backprop("sign")
        """, "differ from the reference", "sign_flipped"),
    "self_declared_known_failures_under_strict": ("""
        from conformance.testing import backprop
        gradient = backprop("summed")
        KNOWN = {"reference.agreement": "fine, trust me"}
        """, "differ from the reference", "summed_not_averaged"),
}
CHECKS = "reference.agreement,interface.quiet,interface.clean_exit"
#: An environment variable marking the processes of one run.
MARK = "CONFORMANCE_TEST_HOSTILE_RUN"
#: The limits of the shared run: a call may take 0.5 s (the endless loop is killed 1 s later), a worker 1 GiB.
LIMITS = ("--time-limit", "0.5", "--memory-limit", "1G")


def _module(name: str, body: str) -> str:
    known = ", known_failures=KNOWN" if "KNOWN =" in body else ""
    return (textwrap.dedent(body) + "\nfrom conformance import implementation\n"
            f"IMPLEMENTATION = implementation('hostile.{name}', gradient=gradient{known})\n")


def _run(folder: Path, names, *extra, checks: str = CHECKS):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.py").write_text(_module(name, HOSTILE[name][0]))
    (folder / "correct.py").write_text(textwrap.dedent(CORRECT))
    report = folder / "report.json"
    env = {k: v for k, v in os.environ.items() if k not in ("BACKPROP_IMPL", "PYTHONPATH")}
    env[MARK] = str(folder)  # inherited by every process of the run: how test_no_worker_... finds them
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "conformance", str(folder), "--profile", "dev", "--checks", checks,
                          "--json", str(report), *extra], cwd=ROOT, capture_output=True, text=True, timeout=400,
                         env=env)
    data = json.loads(report.read_text()) if report.exists() else None
    return out, data, time.monotonic() - t0, folder


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One run of every hostile drop-in beside a correct one: (completed process, JSON report, seconds, folder).

    Made once per test session: under pytest-xdist the first worker to get here runs it (a lock file in
    the folder the workers share) and the others read its result."""
    shared = tmp_path_factory.getbasetemp().parent
    result, lock = shared / "hostile_run.json", shared / "hostile_run.lock"
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        deadline = time.monotonic() + 600
        while not result.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        saved = json.loads(result.read_text())
        return (subprocess.CompletedProcess(saved["args"], saved["returncode"], saved["stdout"], saved["stderr"]),
                saved["data"], saved["seconds"], Path(saved["folder"]))
    out, data, seconds, folder = _run(shared / "hostile_dropins", sorted(HOSTILE), "--strict", "-n", "2", *LIMITS)
    tmp = result.with_suffix(".tmp")
    tmp.write_text(json.dumps({"args": out.args, "returncode": out.returncode, "stdout": out.stdout,
                               "stderr": out.stderr, "data": data, "seconds": seconds, "folder": str(folder)}))
    tmp.replace(result)
    return out, data, seconds, folder


def test_the_run_of_every_hostile_implementation_ends_by_itself_exits_1_and_reports_them_all(hostile_run):
    out, data, seconds, _ = hostile_run
    assert out.returncode == 1, f"exit {out.returncode} after {seconds:.1f} s\n{out.stdout[-3000:]}\n{out.stderr[-2000:]}"
    assert data is not None and data["strict"], out.stdout[-3000:] + out.stderr[-2000:]
    assert {r["name"] for r in data["implementations"]} == {f"hostile.{n}" for n in HOSTILE} | {"plain.correct"}
    correct = {r["name"]: r for r in data["implementations"]}["plain.correct"]
    assert correct["ok"] and all(v["status"] == "pass" for v in correct["verdicts"].values()), correct


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_implementation_fails_with_what_happened_named(hostile_run, name):
    data = hostile_run[1]
    row = {r["name"]: r for r in data["implementations"]}[f"hostile.{name}"]
    _, words, cause = HOSTILE[name]
    failed = [v for v in row["verdicts"].values() if v["status"] == "fail"]
    assert not row["ok"] and failed, row
    text = " ".join(v["message"] + " " + json.dumps(v["diagnosis"]) for v in failed)
    assert words in text, text[:3000]
    assert cause in {(v["diagnosis"] or {}).get("cause") for v in failed}, [v["diagnosis"] for v in failed]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to list processes")
def test_no_worker_process_outlives_the_run(hostile_run):
    """The hostile thread keeps its worker from exiting: the checker kills every worker as it ends."""
    marker = f"{MARK}={hostile_run[3]}\0".encode()
    left = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes():
                left.append((proc / "cmdline").read_bytes().replace(b"\0", b" ")[:120])
        except OSError:
            continue
    assert not left, f"processes of the run still running: {left}"


def test_the_known_failures_an_implementation_declares_apply_only_without_strict(tmp_path):
    out, data, _, _ = _run(tmp_path / "run", ["self_declared_known_failures_under_strict"], checks=CHECKS)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    row = {r["name"]: r for r in data["implementations"]}["hostile.self_declared_known_failures_under_strict"]
    assert row["verdicts"]["reference.agreement"]["status"] == "xfail"
    assert {"check": "reference.agreement", "reason": "fine, trust me", "origin": ""} in row["known_failures"]["applied"]
    assert "declared by the implementation" in out.stdout and not data["strict"]


def test_under_strict_the_report_lists_what_was_ignored_and_the_callers_file_applies(tmp_path):
    caller = tmp_path / "course.json"
    caller.write_text(json.dumps({"hostile.": {"reference.agreement": "the course accepts a summed gradient"}}))
    out, data, _, _ = _run(tmp_path / "run", ["self_declared_known_failures_under_strict"], "--strict",
                        "--known-failures", str(caller), checks=CHECKS)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    row = {r["name"]: r for r in data["implementations"]}["hostile.self_declared_known_failures_under_strict"]
    assert row["verdicts"]["reference.agreement"]["status"] == "xfail"
    assert row["known_failures"]["applied"] == [{"check": "reference.agreement", "origin": str(caller),
                                                 "reason": "the course accepts a summed gradient"}]
    assert row["known_failures"]["ignored"] == [{"check": "reference.agreement", "reason": "fine, trust me",
                                                 "origin": ""}]
    assert data["strict"] and data["known_failures_file"] == str(caller)
    assert f"given in {caller}" in out.stdout and "ignored" in out.stdout
