"""Interface checks about the arrays themselves: who owns what a call returns, and memory layouts.

    interface.ownership  the caller owns what it gets: no returned array shares memory with an input
                         (nor is the returned structure an input's list); the arrays a call returned, held
                         without copying, and the arrays it was handed do not change when the
                         implementation is called again with other inputs of the same shapes (compared with
                         copies taken at once); nor does that second call return the first call's result
                         again (a result kept by shape)
    interface.layouts    the result does not depend on the memory layout of the inputs: every input array
                         given in Fortran order, and as non-contiguous views, agrees with the call on
                         C-ordered arrays within the rounding of a reordered sum (the declared
                         ``input_layouts`` only; a float32 implementation gets float32 arrays in each)

Both observations are made in the call path (``conformance.core.calls.observe_call``,
``observe_pair``), in the process that runs the implementation's code.
"""
from __future__ import annotations

from hypothesis import strategies as st

from conformance.checks.interface import first_difference, reordering_tolerance, then_fixed
from conformance.checks.registry import CheckResult, compare, register, require, searched
from conformance.checks.sizes import sized_problem
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem, batches, model_network, parameters, problems_in
from conformance.core.tolerances import agreement_tolerance
from reference.gradients import gradients

__all__ = ["LAYOUT_WORDS", "same_shaped_pairs", "layout_problems", "layout_fixed_problem", "stale"]

LAYOUT_WORDS = {"F": "in Fortran order", "strided": "as non-contiguous views (every other entry of a buffer)"}
#: A problem past the drawn shapes for the layouts, every array genuinely two-dimensional.
LAYOUT_NET, LAYOUT_N = (33, 17, 5), 37


def _fail(ctx: Context, check: str, p: Problem, text: str, hint: str, **kw) -> CheckFailure:
    return CheckFailure(f"[{ctx.name}] {check}: {text} on {p.describe()}", problem=p, hint=hint, **kw)


def same_shaped_pairs(support):
    """(p, q): two problems on the same network and N with independently drawn values (shrinks as p)."""
    base = problems_in(support)
    if base is None:
        return None

    @st.composite
    def draw(d):
        p = d(base)
        N = p.X.shape[1]
        X, Y = d(batches(p.net, min_N=N, max_N=N))
        return p, Problem(p.net, d(parameters(p.net)), X, Y)
    return draw()


@register("interface.ownership", "results share no memory with the inputs and do not change on the next call")
def ownership(ctx: Context) -> CheckResult:
    check = "interface.ownership"

    def body(pair):
        p, q = ctx.prepare(pair[0]), ctx.prepare(pair[1])
        out1, out2, changes = ctx.call_pair(p, q)
        require(ctx, check, p, out1)
        for out, problem in ((out1, p), (out2, q)):
            if out.aliases:
                raise _fail(ctx, check, problem, "returned arrays alias its inputs: " + "; ".join(out.aliases),
                            "aliases_inputs", data={"aliases": out.aliases})
        require(ctx, check, q, out2)
        kept = [words for kind, words in changes if kind == "result"]
        if kept:
            raise _fail(ctx, check, p, "the arrays a call returned changed when it was called again with other "
                        "inputs of the same shapes (its own buffers, reused): " + "; ".join(kept[:3]),
                        "reused_buffers", data={"other": q})
        kept = [words for kind, words in changes if kind == "input"]
        if kept:
            raise _fail(ctx, check, p, "the arrays handed to a call changed during the next call (kept and "
                        "modified later): " + "; ".join(kept[:3]), "keeps_inputs", data={"other": q})
        stale(ctx, check, p, q, out1, out2)
    return searched(ctx, check, same_shaped_pairs(ctx.support), body)


def stale(ctx: Context, check: str, p: Problem, q: Problem, out1, out2) -> None:
    """CheckFailure when the call on ``q`` returned the result of the call on ``p`` again (a result kept by
    shape or by identity) although the two problems' gradients differ and the first result was right."""
    tol = reordering_tolerance(ctx, p, out1, out2)
    if first_difference(out1.grads, out2.grads, tol) is not None:
        return
    e1, e2 = gradients(p.net, p.params, p.X, p.Y), gradients(q.net, q.params, q.X, q.Y)
    if first_difference(e1, e2, agreement_tolerance(q.net, q.params, q.X, q.Y, dtype=ctx.dtype, expected=e2)) is None:
        return
    right_first = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=ctx.dtype, expected=e1, recovery=out1.recovery)
    if first_difference(out1.grads, e1, right_first) is not None:
        return  # the first result is wrong already (zeros, a wrong formula): not a result kept from it
    if first_difference([(0 * W, 0 * b) for W, b in e1], e1, right_first) is None:
        return  # the first gradient is zero (a zero residual): a kept result looks like code that returns zeros
    compare(ctx, check, q, out2.grads, e2, agreement_tolerance(q.net, q.params, q.X, q.Y, dtype=ctx.dtype,
                                                               expected=e2, recovery=out2.recovery),
            what=f"the reference on the second of two calls with the same shapes (it returned the first call's "
                 f"result again, the one for {p.describe()} with other values)", hint="hidden_state", other=q)


def layout_problems(ctx: Context):
    """Drawn problems whose arrays are two-dimensional where the support allows (F differs from C only
    there), else any drawn problem; the fixed larger problem follows the search."""
    flat = problems_in(ctx.support, min_width=2, min_N=2)
    return flat if flat is not None else problems_in(ctx.support)


@register("interface.layouts", "the result does not depend on the memory layout of the inputs")
def layouts(ctx: Context) -> CheckResult:
    check = "interface.layouts"
    others = [lay for lay in ctx.impl.support.input_layouts if lay != "C"]
    if not others:
        return CheckResult("skip", "the implementation declares it accepts C-ordered input arrays only "
                           "(input_layouts=('C',)); the suite hands it C-ordered copies")

    def body(p):
        p = ctx.prepare(p)
        base = ctx.call(p)
        got = require(ctx, check, p, base)
        for lay in others:
            out = ctx.call(p, layout=lay)
            if not out.ok:
                raise _fail(ctx, check, p, f"with every input array {LAYOUT_WORDS[lay]}: {out.error.message} "
                            "(it returns for C-ordered arrays)", "layout_dependent",
                            call_error=out.error, data={"layout": lay})
            try:
                compare(ctx, check, p, require(ctx, check, p, out), got, reordering_tolerance(ctx, p, base, out),
                        what=f"its own result for C-ordered inputs when every input array is given "
                             f"{LAYOUT_WORDS[lay]}", hint="layout_dependent",
                        repro=("from conformance.core.calls import call_gradient",
                               f"print(call_gradient(impl, net, params, X, Y, layout={lay!r}).grads[0][0].tolist())"))
            except CheckFailure as failure:
                failure.data["layout"] = lay
                raise
    result = searched(ctx, check, layout_problems(ctx), body)
    q = layout_fixed_problem(ctx)
    return then_fixed(result, body, [] if q is None else [(q, f"a larger problem, {q.describe()}")])


def layout_fixed_problem(ctx: Context):
    """The larger problem every layout check ends with ([33, 17, 5], N = 37), or None outside the support."""
    support = ctx.impl.support
    net = model_network(support, list(LAYOUT_NET), support.outputs[0], support.hiddens[0])
    if not support.covers(net, LAYOUT_N):
        return None
    return sized_problem(net, LAYOUT_N, ctx.seed_for("interface.layouts"))
