"""What every document check shares: its declaration, its result, and the loss translation.

A check runs one of the documents' examples for an implementation given as a
``grad_fn(params, X, Y)`` or a ``step_fn(params, X, Y, eta)`` in reference
conventions (``reference.training``), on the one network it declares, and
returns the measured figures with a verdict.  The conformance suite adapts an
implementation to that signature for ``check.network`` and calls ``check.run``.

The first document prints ``mse_loss = np.mean((y - a)^2)``, the mean of the
squares over all N n_L entries; this project's loss is
C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2, so

    mse = (1 / (N n_L)) sum_i ||a^L_i - y_i||^2 = 2 C / n_L.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from reference.forward import forward_unchecked, loss_unchecked
from reference.network import Network, Params
from reference.training import GradFn, StepFn, reference_grad_fn

__all__ = ["CheckResult", "DocumentCheck", "document_mse", "predictions", "accuracy",
           "default_grad_fn", "relative_ratio"]


def document_mse(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """The first document's ``mse_loss(Y, A^L) = np.mean((Y - A^L)^2)`` = 2 C / n_L."""
    return 2.0 * loss_unchecked(net, params, X, Y) / net.n(net.L)


def predictions(net: Network, params: Params, X: np.ndarray) -> np.ndarray:
    """The first document's ``predict``: (a^L > 0.5) as 0/1 integers, shape (n_L, N)."""
    return (forward_unchecked(net, params, X).activations[-1] > 0.5).astype(int)


def accuracy(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """``np.mean(preds == Y)`` as in the first document (targets 0/1)."""
    return float(np.mean(predictions(net, params, X) == Y))


def relative_ratio(measured: float, printed: float) -> float:
    """measured / printed: "the same order of loss" means a ratio in [1/10, 10]."""
    return float(measured / printed)


def default_grad_fn(net: Network, grad_fn: Optional[GradFn], step_fn: Optional[StepFn],
                    formulation: str = "batched_matrix") -> Tuple[Optional[GradFn], Optional[StepFn]]:
    """(grad_fn, step_fn) with the reference ``formulation`` filled in when neither is given."""
    if grad_fn is not None and step_fn is not None:
        raise ValueError("give grad_fn or step_fn, not both")
    if grad_fn is None and step_fn is None and formulation != "batched_matrix":
        grad_fn = reference_grad_fn(net, formulation)
    return grad_fn, step_fn


#: Figures kept for plots (loss curves), left out of the one-line summary.
PLOTTED = ("curves", "printed_curve")


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one document check and the figures measured on the way.

    ``figures`` holds plain numbers, strings and lists (JSON-ready).
    """

    check_id: str
    passed: bool
    criterion: str
    figures: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "passed", bool(self.passed))   # a plain bool, never numpy's

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self.figures.items() if k not in PLOTTED)
        return f"{verdict} {self.check_id}: {self.criterion}\n    {shown}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return "[" + ", ".join(_short(v) for v in value[:12]) + ", ...]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class DocumentCheck:
    """One document example as a check with a stable id.

    ``network`` is the only architecture the check calls the implementation on,
    with batches of the sizes in ``batch_sizes``.  ``uses`` says what it needs
    from an implementation: "gradient" (a grad_fn or step_fn), "forward" (an
    optional ``forward_fn(params, X) -> (zs, activations)``) or "nothing" (the
    check is about the document's printed data alone).  ``slow`` checks run
    only in the thorough profile.  ``trains`` checks run long trainings and
    accept ``verbose=True`` (progress).  ``quote`` is the document line checked.
    """

    check_id: str
    document: str
    quote: str
    network: Network
    batch_sizes: Tuple[int, ...]
    uses: str
    slow: bool
    runner: Callable[..., CheckResult]
    options: Mapping[str, Any] = field(default_factory=dict)
    trains: bool = False

    def run(self, grad_fn: Optional[GradFn] = None, step_fn: Optional[StepFn] = None,
            **options) -> CheckResult:
        """Run for an implementation (reference defaults when neither grad_fn nor step_fn is given)."""
        kwargs: Dict[str, Any] = dict(self.options)
        kwargs.update(options)
        if self.uses == "gradient":
            kwargs["grad_fn"], kwargs["step_fn"] = grad_fn, step_fn
        elif grad_fn is not None or step_fn is not None:
            raise ValueError(f"{self.check_id} does not use a gradient (uses={self.uses!r})")
        return self.runner(check_id=self.check_id, **kwargs)

    def supported_by(self, covers: Callable[[Network, int], bool]) -> bool:
        """True when ``covers(net, N)`` (e.g. ``Support.covers``) holds for every batch this check uses."""
        return all(covers(self.network, N) for N in self.batch_sizes)


def seeds_list(seeds: Sequence[int]) -> list:
    """The seeds as plain ints (for figures)."""
    return [int(s) for s in seeds]


def loss_curve(run, net: Network, *, points: int = 60) -> dict:
    """The document's mse ((2 / n_L) C, as it prints "Loss") of a run at up to ``points`` epochs,
    spaced evenly on a log scale from the first epoch to the last (the last always included)."""
    epochs = run.epochs
    picked = sorted({int(round(e)) for e in np.geomspace(1, epochs, num=min(points, epochs))} | {epochs})
    scale = 2.0 / net.n(net.L)
    return {"epochs": picked, "mse": [scale * run.loss_at_epoch(e) for e in picked]}
