"""Run the speed-and-scale benchmarks one after another, each printing its table.

    python benchmarks/run_all.py                 # bench_reference, bench_gradcheck, bench_parallel, bench_sizes,
                                                 # bench_isolation, bench_profiles
    python benchmarks/run_all.py --quick         # the same on tiny sizes (what the smoke test runs)
    python benchmarks/run_all.py --json-dir reports/

Each script also runs alone (see its docstring).  One BLAS thread throughout;
on a machine that sets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, benchmark the
default kernel with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run_all.py``.
Measurements, never assertions.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_reference.py", "bench_gradcheck.py", "bench_parallel.py", "bench_sizes.py", "bench_isolation.py",
           "bench_profiles.py")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--json-dir", help="write each script's measurements as JSON into this directory")
    args = parser.parse_args(argv)
    worst = 0
    for script in SCRIPTS:
        cmd = [sys.executable, str(HERE / script)] + (["--quick"] if args.quick else [])
        if args.json_dir:
            Path(args.json_dir).mkdir(parents=True, exist_ok=True)
            cmd += ["--json", str(Path(args.json_dir) / script.replace(".py", ".json"))]
        print(f"\n===== {script} =====", flush=True)
        worst = max(worst, subprocess.call(cmd))
    return worst


if __name__ == "__main__":
    sys.exit(main())
