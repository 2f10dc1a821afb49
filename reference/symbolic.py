"""Symbolic ground truth: every dC/dtheta derived by SymPy from the loss, evaluated exactly.

A network ``[n_0, ..., n_L]`` is written with one SymPy symbol per input x_k, target
y_j, weight w^l_jk and bias b^l_j, exactly as the reference computes it:

    z^l = W^l a^{l-1} + b^l,   a^l = sigma(z^l) = 1 / (1 + exp(-z^l)),   a^0 = x
    (a^L = z^L for ``output="identity"``)
    C_x = 1/2 ||a^L - y||^2                      (one sample)
    C   = (1/N) sum_i C_{x_i}                     (the batch: the reference's loss)

and likewise for the other declarations of ``reference.Network``: hidden activations
tanh(t) (``sympy.tanh``), relu(t) = Piecewise((t, t > 0), (0, True)), leaky_relu(t) =
Piecewise((t, t > 0), (slope t, True)) and the identity; a softmax output
a_j = exp(z_j) / sum_k exp(z_k); the cross-entropies written from the logits z^L, the
same functions in the form that stays exact at any precision,

    binary       C_x = sum_j [y_j log(1 + exp(-z_j)) + (1 - y_j) log(1 + exp(z_j))]
                     = -sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)]      (a = sigma(z))
    categorical  C_x = sum_j y_j (log sum_k exp(z_k) - z_j) = -sum_j y_j log a_j   (a = softmax(z))

an L2 term lambda/2 sum ||W^l||^2 (and ||b^l||^2 with ``l2_bias``) added to every C_x (so
that their mean carries it once), lambda and the slope as the exact rationals of their
float64 values; without biases z^l = W^l a^{l-1} (the b^l symbols remain, with derivative 0).
The kink convention follows from Piecewise's strict inequality: SymPy differentiates
relu into Piecewise((1, t > 0), (0, True)), so relu'(0) = 0 (and leaky_relu'(0) = slope).

Every dC_x/dtheta is ``sympy.diff`` of C_x: SymPy applies the chain rule through the
nested expression, including d sigma/dz, which it derives from 1 / (1 + exp(-z)) itself.
Nothing of BP1-BP4 (no delta, no transpose) is written here; ``tests/test_symbolic_bp_equations.py``
proves that BP1-BP4 agree with these derivatives.

Two facts keep the cost low without changing any value:

* The per-sample gradient is derived ONCE with symbolic x and y and evaluated at each
  sample; the batch gradient is the mean, dC/dtheta = (1/N) sum_i dC_{x_i}/dtheta
  (differentiation is linear), so the derivation cost does not grow with N.
* For a parameter of layer l, the activations a^{l-1} below it do not depend on it, so
  C_x is differentiated as a function of theta^l, ..., theta^L with a^{l-1} held as
  symbols alpha^{l-1} (for l = 1 these are the inputs x).  The values of alpha^{l-1} are
  the forward expressions a^{l-1}, evaluated first.  ``hold_lower_layers=False`` turns
  this off (the whole network below is then differentiated too; same values).

Common subexpressions are shared with ``sympy.cse``.  The resulting straight-line
program is evaluated with mpmath at ``dps`` significant digits (inputs converted
exactly from float64 with ``mpmath.mpf(float)``, so the point is exactly the float64
point) or, for speed, with NumPy in float64 (``symbolic_gradients_float64``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import mpmath
import numpy as np
import sympy

from reference.network import Network, Params
from reference.symbolic_models import _select, cross_entropy, exact, hidden_activation, l2_term, output_layer, sigma
from reference.validation import check_data, check_params

__all__ = ["SymbolicNetwork", "Derivation", "sigma", "exact", "hidden_activation", "output_layer",
           "symbolic_network", "symbolic_forward", "symbolic_forward_with_logits", "per_sample_loss", "l2_term",
           "sample_objective", "differentiate", "share_subexpressions", "derive", "derivation",
           "evaluate", "symbolic_gradients", "symbolic_gradients_float64", "unflatten_objects"]

Activation = Callable[[sympy.Expr], sympy.Expr]


@dataclass(frozen=True)
class SymbolicNetwork:
    """The symbols of one sample: x (n_0,), y (n_L,), W^l (n_l, n_{l-1}), b^l (n_l, 1)."""

    net: Network
    x: sympy.Matrix
    y: sympy.Matrix
    W: Tuple[sympy.Matrix, ...]   # W[l - 1] is W^l, entry (j, k) the symbol w^l_jk
    b: Tuple[sympy.Matrix, ...]   # b[l - 1] is b^l, a column, entry j the symbol b^l_j

    def theta(self, l: int) -> List[sympy.Symbol]:
        """The parameters of layer l in the flat order of ``reference.params``: W^l row-major, b^l."""
        return list(self.W[l - 1]) + list(self.b[l - 1])

    def alpha(self, l: int) -> sympy.Matrix:
        """Symbols ``alpha{l}_{j}`` standing for a^l (l >= 1) when it is held fixed; a^0 is x."""
        if l == 0:
            return self.x
        return sympy.Matrix(self.net.n(l), 1, lambda j, _: sympy.Symbol(f"alpha{l}_{j}", real=True))


def symbolic_network(net: Network) -> SymbolicNetwork:
    """Real symbols for one sample of ``net``, named as Python identifiers.

    x_k is ``x_k``, y_j is ``y_j``, w^l_jk is ``w{l}_{j}_{k}`` and b^l_j is ``b{l}_{j}``
    (e.g. w^2_10 is ``w2_1_0``); indices j, k count from 0 as in the arrays.
    """
    x = sympy.Matrix(net.n(0), 1, lambda k, _: sympy.Symbol(f"x_{k}", real=True))
    y = sympy.Matrix(net.n(net.L), 1, lambda j, _: sympy.Symbol(f"y_{j}", real=True))
    W = tuple(sympy.Matrix(*net.weight_shape(l), lambda j, k: sympy.Symbol(f"w{l}_{j}_{k}", real=True))
              for l in range(1, net.L + 1))
    b = tuple(sympy.Matrix(net.n(l), 1, lambda j, _: sympy.Symbol(f"b{l}_{j}", real=True))
              for l in range(1, net.L + 1))
    return SymbolicNetwork(net, x, y, W, b)


def symbolic_forward_with_logits(sn: SymbolicNetwork, a_prev: sympy.Matrix, first: int = 1,
                                 activation: Optional[Activation] = None):
    """(z^L, [a^{first-1}, ..., a^L]) from a^{first-1} = ``a_prev``: z^l = W^l a^{l-1} + b^l, a^l = f(z^l).

    ``activation`` is the hidden activation (the network's by default); the output layer
    is the network's output activation (the sigmoid one when ``activation`` is given
    and the output is sigmoid, as the BP proofs with an undefined f need).
    """
    net, activations = sn.net, [a_prev]
    f = activation or hidden_activation(net)
    z = None
    for l in range(first, net.L + 1):
        z = sn.W[l - 1] * activations[-1]
        if net.bias:
            z = z + sn.b[l - 1]
        if l < net.L:
            activations.append(z.applyfunc(f))
        elif net.output == "sigmoid" and activation is not None:
            activations.append(z.applyfunc(activation))
        else:
            activations.append(output_layer(net, z))
    return z, activations


def symbolic_forward(sn: SymbolicNetwork, a_prev: sympy.Matrix, first: int = 1,
                     activation: Optional[Activation] = None) -> List[sympy.Matrix]:
    """[a^{first-1}, a^first, ..., a^L] from a^{first-1} = ``a_prev``: z^l = W^l a^{l-1} + b^l, a^l = f(z^l).

    The output layer is the network's output activation; ``activation`` replaces the
    hidden (and a sigmoid output's) activation, the network's own by default.
    """
    return symbolic_forward_with_logits(sn, a_prev, first, activation)[1]


def per_sample_loss(sn: SymbolicNetwork, a_L: sympy.Matrix, z_L: Optional[sympy.Matrix] = None) -> sympy.Expr:
    """C_x for one sample: 1/2 ||a^L - y||^2 = 1/2 sum_j (a^L_j - y_j)^2 by default.

    The cross-entropies are written from the logits ``z_L`` (module docstring).
    """
    net, y = sn.net, sn.y
    if net.loss != "half_sse":
        return cross_entropy(net, y, z_L)
    return sympy.Rational(1, 2) * sum(((a_L[j] - y[j]) ** 2 for j in range(net.n(net.L))), sympy.S.Zero)


def sample_objective(sn: SymbolicNetwork, a_prev: sympy.Matrix, first: int = 1) -> sympy.Expr:
    """C_x + the L2 term, through layers first..L from a^{first-1} = ``a_prev``."""
    z_L, activations = symbolic_forward_with_logits(sn, a_prev, first)
    return per_sample_loss(sn, activations[-1], z_L) + l2_term(sn)


@dataclass(frozen=True)
class Derivation:
    """C_x and every dC_x/dtheta of one network, as a straight-line program (cse'd).

    ``outputs`` is [C_x, dC_x/dtheta_1, ..., dC_x/dtheta_P] in ``reference.params`` flat
    order; ``replacements`` are the assignments (forward a^l, then common subexpressions)
    that ``reduced`` (the outputs rewritten) rely on.
    """

    net: Network
    sn: SymbolicNetwork
    outputs: Tuple[sympy.Expr, ...]
    replacements: Tuple[Tuple[sympy.Symbol, sympy.Expr], ...]
    reduced: Tuple[sympy.Expr, ...]

    @property
    def args(self) -> list:
        """Argument lists of the compiled program: [x, y, theta]."""
        theta = [s for l in range(1, self.net.L + 1) for s in self.sn.theta(l)]
        return [list(self.sn.x), list(self.sn.y), theta]

    def compile(self, modules) -> Callable:
        """``f(x, y, theta) -> [C_x, dC_x/dtheta...]`` via ``sympy.lambdify`` with these ``modules``."""
        precomputed = (list(self.replacements), list(self.reduced))
        return sympy.lambdify(self.args, list(self.reduced), modules=modules,
                              cse=lambda exprs: precomputed, docstring_limit=0)

    @functools.cached_property
    def mpmath_program(self) -> Callable:
        """The program with mpmath arithmetic (evaluate inside ``mpmath.workdps``)."""
        return self.compile("mpmath")

    @functools.cached_property
    def float64_program(self) -> Callable:
        """The program with NumPy float64 arithmetic, vectorised over samples."""
        return self.compile([{"select": _select}, "numpy"])


def differentiate(net: Network, *, hold_lower_layers: bool = True):
    """(sn, forward_assignments, [C_x, dC_x/dtheta_1, ...]): the SymPy derivatives, before cse.

    For layer l, C_x is written from alpha^{l-1} (symbols; x for l = 1) through layers
    l..L and differentiated with respect to each w^l_jk and b^l_j; ``forward_assignments``
    are (alpha^l_j, sigma(W^l alpha^{l-1} + b^l)_j) for l = 1..L-1, in order, so that
    every output becomes a function of x, y and theta.  With ``hold_lower_layers=False``
    every layer is differentiated through the whole network from x (no assignments).
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a reference.Network, got {type(net).__name__}")
    sn = symbolic_network(net)
    L = net.L
    start = sn.alpha if hold_lower_layers else (lambda _: sn.x)
    first = (lambda l: l) if hold_lower_layers else (lambda _: 1)
    forward_assignments: list = []
    gradients: list = []
    for l in range(1, L + 1):
        C_x = sample_objective(sn, start(l - 1), first(l))
        gradients += [sympy.diff(C_x, theta) for theta in sn.theta(l)]
        if hold_lower_layers and l < L:
            a_l = symbolic_forward(sn, sn.alpha(l - 1), l)[1]
            forward_assignments += list(zip(sn.alpha(l), a_l))
    C_x = sample_objective(sn, start(L - 1), first(L))
    return sn, forward_assignments, [C_x] + gradients


def share_subexpressions(net: Network, sn: SymbolicNetwork, forward_assignments: Sequence,
                         outputs: Sequence[sympy.Expr]) -> Derivation:
    """``sympy.cse`` over all outputs at once: the straight-line program of a ``Derivation``."""
    common, reduced = sympy.cse(list(outputs), symbols=sympy.numbered_symbols("t_"), order="none")
    return Derivation(net, sn, tuple(outputs), tuple(forward_assignments) + tuple(common),
                      tuple(reduced))


def derive(net: Network, *, hold_lower_layers: bool = True) -> Derivation:
    """``differentiate`` then ``share_subexpressions`` (not cached; see ``derivation``)."""
    return share_subexpressions(net, *differentiate(net, hold_lower_layers=hold_lower_layers))


@functools.lru_cache(maxsize=32)
def derivation(net: Network) -> Derivation:
    """``derive(net)``, cached per network (layer sizes and output) within the process."""
    return derive(net)


def _checked(net: Network, params: Params, X, Y):
    if not isinstance(net, Network):
        raise ValueError(f"net must be a reference.Network, got {type(net).__name__}")
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    return params, X, Y


def _theta_values(params: Params) -> List[float]:
    return [float(v) for W, b in params for v in list(W.ravel()) + list(b.ravel())]


def unflatten_objects(net: Network, flat: Sequence) -> list:
    """[(dW^l, db^l)] as object arrays from a flat sequence in ``reference.params`` order."""
    out, i = [], 0
    for l in range(1, net.L + 1):
        n_out, n_in = net.weight_shape(l)
        dW = np.empty((n_out, n_in), dtype=object)
        dW.ravel()[:] = list(flat[i:i + n_out * n_in])
        i += n_out * n_in
        db = np.empty((n_out,), dtype=object)
        db[:] = list(flat[i:i + n_out])
        i += n_out
        out.append((dW, db))
    return out


def symbolic_gradients(net: Network, params: Params, X, Y, *, dps: int = 50):
    """(C, [(dC/dW^l, dC/db^l)]) at ``dps`` significant digits, entries ``mpmath.mpf``.

    C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 and dC/dtheta = (1/N) sum_i dC_{x_i}/dtheta,
    each term the SymPy derivative evaluated at the exact float64 point (x_i, y_i, theta).
    dC/dW^l is an object array of shape (n_l, n_{l-1}), dC/db^l of shape (n_l,).  The mpf
    values carry ``dps`` digits; use them inside ``mpmath.workdps(dps)`` (outside it,
    ``mpmath.mpf(v)`` and arithmetic round them to mpmath's working precision, 15 digits).
    """
    params, X, Y = _checked(net, params, X, Y)
    if not isinstance(dps, int) or dps < 16:
        raise ValueError(f"dps must be an integer >= 16 (significant digits), got {dps!r}")
    return evaluate(derivation(net), params, X, Y, dps=dps)


def evaluate(d: Derivation, params: Params, X: np.ndarray, Y: np.ndarray, *, dps: int):
    """``symbolic_gradients`` for a given derivation, on validated float64 arrays.

    Every mpmath number is made and combined inside ``mpmath.workdps(dps)``; the
    returned mpf values keep that precision (do not re-wrap them with ``mpmath.mpf``
    outside such a context: that rounds them to the working precision).
    """
    program = d.mpmath_program
    N = X.shape[1]
    with mpmath.workdps(dps):
        theta = [mpmath.mpf(v) for v in _theta_values(params)]
        totals = [mpmath.mpf(0)] * (1 + len(theta))
        for i in range(N):
            x = [mpmath.mpf(float(v)) for v in X[:, i]]
            y = [mpmath.mpf(float(v)) for v in Y[:, i]]
            totals = [t + v for t, v in zip(totals, program(x, y, theta))]
        means = [t / N for t in totals]
    return means[0], unflatten_objects(d.net, means[1:])


def symbolic_gradients_float64(net: Network, params: Params, X, Y):
    """(C, [(dC/dW^l, dC/db^l)]) from the same derived program in NumPy float64 (fast, not exact).

    All N samples are evaluated at once (x_k, y_j are rows of X, Y) and averaged.
    (theta is passed as arrays of N equal values, so that every condition of a relu's
    Piecewise is an array, as ``numpy.select`` requires.)
    Not a ground truth: SymPy's expressions hold powers of exp(-z) such as (1 + exp(-z))^2,
    which overflow in float64 for z below about -354: from there the result silently loses
    its relative accuracy (a tiny nonzero derivative can come out as 0), and below about
    -709, where exp(-z) itself overflows, it is nan or inf.
    """
    params, X, Y = _checked(net, params, X, Y)
    N = X.shape[1]
    program = derivation(net).float64_program
    with np.errstate(all="ignore"):
        values = program(list(X), list(Y), [np.full(N, v) for v in _theta_values(params)])
    means = [float(np.mean(np.broadcast_to(np.asarray(v, dtype=np.float64), (N,)))) for v in values]
    flat = unflatten_objects(net, means[1:])
    return means[0], [(dW.astype(np.float64), db.astype(np.float64)) for dW, db in flat]
