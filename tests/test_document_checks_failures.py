"""The data-only and forum document checks fail for wrong data or a wrong gradient, at the edges
of the tolerances their docstrings state, and say where.

Data-only checks read the documents' transcribed numbers (``reference.documents.printed``) and
the data sets (``reference.datasets.toy``); to see them fail, these tests put a deliberately wrong
or edge-case transcription or data set in their place with ``monkeypatch`` (undone after each test).
"""
import warnings

import numpy as np
import pytest

from reference import gradients
from reference.datasets import toy
from reference.documents import first, forum, last
from reference.training import reference_grad_fn

HALF = 0.5e-8                              # half a unit of the printed 8th decimal


def _one_point(x1, x2, y):
    return {"X": ((x1,), (x2,)), "Y": ((y,),)}


@pytest.mark.parametrize("y,passes", [(HALF, True), (np.nextafter(HALF, 1.0), False)])
def test_a_sin_target_off_by_exactly_the_bound_passes_and_one_ulp_more_fails(monkeypatch, y, passes):
    """At (x1, x2) = (0, 0): sin(pi x1) x2 = 0 and the bound is 0.5e-8 (1 + 0 + 0) = 0.5e-8; the
    docstring's |error| <= bound includes the bound itself."""
    monkeypatch.setattr(first, "SIN_REGRESSION", _one_point(0.0, 0.0, y))
    result = first.printed_data(check_id="s", example="sin")
    assert result.passed is passes, result
    assert result.figures["min_bound"] == HALF


@pytest.mark.parametrize("distance,passes", [(9e-9, True), (5e-9, False)])
def test_a_circle_point_within_the_rounding_of_x_of_the_boundary_fails(monkeypatch, distance, passes):
    """At x1 = 0 the rounding of X moves x1^2 + x2^2 by up to 1e-8 (|x1| + |x2|) = 7.07e-9: a point
    9e-9 outside the circle x1^2 + x2^2 = 0.5 is safely labelled 1, one 5e-9 outside is not."""
    monkeypatch.setattr(first, "CIRCLE_BOUNDARY", _one_point(0.0, float(np.sqrt(0.5 + distance)), 1))
    result = first.printed_data(check_id="c", example="circle")
    assert result.passed is passes, result
    assert result.figures["labels"] == [[1]]
    assert result.figures["min_margin"] == pytest.approx(distance, rel=1e-6)


def test_a_circle_point_exactly_at_the_rounding_distance_of_the_boundary_fails(monkeypatch):
    """The docstring's |x1^2 + x2^2 - 0.5| > 1e-8 (|x1| + |x2|) is strict.  This point (found by a
    search over floats) has both sides equal to 9.99999993922529e-09 in float64 arithmetic."""
    x1, x2 = 0.4999103379660629, 0.5000896559564662
    assert abs(x1 * x1 + x2 * x2 - 0.5) == 1e-8 * (x1 + x2)
    monkeypatch.setattr(first, "CIRCLE_BOUNDARY", _one_point(x1, x2, 1))
    result = first.printed_data(check_id="c", example="circle")
    assert not result.passed and result.figures["labels"] == [[1]]


def test_a_circle_label_that_disagrees_with_the_rule_fails(monkeypatch):
    """(0.9, 0.9) lies far outside the circle (margin 1.12): labelled 0, it must fail."""
    monkeypatch.setattr(first, "CIRCLE_BOUNDARY", _one_point(0.9, 0.9, 0))
    result = first.printed_data(check_id="c", example="circle")
    assert not result.passed and result.figures["labels"] == [[1]]


def _broken_toy(change):
    def broken():
        X, Y = toy()
        change(X, Y)
        return X, Y
    return broken


@pytest.mark.parametrize("name,change,positives", [
    ("one +1 label turned -1", lambda X, Y: Y.__setitem__((0, 999), -1.0), 499),
    ("one +1 label turned 0", lambda X, Y: Y.__setitem__((0, 600), 0.0), 499),
    ("first input off by 2e-8", lambda X, Y: X.__setitem__((0, 0), -5.0 + 2e-8), 500),
])
def test_the_toy_dataset_check_fails_for_a_wrong_toy(monkeypatch, name, change, positives):
    """The check needs all three: the printed first five inputs, the printed labels, 500 of each label."""
    monkeypatch.setattr(last, "toy", _broken_toy(change))
    result = last.toy_dataset(check_id="t")
    assert not result.passed, f"{name}: {result}"
    assert result.figures["positives"] == positives


@pytest.mark.parametrize("cost,passes", [(HALF ** 2, True), (np.nextafter(HALF ** 2, 1.0), False)])
def test_a_single_sample_cost_off_by_exactly_the_bound_passes_and_one_ulp_more_fails(monkeypatch, cost, passes):
    """With a = y the bound 2 |a - y| 0.5e-8 + (0.5e-8)^2 is (0.5e-8)^2 and 2 C = 0."""
    monkeypatch.setattr(last, "TOY_SINGLE_SAMPLE", {"output": 0.25, "label": 0.25, "cost": cost})
    result = last.toy_single_sample_cost(check_id="c")
    assert result.passed is passes, result
    assert result.figures["two_C"] == 0.0 and result.figures["bound"] == HALF ** 2


def _reference_with(layer, name, change):
    """The batched_matrix reference gradient with ``change`` applied to one array (W or b of ``layer``, from 1)."""
    reference = reference_grad_fn(forum.FORUM_NETWORK)

    def grad_fn(params, X, Y):
        nabla = [list(pair) for pair in reference(params, X, Y)]
        k = 0 if name == "W" else 1
        nabla[layer - 1][k] = change(nabla[layer - 1][k].copy())
        return [tuple(pair) for pair in nabla]
    return grad_fn


def _halve_largest(a):
    """The largest-magnitude entry halved: an error of exactly 0.5 max|a|."""
    flat = a.reshape(-1)
    flat[np.argmax(np.abs(flat))] /= 2
    return a


@pytest.mark.parametrize("layer,name", [(1, "W"), (2, "b"), (3, "W")])
def test_the_agreement_check_fails_naming_the_wrong_array_by_layer_from_1_and_W_or_b(layer, name):
    result = forum.agrees_with_reference(check_id="a", grad_fn=_reference_with(layer, name, _halve_largest))
    assert not result.passed
    assert result.figures["worst_array"] == f"layer {layer} {name}"
    assert result.figures["max_relative_error"] == 0.5


@pytest.mark.parametrize("tolerance,passes", [(0.5, True), (0.4999999, False)])
def test_an_error_of_exactly_the_tolerance_passes_and_one_just_beyond_fails(tolerance, passes):
    """``tolerance`` replaces AGREEMENT_ULPS eps: |got - expected| <= tolerance max|expected| per array."""
    result = forum.agrees_with_reference(check_id="a", grad_fn=_reference_with(2, "W", _halve_largest),
                                         tolerance=tolerance)
    assert result.passed is passes, result
    assert result.figures["tolerance"] == tolerance
    assert result.criterion == (f"initialize(3, 4, 4, 2, 5): gradient equals the reference within "
                                f"{tolerance:.3g} max|expected| per array")


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps,
                    reason="long double is float64 on this platform")
def test_an_extended_precision_gradient_is_read_as_float64():
    """The implementation's arrays are compared in float64, the reference's precision: a long-double
    gradient 2^-60 relative above the reference rounds to it and agrees exactly."""
    grad_fn = _reference_with(2, "W", lambda a: a.astype(np.longdouble) * (1 + np.longdouble(2) ** -60))
    result = forum.agrees_with_reference(check_id="a", grad_fn=grad_fn)
    assert result.passed
    assert result.figures["max_relative_error"] == 0.0 and result.figures["worst_array"] == ""


@pytest.mark.parametrize("layer,name,change,expected,got", [
    (3, "W", lambda a: a.T, [2, 4], [4, 2]),
    (1, "b", lambda a: a[:, None], [4], [4, 1]),
])
def test_the_agreement_check_reports_a_wrong_shape_by_layer_parameter_and_both_shapes(layer, name, change,
                                                                                      expected, got):
    result = forum.agrees_with_reference(check_id="a", grad_fn=_reference_with(layer, name, change))
    assert result.check_id == "a" and result.passed is False
    assert result.criterion == "gradient shapes differ from the reference"
    assert result.figures == {"layer": layer, "parameter": name, "expected_shape": expected, "got_shape": got}


def _zero_forum_data(seed=0):
    """Zero weights and biases give outputs 0; with targets 0 every gradient array is exactly 0."""
    params = [(np.zeros(s), np.zeros(s[0])) for s in [(4, 3), (4, 4), (2, 4)]]
    return params, np.ones((3, 5)), np.zeros((2, 5))


@pytest.mark.parametrize("offset,passes", [(0.0, True), (1e-3, False)])
def test_an_all_zero_reference_array_is_compared_absolutely_without_dividing_by_zero(monkeypatch, offset,
                                                                                     passes):
    """max|expected| = 0: the error is max|got| itself; exact zeros pass, 1e-3 in db3 fails and is
    reported as 1e-3 for "layer 3 b" (no division by zero, no warning)."""
    monkeypatch.setattr(forum, "forum_data", _zero_forum_data)
    grad_fn = _reference_with(3, "b", lambda a: a + offset)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forum.agrees_with_reference(check_id="z", grad_fn=grad_fn)
    assert result.passed is passes, result
    assert result.figures["max_relative_error"] == offset
    assert result.figures["worst_array"] == ("layer 3 b" if offset else "")


@pytest.mark.parametrize("check", [forum.gradient_shapes, forum.agrees_with_reference])
def test_the_forum_checks_refuse_a_grad_fn_and_a_step_fn_together(check):
    grad_fn = reference_grad_fn(forum.FORUM_NETWORK)
    step_fn = lambda p, X, Y, eta: p  # noqa: E731
    with pytest.raises(ValueError, match=r"^give grad_fn or step_fn, not both$"):
        check(check_id="f", grad_fn=grad_fn, step_fn=step_fn)


def reference_step(params, X, Y, eta):
    """One gradient-descent step of the reference: params - eta dC/dparams."""
    grads = gradients(forum.FORUM_NETWORK, params, X, Y)
    return [(W - eta * dW, b - eta * db) for (W, b), (dW, db) in zip(params, grads)]


def test_the_forum_checks_run_a_given_step_fn_and_recover_its_gradient():
    """A step_fn is the implementation under test: a correct one passes, a broken one fails
    (the check used to fall back to the reference's gradient and ignore the step_fn).  A gradient
    recovered as W - W_stepped carries rounding of order u |W| / |dW|, hence the looser tolerance."""
    assert forum.agrees_with_reference(check_id="f", step_fn=reference_step, tolerance=1e-9).passed
    assert forum.gradient_shapes(check_id="f", step_fn=reference_step).passed
    doubled = lambda p, X, Y, eta: reference_step(p, X, Y, 2 * eta)  # noqa: E731
    result = forum.agrees_with_reference(check_id="f", step_fn=doubled, tolerance=1e-9)
    assert not result.passed and result.figures["max_relative_error"] == pytest.approx(1.0, rel=1e-6)
    column_bias = lambda p, X, Y, eta: [(W, b[:, None]) for W, b in reference_step(p, X, Y, eta)]  # noqa: E731
    shapes = forum.gradient_shapes(check_id="f", step_fn=column_bias)     # b - b_stepped is then (4, 4)
    assert not shapes.passed and shapes.figures["shapes"][0] == [[4, 3], [4, 4]]
