"""Single-point assertions: one suspicious batch, in a notebook or a test, no Hypothesis.

    assert_gradient(gradient_fn, params, X, Y, **conventions)
        the implementation's gradient on exactly this problem, given in its own conventions, against
        the reference (the error model's tolerance) and along random directions against finite
        differences of the reference loss; raises AssertionError with the same finding text as the
        command line (where, the cause, the reproducer)
    assert_gradients_close(got, expected, dtype="float64", params=None, X=None, Y=None)
        two gradients in the reference structure [(dC/dW^l, dC/db^l)], within the error model's bound
        when the problem is given, else within a relative bound 32 n u max|expected| per array

Conventions are the keywords of ``conformance.implementation`` (samples, weights, bias, reduction,
loss_kind, layout, dtype, output, and the model: hidden, l2, l2_bias, slope).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from conformance.checks.agreement import agreement_failure
from conformance.checks.finite_differences import directional_failure
from conformance.core.assertions import assert_gradients_close as _assert_close
from conformance.core.context import Context
from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem, model_network
from conformance.core.tolerances import agreement_tolerance, own_scale_bound
from conformance.diagnosis import diagnose_failure
from conformance.dropin.adapters import native_to_reference
from conformance.dropin.protocol import Implementation, implementation
from conformance.run.report import format_verdict
from conformance.run.verdicts import Verdict
from reference.network import Network
from reference.validation import check_data

__all__ = ["assert_gradient", "assert_gradients_close", "problem_of"]


def _weights(conv, params) -> list:
    """The weight matrices of a native parameter list (pairs, flat, or W alone with the bias folded in)."""
    if conv.bias in ("folded", "none"):
        return list(params)
    if conv.layout == "flat":
        return list(params)[0::2]
    return [pair[0] for pair in params]


def problem_of(impl: Implementation, params, X, Y, *, output: Optional[str] = None,
               hidden: Optional[str] = None) -> Problem:
    """The problem in the reference conventions from arrays in the implementation's own (validated), on the
    declared model (``output`` and ``hidden`` choose among several declared activations)."""
    conv = impl.conventions
    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError(f"params must be a non-empty list in the declared layout ({conv.layout}), "
                         f"got {type(params).__name__}")
    shapes = [np.shape(W) for W in _weights(conv, params)]
    if any(len(s) != 2 for s in shapes):
        raise ValueError(f"every W must be a matrix; got shapes {shapes}")
    outs = [s[0] if conv.weights == "out_in" else s[1] for s in shapes]
    n_0 = shapes[0][1] if conv.weights == "out_in" else shapes[0][0]
    n_0 -= conv.bias == "folded"
    sup = impl.support
    net = model_network(sup, [n_0] + outs, output or sup.outputs[0], hidden or sup.hiddens[0])
    ref_params = native_to_reference(conv, net, params)
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    rows = conv.samples == "rows"
    for what, arr, n in (("X", X, net.n(0)), ("Y", Y, net.n(net.L))):
        want = f"(N, {n})" if rows else f"({n}, N)"
        if arr.ndim != 2 or arr.shape[1 if rows else 0] != n or arr.shape[0 if rows else 1] < 1:
            raise ValueError(f"{what} has shape {arr.shape}; expected {want} (samples as {conv.samples}) for the "
                             f"network {net.layer_sizes} read from params")
    if rows:
        X, Y = X.T, Y.T
    X, Y = check_data(net, X, Y)
    return Problem(net, ref_params, np.array(X), np.array(Y))


def assert_gradient(gradient_fn: Callable, params, X, Y, *, name: str = "gradient", seed: int = 0,
                    output: Optional[str] = None, hidden: Optional[str] = None, **conventions) -> None:
    """AssertionError with the finding text unless ``gradient_fn`` is right on exactly (params, X, Y).

    ``gradient_fn`` may also be an ``Implementation`` (then no convention keywords are given).
    Checks: reference.agreement and finite_differences.directional on this one problem.  The model keywords
    of ``implementation`` (hidden=, loss_kind=, l2=, bias="none", ...) declare another network than the
    documents'; ``output`` and ``hidden`` choose among several declared activations.
    """
    chosen = {key: value for key, value in (("output", output), ("hidden", hidden)) if value is not None}
    impl = gradient_fn if isinstance(gradient_fn, Implementation) else \
        implementation(name, gradient=gradient_fn, **chosen, **conventions)
    ctx = Context(impl, profile="ci", seed=seed)
    p = ctx.model(problem_of(impl, params, X, Y, output=output, hidden=hidden))
    for check, run in (("reference.agreement", lambda: agreement_failure(ctx, "reference.agreement", p)),
                       ("finite_differences.directional",
                        lambda: directional_failure(ctx, "finite_differences.directional", p))):
        try:
            run()
        except CheckFailure as failure:
            if failure.problem is None:
                failure.problem = p
            failure.data["given"] = True
            verdict = Verdict(check, "fail", failure.message, diagnosis=diagnose_failure(ctx, check, failure))
            raise AssertionError(format_verdict(verdict)) from None


def assert_gradients_close(got: Sequence, expected: Sequence, *, dtype="float64", net: Optional[Network] = None,
                           params=None, X=None, Y=None, name: str = "gradient") -> None:
    """AssertionError listing the entries of ``got`` outside the bound around ``expected``.

    Both are [(dC/dW^l, dC/db^l)] in the reference structure.  With ``params``, ``X``, ``Y`` (and
    ``net``, else it is read from the shapes) the bound is the error model's agreement tolerance in
    ``dtype``; without them, 32 n u max|expected| per array (n the array's largest dimension plus 2,
    u the unit roundoff of ``dtype``), the allowance the suite uses to compare an implementation
    with itself.
    """
    got = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in got]
    expected = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in expected]
    if len(got) != len(expected):
        raise AssertionError(f"[{name}] got {len(got)} (dW, db) pairs; expected {len(expected)}")
    for l, ((gW, gb), (eW, eb)) in enumerate(zip(got, expected), start=1):
        for what, g, e in (("W", gW, eW), ("b", gb, eb)):
            if g.shape != e.shape:
                raise AssertionError(f"[{name}] layer {l}, dC/d{what}^{l} has shape {g.shape}; expected {e.shape}")
    if params is not None:
        net = net or Network([expected[0][0].shape[1]] + [W.shape[0] for W, _ in expected])
        bound = agreement_tolerance(net, params, X, Y, dtype=np.dtype(dtype), expected=expected)
    else:
        n = max(max(W.shape) for W, _ in expected) + 2
        bound = own_scale_bound(expected, dtype=np.dtype(dtype), n=n)
    _assert_close(got, expected, bound, impl=name, check="assert_gradients_close")
