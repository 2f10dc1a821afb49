"""The directional check's tolerance is the error model written in ``reference/directional.py``,
re-evaluated term by term on small fixed problems; theta is taken as float64 and the
default is 4 directions of 4 loss evaluations.

For a direction v (entries +-1/sqrt(P)) and step h the module docstring writes

    tol      = SAFETY (truncation + rounding) + dot + gradient,   SAFETY = 2
    rounding = 3 E / h,  E = ``loss_error`` or 16 u_C (C + C^(1/2)), C the largest |C| of the
               direction's four loss values, u_C the loss dtype's unit roundoff
    dot      = 2 (P + 2) u |v| . |g|
    gradient = 8 ||e(g)||_2 / sqrt(P)                      (e(g) = ``grad_error``)

"+ O(u) terms for d != h v": each displacement d = fl(theta +- s) - theta is within
u (|theta| + |s|) of s entrywise, and w = (4 (d1+ - d1-) / h - (d2+ - d2-) / (2 h)) / 3
weighs the four displacements by 4/(3h), 4/(3h), 1/(6h), 1/(6h), which add up to 3/h:
|w - v| <= 3 u (|theta| / h + |v|) entrywise.  Charged against |g| (theta part; the |v|
part is inside the dot term) and against e(g) (both parts), this gives

    dot      += 3 u |theta| . |g| / h
    gradient += 3 u (|theta| / h + |v|) . e(g)

A constant loss with ``loss_error=0`` has truncation = rounding = 0, so its tolerance is
dot + gradient alone; each test below makes one term the one that matters.
"""
import math

import numpy as np
import pytest

from reference.directional import SAFETY, directional_check

U = 2.0 ** -53          # float64 unit roundoff (u in the dot and gradient terms)


def _zero_loss(t):
    return 0.0


def _assert_ulps(got, expected, ulps, what):
    assert abs(got - expected) <= ulps * math.ulp(expected), (
        f"{what}: got {got!r}, the written formula gives {expected!r} "
        f"({(got - expected) / math.ulp(expected):.3g} ulp off)")


@pytest.mark.parametrize("g", [[1.0, -2.0, 3.0, -4.0], [0.5, 0.25, -8.0, 1.0, 2.0, -3.0, 0.0, 1.0, 7.0]])
def test_dot_term_is_2_P_plus_2_u_times_abs_v_dot_abs_g(g):
    """theta = 0: no displacement rounding; |v| . |g| = ||g||_1 / sqrt(P)."""
    g = np.array(g)
    P = g.size
    expected = 2.0 * (P + 2) * U * sum(abs(x) for x in g) / math.sqrt(P)
    res = directional_check(_zero_loss, np.zeros(P), g, rng=1, n_directions=3, loss_error=0.0)
    for d in res.directions:
        _assert_ulps(d.tolerance, expected, 4, f"P = {P}, theta = 0")


def test_displacement_rounding_adds_3_u_abs_theta_dot_abs_g_over_h():
    theta = np.array([1000.0, -3000.0, 2000.0, 500.0])
    g = np.array([1.0, -2.0, 3.0, -4.0])
    h = 2.0 ** -10
    abs_theta_dot_abs_g = 1000.0 + 6000.0 + 6000.0 + 2000.0
    expected = 2.0 * 6 * U * 10.0 / 2.0 + 3.0 * U * abs_theta_dot_abs_g / h
    res = directional_check(_zero_loss, theta, g, rng=2, n_directions=1, loss_error=0.0, step=h)
    _assert_ulps(res.directions[0].tolerance, expected, 8, "|theta| . |g| = 15000, h = 2^-10")


def test_gradient_term_is_8_times_the_rms_of_the_gradient_rounding_bound():
    """||e||_2 = 5, P = 4: 8 * 5 / 2 = 20 (the 3 u |v| . e part is below one ulp of 20)."""
    e = np.array([3.0, 4.0, 0.0, 0.0])
    res = directional_check(_zero_loss, np.zeros(4), np.zeros(4), rng=3, n_directions=2, loss_error=0.0,
                            grad_error=e)
    for d in res.directions:
        _assert_ulps(d.tolerance, 20.0, 2, "e(g) = (3, 4, 0, 0)")


def test_gradient_term_adds_3_u_abs_v_dot_e():
    """P = 2^16, e(g) = 1 everywhere: 8 ||e||_2 / sqrt(P) = 8 and 3 u |v| . e = 3 u 2^16 / 2^8 = 3 * 2^-45,
    48 ulp of 8; the sum 8 + 3 * 2^-45 is a float."""
    P = 2 ** 16
    expected = 8.0 + 3.0 * 2.0 ** -45
    res = directional_check(_zero_loss, np.zeros(P), np.zeros(P), rng=4, n_directions=1, loss_error=0.0,
                            grad_error=np.ones(P))
    _assert_ulps(res.directions[0].tolerance, expected, 2, "P = 2^16, e(g) = 1")


def test_gradient_term_adds_3_u_abs_theta_dot_e_over_h():
    """|theta| = 2^40, e(g) = 1, P = 4, h = 2^-10: 3 u |theta| . e / h = 3 * 2^-53 * 2^42 * 2^10 = 1.5,
    on top of 8 ||e||_2 / sqrt(P) = 8 (and 3 u |v| . e = 6 u)."""
    theta = 2.0 ** 40 * np.array([1.0, -1.0, 1.0, -1.0])
    h = 2.0 ** -10
    expected = 8.0 + 6.0 * U + 1.5
    res = directional_check(_zero_loss, theta, np.zeros(4), rng=5, n_directions=1, loss_error=0.0,
                            grad_error=np.ones(4), step=h)
    _assert_ulps(res.directions[0].tolerance, expected, 4, "|theta| = 2^40, e(g) = 1, h = 2^-10")


def test_a_given_loss_error_is_charged_as_3_E_over_h_twice():
    """g = 0 (no dot or gradient term), constant loss: tol = SAFETY * 3 E / h in every direction."""
    E = 1e-6
    res = directional_check(_zero_loss, np.ones(3), np.zeros(3), rng=6, n_directions=3, loss_error=E,
                            step=2.0 ** -10)
    for d in res.directions:
        _assert_ulps(d.rounding, 3.0 * E / d.step, 2, f"rounding at h = {d.step}")
        _assert_ulps(d.tolerance, SAFETY * 3.0 * E / d.step, 2, f"tolerance at h = {d.step}")


def _recording(loss, values):
    def f(t):
        c = loss(float(t[0]))
        values.append(c)
        return c
    return f


@pytest.mark.parametrize("dtype, u_C", [(np.float64, 2.0 ** -53), (np.float32, 2.0 ** -24)])
def test_default_loss_error_is_16_u_C_times_C_plus_root_C_of_the_largest_loss_value(dtype, u_C):
    """P = 1, theta = 0 and a loss near 1 whose largest value falls on each of the four points in
    turn (1 + x peaks at the outer point in the direction of v, 1 + x - x^2 / h0 at the inner
    one): rounding = 3 E / h with C the largest of that direction's own four values."""
    h0 = u_C ** 0.2
    losses = {"1 + x": lambda x: 1.0 + x, "1 + x - x^2 / h0": lambda x: 1.0 + x - x * x / h0}
    largest_at = set()
    for name, loss in losses.items():
        for seed in range(4):
            values = []
            res = directional_check(_recording(loss, values), [0.0], [1.0], rng=seed, n_directions=1,
                                    loss_dtype=dtype)
            d = res.directions[0]
            assert len(values) == 4 and d.step == pytest.approx(h0, rel=1e-15)
            C = max(abs(c) for c in values)
            largest_at.add(max(range(4), key=lambda k: abs(values[k])))
            _assert_ulps(d.rounding, 3.0 * 16.0 * u_C * (C + math.sqrt(C)) / d.step, 4,
                         f"loss {name}, seed {seed}, values {values}")
    assert largest_at == {0, 1, 2, 3}, f"the largest value only fell on evaluations {sorted(largest_at)}"


def test_default_check_is_4_directions_of_4_loss_evaluations():
    calls = []

    def f(t):
        calls.append(1)
        return float(t @ t)

    res = directional_check(f, np.ones(5), 2.0 * np.ones(5), rng=7)
    assert len(res.directions) == 4 and len(calls) == 16, (
        f"{len(res.directions)} directions, {len(calls)} evaluations; expected 4 and 16")
    assert res.n_params == 5 and res.passed


@pytest.mark.parametrize("theta", [[1, -2, 3], np.array([1, -2, 3], dtype=np.int64),
                                   np.array([1, -2, 3], dtype=np.float32)],
                         ids=["int list", "int64", "float32"])
def test_theta_is_taken_as_float64_so_the_loss_sees_float64_points(theta):
    """A linear loss c . t with its exact gradient c passes; integer theta is not truncated."""
    c = np.array([0.5, -1.0, 2.0])
    dtypes = []

    def f(t):
        dtypes.append(t.dtype)
        return float(t @ c)

    res = directional_check(f, theta, c, rng=8, n_directions=2)
    assert set(dtypes) == {np.dtype(np.float64)}, f"the loss saw points of dtype {set(dtypes)}"
    assert res.passed, f"worst ratio {res.worst_ratio:.3g}"
    for d in res.directions:
        assert d.claimed_slope == pytest.approx(d.fd_slope, rel=1e-9)
