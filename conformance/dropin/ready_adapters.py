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
           "forward_backward", "whole_batch", "training_step", "RETURNS"]

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


def sizes_of(params, *, weights: str = "out_in", folded: bool = False) -> list:
    """[n_0, n_1, ..., n_L] from native (W, b) pairs (or W alone when the bias is folded)."""
    Ws = [p if folded else p[0] for p in params]
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


def _set(obj, attrs: Optional[Tuple[str, str]], params) -> None:
    if attrs:
        setattr(obj, attrs[0], [np.array(W) for W, _ in params])
        setattr(obj, attrs[1], [np.array(b) for _, b in params])


def from_object(make: Callable, *, method: str = "backprop", per_sample: bool = False,
                returns: str = "b_w", set_attrs: Optional[Tuple[str, str]] = None,
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
                  set_attrs: Optional[Tuple[str, str]] = ("weights", "biases"),
                  get_attrs: Optional[Tuple[str, str]] = None) -> Callable:
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
        return [(W, b) for W, b in zip(getattr(obj, get_attrs[0]), getattr(obj, get_attrs[1]))]

    return train_step
