"""theta, the flat parameter vector: W^1 row-major, b^1, W^2, b^2, ... in float64, and
``param_index`` names every flat position in the documents' terms (layer, "W"/"b", index)."""
import numpy as np
import pytest

from reference import Network
from reference.params import flatten, param_index, param_slices, unflatten, zeros_like_params

NET = Network([3, 2, 1])


def test_param_index_names_every_flat_position_in_theta_order():
    expected = ([(1, "W", (j, k)) for j in range(2) for k in range(3)] + [(1, "b", (j,)) for j in range(2)]
                + [(2, "W", (0, k)) for k in range(2)] + [(2, "b", (0,))])
    assert [param_index(NET, i) for i in range(NET.n_params)] == expected


def test_param_index_points_at_the_entry_flatten_put_there():
    params = [(np.arange(6.0).reshape(2, 3), np.array([10.0, 11.0])), (np.array([[20.0, 21.0]]), np.array([30.0]))]
    theta = flatten(params)
    for i in range(NET.n_params):
        l, name, index = param_index(NET, i)
        assert params[l - 1][0 if name == "W" else 1][index] == theta[i]


@pytest.mark.parametrize("i", [-1, 11, 100])
def test_a_flat_index_out_of_range_is_refused_naming_the_range(i):
    with pytest.raises(ValueError, match=rf"flat index {i} out of range 0\.\.10 for Network\(\[3, 2, 1\]\)"):
        param_index(NET, i)


def test_param_slices_tile_theta_in_order_with_the_array_shapes():
    got = [(l, name, (s.start, s.stop), shape) for l, name, s, shape in param_slices(NET)]
    assert got == [(1, "W", (0, 6), (2, 3)), (1, "b", (6, 8), (2,)), (2, "W", (8, 10), (1, 2)), (2, "b", (10, 11), (1,))]


def test_integer_parameters_flatten_and_unflatten_to_float64():
    params = [(np.ones((2, 3), dtype=int), np.zeros(2, dtype=int)), (np.ones((1, 2), dtype=int), np.ones(1, dtype=int))]
    theta = flatten(params)
    assert theta.dtype == np.float64 and theta.shape == (NET.n_params,)
    back = unflatten(NET, np.arange(NET.n_params))
    assert all(W.dtype == np.float64 and b.dtype == np.float64 for W, b in back)
    assert np.array_equal(flatten(back), np.arange(NET.n_params, dtype=float))


def test_flatten_returns_float64_even_for_extended_precision_parameters():
    """theta is float64 whatever the parameters' dtype (long double where the platform has it)."""
    params = [(np.ones((2, 3), dtype=np.longdouble), np.zeros(2, dtype=np.longdouble)),
              (np.ones((1, 2), dtype=np.longdouble), np.ones(1, dtype=np.longdouble))]
    assert flatten(params).dtype == np.float64
    mixed = [(np.ones((2, 3)), np.zeros(2, dtype=np.longdouble)), (np.ones((1, 2), dtype=np.longdouble), np.ones(1))]
    assert flatten(mixed).dtype == np.float64


def test_unflatten_refuses_a_theta_of_the_wrong_length_naming_both_shapes():
    with pytest.raises(ValueError, match=r"theta has shape \(10,\); expected \(11,\) for Network\(\[3, 2, 1\]\)"):
        unflatten(NET, np.zeros(10))


def test_zeros_like_params_gives_fresh_zero_arrays_in_the_parameter_shapes():
    zeros = zeros_like_params(NET)
    assert [(W.shape, b.shape) for W, b in zeros] == [((2, 3), (2,)), ((1, 2), (1,))]
    assert all(W.dtype == np.float64 and not W.any() and not b.any() for W, b in zeros)
    zeros[0][0][0, 0] = 1.0
    assert not zeros_like_params(NET)[0][0].any()
