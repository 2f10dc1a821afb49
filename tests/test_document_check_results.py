"""What every document check shares (reference.documents.core): the first document's
mse = 2 C / n_L, a result printed as "PASS|FAIL id: criterion" with its figures, and
``supported_by`` asking the support about every batch size the check uses."""
import numpy as np
import pytest

from reference import Network, forward, loss
from reference.documents.core import CheckResult, DocumentCheck, document_mse


def test_document_mse_is_the_mean_square_over_all_n_L_times_N_entries():
    """``np.mean((Y - A^L) ** 2)`` over an (n_L, N) array, n_L = 2 as in the forum network."""
    net = Network([3, 4, 4, 2], output="identity")
    rng = np.random.default_rng(9)
    params, X, Y = net.init(rng), rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    aL = forward(net, params, X).a(net.L)
    assert document_mse(net, params, X, Y) == pytest.approx(np.mean((Y - aL) ** 2), rel=1e-14)
    assert document_mse(net, params, X, Y) == pytest.approx(2 * loss(net, params, X, Y) / 2, rel=1e-15)


def test_a_result_prints_its_verdict_id_criterion_and_short_figures():
    figures = {"loss": 0.123456789, "seeds": list(range(14)), "pair": [1.5, "x"], "name": "xnor"}
    failed = CheckResult("doc1.xnor", False, "loss below 0.01", figures)
    assert str(failed) == ("FAIL doc1.xnor: loss below 0.01\n"
                           "    loss=0.123457, seeds=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...], "
                           "pair=[1.5, x], name=xnor")
    twelve = CheckResult("doc1.or", np.bool_(True), "ok", {"seeds": list(range(12))})
    assert twelve.passed is True
    assert str(twelve) == "PASS doc1.or: ok\n    seeds=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]"


def test_supported_by_asks_the_support_about_the_checks_network_and_every_batch_size():
    net = Network([2, 2, 1])
    check = DocumentCheck("doc.x", "first", "quote", net, (4, 8), "gradient", False,
                          runner=lambda **kw: CheckResult("doc.x", True, "ok"))
    asked = []

    def covers(n, N):
        asked.append((n, N))
        return N <= 4

    assert check.supported_by(lambda n, N: n == net and N in (4, 8))
    assert not check.supported_by(covers)
    assert asked[0] == (net, 4) and (net, 8) in asked


def test_a_list_of_13_figures_is_shortened_to_its_first_12():
    text = str(CheckResult("c", True, "ok", {"v": list(range(13))}))
    assert text.endswith("v=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...]")


def test_predictions_are_0_1_integers_with_an_output_of_exactly_one_half_predicted_0():
    """First document: ``predict`` returns ``(A^L > 0.5).astype(int)``; zero parameters give a^L = 0.5."""
    from reference.documents.core import predictions
    net = Network([2, 1])
    preds = predictions(net, [(np.zeros((1, 2)), np.zeros(1))], np.ones((2, 3)))
    assert preds.dtype.kind == "i" and preds.tolist() == [[0, 0, 0]]
    assert predictions(net, [(np.ones((1, 2)), np.zeros(1))], np.ones((2, 1))).tolist() == [[1]]


def test_default_grad_fn_fills_in_the_reference_formulation_only_when_no_implementation_is_given():
    from reference.documents.core import default_grad_fn
    from reference import gradients
    net = Network([2, 2, 1])
    assert default_grad_fn(net, None, None) == (None, None)
    assert default_grad_fn(net, None, None, "batched_matrix") == (None, None)
    mine = lambda p, X, Y: p  # noqa: E731
    assert default_grad_fn(net, mine, None, "per_sample") == (mine, None)
    assert default_grad_fn(net, None, mine, "per_sample") == (None, mine)
    grad_fn, step_fn = default_grad_fn(net, None, None, "per_sample")
    params, X, Y = net.init(0), np.ones((2, 3)), np.zeros((1, 3))
    assert step_fn is None
    for (gW, gb), (eW, eb) in zip(grad_fn(params, X, Y), gradients(net, params, X, Y, formulation="per_sample")):
        assert np.array_equal(gW, eW) and np.array_equal(gb, eb)
    with pytest.raises(ValueError, match=r"^give grad_fn or step_fn, not both$"):
        default_grad_fn(net, mine, mine)


def test_default_grad_fn_runs_the_formulation_asked_for_even_one_that_refuses_the_network():
    """scalar covers width-1 chains only: asked for on [2, 2, 1], its refusal must surface."""
    from reference.documents.core import default_grad_fn
    net = Network([2, 2, 1])
    grad_fn, _ = default_grad_fn(net, None, None, "scalar")
    with pytest.raises(ValueError, match="width-1 chains only"):
        grad_fn(net.init(0), np.ones((2, 3)), np.zeros((1, 3)))
