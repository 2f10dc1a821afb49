"""A misbehaving implementation gets a clear failed verdict and never stops the run for the others."""
import threading

import numpy as np
import pytest

from conformance.checks import registry as checks
from conformance.core.calls import call_gradient, run_limited
from conformance.checks import CheckResult
from conformance.run.runner import run_check
from conformance.dropin.protocol import implementation
from conformance.run.runner import check_implementation
from conformance.testing import subject
from reference import Network

NET = Network([2, 3, 1])
PARAMS = NET.init(0)
X, Y = np.ones((2, 3)), np.zeros((1, 3))


@pytest.mark.parametrize("bug, category, words", [
    ("raises", "raises", "RuntimeError: deliberate failure"),
    ("returns_none", "wrong_structure", "returned None"),
    ("transposed_shape", "wrong_structure", "layer 1, dC/dW^1 has shape (2, 3); expected (3, 2)"),
    ("hang", "timeout", "time limit of 0.2 s"),
])
def test_call_errors_are_recorded_not_raised(bug, category, words):
    out = call_gradient(subject("t", bug, time_limit=0.2), NET, PARAMS, X, Y)
    assert not out.ok and out.error.category == category and words in out.error.message


def test_nan_is_a_non_finite_error_with_its_location():
    def nan_gradient(params, X, Y):
        return [(np.full_like(W, np.nan), np.zeros_like(b)) for W, b in params]
    out = call_gradient(implementation("nan", gradient=nan_gradient), NET, PARAMS, X, Y)
    assert out.error.category == "non_finite" and (out.error.layer, out.error.param, out.error.index) == (1, "W", (0, 0))


def test_printed_noise_is_captured_and_never_reaches_the_terminal(capfd):
    out = call_gradient(subject("t", "prints"), NET, PARAMS, X, Y)
    assert out.ok and "computing the gradient" in out.output
    captured = capfd.readouterr()
    assert "computing the gradient" not in captured.out + captured.err


def test_modified_inputs_are_named_and_the_callers_arrays_stay_intact():
    X0 = X.copy()
    out = call_gradient(subject("t", "mutate_x"), NET, PARAMS, X, Y)
    assert out.mutated and out.mutated[0].startswith("X[0, 0] changed from")
    assert np.array_equal(X, X0)


def test_an_exception_that_swallows_exceptions_cannot_swallow_the_timeout():
    def stubborn(params, X, Y):
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - the point of the test
                continue
    out = call_gradient(implementation("stubborn", gradient=stubborn, time_limit=0.2), NET, PARAMS, X, Y)
    assert out.error.category == "timeout"


def test_outside_the_main_thread_the_time_limit_falls_back_to_a_thread():
    box = {}

    def worker():
        box["result"] = run_limited(lambda: __import__("time").sleep(5), 0.2)
    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    value, message, category = box["result"][:3]
    assert category == "timeout" and "thread fallback" in message


def test_a_hanging_implementation_does_not_stop_the_others():
    hanging = check_implementation(subject("hangs", "hang", time_limit=0.2), profile="dev",
                                   checks=["reference.agreement", "interface.support"])
    good = check_implementation(subject("good", None), profile="dev", checks=["reference.agreement"])
    assert all(v.status == "fail" and v.diagnosis.cause == "timeout" for v in hanging.verdicts.values())
    assert good.ok and good.verdicts["reference.agreement"].status == "pass"


def test_a_bug_in_the_suite_itself_is_a_failed_verdict_not_a_crash(monkeypatch):
    def broken(ctx):
        raise KeyError("oops")
    monkeypatch.setitem(checks.CHECKS, "reference.agreement",
                        checks.Check("reference.agreement", broken, "patched"))
    verdict = run_check(subject("t", None), "reference.agreement", profile="dev")
    assert verdict.status == "fail" and "internal error in the conformance suite" in verdict.message


def test_a_failed_load_fails_every_check_with_the_error():
    from conformance.dropin.discovery import broken
    report = check_implementation(broken("mod", "mod.py", "could not load mod.py: SyntaxError"), profile="dev",
                                  checks=["reference.agreement", "interface.shapes"])
    assert all(v.status == "fail" and "SyntaxError" in v.message for v in report.verdicts.values())
    assert all(v.diagnosis.cause == "import_error" for v in report.verdicts.values())


def test_skip_results_carry_their_reason(monkeypatch):
    monkeypatch.setitem(checks.CHECKS, "reference.agreement",
                        checks.Check("reference.agreement", lambda ctx: CheckResult("skip", "why not"), "patched"))
    verdict = run_check(subject("t", None), "reference.agreement", profile="dev")
    assert (verdict.status, verdict.message) == ("skip", "why not")
