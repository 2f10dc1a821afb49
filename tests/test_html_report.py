"""``--html DIR``: a self-contained page with the findings, a heat map per failing layer and the loss curves."""
import html.parser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.dropin.discovery import load_implementations
from conformance.run.html import curve_svg, heatmap_svg, render_html, write_html
from conformance.run.runner import check_implementation
from conformance.testing import subject

ROOT = Path(__file__).resolve().parent.parent
VOID = {"meta", "br", "img", "input", "link"}


class Balanced(html.parser.HTMLParser):
    """Every element closed in order; counts SVG pictures and their cells; no external resource."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.svgs, self.rects, self.external = [], [], 0, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key) and not attrs[key].startswith(("#", "data:")):
                self.external.append(attrs[key])
        self.svgs += tag == "svg"
        self.rects += tag == "rect"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.rects += tag == "rect"

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def _parse(text):
    p = Balanced()
    p.feed(text)
    assert not p.errors and not p.stack, (p.errors[:5], p.stack)
    assert not p.external, p.external
    return p


@pytest.fixture(scope="module")
def reports():
    bad = check_implementation(subject("t.summed", "summed"), profile="dev",
                               checks=["reference.agreement", "properties.duplication"])
    good = check_implementation(load_implementations("reference.batched_matrix")[0], profile="dev",
                                checks=["interface.shapes", "documents.doc1.and_21"])
    return [bad, good]


def test_the_page_is_well_formed_self_contained_and_holds_findings_heat_maps_and_curves(reports, tmp_path):
    page = write_html(reports, tmp_path / "report", profile="dev", seed=0, seconds=1.5, version="test")
    text = page.read_text()
    parsed = _parse(text)
    assert "1 finding: summed over the batch, not averaged" in text and "explains 100.0% of the error" in text
    assert "dC/dW^1" in text and "dC/db^1" in text and "relative error" in text
    assert "documents.doc1.and_21 (pass)" in text and "<polyline" in text and "printed: epoch 5000" in text
    assert parsed.svgs >= 3 and parsed.rects >= 2
    assert "t.summed" in text and "UNEXPECTED" in text and 'class="ok"' in text


def test_a_heat_map_marks_every_entry_outside_the_tolerance():
    svg = heatmap_svg([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 8.0]], [[1e-9] * 2] * 2, "dC/dW^2")
    assert svg.count("<rect") == 4 and svg.count('stroke="#000"') == 1
    assert "dC/dW^2[1, 1]: expected 8.0, got 4.0" in svg


def test_a_curve_without_positive_values_draws_nothing_and_one_with_them_draws_each_seed():
    assert curve_svg([{"epochs": [1], "mse": [0.0]}], None, "x") == ""
    two = curve_svg([{"seed": 0, "epochs": [1, 10], "mse": [1.0, 0.1]}, {"seed": 1, "epochs": [1, 10], "mse": [2.0, 0.2]}],
                    {"epochs": [10], "mse": [0.15]}, "doc")
    assert two.count("<polyline") == 2 and two.count("<circle") == 1


def test_a_row_where_nothing_ran_and_a_failed_call_render_without_maps(reports):
    idle = check_implementation(subject("t.raises", "raises"), profile="dev", checks=["reference.agreement"])
    text = render_html([idle], profile="dev", seed=0, seconds=0.1)
    _parse(text)
    assert "no gradient on this example to map" in text


def test_the_command_line_writes_the_page(tmp_path):
    folder = tmp_path / "html"
    out = subprocess.run([sys.executable, "-m", "conformance", "reference.batched_matrix", "--profile", "dev",
                          "--checks", "interface.shapes,documents.doc1.and_21", "--in-process", "--html", str(folder)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (folder / "index.html").is_file() and f"HTML report: {folder / 'index.html'}" in out.stdout
    _parse((folder / "index.html").read_text())


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless Chromium on this machine "
                    "(Debian: apt-get install chromium); the page is validated above without a browser")
def test_a_headless_browser_renders_the_page_with_its_pictures(reports, tmp_path):
    page = write_html(reports, tmp_path / "report", profile="dev", seed=0, seconds=1.5)
    out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("<svg") >= 3 and "1 finding: summed over the batch" in out.stdout
