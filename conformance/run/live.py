"""What a run shows and leaves while it goes: progress on a terminal, the JSON report after every verdict, interrupts.

    Progress(totals, stream)            checks done of total, per implementation, on stderr
    progress_wanted(flag, stream)       on a terminal outside CI, unless --progress / --no-progress say
    PartialJson(path, build)            the JSON report rewritten (atomically, throttled) as verdicts arrive
    signals_as_interrupts()             SIGINT and SIGTERM stop the run as KeyboardInterrupt, once

Each is a listener ``listener(impl_name, verdict, done)`` of the run's ``Collector``
(``conformance.run.pytest_run``), which receives every verdict as it is made: from the pytest
reports (those of pytest-xdist workers included) or from ``run_in_process``.  ``done`` maps each
implementation to its number of verdicts so far.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from typing import Callable, Dict, Iterator, Optional, TextIO

from conformance.run.verdicts import Verdict

__all__ = ["Progress", "progress_wanted", "PartialJson", "ReportNotWritten", "write_atomically", "signals_as_interrupts", "Interrupt", "interrupt_children",
           "INTERRUPT_STATUS"]

#: Exit status of a run stopped by a signal (the shell's 128 + signal number): SIGINT 130, SIGTERM 143.
INTERRUPT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def progress_wanted(flag: Optional[bool], stream: TextIO = sys.stderr, environ=os.environ) -> bool:
    """``flag`` when given (--progress / --no-progress), else: ``stream`` is a terminal and $CI is unset."""
    if flag is not None:
        return flag
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not environ.get("CI")


class Progress:
    """Checks done of the total, on ``stream``.

    On a terminal one line, rewritten for every verdict::

        [ 412/924] doc3.network_py.backprop  31/42  sizes.batch fail

    elsewhere (a log asked for with --progress) one line per implementation once its checks are done.
    ``totals``: implementation name -> number of checks it will get.
    """

    def __init__(self, totals: Dict[str, int], stream: TextIO = sys.stderr, *, tty: Optional[bool] = None):
        self.totals, self.stream = dict(totals), stream
        self.total = sum(self.totals.values())
        self.tty = stream.isatty() if tty is None else tty
        self.done, self.counts, self.shown = 0, {}, False

    def _head(self) -> str:
        width = len(str(self.total))
        return f"[{self.done:{width}d}/{self.total}]"

    def __call__(self, impl: str, verdict: Verdict, done: Dict[str, int]) -> None:
        self.done = sum(done.values())
        counts = self.counts.setdefault(impl, {})
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
        mine, planned = done.get(impl, 0), self.totals.get(impl, 0)
        if self.tty:
            line = f"{self._head()} {impl}  {mine}/{planned}  {verdict.check} {verdict.status}"
            columns = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r\x1b[K" + line[: max(20, columns - 1)])
            self.shown = True
        elif mine == planned:
            tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.stream.write(f"{self._head()} {impl}: {planned} checks done ({tally})\n")
        self.stream.flush()

    def close(self) -> None:
        """Clear the terminal line (the table follows)."""
        if self.tty and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def write_atomically(path: str, text: str) -> None:
    """``text`` into ``path`` through a temporary file in the same folder and ``os.replace``: a reader
    (or an interrupted run) sees the previous whole file or the new whole file, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class ReportNotWritten(Exception):
    """The report's file cannot be written: one line naming it."""


class PartialJson:
    """The JSON report, rewritten after verdicts: at most one write per ``interval`` seconds while the run
    goes, a verdict held back by that limit written by a timer once the interval is over (a run that
    then hangs still shows it), and always the final state (``finish``).  ``build(complete)`` returns
    the report's text; ``lock`` (the collector's) keeps the timer from reading a report being added to."""

    def __init__(self, path: str, build: Callable[[bool], str], interval: float = 0.25,
                 lock: Optional[threading.RLock] = None):
        self.path, self.build, self.interval = path, build, interval
        self.lock = lock if lock is not None else threading.RLock()
        self.last, self.timer = float("-inf"), None
        self.writes, self.error = 0, None

    def write(self, complete: bool) -> None:
        """Write now; ``ReportNotWritten`` (a missing folder, a full disk) to the caller."""
        with self.lock:
            try:
                write_atomically(self.path, self.build(complete))
            except OSError as exc:
                raise ReportNotWritten(f"cannot write the JSON report {self.path}: {exc.strerror or exc}") from exc
            self.last, self.writes = time.monotonic(), self.writes + 1

    def _write_partial(self) -> None:
        """While the run goes: never stops it; a failed write is kept in ``error`` and tried again later."""
        with self.lock:
            self.timer = None
            try:
                self.write(False)
            except ReportNotWritten as exc:
                self.error, self.last = exc, time.monotonic()

    def __call__(self, impl: str, verdict: Verdict, done: Dict[str, int]) -> None:
        with self.lock:
            wait = self.interval - (time.monotonic() - self.last)
            if wait <= 0:
                self._write_partial()
            elif self.timer is None:
                self.timer = threading.Timer(wait, self._write_partial)
                self.timer.daemon = True
                self.timer.start()

    def finish(self, complete: bool) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            self.write(complete)


class Interrupt:
    """Which signal stopped the run (None while none did)."""

    def __init__(self) -> None:
        self.signum: Optional[int] = None

    @property
    def name(self) -> Optional[str]:
        return None if self.signum is None else signal.Signals(self.signum).name

    @property
    def status(self) -> Optional[int]:
        return None if self.signum is None else INTERRUPT_STATUS.get(self.signum, 128 + self.signum)


def interrupt_children() -> list:
    """SIGINT to this process's children in its own process group (pytest-xdist's workers), as a Ctrl-C on
    a terminal does: each stops its test at once and ends its own worker processes, so the session
    ends in a second instead of pytest-xdist's ten-second wait.  Worker processes of implementations
    (sessions of their own) are not touched here: ``stop_all`` ends them.  Linux (/proc) only."""
    me, group, sent = os.getpid(), os.getpgrp(), []
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return sent
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) == me and int(fields[2]) == group:
                os.kill(pid, signal.SIGINT)
                sent.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    return sent


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[Interrupt]:
    """The first SIGINT or SIGTERM raises KeyboardInterrupt (pytest then ends the session and reports,
    the caller writes what finished); later ones are noted and ignored until the block ends, so the
    partial reports get written.  The handlers before are restored at the end."""
    caught = Interrupt()

    def handler(signum, frame):
        if caught.signum is None:
            caught.signum = signum
            interrupt_children()
            raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {}
    try:
        for sig in INTERRUPT_STATUS:
            previous[sig] = signal.signal(sig, handler)
    except ValueError:   # not the main thread: signals stay as they were
        pass
    try:
        yield caught
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
