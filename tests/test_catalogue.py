"""Meta-tests of the suite's power (issue 6): every catalogued bug is caught and named,
every correct variant passes every check.

Each entry is its own test (pytest-xdist spreads them over the workers).  The
runner's profile is $HYPOTHESIS_PROFILE, or "ci" when unset: these are meant to
run in the ci profile.  Entries the core cannot meet yet are explicit xfails
with the reason (``Entry.xfail``), never silent skips.
"""
import os
import re

import pytest

from conformance.run import runner
from tests.catalogue.catalogue import BUGS, CORRECT, ENTRIES
from tests.catalogue.expect import resolve_factor, resolve_layer

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

#: Issue 6's list: every bug it names must have at least one entry (matched in Entry.bug).
ISSUE_6_BUGS = (
    "missing transpose in BP2", "sigma' taken at the activation", "flipped sign",
    "missing sigma' at a sigmoid output", "bias gradient summed over the wrong axis",
    "bias gradient taken from one sample", "mean and sum mixed", "averaging twice",
    "skips the first layer", "skips the last layer", "index shift between layers",
    "reshape where a transpose belongs", "only for a batch of one", "only for a width-1 layer",
    "state kept between calls", "inputs modified in place", "overflows to NaN",
    "finite difference inside", "random mask left on", "part of the batch silently dropped",
    "inputs cast to integers", "updates a layer before backpropagating",
    "different loss than the one reported",
)


#: Issue 16's new bug kinds: every one must have at least one entry (matched in Entry.bug).
ISSUE_16_BUGS = (
    "softmax Jacobian missing", "softmax Jacobian doubled", "cross-entropy gradient with sigma' left in",
    "ReLU derivative taken at a instead of z", "L2 applied to biases", "L2 missing", "L2 doubled",
)


def _params(entries):
    return [pytest.param(e, id=e.name, marks=[pytest.mark.xfail(reason=e.xfail, strict=True)] if e.xfail else [])
            for e in entries]


def _example_of(example: str):
    """(layer sizes, N) of a diagnosis' example description ('Network([2, 3, 1]) with N = 2, ...')."""
    m = re.search(r"Network\(\[([\d,\s]+)\].*?with N = (\d+)", example or "")
    return (None, None) if m is None else ([int(n) for n in m.group(1).split(",")], int(m.group(2)))


def _failed(report):
    return {c for c, v in report.verdicts.items() if v.status in ("fail", "xfail")}


def _summary(report) -> str:
    lines = []
    for c, v in sorted(report.verdicts.items()):
        d = v.diagnosis
        named = f" cause={d.cause} layer={d.layer} param={d.param} example={d.example!r}" if d else ""
        lines.append(f"  {c}: {v.status}{named}")
    return "\n".join(lines)


def test_catalogue_covers_issue_6():
    assert len(BUGS) >= 25, f"issue 6 asks for at least 25 buggy implementations, the catalogue has {len(BUGS)}"
    assert len(CORRECT) >= 8, f"issue 6 asks for at least 8 correct variants, the catalogue has {len(CORRECT)}"
    text = " | ".join(e.bug for e in BUGS)
    missing = [b for b in ISSUE_6_BUGS if b not in text]
    assert not missing, f"bugs of issue 6 with no catalogue entry: {missing}"
    names = [e.name for e in ENTRIES]
    assert len(set(names)) == len(names), "catalogue entry names must be unique"


def test_catalogue_covers_issue_16():
    text = " | ".join(e.bug for e in BUGS)
    missing = [b for b in ISSUE_16_BUGS if b not in text]
    assert not missing, f"bugs of issue 16 with no catalogue entry: {missing}"
    declared = [(e.impl.support, e.impl.conventions) for e in CORRECT]
    hiddens = {h for sup, _ in declared for h in sup.hiddens}
    outputs = {o for sup, _ in declared for o in sup.outputs}
    losses = {conv.loss for _, conv in declared}
    assert {"tanh", "relu", "leaky_relu"} <= hiddens and "softmax" in outputs, (hiddens, outputs)
    assert {"binary_cross_entropy", "categorical_cross_entropy"} <= losses, losses
    assert any(conv.l2 for _, conv in declared) and any(conv.bias == "none" for _, conv in declared)


def test_expected_causes_are_known_to_the_diagnosis():
    from conformance.diagnosis import CAUSES
    unknown = {e.name: e.expect.cause for e in BUGS if e.expect.cause and e.expect.cause not in CAUSES}
    assert not unknown, f"expected causes that are not CAUSES keys: {unknown}"


@pytest.mark.parametrize("entry", _params(BUGS))
def test_bug_is_caught_and_named(entry):
    expect = entry.expect
    checks = list(dict.fromkeys(expect.checks + (expect.diagnosis_check,)))
    report = runner.check_implementation(entry.impl, profile=PROFILE, checks=checks)
    missing = [c for c in expect.checks if c not in _failed(report)]
    assert not missing, (f"{entry.name} ({entry.bug}) was not caught by {missing}; verdicts:\n"
                         f"{_summary(report)}")
    if expect.cause is None:
        return
    verdict = report.verdicts[expect.diagnosis_check]
    d = verdict.diagnosis
    assert d is not None, f"{entry.name}: {expect.diagnosis_check} failed without a diagnosis:\n{verdict.message}"
    assert d.cause == expect.cause, (
        f"{entry.name} ({entry.bug}): diagnosis names cause {d.cause!r} ({d.cause_text}), expected "
        f"{expect.cause!r}; candidates {d.candidates}; example {d.example!r}")
    sizes, N = _example_of(d.example)
    if expect.layer is not None or expect.factor is not None:
        assert sizes is not None, f"{entry.name}: cannot read the network from example {d.example!r}"
    if expect.layer is not None:
        want = resolve_layer(expect.layer, sizes)
        assert d.layer == want, f"{entry.name}: diagnosis names layer {d.layer}, expected {want} on {d.example!r}"
    if expect.param is not None:
        assert d.param == expect.param, f"{entry.name}: diagnosis names parameter {d.param!r}, expected {expect.param!r}"
    if expect.condition is not None:
        assert any(re.search(expect.condition, c) for c in d.conditions), (
            f"{entry.name}: diagnosis conditions {d.conditions} do not name {expect.condition!r}")
    if expect.factor is not None:
        want = resolve_factor(expect.factor, sizes, N)
        assert d.factor is not None and abs(d.factor - want) <= 1e-6 * abs(want), (
            f"{entry.name}: diagnosis names factor {d.factor!r}, expected {expect.factor} = {want} on {d.example!r}")


@pytest.mark.parametrize("entry", _params(CORRECT))
def test_correct_variant_passes_every_check(entry):
    report = runner.check_implementation(entry.impl, profile=PROFILE)
    bad = {c: v for c, v in report.verdicts.items() if v.status not in ("pass", "skip")}
    assert not bad, f"false alarm on {entry.name} ({entry.bug}):\n" + "\n".join(
        f"  {c}: {v.status}: {v.message}" for c, v in bad.items())
    assert report.verdicts["reference.agreement"].status == "pass"
