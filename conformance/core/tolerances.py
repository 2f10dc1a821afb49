"""Tolerances between an implementation and the truth, from the written error model.

The reference's ``gradient_error_bound(net, params, X, Y, dtype=...)`` bounds the
rounding error of a gradient computed in ``dtype`` as the reference computes
it.  Conformance needs a bound for *any* reasonable evaluation, so two terms
are added here:

1. sigma and sigma' evaluated to absolute accuracy.  The reference evaluates
   sigma(z) with full relative precision and sigma'(z) as e / (1 + e)^2.  Common
   correct code does not: a (1 - a) with a = fl(sigma(z)) has an absolute error
   up to about u a (1 - a rounds to 0 for z > 37 in float64, z > 17 in float32),
   and sigma(z) = (1 + tanh(z / 2)) / 2 has an absolute error of order u even
   where sigma(z) is 1e-10.  Both are exact up to absolute rounding, far above
   the reference's relative bound once units saturate.  So every sigmoid
   activation gets an absolute error C_A u (C_A = 16) and every derivative
   computed from it C_A u a + |1 - 2a| e_a, propagated to the gradients to first
   order (``activation_evaluation_bound``; the equations are in its docstring),
   times the reference's safety factor 2 (an identity output has no sigma).

2. A gradient recovered from a training step (``recovery_bound``).  The step
   computes theta' = fl(theta - fl(eta g)) in the working dtype (unit roundoff
   u_d); the suite computes g~ = (theta - theta') / eta in float64 with eta a
   power of two.  With fl(eta g) = eta g (1 + d1) and theta' = (theta - eta g (1 + d1))(1 + d2),

       |g~ - g| <= u_d |g| + u_d |theta'| / eta + u_64 |theta - theta'| / eta,

   where the middle term is the cancellation of the subtraction: absolute,
   not relative to g, and the reason eta is large (2^10).  Two more u_d |g|
   cover steps written as (eta / N) sum_i g_i, and the safety factor is 2.
   Dividing by the loss factor k (sum reduction, mse) rescales the bound.

Between an implementation in dtype d and the float64 reference:

    tolerance = implementation_bound(d) + reference_bound(float64) + recovery + 4 u_64 |g|

where implementation_bound(d) = gradient_error_bound(d) + the sigma' term (1),
and the last term covers the suite's own rescaling by 1/k in float64.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from reference.error_model import (SAFETY, forward_errors, gradient_error_bound, kink_mask, slope_below_kink,
                                   unit_roundoff)
from reference.forward import activation_prime, forward
from reference.losses import output_error
from reference.validation import check_inputs, check_params
from reference.network import Network, Params
from reference.training import copy_params

__all__ = ["C_A", "activation_evaluation_bound", "sigma_prime_evaluation_bound", "implementation_bound", "reference_bound",
           "recovery_bound", "agreement_tolerance", "repeat_tolerance", "forward_error",
           "zero_residual_bound", "own_scale_bound", "add", "scale", "zeros_like", "floor"]

C_A = 16.0
U64 = unit_roundoff(np.float64)


def add(*bounds: Optional[Params]) -> Params:
    """Entrywise sum of several bounds (None entries are skipped)."""
    bounds = [b for b in bounds if b is not None]
    out = copy_params(bounds[0])
    for other in bounds[1:]:
        out = [(W + oW, b + ob) for (W, b), (oW, ob) in zip(out, other)]
    return out


def scale(bound: Params, c: float) -> Params:
    """c times a bound."""
    return [(c * W, c * b) for W, b in bound]


def zeros_like(params: Params) -> Params:
    """A zero bound in the shapes of ``params``."""
    return [(np.zeros_like(W, dtype=np.float64), np.zeros_like(b, dtype=np.float64)) for W, b in params]


def floor(dtype) -> float:
    """The error model's absolute floor for underflow in ``dtype`` (2^10 times the smallest normal)."""
    return 2.0 ** 10 * float(np.finfo(np.dtype(dtype)).tiny)


def _evaluated_activation(net: Network, l: int, fp, prop: np.ndarray, u: float):
    """(e_a^l, e_s^l) of term (1) at layer l from the propagated error ``prop`` = |W^l| e_a^{l-1}."""
    z, a = fp.z(l), fp.a(l)
    if l == net.L and net.output == "identity":
        return prop, np.zeros_like(z)
    if l == net.L and net.output == "softmax":
        return a * (prop + np.sum(a * prop, axis=0, keepdims=True)) + C_A * u, np.zeros_like(z)
    if l == net.L or net.hidden == "sigmoid":
        e_a = activation_prime(net, l, z) * prop + C_A * u
        return e_a, C_A * u * np.abs(a) + np.abs(1 - 2 * a) * e_a
    if net.hidden == "tanh":
        e_a = activation_prime(net, l, z) * prop + C_A * u
        return e_a, C_A * u + 2.0 * np.abs(a) * e_a
    kink = kink_mask(net, l, z, prop)
    return np.maximum(activation_prime(net, l, z), kink) * prop, kink * (1.0 - slope_below_kink(net))


def _evaluated_output_error(net: Network, fp, Y: np.ndarray, e_a: list, e_s: list):
    """(delta^L, its error from term (1)): BP1 case by case, as ``reference.losses.output_error``."""
    L = net.L
    z, a = fp.z(L), fp.a(L)
    r = a - Y
    delta = output_error(net, z, a, Y)
    if net.loss == "binary_cross_entropy":
        return delta, e_a[L]
    if net.loss == "categorical_cross_entropy":
        return delta, e_a[L] * np.sum(np.abs(Y), axis=0, keepdims=True)
    if net.output == "softmax":
        q = np.sum(a * r, axis=0, keepdims=True)
        e_q = np.sum(e_a[L] * np.abs(r) + a * e_a[L], axis=0, keepdims=True)
        return delta, e_a[L] * np.abs(r - q) + a * (e_a[L] + e_q)
    s = activation_prime(net, L, z)
    return delta, e_a[L] * s + np.abs(r) * e_s[L]


def activation_evaluation_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> Params:
    """Term (1) of the module docstring: activations evaluated to absolute (not relative) accuracy.

    Forward, e_a^0 = 0 and for a sigmoid layer e_a^l = s^l (|W^l| e_a^{l-1}) + C_A u
    (identity output: |W^L| e_a^{L-1}); the derivative computed from a has
    e_s^l = C_A u a^l + |1 - 2 a^l| e_a^l.  Backward, first order:

        e(delta^L) = e_a^L s^L + |a^L - y| e_s^L
        e(delta^l) = (|W^{l+1}|^T e(delta^{l+1})) s^l + |(W^{l+1})^T delta^{l+1}| e_s^l
        e(dC/dW^l) = (e(delta^l) |a^{l-1}|^T + |delta^l| (e_a^{l-1})^T) / N,  e(dC/db^l) = sum_i e(delta^l_i) / N

    Other layers (issue 16): tanh as the sigmoid with e_s = C_A u + 2 |a| e_a (1 - a^2 from a);
    relu, leaky_relu and identity hidden layers are exact given z (e_a = s |W| e_a^{l-1}, or the whole of
    it where |z| is within it of the kink, where e_s = 1 - s_-); a softmax output
    e_a = a (p + a . p) + C_A u, p = |W^L| e_a^{L-1}; BP1 of the cross-entropies e_a (times sum |y|),
    of the softmax with the squared error e_a |r - a . r| + a (e_a + sum (e_a |r| + a e_a)).
    A network without biases has exact (zero) bias gradients.
    """
    u = unit_roundoff(dtype)
    fp = forward(net, params, X)
    L, N = net.L, fp.a(0).shape[1]
    Ws = [np.asarray(W, dtype=np.float64) for W, _ in params]
    e_a, e_s = [np.zeros_like(fp.a(0))], [None]
    for l in range(1, L + 1):
        ea, es = _evaluated_activation(net, l, fp, np.abs(Ws[l - 1]) @ e_a[-1], u)
        e_a.append(ea)
        e_s.append(es)
    delta, e_delta = _evaluated_output_error(net, fp, np.asarray(Y, dtype=np.float64), e_a, e_s)
    out = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            back = Ws[l].T @ delta
            s_l = activation_prime(net, l, fp.z(l))
            through = s_l + e_s[l] if net.kinked else s_l
            e_delta = (np.abs(Ws[l]).T @ e_delta) * through + np.abs(back) * e_s[l]
            delta = back * s_l
        eW = (e_delta @ np.abs(fp.a(l - 1)).T + np.abs(delta) @ e_a[l - 1].T) / N
        eb = SAFETY * e_delta.sum(axis=1) / N if net.bias else np.zeros(net.n(l))
        out[l - 1] = (SAFETY * eW, eb)
    return out


sigma_prime_evaluation_bound = activation_evaluation_bound  # the earlier, narrower name


def implementation_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> Params:
    """Bound on the rounding error of any reasonable evaluation of the gradient in ``dtype``."""
    return add(gradient_error_bound(net, params, X, Y, dtype=dtype),
               activation_evaluation_bound(net, params, X, Y, dtype=dtype))


def reference_bound(net: Network, params: Params, X, Y) -> Params:
    """Bound on the float64 reference's own rounding error."""
    return gradient_error_bound(net, params, X, Y, dtype=np.float64)


def recovery_bound(before: Params, after: Params, *, eta: float, k: float = 1.0, dtype=np.float64) -> Params:
    """Term (2): error of g = (theta - theta') / eta / k recovered from a training step in ``dtype``."""
    u = unit_roundoff(dtype)
    out = []
    for (Wb, bb), (Wa, ba) in zip(before, after):
        pair = []
        for b_, a_ in ((Wb, Wa), (bb, ba)):
            diff = np.abs(b_ - a_)
            g_native = diff / eta
            e = 3.0 * u * g_native + u * np.abs(a_) / eta + U64 * diff / eta
            pair.append(SAFETY * e / k)
        out.append(tuple(pair))
    return out


def agreement_tolerance(net: Network, params: Params, X, Y, *, dtype, expected: Params,
                        recovery: Optional[Params] = None, reference: bool = True) -> Params:
    """The tolerance between an implementation in ``dtype`` and a float64 oracle (see the docstring).

    ``reference=False`` drops the reference's own bound (for exact oracles such
    as the symbolic vectors).
    """
    ref = reference_bound(net, params, X, Y) if reference or np.dtype(dtype) == np.float64 else None
    own = ref if np.dtype(dtype) == np.float64 else gradient_error_bound(net, params, X, Y, dtype=dtype)
    parts = [own, activation_evaluation_bound(net, params, X, Y, dtype=dtype),
             [(4 * U64 * np.abs(W), 4 * U64 * np.abs(b)) for W, b in expected], recovery]
    if reference:
        parts.append(ref)   # implementation_bound(dtype) + reference_bound, the float64 bound computed once
    return add(*parts)


def repeat_tolerance(net: Network, params: Params, X, Y, *, dtype, recoveries=()) -> Params:
    """How far two correct evaluations of the same gradient in ``dtype`` may differ.

    Each lies within implementation_bound(dtype) of the exact gradient whatever the
    order of its sums (gamma_n bounds every order), so two of them differ by at most
    twice that bound, plus each call's recovery term for a training step: the
    rounding of a reordered (unordered, parallel, blocked) sum, and nothing more.
    """
    return add(scale(implementation_bound(net, params, X, Y, dtype=dtype), 2.0), *recoveries)


def forward_error(net: Network, params: Params, X, *, dtype=np.float64):
    """(forward pass, [e(a^l) for l = 0..L]) from the forward part of the error model in ``dtype``."""
    params = check_params(net, params)
    fp, e_a, _ = forward_errors(net, params, check_inputs(net, X), dtype)
    return fp, e_a


def _largest_slope(net: Network, l: int) -> float:
    """An upper bound on how much layer l's delta scales a residual: max f' (1/4 for sigma, 1 for tanh,
    relu, leaky_relu, identity), at the output 1/4 for the sigmoid's squared error, 1/2 for the softmax's
    (the row sums of |J|, J = diag(a) - a a^T), 1 for the cross-entropies and the identity."""
    if l < net.L:
        return 0.25 if net.hidden == "sigmoid" else 1.0
    if net.loss != "half_sse" or net.output == "identity":
        return 1.0
    return 0.5 if net.output == "softmax" else 0.25


def zero_residual_bound(net: Network, params: Params, X, *, dtype=np.float64) -> Params:
    """Bound on the gradient at Y = a^L (zero residual) for ANY activation derivative evaluation.

    The computed residual is at most e(a^L) + u |a^L| (the implementation's own
    forward pass against the targets); it is propagated with the largest slope of
    each layer (``_largest_slope``: sigma' <= 1/4) in place of f'(z), so the bound
    holds whatever derivative the code uses:

        e(delta^L) = (e(a^L) + u |a^L|) s_max,  e(delta^l) = (|W^{l+1}|^T e(delta^{l+1})) s_max

    With the categorical cross-entropy delta = a sum(y) - y, and the targets a^L rounded to
    the dtype sum to 1 within (n_L + 2) u: that much of a^L is added.  The L2 term is not part
    of this bound (it is the implementation's own, exact, term).
    """
    u = unit_roundoff(dtype)
    fp, e_a = forward_error(net, params, X, dtype=dtype)
    L, N = net.L, fp.a(0).shape[1]
    e_delta = (e_a[-1] + 2 * u * np.abs(fp.a(L))) * _largest_slope(net, L)
    if net.loss == "categorical_cross_entropy":
        e_delta = e_delta + (net.n(L) + 2) * u * np.abs(fp.a(L))
    out = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            e_delta = (np.abs(np.asarray(params[l][0], dtype=np.float64)).T @ e_delta) * _largest_slope(net, l)
        eb = SAFETY * e_delta.sum(axis=1) / N + floor(dtype) if net.bias else np.full(net.n(l), floor(dtype))
        out[l - 1] = (SAFETY * e_delta @ np.abs(fp.a(l - 1)).T / N + floor(dtype), eb)
    return out


def own_scale_bound(grads: Params, *, dtype, n: int) -> Params:
    """Self-consistency allowance 32 n u max|g| per array: rounding relative to the implementation's own values.

    Used where an implementation is compared with itself (permuted or duplicated
    batches, per-sample means, permuted units): a wrong implementation has values
    the reference's bound does not describe, but still must be consistent.
    """
    u = unit_roundoff(dtype)
    return [tuple(np.full(np.shape(a), 32.0 * n * u * float(np.max(np.abs(a), initial=0.0))) for a in pair)
            for pair in grads]
