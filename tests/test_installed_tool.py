"""The installed tool, used from a user's own repository: a non-editable install of a wheel built from this checkout.

The user's repository has packages of its own named ``reference``, ``impls`` and
``conformance`` (the first and last raise on import: the suite must never import
them).  The wheel is installed into a fresh virtual environment; the runtime
dependencies come from the environment running these tests, linked in by a
``.pth`` line (no download beyond the package index the wheel build uses).
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ["--profile", "dev", "--checks", "reference.agreement,interface.shapes"]

HELPERS = """
import numpy as np

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
"""
BACKPROP = """
from conformance import implementation
from impls.helpers import sigmoid      # the user's own impls package, not the suite's examples


def gradient(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(W @ acts[-1] + b[:, None]))
    delta, grads = (acts[-1] - Y) * acts[-1] * (1 - acts[-1]), []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / X.shape[1], delta.sum(axis=1) / {divide}))
        delta = (params[l - 1][0].T @ delta) * acts[l - 1] * (1 - acts[l - 1])
    return grads


IMPLEMENTATION = implementation("{name}", gradient=gradient)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh venv holding only the wheel, the user's repository)."""
    base = tmp_path_factory.mktemp("installed")
    source, wheels = base / "source", base / "wheels"   # built from a copy: the checkout gets no build/ folder
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".hypothesis", ".pytest_cache"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0 and "Could not find a version" in build.stderr + build.stdout:
        pytest.skip("the wheel's build backend cannot be installed here (no package index)")
    assert build.returncode == 0, build.stdout + build.stderr
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "runtime_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("backprop_conformance-*.whl"))
    # --ignore-installed: never uninstall the (editable) copy of the environment running these tests
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
                    "--prefix", str(venv), str(wheel)], check=True, capture_output=True, timeout=300)
    repo = base / "user_repo"
    for pkg, init in (("reference", "raise RuntimeError('the user reference package was imported')\n"),
                      ("conformance", "raise RuntimeError('the user conformance package was imported')\n"),
                      ("impls", "")):
        (repo / pkg).mkdir(parents=True)
        (repo / pkg / "__init__.py").write_text(init)
    (repo / "impls" / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (repo / "impls" / "good.py").write_text(BACKPROP.replace("{divide}", "X.shape[1]").replace("{name}", "user.good"))
    (repo / "impls" / "buggy.py").write_text(BACKPROP.replace("{divide}", "1").replace("{name}", "user.buggy"))
    return python, venv, repo


def _tool(installed, *args, module=False, timeout=300):
    python, venv, repo = installed
    entry = ["-m", "backprop_conformance"] if module else [str(venv / "bin" / "backprop-conformance")]
    env = {k: v for k, v in os.environ.items() if k not in ("BACKPROP_IMPL", "PYTHONPATH")}
    return subprocess.run([str(python), *entry, *map(str, args)], cwd=repo, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_the_wheel_installs_no_top_level_impls_package(installed):
    python, venv, _ = installed
    out = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('impls'))"],
                         cwd=venv, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "None", out.stdout + out.stderr


def test_the_users_file_is_checked_with_the_suites_own_code_and_a_planted_bug_fails(installed):
    bad = _tool(installed, "impls/buggy.py", *CHECKS)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "1 implementations, 2 verdicts, 1 unexpected" in bad.stdout
    assert "user.buggy: 1 finding: dC/db summed over the batch, not averaged (BP3)" in bad.stdout
    assert "grads[0][1]" in bad.stdout and "--checks reference.agreement" in bad.stdout
    assert "was imported" not in bad.stdout + bad.stderr and "doc1" not in bad.stdout
    good = _tool(installed, "impls/good.py", *CHECKS, module=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 implementations, 2 verdicts, 0 unexpected" in good.stdout


def test_positional_files_name_implementations_and_workers_run_them(installed):
    out = _tool(installed, "impls/good.py", "impls/buggy.py", *CHECKS, "-n", "2")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 implementations, 4 verdicts, 1 unexpected" in out.stdout


def test_no_implementation_named_outside_the_source_tree_is_a_usage_error(installed):
    out = _tool(installed, *CHECKS)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "backprop-conformance my_backprop.py" in out.stderr


@pytest.mark.parametrize("target,words", [("impls/nope.py", "no such file"),
                                          ("no_such_module_anywhere", "no file, module or implementation named"),
                                          ("impls/syntax.py", "SyntaxError")])
def test_a_wrong_path_or_a_module_that_does_not_import_is_one_line_and_exit_2(installed, target, words):
    (installed[2] / "impls" / "syntax.py").write_text("def broken(:\n")
    out = _tool(installed, target, *CHECKS)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1 and words in out.stderr


def test_the_shipped_examples_run_only_when_asked_for(installed):
    out = _tool(installed, "--examples", "--profile", "dev", "--checks", "interface.shapes", "--in-process")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "doc1.DeepNeuralNetwork" in out.stdout and "reference.batched_matrix" in out.stdout
    named = _tool(installed, "doc2.", "--profile", "dev", "--checks", "interface.shapes", "--in-process")
    assert named.returncode == 0 and "1 implementations" in named.stdout, named.stdout + named.stderr


USERS_TEST = """
from backprop_conformance import parametrize_with_checks   # this repository has a conformance/ of its own

@parametrize_with_checks(["impls/good.py", "impls/buggy.py"], checks=["reference.agreement", "interface.shapes"],
                         expected_failures={"user.buggy::reference.agreement": "dC/db summed: fixed next week"})
def test_backprop(impl, check):
    check(impl)
"""


def _pytest(installed, *args):
    python, _, repo = installed
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "HYPOTHESIS_PROFILE") and not k.startswith(("BACKPROP_", "CONFORMANCE_", "PYTEST_"))}
    return subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *map(str, args)],
                          cwd=repo, capture_output=True, text=True, timeout=600, env=env)


def test_a_ten_line_test_module_in_the_users_repository_runs_the_checks(installed):
    (installed[2] / "tests").mkdir(exist_ok=True)
    (installed[2] / "tests" / "test_backprop.py").write_text(textwrap.dedent(USERS_TEST))
    out = _pytest(installed, "tests/test_backprop.py")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 passed, 1 xfailed" in out.stdout
    assert "was imported" not in out.stdout + out.stderr


def test_the_pytest_plugin_of_the_installed_wheel_checks_the_users_file(installed):
    out = _pytest(installed, "--bp-impl", "impls/buggy.py", "--bp-checks", "reference.agreement,interface.shapes")
    assert out.returncode == 1, out.stdout + out.stderr       # the user's own tests are collected as usual too
    assert "FAILED ::test_conformance[user.buggy::reference.agreement]" in out.stdout
    assert "1 failed" in out.stdout and "cause:    summed_not_averaged" in out.stdout
    assert "was imported" not in out.stdout + out.stderr
