"""The table, the failure details and the JSON report of a run, from its verdicts (``conformance.run.verdicts``)."""
from __future__ import annotations

import json
import re
from typing import Iterable, List, Optional

from conformance.diagnosis.causes import CAUSES, Diagnosis
from conformance.run.findings import Finding, findings, headline
from conformance.run.live import write_atomically
from conformance.run.verdicts import FAMILIES, STATUSES, FamilySummary, ImplementationReport, Verdict, family_of

__all__ = ["format_verdict", "format_table", "format_headlines", "format_finding", "format_failures", "format_known",
           "format_ignored", "format_skipped", "format_details", "report_json", "write_reproducers",
           "format_replay", "save_failures",
           "write_json", "json_text",
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
            + [r.verdict] for r in reports]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _indent(text: str, n: int = 4) -> str:
    return "\n".join(" " * n + s if s else s for s in text.splitlines())


def _cause_line(d: Diagnosis) -> str:
    share = f"; explains {_percent(d.explained)} of the error" if d.explained is not None and d.cause else ""
    if d.cause:
        return f"cause:    {d.cause} - {d.cause_text or CAUSES.get(d.cause, '')}{share}"
    return f"cause:    {d.cause_text or 'no known cause explains the error'}"


def _percent(x: float) -> str:
    """99.9% style, never rounding a partial share up to 100%."""
    if x >= 1.0 - 5e-7:
        return "100%"
    return f"{min(x * 100, 99.9):.1f}%"


def _diagnosis_lines(d: Diagnosis, *, full: bool) -> List[str]:
    lines = []
    if d.native:
        lines.append(f"where:    {d.native}: expected {d.expected!r}, got {d.got!r}")
    elif d.location():
        lines.append(f"where:    {d.location()}: expected {d.expected!r}, got {d.got!r}")
    if d.cause or d.cause_text:
        lines.append(_cause_line(d))
    if d.candidates:
        lines.append(f"also consistent with: {', '.join(d.candidates)}")
    if d.equation:
        lines.append(f"equation: {d.equation}")
    lines += [f"observed: {c}" for c in d.conditions]
    if d.example:
        lines.append(f"example:  {d.example}")
    lines += [f"note:     {n}" for n in d.notes]
    if d.rerun:
        lines.append(f"rerun:    {d.rerun}")
    if full and d.reproducer:
        lines += _reproducer_block(d.reproducer)
    return lines


def _reproducer_block(code: str) -> List[str]:
    """The reproducer flush-left between two marker lines: it runs as pasted."""
    return ["reproducer (paste into python, or write it to a file with --repro-dir DIR):",
            "----8<----", code.rstrip("\n"), "----8<----"]


def format_verdict(verdict: Verdict) -> str:
    """One verdict's message, then its diagnosis with the reproducer (as pytest shows a failure)."""
    lines = [verdict.message]
    if verdict.diagnosis is not None:
        lines += _diagnosis_lines(verdict.diagnosis, full=True)
    return "\n".join(lines)


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def format_headlines(reports: List[ImplementationReport]) -> str:
    """One line per implementation with unexpected failures: its findings in one sentence."""
    lines = []
    for r in reports:
        load = _load_error(r)
        if load is not None:
            lines.append(f"{r.impl_name}: not loaded: {_short(load, 140)}")
        elif headline(r):
            lines.append(f"{r.impl_name}: {headline(r)}")
    return ("Findings:\n" + "\n".join("  " + line for line in lines)) if lines else ""


def _load_error(r: ImplementationReport):
    v = next((v for v in r.verdicts.values() if v.diagnosis and v.diagnosis.cause == "import_error"), None)
    return None if v is None else (v.diagnosis.cause_text or v.message)


def format_finding(r: ImplementationReport, k: int, n: int, f: Finding) -> List[str]:
    """One finding: its cause, where, the smallest example, the checks it fails, the reproducer."""
    d = f.diagnosis
    head = f"FINDING {k} of {n}  {r.impl_name}: {f.summary}"
    if d is not None and d.equation:
        head += f" ({d.equation})"
    lines = [head]
    others = [c for c in f.checks if c != f.lead.check]
    lines.append(f"  checks:   {f.lead.check}" + (f", and {len(others)} more: {', '.join(others)}" if others else ""))
    if d is None:
        return lines + ["  " + s for s in f.lead.message.splitlines()] + [""]
    body = _diagnosis_lines(d, full=False)
    lines += ["  " + s for s in body]
    lines.append("  message:  " + f.lead.message.splitlines()[0].split(": ", 1)[-1])
    if d.reproducer:
        lines += ["  " + s for s in _reproducer_block(d.reproducer)[:1]] + _reproducer_block(d.reproducer)[1:]
    return lines + [""]


def format_failures(reports: List[ImplementationReport]) -> str:
    """The unexpected failures as findings (one per root cause), then the unexpected passes."""
    out = []
    for r in reports:
        load = _load_error(r)
        if load is not None:  # one line for a module that did not load, not one block per check
            out += [f"FAIL  {r.impl_name} :: not loaded ({len(r.verdicts)} checks not run)", f"  {load}", ""]
            continue
        found = findings(r)
        for k, f in enumerate(found, start=1):
            out += format_finding(r, k, len(found), f)
        for v in sorted((v for v in r.verdicts.values() if v.status == "xpass"), key=lambda v: v.check):
            out += [f"XPASS  {r.impl_name} :: {v.check}", f"  declared reason: {v.reason}",
                    "  the check passed although it is declared as a known failure", ""]
    return "\n".join(out).rstrip()


def _reason_class(message: str) -> str:
    """The kind of a skip reason: 'outside declared support: N = 50 > max_N = 8 (...)' -> 'outside declared support'."""
    first = (message or "no reason given").splitlines()[0]
    first = re.sub(r"\s*\(Network\(.*$", "", first)
    head, sep, _ = first.partition(": ")
    return head if sep and len(head) < 60 else first


def format_skipped(reports: List[ImplementationReport]) -> str:
    """The skipped checks grouped by reason: per reason, each implementation and its checks."""
    groups, sizes = {}, {r.impl_name: len(r.verdicts) for r in reports}
    for r in reports:
        for v in sorted(r.verdicts.values(), key=lambda v: v.check):
            if v.status == "skip":
                groups.setdefault(_reason_class(v.message), {}).setdefault(r.impl_name, []).append(v.check)
    if not groups:
        return ""
    lines = ["Skipped (by reason; every row's cells count them as '+n skip'):"]
    for reason, by_impl in sorted(groups.items(), key=lambda kv: -sum(len(c) for c in kv[1].values())):
        total = sum(len(c) for c in by_impl.values())
        lines.append(f"  {_short(reason, 150)}: {total} check{'s' if total > 1 else ''}")
        for impl, checks in by_impl.items():
            shown = ", ".join(checks[:4]) + (f" and {len(checks) - 4} more" if len(checks) > 4 else "")
            lines.append(f"    {impl}: {'all ' + str(len(checks)) + ' checks' if len(checks) == sizes[impl] > 1 else shown}")
    return "\n".join(lines)


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


def format_details(reports: List[ImplementationReport], *, known: bool = True, skipped: bool = True) -> str:
    """The findings in full, then (``known``) the known failures in brief and those ignored, then (``skipped``)
    the skips by reason."""
    parts = [format_failures(reports), format_known(reports) if known else "", format_ignored(reports),
             format_skipped(reports) if skipped else ""]
    return "\n\n".join(p for p in parts if p)


def report_json(reports: List[ImplementationReport], *, profile: str, seed: int, seconds: float,
                workers: Optional[str] = None, isolation: str = "workers", strict: bool = False,
                known_failures_file: Optional[str] = None, limits=None, complete: bool = True,
                interrupted: Optional[str] = None, planned: Optional[int] = None) -> dict:
    """The machine-readable report: one entry per implementation, verdicts keyed by check id.

    ``complete`` is false while the run goes (``--json`` is rewritten as verdicts arrive) and in the
    report an interrupted run leaves (``interrupted``: the signal's name); ``planned``: the number of
    verdicts the run set out to make (``verdicts_done`` of them are in the report).

    ``isolation`` ("workers" or "in-process"), ``strict`` and ``known_failures_file`` say how far the
    implementations were trusted; ``limits`` (``conformance.isolation.client.Limits``) what their workers
    were allowed."""
    out = {"tool": "backprop-conformance", "complete": complete, "interrupted": interrupted,
           "verdicts_done": sum(len(r.verdicts) for r in reports), "verdicts_planned": planned,
           "profile": profile, "seed": seed, "workers": workers,
           "seconds": round(seconds, 3), "ok": all(r.ok for r in reports), "isolation": isolation,
           "strict": strict, "known_failures_file": known_failures_file}
    if limits is not None:
        out["limits"] = {"seconds_per_call": limits.time_limit, "seconds_per_implementation": limits.impl_time_limit,
                         "memory_bytes_per_worker": limits.memory, "output_characters_per_call": limits.output}
    out["implementations"] = [{**r.to_dict(), "headline": headline(r), "findings": [f.to_dict() for f in findings(r)]}
                              for r in reports]
    return out


def json_text(data: dict) -> str:
    """The report as written: indented JSON and a final newline."""
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def write_json(path: str, data: dict) -> None:
    """``data`` into ``path`` atomically (a temporary file, then ``os.replace``)."""
    write_atomically(path, json_text(data))


def write_reproducers(reports: List[ImplementationReport], folder) -> List[str]:
    """One standalone script per finding in ``folder`` (created): '<implementation>-finding-<k>.py'."""
    import shutil
    from pathlib import Path
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in reports:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", r.impl_name)
        for k, f in enumerate(findings(r), start=1):
            d = f.diagnosis
            if d is None or not d.reproducer:
                continue
            path = folder / f"{safe}-finding-{k}.py"
            staged = d.extra.get("repro_file") if isinstance(d.extra, dict) else None
            if staged and Path(staged).is_file():
                shutil.copyfile(staged, path)
                if Path(staged).with_suffix(".npz").is_file():
                    shutil.copyfile(Path(staged).with_suffix(".npz"), path.with_suffix(".npz"))
            else:
                path.write_text(d.reproducer)
            written.append(str(path))
    return written


def format_replay(reports: List[ImplementationReport]) -> str:
    """Per saved example replayed first: 'still failing' or 'now passes'."""
    lines = []
    for r in reports:
        for v in sorted(r.verdicts.values(), key=lambda v: v.check):
            for outcome in v.data.get("replay", ()):
                lines.append(f"  {r.impl_name} :: {v.check}: {outcome['status']}  ({outcome['file']})")
    return ("Replayed first (saved examples):\n" + "\n".join(lines)) if lines else ""


def save_failures(reports: List[ImplementationReport], folder, *, seed: int, profile: str) -> List[str]:
    """Store every failing verdict's shrunk example (the diagnosis recorded it) in the corpus ``folder``."""
    from conformance.core.corpus import decode_example, save_entry
    saved = []
    for r in reports:
        for v in r.verdicts.values():
            d = v.diagnosis
            if v.status not in ("fail", "xfail") or d is None or not d.extra.get("example"):
                continue
            path = save_entry(folder, impl_name=r.impl_name, source=r.source, check=v.check,
                              example=decode_example(d.extra["example"]), seed=seed, profile=profile,
                              cause=d.cause, status=v.status)
            if path is not None:
                saved.append(str(path))
    return saved
