"""Finite-difference checks: an oracle that uses only the forward pass and the loss.

    finite_differences.full         every entry against Richardson-extrapolated central
                                    differences of the reference loss, on networks small enough
                                    (at most the profile's ``fd_params`` parameters; larger ones
                                    are covered by the directional check)
    finite_differences.directional  v . g against the derivative of the reference loss along
                                    random directions v (4 loss evaluations each, any size)
    finite_differences.own_loss     the gradient against the implementation's OWN declared loss,
                                    along random directions; a gradient that belongs to another
                                    loss fails with the factor between the two named

Error models: the full check compares with
``reference.finite_differences.numerical_gradient_with_error`` (Richardson
estimates R and bounds E on |R - dC/dtheta|, from the size of the removed h^2
term and the loss's rounding bound ``reference.error_model.loss_error_bound``)
within E + the implementation bound (+ the training-step recovery term).  The
directional checks use ``reference.directional.directional_check`` with
``loss_error`` from the same loss bound (scaled by N + 2 for an implementation's
own loss, which may be summed or averaged differently) and the implementation
bound as ``grad_error``.

ReLU kinks (relu and leaky_relu networks): the full check leaves out the entries whose
steps cross a kink (their Richardson bound is inf: ``reference.finite_differences``); the
directional checks pass the signs of the hidden z as a ``signature``, so that a step
that would cross a kink is halved, and a direction that cannot avoid one is dropped; when
a direction was dropped, the point is moved off the kinks (``move_off_kinks``: the biases
of the units within 1e-3 of one shifted) and the implementation is called there.  The
verdict's notes say how many entries were left out, directions shortened or dropped, and
points moved.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from hypothesis import reject

from conformance.dropin.adapters import loss_factor, to_native
from conformance.core.calls import run_limited
from conformance.checks.registry import CheckResult, compare, register, require, searched
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem, problems_in
from conformance.core.tolerances import add, implementation_bound, scale
from reference.directional import directional_check
from reference.error_model import loss_error_bound
from reference.finite_differences import kink_signature, loss_of_theta, move_off_kinks, numerical_gradient_with_error
from reference.params import flatten, unflatten

__all__ = ["own_loss_function", "own_loss_directions", "own_loss_factor", "directional_failure"]


def _own_loss_error(p, dtype) -> float:
    """A rounding bound for one value of an implementation's own loss (any reduction or scaling)."""
    return (p.X.shape[1] + 2.0) * 2.0 * loss_error_bound(p.net, p.params, p.X, p.Y, dtype=dtype)


def _with_kink_notes(result: CheckResult, kinks: dict) -> CheckResult:
    """The result with a note for each kind of step that had to avoid a ReLU kink (none when none did)."""
    words = {"left_out": "gradient entries left out because their steps crossed a ReLU kink",
             "shortened": "directions whose step was shortened to stay clear of a ReLU kink",
             "dropped": "directions dropped because they crossed a ReLU kink at every step",
             "moved": "examples moved off the ReLU kinks (biases of units within 1e-3 of one shifted)"}
    result.notes += [f"{w}: {kinks[k]}" for k, w in words.items() if kinks.get(k)]
    return result


@register("finite_differences.full", "every entry agrees with finite differences of the reference loss")
def full(ctx: Context) -> CheckResult:
    check = "finite_differences.full"
    kinks = {"left_out": 0}

    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        got = require(ctx, check, p, out)
        R, E = numerical_gradient_with_error(p.net, p.params, p.X, p.Y)
        kinks["left_out"] += int(np.sum(np.isinf(flatten(E))))
        tol = add(E, implementation_bound(p.net, p.params, p.X, p.Y, dtype=ctx.dtype), out.recovery)
        compare(ctx, check, p, got, R, tol, what="finite differences of the reference loss")
    strategy = problems_in(ctx.support, max_params=ctx.budget("fd_params"))
    return _with_kink_notes(searched(ctx, check, strategy, body, skip_reason=(
        f"every network in the declared support has more than {ctx.budget('fd_params')} parameters; "
        "finite_differences.directional covers them")), kinks)


def _directional_failure(ctx, check, p, res, *, what: str, hint=None, factor=None) -> CheckFailure:
    worst = max(res.directions, key=lambda d: abs(d.fd_slope - d.claimed_slope) / max(d.tolerance, 1e-300))
    k = res.directions.index(worst) + 1
    text = (f"[{ctx.name}] {check}: along random direction {k} of {len(res.directions)} the derivative of "
            f"{what} is {worst.fd_slope!r} but v . g = {worst.claimed_slope!r} "
            f"(|diff| {abs(worst.fd_slope - worst.claimed_slope):.3g} > tolerance {worst.tolerance:.3g}) on {p.describe()}")
    return CheckFailure(text, problem=p, hint=hint, factor=factor,
                        data={"slopes": [(d.fd_slope, d.claimed_slope) for d in res.directions]})


def _reference_directions(ctx: Context, check: str, p, dir_seed: int):
    """The directional check of the implementation's gradient at ``p`` against the reference loss."""
    out = ctx.call(p)
    got = require(ctx, check, p, out)
    err = flatten(add(implementation_bound(p.net, p.params, p.X, p.Y, dtype=ctx.dtype), out.recovery))
    return directional_check(loss_of_theta(p.net, p.X, p.Y), flatten(p.params), flatten(got), rng=dir_seed,
                             n_directions=ctx.budget("directions"), grad_error=err,
                             loss_error=loss_error_bound(p.net, p.params, p.X, p.Y),
                             signature=kink_signature(p.net, p.X))


@register("finite_differences.directional", "v . g agrees with the loss's derivative along random directions")
def directional(ctx: Context) -> CheckResult:
    check = "finite_differences.directional"
    kinks = {"shortened": 0, "dropped": 0, "moved": 0}

    def body(p):
        directional_failure(ctx, check, ctx.prepare(p), kinks)
    return _with_kink_notes(searched(ctx, check, problems_in(ctx.support), body), kinks)


def directional_failure(ctx: Context, check: str, p, kinks: Optional[dict] = None) -> None:
    """Call the implementation on ``p`` and raise CheckFailure if v . g disagrees with the reference loss's
    derivative along the profile's number of random directions (seeded by the check id).

    A direction whose every step crosses a ReLU kink is dropped; when one is, the example is moved off
    the kinks once and checked again.  ``kinks`` counts the shortened and dropped directions and moves.
    """
    kinks = {"shortened": 0, "dropped": 0, "moved": 0} if kinks is None else kinks
    dir_seed = ctx.seed_for(check)
    res = _reference_directions(ctx, check, p, dir_seed)
    if res.dropped:
        moved, moves = move_off_kinks(p.net, p.params, p.X)
        if moves:
            kinks["moved"] += 1
            p = ctx.prepare(Problem(p.net, moved, p.X, p.Y))
            res = _reference_directions(ctx, check, p, dir_seed)
    kinks["shortened"] += res.shortened
    kinks["dropped"] += res.dropped
    if not res.passed:
        raise _directional_failure(ctx, check, p, res, what="the reference loss")


#: A reported loss above this (float64 overflows at 1.8e308) cannot be differentiated numerically.
OVERFLOW = 1e300


def _overflows(ctx: Context, p, res) -> bool:
    """True when the reported loss overflows at the point or a finite difference of it is not finite."""
    if not all(np.isfinite(d.fd_slope) for d in res.directions):
        return True
    value, message, *_ = run_limited(lambda: own_loss_function(ctx, p)(flatten(p.params)), ctx.time_limit)
    return message is None and (value is None or not np.isfinite(value) or abs(value) > OVERFLOW)


def own_loss_function(ctx: Context, p) -> Callable[[np.ndarray], float]:
    """theta (reference order) -> the implementation's own loss, called in its conventions."""
    impl = ctx.impl
    kwargs = impl.keywords(p.net)

    def f(theta):
        native, Xn, Yn = to_native(impl, p.net, unflatten(p.net, theta), p.X, p.Y)
        return float(np.asarray(impl.loss(native, Xn, Yn, **kwargs), dtype=np.float64).reshape(()))
    return f


def _factor(res):
    ratios = [d.fd_slope / d.claimed_slope for d in res.directions if d.claimed_slope != 0]
    if len(ratios) < 2 or not np.all(np.isfinite(ratios)):
        return None
    c = float(np.median(ratios))
    return c if np.allclose(ratios, c, rtol=1e-3, atol=0) else None


def own_loss_directions(ctx: Context, p, dir_seed: int):
    """(DirectionalResult or None, error message, error category) for the own-loss check on ``p``."""
    out = ctx.call(p)
    if not out.ok:
        return None, out.error.message, out.error.category
    k = loss_factor(ctx.impl.conventions, p.net, p.X.shape[1])
    theta = flatten(p.params)
    err = flatten(scale(add(implementation_bound(p.net, p.params, p.X, p.Y, dtype=ctx.dtype), out.recovery), k))
    limit = None if ctx.time_limit is None else 40 * ctx.time_limit
    f = own_loss_function(ctx, p)

    def measure():
        # the reported value's own rounding (u x |loss|, in its dtype) bounds what a difference of it can show
        at_theta = abs(f(theta))
        loss_error = max(_own_loss_error(p, ctx.dtype), 8.0 * float(np.finfo(ctx.dtype).eps) * at_theta)
        return directional_check(f, theta, k * flatten(out.grads), rng=dir_seed, n_directions=ctx.budget("directions"),
                                 loss_dtype=ctx.dtype, grad_error=err, loss_error=loss_error,
                                 signature=kink_signature(p.net, p.X))
    res, message, category, *_ = run_limited(measure, limit)
    return res, (None if message is None else f"the declared loss {message}"), category


def own_loss_factor(ctx: Context, p, dir_seed: int = 0):
    """c = (rate of the reported loss) / (rate the gradient predicts) on ``p`` (1.0 when they agree), or None."""
    res, message, _ = own_loss_directions(ctx, p, dir_seed)
    if res is None:
        return None
    return 1.0 if res.passed else _factor(res)


@register("finite_differences.own_loss", "the gradient belongs to the loss the implementation reports")
def own_loss(ctx: Context) -> CheckResult:
    check = "finite_differences.own_loss"
    if ctx.impl.loss is None:
        return CheckResult("skip", "the implementation declares no loss= to check its gradient against")

    overflowed = []

    def body(p):
        p, dir_seed = ctx.prepare(p), ctx.seed_for(check)
        res, message, category = own_loss_directions(ctx, p, dir_seed)
        if message is not None:
            raise CheckFailure(f"[{ctx.name}] {check}: {message} on {p.describe()}", problem=p, hint=category)
        if _overflows(ctx, p, res):
            overflowed.append(p.describe())
            reject()  # its derivative cannot be measured where the reported loss overflows: not evidence
        if not res.passed:
            c = _factor(res)
            failure = _directional_failure(ctx, check, p, res, what="the reported loss", hint="different_loss",
                                           factor=c)
            if c is not None:
                failure.message += (f"; the reported loss changes {c:.6g} times as fast as the gradient says:"
                                    f" the gradient belongs to a loss {1 / c:.6g} times the reported one")
            failure.data["dir_seed"] = dir_seed
            raise failure
    result = searched(ctx, check, problems_in(ctx.support), body)
    if overflowed:
        left_out = len(set(overflowed))
        if result.status == "pass":
            result.examples = max(0, result.examples - left_out)
            result.message = f"{result.examples} examples passed"
            if result.examples == 0:
                result.status, result.message = "skip", "the reported loss overflows on every example drawn"
        result.notes.append(f"{left_out} example(s) left out: the reported loss overflows there "
                            f"(|loss| > {OVERFLOW:g} or a non-finite difference), e.g. on {overflowed[0]}")
    return result
