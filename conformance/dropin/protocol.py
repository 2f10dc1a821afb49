"""The drop-in protocol: what an implementation under test declares.

An implementation module exposes ``IMPLEMENTATION`` (one ``Implementation``) or
``IMPLEMENTATIONS`` (a list).  It declares

* its entry point: a gradient function, or a training step that updates the
  parameters (the suite recovers the gradient from the update);
* its conventions (``Conventions``): samples as columns or rows, W as (out, in)
  or (in, out), the bias as (n,), (n, 1) or folded into W, the batch reduction,
  the loss, the parameter layout and the dtype;
* its support (``Support``): depths, widths, batch sizes and output activations
  it claims; Hypothesis draws only inside it, and a claimed case that crashes is
  a failure, not a skip;
* optionally its own ``loss`` (and ``forward``), so the gradient can be checked
  against the loss the implementation itself reports;
* its known failures (``KnownFailure``: a check id, a prefix ending in ".",
  or "*" for every check, and a reason);
* optionally ``time_limit``: seconds allowed per call (default: the runner's).

Native call signatures (all arrays in the implementation's own conventions):

    gradient(params, X, Y)          -> grads in the structure of params
    train_step(params, X, Y, eta)   -> new params, or None after updating params in place
    loss(params, X, Y)              -> float
    forward(params, X)              -> output activations a^L

``params`` is a list with one entry per layer l = 1..L: a (W, b) pair, or W
alone when the bias is folded in; with ``layout="flat"`` it is the flat list
[W1, b1, W2, b2, ...] as in the forum question.  A folded bias is the last
column of W (out_in) or its last row (in_out); X is passed without a row of
ones: an implementation that folds its bias appends the ones itself.

An implementation that declares more than one output activation receives the
one drawn as a keyword argument, ``gradient(params, X, Y, output="identity")``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Tuple

if TYPE_CHECKING:  # the protocol itself needs nothing of the reference (a worker loads it alone)
    from reference.network import Network

__all__ = ["Conventions", "Support", "KnownFailure", "Implementation", "implementation",
           "SAMPLES", "WEIGHTS", "BIASES", "REDUCTIONS", "LOSSES", "LAYOUTS", "DTYPES", "OUTPUTS"]

SAMPLES = ("columns", "rows")
WEIGHTS = ("out_in", "in_out")
BIASES = ("vector", "column", "row", "folded")   # (n,), (n, 1), (1, n), extra last column of W (last row if in_out)
REDUCTIONS = ("mean", "sum")
LOSSES = ("half_sse", "mse")                 # 1/2 ||a - y||^2 per sample | mean of (a - y)^2 over all entries
LAYOUTS = ("pairs", "flat")
DTYPES = ("float64", "float32")
OUTPUTS = ("sigmoid", "identity")


def _one_of(name: str, value, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")


@dataclass(frozen=True)
class Conventions:
    """How an implementation lays out its arrays and defines its loss."""

    samples: str = "columns"
    weights: str = "out_in"
    bias: str = "vector"
    reduction: str = "mean"
    loss: str = "half_sse"
    layout: str = "pairs"
    dtype: str = "float64"

    def __post_init__(self) -> None:
        for name, allowed in (("samples", SAMPLES), ("weights", WEIGHTS), ("bias", BIASES),
                              ("reduction", REDUCTIONS), ("loss", LOSSES), ("layout", LAYOUTS),
                              ("dtype", DTYPES)):
            _one_of(name, getattr(self, name), allowed)
        if self.layout == "flat" and self.bias == "folded":
            raise ValueError("layout='flat' needs separate biases; a folded bias uses layout='pairs'")


@dataclass(frozen=True)
class Support:
    """The networks and batches an implementation claims to handle."""

    min_depth: int = 1
    max_depth: int = 4
    min_width: int = 1
    max_width: int = 6
    min_N: int = 1
    max_N: int = 8
    outputs: Tuple[str, ...] = ("sigmoid",)
    layer_sizes: Optional[Tuple[Tuple[int, ...], ...]] = None   # a fixed list of architectures, if any

    def __post_init__(self) -> None:
        for o in self.outputs:
            _one_of("output", o, OUTPUTS)
        if not (1 <= self.min_depth <= self.max_depth and 1 <= self.min_width <= self.max_width
                and 1 <= self.min_N <= self.max_N):
            raise ValueError(f"inconsistent support bounds: {self}")

    def covers(self, net: Network, N: int) -> bool:
        """True when ``net`` with a batch of ``N`` lies inside the claimed support."""
        if net.output not in self.outputs or not self.min_N <= N <= self.max_N:
            return False
        if self.layer_sizes is not None:
            return tuple(net.layer_sizes) in {tuple(s) for s in self.layer_sizes}
        return (self.min_depth <= net.L <= self.max_depth
                and all(self.min_width <= n <= self.max_width for n in net.layer_sizes))


@dataclass(frozen=True)
class KnownFailure:
    """A check this implementation is known to fail, and why.  An unexpected pass is reported.

    ``counterexample`` may pin the example it fails on: a file of a saved failure corpus
    (``--save-failures``), replayed first every run.
    """

    check: str
    reason: str
    counterexample: str = ""


@dataclass(frozen=True)
class Implementation:
    """One implementation under test, with its declared entry point and conventions."""

    name: str
    gradient: Optional[Callable] = None
    train_step: Optional[Callable] = None
    conventions: Conventions = field(default_factory=Conventions)
    support: Support = field(default_factory=Support)
    loss: Optional[Callable] = None
    forward: Optional[Callable] = None
    known_failures: Tuple[KnownFailure, ...] = ()
    description: str = ""
    source: str = ""
    time_limit: Optional[float] = None      # seconds per call; None: the runner's default
    load_error: str = ""                    # set by discovery for a module that failed to load
    unavailable: str = ""                   # set by discovery for an optional module that cannot run here

    def __post_init__(self) -> None:
        if self.load_error or self.unavailable:
            return
        if (self.gradient is None) == (self.train_step is None):
            raise ValueError(f"implementation {self.name!r} must declare exactly one of "
                             f"gradient= or train_step=")

    def known_failure(self, check: str) -> Optional[KnownFailure]:
        """The declared known failure for ``check`` (exact id, a prefix ending in '.', or '*'), if any."""
        for kf in self.known_failures:
            if kf.check in (check, "*") or (kf.check.endswith(".") and check.startswith(kf.check)):
                return kf
        return None


def implementation(name: str, *, gradient: Optional[Callable] = None,
                   train_step: Optional[Callable] = None, loss: Optional[Callable] = None,
                   forward: Optional[Callable] = None, known_failures=(), description: str = "",
                   support: Optional[Support] = None, time_limit: Optional[float] = None,
                   source: str = "", **conventions_and_support) -> Implementation:
    """Declare an implementation in one call.

    Keyword arguments named like ``Conventions`` fields (samples, weights, bias,
    reduction, loss_kind -> loss, layout, dtype) set the conventions; those named
    like ``Support`` fields (max_depth, max_width, max_N, outputs, ...) set the
    support.  ``known_failures`` is a mapping {check id: reason} (or {check id:
    (reason, counterexample file)}) or a sequence of ``KnownFailure``.
    """
    conv_fields = {f for f in Conventions.__dataclass_fields__}
    sup_fields = {f for f in Support.__dataclass_fields__}
    conv, sup = {}, {}
    for key, value in conventions_and_support.items():
        key = "loss" if key == "loss_kind" else key
        if key == "output":
            key, value = "outputs", (value,)
        if key in conv_fields:
            conv[key] = value
        elif key in sup_fields:
            sup[key] = tuple(value) if key == "outputs" else value
        else:
            raise ValueError(f"unknown declaration {key!r} for implementation {name!r}; conventions are "
                             f"{sorted(conv_fields)} (loss as loss_kind), support is {sorted(sup_fields)}")
    if support is not None and sup:
        raise ValueError("give support= or individual support keywords, not both")
    if isinstance(known_failures, dict):
        known_failures = tuple(KnownFailure(k, *v) if isinstance(v, (tuple, list)) else KnownFailure(k, v)
                               for k, v in known_failures.items())
    return Implementation(name=name, gradient=gradient, train_step=train_step, loss=loss,
                          forward=forward, conventions=Conventions(**conv),
                          support=support or Support(**sup), known_failures=tuple(known_failures),
                          description=description, time_limit=time_limit, source=source)
