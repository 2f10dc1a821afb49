"""``reference.vectors_catalogue``: the recipes and the automatic tags.

The catalogue is built when the module is imported; these tests call the recipe factories
again, inside the tests, and check that each rebuilds the point its committed vector file
holds (X, Y, the parameters and the recipe's name in ``generator``): the files are the
independent record.  The automatic tags are checked at their thresholds, where a tag must
and must not hold.
"""
import json

import numpy as np
import pytest

from reference import Network
from reference.vectors import vectors_dir
from reference.vectors_catalogue import (DOC1_AND, DOC1_OR, DOC1_XNOR, XOR_INPUTS, VectorSpec, _spec, boolean,
                                         gaussian, huge_z, observed_tags, printed)

#: (file id, seed, layer sizes, output, the factory call of the catalogue entry)
REBUILT = [
    ("or-2-1-doc1-trained", 0, (2, 1), "sigmoid", lambda: printed(DOC1_OR, [0, 1, 1, 1])),
    ("and-2-1-doc1-trained", 0, (2, 1), "sigmoid", lambda: printed(DOC1_AND, [0, 0, 0, 1])),
    ("xnor-2-2-1-doc1-trained", 0, (2, 2, 1), "sigmoid", lambda: printed(*DOC1_XNOR, [0, 1, 1, 0])),
    ("xnor-2-2-1-he", 221, (2, 2, 1), "sigmoid", lambda: boolean([0, 1, 1, 0])),
    ("xor-2-4-3-1-saturated", 2432, (2, 4, 3, 1), "sigmoid", lambda: boolean([1, 0, 0, 1], scale=12.0, bias=4.0)),
    ("2-1-gaussian", 201, (2, 1), "sigmoid", lambda: gaussian(3, bias=1.0)),
    ("1-1-identity", 12, (1, 1), "identity", lambda: gaussian(3, y="normal", bias=1.0)),
    ("1-1-1-1-saturated", 1112, (1, 1, 1, 1), "sigmoid", lambda: gaussian(4, y="sign", scale=15.0, bias=5.0)),
    ("1-1-z-above-800", 13, (1, 1), "sigmoid", lambda: huge_z(800.0, 0.0, N=2)),
    ("2-2-1-z-above-40", 223, (2, 2, 1), "sigmoid", lambda: huge_z(40.0, 0.0)),
    ("3-4-4-2-identity-z-above-800", 3445, (3, 4, 4, 2), "identity", lambda: huge_z(800.0, 800.0, N=5)),
]


@pytest.mark.parametrize("vid, seed, sizes, output, make", REBUILT, ids=[r[0] for r in REBUILT])
def test_a_recipe_factory_called_now_rebuilds_its_vector_files_point_and_name(vid, seed, sizes, output, make):
    record = json.loads((vectors_dir() / f"{vid}.json").read_text(encoding="ascii"))
    spec = _spec(vid, list(sizes), output, seed, make(), [], "")
    X, Y, params = spec.point()
    assert spec.recipe.name == record["generator"]["recipe"]
    assert np.array_equal(X, np.array(record["X"], dtype=float)), f"{vid}: X differs from the file"
    assert np.array_equal(Y, np.array(record["Y"], dtype=float)), f"{vid}: Y differs from the file"
    for l, ((W, b), p) in enumerate(zip(params, record["params"]), start=1):
        assert np.array_equal(W, np.array(p["W"], dtype=float)), f"{vid}: W^{l} differs from the file"
        assert np.array_equal(b, np.array(p["b"], dtype=float)), f"{vid}: b^{l} differs from the file"


def test_spec_makes_a_vector_spec_with_tuples_in_field_order():
    recipe = printed(DOC1_OR, [0, 1, 1, 1])
    assert _spec("an-id", [2, 1], "sigmoid", 7, recipe, ["doc-architecture", "zero-bias"], "words") == VectorSpec(
        "an-id", (2, 1), "sigmoid", 7, recipe, ("doc-architecture", "zero-bias"), "words")


def test_a_point_is_float64_even_where_a_recipe_gives_integer_targets():
    X, Y, params = _spec("or", [2, 1], "sigmoid", 0, printed(DOC1_OR, [0, 1, 1, 1]), [], "").point()
    assert [a.dtype for a in (X, Y, *params[0])] == [np.float64] * 4
    assert np.array_equal(X, XOR_INPUTS) and Y.tolist() == [[0.0, 1.0, 1.0, 1.0]]


def test_huge_z_draws_the_layer_1_and_output_weights_its_docstring_states():
    """x in +-[0.5, 1]; w^1 = +-(hidden / 0.5 + U(0, 1)) in the first column (0 elsewhere), so
    |w^1 x| > hidden; for L > 1 and output > 0 the output layer is +-(2 output + U(0, 1)) with
    biases 2 output (L = 2 and 3, output thresholds 0.5 and 300)."""
    for sizes, hidden, output in (((2, 3, 1), 40.0, 0.5), ((1, 2, 2, 1), 10.0, 300.0)):
        X, _, params = huge_z(hidden, output)(np.random.default_rng(0), Network(sizes))
        (W1, _), (WL, bL) = params[0], params[-1]
        assert np.all((np.abs(X) >= 0.5) & (np.abs(X) <= 1.0)), f"{sizes}: x outside +-[0.5, 1]"
        assert np.all((np.abs(W1[:, 0]) >= hidden / 0.5) & (np.abs(W1[:, 0]) < hidden / 0.5 + 1)), sizes
        assert np.all(W1[:, 1:] == 0.0) and np.all(np.abs(W1[:, :1] * X[:1]) > hidden), sizes
        assert np.all((np.abs(WL) >= 2 * output) & (np.abs(WL) < 2 * output + 1)), f"{sizes}: W^L {WL}"
        assert np.all(bL == 2 * output), f"{sizes}: b^L {bL}, expected 2 output = {2 * output}"


def test_huge_z_on_a_single_layer_keeps_the_layer_1_rule_whatever_the_output_threshold():
    """L = 1: w^1 = +-(hidden / 0.5 + U(0, 1)) in its first column, 0 elsewhere; no output scaling."""
    _, _, [(W, b)] = huge_z(40.0, 5.0)(np.random.default_rng(0), Network([2, 3]))
    assert np.all((np.abs(W[:, 0]) >= 80.0) & (np.abs(W[:, 0]) < 81.0)) and np.all(W[:, 1] == 0.0)
    assert np.all(np.abs(b) < 10.0), "the bias keeps its He draw (0.5 scale), not 2 * output"


def tags(net, X, Y, params):
    return observed_tags(net, np.array(X, dtype=float), np.array(Y, dtype=float), params)


@pytest.mark.parametrize("z, expected", [(10.0, set()), (10.5, {"saturated"}), (40.0, {"saturated"}),
                                         (40.5, {"saturated", "large-z-40"}),
                                         (800.0, {"saturated", "large-z-40"}),
                                         (800.5, {"saturated", "large-z-40", "large-z-800"})])
def test_saturated_and_large_z_tags_hold_strictly_beyond_10_40_and_800(z, expected):
    """A hidden unit at z^1 = z (x = 1, w = 1, b = z - 1); the output's z stays small."""
    net = Network([1, 1, 1])
    params = [(np.ones((1, 1)), np.array([z - 1.0])), (np.full((1, 1), 1e-3), np.zeros(1))]
    got = tags(net, [[1.0]], [[0.5]], params) & {"saturated", "large-z-40", "large-z-800"}
    assert got == expected, f"z^1 = {z}: tags {sorted(got)}, expected {sorted(expected)}"


def test_zero_inputs_means_an_input_equal_to_zero():
    net, params = Network([2, 1]), [(np.ones((1, 2)), np.zeros(1))]
    assert "zero-inputs" in tags(net, [[0.0], [2.0]], [[0.5]], params)
    assert "zero-inputs" not in tags(net, [[1.0], [2.0]], [[0.5]], params)


@pytest.mark.parametrize("y, outside", [(0.0, True), (1.0, True), (1.5, True), (-0.5, True), (0.5, False),
                                        (1e-300, False), (1.0 - 2 ** -53, False)])
def test_targets_outside_means_outside_the_open_interval_a_sigmoid_reaches(y, outside):
    net, params = Network([1, 1]), [(np.ones((1, 1)), np.zeros(1))]
    assert ("targets-outside-output-range" in tags(net, [[1.0]], [[y]], params)) is outside, f"y = {y!r}"
