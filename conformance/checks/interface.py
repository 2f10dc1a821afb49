"""Interface checks: shapes, dtype, finiteness, untouched inputs, determinism, support, quiet calls.

    interface.shapes             the gradient has the structure and shapes of the parameters
    interface.dtype              every returned array has the declared dtype
    interface.finite             finite wherever the reference is (drawn up to |z| in the thousands)
    interface.no_input_mutation  X, Y (and the parameters, for a gradient function) are unchanged
    interface.deterministic      two identical calls give identical results, also with a call between
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
from conformance.core.strategies import LARGE_SCALES, Problem, batches, parameters, problems_in
from conformance.isolation.client import exit_text
from conformance.isolation.invoke import truncation
from conformance.isolation.remote import handle_of
from conformance.isolation.shutdown import shut_down
from reference.network import Network

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
    """``p`` with b^l_j = +-|bias|, the sign alternating over j and starting with the sign of ``bias``."""
    params = []
    for W, b in p.params:
        signs = np.where(np.arange(b.shape[0]) % 2 == 0, 1.0, -1.0) * np.sign(bias)
        params.append((W, abs(bias) * signs))
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


def corner_problems(support, seed: int):
    """Deterministic problems at the corners of a support: min/max depth, widths and N."""
    rng = np.random.default_rng(seed)
    if support.layer_sizes is not None:
        nets = [Network(s, output=o) for s in support.layer_sizes for o in support.outputs]
    else:
        nets = [Network([w] * (d + 1), output=o) for d in sorted({support.min_depth, support.max_depth})
                for w in sorted({support.min_width, support.max_width}) for o in support.outputs]
    out = []
    for net in nets:
        for N in sorted({support.min_N, support.max_N}):
            params = [(rng.uniform(-1, 1, net.weight_shape(l)), rng.uniform(-1, 1, net.bias_shape(l)))
                      for l in range(1, net.L + 1)]
            X = rng.uniform(-3, 3, (net.n(0), N))
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
        if out.error is not None and out.error.category == "timeout":
            require(ctx, "interface.quiet", p, out)  # a call that never returns cannot be called quiet
        if out.output.strip():
            first = out.output.strip().splitlines()[0][:120]
            cut = truncation(out.output)
            flood = f"; a flood of {cut[0]} characters, cut at {cut[1]}" if cut else ""
            raise _fail(ctx, "interface.quiet", p, f"printed {len(out.output.splitlines())} line(s) during a call"
                        f" (captured{flood}), first: {first!r}", "prints_output")
    return searched(ctx, "interface.quiet", problems_in(ctx.impl.support), body)


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
        ctx.call(ctx.prepare(corner_problems(ctx.impl.support, ctx.seed)[0]))
        handle.ensure()  # again, if that call ended it: the exit is judged on a running worker
    how = shut_down(handle)
    problem = _exit_problem(how, python=not handle.launch.command)
    if problem:
        text = f"[{ctx.name}] {check}: its worker process {problem}" + (f"; stderr: {how.stderr[-300:]}" if how.stderr else "")
        return CheckResult("fail", text, CheckFailure(text, hint="unclean_exit"), examples=1)
    notes = [f"non-daemon thread(s) {', '.join(how.threads)} still ran at shutdown and then ended"] if how.threads else []
    return CheckResult("pass", "its worker process ended cleanly when asked to", examples=1, notes=notes)
