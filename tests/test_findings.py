"""Findings, not failures (issue 15): one finding per root cause, most fundamental first, in the user's layout.

The catalogue's bugs are each one planted bug: run with the checks that decide the first
finding (the interface family, the agreement with the reference, and the checks the entry
is known to fail), each must give exactly one finding, naming the expected cause, layer and
parameter.
"""
import json

import pytest

from conformance.checks import CHECK_IDS
from conformance.diagnosis.causes import Diagnosis
from conformance.run.findings import findings, headline, short_condition
from conformance.run.report import format_details, format_headlines, format_table, report_json
from conformance.run.runner import check_implementation, validated
from conformance.run.verdicts import ImplementationReport, Verdict
from conformance.testing import subject
from tests.catalogue.catalogue import BUGS
from tests.catalogue.expect import resolve_layer

NAMED = [e for e in BUGS if e.expect.cause is not None and not e.xfail]
_DECIDING = [c for c in CHECK_IDS if c.startswith("interface.")] + ["reference.agreement"]


@pytest.fixture(scope="module")
def reports():
    return {}


def _report(entry, reports):
    if entry.name not in reports:
        checks = list(dict.fromkeys(_DECIDING + list(entry.expect.checks)))
        reports[entry.name] = check_implementation(entry.impl, profile="dev", checks=checks)
    return reports[entry.name]


@pytest.mark.parametrize("entry", NAMED, ids=lambda e: e.name)
def test_one_planted_bug_gives_one_finding_naming_its_cause_layer_and_parameter(entry, reports):
    report = _report(entry, reports)
    found = findings(report)
    summary = "; ".join(f"{f.cause} via {f.checks}" for f in found)
    assert len(found) == 1, f"{entry.name}: {len(found)} findings: {summary}"
    first = found[0]
    assert first.cause == entry.expect.cause, f"{entry.name}: first finding {summary}"
    d = first.diagnosis
    if entry.expect.layer is not None and d.layer is not None and d.problem:
        assert d.layer == resolve_layer(entry.expect.layer, d.problem["layer_sizes"]), (d.layer, d.example)
    if entry.expect.param is not None and d.param is not None:
        assert d.param == entry.expect.param, (d.param, d.location())
    assert headline(report).startswith("1 finding: ")


def _verdict(check, status="fail", cause=None, conditions=(), size=4, **kw):
    problem = {"layer_sizes": [1, 1], "params": [[[0.0] * size, [0.0]]], "X": [[0.0]], "Y": [[0.0]]}
    d = Diagnosis(cause=cause, conditions=tuple(conditions), problem=problem, check=check, **kw)
    return Verdict(check, status, f"[x] {check}: failed", diagnosis=d)


def _report_of(*verdicts):
    return ImplementationReport("x", verdicts={v.check: v for v in verdicts})


def test_findings_come_most_fundamental_first_never_alphabetically():
    r = _report_of(_verdict("documents.doc1.and_21", cause="prints_output"),
                   _verdict("properties.permutation", cause="mutates_inputs"),
                   _verdict("interface.quiet", cause="prints_output"),
                   _verdict("reference.agreement", cause="sign_flipped"))
    assert [f.cause for f in findings(r)] == ["prints_output", "sign_flipped", "mutates_inputs"]
    assert findings(r)[0].checks == ["interface.quiet", "documents.doc1.and_21"]


def test_checks_without_a_cause_join_the_first_finding_and_the_smallest_example_leads():
    r = _report_of(_verdict("reference.agreement", cause="summed_not_averaged", size=9),
                   _verdict("properties.duplication", cause="summed_not_averaged", size=2),
                   _verdict("documents.doc1.and_21"))
    [f] = findings(r)
    assert f.checks == ["reference.agreement", "properties.duplication", "documents.doc1.and_21"]
    assert f.lead.check == "properties.duplication"


def test_a_symptom_with_the_same_pattern_joins_the_mechanism_and_state_absorbs_numbers():
    same = ("passes for depth 1, fails for depth 2, 3 (raises)",)
    r = _report_of(_verdict("interface.support", cause="wrong_for_specific_shapes", conditions=same),
                   _verdict("reference.agreement", cause="layer_shift", conditions=("passes for depth 1, fails for depth 2, 3",)))
    assert [f.cause for f in findings(r)] == ["layer_shift"]
    assert findings(r)[0].checks == ["interface.support", "reference.agreement"]
    r = _report_of(_verdict("interface.deterministic", cause="hidden_state"),
                   _verdict("reference.agreement", cause="scaled"), _verdict("interface.quiet", cause="prints_output"))
    assert sorted(f.cause for f in findings(r)) == ["hidden_state", "prints_output"]


def test_two_independent_bugs_stay_two_findings():
    r = _report_of(_verdict("reference.agreement", cause="summed_not_averaged", conditions=("passes for N = 1",)),
                   _verdict("interface.no_input_mutation", cause="mutates_inputs"))
    assert [f.cause for f in findings(r)] == ["mutates_inputs", "summed_not_averaged"]
    assert headline(r).startswith("2 findings: modifies its inputs") and "(+1 more)" in headline(r)


def test_short_conditions_read_as_right_and_wrong():
    assert short_condition("passes for N = 1, fails for N = 3 (3 wrong entries)") == "right for N = 1, wrong for N = 3"


def test_cells_show_skipped_checks_and_a_row_where_nothing_ran_is_not_run():
    r = _report_of(Verdict("interface.shapes", "pass"), Verdict("interface.dtype", "skip", "why"),
                   Verdict("reference.agreement", "fail", "bad"))
    assert r.families["interface"].cell() == "ok 1 +1 skip" and r.families["reference"].cell() == "FAIL 1/1"
    idle = ImplementationReport("idle", verdicts={"interface.shapes": Verdict("interface.shapes", "skip", "nope")})
    assert idle.verdict == "not run" and "not run" in format_table([idle]) and idle.families["interface"].cell() == "skip 1"
    assert "Skipped (by reason" in format_details([r, idle]) and "nope: 1 check" in format_details([r, idle])


def test_a_known_failure_that_matches_no_check_is_rejected_with_a_did_you_mean():
    impl = validated(subject("typo", None, known_failures={"reference.agreemnt": "x", "properties.": "y"}))
    assert "did you mean 'reference.agreement'" in impl.load_error and "properties." not in impl.load_error
    report = check_implementation(subject("typo", None, known_failures={"interface.shape": "x"}),
                                  checks=["interface.shapes"])
    assert report.verdicts["interface.shapes"].status == "fail"
    assert "interface.shapes" in format_headlines([report])


def test_the_json_report_carries_the_headline_and_the_findings_with_the_explained_share():
    report = check_implementation(subject("t.summed", "summed", source="/home/me/my_backprop.py"), profile="dev",
                                  checks=["reference.agreement"])
    data = json.loads(json.dumps(report_json([report], profile="dev", seed=0, seconds=1.0)))
    row = data["implementations"][0]
    assert row["headline"].startswith("1 finding: summed over the batch") and row["verdict"] == "UNEXPECTED"
    [f] = row["findings"]
    assert f["cause"] == "summed_not_averaged" and f["explained"] == pytest.approx(1.0)
    assert f["native"].startswith("grads[") and f["reproducer"].startswith("# Reproduces: t.summed")
    assert f["rerun"].startswith("backprop-conformance '/home/me/my_backprop.py::t.summed'") and "--seed 0" in f["rerun"]
    unnamed = check_implementation(subject("t.summed", "summed"), profile="dev", checks=["reference.agreement"])
    [g] = report_json([unnamed], profile="dev", seed=0, seconds=1.0)["implementations"][0]["findings"]
    assert g["rerun"] == ""   # an implementation no file declares: nothing to name on a command line


def _shipped_with_known_failures():
    from conformance.dropin.discovery import load_implementations
    return [i for i in load_implementations("@examples") if i.known_failures and not i.unavailable]


@pytest.mark.parametrize("impl", _shipped_with_known_failures(), ids=lambda i: i.name)
def test_every_reproducer_printed_runs_as_pasted_from_any_folder(impl, tmp_path):
    """One reproducer per finding of each shipped system with known failures (training steps, rows,
    (n, 1) biases, flat lists), run as `python -c` from an unrelated folder."""
    import subprocess
    import sys
    checks = [c for c in CHECK_IDS if not c.startswith("documents.")]
    report = check_implementation(impl, profile="dev", checks=checks)
    scripts = [f.diagnosis.reproducer for f in findings(report, statuses=("fail", "xfail"))
               if f.diagnosis is not None and f.diagnosis.reproducer]
    assert scripts, f"{impl.name}: no finding with a reproducer"
    for script in scripts:
        out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "entries wrong" in out.stdout or "your function raised" in out.stdout or "right" in out.stdout, out.stdout


def test_a_size_condition_that_starts_at_drawn_sizes_gives_way_to_the_mechanism():
    """Summed over the batch: the ladder's bisection says 'wrong from N = 2', the drawn examples name the
    mechanism; one finding, and it names the mechanism, not 'wrong from some batch size on'."""
    report = check_implementation(subject("t.summed", "summed"), profile="dev",
                                  checks=["reference.agreement", "sizes.batch"])
    [f] = findings(report)
    assert f.cause == "summed_not_averaged" and {"reference.agreement", "sizes.batch"} <= set(f.checks)
