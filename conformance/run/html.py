"""``--html DIR``: one self-contained page per run (no script, no external file, no plotting library).

The page holds the table, each implementation's findings (cause, where, the share of the error
explained, the checks, the rerun command, the reproducer), a heat map per layer of the relative
gradient error of W and b on each finding's smallest example, the training-loss curves the
documents' examples produced, and the skipped checks by reason.  Heat maps and curves are inline
SVG written here, so the page renders the same with or without matplotlib installed.

Heat map colour: log10 of |got - expected| / (max |expected| of the array), from 1e-16 (green)
to 1 and beyond (red); an entry outside the error model's tolerance has a black border; hovering
shows the entry, expected, got and the relative error.
"""
from __future__ import annotations

import html
import math
import time
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from conformance.core.tolerances import agreement_tolerance
from conformance.diagnosis.reproducer import problem_from_dict
from conformance.run.findings import findings, headline
from conformance.run.report import _reason_class, format_table
from conformance.run.verdicts import ImplementationReport
from reference.gradients import gradients

__all__ = ["render_html", "write_html", "heatmap_svg", "curve_svg"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.2em;margin-top:2em}
table.t{border-collapse:collapse}table.t td,table.t th{border:1px solid #ccc;padding:.2em .6em;font-size:.9em}
.ok{background:#dff0d8}.FAIL,.UNEXPECTED{background:#f2dede}.xfail{background:#fcf8e3}.XPASS{background:#e8dff5}
.skip,.notrun{background:#eee;color:#777}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}
.finding{border-left:4px solid #c9302c;padding-left:1em;margin:1em 0}.known{border-left-color:#f0ad4e}
.maps{display:flex;flex-wrap:wrap;gap:1.5em}.caption{font-size:.8em;color:#555}dt{font-weight:bold}
"""


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _colour(rel: float) -> str:
    """Green (rel <= 1e-16) through yellow to red (rel >= 1) on a log scale."""
    if not math.isfinite(rel):
        return "#800000"
    t = min(1.0, max(0.0, (math.log10(max(rel, 1e-16)) + 16) / 16))
    r, g = (int(255 * min(1, 2 * t)), int(255 * min(1, 2 * (1 - t))))
    return f"#{r:02x}{g:02x}40"


def heatmap_svg(got: np.ndarray, expected: np.ndarray, tol: np.ndarray, title: str, *, cell: int = 18) -> str:
    """An SVG grid, one cell per entry of a W (rows x columns) or b (a column)."""
    got, expected, tol = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (got, expected, tol))
    if got.shape[0] == 1 and "dC/db" in title:
        got, expected, tol = got.T, expected.T, tol.T
    rows, cols = got.shape
    scale = float(np.max(np.abs(expected), initial=0.0)) or 1.0
    width, height = max(cols * cell + 2, 8 * len(title)), rows * cell + 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_esc(title)}"><text x="0" y="11" font-size="11">{_esc(title)}</text>']
    for i in range(rows):
        for j in range(cols):
            g, e, t = float(got[i, j]), float(expected[i, j]), float(tol[i, j])
            rel = abs(g - e) / scale if math.isfinite(g) else float("inf")
            bad = not (abs(g - e) <= t)
            idx = f"[{i}, {j}]" if "dC/dW" in title else f"[{i}]"
            tip = f"{title}{idx}: expected {e!r}, got {g!r}, relative error {rel:.3g}"
            stroke = ' stroke="#000" stroke-width="1.5"' if bad else ' stroke="#fff" stroke-width="0.5"'
            parts.append(f'<rect x="{1 + j * cell}" y="{16 + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="{_colour(rel)}"{stroke}><title>{_esc(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _heatmaps(d) -> str:
    """The heat maps of one diagnosis' example, or a note saying why there are none."""
    if d is None or not d.problem or "got" not in d.problem:
        return '<p class="caption">(no gradient on this example to map: the call failed or the example is too large)</p>'
    p = problem_from_dict(d.problem)
    expected = gradients(p.net, p.params, p.X, p.Y)
    tol = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=np.float64, expected=expected)
    maps = []
    for l, ((eW, eb), (tW, tb), (gW, gb)) in enumerate(zip(expected, tol, d.problem["got"]), start=1):
        gW = np.asarray(gW, dtype=np.float64).reshape(eW.shape)
        gb = np.asarray(gb, dtype=np.float64).reshape(eb.shape)
        maps.append(heatmap_svg(gW, eW, tW, f"dC/dW^{l}") + heatmap_svg(gb, eb, tb, f"dC/db^{l}"))
    return (f'<div class="maps">{"".join(maps)}</div><p class="caption">{_esc(p.describe())}: relative error '
            '|got - expected| / max|expected| per array, green 1e-16 to red 1; a black border marks an entry '
            'outside the tolerance</p>')


def curve_svg(curves: Sequence[dict], printed: Optional[dict], title: str, *, w: int = 360, h: int = 200) -> str:
    """Loss against epoch on log-log axes: one line per seed, the printed values as dots."""
    pts = [(e, m) for c in curves for e, m in zip(c["epochs"], c["mse"]) if m > 0 and math.isfinite(m)]
    if printed:
        pts += [(e, m) for e, m in zip(printed["epochs"], printed["mse"]) if m > 0]
    if not pts:
        return ""
    ex = [math.log10(max(e, 1)) for e, _ in pts]
    my = [math.log10(m) for _, m in pts]
    x0, x1, y0, y1 = min(ex), max(ex) or 1.0, min(my), max(my)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    sx = lambda e: 40 + (math.log10(max(e, 1)) - x0) / (x1 - x0) * (w - 50)  # noqa: E731
    sy = lambda m: h - 25 - (math.log10(m) - y0) / (y1 - y0) * (h - 45)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{_esc(title)}">',
           f'<text x="40" y="12" font-size="11">{_esc(title)}</text>',
           f'<line x1="40" y1="{h - 25}" x2="{w - 10}" y2="{h - 25}" stroke="#999"/>',
           f'<line x1="40" y1="20" x2="40" y2="{h - 25}" stroke="#999"/>',
           f'<text x="40" y="{h - 8}" font-size="10">epoch 1</text>',
           f'<text x="{w - 70}" y="{h - 8}" font-size="10">epoch {10 ** x1:.0f}</text>',
           f'<text x="2" y="28" font-size="10">{10 ** y1:.1e}</text>',
           f'<text x="2" y="{h - 28}" font-size="10">{10 ** y0:.1e}</text>']
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
    for k, c in enumerate(curves):
        line = " ".join(f"{sx(e):.1f},{sy(m):.1f}" for e, m in zip(c["epochs"], c["mse"]) if m > 0 and math.isfinite(m))
        out.append(f'<polyline fill="none" stroke="{palette[k % len(palette)]}" stroke-width="1.5" points="{line}">'
                   f'<title>seed {_esc(c.get("seed", k))}</title></polyline>')
    for e, m in (zip(printed["epochs"], printed["mse"]) if printed else ()):
        out.append(f'<circle cx="{sx(e):.1f}" cy="{sy(m):.1f}" r="3.5" fill="#000"><title>printed: epoch {e}, '
                   f'loss {m}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def _finding_html(r: ImplementationReport, k: int, n: int, f, known: bool = False) -> str:
    d = f.diagnosis
    head = f"Finding {k} of {n}: {f.summary}" + (f" ({d.equation})" if d is not None and d.equation else "")
    rows = [("checks", ", ".join(f.checks))]
    if d is not None:
        where = d.native or d.location()
        if where:
            rows.append(("where", f"{where}: expected {d.expected!r}, got {d.got!r}"))
        cause = (d.cause or "no known cause") + (f": {d.cause_text}" if d.cause_text else "")
        if d.explained is not None and d.cause:
            cause += f" (explains {100 * d.explained:.1f}% of the error)"
        rows.append(("cause", cause))
        rows += [("observed", c) for c in d.conditions] + [("example", d.example)] * bool(d.example)
        rows += [("rerun", d.rerun)] * bool(d.rerun)
    body = "".join(f"<dt>{_esc(a)}</dt><dd>{_esc(b)}</dd>" for a, b in rows)
    repro = (f"<details><summary>reproducer (paste into python)</summary><pre>{_esc(d.reproducer)}</pre></details>"
             if d is not None and d.reproducer else "")
    return (f'<div class="finding{" known" if known else ""}"><h3>{_esc(head)}</h3><dl>{body}</dl>'
            f"{_heatmaps(d)}{repro}</div>")


def _curves_html(r: ImplementationReport) -> str:
    charts = [curve_svg(v.data["curves"], v.data.get("printed_curve"), f"{v.check} ({v.status})")
              for v in sorted(r.verdicts.values(), key=lambda v: v.check) if v.data.get("curves")]
    charts = [c for c in charts if c]
    if not charts:
        return ""
    return ('<h3>Training-loss curves (the documents\' examples: the document\'s mse, log-log; the black dots are '
            f'the values the document prints)</h3><div class="maps">{"".join(charts)}</div>')


def _css(cell: str) -> str:
    """The class of a table cell: its status word ('ok 5' -> ok, 'not run' -> notrun)."""
    first = cell.split()[0] if cell.strip() else ""
    return {"not": "notrun"}.get(first, first if first in ("ok", "FAIL", "xfail", "XPASS", "skip", "UNEXPECTED") else "")


def _table_html(reports: List[ImplementationReport]) -> str:
    lines = format_table(reports).splitlines()
    header = lines[0].split()
    out = ['<table class="t"><tr>' + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"]
    for r in reports:
        fams = [r.families[c].cell() if c in r.families else "-" for c in header[1:-1]]
        cells = [r.impl_name] + fams + [r.verdict]
        out.append("<tr>" + "".join(f'<td class="{_css(c)}">{_esc(c)}</td>' for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def render_html(reports: List[ImplementationReport], *, profile: str, seed: int, seconds: float,
                version: str = "") -> str:
    """The whole page."""
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>backprop-conformance report"
             f"</title><style>{_STYLE}</style></head><body><h1>backprop-conformance report</h1>",
             f"<p>{_esc(version)} profile {_esc(profile)}, seed {seed}, {len(reports)} implementations, "
             f"{seconds:.1f} s, written {time.strftime('%Y-%m-%d %H:%M:%S')}</p>", _table_html(reports)]
    for r in reports:
        found, known = findings(r), findings(r, statuses=("xfail",))
        curves = _curves_html(r)
        if not (found or known or curves):
            continue
        parts.append(f'<h2 id="{_esc(r.impl_name)}">{_esc(r.impl_name)}</h2>')
        if found:
            parts.append(f"<p><b>{_esc(headline(r))}</b></p>")
        parts += [_finding_html(r, k, len(found), f) for k, f in enumerate(found, start=1)]
        if known:
            parts.append(f"<p>{len(known)} known failure(s), declared by the implementation:</p>")
            parts += [_finding_html(r, k, len(known), f, known=True) for k, f in enumerate(known, start=1)]
        parts.append(curves)
    skipped = {}
    for r in reports:
        for v in r.verdicts.values():
            if v.status == "skip":
                skipped.setdefault(_reason_class(v.message), []).append(f"{r.impl_name} :: {v.check}")
    if skipped:
        parts.append("<h2>Skipped (by reason)</h2>")
        parts += [f"<details><summary>{_esc(reason)}: {len(items)}</summary><pre>{_esc(chr(10).join(items))}</pre>"
                  "</details>" for reason, items in sorted(skipped.items(), key=lambda kv: -len(kv[1]))]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(reports: List[ImplementationReport], folder, **kwargs) -> Path:
    """Write ``folder``/index.html (the folder is created) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(render_html(reports, **kwargs), encoding="utf-8")
    return path
