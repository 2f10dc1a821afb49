"""The logistic sigmoid and its derivative, finite and warning-free for every finite z.

sigma(z)  = 1 / (1 + exp(-z))
sigma'(z) = sigma(z) (1 - sigma(z)) = e / (1 + e)^2   with e = exp(-|z|)

Both are computed from e = exp(-|z|), which never overflows.  sigma(z) rounds
to exactly 1.0 for z >= 37 (1 - 2^-53 is the largest double below 1) and
underflows to 0.0 only for z below about -745, where float64 has no smaller
positive number.  sigma'(z) is computed from e directly rather than as
a (1 - a), so it keeps full relative precision where a (1 - a) would lose it
to cancellation (z > 20 or so), and reaches 0.0 only for |z| > 745.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["sigmoid", "sigmoid_prime", "scalar_sigmoid", "scalar_sigmoid_prime"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z), elementwise, for a float array of any shape; returns a new array."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z)(1 - sigma(z)), elementwise, evaluated as e / (1 + e)^2."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def scalar_sigmoid(z: float) -> float:
    """sigma(z) for one Python float (the scalar formulation's plain-float path)."""
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)


def scalar_sigmoid_prime(z: float) -> float:
    """sigma'(z) for one Python float, as e / (1 + e)^2 with e = exp(-|z|)."""
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))
