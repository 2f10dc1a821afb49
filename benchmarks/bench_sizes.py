"""The ci gate per implementation before and after the size ladder (issue 14), and the ladder's bounds.

    python benchmarks/bench_sizes.py                       # before = 670d155 (git archive), after = this tree
    python benchmarks/bench_sizes.py --before REV --rounds 3 --json out.json
    python benchmarks/bench_sizes.py --quick               # smoke test: one row, the new checks, no 'before'

1. Per implementation, the CPU time of the ci profile (every check, in one process:
   ``conformance.run.runner.check_implementation``), for the tree at ``--before``
   (extracted with ``git archive`` into a temporary folder) and for this tree, each
   in its own process, the two alternated round by round (the load of a shared
   machine falls on both alike); the best round per row, and the median over the
   rows that ran (an optional engine without its library is not a row).
2. After: the CPU time of the new checks alone (sizes.*, interface.ownership,
   interface.layouts), per row.
3. The bounds at the ladder's largest rungs: the share of gradient entries where a
   1 % error in that one entry exceeds the agreement tolerance, in float64 and in
   float32, and the median tolerance / |g|.

CPU time (``time.process_time``) with BLAS pinned to one thread: on an idle
machine it equals the wall time, and other processes' load does not count.
A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from _common import ROOT, environment, table

NEW = ["sizes.", "interface.ownership", "interface.layouts"]
BASE = "670d155"


def worker(tree: str, checks, names) -> None:
    """In a fresh process: the CPU seconds of every implementation of ``tree`` (JSON lines on stdout)."""
    sys.path.insert(0, tree)
    import conformance
    assert Path(conformance.__file__).resolve().is_relative_to(Path(tree).resolve()), conformance.__file__
    from conformance.dropin.discovery import load_implementations
    from conformance.run.runner import check_implementation
    for impl in load_implementations(None):
        if impl.unavailable or (names and impl.name not in names):
            continue
        t0 = time.process_time()
        report = check_implementation(impl, profile="ci", checks=checks)
        cpu = time.process_time() - t0
        print(json.dumps({"name": impl.name, "cpu": cpu, "verdicts": len(report.verdicts),
                          "unexpected": sum(v.unexpected for v in report.verdicts.values())}), flush=True)


def run_tree(tree: Path, checks=None, names=()) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--names", ",".join(names)]
    cmd += ["--checks", ",".join(checks)] if checks else []
    out = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return {row["name"]: row for row in map(json.loads, out.stdout.splitlines())}


def extract(rev: str, into: Path) -> Path:
    """``git archive rev`` of this repository unpacked into ``into``."""
    data = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def gate(before: str, rounds: int, names, checks=None) -> dict:
    """{"before": {name: best cpu}, "after": {...}} over ``rounds`` alternated rounds."""
    best = {"before": {}, "after": {}}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": ROOT}
        if before:
            trees["before"] = extract(before, Path(tmp))
        for _ in range(rounds):
            for label, tree in trees.items():
                for name, row in run_tree(tree, checks=checks, names=names).items():
                    best[label][name] = min(best[label].get(name, float("inf")), row["cpu"])
    return best


def bounds() -> list:
    """Rows (rung, dtype, share of entries where a 1 % error is caught, median tolerance / |g|)."""
    import numpy as np
    from conformance.checks.sizes import sized_problem
    from conformance.core.context import round_problem
    from conformance.core.tolerances import agreement_tolerance
    from reference import gradients
    from reference.network import Network
    rows = []
    for sizes, N in (((11, 13, 3), 1025), ((257, 257, 257), 37), ((9,) + (7,) * 7 + (3,), 21), ((784, 256, 128, 10), 100)):
        net = Network(list(sizes))
        for dt in (np.float64, np.float32):
            p = round_problem(sized_problem(net, N, seed=0), dt)
            g = gradients(net, p.params, p.X, p.Y)
            tol = agreement_tolerance(net, p.params, p.X, p.Y, dtype=dt, expected=g)
            e = np.concatenate([a.ravel() for pair in g for a in pair])
            t = np.concatenate([a.ravel() for pair in tol for a in pair])
            rows.append(["-".join(map(str, sizes)), N, np.dtype(dt).name, f"{np.mean(0.01 * np.abs(e) > t):.1%}",
                         f"{np.median(t / np.abs(e)):.2g}"])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BASE, help=f"the revision to compare with (default {BASE}; '' for none)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="one row, the new checks, no 'before' (smoke test)")
    parser.add_argument("--json")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--checks", default="", help=argparse.SUPPRESS)
    parser.add_argument("--names", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [n for n in args.names.split(",") if n]
    if args.worker:
        worker(args.worker, [c for c in args.checks.split(",") if c] or None, names)
        return 0
    gate_checks = None
    if args.quick:   # one row, the new checks only: the script runs to the end in a few seconds
        args.before, args.rounds, names, gate_checks = "", 1, ["reference.scalar"], NEW
    info = environment()
    print(f"load average at the start: {info['loadavg_1min']}")
    best = gate(args.before, args.rounds, names, gate_checks)
    rows = [[n, f"{best['before'].get(n, float('nan')):.2f}", f"{c:.2f}"] for n, c in best["after"].items()]
    print(f"\n1. ci profile, CPU seconds per implementation (best of {args.rounds} alternated rounds)\n")
    print(table(["implementation", f"before ({args.before or '-'})", "after"], rows))
    medians = {k: statistics.median(v.values()) for k, v in best.items() if v}
    print("\nmedian per implementation: " + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()))
    new = run_tree(ROOT, checks=NEW, names=names)
    print("\n2. after, the new checks alone (sizes.*, interface.ownership, interface.layouts), CPU seconds\n")
    print(table(["implementation", "new checks"], [[n, f"{r['cpu']:.2f}"] for n, r in new.items()]))
    print(f"\nmedian: {statistics.median(r['cpu'] for r in new.values()):.2f} s")
    brows = bounds()
    print("\n3. bounds at the largest rungs: entries where a 1 % error alone is caught, median tolerance / |g|\n")
    print(table(["network", "N", "dtype", "1 % caught", "median tol / |g|"], brows))
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "gate": best, "medians": medians,
                                               "new_checks": {n: r["cpu"] for n, r in new.items()},
                                               "bounds": brows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
