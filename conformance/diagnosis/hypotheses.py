"""Hypotheses a diagnosis tests on the failing problems (see ``conformance.diagnosis``).

    variants(ctx, failing)   the gradients of common bugs (``conformance.diagnosis.variants`` and, for the
                             other models, ``model_variants``) that reproduce the implementation's output on
                             every failing problem
    arrays(ev)               wrong W arrays that are transposes, or a neighbouring layer's gradient
    factor(failing)          got = c x expected for all arrays, for b only or for W only; c explained
                             by ``conformance.diagnosis.factors`` consistently across problems
    small_errors(ev, dtype)  errors far below the gradient's size: float32 numbers, or
                             finite-difference-like noise
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from conformance.core.context import Context
from conformance.diagnosis.factors import Observation, explain, fit_factor
from conformance.diagnosis.probes import Evaluation
from conformance.core.tolerances import agreement_tolerance
from conformance.diagnosis.model_variants import ALL_VARIANTS, all_variant_gradients

__all__ = ["variants", "arrays", "factor", "masked", "small_errors", "close"]


def _match_tol(ev: Evaluation, name: str, target, dtype) -> list:
    """The agreement tolerance, widened by 64 u max|target| per array (float32 tolerance for 'float32')."""
    if name == "float32":
        return agreement_tolerance(ev.problem.net, ev.problem.params, ev.problem.X, ev.problem.Y,
                                   dtype=np.float32, expected=ev.expected, recovery=ev.outcome.recovery)
    u = float(np.finfo(dtype).eps)
    return [(tW + 64 * u * np.max(np.abs(eW), initial=0.0), tb + 64 * u * np.max(np.abs(eb), initial=0.0))
            for (tW, tb), (eW, eb) in zip(ev.tol, target)]


def close(got, target, tol) -> bool:
    """Every entry of ``got`` within ``tol`` of ``target``."""
    return all(np.all(np.abs(g - t) <= b) for pg, pt, pb in zip(got, target, tol) for g, t, b in zip(pg, pt, pb))


def _float32_numbers(grads) -> bool:
    """Every returned value is exactly a float32 number."""
    return all(np.array_equal(a.astype(np.float32).astype(np.float64), a) for pair in grads for a in pair)


def _float32_like(ev: Evaluation, g32) -> bool:
    """The output is float32 numbers, or it is closer to a float32 computation than to the exact gradient."""
    if _float32_numbers(ev.outcome.grads):
        return True
    d32 = max(float(np.max(np.abs(a - e))) for pa, pe in zip(ev.outcome.grads, g32) for a, e in zip(pa, pe))
    d64 = max(float(np.max(np.abs(a - e))) for pa, pe in zip(ev.outcome.grads, ev.expected) for a, e in zip(pa, pe))
    return d32 <= 0.5 * d64


def variants(ctx: Context, failing: List[Evaluation]) -> List[Tuple[str, str]]:
    """(variant name, cause) of every variant reproducing the output on all failing problems."""
    found = None
    for ev in failing:
        p = ev.problem
        here = {name for name, g in all_variant_gradients(p.net, p.params, p.X, p.Y,
                                                           eta=ctx.eta if ctx.impl.train_step else None).items()
                if close(ev.outcome.grads, g, _match_tol(ev, name, g, ctx.dtype))
                and (name != "float32" or _float32_like(ev, g))}
        found = here if found is None else found & here
    return [(n, ALL_VARIANTS[n][0]) for n in ALL_VARIANTS if found and n in found]


def arrays(ev: Evaluation) -> Optional[Tuple[str, str]]:
    """('transposed' | 'layer_shift', words) when wrong W arrays are transposes or neighbours' gradients."""
    wrong = sorted({(m.layer, m.param) for m in ev.bad})
    got, exp, tol = ev.outcome.grads, ev.expected, ev.tol
    idx = {"W": 0, "b": 1}
    if all(p == "W" and exp[l - 1][0].shape[0] == exp[l - 1][0].shape[1] for l, p in wrong) and all(
            np.all(np.abs(got[l - 1][0] - exp[l - 1][0].T) <= tol[l - 1][0] + tol[l - 1][0].T) for l, _ in wrong):
        return "transposed", "dC/dW^l is the transpose of the expected matrix (delta a^T written as a delta^T)"
    for shift in (1, -1):
        ok = all(0 <= l - 1 + shift < len(exp) and got[l - 1][idx[p]].shape == exp[l - 1 + shift][idx[p]].shape
                 and np.allclose(got[l - 1][idx[p]], exp[l - 1 + shift][idx[p]], rtol=1e-6, atol=1e-12)
                 for l, p in wrong)
        if ok:
            return "layer_shift", f"layer l holds the gradient of layer l {'+' if shift > 0 else '-'} 1"
    return None


def _informative(ev: Evaluation) -> bool:
    """A pass is evidence of c = 1 only where the gradient dwarfs its tolerance (a factor would show)."""
    e = np.concatenate([a.ravel() for pair in ev.expected for a in pair])
    t = np.concatenate([a.ravel() for pair in ev.tol for a in pair])
    return bool(np.linalg.norm(e) > 100 * np.linalg.norm(t))


def factor(failing: List[Evaluation], passing: List[Evaluation] = ()):
    """(candidates, c on the example, group words) for got = c x expected on all failing problems.

    Problems where the implementation passes are observations of c = 1 at their
    N and n_L: they separate, e.g., a missing 1/2 (c = 2 everywhere) from the
    mean of squares (c = 2/n_L, so 1 at n_L = 2).
    """
    ones = [Observation(1.0, ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L), 1e-9) for ev in passing
            if _informative(ev)]
    for group, sel in (("", (0, 1)), (" for dC/db only (dC/dW is right)", (1,)), (" for dC/dW only (dC/db is right)", (0,))):
        obs = []
        for ev in failing:
            keep = lambda pairs: [a for pair in pairs for i, a in enumerate(pair) if i in sel]  # noqa: E731
            rest = lambda pairs: [a for pair in pairs for i, a in enumerate(pair) if i not in sel]  # noqa: E731
            fit = fit_factor(keep(ev.outcome.grads), keep(ev.expected), keep(ev.tol))
            if fit is None or not _close_flat(rest(ev.outcome.grads), rest(ev.expected), rest(ev.tol)):
                obs = None
                break
            obs.append(Observation(fit[0], ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L), fit[1]))
        if obs:
            found = explain(obs + ones)
            if found and not np.isclose(obs[0].c, 0.0):
                return found, obs[0].c, group
    return None


def _close_flat(got, exp, tol) -> bool:
    return all(np.all(np.abs(g - e) <= t) for g, e, t in zip(got, exp, tol))


def small_errors(ev: Evaluation, dtype) -> Optional[Tuple[str, str]]:
    g = np.concatenate([a.ravel() for pair in ev.outcome.grads for a in pair])
    e = np.concatenate([a.ravel() for pair in ev.expected for a in pair])
    scale = float(np.max(np.abs(e)))
    if scale == 0.0:  # expected exactly zero (outputs equal targets): judge the absolute size
        rel = float(np.max(np.abs(g)))
        if not 0 < rel < 1e-6:
            return None
    else:
        rel = float(np.max(np.abs(g - e))) / scale
        if not 0 < rel < 1e-3:
            return None
    if _float32_numbers(ev.outcome.grads) and np.dtype(dtype) == np.float64:
        return "float32_intermediate", f"every returned value is exactly a float32 number; relative error {rel:.2g}"
    return "finite_difference_inside", f"relative error {rel:.2g} spread over the entries, with no other pattern"


def masked(ev: Evaluation) -> Optional[Tuple[str, str]]:
    """('masked_entries', words) when some entries are zeroed and the rest are c x expected (a fixed mask).

    The diagnosis asks this only after identical calls agreed: a mask that changes between calls is
    ``random_mask``, found by ``diagnose.nondeterminism``.
    """
    g = np.concatenate([a.ravel() for pair in ev.outcome.grads for a in pair])
    e = np.concatenate([a.ravel() for pair in ev.expected for a in pair])
    t = np.concatenate([a.ravel() for pair in ev.tol for a in pair])
    zeroed = (g == 0) & (np.abs(e) > t)
    rest = ~zeroed                      # every other entry must be c x expected, the zero ones included
    informative = rest & (np.abs(e) > t)
    if zeroed.sum() < 2 or informative.sum() < 2:
        return None  # one zero entry is no pattern
    c = float(np.median(g[informative] / e[informative]))
    if c >= 1 and np.all(np.abs(g[rest] - c * e[rest]) <= (1 + c) * t[rest] + 1e-9 * np.abs(c * e[rest])):
        return "masked_entries", (f"{int(zeroed.sum())} entries are zeroed and the others are {c:.4g} x expected:"
                                  " a mask applied to the gradient (the same in every call)")
    return None
