"""Every entry is checked whatever the array's size (large arrays take a faster path:
their sum first): a non-finite entry is found and named by its index, a sum that merely
overflows is not mistaken for one; only real numbers are accepted (float, signed or
unsigned integers), never bool, complex or objects."""
import warnings

import numpy as np
import pytest

from reference import Network, forward, gradients
from reference.validation import check_array

NET = Network([2, 3, 1])


@pytest.mark.parametrize("N", [1, 2048, 2049, 5000])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_entry_is_found_and_named_in_arrays_of_any_size(N, bad):
    X = np.ones((2, N))
    X[1, N - 1] = bad
    with pytest.raises(ValueError) as info:
        forward(NET, NET.init(0), X)
    assert str(info.value) == f"X has a non-finite value {bad} at index (1, {N - 1}) for {NET}"


@pytest.mark.parametrize("N", [2048, 2049, 5000])
def test_inf_and_minus_inf_together_are_found_without_a_floating_point_error(N):
    """Their sum is NaN (an invalid operation): the check must still name the first one."""
    X = np.ones((2, N))
    X[0, 5], X[1, 7] = np.inf, -np.inf
    with pytest.raises(ValueError) as info:
        _strictly(check_array, "X", X, (2, N))
    assert str(info.value) == "X has a non-finite value inf at index (0, 5)"


def _strictly(f, *args):
    """f(*args) with every floating-point event but underflow, and every warning, an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            return f(*args)


@pytest.mark.parametrize("N", [2048, 2049, 5000])
def test_finite_arrays_pass_even_when_their_sum_overflows(N):
    X = np.full((2, N), 1e308)
    assert np.array_equal(_strictly(check_array, "X", X, (2, N)), X)
    assert forward(NET, [(np.zeros((3, 2)), np.zeros(3)), (np.zeros((1, 3)), np.zeros(1))], X).a(2).shape == (1, N)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float16, np.float32])
def test_integer_and_float_arrays_of_any_width_are_accepted_as_float64(dtype):
    X = np.ones((2, 3), dtype=dtype)
    out = check_array("X", X, (2, 3))
    assert out.dtype == np.float64 and np.array_equal(out, np.ones((2, 3)))


@pytest.mark.parametrize("value, dtype", [(np.ones((2, 3), dtype=bool), "bool"),
                                          (np.ones((2, 3), dtype=complex), "complex128"),
                                          (np.array([[1, 2, 3], [4, 5, None]], dtype=object), "object")])
def test_anything_but_real_numbers_is_refused_naming_the_dtype(value, dtype):
    params, Y = NET.init(0), np.zeros((1, 3))
    with pytest.raises(ValueError) as info:
        gradients(NET, params, value, Y)
    assert str(info.value) == f"X must hold real numbers, got dtype {dtype} for {NET}"
