"""The symbolic ground truth of issue 16's models: SymPy derives the stated kink convention, the
special forms of BP1 are the chain rule, and the derivation equals the reference in every model."""
import mpmath
import numpy as np
import pytest
import sympy

from reference import Network, gradients
from reference.symbolic import exact, hidden_activation, per_sample_loss, symbolic_gradients, symbolic_network

t = sympy.Symbol("t", real=True)


def test_sympy_differentiates_relu_to_zero_at_the_kink_and_leaky_relu_to_its_slope():
    relu = hidden_activation(Network([1, 1, 1], hidden="relu"))(t)
    leaky = hidden_activation(Network([1, 1, 1], hidden="leaky_relu", slope=0.125))(t)
    assert sympy.diff(relu, t).subs(t, 0) == 0 and sympy.diff(relu, t).subs(t, sympy.Rational(1, 10**30)) == 1
    assert sympy.diff(leaky, t).subs(t, 0) == sympy.Rational(1, 8)
    assert exact(0.1) == sympy.Rational(3602879701896397, 36028797018963968)    # the float64 0.1, exactly


def _logits(n):
    return sympy.Matrix(n, 1, lambda j, _: sympy.Symbol(f"z_{j}", real=True))


@pytest.mark.parametrize("output, loss", [("sigmoid", "binary_cross_entropy"),
                                          ("softmax", "categorical_cross_entropy"), ("softmax", "half_sse")])
def test_bp1_special_forms_are_the_chain_rule_of_the_loss(output, loss):
    """d C_x / d z_j of the loss as the derivation writes it, against the form the reference computes."""
    net = Network([1, 3], output=output, loss=loss)
    sn = symbolic_network(net)
    z = _logits(3)
    if output == "sigmoid":
        a = z.applyfunc(lambda s: 1 / (1 + sympy.exp(-s)))
    else:
        total = sum(sympy.exp(s) for s in z)
        a = z.applyfunc(lambda s: sympy.exp(s) / total)
    C = per_sample_loss(sn, a, z)
    y = sn.y
    for j in range(3):
        if loss == "binary_cross_entropy":
            form = a[j] - y[j]
        elif loss == "categorical_cross_entropy":
            form = a[j] * sum(y) - y[j]
        else:
            r = a - y
            form = a[j] * (r[j] - sum(a[k] * r[k] for k in range(3)))
        difference = sympy.diff(C, z[j]) - form
        e = [sympy.Symbol(f"e_{k}", positive=True) for k in range(3)]      # e_k = exp(z_k)
        rational = difference.subs({z[k]: sympy.log(e[k]) for k in range(3)})
        assert sympy.cancel(sympy.together(rational)) == 0, f"d C_x / d z_{j}: {difference}"


@pytest.mark.parametrize("model", [dict(hidden="relu", output="softmax", loss="categorical_cross_entropy", l2=0.25),
                                   dict(hidden="leaky_relu", slope=0.2, bias=False),
                                   dict(hidden="tanh", loss="binary_cross_entropy", l2=0.5, l2_bias=True)])
def test_the_derivation_agrees_with_the_reference_in_the_new_models(model):
    net = Network([2, 3, 2], **model)
    rng = np.random.default_rng(1)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l)) if net.bias
               else np.zeros(net.n(l))) for l in (1, 2)]
    X = rng.standard_normal((2, 3))
    Y = np.eye(2)[:, [0, 1, 1]] if net.output == "softmax" else rng.random((2, 3))
    _, exact_grads = symbolic_gradients(net, params, X, Y)
    with mpmath.workdps(50):
        for (eW, eb), (gW, gb) in zip(exact_grads, gradients(net, params, X, Y)):
            np.testing.assert_allclose(gW, eW.astype(float), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(gb, eb.astype(float), rtol=1e-13, atol=1e-15)
