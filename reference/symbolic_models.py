"""The symbolic pieces of the models beyond the documents' network (issue 16), for ``reference.symbolic``.

    sigma(t)                 1 / (1 + exp(-t)), written out for SymPy to differentiate
    hidden_activation(net)   sigma, tanh, relu = Piecewise((t, t > 0), (0, True)),
                             leaky_relu = Piecewise((t, t > 0), (s t, True)), or the identity
    output_layer(net, z)     sigma, the identity, or the softmax exp(z_j) / sum_k exp(z_k)
    cross_entropy(net, y, z) the binary or categorical cross-entropy from the logits z^L
    l2_term(sn)              lambda/2 sum ||W^l||^2 (+ ||b^l||^2), lambda exact
    exact(value)             a float64 value as the exact rational it is

SymPy differentiates relu's Piecewise into Piecewise((1, t > 0), (0, True)): relu'(0) = 0.
"""
from __future__ import annotations

import numpy as np
import sympy

from reference.network import Network

__all__ = ["sigma", "exact", "hidden_activation", "output_layer", "cross_entropy", "l2_term"]


def sigma(t: sympy.Expr) -> sympy.Expr:
    """The logistic sigmoid written out, sigma(t) = 1 / (1 + exp(-t)), for SymPy to differentiate."""
    return 1 / (1 + sympy.exp(-t))


def exact(value: float) -> sympy.Rational:
    """The float64 value as an exact rational (lambda, the leaky slope): no decimal rounding."""
    return sympy.Rational(*float(value).as_integer_ratio())


def hidden_activation(net: Network) -> Activation:
    """The hidden activation of ``net`` as a SymPy function of one expression."""
    slope = exact(net.slope)
    return {"sigmoid": sigma, "tanh": sympy.tanh,
            "relu": lambda t: sympy.Piecewise((t, t > 0), (0, True)),
            "leaky_relu": lambda t: sympy.Piecewise((t, t > 0), (slope * t, True)),
            "identity": lambda t: t}[net.hidden]


def output_layer(net: Network, z: sympy.Matrix) -> sympy.Matrix:
    """a^L from z^L: sigma, the identity, or a_j = exp(z_j) / sum_k exp(z_k)."""
    if net.output == "identity":
        return z
    if net.output == "softmax":
        total = sum((sympy.exp(t) for t in z), sympy.S.Zero)
        return z.applyfunc(lambda t: sympy.exp(t) / total)
    return z.applyfunc(sigma)


def cross_entropy(net: Network, y: sympy.Matrix, z_L: sympy.Matrix) -> sympy.Expr:
    """C_x from the logits: sum_j [y_j log(1 + exp(-z_j)) + (1 - y_j) log(1 + exp(z_j))] (binary) or
    sum_j y_j (log sum_k exp(z_k) - z_j) (categorical): -sum [y log a + (1 - y) log(1 - a)] and
    -sum y log a, written so that no cancellation costs digits at |z| = 800."""
    n_L = net.n(net.L)
    if net.loss == "binary_cross_entropy":
        return sum((y[j] * sympy.log(1 + sympy.exp(-z_L[j])) + (1 - y[j]) * sympy.log(1 + sympy.exp(z_L[j]))
                    for j in range(n_L)), sympy.S.Zero)
    lse = sympy.log(sum((sympy.exp(z_L[k]) for k in range(n_L)), sympy.S.Zero))
    return sum((y[j] * (lse - z_L[j]) for j in range(n_L)), sympy.S.Zero)


def l2_term(sn) -> sympy.Expr:
    """lambda/2 sum_l ||W^l||^2 (+ ||b^l||^2 with ``l2_bias``), lambda exact; 0 without an L2 term."""
    net = sn.net
    if net.l2 == 0.0:
        return sympy.S.Zero
    squares = [w ** 2 for W in sn.W for w in W] + ([v ** 2 for b in sn.b for v in b] if net.l2_bias else [])
    return exact(net.l2) / 2 * sum(squares, sympy.S.Zero)


def _select(condlist, choicelist, default=np.nan):
    """``numpy.select`` for the relu's Piecewise, whose nested conditions SymPy prints as
    0/1 values of an inner select: every condition is taken as a boolean array."""
    return np.select([np.asarray(c).astype(bool) for c in condlist], choicelist, default)
