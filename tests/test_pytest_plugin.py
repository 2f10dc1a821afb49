"""The checks inside a user's own pytest session: the plugin (``--bp-impl``) and ``parametrize_with_checks``.

Real pytest sessions in a folder of their own (the plugin comes from this installation's
``pytest11`` entry point), on a right implementation and one whose dC/db is summed over the batch.
"""
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

CHECKS = "reference.agreement,interface.shapes"
BACKPROP = """
import numpy as np
from conformance import implementation


def gradient(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(1.0 / (1.0 + np.exp(-(W @ acts[-1] + b[:, None]))))
    delta, grads = (acts[-1] - Y) * acts[-1] * (1 - acts[-1]), []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / X.shape[1], delta.sum(axis=1) / {divide}))
        delta = (params[l - 1][0].T @ delta) * acts[l - 1] * (1 - acts[l - 1])
    return grads


IMPLEMENTATION = implementation("{name}", gradient=gradient)
"""


@pytest.fixture()
def repo(tmp_path):
    (tmp_path / "good.py").write_text(BACKPROP.replace("{divide}", "X.shape[1]").replace("{name}", "user.good"))
    (tmp_path / "buggy.py").write_text(BACKPROP.replace("{divide}", "1").replace("{name}", "user.buggy"))
    return tmp_path


def _pytest(repo, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKPROP_", "CONFORMANCE_", "PYTEST_"))}
    env.pop("HYPOTHESIS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *map(str, args)],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)


def test_bp_impl_runs_one_item_per_check_with_the_command_lines_defaults(repo):
    out = _pytest(repo, "--bp-impl", "good.py", "--bp-checks", CHECKS, "--junitxml", repo / "j.xml")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout
    assert "PASSED" in out.stdout and "user.good::reference.agreement" in out.stdout
    cases = ET.parse(repo / "j.xml").getroot().iter("testcase")
    assert sorted((c.get("classname"), c.get("name")) for c in cases) == [
        ("interface.shapes", "user.good"), ("reference.agreement", "user.good")]


def test_bp_impl_header_names_the_profile_seed_and_implementations(repo):
    out = _pytest(repo, "--bp-impl", "good.py", "--bp-checks", "interface.shapes", "--bp-seed", "3", "-v")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "profile ci, seed 3, implementations good.py" in out.stdout


def test_bp_impl_fails_a_wrong_gradient_with_the_finding_text(repo):
    out = _pytest(repo, "--bp-impl", "buggy.py", "--bp-checks", CHECKS)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 1 passed" in out.stdout
    assert "FAILED" in out.stdout and "user.buggy::reference.agreement" in out.stdout
    assert "cause:    summed_not_averaged" in out.stdout


def test_without_bp_impl_the_plugin_adds_nothing(repo):
    (repo / "test_plain.py").write_text("def test_one():\n    assert True\n")
    out = _pytest(repo, "test_plain.py")
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr
    assert "backprop-conformance" not in out.stdout


USERS_TEST = """
from conformance import parametrize_with_checks

@parametrize_with_checks(["good.py", "buggy.py"], checks={checks!r},
                         expected_failures={expected!r})
def test_backprop(impl, check):
    check(impl)
"""


def test_parametrize_with_checks_in_a_users_module_marks_expected_failures_strict(repo):
    (repo / "test_mine.py").write_text(textwrap.dedent(USERS_TEST.format(
        checks=CHECKS.split(","), expected={"user.buggy::reference.agreement": "dC/db summed, fixed next week",
                                            "user.good::interface.": "wrongly expected to fail"})))
    out = _pytest(repo, "test_mine.py")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 failed, 2 passed, 1 xfailed" in out.stdout, out.stdout
    assert "XFAIL test_mine.py::test_backprop[user.buggy::reference.agreement]" in out.stdout
    assert "[XPASS(strict)] wrongly expected to fail" in out.stdout


def test_parametrize_with_checks_failure_is_the_finding_without_a_traceback(repo):
    (repo / "test_mine.py").write_text(textwrap.dedent(USERS_TEST.format(checks=["reference.agreement"],
                                                                         expected={})))
    out = _pytest(repo, "test_mine.py")
    assert out.returncode == 1 and "1 failed, 1 passed" in out.stdout, out.stdout + out.stderr
    assert "cause:    summed_not_averaged" in out.stdout and "Traceback" not in out.stdout
    assert "def __call__" not in out.stdout      # pytrace=False: the suite's own frames are not shown
