"""The directional check: compare v . g with the derivative of C along v.

For a direction v and a claimed gradient g, the directional derivative
dC/dt (theta + t v) at t = 0 equals v . g.  It is estimated with two central
differences and one Richardson step (4 loss evaluations per direction),

    D(h)   = (C(theta + h v) - C(theta - h v)) / (2 h)
    R      = (4 D(h/2) - D(h)) / 3          truncation O(h^4)

so the cost does not grow with the number of parameters P.  Directions have
random signs and random magnitudes (never all-positive, which would let
opposite errors cancel), normalised to |v| = 1.

Error model for one direction: |R - v.g_true| <= |D(h/2) - D(h)| (an estimate
of the remaining truncation error, which is smaller than the h^2 term it is
taken from) + c u_C |C| / h (rounding in the loss, u_C the loss dtype's unit
roundoff) + |v| . e(g) (the claimed gradient's own rounding bound, if given).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np

from reference.network import as_generator

__all__ = ["DirectionResult", "DirectionalResult", "random_direction", "directional_check"]


@dataclass(frozen=True)
class DirectionResult:
    """One direction: the finite-difference slope, v . g, and the tolerance between them."""

    fd_slope: float
    claimed_slope: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(abs(self.fd_slope - self.claimed_slope) <= self.tolerance)


@dataclass(frozen=True)
class DirectionalResult:
    """All directions of one check; ``passed`` only if every direction passed."""

    directions: List[DirectionResult]

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.directions)

    @property
    def worst_ratio(self) -> float:
        """max over directions of |fd - claimed| / tolerance (> 1 means failed)."""
        return max(abs(d.fd_slope - d.claimed_slope) / d.tolerance if d.tolerance > 0 else np.inf
                   for d in self.directions)


def random_direction(P: int, rng) -> np.ndarray:
    """A unit vector with independent random signs and magnitudes uniform in [0.5, 1.5)."""
    gen = as_generator(rng)
    v = gen.choice((-1.0, 1.0), size=P) * gen.uniform(0.5, 1.5, size=P)
    return v / np.linalg.norm(v)


def directional_check(f: Callable[[np.ndarray], float], theta, grad, *, rng, n_directions: int = 4,
                      loss_dtype=np.float64, grad_error: Optional[np.ndarray] = None,
                      step: Optional[float] = None) -> DirectionalResult:
    """Check ``grad`` against the loss ``f`` along ``n_directions`` random directions.

    ``theta`` and ``grad`` are flat float vectors of length P; ``grad_error`` an
    optional entrywise bound on the claimed gradient's rounding error.
    """
    theta = np.asarray(theta, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != theta.shape:
        raise ValueError(f"grad has shape {grad.shape}; expected {theta.shape} like theta")
    gen = as_generator(rng)
    u = float(np.finfo(np.dtype(loss_dtype)).eps) / 2.0
    scale = max(1.0, float(np.max(np.abs(theta)))) if theta.size else 1.0
    h = (step if step is not None else u ** (1 / 5)) * scale
    results = []
    for _ in range(n_directions):
        v = random_direction(theta.size, gen)
        c_pp, c_mm = f(theta + h * v), f(theta - h * v)
        c_p, c_m = f(theta + 0.5 * h * v), f(theta - 0.5 * h * v)
        d_h, d_h2 = (c_pp - c_mm) / (2 * h), (c_p - c_m) / h
        fd = (4.0 * d_h2 - d_h) / 3.0
        c_abs = max(abs(c_pp), abs(c_mm), abs(c_p), abs(c_m))
        tol = abs(d_h2 - d_h) + 8.0 * u * c_abs / h
        if grad_error is not None:
            tol += float(np.abs(v) @ np.asarray(grad_error, dtype=np.float64))
        tol += 4.0 * np.finfo(np.float64).eps * float(np.abs(v) @ np.abs(grad))
        results.append(DirectionResult(float(fd), float(v @ grad), float(tol)))
    return DirectionalResult(results)
