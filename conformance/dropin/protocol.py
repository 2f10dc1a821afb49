"""The drop-in protocol: what an implementation under test declares.

An implementation module exposes ``IMPLEMENTATION`` (one ``Implementation``) or
``IMPLEMENTATIONS`` (a list).  It declares

* its entry point: a gradient function, or a training step that updates the
  parameters (the suite recovers the gradient from the update);
* its conventions (``Conventions``): samples as columns or rows, W as (out, in)
  or (in, out), the bias as (n,), (n, 1), folded into W or absent ("none"), the
  batch reduction, the loss (squared error, mean of squares, binary or categorical
  cross-entropy), an L2 term (lambda, what it is divided by, biases included or
  not), the leaky ReLU's slope, the parameter layout and the dtype;
* its support (``Support``): depths, widths, batch sizes, hidden and output
  activations and input memory layouts it claims (no upper limit unless declared);
  Hypothesis draws inside it up to depth 4, width 6 and N 8 (``Support.drawn``),
  the size ladder tries larger claimed sizes, and a claimed case that crashes is a
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
one drawn as a keyword argument, ``gradient(params, X, Y, output="identity")``;
likewise ``hidden="relu"`` when it declares more than one hidden activation.

The L2 term (``l2=lambda``) is added to the implementation's loss as it reduces
the batch: lambda/2 sum_l ||W^l||^2 (+ ||b^l||^2 with ``l2_bias=True``) on top of
the batch mean (reduction="mean") or the batch sum (reduction="sum");
``l2_divisor="N"`` divides it by the batch size (lambda/(2N), as in "J = (1/m)
[sum + lambda/2 ||W||^2]"), ``l2_divisor=n`` by a fixed training-set size n
(Nielsen's lambda/(2n)).  The reference's own lambda is lambda / (divisor x k),
k the loss factor (``conformance.dropin.adapters``).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:  # the protocol itself needs nothing of the reference (a worker loads it alone)
    from reference.network import Network

__all__ = ["Conventions", "Support", "Model", "KnownFailure", "Implementation", "implementation", "DRAWN_MAX_DEPTH",
           "DRAWN_MAX_WIDTH", "DRAWN_MAX_N", "MEMORY_LAYOUTS", "SAMPLES", "WEIGHTS", "BIASES", "REDUCTIONS", "LOSSES",
           "LAYOUTS", "DTYPES", "OUTPUTS", "HIDDENS", "LOSS_FAMILY"]

SAMPLES = ("columns", "rows")
WEIGHTS = ("out_in", "in_out")
# (n,), (n, 1), (1, n), extra last column of W (last row if in_out), no biases at all
BIASES = ("vector", "column", "row", "folded", "none")
REDUCTIONS = ("mean", "sum")
# 1/2 ||a - y||^2 per sample | mean of (a - y)^2 over all entries | -sum [y log a + (1 - y) log(1 - a)] | -sum y log a
LOSSES = ("half_sse", "mse", "binary_cross_entropy", "categorical_cross_entropy")
LAYOUTS = ("pairs", "flat")
DTYPES = ("float64", "float32")
OUTPUTS = ("sigmoid", "identity", "softmax")
HIDDENS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: The reference loss each declared loss is (the mean of squares is the squared error times 2/n_L).
LOSS_FAMILY = {"half_sse": "half_sse", "mse": "half_sse", "binary_cross_entropy": "binary_cross_entropy",
               "categorical_cross_entropy": "categorical_cross_entropy"}
#: Output activation -> the losses it goes with, and why a cross-entropy refuses the others.
_OUTPUT_LOSSES = {"sigmoid": ("half_sse", "mse", "binary_cross_entropy"),
                  "identity": ("half_sse", "mse"),
                  "softmax": ("half_sse", "mse", "categorical_cross_entropy")}
_WHY = {("identity", "binary_cross_entropy"): "a linear output is not a probability (log a is undefined for a <= 0)",
        ("identity", "categorical_cross_entropy"): "a linear output is not a probability vector",
        ("softmax", "binary_cross_entropy"): "a softmax output takes loss_kind='categorical_cross_entropy'",
        ("sigmoid", "categorical_cross_entropy"): "independent sigmoid outputs take loss_kind='binary_cross_entropy'"}
DEFAULT_SLOPE = 0.01


def _one_of(name: str, value, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")


@dataclass(frozen=True)
class Model:
    """What an implementation computes, in the reference's terms (derived from its ``Conventions``):
    the reference loss, whether layers have biases, the leaky ReLU's slope, L2 on the biases."""

    loss: str = "half_sse"
    bias: bool = True
    slope: float = DEFAULT_SLOPE
    l2_bias: bool = False


@dataclass(frozen=True)
class Conventions:
    """How an implementation lays out its arrays and defines its loss (and its L2 term)."""

    samples: str = "columns"
    weights: str = "out_in"
    bias: str = "vector"
    reduction: str = "mean"
    loss: str = "half_sse"
    layout: str = "pairs"
    dtype: str = "float64"
    l2: float = 0.0                          # lambda of lambda/2 sum ||W||^2
    l2_divisor: Union[int, str] = 1          # 1, "N" (the batch size) or a training-set size n
    l2_bias: bool = False                    # the L2 term includes ||b||^2
    slope: float = DEFAULT_SLOPE             # leaky_relu(z) = slope z for z <= 0

    def __post_init__(self) -> None:
        for name, allowed in (("samples", SAMPLES), ("weights", WEIGHTS), ("bias", BIASES),
                              ("reduction", REDUCTIONS), ("loss", LOSSES), ("layout", LAYOUTS),
                              ("dtype", DTYPES)):
            _one_of(name, getattr(self, name), allowed)
        if self.layout == "flat" and self.bias == "folded":
            raise ValueError("layout='flat' needs separate biases; a folded bias uses layout='pairs'")
        self._check_l2()
        if isinstance(self.slope, bool) or not isinstance(self.slope, numbers.Real) or not 0 < self.slope < 1:
            raise ValueError(f"slope (leaky_relu's slope for z <= 0) must be a number in (0, 1), got {self.slope!r}")

    def _check_l2(self) -> None:
        l2, d = self.l2, self.l2_divisor
        if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not l2 >= 0 or l2 == float("inf"):
            raise ValueError(f"l2 must be a finite number >= 0 (lambda of lambda/2 sum ||W||^2), got {l2!r}")
        if d != "N" and (isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1):
            raise ValueError(f"l2_divisor must be 1, 'N' (the batch size) or a training-set size n >= 1, got {d!r}")
        if l2 == 0 and (d != 1 or self.l2_bias):
            raise ValueError("l2_divisor and l2_bias describe an L2 term: declare l2=lambda > 0 with them")
        if self.l2_bias and self.bias == "none":
            raise ValueError("l2_bias=True decays biases, but bias='none' declares layers without biases")

    @property
    def model(self) -> Model:
        """The reference loss, biases, slope and L2-on-biases these conventions declare."""
        return Model(LOSS_FAMILY[self.loss], self.bias != "none", float(self.slope), bool(self.l2_bias))


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
    hiddens: Tuple[str, ...] = ("sigmoid",)
    model: Model = field(default_factory=Model)                  # set from the conventions by Implementation

    def __post_init__(self) -> None:
        for o in self.outputs:
            _one_of("output", o, OUTPUTS)
        for lay in self.input_layouts:
            _one_of("input layout", lay, MEMORY_LAYOUTS)
        if "C" not in self.input_layouts:
            raise ValueError(f"input_layouts must include 'C' (C-ordered arrays), got {tuple(self.input_layouts)}")
        for h in self.hiddens:
            _one_of("hidden", h, HIDDENS)
        if not self.outputs or not self.hiddens:
            raise ValueError("declare at least one output and one hidden activation")
        for lo, hi in ((self.min_depth, self.max_depth), (self.min_width, self.max_width), (self.min_N, self.max_N)):
            if lo < 1 or (hi is not None and hi < lo):
                raise ValueError(f"inconsistent support bounds: {self}")
        if "softmax" in self.outputs:
            widths = [s[-1] for s in self.layer_sizes] if self.layer_sizes is not None else [self.max_width]
            if None not in widths and max(widths) < 2:
                raise ValueError("output='softmax' needs at least two output units (a softmax over one unit is the "
                                 "constant 1, its gradient 0), but the support allows only n_L = 1")

    def drawn(self) -> "Support":
        """The part of the claim Hypothesis draws from: every upper bound capped at DRAWN_MAX_*."""
        return replace(self, max_depth=_capped(self.min_depth, self.max_depth, DRAWN_MAX_DEPTH),
                       max_width=_capped(self.min_width, self.max_width, DRAWN_MAX_WIDTH),
                       max_N=_capped(self.min_N, self.max_N, DRAWN_MAX_N))

    def model_gap(self, net: Network) -> str:
        """What of ``net``'s model (hidden activation, loss, biases, leaky slope) the claim does not cover.

        The L2 term's lambda is not compared: it depends on N and the conventions (``adapters``).
        """
        m = self.model
        if net.hidden not in self.hiddens:
            return f"hidden activation {net.hidden!r} not in the declared hiddens {tuple(self.hiddens)}"
        if (net.loss, net.bias) != (m.loss, m.bias):
            declared = f"loss {m.loss!r}" + ("" if m.bias else " without biases")
            needed = f"loss {net.loss!r}" + ("" if net.bias else " without biases")
            return f"the network computes {needed}, the implementation declares {declared}"
        if net.hidden == "leaky_relu" and net.slope != m.slope:
            return f"leaky ReLU slope {net.slope} differs from the declared slope {m.slope}"
        return ""

    def gap(self, net: Network, N: int) -> str:
        """What of (net, N) lies outside the claim ('' when covered): 'N = 50 > max_N = 8'."""
        if net.output not in self.outputs:
            return f"output {net.output!r} not in the declared outputs {tuple(self.outputs)}"
        model = self.model_gap(net)
        if model:
            return model
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
        """True when ``net`` with a batch of ``N`` lies inside the claimed support (and model)."""
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
        object.__setattr__(self, "support", replace(self.support, model=self.conventions.model))
        if self.load_error or self.unavailable:
            return
        if (self.gradient is None) == (self.train_step is None):
            raise ValueError(f"implementation {self.name!r} must declare exactly one of "
                             f"gradient= or train_step=")
        for output in self.support.outputs:
            if self.conventions.loss not in _OUTPUT_LOSSES[output]:
                why = _WHY.get((output, self.conventions.loss), "")
                raise ValueError(f"implementation {self.name!r}: loss_kind={self.conventions.loss!r} does not go "
                                 f"with output={output!r}: {why}")
        if self.conventions.slope != DEFAULT_SLOPE and "leaky_relu" not in self.support.hiddens:
            raise ValueError(f"implementation {self.name!r}: slope= applies to hidden='leaky_relu', "
                             f"which it does not declare (hiddens {self.support.hiddens})")

    def keywords(self, net: Network) -> dict:
        """The keyword arguments of every call on ``net``: output= and hidden= when several are declared."""
        kwargs = {"output": net.output} if len(self.support.outputs) > 1 else {}
        if len(self.support.hiddens) > 1:
            kwargs["hidden"] = net.hidden
        return kwargs

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
    reduction, loss_kind -> loss, layout, dtype, l2, l2_divisor, l2_bias, slope) set
    the conventions; those named like ``Support`` fields (max_depth, max_width,
    max_N, outputs, hiddens, input_layouts, ...; ``output=`` and ``hidden=`` for a
    single one) set the support.  ``known_failures`` is a mapping {check id:
    reason} (or {check id: (reason, counterexample file)}) or a sequence of
    ``KnownFailure``.
    """
    conv_fields = {f for f in Conventions.__dataclass_fields__}
    sup_fields = {f for f in Support.__dataclass_fields__} - {"model"}
    conv, sup = {}, {}
    for key, value in conventions_and_support.items():
        key = "loss" if key == "loss_kind" else key
        if key in ("output", "hidden"):
            key, value = key + "s", (value,)
        if key in conv_fields:
            conv[key] = value
        elif key in sup_fields:
            many = key in ("outputs", "hiddens", "input_layouts")
            sup[key] = ((value,) if isinstance(value, str) else tuple(value)) if many else value
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
