"""Each formulation agrees with finite differences; the finite differences themselves are
as accurate as their error analysis says."""
import numpy as np
import pytest
from hypothesis import given

from conformance.core.assertions import assert_gradients_close
from conformance.core.strategies import problems
from reference import FORMULATIONS, Network, gradients
from reference.error_model import gradient_error_bound
from reference.finite_differences import (central_difference, numerical_gradient,
                                          numerical_gradient_with_error, richardson_difference)
from reference.params import flatten


def _quartic(theta):
    return float(np.sum(theta ** 4) + np.prod(np.sin(theta)))


def _quartic_grad(theta):
    s = np.sin(theta)
    return 4 * theta ** 3 + np.array([np.prod(np.delete(s, i)) * np.cos(t) for i, t in enumerate(theta)])


def test_central_difference_is_accurate_to_about_1e_7_relative_on_a_smooth_function():
    theta = np.array([0.3, -1.2, 2.5, 0.01])
    err = np.abs(central_difference(_quartic, theta) - _quartic_grad(theta))
    assert np.max(err / np.abs(_quartic_grad(theta)).max()) < 1e-8


def test_richardson_difference_is_accurate_to_about_1e_10_relative_on_a_smooth_function():
    theta = np.array([0.3, -1.2, 2.5, 0.01])
    err = np.abs(richardson_difference(_quartic, theta) - _quartic_grad(theta))
    assert np.max(err / np.abs(_quartic_grad(theta)).max()) < 1e-10


@pytest.mark.parametrize("formulation", sorted(set(FORMULATIONS) - {"scalar"}))
@given(problem=problems(max_depth=3, max_width=4, max_N=5))
def test_formulation_matches_richardson_finite_differences(formulation, problem):
    net, params, X, Y = problem
    fd, fd_error = numerical_gradient_with_error(net, params, X, Y)
    bound = [(e + bW, eb + bb) for (e, eb), (bW, bb) in zip(fd_error, gradient_error_bound(net, params, X, Y))]
    assert_gradients_close(gradients(net, params, X, Y, formulation=formulation), fd, bound,
                           impl=f"reference.{formulation}", check="finite_differences.full",
                           context=problem.describe())


def test_scalar_formulation_matches_finite_differences_on_a_chain():
    net = Network([1, 1, 1, 1])
    rng = np.random.default_rng(5)
    params, X, Y = net.init(rng), rng.standard_normal((1, 6)), rng.random((1, 6))
    got = flatten(gradients(net, params, X, Y, formulation="scalar"))
    assert np.allclose(got, flatten(numerical_gradient(net, params, X, Y, method="richardson")),
                       rtol=1e-9, atol=1e-12)


def test_finite_differences_catch_a_one_percent_error_in_one_entry():
    net = Network([2, 3, 1])
    rng = np.random.default_rng(2)
    params, X, Y = net.init(rng), rng.standard_normal((2, 4)), rng.random((1, 4))
    fd, fd_error = numerical_gradient_with_error(net, params, X, Y)
    wrong = gradients(net, params, X, Y)
    wrong[0][0][1, 0] *= 1.01
    with pytest.raises(AssertionError, match=r"layer 1, dC/dW\^1\[1, 0\]"):
        assert_gradients_close(wrong, fd, fd_error, impl="deliberately-wrong", check="finite_differences.full")
