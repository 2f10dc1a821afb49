"""Drawing issue 16's models: the declared model in every network, targets where the loss wants
them, no biases where there are none, and ReLU pre-activations put near the kink."""
import numpy as np
import pytest
from hypothesis import find, given, settings

from conformance.core.strategies import KINK_DISTANCES, class_targets, problems_in, with_hidden_unit
from conformance.dropin.protocol import implementation
from reference.forward import forward

MODELS = [dict(hiddens=("relu", "tanh"), outputs=("softmax",), loss_kind="categorical_cross_entropy", bias="none"),
          dict(hidden="leaky_relu", slope=0.2, outputs=("sigmoid", "softmax")),
          dict(hidden="identity", loss_kind="binary_cross_entropy", l2=0.1, l2_bias=True),
          dict(hidden="relu", output="softmax", layer_sizes=((2, 3, 1), (2, 3, 2)))]


@pytest.mark.parametrize("declared", MODELS, ids=lambda d: "-".join(str(v) for v in d.values()))
def test_drawn_networks_carry_the_declared_model_inside_the_support(declared):
    impl = implementation("m", gradient=lambda p, X, Y: None, **declared)
    sup = impl.support

    @settings(max_examples=40, deadline=None, database=None)
    @given(problems_in(sup))
    def inside(p):
        net = p.net
        assert sup.covers(net, p.X.shape[1]) and net.hidden in sup.hiddens and net.loss == sup.model.loss
        if net.output == "softmax":
            assert net.n(net.L) >= 2 and np.all(p.Y >= 0) and np.allclose(p.Y.sum(axis=0), 1.0)
        if not net.bias:
            assert all(np.all(b == 0) for _, b in p.params)
        if net.hidden == "leaky_relu":
            assert net.slope == 0.2
    inside()


def test_class_targets_are_one_hot_or_halves_and_shrink_to_class_0():
    @settings(max_examples=50, deadline=None, database=None)
    @given(class_targets(4, 3))
    def labels(Y):
        assert Y.shape == (4, 3) and np.all(Y.sum(axis=0) == 1.0) and set(np.unique(Y)) <= {0.0, 0.5, 1.0}
    labels()
    assert np.array_equal(find(class_targets(3, 2), lambda Y: True), np.array([[1.0, 1.0], [0, 0], [0, 0]]))


def test_relu_networks_are_drawn_with_pre_activations_at_the_kink_and_near_it():
    impl = implementation("k", gradient=lambda p, X, Y: None, hidden="relu", min_depth=2, max_depth=2, max_width=3)
    seen = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(problems_in(impl.support))
    def collect(p):
        z = np.abs(forward(p.net, p.params, p.X).z(1))
        seen.update(d for d in KINK_DISTANCES if np.any(np.abs(z - d) <= 1e-15 + 1e-6 * d))
    collect()
    assert 0.0 in seen and len(seen & set(KINK_DISTANCES[1:])) >= 3, seen


def test_with_hidden_unit_names_a_unit_of_a_hidden_layer():
    impl = implementation("h", gradient=lambda p, X, Y: None, hidden="tanh", min_depth=2)

    @settings(max_examples=30, deadline=None, database=None)
    @given(with_hidden_unit(problems_in(impl.support)))
    def unit(example):
        p, l, k = example
        assert 1 <= l < p.net.L and 0 <= k < p.net.n(l)
    unit()
