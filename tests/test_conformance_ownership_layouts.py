"""What a call does to its arrays (conformance/isolation/observations.py, calls.observe_call/observe_pair), and the
checks built on it: interface.ownership, interface.layouts, and interface.deterministic within the rounding
of a reordered sum."""
import numpy as np
import pytest

from conformance.core.calls import call_gradient, call_gradient_pair, observe_call, observe_pair
from conformance.isolation.observations import changed_since, hold, layout_of, leaves, shared_with_inputs, with_layout
from conformance.dropin.protocol import implementation
from conformance.run.runner import run_check
from conformance.testing import backprop, subject
from reference.network import Network
from tests.catalogue.catalogue import by_name


def test_layouts_keep_the_values_and_change_only_the_memory():
    a = np.arange(12.0).reshape(3, 4)
    tree = [(a, np.arange(3.0))]
    for layout, flags in (("C", "C"), ("F", "F"), ("strided", "strided")):
        out = with_layout(tree, layout)
        assert np.array_equal(out[0][0], a) and np.array_equal(out[0][1], np.arange(3.0))
        assert layout_of(out[0][0]) == flags and (layout == "C" or out[0][0] is not a)
    assert layout_of(with_layout(np.arange(3.0), "strided")) == "strided"
    with pytest.raises(ValueError):
        with_layout(a, "K")


def test_held_arrays_report_a_later_write_and_shared_memory_is_found():
    a, b = np.zeros((2, 2)), np.ones(3)
    held = hold([[a], (b,)])
    a[1, 0] = 5.0
    assert changed_since(held) == [(0, 0, (1, 0), "value", 0.0, 5.0)]
    params = [(a, b)]
    assert ("memory", 0, 0, 0) in shared_with_inputs([(a[:, :1], np.zeros(3))], [params])
    assert ("container", -1, 0, -1) in shared_with_inputs(params, [params])
    assert shared_with_inputs([(a.copy(), b.copy())], [params]) == []
    assert len(leaves([(a, b), [a]])) == 3


def test_observe_call_sees_mutation_aliasing_and_the_layouts_received():
    X = with_layout(np.arange(6.0).reshape(2, 3), "F")

    def fn():
        X[0, 0] = -1.0
        return [X[:, :1]]
    run, seen = observe_call(fn, ([], X, np.zeros((1, 3))), seconds=None)
    assert run[1] is None and seen["layouts"] == ("F", "C")
    assert seen["mutated"][0][:3] == (1, 0, (0, 0)) and seen["aliases"] == [("memory", 0, 1, 0)]


def test_observe_pair_holds_the_first_result_without_copying():
    buf = np.zeros(2)

    def reuse(value):
        def fn():
            buf[...] = value
            return [buf]
        return fn
    run1, _, run2, _, changes = observe_pair((reuse(1.0), ([],)), (reuse(2.0), ([],)), seconds=None)
    assert run1[0][0] is run2[0][0] and changes == [(0, 0, (0,), "value", 1.0, 2.0)]


def test_call_gradient_hands_every_native_array_in_the_requested_layout():
    seen = []
    correct = backprop(None)

    def spy(params, X, Y):
        seen.append([layout_of(a) for a in [X, Y] + [x for pair in params for x in pair if x.ndim == 2]])
        return correct(params, X, Y)
    impl = implementation("spy", gradient=spy)
    rng = np.random.default_rng(0)
    net = Network([3, 4, 2])
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    X, Y = rng.standard_normal((3, 5)), rng.random((2, 5))
    for layout in ("C", "F", "strided"):
        out = call_gradient(impl, net, params, X, Y, layout=layout)
        assert out.ok and set(seen[-1]) == {layout} and layout in out.layouts   # (1-D biases are C as well)
    first, second, changed = call_gradient_pair(impl, net, (params, X, Y), ([(2 * W, b) for W, b in params], X, Y))
    assert first.ok and second.ok and changed == () and not first.aliases


@pytest.mark.parametrize("bug, cause", [("reused_buffer", "reused_buffers")])
def test_ownership_names_returned_buffers(bug, cause):
    verdict = run_check(subject(f"broken.{bug}", bug), "interface.ownership", profile="ci")
    assert verdict.status == "fail" and verdict.diagnosis.cause == cause
    assert "changed when it was called again with other inputs of the same shapes" in verdict.message


def test_a_training_step_that_updates_and_returns_its_own_parameters_owns_nothing_it_should_not():
    verdict = run_check(subject("step", None, step=True), "interface.ownership", profile="ci")
    assert verdict.status == "pass", verdict.message


def test_layouts_name_the_layout_that_breaks():
    verdict = run_check(subject("broken.raw_bytes", "raw_bytes"), "interface.layouts", profile="ci")
    assert verdict.status == "fail" and "in Fortran order" in verdict.message
    assert verdict.diagnosis.cause == "layout_dependent"
    assert any("wrong in Fortran order" in c for c in verdict.diagnosis.conditions)


def test_an_implementation_declaring_c_order_only_gets_c_order_and_a_skip_with_the_reason():
    impl = subject("broken.raw_bytes.c_only", "raw_bytes", input_layouts=("C",))
    verdict = run_check(impl, "interface.layouts", profile="ci")
    assert verdict.status == "skip" and "input_layouts=('C',)" in verdict.message
    assert run_check(impl, "reference.agreement", profile="ci").status == "pass"


@pytest.mark.parametrize("name", ["ok.random_order_sum", "ok.micrograd_set_graph"])
def test_a_correct_engine_whose_sums_are_reordered_is_deterministic_enough(name):
    impl = by_name(name).impl
    rng = np.random.default_rng(1)
    net = Network([3, 4, 2])
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    X, Y = rng.standard_normal((3, 6)), rng.random((2, 6))
    results = [call_gradient(impl, net, params, X, Y).grads for _ in range(8)]
    bitwise = [all(np.array_equal(a, b) for pa, pb in zip(results[0], r) for a, b in zip(pa, pb)) for r in results[1:]]
    assert not all(bitwise), "the engine must differ bitwise between identical calls for this test to mean anything"
    verdict = run_check(impl, "interface.deterministic", profile="ci")
    assert verdict.status == "pass", verdict.message


def test_state_kept_between_calls_is_still_hidden_state():
    verdict = run_check(subject("broken.accumulate", "accumulate"), "interface.deterministic", profile="ci")
    assert verdict.status == "fail" and verdict.diagnosis.cause == "hidden_state"
    assert "beyond the rounding of a reordered sum" in verdict.message
