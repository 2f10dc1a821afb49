"""The SymPy helpers around the proof and the baseline: what they return, checked by hand.

* ``symbolic_bp.derivative_of(f)`` is t -> f'(t) written as SymPy's own
  ``Subs(Derivative(f(xi), xi), xi, t)`` with a Dummy xi: for a concrete f it evaluates
  to f'(t), and a user symbol that is also called xi is not captured.
* ``symbolic_bp.batch_mean`` is (1/N) sum_i of per-sample gradients, for any N >= 1.
* ``symbolic_naive.naive_batch_loss(net, N)`` is C = (1/N) sum_i 1/2 ||a^L(x_i) - y_i||^2
  with real symbols x{i}_{k}, y{i}_{j} per sample; ``naive_batch_gradients`` evaluates C
  and dC/dtheta at the exact float64 point (checked with Fractions on identity networks,
  whose gradients are rational).
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from reference import Network
from reference.symbolic_bp import batch_mean, derivative_of
from reference.symbolic_naive import naive_batch_gradients, naive_batch_loss

f = sympy.Function("f")
s = sympy.Symbol("s")
CUBE = sympy.Lambda(s, s ** 3)


def test_derivative_of_is_printed_in_sympys_own_subs_form_with_a_dummy_xi():
    """The docstring's form Subs(Derivative(f(xi), xi), xi, t), xi a Dummy (printed _xi):
    the form in which SymPy writes f' itself, and in which the proof's failures show residuals."""
    t = sympy.Symbol("t", real=True)
    got = derivative_of(f)(t)
    assert isinstance(got, sympy.Subs), f"f'(t) should be a Subs, got {type(got).__name__}: {got}"
    assert str(got) == "Subs(Derivative(f(_xi), _xi), _xi, t)", str(got)
    (variable,) = got.variables
    assert isinstance(variable, sympy.Dummy) and variable.name == "xi"
    assert got.free_symbols == {t}


def test_derivative_of_equals_sympys_chain_rule_derivative_of_f():
    """d/dt f(2 t) = 2 f'(2 t): SymPy's own derivative and 2 * derivative_of(f)(2 t) are equal."""
    t = sympy.Symbol("t", real=True)
    assert sympy.diff(f(2 * t), t) == 2 * derivative_of(f)(2 * t)


@pytest.mark.parametrize("concrete, t, expected", [
    (CUBE, sympy.Symbol("t"), 3 * sympy.Symbol("t") ** 2),
    (CUBE, sympy.Integer(2), sympy.Integer(12)),
    (sympy.Lambda(s, sympy.sin(s)), sympy.Symbol("t"), sympy.cos(sympy.Symbol("t"))),
    (sympy.Lambda(s, sympy.exp(3 * s)), sympy.Rational(1, 3), 3 * sympy.E),
], ids=["t^3 at t", "t^3 at 2", "sin at t", "exp(3t) at 1/3"])
def test_derivative_of_evaluates_to_the_derivative_of_a_concrete_function(concrete, t, expected):
    got = derivative_of(f)(t).subs(f, concrete).doit()
    assert sympy.simplify(got - expected) == 0, f"f = {concrete}: f'({t}) gave {got}, expected {expected}"


def test_derivative_of_also_differentiates_a_concrete_function_with_a_parameter():
    """t -> f'(t) for f(s) = a s^3 (a SymPy Lambda with a free parameter a) and for sin:
    the derivative is taken in the Dummy variable only, giving 3 a t^2 and cos(t)."""
    a, t = sympy.symbols("a t")
    assert derivative_of(sympy.Lambda(s, a * s ** 3))(t).doit() == 3 * a * t ** 2
    assert derivative_of(sympy.sin)(t).doit() == sympy.cos(t)


def test_derivative_of_does_not_capture_a_user_symbol_named_xi():
    """f'(xi) and f'(xi^2) for the user's own Symbol('xi'): xi stays free and is the argument."""
    xi = sympy.Symbol("xi")
    f_prime = derivative_of(f)
    assert f_prime(xi).free_symbols == {xi}
    assert f_prime(xi).subs(f, CUBE).doit() == 3 * xi ** 2
    assert f_prime(xi ** 2).subs(f, CUBE).doit() == 3 * xi ** 4
    assert f_prime(xi).subs(xi, 2).subs(f, CUBE).doit() == 12


def rational_gradients(seed):
    """[(W-like, b-like)] SymPy matrices of small rationals for a [2, 3, 2] network."""
    rng = np.random.default_rng(seed)

    def mat(rows, cols):
        return sympy.Matrix(rows, cols, lambda *_: sympy.Rational(int(rng.integers(-9, 10)), 7))
    return [(mat(3, 2), mat(3, 1)), (mat(2, 3), mat(2, 1))]


def test_batch_mean_of_one_sample_is_that_samples_gradient():
    g = rational_gradients(0)
    mean = batch_mean([g])
    assert len(mean) == 2
    for l, ((W, b), (mW, mb)) in enumerate(zip(g, mean), start=1):
        assert mW == W and mb == b, f"layer {l}: the mean of one sample must be the sample itself"


def test_batch_mean_of_three_samples_is_their_sum_over_three_entry_by_entry():
    samples = [rational_gradients(seed) for seed in (1, 2, 3)]
    mean = batch_mean(samples)
    for l in range(2):
        for which in range(2):
            for idx in np.ndindex(*samples[0][l][which].shape):
                want = sum(g[l][which][idx] for g in samples) / 3
                assert mean[l][which][idx] == want, f"layer {l + 1}, {'Wb'[which]}{list(idx)}"


def test_naive_batch_loss_has_real_symbols_per_sample_named_x_i_k_and_y_i_j():
    net = Network([3, 2], output="identity")   # n_0 != n_1 and n_L = 2
    samples, C = naive_batch_loss(net, 2)
    assert len(samples) == 2
    for i, sample in enumerate(samples):
        assert sample.x.shape == (3, 1) and sample.y.shape == (2, 1)
        assert list(sample.x) == [sympy.Symbol(f"x{i}_{k}", real=True) for k in range(3)]
        assert list(sample.y) == [sympy.Symbol(f"y{i}_{j}", real=True) for j in range(2)]
    assert all(sym.is_real for sym in C.free_symbols), sorted(map(str, C.free_symbols))


def test_naive_batch_loss_is_the_mean_of_half_the_squared_error_at_a_rational_point():
    """[3, 2] identity, N = 2: C = (1/2) sum_i 1/2 ||W x_i + b - y_i||^2, recomputed with Fractions."""
    net = Network([3, 2], output="identity")
    samples, C = naive_batch_loss(net, 2)
    W = [[Fraction(1, 2), Fraction(-2), Fraction(3, 4)], [Fraction(5), Fraction(1, 3), Fraction(-1)]]
    b = [Fraction(-1, 5), Fraction(7, 2)]
    xs = [[Fraction(1), Fraction(-3, 2), Fraction(2, 9)], [Fraction(4), Fraction(0), Fraction(-1, 7)]]
    ys = [[Fraction(1, 3), Fraction(-2)], [Fraction(5, 4), Fraction(1, 11)]]
    point = {samples[0].W[0][j, k]: W[j][k] for j in range(2) for k in range(3)}
    point.update({samples[0].b[0][j]: b[j] for j in range(2)})
    for sample, x, y in zip(samples, xs, ys):
        point.update({sample.x[k]: x[k] for k in range(3)})
        point.update({sample.y[j]: y[j] for j in range(2)})
    want = sum(Fraction(1, 2) * sum((sum(W[j][k] * x[k] for k in range(3)) + b[j] - y[j]) ** 2 for j in range(2))
               for x, y in zip(xs, ys)) / 2
    got = C.subs({k: sympy.Rational(v.numerator, v.denominator) for k, v in point.items()})
    assert got == sympy.Rational(want.numerator, want.denominator), f"C = {got}, expected {want}"


def test_naive_batch_loss_of_a_sigmoid_unit_is_the_mean_of_half_squared_sigmoid_errors():
    net = Network([1, 1])
    samples, C = naive_batch_loss(net, 2)
    w, b = samples[0].W[0][0, 0], samples[0].b[0][0]
    sigma = lambda z: 1 / (1 + sympy.exp(-z))  # noqa: E731
    want = sum(sympy.Rational(1, 2) * (sigma(w * sm.x[0] + b) - sm.y[0]) ** 2 for sm in samples) / 2
    assert sympy.simplify(C - want) == 0


def exact_identity_gradients(W, b, X, Y):
    """(C, dW, db) of a one-layer identity network, in Fractions at the float64 point."""
    Wf, bf = [[Fraction(v) for v in row] for row in W], [Fraction(v) for v in b]
    (n1, n0), N = W.shape, X.shape[1]
    r = [[sum(Wf[j][k] * Fraction(X[k, i]) for k in range(n0)) + bf[j] - Fraction(Y[j, i]) for i in range(N)]
         for j in range(n1)]
    C = sum(v * v for row in r for v in row) / (2 * N)
    dW = [[sum(r[j][i] * Fraction(X[k, i]) for i in range(N)) / N for k in range(n0)] for j in range(n1)]
    db = [sum(r[j]) / N for j in range(n1)]
    return C, dW, db


def assert_close(got, exact, what):
    with mpmath.workdps(60):
        want = mpmath.mpf(exact.numerator) / exact.denominator
        assert abs(got - want) <= mpmath.mpf(10) ** -45 * max(1, abs(want)), f"{what}: {got} vs exact {exact}"


@pytest.mark.parametrize("N", [1, 2])
def test_naive_batch_gradients_are_exact_at_the_float64_point_for_one_and_two_samples(N):
    """[3, 2] identity, inputs like 0.1 (not 1/10: the double nearest it), 45 digits."""
    net = Network([3, 2], output="identity")
    W, b = np.array([[0.1, -2.0, 0.75], [5.0, 0.3, -1.0]]), np.array([-0.2, 3.5])
    X = np.array([[1.0, 4.0], [-1.5, 0.0], [0.7, -0.1]])[:, :N]
    Y = np.array([[0.3, 1.25], [-2.0, 0.9]])[:, :N]
    C, ((dW, db),) = naive_batch_gradients(net, [(W, b)], X, Y)
    C_exact, dW_exact, db_exact = exact_identity_gradients(W, b, X, Y)
    assert_close(C, C_exact, "C")
    for j in range(2):
        assert_close(db[j], db_exact[j], f"dC/db[{j}]")
        for k in range(3):
            assert_close(dW[j, k], dW_exact[j][k], f"dC/dW[{j}, {k}]")


def test_naive_batch_gradients_default_precision_is_50_digits_like_symbolic_gradients():
    """The signature's dps=50 (the same default as ``symbolic_gradients``): identical numbers."""
    net = Network([1, 1])
    params, X, Y = [(np.array([[0.7]]), np.array([0.1]))], np.array([[0.3, -1.2]]), np.array([[0.2, 0.9]])
    C, ((dW, db),) = naive_batch_gradients(net, params, X, Y)
    C50, ((dW50, db50),) = naive_batch_gradients(net, params, X, Y, dps=50)
    assert (C, dW[0, 0], db[0]) == (C50, dW50[0, 0], db50[0])


@pytest.mark.parametrize("N", [0, -1, 1.0, True, "2"])
def test_naive_batch_loss_refuses_a_sample_count_that_is_not_a_positive_integer(N):
    with pytest.raises(ValueError, match=r"^N must be a positive integer \(the number of samples\), got "):
        naive_batch_loss(Network([1, 1]), N)
