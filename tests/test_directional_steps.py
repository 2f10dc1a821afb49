"""The directional check's step follows the rule written in ``reference/directional.py``:
the first step is u_C^(1/5) along the unit direction, or ``step``; each later step balances
the last direction's two error terms and stays within its bounds.

    truncation ~ a h^2, rounding ~ b / h:  h* = h (rounding / (2 truncation))^(1/3)
    at most GROWTH = 8 times the last step (also when truncation is 0), at most
    max(h0, MAX_STEP = 0.03), at least h0 / STEP_RANGE = h0 / 64;
    h0 again when the last terms are not finite or rounding is not positive.

The later steps are computed by ``_next_step`` from the last ``DirectionResult``; the tests
call it directly on hand-made results (only ``truncation``, ``rounding`` and ``step`` matter).
"""
import math

import numpy as np
import pytest

from reference.directional import DirectionResult, _next_step, directional_check

H0 = 1e-3


def _last(truncation, rounding, step=H0):
    return DirectionResult(fd_slope=0.0, claimed_slope=0.0, tolerance=1.0, truncation=truncation,
                           rounding=rounding, step=step)


@pytest.mark.parametrize("dtype, u_C", [(np.float64, 2.0 ** -53), (np.float32, 2.0 ** -24)])
def test_first_step_is_the_fifth_root_of_the_loss_dtypes_unit_roundoff(dtype, u_C):
    """u_C = eps / 2: 2^-53 for float64 (h0 = 6.4e-4), 2^-24 for float32 (h0 = 0.036)."""
    res = directional_check(lambda t: float(t @ t), np.ones(3), 2.0 * np.ones(3), rng=0, n_directions=1,
                            loss_dtype=dtype)
    assert res.directions[0].step == pytest.approx(u_C ** 0.2, rel=1e-15), (
        f"first step {res.directions[0].step!r}, expected u_C^(1/5) = {u_C ** 0.2!r}")


def test_step_argument_is_the_first_step_and_the_step_a_direction_without_rounding_falls_back_to():
    """step = 0.01 and a loss whose values carry no rounding (C = 0 everywhere and loss_error = 0,
    so E = 0 and the rounding term is 0): h0 = 0.01 comes back."""
    res = directional_check(lambda t: 0.0, np.ones(3), np.zeros(3), rng=0, n_directions=2,
                            step=0.01, loss_error=0.0)
    assert [d.step for d in res.directions] == [0.01, 0.01]


@pytest.mark.parametrize("truncation, rounding, factor", [
    (4.0, 1.0, 0.5),        # ratio 1 / 8, shrinks to half (rounding <= 1 is still used)
    (0.5, 27.0, 3.0),       # ratio 27, a truncation below 1 is still used
    (3.0, 3.0 * 2.0 * 0.9 ** 3, 0.9),
])
def test_next_step_is_the_cube_root_of_rounding_over_twice_truncation_times_the_last(truncation, rounding,
                                                                                      factor):
    got = _next_step(_last(truncation, rounding), H0)
    assert got == pytest.approx(factor * H0, rel=1e-14), (
        f"truncation {truncation}, rounding {rounding}: step {got!r}, expected {factor} * {H0}")


@pytest.mark.parametrize("truncation, rounding", [(1.0, 2e6), (0.0, 1.0)], ids=["ratio 1e6", "truncation 0"])
def test_next_step_grows_at_most_8_times(truncation, rounding):
    got = _next_step(_last(truncation, rounding), H0)
    assert got == pytest.approx(8.0 * H0, rel=1e-14), f"step {got!r}, expected 8 * {H0}"


def test_next_step_is_at_most_max_of_h0_and_0_03():
    assert _next_step(_last(1.0, 2e6, step=0.02), H0) == 0.03
    assert _next_step(_last(1.0, 2e6, step=0.05), 0.05) == 0.05, "h0 = 0.05 > MAX_STEP is the cap"
    assert _next_step(_last(1.0, 2e6, step=0.001), 0.05) == pytest.approx(0.008, rel=1e-14)


def test_next_step_is_at_least_h0_over_64():
    """ratio 1e-12 would shrink the step 10^4 times."""
    got = _next_step(_last(1.0, 2e-12), H0)
    assert got == H0 / 64, f"step {got!r}, expected h0 / 64 = {H0 / 64!r}"


@pytest.mark.parametrize("truncation, rounding", [
    (math.inf, 1.0), (math.nan, 1.0), (1.0, math.inf), (1.0, math.nan), (math.inf, math.inf),
    (1.0, 0.0), (0.0, 0.0), (1.0, -1.0),
])
def test_next_step_falls_back_to_h0_on_non_finite_terms_or_no_rounding(truncation, rounding):
    got = _next_step(_last(truncation, rounding, step=4.0 * H0), H0)
    assert got == H0, f"truncation {truncation}, rounding {rounding}: step {got!r}, expected h0 = {H0}"


def test_each_later_direction_uses_the_step_from_the_last_directions_terms():
    """A constant loss with loss_error = 1e-9: truncation 0, so the step grows 8 times per
    direction from h0 = 1e-3 until the cap 0.03."""
    res = directional_check(lambda t: 1.0, np.ones(4), np.zeros(4), rng=0, n_directions=4, step=H0,
                            loss_error=1e-9)
    steps = [d.step for d in res.directions]
    assert steps == pytest.approx([H0, 8 * H0, 0.03, 0.03], rel=1e-14), f"steps {steps}"
