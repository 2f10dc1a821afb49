"""Every reference formulation agrees with every other, within the written error model,
on Hypothesis-drawn networks (depth 1-4, widths 1-6, N 1-8, parameter scales 0.01-30)."""
import numpy as np
import pytest
from hypothesis import given

from conformance.core.assertions import assert_gradients_close
from conformance.core.strategies import chains, problems
from reference import FORMULATIONS, gradients
from reference.error_model import gradient_error_bound

WIDE = sorted(set(FORMULATIONS) - {"scalar", "batched_matrix"})


def _twice(bound):
    """Two correct float64 results differ by at most the sum of their bounds."""
    return [(2 * bW, 2 * bb) for bW, bb in bound]


@pytest.mark.parametrize("formulation", WIDE)
@given(problem=problems(max_depth=4, max_width=6, max_N=8))
def test_formulation_agrees_with_batched_matrix_within_float64_error_model(formulation, problem):
    net, params, X, Y = problem
    expected = gradients(net, params, X, Y, formulation="batched_matrix")
    got = gradients(net, params, X, Y, formulation=formulation)
    assert_gradients_close(got, expected, _twice(gradient_error_bound(net, params, X, Y)),
                           impl=f"reference.{formulation}", check="reference.agreement",
                           context=problem.describe())


@given(problem=chains(max_depth=4, max_N=8))
def test_scalar_formulation_agrees_on_width_one_chains(problem):
    net, params, X, Y = problem
    bound = _twice(gradient_error_bound(net, params, X, Y))
    expected = gradients(net, params, X, Y, formulation="batched_matrix")
    for formulation in FORMULATIONS:
        got = gradients(net, params, X, Y, formulation=formulation)
        assert_gradients_close(got, expected, bound, impl=f"reference.{formulation}",
                               check="reference.agreement", context=problem.describe())


@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_gradient_has_the_structure_and_dtype_of_the_parameters(formulation):
    from reference import Network
    net = Network([1, 1, 1]) if formulation == "scalar" else Network([3, 4, 2])
    rng = np.random.default_rng(3)
    params = net.init(rng)
    X, Y = rng.standard_normal((net.n(0), 5)), rng.random((net.n(net.L), 5))
    grads = gradients(net, params, X, Y, formulation=formulation)
    assert isinstance(grads, list) and len(grads) == net.L
    for (gW, gb), (W, b) in zip(grads, params):
        assert gW.shape == W.shape and gb.shape == b.shape
        assert gW.dtype == np.float64 and gb.dtype == np.float64
