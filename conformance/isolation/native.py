"""Drop-ins in any language: a command that speaks the wire protocol, and a conventions file.

    backprop-conformance --impl-cmd "./backprop" --conventions backprop.json

The command is started as a worker (``shlex.split``, no shell, in the current folder) and must
answer the protocol of docs/WIRE.md on its stdin and stdout.  The conventions file (JSON; TOML
too on Python 3.11+) declares what a Python drop-in declares with ``implementation(...)``, with
the entry points as booleans:

    {"name": "c.backprop", "gradient": true, "loss": true,
     "samples": "columns", "weights": "out_in", "bias": "vector", "reduction": "mean",
     "max_depth": 4, "max_N": 50, "known_failures": {"check.id": "reason"},
     "description": "...", "time_limit": 5}

Exactly one of "gradient" and "train_step" is true; "loss" and "forward" say whether the
command answers those calls too.  Every other key is a convention or a support bound, checked
as ``implementation(...)`` checks it.
"""
from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Optional, Sequence, Union

from conformance.dropin.protocol import Implementation, implementation
from conformance.isolation import wire
from conformance.isolation.client import WorkerDied, WorkerProcess, WorkerTimeout, exit_text
from conformance.isolation.limits import Limits
from conformance.isolation.handle import Launch, WorkerHandle
from conformance.isolation.remote import RemoteCall

__all__ = ["ENTRY_KEYS", "read_table", "command_implementation", "declaration_of", "ConventionsError"]

ENTRY_KEYS = ("gradient", "train_step", "loss", "forward")


class ConventionsError(ValueError):
    """A conventions file that cannot be read or does not declare an implementation."""


def read_table(path: Union[str, Path]) -> dict:
    """A JSON file, or a TOML file (Python 3.11+), as a dict; ConventionsError naming the file otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConventionsError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".toml":
            import tomllib  # Python 3.11+
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ImportError:
        raise ConventionsError(f"{path}: TOML needs Python 3.11 or later (tomllib); write it as JSON") from None
    except ValueError as exc:
        raise ConventionsError(f"{path} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {exc}") \
            from None
    if not isinstance(data, dict):
        raise ConventionsError(f"{path}: expected a table of declarations, got {type(data).__name__}")
    return data


def declaration_of(table: dict, where: str) -> dict:
    """The keyword arguments of ``implementation(...)`` a conventions table stands for (entries as True)."""
    data = dict(table)
    data.pop("command", None)
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ConventionsError(f"{where}: needs \"name\", the implementation's name")
    entries = {k: data.pop(k) for k in ENTRY_KEYS if k in data}
    bad = [k for k, v in entries.items() if not isinstance(v, bool)]
    if bad:
        raise ConventionsError(f"{where}: {', '.join(bad)} must be true or false (whether the command answers it)")
    if entries.get("gradient", False) == entries.get("train_step", False):
        raise ConventionsError(f"{where}: exactly one of \"gradient\" and \"train_step\" must be true")
    if "outputs" in data and isinstance(data["outputs"], list):
        data["outputs"] = tuple(data["outputs"])
    if "layer_sizes" in data and data["layer_sizes"] is not None:
        data["layer_sizes"] = tuple(tuple(s) for s in data["layer_sizes"])
    return {"entries": tuple(k for k, v in entries.items() if v), **data}


def _verify(handle: WorkerHandle) -> None:
    """Start the command once and have it answer hello; keep it running for the first call."""
    try:
        proc = WorkerProcess(handle.launch.argv(), limits=handle.limits, label=handle.name)
    except OSError as exc:
        raise ConventionsError(f"could not start {handle.launch.describe()}: {exc.strerror or exc}") from None
    try:
        reply, _, _ = proc.request({"op": "hello", "protocol": wire.PROTOCOL},
                                   deadline=time.monotonic() + handle.limits.startup)
    except (WorkerDied, WorkerTimeout, wire.ProtocolError) as exc:
        tail = proc.stderr_tail()
        proc.kill("it did not answer hello")
        why = exit_text(exc.returncode) if isinstance(exc, WorkerDied) else (
            f"no reply within {handle.limits.startup:g} s" if isinstance(exc, WorkerTimeout) else str(exc))
        raise ConventionsError(f"{handle.launch.describe()} did not answer hello: {why}"
                               + (f"; its stderr: {tail}" if tail else "")) from None
    if reply.get("protocol") != wire.PROTOCOL or "error" in reply:
        proc.kill("it speaks another protocol")
        raise ConventionsError(f"{handle.launch.describe()} answered hello with {reply!r:.200} "
                               f"(protocol {wire.PROTOCOL} expected)")
    handle.process, handle.starts = proc, 1


def command_implementation(command: Union[str, Sequence[str], None], conventions: Union[str, Path], *,
                           limits: Optional[Limits] = None, verify: bool = True) -> Implementation:
    """The implementation that ``command`` serves, declared by the file ``conventions``.

    ``command`` is a string (split like a shell would, without running one) or a list; None takes the
    file's own "command".  ``verify`` starts it and has it answer hello now (ConventionsError if not).
    """
    table = read_table(conventions)
    command = table.get("command") if command is None else command
    if not command:
        raise ConventionsError(f"{conventions}: no command given (--impl-cmd, or \"command\" in the file)")
    argv = tuple(shlex.split(command) if isinstance(command, str) else command)
    decl = declaration_of(table, str(conventions))
    entries = decl.pop("entries")
    handle = WorkerHandle(Launch(command=argv), decl["name"], limits or Limits.from_env())
    calls = {e: RemoteCall(handle, e) for e in entries}
    decl.setdefault("description", f"{shlex.join(argv)} (wire protocol)")
    try:
        impl = implementation(decl.pop("name"), **calls, source=str(conventions), **decl)
    except (TypeError, ValueError) as exc:
        raise ConventionsError(f"{conventions}: {exc}") from None
    if verify:
        _verify(handle)
    return impl
