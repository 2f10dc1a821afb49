"""The error model's bounds are the formulas written in ``reference/error_model.py``,
evaluated entry by entry; gamma_n is undefined for n u >= 1; the floors are exact.

The oracle below re-evaluates the module docstring's recurrences one neuron and one
sample at a time with Python floats (e(.) the bound on a computed quantity's
absolute error, u the unit roundoff of the working dtype):

    e(a^0)  = u |X| (0 in float64)
    e(z^l)  = gamma_{n_{l-1}+2} (|W^l| |a^{l-1}| + |b^l|) + |W^l| e(a^{l-1})
    e(a^l)  = sigma'(z^l) e(z^l) + c_s u |a^l|        (identity output: e(z^L))
    e(s^l)  = sigma'(z^l) (e(z^l) + c_s u) + e(a^l)   (identity output: 0)
    BP1..BP4 as in the docstring, times SAFETY, plus the floor 2^10 tiny(dtype).

A bound that is too small raises false alarms; one that is too large lets bugs
through (tests/test_error_model.py checks both ends on real computations); this
file pins the bound to its written definition.
"""
import math

import numpy as np
import pytest

from reference import Network, forward
from reference.activations import scalar_sigmoid, scalar_sigmoid_prime
from reference.error_model import (SAFETY, SIGMA_ROUNDINGS, gamma, gradient_error_bound,
                                   loss_error_bound, unit_roundoff)

CASES = [
    # widths differ from layer to layer so that n_{l-1}, n_l and n_{l+1} are told apart
    (Network([3, 4, 2, 2]), np.float64),
    (Network([3, 4, 2, 2]), np.float32),
    (Network([2, 3, 2], output="identity"), np.float64),
    (Network([2, 3, 2], output="identity"), np.float32),
]


def _problem(net, seed=0, N=3):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l)))
              for l in range(1, net.L + 1)]
    X = rng.standard_normal((net.n(0), N))
    Y = rng.standard_normal((net.n(net.L), N))
    return params, X, Y


def _written_model(net, params, X, Y, dtype):
    """(forward pass, e(a), e(z)) as nested lists [l][j][i], straight from the formulas."""
    u, N = unit_roundoff(dtype), X.shape[1]
    lossy = np.dtype(dtype) != np.float64
    a = [[[float(X[k, i]) for i in range(N)] for k in range(net.n(0))]]
    e_a = [[[u * abs(x) if lossy else 0.0 for x in row] for row in a[0]]]
    z, e_z = [None], [None]
    for l in range(1, net.L + 1):
        W, b = params[l - 1]
        identity = l == net.L and net.output == "identity"
        g = gamma(net.n(l - 1) + 2, u)
        zl, al, ezl, eal = [], [], [], []
        for j in range(net.n(l)):
            zj, aj, ezj, eaj = [], [], [], []
            for i in range(N):
                s = sum(W[j, k] * a[l - 1][k][i] for k in range(net.n(l - 1))) + b[j]
                mag = sum(abs(W[j, k]) * abs(a[l - 1][k][i]) for k in range(net.n(l - 1))) + abs(b[j])
                ez = g * mag + sum(abs(W[j, k]) * e_a[l - 1][k][i] for k in range(net.n(l - 1)))
                act = s if identity else scalar_sigmoid(s)
                zj.append(s)
                aj.append(act)
                ezj.append(ez)
                eaj.append(ez if identity else scalar_sigmoid_prime(s) * ez + SIGMA_ROUNDINGS * u * abs(act))
            zl.append(zj), al.append(aj), ezl.append(ezj), eal.append(eaj)
        z.append(zl), a.append(al), e_z.append(ezl), e_a.append(eal)
    return z, a, e_z, e_a


def _written_gradient_bound(net, params, X, Y, dtype):
    u, N, L = unit_roundoff(dtype), X.shape[1], net.L
    z, a, e_z, e_a = _written_model(net, params, X, Y, dtype)
    floor = 2.0 ** 10 * float(np.finfo(dtype).tiny)

    def slope(l, j, i):
        return 1.0 if (l == L and net.output == "identity") else scalar_sigmoid_prime(z[l][j][i])

    def e_slope(l, j, i):
        if l == L and net.output == "identity":
            return 0.0
        return scalar_sigmoid_prime(z[l][j][i]) * (e_z[l][j][i] + SIGMA_ROUNDINGS * u) + e_a[l][j][i]

    delta = [[0.0] * N for _ in range(net.n(L))]
    e_delta = [[0.0] * N for _ in range(net.n(L))]
    for j in range(net.n(L)):
        for i in range(N):
            r = a[L][j][i] - float(Y[j, i])
            delta[j][i] = r * slope(L, j, i)
            e_delta[j][i] = ((e_a[L][j][i] + u * abs(r)) * slope(L, j, i) + abs(r) * e_slope(L, j, i)
                             + u * abs(delta[j][i]))
    gN = gamma(N, u)
    bounds = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            W_next = params[l][0]
            g = gamma(net.n(l + 1), u)
            new, e_new = [], []
            for k in range(net.n(l)):
                row, e_row = [], []
                for i in range(N):
                    back = sum(W_next[j, k] * delta[j][i] for j in range(net.n(l + 1)))
                    e_back = (g * sum(abs(W_next[j, k]) * abs(delta[j][i]) for j in range(net.n(l + 1)))
                              + sum(abs(W_next[j, k]) * e_delta[j][i] for j in range(net.n(l + 1))))
                    d = back * slope(l, k, i)
                    row.append(d)
                    e_row.append(e_back * slope(l, k, i) + abs(back) * e_slope(l, k, i) + u * abs(d))
                new.append(row), e_new.append(e_row)
            delta, e_delta = new, e_new
        eW = np.empty(net.weight_shape(l))
        eb = np.empty(net.bias_shape(l))
        for j in range(net.n(l)):
            for k in range(net.n(l - 1)):
                grad = sum(delta[j][i] * a[l - 1][k][i] for i in range(N)) / N
                eW[j, k] = (sum(gN * abs(delta[j][i]) * abs(a[l - 1][k][i]) + e_delta[j][i] * abs(a[l - 1][k][i])
                                + abs(delta[j][i]) * e_a[l - 1][k][i] for i in range(N)) / N + u * abs(grad))
            eb[j] = (sum(gN * abs(d) + e for d, e in zip(delta[j], e_delta[j])) / N
                     + u * abs(sum(delta[j])) / N)
        bounds[l - 1] = (SAFETY * eW + floor, SAFETY * eb + floor)
    return bounds


def _written_loss_bound(net, params, X, Y, dtype):
    u, N, L = unit_roundoff(dtype), X.shape[1], net.L
    _, _, _, e_a = _written_model(net, params, X, Y, dtype)
    aL = forward(net, params, X).a(L)   # the float64 outputs the bound is evaluated at
    lossy = np.dtype(dtype) != np.float64
    r = [[abs(aL[j, i] - Y[j, i]) + (u * abs(Y[j, i]) if lossy else 0.0) for i in range(N)]
         for j in range(net.n(L))]
    C = 0.5 * sum(x * x for row in r for x in row) / N
    e = sum(r[j][i] * (e_a[L][j][i] + u * r[j][i]) + 0.5 * e_a[L][j][i] ** 2
            for j in range(net.n(L)) for i in range(N)) / N + gamma(net.n(L) * N + 2, u) * C
    return SAFETY * e + float(np.finfo(dtype).tiny)


@pytest.mark.parametrize("net, dtype", CASES, ids=lambda c: repr(c) if isinstance(c, Network) else np.dtype(c).name)
def test_gradient_error_bound_is_the_written_model_entry_by_entry(net, dtype):
    params, X, Y = _problem(net)
    got = gradient_error_bound(net, params, X, Y, dtype=dtype)
    expected = _written_gradient_bound(net, params, X, Y, dtype)
    for l, ((gW, gb), (eW, eb)) in enumerate(zip(got, expected), start=1):
        assert gW.dtype == np.float64 and gb.dtype == np.float64, f"layer {l}"
        assert gW.shape == net.weight_shape(l) and gb.shape == net.bias_shape(l), f"layer {l}"
        np.testing.assert_allclose(gW, eW, rtol=1e-12, atol=0, err_msg=f"E_W^{l}")
        np.testing.assert_allclose(gb, eb, rtol=1e-12, atol=0, err_msg=f"E_b^{l}")


@pytest.mark.parametrize("exact_fit", [False, True], ids=["residual", "zero-residual"])
@pytest.mark.parametrize("net, dtype", CASES, ids=lambda c: repr(c) if isinstance(c, Network) else np.dtype(c).name)
def test_loss_error_bound_is_the_written_model(net, dtype, exact_fit):
    """Also where the targets are the float64 outputs themselves (a^L - y = 0 exactly):
    then in float64 only the error of a^L is charged, no rounding of y."""
    params, X, Y = _problem(net, seed=1)
    if exact_fit:
        Y = forward(net, params, X).a(net.L)
    got = loss_error_bound(net, params, X, Y, dtype=dtype)
    assert got == pytest.approx(_written_loss_bound(net, params, X, Y, dtype), rel=1e-12, abs=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_input_that_is_always_zero_gets_exactly_the_underflow_floor(dtype):
    """E_W^1[:, k] for an input k that is 0 in every sample: no rounding error at all,
    so the bound is the documented absolute floor 2^10 * tiny(dtype), nothing more."""
    net = Network([3, 2, 1])
    params, X, Y = _problem(net, seed=2)
    X[1, :] = 0.0
    (eW1, _), _ = gradient_error_bound(net, params, X, Y, dtype=dtype)
    assert np.all(eW1[:, 1] == 2.0 ** 10 * float(np.finfo(dtype).tiny))
    assert np.all(eW1[:, [0, 2]] > 2.0 ** 10 * float(np.finfo(dtype).tiny))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_loss_bound_is_positive_even_where_the_loss_is_computed_exactly(dtype):
    """Zero output weights and bias and zero targets with an identity output: every
    quantity of the loss is an exact 0, and the bound is tiny(dtype), never 0 or less."""
    net = Network([2, 2, 1], output="identity")
    params, X, _ = _problem(net, seed=3)
    params[1] = (np.zeros((1, 2)), np.zeros(1))
    assert loss_error_bound(net, params, X, np.zeros((1, 3)), dtype=dtype) == float(np.finfo(dtype).tiny)


@pytest.mark.parametrize("n", [2 ** 53, 3 * 2 ** 52])
def test_gamma_n_is_refused_with_a_value_error_once_n_u_reaches_one(n):
    """gamma_n = n u / (1 - n u) is only a bound for n u < 1; at n u = 1 and beyond it
    is undefined and must say so (not divide by zero, not return a negative bound)."""
    with pytest.raises(ValueError, match=rf"gamma_{n} undefined .* n u >= 1"):
        gamma(n, 2.0 ** -53)
    assert math.isfinite(gamma(2 ** 52, 2.0 ** -53)) and gamma(2 ** 52, 2.0 ** -53) == pytest.approx(1.0)
