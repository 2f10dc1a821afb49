"""The worker of one implementation, seen from the checker: start, limits, calls, failures.

``WorkerHandle`` owns the worker of one implementation: started on first use (outside the
time limit of the call that needs it: ``invoke.suspended``), restarted after it dies or is
killed.  Limits (``limits.Limits``): the per-call time (the enclosing ``invoke``'s deadline,
else ``time_limit``) plus ``grace`` before a kill; ``impl_time_limit`` seconds of calls in all;
the memory limit.  Each failure becomes an exception ``invoke`` reports with its category:
``CallTimeout`` (timeout), ``RemoteError`` (raises, crashed, out_of_memory, protocol_error,
import_error).  What the worker observed comes back with the result and is replayed here:
output is written to this process's stdout (which ``invoke`` captures), warnings are
re-issued, inputs the call modified are copied back into the caller's arrays (and lists it
changed are changed here too), so mutation checks and in-place training steps work as before.
Independent calls can travel together (``call_many``): sent at once, answered in order.
Per-call flags (docs/WIRE.md) go with the calls made inside ``with handle.observing(**flags) as seen``;
what the worker observed on them (``conformance.isolation.observations``) lands in ``seen``.
"""
from __future__ import annotations

import builtins
import shlex
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from conformance.isolation import wire
from conformance.isolation.client import (WorkerDied, WorkerProcess, WorkerTimeout, add_transport,
                                          exit_text, python_worker_argv)
from conformance.isolation.invoke import CallTimeout, current_deadline, replay_output, suspended
from conformance.isolation.limits import Limits

__all__ = ["RemoteError", "Launch", "WorkerHandle", "MAX_RESTARTS"]

#: A worker that dies this many times is not started again in this checker process.
MAX_RESTARTS = 100


class RemoteError(Exception):
    """A call that failed in (or with) its worker process; ``category`` and ``description`` say how."""

    def __init__(self, category: str, description: str):
        super().__init__(description)
        self.category, self.description = category, description


@dataclass(frozen=True)
class Launch:
    """How to start the worker of one implementation: a command (any language) or the Python worker."""

    spec: str = ""                      # what the Python worker loads (a discovery target)
    command: Tuple[str, ...] = ()       # a worker in any language (--impl-cmd); empty: the Python worker

    def argv(self) -> List[str]:
        return list(self.command) if self.command else python_worker_argv()

    def describe(self) -> str:
        return shlex.join(self.command) if self.command else f"python worker loading {self.spec}"


_WARNINGS: Dict[str, type] = {}


def _warning_class(name: str) -> type:
    """The builtin warning class of that name, else a UserWarning subclass carrying the name."""
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Warning):
        return cls
    return _WARNINGS.setdefault(name, type(name, (UserWarning,), {}))


def _sync(own, new) -> None:
    """Make the caller's containers hold what the worker's held after the call (lists changed in place)."""
    if isinstance(own, list) and isinstance(new, list):
        own[:] = new
    elif isinstance(own, tuple) and isinstance(new, tuple) and len(own) == len(new):
        for o, n in zip(own, new):
            _sync(o, n)


def _copy_back(inputs: Sequence[np.ndarray], changed, arrays) -> None:
    for i, tree in changed:
        new, old = wire.from_tree(tree, arrays), inputs[int(i)]
        if old.shape != new.shape and old.size == new.size:
            try:
                old.shape = new.shape
            except AttributeError:
                continue
        if old.shape == new.shape:
            old[...] = new


class WorkerHandle:
    """The worker process serving one implementation, with its limits and its history."""

    def __init__(self, launch: Launch, name: str, limits: Limits, process: Optional[WorkerProcess] = None):
        self.launch, self.name, self.limits, self.process = launch, name, limits, process
        self.used, self.starts, self.deaths = 0.0, (1 if process else 0), []
        self._flags, self._seen = None, None

    def __repr__(self) -> str:
        return f"WorkerHandle({self.name!r}, {self.launch.describe()})"

    def start(self) -> WorkerProcess:
        """A fresh worker that answered hello (and loaded the implementation); RemoteError if it cannot."""
        if self.starts > MAX_RESTARTS:
            last = f" ({self.deaths[-1]})" if self.deaths else ""
            raise RemoteError("crashed", f"its worker was started {self.starts - 1} times and died {len(self.deaths)} "
                                         f"times{last}; not started again in this run")
        self.starts += 1
        try:
            proc = WorkerProcess(self.launch.argv(), limits=self.limits, label=self.name)
        except OSError as exc:
            raise RemoteError("import_error", f"could not start {self.launch.describe()}: {exc}") from None
        deadline = time.monotonic() + self.limits.startup
        try:
            hello, _, _ = proc.request({"op": "hello", "protocol": wire.PROTOCOL}, deadline=deadline)
            if "error" in hello or hello.get("protocol") != wire.PROTOCOL:
                raise wire.ProtocolError(f"hello was answered with {hello!r:.200}")
            if not self.launch.command:
                loaded, _, _ = proc.request({"op": "load", "spec": self.launch.spec}, deadline=deadline)
                self._check_loaded(loaded)
        except RemoteError:
            proc.kill("it could not load the implementation")
            raise
        except (WorkerDied, WorkerTimeout, wire.ProtocolError) as exc:
            proc.kill("it did not start")
            raise RemoteError("import_error", f"its worker ({self.launch.describe()}) did not start: "
                                              f"{_what(exc, self.limits.startup)}{_stderr(proc)}") from None
        return proc

    def _check_loaded(self, reply: dict) -> None:
        rows = {d["name"]: d for d in reply.get("implementations", ())}
        row = rows.get(self.name)
        if "error" in reply or row is None or row.get("load_error"):
            why = (reply.get("error") or {}).get("message") or (row or {}).get("load_error") or (
                f"{self.launch.spec} no longer declares {self.name!r}")
            raise RemoteError("import_error", f"its worker could not load it: {why}")

    def ensure(self) -> WorkerProcess:
        """The running worker, started now if needed (the time it takes is not charged to any call)."""
        if self.process is None or not self.process.alive:
            with suspended():
                t0 = time.monotonic()
                try:
                    self.process = self.start()
                finally:
                    self.used += time.monotonic() - t0
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill("stopped")
            self.process = None

    def _lost(self, why: str) -> None:
        self.deaths.append(why)
        if self.process is not None and self.process.proc.poll() is None:
            self.process.kill(why)
        self.process = None

    def _budget(self) -> float:
        left = self.limits.impl_time_limit - self.used
        if left <= 0:
            raise RemoteError("timeout", f"the implementation used up its {self.limits.impl_time_limit:g} s "
                                         f"(--impl-time-limit) in this run; its worker was stopped")
        return left

    @contextmanager
    def observing(self, **flags):
        """Send ``flags`` with the calls made inside; yields the dict that receives what the worker observed
        on them (empty when the worker observes nothing: a worker in another language)."""
        seen: dict = {}
        saved = self._flags, self._seen
        self._flags, self._seen = flags, seen
        try:
            yield seen
        finally:
            self._flags, self._seen = saved

    def _request(self, entry: str, args: tuple, kwargs: dict, limit: float):
        """(header, input arrays) of one call request."""
        inputs: list = []
        header = {"op": "call", "impl": self.name, "entry": entry, "args": wire.to_tree(list(args), inputs),
                  "kwargs": {k: wire.to_tree(v, inputs) for k, v in kwargs.items()}, "time_limit": limit,
                  "output_limit": self.limits.output}
        if self._flags:
            header["flags"] = self._flags
        if entry == "train_step" and len(args) > 3 and isinstance(args[3], (int, float)):
            header["eta"] = float(args[3])
        return header, inputs

    def _limit(self) -> float:
        """Seconds the next call may take: what the enclosing ``invoke`` allows, else the default."""
        deadline = current_deadline()
        return max(1e-3, (deadline - time.monotonic()) if deadline is not None else self.limits.time_limit)

    def call(self, entry: str, args: tuple, kwargs: dict):
        """The native result of ``entry(*args, **kwargs)`` in the worker (module docstring)."""
        left = self._budget()
        proc = self.ensure()
        limit = self._limit()
        kill_at = time.monotonic() + min(limit + self.limits.grace, left)
        header, inputs = self._request(entry, args, kwargs, limit)
        t0 = time.perf_counter()
        try:
            reply, arrays, stderr = self._exchange(proc, header, inputs, kill_at, limit,
                                                   left < limit + self.limits.grace)
        finally:
            self.used += time.perf_counter() - t0
        add_transport(time.perf_counter() - t0 - float(reply.get("seconds") or 0.0))
        if self._seen is not None and isinstance(reply.get("observed"), dict):
            self._seen.update(wire.from_tree(reply["observed"], arrays))
        return self._result(reply, arrays, stderr, args, inputs)

    def call_many(self, entry: str, calls: Sequence[Tuple[tuple, dict]]) -> list:
        """The native results of calls that do not depend on one another, sent all at once, answered in
        order (the worker handles them back to back).  The first failure is raised once every reply is in."""
        left = self._budget()
        proc = self.ensure()
        limit = self._limit()
        requests = [self._request(entry, args, kwargs, limit) for args, kwargs in calls]
        proc.forget_stderr()
        for header, inputs in requests:
            proc.send(header, inputs)
        results, failure, t0 = [], None, time.perf_counter()
        try:
            for (args, _), (header, inputs) in zip(calls, requests):
                kill_at = time.monotonic() + min(limit + self.limits.grace, left - (time.perf_counter() - t0))
                reply, arrays, stderr = self._pipelined(proc, header, kill_at, limit)
                try:
                    results.append(self._result(reply, arrays, stderr, args, inputs))
                except (Exception, CallTimeout) as exc:
                    results.append(None)
                    failure = failure or exc
        finally:
            self.used += time.perf_counter() - t0
        if failure is not None:
            raise failure
        return results

    def _pipelined(self, proc: WorkerProcess, header: dict, kill_at: float, limit: float):
        """One reply of a batch; a worker lost on the way fails the rest of the batch with it."""
        try:
            return proc.reply(kill_at)
        except BaseException as exc:
            self._lost("lost during a batch of calls")
            if isinstance(exc, WorkerTimeout):
                raise CallTimeout(self._killed_text(limit)) from None
            if isinstance(exc, WorkerDied):
                raise RemoteError(*_death(exc, header.get("entry"))) from None
            if isinstance(exc, wire.ProtocolError):
                raise RemoteError("protocol_error", f"its worker broke the wire protocol: {exc}") from None
            raise

    def _exchange(self, proc: WorkerProcess, header: dict, inputs: list, kill_at: float, limit: float,
                  by_budget: bool):
        try:
            return proc.request(header, inputs, deadline=kill_at)
        except WorkerTimeout:
            self._lost("killed after no reply within the time limit")
            if by_budget:
                raise RemoteError("timeout", f"the implementation used up its {self.limits.impl_time_limit:g} s "
                                             f"(--impl-time-limit) in this run; its worker was killed") from None
            raise CallTimeout(self._killed_text(limit)) from None
        except WorkerDied as died:
            self._lost(exit_text(died.returncode))
            raise RemoteError(*_death(died, header.get("entry"))) from None
        except wire.ProtocolError as exc:
            self._lost("it broke the wire protocol")
            raise RemoteError("protocol_error", f"its worker broke the wire protocol: {exc}{_stderr(proc)}") from None
        except KeyboardInterrupt:   # the run is being stopped (Ctrl-C, SIGTERM): no waiting for the call
            self._lost("killed: the run was interrupted")
            raise
        except BaseException as interrupt:  # this process was interrupted (its own alarm, a budget)
            if self._settle(proc, kill_at) or not isinstance(interrupt, CallTimeout):
                raise
            raise CallTimeout(self._killed_text(limit)) from None

    def _killed_text(self, limit: float) -> str:
        return (f"no result within the time limit of {limit:.3g} s per call, nor {self.limits.grace:g} s later: "
                f"its worker was killed (it did not stop at its own alarm: the timer disabled, SIGALRM handled by "
                f"the implementation, or a long call into C)")

    def _settle(self, proc: WorkerProcess, kill_at: float) -> bool:
        """After an interruption: let the worker finish the call it is on (its reply is dropped); True if it
        did, False if it had to be killed."""
        try:
            proc.reply(kill_at)
            return True
        except BaseException:
            self._lost("killed after an interrupted call")
            return False

    def _result(self, reply: dict, arrays: list, stderr: str, args: tuple, inputs: list):
        _copy_back(inputs, reply.get("changed") or (), arrays)
        if "args" in reply:
            for own, new in zip(args, wire.from_tree(reply["args"], arrays, inputs)):
                _sync(own, new)
        kept, fd_kept = str(reply.get("output") or ""), stderr[0]
        written = int(reply.get("output_written") or len(kept)) + stderr[1]
        if written:
            replay_output(kept + fd_kept, written)
        for category, message in reply.get("warnings") or ():
            warnings.warn(message, _warning_class(str(category)), stacklevel=3)
        error = reply.get("error")
        if error:
            category, message = str(error.get("category") or "raises"), str(error.get("message") or "failed")
            if category == "timeout":
                raise CallTimeout()
            if category == "out_of_memory" and self.limits.memory:
                message += f" (the worker's memory limit is {self.limits.memory / 2 ** 20:g} MiB: --memory-limit)"
            raise RemoteError(category, message)
        return wire.from_tree(reply.get("value"), arrays, inputs)


def _what(exc: BaseException, seconds: float) -> str:
    if isinstance(exc, WorkerTimeout):
        return f"no reply within {seconds:g} s"
    if isinstance(exc, WorkerDied):
        return f"it {exit_text(exc.returncode)}"
    return str(exc)


def _stderr(proc: WorkerProcess) -> str:
    tail = proc.stderr_tail()
    return f"; its stderr: {tail}" if tail else ""


def _death(died: WorkerDied, entry: str) -> Tuple[str, str]:
    """(category, message) for a worker that ended during a call."""
    how = exit_text(died.returncode)
    if died.returncode == 0:
        how += " (os._exit(0), or exit() from C, inside the call)"
    tail = died.stderr.decode("utf-8", "replace").strip()
    tail = ("; its stderr: " + (tail if len(tail) <= 600 else "..." + tail[-600:])) if tail else ""
    return "crashed", f"its worker process {how} during the call to {entry}(){tail}"
