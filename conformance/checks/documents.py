"""The documents' examples as conformance checks: the family ``documents`` (issue 5).

    documents.doc1.xnor_221, documents.doc1.or_21, ...   one check per example of
    ``reference.examples.CHECKS`` that calls an implementation (``documents_plan.SPECS``)

Each check runs the document's example with the implementation in the place of the
reference, in reference conventions: its gradient (``adapters.gradient_of``, a
training step's gradient recovered with eta = 2^10), its training step
(``adapters.step_of``) or its forward pass (``adapters.output_of``), and gives the
document's own criterion as the verdict.  In order:

1. Applicability: the declared support must cover every (network, N) the check calls
   the implementation with; otherwise skip, naming what lies outside ("outside
   declared support: N = 50 > max_N = 8").  The support is never widened here.
2. The profile's plan (``documents_plan.PLANS``): ci and dev run the first seed of
   a seeded check under the proportional rule; thorough runs every seed and the
   60,000-epoch checks.
3. One safe call per (network, N) on the check's first problem (``Context.call``:
   per-call time limit, captured output): a call error is a failed verdict with
   the usual diagnosis.
4. The run, under one time limit (the profile's per-check budget) and a guard: after
   2 % of a long check's calls (>= 500) ci and dev skip it when the implementation
   takes more than 4 x the float64 reference's time per call on the same problem (a
   ratio, so independent of the machine's load; the round trip to a worker process is
   not counted), and every profile skips it when the projected time exceeds half the
   per-check budget; thorough runs it then.
5. A failed criterion names the implementation, the check, expected (the document's
   criterion) and got (the figures measured), and is diagnosed on the check's first
   problem (where the implementation's gradient is compared with the reference).

A float32 implementation (or a training step's recovered gradient) gets its tolerance
from the error model (``documents_plan.dtype_options``); a float64 gradient function
is held to the documents' criteria unchanged.
"""
from __future__ import annotations

import time
from functools import partial
from typing import Callable, Optional

import numpy as np

from conformance.dropin.adapters import gradient_of, gradients_of, output_of, step_of
from conformance.dropin.builtin import reference_implementation
from conformance.core.calls import CallError, run_limited
from conformance.checks.registry import CheckResult, register
from conformance.core.context import Context
from conformance.checks.documents_plan import (LONG, PLANS, SPECS, Spec, dtype_options, first_problems, planned_calls,
                                        profile_options, support_gap)
from conformance.core.search import CheckFailure
from conformance.isolation.client import transport_seconds
from reference.documents.core import PLOTTED

__all__ = ["Guard", "OverBudget", "applicability", "profile_summary", "reference_time", "run_document_check"]


class OverBudget(BaseException):
    """Raised by the guard when a long check is too slow for the profile (a BaseException: neither the
    implementation nor the check may swallow it).  ``why`` is the skip reason."""

    def __init__(self, why: str, calls: int):
        super().__init__(why)
        self.why, self.calls = why, calls


class Guard:
    """Counts the calls into the implementation; after the first 2 % of a long check's calls compares
    the median time per call with the reference's (``ratio``) and projects the run time (``allowance``).

    The time per call leaves out the time spent moving the call to and from the implementation's worker
    process (``conformance.isolation.client.transport_seconds``): the ratio compares the two codes, not
    where they run."""

    def __init__(self, total: int, allowance: float, ratio: Optional[float] = None,
                 reference_s: Optional[float] = None, profile: str = "ci"):
        self.total, self.allowance, self.ratio, self.reference_s = total, allowance, ratio, reference_s
        self.profile, self.calls, self.times = profile, 0, []
        self.probe = max(20, total // 50) if total >= LONG else None
        self.start = time.perf_counter()

    def wrap(self, fn: Callable) -> Callable:
        def guarded(*args):
            self.calls += 1
            if self.calls == self.probe:
                self._judge()
            t0, moved = time.perf_counter(), transport_seconds()
            try:
                return fn(*args)
            finally:
                if self.probe and self.calls < self.probe:
                    self.times.append(time.perf_counter() - t0 - (transport_seconds() - moved))
        return guarded

    def wrap_each(self, one: Callable, batch: Callable) -> Callable:
        """(params, [(X, Y), ...]) -> [gradient, ...]: ``one(params, X, Y)`` per example while the guard still
        times calls, then ``batch(params, examples)`` (independent calls, sent to a worker all at once)."""
        single = self.wrap(one)

        def guarded(params, examples):
            out, i = [], 0
            while i < len(examples) and self.probe and self.calls < self.probe:
                out.append(single(params, *examples[i]))
                i += 1
            if i < len(examples):
                self.calls += len(examples) - i
                out += batch(params, examples[i:])
            return out
        return guarded

    def _judge(self) -> None:
        done = self.calls - 1
        per_call = float(np.median(self.times))
        if self.ratio is not None and self.reference_s and per_call > self.ratio * self.reference_s:
            raise OverBudget(f"{per_call / self.reference_s:.1f} x the reference's time per call "
                             f"({per_call * 1e3:.3g} ms vs {self.reference_s * 1e3:.3g} ms on the same problem); the "
                             f"{self.profile} profile runs checks of {LONG} calls or more only within "
                             f"{self.ratio:g} x: this one ({self.total} calls) runs in the thorough profile", done)
        projected = (time.perf_counter() - self.start) * self.total / done
        if projected > self.allowance:
            raise OverBudget(f"projected {projected:.1f} s for {self.total} calls (from the first {done}) exceeds "
                             f"half the {self.profile} per-check budget ({self.allowance:g} s)", done)


def reference_time(net, problem) -> float:
    """Median seconds per call of the float64 reference (batched_matrix) through the same adapter."""
    ref = reference_implementation("batched_matrix", output=net.output)
    times = []
    for _ in range(21):
        t0 = time.perf_counter()
        gradient_of(ref, net, problem.params, problem.X, problem.Y)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _per_example(grads: Callable) -> Callable:
    """A batch gradient as the mean of the gradients on one example (column) at a time;
    ``grads(params, [(x_1, y_1), ...])`` computes them (``Guard.wrap_each``)."""
    def mean_of_examples(params, X, Y):
        N = X.shape[1]
        each = grads(params, [(X[:, i:i + 1], Y[:, i:i + 1]) for i in range(N)])
        return [(sum(g[l][0] for g in each) / N, sum(g[l][1] for g in each) / N) for l in range(len(params))]
    return mean_of_examples


def _functions(impl, spec: Spec, guard: Guard) -> dict:
    """The implementation as the check's grad_fn, step_fn or forward_fn (reference conventions)."""
    net = spec.doc.network
    if spec.kind == "forward":
        output = guard.wrap(partial(output_of, impl))

        def forward_fn(params, X):
            """a^l from forward() on the first l layers; z^l has the shape of a^l = sigma(z^l)."""
            acts = [np.asarray(X, dtype=np.float64)] + [output(sub, params[:l], X)
                                                         for l, (sub, _) in enumerate(spec.calls, start=1)]
            return [np.empty(np.shape(a)) for a in acts[1:]], acts
        return {"forward_fn": forward_fn}
    if spec.kind == "training" and impl.train_step is not None:
        return {"step_fn": guard.wrap(partial(step_of, impl, net))}
    if spec.per_example:
        each = guard.wrap_each(partial(gradient_of, impl, net), partial(gradients_of, impl, net))
        return {"grad_fn": _per_example(each)}
    return {"grad_fn": guard.wrap(partial(gradient_of, impl, net))}


def applicability(impl, spec: Spec, profile: str) -> str:
    """Why ``spec`` does not run for ``impl`` in ``profile`` ("" when it does)."""
    if impl.conventions.l2:
        return f"the documents' networks have no L2 term; the implementation declares l2={impl.conventions.l2!r}"
    for net, N in spec.calls:
        gap = support_gap(impl.support, net, N)
        if gap:
            return f"outside declared support: {gap} ({net!r} with N = {N})"
    if spec.kind == "forward" and impl.forward is None:
        return "the implementation declares no forward= (this check reads its activations a^l)"
    only = PLANS[profile].only
    if only is not None and spec.doc.check_id not in only:
        why = "slow (60,000 epochs)" if spec.doc.slow else f"not in the {profile} set of the documents family"
        return f"{why}: runs in the thorough profile (docs/CONFORMANCE.md, the documents family)"
    return ""


def _figures(result) -> str:
    lines = str(result).split("\n", 1)
    text = " ".join(lines[1].split()) if len(lines) > 1 else ""
    return text if len(text) <= 600 else text[:597] + "..."


def _calibrate(ctx: Context, spec: Spec, check: str) -> Optional[CheckResult]:
    """One safe call per (network, N) on the check's first problem; a failed CheckResult on a call error."""
    for p in first_problems(spec):
        p = ctx.prepare(p)
        if spec.kind == "forward":
            _, message, category, *_ = run_limited(lambda: output_of(ctx.impl, p.net, p.params, p.X), ctx.time_limit)
            if message is not None:
                text = f"[{ctx.name}] {check}: forward() {message} on {p.describe()}"
                return CheckResult("fail", text, CheckFailure(text, hint=category), examples=1)
            continue
        out = ctx.call(p)
        if not out.ok:
            text = f"[{ctx.name}] {check}: {out.error.message} on {p.describe()} (the document's first call)"
            return CheckResult("fail", text, CheckFailure(text, problem=p, hint=out.error.category,
                                                          call_error=out.error), examples=1)
    return None


def run_document_check(ctx: Context, spec: Spec) -> CheckResult:
    """Steps 1-5 of the module docstring for one implementation and one document check."""
    check, impl = spec.suite_id, ctx.impl
    reason = applicability(impl, spec, ctx.profile)
    if reason:
        return CheckResult("skip", reason)
    plan = PLANS[ctx.profile]
    options, notes = profile_options(spec, plan)
    failed = _calibrate(ctx, spec, check)
    if failed is not None:
        return failed
    options.update(dtype_options(impl, spec))
    budget, total = float(ctx.budget("check_s")), planned_calls(spec, options)
    problem = ctx.prepare(first_problems(spec)[-1]) if spec.kind != "forward" else None
    timed = total >= LONG and plan.ratio is not None and problem is not None
    guard = Guard(total, 0.5 * budget, plan.ratio, reference_time(problem.net, problem) if timed else None, ctx.profile)
    fns = _functions(impl, spec, guard)
    try:
        result, message, category, *_ = run_limited(lambda: spec.doc.run(**fns, **options), budget)
    except OverBudget as over:
        return CheckResult("skip", over.why, examples=over.calls, notes=notes)
    if message is not None:
        what = f"no result within the per-check budget of {budget:g} s" if category == "timeout" else message
        text = f"[{ctx.name}] {check}: {what} during the document's run (after {guard.calls} calls)"
        return CheckResult("fail", text, CheckFailure(text, problem=problem, hint=category,
                                                      call_error=CallError(category, message)), guard.calls, notes)
    data = {k: result.figures[k] for k in PLOTTED if k in result.figures}
    if result.passed:
        return CheckResult("pass", f"{result.criterion}: {_figures(result)}", examples=guard.calls, notes=notes,
                           data=data)
    text = f"[{ctx.name}] {check}: expected {result.criterion}; got {_figures(result)}"
    return CheckResult("fail", text, CheckFailure(text, problem=problem), guard.calls, notes, data=data)


def profile_summary(spec: Spec) -> str:
    """What ci/dev and thorough run of ``spec`` (for --list and the check's docstring)."""
    reduced = PLANS["ci"]
    if spec.doc.check_id not in reduced.only:
        return "thorough only"
    options, _ = profile_options(spec, reduced)
    if "seeds" in options:
        return f"ci/dev: seed {options['seeds'][0]} (>= {options.get('min_perfect', 1)} of 1); thorough: all seeds"
    if "epochs" in options:
        return f"ci/dev: first {options['epochs']} of 10 epochs; thorough: all"
    return "every profile: in full"


def _register(spec: Spec) -> None:
    doc, split = spec.doc, profile_summary(spec)

    def run(ctx: Context) -> CheckResult:
        return run_document_check(ctx, spec)
    run.__doc__ = (f"{spec.suite_id}, {doc.document}: \"{' '.join(doc.quote.split())}\"\n\n"
                   f"Called on {', '.join(f'{net!r} with N = {N}' for net, N in spec.calls)}.  {split}.")
    register(spec.suite_id, f"[{split}] {doc.document}: {' '.join(doc.quote.split())[:70]}")(run)


for _spec in SPECS.values():
    _register(_spec)
