"""network.py as the last document quotes it (reference.documents.networkpy): N(0, 1)
weights and biases drawn from the seed given, weights first, and ``feedforward`` is
a^L of a sigmoid network with (n, 1) biases."""
import numpy as np

from reference import Network, forward
from reference.documents.networkpy import NielsenNetwork


def test_random_initialisation_draws_weights_then_biases_from_the_seed_given():
    nn = NielsenNetwork([2, 3, 1], rng=5)
    gen = np.random.default_rng(5)
    W = [gen.standard_normal((3, 2)), gen.standard_normal((1, 3))]
    b = [gen.standard_normal((3, 1)), gen.standard_normal((1, 1))]
    assert nn.sizes == [2, 3, 1] and nn.num_layers == 3
    assert all(np.array_equal(x, y) for x, y in zip(nn.weights, W))
    assert all(np.array_equal(x, y) for x, y in zip(nn.biases, b))
    default = NielsenNetwork([2, 3, 1])
    assert np.array_equal(default.weights[0], np.random.default_rng(0).standard_normal((3, 2)))


def test_feedforward_is_the_sigmoid_networks_output_for_a_column_input():
    net = Network([2, 3, 2])
    params = net.init(4)
    params = [(W, np.linspace(-1.0, 1.0, W.shape[0])) for W, _ in params]
    nn = NielsenNetwork([2, 3, 2], [W for W, _ in params], [b.reshape(-1, 1) for _, b in params])
    X = np.array([[0.5, -2.0, 1.5], [1.0, 0.25, -0.75]])
    for i in range(3):
        out = nn.feedforward(X[:, i:i + 1])
        assert out.shape == (2, 1)
        np.testing.assert_allclose(out[:, 0], forward(net, params, X).a(2)[:, i], rtol=1e-14)


def test_given_weights_and_biases_are_kept_as_float64_copies():
    W, b = [[[1, 2]], ], [[[0]]]
    nn = NielsenNetwork([2, 1], W, b)
    assert nn.weights[0].dtype == nn.biases[0].dtype == np.float64
    assert nn.weights[0].tolist() == [[1.0, 2.0]] and nn.biases[0].tolist() == [[0.0]]


def test_backprop_of_a_two_layer_network_is_the_per_sample_gradient():
    """(nabla_b, nabla_w) of C_x = 1/2 ||a - y||^2 for one column, as the reference computes it."""
    from reference import gradients
    net = Network([2, 3, 1])
    params = net.init(6)
    nn = NielsenNetwork([2, 3, 1], [W for W, _ in params], [b.reshape(-1, 1) for _, b in params])
    x, y = np.array([[0.3], [-1.2]]), np.array([[0.8]])
    nabla_b, nabla_w = nn.backprop(x, y)
    for (gW, gb), nw, nb in zip(gradients(net, params, x, y), nabla_w, nabla_b):
        np.testing.assert_allclose(nw, gW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(nb[:, 0], gb, rtol=1e-12, atol=1e-15)
