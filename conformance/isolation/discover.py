"""Discovery through worker processes: the checker learns what a module declares without importing it.

``discover(target)`` accepts every target ``conformance.dropin.discovery`` does.  Folders and
``@examples`` are listed here (file names only); each module, module name, implementation name
or entry point is then loaded by a Python worker (all of them at once), which answers with the
declarations: names, conventions, support, known failures, description, source, which entry
points exist, time limit, UNAVAILABLE, or the load error.  The result is a list of
``Implementation`` whose entry points are proxies (``remote.remote_implementation``); the worker
that loaded a module serves the first of its implementations, and every other implementation
gets a worker of its own on its first call.

``to_rows`` / ``from_rows`` turn such a list into JSON and back: the controller of a pytest-xdist
run discovers once and hands the rows to its workers (``CONFORMANCE_DECLARATIONS``).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from conformance.dropin import discovery
from conformance.dropin.protocol import Implementation
from conformance.isolation.client import WorkerDied, WorkerProcess, WorkerTimeout, exit_text
from conformance.isolation.limits import Limits
from conformance.isolation.handle import Launch, WorkerHandle
from conformance.isolation.remote import handle_of, remote_implementation
from conformance.isolation.worker import declaration
from conformance.isolation import wire

__all__ = ["discover", "expand", "to_rows", "from_rows", "write_rows", "read_rows"]


def expand(target: Optional[str]) -> List[str]:
    """What to load, one worker each: the parts of ``target``, folders and @examples listed module by module."""
    parts = discovery.target_parts(target)
    if not parts:
        parts = ([discovery.EXAMPLES] if discovery.in_source_tree() else []) + [
            discovery.ENTRY_POINT + name for name in discovery.entry_point_names()]
    out = []
    for part in parts:
        if part == discovery.EXAMPLES:
            out += discovery.modules_in(discovery.examples_dir()) + [discovery.BUILTIN]
        elif Path(part).is_dir():
            out += discovery.modules_in(Path(part))
        else:
            out.append(part)
    return out


def _launch_spec(spec: str, source: str) -> str:
    """What a worker loads to serve one row that ``spec`` declared: the row's own module where it names one."""
    return spec if spec.startswith(discovery.ENTRY_POINT) or not source else source


def _collect(spec: str, proc: Optional[WorkerProcess], error: str, limits: Limits):
    """(the declarations ``spec`` made, or a broken row) from a worker that was sent hello and load."""
    if proc is None:
        return [declaration(discovery.broken(spec, spec, f"could not load {spec}: {error}"))]
    deadline = time.monotonic() + limits.startup
    try:
        for _ in range(2):
            reply, _, _ = proc.reply(deadline)
            if "error" in reply:
                raise wire.ProtocolError(reply["error"].get("message", "error"))
        return reply.get("implementations") or []
    except (WorkerDied, WorkerTimeout, wire.ProtocolError) as exc:
        how = (f"no reply within {limits.startup:g} s" if isinstance(exc, WorkerTimeout) else
               f"its worker {exit_text(exc.returncode)}" if isinstance(exc, WorkerDied) else str(exc))
        tail = proc.stderr_tail()
        proc.kill("it could not load the module")
        return [declaration(discovery.broken(spec, spec, f"could not load {spec}: {how} while loading it"
                                             + (f"; its stderr: {tail}" if tail else "")))]


def discover(target: Optional[str] = None, *, limits: Optional[Limits] = None, keep: bool = True) -> List[Implementation]:
    """The implementations of ``target`` (see ``conformance.dropin.discovery``), loaded in workers only.

    ``keep``: each worker that loaded a module goes on serving its first implementation (else it ends).
    """
    limits = limits or Limits.from_env()
    started: List[Tuple[str, Optional[WorkerProcess], str]] = []
    for spec in expand(target):
        try:
            proc = WorkerProcess(Launch(spec=spec).argv(), limits=limits, label=f"loading {spec}")
            proc.send({"op": "hello", "protocol": wire.PROTOCOL})
            proc.send({"op": "load", "spec": spec})
            started.append((spec, proc, ""))
        except OSError as exc:
            started.append((spec, None, str(exc)))
    impls = []
    for spec, proc, error in started:
        rows = _collect(spec, proc, error, limits)
        kept = False
        for decl in rows:
            launch = Launch(spec=_launch_spec(spec, decl.get("source", "")))
            reuse = keep and not kept and proc is not None and proc.alive and launch.spec == spec and not (
                decl.get("load_error") or decl.get("unavailable"))
            kept = kept or reuse
            handle = WorkerHandle(launch, decl["name"], limits, proc if reuse else None)
            impls.append(remote_implementation(decl, handle))
        if proc is not None and proc.alive and not kept:
            proc.kill("discovery is over")
    return discovery.dedupe(impls)


def to_rows(impls: Sequence[Implementation]) -> List[dict]:
    """JSON rows for ``from_rows``: each implementation's declaration and how to start its worker."""
    rows = []
    for impl in impls:
        handle = handle_of(impl)
        launch = None if handle is None else {"spec": handle.launch.spec, "command": list(handle.launch.command)}
        rows.append({"declaration": declaration(impl), "launch": launch})
    return rows


def from_rows(rows: Sequence[dict], *, limits: Optional[Limits] = None) -> List[Implementation]:
    """The implementations of ``to_rows`` again, with fresh (not yet started) worker handles."""
    limits = limits or Limits.from_env()
    out = []
    for row in rows:
        launch, decl = row.get("launch"), row["declaration"]
        handle = None if launch is None else WorkerHandle(
            Launch(spec=launch.get("spec", ""), command=tuple(launch.get("command") or ())), decl["name"], limits)
        out.append(remote_implementation(decl, handle))
    return out


def write_rows(path: str, impls: Sequence[Implementation]) -> None:
    Path(path).write_text(json.dumps(to_rows(impls)), encoding="utf-8")


def read_rows(path: str, *, limits: Optional[Limits] = None) -> List[Implementation]:
    return from_rows(json.loads(Path(path).read_text(encoding="utf-8")), limits=limits)
