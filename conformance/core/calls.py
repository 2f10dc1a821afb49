"""Calling an implementation under test without letting it stop the run.

Every call gets fresh copies of its inputs in the implementation's conventions,
a per-call time limit, and captured stdout, stderr and warnings.  Whatever
happens (an exception, ``None``, a wrong structure, NaN, a hang, modified
inputs) is recorded in a ``CallOutcome`` instead of propagating.

Time limit: SIGALRM (``signal.setitimer``) in the main thread, where pytest and
pytest-xdist workers run tests; it interrupts Python code, including
``time.sleep`` and Python-level loops.  It cannot interrupt a single long call
into C (a huge BLAS call, a C extension's loop): the alarm is handled when the
call returns.  Outside the main thread, or without SIGALRM (Windows), the call
runs in a daemon thread that is abandoned after the limit; it keeps running in
the background, but the verdict is given and the run goes on.
"""
from __future__ import annotations

import io
import signal
import threading
import time
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import numpy as np

from conformance.dropin.adapters import (ETA, StructureError, _flat_native, gradient_from_native, loss_factor,
                                  native_shapes, native_to_reference, to_native)
from conformance.dropin.protocol import Implementation
from conformance.core.tolerances import recovery_bound
from reference.network import Network, Params

__all__ = ["DEFAULT_TIME_LIMIT", "CallTimeout", "CallError", "CallOutcome", "run_limited",
           "call_gradient", "call_loss", "first_non_finite"]

DEFAULT_TIME_LIMIT = 5.0


class CallTimeout(BaseException):
    """Raised inside the implementation by the alarm; a BaseException so ``except Exception`` cannot swallow it."""


@dataclass(frozen=True)
class CallError:
    """What went wrong in one call: category is raises, timeout, wrong_structure or non_finite."""

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
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def _on_alarm(signum, frame):
    raise CallTimeout()


@contextmanager
def _alarm(seconds: float):
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _can_alarm() -> bool:
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


def _describe(exc: BaseException) -> str:
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        where = f" (at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {tb.tb_frame.f_code.co_name})"
        tb = tb.tb_next
    return f"{type(exc).__name__}: {exc}{where}"


def _threaded(fn: Callable, seconds: float):
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: B902 - reported, never re-raised here
            box["exc"] = exc
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CallTimeout()
    if "exc" in box:
        raise box["exc"]
    return box.get("value")


def run_limited(fn: Callable, seconds: Optional[float]):
    """(value, error message or None, category, captured output, warnings, seconds) of ``fn()``."""
    buf, t0 = io.StringIO(), time.perf_counter()
    value, message, category = None, None, None
    with warnings.catch_warnings(record=True) as caught, redirect_stdout(buf), redirect_stderr(buf):
        warnings.simplefilter("always")
        try:
            if seconds is None:
                value = fn()
            elif _can_alarm():
                with _alarm(seconds):
                    value = fn()
            else:
                value = _threaded(fn, seconds)
        except CallTimeout:
            how = "" if _can_alarm() else " (thread fallback: the call was abandoned and may still be running)"
            message, category = f"no result within the time limit of {seconds:g} s per call{how}", "timeout"
        except (Exception, SystemExit) as exc:
            message, category = f"raised {_describe(exc)}", "raises"
    notes = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return value, message, category, buf.getvalue(), notes, time.perf_counter() - t0


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


def _snapshot(native, Xn, Yn, conv, net, with_params: bool):
    items = [("X", Xn), ("Y", Yn)]
    if with_params:
        items += list(zip(_labels(conv, net), _flat_native(conv, net, native)))
    return [(label, arr, arr.copy()) for label, arr in items]


def _mutations(snapshot) -> Tuple[str, ...]:
    out = []
    for label, arr, before in snapshot:
        if arr.shape != before.shape or not np.array_equal(arr, before, equal_nan=True):
            if arr.shape != before.shape:
                out.append(f"{label} changed shape from {before.shape} to {arr.shape}")
                continue
            idx = tuple(int(i) for i in np.argwhere(~((arr == before) | (np.isnan(arr) & np.isnan(before))))[0])
            out.append(f"{label}{list(idx)} changed from {before[idx]!r} to {arr[idx]!r}")
    return tuple(out)


def _dtype_problems(conv, net, native) -> Tuple[str, ...]:
    out = []
    for label, item in zip(_labels(conv, net), _flat_native(conv, net, native)):
        dt = getattr(item, "dtype", None)
        if dt != np.dtype(conv.dtype):
            got = dt if dt is not None else type(item).__name__
            out.append(f"dC/d{label} is {got}; declared {conv.dtype}")
    return tuple(out)


def call_gradient(impl: Implementation, net: Network, params: Params, X, Y, *, eta: float = ETA,
                  time_limit: Optional[float] = DEFAULT_TIME_LIMIT) -> CallOutcome:
    """Call the implementation once on (params, X, Y) given in reference conventions."""
    conv, N = impl.conventions, np.shape(X)[1]
    native, Xn, Yn = to_native(impl, net, params, X, Y)
    snap = _snapshot(native, Xn, Yn, conv, net, with_params=impl.gradient is not None)
    kwargs = impl.keywords(net)
    if impl.gradient is not None:
        fn = lambda: impl.gradient(native, Xn, Yn, **kwargs)  # noqa: E731
    else:
        fn = lambda: impl.train_step(native, Xn, Yn, eta, **kwargs)  # noqa: E731
    limit = impl.time_limit if impl.time_limit is not None else time_limit
    value, message, category, output, notes, secs = run_limited(fn, limit)
    out = CallOutcome(output=output, warnings=notes, seconds=secs, mutated=_mutations(snap), native=value)
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
