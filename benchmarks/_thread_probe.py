"""A pytest plugin (``-p _thread_probe``) that records each process's thread pools.

Loaded by benchmarks/bench_parallel.py into a pytest-xdist run.  It imports
nothing heavy at import time (plugins load before the root conftest.py, which
must set the BLAS variables before numpy is imported); after collection, when
the tested modules (numpy, torch, jax) are loaded, it writes what threadpoolctl
reports in that process to ``$THREAD_PROBE_DIR/<worker>.json``.
"""
import json
import os
import sys


def pytest_collection_finish(session):
    out = os.environ.get("THREAD_PROBE_DIR")
    if not out:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    info = {"worker": worker, "pid": os.getpid(),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "XLA_FLAGS")},
            "modules": sorted(m for m in ("numpy", "torch", "jax") if m in sys.modules), "pools": None}
    try:
        import threadpoolctl
        info["pools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "architecture")}
                         for p in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    if "jax" in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        info["jax_single_thread"] = "xla_cpu_multi_thread_eigen=false" in flags
    with open(os.path.join(out, f"{worker}.json"), "w") as fh:
        json.dump(info, fh)


def pytest_sessionfinish(session, exitstatus):
    """Also record this process's CPU time (user + system) at the end of the session."""
    out = os.environ.get("THREAD_PROBE_DIR")
    if not out:
        return
    import resource
    worker = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.path.join(out, f"{worker}.cpu.json"), "w") as fh:
        json.dump({"worker": worker, "cpu_s": usage.ru_utime + usage.ru_stime,
                   "tests": getattr(session, "testscollected", None)}, fh)
