"""The parallel gate: BLAS pinning in pytest-xdist workers, and the conformance run on 1 and 2 workers.

    python benchmarks/bench_parallel.py                  # probe + timed runs (a few minutes)
    python benchmarks/bench_parallel.py --quick          # probe only, on a tiny collection (smoke test)
    python benchmarks/bench_parallel.py --repeat 2 --profile ci --json out.json

1. Probe.  ``pytest -n 2 -k <no match>`` (collection only: xdist does not distribute --collect-only) over the conformance suite with the
   plugin ``benchmarks/_thread_probe.py``, in an environment *without*
   OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS (as on CI), so that
   only the root conftest.py can pin them: each worker reports what
   threadpoolctl sees once numpy, torch and jax are loaded.
2. Timing.  ``python -m conformance --profile ci`` over impls/ and the
   reference formulations, without xdist, with ``-n 1`` and with ``-n 2``
   (wall time of the whole command, best of ``--repeat``), and the speed-up
   from 1 to 2 workers.  Each process's CPU time is recorded too: on a shared
   machine whose other load takes cores away, "controller CPU + busiest
   worker's CPU" projects the wall time on an idle machine with a core per
   worker.

A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PINNED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def clean_env(**extra) -> dict:
    """The current environment without the BLAS thread variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in PINNED}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


def probe(targets, workers=2) -> list:
    """threadpoolctl's view from every xdist worker (list of dicts, one per worker)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "pytest", "-p", "_thread_probe", "-n", str(workers), "-k", "__no_test_has_this_name__", "-q",
               "-p", "no:cacheprovider", *targets]
        proc = subprocess.run(cmd, cwd=ROOT, env=clean_env(THREAD_PROBE_DIR=out), capture_output=True, text=True,
                              timeout=900)
        reports = [json.loads(p.read_text()) for p in sorted(Path(out).glob("*.json")) if ".cpu." not in p.name]
    if not reports:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
    return reports


def render_probe(reports) -> str:
    lines = []
    for r in reports:
        pools = ", ".join(f"{p['internal_api']}={p['num_threads']}" for p in r.get("pools") or []) or "threadpoolctl missing"
        extra = []
        if "torch_threads" in r:
            extra.append(f"torch.get_num_threads()={r['torch_threads']}")
        if "jax_single_thread" in r:
            extra.append("XLA_FLAGS has --xla_cpu_multi_thread_eigen=false" if r["jax_single_thread"] else
                         "XLA_FLAGS unset: jax's XLA runs its own thread pool, untouched by the BLAS variables")
        env = " ".join(f"{k}={v}" for k, v in r["env"].items() if v is not None and k != "XLA_FLAGS")
        lines.append(f"  {r['worker']}: {pools}; {'; '.join(extra) or '-'}; env {env or '(none)'}; "
                     f"loaded {','.join(r['modules'])}")
    return "\n".join(lines)


def timed_run(workers, profile, repeat) -> dict:
    """Best wall time of ``python -m conformance --profile ... [-n workers]``, its exit code, and the
    CPU seconds of the controller and of each worker (from the probe plugin) in that best run."""
    cmd = [sys.executable, "-m", "conformance", "--profile", profile]
    if workers:
        cmd += ["-n", str(workers)]
    cmd += ["--", "-p", "_thread_probe"]
    best = {"seconds": float("inf")}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, env=clean_env(THREAD_PROBE_DIR=out), capture_output=True,
                                  text=True, timeout=1800)
            seconds = time.perf_counter() - t0
            cpu = {json.loads(p.read_text())["worker"]: json.loads(p.read_text())["cpu_s"]
                   for p in Path(out).glob("*.cpu.json")}
        if seconds < best["seconds"]:
            best = {"seconds": seconds, "exit": proc.returncode, "cpu": cpu,
                    "summary": (proc.stdout.strip().splitlines() or [""])[-1]}
    best["workers"] = workers or "no xdist"
    return best


def projected(run) -> float:
    """Wall time on an idle machine with a core per worker: controller CPU + the busiest worker's CPU."""
    cpu = dict(run["cpu"])
    controller = cpu.pop("controller", 0.0)
    return controller + (max(cpu.values()) if cpu else 0.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="probe a tiny collection only (smoke test)")
    parser.add_argument("--profile", default="ci", help="conformance profile (default ci)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per worker count (best is kept)")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    out = {}
    if not (ROOT / "conformance" / "__main__.py").exists() or not (ROOT / "conformance" / "run" / "runner.py").exists():
        print("conformance/__main__.py or conformance/run/runner.py missing: no conformance run to time")
        return 0
    targets = ["tests/test_directional.py"] if args.quick else ["conformance"]
    print(f"1. BLAS/OpenMP threads seen in each pytest-xdist worker (pytest -n 2 -k <none> {' '.join(targets)},"
          f" started without {'/'.join(PINNED)})", flush=True)
    out["probe"] = probe(targets)
    print(render_probe(out["probe"]) or "  (no report: see the output above)", flush=True)
    if not args.quick:
        runs = [timed_run(w, args.profile, args.repeat) for w in (None, 1, 2)]
        out["runs"] = runs
        print(f"\n2. python -m conformance --profile {args.profile} (impls/ + reference formulations), wall time")
        for r in runs:
            cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["cpu"].items()))
            print(f"  workers {r['workers']!s:9s} wall {r['seconds']:6.1f} s   CPU s: {cpu}   projected "
                  f"{projected(r):6.1f} s   exit {r['exit']}   {r['summary']}")
        one, two = runs[1]["seconds"], runs[2]["seconds"]
        p1, p2 = projected(runs[1]), projected(runs[2])
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"  speed-up from 1 to 2 workers: {one / two:.2f}x measured (load average {load:.1f} at the end), "
              f"{p1 / p2:.2f}x projected from CPU times (controller + busiest worker); target >= 1.6x and "
              f"2 workers under 60 s: {'yes' if two < 60 else 'no'} measured, {'yes' if p2 < 60 else 'no'} projected")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
