"""Last document: toy shapes, its gradient-checking criterion, and per-example SGD vs network.py."""
import numpy as np
import pytest

from conformance.testing import backprop as broken_backprop
from reference import Network, forward
from reference.documents import last
from reference.examples import gradient_check_error, gradient_checking, run_check
from reference.training import reference_grad_fn, sgd

CIRCLES = Network([2, 3, 3, 1])


def sigma_prime_at_activation(net):
    """A broken gradient: sigma'(a^l) where BP1/BP2 need sigma'(z^l)."""
    return broken_backprop("sigma_prime_of_a")


def test_toy_network_activities_and_activations_have_the_printed_shapes():
    """Last document: ``print(activities[0].shape,activities[1].shape,activities[2].shape)`` ->
    ``(3, 1000) (2, 1000) (1, 1000)`` and the activations -> ``(1, 1000) (3, 1000) (2, 1000) (1, 1000)``
    ("We're calling our input our first activity, which is why there is one extra")."""
    X, _ = last.toy()
    params = [(np.ones(s), np.zeros(s[0])) for s in [(3, 1), (2, 3), (1, 2)]]
    fp = forward(last.TOY_NETWORK, params, X)
    assert [z.shape for z in fp.zs] == [(3, 1000), (2, 1000), (1, 1000)]
    assert [a.shape for a in fp.activations] == [(1, 1000), (3, 1000), (2, 1000), (1, 1000)]
    result = run_check("doc3.toy_shapes")
    assert result.passed, result
    flattened = lambda p, X_: ([z.ravel() for z in forward(last.TOY_NETWORK, p, X_).zs],
                               forward(last.TOY_NETWORK, p, X_).activations)
    assert not run_check("doc3.toy_shapes", forward_fn=flattened).passed     # (1000,) is not (1, 1000)


def test_the_single_sample_cost_is_the_documents_mse_of_one_output():
    """Last document: ``this network calculated: [0.76936505], giving us a cost of: 3.1306526667222374``
    with ``mse = np.mean((y_hat-y)**2)``: (a - y)^2 = 2 C for one sample, to the printed rounding."""
    result = run_check("doc3.toy_single_sample_cost")
    assert result.passed, result
    assert abs(result.figures["error"]) <= result.figures["bound"]


def test_gradient_checking_is_the_documents_relative_error():
    """Last document: ``grad_error = np.linalg.norm(diff_vec - grad_vec)/(np.linalg.norm(diff_vec) +
    np.linalg.norm(grad_vec))`` with ``diff_vec[p_index] = (cost_plus - cost_minus)/(2*epsilon)``.
    For C(theta) = 1/2 ||theta||^2 central differences are exact up to rounding (D = theta): the true
    gradient scores ~0, twice the gradient ||theta|| / (3 ||theta||) = 1/3, zero exactly 1."""
    theta = np.array([0.3, -1.2, 2.0])
    cost = lambda t: 0.5 * float(t @ t)
    assert gradient_checking(cost, theta, theta) < 1e-8
    assert gradient_checking(cost, theta, 2 * theta) == pytest.approx(1 / 3, rel=1e-7)
    assert gradient_checking(cost, theta, np.zeros(3)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("formulation", ["per_neuron", "per_sample", "batched_tensor", "batched_matrix"])
def test_every_formulation_is_numerically_verified_by_the_documents_criterion(formulation):
    """Last document: "we can choose epsilon = 10^{-7}, and expect this difference to be <10^{-7}. If so,
    we can call our backprop code: numerically verified"; ``(np.array(grad_errors) < epsilon).all()`` ->
    ``True``.  Checked on single-sample gradients along the circles SGD (measured max ~3.5e-9)."""
    result = run_check("doc3.gradient_checking", grad_fn=reference_grad_fn(CIRCLES, formulation))
    assert result.passed, result
    assert result.figures["checks"] == 100 and result.figures["max_error"] < 1e-8


def test_the_documents_criterion_fails_for_sigma_prime_taken_at_the_activation():
    """Last document: ``if grad_error > epsilon: print("Error in gradient calculation!")``.  A backprop
    that applies sigma' to a^l instead of z^l scores ~0.07 relative error: the check must fail."""
    broken = sigma_prime_at_activation(CIRCLES)
    X, Y, params = last.circles_data(0)
    x, y = X[:, :1], Y[:, :1]
    assert gradient_check_error(CIRCLES, params, x, y, broken(params, x, y)) > 1e-3
    assert gradient_check_error(CIRCLES, params, x, y, reference_grad_fn(CIRCLES)(params, x, y)) < 1e-7
    result = run_check("doc3.gradient_checking", grad_fn=broken)
    assert not result.passed and result.figures["max_error"] > 1e-3


def test_the_documents_initial_values_and_data():
    """Last document: ``W_1_init = np.random.rand(3,2)``, ``W_2_init = np.random.rand(3,3)``,
    ``W_3_init = np.random.randn(1,3)``, ``b_*_init = np.random.rand(n,1)``; ``make_circles(n_samples=1000,
    shuffle=False, factor=0.3, noise=0.1)`` -> ``shape of X: (1000, 2)`` (here (2, 1000))."""
    X, Y, params = last.circles_data(0)
    assert X.shape == (2, 1000) and Y.shape == (1, 1000)
    assert [(W.shape, b.shape) for W, b in params] == [((3, 2), (3,)), ((3, 3), (3,)), ((1, 3), (1,))]
    for W, b in params[:2]:
        assert np.all((W >= 0) & (W < 1)) and np.all((b >= 0) & (b < 1))
    again = last.circles_data(0)
    np.testing.assert_array_equal(again[0], X)
    np.testing.assert_array_equal(again[2][2][0], params[2][0])


def test_per_example_sgd_and_networkpy_end_with_the_same_weights():
    """Last document: ``net = Network([2,3,3,1],weights=[W_1_init, W_2_init, W_3_init], biases=[...])``,
    ``net.SGD(..., epochs, batch_size, eta)`` with ``batch_size = 50``, ``epochs = 10``, ``eta=1e-2`` ->
    ``[np.array_equal(i,j) for i,j in zip(weights,net.weights)]`` -> ``[True, True, True]``.

    The reference per_sample formulation drives mini-batch SGD (eta times the mean); network.py steps by
    eta/len(mini_batch) times the sum and uses 1/(1+exp(-z)) and sigma(z)(1 - sigma(z)).  Equal to float64
    rounding: measured max |difference| 6.9e-18 (one entry of W^2; all others bitwise equal), bound
    200 updates x 16 eps = 1.1e-12, while the weights moved by 0.079."""
    result = run_check("doc3.circles_per_example_vs_networkpy")
    assert result.passed, result
    assert result.figures["max_abs_difference"] <= 1e-15
    assert result.figures["max_change_from_initial"] > 0.01
    assert result.figures["updates"] == 200


@pytest.mark.parametrize("formulation", ["per_neuron", "batched_tensor", "batched_matrix"])
def test_batched_sgd_and_networkpy_end_with_the_same_weights(formulation):
    """Last document: after ``backprop_batch`` training, ``net.weights`` and ``weights`` print the same
    ``[array([[0.17686541, 0.16699819], ...``: the batched paths agree with network.py to rounding."""
    result = run_check("doc3.circles_batched_vs_networkpy", formulation=formulation)
    assert result.passed, result
    assert result.figures["max_abs_difference"] <= 1e-14


@pytest.mark.parametrize("broken", ["sigma_prime_at_activation", "summed", "first_update_skipped"])
def test_the_networkpy_comparison_fails_for_a_broken_implementation(broken):
    """A wrong sigma', a summed gradient (50x the step) or one update skipped leaves weights far from
    network.py's (differences ~1e-3 to 1e-1, against a bound of 1e-12)."""
    if broken == "sigma_prime_at_activation":
        result = run_check("doc3.circles_per_example_vs_networkpy", grad_fn=sigma_prime_at_activation(CIRCLES))
    elif broken == "summed":
        ref = reference_grad_fn(CIRCLES, "per_sample")
        result = run_check("doc3.circles_per_example_vs_networkpy",
                           grad_fn=lambda p, X, Y: [(dW * X.shape[1], db * X.shape[1]) for dW, db in ref(p, X, Y)])
    else:
        X, Y, params0 = last.circles_data(0)
        skip_first = lambda p, X_, Y_, eta: p if np.array_equal(p[0][0], params0[0][0]) else \
            sgd(CIRCLES, p, X_, Y_, eta=eta, epochs=1).params      # one full-batch step on the block
        result = run_check("doc3.circles_per_example_vs_networkpy", step_fn=skip_first)
    assert not result.passed
    assert result.figures["max_abs_difference"] > 1e-6
