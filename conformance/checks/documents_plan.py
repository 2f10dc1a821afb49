"""The documents family's plan: which implementation runs which document check, how much of it, at what tolerance.

Every example of ``reference.examples.CHECKS`` that calls an implementation is a
conformance check ``documents.<id>`` (the four about the documents' printed data
alone, ``uses == "nothing"``, check the transcription, not an implementation, and
stay in tests/test_documents_*.py).  ``SPECS[id].calls`` lists the (network, N)
the implementation is called with; the check applies when the declared support
covers every one of them (``support_gap``), else its verdict is skip, naming what
lies outside.

Profiles (``PLANS``; the rationale is in docs/CONFORMANCE.md, "The documents family"):

    profile      checks            seeded checks                 long checks (>= 500 calls)
    dev, ci      ``REDUCED`` (10)  the first seed (proportional  only within 4 x the reference's time
                                   rule); the circles runs: the  per call; projected <= half the
                                   first 2 of their 10 epochs    per-check budget
    thorough     all 17            every seed, every epoch       projected <= half the per-check budget

Proportional rule: a check requiring ``m`` of its ``n`` seeds to reach 100 %
accuracy runs the first ``k`` and requires ceil(m k / n) of them (1 of 1 for
every truth table at k = 1: seed 0 reaches 100 % in all four for the reference).
The ratio rule compares medians of the implementation's and the float64
reference's time per call on the same problem in the same process, so it does
not depend on the machine's load (``conformance.checks.documents.Guard``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

import numpy as np

from conformance.dropin.adapters import ETA, loss_factor, round_to_dtype
from conformance.core.strategies import Problem
from conformance.core.tolerances import add, agreement_tolerance, recovery_bound
from reference.datasets import circle_label, sin_target, toy, truth_table
from reference.documents import first, forum, last
from reference.documents.core import DocumentCheck
from reference.documents.printed import CIRCLE_BOUNDARY, SIN_REGRESSION, TRUTH_TABLE_RUNS
from reference.error_model import unit_roundoff
from reference.examples import CHECKS as DOCUMENT_CHECKS
from reference.gradients import gradients
from reference.network import Network, Params

__all__ = ["Spec", "Plan", "PLANS", "REDUCED", "LONG", "SPECS", "PREFIX", "support_gap", "profile_options",
           "planned_calls", "first_problems", "dtype_options", "gradient_bound"]

PREFIX = "documents."


@dataclass(frozen=True)
class Plan:
    """How much of the documents family one profile runs."""

    seeds: Optional[int]                  # seeds of a seeded check (None: all)
    only: Optional[FrozenSet[str]]        # document check ids run in this profile (None: all)
    ratio: Optional[float]                # long checks only within this many times the reference's time per call
    epochs: Dict[str, int] = field(default_factory=dict)   # epochs of a check, where reduced


#: The reduced set of the ci and dev profiles (document check ids; the rationale is in docs/CONFORMANCE.md).
REDUCED = frozenset({"doc1.and_21", "doc1.printed_params.xnor", "doc1.printed_params.or", "doc1.printed_params.and",
                     "forum.gradient_shapes", "forum.agrees_with_reference", "doc3.toy_shapes",
                     "doc3.gradient_checking", "doc3.circles_per_example_vs_networkpy",
                     "doc3.circles_batched_vs_networkpy"})
#: A check with at least this many calls into the implementation is "long" (the ratio rule applies).
LONG = 500
#: The last document's circles runs (10 epochs of 20 mini-batches) shortened to their first 2 epochs.
_FIRST_EPOCHS = {"doc3.gradient_checking": 2, "doc3.circles_per_example_vs_networkpy": 2,
                 "doc3.circles_batched_vs_networkpy": 2}
PLANS = {"dev": Plan(1, REDUCED, 4.0, _FIRST_EPOCHS), "ci": Plan(1, REDUCED, 4.0, _FIRST_EPOCHS),
         "thorough": Plan(None, None, None)}


@dataclass(frozen=True)
class Spec:
    """One document check as the suite runs it on an implementation.

    ``kind``: "training" passes the implementation's training step (``step_fn``) when
    it has one, else its gradient; "gradient" always passes the gradient (a step's
    gradient recovered with eta = 2^10, ``conformance.dropin.adapters.gradient_of``);
    "forward" passes its ``forward``.  ``per_example``: the gradient of a batch is the
    mean of the implementation's gradients on one example at a time (N = 1), as the
    last document's ``backprop_1_example`` loop takes it.
    """

    doc: DocumentCheck
    kind: str
    calls: Tuple[Tuple[Network, int], ...]
    per_example: bool = False

    @property
    def suite_id(self) -> str:
        return PREFIX + self.doc.check_id


def _spec(doc: DocumentCheck) -> Spec:
    net, runner = doc.network, doc.runner
    if runner is last.toy_shapes:
        prefixes = tuple(Network(net.layer_sizes[:l + 1]) for l in range(1, net.L + 1))
        return Spec(doc, "forward", tuple((p, 1000) for p in prefixes))
    if runner is last.circles_vs_networkpy and doc.options.get("formulation") == "per_sample":
        return Spec(doc, "gradient", ((net, 1),), per_example=True)
    kind = "gradient" if runner in (forum.gradient_shapes, forum.agrees_with_reference,
                                    last.gradient_checks_during_training) else "training"
    return Spec(doc, kind, tuple((net, N) for N in doc.batch_sizes))


#: suite id -> Spec, in the order of ``reference.examples.CHECKS``.
SPECS: Dict[str, Spec] = {PREFIX + cid: _spec(c) for cid, c in DOCUMENT_CHECKS.items() if c.uses != "nothing"}


def support_gap(support, net: Network, N: int) -> str:
    """What of (net, N) lies outside ``support`` ("" when it is covered): 'N = 50 > max_N = 8'."""
    if net.output not in support.outputs:
        return f"output {net.output!r} not in the declared outputs {tuple(support.outputs)}"
    if net.hidden not in getattr(support, "hiddens", (net.hidden,)):
        return f"hidden activation {net.hidden!r} not in the declared hiddens {tuple(support.hiddens)}"
    model = getattr(support, "model", None)
    if model is not None and (model.loss, model.bias) != (net.loss, net.bias):
        declared = f"loss {model.loss!r}" + ("" if model.bias else " without biases")
        return f"the documents' networks compute {net.loss!r} with biases, the implementation declares {declared}"
    if N > support.max_N or N < support.min_N:
        return f"N = {N} > max_N = {support.max_N}" if N > support.max_N else f"N = {N} < min_N = {support.min_N}"
    if support.layer_sizes is not None:
        declared = [list(s) for s in support.layer_sizes]
        return "" if list(net.layer_sizes) in declared else \
            f"layer sizes {list(net.layer_sizes)} not among the declared {declared}"
    if net.L > support.max_depth:
        return f"depth {net.L} > max_depth = {support.max_depth}"
    if net.L < support.min_depth:
        return f"depth {net.L} < min_depth = {support.min_depth}"
    widest, narrowest = max(net.layer_sizes), min(net.layer_sizes)
    if widest > support.max_width:
        return f"width {widest} > max_width = {support.max_width}"
    if narrowest < support.min_width:
        return f"width {narrowest} < min_width = {support.min_width}"
    return ""


def profile_options(spec: Spec, plan: Plan) -> Tuple[dict, List[str]]:
    """(options overriding the check's defaults, notes) for ``plan``: the first k seeds (ceil(m k / n) of
    them must reach 100 %), the first epochs of a check the plan shortens."""
    options, notes = {}, []
    cid = spec.doc.check_id
    if cid in plan.epochs:
        options["epochs"] = plan.epochs[cid]
        notes.append(f"reduced budget: the first {plan.epochs[cid]} of the document's 10 epochs; "
                     f"all 10 in the thorough profile")
    seeds = spec.doc.options.get("seeds")
    if seeds is None or plan.seeds is None or plan.seeds >= len(seeds):
        return options, notes
    k, n = plan.seeds, len(seeds)
    options["seeds"] = tuple(seeds[:k])
    if "min_perfect" in spec.doc.options:
        m = spec.doc.options["min_perfect"]
        options["min_perfect"] = math.ceil(m * k / n)
        notes.append(f"reduced budget: seeds {list(seeds[:k])} of {list(seeds)}, at least "
                     f"ceil({m} x {k} / {n}) = {options['min_perfect']} reaching 100% (proportional rule); "
                     f"all {n} seeds in the thorough profile")
    else:
        notes.append(f"reduced budget: seeds {list(seeds[:k])} of {list(seeds)} (every seed must pass); "
                     f"all {n} in the thorough profile")
    return options, notes


def planned_calls(spec: Spec, options: dict) -> int:
    """How many times the check calls the implementation (for the time projection)."""
    o = {**spec.doc.options, **options}
    runner = spec.doc.runner
    if runner in (first.truth_table_training, first.regression_training):
        return len(o["seeds"]) * o["epochs"]
    if runner is first.printed_params:
        return 201
    if runner is last.gradient_checks_during_training:
        return o.get("epochs", 10) * (10 + 20)
    if runner is last.circles_vs_networkpy:
        return o.get("epochs", 10) * (1000 if spec.per_example else 20)
    return len(spec.calls)


def first_problems(spec: Spec) -> List[Problem]:
    """The check's first call(s), one per entry of ``spec.calls``: for the calibration call and the diagnosis."""
    runner, o = spec.doc.runner, spec.doc.options
    if runner in (first.truth_table_training, first.printed_params):
        net = spec.doc.network
        X, Y = truth_table(o["gate"])
        params = first.printed_params_arrays(o["gate"]) if runner is first.printed_params else net.init(o["seeds"][0])
        return [Problem(net, params, X, Y)]
    if runner is first.regression_training:
        net, data = spec.doc.network, SIN_REGRESSION if o["example"] == "sin" else CIRCLE_BOUNDARY
        X = np.array(data["X"], dtype=np.float64)
        return [Problem(net, net.init(o["seeds"][0]), X, sin_target(X) if o["example"] == "sin" else circle_label(X))]
    if runner in (forum.gradient_shapes, forum.agrees_with_reference):
        params, X, Y = forum.forum_data(0)
        return [Problem(forum.FORUM_NETWORK, params, X, Y)]
    if runner is last.toy_shapes:
        X, _ = toy()
        gen = np.random.default_rng(0)
        net = spec.calls[-1][0]
        params = [(gen.standard_normal(net.weight_shape(l)), gen.standard_normal(net.n(l)))
                  for l in range(1, net.L + 1)]
        return [Problem(net, params, X, np.zeros((net.n(net.L), X.shape[1])))]
    X, Y, params = last.circles_data(0)
    return [Problem(net, params, X[:, :N], Y[:, :N]) for net, N in spec.calls]


def gradient_bound(impl, net: Network, params: Params, X, Y) -> Params:
    """Entrywise bound on |the implementation's gradient - the exact gradient of (params, X, Y)|.

    The error model's agreement tolerance in the implementation's dtype on the problem
    rounded to that dtype (what it receives), plus the effect of that rounding
    |g(rounded) - g|, plus the recovery term of a training step (eta = 2^10).
    """
    dt = np.dtype(impl.conventions.dtype)
    rp = [(round_to_dtype(W, dt), round_to_dtype(b, dt)) for W, b in params]
    rX, rY = round_to_dtype(X, dt), round_to_dtype(Y, dt)
    exact, rounded = gradients(net, params, X, Y), gradients(net, rp, rX, rY)
    recovery = None
    if impl.train_step is not None:
        k = loss_factor(impl.conventions, net, np.shape(X)[1])
        after = [(W - ETA * k * dW, b - ETA * k * db) for (W, b), (dW, db) in zip(rp, rounded)]
        recovery = recovery_bound(rp, after, eta=ETA, k=k, dtype=dt)
    tol = agreement_tolerance(net, rp, rX, rY, dtype=dt, expected=rounded, recovery=recovery)
    return add(tol, [(np.abs(a - e), np.abs(c - d)) for (a, c), (e, d) in zip(rounded, exact)])


def _norm(bound: Params, order=None) -> float:
    return float(np.linalg.norm(np.concatenate([np.ravel(a) for pair in bound for a in pair]), order))


def dtype_options(impl, spec: Spec) -> dict:
    """Options giving a float32 implementation (or a training step's recovered gradient) its own tolerance.

    A float64 gradient function keeps every document criterion unchanged.
    """
    dt = np.dtype(impl.conventions.dtype)
    exact64 = dt == np.float64
    runner = spec.doc.runner
    if runner is forum.agrees_with_reference and not (exact64 and impl.gradient is not None):
        p = first_problems(spec)[0]
        bound, expected = gradient_bound(impl, p.net, p.params, p.X, p.Y), gradients(p.net, p.params, p.X, p.Y)
        relative = max(float(np.max(b)) / float(np.max(np.abs(e))) for pb, pe in zip(bound, expected)
                       for b, e in zip(pb, pe) if np.max(np.abs(e)) > 0)
        return {"tolerance": max(forum.AGREEMENT_ULPS * np.finfo(np.float64).eps, relative)}
    if runner is last.gradient_checks_during_training and not (exact64 and impl.gradient is not None):
        return {"error_bound": lambda params, x, y, nabla: _norm(gradient_bound(impl, spec.doc.network, params, x, y))}
    if runner is last.circles_vs_networkpy and not exact64:
        return {"eps": float(np.finfo(dt).eps)}
    if runner is first.printed_params and not exact64:
        p = first_problems(spec)[0]
        eta = TRUTH_TABLE_RUNS[spec.doc.options["gate"]]["eta"]
        theta = max(float(np.max(np.abs(a))) for pair in p.params for a in pair)
        step = 2.0 * eta * _norm(gradient_bound(impl, p.net, p.params, p.X, p.Y), np.inf)
        return {"residual_tolerance": max(1e-12, 8.0 * unit_roundoff(dt) * theta + step)}
    return {}
