"""The check table of reference.examples: each check is the document example its id names.

Every id of the module docstring's "Check ids" list is a check and vice versa; each check
declares the network, batch sizes, ``uses``, ``slow`` and ``trains`` of its document example,
runs the function for that example with options that are the document's printed values
(reference/documents/printed.py) and the seed rules of ``_truth_checks``' docstring; its quote
is the document's own text (or, for the printed-weights checks, names the printed figures).

``CHECKS`` is built once at import time (``CHECKS = MappingProxyType(...)``), where a mutation
test never re-runs it; so these tests call the private builders ``_truth_checks``,
``_regression_checks`` and ``_forum_and_last_checks`` themselves.
"""
import functools
import inspect
import re
from pathlib import Path

import pytest

from reference import examples
from reference.documents import first, forum, last
from reference.documents.printed import (CIRCLE_BOUNDARY, FORUM_SHAPES, SIN_REGRESSION, TOY_FIRST_FIVE,
                                         TOY_SHAPES, TOY_SINGLE_SAMPLE, TRUTH_TABLE_RUNS, XNOR_2431_LOSSES)
from reference.network import Network

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DOCUMENT_OF_PREFIX = {"doc1": "first document", "forum": "forum question", "doc3": "last document"}


def built():
    """The table as the builders make it now (called inside each test, see the module docstring)."""
    checks = examples._truth_checks() + examples._regression_checks() + examples._forum_and_last_checks()
    return {c.check_id: c for c in checks}, [c.check_id for c in checks]


def docstring_ids():
    """The ids of the module docstring's "Check ids" section, braces expanded, in its order."""
    section = examples.__doc__.split("Check ids\n---------\n")[1]
    ids = []
    for line in section.strip().splitlines():
        listed = re.split(r"\s{2,}", line.strip())[0]
        for item in listed.split(", "):
            braces = re.fullmatch(r"(.*)\{(.*)\}", item)
            ids += [braces[1] + part for part in braces[2].split(",")] if braces else [item]
    return ids


def test_the_checks_are_exactly_the_ids_the_module_docstring_lists():
    table, order = built()
    listed = docstring_ids()
    assert len(listed) == len(set(listed)) == 21, listed
    assert len(order) == len(set(order)), f"an id is built twice: {order}"
    assert set(order) == set(listed), (sorted(set(order) - set(listed)), sorted(set(listed) - set(order)))
    later = [cid for cid in listed if not cid.startswith("doc1.")]
    assert [cid for cid in order if not cid.startswith("doc1.")] == later, "forum/last document order"
    assert list(examples.CHECKS) == order


def test_each_check_names_its_document_by_its_id_prefix():
    table, _ = built()
    for cid, check in table.items():
        assert check.document == DOCUMENT_OF_PREFIX[cid.split(".")[0]], (cid, check.document)


def test_the_truth_table_trainings_are_the_first_documents_runs_with_the_seed_rules():
    """``_truth_checks``: XNOR rule >= 5 of seeds 0-9 ([2,2,1]) and >= 9 of 10 ([2,4,3,1]), mse of
    the printed order (x10, ``first.ORDER``); OR/AND [2,1] >= 9 of 10 with the band x2."""
    table, _ = built()
    xnor, gate_or, gate_and = (TRUTH_TABLE_RUNS[g] for g in ("xnor", "or", "and"))
    expected = {  # id: (gate, layer sizes, eta, epochs, printed loss, min_perfect, order)
        "doc1.xnor_221": ("xnor", xnor["layer_sizes"], 1.0, 10000, xnor["losses"][10000], 5, first.ORDER),
        "doc1.xnor_2431": ("xnor", (2, 4, 3, 1), 1.0, 10000, XNOR_2431_LOSSES[10000], 9, first.ORDER),
        "doc1.or_21": ("or", gate_or["layer_sizes"], 0.3, 10000, gate_or["losses"][10000], 9, 2.0),
        "doc1.and_21": ("and", gate_and["layer_sizes"], 0.3, 5000, gate_and["losses"][5000], 9, 2.0)}
    for cid, (gate, sizes, eta, epochs, printed, min_perfect, order) in expected.items():
        check = table[cid]
        assert dict(check.options) == {"gate": gate, "layer_sizes": sizes, "eta": eta, "epochs": epochs,
                                       "printed_loss": printed, "seeds": tuple(range(10)),
                                       "min_perfect": min_perfect, "order": order}, cid
        assert check.network == Network(sizes), cid
        assert check.runner is first.truth_table_training, cid
        assert (check.batch_sizes, check.uses, check.slow, check.trains) == ((4,), "gradient", False, True), cid
    assert [TRUTH_TABLE_RUNS[g]["eta"] for g in ("xnor", "or", "and")] == [1.0, 0.3, 0.3]
    assert [TRUTH_TABLE_RUNS[g]["epochs"] for g in ("xnor", "or", "and")] == [10000, 10000, 5000]


def test_the_printed_weights_checks_take_the_gate_only_and_run_on_its_four_rows():
    table, _ = built()
    for gate in ("xnor", "or", "and"):
        check = table[f"doc1.printed_params.{gate}"]
        assert dict(check.options) == {"gate": gate}
        assert check.network == Network(TRUTH_TABLE_RUNS[gate]["layer_sizes"])
        assert check.runner is first.printed_params
        assert (check.batch_sizes, check.uses, check.slow, check.trains) == ((4,), "gradient", False, False)


@pytest.mark.parametrize("name,example,spec", [("circle_2841", "circle", CIRCLE_BOUNDARY),
                                               ("sin_2_16_8_4_1", "sin", SIN_REGRESSION)])
def test_the_regressions_run_10000_epochs_on_seeds_0_to_2_and_the_slow_60000_on_seeds_0_to_4(name, example, spec):
    """First document, Examples 2 and 3: the printed 8 points; the slow check runs the document's
    60,000 epochs (seeds 0-4), the default one 10,000 (seeds 0-2), as tests/test_documents_first.py states."""
    table, _ = built()
    net, points = Network(spec["layer_sizes"]), len(spec["X"][0])
    assert points == 8 and spec["epochs"] == 60000
    for cid, epochs, seeds, slow in ((f"doc1.{name}_10k", 10000, (0, 1, 2), False),
                                     (f"doc1.{name}", spec["epochs"], (0, 1, 2, 3, 4), True)):
        check = table[cid]
        assert dict(check.options) == {"example": example, "epochs": epochs, "seeds": seeds}, cid
        assert check.network == net and check.runner is first.regression_training, cid
        assert (check.batch_sizes, check.uses, check.slow, check.trains) == ((points,), "gradient", slow, True), cid
    data = table[f"doc1.printed_data.{example}"]
    assert dict(data.options) == {"example": example} and data.runner is first.printed_data
    assert data.network == net
    assert (data.batch_sizes, data.uses, data.slow, data.trains) == ((), "nothing", False, False)


def test_only_the_two_60000_epoch_regressions_are_slow():
    table, _ = built()
    assert {cid for cid, c in table.items() if c.slow} == {"doc1.circle_2841", "doc1.sin_2_16_8_4_1"}


def test_the_forum_and_last_document_checks_use_their_networks_batches_and_functions():
    table, _ = built()
    circles = Network([2, 3, 3, 1])
    expected = {  # id: (network, batch sizes, uses, runner, options)
        "forum.gradient_shapes": (Network(FORUM_SHAPES["layer_sizes"], output="identity"),
                                  (FORUM_SHAPES["batch_size"],), "gradient", forum.gradient_shapes, {}),
        "forum.agrees_with_reference": (Network([3, 4, 4, 2], output="identity"), (5,), "gradient",
                                        forum.agrees_with_reference, {}),
        "doc3.toy_dataset": (Network(TOY_SHAPES["layer_sizes"]), (), "nothing", last.toy_dataset, {}),
        "doc3.toy_single_sample_cost": (Network([1, 1]), (), "nothing", last.toy_single_sample_cost, {}),
        "doc3.toy_shapes": (Network([1, 3, 2, 1]), (TOY_SHAPES["activations"][0][1],), "forward",
                            last.toy_shapes, {}),
        "doc3.gradient_checking": (circles, (1, 50), "gradient", last.gradient_checks_during_training, {}),
        "doc3.circles_per_example_vs_networkpy": (circles, (50,), "gradient", last.circles_vs_networkpy,
                                                  {"formulation": "per_sample"}),
        "doc3.circles_batched_vs_networkpy": (circles, (50,), "gradient", last.circles_vs_networkpy,
                                              {"formulation": "batched_tensor"})}
    for cid, (net, batches, uses, runner, options) in expected.items():
        check = table[cid]
        assert (check.network, check.batch_sizes, check.uses) == (net, batches, uses), cid
        assert check.runner is runner and dict(check.options) == options, cid
        assert (check.slow, check.trains) == (False, False), cid


def test_uses_and_trains_match_what_each_checks_function_accepts():
    """``uses`` "gradient": the function takes grad_fn and step_fn; "forward": a forward_fn;
    "nothing": neither.  ``trains``: it accepts ``verbose``.  Every option is one of its parameters."""
    table, _ = built()
    for cid, check in table.items():
        params = inspect.signature(check.runner).parameters
        takes = "gradient" if {"grad_fn", "step_fn"} <= set(params) else (
            "forward" if "forward_fn" in params else "nothing")
        assert check.uses == takes, (cid, check.uses, list(params))
        assert check.trains == ("verbose" in params), cid
        assert set(check.options) <= set(params) - {"check_id", "grad_fn", "step_fn"}, cid


# ---- quotes ---------------------------------------------------------------------------------------

def documents():
    """The three documents' texts by document name (000 first, 001 forum, 002 last)."""
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the documents are not beside the checkout ({SEEDS_DIR})")
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    assert texts[0].startswith("# Multiple Layer Training: Backpropagation")
    return dict(zip(("first document", "forum question", "last document"), texts))


@functools.lru_cache(maxsize=None)
def flat(text):
    """Without whitespace (the documents break code lines inside brackets) and LaTeX backslashes."""
    return "".join(text.split()).replace("\\", "")


def fragments(quote):
    """(piece, is_printout): a quote joins the quoted pieces with "->" (a call, then its printout),
    "..." (an elision), "; " and " / "; a piece wrapped in parentheses is quoted without them, a
    bracket closing what the elision opened is dropped."""
    call, *printouts = quote.split(" -> ")
    for text, is_printout in [(call, False)] + [(p, True) for p in printouts]:
        for piece in re.split(r" ?\.\.\. ?|; | / ", text):
            piece = piece.strip(" ,")
            if piece.startswith("(") and piece.endswith(")"):
                piece = piece[1:-1]
            while piece.endswith("]") and piece.count("]") > piece.count("["):   # "[..., [2, 4, 3, 1]]"
                piece = piece[:-1]
            if piece:
                yield piece, is_printout


def words(piece):
    """The words of a piece (split at spaces, commas and after "["), without parentheses left open."""
    for word in re.split(r"[\s,]+|(?<=\[)", piece):
        while word.endswith(")") and word.count(")") > word.count("("):
            word = word[:-1]
        while word.startswith("(") and word.count("(") > word.count(")"):
            word = word[1:]
        if word:
            yield word


#: The last document renders some inline code rotated ("`for i,j in zip(weights,net.weights)]
#: [np.array_equal(i,j) `", "inputs,labels 0:5],labels[0:5] inputs["), and its batched run is
#: compared in prose: in these quotes a piece may be the document's words in another order.
WORD_BY_WORD = {"doc3.toy_dataset", "doc3.gradient_checking", "doc3.circles_per_example_vs_networkpy",
                "doc3.circles_batched_vs_networkpy"}


def in_document(piece, is_printout, text, word_by_word):
    """The piece is in the text; or, a printout, each printed line it joins with ", " is; or, in
    rotated code, each of its words is."""
    if flat(piece) in flat(text):
        return True
    if is_printout and all(flat(line) in flat(text) for line in piece.split(", ")):
        return True
    return word_by_word and all(w in text or flat(w) in flat(text) for w in words(piece))


def test_every_quote_but_the_printed_weights_summaries_is_the_documents_own_text():
    """Piece by piece, case and all; a check against network.py ends with a note
    "(<what is compared> vs network.py)", the one part that is not quoted."""
    docs = documents()
    table, _ = built()
    for cid, check in table.items():
        if cid.startswith("doc1.printed_params."):
            continue
        quote = check.quote
        if cid.endswith("_vs_networkpy"):
            assert quote.endswith(" vs network.py)"), (cid, quote)
            quote = quote[:quote.rindex(" (")]
        missing = [piece for piece, is_printout in fragments(quote)
                   if not in_document(piece, is_printout, docs[check.document], cid in WORD_BY_WORD)]
        assert not missing, (cid, missing)


def test_the_training_quotes_name_the_network_and_the_printed_losses_they_are_checked_against():
    table, _ = built()
    for cid in ("doc1.xnor_221", "doc1.xnor_2431", "doc1.or_21", "doc1.and_21"):
        options = table[cid].options
        assert f"Loss: {options['printed_loss']:.6f}" in table[cid].quote, cid
        assert str(list(options["layer_sizes"])) in table[cid].quote, cid
    assert "Epoch 10000 - Loss: 0.000694, Accuracy: 100.0%" in table["doc1.xnor_221"].quote
    assert "Epoch 5000 - Loss: 0.007865, Predictions: [[0 0 0 1]]" in table["doc1.and_21"].quote
    for name, spec in (("circle_2841", CIRCLE_BOUNDARY), ("sin_2_16_8_4_1", SIN_REGRESSION)):
        for cid in (f"doc1.{name}_10k", f"doc1.{name}"):
            quote = table[cid].quote
            assert f"DeepNeuralNetwork({list(spec['layer_sizes'])}, learning_rate={spec['eta']})" in quote, cid
            for epoch in (10000, 60000):
                assert f"Epoch {epoch} - Loss: {spec['losses'][epoch]:.6f}" in quote, cid


def test_the_printed_weights_quotes_name_the_printed_loss_and_predictions():
    """E.g. "XNOR: Epoch 10000 - Loss: 0.000694; Predictions: [[0, 1, 1, 0]]; the printed Weights/Biases"."""
    table, _ = built()
    printed = {"xnor": ("XNOR", "Epoch 10000 - Loss: 0.000694", [[0, 1, 1, 0]]),
               "or": ("OR", "Epoch 10000 - Loss: 0.001864", [[0, 1, 1, 1]]),
               "and": ("AND", "Epoch 5000 - Loss: 0.007865", [[0, 0, 0, 1]])}
    for gate, (name, loss_line, preds) in printed.items():
        quote = table[f"doc1.printed_params.{gate}"].quote
        assert quote.startswith(f"{name}: {loss_line}; ") and f"Predictions: {preds}" in quote, (gate, quote)
        assert quote.endswith("the printed Weights/Biases"), (gate, quote)


def test_the_data_and_shape_quotes_name_the_printed_values():
    table, _ = built()
    circle_y = "[[" + " ".join(str(v) for v in CIRCLE_BOUNDARY["Y"][0]) + "]]"
    assert table["doc1.printed_data.circle"].quote.endswith(f"Expected Output (Y): {circle_y}")
    assert table["doc1.printed_data.sin"].quote.startswith("Input Data (X): ... Expected Output (Y): ")
    assert f"[{TOY_FIRST_FIVE['inputs'][1]}]" in table["doc3.toy_dataset"].quote
    assert table["doc3.toy_dataset"].quote.startswith("inputs[0:5],labels[0:5] -> ")
    single = table["doc3.toy_single_sample_cost"].quote
    assert single.endswith(f"calculated: [{TOY_SINGLE_SAMPLE['output']}], "
                           f"giving us a cost of: {TOY_SINGLE_SAMPLE['cost']!r}")
    shapes = " / ".join(" ".join(str(s) for s in TOY_SHAPES[k]) for k in ("activities", "activations"))
    assert table["doc3.toy_shapes"].quote == shapes
    sizes = FORUM_SHAPES["layer_sizes"]
    assert table["forum.gradient_shapes"].quote.startswith(
        f"parameters, X, Y = initialize(input_dim={sizes[0]}, hidden1_dim={sizes[1]}, hidden2_dim={sizes[2]}, "
        f"output_dim={sizes[3]}, batch_size={FORUM_SHAPES['batch_size']}); ")
    assert table["doc3.gradient_checking"].quote.startswith("we can choose epsilon = 10^{-7}")
