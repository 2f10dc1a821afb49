"""Shared set-up of benchmarks/bench_reference.py, bench_gradcheck.py and bench_parallel.py.

Importing this module pins BLAS and OpenMP to one thread *before* numpy is
imported (environment variables, then threadpoolctl when installed) and
offers the timing helper used everywhere: the best of several rounds of
calls, variants interleaved round by round so that the load of a shared
machine falls on all of them alike.  Times are the process's CPU time
(``time.process_time``): with every pool pinned to one thread that equals the
wall time on an idle machine, and it does not count the time another
process holds the core.  Benchmarks measure; they never assert.
"""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

try:
    import threadpoolctl
except ImportError:                      # optional: the environment variables above already apply
    threadpoolctl = None

__all__ = ["ROOT", "np", "limit_threads", "environment", "best_time", "interleaved", "fmt_time", "table"]


def limit_threads():
    """A context that keeps every BLAS/OpenMP pool at one thread (threadpoolctl), or a no-op."""
    if threadpoolctl is None:
        import contextlib
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(limits=1)


def environment() -> dict:
    """What the numbers were measured on: Python, numpy, BLAS library, kernel and thread counts."""
    info = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
            "cpus": os.cpu_count(), "threadpoolctl": None,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
            "loadavg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None}
    if threadpoolctl is not None:
        info["threadpoolctl"] = [
            {k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture",
                                      "num_threads")}
            for pool in threadpoolctl.threadpool_info()]
    return info


def describe_environment(info: dict) -> str:
    lines = [f"python {info['python']}, numpy {info['numpy']}, {info['machine']}, {info['cpus']} cpus, "
             f"load average (1 min) {info['loadavg_1min']} at the start"]
    for pool in info.get("threadpoolctl") or []:
        lines.append(f"  {pool['user_api']}: {pool['internal_api']} {pool.get('version') or ''} "
                     f"kernel={pool.get('architecture') or '-'} threads={pool['num_threads']}")
    if info.get("threadpoolctl") is None:
        lines.append("  threadpoolctl not installed: threads pinned by environment variables only")
    if info["OPENBLAS_CORETYPE"] or info["OPENBLAS_L2_SIZE"]:
        lines.append(f"  note: OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} OPENBLAS_L2_SIZE="
                     f"{info['OPENBLAS_L2_SIZE']} are set; they slow a current numpy: run with "
                     f"`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...` to benchmark the default kernel")
    return "\n".join(lines)


def best_time(fn, *, min_batch_s: float = 0.01, clock=time.process_time) -> tuple:
    """(CPU seconds per call of one batch, calls in the batch); the batch lasts at least ``min_batch_s``."""
    t0 = clock()
    fn()
    once = clock() - t0
    reps = max(1, int(min_batch_s / max(once, 1e-7)))
    t0 = clock()
    for _ in range(reps):
        fn()
    return (clock() - t0) / reps, reps


def interleaved(variants: dict, *, rounds: int = 5, min_batch_s: float = 0.01) -> dict:
    """{name: best seconds per call over ``rounds`` rounds}; each round runs every variant once."""
    best = {name: float("inf") for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t, _ = best_time(fn, min_batch_s=min_batch_s)
            best[name] = min(best[name], t)
    return best


def fmt_time(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(header: list, rows: list) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for k, r in enumerate(cells):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def write_json(path: str, data) -> None:
    """``data`` as indented JSON at ``path``, its folder made when missing."""
    import json
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
