"""What a call did to its arrays, observed in the process that runs the implementation's code.

Self-contained on purpose (numpy only: no reference, no Implementation, no
Network): every function takes the native arrays the user's callable receives
or returns, so these observations are made wherever that callable runs: in the
checker's process (``conformance.core.calls``, ``--in-process``) and in a Python
worker process (``conformance.isolation.worker``, which imports this module and
sends them back with the result).  Positions are reported as (tree, leaf, index)
numbers; the caller turns them into names (``dC/dW^2``, ``X``) in the reference
notation.

    with_layout(tree, layout)        the same values as C-ordered ("C"), Fortran-ordered ("F") or
                                     non-contiguous ("strided") arrays: a per-call option applied
                                     right before the call
    layout_of(arr)                   "C", "F" or "strided": what an array received is
    leaves(tree)                     the numpy arrays of a nested list/tuple, in order
    hold(trees)                      [(array, copy taken at once)] for every leaf: held without copying
    changed_since(held)              the held arrays that changed since (a later call wrote into them)
    shared_with_inputs(value, ins)   returned arrays sharing memory with an input array, and a
                                     returned container that is an input container
    Watch(inputs, watch=, alias=)    all of the above around one call: made before it, read after it
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

__all__ = ["LAYOUTS", "with_layout", "layout_of", "leaves", "hold", "changed_since", "shared_with_inputs",
           "Watch"]

#: Per-call input layouts: C order, Fortran order, non-contiguous views (every other entry of a buffer).
LAYOUTS = ("C", "F", "strided")


def _strided(a: np.ndarray) -> np.ndarray:
    """A view of a buffer twice as large in every axis, taking every other entry: same values, not contiguous."""
    if a.ndim == 0:
        return a.copy()
    buf = np.zeros(tuple(2 * n for n in a.shape), dtype=a.dtype)
    view = buf[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def with_layout(tree, layout: str):
    """``tree`` (an array, or nested lists/tuples of arrays) with every array laid out as ``layout``."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if isinstance(tree, np.ndarray):
        if layout == "C":
            return np.ascontiguousarray(tree)
        return np.asfortranarray(tree) if layout == "F" else _strided(tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(with_layout(item, layout) for item in tree)
    return tree


def layout_of(arr: np.ndarray) -> str:
    """'C' (C-contiguous, also every 1-D contiguous array), 'F' (Fortran-contiguous only) or 'strided'."""
    if arr.flags.c_contiguous:
        return "C"
    return "F" if arr.flags.f_contiguous else "strided"


def leaves(tree) -> List[np.ndarray]:
    """The numpy arrays in ``tree`` (nested lists and tuples), depth first, in order."""
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return []


def hold(trees: Sequence) -> List[List[Tuple[np.ndarray, np.ndarray]]]:
    """For each tree, [(array, a copy taken now)]: the arrays themselves are held, not copied."""
    return [[(arr, arr.copy()) for arr in leaves(tree)] for tree in trees]


def _first_change(arr: np.ndarray, before: np.ndarray):
    if arr.shape != before.shape:
        return None, "shape", before.shape, arr.shape
    same = (arr == before) | (np.isnan(arr) & np.isnan(before)) if arr.dtype.kind in "fc" else arr == before
    if np.all(same):
        return None
    idx = tuple(int(i) for i in np.argwhere(~same)[0])
    return idx, "value", before[idx].item(), arr[idx].item()


def changed_since(held) -> List[Tuple[int, int, object, str, object, object]]:
    """(tree, leaf, index, what, before, after) for every held array that changed since ``hold``."""
    out = []
    for t, pairs in enumerate(held):
        for k, (arr, before) in enumerate(pairs):
            change = _first_change(arr, before)
            if change is not None:
                out.append((t, k) + change)
    return out


def _shares(a: np.ndarray, b: np.ndarray) -> bool:
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10 ** 6))
    except np.exceptions.TooHardError:  # too costly to decide exactly: the bounds overlap, count it
        return True


def shared_with_inputs(value, inputs: Sequence) -> List[Tuple[str, int, int, int]]:
    """Where the returned ``value`` shares storage with ``inputs`` (a sequence of trees).

    ("memory", value leaf, input tree, input leaf) for a returned array that shares
    memory with an input array; ("container", -1, input tree, -1) when the returned
    list or tuple (or one of its items) is an input container itself.
    """
    out = []
    containers = [(t, c) for t, tree in enumerate(inputs) for c in _containers(tree)]
    for item in _containers(value):
        out += [("container", -1, t, -1) for t, c in containers if c is item]
    ins = [leaves(tree) for tree in inputs]
    for v, arr in enumerate(leaves(value)):
        out += [("memory", v, t, k) for t, group in enumerate(ins) for k, b in enumerate(group) if _shares(arr, b)]
    return out


def _containers(tree) -> list:
    """Every list or tuple in ``tree``, the tree itself first."""
    if not isinstance(tree, (list, tuple)):
        return []
    return [tree] + [c for item in tree for c in _containers(item)]


class Watch:
    """The observations of one call on its native ``inputs`` (the trees params, X, Y), taken before the call.

    ``watch``: the input trees the call must leave alone (held, compared after); ``alias``: the input trees
    a result must share nothing with.  ``after(value, failed)`` gives {"mutated", "aliases", "layouts"}.
    """

    def __init__(self, inputs: Sequence, *, watch=(0, 1, 2), alias=(0, 1, 2)):
        self.inputs, self.alias = inputs, tuple(alias)
        self.held = hold([inputs[t] if t in watch else () for t in range(len(inputs))])
        self.layouts = tuple(layout_of(a) for a in leaves(inputs))

    def after(self, value, failed: bool) -> dict:
        aliases = [] if failed else [a for a in shared_with_inputs(value, self.inputs) if a[2] in self.alias]
        return {"mutated": changed_since(self.held), "aliases": aliases, "layouts": self.layouts}
