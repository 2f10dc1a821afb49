"""The training example beyond the documents: ReLU + softmax + cross-entropy on MNIST's shape."""
import numpy as np

from reference.datasets import IMAGE_SIDE, digits_like
from reference.examples import main, run_check
from reference.model_examples import DIGITS_NETWORK, digits_relu_softmax
from reference.gradients import gradients


def test_digits_like_has_mnists_shape_pixels_in_0_1_and_one_hot_labels():
    X, Y = digits_like(50, rng=3)
    assert X.shape == (IMAGE_SIDE * IMAGE_SIDE, 50) and Y.shape == (10, 50)
    assert X.min() >= 0.0 and X.max() <= 1.0 and np.all(Y.sum(axis=0) == 1.0)
    X2, Y2 = digits_like(50, rng=3)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)


def test_the_reference_learns_the_digits_and_its_gradient_agrees_with_the_loss():
    result = run_check("models.digits_relu_softmax")
    assert result.passed, result
    assert result.figures["accuracy"] >= 0.9
    assert result.figures["epoch_losses"][-1] < result.figures["epoch_losses"][0] / 4


def test_a_gradient_with_only_the_softmax_jacobians_diagonal_fails_the_example():
    """delta^L = a (1 - a) (-y / a) = -(1 - a) y (the softmax treated as elementwise): the gradient disagrees
    with the loss from the first step."""
    def diagonal_only(params, X, Y):
        grads = gradients(DIGITS_NETWORK, params, X, Y)
        W, b = params[-1]
        a1 = np.maximum(params[0][0] @ X + params[0][1][:, None], 0.0)
        z = W @ a1 + b[:, None]
        a = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
        delta = -(1 - a) * Y
        grads[-1] = (delta @ a1.T / X.shape[1], delta.mean(axis=1))
        return grads
    result = digits_relu_softmax(grad_fn=diagonal_only, epochs=1)
    assert not result.passed and not result.figures["gradient_agrees_before"]


def test_the_command_runs_the_model_examples(capsys):
    assert main(["--models"]) == 0
    out = capsys.readouterr().out
    assert "PASS models.digits_relu_softmax" in out and "0 of 1 checks failed" in out
