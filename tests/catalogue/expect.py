"""What each catalogue entry expects of the suite.

A buggy entry is caught when every check id in ``Expect.checks`` fails.  Where
the cause is one the diagnosis knows (a key of ``conformance.diagnosis.CAUSES``),
the diagnosis attached to the verdict of ``Expect.diagnosed_by`` must name it,
and the layer, parameter and factor too when given.

Layers are written relative to the network of the diagnosed (shrunk) example:
"L" is the output layer, "L-1" the one below it, "1" the first; or a function
of the example's layer sizes [n_0, ..., n_L] when the first wrong layer depends
on them.  ``param`` is "W" or "b" when the bug touches only that parameter;
None when it touches both (on a shrunk example with zero inputs only b differs,
so either is a right answer).  ``factor`` (e.g. "2/n_L") is the c of got = c x
expected, or of reported loss = c x the gradient's loss.  ``condition`` is a regular
expression the diagnosis' conditions must match: the size condition the bisection
names, such as "right for N <= 48, wrong from N = 49".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Tuple, Union

from conformance.dropin.protocol import Implementation

__all__ = ["Expect", "Entry", "resolve_layer", "resolve_factor"]

LayerSpec = Union[str, Callable[[Sequence[int]], int]]


@dataclass(frozen=True)
class Expect:
    """The verdict a buggy entry must get."""

    checks: Tuple[str, ...]                 # every one of these check ids must fail
    cause: Optional[str] = None             # CAUSES key the diagnosis must name, if it knows it
    layer: Optional[LayerSpec] = None       # "L", "L-1", "1", ... or f(sizes) on the diagnosed example
    param: Optional[str] = None             # "W" or "b" when only that parameter is wrong
    diagnosed_by: Optional[str] = None      # check whose diagnosis is read (default: checks[0])
    factor: Optional[str] = None            # "2", "2/n_L", "N", "1/N", "-1" on the diagnosed example
    condition: Optional[str] = None         # a regular expression the diagnosis' conditions must match

    @property
    def diagnosis_check(self) -> str:
        return self.diagnosed_by or self.checks[0]


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: an implementation, the bug in issue 6's words, and its expectation.

    ``expect`` is None for a correct variant, which must pass every check.
    """

    impl: Implementation
    bug: str
    expect: Optional[Expect] = None
    xfail: str = ""                         # reason the core cannot meet the expectation yet
    tags: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.impl.name

    @property
    def correct(self) -> bool:
        return self.expect is None


def resolve_layer(spec: LayerSpec, sizes: Sequence[int]) -> int:
    """The layer meant by "L", "L-1", "1", ... or f(sizes) in a network of layer sizes [n_0, ..., n_L]."""
    if callable(spec):
        return int(spec(list(sizes)))
    L = len(sizes) - 1
    spec = spec.replace(" ", "")
    if spec.startswith("L"):
        return L - int(spec[2:]) if len(spec) > 1 else L
    return int(spec)


def resolve_factor(spec: str, sizes: Sequence[int], N: int) -> float:
    """The number meant by "2", "2/n_L", "N", "1/N", "-1" for layer sizes [n_0, ..., n_L] and batch N."""
    return float(eval(spec, {"__builtins__": {}}, {"n_L": sizes[-1], "N": N}))
