"""What a worker process may use: time per call and per implementation, memory, output (defaults documented).

    Limits()               the defaults: 5 s per call (+ 1 s of grace), 900 s of calls per implementation,
                           4 GiB of address space per worker, 64 Ki characters of output kept per call
    Limits.from_env()      the same, changed by CONFORMANCE_TIME_LIMIT, CONFORMANCE_IMPL_TIME_LIMIT and
                           CONFORMANCE_MEMORY_LIMIT (the command line's --time-limit, --impl-time-limit,
                           --memory-limit reach pytest-xdist workers through them)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Optional

from conformance.isolation.invoke import OUTPUT_LIMIT

__all__ = ["Limits", "parse_memory"]

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_memory(text) -> Optional[int]:
    """Bytes from '4G', '512M', '1073741824' (None for '0', 'none' or '')."""
    if text is None or str(text).strip().lower() in ("", "0", "none", "unlimited"):
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", str(text).upper())
    if not m:
        raise ValueError(f"memory limit {text!r}: expected a size such as 4G, 512M or 0 for none")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


@dataclass(frozen=True)
class Limits:
    """What a worker may use.  Defaults are documented in docs/CONFORMANCE.md (section 6)."""

    time_limit: float = 5.0            # seconds per call when the check sets none
    impl_time_limit: float = 900.0     # seconds of requests per implementation in one checker process
    memory: Optional[int] = 4 << 30    # bytes of address space per worker; None: no limit
    output: int = OUTPUT_LIMIT         # characters (bytes on stderr) kept per call
    startup: float = 120.0             # seconds to start a worker and load the implementation
    grace: float = 1.0                 # seconds a worker gets, past a limit, to answer by itself

    ENV = {"time_limit": "CONFORMANCE_TIME_LIMIT", "impl_time_limit": "CONFORMANCE_IMPL_TIME_LIMIT",
           "memory": "CONFORMANCE_MEMORY_LIMIT"}

    @classmethod
    def from_env(cls, environ=None) -> "Limits":
        env, out = os.environ if environ is None else environ, cls()
        if env.get(cls.ENV["time_limit"]):
            out = replace(out, time_limit=float(env[cls.ENV["time_limit"]]))
        if env.get(cls.ENV["impl_time_limit"]):
            out = replace(out, impl_time_limit=float(env[cls.ENV["impl_time_limit"]]))
        if env.get(cls.ENV["memory"]) is not None and env.get(cls.ENV["memory"]) != "":
            out = replace(out, memory=parse_memory(env[cls.ENV["memory"]]))
        return out


