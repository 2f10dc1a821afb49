"""Gradients of common wrong backprops: the hypotheses a diagnosis tests.

Each variant is the float64 gradient a specific bug produces, computed on the
same (net, params, X, Y) in reference conventions, or None when the bug cannot
occur on that network (a missing transpose needs square weight matrices).
``VARIANTS`` maps a name to (cause key, function, words).  The diagnosis calls
every variant and keeps those that reproduce the implementation's output.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

import numpy as np

from reference.activations import hidden_function, sigmoid_prime
from reference.forward import forward
from reference.gradients import gradients
from reference.losses import add_l2, output_error, softmax_jacobian_t
from reference.network import Network, Params

__all__ = ["VARIANTS", "backprop_variant", "variant_gradients", "output_delta", "A_FORM"]

#: Each hidden activation's derivative written from its value a (sigma' = a (1 - a), tanh' = 1 - a^2, ...):
#: the 'z_form' bug applies it to z.  relu's (a > 0) is relu' itself.
A_FORM = {"sigmoid": lambda x: x * (1 - x), "tanh": lambda x: 1 - x * x, "relu": lambda x: (x > 0).astype(float),
          "identity": np.ones_like}


#: sigma'(z^l) as a variant computes it: the right one, at the wrong quantity, or another function's derivative.
_DERIVATIVES = {
    "z": lambda z, a: sigmoid_prime(z),          # right: sigma'(z) = a (1 - a)
    "a": lambda z, a: sigmoid_prime(a),          # sigma' applied twice: sigma'(a)
    "z_form": lambda z, a: z * (1 - z),          # the activation form a (1 - a) written with z
    "tanh_form": lambda z, a: 1 - a * a,         # tanh's derivative 1 - a^2 on sigmoid outputs
    "a_only": lambda z, a: a,                    # a (1 - a) with the (1 - a) forgotten
    "one_minus_a": lambda z, a: 1 - a,           # a (1 - a) with the a forgotten
    "one": lambda z, a: np.ones_like(z),         # no derivative at all (a linear unit's)
}


def _sp(net: Network, l: int, z: np.ndarray, a: np.ndarray, mode: str) -> np.ndarray:
    """f'(z^l) as the variant computes it: 1 at an identity or softmax output; 'one' or 'ones' no f' at all;
    in sigmoid layers ``_DERIVATIVES[mode]``; in layers of another hidden activation 'z' f'(z) (right),
    'a' f'(a), 'z_form' its a-form applied to z (1 - z^2 for tanh), any other mode the right f'(z)."""
    if l == net.L and net.output in ("identity", "softmax"):
        return np.ones_like(z)
    if mode in ("one", "ones"):
        return np.ones_like(z)
    if l < net.L and net.hidden != "sigmoid":
        f_prime = hidden_function(net.hidden, net.slope)[1]
        form = A_FORM.get(net.hidden, f_prime)
        return {"a": lambda: f_prime(a), "z_form": lambda: form(z)}.get(mode, lambda: f_prime(z))()
    return _DERIVATIVES[mode](z, a)


def output_delta(net: Network, z: np.ndarray, a: np.ndarray, Y: np.ndarray, bp1: str) -> Optional[np.ndarray]:
    """delta^L of BP1 with a softmax or cross-entropy bug (None where the bug cannot occur):

        correct           J^T dC/da (``reference.losses.output_error``)
        no_jacobian       dC/da itself: a - y (squared error), -y / a (categorical cross-entropy)
        diagonal          diag(J) dC/da = a (1 - a) dC/da: the softmax treated as elementwise
        doubled           J^T applied to the correct delta once more
        sigma_prime_left  (a - y) a (1 - a): sigma'(z) for the binary cross-entropy, the softmax's
                          diagonal for the categorical one, left on a delta that needs neither
    """
    if bp1 == "correct":
        return output_error(net, z, a, Y)
    if bp1 == "sigma_prime_left":      # the sigmoid's a (1 - a), or the softmax's diagonal, left on a - y
        return (a - Y) * a * (1 - a) if net.loss in ("binary_cross_entropy", "categorical_cross_entropy") else None
    if net.output != "softmax":
        return None
    if net.loss == "categorical_cross_entropy":
        if np.any(a == 0.0):
            return None
        dC_da = -Y / a
    else:
        dC_da = a - Y
    return {"no_jacobian": lambda: dC_da, "diagonal": lambda: a * (1 - a) * dC_da,
            "doubled": lambda: softmax_jacobian_t(a, output_error(net, z, a, Y))}[bp1]()


def backprop_variant(net: Network, params: Params, X, Y, *, sp: str = "z", output_sp: bool = True,
                     transpose: bool = True, bp4_shift: int = 0, bias: str = "mean",
                     eta_update: Optional[float] = None, hidden_sp: str = "", bp1: str = "correct"
                     ) -> Optional[Params]:
    """A batched backprop with one switch per bug; None when the switch needs shapes the net lacks.

    ``sp`` is how f'(z^l) is computed (``_sp``), ``hidden_sp`` overrides it in the hidden layers;
    ``bp1`` is a softmax or cross-entropy bug of ``output_delta`` (the squared error at a sigmoid or
    identity output keeps ``sp`` and ``output_sp``); the L2 term and missing biases are as declared.
    """
    fp = forward(net, params, X)
    L, N = net.L, fp.a(0).shape[1]
    Ws = [np.array(W, dtype=np.float64) for W, _ in params]
    if net.loss == "half_sse" and net.output != "softmax" and bp1 == "correct":
        s = _sp(net, L, fp.z(L), fp.a(L), sp) if (output_sp or net.output == "identity") else np.ones_like(fp.z(L))
        delta = (fp.a(L) - np.asarray(Y, dtype=np.float64)) * s
    else:
        delta = output_delta(net, fp.z(L), fp.a(L), np.asarray(Y, dtype=np.float64), bp1)
        if delta is None:
            return None
    out = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            W_next = Ws[l]
            if not transpose:
                if W_next.shape[0] != W_next.shape[1]:
                    return None
                back = W_next @ delta
            else:
                back = W_next.T @ delta
            delta = back * _sp(net, l, fp.z(l), fp.a(l), hidden_sp or sp)
        src = l - 1 + bp4_shift
        if not 0 <= src <= L or fp.a(src).shape[0] != net.n(l - 1):
            return None
        gW = delta @ fp.a(src).T / N
        if bias == "units" and delta.shape[0] != N:
            return None
        gb = {"mean": lambda: delta.sum(axis=1) / N, "first": lambda: delta[:, 0].copy(),
              "last": lambda: delta[:, -1].copy(), "first_over_N": lambda: delta[:, 0] / N,
              "last_over_N": lambda: delta[:, -1] / N, "units": lambda: delta.sum(axis=0) / N}[bias]()
        if not net.bias:
            gb = np.zeros(net.n(l))
        out[l - 1] = (gW, gb)
        if eta_update is not None:
            Ws[l - 1] = Ws[l - 1] - eta_update * gW
    return add_l2(net, params, out)


def _subset(net, params, X, Y, cols, divide_by_n: bool):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    N, M = X.shape[1], len(cols)
    if M == N:
        return None
    if M == 0:  # every sample dropped: what such a loop returns is zero
        return [(np.zeros(net.weight_shape(l)), np.zeros(net.bias_shape(l))) for l in range(1, net.L + 1)]
    g = gradients(net, params, X[:, cols], Y[:, cols])
    return [(W * M / N, b * M / N) for W, b in g] if divide_by_n else g


def _float32(net, params, X, Y):
    if net.hidden != "sigmoid" or net.output == "softmax" or net.loss != "half_sse" or net.l2 or not net.bias:
        return None            # written for the documents' network only
    f = np.float32
    a = [np.asarray(X, dtype=f)]
    zs = []
    for l, (W, b) in enumerate(params, start=1):
        z = np.asarray(W, dtype=f) @ a[-1] + np.asarray(b, dtype=f)[:, None]
        zs.append(z)
        a.append(z if (l == net.L and net.output == "identity") else (1 / (1 + np.exp(-z))).astype(f))
    sp = lambda l: np.ones_like(zs[l - 1]) if (l == net.L and net.output == "identity") else a[l] * (1 - a[l])  # noqa: E731
    delta = (a[-1] - np.asarray(Y, dtype=f)) * sp(net.L)
    N, out = a[0].shape[1], [None] * net.L
    for l in range(net.L, 0, -1):
        if l < net.L:
            delta = (np.asarray(params[l][0], dtype=f).T @ delta) * sp(l)
        out[l - 1] = ((delta @ a[l - 1].T / f(N)).astype(np.float64), (delta.sum(axis=1) / f(N)).astype(np.float64))
    return out


def _trunc(net, params, X, Y, *, x: bool = True, y: bool = False, rounding=np.trunc):
    Xi = rounding(np.asarray(X, dtype=np.float64)) if x else X
    Yi = rounding(np.asarray(Y, dtype=np.float64)) if y else Y
    if np.array_equal(Xi, X) and np.array_equal(Yi, Y):
        return None
    return gradients(net, params, Xi, Yi)


def _cols(X, which: str):
    N = np.shape(X)[1]
    return {"first_N_minus_1": list(range(N - 1)), "last_N_minus_1": list(range(1, N)),
            "first_only": [0], "last_only": [N - 1], "first_half": list(range(N // 2))}[which]


def _sigmoid_layers(net: Network) -> bool:
    """Every layer that has a derivative is a sigmoid (the other activations' variants: ``model_variants``)."""
    return net.hidden == "sigmoid" or net.L == 1


V = Callable[..., Optional[Params]]
#: name -> (cause key, function(net, params, X, Y, eta) -> gradient or None, what the bug is, in words)
VARIANTS: Dict[str, Tuple[str, V, str]] = {
    "sigma_prime_of_a": ("sigma_prime_at_activation",
                         lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, sp="a") if _sigmoid_layers(n) else None,
                         "sigma'(a^l) = sigma(a)(1 - sigma(a)) used where sigma'(z^l) belongs (BP1/BP2)"),
    "sigma_prime_z_form": ("sigma_prime_at_activation",
                           lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, sp="z_form") if _sigmoid_layers(n) else None,
                           "the activation form a (1 - a) applied to z instead of to a"),
    "tanh_derivative": ("wrong_derivative", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, sp="tanh_form"),
                        "sigma' computed as 1 - a^2 (the derivative of tanh) instead of a (1 - a)"),
    "derivative_a_only": ("wrong_derivative", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, sp="a_only"),
                          "sigma' computed as a: the factor (1 - a) of a (1 - a) is missing"),
    "derivative_one_minus_a": ("wrong_derivative", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, sp="one_minus_a"),
                               "sigma' computed as 1 - a: the factor a of a (1 - a) is missing"),
    "no_hidden_sigma_prime": ("missing_hidden_sigma_prime",
                              lambda n, p, X, Y, e: None if n.L < 2 or n.kinked else backprop_variant(n, p, X, Y, hidden_sp="one"),
                              "BP2 without sigma'(z^l): delta^l = (W^{l+1})^T delta^{l+1} in the hidden layers"
                              " (for relu layers: model_variants' relu_prime_ones)"),
    "no_output_sigma_prime": ("missing_output_sigma_prime",
                              lambda n, p, X, Y, e: None if n.output != "sigmoid" or n.loss != "half_sse"
                              else backprop_variant(n, p, X, Y, output_sp=False),
                              "BP1 as delta^L = a^L - y, without sigma'(z^L) (the binary cross-entropy's delta^L: if "
                              "that is the loss, declare loss_kind='binary_cross_entropy')"),
    "bp2_no_transpose": ("missing_transpose_bp2", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, transpose=False),
                         "BP2 as W^{l+1} delta^{l+1} instead of (W^{l+1})^T delta^{l+1}"),
    "bp4_a_l": ("layer_shift", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bp4_shift=1),
                "BP4 with a^l instead of a^{l-1}"),
    "bp4_a_l_minus_2": ("layer_shift", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bp4_shift=-1),
                        "BP4 with a^{l-2} instead of a^{l-1}"),
    "bias_first_sample": ("bias_wrong_axis", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bias="first"),
                          "dC/db^l from the first sample only instead of the batch mean (BP3)"),
    "bias_last_sample": ("bias_wrong_axis", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bias="last"),
                         "dC/db^l from the last sample only instead of the batch mean (BP3)"),
    "bias_first_sample_over_N": ("bias_wrong_axis",
                                 lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bias="first_over_N"),
                                 "dC/db^l is the first sample's delta^l divided by N (assigned, not accumulated)"),
    "bias_last_sample_over_N": ("bias_wrong_axis",
                                lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bias="last_over_N"),
                                "dC/db^l is the last sample's delta^l divided by N (assigned, not accumulated)"),
    "bias_sum_over_units": ("bias_wrong_axis", lambda n, p, X, Y, e: backprop_variant(n, p, X, Y, bias="units"),
                            "dC/db^l summed over the units (axis 0) instead of over the samples"),
    "update_before_backprop": ("update_before_backprop",
                               lambda n, p, X, Y, e: None if e is None or n.L < 2 else backprop_variant(n, p, X, Y, eta_update=e),
                               "W^{l+1} updated (W - eta dC/dW) before delta^l is backpropagated through it"),
    "float32": ("float32_intermediate", lambda n, p, X, Y, e: _float32(n, p, X, Y),
                "the whole computation in float32"),
    "x_truncated": ("integer_cast", lambda n, p, X, Y, e: _trunc(n, p, X, Y), "X cast to integers (truncated)"),
    "x_rounded": ("integer_cast", lambda n, p, X, Y, e: _trunc(n, p, X, Y, rounding=np.round), "X rounded to integers"),
    "y_truncated": ("integer_cast", lambda n, p, X, Y, e: _trunc(n, p, X, Y, x=False, y=True), "Y cast to integers"),
    "xy_truncated": ("integer_cast", lambda n, p, X, Y, e: _trunc(n, p, X, Y, y=True), "X and Y cast to integers"),
}
for _which in ("first_N_minus_1", "last_N_minus_1", "first_only", "last_only", "first_half"):
    for _div in (False, True):
        VARIANTS[f"dropped_{_which}{'_over_N' if _div else ''}"] = (
            "dropped_samples",
            (lambda w, d: lambda n, p, X, Y, e: _subset(n, p, X, Y, _cols(X, w), d))(_which, _div),
            f"only the {_which.replace('_only', '').replace('_', ' ').replace('N minus 1', 'N - 1')} sample(s) used"
            f"{', then divided by the full N' if _div else ''}")


def variant_gradients(net: Network, params: Params, X, Y, *, eta: Optional[float] = None,
                      variants: Optional[dict] = None) -> Dict[str, Params]:
    """Every applicable variant's gradient on one problem (variants that fail to apply are left out);
    ``variants`` defaults to ``VARIANTS``."""
    out = {}
    with np.errstate(all="ignore"):
        for name, (_, fn, _) in (VARIANTS if variants is None else variants).items():
            try:
                g = fn(net, params, X, Y, eta)
            except (ValueError, IndexError, FloatingPointError):
                g = None
            if g is not None and all(np.all(np.isfinite(a)) for pair in g for a in pair):
                out[name] = g
    return out

