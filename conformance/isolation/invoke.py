"""Calling a user's callable once and observing the call: the one function both execution modes share.

``invoke(fn, ...)`` runs ``fn()`` with

* a time limit: SIGALRM (``signal.setitimer``) in the main thread, where pytest, its xdist
  workers and the worker processes run; elsewhere (no SIGALRM, another thread) the call runs in
  a daemon thread abandoned after the limit.  The alarm raises ``CallTimeout``, a BaseException,
  so ``except Exception`` in user code cannot swallow it;
* stdout and stderr captured, bounded to ``output_limit`` characters (a flood is cut there and
  counted: ``truncation``);
* warnings recorded;
* the arrays of ``watch`` compared byte for byte before and after (``Invocation.changed``);
* exceptions recorded, never raised: ``Exception`` and ``SystemExit`` always, ``KeyboardInterrupt``
  too with ``contain_interrupts`` (a worker process; in the checker itself Ctrl-C still stops the run).

The checker calls it through ``conformance.core.calls.run_limited`` (in-process mode, and around
every call a check makes); a worker process calls it on the user's code
(``conformance.isolation.worker``).  New observations of a call belong here, in one place.
Only the standard library and numpy: the worker process imports this module.
"""
from __future__ import annotations

import _signal
import io
import re
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

__all__ = ["OUTPUT_LIMIT", "CallTimeout", "Invocation", "BoundedText", "invoke", "current_deadline", "suspended",
           "truncation", "with_note", "replay_output", "describe_exception"]

#: Characters of stdout + stderr kept per call; the rest is counted, not kept.
OUTPUT_LIMIT = 65536
_NOTE = "[output truncated: {written} characters written during the call, the first {kept} kept]"
_NOTE_RE = re.compile(r"\[output truncated: (\d+) characters written during the call, the first (\d+) kept\]")


class CallTimeout(BaseException):
    """The call did not return within its limit.  ``description`` replaces the default message when set."""

    def __init__(self, description: str = ""):
        super().__init__(description)
        self.description = description


@dataclass
class Invocation:
    """One call of a user's callable and what was observed around it."""

    value: object = None
    category: Optional[str] = None        # None (returned), raises, timeout, out_of_memory, or an exception's own
    message: Optional[str] = None
    output: str = ""                      # what was kept of stdout + stderr (the first ``output_limit`` characters)
    written: int = 0                      # characters written in all
    warnings: Tuple[Tuple[str, str], ...] = ()   # (category name, message), in order, without repeats
    seconds: float = 0.0                  # the time the call took (fn() and its alarm)
    changed: Tuple[int, ...] = ()         # indices into ``watch`` of the arrays the call modified


class BoundedText(io.TextIOBase):
    """A text stream that keeps its first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = OUTPUT_LIMIT):
        super().__init__()
        self.limit, self.written, self._parts, self._kept = limit, 0, [], 0

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        self.add(s, len(s))
        return len(s)

    def add(self, kept: str, written: int) -> None:
        """Output of which ``kept`` is what was kept of ``written`` characters (captured elsewhere, e.g. in a
        worker process): counted as written, kept within this stream's own limit."""
        self.written += max(written, len(kept))
        if self._kept < self.limit:
            part = kept[: self.limit - self._kept]
            self._parts.append(part)
            self._kept += len(part)

    def kept(self) -> str:
        return "".join(self._parts)

    def text(self) -> str:
        """What was kept, and a note saying how much was written when that was more."""
        return with_note(self.kept(), self.written)


def with_note(kept: str, written: int) -> str:
    """``kept`` and, when ``written`` is more, the note ``truncation`` reads back."""
    if written <= len(kept):
        return kept
    return kept + ("" if kept.endswith("\n") or not kept else "\n") + _NOTE.format(written=written, kept=len(kept))


def replay_output(kept: str, written: int) -> None:
    """Write output captured elsewhere to this process's stdout: into the capture of an enclosing ``invoke``
    with its counts intact, else as text with the note."""
    if isinstance(sys.stdout, BoundedText):
        sys.stdout.add(kept, written)
    elif kept or written:
        sys.stdout.write(with_note(kept, written))


def truncation(text: str) -> Optional[Tuple[int, int]]:
    """(characters written, characters kept) when ``text`` is captured output that was cut, else None."""
    m = _NOTE_RE.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


_local = threading.local()


def _deadlines() -> list:
    try:
        return _local.stack
    except AttributeError:
        _local.stack = []
        return _local.stack


def current_deadline() -> Optional[float]:
    """The ``time.monotonic()`` by which the innermost ``invoke`` of this thread must return, or None."""
    stack = _deadlines()
    return min(stack) if stack else None


_MAIN = threading.main_thread()
_HAS_ALARM = hasattr(signal, "SIGALRM")


def _can_alarm() -> bool:
    return _HAS_ALARM and threading.current_thread() is _MAIN


@contextmanager
def suspended():
    """Stop the clock of every enclosing ``invoke`` of this thread (e.g. while a worker process starts)."""
    stack = _deadlines()
    remaining = signal.getitimer(signal.ITIMER_REAL)[0] if stack and _can_alarm() else 0.0
    if remaining:
        signal.setitimer(signal.ITIMER_REAL, 0)
    t0 = time.monotonic()
    try:
        yield
    finally:
        pause = time.monotonic() - t0
        stack[:] = [d + pause for d in stack]
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _on_alarm(signum, frame):
    raise CallTimeout()


def _alarmed(fn: Callable, seconds: float):
    """fn() with SIGALRM raising CallTimeout after ``seconds`` (the handler set anew every time: a call may
    have replaced it); the previous handler is restored."""
    old = _signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _signal.signal(signal.SIGALRM, old)


def _threaded(fn: Callable, seconds: float, deadline: float):
    box = {}

    def target():
        _deadlines().append(deadline)
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: B902 - reported, never re-raised here
            box["exc"] = exc
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CallTimeout()
    if "exc" in box:
        raise box["exc"]
    return box.get("value")


def describe_exception(exc: BaseException) -> str:
    """'ValueError: text (at file.py:12 in gradient)': the exception and the innermost frame it came from."""
    tb, where = exc.__traceback__, ""
    while tb is not None:
        code = tb.tb_frame.f_code
        where = f" (at {code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {code.co_name})"
        tb = tb.tb_next
    return f"{type(exc).__name__}: {exc}{where}"


def _limited(fn: Callable, seconds: Optional[float]):
    if seconds is None:
        return fn()
    deadline = time.monotonic() + seconds
    if not _can_alarm():
        return _threaded(fn, seconds, deadline)
    stack = _deadlines()
    stack.append(deadline)
    try:
        return _alarmed(fn, seconds)
    finally:
        stack.pop()


def _snapshot(watch: Sequence) -> list:
    return [(a.shape, a.dtype, a.tobytes()) for a in watch]


def _changed(watch: Sequence, before: list) -> Tuple[int, ...]:
    out = []
    for i, a in enumerate(watch):
        shape, dtype, data = before[i]
        if a.tobytes() != data or a.shape != shape or a.dtype != dtype:
            out.append(i)
    return tuple(out)


def _failure(exc: BaseException, seconds: Optional[float]) -> Tuple[str, str]:
    """(category, message) of an exception raised by the call."""
    if isinstance(exc, CallTimeout):
        how = "" if _can_alarm() else " (thread fallback: the call was abandoned and may still be running)"
        return "timeout", exc.description or f"no result within the time limit of {seconds:g} s per call{how}"
    own = getattr(exc, "description", None)
    if own:  # a call made in a worker process, described there
        return getattr(exc, "category", "raises"), own
    category = "out_of_memory" if isinstance(exc, MemoryError) else "raises"
    return category, f"raised {describe_exception(exc)}"


def invoke(fn: Callable, *, time_limit: Optional[float] = None, watch: Sequence = (),
           output_limit: int = OUTPUT_LIMIT, contain_interrupts: bool = False) -> Invocation:
    """Call ``fn()`` once under ``time_limit`` seconds (None: no limit) and observe it (module docstring)."""
    contained = BaseException if contain_interrupts else (Exception, SystemExit)
    sink, out = BoundedText(output_limit), Invocation()
    before = _snapshot(watch)
    saved = sys.stdout, sys.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.stdout = sys.stderr = sink
        t0 = time.perf_counter()
        try:
            out.value = _limited(fn, time_limit)
        except CallTimeout as exc:
            out.category, out.message = _failure(exc, time_limit)
        except contained as exc:
            out.category, out.message = _failure(exc, time_limit)
        finally:
            out.seconds = time.perf_counter() - t0
            sys.stdout, sys.stderr = saved
    out.output, out.written = sink.kept(), sink.written
    if caught:
        out.warnings = tuple(dict.fromkeys((w.category.__name__, str(w.message)) for w in caught))
    if watch:
        out.changed = _changed(watch, before)
    return out
