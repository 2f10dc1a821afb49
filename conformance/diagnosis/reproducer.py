"""Copy-paste reproducers: a short script that rebuilds the failing example exactly.

Every float is written with ``repr`` (shortest round-trip form), so the arrays
rebuilt are bit-for-bit those of the failing example.  The script imports the
implementation the way discovery found it (module or file path), computes the
reference gradient and the implementation's (in reference conventions, via
``conformance.dropin.adapters.gradient_of``) and prints both side by side.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from conformance.dropin.protocol import Implementation
from conformance.core.strategies import Problem

__all__ = ["array_code", "problem_code", "reproducer"]


def array_code(arr) -> str:
    """'np.array([[0.5, -1.25]])': exact, via repr of Python floats."""
    return f"np.array({np.asarray(arr, dtype=np.float64).tolist()!r})"


def problem_code(p: Problem) -> str:
    """Python statements defining ``net``, ``params``, ``X`` and ``Y`` exactly."""
    pairs = ",\n    ".join(f"({array_code(W)}, {array_code(b)})" for W, b in p.params)
    return (f"net = {p.net!r}\n"
            f"params = [\n    {pairs},\n]\n"
            f"X = {array_code(p.X)}\n"
            f"Y = {array_code(p.Y)}")


def _impl_code(impl: Implementation) -> str:
    if impl.source:
        return f"impl = load_implementation({impl.source!r}, {impl.name!r})"
    return (f"impl = ...  # the Implementation object named {impl.name!r} (it was not loaded by discovery;"
            " replace with your own import)")


def reproducer(impl: Implementation, check: str, p: Problem, *, eta: float,
               extra: Iterable[str] = ()) -> str:
    """The reproducer script for ``impl`` failing ``check`` on ``p``."""
    lines = [f"# Reproduces: {impl.name} :: {check} on {p.describe()}",
             "import numpy as np",
             "from reference import Network, gradients",
             "from conformance.dropin.adapters import gradient_of",
             "from conformance.dropin.discovery import load_implementation",
             "",
             _impl_code(impl),
             problem_code(p),
             "expected = gradients(net, params, X, Y)",
             f"got = gradient_of(impl, net, params, X, Y, eta={eta!r})",
             "for l, ((eW, eb), (gW, gb)) in enumerate(zip(expected, got), start=1):",
             "    print(f'layer {l} dC/dW expected {eW.tolist()}')",
             "    print(f'layer {l} dC/dW got      {gW.tolist()}')",
             "    print(f'layer {l} dC/db expected {eb.tolist()}')",
             "    print(f'layer {l} dC/db got      {gb.tolist()}')"]
    lines += list(extra)
    return "\n".join(lines)
