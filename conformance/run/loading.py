"""The implementations of one run: found, isolated (or not), native commands added, known failures applied.

    settings_from_env() -> RunSettings          what the environment asks for (plain pytest, xdist workers)
    found_for_run(settings) -> [Implementation] the implementations, as they declare themselves
    implementations_for_run(settings) -> Loaded with the run's known failures applied, and those ignored

Isolation: by default every implementation runs in a worker process of its own
(``conformance.isolation``: discovered through workers, called through proxies); with
``isolation="in-process"`` (``--in-process``, for debugging only) Python drop-ins are imported
into this process as in 0.1.  Commands given with ``--impl-cmd`` / ``--conventions`` always run
as workers.  A controller that has already discovered hands its rows to pytest-xdist workers
through a file (``CONFORMANCE_DECLARATIONS``), so they import nothing and start no extra process.

Environment variables (plain ``pytest`` honours them too):

    BACKPROP_IMPL                  the Python drop-ins (conformance.dropin.discovery)
    BACKPROP_IMPL_CMD              commands speaking the wire protocol, one per line
    BACKPROP_IMPL_CONVENTIONS      their conventions files, one per line, in the same order
    CONFORMANCE_ISOLATION          workers (default) | in-process
    CONFORMANCE_STRICT             1: ignore the known failures implementations declare themselves
    CONFORMANCE_KNOWN_FAILURES     the caller's file of known failures (conformance.run.trust)
    CONFORMANCE_MEMORY_LIMIT       per worker, e.g. 4G (default), 0 for none
    CONFORMANCE_IMPL_TIME_LIMIT    seconds of calls per implementation (default 900)
    CONFORMANCE_PROFILE, CONFORMANCE_CHECKS, CONFORMANCE_SEED, CONFORMANCE_TIME_LIMIT  (pytest_run)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from conformance.dropin import discovery
from conformance.dropin.protocol import Implementation, KnownFailure
from conformance.isolation.limits import Limits
from conformance.isolation.discover import discover, read_rows
from conformance.isolation.native import ConventionsError, command_implementation
from conformance.run.runner import validated
from conformance.run.trust import apply_known_failures

__all__ = ["ISOLATIONS", "CMD_VAR", "CONVENTIONS_VAR", "DECLARATIONS_VAR", "RunSettings", "Loaded",
           "settings_from_env", "found_for_run", "implementations_for_run", "native_implementations"]

ISOLATIONS = ("workers", "in-process")
CMD_VAR, CONVENTIONS_VAR = "BACKPROP_IMPL_CMD", "BACKPROP_IMPL_CONVENTIONS"
DECLARATIONS_VAR = "CONFORMANCE_DECLARATIONS"


@dataclass(frozen=True)
class RunSettings:
    """What one run checks, and how."""

    profile: str = "dev"
    seed: int = 0
    checks: Optional[str] = None
    time_limit: Optional[float] = None
    target: Optional[str] = None
    commands: Tuple[Tuple[str, str], ...] = ()      # (command, conventions file)
    isolation: str = "workers"
    strict: bool = False
    known_failures: Optional[str] = None
    declarations: Optional[str] = None              # rows discovered by the controller

    def __post_init__(self) -> None:
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, got {self.isolation!r}")

    def __getitem__(self, key: str):  # settings["profile"]: the mapping of earlier releases
        return getattr(self, key)


@dataclass
class Loaded:
    """The implementations of a run, and per implementation the known failures --strict ignored."""

    impls: List[Implementation]
    ignored: Dict[str, Tuple[KnownFailure, ...]] = field(default_factory=dict)


def _lines(text: Optional[str]) -> List[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def settings_from_env(environ=None) -> RunSettings:
    """The run the environment describes (see the module docstring)."""
    env = os.environ if environ is None else environ
    limit = env.get("CONFORMANCE_TIME_LIMIT")
    commands, files = _lines(env.get(CMD_VAR)), _lines(env.get(CONVENTIONS_VAR))
    if len(commands) != len(files):
        raise ValueError(f"{CMD_VAR} has {len(commands)} command(s) but {CONVENTIONS_VAR} {len(files)} file(s): "
                         f"give one conventions file per command")
    return RunSettings(profile=env.get("CONFORMANCE_PROFILE") or env.get("HYPOTHESIS_PROFILE") or "ci",
                       seed=int(env.get("CONFORMANCE_SEED", "0")), checks=env.get("CONFORMANCE_CHECKS") or None,
                       time_limit=float(limit) if limit else None, target=env.get(discovery.ENV_VAR) or None,
                       commands=tuple(zip(commands, files)),
                       isolation=env.get("CONFORMANCE_ISOLATION") or "workers",
                       strict=env.get("CONFORMANCE_STRICT", "") not in ("", "0"),
                       known_failures=env.get("CONFORMANCE_KNOWN_FAILURES") or None,
                       declarations=env.get(DECLARATIONS_VAR) or None)


def native_implementations(commands, *, limits: Limits, verify: bool) -> List[Implementation]:
    """One implementation per (command, conventions file); one that cannot be declared is a broken row."""
    out = []
    for command, conventions in commands:
        try:
            out.append(command_implementation(command, conventions, limits=limits, verify=verify))
        except ConventionsError as exc:
            out.append(discovery.broken(str(conventions), str(conventions), str(exc)))
    return out


def found_for_run(settings: RunSettings, *, keep_workers: bool = True) -> List[Implementation]:
    """The implementations ``settings`` names, in order, as declared (no known-failure policy applied).

    ``keep_workers``: a worker that loaded a module goes on serving it (False in a controller that
    only discovers for its pytest-xdist workers).
    """
    limits = Limits.from_env()
    if settings.declarations:
        return read_rows(settings.declarations, limits=limits)
    impls = []
    if settings.target is not None or not settings.commands:
        if settings.isolation == "in-process":
            impls = discovery.load_implementations(settings.target)
        else:
            impls = discover(settings.target, limits=limits, keep=keep_workers)
    return discovery.dedupe(impls + native_implementations(settings.commands, limits=limits, verify=True))


def implementations_for_run(settings: RunSettings, *, found: Optional[List[Implementation]] = None,
                            keep_workers: bool = True) -> Loaded:
    """``found_for_run`` (or ``found``) with the known failures this run applies (``conformance.run.trust``)."""
    impls = found_for_run(settings, keep_workers=keep_workers) if found is None else found
    impls, ignored = apply_known_failures(impls, strict=settings.strict, known_failures=settings.known_failures)
    return Loaded([validated(i) for i in impls], ignored)

