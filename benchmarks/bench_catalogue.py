"""Benchmark of the suite's power on the bug catalogue (issue 6).

For every buggy entry and every check it must fail: was it caught, how many
Hypothesis examples ran until the FIRST failing one, the time to that first
failure (before shrinking), and whether the diagnosis named the expected cause.
For every correct variant: the number of false alarms (checks not passing) and
the number of examples drawn, in the thorough profile (>= 1,000 examples for
reference.agreement).  Medians are reported.

    python benchmarks/bench_catalogue.py                      # bugs in ci, correct variants in thorough
    python benchmarks/bench_catalogue.py --bugs-profile thorough --correct-profile thorough
    python benchmarks/bench_catalogue.py --only bugs --json reports/bench_catalogue.json
    python benchmarks/bench_catalogue.py --only correct --entries ok.chunked,ok.tiled
    python benchmarks/bench_catalogue.py --only correct --checks interface,reference,symbolic,finite_differences,properties,sizes
    python benchmarks/bench_catalogue.py --match relu,softmax,cross_entropy,l2   # entries whose name has one

Examples to first failure are counted by wrapping the check body that
``conformance.checks.registry`` hands to ``conformance.core.search.search``: the suite itself
is not modified.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import conformance.checks.registry as checks_module  # noqa: E402
from conformance.checks import CHECK_IDS, select_checks  # noqa: E402
from conformance.run.runner import run_check  # noqa: E402
from conformance.core.search import CheckFailure  # noqa: E402
from tests.catalogue.catalogue import BUGS, CORRECT  # noqa: E402


@contextmanager
def first_failure_probe(record: dict):
    """Patch the search used by the checks so each search records its first failing example."""
    original = checks_module.search

    def probed(strategy, body, **kwargs):
        state = {"calls": 0, "start": time.perf_counter(), "first": None}

        def counting_body(example):
            state["calls"] += 1
            try:
                body(example)
            except CheckFailure:
                if state["first"] is None:
                    state["first"] = (state["calls"], time.perf_counter() - state["start"])
                raise
        result = original(strategy, counting_body, **kwargs)
        record["first"] = state["first"]
        return result

    checks_module.search = probed
    try:
        yield
    finally:
        checks_module.search = original


def run_one(impl, check: str, profile: str):
    """(verdict, (examples to first failure, seconds to first failure) or None)."""
    record = {"first": None}
    with first_failure_probe(record):
        verdict = run_check(impl, check, profile=profile)
    return verdict, record["first"]


def _chosen(entries, names=(), match=None):
    """The entries whose name starts with one of ``names`` and contains one of the comma-separated words of
    ``match`` (no filter for an empty one)."""
    words = [w for w in (match or "").split(",") if w]
    return [e for e in entries if (not names or any(e.name.startswith(n) for n in names))
            and (not words or any(w in e.name for w in words))]


def bench_bugs(profile: str, names=(), match=None) -> list:
    rows = []
    for entry in _chosen(BUGS, names, match):
        for check in entry.expect.checks:
            t0 = time.perf_counter()
            verdict, first = run_one(entry.impl, check, profile)
            d = verdict.diagnosis
            named = None
            if entry.expect.cause and check == entry.expect.diagnosis_check:
                named = bool(d is not None and d.cause == entry.expect.cause)
            rows.append({"entry": entry.name, "bug": entry.bug, "check": check,
                         "caught": verdict.status in ("fail", "xfail"),
                         "examples_to_first_failure": first[0] if first else None,
                         "seconds_to_first_failure": round(first[1], 4) if first else None,
                         "seconds_total": round(time.perf_counter() - t0, 3),
                         "expected_cause": entry.expect.cause, "cause": d.cause if d else None,
                         "cause_named": named})
            print(f"  {entry.name:38s} {check:32s} caught={rows[-1]['caught']!s:5s} "
                  f"first@{rows[-1]['examples_to_first_failure']} "
                  f"({rows[-1]['seconds_to_first_failure']} s) cause={rows[-1]['cause']}", flush=True)
    return rows


def bench_correct(profile: str, names=(), checks=None, match=None) -> list:
    rows = []
    for entry in _chosen(CORRECT, names, match):
        t0 = time.perf_counter()
        alarms, examples = {}, 0
        for check in checks or CHECK_IDS:
            verdict = run_check(entry.impl, check, profile=profile)
            examples += verdict.examples
            if verdict.status not in ("pass", "skip"):
                alarms[check] = verdict.message.splitlines()[0] if verdict.message else verdict.status
            if check == "reference.agreement":
                agreement = verdict.examples
        rows.append({"entry": entry.name, "false_alarms": len(alarms), "alarms": alarms,
                     "examples_drawn": examples, "agreement_examples": agreement,
                     "seconds": round(time.perf_counter() - t0, 2)})
        print(f"  {entry.name:38s} false alarms {len(alarms)}  examples {examples} "
              f"(reference.agreement {agreement})  {rows[-1]['seconds']} s", flush=True)
    return rows


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(bugs: list, correct: list) -> dict:
    out = {}
    if bugs:
        by_entry = {}
        for r in bugs:
            by_entry.setdefault(r["entry"], []).append(r)
        caught = [all(r["caught"] for r in rs) for rs in by_entry.values()]
        claims = [r["cause_named"] for r in bugs if r["cause_named"] is not None]
        out["bugs"] = {
            "entries": len(by_entry), "caught": sum(caught),
            "causes_claimed": len(claims), "causes_named": sum(claims),
            "median_examples_to_first_failure": _median([r["examples_to_first_failure"] for r in bugs]),
            "median_seconds_to_first_failure": _median([r["seconds_to_first_failure"] for r in bugs]),
            "uncaught": sorted(e for e, c in zip(by_entry, caught) if not c),
            "cause_not_named": sorted({r["entry"] for r in bugs if r["cause_named"] is False}),
        }
    if correct:
        out["correct"] = {
            "variants": len(correct), "false_alarms": sum(r["false_alarms"] for r in correct),
            "median_examples_drawn": _median([r["examples_drawn"] for r in correct]),
            "min_agreement_examples": min(r["agreement_examples"] for r in correct),
            "flagged": {r["entry"]: r["alarms"] for r in correct if r["false_alarms"]},
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bugs-profile", default="ci")
    ap.add_argument("--correct-profile", default="thorough")
    ap.add_argument("--only", choices=("bugs", "correct"))
    ap.add_argument("--match", help="comma-separated words: only the entries whose name contains one")
    ap.add_argument("--json", help="write the rows and the summary to this file")
    ap.add_argument("--entries", default="", help="comma-separated entry names or prefixes (default: all)")
    ap.add_argument("--checks", default="", help="checks or families for the correct variants (default: all)")
    args = ap.parse_args(argv)
    names = [n for n in args.entries.split(",") if n]
    t0 = time.perf_counter()
    bugs = correct = []
    if args.only != "correct":
        print(f"bug catalogue ({len(_chosen(BUGS, names, args.match))} entries, profile {args.bugs_profile}):")
        bugs = bench_bugs(args.bugs_profile, names, args.match)
    if args.only != "bugs":
        print(f"correct variants ({len(_chosen(CORRECT, names, args.match))}, profile {args.correct_profile}):")
        correct = bench_correct(args.correct_profile, names, select_checks(args.checks) if args.checks else None,
                                args.match)
    summary = summarise(bugs, correct)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(summary, indent=2))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"profiles": {"bugs": args.bugs_profile, "correct": args.correct_profile},
                       "summary": summary, "bugs": bugs, "correct": correct}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
