"""Finite differences take the documented steps and report the documented error estimate.

    central     D_i(h) = (f(theta + h_i e_i) - f(theta - h_i e_i)) / (2 h_i),  s = eps^(1/3)
    richardson  R_i    = (4 D_i(h/2) - D_i(h)) / 3,                              s = eps^(1/5)
    h_i = s max(1, |theta_i|), rounded so that theta_i +- h_i is exact; ``step=`` replaces s.
    E_i = |R_i - D_i(h/2)| + 3 e_i / h_i,  e_i = f_error + 64 u max|f| at the points of entry i.
"""
import numpy as np
import pytest

from reference import Network, gradients
from reference.error_model import loss_error_bound
from reference.finite_differences import (CENTRAL_STEP, EPS, RICHARDSON_STEP, central_difference,
                                          loss_of_theta, numerical_gradient,
                                          numerical_gradient_with_error, richardson_difference,
                                          richardson_with_error)
from reference.params import flatten

THETA = np.array([0.5, -3.0, 0.0, 2.0])   # entries below and above 1 in magnitude


def _quartic(theta):
    return float(np.sum(theta ** 4) + np.prod(np.sin(theta)))


def _quartic_grad(theta):
    s = np.sin(theta)
    return 4 * theta ** 3 + np.array([np.prod(np.delete(s, i)) * np.cos(t) for i, t in enumerate(theta)])


class _Recorder:
    """f = _quartic that remembers every point it is evaluated at, and every value."""

    def __init__(self):
        self.points, self.values = [], []

    def __call__(self, theta):
        self.points.append(np.array(theta, copy=True))
        self.values.append(_quartic(theta))
        return self.values[-1]


def _documented_step(theta, s):
    h = s * np.maximum(1.0, np.abs(theta))
    return (theta + h) - theta


def _taken(theta, i, signed_step):
    """The step actually taken: theta_i + step rounded, minus theta_i (exact for h, not always for h/2)."""
    return float((theta[i] + signed_step) - theta[i])


def _perturbations(points, theta):
    """(i, signed step) of every evaluation point, which must differ from theta in one entry."""
    out = []
    for p in points:
        moved = np.flatnonzero(p != theta)
        assert moved.size == 1, f"evaluated at {p}, which moves {moved.size} entries of theta"
        out.append((int(moved[0]), float(p[moved[0]] - theta[moved[0]])))
    return out


@pytest.mark.parametrize("step, s", [(None, CENTRAL_STEP), (1e-3, 1e-3)])
def test_central_difference_steps_each_entry_by_s_times_max_1_abs_theta(step, s):
    f = _Recorder()
    central_difference(f, THETA, step=step)
    h = _documented_step(THETA, s)
    expected = [(i, sign * h[i]) for i in range(THETA.size) for sign in (1, -1)]
    assert _perturbations(f.points, THETA) == expected


@pytest.mark.parametrize("step, s", [(None, RICHARDSON_STEP), (1e-2, 1e-2)])
@pytest.mark.parametrize("method, steps", [(richardson_difference, (1.0, 2.0)), (richardson_with_error, (1.0, 2.0, 4.0))])
def test_richardson_steps_each_entry_by_h_and_by_h_over_2_and_h_over_4_for_its_error(method, steps, step, s):
    f = _Recorder()
    method(f, THETA, step=step)
    h = _documented_step(THETA, s)
    got = sorted(_perturbations(f.points, THETA))
    expected = sorted((i, _taken(THETA, i, sign * hi / k)) for i, hi in enumerate(h)
                      for k in steps for sign in (1, -1))
    assert got == expected


def test_integer_theta_is_differentiated_as_float64_not_truncated():
    """An integer theta must not truncate theta +- h back to theta (a zero gradient)."""
    theta = np.array([1, -2, 3])
    exact = _quartic_grad(theta.astype(float))
    for method, tol in ((central_difference, 1e-7), (richardson_difference, 1e-9),
                        (lambda f, t: richardson_with_error(f, t)[0], 1e-9)):
        got = method(_quartic, [1, -2, 3])
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, exact, rtol=tol)


def test_richardson_with_error_estimate_is_the_documented_formula_and_covers_the_error():
    f, f_error = _Recorder(), 1e-13
    R, E = richardson_with_error(f, THETA, f_error=f_error)
    h = _documented_step(THETA, RICHARDSON_STEP)
    value = dict(((i, d), v) for (i, d), v in zip(_perturbations(f.points, THETA), f.values))

    def at(i, signed_step):
        return value[i, _taken(THETA, i, signed_step)]

    n = range(THETA.size)
    D_quarter = np.array([(at(i, h[i] / 4) - at(i, -h[i] / 4)) / (h[i] / 2) for i in n])
    D_half = np.array([(at(i, h[i] / 2) - at(i, -h[i] / 2)) / h[i] for i in n])
    D_full = np.array([(at(i, h[i]) - at(i, -h[i])) / (2 * h[i]) for i in n])
    size = np.array([max(abs(at(i, d)) for d in (h[i], -h[i], h[i] / 2, -h[i] / 2, h[i] / 4, -h[i] / 4)) for i in n])
    np.testing.assert_allclose(R, (4 * D_half - D_full) / 3, rtol=1e-12)
    e = f_error + 64 * (EPS / 2) * size
    R_half = (4 * D_quarter - D_half) / 3
    np.testing.assert_allclose(E, np.maximum(np.abs(R - D_half), 2 * np.abs(R - R_half)) + 3 * e / h, rtol=1e-12)
    # and the estimate is honest: it covers the true error, which is about 1e-10 relative
    exact = _quartic_grad(THETA)
    assert np.all(np.abs(R - exact) <= E)
    assert np.max(np.abs(R - exact)) < 1e-10 * np.max(np.abs(exact))


def test_a_step_beyond_the_expansion_is_covered_by_the_extrapolation_at_half_the_step():
    """Large inputs through an identity hidden layer to sigmoid outputs: a step of 7e-4 in W^1 moves z^2 by
    several units, where the loss is far from a polynomial.  The h^2 estimate |R - D(h/2)| alone undercuts the
    true error (by more than 3 times on one entry); with 2 |R - R'| the bound covers it."""
    net = Network([2, 3, 3], hidden="identity", loss="binary_cross_entropy", bias=False)
    params = [(np.array([[0.0, -0.0084], [0.0082, 0.0091], [-0.0057, 0.0]]), np.zeros(3)),
              (np.array([[-2.93, -3.33, 0.0], [0.0, 0.0, 0.0], [8.59, 0.0, -7.59]]), np.zeros(3))]
    X = np.array([[347.0, -121.0, -99.0, 166.0, 129.0, -676.0], [28.0, -278.0, -81.0, 193.0, -119.0, -423.0]])
    Y = np.zeros((3, 6))
    Y[2, 5] = 0.1
    f, theta = loss_of_theta(net, X, Y), flatten(params)
    exact = flatten(gradients(net, params, X, Y))
    R, E = richardson_with_error(f, theta)
    assert np.all(np.abs(R - exact) <= E)
    h = _documented_step(theta, RICHARDSON_STEP)
    D_half = np.array([(f(theta + k * np.eye(theta.size)[i]) - f(theta - k * np.eye(theta.size)[i])) / (2 * k)
                       for i, k in enumerate(h / 2)])
    assert np.any(np.abs(R - exact) > 3 * np.abs(R - D_half))


def test_without_f_error_only_the_rounding_of_f_itself_is_charged():
    _, E = richardson_with_error(_quartic, THETA)
    _, E_more = richardson_with_error(_quartic, THETA, f_error=1e-12)
    h = _documented_step(THETA, RICHARDSON_STEP)
    np.testing.assert_allclose(E_more - E, 3 * 1e-12 / h, rtol=1e-6)


def test_numerical_gradient_with_error_charges_the_reference_loss_rounding_bound():
    """E of the reference loss includes 3 e(C) / h_i, e(C) = loss_error_bound at theta."""
    net = Network([2, 3, 1])
    rng = np.random.default_rng(6)
    params, X, Y = net.init(rng), rng.standard_normal((2, 4)), rng.random((1, 4))
    R, E = numerical_gradient_with_error(net, params, X, Y)
    R_direct, E_direct = richardson_with_error(loss_of_theta(net, X, Y), flatten(params),
                                               f_error=loss_error_bound(net, params, X, Y))
    assert np.array_equal(flatten(R), R_direct) and np.array_equal(flatten(E), E_direct)
    h = _documented_step(flatten(params), RICHARDSON_STEP)
    assert np.all(flatten(E) >= 3 * loss_error_bound(net, params, X, Y) / h)


def test_unknown_method_is_refused_naming_it_and_the_known_ones():
    net = Network([2, 1])
    params = net.init(0)
    with pytest.raises(ValueError, match=r"unknown method 'forward'; choose one of \['central', 'richardson'\]"):
        numerical_gradient(net, params, np.zeros((2, 1)), np.zeros((1, 1)), method="forward")
