"""Diagnosis of a failed check: where, expected vs got, and the likely cause, tested as hypotheses.

Given the (shrunk) failing example, the diagnosis

1. calls the implementation on it and compares with the reference: the first
   wrong entry in backprop order (highest layer first, W before b) is the
   location, and the set of wrong arrays names the BP equation (only b wrong:
   BP3; only W: BP4; layer L wrong: BP1; hidden layers only: BP2);
2. re-runs targeted problems (``conformance.diagnosis.probes``): N = 1 vs N = 3, a
   width-1 chain vs a wide network, small vs large parameters, another n_L;
3. tests hypotheses, most specific first (``conformance.diagnosis.hypotheses``): the
   check's own finding (modified inputs, printed output, a different loss,
   nondeterminism); a call error refined by the probes (only for N = 1, only
   for width 1, only for large |z|, a transposed shape); the gradients of
   common bugs on every failing problem; a transposed or layer-shifted array;
   an L2 term missing, doubled, scaled, on the biases or undeclared;
   got = c x expected with c named; all zeros; float32-precision or
   finite-difference-size errors; the probes' conditions alone;
4. writes a copy-paste reproducer (``conformance.diagnosis.reproducer``).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from conformance.checks.finite_differences import own_loss_factor
from conformance.checks.interface import first_difference
from conformance.checks.registry import first_in_backprop_order
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.diagnosis import hypotheses
from conformance.diagnosis.causes import CAUSES, Diagnosis
from conformance.diagnosis.factors import Observation, explain
from conformance.diagnosis.probes import Evaluation, conditions, evaluate, run_probes
from conformance.diagnosis.reproducer import reproducer
from conformance.diagnosis.model_variants import ALL_VARIANTS as VARIANTS, weight_decay
from reference.forward import forward

__all__ = ["CAUSES", "Diagnosis", "diagnose_failure", "equation_of", "own_loss_words"]

_DEFINITE = ("mutates_inputs", "prints_output", "wrong_dtype", "hidden_state", "random_mask", "different_loss")
_EQUATION = {"missing_transpose_bp2": "BP2", "missing_output_sigma_prime": "BP1", "bias_wrong_axis": "BP3",
             "transposed": "BP4", "update_before_backprop": "BP2", "missing_softmax_jacobian": "BP1",
             "doubled_softmax_jacobian": "BP1", "cross_entropy_sigma_prime": "BP1",
             "activation_prime_at_activation": "BP2", "l2_missing": "BP4", "l2_doubled": "BP4",
             "l2_scaled": "BP4", "l2_undeclared": "BP4", "l2_on_biases": "BP3"}
_FLAG_CAUSE = (("batch_of_one", "wrong_for_batch_of_one"), ("width_one", "wrong_for_width_one"),
               ("depth", "wrong_for_specific_shapes"), ("large_z", "wrong_for_large_z"),
               ("N_gt_1", "wrong_for_N_gt_1"))
_AGAIN = ("again = gradient_of(impl, net, params, X, Y)",
          "print('second identical call, layer 1 dC/dW:', again[0][0].tolist())")
_REPRO = {"mutates_inputs": ("from conformance.dropin.adapters import to_native",
                             "native, Xn, Yn = to_native(impl, net, params, X, Y); Xn0 = Xn.copy()",
                             "impl.gradient(native, Xn, Yn) if impl.gradient else impl.train_step(native, Xn, Yn, 1.0)",
                             "print('X modified by the call:', not np.array_equal(Xn, Xn0))"),
          "hidden_state": _AGAIN, "random_mask": _AGAIN}


def equation_of(bad, L: int) -> Optional[str]:
    """The BP equation governing the wrong entries: only b -> BP3, only W -> BP4, layer L -> BP1, else BP2."""
    if not bad:
        return None
    params = {m.param for m in bad}
    if params == {"b"}:
        return "BP3"
    if params == {"W"}:
        return "BP4"
    return "BP1" if any(m.layer == L for m in bad) else "BP2"


def own_loss_words(c: float, N: int, n_L: int, more=()) -> str:
    """Words for 'the reported loss is c times the loss the gradient belongs to'.

    ``more`` holds further (c, N, n_L) observations that separate candidates.
    """
    found = explain([Observation(c, N, n_L, 1e-4)] + [Observation(*m, 1e-4) for m in more])
    text = f"the reported loss is {found[0].formula() + ' = ' if found else ''}{c:.6g} times the loss the gradient belongs to"
    if found and (found[0].b, found[0].d) == (1, -1):
        text += (" (n_L = %d): it reports the mean of (a - y)^2 over all entries, but the gradient belongs to "
                 "1/2 ||a - y||^2 averaged over the samples" % n_L)
    return text


def _more_loss_factors(ctx: Context, probes) -> list:
    """The own-loss factor re-measured on the probes with another N or n_L: [(c, N, n_L)]."""
    out = []
    for name in ("other n_L", "N=3", "N=2"):
        if name in probes:
            q = probes[name].problem
            c = own_loss_factor(ctx, q)
            if c is not None:
                out.append((c, q.X.shape[1], q.net.n(q.net.L)))
    return out


def _example(p, failure: CheckFailure) -> str:
    if "vector" in failure.data:
        return f"symbolic vector {failure.data['vector']!r}: {p.describe()}"
    z = max((float(np.max(np.abs(z))) for z in forward(p.net, p.params, p.X).zs), default=0.0)
    return f"{p.describe()}, max |z| = {z:.3g} (the smallest failing example Hypothesis found)"


def _locate(d: Diagnosis, ev: Evaluation, failure: CheckFailure) -> None:
    m = first_in_backprop_order(ev.bad) or failure.location
    err = ev.outcome.error or failure.call_error
    if m is not None:
        d.layer, d.param, d.index, d.expected, d.got = m.layer, m.param, m.index, m.expected, m.got
    elif err is not None and err.layer is not None:
        d.layer, d.param, d.index = err.layer, err.param, err.index
        if err.index is not None and err.param in ("W", "b"):
            d.expected = float(ev.expected[err.layer - 1][0 if err.param == "W" else 1][err.index])
            d.got = float(ev.outcome.grads[err.layer - 1][0 if err.param == "W" else 1][err.index])
    if ev.bad:
        d.wrong_entries = ev.n_bad
        d.total_entries = sum(np.size(a) for pair in ev.expected for a in pair)


def _call_cause(ctx: Context, err, probes, flags, d: Diagnosis, p):
    if err.category == "wrong_structure" and err.got_shape and err.expected_shape \
            and tuple(err.got_shape) == tuple(err.expected_shape)[::-1] and len(err.got_shape) == 2:
        return "transposed", f"{err.message}: the transpose of the expected shape"
    if err.category == "wrong_structure" and err.param == "b" and err.got_shape is not None \
            and p.X.shape[1] in err.got_shape and np.prod(err.got_shape) == p.X.shape[1]:
        return "bias_wrong_axis", (f"{err.message}: one entry per sample (N = {p.X.shape[1]}), so dC/db^l was "
                                   f"summed over the units (axis 0) instead of over the samples")
    numeric = [pr for pr in probes.values() if pr.outcome.ok and pr.bad]
    found = hypotheses.variants(ctx, numeric[:1]) if err.category == "raises" and numeric else []
    if found:
        name = found[0][0]
        _locate(d, numeric[0], CheckFailure(""))
        d.notes += (f"location and values from {numeric[0].problem.describe()}, where the call returns",)
        return found[0][1], (f"{VARIANTS[name][2]}: it {err.message} where the shapes do not allow it, and "
                             f"reproduces that bug's gradient on {numeric[0].problem.describe()}")
    for flag, cause in _FLAG_CAUSE[:4]:
        if flags.get(flag) and (flag != "large_z" or err.category == "non_finite"):
            return cause, f"{CAUSES[cause]}: {err.message}"
    return err.category, err.message


def nondeterminism(ctx: Context, ev: Evaluation, calls: int = 3):
    """(cause, words) when identical calls differ: a constant drift between calls is kept state
    (hidden_state, e.g. gradients accumulated across calls), anything else a random mask; else None."""
    results = []
    for _ in range(calls + 1):  # fresh consecutive calls: nothing else runs in between
        again = ctx.call(ev.problem)
        if not again.ok:
            return None
        results.append(again.grads)
    if all(first_difference(r, results[0]) is None for r in results[1:]):
        return None
    flat = [np.concatenate([a.ravel() for pair in r for a in pair]) for r in results]
    steps = [b - a for a, b in zip(flat, flat[1:])]
    if all(np.allclose(s, steps[0], rtol=1e-6, atol=1e-12) for s in steps[1:]) and np.any(steps[0] != 0):
        return "hidden_state", (f"each identical call adds the same increment (max {float(np.max(np.abs(steps[0]))):.3g})"
                                " to the result: state is accumulated across calls")
    return "random_mask", f"{calls + 1} identical calls returned different values without a constant drift"


def _numeric_cause(ctx: Context, ev: Evaluation, probes, flags, d: Diagnosis):
    nondet = nondeterminism(ctx, ev)
    if nondet is not None:
        return nondet
    failing = [ev] + [pr for name, pr in probes.items() if name in ("N=2", "N=3", "other n_L")
                      and pr.failed and pr.outcome.ok]
    found = hypotheses.variants(ctx, failing)
    if found:
        d.candidates = tuple(dict.fromkeys(c for _, c in found[1:] if c != found[0][1]))
        return found[0][1], VARIANTS[found[0][0]][2]
    decay = weight_decay(failing)
    if decay:
        return decay
    shape = hypotheses.arrays(ev)
    if shape:
        return shape
    masked = hypotheses.masked(ev)
    if masked:
        return masked
    passing = [pr for pr in probes.values() if pr.outcome.ok and not pr.bad]
    fac = hypotheses.factor(failing, passing)
    if fac:
        cands, c, group = fac
        d.factor = c
        d.candidates = tuple(f"{x.cause} (c = {x.formula()})" for x in cands[1:4])
        return cands[0].cause, f"got = {cands[0].formula()} x expected (c = {c:.6g}){group}: {cands[0].words()}"
    if all(np.all(ev.outcome.grads[m.layer - 1][0 if m.param == "W" else 1] == 0) for m in ev.bad):
        return "all_zeros", CAUSES["all_zeros"]
    small = hypotheses.small_errors(ev, ctx.dtype)
    if small:
        return small
    return None, ""


def _cause(ctx: Context, check: str, failure: CheckFailure, ev: Evaluation, probes, flags, d: Diagnosis):
    hint = failure.hint
    if hint == "different_loss" and failure.factor is not None:
        p = failure.problem
        d.factor = failure.factor
        return hint, own_loss_words(failure.factor, p.X.shape[1], p.net.n(p.net.L), _more_loss_factors(ctx, probes))
    if hint in ("hidden_state", "random_mask") and ev.outcome.ok:
        found = nondeterminism(ctx, ev)
        if found is not None and found[0] != hint:
            return found
    if hint in _DEFINITE:
        return hint, failure.message.split(": ", 1)[-1].split("\n")[0]
    err = ev.outcome.error or failure.call_error
    if err is not None:
        return _call_cause(ctx, err, probes, flags, d, ev.problem)
    cause, text = _numeric_cause(ctx, ev, probes, flags, d) if ev.bad else (hint, "")
    if cause is None:
        for flag, key in _FLAG_CAUSE:
            if flags.get(flag):
                return key, CAUSES[key]
        if not ev.bad:
            return None, (f"{check} fails although each call agrees with the reference on this example; "
                          "see the check's message")
        return None, "no known cause reproduces the output; compare expected and got in the reproducer"
    return cause, text


def diagnose_failure(ctx: Context, check: str, failure: CheckFailure) -> Diagnosis:
    """The Diagnosis of ``failure`` (raised by ``check`` on ``ctx.impl``)."""
    d = Diagnosis(check=check, impl=ctx.name)
    p = failure.problem
    if failure.hint == "import_error" or p is None:
        d.cause, d.cause_text = failure.hint, failure.message
        return d
    d.example = _example(p, failure)
    if failure.hint == "timeout":
        d.cause, d.cause_text = "timeout", failure.call_error.message if failure.call_error else failure.message
        d.reproducer = reproducer(ctx.impl, check, p, eta=ctx.eta, extra=failure.repro)
        return d
    ev = evaluate(ctx, p)
    other = failure.data.get("other")
    if not ev.failed and other is not None:  # a property failed on its second problem: diagnose that one
        ev2 = evaluate(ctx, other)
        if ev2.failed:
            ev, p = ev2, other
            d.notes += (f"the implementation agrees with the reference on the example but not on {other.describe()}",)
    probes = run_probes(ctx, p)
    flags, conds = conditions(probes)
    d.conditions = tuple(conds)
    _locate(d, ev, failure)
    d.cause, d.cause_text = _cause(ctx, check, failure, ev, probes, flags, d)
    d.equation = _EQUATION.get(d.cause) or equation_of(ev.bad, p.net.L)
    notes: List[str] = list(ev.outcome.warnings[:2])
    if failure.data.get("mutated"):
        notes += list(failure.data["mutated"])[:3]
    d.notes = d.notes + tuple(notes)
    d.reproducer = reproducer(ctx.impl, check, p, eta=ctx.eta, extra=failure.repro + _REPRO.get(d.cause, ()))
    return d
