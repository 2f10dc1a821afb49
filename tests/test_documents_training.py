"""reference.training: full-batch gradient descent and mini-batch SGD as the documents train."""
import numpy as np
import pytest

from reference import Network, gradients, loss
from reference.datasets import make_circles, xnor
from reference.documents.networkpy import NielsenNetwork
from reference.training import (copy_params, gradient_descent, gradient_step, reference_grad_fn, sgd)

NET = Network([2, 2, 1])


def _max_abs_diff(p, q):
    return max(float(np.max(np.abs(a - b))) for u, v in zip(p, q) for a, b in zip(u, v))


def test_one_epoch_of_gradient_descent_is_W_minus_eta_times_the_mean_gradient():
    """First document: ``W^l = W^l - eta * dC/dW^l``, ``b^l = b^l - eta * dC/db^l`` with
    ``dW[-1] = (dZ @ self.activations[-2].T) / m`` (the mean over the batch)."""
    X, Y = xnor()
    params = NET.init(1)
    result = gradient_descent(NET, params, X, Y, eta=0.7, epochs=1)
    expected = [(W - 0.7 * dW, b - 0.7 * db) for (W, b), (dW, db) in zip(params, gradients(NET, params, X, Y))]
    assert _max_abs_diff(result.params, expected) == 0.0


def test_the_loss_is_recorded_before_each_update_as_the_first_document_prints_it():
    """First document: ``output = self.forward(X); loss = mse_loss(Y, output); self.backward(X, Y)`` --
    the loss of epoch e is taken at the parameters before update e, so ``losses[e-1] = C(theta_{e-1})``."""
    X, Y = xnor()
    params = NET.init(2)
    result = gradient_descent(NET, params, X, Y, eta=1.0, epochs=5)
    theta = params
    for e in range(1, 6):
        assert result.losses[e - 1] == pytest.approx(loss(NET, theta, X, Y), rel=1e-15)
        assert result.loss_at_epoch(e) == result.losses[e - 1]
        theta = gradient_descent(NET, theta, X, Y, eta=1.0, epochs=1).params
    assert _max_abs_diff(theta, result.params) == 0.0
    assert result.losses[-1] != loss(NET, result.params, X, Y)    # the final weights are one update later


def test_training_never_modifies_its_arguments_and_returns_new_arrays():
    """Pure functions: arrays in, new arrays out (CONTRIBUTING, Style 2)."""
    X, Y = make_circles(40, rng=0)
    net = Network([2, 3, 1])
    params = net.init(0)
    kept = copy_params(params)
    X0, Y0 = X.copy(), Y.copy()
    for kwargs in ({}, {"batch_size": 7, "rng": 1}, {"formulation": "per_sample"},
                   {"grad_fn": reference_grad_fn(net)}):
        result = sgd(net, params, X, Y, eta=0.5, epochs=2, **kwargs)
        assert _max_abs_diff(params, kept) == 0.0
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(Y, Y0)
        assert all(a is not b for p, q in zip(result.params, params) for a, b in zip(p, q))


def test_the_mean_step_equals_eta_over_batch_size_times_the_summed_per_sample_gradients():
    """Last document: ``W_1 = W_1 - eta/batch_size*(grad_W_1)`` with ``grad_W_1`` the sum over the batch;
    network.py: ``self.weights = [w-(eta/len(mini_batch))*nw ...]``.  Same step as eta times the mean."""
    X, Y = make_circles(50, rng=1)
    net = Network([2, 3, 3, 1])
    params = net.init(3)
    ours = sgd(net, params, X, Y, eta=0.5, epochs=1, batch_size=50, formulation="per_sample").params
    nielsen = NielsenNetwork([2, 3, 3, 1], [W for W, _ in params], [b.reshape(-1, 1) for _, b in params])
    nielsen.update_mini_batch([(X[:, i:i + 1], Y[:, i:i + 1]) for i in range(50)], 0.5)
    theirs = [(W, b[:, 0]) for W, b in zip(nielsen.weights, nielsen.biases)]
    assert _max_abs_diff(ours, theirs) <= 16 * np.finfo(float).eps
    assert _max_abs_diff(ours, params) > 1e-3


def test_minibatches_are_consecutive_column_blocks_in_order_without_shuffling():
    """network.py: ``mini_batches = [training_data[k:k+mini_batch_size] for k in range(0, n, mini_batch_size)]``
    with ``# random.shuffle(training_data)`` commented out; a last shorter block is kept."""
    X = np.arange(20, dtype=float).reshape(2, 10)
    Y = np.zeros((1, 10))
    net = Network([2, 1])
    seen = []

    def recording_grad_fn(params, Xb, Yb):
        seen.append(Xb[0].tolist())
        return reference_grad_fn(net)(params, Xb, Yb)

    sgd(net, net.init(0), X, Y, eta=0.1, epochs=2, batch_size=4, grad_fn=recording_grad_fn)
    blocks = [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    assert seen == blocks + blocks


def test_an_rng_shuffles_the_samples_afresh_each_epoch_and_deterministically():
    """Last document: ``# indices = np.random.permutation(N)`` -- shuffling only when asked, from a seed."""
    X = np.arange(20, dtype=float).reshape(2, 10)
    Y = np.zeros((1, 10))
    net = Network([2, 1])

    def run(seed):
        seen = []
        sgd(net, net.init(0), X, Y, eta=0.1, epochs=3, batch_size=5, rng=seed,
            grad_fn=lambda p, Xb, Yb: (seen.append(Xb[0].tolist()), reference_grad_fn(net)(p, Xb, Yb))[1])
        return seen

    first, again = run(4), run(4)
    assert first == again
    epochs = [sorted(first[2 * e] + first[2 * e + 1]) for e in range(3)]
    assert all(e == list(np.arange(10.0)) for e in epochs)
    assert first[0] != first[2] and first[0] != [0.0, 1.0, 2.0, 3.0, 4.0]


def test_a_step_fn_and_a_grad_fn_drive_the_same_training():
    """An implementation given as a training step ``step_fn(params, X, Y, eta) -> new params``."""
    X, Y = xnor()
    grad_fn = reference_grad_fn(NET)
    step_fn = lambda p, X_, Y_, eta: gradient_step(p, grad_fn(p, X_, Y_), eta)
    a = gradient_descent(NET, NET.init(5), X, Y, eta=1.0, epochs=50, grad_fn=grad_fn)
    b = gradient_descent(NET, NET.init(5), X, Y, eta=1.0, epochs=50, step_fn=step_fn)
    c = gradient_descent(NET, NET.init(5), X, Y, eta=1.0, epochs=50)
    assert _max_abs_diff(a.params, b.params) == 0.0 and _max_abs_diff(a.params, c.params) == 0.0
    np.testing.assert_array_equal(a.losses, b.losses)


@pytest.mark.parametrize("formulation", ["per_neuron", "per_sample", "batched_tensor"])
def test_every_formulation_trains_xnor_along_the_same_trajectory(formulation):
    """The documents' formulations of BP1-BP4 are one algorithm: 300 epochs of XNOR [2,2,1] at eta 1.0
    agree with batched_matrix to float64 rounding (updates add |differences| of ~1e-16 each)."""
    X, Y = xnor()
    ref = gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=300)
    other = gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=300, formulation=formulation)
    assert _max_abs_diff(ref.params, other.params) <= 1e-12
    np.testing.assert_allclose(ref.losses, other.losses, rtol=1e-12)


def test_the_scalar_formulation_trains_the_1d_chain_like_the_others():
    """Last document, 1-D network: ``w1,b1,w2,b2,w3,b3`` -- Network([1, 1, 1, 1]) on the toy data."""
    net = Network([1, 1, 1, 1])
    X = np.linspace(-5, 5, 20).reshape(1, 20)
    Y = (X > 0).astype(float)
    a = sgd(net, net.init(0), X, Y, eta=0.5, epochs=20, batch_size=5, formulation="scalar")
    b = sgd(net, net.init(0), X, Y, eta=0.5, epochs=20, batch_size=5)
    assert _max_abs_diff(a.params, b.params) <= 1e-13


def test_a_gradient_of_the_wrong_shape_is_refused_naming_the_array_and_shapes():
    """Bad input never crashes the tool: a clear ValueError names the array and the shapes."""
    X, Y = xnor()
    transposed = lambda p, X_, Y_: [(dW.T, db) for dW, db in reference_grad_fn(NET)(p, X_, Y_)]
    message = r"W\^2 \(grad_fn's gradient\[1\]\[0\]\) has shape \(2, 1\); expected \(1, 2\)"
    with pytest.raises(ValueError, match=message):
        gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=1, grad_fn=transposed)
    with pytest.raises(ValueError, match="step_fn's new params must be a list"):
        gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=1, step_fn=lambda *a: None)
    for bad in ({"eta": 0.0, "epochs": 1}, {"eta": 1.0, "epochs": 0}, {"eta": 1.0, "epochs": 1, "batch_size": 0}):
        with pytest.raises(ValueError):
            sgd(NET, NET.init(0), X, Y, **bad)
    with pytest.raises(ValueError, match="give grad_fn or step_fn, not both"):
        sgd(NET, NET.init(0), X, Y, eta=1.0, epochs=1, grad_fn=transposed, step_fn=lambda *a: None)


def test_training_is_quiet_by_default_and_verbose_prints_epoch_and_loss(capsys):
    """First document: ``if epoch % print_every == 0: print(f"Epoch {epoch} - Loss: {loss:.6f}")``."""
    X, Y = xnor()
    gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=20)
    assert capsys.readouterr().out == ""
    result = gradient_descent(NET, NET.init(0), X, Y, eta=1.0, epochs=20, verbose=True, print_every=10)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 10", "Epoch 20"]
    assert f"Loss: C = {result.losses[9]:.6f}, mse = 2C/n_L = {2 * result.losses[9]:.6f}" in lines[0]


def test_the_progress_callback_gets_every_epoch_and_its_mean_batch_loss():
    X, Y = make_circles(30, rng=0)
    net = Network([2, 3, 1])
    calls = []
    result = sgd(net, net.init(0), X, Y, eta=0.5, epochs=4, batch_size=10,
                 progress=lambda epoch, value: calls.append((epoch, value)))
    assert [e for e, _ in calls] == [1, 2, 3, 4]
    assert result.updates_per_epoch == 3 and result.losses.shape == (12,)
    np.testing.assert_array_equal([v for _, v in calls], result.epoch_losses)
    assert result.epoch_losses[0] == pytest.approx(result.losses[:3].mean())
