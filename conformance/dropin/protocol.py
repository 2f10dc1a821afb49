"""The drop-in protocol: what an implementation under test declares.

An implementation module exposes ``IMPLEMENTATION`` (one ``Implementation``) or
``IMPLEMENTATIONS`` (a list).  It declares

* its entry point: a gradient function, or a training step that updates the
  parameters (the suite recovers the gradient from the update);
* its conventions (``Conventions``): samples as columns or rows, W as (out, in)
  or (in, out), the bias as (n,), (n, 1) or folded into W, the batch reduction,
  the loss, the parameter layout and the dtype;
* its support (``Support``): depths, widths, batch sizes, output activations and
  input memory layouts it claims (no upper limit unless declared); Hypothesis
  draws inside it up to depth 4, width 6 and N 8 (``Support.drawn``), the size
  ladder tries larger claimed sizes, and a claimed case that crashes is a
  failure, not a skip;
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

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Tuple

if TYPE_CHECKING:  # the protocol itself needs nothing of the reference (a worker loads it alone)
    from reference.network import Network

__all__ = ["Conventions", "Support", "KnownFailure", "Implementation", "implementation", "DRAWN_MAX_DEPTH",
           "DRAWN_MAX_WIDTH", "DRAWN_MAX_N", "MEMORY_LAYOUTS", "SAMPLES", "WEIGHTS", "BIASES", "REDUCTIONS", "LOSSES", "LAYOUTS", "DTYPES", "OUTPUTS"]

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


#: Hypothesis draws at most this deep, wide and large inside the declared support; the size
#: ladder (``sizes.*``) covers the rest of the claim.  A support that starts above a cap draws its minimum.
DRAWN_MAX_DEPTH, DRAWN_MAX_WIDTH, DRAWN_MAX_N = 4, 6, 8
#: Memory layouts of the input arrays: C order, Fortran order, non-contiguous views (``interface.layouts``).
MEMORY_LAYOUTS = ("C", "F", "strided")


def _capped(lo: int, hi: Optional[int], cap: int) -> int:
    """The drawn upper bound: the claim's upper bound, at most ``cap``, never below the claim's lower bound."""
    return max(lo, cap if hi is None else min(hi, cap))


@dataclass(frozen=True)
class Support:
    """The networks, batches and input layouts an implementation claims to handle.

    ``max_depth``, ``max_width`` and ``max_N`` are claims: None (the default) claims no
    limit.  Hypothesis draws inside the claim but at most ``DRAWN_MAX_*`` (``drawn()``,
    depth 4, width 6, N 8: the search stays cheap); the size ladder tries the rest of
    the claim (``covers``).  ``layer_sizes`` fixes the architectures (drawn and claimed).
    ``input_layouts`` lists the memory layouts of input arrays it accepts: "C", "F"
    (Fortran order), "strided" (non-contiguous views); all by default.  The suite
    hands it only those.
    """

    min_depth: int = 1
    max_depth: Optional[int] = None
    min_width: int = 1
    max_width: Optional[int] = None
    min_N: int = 1
    max_N: Optional[int] = None
    outputs: Tuple[str, ...] = ("sigmoid",)
    layer_sizes: Optional[Tuple[Tuple[int, ...], ...]] = None   # a fixed list of architectures, if any
    input_layouts: Tuple[str, ...] = MEMORY_LAYOUTS

    def __post_init__(self) -> None:
        for o in self.outputs:
            _one_of("output", o, OUTPUTS)
        for lay in self.input_layouts:
            _one_of("input layout", lay, MEMORY_LAYOUTS)
        if "C" not in self.input_layouts:
            raise ValueError(f"input_layouts must include 'C' (C-ordered arrays), got {tuple(self.input_layouts)}")
        for lo, hi in ((self.min_depth, self.max_depth), (self.min_width, self.max_width), (self.min_N, self.max_N)):
            if lo < 1 or (hi is not None and hi < lo):
                raise ValueError(f"inconsistent support bounds: {self}")

    def drawn(self) -> "Support":
        """The part of the claim Hypothesis draws from: every upper bound capped at DRAWN_MAX_*."""
        return replace(self, max_depth=_capped(self.min_depth, self.max_depth, DRAWN_MAX_DEPTH),
                       max_width=_capped(self.min_width, self.max_width, DRAWN_MAX_WIDTH),
                       max_N=_capped(self.min_N, self.max_N, DRAWN_MAX_N))

    def gap(self, net: Network, N: int) -> str:
        """What of (net, N) lies outside the claim ('' when covered): 'N = 50 > max_N = 8'."""
        if net.output not in self.outputs:
            return f"output {net.output!r} not in the declared outputs {tuple(self.outputs)}"
        if N < self.min_N or (self.max_N is not None and N > self.max_N):
            return f"N = {N} < min_N = {self.min_N}" if N < self.min_N else f"N = {N} > max_N = {self.max_N}"
        if self.layer_sizes is not None:
            declared = [list(s) for s in self.layer_sizes]
            return "" if list(net.layer_sizes) in declared else \
                f"layer sizes {list(net.layer_sizes)} not among the declared {declared}"
        widest, narrowest = max(net.layer_sizes), min(net.layer_sizes)
        for value, lo, hi, what in ((net.L, self.min_depth, self.max_depth, "depth"),
                                    (widest, self.min_width, self.max_width, "width"),
                                    (narrowest, self.min_width, None, "width")):
            if hi is not None and value > hi:
                return f"{what} {value} > max_{what} = {hi}"
            if value < lo:
                return f"{what} {value} < min_{what} = {lo}"
        return ""

    def covers(self, net: Network, N: int) -> bool:
        """True when ``net`` with a batch of ``N`` lies inside the claimed support."""
        return not self.gap(net, N)


@dataclass(frozen=True)
class KnownFailure:
    """A check this implementation is known to fail, and why.  An unexpected pass is reported.

    ``origin`` says who declared it: "" for the implementation itself, else the file of known
    failures the caller gave (``--known-failures``); set by the suite, never by a drop-in.
    ``counterexample`` may pin the example it fails on: a file of a saved failure corpus
    (``--save-failures``), replayed first every run.
    """

    check: str
    reason: str
    origin: str = ""
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
            sup[key] = tuple(value) if key in ("outputs", "input_layouts") else value
        else:
            raise ValueError(f"unknown declaration {key!r} for implementation {name!r}; conventions are "
                             f"{sorted(conv_fields)} (loss as loss_kind), support is {sorted(sup_fields)}")
    if support is not None and sup:
        raise ValueError("give support= or individual support keywords, not both")
    if isinstance(known_failures, dict):
        known_failures = tuple(KnownFailure(k, v[0], counterexample=v[1] if len(v) > 1 else "")
                               if isinstance(v, (tuple, list)) else KnownFailure(k, v)
                               for k, v in known_failures.items())
    return Implementation(name=name, gradient=gradient, train_step=train_step, loss=loss,
                          forward=forward, conventions=Conventions(**conv),
                          support=support or Support(**sup), known_failures=tuple(known_failures),
                          description=description, time_limit=time_limit, source=source)
