"""How far a correct float64 gradient may be from the exact one: a running error bound.

The reference formulations all evaluate the same equations in float64 and differ only
in the order of their sums, which the bound below does not depend on.  For every
computed quantity q^ we carry E[q] >= |q^ - q| to first order in u = 2^-53, with
gamma_k = k u / (1 - k u) (the error of any k-term sum or dot product, with or without
FMA, in any order) and eta = 2^-1074 (the absolute error of one operation that
underflows).  The inputs X, Y, W, b are exact (the vectors' point *is* the float64 point).

Forward, l = 1..L (a^0 = x exact, E[a^0] = 0):

    z^l_j = sum_k w^l_jk a^{l-1}_k + b^l_j
    E[z^l_j] = sum_k |w^l_jk| E[a^{l-1}_k] + gamma_{n_{l-1}+1} (sum_k |w^l_jk| |a^{l-1}_k| + |b^l_j|)
    E[a^l_j] = sigma'(z^l_j) E[z^l_j] + c_sigma u a^l_j + eta            (a^L = z^L if identity)
    s^l_j = sigma'(z^l_j):   E[s^l_j] = s^l_j E[z^l_j] + c_sigma' u s^l_j + eta
             (|sigma''| = sigma' |1 - 2 sigma| <= sigma'; s = 1, E = 0 for an identity output)

sigma = 1/(1+e) or e/(1+e) and sigma' = e/((1+e)(1+e)), e = exp(-|z|): allowing exp 8u
relative (libm and NumPy's SIMD exp are within a few ulp; one ulp is at most 2u), the
formulas give c_sigma = 8 + 9 + 1 = 18 and c_sigma' = 8 + 9 + 9 + 1 + 1 = 28.

Backward (per sample; r = a^L - y):

    E[r] = E[a^L] + u |r|
    BP1  E[delta^L] = |r| E[s^L] + s^L E[r] + u |delta^L| + eta
    BP2  t = (W^{l+1})^T delta^{l+1}:
         E[t_k] = sum_j |w_jk| E[delta^{l+1}_j] + gamma_{n_{l+1}} sum_j |w_jk| |delta^{l+1}_j|
         E[delta^l] = |t| E[s^l] + s^l E[t] + u |delta^l| + eta
    BP3  E[dC/db^l_j]  = (1/N) (sum_i E[delta^l_ij] + gamma_{N+1} sum_i |delta^l_ij|) + eta
    BP4  E[dC/dW^l_jk] = (1/N) (sum_i (|delta^l_ij| E[a^{l-1}_ik] + |a^{l-1}_ik| E[delta^l_ij])
                                + gamma_{N+2} sum_i |delta^l_ij| |a^{l-1}_ik|) + eta
    C    E[C] = (1/N) sum_ij (|r_ij| E[r_ij] + E[r_ij]^2 / 2) + gamma_{N n_L + 3} C + (n_L + 1) eta
         (the second-order term is kept: where r = 0 the first-order one vanishes but the exact
         C is still E[a^L]^2 / 2; n_L + 1 underflows: r_ij^2 summed over i then divided by N)

(the batch sums: one rounding per product, N - 1 per sum, one for the division by N).

The other declarations of ``reference.Network`` (same notation; s = f'(z), m = max_k z_k):

    tanh        E[a] = s E[z] + c_sigma u |a| + eta,   E[s] = 2 s E[z] + c_sigma' u s + eta
    relu, leaky E[a] = max(s, k) E[z] + u |a| + eta,   E[s] = k (1 - s_-)   with k = 1 where
                0 < E[z] and |z| <= E[z] (the float z may have the other sign than the exact one;
                an exact z = 0 is computed exactly and takes the same convention as SymPy)
    identity    E[a] = E[z], s = 1, E[s] = 0
    softmax     E[a_j] = a_j (E[z_j] + sum_k a_k E[z_k]) + a_j (c_sigma + |z_j - m|) u + eta
    BP1  binary cross-entropy      E[delta] = E[a] + u |delta| + eta
         categorical               E[delta] = E[a] sum|y| + (2 u + gamma_{n_L}) (a sum|y| + |delta|) + eta
         softmax, squared error    E[delta] = E[a] |r - q| + a (E[r] + E[q]) + 2 u |delta| + eta, q = a . r
    C    cross-entropies: (1/N) sum (|delta| + |y|) E[z^L] + c_sigma u (their terms) + gamma C
    L2   E[dC/dW] += u (2 lambda |W| + |dC/dW|)
    BP2 through a kinked layer multiplies E[t] by s + E[s], and BP4 adds E[delta] E[a^{l-1}]^T / N
    (the second-order terms are not small at a kink).
The bound returned is 2 E: the factor 2 covers the neglected O(u^2) terms and the use
of computed magnitudes in place of exact ones.  Everything is evaluated with absolute
values, so the bound of each entry scales with the magnitudes of the terms it sums
(|delta| |a|, |w| |a|, ...), not with the entry itself: an entry that is small because
its terms cancel gets the bound its terms warrant, and an entry whose terms are all
tiny (a saturated unit far below the output) gets a tiny bound.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from reference.activations import sigmoid_prime
from reference.forward import activation_prime, forward_unchecked
from reference.losses import output_error
from reference.network import Network, Params
from reference.validation import check_data, check_params

__all__ = ["U", "ETA", "C_SIGMA", "C_SIGMA_PRIME", "gamma", "gradient_error_bound"]

U = 2.0 ** -53
ETA = 2.0 ** -1074
C_SIGMA = 18
C_SIGMA_PRIME = 28
SAFETY = 2.0


def gamma(k: int) -> float:
    """gamma_k = k u / (1 - k u): the relative error bound of a k-term sum or dot product."""
    return k * U / (1.0 - k * U)


def _elementwise(net: Network, l: int, z: np.ndarray, a: np.ndarray, E_z: np.ndarray):
    """(s, E[a], E[s]) of an elementwise layer (see the module docstring)."""
    if (l == net.L and net.output == "sigmoid") or (l < net.L and net.hidden == "sigmoid"):
        sp = sigmoid_prime(z)
        return sp, sp * E_z + C_SIGMA * U * np.abs(a) + ETA, sp * E_z + C_SIGMA_PRIME * U * sp + ETA
    if (l == net.L and net.output == "identity") or (l < net.L and net.hidden == "identity"):
        return np.ones_like(z), E_z, np.zeros_like(z)
    sp = activation_prime(net, l, z)
    if net.hidden == "tanh":
        return sp, sp * E_z + C_SIGMA * U * np.abs(a) + ETA, 2.0 * sp * E_z + C_SIGMA_PRIME * U * sp + ETA
    kink = ((E_z > 0) & (np.abs(z) <= E_z)).astype(np.float64)
    below = net.slope if net.hidden == "leaky_relu" else 0.0
    return sp, np.maximum(sp, kink) * E_z + U * np.abs(a) + ETA, kink * (1.0 - below)


def _forward_bounds(net: Network, params: Params, fp) -> Tuple[list, list, list]:
    """E[a^l] (l = 0..L), s^l = f'(z^l) and E[s^l] (l = 1..L), each (n_l, N) (s = 1 at a softmax output)."""
    E_a, s, E_s = [np.zeros_like(fp.a(0))], [], []
    for l, (W, b) in enumerate(params, start=1):
        a_prev = np.abs(fp.a(l - 1))
        mag = np.abs(W) @ a_prev + np.abs(b)[:, None] if net.bias else np.abs(W) @ a_prev
        E_z = np.abs(W) @ E_a[-1] + gamma(W.shape[1] + 1) * mag
        if l == net.L and net.output == "softmax":
            z, a = fp.z(l), fp.a(l)
            shift = np.abs(z - np.max(z, axis=0, keepdims=True))
            s.append(np.ones_like(z))
            E_s.append(np.zeros_like(z))
            E_a.append(a * (E_z + np.sum(a * E_z, axis=0, keepdims=True)) + a * (C_SIGMA + shift) * U + ETA)
            continue
        sp, ea, es = _elementwise(net, l, fp.z(l), fp.a(l), E_z)
        s.append(sp)
        E_a.append(ea)
        E_s.append(es)
    return E_a, s, E_s


def _output_bound(net: Network, fp, Y, E_a, s, E_s):
    """(delta^L, E[delta^L]) per BP1 of the module docstring."""
    L = net.L
    z, a = fp.z(L), fp.a(L)
    r = a - Y
    if net.loss == "binary_cross_entropy":
        delta = output_error(net, z, a, Y)
        return delta, E_a[L] + U * np.abs(delta) + ETA
    if net.loss == "categorical_cross_entropy":
        delta = output_error(net, z, a, Y)
        y_sum = np.sum(np.abs(Y), axis=0, keepdims=True)
        return delta, (E_a[L] * y_sum + (2 * U + gamma(net.n(L))) * (np.abs(a) * y_sum + np.abs(delta)) + ETA)
    E_r = E_a[L] + U * np.abs(r)
    if net.output == "softmax":
        delta = output_error(net, z, a, Y)
        q = np.sum(a * r, axis=0, keepdims=True)
        E_q = (np.sum(E_a[L] * np.abs(r) + a * E_r, axis=0, keepdims=True)
               + gamma(net.n(L)) * np.sum(a * np.abs(r), axis=0, keepdims=True))
        return delta, E_a[L] * np.abs(r - q) + a * (E_r + E_q) + 2 * U * np.abs(delta) + ETA
    delta = r * s[L - 1]
    return delta, np.abs(r) * E_s[L - 1] + s[L - 1] * E_r + U * np.abs(delta) + ETA


def _loss_bound(net: Network, params: Params, fp, Y, E_a) -> float:
    """E[C] (before the factor 2): the squared error as in the docstring, the cross-entropies from the logits."""
    N, L = Y.shape[1], net.L
    if net.loss == "half_sse":
        r = fp.a(L) - Y
        E_r = E_a[L] + U * np.abs(r)
        loss = 0.5 * np.sum(r * r) / N
        bound = (np.sum(np.abs(r) * E_r + 0.5 * E_r * E_r) / N + gamma(N * net.n(L) + 3) * loss
                 + (net.n(L) + 1) * ETA)
    else:
        z = fp.z(L)
        delta = np.abs(output_error(net, z, fp.a(L), Y))
        if net.loss == "binary_cross_entropy":
            terms = np.abs(Y) * np.logaddexp(0.0, -z) + np.abs(1.0 - Y) * np.logaddexp(0.0, z)
        else:
            lse = np.logaddexp.reduce(z, axis=0, keepdims=True)
            terms = np.abs(Y) * (np.abs(z - np.max(z, axis=0, keepdims=True)) + np.abs(lse - np.max(z, axis=0)))
        loss = np.sum(terms) / N
        bound = (np.sum((delta + np.abs(Y)) * _output_z_bound(net, params, fp)) / N + C_SIGMA * U * loss
                 + gamma(N * net.n(L) + 3) * loss + (net.n(L) + 1) * ETA)
    if net.l2 > 0.0:
        P = sum(W.size + (b.size if net.l2_bias else 0) for W, b in params)
        decay = 0.5 * net.l2 * sum(float(np.sum(W * W)) + (float(np.sum(b * b)) if net.l2_bias else 0.0)
                                   for W, b in params)
        bound += gamma(P + 2) * (decay + loss)
    return float(bound)


def _output_z_bound(net: Network, params: Params, fp) -> np.ndarray:
    """E[z^L], recomputed from the forward bounds (the cross-entropies are functions of z^L)."""
    E_a, _, _ = _forward_bounds(net, params, fp)
    W, b = params[-1]
    a_prev = np.abs(fp.a(net.L - 1))
    mag = np.abs(W) @ a_prev + np.abs(b)[:, None] if net.bias else np.abs(W) @ a_prev
    return np.abs(W) @ E_a[net.L - 1] + gamma(W.shape[1] + 1) * mag


def gradient_error_bound(net: Network, params: Params, X, Y) -> Tuple[float, Params]:
    """(bound on |C^ - C|, [(bound on |dW^l^ - dW^l|, bound on |db^l^ - db^l|)]), entrywise.

    Valid for any float64 evaluation of BP1-BP4 with batch averaging (every reference
    formulation), whatever its summation order; see the module docstring.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    N, L = X.shape[1], net.L
    fp = forward_unchecked(net, params, X)
    E_a, s, E_s = _forward_bounds(net, params, fp)
    loss_bound = _loss_bound(net, params, fp, Y, E_a)
    delta, E_delta = _output_bound(net, fp, Y, E_a, s, E_s)
    bounds: List = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            W_next = np.abs(params[l][0])
            t = params[l][0].T @ delta
            E_t = W_next.T @ E_delta + gamma(W_next.shape[0]) * (W_next.T @ np.abs(delta))
            delta = t * s[l - 1]
            through = s[l - 1] + E_s[l - 1] if net.kinked else s[l - 1]
            E_delta = np.abs(t) * E_s[l - 1] + through * E_t + U * np.abs(delta) + ETA
        a_prev, abs_delta = np.abs(fp.a(l - 1)), np.abs(delta)
        E_W = (abs_delta @ E_a[l - 1].T + E_delta @ a_prev.T
               + gamma(N + 2) * (abs_delta @ a_prev.T)) / N + ETA
        E_b = (E_delta.sum(axis=1) + gamma(N + 1) * abs_delta.sum(axis=1)) / N + ETA
        if net.kinked:
            E_W = E_W + (E_delta @ E_a[l - 1].T) / N
        if net.l2 > 0.0:
            W, b = params[l - 1]
            E_W = E_W + U * (2.0 * net.l2 * np.abs(W) + np.abs(delta @ fp.a(l - 1).T) / N)
            if net.l2_bias:
                E_b = E_b + U * (2.0 * net.l2 * np.abs(b) + abs_delta.sum(axis=1) / N)
        if not net.bias:
            E_b = np.zeros_like(E_b)
        bounds[l - 1] = (SAFETY * E_W, SAFETY * E_b)
    return float(SAFETY * loss_bound), bounds
