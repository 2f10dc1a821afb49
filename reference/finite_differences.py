"""Finite-difference gradients: central differences and Richardson extrapolation.

For f: R^P -> R and a step h_i for parameter theta_i,

    central     D_i(h)  = (f(theta + h e_i) - f(theta - h e_i)) / (2 h)
                error   = h^2 f'''/6 (truncation) + ~eps |f| / h (rounding)
    richardson  R_i(h)  = (4 D_i(h/2) - D_i(h)) / 3,   truncation O(h^4)

Steps are scaled to each parameter, h_i = s * max(1, |theta_i|), with
s = eps^(1/3) ~ 6e-6 for central differences (balancing the two error terms,
about 1e-10 absolute on a loss of order 1, i.e. the familiar ~1e-7 relative)
and s = eps^(1/5) ~ 7e-4 for Richardson (truncation h^4 and rounding eps/h
both near 1e-13, about 1e-10 relative on smooth cases).

The directional check, whose cost does not grow with P, is in
``reference.directional``.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from reference.error_model import loss_error_bound
from reference.forward import loss_unchecked
from reference.network import Network, Params
from reference.params import flatten, unflatten
from reference.validation import check_data, check_params

__all__ = ["central_difference", "richardson_difference", "richardson_with_error",
           "numerical_gradient", "numerical_gradient_with_error", "loss_of_theta",
           "CENTRAL_STEP", "RICHARDSON_STEP"]

EPS = np.finfo(np.float64).eps
CENTRAL_STEP = EPS ** (1 / 3)
RICHARDSON_STEP = EPS ** (1 / 5)


def _steps(theta: np.ndarray, scale: float) -> np.ndarray:
    h = scale * np.maximum(1.0, np.abs(theta))
    # make theta +- h exactly representable so that the step taken is the step divided by
    return (theta + h) - theta


def _central_with_size(f: Callable[[np.ndarray], float], theta: np.ndarray, h: np.ndarray):
    """(D, F): central differences D_i and F_i = max(|f(theta + h_i e_i)|, |f(theta - h_i e_i)|)."""
    grad, size = np.empty_like(theta), np.empty_like(theta)
    for i in range(theta.size):
        tp, tm = theta.copy(), theta.copy()
        tp[i] += h[i]
        tm[i] -= h[i]
        fp, fm = f(tp), f(tm)
        grad[i] = (fp - fm) / (2.0 * h[i])
        size[i] = max(abs(fp), abs(fm))
    return grad, size


def _central(f: Callable[[np.ndarray], float], theta: np.ndarray, h: np.ndarray) -> np.ndarray:
    return _central_with_size(f, theta, h)[0]


def central_difference(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None) -> np.ndarray:
    """D_i = (f(theta + h_i e_i) - f(theta - h_i e_i)) / (2 h_i) for every i (2P calls of f)."""
    theta = np.array(theta, dtype=np.float64)
    return _central(f, theta, _steps(theta, CENTRAL_STEP if step is None else step))


def richardson_difference(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None) -> np.ndarray:
    """R_i = (4 D_i(h/2) - D_i(h)) / 3: central differences with the h^2 error cancelled (4P calls)."""
    theta = np.array(theta, dtype=np.float64)
    h = _steps(theta, RICHARDSON_STEP if step is None else step)
    return (4.0 * _central(f, theta, h / 2.0) - _central(f, theta, h)) / 3.0


def richardson_with_error(f: Callable[[np.ndarray], float], theta, *, step: Optional[float] = None,
                          f_error: Optional[float] = None):
    """(R, E): Richardson estimates R_i and a bound E_i on |R_i - df/dtheta_i|.

    E_i = |R_i - D_i(h/2)| + 3 e_i / h_i: the first term is the computed size of
    the h^2 error that R removed (an over-estimate of R's remaining O(h^4)
    error wherever the expansion holds); the second bounds rounding, since
    each D(h) = (f+ - f-) / 2h errs by at most e / h and R = (4 D(h/2) - D(h)) / 3
    by (8 + 1) e / (3 h).  e_i bounds the rounding error of one evaluation of f
    near theta: ``f_error`` (the bound at theta; ``reference.error_model.
    loss_error_bound`` for the reference loss, 0 if not given) plus 64 u times
    the largest |f| met at the perturbed points of entry i, which covers the
    change of the rounding error with the perturbation itself.  On badly conditioned points
    (saturated units, steep sigmoids) E grows honestly instead of the check
    raising false alarms.
    """
    theta = np.array(theta, dtype=np.float64)
    h = _steps(theta, RICHARDSON_STEP if step is None else step)
    (d_h, size_h), (d_h2, size_h2) = _central_with_size(f, theta, h), _central_with_size(f, theta, h / 2.0)
    R = (4.0 * d_h2 - d_h) / 3.0
    e = (f_error or 0.0) + 64.0 * (EPS / 2) * np.maximum(size_h, size_h2)
    E = np.abs(R - d_h2) + 3.0 * e / h
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
    """(Richardson gradient, entrywise error bound), both in the structure of ``params``."""
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    e_f = loss_error_bound(net, params, X, Y)
    R, E = richardson_with_error(loss_of_theta(net, X, Y), flatten(params), f_error=e_f)
    return unflatten(net, R), unflatten(net, E)
