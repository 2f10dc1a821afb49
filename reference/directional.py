"""The directional check: compare v . g with the derivative of C along v.

For a direction v and a claimed gradient g, the directional derivative
dC/dt (theta + t v) at t = 0 equals v . g.  Its cost does not grow with the
number of parameters P beyond a few vector operations: 4 loss evaluations per
direction, no gradient call beyond the one that produced g.

Directions.  v_k = s_k / sqrt(P) with independent random signs s_k = +-1
(Rademacher): never all-positive, and every entry weighs the same.  An error
e in one entry g_k moves v . g by exactly e / sqrt(P), whichever entry it is,
so a direction with tolerance tol catches every single-entry error with

    |e| > 2 tol sqrt(P)                      (``DirectionalResult.detectable_error``)

and independent signs keep errors in several entries from cancelling (two
equal and opposite errors cancel in a direction with probability 1/2, in all
4 default directions with probability 1/16; unequal errors never cancel fully).

Derivative along v.  With step h and the central differences

    D(h) = (C(theta + h v) - C(theta - h v)) / (2 h)   = C' + h^2 C'''/6 + O(h^4)
    R    = (4 D(h/2) - D(h)) / 3                       = C' - h^4 C^(5)/480 + O(h^6)

The points theta +- h v, theta +- h v / 2 are rounded to floats; the claimed
slope uses the displacements d actually taken, in the same combination:
w . g = (4 (d1+ - d1-) . g / h - (d2+ - d2-) . g / (2 h)) / 3, so rounding
the points costs nothing.

Error model for one direction, the tolerance on |R - w . g|:

    truncation  |D(h/2) - D(h)|       the h^2 term of D(h); R's own O(h^4) error is
                                      (h / rho)^2 times smaller for a loss analytic in a
                                      disc of radius rho along the line
    rounding    3 E / h               each loss value off by at most E, and
                                      R = (8 (f1+ - f1-) - (f2+ - f2-)) / (6 h).
                                      E = max(``loss_error``, 16 u_C (|C| + |C|^(1/2))), C the
                                      largest of the four values, u_C the loss dtype's unit
                                      roundoff: a half squared error with outputs of order one
                                      rounds each residual r by about u, so C by u |r| ~ u C^(1/2).
                                      The estimate is kept when ``loss_error`` is given: a bound
                                      taken at theta misses that term where r(theta) = 0 (C = 0
                                      there, C ~ h^2 at the points evaluated)
    dot         2 (P + 2) u |v| . |g|  rounding in the four dot products d . g
    gradient    8 ||e(g)||_2 / sqrt(P) the claimed gradient's rounding errors r, |r| <= e(g)
                                      (``grad_error``, entrywise; needed for float32 code):
                                      r is fixed before the signs are drawn, so by Hoeffding
                                      P(|v . r| > c ||e||_2 / sqrt(P)) <= 2 exp(-c^2/2) = 2.5e-14
                                      for c = 8, where the worst case ||e||_1 / sqrt(P) would be
                                      up to sqrt(P) / 8 times larger

    tol = SAFETY (truncation + rounding) + dot + gradient (+ O(u) terms for d != h v),  SAFETY = 2.

Kinks.  Where the loss has kinks (relu, leaky_relu: a hidden z^l_j = 0), a difference whose
points lie on both sides of one estimates neither one-sided slope.  With ``signature``
(``reference.finite_differences.kink_signature``: the signs of every hidden z) the four points
of a direction are compared with theta; when one differs, the step is halved (down to
h0 / STEP_RANGE) until none does; a direction that still crosses (a z that is exactly 0 at
theta and moves along v) is dropped and another drawn in its place, 2 n_directions
directions at most in all.  ``DirectionalResult.shortened`` and ``.dropped`` count them.

Step.  The first direction uses h0 = u_C^(1/5) (6.4e-4 for a float64 loss, 0.036
for float32) along the unit vector v, or ``step``.  Each later direction uses
the step that balances the last direction's two terms (truncation ~ h^2,
rounding ~ 1/h), growing at most 8 times per direction, never beyond
max(h0, 0.03) and never below h0 / 64: with a pessimistic ``loss_error`` the
step grows until rounding no longer dominates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

from reference.network import as_generator

__all__ = ["SAFETY", "HOEFFDING", "DirectionResult", "DirectionalResult", "random_direction",
           "directional_check"]

SAFETY = 2.0
#: c in the gradient-rounding term c ||e(g)||_2 / sqrt(P): exceeded with probability <= 2 exp(-c^2/2)
HOEFFDING = 8.0
#: the adaptive step: at least h0 / STEP_RANGE, at most max(h0, MAX_STEP), at most GROWTH times the last
STEP_RANGE = 64.0
MAX_STEP = 0.03
GROWTH = 8.0
U64 = float(np.finfo(np.float64).eps) / 2.0


@dataclass(frozen=True)
class DirectionResult:
    """One direction: the finite-difference slope, w . g, and the tolerance between them."""

    fd_slope: float
    claimed_slope: float
    tolerance: float
    truncation: float = 0.0       # |D(h/2) - D(h)|
    rounding: float = 0.0         # 3 E / h
    step: float = 0.0             # h

    @property
    def passed(self) -> bool:
        return bool(abs(self.fd_slope - self.claimed_slope) <= self.tolerance)


@dataclass(frozen=True)
class DirectionalResult:
    """All directions of one check; ``passed`` only if every direction passed."""

    directions: List[DirectionResult]
    n_params: int = field(default=0)
    shortened: int = 0       # directions whose step was halved to stay clear of a kink
    dropped: int = 0         # directions that crossed a kink at every step, left out

    @property
    def passed(self) -> bool:
        return all(d.passed for d in self.directions)

    @property
    def worst_ratio(self) -> float:
        """max over directions of |fd - claimed| / tolerance (> 1 means failed)."""
        return max((abs(d.fd_slope - d.claimed_slope) / d.tolerance if d.tolerance > 0 else np.inf
                    for d in self.directions), default=0.0)

    @property
    def detectable_error(self) -> float:
        """Every single-entry error larger than this is caught: 2 tol sqrt(P), best direction."""
        return min((2.0 * d.tolerance * math.sqrt(self.n_params) for d in self.directions), default=np.inf)


def random_direction(P: int, rng) -> np.ndarray:
    """A unit vector of P entries +-1/sqrt(P) with independent random signs (Rademacher)."""
    gen = as_generator(rng)
    bits = np.unpackbits(np.frombuffer(gen.bytes((P + 7) // 8), dtype=np.uint8), count=P)
    v = bits.astype(np.float64)
    v *= 2.0 / math.sqrt(P) if P else 0.0
    v -= 1.0 / math.sqrt(P) if P else 0.0
    return v


class _Check:
    """What every direction of one check shares: theta, g, the bounds that do not depend on v."""

    def __init__(self, f, theta, grad, loss_error, u_C, grad_error, signature=None):
        self.f, self.theta, self.grad = f, theta, grad
        self.signature = signature
        self.at_theta = None if signature is None else signature(theta)
        self.crossed = False
        self.loss_error, self.u_C = loss_error, u_C
        P = theta.size
        abs_theta, abs_g = np.abs(theta), np.abs(grad)
        g1 = float(abs_g.sum())
        # |d - s h v| <= u |t| per entry: w = v + O(u (|theta| + h |v|) / h)
        self.dot_terms = (2.0 * (P + 2) * U64 * g1 / math.sqrt(P), 3.0 * U64 * float(abs_theta @ abs_g))
        if grad_error is None:
            self.grad_terms = (0.0, 0.0)
        else:
            e = grad_error
            self.grad_terms = (HOEFFDING * math.sqrt(float(e @ e) / P) + 3.0 * U64 * float(e.sum()) / math.sqrt(P),
                               3.0 * U64 * float(abs_theta @ e))
        self.point, self.displacement = np.empty_like(theta), np.empty_like(theta)

    def value_and_slope(self, step_v: np.ndarray, sign: float):
        """(C(t), d . g) at t = fl(theta + sign step_v), d = t - theta the displacement taken.

        ``f`` gets a read-only view of a buffer reused for every point (no page faults
        on large P); it must not keep it after returning.
        """
        t = self.point
        t.flags.writeable = True
        np.add(self.theta, step_v, out=t) if sign > 0 else np.subtract(self.theta, step_v, out=t)
        d_dot_g = float(np.subtract(t, self.theta, out=self.displacement) @ self.grad)
        t.flags.writeable = False
        if self.signature is not None and not np.array_equal(self.signature(t.view()), self.at_theta):
            self.crossed = True
        return float(self.f(t.view())), d_dot_g

    def direction(self, v: np.ndarray, h: float) -> DirectionResult:
        """R, w . g and the tolerance for direction v with step h (4 evaluations of f); sets ``crossed``."""
        self.crossed = False
        hv = h * v
        c_pp, s_pp = self.value_and_slope(hv, +1.0)
        c_mm, s_mm = self.value_and_slope(hv, -1.0)
        hv *= 0.5
        c_p, s_p = self.value_and_slope(hv, +1.0)
        c_m, s_m = self.value_and_slope(hv, -1.0)
        d_h = (c_pp - c_mm) / (2.0 * h)
        d_h2 = (c_p - c_m) / h
        fd = (4.0 * d_h2 - d_h) / 3.0
        claimed = (4.0 * (s_p - s_m) / h - (s_pp - s_mm) / (2.0 * h)) / 3.0
        C = max(abs(c_pp), abs(c_mm), abs(c_p), abs(c_m))
        E = 16.0 * self.u_C * (C + math.sqrt(C))
        if self.loss_error is not None:
            E = max(E, self.loss_error)
        truncation, rounding = abs(d_h2 - d_h), 3.0 * E / h
        dot = self.dot_terms[0] + self.dot_terms[1] / h
        gradient = self.grad_terms[0] + self.grad_terms[1] / h
        tol = SAFETY * (truncation + rounding) + dot + gradient
        return DirectionResult(float(fd), float(claimed), float(tol), float(truncation), float(rounding), float(h))


def _next_step(d: DirectionResult, h0: float) -> float:
    """The step that balances the two error terms, from the last direction's (h^2 and 1/h scaling).

    truncation ~ a h^2 and rounding ~ b / h: their sum is least at h* = h (rounding / (2 truncation))^(1/3).
    The step grows at most GROWTH times per direction and never beyond max(h0, MAX_STEP), so that it
    stays well inside the loss's radius of analyticity along the line; it may shrink to h0 / STEP_RANGE.
    """
    if not (np.isfinite(d.truncation) and np.isfinite(d.rounding)) or d.rounding <= 0:
        return h0
    growth = min(GROWTH, (d.rounding / (2.0 * d.truncation)) ** (1.0 / 3.0)) if d.truncation > 0 else GROWTH
    h = d.step * growth
    return float(min(max(h0, MAX_STEP), max(h0 / STEP_RANGE, h)))


def _kink_free(check: "_Check", v: np.ndarray, h: float, h0: float):
    """(DirectionResult, halvings) along v: h halved until no point crosses a kink, or None when none is found."""
    d, halvings = check.direction(v, h), 0
    while check.crossed and h / 2.0 >= h0 / STEP_RANGE:
        h, halvings = h / 2.0, halvings + 1
        d = check.direction(v, h)
    return (None if check.crossed else d), halvings


def directional_check(f: Callable[[np.ndarray], float], theta, grad, *, rng, n_directions: int = 4,
                      loss_dtype=np.float64, grad_error: Optional[np.ndarray] = None,
                      step: Optional[float] = None, loss_error: Optional[float] = None,
                      signature: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> DirectionalResult:
    """Check ``grad`` against the loss ``f`` along ``n_directions`` random directions.

    ``theta`` and ``grad`` are flat vectors of length P (``reference.params.flatten``
    order); ``rng`` a numpy Generator or an integer seed.  ``loss_dtype`` is the
    dtype ``f`` computes in (its unit roundoff sets the default step and loss
    error); ``loss_error`` an absolute bound on the rounding error of one value
    of ``f`` near theta (pass one when it is known: the estimate
    16 u_C (|C| + |C|^(1/2)) at the points evaluated is realistic for outputs of order one,
    not a bound; the larger of the two is used); ``grad_error`` an entrywise bound on the
    claimed gradient's rounding error; ``step`` the first step h along the unit
    direction (default u_C^(1/5)).  ``f`` receives a read-only array that is
    reused for the next point, so it must not keep it.  Costs 4 n_directions
    evaluations of ``f``.  ``signature`` (theta -> array) marks kinks of the loss: see the
    module docstring (directions are shortened or dropped, and counted).
    """
    theta = np.array(theta, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if theta.ndim != 1:
        raise ValueError(f"theta has shape {theta.shape}; expected a flat vector (P,)")
    if grad.shape != theta.shape:
        raise ValueError(f"grad has shape {grad.shape}; expected {theta.shape} like theta")
    if grad_error is not None:
        grad_error = np.asarray(grad_error, dtype=np.float64)
        if grad_error.shape != theta.shape:
            raise ValueError(f"grad_error has shape {grad_error.shape}; expected {theta.shape} like theta")
    if isinstance(n_directions, bool) or not isinstance(n_directions, (int, np.integer)) or n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer, got {n_directions!r}")
    if theta.size == 0:
        return DirectionalResult([], 0)
    gen = as_generator(rng)
    u_C = float(np.finfo(np.dtype(loss_dtype)).eps) / 2.0
    h0 = float(step) if step is not None else u_C ** 0.2
    check = _Check(f, theta, grad, loss_error, u_C, grad_error, signature)
    h, results, shortened, dropped = h0, [], 0, 0
    while len(results) < int(n_directions) and len(results) + dropped < 2 * int(n_directions):
        d, halvings = _kink_free(check, random_direction(theta.size, gen), h, h0)
        if d is None:
            dropped += 1
            continue
        shortened += halvings > 0
        results.append(d)
        h = _next_step(d, h0)
    return DirectionalResult(results, int(theta.size), shortened, dropped)
