"""Explaining the residual: which simple change of the right gradient gives the wrong one, and how much of it?

On a failing problem the reference gives g* and the implementation g; the error is
e = g - g* (arrays A = (layer l, W or b)).  A *model* predicts the wrong gradient
from the problem, with at most one free parameter fitted by least squares.  Its
share of the error on the example is

    explained = 1 - sum_A ||g_A - predicted_A||^2 / sum_A ||e_A||^2      (0 when negative)

taken over every array, the right ones included: a model that changes an array the
implementation got right loses what it breaks.  A model *fits* a problem when every
entry of g - predicted lies within the agreement tolerance (widened by the rounding of
the predicted values); it is *consistent* when it fits every problem the diagnosis
evaluated (the failing example, and the probes with another N, another n_L, another
width, ...: those where the implementation is right constrain only the fitted values) with fitted values that
agree across them (a constant, or a factor named by ``factors.explain``: N, 1/N, 2,
2/n_L, -1, ...).  Consistent models rank first, then fewer free parameters, then the
library's order; a cause is named when a model is consistent, or explains at least
``NAME_AT`` of the error on the example; otherwise the best model is reported only as
"partly explains".

The library is built from families, instantiated on the problem's shapes (never a
list of known bugs):

    variant       every backprop variant of ``conformance.diagnosis.variants`` and ``model_variants``
                  (softmax Jacobian, cross-entropy, other activations' derivatives): derivatives at the
                  wrong quantity or of another function, missing factors, samples left out,
                  integer inputs, float32 rounding, a training step updating before backpropagating
    zero          some arrays zero (a layer skipped, all of dW or all of db), the others right
    transpose     dC/dW^l transposed, where W^l is square
    shift         layer l holds layer l +- 1's gradient (where the shapes allow)
    scale         got = c x g* globally, for every W, for every b, for one layer, for one array
    proportional  e = lambda x theta (L2) or lambda x sign(theta) (L1): a penalty's gradient left in,
                  over W or over W and b, lambda constant or lambda x N constant across problems
    reversed      the layers' gradients in reverse order
    clip          every entry clipped to [-c, c] (gradient clipping left on)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from conformance.core.tolerances import agreement_tolerance
from conformance.diagnosis.factors import Observation, explain
from conformance.diagnosis.probes import Evaluation
from conformance.diagnosis.model_variants import ALL_VARIANTS, all_variant_gradients

__all__ = ["NAME_AT", "Model", "Explanation", "library", "explain_residual", "explained_share"]

#: A cause is named when its model explains at least this share of the error on the example.
NAME_AT = 0.95

Grads = List[Tuple[np.ndarray, np.ndarray]]
#: (predicted gradient, fitted values) of a model on one evaluation, or None where it does not apply.
Prediction = Optional[Tuple[Grads, Dict[str, float]]]


@dataclass(frozen=True)
class Model:
    """One candidate perturbation of the right gradient."""

    name: str
    cause: str
    free: int                                          # free parameters fitted per problem
    predict: Callable[[Evaluation, dict], Prediction]  # (evaluation, cache) -> prediction
    words: Callable[[Dict[str, float], Evaluation], Tuple[str, str]]   # -> (cause, words) with fitted values
    rank: int = 0                                      # the library's order among equally simple models


@dataclass
class Explanation:
    """A model's account of the error: its share on the example, whether it fits, whether it holds everywhere."""

    model: Model
    explained: float
    fits: bool
    consistent: bool
    values: Dict[str, float] = field(default_factory=dict)
    cause: str = ""
    words: str = ""
    fitted: int = 0          # failing problems (the example included) on which the model fits

    def sort_key(self):
        return (not self.consistent, not self.fits, -self.fitted, self.model.free, -round(self.explained, 3),
                self.model.rank)


def _arrays(grads) -> List[np.ndarray]:
    return [np.asarray(a, dtype=np.float64) for pair in grads for a in pair]


def explained_share(got, expected, predicted) -> float:
    """1 - ||got - predicted||^2 / ||got - expected||^2 over every array (0 when the model makes it worse)."""
    known = [np.isfinite(q) for q in _arrays(predicted)]
    err = sum(float(np.sum(((g - e) ** 2)[k])) for g, e, k in zip(_arrays(got), _arrays(expected), known))
    res = sum(float(np.sum(((g - q) ** 2)[k])) for g, q, k in zip(_arrays(got), _arrays(predicted), known))
    if not np.isfinite(err) or not np.isfinite(res):
        return 0.0
    if err == 0.0:
        return 1.0 if res == 0.0 else 0.0
    return max(0.0, 1.0 - res / err)


def _fits(ev: Evaluation, predicted, scale: float = 1.0, tol=None) -> bool:
    u = 64 * float(np.finfo(np.float64).eps)
    for g, q, t in zip(_arrays(ev.outcome.grads), _arrays(predicted), _arrays(ev.tol if tol is None else tol)):
        if g.shape != q.shape:
            return False
        known = np.isfinite(q)   # a model may leave entries unknown (NaN): they are not compared
        margin = scale * t + u * np.max(np.abs(q[known]), initial=0.0)
        if not np.all((np.abs(g - q) <= margin)[known]):
            return False
    return True


def _with(expected, changes: Dict[Tuple[int, int], np.ndarray]) -> Grads:
    """``expected`` with arrays (layer index, 0 for W / 1 for b) replaced."""
    out = [[np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)] for W, b in expected]
    for (l, j), a in changes.items():
        out[l][j] = a
    return [tuple(pair) for pair in out]


Selector = Callable[[int], Optional[List[Tuple[int, int]]]]


def _groups(L: int) -> List[Tuple[str, Selector]]:
    """(words, selector) of the groups of arrays a scale or a zero can apply to.

    A selector maps a problem's depth to its arrays (layer index, 0 for W / 1 for b), or None
    where the group does not exist: "layer 2" counts from the input, "layer L" from the output,
    so a model keeps its meaning on the probes of other depths.
    """
    out: List[Tuple[str, Selector]] = [
        ("every array", lambda n: [(l, j) for l in range(n) for j in (0, 1)]),
        ("dC/dW only (dC/db is right)", lambda n: [(l, 0) for l in range(n)]),
        ("dC/db only (dC/dW is right)", lambda n: [(l, 1) for l in range(n)])]
    for k in range(L):
        for j, what in ((None, "layer {}"), (0, "dC/dW^{}"), (1, "dC/db^{}")):
            js = (0, 1) if j is None else (j,)
            out.append((f"{what.format(k + 1)} only",
                        (lambda k, js: lambda n: [(k, jj) for jj in js] if k < n else None)(k, js)))
            if L - 1 - k != k or L == 1:
                top = "L" if k == 0 else f"L-{k}"
                out.append((f"{what.format(top)} only (counted from the output)",
                            (lambda k, js: lambda n: [(n - 1 - k, jj) for jj in js] if k < n else None)(k, js)))
    return out


# ----------------------------------------------------------------------------- the families

def _variant_model(name: str, rank: int) -> Model:
    cause, _, words = ALL_VARIANTS[name]

    def predict(ev, cache):
        if "variants" not in cache:
            p = ev.problem
            cache["variants"] = all_variant_gradients(p.net, p.params, p.X, p.Y, eta=cache.get("eta"))
        g = cache["variants"].get(name)
        if g is None or (name == "float32" and not _float32_like(ev, g)):
            return None
        return g, {}
    return Model(f"variant:{name}", cause, 0, predict, lambda v, ev: (cause, words), rank)


def _float32_like(ev: Evaluation, g32) -> bool:
    """Every returned value is a float32 number, or the output is closer to a float32 computation than to g*."""
    got = _arrays(ev.outcome.grads)
    if all(np.array_equal(a.astype(np.float32).astype(np.float64), a) for a in got):
        return True
    d32 = max(float(np.max(np.abs(a - e), initial=0.0)) for a, e in zip(got, _arrays(g32)))
    d64 = max(float(np.max(np.abs(a - e), initial=0.0)) for a, e in zip(got, _arrays(ev.expected)))
    return d32 <= 0.5 * d64


def _tolerance(model: Model, ev: Evaluation):
    """The float32 variant is judged with the float32 agreement tolerance; every other model with ev's."""
    if model.name != "variant:float32":
        return None
    p = ev.problem
    return agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=np.float32, expected=ev.expected,
                               recovery=ev.outcome.recovery)


def _zero_model(words: str, select: Selector, rank: int) -> Model:
    def predict(ev, cache):
        arrays = select(ev.problem.net.L)
        if arrays is None:
            return None
        return _with(ev.expected, {(l, j): np.zeros_like(ev.expected[l][j]) for l, j in arrays}), {}
    return Model(f"zero[{words}]", "all_zeros", 0, predict,
                 lambda v, ev: ("all_zeros", f"the gradient is zero for {words.replace(' only', '')}: "
                                "that part of backprop never runs or is overwritten with zeros"), rank)


def _transpose_model(layer: Optional[int], rank: int) -> Model:
    def predict(ev, cache):
        layers = range(ev.problem.net.L) if layer is None else [layer]
        if layer is not None and layer >= ev.problem.net.L:
            return None
        changes = {(l, 0): ev.expected[l][0].T for l in layers if ev.expected[l][0].shape[0] == ev.expected[l][0].shape[1]}
        return (_with(ev.expected, changes), {}) if changes else None
    where = "every square dC/dW^l" if layer is None else f"dC/dW^{layer + 1}"
    return Model(f"transpose[{where}]", "transposed", 0, predict,
                 lambda v, ev: ("transposed", f"{where} is the transpose of the expected matrix "
                                "(delta a^T written as a delta^T, BP4)"), rank)


def _shift_model(shift: int, rank: int) -> Model:
    def predict(ev, cache):
        exp, L, changes = ev.expected, ev.problem.net.L, {}
        for l in range(L):
            for j in (0, 1):
                src = l + shift
                if 0 <= src < L and exp[src][j].shape == exp[l][j].shape:
                    changes[(l, j)] = exp[src][j]
                else:   # no neighbour of this shape: what the shifted code does here is unknown
                    changes[(l, j)] = np.full(exp[l][j].shape, np.nan)
        if all(np.isnan(a).all() for a in changes.values()):
            return None
        return _with(exp, changes), {}
    return Model(f"shift[{shift:+d}]", "layer_shift", 0, predict,
                 lambda v, ev: ("layer_shift", f"layer l holds the gradient of layer l {'+' if shift > 0 else '-'} 1 "
                                "(an index shift between layers)"), rank)


def _clip_model(rank: int) -> Model:
    """Gradient clipping left on: got = clip(g*, -c, c), c fitted as the largest |got|."""
    def predict(ev, cache):
        got = _arrays(ev.outcome.grads)
        if not all(np.all(np.isfinite(a)) for a in got):
            return None
        c = max(float(np.max(np.abs(a), initial=0.0)) for a in got)
        if c == 0.0 or c >= max(float(np.max(np.abs(a), initial=0.0)) for a in _arrays(ev.expected)):
            return None   # nothing above c to clip
        return [tuple(np.clip(np.asarray(a, dtype=np.float64), -c, c) for a in pair) for pair in ev.expected], {"clip": c}
    return Model("clip", "gradient_clipped", 1, predict,
                 lambda v, ev: ("gradient_clipped", f"every entry is clipped to [-{v['clip']:.6g}, {v['clip']:.6g}]: "
                                "gradient clipping left on in the gradient"), rank)


def _reversed_model(rank: int) -> Model:
    """The list of layers returned in reverse order: layer l holds layer L + 1 - l's gradient."""
    def predict(ev, cache):
        exp, L, changes = ev.expected, ev.problem.net.L, {}
        if L < 2:
            return None
        for l in range(L):
            for j in (0, 1):
                src = L - 1 - l
                changes[(l, j)] = exp[src][j] if exp[src][j].shape == exp[l][j].shape else np.full(exp[l][j].shape, np.nan)
        if all(np.isnan(a).all() for a in changes.values()):
            return None
        return _with(exp, changes), {}
    return Model("reversed", "layer_shift", 0, predict,
                 lambda v, ev: ("layer_shift", "the layers' gradients come in reverse order: layer l holds layer "
                                "L + 1 - l's (a list built backwards and not reversed)"), rank)


def _scale_model(words: str, select: Selector, rank: int) -> Model:
    def predict(ev, cache):
        arrays = select(ev.problem.net.L)
        if arrays is None:
            return None
        g = np.concatenate([np.ravel(ev.outcome.grads[l][j]) for l, j in arrays])
        e = np.concatenate([np.ravel(ev.expected[l][j]) for l, j in arrays])
        ee = float(e @ e)
        if ee == 0.0 or not np.all(np.isfinite(g)):
            return None
        c = float(g @ e) / ee
        if abs(c - 1.0) < 1e-3:
            return None  # no scale: an error this small is rounding or noise, not a factor
        return _with(ev.expected, {(l, j): c * ev.expected[l][j] for l, j in arrays}), {"c": c}
    return Model(f"scale[{words}]", "scaled", 1, predict, lambda v, ev: _scale_words(v, ev, words), rank)


#: Groups a loss normalisation can scale (N, 1/N, 2, 2/n_L, -1 belong to the loss or the batch reduction).
_WHOLE = ("every array", "dC/dW only (dC/db is right)", "dC/db only (dC/dW is right)")


def _scale_words(values, ev: Evaluation, words: str) -> Tuple[str, str]:
    c = values["c"]
    N, n_L = ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L)
    named = values.get("formula")
    where = "" if words == "every array" else f" for {words}"
    if words not in _WHOLE:   # one layer or one array scaled: a stray factor in that code, not the loss's
        return "scaled", (f"got = {c:.6g} x expected{where}: a stray factor in the code of that layer "
                          "(the other layers are right)")
    if named is not None:
        return named.cause, f"got = {named.formula()} x expected (c = {c:.6g}){where}: {named.words()}"
    found = explain([Observation(c, N, n_L, 1e-6)])
    if found:
        return found[0].cause, f"got = {found[0].formula()} x expected (c = {c:.6g}){where}: {found[0].words()}"
    return "scaled", f"got = {c:.6g} x expected{where}"


def _proportional_model(with_bias: bool, per_N: bool, rank: int, term=np.asarray) -> Model:
    """e = lambda x term(theta): term the parameters themselves (L2) or their signs (L1)."""
    def predict(ev, cache):
        p = ev.problem
        arrays = [(l, j) for l in range(p.net.L) for j in ((0, 1) if with_bias else (0,))]
        e = np.concatenate([np.ravel(ev.outcome.grads[l][j] - ev.expected[l][j]) for l, j in arrays])
        t = np.concatenate([np.ravel(term(p.params[l][j])) for l, j in arrays])
        tt = float(t @ t)
        if tt == 0.0 or not np.all(np.isfinite(e)):
            return None
        lam = float(e @ t) / tt
        changes = {(l, j): ev.expected[l][j] + lam * np.asarray(term(p.params[l][j]), dtype=np.float64)
                   for l, j in arrays}
        N = p.X.shape[1]
        return _with(ev.expected, changes), {"lambda": lam * N if per_N else lam}
    what = "W and b" if with_bias else "W"
    l1 = term is np.sign
    return Model(f"proportional[{'sign ' if l1 else ''}{what}{', /N' if per_N else ''}]", "weight_decay", 1, predict,
                 lambda v, ev: ("weight_decay", _decay_words(v, with_bias, per_N, l1)), rank)


def _decay_words(values, with_bias: bool, per_N: bool, l1: bool = False) -> str:
    lam = values["lambda"]
    theta = ("sign(theta)" if l1 else "theta") if with_bias else ("sign(W)" if l1 else "W")
    term = f"({lam:.6g} / N) x {theta}" if per_N else f"{lam:.6g} x {theta}"
    where = "every dC/dW and dC/db" if with_bias else "every dC/dW (dC/db is right)"
    penalty = "an L1 penalty lambda ||W||_1" if l1 else "an L2 weight decay (lambda/2) ||W||^2"
    return (f"{where} has an extra term {term}: the gradient of {penalty} that the declared loss does not "
            f"include{' (applied to the biases too)' if with_bias else ''}")


def library(L: int) -> List[Model]:
    """Every model for networks of depth L, in the library's order."""
    models: List[Model] = []
    models += [_variant_model(name, len(models) + i) for i, name in enumerate(ALL_VARIANTS)]
    models += [_transpose_model(None, len(models)), _shift_model(+1, len(models) + 1), _shift_model(-1, len(models) + 2)]
    models += [_transpose_model(l, len(models) + l) for l in range(L)]
    models += [_zero_model(words, select, len(models) + i) for i, (words, select) in enumerate(_groups(L))]
    models += [_proportional_model(b, n, len(models) + 2 * b + n) for b in (False, True) for n in (False, True)]
    models += [_proportional_model(b, False, len(models) + b, np.sign) for b in (False, True)]
    models.append(_reversed_model(len(models)))
    models.append(_clip_model(len(models)))
    models += [_scale_model(words, select, len(models) + i) for i, (words, select) in enumerate(_groups(L))]
    return models


# ----------------------------------------------------------------------------- fitting

def _consistent(model: Model, fitted: Sequence[Tuple[Dict[str, float], Evaluation]]) -> Tuple[bool, dict]:
    """Fitted values agree across problems: a named factor of N, n_L, 2, -1 for a scale, else a constant."""
    if model.free == 0:
        return True, {}
    key = next(iter(fitted[0][0]))
    values = [v[key] for v, _ in fitted]
    if key == "c":
        obs = [Observation(v[key], ev.problem.X.shape[1], ev.problem.net.n(ev.problem.net.L), 1e-6) for v, ev in fitted]
        found = explain(obs)
        if found:
            return True, {"formula": found[0], "candidates": found[1:4]}
    return bool(np.allclose(values, values[0], rtol=1e-6, atol=1e-12)), {}


def _widen(values: Dict[str, float]) -> float:
    """A scaled prediction carries c times the reference's rounding: the tolerance grows to (1 + |c|) x."""
    return 1.0 + abs(values["c"]) if "c" in values else 1.0


def _informative(ev: Evaluation) -> bool:
    """A problem where the implementation is right says something only where the gradient dwarfs its tolerance."""
    e = np.concatenate([a.ravel() for a in _arrays(ev.expected)])
    t = np.concatenate([a.ravel() for a in _arrays(ev.tol)])
    return bool(np.linalg.norm(e) > 100 * np.linalg.norm(t))


def explain_residual(ev: Evaluation, others: Sequence[Evaluation] = (), *, eta: Optional[float] = None,
                     models: Optional[List[Model]] = None) -> List[Explanation]:
    """Every applicable model's account of the error on ``ev``, best first.

    ``others`` are further evaluations of the same implementation (probes): where a model
    applies there it must fit too, with consistent fitted values, to be called consistent.
    """
    if not ev.outcome.ok or ev.tol is None:
        return []
    others = [o for o in others if o.outcome.ok and o.tol is not None and (o.bad or _informative(o))]
    caches = {id(o): {"eta": eta} for o in [ev, *others]}
    out = []
    for model in models if models is not None else library(ev.problem.net.L):
        pred = model.predict(ev, caches[id(ev)])
        if pred is None:
            continue
        predicted, values = pred
        fits = _fits(ev, predicted, _widen(values), _tolerance(model, ev))
        fitted, everywhere, count = [(values, ev)], fits, int(fits)
        for o in others:
            if not o.bad and model.free == 0:
                continue  # a problem where the implementation is right constrains fitted values only
            q = model.predict(o, caches[id(o)])
            if q is None:
                continue
            here = _fits(o, q[0], _widen(q[1]), _tolerance(model, o))
            everywhere, count = everywhere and here, count + (here and bool(o.bad))
            fitted.append((q[1], o))
        agree, extra = _consistent(model, fitted) if everywhere else (False, {})
        values = {**values, **extra}
        cause, words = model.words(values, ev)
        out.append(Explanation(model, explained_share(ev.outcome.grads, ev.expected, predicted), fits,
                               everywhere and agree, values, cause, words, count))
    return sorted(out, key=Explanation.sort_key)
