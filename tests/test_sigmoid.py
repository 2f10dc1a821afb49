"""sigma and sigma': finite and warning-free for every finite z, correctly rounded to ~1 ulp."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, strategies as st

from reference import sigmoid, sigmoid_prime
from reference.activations import scalar_sigmoid, scalar_sigmoid_prime

EXTREMES = np.array([0.0, 1e-300, 5e-324, 1.0, 36.0, 37.0, 40.0, 700.0, 745.0, 746.0, 800.0, 1e4, 1e100,
                     np.finfo(np.float64).max])


def _exact_sigmoid(z: float) -> mpmath.mpf:
    with mpmath.workdps(60):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


def _exact_sigmoid_prime(z: float) -> mpmath.mpf:
    # e / (1 + e)^2 with e = exp(-|z|): s (1 - s) would cancel even at 60 digits.
    with mpmath.workdps(60):
        e = mpmath.exp(-abs(mpmath.mpf(z)))
        return e / (1 + e) ** 2


def test_sigmoid_is_finite_and_warning_free_for_every_finite_input():
    """No overflow, invalid or divide warning anywhere (the documents' 1 / (1 + exp(-z))
    overflows for z < -709).  Underflow to a subnormal or to 0 is the correct result
    there and numpy's default error state ignores it, so it is left ignored here."""
    import warnings
    z = np.concatenate([EXTREMES, -EXTREMES])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            s, sp = sigmoid(z), sigmoid_prime(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(sp))
    assert np.all((s >= 0) & (s <= 1)) and np.all(sp >= 0) and np.all(sp <= 0.25)


def test_sigmoid_saturates_exactly_where_float64_must():
    """sigma(z) is 1.0 exactly when the true value rounds to 1, 0.0 only below the subnormals."""
    assert sigmoid(np.array([36.0]))[0] < 1.0      # 1 - 2.3e-16 is representable
    assert sigmoid(np.array([37.5]))[0] == 1.0     # 1 - 5e-17 rounds to 1
    assert sigmoid(np.array([-745.0]))[0] > 0.0    # 5e-324, the smallest subnormal
    assert sigmoid(np.array([-746.0]))[0] == 0.0
    assert sigmoid_prime(np.array([745.0]))[0] > 0.0 and sigmoid_prime(np.array([746.0]))[0] == 0.0


@given(st.floats(-750.0, 750.0, allow_nan=False))
def test_sigmoid_and_its_derivative_are_within_four_ulp_of_the_exact_value(z):
    """exp (<= 1 ulp) followed by at most three roundings (add, multiply, divide): <= 4 ulp."""
    for computed, exact in ((sigmoid(np.array([z]))[0], _exact_sigmoid(z)),
                            (sigmoid_prime(np.array([z]))[0], _exact_sigmoid_prime(z)),
                            (scalar_sigmoid(z), _exact_sigmoid(z)),
                            (scalar_sigmoid_prime(z), _exact_sigmoid_prime(z))):
        exact_f = float(exact)
        ulp = math.ulp(exact_f) if exact_f != 0 else 5e-324
        assert abs(computed - exact_f) <= 4 * ulp + 4 * 5e-324, (z, computed, exact_f)


@given(st.floats(-20.0, 20.0, allow_nan=False))
def test_sigmoid_prime_equals_sigma_times_one_minus_sigma(z):
    """The documents' sigma(z)(1 - sigma(z)); beyond |z| = 20 that product itself loses
    precision to cancellation, which is why the reference evaluates e / (1 + e)^2."""
    s = sigmoid(np.array([z]))[0]
    assert sigmoid_prime(np.array([z]))[0] == pytest.approx(s * (1 - s), rel=1e-8)


def test_sigmoid_returns_a_new_array_and_keeps_the_shape():
    z = np.arange(6.0).reshape(2, 3)
    z.setflags(write=False)
    out = sigmoid(z)
    assert out.shape == (2, 3) and out is not z and out.dtype == np.float64
