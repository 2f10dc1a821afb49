"""Finite-difference gradients: central differences and Richardson extrapolation.

For f: R^P -> R and a step h_i for parameter theta_i,

    central     D_i(h)  = (f(theta + h e_i) - f(theta - h e_i)) / (2 h)
                error   = h^2 f'''/6 (truncation) + ~eps |f| / h (rounding)
    richardson  R_i(h)  = (4 D_i(h/2) - D_i(h)) / 3,   truncation O(h^4)
                (with an error bound, D_i(h/4) too: ``richardson_with_error``)

Steps are scaled to each parameter, h_i = s * max(1, |theta_i|), with
s = eps^(1/3) ~ 6e-6 for central differences (balancing the two error terms,
about 1e-10 absolute on a loss of order 1, i.e. the familiar ~1e-7 relative)
and s = eps^(1/5) ~ 7e-4 for Richardson (truncation h^4 and rounding eps/h
both near 1e-13, about 1e-10 relative on smooth cases).

Kinks.  A relu or leaky_relu network is not differentiable where a hidden z^l_j = 0; a
difference whose points lie on both sides of a kink estimates neither one-sided slope.
With ``signature`` (``kink_signature(net, X)``: the signs of every hidden z^l) the points of
entry i are compared with theta: where a sign differs (or a z that is exactly 0 at theta
moves), the step of entry i crosses a kink and its error bound E_i is inf: the entry is
left out of every comparison (``numerical_gradient_with_error`` does this by itself for
kinked networks; count the inf entries to say so).

``move_off_kinks(net, params, X, margin=...)`` moves a point instead: it shifts the bias of
every hidden unit whose |z| comes within the margin of a kink at some sample, so that no
|z| is below it (used where a whole direction cannot avoid a kink: the directional check).

The directional check, whose cost does not grow with P, is in
``reference.directional``.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from reference.error_model import loss_error_bound
from reference.forward import forward_unchecked, loss_unchecked
from reference.network import Network, Params
from reference.params import flatten, unflatten
from reference.validation import check_data, check_params

__all__ = ["central_difference", "richardson_difference", "richardson_with_error",
           "numerical_gradient", "numerical_gradient_with_error", "loss_of_theta", "kink_signature",
           "move_off_kinks", "KINK_MARGIN",
           "CENTRAL_STEP", "RICHARDSON_STEP"]

EPS = np.finfo(np.float64).eps
CENTRAL_STEP = EPS ** (1 / 3)
RICHARDSON_STEP = EPS ** (1 / 5)


def _steps(theta: np.ndarray, scale: float) -> np.ndarray:
    h = scale * np.maximum(1.0, np.abs(theta))
    # make theta +- h exactly representable so that the step taken is the step divided by
    return (theta + h) - theta


def _central_with_size(f: Callable[[np.ndarray], float], theta: np.ndarray, h: np.ndarray, signature=None):
    """(D, F, K): central differences D_i, F_i = max(|f(theta + h_i e_i)|, |f(theta - h_i e_i)|), and
    K_i True where ``signature`` differs between theta and one of the two points (a kink crossed)."""
    grad, size = np.empty_like(theta), np.empty_like(theta)
    crossed = np.zeros(theta.size, dtype=bool)
    at_theta = None if signature is None else signature(theta)
    for i in range(theta.size):
        tp, tm = theta.copy(), theta.copy()
        tp[i] += h[i]
        tm[i] -= h[i]
        fp, fm = f(tp), f(tm)
        grad[i] = (fp - fm) / (2.0 * h[i])
        size[i] = max(abs(fp), abs(fm))
        if at_theta is not None:
            crossed[i] = not (np.array_equal(signature(tp), at_theta) and np.array_equal(signature(tm), at_theta))
    return grad, size, crossed


def _central(f: Callable[[np.ndarray], float], theta: np.ndarray, h: np.ndarray) -> np.ndarray:
    return _central_with_size(f, theta, h)[0]


def kink_signature(net: Network, X: np.ndarray) -> Optional[Callable[[np.ndarray], np.ndarray]]:
    """theta -> the signs (-1, 0, +1) of every hidden z^l at inputs X, for a relu or leaky_relu
    network (None for any other: its loss is smooth)."""
    if not net.kinked:
        return None

    def signs(theta: np.ndarray) -> np.ndarray:
        zs = forward_unchecked(net, unflatten(net, theta), X).zs[:-1]
        return np.concatenate([np.sign(z).ravel() for z in zs]).astype(np.int8)
    return signs


def central_difference(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None) -> np.ndarray:
    """D_i = (f(theta + h_i e_i) - f(theta - h_i e_i)) / (2 h_i) for every i (2P calls of f)."""
    theta = np.array(theta, dtype=np.float64)
    return _central(f, theta, _steps(theta, CENTRAL_STEP if step is None else step))


#: Relative margin of ``move_off_kinks``: every hidden |z| >= KINK_MARGIN max(1, max|z^l|) afterwards.
KINK_MARGIN = 1e-3


def _shift(z_row: np.ndarray, margin: float) -> float:
    """The smallest |d| with every |z_n + d| >= margin (0 when none is closer already)."""
    if np.all(np.abs(z_row) >= margin):
        return 0.0
    candidates = sorted({float(c) for z in z_row for c in (margin - z, -margin - z)}, key=abs)
    return next(d for d in candidates if np.all(np.abs(z_row + d) >= margin * (1 - 1e-12)))


def move_off_kinks(net: Network, params: Params, X, *, margin: float = KINK_MARGIN):
    """(params, moves): every hidden unit of a relu or leaky_relu network with some |z^l_j| below
    margin max(1, max|z^l|) gets b^l_j shifted by the least amount that lifts all its samples to
    that margin, layer by layer from the first; ``moves`` lists (l, j, shift).  Unchanged (and no
    moves) for other networks and for networks without biases.
    """
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    moves = []
    if not (net.kinked and net.bias):
        return params, moves
    X = np.asarray(X, dtype=np.float64)
    for l in range(1, net.L):
        z = forward_unchecked(net, params, X).z(l)
        m = margin * max(1.0, float(np.max(np.abs(z))))
        W, b = params[l - 1]
        for j in range(net.n(l)):
            d = _shift(z[j], m)
            if d != 0.0:
                b[j] += d
                moves.append((l, j, d))
    return params, moves


def richardson_difference(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None) -> np.ndarray:
    """R_i = (4 D_i(h/2) - D_i(h)) / 3: central differences with the h^2 error cancelled (4P calls)."""
    theta = np.array(theta, dtype=np.float64)
    h = _steps(theta, RICHARDSON_STEP if step is None else step)
    return (4.0 * _central(f, theta, h / 2.0) - _central(f, theta, h)) / 3.0


def richardson_with_error(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None,
                          f_error: Optional[float] = None, signature: Optional[Callable] = None):
    """(R, E): Richardson estimates R_i and a bound E_i on |R_i - df/dtheta_i|.

    E_i = max(|R_i - D_i(h/2)|, 2 |R_i - R'_i|) + 3 e_i / h_i: the first term is the
    computed size of the h^2 error that R removed (an over-estimate of R's remaining
    O(h^4) error wherever the expansion holds); R' = (4 D(h/4) - D(h/2)) / 3 is the
    same extrapolation at half the step, so |R - R'| measures R's own error, and it
    dominates only where h is too large for the expansion (a pre-activation that a
    step of theta_i moves by more than the loss's curvature scale: large activations
    of unbounded units, relu or the identity, reaching a sigmoid or softmax); the last
    bounds rounding, since each D(h) = (f+ - f-) / 2h errs by at most e / h and
    R = (4 D(h/2) - D(h)) / 3 by (8 + 1) e / (3 h) (R - R' by the same again, which the
    factor 2 takes up).  e_i bounds the rounding error of one evaluation of f
    near theta: ``f_error`` (the bound at theta; ``reference.error_model.
    loss_error_bound`` for the reference loss, 0 if not given) plus 64 u times
    the largest |f| met at the perturbed points of entry i, which covers the
    change of the rounding error with the perturbation itself.  On badly conditioned points
    (saturated units, steep sigmoids) E grows honestly instead of the check
    raising false alarms.  With ``signature`` (module docstring) E_i = inf where a step of
    entry i crosses a kink.
    """
    theta = np.array(theta, dtype=np.float64)
    h = _steps(theta, RICHARDSON_STEP if step is None else step)
    d_h, size_h, crossed_h = _central_with_size(f, theta, h, signature)
    d_h2, size_h2, crossed_h2 = _central_with_size(f, theta, h / 2.0, signature)
    d_h4, size_h4, crossed_h4 = _central_with_size(f, theta, h / 4.0, signature)
    R = (4.0 * d_h2 - d_h) / 3.0
    R_half = (4.0 * d_h4 - d_h2) / 3.0
    e = (f_error or 0.0) + 64.0 * (EPS / 2) * np.maximum(np.maximum(size_h, size_h2), size_h4)
    E = np.maximum(np.abs(R - d_h2), 2.0 * np.abs(R - R_half)) + 3.0 * e / h
    E[crossed_h | crossed_h2 | crossed_h4] = np.inf
    return R, E


def loss_of_theta(net: Network, X: np.ndarray, Y: np.ndarray) -> Callable[[np.ndarray], float]:
    """theta -> C(theta) for fixed, validated data (the reference loss)."""
    return lambda theta: loss_unchecked(net, unflatten(net, theta), X, Y)


def numerical_gradient(net: Network, params: Params, X, Y, *, method: str = "central") -> Params:
    """Finite-difference dC/dtheta of the reference loss, in the structure of ``params``.

    ``method`` is "central" (about 1e-7 relative) or "richardson" (about 1e-10).
    """
    methods = {"central": central_difference, "richardson": richardson_difference}
    if method not in methods:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(methods)}")
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    return unflatten(net, methods[method](loss_of_theta(net, X, Y), flatten(params)))


def numerical_gradient_with_error(net: Network, params: Params, X, Y):
    """(Richardson gradient, entrywise error bound), both in the structure of ``params``.

    For a relu or leaky_relu network the bound is inf for every entry whose steps cross a kink.
    """
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    e_f = loss_error_bound(net, params, X, Y)
    R, E = richardson_with_error(loss_of_theta(net, X, Y), flatten(params), f_error=e_f,
                                 signature=kink_signature(net, X))
    return unflatten(net, R), unflatten(net, E)
