"""a^l = sigma(z^l) in float64 whatever the input dtype; at an identity output layer
a^L = z^L (a new array) and sigma'(z^L) is replaced by ones, and the gradients stay float64."""
import numpy as np
import pytest

from reference import FORMULATIONS, Network, gradients, sigmoid, sigmoid_prime
from reference.forward import activation, activation_prime


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("f", [sigmoid, sigmoid_prime])
def test_sigma_and_sigma_prime_evaluate_lower_precision_input_in_float64(f, dtype):
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=dtype)
    out = f(z)
    assert out.dtype == np.float64
    assert np.array_equal(out, f(z.astype(np.float64)))


def test_identity_output_layer_passes_z_through_as_a_new_array_with_slope_one():
    net = Network([2, 3, 2], output="identity")
    z = np.array([[-800.0, 0.5], [2.0, 900.0]])
    a = activation(net, net.L, z)
    assert np.array_equal(a, z) and not np.shares_memory(a, z)
    slope = activation_prime(net, net.L, z)
    assert slope.dtype == np.float64 and slope.shape == z.shape and np.all(slope == 1.0)
    # hidden layers of the same network stay sigmoid
    assert np.array_equal(activation(net, 1, z), sigmoid(z))
    assert np.array_equal(activation_prime(net, 1, z), sigmoid_prime(z))


@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_identity_output_gradients_are_float64_arrays_in_the_parameter_shapes(formulation):
    net = Network([1, 1, 1], output="identity") if formulation == "scalar" else Network([3, 4, 2], output="identity")
    rng = np.random.default_rng(8)
    params = net.init(rng)
    X, Y = rng.standard_normal((net.n(0), 3)), rng.standard_normal((net.n(net.L), 3))
    for (gW, gb), (W, b) in zip(gradients(net, params, X, Y, formulation=formulation), params):
        assert gW.dtype == np.float64 and gb.dtype == np.float64
        assert gW.shape == W.shape and gb.shape == b.shape
