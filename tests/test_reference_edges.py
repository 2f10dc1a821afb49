"""Explicit examples for the edges: N = 1, width-1 layers, a single layer, |z| beyond 800."""
import mpmath
import numpy as np
import pytest

from reference import FORMULATIONS, Network, forward, gradients, loss
from reference.error_model import gradient_error_bound
from conformance.core.assertions import assert_gradients_close

ALL_WIDE = sorted(set(FORMULATIONS) - {"scalar"})


def _exact_single_layer_gradient(W, b, X, Y, output="sigmoid"):
    """dC/dW, dC/db of Network([n_0, 1]) straight from the chain rule in 60-digit arithmetic."""
    with mpmath.workdps(60):
        N = X.shape[1]
        gW = [mpmath.mpf(0)] * X.shape[0]
        gb = mpmath.mpf(0)
        for i in range(N):
            z = sum(mpmath.mpf(W[0, k]) * mpmath.mpf(X[k, i]) for k in range(X.shape[0])) + mpmath.mpf(b[0])
            if output == "sigmoid":
                e = mpmath.exp(-abs(z))
                a = 1 / (1 + mpmath.exp(-z))
                slope = e / (1 + e) ** 2
            else:
                a, slope = z, mpmath.mpf(1)
            delta = (a - mpmath.mpf(Y[0, i])) * slope
            gb += delta / N
            gW = [g + delta * mpmath.mpf(X[k, i]) / N for k, g in enumerate(gW)]
        return np.array([[float(g) for g in gW]]), np.array([float(gb)])


@pytest.mark.parametrize("formulation", ALL_WIDE)
@pytest.mark.parametrize("z_scale", [1.0, 30.0, 400.0, 900.0, -900.0, 1e4])
def test_single_layer_gradient_is_finite_and_right_for_large_pre_activations(formulation, z_scale):
    """[2,1] as in the OR/AND examples, with |z| up to 2e4: finite, and equal to the
    60-digit chain-rule value within float64 rounding."""
    net = Network([2, 1])
    W, b = np.array([[z_scale, 0.5 * z_scale]]), np.array([0.25 * z_scale])
    X = np.array([[1.0, -1.0, 0.5, 0.0], [1.0, 0.25, -2.0, 0.0]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    (gW, gb), = gradients(net, [(W, b)], X, Y, formulation=formulation)
    assert np.all(np.isfinite(gW)) and np.all(np.isfinite(gb))
    eW, eb = _exact_single_layer_gradient(W, b, X, Y)
    (bW, bb), = gradient_error_bound(net, [(W, b)], X, Y)
    assert_gradients_close([(gW, gb)], [(eW, eb)], [(bW, bb)], impl=f"reference.{formulation}",
                           check="edges.large_z", context=f"z scale {z_scale}")


@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_hidden_units_beyond_z_800_pass_no_gradient_and_stay_finite(formulation):
    """sigma'(z) underflows to exactly 0 beyond |z| = 745, so delta^1 is 0 there."""
    net = Network([1, 1, 1], output="identity")
    params = [(np.array([[1000.0]]), np.array([0.0])), (np.array([[2.0]]), np.array([0.5]))]
    X, Y = np.array([[0.9, -0.85, 1.0]]), np.array([[1.0, 2.0, -1.0]])
    (gW1, gb1), (gW2, gb2) = gradients(net, params, X, Y, formulation=formulation)
    assert gW1[0, 0] == 0.0 and gb1[0] == 0.0
    a1 = np.array([1.0, 0.0, 1.0])
    r = 2.0 * a1 + 0.5 - Y[0]
    assert gW2[0, 0] == pytest.approx(np.mean(r * a1), rel=1e-15)
    assert gb2[0] == pytest.approx(np.mean(r), rel=1e-15)


@pytest.mark.parametrize("formulation", ALL_WIDE)
def test_batch_of_one_gives_the_per_sample_gradient(formulation):
    net = Network([3, 4, 2])
    rng = np.random.default_rng(11)
    params, X, Y = net.init(rng), rng.standard_normal((3, 1)), rng.random((2, 1))
    exact = gradients(net, params, X, Y, formulation="per_neuron")
    got = gradients(net, params, X, Y, formulation=formulation)
    bound = [(2 * bW, 2 * bb) for bW, bb in gradient_error_bound(net, params, X, Y)]
    assert_gradients_close(got, exact, bound, impl=f"reference.{formulation}", check="edges.N1")


@pytest.mark.parametrize("formulation", ALL_WIDE)
def test_width_one_hidden_layer_between_wider_layers(formulation):
    net = Network([3, 1, 4, 1])
    rng = np.random.default_rng(12)
    params, X, Y = net.init(rng), rng.standard_normal((3, 5)), rng.random((1, 5))
    got = gradients(net, params, X, Y, formulation=formulation)
    exact = gradients(net, params, X, Y, formulation="per_neuron")
    bound = [(2 * bW, 2 * bb) for bW, bb in gradient_error_bound(net, params, X, Y)]
    assert_gradients_close(got, exact, bound, impl=f"reference.{formulation}", check="edges.width1")


def test_forward_returns_every_z_and_a_with_documented_shapes():
    """The last document's toy network [1,3,2,1] on 1000 points: activities (3,1000),
    (2,1000), (1,1000) and activations with the inputs first."""
    net = Network([1, 3, 2, 1])
    X = np.linspace(-5, 5, 1000).reshape(1, 1000)
    fp = forward(net, net.init(0), X)
    assert [z.shape for z in fp.zs] == [(3, 1000), (2, 1000), (1, 1000)]
    assert [a.shape for a in fp.activations] == [(1, 1000), (3, 1000), (2, 1000), (1, 1000)]
    assert fp.a(0) is not None and np.array_equal(fp.a(0), X) and fp.z(3) is fp.zs[2]
    with pytest.raises(ValueError, match="z\\^0 does not exist"):
        fp.z(0)


def test_loss_is_the_batch_mean_of_half_the_squared_error():
    net = Network([2, 2], output="identity")
    params = [(np.eye(2), np.zeros(2))]
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 2.0]])
    Y = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    # residuals per sample: (1,0) -> 1/2, (0,-2) -> 2, (2,2) -> 4; mean = 13/6
    assert loss(net, params, X, Y) == pytest.approx(13 / 6, rel=1e-15)
