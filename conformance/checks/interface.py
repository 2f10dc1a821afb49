"""Interface checks: shapes, dtype, finiteness, untouched inputs, determinism, support, quiet calls.

    interface.shapes             the gradient has the structure and shapes of the parameters
    interface.dtype              every returned array has the declared dtype
    interface.finite             finite wherever the reference is (drawn up to |z| in the thousands)
    interface.no_input_mutation  X, Y (and the parameters, for a gradient function) are unchanged
    interface.deterministic      two identical calls agree within the rounding of a reordered sum, also
                                 with a call on another batch between them
    interface.support            every claimed case (drawn, and the support's corners) returns a result
    interface.quiet              nothing is printed to stdout or stderr during a call
    interface.clean_exit         its worker process ends cleanly when asked to: no non-daemon thread left
                                 running, no atexit hook ending it early or changing its exit status
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.checks.registry import CheckResult, register, require, searched
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import LARGE_SCALES, Problem, batches, model_network, parameters, problems_in
from conformance.core.tolerances import add, own_scale_bound, repeat_tolerance
from conformance.isolation.client import exit_text
from conformance.isolation.invoke import truncation
from conformance.isolation.remote import handle_of
from conformance.isolation.shutdown import shut_down

__all__ = ["corner_problems", "first_difference", "reordering_tolerance", "saturated"]


def _fail(ctx: Context, check: str, problem: Problem, text: str, hint: str, **kw) -> CheckFailure:
    return CheckFailure(f"[{ctx.name}] {check}: {text} on {problem.describe()}", problem=problem, hint=hint, **kw)


@register("interface.shapes", "the gradient has the structure and shapes of the parameters")
def shapes(ctx: Context) -> CheckResult:
    def body(p):
        require(ctx, "interface.shapes", p, ctx.call(ctx.prepare(p)))
    return searched(ctx, "interface.shapes", problems_in(ctx.support), body)


@register("interface.dtype", "every returned array has the declared dtype")
def dtype(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        require(ctx, "interface.dtype", p, out)
        if out.dtypes:
            raise _fail(ctx, "interface.dtype", p, "; ".join(out.dtypes), "wrong_dtype")
    return searched(ctx, "interface.dtype", problems_in(ctx.support), body)


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
    result = searched(ctx, "interface.finite", problems_in(ctx.support, scales=LARGE_SCALES), body)
    return then_fixed(result, body, ((saturated(p, bias), "a corner of the declared support with biases of "
                                      f"+-800, {bias:+g} first")
                                     for p in corner_problems(ctx.support, ctx.seed) for bias in (800.0, -800.0)))


@register("interface.no_input_mutation", "no input array is modified by a call")
def no_input_mutation(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        if out.mutated:
            raise _fail(ctx, "interface.no_input_mutation", p, "modified its input: " + "; ".join(out.mutated),
                        "mutates_inputs", data={"mutated": out.mutated})
        require(ctx, "interface.no_input_mutation", p, out)
    return searched(ctx, "interface.no_input_mutation", problems_in(ctx.support), body)


def first_difference(a, b, tol=None):
    """(layer, "W" or "b", index, value in a, value in b) of the first entry where ``a`` and ``b`` differ by
    more than ``tol`` (bitwise when ``tol`` is None; NaN equals NaN), or None."""
    for l, (pa, pb) in enumerate(zip(a, b), start=1):
        for i, (name, x, y) in enumerate((("W", pa[0], pb[0]), ("b", pa[1], pb[1]))):
            same = (x == y) | (np.isnan(x) & np.isnan(y))
            if tol is not None:
                same |= np.abs(x - y) <= tol[l - 1][i]
            diff = np.argwhere(~same)
            if diff.size:
                idx = tuple(int(i) for i in diff[0])
                return l, name, idx, float(x[idx]), float(y[idx])
    return None


def reordering_tolerance(ctx: Context, p: Problem, *outcomes):
    """What two identical calls may differ by: the rounding of a reordered sum (``repeat_tolerance``), and of
    the implementation's own values (``own_scale_bound``: a wrong gradient can be far larger than the
    reference's, and its rounding with it; two calls must still agree)."""
    own = [own_scale_bound(o.grads, dtype=ctx.dtype, n=max(p.net.layer_sizes) + p.X.shape[1])
           for o in outcomes if o.grads is not None]
    return add(repeat_tolerance(p.net, p.params, p.X, p.Y, dtype=ctx.dtype, recoveries=[o.recovery for o in outcomes]),
               *own)


def _pairs(ctx: Context):
    base = problems_in(ctx.support)
    if base is None:
        return None
    sup = ctx.support

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
    """True when identical calls with nothing in between still differ among themselves beyond the rounding
    of a reordered sum (a random mask: two calls agree by chance often enough on a small network, 0.46 of
    the time for a [1, 1, 1, 1] with keep 0.8); False when they settle (state left by the other batch)."""
    first = ctx.call(p)
    settled = require(ctx, check, p, first)
    for _ in range(calls):
        again = ctx.call(p)
        if first_difference(settled, require(ctx, check, p, again), reordering_tolerance(ctx, p, first, again)):
            return True
    return False


def _differ(x: float, y: float, l: int, name: str, idx, tol) -> str:
    bound = float(tol[l - 1][0 if name == "W" else 1][idx])
    return f"layer {l}, dC/d{name}^{l}{list(idx)} = {x!r}, then {y!r} (|diff| {abs(x - y):.3g} > bound {bound:.3g})"


@register("interface.deterministic", "two identical calls agree within the rounding of a reordered sum")
def deterministic(ctx: Context) -> CheckResult:
    """Two identical calls may differ only by the rounding of a reordered sum (``repeat_tolerance``: an
    engine with unordered or parallel reductions is deterministic enough); a call on another batch in
    between must not change the next result either.  Beyond that: hidden state or a random mask."""
    check = "interface.deterministic"

    def body(pair):
        p, q = ctx.prepare(pair[0]), ctx.prepare(pair[1])
        o1, o2 = ctx.call(p), ctx.call(p)
        r1, r2 = require(ctx, check, p, o1), require(ctx, check, p, o2)
        tol = reordering_tolerance(ctx, p, o1, o2)
        d = first_difference(r1, r2, tol)
        if d is None:
            require(ctx, check, q, ctx.call(q))
            o3 = ctx.call(p)
            tol = reordering_tolerance(ctx, p, o1, o3)
            d3 = first_difference(r1, require(ctx, check, p, o3), tol)
            if d3 is not None:
                cause = "random_mask" if _varies_when_repeated(ctx, check, p) else "hidden_state"
                raise _fail(ctx, check, p, "a call on another batch changed the next result beyond the rounding "
                            f"of a reordered sum: {_differ(*d3[3:], *d3[:3], tol)}", cause, data={"other": q})
            return
        raise _fail(ctx, check, p, "two identical calls differ beyond the rounding of a reordered sum: "
                    f"{_differ(*d[3:], *d[:3], tol)}", _deterministic_hint(r1, r2))
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
    result = searched(ctx, check, problems_in(ctx.support), body)
    return then_fixed(result, body, ((p, "a corner of the declared support")
                                     for p in corner_problems(ctx.support, ctx.seed)))


@register("interface.quiet", "nothing is printed to stdout or stderr during a call")
def quiet(ctx: Context) -> CheckResult:
    def body(p):
        p = ctx.prepare(p)
        out = ctx.call(p)
        if out.error is not None and out.error.category == "timeout":
            require(ctx, "interface.quiet", p, out)  # a call that never returns cannot be called quiet
        if out.output.strip():
            first = out.output.strip().splitlines()[0][:120]
            cut = truncation(out.output)
            flood = f"; a flood of {cut[0]} characters, cut at {cut[1]}" if cut else ""
            raise _fail(ctx, "interface.quiet", p, f"printed {len(out.output.splitlines())} line(s) during a call"
                        f" (captured{flood}), first: {first!r}", "prints_output")
    return searched(ctx, "interface.quiet", problems_in(ctx.support), body)


def _exit_problem(how, python: bool) -> str:
    """What was wrong with a worker's shutdown (``remote.Shutdown``), or ""."""
    if how.error:
        return f"did not answer the request to shut down: {how.error}"
    if how.threads:
        names = ", ".join(repr(t) for t in how.threads[:4])
        ended = ("; the process did not end and was killed" if how.status is None else
                 "; the process ended once they had finished")
        if how.status is None:
            return (f"left {len(how.threads)} non-daemon thread(s) running at shutdown ({names}){ended}: in the "
                    f"checker's own interpreter such a thread keeps the run from ever ending")
    if how.status is None:
        return "did not end after it was asked to shut down (killed)"
    if python and not how.exited_frame:
        return (f"an atexit hook ended the process ({exit_text(how.status)}) before the worker's own last step: "
                f"in the checker's own interpreter it would have replaced the run's exit status")
    if how.status != 0:
        return f"{exit_text(how.status)} after a clean shutdown (expected 0)"
    return ""


@register("interface.clean_exit", "its worker process ends cleanly when asked to (no thread or atexit hook in the way)",
          last=True)
def clean_exit(ctx: Context) -> CheckResult:
    """The implementation's worker, as the other checks left it (or a new one after one call on the smallest
    corner of the support), is asked to shut down.  Runs after every other check of the implementation."""
    check, handle = "interface.clean_exit", handle_of(ctx.impl)
    if handle is None:
        return CheckResult("skip", "the implementation runs in the checker's own process (--in-process): "
                                   "there is no worker process to watch end")
    if handle.process is None or not handle.process.alive:
        ctx.call(ctx.prepare(corner_problems(ctx.support, ctx.seed)[0]))
        handle.ensure()  # again, if that call ended it: the exit is judged on a running worker
    how = shut_down(handle)
    problem = _exit_problem(how, python=not handle.launch.command)
    if problem:
        text = f"[{ctx.name}] {check}: its worker process {problem}" + (f"; stderr: {how.stderr[-300:]}" if how.stderr else "")
        return CheckResult("fail", text, CheckFailure(text, hint="unclean_exit"), examples=1)
    notes = [f"non-daemon thread(s) {', '.join(how.threads)} still ran at shutdown and then ended"] if how.threads else []
    return CheckResult("pass", "its worker process ended cleanly when asked to", examples=1, notes=notes)
