"""The diagnosis names the right cause, layer, parameter and equation for known bugs; reproducers run."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conformance.run.runner import run_check
from conformance.dropin.discovery import load_implementations
from conformance.diagnosis.factors import Observation, explain
from conformance.testing import mse_loss, subject

ROOT = Path(__file__).resolve().parent.parent

#: bug -> (check that catches it, expected cause, expected equation or None, extra declarations)
CASES = {
    "summed": ("reference.agreement", "summed_not_averaged", None, {}),
    "averaged_twice": ("reference.agreement", "averaged_twice", None, {}),
    "sign": ("reference.agreement", "sign_flipped", None, {}),
    "missing_half": ("reference.agreement", "missing_half", None, {}),
    "mse": ("reference.agreement", "different_loss", None, {}),
    "sigma_prime_of_a": ("reference.agreement", "sigma_prime_at_activation", None, {}),
    "no_output_sigma_prime": ("reference.agreement", "missing_output_sigma_prime", "BP1", {}),
    "no_transpose": ("reference.agreement", "missing_transpose_bp2", "BP2", {}),
    "bp4_a_l": ("reference.agreement", "layer_shift", "BP4", {}),
    "bias_first_sample": ("reference.agreement", "bias_wrong_axis", "BP3", {}),
    "drop_last_sample": ("reference.agreement", "dropped_samples", None, {}),
    "int_x": ("reference.agreement", "integer_cast", None, {}),
    "all_zeros": ("reference.agreement", "all_zeros", None, {}),
    "float32": ("reference.agreement", "float32_intermediate", None, {}),
    "fd_inside": ("reference.agreement", "finite_difference_inside", None, {"max_width": 3, "max_depth": 2}),
    "squeeze_n1": ("reference.agreement", "wrong_for_batch_of_one", None, {}),
    "nan_large_z": ("interface.finite", "wrong_for_large_z", None, {}),
    "transposed_shape": ("interface.shapes", "transposed", None, {}),
    "random_mask": ("interface.deterministic", "random_mask", None, {}),
    "accumulate": ("interface.deterministic", "hidden_state", None, {}),
    "mutate_x": ("interface.no_input_mutation", "mutates_inputs", None, {}),
    "prints": ("interface.quiet", "prints_output", None, {}),
    "hang": ("reference.agreement", "timeout", None, {"time_limit": 0.2}),
    "returns_none": ("reference.agreement", "wrong_structure", None, {}),
    "raises": ("reference.agreement", "raises", None, {}),
    "bias_over_units": ("reference.agreement", "bias_wrong_axis", None, {}),
    "exp_ratio_sigmoid": ("interface.finite", "wrong_for_large_z", None, {}),
    "fd_sigma_prime": ("reference.agreement", "finite_difference_inside", None, {}),
}


@pytest.mark.parametrize("bug", sorted(CASES))
def test_diagnosis_names_the_cause(bug):
    check, cause, equation, decl = CASES[bug]
    verdict = run_check(subject(f"t.{bug}", bug, **decl), check, profile="dev")
    d = verdict.diagnosis
    assert verdict.status == "fail" and d is not None, verdict.message
    assert d.cause == cause, f"{d.cause}: {d.cause_text}\n{verdict.message}"
    if equation:
        assert d.equation == equation, d.equation
    assert d.reproducer.startswith(f"# Reproduces: t.{bug} :: {check}")


def test_summed_gradient_names_the_factor_n_and_the_first_wrong_layer():
    d = run_check(subject("t.summed", "summed"), "reference.agreement", profile="dev").diagnosis
    N = int(re.search(r"with N = (\d+)", d.example).group(1))
    L = len(re.search(r"Network\(\[([^\]]*)\]", d.example).group(1).split(",")) - 1
    assert d.factor == pytest.approx(N) and N > 1
    assert d.layer == L and d.param == "W" and d.got == pytest.approx(N * d.expected)
    assert "summed instead of averaged" in d.cause_text


def test_bias_bug_is_located_in_a_bias_and_attributed_to_bp3():
    d = run_check(subject("t.bias", "bias_first_sample"), "reference.agreement", profile="dev").diagnosis
    assert d.param == "b" and d.equation == "BP3" and d.index is not None


def test_sign_flip_names_factor_minus_one():
    d = run_check(subject("t.sign", "sign"), "reference.agreement", profile="dev").diagnosis
    assert d.factor == pytest.approx(-1.0) and d.got == pytest.approx(-d.expected)


def test_own_loss_names_the_factor_two_over_n_l():
    verdict = run_check(subject("t.own", None, loss=mse_loss), "finite_differences.own_loss", profile="dev")
    d = verdict.diagnosis
    assert d.cause == "different_loss" and "2/n_L" in d.cause_text, d.cause_text
    assert "mean of (a - y)^2 over all entries" in d.cause_text


def test_training_step_that_updates_before_backpropagating_is_named():
    d = run_check(subject("t.step", "update_before_backprop", step=True), "reference.agreement", profile="dev").diagnosis
    assert d.cause == "update_before_backprop" and d.equation == "BP2"


def test_factor_candidates_need_several_problems_to_separate_n_from_two():
    both = {c.formula() for c in explain([Observation(2.0, 2, 1, 1e-9)])}
    assert {"N", "2"} <= both
    assert [c.formula() for c in explain([Observation(2.0, 2, 1, 1e-9), Observation(3.0, 3, 2, 1e-9)])] == ["N"]
    assert explain([Observation(1.0, 3, 2, 1e-9), Observation(2.0, 3, 1, 1e-9)])[0].formula() == "2/n_L"


#: Drop-ins in four layouts, each with its sign flipped (delta^L = (y - a) sigma'): the reproducer must call
#: each in its own conventions and show every wrong entry as minus the expected one.
SIGN_FLIPPED = {
    "reference": """
        from conformance.testing import subject
        IMPLEMENTATION = subject("mine.sign", "sign")
    """,
    "rows_in_out_sum": """
        import numpy as np
        from conformance import implementation

        def gradient(params, X, Y):
            acts = [X]
            for W, b in params:
                acts.append(1 / (1 + np.exp(-(acts[-1] @ W + b))))
            delta, grads = (Y - acts[-1]) * acts[-1] * (1 - acts[-1]), []
            for l in range(len(params), 0, -1):
                grads.insert(0, (acts[l - 1].T @ delta, delta.sum(axis=0)))
                delta = (delta @ params[l - 1][0].T) * acts[l - 1] * (1 - acts[l - 1])
            return grads

        IMPLEMENTATION = implementation("mine.sign", gradient=gradient, samples="rows", weights="in_out",
                                        reduction="sum")
    """,
    "flat_float32_column_bias": """
        import numpy as np
        from conformance import implementation

        def gradient(flat, X, Y):
            pairs = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
            acts = [X]
            for W, b in pairs:
                acts.append(1 / (1 + np.exp(-(W @ acts[-1] + b))))
            delta, out = (Y - acts[-1]) * acts[-1] * (1 - acts[-1]), []
            for l in range(len(pairs), 0, -1):
                out = [delta @ acts[l - 1].T / X.shape[1], delta.mean(axis=1, keepdims=True)] + out
                delta = (pairs[l - 1][0].T @ delta) * acts[l - 1] * (1 - acts[l - 1])
            return [a.astype(np.float32) for a in out]

        IMPLEMENTATION = implementation("mine.sign", gradient=gradient, layout="flat", bias="column",
                                        dtype="float32")
    """,
    "folded_bias": """
        import numpy as np
        from conformance import implementation

        def gradient(Ws, X, Y):
            ones = np.ones((1, X.shape[1]))
            acts = [X]
            for W in Ws:
                acts.append(1 / (1 + np.exp(-(W @ np.vstack([acts[-1], ones])))))
            delta, grads = (Y - acts[-1]) * acts[-1] * (1 - acts[-1]), []
            for l in range(len(Ws), 0, -1):
                grads.insert(0, delta @ np.vstack([acts[l - 1], ones]).T / X.shape[1])
                delta = (Ws[l - 1][:, :-1].T @ delta) * acts[l - 1] * (1 - acts[l - 1])
            return grads

        IMPLEMENTATION = implementation("mine.sign", gradient=gradient, bias="folded")
    """,
}


@pytest.mark.parametrize("layout", sorted(SIGN_FLIPPED))
def test_the_reproducer_runs_as_pasted_from_any_folder_in_the_users_layout(tmp_path, layout):
    module = tmp_path / "my_broken_backprop.py"
    module.write_text(textwrap.dedent(SIGN_FLIPPED[layout]))
    impl = load_implementations(str(module))[0]
    d = run_check(impl, "reference.agreement", profile="dev").diagnosis
    assert f"load_implementation({str(module)!r}, 'mine.sign')" in d.reproducer
    assert not d.reproducer.startswith((" ", "\t")) and compile(d.reproducer, "pasted", "exec")
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    for how in (["-c", d.reproducer], [str(_written(tmp_path, d.reproducer))]):
        out = subprocess.run([sys.executable, *how], cwd=elsewhere, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        wrong = re.findall(r"(grads\[[\d\]\[]+): (\d+) of (\d+) entries wrong; first \[[\d, ]*\]: "
                           r"expected (\S+), got (\S+)", out.stdout)
        assert wrong, out.stdout
        assert all(np.isclose(float(e), -float(g), rtol=1e-6) for *_, e, g in wrong), wrong


def _written(folder, text):
    path = folder / "repro.py"
    path.write_text(text)
    return path


def test_the_structured_shrink_reports_the_smallest_failing_network_and_batch():
    d = run_check(subject("t.summed", "summed"), "reference.agreement", profile="dev").diagnosis
    assert d.example.startswith("Network([1, 1]) with N = 2"), d.example


def test_a_property_that_fails_only_on_its_second_batch_is_diagnosed_there():
    d = run_check(subject("t.summed", "summed"), "properties.duplication", profile="dev").diagnosis
    assert d.cause == "summed_not_averaged" and any("N = 2" in n for n in d.notes), (d.cause, d.notes)
