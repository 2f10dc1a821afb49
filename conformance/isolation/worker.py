"""The Python worker process: loads a drop-in module and answers the checker's requests (docs/WIRE.md).

Started by the checker (``conformance.isolation.client``) with BACKPROP_CONFORMANCE_ROLE=worker, so
the user's own top-level packages win here (``conformance._imports``); the shipped examples and the
reference formulations, which import the suite's ``reference``, switch the own-package hook on
when they are loaded (``conformance.dropin.discovery``).  Of the suite it imports only
``conformance.dropin`` (protocol, ready_adapters, discovery: the standard library and numpy) and
``wire``, ``invoke`` and this module.

The protocol runs over copies of the process's stdin and stdout taken at start; file descriptors
0 and 1 then point at /dev/null and at stderr, so whatever the user's code prints (Python or C)
never corrupts a frame: Python's own stdout and stderr are captured per call (``invoke``), output
written to the file descriptors reaches the checker through stderr.

Requests and replies (``op``): ``hello`` -> the protocol version; ``load`` {"spec"} -> the
declarations of ``discovery.load_implementations(spec)``; ``call`` {"impl", "entry", "args",
"kwargs", "time_limit", "output_limit", "flags"} -> the result and the observations of
``invoke`` (and, as the flags ask, of ``observations``: the inputs laid out as asked, the layouts
received, results sharing memory with the inputs, a result held for the next call to be compared); ``shutdown`` -> the non-daemon threads still running, then the process ends.  At its
very end (after every atexit hook of the user's code) the worker writes one last frame,
{"op": "exited"}: an atexit hook that ends the process early shows as its absence.
"""
from __future__ import annotations

import atexit
import dataclasses
import faulthandler
import os
import signal
import sys
import threading
from typing import Dict, List, Tuple

from conformance.dropin import discovery
from conformance.dropin.protocol import Implementation
from conformance.isolation import wire
from conformance.isolation.invoke import OUTPUT_LIMIT, invoke
from conformance.isolation.observations import LAYOUTS, Watch, changed_since, hold, with_layout

__all__ = ["ENTRIES", "declaration", "main", "Server"]

#: The entry points a call may name.
ENTRIES = ("gradient", "train_step", "loss", "forward")


def declaration(impl: Implementation) -> dict:
    """What the checker needs to know of an implementation, as JSON (its callables as entry names)."""
    support = dataclasses.asdict(impl.support)
    del support["model"]        # derived from the conventions on the checker's side
    for key in ("outputs", "hiddens", "input_layouts"):
        support[key] = list(support[key])
    if support["layer_sizes"] is not None:
        support["layer_sizes"] = [list(s) for s in support["layer_sizes"]]
    return {"name": impl.name, "source": impl.source, "description": impl.description,
            "time_limit": impl.time_limit, "load_error": impl.load_error, "unavailable": impl.unavailable,
            "entries": [e for e in ENTRIES if getattr(impl, e) is not None],
            "conventions": dataclasses.asdict(impl.conventions), "support": support,
            "known_failures": [[kf.check, kf.reason, kf.counterexample] for kf in impl.known_failures]}


def _lists(value, out=None) -> List[Tuple[list, tuple]]:
    """Every list reachable in ``value`` (through lists and tuples), with the identities of its items."""
    out = [] if out is None else out
    if type(value) is list:
        out.append((value, tuple(map(id, value))))
    for item in value:
        kind = type(item)
        if kind is list or (kind is tuple and any(type(i) is list or type(i) is tuple for i in item)):
            _lists(item, out)
    return out


def _threads() -> List[str]:
    return [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and not t.daemon]


class Server:
    """Answers requests for the implementations of one loaded spec."""

    def __init__(self) -> None:
        self.impls: Dict[str, Implementation] = {}
        self.held = None   # the arrays of the last call made with flags {"hold": true}, and copies of them
        self.handlers = {"hello": self.hello, "load": self.load, "call": self.call, "shutdown": self.shutdown}

    def hello(self, header: dict, arrays: list):
        return {"protocol": wire.PROTOCOL, "worker": "python", "pid": os.getpid()}, []

    def load(self, header: dict, arrays: list):
        spec = header.get("spec")
        impls = discovery.load_implementations(spec if spec else None)
        self.impls.update({impl.name: impl for impl in impls})
        return {"implementations": [declaration(impl) for impl in impls]}, []

    def shutdown(self, header: dict, arrays: list):
        return {"threads": _threads()}, []

    def call(self, header: dict, arrays: list):
        impl = self.impls.get(header.get("impl"))
        if impl is None and len(self.impls) == 1:
            impl = next(iter(self.impls.values()))
        entry = header.get("entry")
        fn = getattr(impl, entry, None) if entry in ENTRIES and impl is not None else None
        if fn is None:
            return {"error": {"category": "protocol", "message": f"no entry point {entry!r} for implementation "
                                                                 f"{header.get('impl')!r} in this worker"}}, []
        flags = header.get("flags") or {}
        if flags.get("layout") in LAYOUTS:
            arrays = [with_layout(a, flags["layout"]) for a in arrays]
        args = wire.from_tree(header.get("args") or [], arrays)
        kwargs = header.get("kwargs")
        kwargs = {str(k): wire.from_tree(v, arrays) for k, v in kwargs.items()} if kwargs else {}
        lists = _lists(args)
        watched = Watch(args[:3], watch=(), alias=flags["alias"]) if "alias" in flags else None
        inv = invoke(lambda: fn(*args, **kwargs), time_limit=header.get("time_limit"), watch=arrays,
                     output_limit=int(header.get("output_limit") or OUTPUT_LIMIT), contain_interrupts=True)
        out: list = []
        reply = {"seconds": inv.seconds}
        if inv.written:
            reply["output"], reply["output_written"] = inv.output, inv.written
        if inv.warnings:
            reply["warnings"] = [list(w) for w in inv.warnings]
        if inv.changed:
            reply["changed"] = [[i, wire.to_tree(arrays[i], out)] for i in inv.changed]
        for lst, ids in lists:
            if tuple(map(id, lst)) != ids:
                reply["args"] = wire.to_tree(args, out, arrays)
                break
        if watched is not None or flags.get("compare"):
            reply["observed"] = wire.to_tree(self._observed(flags, watched, inv), out)
        if flags.get("hold"):
            self.held = hold([inv.value, *args[:3]]) if inv.category is None else None
        if inv.category is not None:
            reply["error"] = {"category": inv.category, "message": inv.message}
        else:
            reply["value"] = wire.to_tree(inv.value, out, arrays)
        return reply, out


    def _observed(self, flags: dict, watched, inv) -> dict:
        """What the flags asked to observe of this call (docs/WIRE.md, flags)."""
        seen = {}
        if watched is not None:
            after = watched.after(inv.value, inv.category is not None)
            seen["layouts"], seen["aliases"] = list(after["layouts"]), after["aliases"]
        if flags.get("compare"):
            held, self.held = self.held, None
            seen["changes"] = changed_since(held) if held is not None and inv.category is None else []
        return seen


def _protocol_fds() -> Tuple[int, int]:
    """(input, output) of the protocol: copies of stdin and stdout; fd 0 -> /dev/null, fd 1 -> stderr."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return proto_in, proto_out


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the checker dies (best effort elsewhere: the end of stdin)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _goodbye(fd: int) -> None:
    try:
        wire.write_all(fd, wire.frame({"op": "exited"}))
    except OSError:
        pass


def _reply(server: Server, header: dict, arrays: list) -> bytes:
    handler = server.handlers.get(header.get("op"))
    try:
        if handler is None:
            body, out = {"error": {"category": "protocol", "message": f"unknown op {header.get('op')!r}"}}, []
        else:
            body, out = handler(header, arrays)
        body["id"] = header.get("id")
        return wire.frame(body, out)
    except MemoryError:
        return wire.frame({"id": header.get("id"), "error": {"category": "out_of_memory", "message": (
            "the worker ran out of memory while handling the request (the result is too large?)")}})
    except Exception as exc:  # a request the worker cannot handle: say so, keep serving
        return wire.frame({"id": header.get("id"), "error": {"category": "protocol", "message": (
            f"the worker could not handle the {header.get('op')!r} request: {type(exc).__name__}: {exc}")}})


def main() -> int:
    """Serve requests until ``shutdown`` or the end of input; the exit status is 0."""
    proto_in, proto_out = _protocol_fds()
    atexit.register(_goodbye, proto_out)   # registered first: runs after every hook the user's code registers
    _die_with_parent()
    faulthandler.enable(file=sys.__stderr__)  # a segfault's Python traceback reaches the checker on stderr
    server = Server()
    while True:
        try:
            request = wire.read_frame(proto_in)
        except wire.ProtocolError as exc:
            print(f"conformance worker: {exc}", file=sys.__stderr__)
            return 3
        if request is None:
            return 0
        header, arrays = request
        wire.write_all(proto_out, _reply(server, header, arrays))
        if header.get("op") == "shutdown":
            return 0
