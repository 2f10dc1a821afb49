"""The table, the failure details and the JSON report of a run, from its verdicts (``conformance.run.verdicts``)."""
from __future__ import annotations

import json
from typing import Iterable, List, Optional

from conformance.diagnosis.causes import CAUSES, Diagnosis
from conformance.run.verdicts import FAMILIES, STATUSES, FamilySummary, ImplementationReport, Verdict, family_of

__all__ = ["format_verdict", "format_table", "format_failures", "format_known", "format_ignored", "format_details",
           "report_json",
           "write_json",
           # records, re-exported for the callers of the earlier single module
           "STATUSES", "FAMILIES", "Verdict", "FamilySummary", "ImplementationReport", "family_of"]


def _columns(reports: Iterable[ImplementationReport]) -> List[str]:
    seen = {family_of(c) for r in reports for c in r.verdicts}
    return [f for f in FAMILIES if f in seen or f != "documents"] + sorted(seen - set(FAMILIES))


def format_table(reports: List[ImplementationReport]) -> str:
    """One row per implementation, one column per family of checks, and the row's verdict."""
    cols = _columns(reports)
    header = ["implementation"] + cols + ["verdict"]
    rows = [[r.impl_name] + [r.families[c].cell() if c in r.families else "-" for c in cols]
            + ["ok" if r.ok else "UNEXPECTED"] for r in reports]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _indent(text: str, n: int = 4) -> str:
    return "\n".join(" " * n + s if s else s for s in text.splitlines())


def _diagnosis_lines(d: Diagnosis, *, full: bool) -> List[str]:
    lines = []
    if d.location():
        lines.append(f"where:    {d.location()}: expected {d.expected!r}, got {d.got!r}")
    if d.cause:
        lines.append(f"cause:    {d.cause} - {d.cause_text or CAUSES.get(d.cause, '')}")
    elif d.cause_text:
        lines.append(f"cause:    {d.cause_text}")
    if d.candidates:
        lines.append(f"also consistent with: {', '.join(d.candidates)}")
    if d.equation:
        lines.append(f"equation: {d.equation}")
    lines += [f"observed: {c}" for c in d.conditions]
    if d.example:
        lines.append(f"example:  {d.example}")
    lines += [f"note:     {n}" for n in d.notes]
    if full and d.reproducer:
        lines += ["reproducer:", _indent(d.reproducer)]
    return lines


def format_verdict(verdict: Verdict) -> str:
    """One verdict's message, then its diagnosis with the reproducer (as pytest shows a failure)."""
    lines = [verdict.message]
    if verdict.diagnosis is not None:
        lines += _diagnosis_lines(verdict.diagnosis, full=True)
    return "\n".join(lines)


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def format_failures(reports: List[ImplementationReport]) -> str:
    """Every unexpected failure and unexpected pass, with its diagnosis and reproducer."""
    out = []
    for r in reports:
        load = next((v for v in r.verdicts.values() if v.diagnosis and v.diagnosis.cause == "import_error"), None)
        if load is not None:  # one line for a module that did not load, not one block per check
            out += [f"FAIL  {r.impl_name} :: not loaded ({len(r.verdicts)} checks not run)",
                    f"  {load.diagnosis.cause_text or load.message}", ""]
            continue
        shown = set()
        for v in sorted(r.verdicts.values(), key=lambda v: v.check):
            if v.status not in ("fail", "xpass"):
                continue
            out.append(f"{'FAIL' if v.status == 'fail' else 'XPASS'}  {r.impl_name} :: {v.check}")
            if v.status == "xpass":
                out += [f"  declared reason: {v.reason}",
                        "  the check passed although it is declared as a known failure", ""]
                continue
            key = (v.diagnosis.cause, v.message.split("\n")[0].split(": ", 1)[-1]) if v.diagnosis else v.message
            if key in shown:
                out += ["  (the same failure as above)", ""]
                continue
            shown.add(key)
            out += ["  " + s for s in v.message.splitlines()]
            if v.diagnosis:
                out += ["  " + s for s in _diagnosis_lines(v.diagnosis, full=True)]
            out.append("")
    return "\n".join(out).rstrip()


def _origin(report: ImplementationReport, reason: str) -> str:
    origins = [kf.get("origin", "") for kf in report.known_failures if kf.get("reason") == reason]
    return f"given in {origins[0]}" if origins and origins[0] else "declared by the implementation"


def format_known(reports: List[ImplementationReport]) -> str:
    """Known failures in brief: per implementation the reasons once (and who gave them), then check -> cause found."""
    out = []
    for r in reports:
        known = [v for v in sorted(r.verdicts.values(), key=lambda v: v.check) if v.status == "xfail"]
        if not known:
            continue
        out.append(f"{r.impl_name}: {len(known)} known failure(s)")
        out += [f"    {_origin(r, reason)}: {_short(reason, 200)}" for reason in dict.fromkeys(v.reason for v in known)]
        for v in known:
            d = v.diagnosis
            if d and d.cause:
                why = "; ".join(d.conditions) if d.cause.startswith("wrong_for_") and d.conditions else d.cause_text
                found = f"{d.cause}: {_short(why, 110)}"
            else:
                found = _short(v.message.split(": ", 1)[-1], 120)
            out.append(f"    {v.check:34s} {found}")
    return ("Known failures (what the suite found):\n" + "\n".join(out)) if out else ""


def format_ignored(reports: List[ImplementationReport]) -> str:
    """Under --strict: the known failures implementations declared themselves, which the run ignored."""
    out = [f"    {r.impl_name}: {kf['check']} ({_short(kf['reason'], 100)})"
           for r in reports for kf in r.ignored_known_failures]
    return ("Known failures declared by the implementations themselves, ignored (--strict):\n" + "\n".join(out)
            if out else "")


def format_details(reports: List[ImplementationReport], *, known: bool = True) -> str:
    """The unexpected failures in full, then (``known``) the known failures in brief."""
    parts = [format_failures(reports), format_known(reports) if known else "", format_ignored(reports)]
    return "\n\n".join(p for p in parts if p)


def report_json(reports: List[ImplementationReport], *, profile: str, seed: int, seconds: float,
                workers: Optional[str] = None, isolation: str = "workers", strict: bool = False,
                known_failures_file: Optional[str] = None, limits=None) -> dict:
    """The machine-readable report: one entry per implementation, verdicts keyed by check id.

    ``isolation`` ("workers" or "in-process"), ``strict`` and ``known_failures_file`` say how far the
    implementations were trusted; ``limits`` (``conformance.isolation.client.Limits``) what their workers
    were allowed."""
    out = {"tool": "backprop-conformance", "profile": profile, "seed": seed, "workers": workers,
           "seconds": round(seconds, 3), "ok": all(r.ok for r in reports), "isolation": isolation,
           "strict": strict, "known_failures_file": known_failures_file}
    if limits is not None:
        out["limits"] = {"seconds_per_call": limits.time_limit, "seconds_per_implementation": limits.impl_time_limit,
                         "memory_bytes_per_worker": limits.memory, "output_characters_per_call": limits.output}
    out["implementations"] = [r.to_dict() for r in reports]
    return out


def write_json(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False, default=str)
        fh.write("\n")
