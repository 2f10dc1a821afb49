"""Forum question: ``initialize(3, 4, 4, 2, 5)``, two sigmoid hidden layers and a linear output.

The forum's network is ``Network([3, 4, 4, 2], output="identity")``; its loss
``np.mean(0.5 * np.linalg.norm(predictions - targets, axis=0, ord=2)**2)`` is
this project's C exactly, and its parameters ``[W1, b1, W2, b2, W3, b3]`` are
the (W^l, b^l) pairs laid out flat, with (n_l,) biases as here.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from reference.documents.core import CheckResult, default_grad_fn
from reference.documents.printed import FORUM_SHAPES
from reference.network import Network, Params, as_generator
from reference.training import GradFn, StepFn, copy_params, reference_grad_fn

__all__ = ["FORUM_NETWORK", "initialize", "as_pairs", "forum_data", "gradient_shapes",
           "agrees_with_reference", "AGREEMENT_ULPS"]

FORUM_NETWORK = Network(FORUM_SHAPES["layer_sizes"], output="identity")

#: Tolerance of ``agrees_with_reference``: |got - expected| <= AGREEMENT_ULPS eps max|expected| per array.
#: Each entry here is a sum over N = 5 samples of products of at most 2L + 1 = 7 factors, with at
#: most 4 terms per matrix-vector product: a correctly rounded evaluation in any order is within
#: about (5 + 7 + 4) eps of the exact value relative to the sum of |terms|; 2^10 eps (2.3e-13)
#: leaves room for cancellation while any real error (a factor, a transpose, a layer shift) is
#: orders of magnitude larger.
AGREEMENT_ULPS = 2.0 ** 10


def initialize(input_dim, hidden1_dim, hidden2_dim, output_dim, batch_size, *, rng):
    """The forum's ``initialize``, with a seeded Generator in place of ``np.random``.

    Draws in the forum's order: W1 = randn(h1, in) * 0.01, b1 = 0, W2, b2, W3, b3,
    then x = rand(in, batch) and y = randn(out, batch).  Returns
    (parameters = [W1, b1, W2, b2, W3, b3], x, y) as the forum does.
    """
    gen = as_generator(rng)
    W1 = gen.standard_normal((hidden1_dim, input_dim)) * 0.01
    b1 = np.zeros((hidden1_dim,))
    W2 = gen.standard_normal((hidden2_dim, hidden1_dim)) * 0.01
    b2 = np.zeros((hidden2_dim,))
    W3 = gen.standard_normal((output_dim, hidden2_dim)) * 0.01
    b3 = np.zeros((output_dim,))
    parameters = [W1, b1, W2, b2, W3, b3]
    x = gen.random((input_dim, batch_size))
    y = gen.standard_normal((output_dim, batch_size))
    return parameters, x, y


def as_pairs(parameters) -> Params:
    """The forum's flat ``[W1, b1, W2, b2, W3, b3]`` (or its gradients) as reference (W, b) pairs."""
    return [(parameters[2 * i], parameters[2 * i + 1]) for i in range(len(parameters) // 2)]


def forum_data(rng=0):
    """(params as pairs, X (3, 5), Y (2, 5)) from ``initialize(3, 4, 4, 2, 5, rng=rng)``."""
    parameters, X, Y = initialize(3, 4, 4, 2, FORUM_SHAPES["batch_size"], rng=rng)
    return as_pairs(parameters), X, Y


def _gradient_of(grad_fn, step_fn, params, X, Y) -> Params:
    """The gradient recovered from one step of step_fn with eta = 1, or from grad_fn
    (the reference's batched_matrix when neither is given)."""
    if step_fn is not None:
        stepped = step_fn(copy_params(params), X.copy(), Y.copy(), 1.0)
        return [(W - Ws, b - bs) for (W, b), (Ws, bs) in zip(params, stepped)]
    return (grad_fn or reference_grad_fn(FORUM_NETWORK))(copy_params(params), X.copy(), Y.copy())


def gradient_shapes(*, check_id: str, grad_fn: Optional[GradFn] = None,
                    step_fn: Optional[StepFn] = None, seed: int = 0,
                    formulation: str = "batched_matrix") -> CheckResult:
    """dC/dW^l (n_l, n_{l-1}) and dC/db^l (n_l,): (4,3), (4,), (4,4), (4,), (2,4), (2,) for N = 5."""
    grad_fn, step_fn = default_grad_fn(FORUM_NETWORK, grad_fn, step_fn, formulation)
    params, X, Y = forum_data(seed)
    nabla = _gradient_of(grad_fn, step_fn, params, X, Y)
    got = [[tuple(np.shape(a)) for a in pair] for pair in nabla]
    expected = [[tuple(s) for s in pair] for pair in FORUM_SHAPES["gradients"]]
    return CheckResult(check_id, got == expected,
                       "initialize(3, 4, 4, 2, 5): every gradient has its parameter's shape",
                       {"shapes": [[list(s) for s in pair] for pair in got],
                        "expected": [[list(s) for s in pair] for pair in expected]})


def agrees_with_reference(*, check_id: str, grad_fn: Optional[GradFn] = None,
                          step_fn: Optional[StepFn] = None, seed: int = 0,
                          formulation: str = "per_neuron", tolerance: Optional[float] = None) -> CheckResult:
    """The gradient on the forum's data equals the reference's within AGREEMENT_ULPS eps max|expected|.

    ``tolerance`` (relative to max|expected| per array) replaces AGREEMENT_ULPS eps when given,
    e.g. for a float32 implementation.

    The default implementation under test is the reference ``formulation``
    (per_neuron, the index-level equations), compared with batched_matrix.
    """
    grad_fn, step_fn = default_grad_fn(FORUM_NETWORK, grad_fn, step_fn, formulation)
    params, X, Y = forum_data(seed)
    expected = reference_grad_fn(FORUM_NETWORK)(params, X, Y)
    got = _gradient_of(grad_fn, step_fn, params, X, Y)
    relative = AGREEMENT_ULPS * np.finfo(np.float64).eps if tolerance is None else float(tolerance)
    worst, where, ok = 0.0, "", True
    for l, (pair_e, pair_g) in enumerate(zip(expected, got), start=1):
        for name, e, g in (("W", pair_e[0], pair_g[0]), ("b", pair_e[1], pair_g[1])):
            g = np.asarray(g, dtype=np.float64)
            if g.shape != e.shape:
                return CheckResult(check_id, False, "gradient shapes differ from the reference",
                                   {"layer": l, "parameter": name, "expected_shape": list(e.shape),
                                    "got_shape": list(g.shape)})
            scale = float(np.max(np.abs(e)))
            err = float(np.max(np.abs(g - e))) / scale if scale > 0 else float(np.max(np.abs(g)))
            if err > worst:
                worst, where = err, f"layer {l} {name}"
            ok &= bool(np.all(np.abs(g - e) <= relative * scale))
    return CheckResult(check_id, bool(ok),
                       f"initialize(3, 4, 4, 2, 5): gradient equals the reference within "
                       f"{relative:.3g} max|expected| per array",
                       {"max_relative_error": worst, "worst_array": where, "tolerance": relative})
