"""What the data-only and forum document checks report: their ids, criterion texts and figures,
recomputed here from the documents' printed numbers, and the data and defaults they run on.

First document, Examples 2 and 3 (``Input Data (X)`` / ``Expected Output (Y)``); the forum's
``initialize(3, 4, 4, 2, 5)``; the last document's ``toy()``, its single-sample cost and its
``feedforward_batch`` shapes.  Each check function is called directly with a check id of our own,
so the id it reports is the one given.
"""
import json
import math
import warnings

import numpy as np
import pytest

from reference.documents import first, forum, last
from reference.forward import forward
from reference.training import reference_grad_fn

# First document, Example 2: ``Input Data (X)`` and ``Expected Output (Y)`` as printed.
SIN_X1 = [0.35781408, 0.64781745, 0.12292068, 0.88865908, 0.50308395, 0.44934974, 0.58586479, 0.62478386]
SIN_X2 = [0.07177581, 0.68261722, 0.24193168, 0.71395263, 0.82253479, 0.80395851, 0.55250097, 0.52016989]
SIN_Y = [0.06473329, 0.61032699, 0.09112119, 0.24467048, 0.82249619, 0.79380187, 0.53252086, 0.48070937]
# Example 3: ``Input Data (X)`` as printed.
CIRCLE_X1 = [0.06364091, 0.83137351, 0.59897851, 0.114933, 0.09385728, 0.90962682, 0.66920026, 0.8292868]
CIRCLE_X2 = [0.8789789, 0.57177235, 0.51744635, 0.43042741, 0.31694659, 0.43459596, 0.77387966, 0.60192343]
HALF = 0.5e-8                              # half a unit of the printed 8th decimal
FORUM_SHAPES = [[[4, 3], [4]], [[4, 4], [4]], [[2, 4], [2]]]


def test_the_sin_data_check_reports_the_largest_error_and_smallest_bound_recomputed_from_the_printout():
    """Per point: error |sin(pi x1) x2 - y| and bound 0.5e-8 (1 + pi |cos(pi x1)| x2 + |sin(pi x1)|)
    (the docstring's formula), from the printed X and Y with the math module."""
    errors, bounds = [], []
    for x1, x2, y in zip(SIN_X1, SIN_X2, SIN_Y):
        errors.append(abs(math.sin(math.pi * x1) * x2 - y))
        bounds.append(HALF * (1 + math.pi * abs(math.cos(math.pi * x1)) * x2 + abs(math.sin(math.pi * x1))))
    result = first.printed_data(check_id="my.sin", example="sin")
    assert result.passed and result.check_id == "my.sin"
    assert result.criterion == "printed X gives the printed Y = sin(pi x1) x2 to the printed rounding"
    f = result.figures
    assert set(f) == {"max_error", "min_bound", "max_error_over_bound"}
    assert f["max_error"] == pytest.approx(max(errors), rel=1e-6)
    assert f["min_bound"] == pytest.approx(min(bounds), rel=1e-12)
    assert f["max_error_over_bound"] == pytest.approx(max(e / b for e, b in zip(errors, bounds)), rel=1e-6)
    assert 0.5 < f["max_error_over_bound"] < 1, "the printed Y is rounded: errors of up to one bound"


def test_the_circle_data_check_reports_integer_labels_and_the_smallest_distance_to_the_boundary():
    """``Expected Output (Y): [[1 1 1 0 0 1 1 1]]`` as JSON integers; the smallest
    |x1^2 + x2^2 - 0.5| over the printed points (0.1265..., the third point)."""
    margins = [abs(x1 * x1 + x2 * x2 - 0.5) for x1, x2 in zip(CIRCLE_X1, CIRCLE_X2)]
    result = first.printed_data(check_id="my.circle", example="circle")
    assert result.passed and result.check_id == "my.circle"
    assert result.criterion == ("printed X gives the printed labels [x1^2 + x2^2 > 0.5], "
                                "away from the boundary")
    assert set(result.figures) == {"labels", "min_margin"}
    assert json.dumps(result.figures["labels"]) == "[[1, 1, 1, 0, 0, 1, 1, 1]]"
    assert result.figures["min_margin"] == pytest.approx(min(margins), rel=1e-12)
    assert min(margins) == pytest.approx(0.12652598, abs=1e-8)


def test_the_toy_dataset_check_reports_the_first_five_error_and_500_positive_labels():
    """``inputs[0:5]`` -> ``[[-5. ], [-4.98998999], ...]`` (linspace(-5, 5, 1000) rounded to 8
    decimals) and labels ``(inputs > 0) * 2 - 1``: 500 of the 1000 are +1."""
    result = last.toy_dataset(check_id="my.toy")
    assert result.passed and result.check_id == "my.toy"
    assert result.criterion == ("toy(): the printed first five inputs (8 decimals) and labels; "
                                "500 of each label")
    assert set(result.figures) == {"max_error_first_five", "positives"}
    assert result.figures["positives"] == 500
    exact = [-5 + 10 * i / 999 for i in range(5)]
    printed = [-5.0, -4.98998999, -4.97997998, -4.96996997, -4.95995996]
    expected = max(abs(e - p) for e, p in zip(exact, printed))
    assert result.figures["max_error_first_five"] == pytest.approx(expected, rel=1e-3)


def test_the_single_sample_cost_check_reports_two_C_the_printed_cost_its_error_and_the_bound():
    """``this network calculated: [0.76936505], giving us a cost of: 3.1306526667222374`` with
    label -1: (a - y)^2 = 1.76936505^2; bound 2 |a - y| 0.5e-8 + (0.5e-8)^2 (the docstring's)."""
    two_C = (0.76936505 + 1.0) ** 2
    result = last.toy_single_sample_cost(check_id="my.cost")
    assert result.passed and result.check_id == "my.cost"
    assert result.criterion == ("single-sample cost (a - y)^2 = 2 C equals the printed 3.1306526667222374 "
                                "within the rounding of the printed output")
    f = result.figures
    assert set(f) == {"two_C", "printed", "error", "bound"}
    assert f["two_C"] == pytest.approx(two_C, rel=1e-15)
    assert f["printed"] == 3.1306526667222374
    assert f["error"] == pytest.approx(two_C - 3.1306526667222374, rel=1e-6)
    assert f["bound"] == pytest.approx(2 * 1.76936505 * HALF + HALF ** 2, rel=1e-15)


def test_the_toy_shapes_check_reports_the_printed_shapes_as_lists():
    """``(3, 1000) (2, 1000) (1, 1000)`` and ``(1, 1000) (3, 1000) (2, 1000) (1, 1000)``."""
    result = last.toy_shapes(check_id="my.shapes")
    assert result.passed and result.check_id == "my.shapes"
    assert result.criterion == ("[1,3,2,1] on toy(): activities (3,1000) (2,1000) (1,1000); "
                                "activations (1,1000) (3,1000) (2,1000) (1,1000)")
    assert result.figures == {"activities": [[3, 1000], [2, 1000], [1, 1000]],
                              "activations": [[1, 1000], [3, 1000], [2, 1000], [1, 1000]]}


def _recording_forward(seen):
    def forward_fn(params, X):
        seen.append([a.copy() for pair in params for a in pair])
        fp = forward(last.TOY_NETWORK, params, X)
        return fp.zs, fp.activations
    return forward_fn


def test_the_toy_shapes_check_draws_its_initial_values_from_seed_0_unless_told():
    """``seed: int = 0``: the default run sees the parameters of ``seed=0``, not those of 1."""
    default, zero, one = [], [], []
    assert last.toy_shapes(check_id="s", forward_fn=_recording_forward(default)).passed
    last.toy_shapes(check_id="s", forward_fn=_recording_forward(zero), seed=0)
    last.toy_shapes(check_id="s", forward_fn=_recording_forward(one), seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(default[0], zero[0]))
    assert not all(np.array_equal(a, b) for a, b in zip(default[0], one[0]))


def _forum_seed_0():
    """The forum's draws from default_rng(0): W1, W2, W3 (randn * 0.01, zero biases), x (rand), y (randn)."""
    gen = np.random.default_rng(0)
    W1, W2, W3 = (gen.standard_normal(s) * 0.01 for s in [(4, 3), (4, 4), (2, 4)])
    return [W1, W2, W3], gen.random((3, 5)), gen.standard_normal((2, 5))


def test_forum_data_is_initialize_3_4_4_2_5_from_seed_0_by_default():
    Ws, x, y = _forum_seed_0()
    params, X, Y = forum.forum_data()
    assert np.array_equal(X, x) and np.array_equal(Y, y)
    for (W, b), want in zip(params, Ws):
        assert np.array_equal(W, want) and np.array_equal(b, np.zeros(W.shape[0]))


@pytest.mark.parametrize("check", [forum.gradient_shapes, forum.agrees_with_reference])
def test_the_forum_checks_call_the_implementation_on_the_seed_0_data_by_default(check):
    Ws, x, y = _forum_seed_0()
    seen = []

    def recording(params, X, Y):
        seen.append((params, X, Y))
        return reference_grad_fn(forum.FORUM_NETWORK)(params, X, Y)

    assert check(check_id="f", grad_fn=recording).passed
    params, X, Y = seen[0]
    assert np.array_equal(X, x) and np.array_equal(Y, y)
    assert all(np.array_equal(W, want) for (W, _), want in zip(params, Ws))


def test_the_gradient_shapes_check_reports_the_shapes_it_got_and_expected_as_lists():
    """dW1 (4,3), db1 (4,), dW2 (4,4), db2 (4,), dW3 (2,4), db3 (2,), for the formulation asked for."""
    result = forum.gradient_shapes(check_id="my.forum", formulation="per_neuron")
    assert result.passed and result.check_id == "my.forum"
    assert result.criterion == "initialize(3, 4, 4, 2, 5): every gradient has its parameter's shape"
    assert result.figures == {"shapes": FORUM_SHAPES, "expected": FORUM_SHAPES}


def test_the_agreement_check_defaults_to_per_neuron_within_2_to_the_10_eps_and_warns_of_nothing():
    """By default the index-level (per_neuron) reference is compared with batched_matrix, within
    AGREEMENT_ULPS eps = 2^10 2^-52 = 2^-42 (printed 2.27e-13) of each array's largest entry."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forum.agrees_with_reference(check_id="my.agree")
    assert result.passed and result.check_id == "my.agree"
    assert result.criterion == ("initialize(3, 4, 4, 2, 5): gradient equals the reference within "
                                "2.27e-13 max|expected| per array")
    assert set(result.figures) == {"max_relative_error", "worst_array", "tolerance"}
    assert result.figures["tolerance"] == 2.0 ** -42
    assert result.figures["max_relative_error"] < 1e-14


def test_batched_matrix_agrees_with_itself_exactly_and_no_array_is_named_worst():
    """batched_matrix against batched_matrix: every error 0, so no array is worse than another."""
    result = forum.agrees_with_reference(check_id="a", formulation="batched_matrix")
    assert result.passed
    assert result.figures["max_relative_error"] == 0.0 and result.figures["worst_array"] == ""


@pytest.mark.parametrize("check", [forum.gradient_shapes, forum.agrees_with_reference])
def test_the_forum_checks_run_the_reference_formulation_asked_for(check):
    """``scalar`` covers width-1 chains only: asked for on [3, 4, 4, 2], its refusal surfaces."""
    with pytest.raises(ValueError, match="width-1 chains only"):
        check(check_id="f", formulation="scalar")
    assert check(check_id="f", formulation="per_sample").passed
