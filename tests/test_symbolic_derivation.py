"""reference.symbolic, the derivation itself: its symbols, hold_lower_layers, the program, refusals.

* ``symbolic_network`` makes *real* symbols named ``x_k``, ``y_j``, ``w{l}_{j}_{k}``,
  ``b{l}_{j}``; ``SymbolicNetwork.alpha(l)`` is ``alpha{l}_{j}`` (a^0 is x); so every
  derived expression is real (its conjugate is itself).
* ``differentiate`` / ``derive`` return [C_x, dC_x/dtheta_1, ...] in flat parameter order,
  with the values of C_x and dC_x/dtheta recomputed here by hand (a [1,1,1] chain and a
  one-layer identity network), with and without ``hold_lower_layers``.
* Held (the default): layer l is differentiated from alpha^{l-1}, and the forward
  assignments are exactly (alpha^l_j, sigma(W^l alpha^{l-1} + b^l)_j) for l = 1..L-1.
  Not held: everything is written from x and there are no assignments.
* ``share_subexpressions``: ``outputs`` are the expressions before cse, the replacements
  are the forward assignments then the temporaries t_0, t_1, ...
* ``Derivation.compile`` does not render the expressions into the function's docstring.
* ``symbolic_gradients``: dps defaults to 50 and 16 is the smallest accepted; refusals
  name the argument exactly.  ``symbolic_gradients_float64`` lets no floating-point
  warning escape where its program overflows.

Everything is derived with ``derive``/``differentiate`` in the test body (``derivation``
is cached per network within a process, so it would not show a change of the code).
"""
from __future__ import annotations

import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy

from reference import Network
from reference.symbolic import (derive, differentiate, per_sample_loss, symbolic_gradients,
                                symbolic_gradients_float64, symbolic_network)


def real(name):
    return sympy.Symbol(name, real=True)


def sigma(t):
    return 1 / (1 + sympy.exp(-t))


def names(symbols):
    return {str(s) for s in symbols}


def test_symbolic_network_makes_real_symbols_named_as_in_its_docstring():
    sn = symbolic_network(Network([2, 3, 2]))
    assert list(sn.x) == [real("x_0"), real("x_1")]
    assert list(sn.y) == [real("y_0"), real("y_1")]
    assert sn.W[0] == sympy.Matrix(3, 2, lambda j, k: real(f"w1_{j}_{k}"))
    assert sn.W[1] == sympy.Matrix(2, 3, lambda j, k: real(f"w2_{j}_{k}"))
    assert list(sn.b[0]) == [real(f"b1_{j}") for j in range(3)]
    assert list(sn.b[1]) == [real(f"b2_{j}") for j in range(2)]
    every = list(sn.x) + list(sn.y) + [s for M in sn.W + sn.b for s in M]
    assert all(s.is_real is True for s in every), [s for s in every if s.is_real is not True]


def test_alpha_symbols_are_real_alpha_l_j_and_alpha_0_is_x():
    sn = symbolic_network(Network([2, 3, 2, 1]))
    assert sn.alpha(0) == sn.x
    assert list(sn.alpha(1)) == [real(f"alpha1_{j}") for j in range(3)]
    assert list(sn.alpha(2)) == [real(f"alpha2_{j}") for j in range(2)]
    assert all(s.is_real is True for s in list(sn.alpha(1)) + list(sn.alpha(2)))


@pytest.mark.parametrize("hold", [True, False])
def test_every_derived_expression_is_real_its_conjugate_is_itself(hold):
    """[1,2,1] (held: x, alpha1, y, w, b all appear): C_x and every dC_x/dtheta are real."""
    d = derive(Network([1, 2, 1]), hold_lower_layers=hold)
    for i, e in enumerate(d.outputs):
        assert sympy.conjugate(e) == e, f"output {i} is not known to be real: conjugate gives {sympy.conjugate(e)}"


def chain_values(x, y, w1, b1, w2, b2, output):
    """[C_x, dC/dw1, dC/db1, dC/dw2, dC/db2] of the [1,1,1] chain, by hand (mpmath)."""
    s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
    a1 = s(w1 * x + b1)
    z2 = w2 * a1 + b2
    a2, slope2 = (s(z2), s(z2) * (1 - s(z2))) if output == "sigmoid" else (z2, 1)
    d2 = (a2 - y) * slope2
    d1 = w2 * d2 * a1 * (1 - a1)
    return [(a2 - y) ** 2 / 2, d1 * x, d1, d2 * a1, d2]


@pytest.mark.parametrize("hold", [True, False])
@pytest.mark.parametrize("output", ["sigmoid", "identity"])
def test_loss_and_gradients_of_a_1_1_1_chain_are_the_hand_derived_values(output, hold):
    """Outputs [C_x, dC/dw^1, dC/db^1, dC/dw^2, dC/db^2] equal the chain rule by hand, to 45 digits."""
    d = derive(Network([1, 1, 1], output=output), hold_lower_layers=hold)
    x, y, theta = 0.75, 0.25, [1.5, -0.5, -2.0, 0.625]     # w1, b1, w2, b2
    with mpmath.workdps(50):
        got = d.mpmath_program([mpmath.mpf(x)], [mpmath.mpf(y)], [mpmath.mpf(t) for t in theta])
        want = chain_values(*map(mpmath.mpf, [x, y, *theta]), output)
        assert len(got) == len(want) == 5, f"expected [C, 4 gradients], got {len(got)} outputs"
        for i, (g, v) in enumerate(zip(got, want)):
            assert abs(g - v) <= mpmath.mpf(10) ** -45 * (1 + abs(v)), f"output {i}: {g} != {v}"


@pytest.mark.parametrize("hold", [True, False])
def test_one_layer_identity_network_gives_the_exact_rational_loss_and_gradients(hold):
    """[2,2] identity at a dyadic point: C = 1/2 sum r_j^2, dC/dw_jk = r_j x_k, dC/db_j = r_j (r = Wx + b - y)."""
    d = derive(Network([2, 2], output="identity"), hold_lower_layers=hold)
    x, y = [Fraction(1, 2), Fraction(-3, 4)], [Fraction(1, 8), Fraction(2)]
    W, b = [[Fraction(3, 2), Fraction(-1)], [Fraction(1, 4), Fraction(5, 2)]], [Fraction(-1, 2), Fraction(1, 4)]
    r = [W[j][0] * x[0] + W[j][1] * x[1] + b[j] - y[j] for j in range(2)]
    want = [sum(v * v for v in r) / 2] + [r[j] * x[k] for j in range(2) for k in range(2)] + r
    theta = [v for row in W for v in row] + b
    to_mpf = lambda vs: [mpmath.mpf(v.numerator) / v.denominator for v in vs]  # noqa: E731
    with mpmath.workdps(50):
        got = d.mpmath_program(to_mpf(x), to_mpf(y), to_mpf(theta))
        assert got == to_mpf(want), f"got {got}, expected {[str(v) for v in want]}"


def test_outputs_are_the_loss_then_one_gradient_per_parameter_in_flat_order():
    """[1,2,1]: 1 + P outputs, the first is C_x, each gradient the derivative of the whole-network C_x."""
    net = Network([1, 2, 1])
    sn, _, outputs = differentiate(net, hold_lower_layers=False)
    C_x = per_sample_loss(sn, sympy.Matrix([sigma(sum(real(f"w2_0_{k}") * sigma(real(f"w1_{k}_0") * real("x_0")
                                                                               + real(f"b1_{k}")) for k in range(2))
                                                  + real("b2_0"))]))
    params = ["w1_0_0", "w1_1_0", "b1_0", "b1_1", "w2_0_0", "w2_0_1", "b2_0"]
    assert len(outputs) == 1 + len(params)
    assert outputs[0] == C_x
    for name, g in zip(params, outputs[1:]):
        assert g == sympy.diff(C_x, real(name)), f"dC_x/d{name} is not sympy.diff of C_x"


def test_held_forward_assignments_are_alpha_l_for_layers_1_to_L_minus_1_in_order():
    """Default (held): (alpha^l_j, sigma(W^l alpha^{l-1} + b^l)_j) for l = 1, 2 of [1,2,2,1], nothing for l = L."""
    _, assignments, _ = differentiate(Network([1, 2, 2, 1]))
    want = [(real(f"alpha1_{j}"), sigma(real(f"w1_{j}_0") * real("x_0") + real(f"b1_{j}"))) for j in range(2)]
    want += [(real(f"alpha2_{j}"), sigma(real(f"w2_{j}_0") * real("alpha1_0") + real(f"w2_{j}_1") * real("alpha1_1")
                                         + real(f"b2_{j}"))) for j in range(2)]
    assert list(assignments) == want, [str(a) for a in assignments]


def test_held_layer_l_is_differentiated_from_the_alpha_l_minus_1_symbols():
    """[1,2,2,1] held: layer-3 and layer-2 gradients see alpha2 / alpha1, never x or a lower layer's theta."""
    _, _, outputs = differentiate(Network([1, 2, 2, 1]), hold_lower_layers=True)
    C_x, layer1, layer2, layer3 = outputs[0], outputs[1:5], outputs[5:11], outputs[11:14]
    top = {"alpha2_0", "alpha2_1", "w3_0_0", "w3_0_1", "b3_0", "y_0"}
    middle = top - {"alpha2_0", "alpha2_1"} | {"alpha1_0", "alpha1_1", "w2_0_0", "w2_0_1", "w2_1_0", "w2_1_1",
                                                "b2_0", "b2_1"}
    assert names(C_x.free_symbols) == top
    assert all(names(g.free_symbols) <= top for g in layer3) and names(layer3[0].free_symbols) >= {"alpha2_0"}
    assert all(names(g.free_symbols) <= middle for g in layer2) and names(layer2[0].free_symbols) >= {"alpha1_0"}
    assert all("x_0" in names(g.free_symbols) for g in layer1)


def test_not_held_everything_is_written_from_x_with_no_assignments():
    """hold_lower_layers=False: no forward assignments, no alpha anywhere, the top layer depends on x and W^1."""
    _, assignments, outputs = differentiate(Network([1, 2, 2, 1]), hold_lower_layers=False)
    assert assignments == []
    symbols = set().union(*(names(e.free_symbols) for e in outputs))
    assert not any(s.startswith("alpha") for s in symbols), sorted(symbols)
    assert {"x_0", "w1_0_0", "b1_1"} <= names(outputs[-1].free_symbols)


@pytest.mark.parametrize("kwargs, held", [({}, True), ({"hold_lower_layers": True}, True),
                                          ({"hold_lower_layers": False}, False)])
def test_derive_holds_lower_layers_by_default_and_passes_the_choice_on(kwargs, held):
    """derive([2,2,1]): replacements start with alpha1_0, alpha1_1 when held; none at all when not."""
    d = derive(Network([2, 2, 1]), **kwargs)
    lhs = [str(s) for s, _ in d.replacements]
    alphas = [s for s in lhs if s.startswith("alpha")]
    assert alphas == (["alpha1_0", "alpha1_1"] if held else []), lhs
    if held:
        assert lhs[:2] == ["alpha1_0", "alpha1_1"], lhs


def test_derivation_keeps_the_outputs_and_names_the_temporaries_t_0_t_1_and_so_on():
    """outputs = differentiate's expressions; replacements = forward assignments, then t_0, t_1, ... in order.

    The temporaries' names are what a reader of the straight-line program sees; t_i cannot be
    confused with the inputs x_k (or the targets, parameters and alpha)."""
    net = Network([2, 2, 1])
    _, assignments, outputs = differentiate(net)
    d = derive(net)
    assert d.outputs == tuple(outputs)
    n = len(assignments)
    assert d.replacements[:n] == tuple(assignments)
    temporaries = [str(s) for s, _ in d.replacements[n:]]
    assert temporaries and temporaries == [f"t_{i}" for i in range(len(temporaries))], temporaries


def test_compiled_program_does_not_render_the_expressions_into_its_docstring():
    """lambdify's docstring would hold str() of the expressions and the source (slow for large networks): not here."""
    d = derive(Network([1, 1], output="identity"))
    for program in (d.compile("mpmath"), d.compile("numpy")):
        assert "REDACTED" in program.__doc__
        assert "w1_0_0" not in program.__doc__ and "x_0" not in program.__doc__, program.__doc__


def small_point():
    net = Network([1, 1])
    return net, [(np.array([[0.7]]), np.array([0.1]))], np.array([[0.3, -1.2]]), np.array([[0.2, 0.9]])


def test_default_precision_is_50_digits():
    """The signature's dps=50: the default result is the dps=50 result, mpf for mpf."""
    net, params, X, Y = small_point()
    C, ((dW, db),) = symbolic_gradients(net, params, X, Y)
    C50, ((dW50, db50),) = symbolic_gradients(net, params, X, Y, dps=50)
    assert (C, dW[0, 0], db[0]) == (C50, dW50[0, 0], db50[0])


def test_16_digits_is_accepted_and_15_is_refused_with_the_exact_message():
    net, params, X, Y = small_point()
    C, ((dW, _),) = symbolic_gradients(net, params, X, Y, dps=16)
    assert isinstance(C, mpmath.mpf) and isinstance(dW[0, 0], mpmath.mpf)
    for dps in (15, 16.0):
        with pytest.raises(ValueError) as info:
            symbolic_gradients(net, params, X, Y, dps=dps)
        assert str(info.value) == f"dps must be an integer >= 16 (significant digits), got {dps!r}"


@pytest.mark.parametrize("call", ["differentiate", "derive", "symbolic_gradients", "symbolic_gradients_float64"])
def test_a_net_that_is_not_a_network_is_refused_naming_its_type(call):
    _, params, X, Y = small_point()
    calls = {"differentiate": lambda net: differentiate(net), "derive": lambda net: derive(net),
             "symbolic_gradients": lambda net: symbolic_gradients(net, params, X, Y),
             "symbolic_gradients_float64": lambda net: symbolic_gradients_float64(net, params, X, Y)}
    with pytest.raises(ValueError) as info:
        calls[call]([1, 1])
    assert str(info.value) == "net must be a reference.Network, got list"


def test_float64_program_lets_no_floating_point_warning_escape_where_it_overflows():
    """z = -400 and -720: (1 + exp(-z))^2 overflows (and at -720 exp(-z) too); no RuntimeWarning escapes."""
    net = Network([1, 1])
    params = [(np.array([[1.0]]), np.array([0.0]))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C, ((dW, db),) = symbolic_gradients_float64(net, params, np.array([[-400.0, -720.0]]), np.ones((1, 2)))
    assert C == 0.5 and dW.dtype == db.dtype == np.float64
