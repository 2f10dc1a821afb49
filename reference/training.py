"""Gradient descent as the documents train: full batch and mini-batch SGD.

One update on a batch B of m samples (columns of X):

    W^l <- W^l - eta dC_B/dW^l,    b^l <- b^l - eta dC_B/db^l,
    C_B = (1/m) sum_{i in B} 1/2 ||a^L_i - y_i||^2                 (the mean reduction)

The first document's ``backward`` takes exactly this step with B the whole
training set.  The last document (``W_1 - eta/batch_size*(grad_W_1)``) and
network.py (``w - (eta/len(mini_batch))*nw``) write it as eta/m times the
*summed* per-sample gradients: the same step in exact arithmetic.

Mini-batches are the column blocks X[:, k:k+m], k = 0, m, 2m, ..., in order, as
network.py slices them (a last, shorter block is kept and averaged over its own
size); with ``rng`` the columns are permuted afresh each epoch.

Loss history.  ``losses[k]`` is C_B(theta_k): the loss of the batch of update
k + 1, computed at the parameters *before* that update, which is where the
first document computes it (``loss = mse_loss(Y, output)`` from the forward
pass that precedes ``self.backward``).  So for full-batch training
``losses[e - 1]`` is what the document prints as "Epoch e - Loss", one update
before the weights that the run ends with.  Losses are this project's C; the
first document's ``mse_loss`` is 2C / n_L (see ``reference.documents.core``).

The gradient comes from any ``grad_fn(params, X, Y) -> [(dW, db)]`` in
reference conventions (default: ``reference.gradients`` with ``formulation``),
or a whole step from ``step_fn(params, X, Y, eta) -> new params``.  Both must
be pure; these functions never modify the arrays passed in and return new
parameter lists.
"""
from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np

from reference.forward import loss_unchecked
from reference.gradients import FORMULATIONS
from reference.network import Network, Params, as_generator
from reference.validation import check_data, check_params

__all__ = ["GradFn", "StepFn", "TrainingResult", "gradient_descent", "sgd",
           "reference_grad_fn", "gradient_step", "copy_params", "print_progress"]

#: ``grad_fn(params, X, Y) -> [(dC/dW^l, dC/db^l)]`` in reference conventions, mean reduction.
GradFn = Callable[[Params, np.ndarray, np.ndarray], Params]
#: ``step_fn(params, X, Y, eta) -> new params``: one gradient-descent update, pure.
StepFn = Callable[[Params, np.ndarray, np.ndarray, float], Params]
#: ``progress(epoch, loss)``, called once per epoch with that epoch's mean batch loss C.
Progress = Callable[[int, float], None]


@dataclass(frozen=True)
class TrainingResult:
    """Final parameters and the loss history of one run.

    ``losses[k]`` = C on the batch of update k + 1 at the parameters before it;
    there are ``epochs * updates_per_epoch`` of them.
    """

    params: Params
    losses: np.ndarray
    updates_per_epoch: int

    @property
    def epochs(self) -> int:
        return len(self.losses) // self.updates_per_epoch

    @property
    def epoch_losses(self) -> np.ndarray:
        """Mean batch loss of each epoch (equal to ``losses`` for full-batch training)."""
        return self.losses.reshape(self.epochs, self.updates_per_epoch).mean(axis=1)

    def loss_at_epoch(self, epoch: int) -> float:
        """What the first document prints as "Epoch e - Loss" (in C units): the loss before update e."""
        if not 1 <= epoch <= self.epochs:
            raise ValueError(f"epoch {epoch} out of range 1..{self.epochs}")
        return float(self.epoch_losses[epoch - 1])


def reference_grad_fn(net: Network, formulation: str = "batched_matrix") -> GradFn:
    """The reference ``gradients`` of ``net`` with one formulation, as a ``grad_fn``."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"unknown formulation {formulation!r}; choose one of {sorted(FORMULATIONS)}")
    module = FORMULATIONS[formulation]
    return lambda params, X, Y: module.gradients_unchecked(net, params, X, Y)


def copy_params(params: Params) -> Params:
    """Fresh copies of every W^l and b^l (what an implementation may modify without harm)."""
    return [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]


def gradient_step(params: Params, nabla: Params, eta: float) -> Params:
    """theta - eta * nabla, layer by layer: [(W^l - eta dW^l, b^l - eta db^l)] (new arrays)."""
    return [(W - eta * dW, b - eta * db) for (W, b), (dW, db) in zip(params, nabla)]


def _make_step(net: Network, grad_fn: Optional[GradFn], step_fn: Optional[StepFn], formulation: str):
    """A function (params, X, Y, eta) -> (C before the update, new params).

    C is always the reference loss at the parameters passed in.  An
    implementation is called on fresh copies of the parameters and the batch
    (so one that writes into its inputs cannot bend the run), and what it
    returns is checked (shape, finiteness) before it is used; the reference
    formulations are trusted and called directly.
    """
    if grad_fn is not None and step_fn is not None:
        raise ValueError("give grad_fn or step_fn, not both")
    if step_fn is not None:
        def via_step(params, X, Y, eta):
            C = loss_unchecked(net, params, X, Y)
            new = step_fn(copy_params(params), X.copy(), Y.copy(), eta)
            return C, check_params(net, new, name="step_fn's new params")
        return via_step
    if grad_fn is not None:
        def via_gradient(params, X, Y, eta):
            C = loss_unchecked(net, params, X, Y)
            nabla = grad_fn(copy_params(params), X.copy(), Y.copy())
            return C, gradient_step(params, check_params(net, nabla, name="grad_fn's gradient"), eta)
        return via_gradient
    reference = reference_grad_fn(net, formulation)

    def via_reference(params, X, Y, eta):
        return loss_unchecked(net, params, X, Y), gradient_step(params, reference(params, X, Y), eta)
    return via_reference


def print_progress(every: int, file=None, n_L: Optional[int] = None) -> Progress:
    """A ``progress`` callback printing "Epoch e - Loss: C" every ``every`` epochs, as the first document.

    With ``n_L`` it also prints the first document's unit, mse = 2 C / n_L.
    """
    def report(epoch: int, loss: float) -> None:
        if epoch % every == 0:
            mse = f", mse = 2C/n_L = {2.0 * loss / n_L:.6f}" if n_L else ""
            print(f"Epoch {epoch} - Loss: C = {loss:.6f}{mse}", file=file or sys.stdout, flush=True)
    return report


def sgd(net: Network, params: Params, X, Y, *, eta: float, epochs: int,
        batch_size: Optional[int] = None, rng: Union[np.random.Generator, int, None] = None,
        grad_fn: Optional[GradFn] = None, step_fn: Optional[StepFn] = None,
        formulation: str = "batched_matrix", progress: Optional[Progress] = None,
        verbose: bool = False, print_every: Optional[int] = None) -> TrainingResult:
    """Mini-batch SGD: ``epochs`` passes over X (n_0, N), Y (n_L, N) in blocks of ``batch_size``.

    Each block B takes theta <- theta - eta dC_B/dtheta (mean reduction; the
    documents' eta/m times the sum is the same step).  ``batch_size=None`` is
    full-batch gradient descent.  Blocks are taken in order unless ``rng`` (a
    Generator or seed) is given, which permutes the samples every epoch.
    Quiet unless ``verbose`` (prints every ``print_every`` epochs, default
    epochs // 10) or a ``progress(epoch, loss)`` callback is given.
    Returns a ``TrainingResult``; the arguments are never modified.
    """
    params = copy_params(check_params(net, params))
    X, Y = (a.copy() for a in check_data(net, X, Y))
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a positive finite number, got {eta!r}")
    N = X.shape[1]
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    m = N if batch_size is None else int(batch_size)
    step = _make_step(net, grad_fn, step_fn, formulation)
    starts = list(range(0, N, m))
    gen = None if rng is None else as_generator(rng)
    if verbose and progress is None:
        progress = print_progress(print_every or max(1, epochs // 10), n_L=net.n(net.L) if net.loss == "half_sse" else None)
    losses = np.empty(int(epochs) * len(starts))
    k = 0
    for epoch in range(1, int(epochs) + 1):
        Xe, Ye = (X, Y) if gen is None else _permuted(X, Y, gen.permutation(N))
        for s in starts:
            Xb, Yb = (Xe, Ye) if m >= N else (Xe[:, s:s + m], Ye[:, s:s + m])
            losses[k], params = step(params, Xb, Yb, eta)
            k += 1
        if progress is not None:
            progress(epoch, float(losses[k - len(starts):k].mean()))
    return TrainingResult(params=params, losses=losses, updates_per_epoch=len(starts))


def _permuted(X: np.ndarray, Y: np.ndarray, order: np.ndarray):
    return X[:, order], Y[:, order]


def gradient_descent(net: Network, params: Params, X, Y, *, eta: float, epochs: int,
                     grad_fn: Optional[GradFn] = None, step_fn: Optional[StepFn] = None,
                     formulation: str = "batched_matrix", progress: Optional[Progress] = None,
                     verbose: bool = False, print_every: Optional[int] = None) -> TrainingResult:
    """Full-batch gradient descent, the first document's ``train``: theta <- theta - eta dC/dtheta per epoch.

    ``result.losses[e - 1]`` is C(theta_{e-1}), the loss the document prints at
    "Epoch e", computed before the e-th update.  See ``sgd`` for the arguments.
    """
    return sgd(net, params, X, Y, eta=eta, epochs=epochs, batch_size=None, grad_fn=grad_fn,
               step_fn=step_fn, formulation=formulation, progress=progress, verbose=verbose,
               print_every=print_every)
