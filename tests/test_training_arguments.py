"""Training (reference.training): bad arguments are refused naming them; the defaults
(quiet, progress every epochs // 10 epochs when verbose, full batch) hold; copies are float64;
``gradient_descent`` passes its formulation and progress callback on to ``sgd``."""
import numpy as np
import pytest

from reference import Network, gradients
from reference.datasets import xnor
from reference.training import copy_params, gradient_descent, reference_grad_fn, sgd

NET = Network([2, 2, 1])


@pytest.mark.parametrize("bad, message", [
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"epochs": 2.0}, "epochs must be a positive integer, got 2.0"),
    ({"epochs": True}, "epochs must be a positive integer, got True"),
    ({"eta": 0.0}, "eta must be a positive finite number, got 0.0"),
    ({"eta": float("inf")}, "eta must be a positive finite number, got inf"),
    ({"eta": "0.1"}, "eta must be a positive finite number, got '0.1'"),
    ({"eta": True}, "eta must be a positive finite number, got True"),
    ({"batch_size": 0}, "batch_size must be a positive integer or None, got 0"),
    ({"batch_size": 2.0}, "batch_size must be a positive integer or None, got 2.0"),
    ({"batch_size": True}, "batch_size must be a positive integer or None, got True"),
])
def test_bad_training_arguments_are_refused_naming_the_argument_and_value(bad, message):
    X, Y = xnor()
    kwargs = {"eta": 0.5, "epochs": 1, **bad}
    with pytest.raises(ValueError) as info:
        sgd(NET, NET.init(0), X, Y, **kwargs)
    assert str(info.value) == message


def test_a_batch_of_one_sample_is_allowed_and_takes_one_step_per_sample():
    X, Y = xnor()
    result = sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=1, batch_size=1)
    assert result.updates_per_epoch == 4 and result.losses.shape == (4,)


def test_a_batch_size_of_n_is_full_batch_and_larger_ones_too():
    X, Y = xnor()
    full = gradient_descent(NET, NET.init(0), X, Y, eta=0.5, epochs=3)
    for m in (4, 9):
        same = sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=3, batch_size=m)
        assert same.updates_per_epoch == 1
        np.testing.assert_array_equal(same.losses, full.losses)


def test_sgd_is_quiet_by_default_and_verbose_prints_every_tenth_of_the_epochs(capsys):
    X, Y = xnor()
    sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=3)
    assert capsys.readouterr().out == ""
    sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=30, verbose=True)
    assert [line.split(" - ")[0] for line in capsys.readouterr().out.splitlines()] == [
        f"Epoch {e}" for e in range(3, 31, 3)]
    sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=5, verbose=True)     # fewer than 10 epochs: every epoch
    assert len(capsys.readouterr().out.splitlines()) == 5


def test_gradient_descent_passes_its_formulation_and_progress_on():
    X, Y = xnor()
    calls = []
    seen = []

    def recording(params, X_, Y_):
        seen.append(1)
        return reference_grad_fn(NET, "per_neuron")(params, X_, Y_)

    a = gradient_descent(NET, NET.init(0), X, Y, eta=0.5, epochs=2, formulation="per_neuron",
                         progress=lambda e, c: calls.append(e))
    b = gradient_descent(NET, NET.init(0), X, Y, eta=0.5, epochs=2, grad_fn=recording)
    assert calls == [1, 2] and len(seen) == 2
    for (W, b_), (W2, b2) in zip(a.params, b.params):
        assert np.array_equal(W, W2) and np.array_equal(b_, b2)


def test_an_unknown_formulation_and_an_epoch_out_of_range_are_named():
    with pytest.raises(ValueError, match=r"^unknown formulation 'fast'; choose one of \['batched_matrix', "):
        reference_grad_fn(NET, "fast")
    X, Y = xnor()
    result = gradient_descent(NET, NET.init(0), X, Y, eta=0.5, epochs=2)
    with pytest.raises(ValueError, match=r"^epoch 3 out of range 1\.\.2$"):
        result.loss_at_epoch(3)


def test_copy_params_gives_float64_copies_even_of_integer_parameters():
    params = [(np.ones((2, 2), dtype=int), np.zeros(2, dtype=int)), (np.ones((1, 2), dtype=int), np.ones(1, dtype=int))]
    copies = copy_params(params)
    assert all(W.dtype == np.float64 and b.dtype == np.float64 for W, b in copies)
    assert all(W is not W0 and b is not b0 for (W, b), (W0, b0) in zip(copies, params))


def test_reference_grad_fn_uses_the_formulation_asked_for():
    X, Y = xnor()
    params = NET.init(3)
    for (gW, gb), (eW, eb) in zip(reference_grad_fn(NET, "per_neuron")(params, X, Y),
                                  gradients(NET, params, X, Y, formulation="per_neuron")):
        assert np.array_equal(gW, eW) and np.array_equal(gb, eb)


def test_verbose_progress_every_tenth_rounds_down_to_whole_epochs(capsys):
    X, Y = xnor()
    sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=25, verbose=True)
    assert [line.split(" - ")[0] for line in capsys.readouterr().out.splitlines()] == [
        f"Epoch {e}" for e in range(2, 26, 2)]


def test_giving_both_a_gradient_and_a_step_is_refused_saying_so():
    X, Y = xnor()
    f = reference_grad_fn(NET)
    with pytest.raises(ValueError) as info:
        sgd(NET, NET.init(0), X, Y, eta=0.5, epochs=1, grad_fn=f, step_fn=lambda p, X_, Y_, eta: p)
    assert str(info.value) == "give grad_fn or step_fn, not both"
