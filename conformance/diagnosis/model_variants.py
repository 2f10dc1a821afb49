"""The bugs of issue 16's models as variants, and the L2 term as a hypothesis of its own.

``MODEL_VARIANTS`` extends ``conformance.diagnosis.variants.VARIANTS`` (same form: name ->
(cause key, function(net, params, X, Y, eta) -> gradient or None, words)); each returns None
where its bug cannot occur (a softmax bug at a sigmoid output, ...):

    softmax_no_jacobian     BP1 without the softmax's Jacobian: delta^L = dC/da^L
    softmax_diagonal        the Jacobian reduced to its diagonal a (1 - a), as for a sigmoid
    softmax_doubled         J^T applied to a delta that already holds it
    cross_entropy_sigma_prime   (a - y) a (1 - a): sigma'(z), or the softmax's diagonal, left in
    relu_prime_ones         relu' taken at a^l with relu'(0) = 1 (or left out): 1 for every unit
    tanh_prime_of_a         tanh'(a^l) = 1 - tanh(a^l)^2 where 1 - (a^l)^2 belongs
    tanh_prime_z_form       1 - (z^l)^2: tanh's a-form applied to z

``weight_decay(failing)`` tests got - expected = c W^l (+ d b^l) on every failing problem,
c and d common to all layers, and names the L2 bug from c and d against the declared lambda
(the reference's, for each problem's N): missing (c = -lambda), doubled (c = lambda),
on the biases (d = lambda where none is declared), scaled (c another multiple of lambda,
e.g. (N - 1) lambda: added once per sample).  An L2 term where none is declared is the
residual's ``weight_decay`` (``conformance.diagnosis.residual``).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from conformance.diagnosis.variants import VARIANTS, backprop_variant, variant_gradients

__all__ = ["MODEL_VARIANTS", "ALL_VARIANTS", "all_variant_gradients", "weight_decay", "decay_fit"]


def _when(condition, **switches):
    """A variant applying ``switches`` where ``condition(net)`` holds (None elsewhere)."""
    return lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, **switches) if condition(n) else None


def _softmax(n) -> bool:
    return n.output == "softmax"


def _kinked(n) -> bool:
    return n.L > 1 and n.hidden in ("relu", "leaky_relu")


def _tanh(n) -> bool:
    return n.L > 1 and n.hidden == "tanh"


MODEL_VARIANTS = {
    "softmax_no_jacobian": ("missing_softmax_jacobian", _when(_softmax, bp1="no_jacobian"),
                            "BP1 without the softmax's Jacobian: delta^L = dC/da^L (a^L - y for the squared error, "
                            "-y / a^L for the cross-entropy)"),
    "softmax_diagonal": ("missing_softmax_jacobian", _when(_softmax, bp1="diagonal"),
                         "the softmax's Jacobian reduced to its diagonal a (1 - a), as if it were elementwise like a "
                         "sigmoid: its off-diagonal terms -a_j a_k are missing"),
    "softmax_doubled": ("doubled_softmax_jacobian", _when(_softmax, bp1="doubled"),
                        "the softmax's Jacobian applied twice: J^T once more on a delta^L that already holds it "
                        "(for the cross-entropy a^L - y already is J^T dC/da^L)"),
    "cross_entropy_sigma_prime": ("cross_entropy_sigma_prime",
                                  _when(lambda n: n.loss in ("binary_cross_entropy", "categorical_cross_entropy"),
                                        bp1="sigma_prime_left"),
                                  "the cross-entropy's delta^L with a^L (1 - a^L) left in (sigma'(z^L) at a sigmoid "
                                  "output, the softmax Jacobian's diagonal at a softmax): (a^L - y) a^L (1 - a^L), "
                                  "where the cross-entropy's delta^L is a^L - y"),
    "relu_prime_ones": ("activation_prime_at_activation", _when(_kinked, sp="ones"),
                        "the relu's derivative taken at a^l with relu'(0) = 1 (a^l >= 0 for every unit), or left out: "
                        "every unit passes its error back, also those with z^l <= 0 (relu'(z^l) = 0 there)"),
    "tanh_prime_of_a": ("activation_prime_at_activation", _when(_tanh, sp="a"),
                        "tanh'(a^l) = 1 - tanh(a^l)^2 used where tanh'(z^l) = 1 - (a^l)^2 belongs (BP2)"),
    "tanh_prime_z_form": ("activation_prime_at_activation", _when(_tanh, sp="z_form"),
                          "tanh's derivative in its a-form applied to z: 1 - (z^l)^2 instead of 1 - (a^l)^2 (BP2)"),
}

#: Every variant the diagnosis tries: the documents' bugs first, then those of the other models.
ALL_VARIANTS = {**VARIANTS, **MODEL_VARIANTS}


def all_variant_gradients(net, params, X, Y, *, eta: Optional[float] = None) -> dict:
    """``variant_gradients`` over ``ALL_VARIANTS``: every applicable variant's finite gradient."""
    return variant_gradients(net, params, X, Y, eta=eta, variants=ALL_VARIANTS)


def _fit(residual: List[np.ndarray], theta: List[np.ndarray], tol: List[np.ndarray]) -> Optional[float]:
    """c with residual = c theta within tol everywhere (0.0 when residual is within tol of 0), or None."""
    r = np.concatenate([a.ravel() for a in residual])
    t = np.concatenate([a.ravel() for a in theta])
    e = np.concatenate([a.ravel() for a in tol])
    if np.all(np.abs(r) <= e):
        return 0.0
    tt = float(t @ t)
    if tt == 0.0:
        return None
    c = float(r @ t) / tt
    return c if np.all(np.abs(r - c * t) <= 2 * e + 1e-9 * np.abs(c * t)) else None


def decay_fit(ev) -> Optional[Tuple[float, float]]:
    """(c, d) with got - expected = c W^l and d b^l in every layer of one evaluation, or None."""
    got, exp, tol, params = ev.outcome.grads, ev.expected, ev.tol, ev.problem.params
    c = _fit([g[0] - x[0] for g, x in zip(got, exp)], [W for W, _ in params], [t[0] for t in tol])
    d = _fit([g[1] - x[1] for g, x in zip(got, exp)], [b for _, b in params], [t[1] for t in tol])
    if c is None or d is None or (c == 0.0 and d == 0.0):
        return None
    return c, d


#: rho = (the L2 term's size) / lambda -> (cause, words), tried in this order against every failing problem.
_RATIOS = (("l2_missing", lambda N: 0.0, "the L2 term lambda W^l is missing from dC/dW^l"),
           ("l2_doubled", lambda N: 2.0, "the L2 term is there twice: 2 lambda W^l, the derivative of lambda ||W||^2 "
                                         "where lambda/2 ||W||^2 is declared, or added twice"),
           ("l2_scaled", lambda N: float(N), "the L2 term is N lambda W^l: added once per sample"),
           ("l2_scaled", lambda N: 1.0 / N, "the L2 term is lambda W^l / N: divided by the batch size once more"))


def _observations(failing):
    """[(c, d, lambda, l2_bias, N)] of every failing problem, or None when one is not L2-shaped."""
    out = []
    for ev in failing:
        fit = decay_fit(ev)
        if fit is None:
            return None
        out.append(fit + (ev.problem.net.l2, ev.problem.net.l2_bias, ev.problem.X.shape[1]))
    return out


def weight_decay(failing) -> Optional[Tuple[str, str]]:
    """(cause, words) when got - expected is an L2-shaped term explained alike on every failing problem
    (lambda in reference terms, which may differ with N: the ratio to it is what must agree)."""
    obs = _observations(failing)
    if not obs:
        return None
    near = lambda x, y, unit=1.0: abs(x - y) <= 1e-6 * max(abs(y), unit)  # noqa: E731
    lam0 = obs[0][2]
    if all(lam == 0.0 for _, _, lam, _, _ in obs):
        return None   # no L2 declared: an L2-shaped error is the residual's weight_decay model
    if any(lam == 0.0 for _, _, lam, _, _ in obs):
        return None
    if all(near(c, 0.0, lam) and not l2_bias and near(d, lam) for c, d, lam, l2_bias, _ in obs):
        return "l2_on_biases", f"the L2 term is applied to the biases too: dC/db^l gains lambda b^l (lambda = {lam0:.6g})"
    if not all(near(d, c if l2_bias else 0.0, lam) for c, d, lam, l2_bias, _ in obs):
        return None
    for cause, rho, words in _RATIOS:
        if all(near(1.0 + c / lam, rho(N)) for c, _, lam, _, N in obs):
            return cause, f"{words} (lambda = {lam0:.6g} on {obs[0][4]} samples)"
    rho0 = 1.0 + obs[0][0] / lam0
    if all(near(1.0 + c / lam, rho0) for c, _, lam, _, _ in obs):
        return "l2_scaled", f"the L2 term is {rho0:.6g} lambda W^l instead of lambda W^l (lambda = {lam0:.6g})"
    return None
