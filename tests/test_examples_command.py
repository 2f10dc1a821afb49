"""``check_ids``, ``run_checks`` and ``python -m reference.examples``: which checks run, with which
options, and what the command prints and returns.

``check_ids`` filters the table by ``slow`` and ``uses``; ``run_checks`` runs the non-slow checks by
default, passes one ``formulation`` to the gradient checks only and ``verbose`` to the training
checks only; the command prints each verdict (flushed) with its time, then "N of M checks failed",
and exits 0, or 1 on a failure, or 2 naming unknown ids.  Tests that need a failing or long check
replace ``run_check`` in the module with a recorder; the others run cheap checks (milliseconds).
"""
import re

import pytest

from reference import examples
from reference.documents.core import CheckResult
from reference.examples import CHECKS, check_ids, main, run_checks

SLOW = ["doc1.circle_2841", "doc1.sin_2_16_8_4_1"]
NOTHING = ["doc1.printed_data.sin", "doc1.printed_data.circle", "doc3.toy_dataset", "doc3.toy_single_sample_cost"]
FORWARD = ["doc3.toy_shapes"]
TRAINING = ["doc1.xnor_221", "doc1.xnor_2431", "doc1.or_21", "doc1.and_21", "doc1.circle_2841_10k",
            "doc1.circle_2841", "doc1.sin_2_16_8_4_1_10k", "doc1.sin_2_16_8_4_1"]
PROG = "python -m reference.examples"
FORMULATIONS = "{batched_matrix,batched_tensor,per_neuron,per_sample}"


def recorder(monkeypatch, failing=()):
    """Replace ``run_check`` in the module: record (id, options), pass unless the id is in ``failing``."""
    calls = []

    def run_check(check_id, grad_fn=None, step_fn=None, **options):
        calls.append((check_id, options))
        return CheckResult(check_id, check_id not in failing, "recorded", {"n": len(calls)})

    monkeypatch.setattr(examples, "run_check", run_check)
    return calls


def test_check_ids_lists_every_check_in_table_order_by_default():
    assert check_ids() == list(CHECKS) and len(check_ids()) == 21
    assert check_ids(include_slow=False) == [c for c in CHECKS if c not in SLOW]


def test_check_ids_restricted_to_one_kind_of_uses():
    assert check_ids(uses="nothing") == NOTHING
    assert check_ids(uses="forward") == FORWARD
    gradient = [c for c in CHECKS if c not in NOTHING + FORWARD]
    assert check_ids(uses="gradient") == gradient and set(SLOW) <= set(gradient)
    assert check_ids(uses="gradient", include_slow=False) == [c for c in gradient if c not in SLOW]
    assert check_ids(uses="nothing", include_slow=False) == NOTHING


def test_run_checks_runs_the_non_slow_checks_by_default_and_every_check_with_include_slow(monkeypatch):
    calls = recorder(monkeypatch)
    results = run_checks()
    assert [cid for cid, _ in calls] == [c for c in CHECKS if c not in SLOW]
    assert [r.check_id for r in results] == [cid for cid, _ in calls]
    calls.clear()
    run_checks(include_slow=True)
    assert [cid for cid, _ in calls] == list(CHECKS)


def test_run_checks_gives_the_formulation_to_the_gradient_checks_only(monkeypatch):
    calls = recorder(monkeypatch)
    ids = ["doc1.or_21", "doc3.toy_shapes", "doc1.printed_data.sin", "forum.gradient_shapes"]
    run_checks(ids, formulation="per_sample")
    assert calls == [("doc1.or_21", {"formulation": "per_sample"}), ("doc3.toy_shapes", {}),
                     ("doc1.printed_data.sin", {}), ("forum.gradient_shapes", {"formulation": "per_sample"})]
    calls.clear()
    run_checks(ids)
    assert calls == [(cid, {}) for cid in ids], "no formulation given: each check's own"


def test_run_checks_gives_verbose_to_the_training_checks_only_and_only_when_asked(monkeypatch):
    calls = recorder(monkeypatch)
    ids = ["doc1.or_21", "doc1.printed_params.or", "doc3.toy_dataset", "doc1.circle_2841_10k"]
    run_checks(ids, verbose=True)
    assert calls == [("doc1.or_21", {"verbose": True}), ("doc1.printed_params.or", {}),
                     ("doc3.toy_dataset", {}), ("doc1.circle_2841_10k", {"verbose": True})]
    calls.clear()
    run_checks(ids)
    assert calls == [(cid, {}) for cid in ids]


def test_run_checks_runs_the_reference_in_the_formulation_asked_for():
    """scalar covers width-1 chains only: asked for on the forum's [3, 4, 4, 2], its refusal surfaces."""
    results = run_checks(["doc3.toy_dataset", "forum.agrees_with_reference"], formulation="per_neuron")
    assert [(r.check_id, r.passed) for r in results] == [("doc3.toy_dataset", True),
                                                        ("forum.agrees_with_reference", True)]
    with pytest.raises(ValueError, match="scalar formulation covers width-1 chains only"):
        run_checks(["forum.agrees_with_reference"], formulation="scalar")


# ---- the command line -----------------------------------------------------------------------------

def test_help_shows_the_usage_the_description_and_every_option(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"usage: {PROG} [-h] [--formulation {FORMULATIONS}] [--slow] [--verbose] [--list] [--models] "
                        "[ids ...]")
    assert lines[2] == "The documents' examples as checks with stable ids, runnable for any implementation."
    expected = ["  ids                   check ids (default: every non-slow check)",
                f"  --formulation {FORMULATIONS}",
                "                        reference formulation driving every gradient check "
                "(default: each check's own; scalar covers width-1 chains only, which no check uses)",
                "  --slow                include the slow (60,000-epoch) checks",
                "  --verbose             print training progress (epoch, loss)",
                "  --list                list the check ids and exit",
                "  --models              the examples beyond the documents instead (relu, softmax, cross-entropy)"]
    for line in expected:
        assert line in lines, (line, lines)
    assert lines.index(expected[1]) + 1 == lines.index(expected[2])


def test_an_unknown_formulation_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--formulation", "fast", "doc3.toy_shapes"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --formulation: invalid choice: 'fast'" in err and "'per_sample'" in err


def test_list_prints_each_id_padded_to_40_then_slow_the_document_and_the_quotes_first_70_characters(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CHECKS)
    for line, (cid, check) in zip(lines, CHECKS.items()):
        marker = "slow " if cid in SLOW else ""
        assert line == cid.ljust(40) + " " + marker + check.document + ": " + check.quote[:70], line
    assert lines[list(CHECKS).index("doc1.circle_2841")].startswith("doc1.circle_2841" + " " * 25 + "slow first document: ")
    assert any(len(c.quote) > 70 for c in CHECKS.values())


def test_unknown_ids_exit_2_naming_them_and_nothing_runs(monkeypatch, capsys):
    calls = recorder(monkeypatch)
    with pytest.raises(SystemExit) as exit_:
        main(["doc9.nothing", "doc3.toy_shapes", "forum.nope"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == f"{PROG}: error: unknown check ids ['doc9.nothing', 'forum.nope']; see --list"
    assert out == "" and calls == []


def test_each_verdict_is_printed_with_its_time_then_the_count_of_failures(capsys):
    assert main(["doc3.toy_shapes", "forum.gradient_shapes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    verdicts = [str(examples.run_check(cid)).splitlines() for cid in ("doc3.toy_shapes", "forum.gradient_shapes")]
    assert lines[0:2] == verdicts[0] and lines[3:5] == verdicts[1]
    for timing in (lines[2], lines[5]):
        seconds = re.fullmatch(r"    \((\d+\.\d\d) s\)", timing)
        assert seconds and 0 <= float(seconds[1]) < 60, timing
    assert lines[6:] == ["0 of 2 checks failed"]


@pytest.mark.parametrize("failing,summary,status", [((), "0 of 3 checks failed", 0),
                                                    (("doc1.or_21",), "1 of 3 checks failed", 1),
                                                    (("doc1.or_21", "doc3.toy_dataset"), "2 of 3 checks failed", 1)])
def test_the_last_line_counts_the_failed_checks_and_a_failure_exits_1(monkeypatch, capsys, failing, summary, status):
    recorder(monkeypatch, failing)
    assert main(["doc1.or_21", "doc3.toy_dataset", "forum.gradient_shapes"]) == status
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == summary
    assert [line.split()[0] for line in out.splitlines() if line.split()[0] in ("PASS", "FAIL")] == [
        "FAIL" if cid in failing else "PASS" for cid in ("doc1.or_21", "doc3.toy_dataset", "forum.gradient_shapes")]


@pytest.mark.parametrize("argv,ran", [([], [c for c in CHECKS if c not in SLOW]), (["--slow"], list(CHECKS))])
def test_without_ids_the_command_runs_the_non_slow_checks_or_with_slow_every_check(monkeypatch, capsys, argv, ran):
    calls = recorder(monkeypatch)
    assert main(argv) == 0
    assert [cid for cid, _ in calls] == ran
    assert capsys.readouterr().out.splitlines()[-1] == f"0 of {len(ran)} checks failed"


def test_formulation_and_verbose_reach_the_checks(monkeypatch, capsys):
    calls = recorder(monkeypatch)
    assert main(["--formulation", "per_sample", "--verbose", "doc1.or_21", "doc3.toy_shapes"]) == 0
    assert calls == [("doc1.or_21", {"formulation": "per_sample", "verbose": True}), ("doc3.toy_shapes", {})]
    calls.clear()
    assert main(["doc1.or_21"]) == 0
    assert calls == [("doc1.or_21", {})]


def test_the_command_runs_the_reference_in_the_formulation_given(capsys):
    """scalar, which covers width-1 chains only and so none of the checks' networks, is not offered:
    asking for it is a usage error (exit 2), not a traceback at the first gradient check."""
    assert main(["--formulation", "per_neuron", "forum.agrees_with_reference"]) == 0
    assert capsys.readouterr().out.startswith("PASS forum.agrees_with_reference: ")
    with pytest.raises(SystemExit) as exit_:
        main(["--formulation", "scalar", "forum.agrees_with_reference"])
    assert exit_.value.code == 2
    assert "argument --formulation: invalid choice: 'scalar'" in capsys.readouterr().err


def test_each_verdict_is_flushed_as_its_check_ends(monkeypatch, capsys):
    """A long run piped into a log shows each verdict when it is reached, not at the end."""
    flushes = []
    monkeypatch.setattr(examples, "print", lambda *a, **k: flushes.append(k.get("flush", False)), raising=False)
    assert main(["doc3.toy_shapes", "doc3.toy_dataset"]) == 0
    assert flushes[:2] == [True, True]


def test_run_check_refuses_an_unknown_id_naming_it_and_every_known_id():
    with pytest.raises(ValueError) as refused:
        examples.run_check("doc1.nand_21")
    known = examples.check_ids() + list(examples.MODEL_CHECKS)
    assert str(refused.value) == f"unknown check id 'doc1.nand_21'; known: {', '.join(known)}"
