"""``--html DIR``: a self-contained page with the findings, a heat map per failing layer and the loss curves."""
import html.parser
import re
import shutil
import struct
import subprocess
import sys
import zlib
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


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
needs_browser = pytest.mark.skipif(BROWSER is None, reason=f"no headless browser on PATH (looked for {', '.join(BROWSERS)}; "
                                   "Debian: apt-get install chromium); the page is validated above without one")


def _headless(tmp_path, *args):
    out = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--no-first-run", "--hide-scrollbars", "--force-color-profile=srgb",
                          f"--user-data-dir={tmp_path / 'profile'}", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def png_rgb(data: bytes):
    """(width, height, rows of RGB bytes) of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + size]
        header = struct.unpack(">IIBBBBB", body) if kind == b"IHDR" else header
        idat += [body] if kind == b"IDAT" else []
        pos += 12 + size
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp, raw, rows, prev = (3 if colour == 2 else 4), zlib.decompress(b"".join(idat)), [], None
    stride = width * bpp
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        up = prev or bytearray(stride)
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            corner = up[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up[x]) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up[x]) // 2) & 255
            elif kind == 4:
                p = left + up[x] - corner
                pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up[x] if pb <= pc else corner)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        prev = line
    return width, height, rows


@needs_browser
def test_a_headless_browser_renders_the_page_with_its_pictures(reports, tmp_path):
    page = write_html(reports, tmp_path / "report", profile="dev", seed=0, seconds=1.5)
    out = _headless(tmp_path, "--dump-dom", page.as_uri())
    assert out.stdout.count("<svg") >= 3 and "1 finding: summed over the batch" in out.stdout
    assert out.stdout.count("<rect") >= 2 and "<polyline" in out.stdout


@needs_browser
def test_the_screenshot_shows_every_colour_of_the_heat_maps_on_a_page_that_is_not_blank(reports, tmp_path):
    page = write_html(reports, tmp_path / "report", profile="dev", seed=0, seconds=1.5)
    cells = set(re.findall(r'<rect [^>]*fill="#([0-9a-f]{6})"', page.read_text()))
    assert cells
    shot = tmp_path / "page.png"
    _headless(tmp_path, "--force-device-scale-factor=0.5", "--window-size=1000,1400", f"--screenshot={shot}",
              page.as_uri())
    width, height, rows = png_rgb(shot.read_bytes())
    pixels = [tuple(row[i:i + 3]) for row in rows for i in range(0, len(row), 3)]
    assert len(pixels) == width * height > 10_000
    inked = sum(1 for p in pixels if min(p) < 200)
    assert inked > 0.01 * len(pixels), f"a blank page: {inked} of {len(pixels)} pixels not near white"
    for hexa in cells:
        want = bytes.fromhex(hexa)
        near = sum(1 for p in pixels if all(abs(a - b) <= 8 for a, b in zip(p, want)))
        assert near >= 4, f"heat-map colour #{hexa} not on the screenshot ({near} pixels)"
