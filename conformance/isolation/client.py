"""The checker's side of one worker process: start it under limits, exchange frames, kill it, say how it ended.

``WorkerProcess(argv)`` starts a process in a session of its own (a kill reaches its children),
with its address space limited (``Limits.memory``, RLIMIT_AS set with prlimit as soon as it
exists) and three pipes: requests on its stdin, replies on its stdout, and its stderr, read
while waiting and kept up to ``Limits.output`` bytes per request.  Every wait has a deadline;
past it the caller kills the process.  Nothing a worker does (dying, hanging, writing junk)
blocks the checker or raises anything but ``WorkerDied``, ``WorkerTimeout`` or
``wire.ProtocolError``.  Every process still running when the checker exits is killed
(``stop_all``, registered with atexit); a Python worker also dies with the checker (PDEATHSIG).
"""
from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from typing import List, Optional, Sequence, Tuple

try:
    import resource
except ImportError:  # not a POSIX system: no memory limit (and no worker processes, see WorkerProcess)
    resource = None

from conformance._imports import ROLE_VAR, ROOT
from conformance.isolation import wire
from conformance.isolation.limits import Limits

__all__ = ["WorkerProcess", "WorkerDied", "WorkerTimeout", "python_worker_argv", "exit_text", "stop_all",
           "transport_seconds", "add_transport", "LIVE"]

#: Starts the Python worker with this installation's ``conformance`` (never a user's package of that name),
#: the current folder first on sys.path (module names resolve as under ``python -m``).
BOOT = ("import importlib.util, sys\n"
        "root = sys.argv.pop(1)\n"
        "spec = importlib.util.spec_from_file_location('conformance', root + '/conformance/__init__.py',"
        " submodule_search_locations=[root + '/conformance'])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['conformance'] = module\n"
        "spec.loader.exec_module(module)\n"
        "from conformance.isolation.worker import main\n"
        "sys.exit(main())\n")

class WorkerDied(Exception):
    """The worker process ended while the checker waited for it."""

    def __init__(self, returncode: Optional[int], stderr: bytes):
        super().__init__(exit_text(returncode))
        self.returncode, self.stderr = returncode, stderr


class WorkerTimeout(Exception):
    """No complete reply before the deadline."""


def exit_text(returncode: Optional[int]) -> str:
    """'killed by signal SIGSEGV (Segmentation fault)', 'exited with status 0', ..."""
    if returncode is None:
        return "closed its output without exiting"
    if returncode < 0:
        try:
            sig = signal.Signals(-returncode)
            return f"killed by signal {sig.name} ({signal.strsignal(sig) or sig.name})"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode > 128:
        try:
            name = signal.Signals(returncode - 128).name
            return f"exited with status {returncode} (128 + {name}: how a shell reports that signal)"
        except ValueError:
            pass
    return f"exited with status {returncode}"


def python_worker_argv() -> List[str]:
    return [sys.executable, "-c", BOOT, str(ROOT)]


LIVE: "set[WorkerProcess]" = set()
_TRANSPORT = [0.0]


def transport_seconds() -> float:
    """Seconds this process has spent moving calls to and from workers (not running them)."""
    return _TRANSPORT[0]


def add_transport(seconds: float) -> None:
    _TRANSPORT[0] += max(0.0, seconds)


def _tail(data: bytes, n: int = 600) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= n else "..." + text[-n:]


class WorkerProcess:
    """One worker process and its three pipes."""

    def __init__(self, argv: Sequence[str], *, env: Optional[dict] = None, cwd: Optional[str] = None,
                 limits: Limits = Limits(), label: str = ""):
        self.argv, self.limits, self.label = list(argv), limits, label or " ".join(argv)[:80]
        if os.name != "posix":
            raise OSError("worker processes need a POSIX system (Linux, macOS): run with --in-process here")
        environ = dict(os.environ if env is None else env)
        environ[ROLE_VAR] = "worker"
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=environ, cwd=cwd, start_new_session=True,
                                     close_fds=True)
        LIVE.add(self)
        if limits.memory is not None and hasattr(resource, "prlimit"):  # Linux
            try:
                resource.prlimit(self.proc.pid, resource.RLIMIT_AS, (limits.memory, limits.memory))
            except (OSError, ValueError):
                pass
        self._in, self._out, self._err = self.proc.stdin.fileno(), self.proc.stdout.fileno(), self.proc.stderr.fileno()
        for fd in (self._in, self._out, self._err):
            os.set_blocking(fd, False)
        self._buf, self._pending = bytearray(), b""
        self._stderr, self._stderr_total, self._ids, self._expect = bytearray(), 0, 0, deque()
        self._err_ready = False
        self.killed = ""          # why the checker killed it, if it did

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and not self.killed

    def send(self, header: dict, arrays: Sequence = ()) -> int:
        """Queue one request and send as much of it as the pipe takes now; its id."""
        self._ids += 1
        header["id"] = self._ids
        self._pending += wire.frame(header, arrays)
        self._expect.append(self._ids)
        self._write()
        return self._ids

    def _write(self) -> None:
        try:
            self._pending = self._pending[os.write(self._in, self._pending):]
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError, ValueError, OSError):
            self._pending = b""  # the worker is gone: reading its output says how

    def request(self, header: dict, arrays: Sequence = (), *, deadline: float):
        """(reply header, reply arrays, (stderr kept, bytes written)) of one request; see ``reply``."""
        self.forget_stderr()
        self.send(header, arrays)
        return self.reply(deadline)

    def forget_stderr(self) -> None:
        """Drop what the worker wrote to stderr so far (between calls: nobody's output)."""
        self._stderr.clear()
        self._stderr_total = 0

    def reply(self, deadline: float):
        """Finish sending what is pending and read the reply to the oldest request before ``deadline``
        (monotonic seconds): (header, arrays, the stderr written meanwhile).

        Raises WorkerTimeout (the process is left running: the caller decides), WorkerDied, or
        wire.ProtocolError.  Safe to call again after an interruption: it resumes where it was.
        """
        while True:
            header, arrays = self._next_frame(deadline)
            if header.get("op") == "exited" and header.get("id") is None:
                continue
            expected = self._expect.popleft() if self._expect else None
            if header.get("id") != expected:
                raise wire.ProtocolError(f"a reply to request {header.get('id')!r} came instead of {expected}")
            if self._err_ready:
                self.drain_stderr()
            stderr = self.stderr_output()
            self.forget_stderr()  # what follows belongs to the next reply
            return header, arrays, stderr

    def _next_frame(self, deadline: float):
        """The next frame from the worker (sending what is pending meanwhile), reading stderr as it comes."""
        while True:
            parsed = wire.parse(self._buf)
            if parsed is not None:
                header, arrays, used = parsed
                del self._buf[:used]
                return header, arrays
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout()
            reads = [self._out] if self._err is None else [self._out, self._err]
            r, w, _ = select.select(reads, [self._in] if self._pending else [], [], left)
            if w:
                self._write()
            self._err_ready = self._err is not None and self._err in r
            if self._err_ready:
                self._read_stderr()
            if self._out in r:
                chunk = os.read(self._out, 1 << 20)
                if not chunk:
                    raise WorkerDied(self._wait_exit(), bytes(self._stderr))
                self._buf += chunk

    def _read_stderr(self) -> bool:
        try:
            chunk = os.read(self._err, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            self._err = None
            return False
        self._stderr_total += len(chunk)
        room = self.limits.output - len(self._stderr)
        if room > 0:
            self._stderr += chunk[:room]
        return True

    def drain_stderr(self) -> None:
        """Read what the worker wrote to stderr so far (kept within the bound)."""
        while self._err is not None and self._read_stderr():
            pass

    def stderr_output(self) -> Tuple[str, int]:
        """(what was kept of the worker's stderr since the request, bytes written in all)."""
        if not self._stderr_total:
            return "", 0
        return bytes(self._stderr).decode("utf-8", "replace"), self._stderr_total

    def _wait_exit(self) -> Optional[int]:
        try:
            code = self.proc.wait(timeout=self.limits.grace)
        except subprocess.TimeoutExpired:
            self.kill("it closed its output but did not exit")
            return None
        self.drain_stderr()
        return code

    def kill(self, why: str = "killed by the checker") -> None:
        """SIGKILL the worker's whole session and reap it."""
        self.killed = self.killed or why
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._close()

    def _close(self) -> None:
        LIVE.discard(self)
        self._err = None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    def finish(self, wait: float) -> Tuple[Optional[int], bool, str]:
        """After a shutdown reply: (exit status, or None when it had to be killed; whether the worker's
        final "exited" frame came; its stderr), waiting up to ``wait`` seconds for the process to end."""
        deadline, exited = time.monotonic() + wait, False
        try:
            while True:
                header, _ = self._next_frame(deadline)
                exited = exited or header.get("op") == "exited"
        except (WorkerDied, WorkerTimeout, wire.ProtocolError):
            pass
        try:
            code = self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = None
        self.drain_stderr()
        stderr = bytes(self._stderr).decode("utf-8", "replace")
        if code is None:
            self.kill("it did not exit after shutdown")
        self._close()
        return code, exited, stderr

    def stderr_tail(self) -> str:
        return _tail(bytes(self._stderr))


def stop_all(wait: float = 0.5) -> None:
    """End every worker still running: close its input, give them ``wait`` seconds together, kill the rest."""
    workers = list(LIVE)
    for w in workers:
        try:
            w.proc.stdin.close()
        except OSError:
            pass
    deadline = time.monotonic() + wait
    for w in workers:
        try:
            w.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        if w.proc.poll() is None:
            w.kill("still running when the checker ended")
        else:
            w._close()


atexit.register(stop_all)
