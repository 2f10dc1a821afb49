"""The fast path (batched_matrix) does its elementwise work in row blocks of about
``BLOCK`` entries and maps exp overflow at z < -709 to sigma = sigma' = 0: large layers
give the gradients of the other formulations, and no floating-point warning or error
escapes, even with every warning turned into an error."""
import warnings

import numpy as np
import pytest

from conformance.core.assertions import assert_gradients_close
from reference import FORMULATIONS, Network, forward, gradients, sigmoid_prime
from reference.batched_matrix import BLOCK, feedforward
from reference.error_model import gradient_error_bound


@pytest.mark.parametrize("sizes, N", [([2, 300, 1], 300), ([1, 2, 1], BLOCK + 7)],
                         ids=["rows-of-a-wide-layer", "one-row-blocks-of-a-long-batch"])
def test_blocked_activations_and_slopes_are_sigma_and_sigma_prime_of_z(sizes, N):
    """Every row of every block is computed once: a^l = sigma(z^l), sigma'(z^l) as the
    shared forward pass has them, to a few units in the last place."""
    net = Network(sizes)
    assert max(sizes[1:]) * N > BLOCK
    rng = np.random.default_rng(13)
    params, X = net.init(rng), 3 * rng.standard_normal((sizes[0], N))
    activations, sigma_primes = feedforward(net, params, X)
    fp = forward(net, params, X)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(activations[l], fp.a(l), rtol=1e-14, atol=0, err_msg=f"a^{l}")
        np.testing.assert_allclose(sigma_primes[l - 1], sigmoid_prime(fp.z(l)), rtol=1e-13, atol=0,
                                   err_msg=f"sigma'(z^{l})")


def test_a_layer_larger_than_a_block_gives_the_per_sample_gradients():
    net, N = Network([2, 300, 1]), 300
    rng = np.random.default_rng(14)
    params, X, Y = net.init(rng), rng.standard_normal((2, N)), rng.random((1, N))
    got = gradients(net, params, X, Y, formulation="batched_matrix")
    expected = gradients(net, params, X, Y, formulation="per_sample")
    bound = [(2 * bW, 2 * bb) for bW, bb in gradient_error_bound(net, params, X, Y)]
    assert_gradients_close(got, expected, bound, impl="reference.batched_matrix", check="blocks")


@pytest.mark.parametrize("formulation", sorted(set(FORMULATIONS) - {"scalar"}))
def test_pre_activations_beyond_709_raise_no_floating_point_warning(formulation):
    net = Network([2, 3, 1])
    params = [(np.array([[800.0, 0.0], [-800.0, 0.0], [1.0, 1.0]]), np.zeros(3)),
              (np.array([[1000.0, -1000.0, 1.0]]), np.array([0.5]))]
    X, Y = np.array([[1.0, -1.0], [0.5, 0.25]]), np.array([[1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            grads = gradients(net, params, X, Y, formulation=formulation)
    assert all(np.all(np.isfinite(g)) for pair in grads for g in pair)
