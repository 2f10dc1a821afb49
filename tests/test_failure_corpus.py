"""The failure corpus: --save-failures stores each shrunk failing example exactly; --replay runs them first."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from conformance.core.corpus import decode_example, encode_example, load_entries, save_entry
from conformance.core.strategies import Problem
from conformance.dropin.protocol import KnownFailure
from conformance.run.runner import run_check
from conformance.testing import subject
from reference import Network

ROOT = Path(__file__).resolve().parent.parent


def _problem():
    net = Network([2, 3, 1])
    rng = np.random.default_rng(3)
    params = [(rng.standard_normal(net.weight_shape(l)) / 3, rng.standard_normal(net.bias_shape(l)) * 1e-300)
              for l in (1, 2)]
    return Problem(net, params, rng.standard_normal((2, 4)) * np.pi, rng.uniform(size=(1, 4)))


def test_examples_round_trip_bit_for_bit_through_json():
    p = _problem()
    for example in (p, (p, (1, 0, 3, 2)), (p, 1, (2, 0, 1))):
        back = decode_example(json.loads(json.dumps(encode_example(example))))
        q = back if isinstance(back, Problem) else back[0]
        assert all(np.array_equal(a, b) for pa, pb in zip(p.params, q.params) for a, b in zip(pa, pb))
        assert np.array_equal(p.X, q.X) and np.array_equal(p.Y, q.Y) and q.net.layer_sizes == p.net.layer_sizes
        assert back[1:] == example[1:] if isinstance(example, tuple) and not isinstance(example, Problem) else True
    assert encode_example(object()) is None


def test_a_saved_example_that_still_fails_fails_at_once_and_one_that_passes_says_so(tmp_path):
    p = _problem()
    save_entry(tmp_path, impl_name="t.sum", source="", check="reference.agreement", example=p, seed=0, profile="dev")
    bad = run_check(subject("t.sum", "summed"), "reference.agreement", profile="dev", replay_dir=str(tmp_path))
    assert bad.status == "fail" and bad.data["replay"][0]["status"] == "still failing" and bad.examples == 1
    assert "a saved example still fails" in bad.message and bad.diagnosis.cause == "summed_not_averaged"
    good = run_check(subject("t.sum", None), "reference.agreement", profile="dev", replay_dir=str(tmp_path))
    assert good.status == "pass" and good.data["replay"][0]["status"] == "now passes"
    assert "every one now passes" in good.message


def test_a_known_failure_pins_its_counterexample(tmp_path):
    path = save_entry(tmp_path, impl_name="t.sign", source="", check="reference.agreement", example=_problem(),
                      seed=0, profile="dev")
    impl = subject("t.sign", "sign", known_failures=[KnownFailure("reference.agreement", "flipped on purpose",
                                                                  counterexample=str(path))])
    v = run_check(impl, "reference.agreement", profile="dev")
    assert v.status == "xfail" and v.data["replay"] == [{"file": str(path), "status": "still failing"}]


def test_an_entry_from_another_shape_of_check_is_reported_not_fatal(tmp_path):
    save_entry(tmp_path, impl_name="t.ok", source="", check="properties.permutation", example=_problem(),
               seed=0, profile="dev")   # permutation takes (problem, perm): replaying a bare problem cannot work
    v = run_check(subject("t.ok", None), "properties.permutation", profile="dev", replay_dir=str(tmp_path))
    assert v.status == "pass" and v.data["replay"][0]["status"].startswith("cannot replay")


def test_the_command_line_saves_then_replays_under_pytest_workers(tmp_path):
    module = tmp_path / "mine.py"
    module.write_text(textwrap.dedent("""
        from conformance.testing import subject
        IMPLEMENTATION = subject("mine", "drop_last_sample")
    """))
    corpus = tmp_path / "corpus"
    args = [sys.executable, "-m", "conformance", str(module), "--profile", "dev", "--checks",
            "reference.agreement,properties.permutation"]
    first = subprocess.run(args + ["--save-failures", str(corpus), "-n", "2"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 1 and "2 failing example(s) saved" in first.stdout, first.stdout + first.stderr
    assert len(load_entries(corpus, "mine", "properties.permutation")) == 1
    again = subprocess.run(args + ["--replay", str(corpus), "-n", "2"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300, env={**os.environ})
    assert again.returncode == 1, again.stdout + again.stderr
    assert again.stdout.count("still failing") == 2 and "Replayed first (saved examples):" in again.stdout
