"""The checked-in vectors: complete, well formed, and met by every reference formulation.

Every formulation must land within the running rounding-error bound of
``reference.symbolic_bounds`` (derived in its docstring and in docs/SYMBOLIC.md) of the
exact gradient, entry by entry, plus u |g| for rounding the 40-digit value to float64.
The last tests show that bound is tight enough to catch real mistakes.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conformance.core.assertions import assert_gradients_close, mismatches
from reference import FORMULATIONS, gradients, loss
from reference.activations import sigmoid
from reference.forward import forward
from reference.symbolic_bounds import U, gradient_error_bound
from reference.vectors import CONVENTION, convention_of, load_vectors
from reference.vectors_catalogue import AUTOMATIC_TAGS, CATALOGUE, DOC_ARCHITECTURES, observed_tags

VECTORS = load_vectors()
BY_ID = {v.id: v for v in VECTORS}
DECIMAL = re.compile(r"^-?\d\.(\d{39})e[+-]\d+$")


def is_chain(v):
    return all(n == 1 for n in v.net.layer_sizes)


def tolerance(v, bounds):
    """The error bound plus u |g| (the float64 value of the 40-digit decimal), entrywise."""
    return [(bW + U * np.abs(eW), bb + U * np.abs(eb)) for (bW, bb), (eW, eb) in zip(bounds, v.gradients)]


def test_every_catalogue_entry_has_exactly_one_vector_file():
    assert sorted(BY_ID) == sorted(spec.id for spec in CATALOGUE)


def test_catalogue_covers_every_document_architecture_and_width_1_chains():
    nets = {(v.net.layer_sizes, v.net.output) for v in VECTORS}
    for sizes in DOC_ARCHITECTURES + ((1, 1), (1, 1, 1, 1)):
        assert any(s == sizes for s, _ in nets), f"no vector for {list(sizes)}"
    forum = BY_ID["forum-3-4-4-2"]
    assert (forum.net.layer_sizes, forum.net.output, forum.X.shape[1]) == ((3, 4, 4, 2), "identity", 5)


def test_the_targeted_bug_classes_are_all_present():
    tags = set().union(*(v.tags for v in VECTORS))
    wanted = {"saturated", "batch-of-one", "non-square-weights", "square-weights", "linear-output",
              "large-z-40", "large-z-800", "width-1", "boolean-inputs", "zero-inputs",
              "doc-parameters", "forum-question", "targets-outside-output-range", "deep", "single-layer"}
    assert wanted <= tags, f"missing tags {sorted(wanted - tags)}"


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v.id)
def test_vector_is_well_formed(v):
    net, N = v.net, v.X.shape[1]
    assert v.X.shape == (net.n(0), N) and v.Y.shape == (net.n(net.L), N) and N >= 1
    for l, ((W, b), (gW, gb), (sW, sb)) in enumerate(zip(v.params, v.gradients, v.gradients_decimal), start=1):
        assert W.shape == gW.shape == sW.shape == net.weight_shape(l), f"layer {l} W shapes"
        assert b.shape == gb.shape == sb.shape == net.bias_shape(l), f"layer {l} b shapes"
        for s in list(sW.ravel()) + list(sb.ravel()):
            assert DECIMAL.match(s), f"layer {l}: {s!r} is not a 40-significant-digit decimal"
    assert DECIMAL.match(v.loss_decimal) and v.convention == convention_of(v.net)
    assert (v.convention == CONVENTION) == v.net.is_default
    assert all(np.all(np.isfinite(a)) for a in (v.X, v.Y, *[x for p in v.params for x in p]))


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v.id)
def test_vector_tags_hold_at_its_point(v):
    """Automatic tags are exactly those that hold at the point; declared ones are known words."""
    assert set(v.tags) & AUTOMATIC_TAGS == observed_tags(v.net, v.X, v.Y, v.params)
    declared = {"doc-architecture", "doc-parameters", "forum-question", "boolean-inputs", "zero-bias", "small-weights"}
    assert set(v.tags) <= AUTOMATIC_TAGS | declared


def test_float64_values_are_stored_as_exact_round_trip_strings():
    for v in VECTORS:
        record = json.loads(v.path.read_text())
        strings = [s for row in record["X"] + record["Y"] for s in row]
        strings += [s for p in record["params"] for s in [x for row in p["W"] for x in row] + p["b"]]
        assert all(repr(float(s)) == s for s in strings), v.id


CASES = [(v, f) for v in VECTORS for f in FORMULATIONS if f != "scalar" or is_chain(v)]


@pytest.mark.parametrize("v, formulation", CASES, ids=lambda c: c if isinstance(c, str) else c.id)
def test_reference_formulation_matches_the_exact_gradient_within_rounding(v, formulation):
    """|g_ref - g_exact| <= 2 E (running error bound) + u |g_exact|, every entry of every layer."""
    _, bounds = gradient_error_bound(v.net, v.params, v.X, v.Y)
    got = gradients(v.net, v.params, v.X, v.Y, formulation=formulation)
    assert_gradients_close(got, v.gradients, tolerance(v, bounds), impl=f"reference.{formulation}",
                           check="exact test vector", context=f"{v.id} ({v.net})")


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v.id)
def test_reference_loss_matches_the_exact_loss_within_rounding(v):
    loss_bound, _ = gradient_error_bound(v.net, v.params, v.X, v.Y)
    got = loss(v.net, v.params, v.X, v.Y)
    assert abs(got - v.loss) <= loss_bound + U * abs(v.loss), f"{v.id}: C = {got!r}, exact {v.loss_decimal}"


def gradients_with_sigma_prime_from_activations(v):
    """Doc 1's BP with sigma'(z^l) = a^l (1 - a^l): right in exact arithmetic, not in float64."""
    fp, L, N = forward(v.net, v.params, v.X), v.net.L, v.X.shape[1]
    delta = (fp.a(L) - v.Y) * fp.a(L) * (1 - fp.a(L))
    out = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = (v.params[l][0].T @ delta) * fp.a(l) * (1 - fp.a(l))
        out[l - 1] = (delta @ fp.a(l - 1).T / N, delta.sum(axis=1) / N)
    return out


def test_bound_rejects_sigma_prime_computed_from_rounded_activations():
    """Hidden |z| > 40: sigma(z) rounds to 1, a (1 - a) = 0, and the layer-1 gradient is lost."""
    v = BY_ID["2-2-1-z-above-40"]
    assert np.any(sigmoid(forward(v.net, v.params, v.X).z(1)) == 1.0), "precondition: a^1 rounds to 1"
    _, bounds = gradient_error_bound(v.net, v.params, v.X, v.Y)
    bad = mismatches(gradients_with_sigma_prime_from_activations(v), v.gradients, tolerance(v, bounds))
    assert bad and {m.layer for m in bad} == {1}, bad[:3]


def test_bound_rejects_parameters_rounded_to_float32():
    v = BY_ID["ring-2-3-3-1-doc3-init"]
    rounded = [(W.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)) for W, b in v.params]
    _, bounds = gradient_error_bound(v.net, v.params, v.X, v.Y)
    assert mismatches(gradients(v.net, rounded, v.X, v.Y), v.gradients, tolerance(v, bounds))


@pytest.mark.parametrize("v", [BY_ID["forum-3-4-4-2"], BY_ID["sine-2-16-8-4-1"]], ids=lambda v: v.id)
def test_bound_rejects_a_relative_error_of_1e_12_in_the_largest_entry(v):
    _, bounds = gradient_error_bound(v.net, v.params, v.X, v.Y)
    got = gradients(v.net, v.params, v.X, v.Y)
    l = max(range(v.net.L), key=lambda i: np.max(np.abs(got[i][0])))
    W = got[l][0].copy()
    idx = np.unravel_index(np.argmax(np.abs(W)), W.shape)
    W[idx] *= 1 + 1e-12
    got[l] = (W, got[l][1])
    bad = mismatches(got, v.gradients, tolerance(v, bounds))
    assert [(m.layer, m.param, m.index) for m in bad] == [(l + 1, "W", tuple(int(i) for i in idx))]
