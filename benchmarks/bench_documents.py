"""Time the documents' checks (reference.examples) on the reference formulations.

    python benchmarks/bench_documents.py                       # default (non-slow) set, each check's own default
    python benchmarks/bench_documents.py --formulation per_sample --formulation batched_tensor
    python benchmarks/bench_documents.py --slow --json reports/bench_documents.json

Prints one line per check (wall and CPU seconds, verdict) and the totals.  A
measurement, never an assertion: run it on an otherwise idle machine (the
checks are single-threaded; BLAS is pinned to one thread here).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from reference.examples import CHECKS, check_ids, run_check  # noqa: E402
from reference.gradients import FORMULATIONS  # noqa: E402


def bench(formulation, include_slow):
    """[(check id, wall s, cpu s, passed)] for every selected check."""
    rows = []
    for cid in check_ids(include_slow=include_slow):
        options = {"formulation": formulation} if formulation and CHECKS[cid].uses == "gradient" else {}
        wall, cpu = time.perf_counter(), time.process_time()
        result = run_check(cid, **options)
        rows.append((cid, time.perf_counter() - wall, time.process_time() - cpu, result.passed))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formulation", action="append", choices=sorted(FORMULATIONS),
                        help="drive every gradient check with this formulation (repeatable); "
                             "default: each check's own default (batched_matrix for training)")
    parser.add_argument("--slow", action="store_true", help="include the 60,000-epoch checks")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    report = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
              "cpus": os.cpu_count(), "runs": []}
    for formulation in args.formulation or [None]:
        rows = bench(formulation, args.slow)
        label = formulation or "each check's default"
        print(f"\n== {label} ({'with' if args.slow else 'without'} slow checks)")
        for cid, wall, cpu, passed in rows:
            print(f"  {cid:40s} {wall:7.2f} s wall {cpu:7.2f} s cpu  {'PASS' if passed else 'FAIL'}")
        total_wall, total_cpu = sum(r[1] for r in rows), sum(r[2] for r in rows)
        print(f"  {'total':40s} {total_wall:7.2f} s wall {total_cpu:7.2f} s cpu  "
              f"{sum(r[3] for r in rows)}/{len(rows)} passed")
        report["runs"].append({"formulation": label, "slow": args.slow, "total_wall_s": total_wall,
                               "total_cpu_s": total_cpu,
                               "checks": [{"id": c, "wall_s": w, "cpu_s": p, "passed": ok} for c, w, p, ok in rows]})
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
