"""The cost of running implementations in worker processes (issue 13), against running them in the checker.

    python benchmarks/bench_isolation.py                     # all three parts (about 10 minutes)
    python benchmarks/bench_isolation.py --parts calls,impls --impls doc1.,reference.batched_matrix
    python benchmarks/bench_isolation.py --quick             # tiny sizes (smoke test)

1. Calls.  One call through a worker against the same call in this process: a no-op round trip
   ("hello"), and ``adapters.gradient_of`` / ``step_of`` on small problems; wall time per call, and
   CPU time per call of the checker and of the worker (read from /proc).
2. Implementations.  ``check_implementation(impl, profile)`` for every shipped implementation, once
   with the implementation loaded here (``--in-process``) and once through its worker, in the same
   process, one after the other (the order alternates from one implementation to the next): wall
   seconds, CPU seconds (this process plus the worker processes it reaped), and their ratios; the
   medians are the figures of the issue (at most 1.5 x).  CPU is the figure that does not depend on
   the other load of a shared machine: with a core free, a check and its worker take turns, so the
   wall time of an idle machine is close to their CPU time.
3. The gate.  ``python -m conformance`` over the shipped examples with 1 and 2 pytest-xdist
   workers, through worker processes and (CONFORMANCE_ISOLATION=in-process, the run of 0.1) without,
   and ``--in-process``: wall seconds and CPU seconds (all processes), best of ``--repeat``.

A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, environment, fmt_time, np, table  # noqa: F401  (pins BLAS first)

from conformance.dropin.adapters import gradient_of, step_of  # noqa: E402
from conformance.dropin.discovery import load_implementations  # noqa: E402
from conformance.isolation.client import stop_all  # noqa: E402
from conformance.isolation.discover import discover  # noqa: E402
from conformance.isolation.remote import handle_of  # noqa: E402
from conformance.run.runner import check_implementation  # noqa: E402
from reference import Network  # noqa: E402


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def calls(names, n: int) -> list:
    """Rows: (what, wall per call remote, local, checker CPU per call, worker CPU per call)."""
    rows = []
    remote = {i.name: i for i in discover(",".join(names))}
    local = {i.name: i for i in load_implementations(",".join(names))}
    for name in names:
        r, l = remote[name], local[name]
        for sizes, N in (([2, 1], 4), ([2, 3, 3, 1], 1), ([2, 16, 8, 4, 1], 8)):
            net = Network(sizes)
            params, X = net.init(0), np.random.default_rng(0).uniform(size=(sizes[0], N))
            Y = np.zeros((1, N))
            if not r.support.covers(net, N):
                continue
            call = (lambda i: step_of(i, net, params, X, Y, 0.3)) if r.train_step else (
                lambda i: gradient_of(i, net, params, X, Y))
            call(r)
            pid = handle_of(r).process.proc.pid
            w0, c0, t0 = _proc_cpu(pid), time.process_time(), time.perf_counter()
            for _ in range(n):
                call(r)
            wall, cpu, wcpu = time.perf_counter() - t0, time.process_time() - c0, _proc_cpu(pid) - w0
            t1 = time.perf_counter()
            for _ in range(n):
                call(l)
            here = time.perf_counter() - t1
            rows.append((f"{name} {sizes} N={N}", wall / n, here / n, cpu / n, wcpu / n))
        proc = handle_of(r).process
        t0 = time.perf_counter()
        for _ in range(n):
            proc.request({"op": "hello"}, deadline=time.monotonic() + 10)
        rows.append((f"no-op round trip ({name}'s worker)", (time.perf_counter() - t0) / n, 0.0, float("nan"),
                     float("nan")))
    stop_all()
    return rows


def _measure(fn):
    stop_all()
    c0, k0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
    fn()
    stop_all()  # reap the workers, so that their CPU time is counted
    return time.perf_counter() - t0, time.process_time() - c0 + _children_cpu() - k0


def implementations(target: str, profile: str, checks=None) -> list:
    """Rows: (name, wall in-process, wall workers, CPU in-process, CPU workers)."""
    local = [i for i in load_implementations(target) if not (i.unavailable or i.load_error)]
    remote = {r.name: r for r in discover(target, keep=False)}  # declarations only: each worker starts in its run
    rows = []
    for k, impl in enumerate(local):
        runs = {}
        order = (("in", lambda: check_implementation(impl, profile=profile, checks=checks)),
                 ("out", lambda: check_implementation(remote[impl.name], profile=profile, checks=checks)))
        for label, fn in (order if k % 2 == 0 else order[::-1]):
            runs[label] = _measure(fn)
        rows.append((impl.name, runs["in"][0], runs["out"][0], runs["in"][1], runs["out"][1]))
        print(f"  {impl.name}: wall {runs['in'][0]:.2f} -> {runs['out'][0]:.2f} s, "
              f"CPU {runs['in'][1]:.2f} -> {runs['out'][1]:.2f} s", flush=True)
    return rows


GATE = (("--in-process (not isolated, no pytest)", ["--in-process"], {}),
        ("not isolated, pytest -n 1", ["-n", "1"], {"CONFORMANCE_ISOLATION": "in-process"}),
        ("not isolated, pytest -n 2", ["-n", "2"], {"CONFORMANCE_ISOLATION": "in-process"}),
        ("workers, -n 1", ["-n", "1"], {}),
        ("workers, -n 2", ["-n", "2"], {}))


def gate(profile: str, repeat: int, checks: str = "") -> list:
    """Rows: (command, best wall, CPU of that run, exit status, last line) for the shipped examples.

    The rows "not isolated, pytest" are the run of 0.1 (CONFORMANCE_ISOLATION=in-process: the implementations
    imported by every pytest worker): the like-for-like baseline of the -n scaling."""
    base = {k: v for k, v in os.environ.items() if k != "BACKPROP_IMPL"}
    extra = ["--checks", checks] if checks else []
    out = []
    for label, args, env in GATE:
        best = None
        for _ in range(repeat):
            k0, t0 = _children_cpu(), time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "conformance", "--profile", profile, *extra, *args],
                                  cwd=ROOT, capture_output=True, text=True, env={**base, **env})
            wall, cpu = time.perf_counter() - t0, _children_cpu() - k0
            tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]
            if best is None or wall < best[1]:
                best = (label, wall, cpu, proc.returncode, tail)
        out.append(best)
        print(f"  {best[0]}: {best[1]:.1f} s wall, {best[2]:.1f} s CPU, exit {best[3]}: {best[4]}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="calls,impls,gate")
    p.add_argument("--impls", default="@examples", help="a discovery target (default: the shipped examples)")
    p.add_argument("--profile", default="ci")
    p.add_argument("--checks", default=None, help="check ids or families for part 2 (default: all)")
    p.add_argument("--calls", type=int, default=2000, help="calls per round-trip figure")
    p.add_argument("--repeat", type=int, default=1, help="runs of each gate command (the best is kept)")
    p.add_argument("--quick", action="store_true", help="tiny sizes: the smoke test")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    parts = set(args.parts.split(","))
    if args.quick:
        args.calls, args.profile, args.impls, parts = 50, "dev", "reference.batched_matrix", parts - {"gate"}
        args.checks = "reference.agreement,interface.shapes,interface.clean_exit"
    info = environment()
    print(f"python {info['python']}, numpy {info['numpy']}, {info['cpus']} cpus, load {info['loadavg_1min']}")
    result = {"environment": info}
    if "calls" in parts:
        rows = calls(["reference.batched_matrix"] if args.quick else ["reference.batched_matrix",
                                                                    "doc1.DeepNeuralNetwork"], args.calls)
        print("\n1. Calls: one call through a worker vs in this process")
        print(table(["call", "worker (wall)", "here (wall)", "checker CPU", "worker CPU"],
                    [(w, fmt_time(a), fmt_time(b) if b else "-", fmt_time(c), fmt_time(d)) for w, a, b, c, d in rows]))
        result["calls"] = rows
    if "impls" in parts:
        print(f"\n2. Implementations: all checks, profile {args.profile}, in-process vs a worker (one process)")
        rows = implementations(args.impls, args.profile, args.checks.split(",") if args.checks else None)
        print(table(["implementation", "wall here", "wall worker", "ratio", "CPU here", "CPU worker", "ratio"],
                    [(n, f"{a:.2f}", f"{b:.2f}", f"{b / a:.2f}", f"{c:.2f}", f"{d:.2f}", f"{d / c:.2f}")
                     for n, a, b, c, d in rows]))
        wall = statistics.median(b / a for _, a, b, _, _ in rows)
        cpu = statistics.median(d / c for _, _, _, c, d in rows)
        print(f"median ratio: wall {wall:.2f}, CPU {cpu:.2f} (the issue's bound: 1.5)")
        result["implementations"], result["median_ratio"] = rows, {"wall": wall, "cpu": cpu}
    if "gate" in parts:
        print(f"\n3. The gate: python -m conformance --profile {args.profile} (the shipped examples)")
        result["gate"] = gate(args.profile, args.repeat)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
