"""Translation at the edge between the reference conventions and an implementation's own.

Reference conventions (``docs/CONTRIBUTING.md``): params ``[(W^l, b^l)]`` with
W^l of shape (n_l, n_{l-1}) and b^l of shape (n_l,), X (n_0, N) and Y (n_L, N)
with samples as columns, float64, and the loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2.

An implementation declares ``Conventions``; every array it receives or returns
is translated here and nowhere else:

    samples   "columns" X (n_0, N)  | "rows" X (N, n_0)
    weights   "out_in"  W (n_l, n_{l-1}) | "in_out" W (n_{l-1}, n_l)
    bias      "vector" (n,) | "column" (n, 1) | "row" (1, n) | "folded": the
              last column of W (out_in) or its last row (in_out) | "none": no biases,
              params [W1, W2, ...] in either layout, the reference's b^l held at 0
    layout    "pairs" [(W1, b1), ...] (or [W1, ...] when folded) | "flat" [W1, b1, ...]
    dtype     "float64" | "float32"
    loss and reduction: the implementation's data loss is k times the reference's,
              k = loss_factor(...) = (N if reduction == "sum") * (2 / n_L if loss == "mse"),
              so its gradient is k times the reference gradient.
    L2        the implementation adds (lambda / d)/2 sum ||W||^2 to its (k-scaled) loss, d the
              ``l2_divisor`` (1, the batch size N, or a training-set size n), so
              C_impl = k (C_data + (lambda / (d k))/2 sum ||W||^2) = k C_ref with the reference's
              lambda_ref = lambda / (d k) (``reference_l2``): dividing the gradient by k stays
              exact with the L2 term present, and ``reference_network`` gives the network to
              compare with for a batch of N.

A training step's gradient is recovered from its update: g = (theta_before - theta_after) / eta.
The ready adapters for common shapes (per-sample class, whole-batch function,
training step) live in ``conformance.dropin.ready_adapters`` and are re-exported here.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from conformance.dropin.protocol import Conventions, Implementation
from conformance.dropin.ready_adapters import (StructureError, fit_step, forward_backward, from_object,
                                               parse_gradients, per_sample, sizes_of, training_step, whole_batch)
from reference.network import Network, Params

__all__ = ["ETA", "StructureError", "conventions_of", "loss_factor", "reference_l2", "reference_network",
           "native_shapes", "to_native",
           "native_to_reference", "gradient_from_native", "gradient_of", "gradients_of", "step_of", "output_of",
           "round_to_dtype", "native_index", "native_location",
           "per_sample", "from_object", "training_step", "fit_step", "forward_backward", "whole_batch",
           "parse_gradients", "sizes_of"]

#: Learning rate the suite passes to a training step: a power of two, so that
#: eta * g is exact and theta - theta_after loses as little as possible to cancellation.
ETA = 2.0 ** 10


def conventions_of(impl_or_conventions) -> Conventions:
    """The ``Conventions`` of an Implementation, or the Conventions object itself."""
    if isinstance(impl_or_conventions, Implementation):
        return impl_or_conventions.conventions
    if isinstance(impl_or_conventions, Conventions):
        return impl_or_conventions
    raise TypeError(f"expected an Implementation or Conventions, got {type(impl_or_conventions).__name__}")


def loss_factor(conv: Conventions, net: Network, N: Optional[int]) -> float:
    """k with (implementation's loss) = k * (reference loss): N for a summed batch, 2/n_L for mse."""
    k = 1.0
    if conv.reduction == "sum":
        if N is None:
            raise ValueError("reduction='sum' needs the batch size N to convert the gradient")
        k *= N
    if conv.loss == "mse":
        k *= 2.0 / net.n(net.L)
    return k


def reference_l2(conv: Conventions, net: Network, N: int) -> float:
    """lambda_ref = lambda / (d k): the reference's L2 coefficient for the declared one on a batch of N."""
    if conv.l2 == 0:
        return 0.0
    d = N if conv.l2_divisor == "N" else conv.l2_divisor
    return float(conv.l2) / (d * loss_factor(conv, net, N))


def reference_network(impl_or_conventions, net: Network, N: int) -> Network:
    """``net`` with the L2 term the implementation's declaration means on a batch of N (reference terms)."""
    conv = conventions_of(impl_or_conventions)
    l2 = reference_l2(conv, net, N)
    if (net.l2, net.l2_bias) == (l2, conv.l2_bias):
        return net
    return net.replace(l2=l2, l2_bias=bool(conv.l2_bias))


def _bias_shape(conv: Conventions, n: int) -> tuple:
    return {"vector": (n,), "column": (n, 1), "row": (1, n)}[conv.bias]


def native_shapes(conv: Conventions, net: Network) -> List[Tuple[int, str, tuple]]:
    """(layer, "W" / "b" / "W|b", native shape) for every native array, in native order."""
    out = []
    for l in range(1, net.L + 1):
        n_out, n_in = net.weight_shape(l)
        w = (n_out, n_in) if conv.weights == "out_in" else (n_in, n_out)
        if conv.bias == "none":
            out.append((l, "W", w))
        elif conv.bias == "folded":
            w = (n_out, n_in + 1) if conv.weights == "out_in" else (n_in + 1, n_out)
            out.append((l, "W|b", w))
        else:
            out += [(l, "W", w), (l, "b", _bias_shape(conv, n_out))]
    return out


def round_to_dtype(arr, dtype) -> np.ndarray:
    """A float64 copy of ``arr`` holding the values nearest in ``dtype`` (exact for float64)."""
    return np.asarray(arr, dtype=np.float64).astype(dtype).astype(np.float64)


def to_native(impl_or_conventions, net: Network, params: Params, X, Y):
    """(native_params, native_X, native_Y): fresh arrays in the declared conventions."""
    conv = conventions_of(impl_or_conventions)
    dt = np.dtype(conv.dtype)
    arrays = []
    for W, b in params:  # np.array(..., copy=True): never hand out the caller's arrays
        W, b = np.array(W, dtype=dt, copy=True), np.array(b, dtype=dt, copy=True)
        Wn = W if conv.weights == "out_in" else W.T
        if conv.bias == "none":
            arrays.append([np.array(Wn, order="C", copy=True)])
        elif conv.bias == "folded":
            col = b[:, np.newaxis] if conv.weights == "out_in" else b[np.newaxis, :]
            axis = 1 if conv.weights == "out_in" else 0
            arrays.append([np.array(np.concatenate([Wn, col], axis=axis), order="C", copy=True)])
        else:
            arrays.append([np.array(Wn, order="C", copy=True), b.reshape(_bias_shape(conv, b.shape[0])).copy()])
    if conv.layout == "flat" or conv.bias == "none":
        native = [a for pair in arrays for a in pair]
    elif conv.bias == "folded":
        native = [pair[0] for pair in arrays]
    else:
        native = [tuple(pair) for pair in arrays]
    X, Y = np.asarray(X, dtype=dt), np.asarray(Y, dtype=dt)
    if conv.samples == "rows":
        X, Y = X.T, Y.T
    return native, np.array(X, order="C", copy=True), np.array(Y, order="C", copy=True)


def _flat_native(conv: Conventions, net: Network, native) -> list:
    """The native arrays in native order, checking the container structure."""
    expected = native_shapes(conv, net)
    what = ("a list [W1, W2, ...] (no biases)" if conv.bias == "none" else
            "a flat list [W1, b1, W2, b2, ...]" if conv.layout == "flat" else
            "a list of W (bias folded in)" if conv.bias == "folded" else "a list of (W, b) pairs")
    if not isinstance(native, (list, tuple)):
        raise StructureError(f"expected {what} for {net}, got {type(native).__name__}")
    if conv.layout == "flat" or conv.bias in ("folded", "none"):
        items = list(native)
    else:
        if len(native) != net.L:
            raise StructureError(f"expected {net.L} (W, b) pairs for {net}, got {len(native)} items")
        items = []
        for l, pair in enumerate(native, start=1):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise StructureError(f"layer {l}: expected a (W, b) pair, got {type(pair).__name__}",
                                     layer=l)
            items += list(pair)
    if len(items) != len(expected):
        raise StructureError(f"expected {what} with {len(expected)} arrays for {net}, got {len(items)}")
    return items


def _checked_array(item, l: int, name: str, shape: tuple) -> np.ndarray:
    label = "dC/dW|b (folded)" if name == "W|b" else f"dC/d{name}"
    if item is None:
        raise StructureError(f"layer {l}, {label}^{l} is None; expected shape {shape}", layer=l,
                             param=name[0], expected_shape=shape)
    try:
        arr = np.asarray(item)
    except Exception as exc:  # ragged or exotic objects
        raise StructureError(f"layer {l}, {label}^{l} is not an array: {exc}", layer=l, param=name[0])
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise StructureError(f"layer {l}, {label}^{l} holds {arr.dtype}, not real numbers", layer=l,
                             param=name[0])
    if arr.shape != shape:
        raise StructureError(f"layer {l}, {label}^{l} has shape {arr.shape}; expected {shape}",
                             layer=l, param=name[0], expected_shape=shape, got_shape=arr.shape)
    return arr.astype(np.float64)


def native_to_reference(impl_or_conventions, net: Network, native) -> Params:
    """Native arrays (gradients or parameters) in reference structure, float64, unscaled."""
    conv = conventions_of(impl_or_conventions)
    items = _flat_native(conv, net, native)
    arrays = [_checked_array(it, l, name, shape) for it, (l, name, shape) in zip(items, native_shapes(conv, net))]
    out = []
    step = 1 if conv.bias in ("folded", "none") else 2
    for i, l in enumerate(range(1, net.L + 1)):
        if conv.bias == "none":
            W = arrays[i] if conv.weights == "out_in" else arrays[i].T
            b = np.zeros(net.n(l))
        elif conv.bias == "folded":
            Wf = arrays[i] if conv.weights == "out_in" else arrays[i].T
            W, b = Wf[:, :-1], Wf[:, -1]
        else:
            W, b = arrays[step * i], arrays[step * i + 1]
            W = W if conv.weights == "out_in" else W.T
        out.append((np.ascontiguousarray(W), b.reshape(-1).copy()))
    return out


def gradient_from_native(impl_or_conventions, net: Network, native_grads, *, N: Optional[int] = None,
                         scale: bool = True) -> Params:
    """Reference-structured float64 gradients from native ones, divided by the loss factor k.

    ``N`` is required for reduction="sum"; ``scale=False`` keeps the native loss scale.
    """
    conv = conventions_of(impl_or_conventions)
    grads = native_to_reference(conv, net, native_grads)
    if not scale:
        return grads
    k = loss_factor(conv, net, N)
    return grads if k == 1.0 else [(W / k, b / k) for W, b in grads]


def _native_args(impl: Implementation, net: Network, params: Params, X, Y, eta: float):
    """(positional arguments, keyword arguments) of one native gradient or training-step call."""
    native, Xn, Yn = to_native(impl, net, params, X, Y)
    kwargs = impl.keywords(net)
    return ((native, Xn, Yn) if impl.gradient is not None else (native, Xn, Yn, eta)), kwargs


def _gradient_of_result(impl: Implementation, net: Network, params: Params, X, Y, native, result,
                        eta: float) -> Params:
    """The reference gradient a native call's result (or its in-place update of ``native``) stands for."""
    N = X.shape[1]
    if impl.gradient is not None:
        return gradient_from_native(impl, net, result, N=N)
    before = native_to_reference(impl, net, to_native(impl, net, params, X, Y)[0])
    after = native_to_reference(impl, net, native if result is None else result)
    k = loss_factor(impl.conventions, net, N)
    return [((Wb - Wa) / eta / k, (bb - ba) / eta / k) for (Wb, bb), (Wa, ba) in zip(before, after)]


def gradient_of(impl: Implementation, net: Network, params: Params, X, Y, *, eta: float = ETA) -> Params:
    """The implementation's gradient in reference conventions (no safety net: errors propagate).

    Calls ``impl.gradient`` or recovers the gradient from ``impl.train_step`` as
    (theta_before - theta_after) / eta.  Used by the reproducers.
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    args, kwargs = _native_args(impl, net, params, X, Y, eta)
    entry = impl.gradient if impl.gradient is not None else impl.train_step
    return _gradient_of_result(impl, net, params, X, Y, args[0], entry(*args, **kwargs), eta)


def gradients_of(impl: Implementation, net: Network, params: Params, examples, *, eta: float = ETA) -> List[Params]:
    """``gradient_of`` on each (X, Y) of ``examples``, the same parameters for all, in order.

    The calls do not depend on one another: an entry point that offers ``map`` (the proxy of a
    worker process, ``conformance.isolation.remote.RemoteCall``) receives them all at once and
    answers them in order; any other is called once per example.
    """
    entry = impl.gradient if impl.gradient is not None else impl.train_step
    batch = getattr(entry, "map", None)
    examples = [(np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)) for X, Y in examples]
    if batch is None or len(examples) < 2:
        return [gradient_of(impl, net, params, X, Y, eta=eta) for X, Y in examples]
    calls = [_native_args(impl, net, params, X, Y, eta) for X, Y in examples]
    results = batch(calls)
    return [_gradient_of_result(impl, net, params, X, Y, args[0], result, eta)
            for (X, Y), (args, _), result in zip(examples, calls, results)]


def step_of(impl: Implementation, net: Network, params: Params, X, Y, eta: float) -> Params:
    """One training step of ``impl.train_step`` in reference conventions: theta - eta dC/dtheta.

    The native step takes eta / k (k = ``loss_factor``: a summed step moves k times
    as far); the new parameters are returned as reference (W, b) pairs (float64).
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    native, Xn, Yn = to_native(impl, net, params, X, Y)
    kwargs = impl.keywords(net)
    k = loss_factor(impl.conventions, net, X.shape[1])
    result = impl.train_step(native, Xn, Yn, eta / k, **kwargs)
    return native_to_reference(impl, net, native if result is None else result)


def output_of(impl: Implementation, net: Network, params: Params, X) -> np.ndarray:
    """``impl.forward`` in reference conventions: a^L as an (n_L, N) float64 array (rows transposed back)."""
    X = np.asarray(X, dtype=np.float64)
    native, Xn, _ = to_native(impl, net, params, X, np.zeros((net.n(net.L), X.shape[1])))
    kwargs = impl.keywords(net)
    out = np.asarray(impl.forward(native, Xn, **kwargs), dtype=np.float64)
    return out.T if impl.conventions.samples == "rows" else out


def native_index(conv: Conventions, net: Network, layer: int, param: str, index: tuple) -> Tuple[str, tuple]:
    """(Python path into the native structure, native index) of the reference entry d{param}^{layer}[index].

    The path is written as the implementation receives or returns the list:
    ``[l-1][0]`` for W of a (W, b) pair, ``[2(l-1)]`` in a flat list, ``[l-1]`` for a W with the bias
    folded in; the index follows the declared weight orientation and bias shape.
    """
    l0, idx = layer - 1, tuple(int(i) for i in index)
    n_in = net.n(layer - 1)
    if param == "W":
        idx = idx if conv.weights == "out_in" else idx[::-1]
    elif conv.bias == "folded":
        idx = (idx[0], n_in) if conv.weights == "out_in" else (n_in, idx[0])
    elif conv.bias == "none":          # no bias slot: the entry has no place in the native structure
        return f"[{l0}]", ()
    else:
        idx = {"vector": idx, "column": (idx[0], 0), "row": (0, idx[0])}[conv.bias]
    if conv.bias in ("folded", "none"):
        path = f"[{l0}]"
    elif conv.layout == "flat":
        path = f"[{2 * l0 + (param == 'b')}]"
    else:
        path = f"[{l0}][{0 if param == 'W' else 1}]"
    return path, idx


def native_location(conv: Conventions, net: Network, layer: int, param: str, index: tuple, *,
                    train_step: bool = False) -> str:
    """The entry in the implementation's own layout, with the reference's beside it.

    'grads[0][0][0, 2] (your dC/dW for layer 1, stored (in, out); the reference's dC/dW^1[2, 0])'
    """
    path, idx = native_index(conv, net, layer, param, index)
    what = {"W": "W", "b": "b"}[param]
    stored = ("(out, in)" if conv.weights == "out_in" else "(in, out)") if param == "W" else \
        {"vector": "(n,)", "column": "(n, 1)", "row": "(1, n)", "folded": "the extra column of W",
         "none": "nowhere (no biases declared)"}[conv.bias]
    if conv.bias == "folded" and param == "b" and conv.weights == "in_out":
        stored = "the extra row of W"
    name = "params" if train_step else "grads"
    role = f"your updated {what} for layer {layer}" if train_step else f"your dC/d{what} for layer {layer}"
    ref = f"dC/d{param}^{layer}[{', '.join(str(int(i)) for i in index)}]"
    return f"{name}{path}[{', '.join(map(str, idx))}] ({role}, stored {stored}; the reference's {ref})"
