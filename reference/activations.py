"""Activation functions and their derivatives, finite and warning-free for every finite z.

The logistic sigmoid:

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

__all__ = ["sigmoid", "sigmoid_prime", "scalar_sigmoid", "scalar_sigmoid_prime", "tanh", "tanh_prime", "relu",
           "relu_prime", "leaky_relu", "leaky_relu_prime", "identity", "identity_prime", "hidden_function",
           "scalar_function", "HIDDEN_ACTIVATIONS", "KINKED", "DEFAULT_SLOPE"]


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


# ------------------------------------------------------------------ the other hidden activations
#
#     tanh(z)             tanh'(z) = 1 - tanh(z)^2 = 4 e / (1 + e)^2      with e = exp(-2|z|)
#     relu(z) = max(z, 0)     relu'(z) = 1 for z > 0, 0 for z <= 0
#     leaky_relu(z) = z for z > 0, slope z for z <= 0     leaky_relu'(z) = 1 for z > 0, slope for z <= 0
#     identity(z) = z         identity'(z) = 1
#
# The kink convention: relu and leaky_relu are not differentiable at z = 0; the reference takes the
# derivative from the left there (relu'(0) = 0, leaky_relu'(0) = slope), as PyTorch and JAX do.
# tanh' is computed from e = exp(-2|z|), like sigma', so it keeps full relative precision where
# 1 - tanh(z)^2 cancels (|z| > 10 or so) and reaches 0.0 only for |z| > 372.

#: Hidden activations the reference knows; those with a kink at z = 0.
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
KINKED = ("relu", "leaky_relu")
#: The default slope of leaky_relu for z <= 0.
DEFAULT_SLOPE = 0.01


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z), elementwise, float64; returns a new array."""
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)^2, evaluated as 4 e / (1 + e)^2 with e = exp(-2|z|)."""
    e = np.exp(-2.0 * np.abs(np.asarray(z, dtype=np.float64)))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), elementwise (0.0 for z <= 0, also for z = -0.0)."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, z, 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """relu'(z) = 1 for z > 0, 0 for z <= 0 (the derivative from the left at the kink z = 0)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def leaky_relu(z: np.ndarray, slope: float = DEFAULT_SLOPE) -> np.ndarray:
    """z for z > 0, slope z for z <= 0."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, z, slope * z)


def leaky_relu_prime(z: np.ndarray, slope: float = DEFAULT_SLOPE) -> np.ndarray:
    """1 for z > 0, slope for z <= 0 (from the left at the kink)."""
    return np.where(np.asarray(z, dtype=np.float64) > 0, 1.0, float(slope))


def identity(z: np.ndarray) -> np.ndarray:
    """z itself, as a new float64 array."""
    return np.array(z, dtype=np.float64)


def identity_prime(z: np.ndarray) -> np.ndarray:
    """Ones in the shape of z."""
    return np.ones(np.shape(z))


def hidden_function(name: str, slope: float = DEFAULT_SLOPE):
    """(f, f') for a hidden activation name, each elementwise on float arrays."""
    table = {"sigmoid": (sigmoid, sigmoid_prime), "tanh": (tanh, tanh_prime), "relu": (relu, relu_prime),
             "leaky_relu": (lambda z: leaky_relu(z, slope), lambda z: leaky_relu_prime(z, slope)),
             "identity": (identity, identity_prime)}
    if name not in table:
        raise ValueError(f"hidden activation must be one of {HIDDEN_ACTIVATIONS}, got {name!r}")
    return table[name]


def scalar_function(name: str, slope: float = DEFAULT_SLOPE):
    """(f, f') for one Python float: the scalar and per-neuron formulations' plain-float path."""
    def tanh_p(z: float) -> float:
        e = math.exp(-2.0 * abs(z))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    table = {"sigmoid": (scalar_sigmoid, scalar_sigmoid_prime), "tanh": (math.tanh, tanh_p),
             "relu": (lambda z: z if z > 0 else 0.0, lambda z: 1.0 if z > 0 else 0.0),
             "leaky_relu": (lambda z: z if z > 0 else slope * z, lambda z: 1.0 if z > 0 else float(slope)),
             "identity": (lambda z: z, lambda z: 1.0)}
    if name not in table:
        raise ValueError(f"hidden activation must be one of {HIDDEN_ACTIVATIONS}, got {name!r}")
    return table[name]
