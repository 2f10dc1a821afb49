"""All assertion helpers.  Every failure message names the implementation, the
check, the layer (from 1), the parameter and index, expected vs got, and the bound.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from reference.network import Network, Params

__all__ = ["Mismatch", "mismatches", "count_mismatches", "assert_gradients_close", "assert_gradient_structure",
           "format_mismatch"]


@dataclass(frozen=True)
class Mismatch:
    """One gradient entry outside its bound."""

    layer: int          # l, counted from 1
    param: str          # "W" or "b"
    index: tuple        # index within W^l or b^l
    expected: float
    got: float
    bound: float

    @property
    def excess(self) -> float:
        """|got - expected| / bound (how many bounds away)."""
        return abs(self.got - self.expected) / self.bound if self.bound > 0 else np.inf


def format_mismatch(m: Mismatch) -> str:
    """'layer 2, dC/dW^2[1, 0]: expected 0.125, got 0.25 (|diff| 0.125 > bound 1e-15)'."""
    idx = ", ".join(str(i) for i in m.index)
    return (f"layer {m.layer}, dC/d{m.param}^{m.layer}[{idx}]: expected {m.expected!r}, "
            f"got {m.got!r} (|diff| {abs(m.got - m.expected):.3g} > bound {m.bound:.3g})")


def count_mismatches(got: Params, expected: Params, bound: Params) -> int:
    """How many entries have |got - expected| > bound (or a non-finite got)."""
    return int(sum(np.count_nonzero(~(np.abs(np.asarray(g, dtype=np.float64) - e) <= bd))
                   for pg, pe, pb in zip(got, expected, bound) for g, e, bd in zip(pg, pe, pb)))


def mismatches(got: Params, expected: Params, bound: Params, *, per_array: Optional[int] = None) -> List[Mismatch]:
    """Every entry with |got - expected| > bound (or a non-finite got), layer by layer, W before b.

    ``per_array`` keeps only the first that many of each array (for large networks).
    """
    out: List[Mismatch] = []
    for l, ((gW, gb), (eW, eb), (bW, bb)) in enumerate(zip(got, expected, bound), start=1):
        for name, g, e, bd in (("W", gW, eW, bW), ("b", gb, eb, bb)):
            g = np.asarray(g, dtype=np.float64)
            bad = ~(np.abs(g - e) <= bd)          # NaN in got counts as bad
            for idx in np.argwhere(bad)[:per_array]:
                idx = tuple(int(i) for i in idx)
                out.append(Mismatch(l, name, idx, float(e[idx]), float(g[idx]), float(bd[idx])))
    return out


def assert_gradient_structure(got, net: Network, *, impl: str, check: str) -> None:
    """``got`` is a list of L (dW^l, db^l) pairs of shapes (n_l, n_{l-1}) and (n_l,)."""
    prefix = f"[{impl}] {check}: "
    if not isinstance(got, (list, tuple)) or len(got) != net.L:
        n = len(got) if isinstance(got, (list, tuple)) else type(got).__name__
        raise AssertionError(f"{prefix}expected {net.L} (dW, db) pairs for {net}, got {n}")
    for l, pair in enumerate(got, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise AssertionError(f"{prefix}layer {l}: expected a (dW, db) pair, got {type(pair).__name__}")
        for name, arr, shape in (("W", pair[0], net.weight_shape(l)), ("b", pair[1], net.bias_shape(l))):
            arr = np.asarray(arr)
            if arr.shape != shape:
                raise AssertionError(
                    f"{prefix}layer {l}, dC/d{name}^{l} has shape {arr.shape}; expected {shape} for {net}")


def assert_gradients_close(got: Params, expected: Params, bound: Params, *, impl: str, check: str,
                           context: str = "", show: int = 5) -> None:
    """AssertionError listing the first ``show`` entries outside ``bound``, or nothing."""
    bad = mismatches(got, expected, bound)
    if not bad:
        return
    total = sum(np.size(a) for pair in expected for a in pair)
    where = f" on {context}" if context else ""
    lines = [f"[{impl}] {check}{where}: {len(bad)} of {total} gradient entries outside the bound;"
             f" first wrong entry {format_mismatch(bad[0])}"]
    lines += ["  " + format_mismatch(m) for m in bad[1:show]]
    if len(bad) > show:
        lines.append(f"  ... and {len(bad) - show} more")
    raise AssertionError("\n".join(lines))
