"""Ready adapters for the common shapes of hand-written backprop, so a drop-in is a few lines.

Each adapter turns user code into one of the native entry points of the
protocol (``conformance.dropin.protocol``):

    per_sample(backprop)              backprop(params, x, y) per sample -> gradient(params, X, Y)
    from_object(make, method=...)     an object built from the params, e.g. network.py's
                                      Network(...).backprop(x, y), or a whole-batch method
    forward_backward(forward, backward)   the forum question's forward(params, X) and
                                      backward(activations, targets, params)
    training_step(make, step=...)     an object whose step updates its weights in place,
                                      like the first document's DeepNeuralNetwork
    fit_step(make, init=...)          a class whose own fit() initialises its weights and then
                                      trains: one update of fit, from the suite's weights

Returned gradients may come in any of these orders (``returns=``):

    "b_w"    (nabla_b, nabla_w)        network.py's backprop
    "w_b"    (nabla_w, nabla_b)        the last document's backprop_1_example
    "pairs"  [(dW1, db1), (dW2, db2), ...]
    "flat"   [dW1, db1, dW2, db2, ...] the forum question's backward

The adapters return (W, b) pairs, so declare ``layout="pairs"`` with them
(``forward_backward`` with returns="flat" returns the flat list: ``layout="flat"``).
Arrays are passed through unchanged: declare the bias and weight shapes your
code uses (``bias="column"`` for network.py's (n, 1) biases).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import numpy as np

__all__ = ["StructureError", "parse_gradients", "sizes_of", "per_sample", "from_object",
           "forward_backward", "whole_batch", "training_step", "fit_step", "RETURNS"]

RETURNS = ("b_w", "w_b", "pairs", "flat")


class StructureError(ValueError):
    """A returned gradient (or updated parameter) has the wrong structure or shape."""

    def __init__(self, message: str, *, layer: Optional[int] = None, param: Optional[str] = None,
                 expected_shape: Optional[tuple] = None, got_shape: Optional[tuple] = None):
        super().__init__(message)
        self.layer, self.param = layer, param
        self.expected_shape, self.got_shape = expected_shape, got_shape


def _check_returns(returns: str) -> None:
    if returns not in RETURNS:
        raise ValueError(f"returns must be one of {RETURNS}, got {returns!r}")


def parse_gradients(result, returns: str) -> list:
    """[(dW^1, db^1), ...] from a result in the declared order (arrays untouched)."""
    _check_returns(returns)
    if not isinstance(result, (list, tuple)):
        raise StructureError(f"expected gradients as {returns!r}, got {type(result).__name__}")
    if returns in ("b_w", "w_b"):
        if len(result) != 2 or not all(isinstance(r, (list, tuple)) for r in result):
            raise StructureError(f"expected a pair of lists ({'nabla_b, nabla_w' if returns == 'b_w' else 'nabla_w, nabla_b'}),"
                                 f" got {type(result).__name__} of length {len(result)}")
        ws, bs = (result[1], result[0]) if returns == "b_w" else (result[0], result[1])
        if len(ws) != len(bs):
            raise StructureError(f"{len(ws)} weight gradients but {len(bs)} bias gradients")
        return [(w, b) for w, b in zip(ws, bs)]
    if returns == "flat":
        if len(result) % 2:
            raise StructureError(f"expected [dW1, db1, dW2, db2, ...], got {len(result)} arrays")
        return [(result[i], result[i + 1]) for i in range(0, len(result), 2)]
    pairs = []
    for l, pair in enumerate(result, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise StructureError(f"layer {l}: expected a (dW, db) pair, got {type(pair).__name__}", layer=l)
        pairs.append((pair[0], pair[1]))
    return pairs


def sizes_of(params, *, weights: str = "out_in", folded: bool = False, biases: bool = True) -> list:
    """[n_0, n_1, ..., n_L] from native (W, b) pairs (or W alone when the bias is folded, or absent:
    ``biases=False``)."""
    Ws = [p if (folded or not biases) else p[0] for p in params]
    shapes = [np.shape(W) if weights == "out_in" else np.shape(W)[::-1] for W in Ws]
    return [shapes[0][1] - (1 if folded else 0)] + [s[0] for s in shapes]


def _samples(X, Y, samples: str, keepdims: bool):
    N = X.shape[1] if samples == "columns" else X.shape[0]
    for i in range(N):
        if samples == "columns":
            yield (X[:, i:i + 1], Y[:, i:i + 1]) if keepdims else (X[:, i], Y[:, i])
        else:
            yield (X[i:i + 1, :], Y[i:i + 1, :]) if keepdims else (X[i, :], Y[i, :])


def _accumulate(per_sample_grads, N: int, reduce: str) -> list:
    total = None
    for g in per_sample_grads:
        g = [(np.asarray(w), np.asarray(b)) for w, b in g]
        total = g if total is None else [(tw + w, tb + b) for (tw, tb), (w, b) in zip(total, g)]
    if reduce == "mean":
        total = [(w / N, b / N) for w, b in total]
    return total


def per_sample(backprop: Callable, *, returns: str = "b_w", samples: str = "columns",
               keepdims: bool = True, reduce: str = "mean") -> Callable:
    """gradient(params, X, Y) from ``backprop(params, x, y)`` for one sample.

    x, y are (n, 1) columns (rows (1, n) with samples="rows"; 1-D with
    keepdims=False).  The per-sample gradients of C_x = 1/2 ||a - y||^2 are
    summed and, with reduce="mean", divided by N.
    """
    return _per_sample(backprop, returns=returns, samples=samples, keepdims=keepdims, reduce=reduce)


def _per_sample(backprop: Callable, *, returns: str, samples: str, keepdims: bool,
                reduce: str) -> Callable:
    _check_returns(returns)
    if reduce not in ("mean", "sum"):
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")

    def gradient(params, X, Y, **kwargs):
        N = X.shape[1] if samples == "columns" else X.shape[0]
        grads = (parse_gradients(backprop(params, x, y, **kwargs), returns)
                 for x, y in _samples(X, Y, samples, keepdims))
        return _accumulate(grads, N, reduce)

    gradient.__name__ = f"per_sample({getattr(backprop, '__name__', 'backprop')})"
    return gradient


def _arrays(attrs: Tuple[str, ...], params) -> dict:
    """{attribute: list of copies}: the W's (and the b's when two attributes are named; params
    are then (W, b) pairs, else W alone, as for layers without biases)."""
    if len(attrs) == 1:
        return {attrs[0]: [np.array(W) for W in params]}
    return {attrs[0]: [np.array(W) for W, _ in params], attrs[1]: [np.array(b) for _, b in params]}


def _set(obj, attrs: Optional[Tuple[str, ...]], params) -> None:
    if attrs:
        for name, value in _arrays(attrs, params).items():
            setattr(obj, name, value)


def _read(obj, attrs: Tuple[str, ...]) -> list:
    if len(attrs) == 1:
        return list(getattr(obj, attrs[0]))
    return [(W, b) for W, b in zip(getattr(obj, attrs[0]), getattr(obj, attrs[1]))]


def from_object(make: Callable, *, method: str = "backprop", per_sample: bool = False,
                returns: str = "b_w", set_attrs: Optional[Tuple[str, ...]] = None,
                samples: str = "columns", keepdims: bool = True, reduce: str = "mean") -> Callable:
    """gradient(params, X, Y) from an object: ``make(params)`` builds it, ``method`` computes.

    With ``set_attrs=("weights", "biases")`` the adapter assigns copies of the
    W's and b's to those attributes after ``make``.  With per_sample=True the
    method is called once per sample, as network.py's ``backprop(x, y)``;
    otherwise once with the whole batch, ``method(X, Y)``.
    """
    _check_returns(returns)

    def call(params, X, Y, **kwargs):
        obj = make(params)
        _set(obj, set_attrs, params)
        return getattr(obj, method)(X, Y, **kwargs)

    if per_sample:
        return _per_sample(call, returns=returns, samples=samples, keepdims=keepdims, reduce=reduce)

    def gradient(params, X, Y, **kwargs):
        return parse_gradients(call(params, X, Y, **kwargs), returns)

    return gradient


def forward_backward(forward: Callable, backward: Callable, *, returns: str = "flat",
                     order: Sequence[str] = ("activations", "targets", "params"),
                     layout: Optional[str] = None) -> Callable:
    """gradient(params, X, Y) = backward(forward(params, X), Y, params), the forum question's shape.

    ``order`` names backward's positional arguments among "activations",
    "targets", "params" and "inputs".  The result is parsed per ``returns`` and
    given back in ``layout`` ("flat" [dW1, db1, ...] or "pairs"; default: flat
    when returns="flat", so the forum's flat parameters declare layout="flat").
    """
    _check_returns(returns)
    layout = layout or ("flat" if returns == "flat" else "pairs")

    def gradient(params, X, Y, **kwargs):
        acts = forward(params, X, **kwargs)
        values = {"activations": acts, "targets": Y, "params": params, "inputs": X}
        pairs = parse_gradients(backward(*(values[name] for name in order)), returns)
        return [a for pair in pairs for a in pair] if layout == "flat" else pairs

    return gradient


whole_batch = forward_backward


def training_step(make: Callable, *, step: str = "backward", forward: Optional[str] = "forward",
                  set_attrs: Optional[Tuple[str, ...]] = ("weights", "biases"),
                  get_attrs: Optional[Tuple[str, ...]] = None) -> Callable:
    """train_step(params, X, Y, eta) from an object that updates its weights in place.

    ``make(params, eta)`` builds the object (e.g. ``DeepNeuralNetwork(sizes_of(params),
    learning_rate=eta)``); copies of the W's and b's are assigned to ``set_attrs``;
    ``forward(X)`` is called if named, then ``step(X, Y)``; the updated W's and
    b's are read back from ``get_attrs`` (default ``set_attrs``) as (W, b) pairs.
    """
    get_attrs = get_attrs or set_attrs
    if not get_attrs:
        raise ValueError("training_step needs get_attrs (or set_attrs) naming the weights and biases")

    def train_step(params, X, Y, eta, **kwargs):
        obj = make(params, eta)
        _set(obj, set_attrs, params)
        if forward:
            getattr(obj, forward)(X)
        getattr(obj, step)(X, Y, **kwargs)
        return _read(obj, get_attrs)

    return train_step


def _replace_first_assignment(obj, values: dict) -> None:
    """Make the first assignment to each attribute of ``values`` store that value instead (later ones go through).

    Done with a subclass of obj's class made for this object alone, holding a property per attribute.
    """
    pending = dict(values)

    def attribute(name):
        def get(self):
            try:
                return self.__dict__[name]
            except KeyError:
                raise AttributeError(name) from None

        def put(self, value):
            self.__dict__[name] = pending.pop(name) if name in pending else value
        return property(get, put)
    cls = type(obj)
    obj.__class__ = type(cls.__name__, (cls,), {name: attribute(name) for name in values})


def fit_step(make: Callable, *, init: str, fit: str = "fit", set_attrs: Tuple[str, ...] = ("weights", "biases"),
             get_attrs: Optional[Tuple[str, ...]] = None, fit_kwargs: Optional[dict] = None,
             eta_kwarg: Optional[str] = None) -> Callable:
    """train_step(params, X, Y, eta) from a class whose own ``fit()`` initialises its weights, then trains.

    ``make(params, eta)`` builds the object (e.g. ``MLP(sizes_of(params), learning_rate=eta)``);
    ``fit(X, Y, **fit_kwargs)`` is called for exactly one update (say ``fit_kwargs={"epochs": 1}``,
    or one mini-batch covering X), with eta as ``fit(..., eta_kwarg=eta)`` when ``eta_kwarg`` is
    given.  The weights fit would initialise are replaced by the suite's, as ``init`` says:

    * ``init="<method>"``: fit calls ``self.<method>(...)`` to initialise; the adapter replaces that
      method on the object by the assignment of the suite's W's (and b's) to ``set_attrs``;
    * ``init="assignment"``: fit assigns each of ``set_attrs`` before training
      (``self.weights = [np.random.randn(...) ...]``); the first assignment to each stores the
      suite's arrays instead, later ones (the updates) go through.  (A fit that assigns ``[]``
      and appends to it needs ``init="<method>"``, or the lists come out too long.)

    ``set_attrs`` names the attributes of the W's and the b's, or of the W's alone for layers
    without biases; the updated arrays are read back from ``get_attrs`` (default ``set_attrs``).
    """
    get_attrs = get_attrs or set_attrs
    if not set_attrs or len(set_attrs) > 2 or len(get_attrs) != len(set_attrs):
        raise ValueError("fit_step needs set_attrs (and get_attrs) naming the W's and b's, or the W's alone")

    def train_step(params, X, Y, eta, **kwargs):
        obj = make(params, eta)
        values = _arrays(set_attrs, params)
        if init == "assignment":
            _replace_first_assignment(obj, values)
        else:
            def initialise(*args, **kw):
                for name, value in values.items():
                    setattr(obj, name, value)
            setattr(obj, init, initialise)
        extra = dict(fit_kwargs or {}, **({eta_kwarg: eta} if eta_kwarg else {}))
        getattr(obj, fit)(X, Y, **extra, **kwargs)
        return _read(obj, get_attrs)

    return train_step
