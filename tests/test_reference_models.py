"""Issue 16 in the reference: every hidden activation, output, loss, L2 term and bias-free
network, in every formulation, agrees with finite differences of the loss; inconsistent
declarations are refused with a clear error; the default network is the documents' one."""
import itertools

import mpmath
import numpy as np
import pytest

from reference import FORMULATIONS, Network, gradients, loss
from reference.activations import leaky_relu_prime, relu_prime, tanh_prime
from reference.finite_differences import numerical_gradient_with_error
from reference.forward import forward
from reference.losses import data_loss, output_error, sample_losses

HIDDENS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
OUTPUT_LOSSES = (("sigmoid", "half_sse"), ("identity", "half_sse"), ("softmax", "half_sse"),
                 ("sigmoid", "binary_cross_entropy"), ("softmax", "categorical_cross_entropy"))


def point(net, seed=0, N=3):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(net.weight_shape(l)),
               rng.standard_normal(net.bias_shape(l)) if net.bias else np.zeros(net.n(l)))
              for l in range(1, net.L + 1)]
    X = rng.standard_normal((net.n(0), N))
    if net.output == "softmax":
        Y = np.eye(net.n(net.L))[:, rng.integers(0, net.n(net.L), N)]
    else:
        Y = rng.random((net.n(net.L), N))
    return params, X, Y


MODELS = [dict(hidden=h, output=o, loss=c) for h, (o, c) in itertools.product(HIDDENS, OUTPUT_LOSSES)]
MODELS += [dict(hidden="relu", output="softmax", loss="categorical_cross_entropy", l2=0.25, l2_bias=True),
           dict(hidden="tanh", output="sigmoid", loss="binary_cross_entropy", bias=False, l2=0.5),
           dict(hidden="leaky_relu", output="identity", loss="half_sse", slope=0.2, bias=False)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: "-".join(str(v) for v in m.values()))
@pytest.mark.parametrize("formulation", ["per_neuron", "per_sample", "batched_tensor", "batched_matrix"])
def test_every_formulation_matches_richardson_differences_for_every_model(model, formulation):
    net = Network([3, 4, 3], **{k: v for k, v in model.items() if k != "output"}, output=model["output"])
    params, X, Y = point(net, seed=len(str(model)))
    R, E = numerical_gradient_with_error(net, params, X, Y)
    got = gradients(net, params, X, Y, formulation=formulation)
    for l, ((gW, gb), (rW, rb), (eW, eb)) in enumerate(zip(got, R, E), start=1):
        assert np.all(np.abs(gW - rW) <= eW + 1e-12), f"layer {l} W: {gW - rW}"
        assert np.all(np.abs(gb - rb) <= eb + 1e-12), f"layer {l} b: {gb - rb}"


@pytest.mark.parametrize("model", [dict(hidden="tanh", loss="binary_cross_entropy", l2=0.5, l2_bias=True),
                                   dict(hidden="relu", output="identity", bias=False)])
def test_the_scalar_formulation_handles_width_one_chains_of_the_new_models(model):
    net = Network([1, 1, 1, 1], **model)
    params, X, Y = point(net, seed=4, N=4)
    expected = gradients(net, params, X, Y, formulation="batched_matrix")
    for (gW, gb), (eW, eb) in zip(gradients(net, params, X, Y, formulation="scalar"), expected):
        np.testing.assert_allclose(gW, eW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(gb, eb, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kwargs, words", [
    (dict(layer_sizes=[2, 1], output="softmax"), "at least two output units"),
    (dict(layer_sizes=[2, 2], output="identity", loss="binary_cross_entropy"), "needs output='sigmoid'"),
    (dict(layer_sizes=[2, 2], output="softmax", loss="binary_cross_entropy"), "categorical_cross_entropy"),
    (dict(layer_sizes=[2, 2], loss="categorical_cross_entropy"), "needs output='softmax'"),
    (dict(layer_sizes=[2, 2], output="identity", loss="categorical_cross_entropy"), "not a probability vector"),
    (dict(layer_sizes=[2, 2], hidden="swish"), "hidden must be one of"),
    (dict(layer_sizes=[2, 2], loss="hinge"), "loss must be one of"),
    (dict(layer_sizes=[2, 2], l2=-0.1), "l2 must be a finite number >= 0"),
    (dict(layer_sizes=[2, 2], l2=float("nan")), "l2 must be a finite number"),
    (dict(layer_sizes=[2, 2], bias=False, l2=0.1, l2_bias=True), "l2_bias=True needs biases"),
    (dict(layer_sizes=[2, 2], hidden="leaky_relu", slope=1.5), "slope must be a number in (0, 1)"),
    (dict(layer_sizes=[2, 2], hidden="relu", slope=0.2), "slope applies to hidden='leaky_relu' only"),
    (dict(layer_sizes=[2, 2], bias="no"), "bias must be True or False"),
])
def test_inconsistent_or_unknown_declarations_raise_a_value_error_saying_why(kwargs, words):
    sizes = kwargs.pop("layer_sizes")
    with pytest.raises(ValueError) as info:
        Network(sizes, **kwargs)
    assert words in str(info.value)


def test_the_default_network_is_the_documents_network_and_prints_as_before():
    net = Network([2, 3, 1])
    assert net.is_default and repr(net) == "Network([2, 3, 1])"
    assert (net.hidden, net.output, net.loss, net.l2, net.l2_bias, net.bias) == (
        "sigmoid", "sigmoid", "half_sse", 0.0, False, True)
    other = Network([2, 3, 2], output="softmax", hidden="relu", loss="categorical_cross_entropy", l2=0.1)
    assert not other.is_default
    assert repr(other) == ("Network([2, 3, 2], output='softmax', hidden='relu', loss='categorical_cross_entropy', "
                           "l2=0.1)")


def test_replace_keeps_every_other_declaration():
    net = Network([2, 3, 2], output="softmax", hidden="leaky_relu", slope=0.2, loss="categorical_cross_entropy",
                  l2=0.5, l2_bias=True)
    small = net.replace(layer_sizes=[2, 2])
    assert small.layer_sizes == (2, 2) and (small.hidden, small.slope, small.loss, small.l2, small.l2_bias) == (
        "leaky_relu", 0.2, "categorical_cross_entropy", 0.5, True)
    with pytest.raises(ValueError, match="at least two output units"):
        net.replace(layer_sizes=[2, 1])


def test_relu_derivative_is_zero_and_leaky_derivative_is_the_slope_at_the_kink():
    z = np.array([-1.0, -0.0, 0.0, 1e-300, 2.0])
    assert relu_prime(z).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert leaky_relu_prime(z, 0.1).tolist() == [0.1, 0.1, 0.1, 1.0, 1.0]


def test_tanh_prime_keeps_full_relative_precision_where_one_minus_tanh_squared_cancels():
    z = np.array([0.0, 0.5, 10.0, 20.0, -30.0, 300.0])
    with mpmath.workdps(50):
        exact = [float(mpmath.sech(mpmath.mpf(float(t))) ** 2) for t in z]
    np.testing.assert_allclose(tanh_prime(z), exact, rtol=8e-16, atol=0)
    assert 1.0 - np.tanh(20.0) ** 2 == 0.0 and tanh_prime(np.array([20.0]))[0] > 0.0


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_cross_entropies_from_the_logits_are_finite_and_exact_to_rounding(scale):
    rng = np.random.default_rng(3)
    z = scale * rng.standard_normal((3, 4))
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    for net in (Network([2, 3], output="softmax", loss="categorical_cross_entropy"),
                Network([2, 3], loss="binary_cross_entropy")):
        a = forward(net, [(np.zeros((3, 2)), np.zeros(3))], np.zeros((2, 4))).a(1)  # shape only
        got = sample_losses(net, z, a, Y)
        with mpmath.workdps(60):
            for i in range(4):
                zs = [mpmath.mpf(float(t)) for t in z[:, i]]
                if net.loss == "binary_cross_entropy":
                    exact = sum(float(Y[j, i]) * mpmath.log1p(mpmath.exp(-zs[j]))
                                + (1 - float(Y[j, i])) * mpmath.log1p(mpmath.exp(zs[j])) for j in range(3))
                else:
                    lse = mpmath.log(sum(mpmath.exp(t) for t in zs))
                    exact = sum(float(Y[j, i]) * (lse - zs[j]) for j in range(3))
                assert np.isfinite(got[i]) and abs(got[i] - float(exact)) <= 1e-14 * max(1.0, abs(float(exact)))


@pytest.mark.parametrize("output, loss_name", OUTPUT_LOSSES)
def test_bp1_special_forms_equal_the_jacobian_transpose_times_dC_da(output, loss_name):
    """delta^L = J(z^L)^T dC_x/da^L, with J and dC/da written out in full."""
    net = Network([2, 3], output=output, loss=loss_name)
    rng = np.random.default_rng(5)
    z = rng.standard_normal((3, 4))
    Y = np.eye(3)[:, [0, 2, 1, 1]] if output == "softmax" else rng.random((3, 4))
    a = {"sigmoid": 1 / (1 + np.exp(-z)), "identity": z,
         "softmax": np.exp(z) / np.exp(z).sum(axis=0)}[output]
    for i in range(4):
        ai, yi = a[:, i], Y[:, i]
        J = {"sigmoid": np.diag(ai * (1 - ai)), "identity": np.eye(3),
             "softmax": np.diag(ai) - np.outer(ai, ai)}[output]
        dC_da = {"half_sse": ai - yi, "binary_cross_entropy": (ai - yi) / (ai * (1 - ai)),
                 "categorical_cross_entropy": -yi / ai}[loss_name]
        np.testing.assert_allclose(output_error(net, z[:, i:i + 1], a[:, i:i + 1], Y[:, i:i + 1])[:, 0],
                                   J.T @ dC_da, rtol=1e-12, atol=1e-15)


def test_l2_adds_lambda_w_to_weights_and_to_biases_only_when_declared():
    base = Network([2, 3, 2])
    params, X, Y = point(base)
    plain = gradients(base, params, X, Y)
    for l2_bias in (False, True):
        net = base.replace(l2=0.25, l2_bias=l2_bias)
        got = gradients(net, params, X, Y)
        for (gW, gb), (pW, pb), (W, b) in zip(got, plain, params):
            np.testing.assert_allclose(gW, pW + 0.25 * W, rtol=1e-14, atol=1e-16)
            np.testing.assert_allclose(gb, pb + (0.25 * b if l2_bias else 0.0), rtol=1e-14, atol=1e-16)
        decay = 0.125 * sum(np.sum(W ** 2) + (np.sum(b ** 2) if l2_bias else 0.0) for W, b in params)
        assert loss(net, params, X, Y) == pytest.approx(loss(base, params, X, Y) + decay, rel=1e-14)


@pytest.mark.parametrize("formulation", sorted(FORMULATIONS))
def test_a_network_without_biases_ignores_b_and_returns_zero_bias_gradients(formulation):
    net = Network([1, 1, 1] if formulation == "scalar" else [2, 3, 2], hidden="tanh", bias=False)
    params, X, Y = point(net)
    junk = [(W, np.full_like(b, 7.0)) for W, b in params]
    got = gradients(net, junk, X, Y, formulation=formulation)
    same = gradients(net, params, X, Y, formulation=formulation)
    assert all(np.all(gb == 0.0) for _, gb in got)
    for (gW, _), (sW, _) in zip(got, same):
        assert np.array_equal(gW, sW)
    assert loss(net, junk, X, Y) == loss(net, params, X, Y)


def test_the_half_sse_loss_of_the_documents_network_is_computed_as_before():
    net = Network([2, 3, 1])
    params, X, Y = point(net)
    a = forward(net, params, X).a(net.L)
    assert loss(net, params, X, Y) == float(0.5 * np.sum((a - Y) ** 2) / X.shape[1])
    assert data_loss(net, None, a, Y) == loss(net, params, X, Y)
