"""A written error model: entrywise bounds on the rounding error of a computed gradient.

Why: two correct implementations never agree bit for bit (summation order, BLAS
blocking, FMA, exp implementations), and a float32 implementation differs from
the float64 reference by far more.  A tolerance must follow from the
arithmetic, not be a guessed constant.  This module propagates first-order
rounding-error bounds through the forward pass and BP1-BP4, in the standard
model fl(x op y) = (x op y)(1 + d), |d| <= u, where u is the unit roundoff of the
working dtype (2^-53 for float64, 2^-24 for float32) and a length-n dot product
has |fl(x.y) - x.y| <= gamma_n |x|.|y|, gamma_n = n u / (1 - n u).

Forward, with e(.) the bound on the absolute error of a computed quantity:

    e(z^l) = gamma_{n_{l-1}+2} (|W^l| a^{l-1} + |b^l|) + |W^l| e(a^{l-1})
    e(a^l) = sigma'(z^l) e(z^l) + c_s u a^l           (identity output: e(a^L) = e(z^L))

(the +2 covers rounding of the stored inputs when the working dtype is not
float64), and e(a^0) = u |X| when inputs are rounded to the working dtype.
Since |sigma''| <= sigma', sigma'(z^l) computed from z has error at most
sigma'(z^l) (e(z^l) + c_s u); computed as a^l (1 - a^l), the documents' way,
it also inherits the absolute error of a^l, which near saturation is far
larger relative to sigma' (about u e^|z|).  Both ways are correct code, so

    e(s^l) = sigma'(z^l) (e(z^l) + c_s u) + e(a^l).

Backward:

    BP1  e(delta^L) = [e(a^L) + u |a^L - y|] s^L + |a^L - y| e(s^L) + u |delta^L|
    BP2  e(delta^l) = [gamma_{n_{l+1}} |W^{l+1}|^T |delta^{l+1}| + |W^{l+1}|^T e(delta^{l+1})] s^l
                      + |(W^{l+1})^T delta^{l+1}| e(s^l) + u |delta^l|
    BP3  e(dC/db^l) = (1/N) [gamma_N sum_i |delta^l_i| + sum_i e(delta^l_i)] + u |dC/db^l|
    BP4  e(dC/dW^l) = (1/N) [gamma_N |delta^l| (a^{l-1})^T + e(delta^l) (a^{l-1})^T
                      + |delta^l| e(a^{l-1})^T] + u |dC/dW^l|

with s^l = sigma'(z^l) (1 at an identity output) and c_s = 8 for the few
roundings inside sigma and sigma'.  The bound is evaluated in float64 from the
float64 forward pass; second-order terms are covered by a safety factor of 2,
and an absolute floor of 2^10 times the smallest normal number of the working
dtype covers underflow (sigma' of |z| > 700 is subnormal in float64).
"""
from __future__ import annotations

import numpy as np

from reference.forward import activation_prime, forward_unchecked
from reference.network import Network, Params
from reference.validation import check_data, check_params

__all__ = ["unit_roundoff", "gamma", "gradient_error_bound", "loss_error_bound", "SAFETY",
           "SIGMA_ROUNDINGS"]

SAFETY = 2.0
SIGMA_ROUNDINGS = 8.0


def unit_roundoff(dtype) -> float:
    """u = 2^-(p) for a floating dtype with p-bit significand: 2^-53 float64, 2^-24 float32."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2.0


def gamma(n: int, u: float) -> float:
    """gamma_n = n u / (1 - n u), the bound for a length-n sum or dot product."""
    nu = n * u
    if nu >= 1.0:
        raise ValueError(f"gamma_{n} undefined for u = {u}: n u >= 1")
    return nu / (1.0 - nu)


def _forward_errors(net: Network, params: Params, X: np.ndarray, dtype):
    """The float64 forward pass and the bounds e(a^l) (l = 0..L), e(z^l) (index l; e_z[0] unused)."""
    u = unit_roundoff(dtype)
    fp = forward_unchecked(net, params, X)
    e_a = [u * np.abs(X) if np.dtype(dtype) != np.float64 else np.zeros_like(X)]
    e_z = [None]
    for l in range(1, net.L + 1):
        W, b = params[l - 1]
        g = gamma(net.n(l - 1) + 2, u)
        ez = g * (np.abs(W) @ np.abs(fp.a(l - 1)) + np.abs(b)[:, None]) + np.abs(W) @ e_a[l - 1]
        s = activation_prime(net, l, fp.z(l))
        identity = l == net.L and net.output == "identity"
        e_a.append(ez if identity else s * ez + SIGMA_ROUNDINGS * u * np.abs(fp.a(l)))
        e_z.append(ez)
    return fp, e_a, e_z


def loss_error_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> float:
    """Bound on |computed - exact| C for C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 in ``dtype``.

    e(C) = (1/N) sum [|r| (e(a^L) + u |r|) + e(a^L)^2 / 2] + gamma_{n_L N + 2} C, r = a^L - y,
    times SAFETY.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    u = unit_roundoff(dtype)
    fp, e_a, _ = _forward_errors(net, params, X, dtype)
    r = np.abs(fp.a(net.L) - Y) + (u * np.abs(Y) if np.dtype(dtype) != np.float64 else 0.0)
    C = 0.5 * float(np.sum(r * r)) / X.shape[1]
    e_aL = e_a[net.L]
    e = float(np.sum(r * (e_aL + u * r) + 0.5 * e_aL * e_aL)) / X.shape[1] + gamma(r.size + 2, u) * C
    return SAFETY * e + float(np.finfo(np.dtype(dtype)).tiny)


def gradient_error_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> Params:
    """Entrywise bounds [(E_W^l, E_b^l)] on |computed - exact| dC/dW^l, dC/db^l in ``dtype``.

    Two correct implementations in dtypes p and q differ by at most the sum of
    their bounds; use ``bound(p) + bound(q)`` as the tolerance between them.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    u = unit_roundoff(dtype)
    fp, e_a, e_z = _forward_errors(net, params, X, dtype)
    L, N = net.L, X.shape[1]

    def e_s(l: int) -> np.ndarray:
        if l == L and net.output == "identity":
            return np.zeros_like(fp.z(l))
        return activation_prime(net, l, fp.z(l)) * (e_z[l] + SIGMA_ROUNDINGS * u) + e_a[l]

    r = fp.a(L) - Y
    s = activation_prime(net, L, fp.z(L))
    delta = r * s
    e_delta = (e_a[L] + u * np.abs(r)) * s + np.abs(r) * e_s(L) + u * np.abs(delta)
    bounds = [None] * L
    gN = gamma(N, u)
    floor = 2.0 ** 10 * float(np.finfo(np.dtype(dtype)).tiny)
    for l in range(L, 0, -1):
        if l < L:
            W_next = params[l][0]
            back = W_next.T @ delta
            s = activation_prime(net, l, fp.z(l))
            e_back = gamma(net.n(l + 1), u) * (np.abs(W_next).T @ np.abs(delta)) + np.abs(W_next).T @ e_delta
            delta = back * s
            e_delta = e_back * s + np.abs(back) * e_s(l) + u * np.abs(delta)
        a_prev = np.abs(fp.a(l - 1))
        gW = np.abs(delta @ fp.a(l - 1).T) / N
        eW = (gN * np.abs(delta) @ a_prev.T + e_delta @ a_prev.T + np.abs(delta) @ e_a[l - 1].T) / N + u * gW
        eb = (gN * np.abs(delta).sum(axis=1) + e_delta.sum(axis=1)) / N + u * np.abs(delta.sum(axis=1)) / N
        bounds[l - 1] = (SAFETY * eW + floor, SAFETY * eb + floor)
    return bounds
