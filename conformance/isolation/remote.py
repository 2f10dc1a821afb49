"""Implementations whose entry points run in a worker process: the proxies.

``remote_implementation(declaration, handle)`` is an ``Implementation`` like any other: its
``gradient`` / ``train_step`` / ``loss`` / ``forward`` are ``RemoteCall`` proxies that send the
native arrays to the worker (``conformance.isolation.handle.WorkerHandle``) and return the
native result, so calls.py, the adapters, the checks and the diagnosis work unchanged.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

from conformance.dropin.protocol import Conventions, Implementation, KnownFailure, Support
from conformance.isolation.handle import MAX_RESTARTS, Launch, RemoteError, WorkerHandle

__all__ = ["RemoteError", "Launch", "WorkerHandle", "RemoteCall", "remote_implementation", "handle_of",
           "MAX_RESTARTS"]


class RemoteCall:
    """One entry point of a remote implementation: calling it calls the worker."""

    __slots__ = ("handle", "entry")

    def __init__(self, handle: WorkerHandle, entry: str):
        self.handle, self.entry = handle, entry

    def __call__(self, *args, **kwargs):
        return self.handle.call(self.entry, args, kwargs)

    def map(self, calls: Sequence[Tuple[tuple, dict]]) -> list:
        """The results of independent calls [(args, kwargs), ...], sent to the worker all at once."""
        return self.handle.call_many(self.entry, calls)

    def __repr__(self) -> str:
        return f"<{self.entry} of {self.handle.name!r}, run by {self.handle.launch.describe()}>"


def remote_implementation(decl: dict, handle: Optional[WorkerHandle]) -> Implementation:
    """The Implementation a worker declared, its entry points proxies to ``handle``."""
    common = dict(name=decl["name"], source=decl.get("source", ""), description=decl.get("description", ""))
    if decl.get("load_error") or decl.get("unavailable") or handle is None:
        return Implementation(**common, load_error=decl.get("load_error", ""), unavailable=decl.get("unavailable", ""))
    sup = {key: value for key, value in decl["support"].items() if key != "model"}
    for key in ("outputs", "hiddens", "input_layouts"):
        if key in sup:
            sup[key] = tuple(sup[key])
    if sup.get("layer_sizes") is not None:
        sup["layer_sizes"] = tuple(tuple(s) for s in sup["layer_sizes"])
    calls = {e: RemoteCall(handle, e) for e in decl["entries"]}
    return Implementation(**common, gradient=calls.get("gradient"), train_step=calls.get("train_step"),
                          loss=calls.get("loss"), forward=calls.get("forward"),
                          conventions=Conventions(**decl["conventions"]), support=Support(**sup),
                          known_failures=tuple(KnownFailure(kf[0], kf[1], counterexample=kf[2] if len(kf) > 2 else "")
                                               for kf in decl.get("known_failures", ())),
                          time_limit=decl.get("time_limit"))


def handle_of(impl: Implementation) -> Optional[WorkerHandle]:
    """The worker handle behind a remote implementation, or None for one loaded in this process."""
    entry = impl.gradient or impl.train_step
    return entry.handle if isinstance(entry, RemoteCall) else None

