"""Checks at the boundary: every array is named, expected and given shapes are said.

Nothing here broadcasts, squeezes or reshapes.  Checked arrays are returned as
float64 arrays; the caller's arrays are never modified.  The checks cost about
a microsecond an array: names and contexts of messages are formatted only when
a check fails.
"""
from __future__ import annotations

from typing import Callable, Sequence, Tuple, Union

import numpy as np

from reference.network import Network, Params

__all__ = ["check_array", "check_params", "check_data", "check_inputs"]

Text = Union[str, Callable[[], str]]
#: arrays up to this size are tested entry by entry; larger ones by their sum first
_SMALL = 4096


def _text(text: Text) -> str:
    return text() if callable(text) else text


def _all_finite(arr: np.ndarray) -> bool:
    """True when every entry is finite.  A finite sum proves it (an inf or NaN entry makes the
    sum inf or NaN); only a non-finite sum, or one that overflowed, needs the entrywise test."""
    if arr.size > _SMALL:
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(arr, axis=None)):
                return True
    return bool(np.isfinite(arr).all())


def check_array(name: Text, value, expected_shape: Tuple[int, ...], context: Text = "") -> np.ndarray:
    """``value`` as a float64 array of exactly ``expected_shape``, all finite, or ValueError.

    ``name`` and ``context`` may be callables returning the text (formatted only on failure).
    """
    def where() -> str:
        c = _text(context)
        return f" for {c}" if c else ""
    if value is None:
        raise ValueError(f"{_text(name)} is None; expected an array of shape {expected_shape}{where()}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":          # floating or integer; bool, complex, object, ... refused
        raise ValueError(f"{_text(name)} must hold real numbers, got dtype {arr.dtype}{where()}")
    if arr.shape != tuple(expected_shape):
        raise ValueError(f"{_text(name)} has shape {arr.shape}; expected {tuple(expected_shape)}{where()}")
    arr = arr.astype(np.float64, copy=False)
    if not _all_finite(arr):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{_text(name)} has a non-finite value {arr[bad]} at index {bad}{where()}")
    return arr


def check_params(net: Network, params: Params, name: str = "params") -> Params:
    """Validated float64 copy-free view of ``params``: a list of L (W^l, b^l) pairs."""
    if isinstance(params, np.ndarray) or not isinstance(params, Sequence):
        raise ValueError(f"{name} must be a list of (W, b) pairs, got {type(params).__name__}")
    if len(params) != net.L:
        raise ValueError(
            f"{name} has {len(params)} (W, b) pairs; expected {net.L}, one per layer of {net}"
        )
    checked: Params = []
    sizes = net.layer_sizes
    for l, pair in enumerate(params, start=1):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{name}[{l - 1}] (layer {l}) must be a (W, b) pair, got {type(pair).__name__}")
        W = check_array(lambda: f"W^{l} ({name}[{l - 1}][0])", pair[0], (sizes[l], sizes[l - 1]),
                        lambda: f"{net}: W^l is (n_l, n_(l-1))")
        b = check_array(lambda: f"b^{l} ({name}[{l - 1}][1])", pair[1], (sizes[l],),
                        lambda: f"{net}: b^l is (n_l,)")
        checked.append((W, b))
    return checked


def check_inputs(net: Network, X) -> np.ndarray:
    """X as a float64 array of shape (n_0, N), N >= 1, samples as columns."""
    arr = np.asarray(X) if X is not None else None
    n_0 = net.layer_sizes[0]
    if arr is None or arr.ndim != 2 or arr.shape[0] != n_0 or arr.shape[1] < 1:
        given = None if arr is None else arr.shape
        raise ValueError(
            f"X has shape {given}; expected ({n_0}, N) with N >= 1 "
            f"(n_0 = {n_0} inputs, samples as columns) for {net}"
        )
    return check_array("X", arr, arr.shape, lambda: str(net))


def check_data(net: Network, X, Y) -> Tuple[np.ndarray, np.ndarray]:
    """(X, Y) as float64 arrays of shapes (n_0, N) and (n_L, N)."""
    X = check_inputs(net, X)
    N = X.shape[1]
    Y = check_array("Y", Y, (net.layer_sizes[-1], N), lambda: f"{net} with N = {N} samples as columns")
    return X, Y
