"""Is got = c x expected, and what does c mean?

A wrong normalisation shows as a constant factor between the implementation's
gradient and the reference: N (summed instead of averaged over the batch), 1/N
(averaged twice), 2 (the 1/2 of 1/2 ||a - y||^2 missing, or squares averaged),
-1 (flipped sign), 2/n_L (the gradient of the mean of squares over all entries),
and products of these.  ``fit_factor`` estimates c with its uncertainty;
``explain`` keeps the candidates consistent with every observation (several
problems with different N and n_L separate N = 2 from a missing 1/2).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Observation", "FactorCandidate", "fit_factor", "candidates", "explain", "describe_factor"]


@dataclass(frozen=True)
class Observation:
    """c observed on one problem with batch size N and output width n_L, and its uncertainty."""

    c: float
    N: int
    n_L: int
    rel: float


@dataclass(frozen=True)
class FactorCandidate:
    """c = sign * N^a * 2^b * n_L^d, with the cause key and the words for it."""

    sign: int
    a: int
    b: int
    d: int

    def value(self, N: int, n_L: int) -> float:
        return self.sign * float(N) ** self.a * 2.0 ** self.b * float(n_L) ** self.d

    @property
    def complexity(self) -> int:
        return abs(self.a) + abs(self.b) + abs(self.d) + (self.sign < 0)

    @property
    def cause(self) -> str:
        if self.sign < 0:
            return "sign_flipped"
        if (self.b, self.d) in ((1, -1), (-1, 1)):
            return "different_loss"
        if self.a:
            return "summed_not_averaged" if self.a == 1 else "averaged_twice"
        return "missing_half" if (self.b, self.d) == (1, 0) else "scaled"

    def words(self) -> str:
        parts = []
        if self.sign < 0:
            parts.append("the sign is flipped ((y - a) instead of (a - y), or a step up the gradient)")
        if self.a == 1:
            parts.append("the batch is summed instead of averaged (x N)")
        if self.a == -1:
            parts.append("the batch average is taken twice (/ N)")
        if (self.b, self.d) == (1, -1):
            parts.append("it is the gradient of the mean of (a - y)^2 over all entries, not of 1/2 ||a - y||^2"
                         " averaged over samples (x 2/n_L)")
        elif (self.b, self.d) == (-1, 1):
            parts.append("it is the gradient of 1/2 ||a - y||^2 per sample where the mean of (a - y)^2 over all"
                         " entries was declared (x n_L/2)")
        else:
            if self.b == 1:
                parts.append("the 1/2 of 1/2 ||a - y||^2 is missing (x 2)")
            if self.b == -1:
                parts.append("an extra factor 1/2")
            if self.d == 1:
                parts.append("an extra factor n_L (the output width)")
            if self.d == -1:
                parts.append("divided by the output width n_L")
        return "; ".join(parts)

    def formula(self) -> str:
        """'N', '1/N', '2/n_L', '-2 x N', 'N/(2 x n_L)'."""
        names = (("2", self.b), ("N", self.a), ("n_L", self.d))
        num = " x ".join(t for t, e in names if e == 1) or "1"
        den = [t for t, e in names if e == -1]
        text = num if not den else f"{num}/{den[0]}" if len(den) == 1 else f"{num}/({' x '.join(den)})"
        return ("-" if self.sign < 0 else "") + text


#: Order among equally simple candidates: the common bugs first.
_RANK = {(1, 1, 0, 0): 0, (1, -1, 0, 0): 1, (1, 0, 1, 0): 2, (-1, 0, 0, 0): 3, (1, 0, -1, 0): 4,
         (1, 0, 0, 1): 5, (1, 0, 0, -1): 6, (1, 0, 1, -1): 0, (1, 0, -1, 1): 1}


def candidates() -> List[FactorCandidate]:
    """Every combination except c = 1, simplest first."""
    out = [FactorCandidate(s, a, b, d) for s, a, b, d in itertools.product((1, -1), (0, 1, -1), (0, 1, -1), (0, 1, -1))
           if (s, a, b, d) != (1, 0, 0, 0)]
    return sorted(out, key=lambda c: (c.complexity, _RANK.get((c.sign, c.a, c.b, c.d), 99), c.sign < 0,
                                      abs(c.a), abs(c.b), abs(c.d), -c.a, -c.b, -c.d))


def fit_factor(got: Sequence[np.ndarray], expected: Sequence[np.ndarray], tol: Sequence[np.ndarray]) -> Optional[Tuple[float, float]]:
    """(c, relative uncertainty) with got = c expected within the tolerance, or None.

    c is the least-squares ratio; it is accepted when |got - c expected| <=
    (1 + |c|) tol + 1e-9 |c expected| everywhere.
    """
    g = np.concatenate([np.ravel(a) for a in got])
    e = np.concatenate([np.ravel(a) for a in expected])
    t = np.concatenate([np.ravel(a) for a in tol])
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(e))):
        return None
    ee = float(e @ e)
    if ee == 0.0 or float(np.sqrt(ee)) <= 4 * float(np.linalg.norm(t)):
        return None
    c = float(g @ e) / ee
    if not np.all(np.abs(g - c * e) <= (1 + abs(c)) * t + 1e-9 * np.abs(c * e)):
        return None
    rel = max(1e-9, 4 * (1 + abs(c)) * float(np.linalg.norm(t)) / (abs(c) * np.sqrt(ee) + 1e-300))
    return c, rel


def explain(observations: Sequence[Observation]) -> List[FactorCandidate]:
    """Candidates consistent with every observation (simplest first); [] when c is 1 or unexplained."""
    out = []
    for cand in candidates():
        if all(abs(o.c - cand.value(o.N, o.n_L)) <= max(o.rel, 1e-7) * max(abs(o.c), 1e-300) for o in observations):
            out.append(cand)
    return out


def describe_factor(c: float, N: int, n_L: int) -> str:
    """'c = 2 (= N)' style words for an observed factor."""
    found = explain([Observation(c, N, n_L, 1e-6)])
    if not found:
        return f"c = {c:.6g}"
    return f"c = {c:.6g} (= {found[0].formula()} with N = {N}, n_L = {n_L}: {found[0].words()})"
