"""Every check passes for correct implementations and fails for a suitably broken one."""
import pytest

from conformance.dropin.builtin import IMPLEMENTATIONS as REFERENCE_IMPLS
from conformance.checks import CHECK_IDS as ALL_CHECK_IDS, select_checks
from conformance.run.runner import run_check
from conformance.checks.agreement import available_vectors
from conformance.run.runner import check_implementation
from conformance.testing import half_sse_loss, model_subject, mse_loss, subject

REFERENCE = {impl.name: impl for impl in REFERENCE_IMPLS}["reference.batched_matrix"]
#: The reference declaring every hidden activation and output: the subject of the checks that hold
#: for some activations only (they skip for the documents' sigmoid network).
MODELS = {impl.name: impl for impl in REFERENCE_IMPLS}["reference.batched_matrix[activations]"]
FOR_MODELS = ("properties.softmax_invariance", "properties.unit_rescaling", "properties.odd_symmetry")
#: The drawn-example families; the documents family has its own meta-tests (tests/test_conformance_documents.py),
#: and interface.clean_exit, which watches a worker process end, its own (tests/test_isolation_*.py): the
#: subjects here are built in this process.
CHECK_IDS = tuple(c for c in ALL_CHECK_IDS if not c.startswith("documents.") and c != "interface.clean_exit")

#: check id -> (bug, extra declarations) of a subject that must fail it
BROKEN = {
    "interface.shapes": ("transposed_shape", {}),
    "interface.dtype": ("float32", {"dtype": "float32"}),
    "interface.finite": ("nan_large_z", {}),
    "interface.no_input_mutation": ("mutate_x", {}),
    "interface.deterministic": ("random_mask", {}),
    "interface.support": ("squeeze_n1", {}),
    "interface.quiet": ("prints", {}),
    "reference.agreement": ("sign", {}),
    "symbolic.vectors": ("sign", {}),
    "finite_differences.full": ("sign", {}),
    "finite_differences.directional": ("sign", {}),
    "finite_differences.own_loss": (None, {"loss": mse_loss}),
    "properties.batch_mean": ("bias_first_sample", {}),
    "properties.permutation": ("bias_first_sample", {}),
    "properties.duplication": ("summed", {}),
    "properties.hidden_unit_permutation": ("unit_index_scaled", {}),
    "properties.zero_at_target": ("offset_residual", {}),
    "properties.dead_unit": ("constant_noise", {}),
    "interface.ownership": ("reused_buffer", {}),
    "interface.layouts": ("raw_bytes", {}),
    "sizes.batch": ("chunk_tail", {}),
    "sizes.width": ("tile_remainder", {}),
    "sizes.depth": ("depth_cap", {}),
    "sizes.mnist": ("input_cap", {}),
    "properties.softmax_invariance": ("softmax_diagonal", {"output": "softmax", "loss_kind": "categorical_cross_entropy"}),
    "properties.unit_rescaling": ("relu_prime_as_a", {"hidden": "relu"}),
    "properties.odd_symmetry": ("tanh_one_minus_a", {"hidden": "tanh"}),
}


def test_every_check_has_a_broken_subject():
    assert set(BROKEN) == set(CHECK_IDS)


def _needs_vectors(check):
    if check == "symbolic.vectors":
        try:
            if not available_vectors():
                pytest.skip("no symbolic vectors generated here")
        except FileNotFoundError:
            pytest.skip("no symbolic vectors generated here")


@pytest.mark.parametrize("check", CHECK_IDS)
def test_check_passes_for_the_reference(check):
    _needs_vectors(check)
    verdict = run_check(MODELS if check in FOR_MODELS else REFERENCE, check, profile="dev")
    assert verdict.status in ("pass", "skip") and (verdict.status == "pass" or check == "finite_differences.own_loss"), \
        verdict.message


@pytest.mark.parametrize("check", CHECK_IDS)
def test_check_fails_for_a_suitably_broken_implementation(check):
    _needs_vectors(check)
    bug, decl = BROKEN[check]
    impl = (model_subject if check in FOR_MODELS else subject)(f"broken.{bug}", bug, **decl)
    verdict = run_check(impl, check, profile="dev")
    assert verdict.status == "fail", verdict.message
    assert f"[broken.{bug}] {check}" in verdict.message
    assert verdict.diagnosis is not None and verdict.diagnosis.reproducer


@pytest.mark.parametrize("name, bug, decl", [
    ("handwritten a(1-a)", None, {"loss": half_sse_loss}),
    ("handwritten float32", None, {"dtype": "float32"}),
    ("training step", None, {"step": True}),
    ("training step float32", None, {"step": True, "dtype": "float32"}),
])
def test_correct_implementations_pass_every_check(name, bug, decl):
    report = check_implementation(subject(name, bug, **decl), profile="dev",
                                  checks=[c for c in CHECK_IDS if c != "symbolic.vectors"])
    bad = {c: v.message for c, v in report.verdicts.items() if v.status not in ("pass", "skip")}
    assert not bad, bad


def test_a_known_failure_is_xfail_and_an_unexpected_pass_is_xpass():
    impl = subject("declared", "sign", known_failures={"reference.agreement": "sign flipped on purpose",
                                                       "interface.shapes": "declared but not true"})
    report = check_implementation(impl, profile="dev", checks=["reference.agreement", "interface.shapes"])
    assert report.verdicts["reference.agreement"].status == "xfail"
    assert report.verdicts["reference.agreement"].reason == "sign flipped on purpose"
    assert report.verdicts["interface.shapes"].status == "xpass"
    assert not report.ok and report.families["interface"].status == "xpass"


def test_known_failure_prefixes_and_star_cover_several_checks():
    impl = subject("prefixed", "sign", known_failures={"finite_differences.": "all of them", "*": "everything else"})
    assert impl.known_failure("finite_differences.full").reason == "all of them"
    assert impl.known_failure("properties.dead_unit").reason == "everything else"


def test_checks_that_do_not_apply_are_skipped_with_a_reason():
    chain = {impl.name: impl for impl in REFERENCE_IMPLS}["reference.scalar"]
    verdict = run_check(chain, "properties.hidden_unit_permutation", profile="dev")
    assert verdict.status == "skip" and "hidden layer with at least two units" in verdict.message
    for check, words in (("properties.softmax_invariance", "holds for softmax outputs only"),
                         ("properties.unit_rescaling", "holds for hidden activations ('relu', 'leaky_relu', 'identity')"),
                         ("properties.odd_symmetry", "holds for hidden activations ('tanh', 'identity') only")):
        verdict = run_check(REFERENCE, check, profile="dev")
        assert verdict.status == "skip" and words in verdict.message, verdict.message
    verdict = run_check(subject("no loss", None), "finite_differences.own_loss", profile="dev")
    assert verdict.status == "skip" and "no loss" in verdict.message


def test_select_checks_accepts_ids_and_families_and_rejects_unknown_names():
    assert select_checks("properties") == [c for c in CHECK_IDS if c.startswith("properties.")]
    assert select_checks(["reference.agreement", "symbolic."]) == ["reference.agreement", "symbolic.vectors"]
    with pytest.raises(ValueError, match="unknown check"):
        select_checks("propertys")
