"""A structured shrink after Hypothesis: slice the failing example while it still fails.

Hypothesis shrinks the choices it made; changing a width or N changes the shape
of every later draw, so it often stops at a local minimum such as
``Network([1, 4, 2])`` with N = 3 for a bug that shows on ``Network([1, 1])``
with N = 2.  ``smaller_problems`` proposes sub-problems that keep the failing
values: the last layers alone, fed with the activations a^j of the layers they
lose; the first k samples (columns of X and Y); and for every layer
(input, hidden or output) its first m units (rows of W^l and b^l, columns of
W^{l+1}, rows of X for the input, rows of Y for the output; a softmax output keeps
two units, and a categorical cross-entropy all of them, so that its targets stay
class labels).  Every proposal keeps the network's model (``Network.replace``).  ``minimize``
accepts the first proposal on which the check still fails and repeats, smallest
proposals first, inside the declared support and a time budget.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator, Optional

from conformance.core.search import CheckFailure
from conformance.core.strategies import Problem
from reference.forward import forward
from reference.training import copy_params

__all__ = ["smaller_problems", "minimize"]


def _narrow(p: Problem, layer: int, m: int) -> Problem:
    """``p`` with only the first m units of layer ``layer`` (0 = input, L = output)."""
    sizes = list(p.net.layer_sizes)
    sizes[layer] = m
    params = copy_params(p.params)
    X, Y = p.X, p.Y
    if layer >= 1:
        W, b = params[layer - 1]
        params[layer - 1] = (W[:m, :], b[:m])
    if layer < p.net.L:
        W, b = params[layer]
        params[layer] = (W[:, :m], b)
    if layer == 0:
        X = X[:m, :]
    if layer == p.net.L:
        Y = Y[:m, :]
    return Problem(p.net.replace(layer_sizes=sizes), params, X.copy(), Y.copy())


def _suffix(p: Problem, j: int) -> Problem:
    """The layers j+1..L of ``p`` as a network of their own, fed with a^j of the original."""
    a_j = forward(p.net, p.params, p.X).a(j)
    return Problem(p.net.replace(layer_sizes=list(p.net.layer_sizes[j:])),
                   copy_params(p.params[j:]), a_j.copy(), p.Y.copy())


def smaller_problems(p: Problem, support) -> Iterator[Problem]:
    """Sub-problems of ``p`` inside ``support``, the smallest first."""
    N = p.X.shape[1]
    for j in range(p.net.L - 1, 0, -1):
        q = _suffix(p, j)
        if support.covers(q.net, N):
            yield q
    for k in range(1, N):
        q = Problem(p.net, p.params, p.X[:, :k].copy(), p.Y[:, :k].copy())
        if support.covers(q.net, k):
            yield q
    for layer in range(p.net.L + 1):
        if layer == p.net.L and p.net.loss == "categorical_cross_entropy":
            continue      # fewer outputs would take the targets off the simplex, where a - y is no gradient
        least = 2 if (layer == p.net.L and p.net.output == "softmax") else 1   # a softmax keeps two units
        for m in range(least, p.net.n(layer)):
            q = _narrow(p, layer, m)
            if support.covers(q.net, N):
                yield q


def minimize(body: Callable[[Problem], None], failure: CheckFailure, support, *,
             budget: Optional[float] = 1.0, max_steps: int = 200) -> CheckFailure:
    """The failure on the smallest sub-problem of ``failure.example`` on which ``body`` still fails.

    Only failures whose example (what ``body`` takes) is a ``Problem`` are minimized.
    """
    if not isinstance(getattr(failure, "example", None), Problem) or failure.hint == "timeout":
        return failure
    t0, steps = time.perf_counter(), 0
    improved = True
    while improved:
        improved = False
        for q in smaller_problems(failure.example, support):
            if steps >= max_steps or (budget is not None and time.perf_counter() - t0 > budget):
                return failure
            steps += 1
            try:
                body(q)
            except CheckFailure as smaller:
                if smaller.problem is None:
                    smaller.problem = q
                if smaller.hint == "timeout":
                    return failure
                smaller.example = q
                failure, improved = smaller, True
                break
            except Exception:  # a proposal the check cannot use: keep the current failure
                continue
    return failure
