"""The documents family: the documents' examples run as conformance checks for every implementation whose
declared support covers them; correct implementations pass, broken ones fail naming the document check,
and an implementation outside the support gets a skip with the reason (conformance/checks/documents.py).
"""
import dataclasses
import time

import pytest

from conformance.dropin.builtin import IMPLEMENTATIONS as REFERENCE_IMPLS
from conformance.checks import CHECK_IDS
from conformance.run.runner import run_check
from conformance.checks.documents_plan import PLANS, REDUCED, SPECS, profile_options, support_gap
from conformance.dropin.protocol import Support
from conformance.run.report import format_table
from conformance.run.runner import check_implementation
from conformance.testing import backprop, subject
from impls import doc1_deep_neural_network_corrected as doc1_corrected, doc3_backprop_1_example, example_rows_in_out_sum
from reference.examples import CHECKS as DOCUMENT_CHECKS
from reference.network import Network

REFERENCES = {impl.name: impl for impl in REFERENCE_IMPLS}
#: The ci set run for one implementation: cheap enough for the meta-tests (~2 s per implementation).
CI = [f"documents.{c}" for c in sorted(REDUCED)]


def _verdict(impl, check, profile="ci"):
    return run_check(impl, check, profile=profile)


def test_every_document_example_that_calls_an_implementation_is_a_registered_check():
    calling = {f"documents.{cid}" for cid, c in DOCUMENT_CHECKS.items() if c.uses != "nothing"}
    assert calling == set(SPECS) and calling <= set(CHECK_IDS)
    assert "documents.doc1.xnor_221" in CHECK_IDS and "documents.doc3.circles_per_example_vs_networkpy" in CHECK_IDS
    assert not any(c.startswith("documents.doc1.printed_data") for c in CHECK_IDS)


def test_the_reference_passes_every_ci_document_check_that_fits_its_support():
    report = check_implementation(REFERENCES["reference.batched_matrix"], profile="ci", checks=CI)
    statuses = {c: v.status for c, v in report.verdicts.items()}
    for check in ("documents.doc1.and_21", "documents.doc1.printed_params.xnor", "documents.doc1.printed_params.or",
                  "documents.doc1.printed_params.and", "documents.doc3.gradient_checking",
                  "documents.doc3.circles_per_example_vs_networkpy", "documents.doc3.circles_batched_vs_networkpy"):
        assert statuses[check] == "pass", report.verdicts[check].message
    assert all(s in ("pass", "skip") for s in statuses.values()), statuses
    assert "outside declared support: output 'identity'" in report.verdicts["documents.forum.gradient_shapes"].message
    identity = check_implementation(REFERENCES["reference.batched_matrix[identity]"], profile="ci",
                                    checks=["documents.forum."])
    assert {v.status for v in identity.verdicts.values()} == {"pass"}
    assert "documents" in format_table([report]).splitlines()[0]


def test_an_implementation_outside_the_support_gets_a_skip_naming_what_lies_outside():
    small = subject("correct.small", None, max_N=8, max_width=6)   # limits claimed explicitly
    verdict = _verdict(small, "documents.doc3.gradient_checking")
    assert verdict.status == "skip"
    assert "outside declared support: N = 50 > max_N = 8" in verdict.message
    verdict = _verdict(small, "documents.doc3.toy_shapes")
    assert verdict.status == "skip" and "N = 1000 > max_N = 8" in verdict.message
    assert "width 16 > max_width = 6" in _verdict(small, "documents.doc1.sin_2_16_8_4_1_10k", "thorough").message


def test_the_default_support_claims_no_limit_so_the_documents_batches_run():
    verdict = _verdict(subject("correct.default", None), "documents.doc3.gradient_checking")
    assert verdict.status == "pass", verdict.message


def test_a_check_outside_the_profile_set_is_skipped_with_where_it_runs():
    verdict = _verdict(REFERENCES["reference.batched_matrix"], "documents.doc1.xnor_221")
    assert verdict.status == "skip" and "runs in the thorough profile" in verdict.message


def test_support_gap_names_the_first_bound_outside_and_agrees_with_covers():
    support = Support(max_N=8, max_width=6, min_depth=1, max_depth=3)
    cases = [(Network([2, 3, 3, 1]), 50, "N = 50 > max_N = 8"), (Network([2, 16, 1]), 4, "width 16 > max_width = 6"),
             (Network([2, 2, 2, 2, 1]), 4, "depth 4 > max_depth = 3"),
             (Network([3, 4, 2], output="identity"), 5, "output 'identity' not in the declared outputs"),
             (Network([2, 3, 1]), 4, "")]
    for net, N, words in cases:
        gap = support_gap(support, net, N)
        assert (words in gap if words else gap == "") and (gap == "") == support.covers(net, N), (net, N, gap)
    fixed = Support(layer_sizes=((2, 3, 3, 1),), min_N=2, max_N=50)
    assert "N = 1 < min_N = 2" in support_gap(fixed, Network([2, 3, 3, 1]), 1)
    assert "not among the declared [[2, 3, 3, 1]]" in support_gap(fixed, Network([2, 2, 1]), 4)


def test_the_reduced_profiles_take_the_first_seed_under_the_proportional_rule():
    options, notes = profile_options(SPECS["documents.doc1.xnor_221"], PLANS["ci"])
    assert options == {"seeds": (0,), "min_perfect": 1} and "ceil(5 x 1 / 10) = 1" in notes[0]
    assert profile_options(SPECS["documents.doc1.xnor_2431"], PLANS["ci"])[0]["min_perfect"] == 1
    assert profile_options(SPECS["documents.doc1.circle_2841_10k"], PLANS["ci"])[0] == {"seeds": (0,)}
    assert profile_options(SPECS["documents.doc1.xnor_221"], PLANS["thorough"]) == ({}, [])
    assert profile_options(SPECS["documents.doc3.circles_per_example_vs_networkpy"], PLANS["ci"])[0] == {"epochs": 2}


@pytest.mark.parametrize("bug, check, cause", [
    ("sigma_prime_of_a", "documents.doc3.gradient_checking", "sigma_prime_at_activation"),
    ("summed", "documents.doc1.and_21", "summed_not_averaged"),
    ("summed", "documents.doc3.circles_batched_vs_networkpy", "summed_not_averaged"),
    ("no_output_sigma_prime", "documents.doc3.circles_per_example_vs_networkpy", "missing_output_sigma_prime"),
])
def test_a_broken_implementation_fails_the_document_check_with_a_diagnosis(bug, check, cause):
    impl = subject(f"broken.{bug}", bug, max_N=50)
    verdict = _verdict(impl, check)
    assert verdict.status == "fail", verdict.message
    assert verdict.message.startswith(f"[broken.{bug}] {check}: expected ")
    assert "; got " in verdict.message
    assert verdict.diagnosis is not None and verdict.diagnosis.cause == cause, verdict.diagnosis
    assert verdict.diagnosis.reproducer


def test_a_training_step_that_updates_before_backpropagating_ends_away_from_networkpy():
    impl = subject("broken.update_before_backprop", "update_before_backprop", step=True, max_N=50)
    verdict = _verdict(impl, "documents.doc3.circles_batched_vs_networkpy")
    assert verdict.status == "fail"
    assert "[broken.update_before_backprop] documents.doc3.circles_batched" in verdict.message
    assert "same weights as network.py" in verdict.message
    assert _verdict(impl, "documents.doc1.and_21").status == "pass"      # [2, 1]: nothing to backpropagate through


def test_a_call_error_fails_at_the_first_call_and_names_the_check():
    verdict = _verdict(subject("broken.raises", "raises"), "documents.doc1.printed_params.and")
    assert verdict.status == "fail" and "[broken.raises] documents.doc1.printed_params.and: raised" in verdict.message
    assert "the document's first call" in verdict.message


@pytest.mark.parametrize("name, decl", [
    ("correct.float32", {"dtype": "float32", "max_N": 50}),
    ("correct.step", {"step": True, "max_N": 50}),
    ("correct.step.float32", {"step": True, "dtype": "float32", "max_N": 50}),
])
def test_correct_float32_and_training_step_implementations_raise_no_false_alarm(name, decl):
    report = check_implementation(subject(name, None, **decl), profile="ci", checks=CI)
    bad = {c: v.message for c, v in report.verdicts.items() if v.status not in ("pass", "skip")}
    assert not bad, bad
    ran = {c for c, v in report.verdicts.items() if v.status == "pass"}
    assert {"documents.doc3.gradient_checking", "documents.doc1.printed_params.xnor", "documents.doc1.and_21",
            "documents.doc3.circles_batched_vs_networkpy"} <= ran, report.verdicts


def test_rows_in_out_summed_conventions_pass_at_the_documents_batch_of_50():
    impl = dataclasses.replace(example_rows_in_out_sum.IMPLEMENTATION, support=Support(max_N=50))
    report = check_implementation(impl, profile="ci", checks=CI)
    assert {v.status for v in report.verdicts.values()} <= {"pass", "skip"}, report.verdicts
    assert report.verdicts["documents.doc3.circles_batched_vs_networkpy"].status == "pass"


def test_the_faithful_per_example_code_fails_for_one_example_as_declared():
    impl = doc3_backprop_1_example.IMPLEMENTATIONS[0]
    verdict = _verdict(impl, "documents.doc3.gradient_checking")
    assert verdict.status == "xfail" and "N = 1" in verdict.reason
    assert verdict.diagnosis is not None and verdict.diagnosis.cause == "wrong_for_batch_of_one"
    assert _verdict(impl, "documents.doc3.circles_batched_vs_networkpy").status == "pass"


def test_a_slow_implementation_skips_the_long_checks_in_ci_by_its_time_per_call_relative_to_the_reference():
    grad = backprop(None)

    def slow(params, X, Y):
        time.sleep(0.003)
        return grad(params, X, Y)
    impl = dataclasses.replace(subject("correct.slow", None), gradient=slow)
    verdict = _verdict(impl, "documents.doc1.and_21")
    assert verdict.status == "skip" and "x the reference's time per call" in verdict.message, verdict.message
    assert verdict.seconds < 5.0
    assert _verdict(impl, "documents.doc1.printed_params.or").status == "pass"      # 201 calls: not a long check


def test_toy_shapes_reads_the_activations_of_an_implementation_declaring_forward_and_1000_samples():
    impl = dataclasses.replace(doc1_corrected.IMPLEMENTATION, support=Support(max_N=1000))
    assert _verdict(impl, "documents.doc3.toy_shapes").status == "pass"
    rows = dataclasses.replace(impl, name="broken.forward_rows", forward=lambda p, X: doc1_corrected.output(p, X).T)
    verdict = _verdict(rows, "documents.doc3.toy_shapes")
    assert verdict.status == "fail" and "activations=[[1, 1000], [1000, 3]" in verdict.message, verdict.message
    no_forward = subject("correct.no_forward", None, max_N=1000)
    assert "declares no forward=" in _verdict(no_forward, "documents.doc3.toy_shapes").message


def test_an_error_in_the_middle_of_the_run_is_a_failed_verdict_naming_the_check():
    grad, calls = backprop(None), []

    def fails_later(params, X, Y):
        calls.append(1)
        if len(calls) > 50:
            raise FloatingPointError("overflow after 50 calls")
        return grad(params, X, Y)
    impl = dataclasses.replace(subject("broken.later", None), gradient=fails_later)
    verdict = _verdict(impl, "documents.doc1.and_21")
    assert verdict.status == "fail", verdict.message
    assert "[broken.later] documents.doc1.and_21: raised FloatingPointError" in verdict.message
    assert "during the document's run" in verdict.message
