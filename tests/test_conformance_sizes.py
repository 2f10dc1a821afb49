"""The size ladder (sizes.*) and the support it climbs in: claims without limits by default, draws capped,
rungs around powers of two, bounds that grow with N and width, and the size condition the diagnosis names."""
import time

import numpy as np
import pytest

from conformance.checks.sizes import AXES, LADDERS, rung_network, sized_problem
from conformance.core.context import Context, round_problem
from conformance.core.tolerances import agreement_tolerance
from conformance.diagnosis.sizes import _multiples, bisect
from conformance.dropin.protocol import DRAWN_MAX_DEPTH, DRAWN_MAX_N, DRAWN_MAX_WIDTH, Support, implementation
from conformance.run.runner import run_check
from conformance.testing import backprop, float32_gradient, subject
from reference import gradients
from reference.network import Network


def test_the_default_support_claims_every_size_and_the_drawn_part_stays_small():
    claim = Support()
    assert claim.covers(Network([784, 256, 128, 10]), 1025) and claim.covers(Network([3] * 12), 1)
    drawn = claim.drawn()
    assert (drawn.max_depth, drawn.max_width, drawn.max_N) == (DRAWN_MAX_DEPTH, DRAWN_MAX_WIDTH, DRAWN_MAX_N) == (4, 6, 8)
    assert Support(max_N=50).drawn().max_N == 8 and Support(max_width=3).drawn().max_width == 3
    assert Support(min_N=20).drawn().max_N == 20, "a claim that starts above the cap draws its minimum"


def test_a_declared_limit_is_a_claim_and_the_gap_names_it():
    sup = Support(max_N=50, max_width=6)
    assert sup.gap(Network([2, 3, 1]), 63) == "N = 63 > max_N = 50"
    assert sup.gap(Network([15, 15, 15]), 37) == "width 15 > max_width = 6"
    assert Support(layer_sizes=((2, 3, 3, 1),)).gap(Network([2, 3, 1]), 4).startswith("layer sizes [2, 3, 1] not among")
    with pytest.raises(ValueError):
        Support(input_layouts=("F",))


def test_the_rungs_sit_at_and_around_powers_of_two_up_to_n_1025_width_257_depth_8():
    ladder = LADDERS["standard"]
    assert ladder["N"][:6] == (15, 16, 17, 31, 32, 33) and ladder["N"][-3:] == (1023, 1024, 1025)
    assert ladder["width"][-3:] == (255, 256, 257) and ladder["depth"] == tuple(range(1, 9))
    assert list(rung_network(Support(), "mnist", 100).layer_sizes) == [784, 256, 128, 10]
    assert set(AXES) == {"sizes.batch", "sizes.width", "sizes.depth", "sizes.mnist"}


def test_the_rung_networks_move_into_the_declared_support():
    forum = Support(min_depth=3, max_depth=3, outputs=("identity",))
    assert list(rung_network(forum, "N", 15).layer_sizes) == [11, 13, 13, 3]
    assert rung_network(forum, "N", 15).output == "identity"
    assert list(rung_network(Support(max_width=4), "N", 15).layer_sizes) == [4, 4, 3]
    fixed = Support(layer_sizes=((1, 1, 1, 1), (2, 3, 3, 1)))
    assert list(rung_network(fixed, "N", 15).layer_sizes) == [2, 3, 3, 1], "the largest declared architecture"


def test_ladder_problems_are_reproducible_and_unsaturated_at_every_width():
    for sizes in ([11, 13, 3], [257, 257, 257], [784, 256, 128, 10]):
        net = Network(sizes)
        p, q = sized_problem(net, 37, seed=3), sized_problem(net, 37, seed=3)
        assert all(np.array_equal(a, b) for (a, _), (b, _) in zip(p.params, q.params))
        z1 = p.params[0][0] @ p.X + p.params[0][1][:, None]
        assert 0.3 < np.std(z1) < 3.0, sizes


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_bounds_catch_a_one_percent_error_in_the_largest_entry_of_every_array_at_n_1025(dtype):
    net = Network([11, 13, 3])
    p = round_problem(sized_problem(net, 1025, seed=0), dtype)
    g = gradients(net, p.params, p.X, p.Y)
    tol = agreement_tolerance(net, p.params, p.X, p.Y, dtype=dtype, expected=g)
    for pair, bounds in zip(g, tol):
        for a, t in zip(pair, bounds):
            k = np.argmax(np.abs(a))
            assert 0.01 * abs(a.flat[k]) > t.flat[k]
    caught = np.mean([np.mean(0.01 * np.abs(a) > t) for pair, bounds in zip(g, tol) for a, t in zip(pair, bounds)])
    assert caught > (0.99 if dtype == np.float64 else 0.8)


def test_a_correct_float32_implementation_passes_the_whole_batch_ladder():
    impl = implementation("float32.correct", gradient=lambda params, X, Y: float32_gradient(
        Network([X.shape[0]] + [W.shape[0] for W, _ in params]), params, X, Y), dtype="float32")
    verdict = run_check(impl, "sizes.batch", profile="ci")
    assert verdict.status == "pass", verdict.message
    assert "N = 15, 16, 17" in verdict.message and "1023, 1024, 1025" in verdict.message


def test_rungs_outside_the_claim_are_skipped_and_named():
    verdict = run_check(subject("correct.N50", None, max_N=50), "sizes.batch", profile="ci")
    assert verdict.status == "pass" and "N = 15, 16, 17, 31, 32, 33)" in verdict.message
    assert "outside the declared support (N = 63 > max_N = 50): N = 63, 64, 65" in verdict.message
    verdict = run_check(subject("correct.narrow", None, max_width=6), "sizes.width", profile="ci")
    assert verdict.status == "skip" and "width 15 > max_width = 6" in verdict.message


def test_a_slow_correct_implementation_is_not_run_past_the_ladder_allowance():
    fast = backprop(None)

    def slow(params, X, Y):
        time.sleep(1e-3 * X.shape[1])
        return fast(params, X, Y)
    verdict = run_check(implementation("correct.slow", gradient=slow), "sizes.batch", profile="ci")
    assert verdict.status == "pass", verdict.message
    assert "not run, projected beyond the ladder's time allowance" in verdict.message
    assert "1025" in verdict.message.split("not run")[1]


class _Boundary:
    """A stand-in for the ladder's evaluations: fails for every N > 48 that is not a multiple of 48."""

    def fails(self, value):
        return value > 48 and value % 48 != 0


def test_bisection_finds_the_boundary_and_the_multiples_of_a_chunk():
    assert bisect(_Boundary(), 33, 63, 1) == (48, 49)
    assert bisect(_Boundary(), None, 63, 1) == (48, 49), "from the smallest claimed size when no rung passed"
    assert _multiples(_Boundary(), 48)
    assert not _multiples(_Boundary(), 40)


@pytest.mark.parametrize("bug, check, words", [
    ("chunk_tail", "sizes.batch", "right for N <= 48, wrong from N = 49 (every N not a multiple of 48)"),
    ("tile_remainder", "sizes.width", "right up to width 24, wrong from width 25 (every width not a multiple of "
                                      "24); at width 25: the last column of dC/dW^1 and dC/dW^2 is zero"),
    ("depth_cap", "sizes.depth", "right up to depth 3; from depth 4 the first layer's gradients are zero"),
])
def test_the_diagnosis_names_the_size_condition(bug, check, words):
    verdict = run_check(subject(f"broken.{bug}", bug), check, profile="ci")
    assert verdict.status == "fail"
    d = verdict.diagnosis
    assert any(c.startswith(words) for c in d.conditions), d.conditions
    assert d.cause == {"sizes.batch": "wrong_from_batch_size", "sizes.width": "wrong_from_width",
                       "sizes.depth": "wrong_from_depth"}[check]


def test_a_failure_from_the_smallest_size_on_has_no_size_condition_and_is_diagnosed_as_usual():
    verdict = run_check(subject("broken.sign", "sign"), "sizes.batch", profile="ci")
    assert verdict.status == "fail" and verdict.diagnosis.cause == "sign_flipped", verdict.diagnosis


def test_the_mnist_rung_names_the_wide_input_it_breaks_on():
    verdict = run_check(subject("broken.input_cap", "input_cap"), "sizes.mnist", profile="ci")
    assert verdict.status == "fail" and "784-256-128-10" in verdict.message
    d = verdict.diagnosis
    assert d.cause == "wrong_from_width"
    assert d.conditions[0].startswith("on 784-256-128-10 (N = 1): right up to input width 512; from input width 513")


def test_context_support_is_the_drawn_part_of_the_claim():
    ctx = Context(subject("correct", None, max_N=50))
    assert ctx.support.max_N == 8 and ctx.impl.support.max_N == 50


def _with(bug_in_gradient):
    """A correct gradient (columns, mean) passed through ``bug_in_gradient(grads, X) -> grads``."""
    correct = backprop(None)
    return lambda params, X, Y: bug_in_gradient(correct(params, X, Y), X)


@pytest.mark.parametrize("name, bug, check, words", [
    ("multiples_of_64", lambda g, X: [(2 * W, 2 * b) for W, b in g] if X.shape[1] % 64 == 0 else g, "sizes.batch",
     "right for N <= 63, wrong for N = 64 and its multiples (N = 65 is right); at N = 64: got = 2 x expected"),
    ("only_255", lambda g, X: [(W, 0 * b) for W, b in g] if X.shape[1] == 255 else g, "sizes.batch",
     "right for N <= 254, wrong for N = 255 (N = 256 is right again)"),
    ("unit_tile_32", lambda g, X: [(np.vstack([W[:32], 0 * W[32:]]), np.concatenate([b[:32], 0 * b[32:]]))
                                   for W, b in g], "sizes.width",
     "right up to width 32, wrong from width 33; at width 33: the last unit of layer 1 and layer 2 is zero"),
])
def test_the_size_condition_says_how_far_the_failure_reaches(name, bug, check, words):
    verdict = run_check(implementation(f"broken.{name}", gradient=_with(bug)), check, profile="ci")
    assert verdict.status == "fail"
    assert verdict.diagnosis.conditions and verdict.diagnosis.conditions[0].startswith(words), verdict.diagnosis.conditions


def test_a_ladder_reproducer_rebuilds_the_problem_from_its_seed_and_runs(tmp_path):
    import subprocess
    import sys
    import textwrap
    from conformance.dropin.discovery import load_implementation
    module = tmp_path / "chunked_backprop.py"
    module.write_text(textwrap.dedent("""
        from conformance.testing import subject
        IMPLEMENTATION = subject("mine.chunk_tail", "chunk_tail")
    """))
    impl = load_implementation(str(module), "mine.chunk_tail")
    d = run_check(impl, "sizes.batch", profile="ci").diagnosis
    assert "sized_problem(Network([11, 13, 3]), 49, seed=" in d.reproducer and "np.array(" not in d.reproducer
    out = subprocess.run([sys.executable, "-c", d.reproducer], capture_output=True, text=True, timeout=120,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "entries wrong" in out.stdout and "the largest difference at" in out.stdout
