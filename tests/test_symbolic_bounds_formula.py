"""``reference.symbolic_bounds`` returns the bound its module docstring writes down.

The oracle below re-evaluates the docstring's recurrences one neuron and one sample at
a time with Python floats, at the computed float64 forward pass (the bound is defined
on the computed quantities q^), with u = 2^-53, eta = 2^-1074, gamma_k = k u / (1 - k u):

    E[z^l_j] = sum_k |w_jk| E[a^{l-1}_k] + gamma_{n_{l-1}+1} (sum_k |w_jk| |a^{l-1}_k| + |b_j|)
    E[a^l_j] = s E[z^l_j] + 18 u a^l_j + eta,  E[s^l_j] = s E[z^l_j] + 28 u s + eta   (s = sigma'(z))
               (identity output: a^L = z^L, s = 1, E[s] = 0)
    E[r] = E[a^L] + u |r|,  E[delta^L] = |r| E[s^L] + s^L E[r] + u |delta^L| + eta
    E[t_k] = sum_j |w_jk| E[delta_j] + gamma_{n_{l+1}} sum_j |w_jk| |delta_j|
    E[delta^l] = |t| E[s^l] + s^l E[t] + u |delta^l| + eta
    E[db_j]  = (1/N) (sum_i E[delta_ij] + gamma_{N+1} sum_i |delta_ij|) + eta
    E[dW_jk] = (1/N) (sum_i |delta_ij| E[a_ik] + |a_ik| E[delta_ij] + gamma_{N+2} sum_i |delta_ij| |a_ik|) + eta
    E[C]     = (1/N) sum_ij (|r_ij| E[r_ij] + E[r_ij]^2 / 2) + gamma_{N n_L + 3} C + (n_L + 1) eta

and the bound returned is 2 E.  Every term is O(u) relative to the others except eta,
so the comparison is to 1e-14 relative, a few ulp (a changed coefficient moves an entry by a few
per cent), and the cases where every other term is an exact 0 pin eta exactly.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from reference import Network
from reference.forward import forward
from reference.symbolic import symbolic_gradients
from reference.symbolic_bounds import gamma, gradient_error_bound

U = 2.0 ** -53
ETA = 2.0 ** -1074

CASES = [
    # widths change from layer to layer so that n_{l-1}, n_l, n_{l+1}, N and n_L are told apart
    (Network([3, 4, 2, 2]), 3),
    (Network([2, 3, 2], output="identity"), 3),
    (Network([2, 3, 1]), 1),
    (Network([1, 2, 3], output="identity"), 2),
]


def written_gamma(k):
    return k * U / (1.0 - k * U)


def sigmoid_slope(z):
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def problem(net, N, seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l)))
              for l in range(1, net.L + 1)]
    return params, rng.standard_normal((net.n(0), N)), rng.standard_normal((net.n(net.L), N))


def written_forward(net, params, X):
    """(a, s, E[a], E[s]) as nested lists [l][j][i] at the computed float64 forward pass."""
    fp, N, n = forward(net, params, X), X.shape[1], net.n
    a = [[[float(v) for v in row] for row in fp.a(l)] for l in range(net.L + 1)]
    E_a, s, E_s = [[[0.0] * N for _ in range(n(0))]], [None], [None]
    for l in range(1, net.L + 1):
        W, b = params[l - 1]
        identity = l == net.L and net.output == "identity"
        g = written_gamma(n(l - 1) + 1)
        E_a.append([[0.0] * N for _ in range(n(l))])
        s.append([[1.0] * N for _ in range(n(l))])
        E_s.append([[0.0] * N for _ in range(n(l))])
        for j in range(n(l)):
            for i in range(N):
                E_z = (sum(abs(W[j, k]) * E_a[l - 1][k][i] for k in range(n(l - 1)))
                       + g * (sum(abs(W[j, k]) * abs(a[l - 1][k][i]) for k in range(n(l - 1))) + abs(b[j])))
                if identity:
                    E_a[l][j][i] = E_z
                    continue
                sp = sigmoid_slope(float(fp.z(l)[j, i]))
                s[l][j][i] = sp
                E_s[l][j][i] = sp * E_z + 28 * U * sp + ETA
                E_a[l][j][i] = sp * E_z + 18 * U * a[l][j][i] + ETA
    return a, s, E_a, E_s


def written_bound(net, params, X, Y):
    """(2 E[C], [(2 E[dW^l], 2 E[db^l])]) from the docstring's formulas, entry by entry."""
    a, s, E_a, E_s = written_forward(net, params, X)
    N, L, n = X.shape[1], net.L, net.n
    r = [[a[L][j][i] - float(Y[j, i]) for i in range(N)] for j in range(n(L))]
    E_r = [[E_a[L][j][i] + U * abs(r[j][i]) for i in range(N)] for j in range(n(L))]
    C = sum(0.5 * x * x for row in r for x in row) / N
    E_C = (sum(abs(r[j][i]) * E_r[j][i] + 0.5 * E_r[j][i] ** 2 for j in range(n(L)) for i in range(N)) / N
           + written_gamma(N * n(L) + 3) * C + (n(L) + 1) * ETA)
    delta = [[r[j][i] * s[L][j][i] for i in range(N)] for j in range(n(L))]
    E_delta = [[abs(r[j][i]) * E_s[L][j][i] + s[L][j][i] * E_r[j][i] + U * abs(delta[j][i]) + ETA
                for i in range(N)] for j in range(n(L))]
    bounds = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            W = params[l][0]
            t = [[sum(W[j, k] * delta[j][i] for j in range(n(l + 1))) for i in range(N)] for k in range(n(l))]
            E_t = [[sum(abs(W[j, k]) * E_delta[j][i] for j in range(n(l + 1)))
                    + written_gamma(n(l + 1)) * sum(abs(W[j, k]) * abs(delta[j][i]) for j in range(n(l + 1)))
                    for i in range(N)] for k in range(n(l))]
            delta = [[t[k][i] * s[l][k][i] for i in range(N)] for k in range(n(l))]
            E_delta = [[abs(t[k][i]) * E_s[l][k][i] + s[l][k][i] * E_t[k][i] + U * abs(delta[k][i]) + ETA
                        for i in range(N)] for k in range(n(l))]
        E_W = np.empty(net.weight_shape(l))
        E_b = np.empty(net.bias_shape(l))
        for j in range(n(l)):
            E_b[j] = (sum(E_delta[j]) + written_gamma(N + 1) * sum(abs(d) for d in delta[j])) / N + ETA
            for k in range(n(l - 1)):
                E_W[j, k] = (sum(abs(delta[j][i]) * E_a[l - 1][k][i] + abs(a[l - 1][k][i]) * E_delta[j][i]
                                 for i in range(N))
                             + written_gamma(N + 2) * sum(abs(delta[j][i]) * abs(a[l - 1][k][i]) for i in range(N))
                             ) / N + ETA
        bounds[l - 1] = (2 * E_W, 2 * E_b)
    return 2 * E_C, bounds


def assert_bounds_equal(net, got, expected, rtol=1e-14):
    (C_got, grads_got), (C_want, grads_want) = got, expected
    assert isinstance(C_got, float), f"the loss bound is a Python float, got {type(C_got).__name__}"
    assert C_got == pytest.approx(C_want, rel=rtol, abs=0), f"2 E[C]: got {C_got!r}, written {C_want!r}"
    assert len(grads_got) == net.L
    for l, ((gW, gb), (eW, eb)) in enumerate(zip(grads_got, grads_want), start=1):
        for name, g, e, shape in (("W", gW, eW, net.weight_shape(l)), ("b", gb, eb, net.bias_shape(l))):
            assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == shape, (
                f"2 E[d{name}^{l}] must be a float64 array of shape {shape}, got {getattr(g, 'dtype', type(g))} "
                f"{getattr(g, 'shape', '')}")
            np.testing.assert_allclose(g, e, rtol=rtol, atol=0, err_msg=f"2 E[d{name}^{l}] vs the written formula")


@pytest.mark.parametrize("net, N", CASES, ids=lambda c: repr(c) if isinstance(c, Network) else f"N={c}")
def test_gradient_and_loss_bounds_are_the_docstring_formulas_entry_by_entry(net, N):
    params, X, Y = problem(net, N)
    assert_bounds_equal(net, gradient_error_bound(net, params, X, Y), written_bound(net, params, X, Y))


@pytest.mark.parametrize("net, N", CASES, ids=lambda c: repr(c) if isinstance(c, Network) else f"N={c}")
def test_at_a_zero_residual_the_loss_bound_is_the_second_order_term_and_covers_the_exact_loss(net, N):
    """Targets equal to the float64 outputs: r = 0 exactly, so E[r] = E[a^L] and C^ = 0, while the
    exact C = (1/2N) sum (a^L - y)^2 is O(u^2) and in general not 0: only the E[r]^2 / 2 term
    (and the underflow allowance) bounds it.  The exact C comes from the 50-digit derivation."""
    params, X, _ = problem(net, N, seed=1)
    Y = forward(net, params, X).a(net.L)
    got = gradient_error_bound(net, params, X, Y)
    assert_bounds_equal(net, got, written_bound(net, params, X, Y))
    exact_C, _ = symbolic_gradients(net, params, X, Y)
    assert abs(float(exact_C)) <= got[0], f"exact C = {float(exact_C)!r} at r^ = 0 exceeds the bound {got[0]!r}"


def test_every_gradient_bound_is_the_underflow_allowance_where_every_other_term_is_zero():
    """W^2 = 0, b^2 = 0, y = 0, x = 0, b^1 = 40 (sigma(40) = 1.0 in float64), identity output:
    r, delta^2, t, delta^1 and E[z^2] are exact zeros, so E[delta^l] = eta (BP1 and BP2),
    E[db^l] = (1/N) N eta + eta = 2 eta, E[dW^2] = (1/N) sum_i |a^1| eta + eta = 2 eta,
    E[dW^1] = (1/N) 0 + eta = eta; the bounds are twice those, and never 0 or negative."""
    net = Network([2, 3, 2], output="identity")
    params = [(np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]]), np.full(3, 40.0)), (np.zeros((2, 3)), np.zeros(2))]
    X, Y = np.zeros((2, 2)), np.zeros((2, 2))
    assert np.all(forward(net, params, X).a(1) == 1.0), "premise: sigma(40) rounds to 1.0"
    C_bound, ((W1, b1), (W2, b2)) = gradient_error_bound(net, params, X, Y)
    assert C_bound == 2 * 3 * ETA, f"2 E[C] = 2 (n_L + 1) eta where r = E[r] = 0, got {C_bound!r}"
    for name, got, want in (("dW^1", W1, 2 * ETA), ("db^1", b1, 4 * ETA), ("dW^2", W2, 4 * ETA), ("db^2", b2, 4 * ETA)):
        assert np.all(got == want), f"2 E[{name}] = {got.tolist()}, expected {want!r} everywhere (eta = 2^-1074)"


def test_a_sigmoid_unit_that_underflows_to_zero_carries_the_error_eta_into_the_next_layer():
    """[1, 1, 1] identity output, z^1 = -800: sigma(z^1) = 0 and sigma'(z^1) = 0 in float64, so
    E[a^1] = 0 E[z^1] + 18 u 0 + eta = eta.  With a^2 = 0 and y = -2, delta^2 = 2 and
    E[dW^2] = (1/N)(|delta^2| E[a^1] + E[delta^2] |a^1| + gamma |delta^2| |a^1|) + eta = 2 eta + eta."""
    net = Network([1, 1, 1], output="identity")
    params = [(np.ones((1, 1)), np.array([-800.0])), (np.ones((1, 1)), np.zeros(1))]
    X, Y = np.zeros((1, 1)), np.full((1, 1), -2.0)
    fp = forward(net, params, X)
    assert fp.a(1)[0, 0] == 0.0 and fp.a(2)[0, 0] == 0.0, "premise: sigma(-800) underflows to 0"
    _, (_, (W2, _)) = gradient_error_bound(net, params, X, Y)
    assert W2[0, 0] == 2 * 3 * ETA, f"2 E[dW^2] = {W2[0, 0]!r}, expected 6 eta = {6 * ETA!r}"


@pytest.mark.parametrize("k", [1, 2, 3, 7, 1000, 2 ** 20, 2 ** 40, 2 ** 50, 2 ** 52])
def test_gamma_k_is_k_u_over_one_minus_k_u_to_one_ulp(k):
    """gamma_k = k u / (1 - k u), u = 2^-53: the exact rational value, rounded once (within 1 ulp)."""
    u = Fraction(1, 2 ** 53)
    exact = float(Fraction(k) * u / (1 - k * u))
    got = gamma(k)
    assert isinstance(got, float) and got > 0
    assert abs(got - exact) <= math.ulp(exact), f"gamma({k}) = {got!r}, k u/(1 - k u) = {exact!r}"


def test_gamma_of_quarter_and_half_unit_are_one_third_and_one():
    """Values checkable by hand: k u = 1/4 gives 1/3, k u = 1/2 gives 1, k u = 1/8 gives 1/7."""
    assert gamma(2 ** 51) == pytest.approx(1 / 3, rel=1e-15)
    assert gamma(2 ** 52) == 1.0
    assert gamma(2 ** 50) == pytest.approx(1 / 7, rel=1e-15)
