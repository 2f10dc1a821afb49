"""``python -m conformance`` / ``backprop-conformance``: run the suite, print the table, exit 0 or 1.

    python -m conformance                          impls/ and the reference formulations, ci profile
    python -m conformance -n 2                     the same on 2 pytest-xdist workers
    python -m conformance --impl my_backprop.py    one drop-in file (or a module, or a name)
    python -m conformance --json r.json --junitxml r.xml --profile thorough

Exit status: 0 when every verdict is as declared (passes pass, known failures
fail), 1 on an unexpected failure or an unexpected pass, 2 when the run itself
could not be made (bad arguments, pytest internal error).
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy: one BLAS thread per process (and per xdist worker)

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Optional, Sequence  # noqa: E402

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backprop-conformance", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--impl", action="append", default=None, metavar="MODULE_OR_PATH",
                   help="a .py file, a directory, a module name or an implementation name (repeatable; "
                        "default: $BACKPROP_IMPL, else impls/ and the reference formulations)")
    p.add_argument("-n", "--workers", default=None, help="pytest-xdist workers, e.g. 2 or auto (default: no xdist)")
    p.add_argument("--profile", default="ci", choices=("dev", "ci", "thorough"), help="example budgets (default ci)")
    p.add_argument("--checks", default=None, help="comma-separated check ids or families (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn examples (default 0)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per call (default 5)")
    p.add_argument("--junitxml", default=None, metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--json", default=None, metavar="PATH", help="write a JSON report")
    p.add_argument("--in-process", action="store_true", help="run the checks without pytest (same table)")
    p.add_argument("--list", action="store_true", help="list the implementations and checks, then exit")
    p.add_argument("--hide-known", action="store_true", help="do not list the known failures")
    p.add_argument("-v", "--verbose", action="store_true", help="pytest's verbose output")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return p


def _list(target: Optional[str]) -> int:
    from conformance.checks import CHECKS
    from conformance.discovery import load_implementations
    for impl in load_implementations(target):
        state = f"  LOAD ERROR: {impl.load_error}" if impl.load_error else (
            f"  unavailable: {impl.unavailable}" if impl.unavailable else "")
        print(f"{impl.name:48s} {impl.source}{state}")
    print()
    for cid, check in sorted(CHECKS.items()):
        print(f"{cid:34s} {check.description}")
    return 0


def _run(args, target: Optional[str]):
    from conformance.checks import select_checks
    from conformance.discovery import load_implementations
    from conformance.runner import run_in_process, run_pytest
    n_impls, n_checks = len(load_implementations(target)), len(select_checks(args.checks))
    print(f"backprop-conformance: {n_impls} implementations x {n_checks} checks, profile {args.profile}, "
          f"seed {args.seed}, {'in-process' if args.in_process else 'workers ' + str(args.workers or 1)}", flush=True)
    if args.in_process:
        impls = load_implementations(target)
        reports = run_in_process(impls, profile=args.profile, checks=args.checks.split(",") if args.checks else None,
                                 seed=args.seed, time_limit=args.time_limit)
        return 0, reports
    code, reports, _ = run_pytest(target, profile=args.profile, checks=args.checks, seed=args.seed,
                                  workers=args.workers, junitxml=args.junitxml, time_limit=args.time_limit,
                                  extra_args=args.pytest_args, quiet=not args.verbose)
    return code, reports


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    target = ",".join(args.impl) if args.impl else None
    if args.list:
        return _list(target)
    from conformance.checks import select_checks
    from conformance.report import format_details, format_table, report_json, write_json
    try:
        select_checks(args.checks)
    except ValueError as exc:
        print(f"backprop-conformance: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    code, reports = _run(args, target)
    seconds = time.perf_counter() - t0
    if code not in (0, 1) or not reports:
        print(f"backprop-conformance: pytest ended with exit code {code} and "
              f"{len(reports)} implementation report(s); see the output above", file=sys.stderr)
        return 2
    unexpected = [(r.impl_name, v.check) for r in reports for v in r.verdicts.values() if v.unexpected]
    print()
    print(format_table(reports))
    details = format_details(reports, known=not args.hide_known)
    if details:
        print()
        print(details)
    print()
    n_checks = sum(len(r.verdicts) for r in reports)
    print(f"{len(reports)} implementations, {n_checks} verdicts, {len(unexpected)} unexpected, "
          f"profile {args.profile}, seed {args.seed}, workers {args.workers or 1}, {seconds:.1f} s")
    if args.json:
        write_json(args.json, report_json(reports, profile=args.profile, seed=args.seed, seconds=seconds,
                                          workers=args.workers))
    return 0 if not unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
