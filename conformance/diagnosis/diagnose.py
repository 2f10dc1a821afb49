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

import os
import re
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from conformance.checks.arrays import LAYOUT_WORDS, layout_fixed_problem
from conformance.checks.finite_differences import own_loss_factor
from conformance.checks.interface import first_difference, reordering_tolerance
from conformance.checks.registry import first_in_backprop_order
from conformance.core.context import Context
from conformance.core.corpus import encode_example
from conformance.core.search import CheckFailure
from conformance.diagnosis import hypotheses
from conformance.diagnosis.causes import CAUSES, Diagnosis
from conformance.diagnosis.factors import Observation, explain
from conformance.diagnosis.probes import Evaluation, conditions, evaluate, run_probes
from conformance.diagnosis.residual import NAME_AT, explain_residual
from conformance.diagnosis.reproducer import (INLINE_LIMIT, ladder_source, problem_dict, reproducer, rerun_command,
                                              size_of, write_reproducer)
from conformance.diagnosis.sizes import size_condition
from conformance.diagnosis.model_variants import ALL_VARIANTS as VARIANTS, weight_decay
from conformance.dropin.adapters import native_location, native_shapes
from reference.forward import forward

__all__ = ["CAUSES", "Diagnosis", "REPRO_DIR_VAR", "diagnose_failure", "equation_of", "own_loss_words"]

#: Set by ``--repro-dir``: a diagnosis stores the reproducer of an example too large to print there.
REPRO_DIR_VAR = "CONFORMANCE_REPRO_DIR"

_DEFINITE = ("mutates_inputs", "prints_output", "wrong_dtype", "hidden_state", "random_mask", "different_loss",
             "reused_buffers", "aliases_inputs", "keeps_inputs", "layout_dependent")
#: Checks whose failures are about calls, not sizes: the size and value probes say nothing there.
_NO_PROBES = ("interface.ownership", "interface.layouts")
_EQUATION = {"missing_transpose_bp2": "BP2", "missing_output_sigma_prime": "BP1", "bias_wrong_axis": "BP3",
             "transposed": "BP4", "update_before_backprop": "BP2", "missing_hidden_sigma_prime": "BP2",
             "sigma_prime_at_activation": "BP1, BP2", "wrong_derivative": "BP1, BP2",
             "missing_softmax_jacobian": "BP1", "doubled_softmax_jacobian": "BP1", "cross_entropy_sigma_prime": "BP1",
             "activation_prime_at_activation": "BP2", "l2_missing": "BP4", "l2_doubled": "BP4", "l2_scaled": "BP4",
             "l2_on_biases": "BP3"}
#: Causes that change every equation alike (a factor of the loss): no single BP equation is named.
_NO_EQUATION = ("summed_not_averaged", "averaged_twice", "missing_half", "sign_flipped", "different_loss", "scaled",
                "gradient_clipped")
_FLAG_CAUSE = (("batch_of_one", "wrong_for_batch_of_one"), ("width_one", "wrong_for_width_one"),
               ("depth", "wrong_for_specific_shapes"), ("large_z", "wrong_for_large_z"),
               ("N_gt_1", "wrong_for_N_gt_1"))
_AGAIN = ("again = gradient_of(impl, net, params, X, Y)",
          "print('second identical call, layer 1 dC/dW:', again[0][0].tolist())")
_REPRO = {"mutates_inputs": ("from conformance.dropin.adapters import to_native",
                             "native, Xn, Yn = to_native(impl, net, params, X, Y); Xn0 = Xn.copy()",
                             "impl.gradient(native, Xn, Yn) if impl.gradient else impl.train_step(native, Xn, Yn, 1.0)",
                             "print('X modified by the call:', not np.array_equal(Xn, Xn0))"),
          "hidden_state": _AGAIN, "random_mask": _AGAIN,
          "layout_dependent": ("from conformance.core.calls import call_gradient",
                               "for layout in ('C', 'F', 'strided'):",
                               "    out = call_gradient(impl, net, params, X, Y, layout=layout)",
                               "    print(layout, out.error.message if out.error else out.grads[0][0].tolist())")}
_PAIR = ("from conformance.core.calls import call_gradient_pair",
         "params2, X2, Y2 = [(0.5 * W, -b) for W, b in params], 0.5 * X, Y[:, ::-1]   # other values, same shapes",
         "first, second, changed = call_gradient_pair(impl, net, (params, X, Y), (params2, X2, Y2))",
         "print('what the second call changed of the first:', changed)",
         "print('returned arrays aliasing the inputs:', first.aliases, second.aliases)")
_REPRO.update({"reused_buffers": _PAIR, "keeps_inputs": _PAIR, "aliases_inputs": _PAIR})


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
    found = "the problem given" if failure.data.get("given") else "the smallest failing example Hypothesis found"
    return f"{p.describe()}, max |z| = {z:.3g} ({found})"


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


def _returned_shapes(native) -> Optional[list]:
    """The shapes of a returned list of (W, b) pairs or of arrays, in order (None for anything else)."""
    if not isinstance(native, (list, tuple)):
        return None
    out = []
    for item in native:
        for a in (item if isinstance(item, (list, tuple)) else (item,)):
            shape = np.shape(a) if hasattr(a, "shape") or isinstance(a, (list, tuple)) else None
            if shape is None:
                return None
            out.append(tuple(shape))
    return out


def structure_pattern(conv, net, native) -> Optional[Tuple[str, str]]:
    """(cause, words) when the returned arrays are the expected ones in another order or transposed."""
    got = _returned_shapes(native)
    expected = [tuple(shape) for _, _, shape in native_shapes(conv, net)]
    if got is None or len(got) != len(expected) or got == expected:
        return None
    per = 1 if conv.bias in ("folded", "none") else 2
    layers = [expected[i:i + per] for i in range(0, len(expected), per)]
    if net.L > 1 and got == [s for layer in reversed(layers) for s in layer]:
        return "layer_shift", ("the layers' gradients come in reverse order: layer l holds the arrays of layer "
                               "L + 1 - l (a list built from the output backwards and never reversed)")
    for shift in (1, -1):
        moved = [layers[l + shift] if 0 <= l + shift < len(layers) else None for l in range(len(layers))]
        if all(m is None or m == g for m, g in zip(moved, [got[i:i + per] for i in range(0, len(got), per)])) \
                and any(m is not None for m in moved):
            return "layer_shift", f"layer l returns arrays shaped like layer l {'+' if shift > 0 else '-'} 1's (an index shift)"
    w_index = [i for i, (_, name, _) in enumerate(native_shapes(conv, net)) if name in ("W", "W|b")]
    if all(got[i] == expected[i][::-1] or got[i] == expected[i] for i in w_index) and \
            all(got[i] == expected[i] for i in range(len(expected)) if i not in w_index):
        return "transposed", "every wrongly shaped dC/dW is the transpose of the expected matrix (delta a^T written as a delta^T)"
    return None


def _call_cause(ctx: Context, err, probes, flags, d: Diagnosis, p, native=None):
    if err.category == "wrong_structure" and native is not None:
        pattern = structure_pattern(ctx.impl.conventions, p.net, native)
        if pattern is not None:
            return pattern[0], f"{err.message}: {pattern[1]}"
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
    """(cause, words) when identical calls differ beyond the rounding of a reordered sum: a constant drift
    between calls is kept state (hidden_state, e.g. gradients accumulated across calls), anything else a
    random mask; else None."""
    results, outcomes = [], []
    for _ in range(calls + 1):  # fresh consecutive calls: nothing else runs in between
        again = ctx.call(ev.problem)
        if not again.ok:
            return None
        results.append(again.grads)
        outcomes.append(again)
    if all(first_difference(r, results[0], reordering_tolerance(ctx, ev.problem, outcomes[0], o)) is None
           for r, o in zip(results[1:], outcomes[1:])):
        return None  # within the rounding of a reordered sum: deterministic enough
    flat = [np.concatenate([a.ravel() for pair in r for a in pair]) for r in results]
    steps = [b - a for a, b in zip(flat, flat[1:])]
    if all(np.allclose(s, steps[0], rtol=1e-6, atol=1e-12) for s in steps[1:]) and np.any(steps[0] != 0):
        return "hidden_state", (f"each identical call adds the same increment (max {float(np.max(np.abs(steps[0]))):.3g})"
                                " to the result: state is accumulated across calls")
    beta = _carried_share(steps)
    if beta is not None:
        return "hidden_state", (f"each identical call changes the result by {beta:.4g} times the previous change: "
                                f"a share {beta:.4g} of the previous call's result is carried into the next "
                                "(momentum-like state kept between calls)")
    return "random_mask", f"{calls + 1} identical calls returned different values without a constant drift"


def _carried_share(steps) -> Optional[float]:
    """beta when successive changes between identical calls shrink or grow geometrically (d_k+1 = beta d_k)."""
    if len(steps) < 2 or not np.any(steps[0]):
        return None
    ratios = [float(b @ a) / float(a @ a) for a, b in zip(steps, steps[1:]) if float(a @ a) > 0]
    if len(ratios) < len(steps) - 1 or not 0 < abs(ratios[0]) < 1 - 1e-9:   # |beta| = 1: two values alternating
        return None
    fits = all(np.allclose(b, r * a, rtol=1e-6, atol=1e-12 * float(np.max(np.abs(a))))
               for (a, b), r in zip(zip(steps, steps[1:]), ratios))
    return ratios[0] if fits and np.allclose(ratios, ratios[0], rtol=1e-6) else None


def _numeric_cause(ctx: Context, ev: Evaluation, probes, flags, d: Diagnosis):
    """The cause of wrong numbers: state between calls, else the model that explains the error best."""
    nondet = nondeterminism(ctx, ev)
    if nondet is not None:
        return nondet
    failing = [ev] + [pr for name, pr in probes.items() if name in ("N=2", "N=3", "other n_L")
                      and pr.failed and pr.outcome.ok]
    decay = weight_decay(failing)   # the declared L2 term wrong (missing, doubled, scaled, on the biases)
    if decay:
        return decay
    found = explain_residual(ev, list(probes.values()), eta=ctx.eta if ctx.impl.train_step else None)
    best = found[0] if found else None
    if best is not None and best.consistent and best.fitted >= 1:
        return _named(d, best, found)
    masked = hypotheses.masked(ev)
    if masked:
        return masked
    if all(np.all(ev.outcome.grads[m.layer - 1][0 if m.param == "W" else 1] == 0) for m in ev.bad):
        return "all_zeros", CAUSES["all_zeros"]
    small = hypotheses.small_errors(ev, ctx.dtype)
    if small:
        return small
    if best is not None and best.explained >= NAME_AT and best.fitted >= 2:
        cause, words = _named(d, best, found)
        return cause, words + f" (fits {best.fitted} of the failing problems, not every probe)"
    if best is not None and best.explained >= 0.5:
        d.notes += (f"closest model: {best.words} (explains {best.explained:.0%} of the error)",)
        d.explained = best.explained
    return None, ""


def _named(d: Diagnosis, best, found):
    """Record the explanation ``best`` on ``d``: the share explained, the factor, the other consistent causes."""
    d.explained = best.explained
    d.extra["model"] = best.model.name
    if "c" in best.values:
        d.factor = best.values["c"]
    others = [e for e in found[1:] if e.consistent and e.cause != best.cause]
    d.candidates = tuple(dict.fromkeys(f"{e.cause} ({e.words})" if e.cause in ("scaled", "weight_decay") else e.cause
                                       for e in others))[:3]
    return best.cause, best.words


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
        return _call_cause(ctx, err, probes, flags, d, ev.problem, ev.outcome.native)
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


def _layout_words(ctx: Context, p) -> str:
    """'right for C-ordered inputs; wrong in Fortran order (raises); ...' on one problem, or ''."""
    base = ctx.call(p)
    if not base.ok:
        return ""
    out = ["right for C-ordered inputs"]
    for lay in ctx.impl.support.input_layouts[1:]:
        o = ctx.call(p, layout=lay)
        wrong = not o.ok or first_difference(base.grads, o.grads, reordering_tolerance(ctx, p, base, o)) is not None
        how = f" ({o.error.category})" if not o.ok else ""
        out.append(f"{'wrong' if wrong else 'right'} {LAYOUT_WORDS[lay]}{how}")
    return "; ".join(out)


def _layout_conditions(ctx: Context, p) -> Tuple[str, ...]:
    """The layouts' verdicts on the failing problem, and on a larger one whose every array is two-dimensional
    when the failing problem has a width-1 layer or N = 1 (there Fortran order is C order)."""
    out = [_layout_words(ctx, p)]
    if min(p.net.layer_sizes) == 1 or p.X.shape[1] == 1:
        q = layout_fixed_problem(ctx)
        if q is not None:
            out.append(f"on {q.describe()}: {_layout_words(ctx, q)}")
    return tuple(w for w in out if w and not w.endswith(": "))


def _size_diagnosis(ctx: Context, check: str, failure: CheckFailure, d: Diagnosis) -> bool:
    """Fill ``d`` from the size condition of a ladder failure; False when there is none (diagnose as usual)."""
    found = size_condition(ctx, failure)
    if found is None:
        return False
    ev, p = found.evaluation, found.evaluation.problem
    d.example = f"{p.describe()} (the smallest failing size the bisection found)"
    d.conditions = (found.words,)
    _locate(d, ev, CheckFailure("") if ev.bad else failure)
    d.cause, d.cause_text = found.cause, found.words
    if ev.outcome.ok and ev.bad and found.cause != "hidden_state":   # a common bug's gradient at that size
        d.candidates = tuple(dict.fromkeys(c for _, c in hypotheses.variants(ctx, [ev]) if c != found.cause))
    d.equation = equation_of(ev.bad, p.net.L)
    seed = ctx.seed_for(check)
    source = ladder_source(p, seed, ctx.dtype)
    ladder = failure.data["ladder"]
    if found.cause == "hidden_state":   # the largest call that left the state behind, before the failing one
        big = f"net, {ladder['after']}" if ladder["axis"] == "N" else \
            f"{p.net.replace(layer_sizes=[ladder['after']] * len(p.net.layer_sizes))!r}, {p.X.shape[1]}"
        source += ("\n# the ladder's largest call first; the smaller call below then fails"
                   f"\ngradient_of(impl, *round_problem(sized_problem({big}, seed={seed}), {ctx.dtype.name!r}))")
    d.rerun = rerun_command(ctx.impl, check, seed=ctx.seed, profile=ctx.profile)
    if d.layer is not None and d.param in ("W", "b") and d.index is not None:
        d.native = native_location(ctx.impl.conventions, p.net, d.layer, d.param, d.index,
                                   train_step=ctx.impl.train_step is not None)
    d.reproducer = reproducer(ctx.impl, check, p, eta=ctx.eta, extra=failure.repro, seed=ctx.seed, profile=ctx.profile,
                              source=source)
    return True


def diagnose_failure(ctx: Context, check: str, failure: CheckFailure) -> Diagnosis:
    """The Diagnosis of ``failure`` (raised by ``check`` on ``ctx.impl``)."""
    d = Diagnosis(check=check, impl=ctx.name)
    p = failure.problem
    if failure.hint == "import_error" or p is None:
        d.cause, d.cause_text = failure.hint, failure.message
        return d
    if "ladder" in failure.data and failure.hint != "timeout" and _size_diagnosis(ctx, check, failure, d):
        return d
    d.example = _example(p, failure)
    d.rerun = rerun_command(ctx.impl, check, seed=ctx.seed, profile=ctx.profile)
    if failure.example is not None and size_of(p) <= INLINE_LIMIT:   # for --save-failures
        encoded = encode_example(failure.example)
        if encoded is not None:
            d.extra["example"] = encoded
    if failure.hint == "timeout":
        d.cause, d.cause_text = "timeout", failure.call_error.message if failure.call_error else failure.message
        _finish(ctx, check, d, p, failure.repro)
        return d
    ev = evaluate(ctx, p)
    other = failure.data.get("other")
    if not ev.failed and other is not None:  # a property failed on its second problem: diagnose that one
        ev2 = evaluate(ctx, other)
        if ev2.failed:
            ev, p = ev2, other
            d.notes += (f"the implementation agrees with the reference on the example but not on {other.describe()}",)
    probes = {} if check in _NO_PROBES else run_probes(ctx, p)
    flags, conds = conditions(probes)
    d.conditions = tuple(conds) + (_layout_conditions(ctx, p) if failure.hint == "layout_dependent" else ())
    _locate(d, ev, failure)
    d.cause, d.cause_text = _cause(ctx, check, failure, ev, probes, flags, d)
    d.equation = _EQUATION.get(d.cause) or equation_of(ev.bad, p.net.L)
    if d.cause in _NO_EQUATION and d.extra.get("model") in ("scale[every array]", "clip", None):
        d.equation = None
    notes: List[str] = list(ev.outcome.warnings[:2])
    if failure.data.get("mutated"):
        notes += list(failure.data["mutated"])[:3]
    d.notes = d.notes + tuple(notes)
    _finish(ctx, check, d, p, failure.repro + _REPRO.get(d.cause, ()),
            got=ev.outcome.grads if ev.outcome.ok and ev.problem is p else None)
    return d


def _finish(ctx: Context, check: str, d: Diagnosis, p, extra, got=None) -> None:
    """The example exactly (and the implementation's gradient on it, in the reference's structure, for the
    report's heat maps), the location in the implementation's own layout, the reproducer."""
    d.problem = problem_dict(p) if size_of(p) <= INLINE_LIMIT else None
    if d.problem is not None and got is not None:
        d.problem["got"] = [[np.asarray(W, dtype=np.float64).tolist(), np.asarray(b, dtype=np.float64).tolist()]
                            for W, b in got]
    if d.layer is not None and d.param in ("W", "b") and d.index is not None:
        d.native = native_location(ctx.impl.conventions, p.net, d.layer, d.param, d.index,
                                   train_step=ctx.impl.train_step is not None)
    d.reproducer = reproducer(ctx.impl, check, p, eta=ctx.eta, extra=extra, seed=ctx.seed, profile=ctx.profile)
    staging = os.environ.get(REPRO_DIR_VAR)
    if staging and size_of(p) > INLINE_LIMIT:  # too large to print: the script and an .npz of its arrays
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{ctx.name}__{check}")
        path = Path(staging) / ".staged" / f"{safe}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_reproducer(path, ctx.impl, check, p, eta=ctx.eta, extra=extra, seed=ctx.seed, profile=ctx.profile)
        d.extra["repro_file"] = str(path)
