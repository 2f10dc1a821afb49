"""--strict grades untrusted code: an implementation's own claims about its limits are set aside too."""
from conformance.run.runner import check_implementation
from conformance.run.trust import apply_known_failures, without_own_limits
from conformance.testing import subject


def test_a_submission_that_claims_max_N_1_hides_its_batch_bug_unless_strict():
    sly = subject("student.sly", "drop_last_sample", max_N=1, time_limit=600.0)
    trusted = check_implementation(sly, profile="dev", checks=["reference.agreement"])
    assert trusted.verdicts["reference.agreement"].status == "pass"        # N = 1 only: nothing to see
    [graded], ignored = apply_known_failures([sly], strict=True)
    assert graded.support.max_N is None and graded.time_limit is None
    [record] = ignored["student.sly"]
    assert record.check == "interface.support" and "max_N=1" in record.reason and "time_limit=600.0" in record.reason
    verdict = check_implementation(graded, profile="dev", checks=["reference.agreement"]).verdicts["reference.agreement"]
    assert verdict.status == "fail" and "with N = 1;" not in verdict.message   # found on a larger batch


def test_strict_keeps_the_model_and_what_an_implementation_does_not_claim():
    relu = subject("student.relu", None, hidden="relu", output="identity", max_depth=2, input_layouts=("C",))
    graded, [record] = without_own_limits(relu)
    assert graded.support.hiddens == ("relu",) and graded.support.outputs == ("identity",)
    assert graded.support.max_depth is None and graded.support.input_layouts == ("C", "F", "strided")
    assert "max_depth=2" in record.reason and "input_layouts=('C',)" in record.reason
    plain = subject("student.plain", None)
    assert without_own_limits(plain) == (plain, ())
    [same], ignored = apply_known_failures([plain], strict=True)
    assert same is plain and ignored == {}
