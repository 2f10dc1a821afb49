"""Meta-tests of the written error model: it holds for real float32 and float64
computations, and it is tight enough to catch a one-ulp-per-operation drift."""
import numpy as np
from hypothesis import given

from conformance.core.strategies import problems
from reference import gradients, Network
from reference.error_model import gradient_error_bound, loss_error_bound, gamma, unit_roundoff
from reference.params import flatten


def _float32_backprop(net, params, X, Y):
    """BP1-BP4 carried out entirely in float32 (every intermediate rounded to float32)."""
    f = np.float32
    params = [(W.astype(f), b.astype(f)) for W, b in params]
    a, zs, acts = X.astype(f), [], [X.astype(f)]
    for l, (W, b) in enumerate(params, start=1):
        z = W @ a + b[:, None]
        identity = l == net.L and net.output == "identity"
        a = z if identity else (f(1) / (f(1) + np.exp(-z)))
        zs.append(z)
        acts.append(a)
    def slope(l):
        if l == net.L and net.output == "identity":
            return np.ones_like(zs[l - 1])
        s = acts[l]
        return s * (f(1) - s)
    delta = (acts[-1] - Y.astype(f)) * slope(net.L)
    out = [None] * net.L
    for l in range(net.L, 0, -1):
        if l < net.L:
            delta = (params[l][0].T @ delta) * slope(l)
        out[l - 1] = (delta @ acts[l - 1].T / f(X.shape[1]), delta.sum(axis=1) / f(X.shape[1]))
    return out


@given(problems(max_depth=3, max_width=5, max_N=6, scales=(1.0, 0.1, 3.0)))
def test_a_float32_backprop_stays_within_the_float32_bound(problem):
    net, params, X, Y = problem
    with np.errstate(over="ignore", under="ignore"):
        got = flatten(_float32_backprop(net, params, X, Y))
    exact = flatten(gradients(net, params, X, Y))
    bound = flatten(gradient_error_bound(net, params, X, Y, dtype=np.float32)) \
        + flatten(gradient_error_bound(net, params, X, Y))
    assert np.all(np.abs(got - exact) <= bound), np.max(np.abs(got - exact) / bound)


def test_the_float64_bound_is_tight_enough_to_see_a_float32_computation():
    """A float32 result must fall outside the float64 bound: the bound is no vague constant."""
    net = Network([3, 5, 4, 2])
    rng = np.random.default_rng(4)
    params, X, Y = net.init(rng), rng.standard_normal((3, 6)), rng.random((2, 6))
    got = flatten(_float32_backprop(net, params, X, Y))
    exact = flatten(gradients(net, params, X, Y))
    assert np.any(np.abs(got - exact) > flatten(gradient_error_bound(net, params, X, Y)))


def test_the_float64_bound_is_below_1e_12_relative_on_a_documents_network():
    net = Network([2, 4, 3, 1])
    rng = np.random.default_rng(5)
    params, X, Y = net.init(rng), rng.standard_normal((2, 8)), rng.random((1, 8))
    g, b = flatten(gradients(net, params, X, Y)), flatten(gradient_error_bound(net, params, X, Y))
    assert np.max(b) < 1e-12 * np.max(np.abs(g))
    assert 0 < loss_error_bound(net, params, X, Y) < 1e-14


def test_gamma_and_unit_roundoff_follow_the_standard_model():
    assert unit_roundoff(np.float64) == 2.0 ** -53 and unit_roundoff(np.float32) == 2.0 ** -24
    assert gamma(10, 2.0 ** -53) == 10 * 2.0 ** -53 / (1 - 10 * 2.0 ** -53)
