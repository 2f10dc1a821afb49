"""Agreement with the reference (Hypothesis-drawn) and with the symbolic high-precision vectors.

    reference.agreement  on networks and batches drawn inside the declared support, within
                         implementation_bound(dtype) + reference_bound(float64) (+ the training-step
                         recovery term), see ``conformance.core.tolerances``
    symbolic.vectors     on every symbolic vector whose network and N lie inside the support, within
                         implementation_bound(dtype) only: the vectors are exact to far beyond float64
"""
from __future__ import annotations

from functools import lru_cache
from typing import List

import numpy as np

from conformance.checks.registry import CheckResult, compare, register, require, searched
from conformance.core.calls import CallOutcome
from conformance.dropin.adapters import reference_network
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem, problems_in
from conformance.core.tolerances import agreement_tolerance
from reference.gradients import gradients

__all__ = ["available_vectors", "vectors_in_support", "vectors_for", "agreement_failure"]


def agreement_failure(ctx: Context, check: str, p: Problem, *, expected=None, reference: bool = True,
                      what: str = "the reference") -> CallOutcome:
    """Call the implementation on ``p``; raise CheckFailure if it disagrees with ``expected``, else return the call."""
    out = ctx.call(p)
    got = require(ctx, check, p, out)
    expected = gradients(p.net, p.params, p.X, p.Y) if expected is None else expected
    tol = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=ctx.dtype, expected=expected,
                              recovery=out.recovery, reference=reference)
    compare(ctx, check, p, got, expected, tol, what=what)
    return out


@register("reference.agreement", "agrees with the float64 reference within the error model's tolerance")
def agreement(ctx: Context) -> CheckResult:
    def body(p):
        agreement_failure(ctx, "reference.agreement", ctx.prepare(p))
    return searched(ctx, "reference.agreement", problems_in(ctx.support), body)


@lru_cache(maxsize=1)
def _vectors() -> tuple:
    try:
        from reference.vectors import load_vectors
    except ImportError:
        return ()
    return tuple(load_vectors())


def available_vectors() -> list:
    """The symbolic vectors of ``reference.vectors.load_vectors()`` (loaded once), or [] when not available."""
    return list(_vectors())


def vectors_in_support(support, vectors) -> List:
    """The vectors whose network and batch size the support claims."""
    return [v for v in vectors if support.covers(v.net, int(np.shape(v.X)[1]))]


def vectors_for(impl, vectors) -> List:
    """The vectors inside the support whose L2 term is the one the implementation declares, in
    reference terms for the vector's N (``adapters.reference_network``: that network is the vector's)."""
    return [v for v in vectors_in_support(impl.support, vectors)
            if reference_network(impl, v.net, int(np.shape(v.X)[1])) == v.net]


@register("symbolic.vectors", "agrees with the symbolic high-precision vectors at tight tolerance")
def symbolic(ctx: Context) -> CheckResult:
    try:
        vectors = available_vectors()
    except Exception as exc:  # a broken vector file is the vectors' problem, reported as a skip
        return CheckResult("skip", f"symbolic vectors could not be loaded: {type(exc).__name__}: {exc}")
    if not vectors:
        return CheckResult("skip", "no symbolic vectors available (reference.vectors.load_vectors)")
    chosen = vectors_for(ctx.impl, vectors)
    if not chosen:
        return CheckResult("skip", f"none of the {len(vectors)} symbolic vectors lies inside the declared support")
    for n, v in enumerate(chosen, start=1):
        p = Problem(v.net, [(np.asarray(W, float), np.asarray(b, float)) for W, b in v.params],
                    np.asarray(v.X, float), np.asarray(v.Y, float))
        grads = v.grads if hasattr(v, "grads") else v.gradients
        expected = [(np.asarray(W, float), np.asarray(b, float)) for W, b in grads]
        try:
            agreement_failure(ctx, "symbolic.vectors", p, expected=expected, reference=False,
                              what=f"symbolic vector {v.id!r}")
        except CheckFailure as failure:
            failure.data["vector"] = v.id
            return CheckResult("fail", failure.message, failure, n)
    return CheckResult("pass", f"{len(chosen)} symbolic vectors agree", examples=len(chosen))
