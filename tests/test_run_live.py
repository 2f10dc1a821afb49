"""A run as it goes (``conformance.run.live``): progress on a terminal only, the JSON report rewritten whole, signals."""
import io
import json
import os
import signal
import time

import pytest

from conformance.run.live import (INTERRUPT_STATUS, PartialJson, Progress, progress_wanted, signals_as_interrupts,
                                  write_atomically)
from conformance.run.pytest_run import Collector
from conformance.run.report import json_text, report_json
from conformance.run.verdicts import Verdict


class Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def _feed(collector, *pairs):
    for impl, check, status in pairs:
        collector.add(impl, Verdict(check, status), {"name": impl})


@pytest.mark.parametrize("flag, tty, env, wanted", [
    (None, True, {}, True), (None, True, {"CI": "true"}, False), (None, False, {}, False),
    (True, False, {"CI": "1"}, True), (False, True, {}, False)])
def test_progress_is_on_at_a_terminal_outside_ci_unless_the_option_says(flag, tty, env, wanted):
    assert progress_wanted(flag, Stream(tty), env) is wanted


def test_progress_on_a_terminal_rewrites_one_line_with_checks_done_of_total_per_implementation():
    out = Stream(True)
    progress = Progress({"a.first": 2, "b.second": 2}, out)
    collector = Collector([progress])
    _feed(collector, ("a.first", "interface.shapes", "pass"), ("b.second", "sizes.batch", "fail"))
    text = out.getvalue()
    assert text.startswith("\r\x1b[K[1/4] a.first  1/2  interface.shapes pass")
    assert text.endswith("\r\x1b[K[2/4] b.second  1/2  sizes.batch fail") and "\n" not in text
    progress.close()
    assert out.getvalue().endswith("fail\r\x1b[K")        # the line cleared before the table


def test_progress_in_a_log_is_one_line_per_finished_implementation():
    out = Stream(False)
    collector = Collector([Progress({"a.first": 2, "b.second": 1}, out)])
    _feed(collector, ("a.first", "interface.shapes", "pass"), ("b.second", "reference.agreement", "xfail"))
    assert out.getvalue() == "[2/3] b.second: 1 checks done (1 xfail)\n"
    _feed(collector, ("a.first", "reference.agreement", "fail"))
    assert out.getvalue().splitlines()[-1] == "[3/3] a.first: 2 checks done (1 fail, 1 pass)"


def test_a_verdict_recorded_twice_counts_once():
    out = Stream(False)
    collector = Collector([Progress({"a": 2}, out)])
    _feed(collector, ("a", "interface.shapes", "pass"), ("a", "interface.shapes", "fail"))
    assert out.getvalue() == ""                             # 1 of 2 done, not 2 of 2


def test_the_json_report_is_written_whole_throttled_and_always_in_its_final_state(tmp_path):
    path = tmp_path / "r.json"
    collector = Collector()

    def build(complete):
        return json_text(report_json(collector.reports(["a", "b"]), profile="dev", seed=0, seconds=1.0,
                                     complete=complete, planned=4))
    partial = PartialJson(str(path), build, interval=3600)
    collector.listeners.append(partial)
    _feed(collector, ("a", "interface.shapes", "pass"))
    first = json.loads(path.read_text())
    assert first["complete"] is False and first["verdicts_done"] == 1 and first["verdicts_planned"] == 4
    _feed(collector, ("a", "reference.agreement", "fail"), ("b", "interface.shapes", "pass"))
    assert partial.writes == 1 and json.loads(path.read_text())["verdicts_done"] == 1   # throttled
    assert partial.timer is not None           # the held-back verdicts are due once the interval is over
    partial.finish(True)
    assert partial.timer is None
    final = json.loads(path.read_text())
    assert final["complete"] is True and final["verdicts_done"] == 3
    assert [r["name"] for r in final["implementations"]] == ["a", "b"] and final["ok"] is False
    assert sorted(os.listdir(tmp_path)) == ["r.json"]     # no temporary file left


def test_an_atomic_write_that_fails_leaves_the_previous_file(tmp_path):
    path = tmp_path / "r.json"
    write_atomically(str(path), '{"complete": false}\n')

    with pytest.raises(TypeError):
        write_atomically(str(path), 12345)   # the write fails half way: not text
    assert json.loads(path.read_text()) == {"complete": False} and sorted(os.listdir(tmp_path)) == ["r.json"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_the_first_signal_interrupts_once_and_the_next_is_ignored(sig):
    before = signal.getsignal(sig)
    with signals_as_interrupts() as caught:
        with pytest.raises(KeyboardInterrupt, match=signal.Signals(sig).name):
            signal.raise_signal(sig)
        signal.raise_signal(sig)              # while the partial reports are written: ignored
        assert caught.name == signal.Signals(sig).name and caught.status == INTERRUPT_STATUS[sig]
    assert signal.getsignal(sig) is before
    assert INTERRUPT_STATUS == {signal.SIGINT: 130, signal.SIGTERM: 143}


def test_a_verdict_held_back_by_the_throttle_is_written_once_the_interval_is_over(tmp_path):
    """A run that hangs after two quick verdicts still shows both."""
    path = tmp_path / "r.json"
    collector = Collector()
    partial = PartialJson(str(path), lambda complete: json_text(report_json(
        collector.reports(["a"]), profile="dev", seed=0, seconds=1.0, complete=complete)), interval=0.2,
        lock=collector.lock)
    collector.listeners.append(partial)
    _feed(collector, ("a", "interface.shapes", "pass"), ("a", "reference.agreement", "pass"))
    assert json.loads(path.read_text())["verdicts_done"] == 1
    deadline = time.monotonic() + 10
    while json.loads(path.read_text())["verdicts_done"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert json.loads(path.read_text())["verdicts_done"] == 2 and partial.writes == 2
