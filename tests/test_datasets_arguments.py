"""The documents' data sets: bad sizes and shapes are refused naming the argument; every
set is float64 whatever the input dtype; the toy labels follow ``x > 0`` exactly."""
import re

import numpy as np
import pytest

from reference.datasets import circle_boundary, circle_label, sin_regression, sin_target, toy


@pytest.mark.parametrize("make", [toy, lambda n: sin_regression(n, rng=0), lambda n: circle_boundary(n, rng=0)],
                         ids=["toy", "sin_regression", "circle_boundary"])
@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_a_sample_count_that_is_not_a_positive_integer_is_refused_naming_n_samples(make, n):
    with pytest.raises(ValueError, match=rf"^n_samples must be a positive integer, got {n!r}$"):
        make(n)


def test_toy_labels_zero_as_minus_one_since_only_x_greater_than_0_is_plus_one():
    """Last document: ``labels = ((inputs>0).astype(int)*2-1)``; for odd N the middle point is 0."""
    X, Y = toy(3)
    assert X.tolist() == [[-5.0, 0.0, 5.0]] and Y.tolist() == [[-1.0, -1.0, 1.0]]
    assert Y.dtype == np.float64


@pytest.mark.parametrize("target", [sin_target, circle_label])
def test_targets_of_lower_precision_inputs_are_computed_in_float64(target):
    X = np.array([[0.3, 0.71, 0.9], [0.2, 0.7, 0.45]])
    got = target(X.astype(np.float32))
    assert got.dtype == np.float64 and got.shape == (1, 3)
    assert np.array_equal(got, target(X.astype(np.float32).astype(np.float64)))


@pytest.mark.parametrize("target", [sin_target, circle_label])
@pytest.mark.parametrize("shape", [(3, 2), (2,), (1, 4)])
def test_targets_refuse_inputs_that_are_not_two_rows_naming_the_shape(target, shape):
    with pytest.raises(ValueError, match="^" + re.escape(f"X has shape {shape}; expected (2, N)") + "$"):
        target(np.zeros(shape))


def test_one_sample_is_a_valid_data_set():
    assert toy(1)[0].shape == (1, 1)
    assert sin_regression(1, rng=0)[0].shape == circle_boundary(1, rng=0)[0].shape == (2, 1)


def test_a_float32_point_on_the_circle_boundary_is_labelled_by_its_float64_value():
    """x1^2 + x2^2 of these float32 inputs is just above 0.5 exactly, but not in float32 arithmetic."""
    X = np.array([[0.4081947], [0.57738817]], dtype=np.float32)
    assert circle_label(X).tolist() == [[1.0]]
