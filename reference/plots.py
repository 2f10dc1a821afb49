"""Pictures to look at: the training loss curve and the circles decision boundary, as PNG files.

    python -m reference.plots --formulation batched_matrix --out DIR

trains the last document's [2, 3, 3, 1] network from its initial values on its
circles data (``make_circles(1000, factor=0.3, noise=0.1)``) by mini-batch SGD
and writes DIR/loss_curve.png (C per epoch, log scale) and
DIR/circles_boundary.png (the region where a^L > 0.5, with the data).  The
defaults (eta = 3, 200 epochs, batches of 50 shuffled each epoch) reach ~99.9%
accuracy; the document's own run is ``--eta 0.01 --epochs 10 --no-shuffle``
(it barely moves the weights: its in-order batches each hold one class).

matplotlib is an optional extra: ``pip install 'backprop-conformance[plot]'``
(or ``pip install matplotlib``).  Without it the command says so on stderr and
exits with status 2.  Figures are drawn with the object-oriented API
(``matplotlib.figure.Figure``), never pyplot's global state.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from reference.documents.core import accuracy
from reference.documents.last import circles_data
from reference.forward import forward
from reference.gradients import FORMULATIONS
from reference.network import Network, Params
from reference.training import GradFn, TrainingResult, print_progress, sgd

__all__ = ["MatplotlibMissing", "INSTALL_HINT", "require_matplotlib", "plot_loss_curve",
           "plot_decision_boundary", "train_circles", "main"]

INSTALL_HINT = ("matplotlib is not installed; plotting is an optional extra. Install it with\n"
                "    pip install 'backprop-conformance[plot]'\n"
                "(from a checkout: pip install -e '.[plot]'), or simply: pip install matplotlib")


class MatplotlibMissing(RuntimeError):
    """Raised when a plot is asked for and matplotlib cannot be imported."""


def require_matplotlib():
    """The ``matplotlib.figure.Figure`` class, or MatplotlibMissing with the install hint."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MatplotlibMissing(INSTALL_HINT) from exc
    return Figure


def plot_loss_curve(result: TrainingResult, path, *, title: str = "Training loss") -> Path:
    """Write the loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 per epoch (mean batch loss) as a PNG."""
    Figure = require_matplotlib()
    fig = Figure(figsize=(7, 4.5), dpi=100)
    ax = fig.add_subplot()
    epochs = np.arange(1, result.epochs + 1)
    ax.plot(epochs, result.epoch_losses, color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("C before each update (mean over the epoch)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def plot_decision_boundary(net: Network, params: Params, X: np.ndarray, Y: np.ndarray, path, *,
                           title: str = "Decision boundary", resolution: int = 200) -> Path:
    """Write the plane coloured by a^L(x) with the a^L = 0.5 contour and the data (X (2, N), Y (1, N))."""
    Figure = require_matplotlib()
    if net.n(0) != 2 or net.n(net.L) != 1:
        raise ValueError(f"a decision boundary needs 2 inputs and 1 output; got {net}")
    lo, hi = X.min(axis=1) - 0.25, X.max(axis=1) + 0.25
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.vstack([g1.ravel(), g2.ravel()])
    a_L = forward(net, params, grid).activations[-1].reshape(g1.shape)
    fig = Figure(figsize=(6.5, 6), dpi=100)
    ax = fig.add_subplot()
    filled = ax.contourf(g1, g2, a_L, levels=np.linspace(0.0, 1.0, 21), cmap="RdBu_r", alpha=0.6)
    ax.contour(g1, g2, a_L, levels=[0.5], colors="k", linewidths=1.5)
    outer, inner = Y[0] == 0, Y[0] == 1
    ax.plot(X[0, outer], X[1, outer], "b*", markersize=4, alpha=0.75, label="class 0 (outer)")
    ax.plot(X[0, inner], X[1, inner], "ro", markersize=3, alpha=0.75, label="class 1 (inner)")
    fig.colorbar(filled, ax=ax, label="a^L")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    ax.set_title(title)
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def train_circles(*, formulation: str = "batched_matrix", grad_fn: Optional[GradFn] = None,
                  eta: float = 3.0, epochs: int = 200, batch_size: int = 50, shuffle: bool = True,
                  seed: int = 0, verbose: bool = False):
    """(net, X, Y, TrainingResult) of the [2, 3, 3, 1] circles run (document initial values, ``seed``).

    The data and initial values come from ``circles_data(seed)``; the batches are reshuffled
    every epoch from the stream ``seed + 1`` (in the given order when ``shuffle`` is false).
    """
    net = Network([2, 3, 3, 1])
    X, Y, params0 = circles_data(seed)
    progress = print_progress(max(1, epochs // 10), file=sys.stderr, n_L=1) if verbose else None
    result = sgd(net, params0, X, Y, eta=eta, epochs=epochs, batch_size=batch_size,
                 rng=seed + 1 if shuffle else None, grad_fn=grad_fn, formulation=formulation,
                 progress=progress)
    return net, X, Y, result


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line; returns 0, or 2 when matplotlib is missing."""
    parser = argparse.ArgumentParser(prog="python -m reference.plots",
                                     description="Write the training loss curve and the circles decision "
                                                 "boundary as PNG files.")
    parser.add_argument("--formulation", choices=sorted(FORMULATIONS), default="batched_matrix")
    parser.add_argument("--out", default="plots", help="output directory (created if missing)")
    parser.add_argument("--eta", type=float, default=3.0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--no-shuffle", action="store_true", help="batches in order, as the document")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    try:
        require_matplotlib()
    except MatplotlibMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net, X, Y, result = train_circles(formulation=args.formulation, eta=args.eta, epochs=args.epochs,
                                      batch_size=args.batch_size, shuffle=not args.no_shuffle,
                                      seed=args.seed, verbose=not args.quiet)
    acc = accuracy(net, result.params, X, Y)
    setting = f"{args.formulation}, eta={args.eta}, batch {args.batch_size}, {args.epochs} epochs"
    curve = plot_loss_curve(result, out / "loss_curve.png", title=f"[2,3,3,1] on circles: {setting}")
    boundary = plot_decision_boundary(net, result.params, X, Y, out / "circles_boundary.png",
                                      title=f"a^L = 0.5 after training ({acc:.1%} accuracy)")
    print(f"wrote {curve} and {boundary} (final epoch loss C = {result.epoch_losses[-1]:.6f}, "
          f"accuracy {acc:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
