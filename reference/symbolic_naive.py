"""The naive whole-batch derivation, kept as a baseline for ``benchmarks/bench_symbolic.py``.

    C = (1/N) sum_i 1/2 ||a^L(x_i) - y_i||^2

is written with N separate copies of the input and target symbols, differentiated with
``sympy.diff`` for every parameter through the whole network (no held layers, no cse),
and every derivative is evaluated with ``evalf`` at the exact float64 point.  Its cost
grows with N (the expression holds N copies of the network) and with the size of each
derivative's tree; ``reference.symbolic`` derives once per sample instead.  Both give
the same numbers (``tests/test_symbolic_gradients.py`` checks it on small cases).
"""
from __future__ import annotations

import dataclasses

import mpmath
import sympy

from reference.network import Network, Params
from reference.symbolic import per_sample_loss, symbolic_forward, symbolic_network, unflatten_objects
from reference.validation import check_data, check_params

__all__ = ["naive_batch_loss", "naive_batch_gradients"]


def naive_batch_loss(net: Network, N: int):
    """(sn_samples, C): C = (1/N) sum_i C_{x_i} with symbols x_{i,k}, y_{i,j} for each sample i."""
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be a positive integer (the number of samples), got {N!r}")
    sn = symbolic_network(net)
    samples = []
    for i in range(N):
        x = sympy.Matrix(net.n(0), 1, lambda k, _: sympy.Symbol(f"x{i}_{k}", real=True))
        y = sympy.Matrix(net.n(net.L), 1, lambda j, _: sympy.Symbol(f"y{i}_{j}", real=True))
        samples.append(dataclasses.replace(sn, x=x, y=y))
    C = sum((per_sample_loss(s, symbolic_forward(s, s.x)[-1]) for s in samples), sympy.S.Zero) / N
    return samples, C


def naive_batch_gradients(net: Network, params: Params, X, Y, *, dps: int = 50):
    """(C, [(dC/dW^l, dC/db^l)]) by differentiating the whole-batch C and evaluating with evalf."""
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    samples, C = naive_batch_loss(net, X.shape[1])
    point = {}
    for i, s in enumerate(samples):
        point.update({sym: sympy.Float(float(v), dps) for sym, v in zip(s.x, X[:, i])})
        point.update({sym: sympy.Float(float(v), dps) for sym, v in zip(s.y, Y[:, i])})
    sn = samples[0]
    theta = [t for l in range(1, net.L + 1) for t in sn.theta(l)]
    values = [float(v) for W, b in params for v in list(W.ravel()) + list(b.ravel())]
    point.update({t: sympy.Float(v, dps) for t, v in zip(theta, values)})
    exprs = [C] + [sympy.diff(C, t) for t in theta]
    with mpmath.workdps(dps):
        numbers = [mpmath.mpf(sympy.Float(e.evalf(dps, subs=point), dps)) for e in exprs]
    return numbers[0], unflatten_objects(net, numbers[1:])
