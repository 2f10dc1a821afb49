"""How long each profile takes on the shipped examples: ``python -m conformance -n 2 --profile P``.

    python benchmarks/bench_profiles.py                          # dev, ci, thorough (about 20 minutes)
    python benchmarks/bench_profiles.py --profiles dev,ci --workers 2
    python benchmarks/bench_profiles.py --quick                  # dev, one check, one row, no xdist (smoke test)

Each profile runs once, one after the other, as a user runs it (the command line in a
subprocess, pytest-xdist workers, every implementation in its worker process): wall seconds,
CPU seconds of every process of the run (the children this script reaped: the command line,
its xdist workers and their worker processes), the verdicts and the unexpected ones (read
back from the run's --json report), and the load average when the run started.  Run it on a
quiet machine for figures that mean something: the machine's other load falls on the wall
time, hardly on the CPU time.

A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK_CHECKS, QUICK_IMPLS = "interface.shapes", "reference.batched_matrix"


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(profile: str, *, workers: str, checks: str = "", impls: str = "") -> dict:
    """One run of the command line: wall and CPU seconds, verdicts, unexpected ones, load at the start."""
    with tempfile.TemporaryDirectory() as tmp:
        js = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "conformance", "--profile", profile, "--json", str(js), "--no-progress"]
        cmd += ["-n", workers] if workers not in ("", "0", "1") else []
        cmd += ["--checks", checks] if checks else []
        cmd += impls.split(",") if impls else []
        load = os.getloadavg()[0]
        cpu0, t0 = _children_cpu(), time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
        report = json.loads(js.read_text()) if js.is_file() else {"implementations": []}
    verdicts = [v for r in report["implementations"] for v in r["verdicts"].values()]
    unexpected = [f"{r['name']}::{c}" for r in report["implementations"] for c, v in r["verdicts"].items()
                  if v["status"] in ("fail", "xpass")]
    return {"profile": profile, "workers": workers, "exit": proc.returncode, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "implementations": len(report["implementations"]), "verdicts": len(verdicts),
            "unexpected": len(unexpected), "unexpected_checks": unexpected, "load_at_start": round(load, 2),
            "stderr_tail": proc.stderr[-500:] if proc.returncode not in (0, 1) else ""}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", default="dev,ci,thorough", help="comma-separated (default dev,ci,thorough)")
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    parser.add_argument("--checks", default="", help="only these checks (default: all)")
    parser.add_argument("--impls", default="", help="comma-separated implementations (default: the shipped examples)")
    parser.add_argument("--quick", action="store_true",
                        help=f"dev profile, {QUICK_CHECKS} on {QUICK_IMPLS}, no xdist (smoke test)")
    parser.add_argument("--json", help="write the rows as JSON")
    args = parser.parse_args(argv)
    profiles = ["dev"] if args.quick else args.profiles.split(",")
    checks, impls = (QUICK_CHECKS, QUICK_IMPLS) if args.quick else (args.checks, args.impls)
    args.workers = "1" if args.quick else args.workers
    print(f"python -m conformance -n {args.workers} over {impls or 'the shipped examples'}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    print(f"{'profile':10s} {'wall s':>8s} {'CPU s':>8s} {'impls':>6s} {'verdicts':>9s} {'unexpected':>11s} "
          f"{'load':>5s} {'exit':>5s}", flush=True)
    rows = []
    for profile in profiles:
        row = measure(profile, workers=args.workers, checks=checks, impls=impls)
        rows.append(row)
        print(f"{profile:10s} {row['wall_s']:8.1f} {row['cpu_s']:8.1f} {row['implementations']:6d} "
              f"{row['verdicts']:9d} {row['unexpected']:11d} {row['load_at_start']:5.2f} {row['exit']:5d}", flush=True)
        if row["unexpected_checks"]:
            print("    unexpected: " + ", ".join(row["unexpected_checks"]), flush=True)
        if row["stderr_tail"]:
            print(row["stderr_tail"], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    return 0 if all(r["exit"] in (0, 1) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
