"""A run stopped by SIGINT (Ctrl-C) or SIGTERM (a CI timeout): the table and the JSON of what finished, exit
130 or 143, no process left behind; and the progress it shows meanwhile (on a terminal, in a log, not in CI).

Each run checks two implementations on two checks: a correct one, and one whose gradient sleeps for an
hour (--time-limit 600 keeps the call going).  The test reads the JSON report while the run goes (it is
rewritten as verdicts arrive, and must parse at every read), sends the signal once the correct
implementation's two verdicts are in, and looks for every process that inherited the run's environment.
"""
import json
import os
import pty
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(),
                                reason="finding the run's processes reads /proc (Linux)")

IMPLS = {"good": 'IMPLEMENTATION = subject("tmp.good", None)', "hang": 'IMPLEMENTATION = subject("tmp.hang", "hang")'}


def _impls(tmp_path):
    folder = tmp_path / "impls_under_test"
    folder.mkdir()
    for name, line in IMPLS.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(f"from conformance.testing import subject\n{line}\n"))
    return folder


def _processes_with(mark: str):
    """The pids whose environment holds ``mark`` (the run, its pytest-xdist workers, their worker processes)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if mark.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


class Run:
    """``python -m conformance`` on the two implementations, its stderr on a terminal (a pty) when asked."""

    def __init__(self, tmp_path, *args, tty=False, env=None):
        self.json, self.mark = tmp_path / "partial.json", uuid.uuid4().hex
        cmd = [sys.executable, "-m", "conformance", str(_impls(tmp_path)), "--profile", "dev", "--checks",
               "interface.shapes,reference.agreement", "--time-limit", "600", "--json", str(self.json), *args]
        environ = {**os.environ, "CONFORMANCE_TEST_RUN": self.mark, **(env or {})}
        if "CI" not in (env or {}):
            environ.pop("CI", None)       # progress follows the terminal, not the CI this test may run in
        self.err, self._chunks = "", []
        if tty:
            master, slave = pty.openpty()
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, env=environ, text=True)
            os.close(slave)
            self._reader = threading.Thread(target=self._drain, args=(master,), daemon=True)
            self._reader.start()
        else:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ,
                                         text=True)
            self._reader = None

    def _drain(self, fd):
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            self._chunks.append(data)
        os.close(fd)

    def wait_for_verdicts(self, n: int, timeout: float = 180) -> dict:
        """Poll the JSON report until it holds ``n`` verdicts; every read of the file must parse."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            if self.json.exists():
                report = json.loads(self.json.read_text())      # written atomically: never half a file
                if report["verdicts_done"] >= n:
                    return report
            time.sleep(0.05)
        raise AssertionError(f"fewer than {n} verdicts after {timeout} s")

    def stop(self, sig) -> int:
        self.proc.send_signal(sig)
        self.out, err = self.proc.communicate(timeout=120)
        if self._reader is not None:
            self._reader.join(timeout=10)
            err = b"".join(self._chunks).decode("utf-8", "replace")
        self.err = err
        return self.proc.returncode

    def survivors(self, wait: float = 5.0):
        deadline = time.monotonic() + wait
        while _processes_with(self.mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        return _processes_with(self.mark)


def _assert_partial(run, code, sig):
    assert code == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], run.out + run.err
    report = json.loads(run.json.read_text())
    assert report["complete"] is False and report["interrupted"] == sig.name and report["verdicts_planned"] == 4
    rows = {r["name"]: r for r in report["implementations"]}
    assert {c: v["status"] for c, v in rows["tmp.good"]["verdicts"].items()} == {
        "interface.shapes": "pass", "reference.agreement": "pass"}
    assert report["verdicts_done"] == sum(len(r["verdicts"]) for r in rows.values()) >= 2
    assert "tmp.good" in run.out and "implementation" in run.out          # the table of what finished
    assert f"interrupted by {sig.name} after" in run.err and '"complete": false' in run.err
    assert run.survivors() == [], "processes of the run outlived it"


def test_sigint_under_xdist_leaves_the_partial_json_the_table_exit_130_and_no_process(tmp_path):
    run = Run(tmp_path, "-n", "2", tty=True)
    first = run.wait_for_verdicts(2)
    assert first["complete"] is False and first["interrupted"] is None
    t0 = time.monotonic()
    code = run.stop(signal.SIGINT)
    _assert_partial(run, code, signal.SIGINT)
    assert time.monotonic() - t0 < 60        # the sleeping call is killed, not waited for
    # progress on the terminal: checks done of total, per implementation; no pytest letters on stdout
    assert "\r\x1b[K[" in run.err and "/4] tmp.good  " in run.err and "  2/2  " in run.err
    assert ".." not in run.out.split("implementation")[0]


def test_sigterm_without_xdist_with_progress_in_a_log(tmp_path):
    run = Run(tmp_path, "--progress")
    run.wait_for_verdicts(2)
    code = run.stop(signal.SIGTERM)
    _assert_partial(run, code, signal.SIGTERM)
    assert "/4] tmp.good: 2 checks done (2 pass)\n" in run.err and "\x1b[K" not in run.err


def test_sigint_in_process_on_a_ci_terminal_shows_no_progress(tmp_path):
    run = Run(tmp_path, "--in-process", tty=True, env={"CI": "true"})
    run.wait_for_verdicts(2)
    code = run.stop(signal.SIGINT)
    _assert_partial(run, code, signal.SIGINT)
    assert "/4]" not in run.err
