"""Training beyond the documents' network (issue 16): ReLU, softmax and cross-entropy on MNIST's shape.

    examples.models.digits_relu_softmax   [784, 64, 10], relu hidden layer, softmax output, categorical
                                          cross-entropy, He initialisation; mini-batch SGD (batches of 50,
                                          eta 0.1, 5 epochs, reshuffled each epoch) on 2,000 samples of
                                          ``reference.datasets.digits_like``; judged on 500 others

Criterion: accuracy on the held-out samples of at least 90 %, the last epoch's mean loss at most a
quarter of the first's, and at the start and at the end of training the gradient agrees with the
loss along 4 random directions (``reference.directional``, the ReLU kinks guarded).  The run takes
an implementation as ``grad_fn`` or ``step_fn`` in reference conventions, like the documents' checks
(``reference.examples``), and the reference's batched_matrix formulation when neither is given.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Optional

import numpy as np

from reference.datasets import digits_like
from reference.directional import directional_check
from reference.documents.core import CheckResult, DocumentCheck, default_grad_fn
from reference.finite_differences import kink_signature, loss_of_theta
from reference.forward import forward_unchecked
from reference.gradients import gradients
from reference.network import Network
from reference.params import flatten
from reference.training import GradFn, StepFn, sgd

__all__ = ["DIGITS_NETWORK", "MODEL_CHECKS", "digits_relu_softmax"]

DIGITS_NETWORK = Network([784, 64, 10], output="softmax", hidden="relu", loss="categorical_cross_entropy")


def _gradient_agrees(net: Network, params, X, Y, grad_fn: Optional[GradFn], seed: int) -> bool:
    g = gradients(net, params, X, Y) if grad_fn is None else grad_fn(params, X.copy(), Y.copy())
    return directional_check(loss_of_theta(net, X, Y), flatten(params), flatten(g), rng=seed, n_directions=4,
                             signature=kink_signature(net, X)).passed


def digits_relu_softmax(*, check_id: str = "models.digits_relu_softmax", grad_fn: Optional[GradFn] = None,
                        step_fn: Optional[StepFn] = None, formulation: str = "batched_matrix", seed: int = 0,
                        n_train: int = 2000, n_test: int = 500, epochs: int = 5, eta: float = 0.1,
                        batch_size: int = 50, min_accuracy: float = 0.9, verbose: bool = False) -> CheckResult:
    """Train DIGITS_NETWORK on digits_like data (module docstring) and report the figures."""
    net = DIGITS_NETWORK
    grad_fn, step_fn = default_grad_fn(net, grad_fn, step_fn, formulation)
    X, Y = digits_like(n_train + n_test, rng=seed)
    X_train, Y_train, X_test, Y_test = X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]
    params = net.init(seed + 1)
    probe = slice(0, batch_size)
    agrees_before = _gradient_agrees(net, params, X_train[:, probe], Y_train[:, probe], grad_fn, seed)
    run = sgd(net, params, X_train, Y_train, eta=eta, epochs=epochs, batch_size=batch_size, rng=seed + 2,
              grad_fn=grad_fn, step_fn=step_fn, formulation=formulation, verbose=verbose)
    agrees_after = _gradient_agrees(net, run.params, X_train[:, probe], Y_train[:, probe], grad_fn, seed + 3)
    scores = forward_unchecked(net, run.params, X_test).activations[-1]
    accuracy = float(np.mean(np.argmax(scores, axis=0) == np.argmax(Y_test, axis=0)))
    losses = run.epoch_losses
    passed = accuracy >= min_accuracy and losses[-1] <= losses[0] / 4 and agrees_before and agrees_after
    return CheckResult(check_id, passed,
                       f"held-out accuracy >= {min_accuracy:.0%}, last epoch's loss <= 1/4 of the first's, "
                       "gradient along 4 directions agrees with the loss before and after training",
                       {"accuracy": accuracy, "epoch_losses": [float(c) for c in losses],
                        "gradient_agrees_before": agrees_before, "gradient_agrees_after": agrees_after,
                        "n_train": n_train, "n_test": n_test})


#: The examples beyond the documents, by id (not part of the conformance run's documents family).
MODEL_CHECKS = MappingProxyType({
    "models.digits_relu_softmax": DocumentCheck(
        "models.digits_relu_softmax", "issue 16 (no document: MNIST's shape)",
        "[784, 64, 10] relu + softmax + cross-entropy, SGD batches of 50, eta 0.1, 5 epochs: >= 90 % held out",
        DIGITS_NETWORK, (50,), "gradient", False, digits_relu_softmax, MappingProxyType({}), trains=True),
})
