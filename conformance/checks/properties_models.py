"""Properties that hold only for some activations, checked only where they hold (issue 16).

    properties.softmax_invariance   a softmax output is unchanged when every z^L_j of a sample moves by
                                    the same amount, so every column of dC/dW^L and dC/db^L sums to zero
                                    over the output units (softmax outputs only)
    properties.unit_rescaling       relu, leaky_relu and the identity are positively homogeneous,
                                    f(c z) = c f(z) for c > 0: scaling a hidden unit's incoming weights
                                    and bias by c and its outgoing weights by 1/c changes no output, and the
                                    gradient of those entries scales by 1/c and c (those hidden activations only)
    properties.odd_symmetry         tanh and the identity are odd, f(-z) = -f(z): flipping the signs of a
                                    hidden unit's incoming weights, bias and outgoing weights changes no
                                    output, and flips the signs of those gradient entries (those only)

Each skips, naming the activations it needs, when the declared support has none of
them.  As in ``conformance.checks.properties`` the implementation is compared with
itself through the data part of its gradient (the L2 term taken off), within each
side's implementation bound and the self-consistency allowance.  c = 2 and the sign
flip are exact in floating point, so both problems have the same outputs bit for bit.
"""
from __future__ import annotations

from dataclasses import replace
import numpy as np

from conformance.checks.properties import call_data_gradient
from conformance.checks.registry import CheckResult, compare, register, searched
from conformance.core.context import Context
from conformance.core.strategies import Problem, problems_in, with_hidden_unit
from conformance.core.tolerances import add
from reference.training import copy_params

__all__ = ["restricted", "rescale_unit", "SCALE"]

#: The factor c of ``properties.unit_rescaling``: a power of two, exact in floating point.
SCALE = 2.0


def restricted(support, *, hiddens=None, outputs=None, hidden_layer: bool = False):
    """(problems of ``support`` with only these hidden activations / outputs, or None, and why not)."""
    changes = {}
    if hiddens is not None:
        keep = tuple(h for h in support.hiddens if h in hiddens)
        if not keep:
            return None, (f"holds for hidden activations {tuple(hiddens)} only; the implementation declares "
                          f"{tuple(support.hiddens)}")
        changes["hiddens"] = keep
    if outputs is not None:
        keep = tuple(o for o in support.outputs if o in outputs)
        if not keep:
            return None, f"holds for {' or '.join(outputs)} outputs only; the implementation declares {tuple(support.outputs)}"
        changes["outputs"] = keep
    strategy = problems_in(replace(support, **changes), min_depth=2 if hidden_layer else None)
    return strategy, "" if strategy is not None else "no network of the declared support has a hidden layer"


@register("properties.softmax_invariance", "a softmax output's gradient sums to zero over the output units")
def softmax_invariance(ctx: Context) -> CheckResult:
    check = "properties.softmax_invariance"
    strategy, why = restricted(ctx.impl.support, outputs=("softmax",))

    def body(p):
        p = ctx.prepare(p)
        got, tol = call_data_gradient(ctx, check, p)
        (gW, gb), (tW, tb) = got[-1], tol[-1]
        n_L = gW.shape[0]
        # the nearest gradient whose columns sum to zero: each column minus its mean over the units
        expected = [(W, b) for W, b in got[:-1]] + [(gW - gW.mean(axis=0), gb - gb.mean())]
        bound = [(np.full_like(W, np.inf), np.full_like(b, np.inf)) for W, b in got[:-1]]
        bound.append((np.broadcast_to(tW.sum(axis=0) / n_L, gW.shape), np.full_like(gb, tb.sum() / n_L)))
        compare(ctx, check, p, got, expected, bound,
                what="its own output-layer gradient with every column centred (a softmax gradient sums to zero "
                     "over the output units)",
                repro=("print('sum over the output units of dC/dW^L:', got[-1][0].sum(axis=0).tolist(), "
                       "'of dC/db^L:', float(got[-1][1].sum()))",))
    return searched(ctx, check, strategy, body, skip_reason=why)


def rescale_unit(params, l: int, k: int, c: float):
    """Parameters with unit k of hidden layer l scaled: row k of W^l and b^l_k times c, column k of W^{l+1} / c."""
    out = copy_params(params)
    out[l - 1][0][k, :] *= c
    out[l - 1][1][k] *= c
    out[l][0][:, k] /= c
    return out


def _expected(got, l: int, k: int, c: float):
    """How the gradient of a rescaled (c) or flipped (c = -1) unit transforms: /c on its incoming
    weights and bias, x c on its outgoing weights (c = -1: a sign flip of all three)."""
    out = copy_params(got)
    out[l - 1][0][k, :] /= c
    out[l - 1][1][k] /= c
    out[l][0][:, k] *= c
    return out


def _unit_check(ctx: Context, check: str, c: float, hiddens, what: str) -> CheckResult:
    strategy, why = restricted(ctx.impl.support, hiddens=hiddens, hidden_layer=True)

    def body(example):
        p, l, k = ctx.prepare(example[0]), example[1], example[2]
        got, tol = call_data_gradient(ctx, check, p)
        q = ctx.prepare(Problem(p.net, rescale_unit(p.params, l, k, c), p.X, p.Y))
        got_q, tol_q = call_data_gradient(ctx, check, q)
        compare(ctx, check, q, got_q, _expected(got, l, k, c), add(_expected(tol, l, k, abs(c)), tol_q),
                what=f"its own gradient transformed for unit {k} of layer {l} {what}", other=q,
                repro=(f"from conformance.checks.properties_models import rescale_unit; layer, unit = {l}, {k}",
                       f"got_q = gradient_of(impl, net, rescale_unit(params, layer, unit, {c!r}), X, Y)",
                       "print('layer', layer, 'row', unit, 'of dC/dW:', got[layer - 1][0][unit].tolist(), "
                       "'after:', got_q[layer - 1][0][unit].tolist())"))
    return searched(ctx, check, None if strategy is None else with_hidden_unit(strategy), body, skip_reason=why)


@register("properties.unit_rescaling", "homogeneous activations: rescaling a hidden unit rescales its gradient")
def unit_rescaling(ctx: Context) -> CheckResult:
    return _unit_check(ctx, "properties.unit_rescaling", SCALE, ("relu", "leaky_relu", "identity"),
                       f"(incoming weights and bias x {SCALE:g}, outgoing weights / {SCALE:g})")


@register("properties.odd_symmetry", "odd activations: flipping a hidden unit's signs flips its gradient's")
def odd_symmetry(ctx: Context) -> CheckResult:
    return _unit_check(ctx, "properties.odd_symmetry", -1.0, ("tanh", "identity"),
                       "(incoming weights, bias and outgoing weights with their signs flipped)")
