"""Single-point assertions for a notebook or one suspicious batch: no Hypothesis, the same finding text."""
import numpy as np
import pytest

from conformance import assert_gradient, assert_gradients_close
from conformance.testing import backprop
from reference import Network, gradients


def rows_in_out_sum(params, X, Y, *, bias_over_n=False):
    acts = [X]
    for W, b in params:
        acts.append(1 / (1 + np.exp(-(acts[-1] @ W + b))))
    delta, grads = (acts[-1] - Y) * acts[-1] * (1 - acts[-1]), []
    for l in range(len(params), 0, -1):
        grads.insert(0, (acts[l - 1].T @ delta, delta.sum(axis=0) / (X.shape[0] if bias_over_n else 1)))
        delta = (delta @ params[l - 1][0].T) * acts[l - 1] * (1 - acts[l - 1])
    return grads


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((3, 4)), rng.standard_normal(4)), (rng.standard_normal((4, 2)), rng.standard_normal(2))]
    return params, rng.standard_normal((5, 3)), rng.uniform(size=(5, 2))


def test_a_right_gradient_in_its_own_conventions_passes(problem):
    assert_gradient(rows_in_out_sum, *problem, samples="rows", weights="in_out", reduction="sum")


def test_a_wrong_one_raises_with_the_finding_text_in_the_users_layout(problem):
    with pytest.raises(AssertionError) as info:
        assert_gradient(lambda *a: rows_in_out_sum(*a, bias_over_n=True), *problem, samples="rows",
                        weights="in_out", reduction="sum", name="mine")
    text = str(info.value)
    assert text.startswith("[mine] reference.agreement:") and "cause:    averaged_twice" in text
    assert "grads[1][1][0] (your dC/db for layer 2" in text and "(the problem given)" in text
    assert "----8<----" in text and "Rerun just this check" not in text


def test_the_directional_check_runs_on_the_same_problem():
    rng = np.random.default_rng(1)
    net = Network([2, 3, 1])
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    X, Y = rng.standard_normal((2, 4)), rng.uniform(size=(1, 4))
    assert_gradient(backprop(None), params, X, Y)
    with pytest.raises(AssertionError, match="sign_flipped"):
        assert_gradient(backprop("sign"), params, X, Y)


def test_bad_input_names_the_array_the_shape_expected_and_given(problem):
    params, X, Y = problem
    with pytest.raises(ValueError, match=r"X has shape \(5, 2\); expected \(N, 3\) \(samples as rows\)"):
        assert_gradient(rows_in_out_sum, params, X[:, :2], Y, samples="rows", weights="in_out")
    with pytest.raises(ValueError, match="params must be a non-empty list"):
        assert_gradient(rows_in_out_sum, np.zeros(3), X, Y)


def test_gradients_close_with_the_error_model_or_a_relative_bound():
    rng = np.random.default_rng(2)
    net = Network([3, 2])
    params = [(rng.standard_normal((2, 3)), rng.standard_normal(2))]
    X, Y = rng.standard_normal((3, 4)), rng.uniform(size=(2, 4))
    g = gradients(net, params, X, Y)
    assert_gradients_close(g, g, params=params, X=X, Y=Y)
    assert_gradients_close([(W * (1 + 1e-15), b) for W, b in g], g)
    assert_gradients_close([(W.astype(np.float32), b.astype(np.float32)) for W, b in g], g, dtype="float32")
    with pytest.raises(AssertionError, match=r"layer 1, dC/dW\^1\[0, 0\]"):
        assert_gradients_close([(W * 1.001, b) for W, b in g], g, params=params, X=X, Y=Y)
    with pytest.raises(AssertionError, match="has shape"):
        assert_gradients_close([(W.T, b) for W, b in g], g)


def relu_softmax_no_bias(params, X, Y, *, decay=0.01, jacobian=True):
    """ReLU hidden layers, softmax + cross-entropy, no biases, L2 decay lambda W: samples as columns."""
    acts, zs = [X], []
    for l, W in enumerate(params, start=1):
        zs.append(W @ acts[-1])
        acts.append(np.maximum(zs[-1], 0) if l < len(params) else zs[-1])
    e = np.exp(zs[-1] - zs[-1].max(axis=0))
    a = e / e.sum(axis=0)
    delta, N, grads = (a - Y) if jacobian else (a - Y) * a * (1 - a), X.shape[1], []
    for l in range(len(params), 0, -1):
        grads.insert(0, delta @ acts[l - 1].T / N + decay * params[l - 1])
        if l > 1:
            delta = (params[l - 1].T @ delta) * (zs[l - 2] > 0)
    return grads


def test_the_declared_model_is_asserted_too_relu_softmax_cross_entropy_l2_without_biases():
    rng = np.random.default_rng(3)
    params = [rng.standard_normal((4, 3)), rng.standard_normal((3, 4))]
    X, Y = rng.standard_normal((3, 6)), np.eye(3)[:, rng.integers(0, 3, 6)]
    model = dict(hidden="relu", output="softmax", loss_kind="categorical_cross_entropy", l2=0.01, bias="none")
    assert_gradient(relu_softmax_no_bias, params, X, Y, **model)
    with pytest.raises(AssertionError) as info:
        assert_gradient(lambda *a: relu_softmax_no_bias(*a, jacobian=False), params, X, Y, name="mine", **model)
    assert "[mine] reference.agreement:" in str(info.value) and "cause:    cross_entropy_sigma_prime" in str(info.value)
