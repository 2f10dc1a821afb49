r"""BP1-BP4 proved equal to the chain-rule derivative of the loss, and two printed formulas disproved.

The proof (``reference.symbolic_bp``): for a network with an *undefined* activation f,
``sympy.diff`` of C_x = 1/2 ||a^L - y||^2 with respect to every w^l_jk and b^l_j, and
the documents' four equations

    BP1  delta^L = (a^L - y) * f'(z^L)
    BP2  delta^l = ((W^{l+1})^T delta^{l+1}) * f'(z^l)
    BP3  dC/db^l = delta^l
    BP4  dC/dW^l = delta^l (a^{l-1})^T

are polynomials in x, y, theta, f(z) and f'(z); their difference expands to exactly 0.
So BP1-BP4 are the chain rule for any differentiable activation, and with
d sigma/dz = sigma (1 - sigma) (proved below) for the sigmoid.  Each failure names the
layer, the parameter and the index, and shows the residual.

The errata quote the last document, 002_c3de21e836de6451.txt, section "Multidimensional case".
"""
from __future__ import annotations

import dataclasses
import functools
import itertools

import mpmath
import numpy as np
import pytest
import sympy

from reference import Network
from reference.symbolic import per_sample_loss, sigma, symbolic_network
from reference.symbolic_bp import (batch_mean, bp_gradients, chain_rule_gradients, derivative_of,
                                   forward_with_zs, sigmoid_prime_documents)

f = sympy.Function("f")
f_prime = derivative_of(f)

#: Depth 1-3, widths 1-3, square and non-square layers, both outputs (default run).
PROOF_NETWORKS = [(1, 1), (2, 1), (3, 2), (1, 1, 1), (2, 3, 1), (3, 2, 3), (3, 3, 3), (1, 1, 1, 1),
                  (2, 3, 2, 1), (3, 1, 3, 2), (3, 3, 3, 3)]
ALL_SMALL_NETWORKS = [sizes for L in (1, 2, 3) for sizes in itertools.product((1, 2, 3), repeat=L + 1)]


@functools.lru_cache(maxsize=None)
def both_gradients(sizes, output):
    sn = symbolic_network(Network(sizes, output=output))
    return chain_rule_gradients(sn, f), bp_gradients(sn, f, f_prime)


def residuals(chain_rule, bp, l, param):
    """[(index, expanded chain-rule minus BP entry)] for entries that do not vanish."""
    which = 0 if param == "W" else 1
    diff = chain_rule[l - 1][which] - bp[l - 1][which]
    return [(idx, r) for idx in itertools.product(*map(range, diff.shape))
            if (r := sympy.expand(diff[idx])) != 0]


def assert_proved(sizes, output, layers, param, clause):
    chain_rule, bp = both_gradients(sizes, output)
    for l in layers:
        bad = residuals(chain_rule, bp, l, param)
        assert not bad, (f"{clause} on Network({list(sizes)}, output={output!r}): layer {l}, "
                         f"dC/d{param}^{l}{list(bad[0][0])} - BP = {bad[0][1]} (not 0)")


@pytest.mark.parametrize("output", ["sigmoid", "identity"])
@pytest.mark.parametrize("sizes", PROOF_NETWORKS, ids=str)
def test_bp1_bp3_output_bias_gradient_is_the_chain_rule(sizes, output):
    """dC/db^L (sympy.diff) == delta^L = (a^L - y) * f'(z^L): BP1 with BP3 at l = L."""
    assert_proved(sizes, output, [len(sizes) - 1], "b", "BP1+BP3")


@pytest.mark.parametrize("output", ["sigmoid", "identity"])
@pytest.mark.parametrize("sizes", [s for s in PROOF_NETWORKS if len(s) > 2], ids=str)
def test_bp2_bp3_hidden_bias_gradients_are_the_chain_rule(sizes, output):
    """dC/db^l (sympy.diff) == delta^l = ((W^{l+1})^T delta^{l+1}) * f'(z^l) for every hidden l: BP2 with BP3."""
    assert_proved(sizes, output, range(1, len(sizes) - 1), "b", "BP2+BP3")


@pytest.mark.parametrize("output", ["sigmoid", "identity"])
@pytest.mark.parametrize("sizes", PROOF_NETWORKS, ids=str)
def test_bp4_weight_gradients_are_the_chain_rule(sizes, output):
    """dC/dW^l (sympy.diff) == delta^l (a^{l-1})^T for every layer l: BP4."""
    assert_proved(sizes, output, range(1, len(sizes)), "W", "BP4")


@pytest.mark.slow
@pytest.mark.parametrize("output", ["sigmoid", "identity"])
@pytest.mark.parametrize("sizes", ALL_SMALL_NETWORKS, ids=str)
def test_bp1_to_bp4_are_the_chain_rule_on_every_small_network(sizes, output):
    """All 117 architectures of depth 1-3 and widths 1-3, every layer, W and b."""
    for param in ("W", "b"):
        assert_proved(sizes, output, range(1, len(sizes)), param, "BP1-BP4")


def test_batch_gradient_is_the_mean_of_per_sample_bp_gradients():
    """C = (1/N) sum_i C_{x_i}: dC/dtheta (sympy.diff of the batch loss) == (1/N) sum_i BP_i, N = 2."""
    sn = symbolic_network(Network([2, 3, 2]))
    samples = [dataclasses.replace(sn, x=sympy.Matrix(sympy.symbols(f"x{i}_0:2", real=True)),
                                   y=sympy.Matrix(sympy.symbols(f"y{i}_0:2", real=True))) for i in (0, 1)]
    C = sum((per_sample_loss(s, forward_with_zs(s, f)[1][-1]) for s in samples), sympy.S.Zero) / 2
    bp = batch_mean([bp_gradients(s, f, f_prime) for s in samples])
    for l, (W, b) in enumerate(zip(sn.W, sn.b), start=1):
        for name, symbols, expected in (("W", W, bp[l - 1][0]), ("b", b, bp[l - 1][1])):
            for idx in itertools.product(*map(range, symbols.shape)):
                r = sympy.expand(sympy.diff(C, symbols[idx]) - expected[idx])
                assert r == 0, f"batch mean, layer {l}, dC/d{name}^{l}{list(idx)}: residual {r}"


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    """d/dz 1/(1 + exp(-z)) == sigma(z)(1 - sigma(z)): the form doc 1 and doc 3 use for sigma'."""
    t = sympy.Symbol("t", real=True)
    assert sympy.simplify(sympy.diff(sigma(t), t) - sigmoid_prime_documents(t)) == 0


def rational_point(rng, symbols):
    """A random rational value p/q (q in 1..12, |p/q| <= 3) for each symbol."""
    q = rng.integers(1, 13, size=len(symbols))
    p = rng.integers(-3 * q, 3 * q + 1)
    return {s: sympy.Rational(int(a), int(b)) for s, a, b in zip(symbols, p, q)}


def flat(gradients):
    """Every entry of [(dW^l, db^l)], W row-major then b, layer by layer."""
    return [e for W, b in gradients for e in list(W) + list(b)]


def evaluate(exprs, point, dps=60):
    """The expressions at a rational point, as mpmath numbers with ``dps`` digits."""
    fn = sympy.lambdify([list(point)], list(exprs), modules="mpmath", cse=True)
    with mpmath.workdps(dps):
        return fn([mpmath.mpf(v.p) / v.q for v in point.values()])


@pytest.mark.parametrize("sizes, output", [((1, 1, 1, 1), "sigmoid"), ((2, 3, 3, 1), "sigmoid"),
                                           ((3, 2, 3), "identity")], ids=str)
def test_bp_with_sigmoid_prime_from_activations_matches_the_chain_rule_at_rational_points(sizes, output):
    """The sigmoid itself: BP1-BP4 with sigma' = sigma (1 - sigma) vs sympy.diff, 60 digits, 3 points."""
    sn = symbolic_network(Network(sizes, output=output))
    chain_rule, bp = chain_rule_gradients(sn), bp_gradients(sn)
    symbols = list(sn.x) + list(sn.y) + [s for l in range(1, len(sizes)) for s in sn.theta(l)]
    rng = np.random.default_rng(2024)
    for _ in range(3):
        point = rational_point(rng, symbols)
        with mpmath.workdps(60):
            for got, want in zip(evaluate(flat(bp), point), evaluate(flat(chain_rule), point)):
                assert abs(got - want) <= mpmath.mpf(10) ** -50 * (1 + abs(want)), (got, want, point)


def bp_with(sn, *, transpose=True, a_offset=1):
    """BP1-BP4 with one deliberate mistake, to show the proof can fail."""
    zs, activations = forward_with_zs(sn, f)
    L = sn.net.L
    delta = (activations[L] - sn.y).multiply_elementwise(zs[L - 1].applyfunc(f_prime))
    nabla = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            W = sn.W[l].T if transpose else sn.W[l]
            delta = (W * delta).multiply_elementwise(zs[l - 1].applyfunc(f_prime))
        nabla[l - 1] = (delta * activations[l - a_offset].T, delta)
    return nabla


@pytest.mark.parametrize("mistake", [{"transpose": False}, {"a_offset": 0}], ids=["W-not-transposed", "a^l-in-BP4"])
def test_the_proof_rejects_a_wrong_bp(mistake):
    """Square layers ([2,2,2,2]) so the wrong formulas have the right shapes: they must not expand to 0."""
    sn = symbolic_network(Network([2, 2, 2, 2]))
    chain_rule, wrong = chain_rule_gradients(sn, f), bp_with(sn, **mistake)
    assert any(sympy.expand(c - w) != 0 for (cW, _), (wW, _) in zip(chain_rule, wrong) for c, w in zip(cW, wW))


def test_erratum_sigmoid_derivative_written_sigma_z_times_one_minus_z_is_wrong():
    r"""The last document prints, in "Multidimensional case":

        \frac{\color{green}{\partial \color{green}{a_j^L}}}{\color{orange}{\partial z_j^L}}= \sigma(\color{orange}{z_j^L})(1-\color{orange}{z_j^L})

    i.e. da_j^L/dz_j^L = sigma(z_j^L)(1 - z_j^L).  The chain rule gives sigma(z)(1 - sigma(z)):
    at z = 0 exactly 1/4 against the printed 1/2, and BP1 built on the printed form
    misses dC/db^L on a [2, 2, 1] network.
    """
    t = sympy.Symbol("t", real=True)
    printed = lambda z: sigma(z) * (1 - z)  # noqa: E731
    assert sympy.diff(sigma(t), t).subs(t, 0) == sympy.Rational(1, 4)
    assert printed(t).subs(t, 0) == sympy.Rational(1, 2)
    assert sympy.simplify(sympy.diff(sigma(t), t) - printed(t)) != 0
    sn = symbolic_network(Network([2, 2, 1]))
    chain_rule = chain_rule_gradients(sn)
    zs, activations = forward_with_zs(sn, sigma)
    bp1_printed = (activations[2] - sn.y).multiply_elementwise(zs[1].applyfunc(printed))
    point = rational_point(np.random.default_rng(7), list(sn.x) + list(sn.y) + sn.theta(1) + sn.theta(2))
    got, want = evaluate(bp1_printed, point)[0], evaluate(chain_rule[1][1], point)[0]
    assert abs(got - want) > mpmath.mpf("0.1") * abs(want), f"printed BP1 {got} vs dC/db^2 {want}"


def test_erratum_vectorized_bp4_written_with_delta_L_and_a_L_minus_1_is_wrong_below_the_output():
    r"""The last document's "Vectorized BP4" reads

        \frac{\dc}{ \color{blue}{ \partial \mathbf{W^\ell} } } = \delta^L(\color{green}{\mathbf{a}^{L-1}})^T

    i.e. dC/dW^l = delta^L (a^{L-1})^T for any layer l, where delta^l (a^{l-1})^T belongs
    (the document's own summary table has the right form).  On [2, 2, 2] the shapes agree
    and the printed formula is right at l = L but wrong at l = 1; on the document's own
    [2, 3, 3, 1] it does not even have the shape of W^1.
    """
    sn = symbolic_network(Network([2, 2, 2]))
    chain_rule, bp = chain_rule_gradients(sn, f), bp_gradients(sn, f, f_prime)
    delta_L, a_L_minus_1 = bp[1][1], forward_with_zs(sn, f)[1][1]
    printed = delta_L * a_L_minus_1.T
    assert all(sympy.expand(c - p) == 0 for c, p in zip(chain_rule[1][0], printed)), "right at l = L"
    assert any(sympy.expand(c - p) != 0 for c, p in zip(chain_rule[0][0], printed)), "wrong at l = 1"
    doc_net = symbolic_network(Network([2, 3, 3, 1]))
    doc_bp = bp_gradients(doc_net, f, f_prime)
    printed_doc = doc_bp[2][1] * forward_with_zs(doc_net, f)[1][2].T
    assert printed_doc.shape == (1, 3) and doc_net.W[0].shape == (3, 2)


def test_erratum_delta_L_written_sigma_z_times_sigma_one_minus_z_is_wrong():
    r"""The same section defines the output error twice as

        \sigma(\color{orange}{z_j^L})\sigma(1-\color{orange}{z_j^L}) (\color{green}{a_j^L}- y_j)

    i.e. delta_j^L = sigma(z) sigma(1 - z) (a - y); sigma(z) sigma(1 - z) is not sigma'(z):
    at z = 0 it is sigma(1)/2 = 0.3655..., not 1/4.
    """
    t = sympy.Symbol("t", real=True)
    printed = sigma(t) * sigma(1 - t)
    assert sympy.simplify(sympy.diff(sigma(t), t) - printed) != 0
    assert abs(sympy.N(printed.subs(t, 0), 30) - sympy.Rational(1, 4)) > sympy.Rational(1, 10)
