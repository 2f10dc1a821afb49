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
roundings inside sigma and sigma'.

Other activations, losses and the L2 term (``Network(hidden=..., output=..., loss=..., l2=...)``):

    tanh        e(a) = s e(z) + c_s u |a|,   e(s) = s (2 e(z) + c_s u) + 2 |a| e(a)
                (|tanh''| = 2 |a| s <= 2 s; computed as 1 - a^2 it inherits 2 |a| e(a))
    relu, leaky e(a) = max(s, k) e(z) + u |a|,  e(s) = k (1 - s_-)      (s_- = 0 or the slope)
                with k = 1 where |z| <= e(z): the computed z may lie on either side of the kink,
                so f'(z) may be either one-sided value; at an exact kink (z = 0, e(z) = 0) this
                accepts any convention for f'(0) in [s_-, 1].  BP2 then uses (s + e(s)) e(back)
                and BP4 adds e(delta^l) e(a^{l-1})^T / N (second-order terms are not small there:
                a unit at a kink may pass a tiny a and a full delta in one evaluation, 0 in another).
    identity    e(a) = e(z), e(s) = 0
    softmax     e(a_j) = a_j (e(z_j) + sum_k a_k e(z_k)) + c_s u a_j      (|da_j/dz_k| = a_j |[j = k] - a_k|)
    BP1  binary cross-entropy           e(delta) = e(a) + u |delta|       (delta = a - y)
         categorical cross-entropy      e(delta) = e(a) sum|y| + 2 u (|a| sum|y| + |delta|)
         softmax, squared error         delta = a (r - q), q = sum_k a_k r_k:
              e(delta) = e(a) |r - q| + a (e(r) + e(q)) + 2 u |delta|,
              e(q) = sum_k (e(a_k) |r_k| + a_k e(r_k)) + gamma_{n_L} sum_k a_k |r_k|
    L2   dC/dW^l gains lambda W^l: + u (2 lambda |W^l| + |dC/dW^l|)  (the product and the sum)

A network without biases has no |b^l| term and exact (zero) bias gradients.  The bound is evaluated in float64 from the
float64 forward pass; second-order terms are covered by a safety factor of 2,
and an absolute floor of 2^10 times the smallest normal number of the working
dtype covers underflow (sigma' of |z| > 700 is subnormal in float64).
"""
from __future__ import annotations

import numpy as np

from reference.forward import activation_prime, forward_unchecked
from reference.losses import output_error
from reference.network import Network, Params
from reference.validation import check_data, check_params

__all__ = ["unit_roundoff", "gamma", "gradient_error_bound", "loss_error_bound", "SAFETY",
           "SIGMA_ROUNDINGS", "activation_error", "derivative_error", "kink_mask", "slope_below_kink", "slope_of",
           "forward_errors"]

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


def slope_below_kink(net: Network) -> float:
    """f'(z) for z < 0 of a kinked hidden activation: 0 for relu, the slope for leaky_relu."""
    return net.slope if net.hidden == "leaky_relu" else 0.0


def kink_mask(net: Network, l: int, z: np.ndarray, e_z: np.ndarray) -> np.ndarray:
    """1.0 where hidden layer l is kinked and |z| <= e(z) (the computed z may sit on either side), else 0.0."""
    if l == net.L or net.hidden not in ("relu", "leaky_relu"):
        return np.zeros_like(z)
    return (np.abs(z) <= e_z).astype(np.float64)


def slope_of(net: Network, l: int, z: np.ndarray) -> np.ndarray:
    """s^l = f'(z^l) elementwise (ones at a softmax output, whose Jacobian is handled in BP1)."""
    if l == net.L and net.output == "softmax":
        return np.ones_like(z)
    return activation_prime(net, l, z)


def activation_error(net: Network, l: int, z: np.ndarray, a: np.ndarray, e_z: np.ndarray, u: float) -> np.ndarray:
    """e(a^l) from e(z^l): the propagated error plus the roundings of the activation itself (docstring)."""
    if l == net.L:
        if net.output == "identity":
            return e_z
        if net.output == "softmax":
            return a * (e_z + np.sum(a * e_z, axis=0, keepdims=True)) + SIGMA_ROUNDINGS * u * a
        return slope_of(net, l, z) * e_z + SIGMA_ROUNDINGS * u * np.abs(a)
    s = slope_of(net, l, z)
    if net.hidden in ("sigmoid", "tanh"):
        return s * e_z + SIGMA_ROUNDINGS * u * np.abs(a)
    if net.hidden == "identity":
        return e_z
    return np.maximum(s, kink_mask(net, l, z, e_z)) * e_z + u * np.abs(a)


def derivative_error(net: Network, l: int, z: np.ndarray, a: np.ndarray, e_z: np.ndarray, e_a: np.ndarray,
                     u: float) -> np.ndarray:
    """e(s^l), the error of the computed f'(z^l) (0 at an identity or softmax output: see BP1)."""
    if l == net.L and net.output in ("identity", "softmax"):
        return np.zeros_like(z)
    s = slope_of(net, l, z)
    if l == net.L or net.hidden == "sigmoid":
        return s * (e_z + SIGMA_ROUNDINGS * u) + e_a
    if net.hidden == "tanh":
        return s * (2.0 * e_z + SIGMA_ROUNDINGS * u) + 2.0 * np.abs(a) * e_a
    if net.hidden == "identity":
        return np.zeros_like(z)
    return kink_mask(net, l, z, e_z) * (1.0 - slope_below_kink(net))


def forward_errors(net: Network, params: Params, X: np.ndarray, dtype):
    """The float64 forward pass and the bounds e(a^l) (l = 0..L), e(z^l) (index l; e_z[0] unused)."""
    u = unit_roundoff(dtype)
    fp = forward_unchecked(net, params, X)
    e_a = [u * np.abs(X) if np.dtype(dtype) != np.float64 else np.zeros_like(X)]
    e_z = [None]
    for l in range(1, net.L + 1):
        W, b = params[l - 1]
        g = gamma(net.n(l - 1) + 2, u)
        mag = np.abs(W) @ np.abs(fp.a(l - 1))
        ez = g * (mag + np.abs(b)[:, None] if net.bias else mag) + np.abs(W) @ e_a[l - 1]
        e_a.append(activation_error(net, l, fp.z(l), fp.a(l), ez, u))
        e_z.append(ez)
    return fp, e_a, e_z


def _loss_terms(net: Network, fp, Y: np.ndarray, e_a, e_z, u: float, lossy: bool):
    """(C, e(C) before SAFETY) of the data loss (see ``loss_error_bound``)."""
    N, L = Y.shape[1], net.L
    if net.loss == "half_sse":
        r = np.abs(fp.a(L) - Y) + (u * np.abs(Y) if lossy else 0.0)
        C = 0.5 * float(np.sum(r * r)) / N
        e_aL = e_a[L]
        return C, float(np.sum(r * (e_aL + u * r) + 0.5 * e_aL * e_aL)) / N + gamma(r.size + 2, u) * C
    z, a = fp.z(L), fp.a(L)
    delta = np.abs(output_error(net, z, a, Y))
    if net.loss == "binary_cross_entropy":
        sp_pos, sp_neg = np.logaddexp(0.0, z), np.logaddexp(0.0, -z)
        terms = np.abs(Y) * sp_neg + np.abs(1.0 - Y) * sp_pos
    else:
        lse = np.logaddexp.reduce(z, axis=0, keepdims=True)
        terms = np.abs(Y) * (np.abs(lse) + np.abs(z))
    C = float(np.sum(terms)) / N
    sensitivity = float(np.sum(delta * e_z[L])) + float(np.sum(np.abs(Y) * e_z[L]))
    rounding = SIGMA_ROUNDINGS * u * float(np.sum(terms)) + (u * float(np.sum(np.abs(Y) * np.abs(z))) if lossy else 0.0)
    return C, (sensitivity + rounding) / N + gamma(Y.size + 2, u) * C


def loss_error_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> float:
    """Bound on |computed - exact| C for the network's loss C in ``dtype``.

    Squared error: e(C) = (1/N) sum [|r| (e(a^L) + u |r|) + e(a^L)^2 / 2] + gamma_{n_L N + 2} C, r = a^L - y.
    Cross-entropies (from the logits): (1/N) sum [(|delta^L| + |y|) e(z^L) + c_s u (their terms)]
    + gamma_{n_L N + 2} C.  The L2 term adds gamma_{P + 2} lambda/2 sum W^2.  All times SAFETY.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    u = unit_roundoff(dtype)
    fp, e_a, e_z = forward_errors(net, params, X, dtype)
    _, e = _loss_terms(net, fp, Y, e_a, e_z, u, np.dtype(dtype) != np.float64)
    if net.l2 > 0.0:
        P = sum(W.size + (b.size if net.l2_bias else 0) for W, b in params)
        decay = 0.5 * net.l2 * sum(float(np.sum(W * W)) + (float(np.sum(b * b)) if net.l2_bias else 0.0)
                                   for W, b in params)
        e += gamma(P + 2, u) * decay
    return SAFETY * e + float(np.finfo(np.dtype(dtype)).tiny)


def _output_error_bound(net: Network, fp, Y: np.ndarray, e_a, e_z, u: float):
    """(delta^L, e(delta^L)) for the network's output and loss (BP1 rows of the docstring)."""
    L = net.L
    z, a = fp.z(L), fp.a(L)
    r = a - Y
    if net.loss == "binary_cross_entropy":
        delta = output_error(net, z, a, Y)
        return delta, e_a[L] + u * np.abs(delta)
    if net.loss == "categorical_cross_entropy":
        delta = output_error(net, z, a, Y)
        y_sum = np.sum(np.abs(Y), axis=0, keepdims=True)
        return delta, e_a[L] * y_sum + 2.0 * u * (np.abs(a) * y_sum + np.abs(delta))
    if net.output == "softmax":
        delta = output_error(net, z, a, Y)
        e_r = e_a[L] + u * np.abs(r)
        q = np.sum(a * r, axis=0, keepdims=True)
        e_q = (np.sum(e_a[L] * np.abs(r) + a * e_r, axis=0, keepdims=True)
               + gamma(net.n(L), u) * np.sum(a * np.abs(r), axis=0, keepdims=True))
        return delta, e_a[L] * np.abs(r - q) + a * (e_r + e_q) + 2.0 * u * np.abs(delta)
    s = slope_of(net, L, z)
    delta = r * s
    e_s = derivative_error(net, L, z, a, e_z[L], e_a[L], u)
    return delta, (e_a[L] + u * np.abs(r)) * s + np.abs(r) * e_s + u * np.abs(delta)


def gradient_error_bound(net: Network, params: Params, X, Y, *, dtype=np.float64) -> Params:
    """Entrywise bounds [(E_W^l, E_b^l)] on |computed - exact| dC/dW^l, dC/db^l in ``dtype``.

    Two correct implementations in dtypes p and q differ by at most the sum of
    their bounds; use ``bound(p) + bound(q)`` as the tolerance between them.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    u = unit_roundoff(dtype)
    fp, e_a, e_z = forward_errors(net, params, X, dtype)
    L, N = net.L, X.shape[1]
    delta, e_delta = _output_error_bound(net, fp, Y, e_a, e_z, u)
    bounds = [None] * L
    gN = gamma(N, u)
    floor = 2.0 ** 10 * float(np.finfo(np.dtype(dtype)).tiny)
    for l in range(L, 0, -1):
        if l < L:
            W_next = params[l][0]
            back = W_next.T @ delta
            s = slope_of(net, l, fp.z(l))
            e_s = derivative_error(net, l, fp.z(l), fp.a(l), e_z[l], e_a[l], u)
            e_back = gamma(net.n(l + 1), u) * (np.abs(W_next).T @ np.abs(delta)) + np.abs(W_next).T @ e_delta
            delta = back * s
            through = s + e_s if net.kinked else s
            e_delta = e_back * through + np.abs(back) * e_s + u * np.abs(delta)
        a_prev = np.abs(fp.a(l - 1))
        gW = np.abs(delta @ fp.a(l - 1).T) / N
        eW = (gN * np.abs(delta) @ a_prev.T + e_delta @ a_prev.T + np.abs(delta) @ e_a[l - 1].T) / N + u * gW
        eb = (gN * np.abs(delta).sum(axis=1) + e_delta.sum(axis=1)) / N + u * np.abs(delta.sum(axis=1)) / N
        if net.kinked:   # at a kink a^{l-1} and delta^l may both be 0 in one evaluation and not in another
            eW = eW + (e_delta @ e_a[l - 1].T) / N
        if net.l2 > 0.0:
            W, b = params[l - 1]
            eW = eW + u * (2.0 * net.l2 * np.abs(W) + gW)
            if net.l2_bias:
                eb = eb + u * (2.0 * net.l2 * np.abs(b) + np.abs(delta.sum(axis=1)) / N)
        if not net.bias:
            eb = np.zeros_like(eb)
        bounds[l - 1] = (SAFETY * eW + floor, SAFETY * eb + floor)
    return bounds
