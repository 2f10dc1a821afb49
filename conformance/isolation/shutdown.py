"""How a worker ends when asked to: the observations behind ``interface.clean_exit``.

``shut_down(handle)`` sends the worker of ``handle`` the ``shutdown`` request and watches the
process end: the non-daemon threads it still ran, its exit status (None when it had to be killed
after the grace period), and whether the Python worker's last frame ({"op": "exited"}, written
after every atexit hook) came.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Tuple

from conformance.isolation import wire
from conformance.isolation.client import WorkerDied, WorkerTimeout
from conformance.isolation.handle import WorkerHandle, _what

__all__ = ["Shutdown", "shut_down"]


@dataclass(frozen=True)
class Shutdown:
    """How a worker ended when asked to: what it reported, its exit status, whether its own last frame came."""

    threads: Tuple[str, ...] = ()       # non-daemon threads still running when it was asked to stop
    status: Optional[int] = None        # None: it did not exit within the grace period and was killed
    exited_frame: bool = False          # the Python worker's {"op": "exited"}, written after every atexit hook
    stderr: str = ""
    error: str = ""                     # it did not answer the shutdown request


def shut_down(handle: WorkerHandle, wait: Optional[float] = None) -> Shutdown:
    """Ask the running worker of ``handle`` to shut down and observe how it ends (it is gone afterwards)."""
    proc, wait = handle.process, handle.limits.grace if wait is None else wait
    if proc is None or not proc.alive:
        return Shutdown(error="its worker was not running")
    handle.process = None
    try:
        reply, _, _ = proc.request({"op": "shutdown"}, deadline=time.monotonic() + wait)
    except (WorkerDied, WorkerTimeout, wire.ProtocolError) as exc:
        status = proc.proc.poll()
        proc.kill("it did not answer shutdown")
        return Shutdown(status=status, stderr=proc.stderr_tail(), error=_what(exc, wait))
    status, exited, stderr = proc.finish(wait)
    return Shutdown(threads=tuple(str(t) for t in reply.get("threads") or ()), status=status, exited_frame=exited,
                    stderr=stderr.strip())
