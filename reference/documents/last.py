"""Last document (forward and backward, from the 1-D chain to network.py): its examples as checks.

Its circles experiment: ``make_circles(n_samples=1000, shuffle=False,
factor=0.3, noise=0.1)``, the [2, 3, 3, 1] network initialised with
uniform draws (standard normal for W_3) from NumPy's global state (here a
seeded Generator), 10 epochs of mini-batch SGD with
batch_size = 50 and eta = 1e-2 in order (the shuffle is commented out), and
each step ``W - eta/batch_size * (sum of per-sample gradients)``.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from reference.datasets import make_circles, toy
from reference.documents.core import CheckResult, default_grad_fn
from reference.documents.networkpy import networkpy_sgd
from reference.documents.printed import (PRINTED_DECIMALS, TOY_FIRST_FIVE, TOY_SHAPES,
                                         TOY_SINGLE_SAMPLE)
from reference.forward import forward, loss_unchecked
from reference.network import Network, Params, as_generator
from reference.params import flatten, unflatten
from reference.training import GradFn, StepFn, copy_params, reference_grad_fn, sgd

__all__ = ["CIRCLES_NETWORK", "TOY_NETWORK", "GRADIENT_CHECK_EPSILON", "gradient_checking",
           "gradient_check_error", "circles_initial_params", "circles_data", "toy_dataset",
           "toy_single_sample_cost", "toy_shapes", "gradient_checks_during_training",
           "circles_vs_networkpy", "rounding_bound"]

CIRCLES_NETWORK = Network([2, 3, 3, 1])
TOY_NETWORK = Network(TOY_SHAPES["layer_sizes"])
#: The document's ``epsilon = 1e-7``: both the finite-difference step and the pass threshold.
GRADIENT_CHECK_EPSILON = 1e-7
HALF_UNIT = 0.5 * 10.0 ** -PRINTED_DECIMALS
EPS = np.finfo(np.float64).eps


def gradient_checking(cost: Callable[[np.ndarray], float], theta: np.ndarray, grad_vec: np.ndarray,
                      epsilon: float = GRADIENT_CHECK_EPSILON) -> float:
    """The document's ``gradient_checking``: the relative error of an analytic gradient.

        Delta_i = (C(theta + eps e_i) - C(theta - eps e_i)) / (2 eps)
        error   = ||Delta - g||_2 / (||Delta||_2 + ||g||_2)

    The document calls the gradient "numerically verified" when error < eps.
    ``theta`` and ``grad_vec`` are flat vectors in the same order.
    """
    theta = np.asarray(theta, dtype=np.float64)
    diff_vec = np.zeros_like(theta)
    for p_index in range(theta.shape[0]):
        perturb = np.zeros_like(theta)
        perturb[p_index] = epsilon
        diff_vec[p_index] = (cost(theta + perturb) - cost(theta - perturb)) / (2 * epsilon)
    grad_vec = np.asarray(grad_vec, dtype=np.float64)
    return float(np.linalg.norm(diff_vec - grad_vec) / (np.linalg.norm(diff_vec) + np.linalg.norm(grad_vec)))


def gradient_check_error(net: Network, params: Params, X: np.ndarray, Y: np.ndarray, nabla: Params,
                         epsilon: float = GRADIENT_CHECK_EPSILON) -> float:
    """``gradient_checking`` of ``nabla`` against C of the reference on (X, Y); theta in ``flatten`` order.

    With one sample (X (n_0, 1)) C is the document's ``cost_mse = 0.5 ||y - a||^2``.
    """
    cost = lambda theta: loss_unchecked(net, unflatten(net, theta), X, Y)
    return gradient_checking(cost, flatten(params), flatten(nabla), epsilon)


def circles_initial_params(rng) -> Params:
    """The document's initial values, drawn in its order from a seeded Generator.

    W_1 = rand(3,2), W_2 = rand(3,3), W_3 = randn(1,3), b_1 = rand(3,1), b_2 = rand(3,1), b_3 = rand(1,1).
    """
    gen = as_generator(rng)
    W1, W2, W3 = gen.random((3, 2)), gen.random((3, 3)), gen.standard_normal((1, 3))
    b1, b2, b3 = gen.random(3), gen.random(3), gen.random(1)
    return [(W1, b1), (W2, b2), (W3, b3)]


def circles_data(seed: int = 0):
    """(X (2, 1000), Y (1, 1000), initial params) for the circles experiment, from one seed."""
    gen = as_generator(seed)
    X, Y = make_circles(n_samples=1000, factor=0.3, noise=0.1, rng=gen)
    return X, Y, circles_initial_params(gen)


def toy_dataset(*, check_id: str) -> CheckResult:
    """``inputs[0:5], labels[0:5]`` of ``toy()`` equal the printed ones to 8 decimals."""
    X, Y = toy()
    err = float(np.max(np.abs(X[0, :5] - np.array(TOY_FIRST_FIVE["inputs"]))))
    same_labels = Y[0, :5].tolist() == [float(v) for v in TOY_FIRST_FIVE["labels"]]
    balanced = int(np.sum(Y > 0)) == 500 and X.shape == (1, 1000)
    return CheckResult(check_id, err <= HALF_UNIT and same_labels and balanced,
                       "toy(): the printed first five inputs (8 decimals) and labels; 500 of each label",
                       {"max_error_first_five": err, "positives": int(np.sum(Y > 0))})


def toy_single_sample_cost(*, check_id: str) -> CheckResult:
    """The document's ``mse(output, label)`` for one sample is (a - y)^2 = 2 C, printed 3.1306526667222374.

    With a printed to 8 decimals, |(a - y)^2 - printed| <= 2 |a - y| 0.5e-8 + (0.5e-8)^2.
    """
    a, y, printed = (TOY_SINGLE_SAMPLE[k] for k in ("output", "label", "cost"))
    C = 0.5 * (a - y) ** 2
    bound = 2 * abs(a - y) * HALF_UNIT + HALF_UNIT ** 2
    return CheckResult(check_id, abs(2 * C - printed) <= bound,
                       "single-sample cost (a - y)^2 = 2 C equals the printed 3.1306526667222374 "
                       "within the rounding of the printed output",
                       {"two_C": 2 * C, "printed": printed, "error": 2 * C - printed, "bound": bound})


def toy_shapes(*, check_id: str, forward_fn=None, seed: int = 0) -> CheckResult:
    """``feedforward_batch`` on all 1000 toy points: activities (3,1000) (2,1000) (1,1000),
    activations (1,1000) (3,1000) (2,1000) (1,1000).

    ``forward_fn(params, X) -> (zs, activations)``; default ``reference.forward``
    with the document's ``randn`` initial values.
    """
    X, _ = toy()
    gen = as_generator(seed)
    Ws = [gen.standard_normal(TOY_NETWORK.weight_shape(l)) for l in (1, 2, 3)]
    params = [(W, gen.standard_normal(W.shape[0])) for W in Ws]
    zs, activations = forward_fn(params, X) if forward_fn else forward(TOY_NETWORK, params, X)
    got_z = [list(np.shape(z)) for z in zs]
    got_a = [list(np.shape(a)) for a in activations]
    expected_z = [list(s) for s in TOY_SHAPES["activities"]]
    expected_a = [list(s) for s in TOY_SHAPES["activations"]]
    return CheckResult(check_id, got_z == expected_z and got_a == expected_a,
                       "[1,3,2,1] on toy(): activities (3,1000) (2,1000) (1,1000); "
                       "activations (1,1000) (3,1000) (2,1000) (1,1000)",
                       {"activities": got_z, "activations": got_a})


def _gradient_of(grad_fn, step_fn, params, X, Y) -> Params:
    """The gradient from grad_fn, or from one step of step_fn with eta = 1; on copies of the inputs."""
    if grad_fn is not None:
        return grad_fn(copy_params(params), X.copy(), Y.copy())
    stepped = step_fn(copy_params(params), X.copy(), Y.copy(), 1.0)
    return [(W - Ws, b - bs) for (W, b), (Ws, bs) in zip(params, stepped)]


def gradient_checks_during_training(*, check_id: str, grad_fn: Optional[GradFn] = None,
                                    step_fn: Optional[StepFn] = None, formulation: str = "per_sample",
                                    seed: int = 0, epochs: int = 10,
                                    samples: Sequence[int] = tuple(range(0, 1000, 100)),
                                    error_bound: Optional[Callable] = None) -> CheckResult:
    """The document's gradient checking, along its own training run.

    The implementation drives the circles SGD (batch 50, eta 1e-2, in order);
    at the start of every epoch its single-sample gradient for each sample in
    ``samples`` (both circles) is checked against the central differences of
    that sample's cost with epsilon = 1e-7, and must have error < 1e-7.

    ``error_bound(params, x, y, nabla) -> B`` (optional, e.g. for a float32
    implementation) bounds ||nabla - exact gradient||_2 by its own rounding;
    the limit for that sample becomes 1e-7 + B / ||nabla||_2 (the document's
    error has ||Delta|| + ||nabla|| >= ||nabla|| in its denominator).  Without
    it the limit is the document's 1e-7.
    """
    grad_fn, step_fn = default_grad_fn(CIRCLES_NETWORK, grad_fn, step_fn, formulation)
    X, Y, params = circles_data(seed)
    if grad_fn is None and step_fn is None:
        grad_fn_for_check = reference_grad_fn(CIRCLES_NETWORK)
    else:
        grad_fn_for_check = lambda p, x, y: _gradient_of(grad_fn, step_fn, p, x, y)
    errors, limits = [], []
    for _ in range(epochs):
        for i in samples:
            x, y = X[:, i:i + 1], Y[:, i:i + 1]
            nabla = grad_fn_for_check(params, x, y)
            errors.append(gradient_check_error(CIRCLES_NETWORK, params, x, y, nabla))
            limits.append(GRADIENT_CHECK_EPSILON + _allowance(error_bound, params, x, y, nabla))
        params = sgd(CIRCLES_NETWORK, params, X, Y, eta=1e-2, epochs=1, batch_size=50,
                     grad_fn=grad_fn, step_fn=step_fn).params
    worst = max(errors)
    figures = {"checks": len(errors), "max_error": worst, "median_error": float(np.median(errors))}
    if error_bound is not None:
        figures["max_limit"] = max(limits)
    return CheckResult(check_id, all(e < lim for e, lim in zip(errors, limits)),
                       f"gradient_checking (epsilon 1e-7) of single-sample gradients at the start of "
                       f"each of {epochs} epochs of the circles SGD: every error < 1e-7"
                       + (" + the implementation's rounding bound / ||nabla||" if error_bound else ""), figures)


def _allowance(error_bound, params, x, y, nabla) -> float:
    """B / ||nabla||_2 for ``error_bound`` (0 without one): the relative room its rounding needs."""
    if error_bound is None:
        return 0.0
    norm = float(np.linalg.norm(flatten(nabla)))
    return float(error_bound(params, x, y, nabla)) / norm if norm > 0 else 0.0


def rounding_bound(updates: int, params: Params, eps: float = EPS) -> float:
    """How far two correct float64 runs of the same SGD may drift apart: updates * 16 eps max(1, max|theta|).

    Each update computes the same sums of per-sample gradients in float64,
    possibly in a different order and with differently rounded sigmoids:
    the two gradients differ by a few eps relative, and the updates
    theta - eta g by at most a few ulps of theta.  With eta = 1e-2 the map is
    close to the identity, so the differences add up at most linearly over
    the updates; 16 eps per update and unit of |theta| covers that with room.
    Any real difference in the step (a factor, a wrong sigma') is
    ~eta |g| ~ 1e-4 per update, ten orders of magnitude above.  ``eps`` is the
    machine epsilon of the run with the coarser gradients (float32's for a
    float32 implementation: its gradients differ by a few of its eps).
    """
    scale = max(1.0, max(float(np.max(np.abs(a))) for pair in params for a in pair))
    return updates * 16 * eps * scale


def circles_vs_networkpy(*, check_id: str, grad_fn: Optional[GradFn] = None,
                         step_fn: Optional[StepFn] = None, formulation: str = "per_sample",
                         seed: int = 0, epochs: int = 10, batch_size: int = 50,
                         eta: float = 1e-2, tolerance: Optional[float] = None,
                         eps: float = EPS) -> CheckResult:
    """The implementation and network.py end with the same weights after the circles SGD.

    Both start from the same initial values; the implementation drives
    ``reference.training.sgd`` (mean reduction, blocks in order), network.py
    its own ``update_mini_batch`` (eta/len(mini_batch) times the sum).
    Passes when max |theta_impl - theta_networkpy| <= ``rounding_bound`` (float64; with
    ``eps`` the machine epsilon of a lower-precision implementation), or
    ``tolerance`` when given.
    """
    grad_fn, step_fn = default_grad_fn(CIRCLES_NETWORK, grad_fn, step_fn, formulation)
    X, Y, params0 = circles_data(seed)
    ours = sgd(CIRCLES_NETWORK, params0, X, Y, eta=eta, epochs=epochs, batch_size=batch_size,
               grad_fn=grad_fn, step_fn=step_fn).params
    theirs = networkpy_sgd(CIRCLES_NETWORK.layer_sizes, params0, X, Y, epochs=epochs,
                           mini_batch_size=batch_size, eta=eta)
    diffs = [float(np.max(np.abs(a - b))) for p, q in zip(ours, theirs) for a, b in zip(p, q)]
    updates = epochs * -(-X.shape[1] // batch_size)
    bound = rounding_bound(updates, theirs, eps) if tolerance is None else float(tolerance)
    moved = max(float(np.max(np.abs(a - b))) for p, q in zip(theirs, params0) for a, b in zip(p, q))
    return CheckResult(check_id, max(diffs) <= bound,
                       f"{epochs} epochs of SGD (batch {batch_size}, eta {eta}, [2,3,3,1], circles, "
                       f"no shuffling): same weights as network.py to "
                       f"{'float64' if eps == EPS else f'its own (eps {eps:.3g})'} rounding",
                       {"max_abs_difference": max(diffs), "per_array": diffs, "bound": bound,
                        "bitwise_equal": all(d == 0.0 for d in diffs), "updates": updates,
                        "max_change_from_initial": moved})
