"""After their drawn search, interface.finite and interface.support also try fixed problems
(``then_fixed``): the corners of the declared support, with biases of +-800 for finite.
A failure there fails the check and says where; a bug only those problems reach is caught."""
import numpy as np

from conformance.checks import CheckResult
from conformance.run.runner import run_check
from conformance.checks.interface import _varies_when_repeated, then_fixed
from conformance.core.context import Context
from conformance.dropin.protocol import implementation
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem
from conformance.testing import backprop
from reference import Network

CORRECT = backprop(None)


def test_then_fixed_runs_each_problem_after_a_passing_search_and_fails_at_the_first_failure():
    seen = []

    def body(p):
        seen.append(p)
        if p == "b":
            raise CheckFailure("broken at b")
    got = then_fixed(CheckResult("pass", examples=10), body, iter([("a", "first"), ("b", "second"), ("c", "third")]))
    assert (got.status, got.message, got.examples, seen) == ("fail", "broken at b (second)", 12, ["a", "b"])
    assert got.failure.args == ("broken at b",) and str(got.failure.message) == "broken at b (second)"


def test_then_fixed_counts_every_problem_when_all_pass_and_leaves_a_failed_search_alone():
    ok = then_fixed(CheckResult("pass", examples=3), lambda p: None, iter([(1, "x"), (2, "y")]))
    assert (ok.status, ok.examples) == ("pass", 5)
    failed = CheckResult("fail", "found by the search", examples=4)
    assert then_fixed(failed, lambda p: 1 / 0, iter([(1, "x")])) is failed


def nan_at_saturated_biases(params, X, Y):
    """Correct, except NaN when every bias is +-800 (no drawn problem has such biases)."""
    if all(np.all(np.abs(b) == 800.0) for _, b in params):
        return [(np.full_like(W, np.nan), np.full_like(b, np.nan)) for W, b in params]
    return CORRECT(params, X, Y)


def test_finite_fails_for_a_nan_only_the_saturated_corners_reach():
    verdict = run_check(implementation("nan_at_800", gradient=nan_at_saturated_biases), "interface.finite",
                        profile="dev")
    assert verdict.status == "fail", verdict.message
    assert "(a corner of the declared support with biases of +-800, +800 first)" in verdict.message


def scripted(factor):
    """A correct gradient scaled by ``factor(X)`` (called once per call, in order): a reproducible
    stand-in for randomness or kept state."""
    def gradient(params, X, Y):
        f = factor(X)
        return [(f * dW, f * db) for dW, db in CORRECT(params, X, Y)]
    return gradient


def test_after_another_batch_changed_a_result_repeated_identical_calls_decide_the_cause():
    """``interface.deterministic`` found r1 == r2 but r(p) changed after a call on q.  Identical calls
    that still differ among themselves are a random mask (which agreed twice by chance, 0.46 of the
    time on a [1, 1, 1, 1] with keep 0.8); identical calls that agree are state left by q."""
    net = Network([2, 2, 1])
    p = Problem(net, net.init(0), np.ones((2, 3)), np.full((1, 3), 0.5))
    for name, factor, varies, n_calls in (("settled", lambda k: 1.0, False, 17),
                                          ("alternating", lambda k: 1.0 + k % 2, True, 2)):
        calls = []

        def count(X, factor=factor, calls=calls):
            calls.append(X.shape)
            return factor(len(calls))
        ctx = Context(implementation(name, gradient=scripted(count)), profile="dev")
        assert _varies_when_repeated(ctx, "interface.deterministic", p) is varies, name
        assert len(calls) == n_calls, f"{name}: {len(calls)} calls (1 + up to 16, stopping at a difference)"
