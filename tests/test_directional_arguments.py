"""``reference.directional``: its arguments and its edge cases.

Random directions have P entries +-1/sqrt(P), each sign drawn (none left at a default);
P = 0 gives an empty direction and an empty check that passes; theta must be flat and
n_directions a positive integer, each refusal naming what it got.
"""
import math
import re

import numpy as np
import pytest

from reference.directional import directional_check, random_direction


def test_a_direction_of_no_parameters_is_an_empty_float64_vector():
    v = random_direction(0, 0)
    assert isinstance(v, np.ndarray) and v.shape == (0,) and v.dtype == np.float64


@pytest.mark.parametrize("P", [1, 7, 8, 9, 15, 16, 17])
def test_every_entry_of_a_direction_is_a_drawn_sign_of_size_one_over_sqrt_p(P):
    """Over 64 seeds every position takes both signs (a position left undrawn would keep one)."""
    vs = np.array([random_direction(P, seed) for seed in range(64)])
    assert np.all(np.abs(vs) == 1.0 / math.sqrt(P)), f"P = {P}: entries other than +-1/sqrt(P)"
    assert np.all(vs.max(axis=0) > 0) and np.all(vs.min(axis=0) < 0), (
        f"P = {P}: positions {np.flatnonzero((vs.max(axis=0) < 0) | (vs.min(axis=0) > 0)).tolist()} "
        "never change sign over 64 seeds")


def test_a_check_of_no_parameters_has_no_directions_and_passes():
    calls = []
    res = directional_check(lambda t: calls.append(t) or 0.0, np.zeros(0), np.zeros(0), rng=0)
    assert res.directions == [] and res.n_params == 0 and calls == []
    assert res.passed and res.worst_ratio == 0.0 and res.detectable_error == np.inf


def test_theta_must_be_a_flat_vector_and_the_refusal_names_its_shape():
    with pytest.raises(ValueError, match=r"^theta has shape \(2, 2\); expected a flat vector \(P,\)$"):
        directional_check(lambda t: 0.0, np.zeros((2, 2)), np.zeros((2, 2)), rng=0)


@pytest.mark.parametrize("n", [0, -1, True, False, 2.0, 2.5, "3", None])
def test_n_directions_must_be_a_positive_integer_and_the_refusal_names_it(n):
    with pytest.raises(ValueError, match=f"^{re.escape(f'n_directions must be a positive integer, got {n!r}')}$"):
        directional_check(lambda t: 0.0, np.ones(3), np.zeros(3), rng=0, n_directions=n)


def test_a_numpy_integer_number_of_directions_is_accepted():
    res = directional_check(lambda t: 0.0, np.ones(3), np.zeros(3), rng=0, n_directions=np.int64(3))
    assert len(res.directions) == 3 and res.passed
