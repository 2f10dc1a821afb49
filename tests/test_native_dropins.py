"""Drop-ins outside Python, over the wire protocol: examples/native/c (built with cc) and examples/native/js (Node).

Both pass every check of the ci profile; each has a planted-bug twin, made here from its source by
changing one line, which the suite catches and names.  Skipped, with the reason, only where no C
compiler or no node exists.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "examples" / "native"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
NODE = shutil.which("node")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc, gcc or clang) on this machine")
needs_node = pytest.mark.skipif(NODE is None, reason="no node on this machine")

#: (source, the correct line, the planted bug, the cause the suite must name)
C_TWIN = ("c/backprop.c", "delta->v[i] *= sigmoid_prime(z->v[i]);", "delta->v[i] *= sigmoid_prime(a->v[i]);",
          "sigma_prime_at_activation")
JS_TWIN = ("js/backprop.js", "delta.v[i] = (as[L].v[i] - Y.v[i]) * sigmoidPrime(zs[L].v[i]);",
           "delta.v[i] = (as[L].v[i] - Y.v[i]);", "missing_output_sigma_prime")


def _twin(tmp_path: Path, source: str, line: str, bug: str) -> Path:
    text = (NATIVE / source).read_text()
    assert text.count(line) == 1, f"{source} no longer has the line the twin changes: {line}"
    out = tmp_path / ("twin_" + Path(source).name)
    out.write_text(text.replace(line, bug))
    return out


def _build(source: Path, out: Path) -> Path:
    subprocess.run([CC, "-O2", "-std=c99", "-o", str(out), str(source), "-lm"], check=True, capture_output=True,
                   timeout=120)
    return out


def _conventions(tmp_path: Path, source: str, name: str) -> Path:
    data = json.loads((NATIVE / source).read_text())
    data["name"] = name
    out = tmp_path / f"{name}.json"
    out.write_text(json.dumps(data))
    return out


def _run(tmp_path: Path, pairs, *args):
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "conformance", "--json", str(report), *args]
    for command, conventions in pairs:
        cmd += ["--impl-cmd", command, "--conventions", str(conventions)]
    env = {k: v for k, v in os.environ.items() if k != "BACKPROP_IMPL"}
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    return out, (json.loads(report.read_text()) if report.exists() else None)


@needs_cc
@needs_node
def test_the_c_and_javascript_drop_ins_pass_every_check_of_the_ci_profile(tmp_path):
    binary = _build(NATIVE / "c" / "backprop.c", tmp_path / "backprop")
    out, data = _run(tmp_path, [(str(binary), NATIVE / "c" / "conventions.json"),
                                (f"{NODE} {NATIVE / 'js' / 'backprop.js'}", NATIVE / "js" / "conventions.json")],
                     "--profile", "ci", "-n", "2")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    rows = {r["name"]: r for r in data["implementations"]}
    assert set(rows) == {"native.c.backprop", "native.js.train_step"}
    for row in rows.values():
        statuses = {c: v["status"] for c, v in row["verdicts"].items()}
        assert set(statuses.values()) <= {"pass", "skip"}, statuses
        for check in ("reference.agreement", "symbolic.vectors", "finite_differences.full",
                      "finite_differences.own_loss", "interface.clean_exit", "documents.doc1.and_21"):
            assert statuses[check] == "pass", (row["name"], check, row["verdicts"][check]["message"])


@needs_cc
@needs_node
def test_the_planted_bug_twins_fail_and_the_suite_names_the_bug(tmp_path):
    c_twin = _build(_twin(tmp_path, *C_TWIN[:3]), tmp_path / "twin_backprop")
    js_twin = _twin(tmp_path, *JS_TWIN[:3])
    out, data = _run(tmp_path, [(str(c_twin), _conventions(tmp_path, "c/conventions.json", "twin.c")),
                                (f"{NODE} {js_twin}", _conventions(tmp_path, "js/conventions.json", "twin.js"))],
                     "--profile", "ci", "--checks", "reference.agreement,interface.shapes")
    assert out.returncode == 1, out.stdout[-4000:] + out.stderr[-2000:]
    rows = {r["name"]: r["verdicts"] for r in data["implementations"]}
    for name, cause in (("twin.c", C_TWIN[3]), ("twin.js", JS_TWIN[3])):
        verdict = rows[name]["reference.agreement"]
        assert verdict["status"] == "fail" and verdict["diagnosis"]["cause"] == cause, (name, verdict["diagnosis"])
        assert rows[name]["interface.shapes"]["status"] == "pass"
        assert "layer" in verdict["message"] and "expected" in verdict["message"]


@needs_cc
def test_a_command_that_does_not_start_or_speak_the_protocol_is_one_line_and_exit_2(tmp_path):
    conventions = NATIVE / "c" / "conventions.json"
    for command, words in ((str(tmp_path / "missing"), "No such file"),
                           ("echo not a frame", "did not answer hello")):
        out, _ = _run(tmp_path, [(command, conventions)])
        assert out.returncode == 2, out.stdout + out.stderr
        assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
