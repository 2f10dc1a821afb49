"""Adapters: every convention combination round-trips against the reference; ready adapters work."""
import itertools

import numpy as np
import pytest

from conformance.dropin import adapters
from conformance.dropin.adapters import (StructureError, gradient_from_native, gradient_of, loss_factor,
                                  native_to_reference, to_native)
from conformance.dropin.protocol import BIASES, DTYPES, LAYOUTS, LOSSES, REDUCTIONS, SAMPLES, WEIGHTS, Conventions, implementation
from conformance.dropin.ready_adapters import parse_gradients
from reference import Network, gradients

#: Every layout of the documents' squared-error model (the other models: tests/test_conformance_models.py).
SSE_BIASES = tuple(b for b in BIASES if b != "none")
SSE_LOSSES = ("half_sse", "mse")
COMBOS = [Conventions(*c) for c in itertools.product(SAMPLES, WEIGHTS, SSE_BIASES, REDUCTIONS, SSE_LOSSES, LAYOUTS, DTYPES)
          if not (c[5] == "flat" and c[2] == "folded")]
assert set(SSE_LOSSES) < set(LOSSES)


def _problem(sizes=(3, 4, 2), N=5, seed=0):
    rng = np.random.default_rng(seed)
    net = Network(list(sizes))
    params = [(rng.uniform(-1, 1, net.weight_shape(l)), rng.uniform(-1, 1, net.bias_shape(l)))
              for l in range(1, net.L + 1)]
    return net, params, rng.uniform(-2, 2, (net.n(0), N)), rng.uniform(0, 1, (net.n(net.L), N))


def _layers(conv, params):
    """(W (out, in), b (n,)) per layer, read from native params without the adapters."""
    items = list(params)
    if conv.layout == "flat":
        items = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
    out = []
    for item in items:
        if conv.bias == "folded":
            F = item if conv.weights == "out_in" else item.T
            out.append((F[:, :-1], F[:, -1]))
        else:
            W, b = item
            out.append((W if conv.weights == "out_in" else W.T, np.ravel(b)))
    return out


def _pack(conv, grads):
    """Reference-shaped gradients into the native structure, without the adapters."""
    packed = []
    for W, b in grads:
        Wn = W if conv.weights == "out_in" else W.T
        if conv.bias == "folded":
            packed.append(np.hstack([W, b[:, None]]) if conv.weights == "out_in" else np.vstack([W.T, b[None, :]]))
        else:
            packed.append((Wn, {"vector": b, "column": b[:, None], "row": b[None, :]}[conv.bias]))
    if conv.layout == "flat":
        return [a for pair in packed for a in pair]
    return packed


def native_backprop(conv):
    """An independent backprop working natively in ``conv`` (its own dtype, loss and reduction)."""
    def gradient(params, X, Y):
        X = X if conv.samples == "columns" else X.T
        Y = Y if conv.samples == "columns" else Y.T
        layers = _layers(conv, params)
        acts = [X]
        for W, b in layers:
            acts.append(1 / (1 + np.exp(-(W @ acts[-1] + b[:, None]))))
        N, n_L = X.shape[1], Y.shape[0]
        k = (1 if conv.reduction == "sum" else 1 / N) * (2 / n_L if conv.loss == "mse" else 1)
        delta = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        grads = [None] * len(layers)
        for l in range(len(layers), 0, -1):
            if l < len(layers):
                delta = (layers[l][0].T @ delta) * acts[l] * (1 - acts[l])
            grads[l - 1] = (k * delta @ acts[l - 1].T, k * delta.sum(axis=1))
        assert all(g.dtype == np.dtype(conv.dtype) for pair in grads for g in pair)
        return _pack(conv, grads)
    return gradient


@pytest.mark.parametrize("conv", COMBOS, ids=lambda c: "-".join(str(v) for v in list(c.__dict__.values())[:7]))
def test_every_convention_round_trips_against_the_reference(conv):
    net, params, X, Y = _problem()
    native, Xn, Yn = to_native(conv, net, params, X, Y)
    back = native_to_reference(conv, net, native)
    exact = np.dtype(conv.dtype) == np.float64
    for (W, b), (W2, b2) in zip(params, back):
        assert np.array_equal(W2, W) if exact else np.array_equal(W2, W.astype(np.float32).astype(np.float64))
        assert np.array_equal(b2, b) if exact else np.allclose(b2, b, rtol=1e-7)
    assert Xn.shape == (X.shape if conv.samples == "columns" else X.T.shape) and Xn.dtype == np.dtype(conv.dtype)
    got = gradient_from_native(conv, net, native_backprop(conv)(native, Xn, Yn), N=X.shape[1])
    expected = gradients(net, params, X, Y)
    rtol = 1e-12 if exact else 2e-5
    for (gW, gb), (eW, eb) in zip(got, expected):
        np.testing.assert_allclose(gW, eW, rtol=rtol, atol=rtol * np.max(np.abs(eW)))
        np.testing.assert_allclose(gb, eb, rtol=rtol, atol=rtol * np.max(np.abs(eb)))


def test_to_native_never_shares_memory_with_the_callers_arrays():
    net, params, X, Y = _problem()
    for conv in COMBOS[::7]:
        native, Xn, Yn = to_native(conv, net, params, X, Y)
        flat = [a for item in native for a in (item if isinstance(item, tuple) else (item,))] + [Xn, Yn]
        assert not any(np.shares_memory(a, b) for a in flat for pair in params for b in pair + (X, Y))


def test_loss_factor_names_the_conversion():
    net = Network([2, 3, 4])
    assert loss_factor(Conventions(), net, 5) == 1.0
    assert loss_factor(Conventions(reduction="sum"), net, 5) == 5.0
    assert loss_factor(Conventions(loss="mse"), net, 5) == 0.5
    assert loss_factor(Conventions(reduction="sum", loss="mse"), net, 5) == 2.5
    with pytest.raises(ValueError, match="needs the batch size"):
        loss_factor(Conventions(reduction="sum"), net, None)


@pytest.mark.parametrize("bad, match", [
    (None, "expected a list of"),
    ([(np.zeros((4, 3)), np.zeros(4))], "expected 2"),
    ([(np.zeros((3, 4)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))], r"layer 1, dC/dW\^1 has shape \(3, 4\); expected \(4, 3\)"),
    ([(np.zeros((4, 3)), np.zeros((4, 1))), (np.zeros((2, 4)), np.zeros(2))], r"dC/db\^1 has shape \(4, 1\); expected \(4,\)"),
    ([(np.zeros((4, 3)), None), (np.zeros((2, 4)), np.zeros(2))], "is None"),
    ([(np.zeros((4, 3)), np.array(["a"] * 4)), (np.zeros((2, 4)), np.zeros(2))], "not real numbers"),
])
def test_wrong_structures_raise_a_named_structure_error(bad, match):
    with pytest.raises(StructureError, match=match):
        gradient_from_native(Conventions(), Network([3, 4, 2]), bad)


def test_a_transposed_weight_gradient_reports_both_shapes():
    with pytest.raises(StructureError) as info:
        gradient_from_native(Conventions(), Network([3, 4, 2]), [(np.zeros((3, 4)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))])
    assert (info.value.layer, info.value.param, info.value.got_shape, info.value.expected_shape) == (1, "W", (3, 4), (4, 3))


@pytest.mark.parametrize("returns", ["b_w", "w_b", "pairs", "flat"])
def test_parse_gradients_accepts_the_documented_orders(returns):
    W, b = [np.ones((2, 3)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)]
    result = {"b_w": (b, W), "w_b": (W, b), "pairs": list(zip(W, b)), "flat": [W[0], b[0], W[1], b[1]]}[returns]
    pairs = parse_gradients(result, returns)
    assert [p[0].shape for p in pairs] == [(2, 3), (1, 2)] and [p[1].shape for p in pairs] == [(2,), (1,)]


class NielsenNetwork:
    """network.py's shape: backprop(x, y) on (n, 1) columns returns (nabla_b, nabla_w)."""

    def __init__(self, sizes, weights, biases):
        self.weights, self.biases = weights, biases

    def backprop(self, x, y):
        acts, zs = [x], []
        for W, b in zip(self.weights, self.biases):
            zs.append(W @ acts[-1] + b)
            acts.append(1 / (1 + np.exp(-zs[-1])))
        delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
        nabla_b, nabla_w = [None] * len(zs), [None] * len(zs)
        for l in range(len(zs), 0, -1):
            if l < len(zs):
                delta = (self.weights[l].T @ delta) * acts[l] * (1 - acts[l])
            nabla_b[l - 1], nabla_w[l - 1] = delta, delta @ acts[l - 1].T
        return nabla_b, nabla_w


class DeepNet:
    """The first document's shape: forward(X), then backward(X, Y) updates weights in place."""

    def __init__(self, sizes, learning_rate):
        self.lr, self.weights, self.biases = learning_rate, None, None

    def forward(self, X):
        self.acts = [X]
        for W, b in zip(self.weights, self.biases):
            self.acts.append(1 / (1 + np.exp(-(W @ self.acts[-1] + b))))
        return self.acts[-1]

    def backward(self, X, Y):
        m, acts = X.shape[1], self.acts
        dZ = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        grads = []
        for l in range(len(self.weights) - 1, -1, -1):
            grads.append((dZ @ acts[l].T / m, dZ.sum(axis=1, keepdims=True) / m))
            if l:
                dZ = (self.weights[l].T @ dZ) * acts[l] * (1 - acts[l])
        for l, (dW, db) in zip(range(len(self.weights) - 1, -1, -1), grads):
            self.weights[l] -= self.lr * dW
            self.biases[l] -= self.lr * db


def _agrees(impl, seed=1):
    net, params, X, Y = _problem(seed=seed)
    for (gW, gb), (eW, eb) in zip(gradient_of(impl, net, params, X, Y), gradients(net, params, X, Y)):
        np.testing.assert_allclose(gW, eW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gb, eb, rtol=1e-9, atol=1e-12)


def test_from_object_per_sample_adapts_network_py_in_a_few_lines():
    make = lambda params: NielsenNetwork(adapters.sizes_of(params), [W for W, _ in params], [b for _, b in params])  # noqa: E731
    _agrees(implementation("nielsen", gradient=adapters.from_object(make, per_sample=True, returns="b_w"), bias="column"))


def test_per_sample_sums_and_averages_per_sample_gradients():
    def backprop(params, x, y):
        return NielsenNetwork(None, [W for W, _ in params], [b for _, b in params]).backprop(x, y)
    _agrees(implementation("per-sample", gradient=adapters.per_sample(backprop), bias="column"))
    _agrees(implementation("per-sample-sum", gradient=adapters.per_sample(backprop, reduce="sum"), bias="column",
                           reduction="sum"))


def test_forward_backward_adapts_the_forum_questions_shape():
    def forward(params, X):
        acts = [X]
        for W, b in zip(params[::2], params[1::2]):
            acts.append(1 / (1 + np.exp(-(W @ acts[-1] + b[:, None]))))
        return acts

    def backward(acts, Y, params):
        Ws, N = params[::2], Y.shape[1]
        delta = (acts[-1] - Y) * acts[-1] * (1 - acts[-1]) / N
        out = []
        for l in range(len(Ws), 0, -1):
            out = [delta @ acts[l - 1].T, delta.sum(axis=1)] + out
            if l > 1:
                delta = (Ws[l - 1].T @ delta) * acts[l - 1] * (1 - acts[l - 1])
        return out
    _agrees(implementation("forum", gradient=adapters.forward_backward(forward, backward), layout="flat"))


def test_training_step_recovers_the_gradient_from_an_in_place_update():
    step = adapters.training_step(lambda params, eta: DeepNet(adapters.sizes_of(params), eta), step="backward")
    _agrees(implementation("deep", train_step=step, bias="column"))
