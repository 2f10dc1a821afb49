"""Interface checks: shapes, dtype, finiteness, untouched inputs, determinism, support, quiet calls.

    interface.shapes             the gradient has the structure and shapes of the parameters
    interface.dtype              every returned array has the declared dtype
    interface.finite             finite wherever the reference is (drawn up to |z| in the thousands)
    interface.no_input_mutation  X, Y (and the parameters, for a gradient function) are unchanged
    interface.deterministic      two identical calls give identical results, also with a call between
    interface.support            every claimed case (drawn, and the support's corners) returns a result
    interface.quiet              nothing is printed to stdout or stderr during a call
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.checks.registry import CheckResult, register, require, searched
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import LARGE_SCALES, Problem, batches, model_network, parameters, problems_in

__all__ = ["corner_problems", "first_difference", "saturated"]


def _fail(ctx: Context, check: str, problem: Problem, text: str, hint: str, **kw) -> CheckFailure:
    return CheckFailure(f"[{ctx.name}] {check}: {text} on {problem.describe()}", problem=problem, hint=hint, **kw)


@register("interface.shapes", "the gradient has the structure and shapes of the parameters")
def shapes(ctx: Context) -> CheckResult:
    def body(p):
        require(ctx, "interface.shapes", p, ctx.call(ctx.prepare(p)))
    return searched(ctx, "interface.shapes", problems_in(ctx.impl.support), body)


@register("interface.dtype", "every returned array has the declared dtype")
def dtype(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        require(ctx, "interface.dtype", p, out)
        if out.dtypes:
            raise _fail(ctx, "interface.dtype", p, "; ".join(out.dtypes), "wrong_dtype")
    return searched(ctx, "interface.dtype", problems_in(ctx.impl.support), body)


def saturated(p: Problem, bias: float) -> Problem:
    """``p`` with b^l_j = +-|bias|, the sign alternating over j and starting with the sign of ``bias``.

    A network without biases gets its rows W^l_j multiplied by those signed numbers instead.
    """
    params = []
    for W, b in p.params:
        signs = np.where(np.arange(b.shape[0]) % 2 == 0, 1.0, -1.0) * np.sign(bias)
        if p.net.bias:
            params.append((W, abs(bias) * signs))
        else:
            params.append((W * (abs(bias) * signs)[:, np.newaxis], b))
    return Problem(p.net, params, p.X, p.Y)


def then_fixed(result: CheckResult, body, fixed) -> CheckResult:
    """After a passing search, ``body`` on each (problem, where) of ``fixed`` in turn; the first
    failure fails the check, its message saying where.  Every problem tried counts as an example."""
    if result.status != "pass":
        return result
    for p, where in fixed:
        result.examples += 1
        try:
            body(p)
        except CheckFailure as failure:
            failure.message += f" ({where})"
            return CheckResult("fail", failure.message, failure, result.examples)
    return result


@register("interface.finite", "the gradient is finite wherever the reference is finite")
def finite(ctx: Context) -> CheckResult:
    """Drawn with parameter scales up to 300, then every corner of the support with biases of +800
    and of -800 (every |z| >= 700: exp overflows float64 beyond 709.8 and float32 beyond 88.7)."""
    def body(p):
        require(ctx, "interface.finite", p, ctx.call(ctx.prepare(p)))
    result = searched(ctx, "interface.finite", problems_in(ctx.impl.support, scales=LARGE_SCALES), body)
    return then_fixed(result, body, ((saturated(p, bias), "a corner of the declared support with biases of "
                                      f"+-800, {bias:+g} first")
                                     for p in corner_problems(ctx.impl.support, ctx.seed) for bias in (800.0, -800.0)))


@register("interface.no_input_mutation", "no input array is modified by a call")
def no_input_mutation(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        if out.mutated:
            raise _fail(ctx, "interface.no_input_mutation", p, "modified its input: " + "; ".join(out.mutated),
                        "mutates_inputs", data={"mutated": out.mutated})
        require(ctx, "interface.no_input_mutation", p, out)
    return searched(ctx, "interface.no_input_mutation", problems_in(ctx.impl.support), body)


def first_difference(a, b):
    """(layer, "W" or "b", index, value in a, value in b) of the first entry not bitwise equal, or None."""
    for l, (pa, pb) in enumerate(zip(a, b), start=1):
        for name, x, y in (("W", pa[0], pb[0]), ("b", pa[1], pb[1])):
            diff = np.argwhere(~((x == y) | (np.isnan(x) & np.isnan(y))))
            if diff.size:
                idx = tuple(int(i) for i in diff[0])
                return l, name, idx, float(x[idx]), float(y[idx])
    return None


def _pairs(ctx: Context):
    base = problems_in(ctx.impl.support)
    if base is None:
        return None
    sup = ctx.impl.support

    @st.composite
    def draw(d):
        p = d(base)
        X, Y = d(batches(p.net, min_N=sup.min_N, max_N=sup.max_N))
        return p, Problem(p.net, d(parameters(p.net)), X, Y)
    return draw()


def _deterministic_hint(r1, r2) -> str:
    """'hidden_state' when the second call looks accumulated onto the first, else 'random_mask'."""
    flat1 = np.concatenate([a.ravel() for pair in r1 for a in pair])
    flat2 = np.concatenate([a.ravel() for pair in r2 for a in pair])
    if np.all(np.isfinite(flat2)) and np.allclose(flat2, 2 * flat1, rtol=1e-6, atol=1e-300):
        return "hidden_state"
    return "random_mask"


def _varies_when_repeated(ctx: Context, check: str, p, calls: int = 16) -> bool:
    """True when identical calls with nothing in between still differ among themselves (a random
    mask: two calls agree by chance often enough on a small network, 0.46 of the time for a
    [1, 1, 1, 1] with keep 0.8); False when they settle (state left by the other batch)."""
    settled = require(ctx, check, p, ctx.call(p))
    return any(first_difference(settled, require(ctx, check, p, ctx.call(p))) is not None for _ in range(calls))


@register("interface.deterministic", "two identical calls give identical results (no hidden state)")
def deterministic(ctx: Context) -> CheckResult:
    check = "interface.deterministic"

    def body(pair):
        p, q = ctx.prepare(pair[0]), ctx.prepare(pair[1])
        r1 = require(ctx, check, p, ctx.call(p))
        r2 = require(ctx, check, p, ctx.call(p))
        d = first_difference(r1, r2)
        if d is None:
            require(ctx, check, q, ctx.call(q))
            r3 = require(ctx, check, p, ctx.call(p))
            d3 = first_difference(r1, r3)
            if d3 is not None:
                l, name, idx, x, y = d3
                cause = "random_mask" if _varies_when_repeated(ctx, check, p) else "hidden_state"
                raise _fail(ctx, check, p, f"a call on another batch changed the next result: layer {l}, "
                            f"dC/d{name}^{l}{list(idx)} was {x!r}, then {y!r}", cause,
                            data={"other": q})
            return
        l, name, idx, x, y = d
        raise _fail(ctx, check, p, f"two identical calls differ: layer {l}, dC/d{name}^{l}{list(idx)} "
                    f"= {x!r}, then {y!r}", _deterministic_hint(r1, r2))
    return searched(ctx, check, _pairs(ctx), body)


def _corner_networks(support):
    """The corner architectures with each declared output (a softmax gets two output units), and a
    declared hidden activation for each in turn, as networks with the support's model."""
    if support.layer_sizes is not None:
        shapes = [(list(s), o) for s in support.layer_sizes for o in support.outputs]
    else:
        shapes = [([w] * (d + 1), o) for d in sorted({support.min_depth, support.max_depth})
                  for w in sorted({support.min_width, support.max_width}) for o in support.outputs]
    hiddens = tuple(support.hiddens)
    nets = []
    for k, (sizes, o) in enumerate(shapes):
        if o == "softmax" and sizes[-1] < 2:
            if support.layer_sizes is not None:
                continue
            sizes = sizes[:-1] + [2]
        nets.append(model_network(support, sizes, o, hiddens[k % len(hiddens)]))
    return nets


def corner_problems(support, seed: int):
    """Deterministic problems at the corners of a support: min/max depth, widths and N (each output,
    the hidden activations in turn; targets one-hot for a softmax output, biases 0 without biases)."""
    rng = np.random.default_rng(seed)
    out = []
    for net in _corner_networks(support):
        for N in sorted({support.min_N, support.max_N}):
            params = [(rng.uniform(-1, 1, net.weight_shape(l)), rng.uniform(-1, 1, net.bias_shape(l)))
                      for l in range(1, net.L + 1)]
            if not net.bias:
                params = [(W, np.zeros_like(b)) for W, b in params]
            X = rng.uniform(-3, 3, (net.n(0), N))
            if net.output == "softmax":
                Y = np.eye(net.n(net.L))[:, rng.integers(0, net.n(net.L), N)]
            else:
                Y = rng.uniform(0, 1, (net.n(net.L), N)) if net.output == "sigmoid" else rng.uniform(-3, 3, (net.n(net.L), N))
            out.append(Problem(net, params, X, Y))
    return out


@register("interface.support", "every claimed case returns a result (no crash, hang or junk)")
def support(ctx: Context) -> CheckResult:
    check = "interface.support"

    def body(p):
        require(ctx, check, p, ctx.call(ctx.prepare(p)))
    result = searched(ctx, check, problems_in(ctx.impl.support), body)
    return then_fixed(result, body, ((p, "a corner of the declared support")
                                     for p in corner_problems(ctx.impl.support, ctx.seed)))


@register("interface.quiet", "nothing is printed to stdout or stderr during a call")
def quiet(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        if out.output.strip():
            first = out.output.strip().splitlines()[0][:120]
            raise _fail(ctx, "interface.quiet", p, f"printed {len(out.output.splitlines())} line(s) during a call"
                        f" (captured), first: {first!r}", "prints_output")
    return searched(ctx, "interface.quiet", problems_in(ctx.impl.support), body)
