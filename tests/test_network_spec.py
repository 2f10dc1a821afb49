"""Network(layer_sizes, output) and Network.init(rng): the spec and the He initialisation."""
import numpy as np
import pytest

from reference import Network


@pytest.mark.parametrize("sizes, named", [
    ([3], "[3]"), ([], "[]"), ([2, 0, 1], "layer_sizes[1] must be at least 1, got 0"),
    ([2, -1], "got -1"), ([2, 2.5, 1], "2.5"), ([2, "3", 1], "'3'"), ([2, True], "True"),
    ("21", "'21'"), (None, "None"),
])
def test_bad_layer_sizes_raise_value_error_naming_the_bad_value(sizes, named):
    with pytest.raises(ValueError, match=None) as info:
        Network(sizes)
    assert named in str(info.value)


def test_unknown_output_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="'softmax'"):
        Network([2, 1], output="softmax")


def test_numpy_integer_sizes_are_accepted_and_stored_as_ints():
    net = Network(np.array([2, 3, 1]))
    assert net.layer_sizes == (2, 3, 1) and all(type(n) is int for n in net.layer_sizes)
    assert net.L == 2 and net.n(0) == 2 and net.n(2) == 1


def test_weight_and_bias_shapes_follow_w_l_is_n_l_by_n_l_minus_1():
    net = Network([2, 4, 3, 1])
    assert [net.weight_shape(l) for l in (1, 2, 3)] == [(4, 2), (3, 4), (1, 3)]
    assert [net.bias_shape(l) for l in (1, 2, 3)] == [(4,), (3,), (1,)]
    assert net.n_params == 4 * 3 + 3 * 5 + 1 * 4
    with pytest.raises(ValueError, match="weight layer 0 out of range 1..3"):
        net.weight_shape(0)


def test_init_draws_he_values_from_the_generator_passed_in():
    net = Network([400, 300, 1])
    params = net.init(np.random.default_rng(7))
    (W1, b1), (W2, b2) = params
    assert W1.shape == (300, 400) and b1.shape == (300,) and W1.dtype == np.float64
    assert np.all(b1 == 0) and np.all(b2 == 0)
    # He: Var(W^l) = 2 / n_{l-1}; 120,000 draws give the variance to about 0.5%.
    assert W1.var() == pytest.approx(2 / 400, rel=0.03)
    assert abs(W1.mean()) < 0.01


def test_init_is_deterministic_given_a_seed_and_independent_of_global_state():
    net = Network([2, 4, 3, 1])
    np.random.seed(1)
    first = net.init(123)
    np.random.seed(2)
    second = net.init(np.random.default_rng(123))
    for (W, b), (W2, b2) in zip(first, second):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)


def test_init_refuses_anything_but_a_generator_or_integer_seed():
    with pytest.raises(TypeError, match="Generator or an integer seed"):
        Network([2, 1]).init(None)
