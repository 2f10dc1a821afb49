"""Calling an implementation under test without letting it stop the run.

Every call gets fresh copies of its inputs in the implementation's conventions,
laid out in memory as the call asks (``layout="C"``, ``"F"`` or ``"strided"``: a
per-call option applied right before the call), a per-call time limit, and
captured stdout, stderr and warnings.  Whatever happens (an exception,
``None``, a wrong structure, NaN, a hang, modified inputs, results sharing
memory with the inputs) is recorded in a ``CallOutcome`` instead of propagating.

Two layers.  ``observe_call`` and ``observe_pair`` take only the user's callable
and its native arrays and return what ``run_limited`` returns plus the
observations (``conformance.isolation.observations``): they belong to the process
that runs the user's code.  ``call_gradient`` and ``call_gradient_pair`` take
reference conventions, translate at the edge and turn the observations into
words in the reference notation.

The call itself goes through ``conformance.isolation.invoke.invoke``, the one
function that runs user code and observes it (time limit, output, warnings),
in this process and in a worker process alike.  By default the implementation
runs in a worker process (``conformance.isolation``): its entry points here
are proxies, and the worker's observations (output, warnings, modified inputs
copied back into these arrays) come back with the result, so everything below
works the same in both modes.

Time limit: SIGALRM (``signal.setitimer``) in the main thread, where pytest and
pytest-xdist workers run tests.  In a worker process a call that does not stop
at its own alarm (the timer disabled, a long call into C) is killed from
outside.  In ``--in-process`` mode such a call cannot be interrupted: the alarm
is handled when it returns to Python.  Outside the main thread, or without
SIGALRM (Windows), the call runs in a daemon thread that is abandoned after the
limit; it keeps running in the background, but the verdict is given and the
run goes on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import numpy as np

from conformance.dropin.adapters import (ETA, StructureError, _flat_native, gradient_from_native, loss_factor,
                                  native_shapes, native_to_reference, to_native)
from conformance.dropin.protocol import Implementation
from conformance.isolation.observations import Watch, changed_since, hold, with_layout
from conformance.core.tolerances import recovery_bound
from conformance.isolation.invoke import CallTimeout, invoke, with_note
from conformance.isolation.remote import handle_of
from reference.network import Network, Params

__all__ = ["DEFAULT_TIME_LIMIT", "CallTimeout", "CallError", "CallOutcome", "run_limited", "observe_call",
           "observe_pair", "call_gradient", "call_gradient_pair", "call_loss", "first_non_finite",
           "describe_aliases", "describe_changes"]

DEFAULT_TIME_LIMIT = 5.0


@dataclass(frozen=True)
class CallError:
    """What went wrong in one call: category is raises, timeout, wrong_structure, non_finite, crashed, ..."""

    category: str
    message: str
    layer: Optional[int] = None
    param: Optional[str] = None
    index: Optional[tuple] = None
    expected_shape: Optional[tuple] = None
    got_shape: Optional[tuple] = None


@dataclass
class CallOutcome:
    """One call: reference-structured gradients (or an error) and what was observed around it."""

    grads: Optional[Params] = None
    error: Optional[CallError] = None
    output: str = ""
    warnings: Tuple[str, ...] = ()
    mutated: Tuple[str, ...] = ()
    dtypes: Tuple[str, ...] = ()
    recovery: Optional[Params] = None
    native: object = None
    aliases: Tuple[str, ...] = ()     # returned arrays sharing memory (or a container) with the inputs
    layouts: Tuple[str, ...] = ()     # the memory layouts of the input arrays the call received
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_limited(fn: Callable, seconds: Optional[float]):
    """(value, error message or None, category, captured output, warnings, seconds) of ``fn()``."""
    inv = invoke(fn, time_limit=seconds)
    notes = tuple(f"{category}: {message}" for category, message in inv.warnings)
    return inv.value, inv.message, inv.category, with_note(inv.output, inv.written), notes, inv.seconds


def first_non_finite(grads: Params):
    """(layer, "W" or "b", index) of the first non-finite entry, or None."""
    for l, pair in enumerate(grads, start=1):
        for name, arr in zip("Wb", pair):
            bad = np.argwhere(~np.isfinite(arr))
            if bad.size:
                return l, name, tuple(int(i) for i in bad[0])
    return None


def _labels(conv, net: Network):
    out = []
    for l, name, _ in native_shapes(conv, net):
        out.append(f"W^{l} with b^{l} folded in" if name == "W|b" else f"{name}^{l}")
    return out


def _dtype_problems(conv, net, native) -> Tuple[str, ...]:
    out = []
    for label, item in zip(_labels(conv, net), _flat_native(conv, net, native)):
        dt = getattr(item, "dtype", None)
        if dt != np.dtype(conv.dtype):
            got = dt if dt is not None else type(item).__name__
            out.append(f"dC/d{label} is {got}; declared {conv.dtype}")
    return tuple(out)


# --- In the process that runs the user's code: the callable and its native arrays only. ---------------

def observe_call(fn: Callable, inputs: tuple, *, seconds: Optional[float], watch=(0, 1, 2), alias=(0, 1, 2),
                 worker=None, layout: str = "C", flags: Optional[dict] = None):
    """``fn()`` on the native ``inputs`` (params, X, Y), and what it did to them.

    Returns (run_limited's tuple, observations): "mutated" (the watched input trees
    changed by the call), "aliases" (the result shares memory or a container with an
    ``alias`` input tree) and "layouts" (the memory layout of every input array received).
    With ``worker`` (the ``WorkerHandle`` behind ``fn``) the call runs there with the inputs
    laid out as ``layout`` and ``flags``, and the worker's own observations replace the ones
    made here on the copies it returned (modified inputs come back into ``inputs`` either way).
    """
    here = Watch(inputs, watch=watch, alias=alias)
    if worker is None:
        run = run_limited(fn, seconds)
        return run, here.after(run[0], run[1] is not None)
    with worker.observing(layout=layout, alias=list(alias), **(flags or {})) as there:
        run = run_limited(fn, seconds)
    seen = here.after(run[0], run[1] is not None)
    seen.update({key: there[key] for key in ("aliases", "layouts", "changes") if key in there})
    return run, seen


def observe_pair(first: Tuple[Callable, tuple], second: Tuple[Callable, tuple], *, seconds: Optional[float],
                 watch=(0, 1, 2), alias=(0, 1, 2), worker=None):
    """Two calls (callable, native inputs); the first call's result and inputs are held without copying
    (copies taken at once) and compared after the second: (run1, seen1, run2, seen2, changes), where
    changes are ``changed_since`` positions, tree 0 the first result and trees 1-3 its inputs.  With
    ``worker`` the worker holds and compares them, where the implementation could write into them."""
    kw = dict(seconds=seconds, watch=watch, alias=alias, worker=worker)
    run1, seen1 = observe_call(first[0], first[1], flags={"hold": True} if worker else None, **kw)
    held = hold([run1[0], *first[1]])
    run2, seen2 = observe_call(second[0], second[1], flags={"compare": True} if worker else None, **kw)
    if run1[1] is not None or run2[1] is not None:
        return run1, seen1, run2, seen2, []
    return run1, seen1, run2, seen2, seen2.pop("changes") if "changes" in seen2 else changed_since(held)


# --- In the process that runs the checks: reference conventions in, CallOutcome out. --------------------

def _prepared(impl: Implementation, net: Network, params: Params, X, Y, eta: float, layout: str):
    """(callable, native inputs): fresh arrays in the declared conventions, laid out as ``layout`` (a per-call
    option, applied right before the call), and the entry point bound to them."""
    native, Xn, Yn = with_layout(to_native(impl, net, params, X, Y), layout)
    kwargs = impl.keywords(net)
    if impl.gradient is not None:
        return (lambda: impl.gradient(native, Xn, Yn, **kwargs)), (native, Xn, Yn)
    return (lambda: impl.train_step(native, Xn, Yn, eta, **kwargs)), (native, Xn, Yn)


def _input_label(conv, net: Network, tree: int, leaf: int) -> str:
    return ("X", "Y")[tree - 1] if tree else _labels(conv, net)[leaf]


def _result_label(conv, net: Network, leaf: int) -> str:
    labels = _labels(conv, net)
    return f"dC/d{labels[leaf]}" if leaf < len(labels) else f"returned array #{leaf}"


def describe_aliases(impl: Implementation, net: Network, aliases) -> Tuple[str, ...]:
    """Words for ``shared_with_inputs`` positions: 'dC/dW^1 shares memory with the input X'."""
    conv, out = impl.conventions, []
    for kind, v, t, k in aliases:
        if kind == "container":
            what = "list of parameters" if t == 0 else ("X", "Y")[t - 1]
            out.append(f"the returned structure is the {what} handed in (its items were replaced, not copied)")
        else:
            out.append(f"{_result_label(conv, net, v)} shares memory with the input {_input_label(conv, net, t, k)}")
    return tuple(dict.fromkeys(out))


def _mutations(impl: Implementation, net: Network, changes) -> Tuple[str, ...]:
    out = []
    for t, k, idx, what, before, after in changes:
        label = _input_label(impl.conventions, net, t, k)
        out.append(f"{label} changed shape from {before} to {after}" if what == "shape"
                   else f"{label}{list(idx)} changed from {before!r} to {after!r}")
    return tuple(out)


def _outcome(impl: Implementation, net: Network, params: Params, X, Y, eta: float, run, seen, native) -> CallOutcome:
    conv, N = impl.conventions, np.shape(X)[1]
    value, message, category, output, notes, secs = run
    out = CallOutcome(output=output, warnings=notes, seconds=secs, mutated=_mutations(impl, net, seen["mutated"]),
                      native=value, aliases=describe_aliases(impl, net, seen["aliases"]),
                      layouts=tuple(sorted(set(seen["layouts"]))))
    if message is not None:
        out.error = CallError(category, message)
        return out
    try:
        if impl.gradient is not None:
            if value is None:
                raise StructureError("returned None instead of gradients")
            out.dtypes = _dtype_problems(conv, net, value)
            out.grads = gradient_from_native(impl, net, value, N=N)
        else:
            after_native = native if value is None else value
            out.dtypes = _dtype_problems(conv, net, after_native)
            before = native_to_reference(impl, net, to_native(impl, net, params, X, Y)[0])
            after = native_to_reference(impl, net, after_native)
            k = loss_factor(conv, net, N)
            out.grads = [((Wb - Wa) / eta / k, (bb - ba) / eta / k) for (Wb, bb), (Wa, ba) in zip(before, after)]
            out.recovery = recovery_bound(before, after, eta=eta, k=k, dtype=conv.dtype)
    except StructureError as exc:
        out.error = CallError("wrong_structure", f"returned the wrong structure: {exc}", layer=exc.layer,
                              param=exc.param, expected_shape=exc.expected_shape, got_shape=exc.got_shape)
        return out
    bad = first_non_finite(out.grads)
    if bad is not None:
        l, name, idx = bad
        value = out.grads[l - 1][0 if name == "W" else 1][idx]
        out.error = CallError("non_finite", f"returned a non-finite gradient: dC/d{name}^{l}{list(idx)} = {value!r}"
                              f" where the reference is finite", layer=l, param=name, index=idx)
    return out


def _watched(impl: Implementation) -> dict:
    """A gradient function must leave params, X and Y alone; a training step updates its params (tree 0)."""
    trees = (0, 1, 2) if impl.gradient is not None else (1, 2)
    return {"watch": trees, "alias": trees}


def call_gradient(impl: Implementation, net: Network, params: Params, X, Y, *, eta: float = ETA,
                  time_limit: Optional[float] = DEFAULT_TIME_LIMIT, layout: str = "C") -> CallOutcome:
    """Call the implementation once on (params, X, Y) given in reference conventions, the native
    input arrays laid out as ``layout`` ("C", "F" or "strided")."""
    fn, inputs = _prepared(impl, net, params, X, Y, eta, layout)
    limit = impl.time_limit if impl.time_limit is not None else time_limit
    run, seen = observe_call(fn, inputs, seconds=limit, worker=handle_of(impl), layout=layout, **_watched(impl))
    return _outcome(impl, net, params, X, Y, eta, run, seen, inputs[0])


def describe_changes(impl: Implementation, net: Network, changes) -> Tuple[Tuple[str, str], ...]:
    """("result" or "input", words) for ``observe_pair``'s changes: what of the first call the second changed."""
    out = []
    for t, k, idx, what, before, after in changes:
        label = _result_label(impl.conventions, net, k) if t == 0 else (
            "the parameter " + _input_label(impl.conventions, net, 0, k) if t == 1 else ("X", "Y")[t - 2])
        where = "" if idx is None else str(list(idx))
        out.append(("result" if t == 0 else "input",
                    f"{label}{where} of the first call changed from {before!r} to {after!r}"))
    return tuple(out)


def call_gradient_pair(impl: Implementation, net: Network, first: tuple, second: tuple, *, eta: float = ETA,
                       time_limit: Optional[float] = DEFAULT_TIME_LIMIT):
    """Two calls on (params, X, Y) of the same ``net`` in reference conventions: (outcome 1, outcome 2,
    what of the first call (its result, its inputs) the second call changed, in words)."""
    calls = [_prepared(impl, net, *problem, eta, "C") for problem in (first, second)]
    limit = impl.time_limit if impl.time_limit is not None else time_limit
    run1, seen1, run2, seen2, changes = observe_pair(calls[0], calls[1], seconds=limit, worker=handle_of(impl),
                                                     **_watched(impl))
    out1 = _outcome(impl, net, *first, eta, run1, seen1, calls[0][1][0])
    out2 = _outcome(impl, net, *second, eta, run2, seen2, calls[1][1][0])
    return out1, out2, describe_changes(impl, net, changes)


def call_loss(impl: Implementation, net: Network, params: Params, X, Y, *,
              time_limit: Optional[float] = DEFAULT_TIME_LIMIT):
    """(float value or None, error message or None, captured output) of impl.loss on one problem."""
    native, Xn, Yn = to_native(impl, net, params, X, Y)
    kwargs = impl.keywords(net)
    value, message, _, output, _, _ = run_limited(lambda: impl.loss(native, Xn, Yn, **kwargs), time_limit)
    if message is None:
        try:
            value = float(np.asarray(value).reshape(()))
        except Exception:
            return None, f"loss returned {type(value).__name__} {value!r:.80}, not one number", output
    return value, message, output
