"""The last document's gradient checking (``gradient_checking``, ``gradient_check_error``, the check
``gradient_checks_during_training``) and its comparison with network.py (``circles_vs_networkpy``,
``rounding_bound``): what they compute, what they report, and that they run the implementation given.

Trainings are one epoch (or replaced by recording stand-ins with ``monkeypatch``); gradients are
the reference's scaled by known factors, so each check's error is a number known in advance:
for nabla = c g the document's error ||D - nabla|| / (||D|| + ||nabla||) is |1 - c| / (1 + c).
"""
import types

import numpy as np
import pytest

from reference import Network
from reference.datasets import make_circles
from reference.documents import last
from reference.params import flatten
from reference.training import reference_grad_fn

CIRCLES = last.CIRCLES_NETWORK
EPS = np.finfo(np.float64).eps


def test_gradient_checking_reads_integer_theta_and_a_float32_gradient_in_float64():
    """C(theta) = c . theta at theta = 0: central differences give D = c to one ulp, so the error
    of nabla = 2c is ||c|| / (3 ||c||) = 1/3.  theta given as integers must still be perturbed by
    epsilon (not truncated to 0), and ||nabla|| of a float32 nabla taken in float64."""
    c = np.array([0.5, -1.25, 2.0, 0.1])
    cost = lambda theta: float(c @ theta)  # noqa: E731
    assert last.gradient_checking(cost, [0, 0, 0, 0], 2 * c) == pytest.approx(1 / 3, rel=1e-14)
    g32 = (2 * c).astype(np.float32)
    assert np.float64(np.linalg.norm(g32)) != np.linalg.norm(g32.astype(np.float64)), "premise"
    assert last.gradient_checking(cost, np.zeros(4), g32) == pytest.approx(
        np.linalg.norm(c - g32.astype(np.float64)) / (np.linalg.norm(c) + np.linalg.norm(g32.astype(np.float64))),
        rel=1e-14)


def test_gradient_check_error_passes_its_epsilon_on():
    """One sigmoid neuron [1, 1] on one sample: theta = (w, b), C = 1/2 (sigma(w x + b) - y)^2.
    With epsilon = 0.1 the central differences carry their O(epsilon^2) error, recomputed here."""
    net = Network([1, 1])
    params, x, y = [(np.array([[0.7]]), np.array([-0.3]))], np.array([[1.5]]), np.array([[0.2]])
    cost = lambda w, b: 0.5 * (1 / (1 + np.exp(-(w * 1.5 + b))) - 0.2) ** 2  # noqa: E731
    a = 1 / (1 + np.exp(-(0.7 * 1.5 - 0.3)))
    g = np.array([(a - 0.2) * a * (1 - a) * 1.5, (a - 0.2) * a * (1 - a)])
    D = np.array([(cost(0.8, -0.3) - cost(0.6, -0.3)) / 0.2, (cost(0.7, -0.2) - cost(0.7, -0.4)) / 0.2])
    expected = np.linalg.norm(D - g) / (np.linalg.norm(D) + np.linalg.norm(g))
    nabla = [(np.array([[g[0]]]), np.array([g[1]]))]
    assert expected > 1e-4
    assert last.gradient_check_error(net, params, x, y, nabla, epsilon=0.1) == pytest.approx(expected, rel=1e-6)
    assert last.gradient_check_error(net, params, x, y, nabla) < 1e-8


def test_circles_data_defaults_to_seed_0_and_adds_the_documents_noise():
    """``make_circles(n_samples=1000, shuffle=False, factor=0.3, noise=0.1)`` then the initial values,
    from one Generator: the outer circle's radii scatter by about 0.1 around 1."""
    X, Y, params = last.circles_data()
    X0, Y0, params0 = last.circles_data(0)
    assert np.array_equal(X, X0) and np.array_equal(Y, Y0)
    assert all(np.array_equal(a, b) for p, q in zip(params, params0) for a, b in zip(p, q))
    assert not np.array_equal(X, last.circles_data(1)[0])
    gen = np.random.default_rng(0)
    Xm, _ = make_circles(n_samples=1000, factor=0.3, noise=0.1, rng=gen)
    assert np.array_equal(X, Xm)
    assert np.array_equal(params[0][0], gen.random((3, 2)))
    radii = np.hypot(X[0, :500], X[1, :500])
    assert 0.08 < np.std(radii - 1.0) < 0.12


def _scaled(factors, calls):
    """The reference per-sample gradient times factors[i] for the single sample X[:, i] (a check), and
    unscaled for SGD's blocks of 50; records (params, columns) of every call."""
    X, _, _ = last.circles_data(0)
    grad = reference_grad_fn(CIRCLES, "per_sample")

    def grad_fn(params, Xb, Yb):
        calls.append(([(W.copy(), b.copy()) for W, b in params], Xb.shape[1]))
        g = grad(params, Xb, Yb)
        if Xb.shape[1] == 1:
            i = int(np.flatnonzero(np.all(X == Xb, axis=0))[0])
            g = [(factors[i] * dW, factors[i] * db) for dW, db in g]
        return g
    return grad_fn


def test_the_checks_errors_are_those_of_each_samples_gradient_at_the_start_of_every_epoch():
    """samples (0, 500, 999) scaled by 0, 3, 2: errors 1, 1/2, 1/3 in each of 2 epochs; between
    them one epoch of SGD, blocks of 50 in order with eta 1e-2 (checked update by update)."""
    calls = []
    result = last.gradient_checks_during_training(check_id="my.gc", grad_fn=_scaled({0: 0.0, 500: 3.0, 999: 2.0},
                                                                                   calls),
                                                  epochs=2, samples=(0, 500, 999))
    assert [n for _, n in calls] == ([1] * 3 + [50] * 20) * 2
    X, Y, _ = last.circles_data(0)
    for k in [k for k in range(1, 46) if calls[k - 1][1] == 50]:    # the parameters after block j
        prev, now, s = calls[k - 1][0], calls[k][0], 50 * ((k - 1) % 23 - 3)
        g = reference_grad_fn(CIRCLES, "per_sample")(prev, X[:, s:s + 50], Y[:, s:s + 50])
        for (W0, b0), (W1, b1), (dW, db) in zip(prev, now, g):
            np.testing.assert_allclose(W1, W0 - 1e-2 * dW, rtol=0, atol=1e-15)
            np.testing.assert_allclose(b1, b0 - 1e-2 * db, rtol=0, atol=1e-15)
    assert result.check_id == "my.gc" and not result.passed
    assert result.figures == pytest.approx({"checks": 6, "max_error": 1.0, "median_error": 0.5},
                                           rel=1e-6)
    assert result.criterion == ("gradient_checking (epsilon 1e-7) of single-sample gradients at the start of "
                                "each of 2 epochs of the circles SGD: every error < 1e-7")


@pytest.mark.parametrize("formulation", ["per_sample", "batched_matrix", None])
def test_the_check_runs_the_reference_formulation_asked_for_and_passes(formulation):
    """By default (per_sample) and for batched_matrix the reference passes; ``scalar`` covers
    width-1 chains only and its refusal surfaces."""
    options = {} if formulation is None else {"formulation": formulation}
    result = last.gradient_checks_during_training(check_id="r", epochs=1, samples=(0, 999), **options)
    assert result.passed and result.figures["checks"] == 2 and result.figures["max_error"] < 1e-7
    assert set(result.figures) == {"checks", "max_error", "median_error"}
    with pytest.raises(ValueError, match="width-1 chains only"):
        last.gradient_checks_during_training(check_id="r", formulation="scalar", epochs=1, samples=(0,))


def _stepping(factor, seen):
    """A step_fn taking ``factor`` times the reference step; records (columns, eta, was a fresh copy)."""
    grad = reference_grad_fn(CIRCLES, "per_sample")

    def step_fn(params, X, Y, eta):
        seen.append((X.shape, Y.shape, eta))
        new = [(W - factor * eta * dW, b - factor * eta * db) for (W, b), (dW, db) in zip(params, grad(params, X, Y))]
        for W, b in params:                      # writes into its arguments, as a DeepNeuralNetwork does
            W[...] = 0.0
        return new
    return step_fn


@pytest.mark.parametrize("factor,passes", [(1.0, True), (2.0, False)])
def test_a_step_fn_drives_the_sgd_and_its_gradient_is_read_as_one_step_with_eta_1(factor, passes):
    """The gradient of a step_fn is theta - step(theta, eta = 1), taken on copies: the reference step
    passes, twice the step (gradient 2g, error 1/3) fails."""
    seen = []
    result = last.gradient_checks_during_training(check_id="s", step_fn=_stepping(factor, seen), epochs=1,
                                                  samples=(0, 500))
    assert seen == [((2, 1), (1, 1), 1.0)] * 2 + [((2, 50), (1, 50), 1e-2)] * 20
    assert result.passed is passes, result
    assert result.figures["max_error"] == (pytest.approx(1 / 3, rel=1e-6) if factor == 2.0 else
                                           pytest.approx(0.0, abs=1e-7))


def test_an_error_bound_widens_each_limit_by_its_bound_over_the_gradients_norm():
    """error_bound(params, x, y, nabla) -> B: limit 1e-7 + B / ||nabla||.  With B = 0.5 ||nabla|| a
    gradient of error 1/3 passes; the figure max_limit and the criterion say so."""
    seen = []

    def error_bound(params, x, y, nabla):
        seen.append((len(params), x.shape, y.shape, [a.shape for pair in nabla for a in pair]))
        return 0.5 * float(np.linalg.norm(flatten(nabla)))

    result = last.gradient_checks_during_training(check_id="b", grad_fn=_scaled({0: 2.0}, []), epochs=1,
                                                  samples=(0,), error_bound=error_bound)
    assert seen == [(3, (2, 1), (1, 1), [(3, 2), (3,), (3, 3), (3,), (1, 3), (1,)])]
    assert result.passed, result
    assert set(result.figures) == {"checks", "max_error", "median_error", "max_limit"}
    assert result.figures["max_limit"] == pytest.approx(1e-7 + 0.5, rel=1e-12)
    assert result.criterion == ("gradient_checking (epsilon 1e-7) of single-sample gradients at the start of "
                                "each of 1 epochs of the circles SGD: every error < 1e-7 + the implementation's "
                                "rounding bound / ||nabla||")


def _single_entry(value):
    """A gradient that is ``value`` in its first entry (W^1_11) and 0 elsewhere."""
    def grad_fn(params, X, Y):
        g = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
        g[0][0][0, 0] = value
        return g
    return grad_fn


def test_a_zero_gradient_with_an_error_bound_gets_no_extra_room_and_no_division_by_zero():
    """||nabla|| = 0: the allowance is 0, the limit the document's 1e-7, the error ||D|| / ||D|| = 1."""
    result = last.gradient_checks_during_training(check_id="z", grad_fn=_single_entry(0.0), epochs=1,
                                                  samples=(0,), error_bound=lambda *a: 1.0)
    assert not result.passed
    assert result.figures["max_error"] == 1.0 and result.figures["max_limit"] == 1e-7


@pytest.mark.parametrize("x,passes", [(1.0 - 1e-7, False), (1.0 - 1e-7 + 2.0 ** -52, True)])
def test_an_error_equal_to_its_limit_fails_the_documents_strict_less_than(x, passes):
    """nabla = 2^-300 in one entry: D - nabla = D and ||D|| + 2^-300 = ||D||, so the error is exactly 1;
    B = x ||nabla|| = x 2^-300 makes the limit 1e-7 + x, exactly 1 for x = 1 - 1e-7."""
    assert (1e-7 + x == 1.0) is not passes and (1e-7 + x > 1.0) is passes, "premise"
    result = last.gradient_checks_during_training(check_id="e", grad_fn=_single_entry(2.0 ** -300), epochs=1,
                                                  samples=(0,), error_bound=lambda *a: x * 2.0 ** -300)
    assert result.figures["max_error"] == 1.0 and result.figures["max_limit"] == 1e-7 + x
    assert result.passed is passes, result


# --- circles_vs_networkpy: the same SGD as network.py, to rounding ----------------------------------

def test_rounding_bound_is_updates_times_16_eps_times_the_largest_weight_but_at_least_1():
    small = [(np.array([[0.5, -0.25]]), np.array([0.1]))]
    large = [(np.array([[0.5, -0.25]]), np.array([-4.0]))]
    assert last.rounding_bound(3, small) == 3 * 16 * EPS
    assert last.rounding_bound(3, large) == 3 * 16 * EPS * 4.0
    assert last.rounding_bound(200, small, eps=2.0 ** -23) == 200 * 16 * 2.0 ** -23


def _stand_ins(monkeypatch, ours, theirs, log):
    """Recording stand-ins for the two trainings, returning the given end weights."""
    def sgd(net, params, X, Y, **options):
        log.append(("sgd", net, params, X.shape, Y.shape, options))
        return types.SimpleNamespace(params=ours)

    def networkpy_sgd(sizes, params, X, Y, **options):
        log.append(("networkpy", list(sizes), params, X.shape, Y.shape, options))
        return theirs
    monkeypatch.setattr(last, "sgd", sgd)
    monkeypatch.setattr(last, "networkpy_sgd", networkpy_sgd)


def _end_weights(delta):
    """network.py's end weights (largest |entry| 4) and ours, ``delta`` above them in W^2_11."""
    theirs = [(np.full((3, 2), 0.5), np.full(3, -0.25)), (np.full((3, 3), 4.0), np.zeros(3)),
              (np.full((1, 3), 1.0), np.full(1, 0.25))]
    ours = [(W.copy(), b.copy()) for W, b in theirs]
    ours[1][0][0, 0] += delta
    return ours, theirs


def test_both_trainings_get_the_documents_options_and_start_from_the_same_initial_values(monkeypatch):
    """Defaults: 10 epochs, batch 50, eta 1e-2, per_sample reference; 10 x 20 = 200 updates; the
    bound 200 x 16 eps x 4 (network.py's largest weight); the distance moved from the initial values."""
    log, (ours, theirs) = [], _end_weights(2.0 ** -43)
    _stand_ins(monkeypatch, ours, theirs, log)
    result = last.circles_vs_networkpy(check_id="my.nw")
    (_, net, p1, xs, ys, o1), (_, sizes, p2, xs2, ys2, o2) = log
    params0 = last.circles_data(0)[2]
    assert net is CIRCLES and sizes == [2, 3, 3, 1] and xs == xs2 == (2, 1000) and ys == ys2 == (1, 1000)
    for p in (p1, p2):
        assert all(np.array_equal(a, b) for u, v in zip(p, params0) for a, b in zip(u, v))
    assert {k: o1[k] for k in ("eta", "epochs", "batch_size", "step_fn")} == {
        "eta": 1e-2, "epochs": 10, "batch_size": 50, "step_fn": None}
    assert o2 == {"epochs": 10, "mini_batch_size": 50, "eta": 1e-2}
    X, Y, _ = last.circles_data(0)
    for a, b in zip(flatten(o1["grad_fn"](params0, X[:, :3], Y[:, :3])),
                    flatten(reference_grad_fn(CIRCLES, "per_sample")(params0, X[:, :3], Y[:, :3]))):
        assert a == b
    moved = max(float(np.max(np.abs(a - b))) for u, v in zip(theirs, params0) for a, b in zip(u, v))
    assert result.figures == {"max_abs_difference": 2.0 ** -43, "per_array": [0.0, 0.0, 2.0 ** -43, 0.0, 0.0, 0.0],
                              "bound": 200 * 16 * EPS * 4.0, "bitwise_equal": False, "updates": 200,
                              "max_change_from_initial": moved}
    assert result.check_id == "my.nw" and result.passed
    assert result.criterion == ("10 epochs of SGD (batch 50, eta 0.01, [2,3,3,1], circles, no shuffling): "
                                "same weights as network.py to float64 rounding")


@pytest.mark.parametrize("tolerance,passes", [(0.5, True), (float(np.nextafter(0.5, 0.0)), False)])
def test_a_difference_of_exactly_the_tolerance_passes_and_one_just_beyond_fails(monkeypatch, tolerance, passes):
    log, (ours, theirs) = [], _end_weights(0.5)
    _stand_ins(monkeypatch, ours, theirs, log)
    result = last.circles_vs_networkpy(check_id="t", tolerance=tolerance)
    assert result.passed is passes and result.figures["bound"] == tolerance
    assert result.figures["max_abs_difference"] == 0.5 and result.figures["bitwise_equal"] is False


def test_updates_count_a_last_shorter_block_and_eps_names_a_lower_precision(monkeypatch):
    """batch 300: blocks 300, 300, 300, 100, so 3 epochs are 12 updates; with float32's eps the
    bound is 12 x 16 x 2^-23 x 4 and the criterion names that precision."""
    log, (ours, theirs) = [], _end_weights(0.0)
    _stand_ins(monkeypatch, ours, theirs, log)
    result = last.circles_vs_networkpy(check_id="f", epochs=3, batch_size=300, eta=0.5, eps=2.0 ** -23)
    assert log[0][-1]["batch_size"] == 300 and log[1][-1] == {"epochs": 3, "mini_batch_size": 300, "eta": 0.5}
    assert result.figures["updates"] == 12 and isinstance(result.figures["updates"], int)
    assert result.figures["bound"] == 12 * 16 * 2.0 ** -23 * 4.0 and result.figures["bitwise_equal"] is True
    assert result.criterion == ("3 epochs of SGD (batch 300, eta 0.5, [2,3,3,1], circles, no shuffling): "
                                "same weights as network.py to its own (eps 1.19e-07) rounding")


def test_the_networkpy_comparison_runs_the_reference_formulation_asked_for():
    """``scalar`` covers width-1 chains only: asked for on [2, 3, 3, 1], its refusal surfaces."""
    with pytest.raises(ValueError, match="width-1 chains only"):
        last.circles_vs_networkpy(check_id="s", formulation="scalar", epochs=1)
