"""``backprop-conformance`` / ``python -m conformance``: run the suite, print the table, exit 0, 1 or 2.

    backprop-conformance my_backprop.py            one drop-in file (or a folder, a module, a name)
    backprop-conformance a.py b.py -n 2            several, on 2 pytest-xdist workers
    backprop-conformance --examples                the shipped examples and the reference formulations
    backprop-conformance --impl-cmd ./backprop --conventions backprop.json    a drop-in in any language
    backprop-conformance submissions/ --strict --known-failures course.json  grading
    backprop-conformance mine.py --json r.json --junitxml r.xml --profile thorough
    backprop-conformance mine.py -- -x             arguments after -- go to pytest

Implementations are named by position, by --impl (repeatable), by $BACKPROP_IMPL, or as a
command speaking the wire protocol (--impl-cmd, with its --conventions file; docs/WIRE.md).
With none named, a run inside this project's source tree checks the shipped examples;
anywhere else it checks the implementations registered through entry points, and
with none of those it is a usage error.

Each implementation runs in a worker process of its own: a crash, an exit, a hang, a flood
of output or a patch of the checker's code inside it becomes a failed verdict naming what
happened, and the run goes on.  --in-process loads them into the checker instead (for
debugging: not safe for grading).

On a terminal the run shows its progress on stderr (--progress / --no-progress); --json is
rewritten as the verdicts arrive ("complete": false until the end).

Exit status: 0 when every verdict is as declared (passes pass, known failures
fail), 1 on an unexpected failure or an unexpected pass, 2 when the run itself
could not be made as asked (bad arguments, nothing to check, a named file or
module that does not exist or does not import, an option the mode cannot
honour, a pytest internal error), 130 when stopped by SIGINT and 143 by SIGTERM
(the table and the reports of what finished are written first).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import List, Optional, Sequence

__all__ = ["main", "build_parser", "UsageError", "IN_PROCESS_WARNING"]

IN_PROCESS_WARNING = ("backprop-conformance: warning: --in-process imports the implementations into the checker "
                      "itself: a crash, an exit, a hang with the timer disabled or a patch of the checker's code "
                      "in one of them ends or fools the whole run. For debugging only; not safe for grading.")


class UsageError(Exception):
    """The run cannot be made as asked: one line for the user, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backprop-conformance", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("implementations", nargs="*", metavar="IMPL",
                   help="a .py file, a folder, a module name or an implementation name")
    p.add_argument("--impl", action="append", default=None, metavar="MODULE_OR_PATH",
                   help="the same as a positional IMPL (repeatable)")
    p.add_argument("--examples", action="store_true",
                   help="also check the shipped examples and the reference formulations")
    p.add_argument("--impl-cmd", action="append", default=None, metavar="COMMAND",
                   help="a command speaking the wire protocol (docs/WIRE.md), in any language; repeatable, "
                        "each with its --conventions file")
    p.add_argument("--conventions", action="append", default=None, metavar="FILE",
                   help="the JSON (or TOML) file declaring the conventions of the matching --impl-cmd")
    p.add_argument("-n", "--workers", default=None, help="pytest-xdist workers, e.g. 2 or auto (default: no xdist)")
    p.add_argument("--profile", default="ci", choices=("dev", "ci", "thorough"), help="example budgets (default ci)")
    p.add_argument("--checks", default=None, help="comma-separated check ids or families (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn examples (default 0)")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per call (default 5)")
    p.add_argument("--impl-time-limit", type=float, default=None, metavar="SECONDS",
                   help="seconds of calls per implementation before its worker is stopped (default 900)")
    p.add_argument("--memory-limit", default=None, metavar="SIZE",
                   help="address space per worker process, e.g. 4G (default), 512M, 0 for none")
    p.add_argument("--strict", action="store_true",
                   help="grading: ignore the known failures implementations declare themselves "
                        "(only --known-failures applies)")
    p.add_argument("--known-failures", default=None, metavar="FILE",
                   help="the caller's known failures: {implementation name: {check id: reason}} (JSON or TOML)")
    p.add_argument("--junitxml", default=None, metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--json", default=None, metavar="PATH", help="write a JSON report")
    p.add_argument("--html", default=None, metavar="DIR",
                   help="write a self-contained HTML report (findings, heat maps, loss curves) to DIR/index.html")
    p.add_argument("--save-failures", default=None, metavar="DIR",
                   help="store each shrunk failing example exactly (JSON) in DIR/<implementation>/<check>.json")
    p.add_argument("--replay", default=None, metavar="DIR",
                   help="run the examples saved in DIR first; say per example 'now passes' or 'still failing'")
    p.add_argument("--repro-dir", default=None, metavar="DIR",
                   help="write one standalone reproducer script per finding into DIR")
    p.add_argument("--in-process", action="store_true",
                   help="load the implementations into this process and run without pytest (debugging only: "
                        "not safe for grading)")
    p.add_argument("--list", action="store_true", help="list the implementations and checks, then exit")
    p.add_argument("--hide-known", action="store_true", help="do not list the known failures")
    p.add_argument("--hide-skipped", action="store_true", help="do not list the skipped checks by reason")
    p.add_argument("-v", "--verbose", action="store_true", help="pytest's verbose output")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show checks done of total on stderr (default: on a terminal when $CI is unset, without -v); "
                        "one rewritten line on a terminal, a line per finished implementation elsewhere")
    return p


def _split(argv: Sequence[str]):
    """(the suite's arguments, pytest's arguments after a lone --)."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _commands(args):
    cmds, files = list(args.impl_cmd or []), list(args.conventions or [])
    if len(cmds) != len(files):
        raise UsageError(f"{len(cmds)} --impl-cmd but {len(files)} --conventions: give each command its "
                         f"conventions file (docs/WIRE.md)")
    return tuple(zip(cmds, files))


def _target(args) -> Optional[str]:
    """The comma-separated target for discovery, or None for the defaults."""
    from conformance.dropin.discovery import ENV_VAR, EXAMPLES, in_source_tree, registered
    named = list(args.implementations) + list(args.impl or [])
    if args.examples:
        named.append(EXAMPLES)
    if named:
        return ",".join(named)
    if os.environ.get(ENV_VAR, "").strip() or args.impl_cmd:
        return None
    if in_source_tree():
        return None
    from conformance.dropin.discovery import entry_point_names
    if not (entry_point_names() if not args.in_process else registered()):
        raise UsageError("no implementation named: give a file, e.g. `backprop-conformance my_backprop.py` "
                         "(or --impl, $BACKPROP_IMPL, --impl-cmd, or --examples for the shipped examples)")
    return None


#: What a run writes, which --list (no run) would drop.
_RUN_OUTPUTS = ("json", "junitxml", "html", "save_failures", "replay", "repro_dir")


def _pytest_only(args, pytest_args: Sequence[str]) -> List[str]:
    """The options given that only a run under pytest honours (--in-process runs without it)."""
    named = (("--junitxml", args.junitxml), ("-n", args.workers not in (None, "")), ("-v", args.verbose),
             ("pytest arguments after --", bool(pytest_args)))
    return [name for name, given in named if given]


def _refuse_dropped(args, pytest_args: Sequence[str]) -> None:
    """No option is silently dropped: one the mode cannot honour is a usage error naming both."""
    given = _pytest_only(args, pytest_args) if args.in_process else []
    if given:
        raise UsageError(f"--in-process runs without pytest, so it cannot honour {', '.join(given)}; drop "
                         f"--in-process (the default, worker processes, runs under pytest) or {given[0]}")
    given = ["--" + name.replace("_", "-") for name in _RUN_OUTPUTS if getattr(args, name)] if args.list else []
    if given:
        raise UsageError(f"--list runs no check: {', '.join(given)} would write nothing; drop --list")


def _settings(args, target):
    from conformance.run.loading import RunSettings
    isolation = "in-process" if args.in_process else (os.environ.get("CONFORMANCE_ISOLATION") or "workers")
    if args.strict and isolation == "in-process":
        raise UsageError("--strict grades untrusted code: it needs worker processes; drop --in-process "
                         "(and CONFORMANCE_ISOLATION=in-process)")
    if args.known_failures and not os.path.isfile(args.known_failures):
        raise UsageError(f"--known-failures: no such file: {args.known_failures}")
    return RunSettings(profile=args.profile, seed=args.seed, checks=args.checks, time_limit=args.time_limit,
                       target=target, commands=_commands(args), isolation=isolation, strict=args.strict,
                       known_failures=args.known_failures)


def _limits(args):
    """The worker limits of the command line, also written to the environment the tests read."""
    from dataclasses import replace
    from conformance.isolation.limits import Limits, parse_memory
    limits = Limits.from_env()
    if args.time_limit is not None:
        limits = replace(limits, time_limit=args.time_limit)
    if args.impl_time_limit is not None:
        limits = replace(limits, impl_time_limit=args.impl_time_limit)
    if args.memory_limit is not None:
        try:
            limits = replace(limits, memory=parse_memory(args.memory_limit))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    os.environ[Limits.ENV["impl_time_limit"]] = str(limits.impl_time_limit)
    os.environ[Limits.ENV["memory"]] = "0" if limits.memory is None else str(limits.memory)
    return limits


def _load(settings):
    """(the implementations as found, one line per named one that could not be loaded)."""
    from conformance.dropin.discovery import load_errors
    from conformance.isolation.client import stop_all
    from conformance.run.loading import found_for_run
    found = found_for_run(settings, keep_workers=settings.isolation == "in-process")
    stop_all()
    files = {str(f) for _, f in settings.commands}
    errors = load_errors(settings.target, found) if settings.target is not None else []
    errors += [i.load_error for i in found if i.load_error and i.source in files]
    if errors and len(errors) == len([i for i in found if not i.unavailable]):
        raise UsageError("; ".join(errors))
    return found, errors


def _list(found) -> int:
    from conformance.checks import CHECKS
    for impl in found:
        state = f"  LOAD ERROR: {impl.load_error}" if impl.load_error else (
            f"  unavailable: {impl.unavailable}" if impl.unavailable else "")
        print(f"{impl.name:48s} {impl.source}{state}")
    print()
    for cid, check in sorted(CHECKS.items()):
        print(f"{cid:34s} {check.description}")
    return 0


def _run(args, settings, found, limits, pytest_args: List[str], collector, letters: bool) -> int:
    """Run the checks; every verdict reaches ``collector`` as it is made.  pytest's exit code (0 in-process)."""
    from conformance.run.loading import implementations_for_run
    from conformance.run.pytest_run import run_pytest
    from conformance.run.runner import run_in_process
    from conformance.run.trust import records
    if args.in_process:
        loaded = implementations_for_run(settings, found=found)

        def on_verdict(impl, verdict):
            applied, ignored = records(impl, loaded.ignored.get(impl.name, ()))
            collector.add(impl.name, verdict, {"name": impl.name, "description": impl.description,
                                               "source": impl.source, "known_failures": applied,
                                               "ignored_known_failures": ignored})
        run_in_process(loaded.impls, profile=args.profile, seed=args.seed, time_limit=args.time_limit,
                       checks=args.checks.split(",") if args.checks else None, on_verdict=on_verdict)
        return 0
    code, _, _ = run_pytest(workers=args.workers, junitxml=args.junitxml, extra_args=pytest_args,
                            quiet=not args.verbose, settings=settings, limits=limits, found=found,
                            collector=collector, letters=letters)
    return code


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("backprop-conformance")
    except Exception:  # running from a source tree that is not installed
        return "(not installed)"


def main(argv: Optional[Sequence[str]] = None) -> int:
    own, pytest_args = _split(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(own)
    from conformance.checks import select_checks
    try:
        select_checks(args.checks)
        _refuse_dropped(args, pytest_args)
        limits = _limits(args)
        settings = _settings(args, _target(args))
        if settings.isolation == "in-process":
            print(IN_PROCESS_WARNING, file=sys.stderr, flush=True)
        found, errors = _load(settings)
        if args.list:
            return _list(found)
        if settings.known_failures:
            from conformance.run.trust import read_known_failures
            read_known_failures(settings.known_failures)
    except (UsageError, ValueError) as exc:
        print(f"backprop-conformance: {exc}", file=sys.stderr)
        return 2
    return _report(args, settings, found, errors, limits, pytest_args)


def _report(args, settings, found, errors: List[str], limits, pytest_args: List[str]) -> int:
    from conformance.run.live import ReportNotWritten, signals_as_interrupts
    mode = ("in-process (not isolated)" if args.in_process else
            f"{'worker processes' if settings.isolation == 'workers' else 'not isolated'}, pytest workers "
            f"{args.workers or 1}")
    planned = len(found) * _n_checks(args)
    print(f"backprop-conformance: {len(found)} implementations x {_n_checks(args)} checks, "
          f"profile {args.profile}, seed {args.seed}, {mode}{', strict' if args.strict else ''}", flush=True)
    if args.repro_dir:
        from conformance.diagnosis.diagnose import REPRO_DIR_VAR
        os.environ[REPRO_DIR_VAR] = os.path.abspath(args.repro_dir)
    if args.replay:
        from conformance.core.corpus import REPLAY_VAR
        os.environ[REPLAY_VAR] = os.path.abspath(args.replay)
    t0 = time.perf_counter()
    with signals_as_interrupts() as caught:   # a second signal is ignored until the partial reports are out
        try:
            code, reports, partial = _run_live(args, settings, found, limits, pytest_args, caught, t0)
            seconds = time.perf_counter() - t0
            if caught.signum is not None:
                return _interrupted(args, caught, reports, partial, planned, seconds)
            if partial is not None:
                partial.finish(code in (0, 1))
        except ReportNotWritten as exc:
            print(f"backprop-conformance: {exc}", file=sys.stderr)
            return 2
    if code not in (0, 1) or not reports:
        print(f"backprop-conformance: pytest ended with exit code {code} and "
              f"{len(reports)} implementation report(s); see the output above", file=sys.stderr)
        return 2
    unexpected = _print_results(args, reports, seconds)
    _write_outputs(args, reports, seconds)
    if errors:
        for line in errors:
            print(f"backprop-conformance: {line}", file=sys.stderr)
        return 2
    return 0 if not unexpected else 1


def _n_checks(args) -> int:
    from conformance.checks import select_checks
    return len(select_checks(args.checks))


def _run_live(args, settings, found, limits, pytest_args, caught, t0: float):
    """The run with its listeners (progress, the JSON report rewritten as verdicts arrive); stopped by a
    signal it keeps what finished.  (pytest's exit code, the reports, the PartialJson or None)."""
    from conformance.isolation.client import stop_all
    from conformance.run.live import PartialJson, Progress, progress_wanted
    from conformance.run.pytest_run import Collector
    from conformance.run.report import json_text, report_json
    names, n_checks = [i.name for i in found], _n_checks(args)
    collector = Collector()

    def json_of(complete: bool) -> str:
        return json_text(report_json(
            collector.reports(names), profile=args.profile, seed=args.seed, seconds=time.perf_counter() - t0,
            workers=args.workers, isolation=settings.isolation, strict=settings.strict,
            known_failures_file=settings.known_failures, limits=limits, complete=complete,
            interrupted=caught.name, planned=n_checks * len(found)))
    partial = PartialJson(args.json, json_of, lock=collector.lock) if args.json else None
    wanted = progress_wanted(False if args.progress is None and args.verbose else args.progress)  # -v: pytest's lines
    progress = Progress({name: n_checks for name in names}) if wanted else None
    collector.listeners = [x for x in (progress, partial) if x is not None]
    code = 0
    try:
        if partial is not None:
            partial.write(False)      # an unwritable path stops the run before it starts
        code = _run(args, settings, found, limits, pytest_args, collector, letters=progress is None)
    except KeyboardInterrupt:
        if caught.signum is None:     # not from our handler (raised by other means): as SIGINT
            caught.signum = signal.SIGINT
    finally:
        stop_all()
        if progress is not None:
            progress.close()
    return code, collector.reports(names), partial


def _interrupted(args, caught, reports, partial, planned: int, seconds: float) -> int:
    """A run stopped by SIGINT or SIGTERM: the table of what finished, the partial JSON (and the other
    reports of what finished), status 130 or 143."""
    from conformance.run.report import format_table
    done = sum(len(r.verdicts) for r in reports)
    started = [r for r in reports if r.verdicts]
    print()
    print(format_table(started) if started else "(no verdict yet)")
    if partial is not None:
        partial.finish(False)
    _write_outputs(args, started, seconds)
    print(f"\nbackprop-conformance: interrupted by {caught.name} after {done} of {planned} verdicts"
          + (f"; the JSON report holds them ({args.json}, \"complete\": false)" if partial is not None else ""),
          file=sys.stderr)
    return caught.status


def _print_results(args, reports, seconds: float) -> list:
    """The replayed examples, the table, the findings' headlines and details, the summary line; the unexpected."""
    from conformance.run.report import format_details, format_headlines, format_replay, format_table
    unexpected = [(r.impl_name, v.check) for r in reports for v in r.verdicts.values() if v.unexpected]
    replayed = format_replay(reports)
    if replayed:
        print()
        print(replayed)
    print()
    print(format_table(reports))
    headlines = format_headlines(reports)
    if headlines:
        print()
        print(headlines)
    details = format_details(reports, known=not args.hide_known, skipped=not args.hide_skipped)
    if details:
        print()
        print(details)
    print()
    n_checks = sum(len(r.verdicts) for r in reports)
    print(f"{len(reports)} implementations, {n_checks} verdicts, {len(unexpected)} unexpected, "
          f"profile {args.profile}, seed {args.seed}, workers {args.workers or 1}, {seconds:.1f} s")
    return unexpected


def _write_outputs(args, reports, seconds: float) -> None:
    """--html, --save-failures and --repro-dir (the JSON report is written as the run goes)."""
    from conformance.run.report import save_failures, write_reproducers
    if args.html:
        from conformance.run.html import write_html
        page = write_html(reports, args.html, profile=args.profile, seed=args.seed, seconds=seconds,
                          version=f"backprop-conformance {_version()},")
        print(f"HTML report: {page}")
    if args.save_failures:
        saved = save_failures(reports, args.save_failures, seed=args.seed, profile=args.profile)
        print(f"{len(saved)} failing example(s) saved to {args.save_failures}")
    if args.repro_dir:
        written = write_reproducers(reports, args.repro_dir)
        print(f"{len(written)} reproducer(s) written to {args.repro_dir}")
