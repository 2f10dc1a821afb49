"""The drop-in protocol for issue 16's models: declaration keys with clear errors, the L2 term
translated between conventions, layers without biases at the edge, the hidden= keyword, and
the ready adapter for a class whose own fit() initialises its weights."""
import itertools

import numpy as np
import pytest

from conformance.dropin.adapters import (gradient_of, loss_factor, native_to_reference, reference_l2,
                                         reference_network, to_native)
from conformance.dropin.protocol import Support, implementation
from conformance.dropin.ready_adapters import fit_step, sizes_of
from reference import Network, gradients


def _ok(params, X, Y, **kwargs):
    return None


@pytest.mark.parametrize("declaration, words", [
    (dict(hidden="swish"), "hidden must be one of"),
    (dict(loss_kind="hinge"), "loss must be one of"),
    (dict(output="softmax", max_width=1), "needs at least two output units"),
    (dict(output="softmax", layer_sizes=((2, 3, 1),)), "needs at least two output units"),
    (dict(output="identity", loss_kind="binary_cross_entropy"), "a linear output is not a probability"),
    (dict(outputs=("sigmoid", "softmax"), loss_kind="binary_cross_entropy"), "with output='softmax'"),
    (dict(loss_kind="categorical_cross_entropy"), "independent sigmoid outputs take loss_kind='binary_cross_entropy'"),
    (dict(output="identity", loss_kind="categorical_cross_entropy"), "not a probability vector"),
    (dict(l2=-1.0), "l2 must be a finite number >= 0"),
    (dict(l2=float("inf")), "l2 must be a finite number >= 0"),
    (dict(l2=0.1, l2_divisor=0), "l2_divisor must be 1, 'N'"),
    (dict(l2=0.1, l2_divisor="n"), "l2_divisor must be 1, 'N'"),
    (dict(l2_divisor="N"), "declare l2=lambda > 0"),
    (dict(l2_bias=True), "declare l2=lambda > 0"),
    (dict(l2=0.1, l2_bias=True, bias="none"), "bias='none' declares layers without biases"),
    (dict(slope=0.2), "slope= applies to hidden='leaky_relu'"),
    (dict(hidden="leaky_relu", slope=2.0), "must be a number in (0, 1)"),
    (dict(bias="nothing"), "bias must be one of"),
])
def test_unknown_or_inconsistent_declarations_are_refused_saying_why(declaration, words):
    with pytest.raises(ValueError) as info:
        implementation("x", gradient=_ok, **declaration)
    assert words in str(info.value)


def test_a_single_hidden_or_output_given_as_a_string_is_one_activation():
    impl = implementation("x", gradient=_ok, hiddens="relu", outputs="softmax", loss_kind="categorical_cross_entropy")
    assert impl.support.hiddens == ("relu",) and impl.support.outputs == ("softmax",)
    assert impl.support.model.loss == "categorical_cross_entropy"


def test_the_support_covers_only_networks_of_the_declared_model():
    impl = implementation("x", gradient=_ok, hiddens=("relu", "leaky_relu"), slope=0.2, outputs=("softmax",),
                          loss_kind="categorical_cross_entropy", bias="none")
    sup = impl.support
    net = Network([2, 3, 2], output="softmax", hidden="relu", loss="categorical_cross_entropy", bias=False)
    assert sup.covers(net, 3)
    assert sup.covers(net.replace(hidden="leaky_relu", slope=0.2), 3)
    assert not sup.covers(net.replace(hidden="leaky_relu", slope=0.1), 3)
    assert not sup.covers(net.replace(hidden="tanh"), 3)
    assert not sup.covers(net.replace(bias=True), 3)
    assert not sup.covers(net.replace(loss="half_sse"), 3)
    assert not Support().covers(net, 3)


def _native_step_gradient(net, conv, params, X, Y):
    """What an implementation computes natively: k dC_data/dtheta + (lambda / d) W (+ b), from the reference."""
    N = X.shape[1]
    k = loss_factor(conv, net, N)
    d = N if conv.l2_divisor == "N" else conv.l2_divisor
    plain = gradients(net.replace(l2=0.0, l2_bias=False), params, X, Y)
    lam = conv.l2 / d
    return [(k * gW + lam * W, k * gb + (lam * b if conv.l2_bias else 0.0)) for (gW, gb), (W, b) in zip(plain, params)]


L2_CASES = list(itertools.product(("mean", "sum"), (1, "N", 600), (False, True), ("half_sse", "mse")))


@pytest.mark.parametrize("reduction, divisor, l2_bias, loss_kind", L2_CASES)
def test_the_l2_term_translates_to_the_reference_for_every_reduction_and_divisor(reduction, divisor, l2_bias, loss_kind):
    """C_impl = k C_data + (lambda / d)/2 ||W||^2 = k C_ref with lambda_ref = lambda / (d k): dividing the native
    gradient by k gives exactly the reference gradient of ``reference_network``."""
    net = Network([3, 4, 2], hidden="tanh")
    rng = np.random.default_rng(7)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    X, Y = rng.standard_normal((3, 5)), rng.random((2, 5))
    impl = implementation("l2", gradient=lambda p, X, Y: _native_step_gradient(net, impl.conventions, p, X, Y),
                          hidden="tanh", reduction=reduction, loss_kind=loss_kind, l2=0.3, l2_divisor=divisor,
                          l2_bias=l2_bias)
    ref_net = reference_network(impl, net, 5)
    k = loss_factor(impl.conventions, net, 5)
    d = 5 if divisor == "N" else divisor
    assert ref_net.l2 == pytest.approx(0.3 / (d * k), rel=1e-15) and ref_net.l2_bias == l2_bias
    assert reference_l2(impl.conventions, net, 5) == ref_net.l2
    for (gW, gb), (eW, eb) in zip(gradient_of(impl, net, params, X, Y), gradients(ref_net, params, X, Y)):
        np.testing.assert_allclose(gW, eW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(gb, eb, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("weights, layout", [("out_in", "pairs"), ("in_out", "pairs"), ("out_in", "flat")])
def test_layers_without_biases_are_lists_of_weights_at_the_edge(weights, layout):
    impl = implementation("nb", gradient=_ok, bias="none", weights=weights, layout=layout)
    net = Network([2, 3, 1], bias=False)
    params = [(np.arange(6.0).reshape(3, 2), np.zeros(3)), (np.arange(3.0).reshape(1, 3), np.zeros(1))]
    native, _, _ = to_native(impl, net, params, np.zeros((2, 1)), np.zeros((1, 1)))
    assert [np.shape(W) for W in native] == ([(3, 2), (1, 3)] if weights == "out_in" else [(2, 3), (3, 1)])
    back = native_to_reference(impl, net, native)
    assert all(np.array_equal(W, P[0]) and np.array_equal(b, np.zeros_like(P[1])) for (W, b), P in zip(back, params))
    assert sizes_of(native, weights=weights, biases=False) == [2, 3, 1]


def test_several_hidden_activations_are_passed_as_the_hidden_keyword():
    seen = []

    def gradient(params, X, Y, *, hidden, output):
        seen.append((hidden, output))
        net = Network(sizes_of(params), output=output, hidden=hidden)
        return gradients(net, params, X, Y)
    impl = implementation("multi", gradient=gradient, hiddens=("tanh", "relu"), outputs=("sigmoid", "identity"))
    net = Network([2, 3, 1], hidden="relu", output="identity")
    assert impl.keywords(net) == {"output": "identity", "hidden": "relu"}
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    gradient_of(impl, net, params, rng.standard_normal((2, 3)), rng.standard_normal((1, 3)))
    assert seen == [("relu", "identity")]
    assert implementation("one", gradient=_ok, hidden="relu").keywords(net) == {}


class FitsItsOwnWeights:
    """A from-scratch MLP as such code is written: fit() draws the weights, then trains."""

    def __init__(self, sizes, learning_rate):
        self.sizes, self.lr = sizes, learning_rate

    def initialise(self):
        rng = np.random.default_rng()
        self.weights = [rng.standard_normal((n, m)) for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [rng.standard_normal(n) for n in self.sizes[1:]]

    def fit(self, X, Y, epochs=100):
        self.initialise()
        for _ in range(epochs):
            acts = [X]
            for W, b in zip(self.weights, self.biases):
                acts.append(np.tanh(W @ acts[-1] + b[:, None]) if len(acts) < len(self.weights) else W @ acts[-1] + b[:, None])
            delta = (acts[-1] - Y) / X.shape[1]
            new_W, new_b = list(self.weights), list(self.biases)
            for l in range(len(self.weights) - 1, -1, -1):
                new_W[l] = self.weights[l] - self.lr * delta @ acts[l].T
                new_b[l] = self.biases[l] - self.lr * delta.sum(axis=1)
                if l > 0:
                    delta = (self.weights[l].T @ delta) * (1 - acts[l] ** 2)
            self.weights, self.biases = new_W, new_b


class AssignsInFit(FitsItsOwnWeights):
    """The same, with the initialisation written inline in fit()."""

    def fit(self, X, Y, epochs=100):
        rng = np.random.default_rng()
        self.weights = [rng.standard_normal((n, m)) for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [rng.standard_normal(n) for n in self.sizes[1:]]
        self.initialise = lambda: None
        super().fit(X, Y, epochs)


@pytest.mark.parametrize("cls, init", [(FitsItsOwnWeights, "initialise"), (AssignsInFit, "assignment")])
def test_fit_step_trains_one_update_from_the_suites_weights_whatever_fit_draws(cls, init):
    step = fit_step(lambda p, eta: cls(sizes_of(p), eta), init=init, fit_kwargs={"epochs": 1})
    impl = implementation("fits", train_step=step, hidden="tanh", output="identity")
    net = Network([2, 3, 2], hidden="tanh", output="identity")
    rng = np.random.default_rng(1)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    X, Y = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    for (gW, gb), (eW, eb) in zip(gradient_of(impl, net, params, X, Y), gradients(net, params, X, Y)):
        np.testing.assert_allclose(gW, eW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gb, eb, rtol=1e-9, atol=1e-12)
