"""``python -m conformance`` end to end on a temporary impls directory: exit codes, table, reports."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = "reference.agreement,interface.shapes"

GOOD = """
from conformance.testing import subject
IMPLEMENTATION = subject("tmp.good", None)
"""
KNOWN = """
from conformance.testing import subject
IMPLEMENTATION = subject("tmp.known", "sign", known_failures={"reference.agreement": "sign flipped on purpose"})
"""
BAD = """
from conformance.testing import subject
IMPLEMENTATION = subject("tmp.bad", "summed")
"""
XPASS = """
from conformance.testing import subject
IMPLEMENTATION = subject("tmp.xpass", None, known_failures={"interface.shapes": "claimed but not true"})
"""
BROKEN = "import no_such_dependency_anywhere\n"


def _impls(tmp_path, **files):
    folder = tmp_path / "impls_under_test"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text))
    return folder


def _run(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "conformance", "--profile", "dev", "--checks", CHECKS, *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_expected_verdicts_exit_zero_and_write_json_and_junit(tmp_path):
    folder = _impls(tmp_path, good=GOOD, known=KNOWN)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    out = _run("--impl", folder, "--json", js, "--junitxml", xml)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "implementation" in out.stdout and "tmp.good" in out.stdout and "xfail 1/1" in out.stdout
    assert "tmp.known: 1 known failure(s)" in out.stdout and "sign flipped on purpose" in out.stdout
    assert re.search(r"reference\.agreement +sign_flipped", out.stdout)
    report = json.loads(js.read_text())
    rows = {r["name"]: r for r in report["implementations"]}
    assert report["ok"] and rows["tmp.good"]["verdicts"]["reference.agreement"]["status"] == "pass"
    known = rows["tmp.known"]["verdicts"]["reference.agreement"]
    assert known["status"] == "xfail" and known["diagnosis"]["cause"] == "sign_flipped"
    cases = list(ET.parse(xml).getroot().iter("testcase"))
    outcomes = {(c.get("classname"), c.get("name")): [child.tag for child in c] for c in cases}
    assert "skipped" in outcomes[("reference.agreement", "tmp.known")]  # JUnit's xfail; class = check id
    assert not [c for c in outcomes.values() if "failure" in c or "error" in c]
    assert all("site-packages" not in c.get("classname") and "test_implementations" not in c.get("classname")
               for c in cases)
    rows = {r["name"]: r for r in report["implementations"]}
    assert rows["tmp.good"]["seconds"] > 0   # real per-implementation seconds under pytest too


def test_an_unexpected_failure_exits_one_and_is_diagnosed(tmp_path):
    out = _run("--impl", _impls(tmp_path, good=GOOD, bad=BAD), "--in-process")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "tmp.bad: 1 finding: summed over the batch, not averaged" in out.stdout   # the headline
    assert "FINDING 1 of 1  tmp.bad: summed over the batch, not averaged" in out.stdout
    assert "checks:   reference.agreement" in out.stdout
    assert "summed_not_averaged" in out.stdout and "reproducer (paste into python" in out.stdout
    assert "UNEXPECTED" in out.stdout


def test_an_unexpected_pass_exits_one(tmp_path):
    out = _run("--impl", _impls(tmp_path, xpass=XPASS))
    assert out.returncode == 1 and "XPASS  tmp.xpass :: interface.shapes" in out.stdout


def test_a_module_that_does_not_import_in_a_folder_is_one_failed_row_and_the_others_still_run(tmp_path):
    out = _run("--impl", _impls(tmp_path, good=GOOD, broken=BROKEN), "--in-process")
    assert out.returncode == 1
    assert out.stdout.count("no_such_dependency_anywhere") == 1 and "tmp.good" in out.stdout


def test_xdist_and_in_process_give_the_same_verdicts(tmp_path):
    folder = _impls(tmp_path, good=GOOD, known=KNOWN, bad=BAD)
    statuses = []
    for mode in (["-n", "2"], ["--in-process"]):
        js = tmp_path / f"r{len(statuses)}.json"
        out = _run("--impl", folder, "--json", js, *mode)
        assert out.returncode == 1, out.stdout + out.stderr
        report = json.loads(js.read_text())
        statuses.append({(r["name"], c): (v["status"], (v["diagnosis"] or {}).get("cause"))
                         for r in report["implementations"] for c, v in r["verdicts"].items()})
    assert statuses[0] == statuses[1] and len(statuses[0]) == 6


def test_plain_pytest_reports_xfail_from_the_declared_known_failures(tmp_path):
    folder = _impls(tmp_path, known=KNOWN)
    env = {**os.environ, "BACKPROP_IMPL": str(folder), "CONFORMANCE_CHECKS": CHECKS, "CONFORMANCE_PROFILE": "dev"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rxX",
                          "conformance/test_implementations.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed, 1 xfailed" in out.stdout and "sign flipped on purpose" in out.stdout


def test_list_and_bad_arguments():
    out = subprocess.run([sys.executable, "-m", "conformance", "--list"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "reference.batched_matrix" in out.stdout and "properties.dead_unit" in out.stdout
    out = subprocess.run([sys.executable, "-m", "conformance", "--checks", "nonsense"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "unknown check" in out.stderr


@pytest.mark.skipif(shutil.which("backprop-conformance") is None and
                    not (Path(sys.executable).parent / "backprop-conformance").exists(),
                    reason="console script not installed (pip install -e .)")
def test_the_console_script_runs(tmp_path):
    script = shutil.which("backprop-conformance") or str(Path(sys.executable).parent / "backprop-conformance")
    out = subprocess.run([script, "--impl", _impls(tmp_path, good=GOOD), "--profile", "dev", "--checks", CHECKS],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_positional_files_name_implementations_and_pytest_arguments_follow_a_double_dash(tmp_path):
    folder = _impls(tmp_path, good=GOOD, bad=BAD)
    out = _run(folder / "good.py", folder / "bad.py", "--", "-p", "no:randomly")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 implementations, 4 verdicts, 1 unexpected" in out.stdout
    assert "FINDING 1 of 1  tmp.bad: summed over the batch" in out.stdout


def test_a_named_file_that_is_missing_or_does_not_import_is_one_line_and_exit_2(tmp_path):
    folder = _impls(tmp_path, broken=BROKEN)
    for target, words in ((tmp_path / "missing.py", "no such file"), (folder / "broken.py", "no_such_dependency")):
        out = _run(target)
        assert out.returncode == 2, out.stdout + out.stderr
        assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1 and words in out.stderr


def test_a_named_file_that_does_not_import_beside_good_ones_is_reported_once_and_exits_2(tmp_path):
    folder = _impls(tmp_path, good=GOOD, broken=BROKEN)
    out = _run(folder / "good.py", folder / "broken.py", "--in-process")
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout.count("no_such_dependency_anywhere") == 1 and "tmp.good" in out.stdout
    assert "not loaded" in out.stdout and "no_such_dependency_anywhere" in out.stderr


def test_in_process_warns_that_it_is_not_safe_for_grading(tmp_path):
    out = _run("--impl", _impls(tmp_path, good=GOOD), "--in-process")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning: --in-process imports the implementations into the checker" in out.stderr
    assert "not safe for grading" in out.stderr and "in-process (not isolated)" in out.stdout


@pytest.mark.parametrize("args, words", [
    (["--strict", "--in-process"], "--strict grades untrusted code: it needs worker processes"),
    (["--memory-limit", "lots"], "memory limit 'lots'"),
    (["--impl-cmd", "./x"], "1 --impl-cmd but 0 --conventions"),
    (["--known-failures", "/no/such/file.json"], "--known-failures: no such file"),
    (["--in-process", "--junitxml", "r.xml"], "--in-process runs without pytest, so it cannot honour --junitxml;"),
    (["--in-process", "-n", "2", "-v"], "cannot honour -n, -v; drop --in-process"),
    (["--in-process", "--", "-x"], "cannot honour pytest arguments after --;"),
    (["--list", "--json", "r.json", "--html", "h"], "--list runs no check: --json, --html would write nothing"),
    (["--json", "/no/such/folder/r.json"], "cannot write the JSON report /no/such/folder/r.json"),
])
def test_arguments_the_run_cannot_honour_are_one_line_and_exit_2(tmp_path, args, words):
    out = _run("--impl", _impls(tmp_path, good=GOOD), *args)
    assert out.returncode == 2 and words in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_the_json_report_says_how_the_run_was_isolated_and_limited(tmp_path):
    js = tmp_path / "r.json"
    out = _run("--impl", _impls(tmp_path, good=GOOD), "--json", js, "--memory-limit", "2G", "--impl-time-limit", "60")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(js.read_text())
    assert report["isolation"] == "workers" and report["strict"] is False and report["known_failures_file"] is None
    assert report["limits"]["memory_bytes_per_worker"] == 2 << 30
    assert report["limits"]["seconds_per_implementation"] == 60.0
    assert report["implementations"][0]["known_failures"] == {"applied": [], "ignored": []}


def test_in_process_honours_every_report_option(tmp_path):
    """--html, --save-failures, --repro-dir, --replay and --json are written in --in-process mode too."""
    folder, saved, repro, page = _impls(tmp_path, bad=BAD), tmp_path / "saved", tmp_path / "repro", tmp_path / "html"
    first = _run("--impl", folder, "--in-process", "--save-failures", saved, "--repro-dir", repro, "--html", page,
                 "--json", tmp_path / "r.json")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "1 failing example(s) saved" in first.stdout and "1 reproducer(s) written" in first.stdout
    assert (page / "index.html").is_file() and list(repro.glob("*.py")) and list(saved.rglob("*.json"))
    assert json.loads((tmp_path / "r.json").read_text())["complete"] is True
    again = _run("--impl", folder, "--in-process", "--replay", saved)
    assert again.returncode == 1 and "still failing" in again.stdout, again.stdout + again.stderr
