"""BP1-BP4 written symbolically, next to the chain-rule derivative they must equal.

Two gradients of the per-sample loss C_x = 1/2 ||a^L - y||^2 of one symbolic network:

* ``chain_rule_gradients``: ``sympy.diff(C_x, theta)`` for every parameter, with the
  whole network written out from x (SymPy applies the chain rule; nothing else).
* ``bp_gradients``: the documents' four equations on SymPy matrices,

      BP1  delta^L = (a^L - y) (.) sigma'(z^L)             (sigma' = 1 for an identity output)
      BP2  delta^l = ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l)
      BP3  dC/db^l = delta^l
      BP4  dC/dW^l = delta^l (a^{l-1})^T

Both take the activation as a parameter: the sigmoid ``reference.symbolic.sigma`` or an
undefined SymPy function f, whose derivative f'(z) SymPy writes as
``Subs(Derivative(f(xi), xi), xi, z)``.  With f undefined the two gradients are
polynomials in x, y, theta, f(z^l_j) and f'(z^l_j), and their difference expands to 0:
BP1-BP4 are the chain rule for any differentiable activation.  Together with
d sigma/dz = sigma (1 - sigma) (also checked by SymPy) that proves them for the sigmoid.
"""
from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import sympy

from reference.symbolic import SymbolicNetwork, per_sample_loss, sigma

__all__ = ["derivative_of", "sigmoid_prime_documents", "forward_with_zs", "chain_rule_gradients",
           "bp1_output_error", "bp2_hidden_error", "bp3_bias_gradient", "bp4_weight_gradient",
           "bp_gradients", "batch_mean"]

Activation = Callable[[sympy.Expr], sympy.Expr]
Gradients = List[Tuple[sympy.Matrix, sympy.Matrix]]


def derivative_of(f: sympy.FunctionClass) -> Activation:
    """t -> f'(t) for an undefined function f, in SymPy's own form Subs(Derivative(f(xi), xi), xi, t)."""
    xi = sympy.Dummy("xi")
    return lambda t: sympy.Subs(sympy.Derivative(f(xi), xi), xi, t)


def sigmoid_prime_documents(t: sympy.Expr) -> sympy.Expr:
    """sigma'(t) = sigma(t) (1 - sigma(t)), the documents' form (doc 1, doc 3's 1-D section)."""
    return sigma(t) * (1 - sigma(t))


def forward_with_zs(sn: SymbolicNetwork, activation: Activation) -> Tuple[list, list]:
    """(zs, activations): zs[l-1] = z^l = W^l a^{l-1} + b^l and activations[l] = a^l, from a^0 = x."""
    zs, activations = [], [sn.x]
    for l in range(1, sn.net.L + 1):
        z = sn.W[l - 1] * activations[-1] + sn.b[l - 1]
        zs.append(z)
        identity = l == sn.net.L and sn.net.output == "identity"
        activations.append(z if identity else z.applyfunc(activation))
    return zs, activations


def chain_rule_gradients(sn: SymbolicNetwork, activation: Activation = sigma) -> Gradients:
    """[(dC_x/dW^l, dC_x/db^l)]: ``sympy.diff`` of C_x = 1/2 ||a^L - y||^2 entry by entry."""
    C_x = per_sample_loss(sn, forward_with_zs(sn, activation)[1][-1])
    return [(W.applyfunc(lambda w: sympy.diff(C_x, w)), b.applyfunc(lambda v: sympy.diff(C_x, v)))
            for W, b in zip(sn.W, sn.b)]


def _prime(sn: SymbolicNetwork, l: int, z: sympy.Matrix, activation_prime: Activation) -> sympy.Matrix:
    if l == sn.net.L and sn.net.output == "identity":
        return sympy.ones(*z.shape)
    return z.applyfunc(activation_prime)


def bp1_output_error(sn: SymbolicNetwork, z_L: sympy.Matrix, a_L: sympy.Matrix,
                     activation_prime: Activation) -> sympy.Matrix:
    """BP1: delta^L = (a^L - y) (.) sigma'(z^L), an (n_L, 1) column."""
    return (a_L - sn.y).multiply_elementwise(_prime(sn, sn.net.L, z_L, activation_prime))


def bp2_hidden_error(sn: SymbolicNetwork, l: int, delta_next: sympy.Matrix, z_l: sympy.Matrix,
                     activation_prime: Activation) -> sympy.Matrix:
    """BP2: delta^l = ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l), an (n_l, 1) column."""
    return (sn.W[l].T * delta_next).multiply_elementwise(_prime(sn, l, z_l, activation_prime))


def bp3_bias_gradient(delta: sympy.Matrix) -> sympy.Matrix:
    """BP3: dC_x/db^l = delta^l."""
    return delta


def bp4_weight_gradient(delta: sympy.Matrix, a_prev: sympy.Matrix) -> sympy.Matrix:
    """BP4: dC_x/dW^l = delta^l (a^{l-1})^T, (n_l, 1)(1, n_{l-1}) -> (n_l, n_{l-1})."""
    return delta * a_prev.T


def bp_gradients(sn: SymbolicNetwork, activation: Activation = sigma,
                 activation_prime: Activation = sigmoid_prime_documents) -> Gradients:
    """[(dC_x/dW^l, dC_x/db^l)] by BP1-BP4 for one sample, as SymPy matrices."""
    zs, activations = forward_with_zs(sn, activation)
    L = sn.net.L
    delta = bp1_output_error(sn, zs[L - 1], activations[L], activation_prime)
    nabla: list = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(sn, l, delta, zs[l - 1], activation_prime)
        nabla[l - 1] = (bp4_weight_gradient(delta, activations[l - 1]), bp3_bias_gradient(delta))
    return nabla


def batch_mean(per_sample: Sequence[Gradients]) -> Gradients:
    """(1/N) sum_i of per-sample gradients: the batch gradient of C = (1/N) sum_i C_{x_i}."""
    N = len(per_sample)
    return [(sum((g[l][0] for g in per_sample), sympy.zeros(*per_sample[0][l][0].shape)) / N,
             sum((g[l][1] for g in per_sample), sympy.zeros(*per_sample[0][l][1].shape)) / N)
            for l in range(len(per_sample[0]))]
