"""Cost of the symbolic ground truth: derivation + 40-digit evaluation versus width, depth and N.

    python benchmarks/bench_symbolic.py              # full table (about 5 minutes)
    python benchmarks/bench_symbolic.py --quick      # skips [2,16,8,4,1] and the naive runs
    python benchmarks/bench_symbolic.py --naive-timeout 300

Each row starts from an empty SymPy cache and times the phases of
``symbolic_gradients(..., dps=50)`` (what its first call for a network costs):

    diff     sympy.diff of C_x for every parameter (``reference.symbolic.differentiate``)
    cse      sympy.cse over all outputs (``share_subexpressions``)
    compile  lambdify to an mpmath program
    eval     the N evaluations at 50 digits and the mean (``evaluate``); later calls cost only this
    total    the sum

The naive baseline (``reference.symbolic_naive``: the whole-batch C with N copies of
the network, sympy.diff per parameter, evalf at the point) runs in a subprocess and is
abandoned after ``--naive-timeout`` seconds.  A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import sympy  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from reference import Network  # noqa: E402
from reference.symbolic import differentiate, evaluate, share_subexpressions  # noqa: E402

DPS = 50


def point(net: Network, N: int, seed: int = 0):
    """A He-like point with biases, X ~ Normal, Y ~ U(0, 1): (params, X, Y)."""
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(net.weight_shape(l)) * np.sqrt(2.0 / net.n(l - 1)), rng.standard_normal(net.n(l)))
              for l in range(1, net.L + 1)]
    return params, rng.standard_normal((net.n(0), N)), rng.random((net.n(net.L), N))


def measure(sizes, output, N):
    """(P, diff, cse, compile, eval) seconds for one network and batch size, from empty caches."""
    net = Network(sizes, output=output)
    params, X, Y = point(net, N)
    clear_cache()
    t = [time.perf_counter()]
    differentiated = differentiate(net)
    t.append(time.perf_counter())
    d = share_subexpressions(net, *differentiated)
    t.append(time.perf_counter())
    d.mpmath_program
    t.append(time.perf_counter())
    evaluate(d, params, X, Y, dps=DPS)
    t.append(time.perf_counter())
    return (net.n_params, *np.diff(t))


def naive_in_subprocess(sizes, output, N, timeout):
    """Seconds of the naive whole-batch derivation + evalf, or None if it ran past ``timeout``."""
    cmd = [sys.executable, __file__, "--naive-one", ",".join(map(str, sizes)), output, str(N)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def naive_one(sizes, output, N):
    from reference.symbolic_naive import naive_batch_gradients
    net = Network(sizes, output=output)
    params, X, Y = point(net, N)
    t0 = time.perf_counter()
    naive_batch_gradients(net, params, X, Y, dps=DPS)
    print(time.perf_counter() - t0)


def rows(quick):
    yield "targets (issue 7 item 5)", [((3, 4, 4, 2), "identity", 5), ((4, 8, 8, 2), "identity", 5)]
    yield "width: [3, w, w, 2], N = 5", [((3, w, w, 2), "identity", 5) for w in (2, 4, 6, 8)]
    yield "depth: [3, 4, ..., 4, 2], N = 5", [((3,) + (4,) * d + (2,), "identity", 5) for d in (1, 2, 3, 4)]
    yield "batch size: [3, 4, 4, 2]", [((3, 4, 4, 2), "identity", N) for N in (1, 5, 50, 500)]
    docs = [((2, 2, 1), "sigmoid", 4), ((2, 4, 3, 1), "sigmoid", 4), ((2, 8, 4, 1), "sigmoid", 8)]
    yield "documents' networks", docs + ([] if quick else [((2, 16, 8, 4, 1), "sigmoid", 8)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip [2,16,8,4,1] and the naive baseline")
    parser.add_argument("--naive-timeout", type=float, default=120.0, help="seconds per naive run")
    parser.add_argument("--naive-one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.naive_one:
        sizes, output, N = args.naive_one
        return naive_one(tuple(int(s) for s in sizes.split(",")), output, int(N))
    print(f"python {platform.python_version()}, sympy {sympy.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cpus; evaluation at {DPS} digits")
    header = (f"{'network':22s} {'output':8s} {'N':>4s} {'P':>4s} {'diff s':>8s} {'cse s':>7s} "
              f"{'compile s':>9s} {'eval s':>8s} {'total s':>8s}")
    for title, cases in rows(args.quick):
        print(f"\n{title}\n{header}")
        for sizes, output, N in cases:
            P, diff, cse, comp, ev = measure(sizes, output, N)
            print(f"{str(list(sizes)):22s} {output:8s} {N:4d} {P:4d} {diff:8.2f} {cse:7.2f} {comp:9.2f} "
                  f"{ev:8.3f} {diff + cse + comp + ev:8.2f}", flush=True)
    if not args.quick:
        print(f"\nnaive whole-batch derivation + evalf (subprocess, timeout {args.naive_timeout:.0f} s)")
        for sizes, output, N in [((3, 4, 4, 2), "identity", 1), ((3, 4, 4, 2), "identity", 2),
                                 ((3, 4, 4, 2), "identity", 5), ((4, 8, 8, 2), "identity", 5)]:
            seconds = naive_in_subprocess(sizes, output, N, args.naive_timeout)
            shown = f"{seconds:8.2f} s" if seconds is not None else f"skipped: over {args.naive_timeout:.0f} s"
            print(f"{str(list(sizes)):22s} {output:8s} {N:4d}  {shown}", flush=True)
    from reference.vectors import load_vectors
    t0 = time.perf_counter()
    vectors = load_vectors()
    print(f"\nload_vectors(): {len(vectors)} vectors in {time.perf_counter() - t0:.4f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
