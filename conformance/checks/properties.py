"""Properties every correct gradient has, checked with the implementation against itself.

    properties.batch_mean               the batch gradient is the mean of the per-sample gradients
    properties.permutation              permuting the samples changes nothing
    properties.duplication              duplicating the batch ([X, X]) changes nothing
    properties.hidden_unit_permutation  permuting the units of a hidden layer permutes the gradient alike
    properties.zero_at_target           the gradient is zero where the outputs equal the targets
    properties.dead_unit                a unit whose outgoing weights are all zero gets exactly zero
                                        gradient on its incoming weights and bias

Tolerances: each side's implementation bound, plus the training-step recovery
term, plus a self-consistency allowance of 32 (n_max + N) u max|g| per array
(``tolerances.own_scale_bound``): these checks compare the implementation with
itself, and a property must not fail merely because a wrong implementation's
values are larger than the reference's bound assumes.  At a zero residual the
bound holds for any sigma' in [0, 1/4] (``tolerances.zero_residual_bound``), plus
32 (n_max + L) u times the implementation's own gradient at a unit residual
(Y = a^L - 1): rounding in its forward pass leaves a residual of a few u, which
whatever weights it uses amplify as they amplify a unit residual.
The dead unit's gradient must be exactly zero (0 times anything finite is 0).

With an L2 term every call is compared through its data part: the L2 term
lambda W^l (lambda in reference terms for that call's batch size, ``Context.model``)
is taken off first, so that batch means, duplications and zero residuals compare
the data loss's gradient (the L2 term is not a mean over samples; with a summed
batch or lambda/(2N) it changes with N).  The dead unit's data gradient is then 0
up to the rounding of lambda W^l (8 u |lambda W^l|).  The properties that hold only
for some activations (softmax outputs, homogeneous or odd hidden activations) are in
``conformance.checks.properties_models``.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.checks.registry import CheckResult, compare, register, require, searched
from conformance.core.context import Context
from conformance.core.strategies import Problem, permutations_of, problems_in, with_hidden_unit
from conformance.core.tolerances import (add, floor, implementation_bound, own_scale_bound, scale, zero_residual_bound,
                                    zeros_like)
from reference.error_model import unit_roundoff
from reference.forward import forward
from reference.losses import l2_gradient
from reference.training import copy_params

__all__ = ["permute_hidden", "kill_unit", "targets_at_output", "data_part", "call_data_gradient"]


def data_part(p: Problem, grads):
    """The gradient without the L2 term lambda W^l (lambda b^l) of ``p.net``: the data loss's share."""
    if p.net.l2 == 0.0:
        return grads
    return [(gW - dW, gb - db) for (gW, gb), (dW, db) in zip(grads, l2_gradient(p.net, p.params))]


def _call(ctx: Context, check: str, p: Problem, *, own: bool = True):
    """(data gradient, its tolerance) for one call on an already prepared problem.

    The tolerance is the implementation bound, the training-step recovery term
    and (``own``) the self-consistency allowance relative to its own values.
    """
    p = ctx.model(p)
    out = ctx.call(p)
    got = data_part(p, require(ctx, check, p, out))
    n = max(p.net.layer_sizes) + p.X.shape[1]
    extra = own_scale_bound(got, dtype=ctx.dtype, n=n) if own else None
    return got, add(implementation_bound(p.net, p.params, p.X, p.Y, dtype=ctx.dtype), out.recovery, extra)


call_data_gradient = _call


@register("properties.batch_mean", "the batch gradient equals the mean of the per-sample gradients")
def batch_mean(ctx: Context) -> CheckResult:
    check = "properties.batch_mean"

    def body(p):
        p = ctx.prepare(p)
        got, tol = _call(ctx, check, p)
        N = p.X.shape[1]
        parts = [_call(ctx, check, Problem(p.net, p.params, p.X[:, i:i + 1], p.Y[:, i:i + 1])) for i in range(N)]
        mean = [(sum(g[l][0] for g, _ in parts) / N, sum(g[l][1] for g, _ in parts) / N) for l in range(p.net.L)]
        mean_tol = scale(add(*[t for _, t in parts]), 1.0 / N)
        compare(ctx, check, p, got, mean, add(tol, mean_tol),
                what="the mean of its own per-sample gradients",
                repro=("parts = [gradient_of(impl, net, params, X[:, i:i + 1], Y[:, i:i + 1]) for i in range(X.shape[1])]",
                       "print('mean of per-sample dC/dW^1:', (sum(g[0][0] for g in parts) / len(parts)).tolist())"))
    if ctx.support.min_N > 1:
        return CheckResult("skip", f"the support starts at N = {ctx.support.min_N}; per-sample calls need N = 1")
    return searched(ctx, check, problems_in(ctx.support, min_N=2), body)


@register("properties.permutation", "permuting the samples of the batch changes nothing")
def permutation(ctx: Context) -> CheckResult:
    check = "properties.permutation"
    base = problems_in(ctx.support, min_N=2)

    def body(example):
        p, perm = ctx.prepare(example[0]), list(example[1])
        got, tol = _call(ctx, check, p)
        q = Problem(p.net, p.params, p.X[:, perm], p.Y[:, perm])
        got_q, tol_q = _call(ctx, check, q)
        compare(ctx, check, p, got_q, got, add(tol, tol_q), what=f"the gradient of the same batch in order {perm}",
                other=q,
                repro=(f"perm = {perm}", "got_perm = gradient_of(impl, net, params, X[:, perm], Y[:, perm])",
                       "print('permuted batch dC/dW^1:', got_perm[0][0].tolist())"))
    @st.composite
    def with_perm(draw):
        p = draw(base)
        return p, draw(permutations_of(p.X.shape[1]))
    return searched(ctx, check, None if base is None else with_perm(), body)


@register("properties.duplication", "duplicating the batch changes nothing (the mean is unchanged)")
def duplication(ctx: Context) -> CheckResult:
    check = "properties.duplication"
    sup = ctx.support

    def body(p):
        p = ctx.prepare(p)
        got, tol = _call(ctx, check, p)
        q = Problem(p.net, p.params, np.concatenate([p.X, p.X], axis=1), np.concatenate([p.Y, p.Y], axis=1))
        got_q, tol_q = _call(ctx, check, q)
        compare(ctx, check, p, got_q, got, add(tol, tol_q), what="the gradient of the batch [X, X]", other=q,
                repro=("got_twice = gradient_of(impl, net, params, np.hstack([X, X]), np.hstack([Y, Y]))",
                       "print('duplicated batch dC/dW^1:', got_twice[0][0].tolist())"))
    claimed = ctx.impl.support.max_N
    half = (claimed if claimed is not None else 2 * sup.max_N) // 2   # [X, X] must lie in the claim too
    if sup.min_N > half:
        return CheckResult("skip", f"the support has no N with 2N <= max_N = {claimed}")
    return searched(ctx, check, problems_in(sup, max_N=half), body)


def permute_hidden(params, l: int, perm):
    """Parameters with the units of hidden layer l reordered by ``perm`` (rows of W^l, b^l; columns of W^{l+1})."""
    out = copy_params(params)
    W, b = out[l - 1]
    out[l - 1] = (W[perm, :], b[perm])
    out[l] = (out[l][0][:, perm], out[l][1])
    return out


@register("properties.hidden_unit_permutation", "permuting hidden units permutes the gradient the same way")
def hidden_unit_permutation(ctx: Context) -> CheckResult:
    check = "properties.hidden_unit_permutation"
    base = problems_in(ctx.support, hidden_width_at_least=2)

    @st.composite
    def pick(draw):
        p = draw(base)
        l = draw(st.sampled_from([l for l in range(1, p.net.L) if p.net.n(l) >= 2]))
        return p, l, draw(permutations_of(p.net.n(l)))

    def body(example):
        p, l, perm = ctx.prepare(example[0]), example[1], list(example[2])
        got, tol = _call(ctx, check, p)
        q = Problem(p.net, permute_hidden(p.params, l, perm), p.X, p.Y)
        got_q, tol_q = _call(ctx, check, q)
        expected = permute_hidden(got, l, perm)
        compare(ctx, check, q, got_q, expected, add(permute_hidden(tol, l, perm), tol_q),
                what=f"its own gradient with the units of layer {l} permuted by {perm}",
                repro=(f"from conformance.checks.properties import permute_hidden; layer, perm = {l}, {perm}",
                       "got_perm = gradient_of(impl, net, permute_hidden(params, layer, perm), X, Y)",
                       "print('permuted expected:', permute_hidden(got, layer, perm)[layer - 1][0].tolist())",
                       "print('permuted got:     ', got_perm[layer - 1][0].tolist())"))
    return searched(ctx, check, None if base is None else pick(), body,
                    skip_reason="the support has no hidden layer with at least two units")


def targets_at_output(p: Problem, dtype) -> Problem:
    """The problem with Y replaced by the network's own output a^L (rounded to ``dtype``)."""
    Y = forward(p.net, p.params, p.X).activations[-1].astype(dtype).astype(np.float64)
    return Problem(p.net, p.params, p.X, Y)


@register("properties.zero_at_target", "the gradient is zero where the outputs equal the targets")
def zero_at_target(ctx: Context) -> CheckResult:
    check = "properties.zero_at_target"

    def body(p):
        q = targets_at_output(ctx.prepare(p), ctx.dtype)
        got, tol = _call(ctx, check, q, own=False)
        unit, _ = _call(ctx, check, Problem(q.net, q.params, q.X, q.Y - 1.0), own=False)
        n = max(q.net.layer_sizes) + q.net.L
        tol = add(tol, zero_residual_bound(q.net, q.params, q.X, dtype=ctx.dtype),
                  own_scale_bound(unit, dtype=ctx.dtype, n=n))
        compare(ctx, check, q, got, zeros_like(got), tol, what="zero (the targets are the network's outputs)",
                hint=None, repro=("print('expected zero; got dC/dW^L:', got[-1][0].tolist())",))
    return searched(ctx, check, problems_in(ctx.support), body)


def kill_unit(params, l: int, k: int):
    """Parameters with the outgoing weights of unit k of hidden layer l (column k of W^{l+1}) set to zero."""
    out = copy_params(params)
    out[l][0][:, k] = 0.0
    return out


@register("properties.dead_unit", "a unit with all-zero outgoing weights gets zero gradient on its incoming weights")
def dead_unit(ctx: Context) -> CheckResult:
    check = "properties.dead_unit"
    base = problems_in(ctx.support, min_depth=2)

    def body(example):
        p, l, k = example
        q = Problem(p.net, kill_unit(ctx.prepare(p).params, l, k), p.X, p.Y)
        q = ctx.prepare(q)
        out = ctx.call(q)
        got = data_part(q, require(ctx, check, q, out))
        bound = [(np.full_like(W, np.inf), np.full_like(b, np.inf)) for W, b in got]
        if q.net.l2:   # the L2 term's own rounding (and its recovery from a training step) is left after it is taken off
            slack = add(scale([(np.abs(dW), np.abs(db)) for dW, db in l2_gradient(q.net, q.params)],
                              8 * unit_roundoff(ctx.dtype)), out.recovery)
        else:
            slack = zeros_like(got)
        bound[l - 1][0][k, :] = floor(ctx.dtype) + slack[l - 1][0][k, :]
        bound[l - 1][1][k] = floor(ctx.dtype) + slack[l - 1][1][k]
        compare(ctx, check, q, got, [(np.where(np.isinf(bW), W, 0.0), np.where(np.isinf(bb), b, 0.0))
                                     for (W, b), (bW, bb) in zip(got, bound)], bound,
                what=f"zero on unit {k} of layer {l} (its outgoing weights, column {k} of W^{l + 1}, are zero)",
                repro=(f"layer, unit = {l}, {k}",
                       "print('expected zeros; got dC/dW row:', got[layer - 1][0][unit].tolist(), 'dC/db:', got[layer - 1][1][unit])",))
    return searched(ctx, check, None if base is None else with_hidden_unit(base), body,
                    skip_reason="the support has no network with a hidden layer (depth >= 2)")
