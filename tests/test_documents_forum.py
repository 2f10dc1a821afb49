"""Forum question: ``initialize(3, 4, 4, 2, 5)`` and its ``backward``, against the reference.

The forum's code is ``impls/doc2_forum_forward_backward.py``: verbatim except for the random
source (``initialize`` takes a seed or a ``numpy.random.Generator``; ``standard_normal`` for
``np.random.randn``, ``random`` for ``np.random.rand``, drawn in the same order).
"""
import numpy as np
import pytest

from reference import Network, gradients, loss
from reference import forward as reference_forward
from reference.documents import forum
from reference.examples import CHECKS, run_check
from reference.training import reference_grad_fn

# The forum's code, verbatim but for the seeded random source, lives in impls/ as the
# implementation under test; these tests use that one copy.
from impls.doc2_forum_forward_backward import backward, forward, initialize, squared_loss

# ---- tests ---------------------------------------------------------------------------------------


NET = Network([3, 4, 4, 2], output="identity")
EPS = np.finfo(np.float64).eps


def _forum_run(seed):
    parameters, X, Y = initialize(input_dim=3, hidden1_dim=4, hidden2_dim=4, output_dim=2, batch_size=5,
                                  rng=np.random.default_rng(seed))
    activations = forward(parameters, X)
    grads = backward(activations, Y, parameters)
    return parameters, X, Y, activations, grads


def test_the_forums_network_is_3_4_4_2_with_a_linear_output_and_the_reference_loss():
    """Forum: ``outputs = W3 @ hid_2 + b3[:, np.newaxis]`` (no sigmoid at the output) and
    ``squared_loss = np.mean(0.5 * np.linalg.norm(predictions - targets, axis=0, ord=2)**2)``,
    which is C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2."""
    parameters, X, Y, activations, _ = _forum_run(0)
    params = forum.as_pairs(parameters)
    fp = reference_forward(NET, params, X)
    for ours, theirs in zip(fp.activations, activations):
        np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=1e-17)
    assert squared_loss(activations[-1], Y) == pytest.approx(loss(NET, params, X, Y), rel=1e-15)


def test_every_gradient_of_initialize_3_4_4_2_5_has_its_parameters_shape():
    """Forum: ``parameters, X, Y = initialize(input_dim=3, hidden1_dim=4, hidden2_dim=4, output_dim=2,
    batch_size=5)``; ``grads = backward(activations, Y, parameters)`` -> dW1 (4,3), db1 (4,), dW2 (4,4),
    db2 (4,), dW3 (2,4), db3 (2,), from the reference and from the forum's backward alike."""
    parameters, X, Y, _, grads = _forum_run(0)
    expected = [(4, 3), (4,), (4, 4), (4,), (2, 4), (2,)]
    assert [g.shape for g in grads] == expected
    for formulation in ("per_neuron", "per_sample", "batched_tensor", "batched_matrix"):
        nabla = gradients(NET, forum.as_pairs(parameters), X, Y, formulation=formulation)
        assert [a.shape for pair in nabla for a in pair] == expected
    result = run_check("forum.gradient_shapes")
    assert result.passed, result


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("formulation", ["per_neuron", "per_sample", "batched_tensor", "batched_matrix"])
def test_the_forums_backward_agrees_with_every_reference_formulation(formulation, seed):
    """Forum: ``It should return the gradients for each parameter with respect to the loss function.``
    Its hand-derived backward (e.g. ``np.dot(W3.T, dL_dPredictions)`` -- "where you switch the order and
    transpose the matrix") equals BP1-BP4 within 2^10 eps of each array's largest entry (measured: a
    few eps)."""
    parameters, X, Y, _, grads = _forum_run(seed)
    nabla = gradients(NET, forum.as_pairs(parameters), X, Y, formulation=formulation)
    for l, ((dW, db), theirs_W, theirs_b) in enumerate(zip(nabla, grads[0::2], grads[1::2]), start=1):
        for ours, theirs in ((dW, theirs_W), (db, theirs_b)):
            assert np.max(np.abs(ours - theirs)) <= forum.AGREEMENT_ULPS * EPS * np.max(np.abs(theirs)), \
                f"layer {l}: {ours} vs the forum's {theirs}"


def test_initialize_draws_in_the_forums_order_from_the_generator_given():
    """Forum: ``W1 = np.random.randn(hidden1_dim, input_dim) * 0.01``, ``b1 = np.zeros(...)``, then W2,
    W3 likewise, then ``x = np.random.rand(input_dim, batch_size)``, ``y = np.random.randn(output_dim,
    batch_size)``: the same draws, in that order, from the seeded Generator."""
    parameters, x, y = initialize(3, 4, 4, 2, 5, rng=7)
    gen = np.random.default_rng(7)
    expected = [gen.standard_normal((4, 3)) * 0.01, np.zeros(4), gen.standard_normal((4, 4)) * 0.01,
                np.zeros(4), gen.standard_normal((2, 4)) * 0.01, np.zeros(2)]
    for got, want in zip(parameters + [x, y], expected + [gen.random((3, 5)), gen.standard_normal((2, 5))]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("formulation", ["per_neuron", "per_sample", "batched_tensor", "batched_matrix"])
def test_the_forum_agreement_check_passes_for_every_formulation(formulation):
    result = run_check("forum.agrees_with_reference", grad_fn=reference_grad_fn(NET, formulation))
    assert result.passed, result
    assert result.figures["max_relative_error"] <= 1e-14


def test_the_forum_checks_fail_for_a_backward_without_the_division_by_the_batch_size():
    """Forum: ``deriv_squared_loss = (predictions - targets) / targets.shape[-1]`` -- drop the
    ``/ targets.shape[-1]`` and every gradient is 5 times too large (relative error 4)."""
    def forum_without_mean(params, X, Y):
        parameters = [a for pair in params for a in pair]
        g = backward(forward(parameters, X), Y, parameters)
        return [(g[0] * 5, g[1] * 5), (g[2] * 5, g[3] * 5), (g[4] * 5, g[5] * 5)]

    result = run_check("forum.agrees_with_reference", grad_fn=forum_without_mean)
    assert not result.passed and result.figures["max_relative_error"] == pytest.approx(4.0, rel=1e-12)


def test_the_forum_checks_pass_for_the_forums_own_backward_and_fail_for_a_transposed_one():
    """The forum's backward, wrapped as a grad_fn, passes both checks; one returning dW3 transposed
    fails the shape check."""
    def forum_grad_fn(params, X, Y):
        parameters = [a for pair in params for a in pair]
        return forum.as_pairs(backward(forward(parameters, X), Y, parameters))

    assert run_check("forum.gradient_shapes", grad_fn=forum_grad_fn).passed
    assert run_check("forum.agrees_with_reference", grad_fn=forum_grad_fn).passed
    def transposed(params, X, Y):
        nabla = forum_grad_fn(params, X, Y)
        return nabla[:2] + [(nabla[2][0].T, nabla[2][1])]

    result = run_check("forum.gradient_shapes", grad_fn=transposed)
    assert not result.passed and result.figures["shapes"][2][0] == [4, 2]
    assert not run_check("forum.agrees_with_reference", grad_fn=transposed).passed
    assert CHECKS["forum.gradient_shapes"].network == NET
