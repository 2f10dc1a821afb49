"""Checks at the boundary: which array, which shape was expected, which was given."""
import numpy as np
import pytest

from reference import FORMULATIONS, Network, forward, gradients, loss
from reference.finite_differences import numerical_gradient

NET = Network([2, 3, 1])


def _good():
    rng = np.random.default_rng(0)
    return NET.init(rng), rng.standard_normal((2, 4)), rng.random((1, 4))


@pytest.mark.parametrize("layer, which, bad, expected, given", [
    (0, 0, np.zeros((2, 3)), "(3, 2)", "(2, 3)"),
    (0, 1, np.zeros((3, 1)), "(3,)", "(3, 1)"),
    (1, 0, np.zeros(3), "(1, 3)", "(3,)"),
    (1, 1, np.zeros((1, 1)), "(1,)", "(1, 1)"),
])
def test_wrong_parameter_shape_names_the_array_and_both_shapes(layer, which, bad, expected, given):
    params, X, Y = _good()
    params[layer] = (bad, params[layer][1]) if which == 0 else (params[layer][0], bad)
    name = f"{'Wb'[which]}^{layer + 1}"
    with pytest.raises(ValueError) as info:
        gradients(NET, params, X, Y)
    msg = str(info.value)
    assert name in msg and f"expected {expected}" in msg and f"shape {given}" in msg


@pytest.mark.parametrize("X, Y, fragment", [
    (np.zeros(2), np.zeros((1, 1)), "X has shape (2,); expected (2, N)"),
    (np.zeros((4, 2)), np.zeros((1, 2)), "X has shape (4, 2); expected (2, N)"),
    (np.zeros((2, 0)), np.zeros((1, 0)), "N >= 1"),
    (np.zeros((2, 4)), np.zeros((1, 3)), "Y has shape (1, 3); expected (1, 4)"),
    (np.zeros((2, 4)), np.zeros(4), "Y has shape (4,); expected (1, 4)"),
    (np.zeros((2, 4)), np.zeros((4, 1)), "Y has shape (4, 1); expected (1, 4)"),
])
def test_wrong_data_shape_is_refused_not_broadcast(X, Y, fragment):
    params, _, _ = _good()
    with pytest.raises(ValueError) as info:
        gradients(NET, params, X, Y)
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused_with_the_array_and_index(value):
    params, X, Y = _good()
    X = X.copy()
    X[1, 2] = value
    with pytest.raises(ValueError, match=r"X has a non-finite value .* at index \(1, 2\)"):
        loss(NET, params, X, Y)
    params, X, Y = _good()
    params[1][0][0, 1] = value
    with pytest.raises(ValueError, match=r"W\^2 .* non-finite value .* at index \(0, 1\)"):
        forward(NET, params, X)


def test_parameters_that_do_not_match_the_network_are_refused():
    params, X, Y = _good()
    with pytest.raises(ValueError, match="has 1 \\(W, b\\) pairs; expected 2"):
        gradients(NET, params[:1], X, Y)
    with pytest.raises(ValueError, match="must be a \\(W, b\\) pair"):
        gradients(NET, [params[0], params[1][0]], X, Y)
    with pytest.raises(ValueError, match="must be a list of \\(W, b\\) pairs"):
        gradients(NET, np.zeros(13), X, Y)
    with pytest.raises(ValueError, match="must hold real numbers"):
        gradients(NET, [(np.array([["a", "b"]] * 3), params[0][1]), params[1]], X, Y)


def test_unknown_formulation_lists_the_known_ones():
    params, X, Y = _good()
    with pytest.raises(ValueError, match="unknown formulation 'fast'.*batched_matrix"):
        gradients(NET, params, X, Y, formulation="fast")


def test_scalar_formulation_refuses_a_wider_network_saying_it_covers_width_one_chains():
    params, X, Y = _good()
    with pytest.raises(ValueError, match="width-1 chains only"):
        gradients(NET, params, X, Y, formulation="scalar")


def test_integer_inputs_are_converted_not_truncated():
    net = Network([2, 1])
    params = [(np.array([[1, 2]]), np.array([0]))]
    g = gradients(net, params, np.array([[0, 1], [1, 0]]), np.array([[1, 0]]))
    assert g[0][0].dtype == np.float64


@pytest.mark.parametrize("formulation", sorted(set(FORMULATIONS) - {"scalar"}))
def test_no_input_array_is_modified_by_any_formulation(formulation):
    """Inputs are frozen read-only: any in-place write would raise; values are compared too."""
    params, X, Y = _good()
    frozen = [(W.copy(), b.copy()) for W, b in params], X.copy(), Y.copy()
    for arr in [X, Y] + [a for pair in params for a in pair]:
        arr.setflags(write=False)
    gradients(NET, params, X, Y, formulation=formulation)
    forward(NET, params, X)
    loss(NET, params, X, Y)
    numerical_gradient(NET, params, X, Y)
    assert np.array_equal(X, frozen[1]) and np.array_equal(Y, frozen[2])
    for (W, b), (W0, b0) in zip(params, frozen[0]):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_gradients_are_new_arrays_not_views_of_the_inputs():
    params, X, Y = _good()
    for (gW, gb), (W, b) in zip(gradients(NET, params, X, Y), params):
        assert not np.shares_memory(gW, W) and not np.shares_memory(gb, b)
