"""What every check receives: the implementation, the profile's budgets, a seed, and safe calls.

Budgets per profile (Hypothesis examples per check, seconds, sizes):

    profile    examples (default / agreement / full FD)   shrink s   check s   full-FD params   ladder s
    dev        12 / 25 / 6                                  0.5        20        40               2
    ci         15 / 40 / 10                                 0.5        30        60               2
    thorough   200 / 1000 / 100                             30         900       200              120

The ladder allowance is the time one size-ladder family (``sizes.*``) may take: rungs projected
beyond it are not run, and named.

A check declared as a known failure shrinks on 0.3 of the shrink budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from conformance.dropin.adapters import ETA, reference_network, round_to_dtype
from conformance.core.calls import DEFAULT_TIME_LIMIT, CallOutcome, call_gradient, call_gradient_pair
from conformance.dropin.protocol import Implementation
from conformance.core.strategies import Problem

__all__ = ["PROFILES", "BUDGETS", "Context", "round_problem"]

PROFILES = ("dev", "ci", "thorough")
#: Share of the shrink budget spent on a declared known failure (reported in brief).
KNOWN_SHRINK = 0.3

BUDGETS = {
    "dev": {"default": 12, "interface.finite": 20, "interface.support": 20, "reference.agreement": 25,
            "finite_differences.full": 6, "finite_differences.directional": 10,
            "shrink_s": 0.5, "check_s": 20.0, "fd_params": 40, "directions": 3, "ladder_s": 2.0},
    "ci": {"default": 15, "interface.finite": 25, "interface.support": 25, "reference.agreement": 40,
           "finite_differences.full": 10, "finite_differences.directional": 15,
           "shrink_s": 0.5, "check_s": 30.0, "fd_params": 60, "directions": 4, "ladder_s": 2.0},
    "thorough": {"default": 200, "interface.finite": 400, "interface.support": 400,
                 "reference.agreement": 1000, "finite_differences.full": 100,
                 "finite_differences.directional": 300, "shrink_s": 30.0, "check_s": 900.0,
                 "fd_params": 200, "directions": 8, "ladder_s": 120.0},
}


def round_problem(problem: Problem, dtype) -> Problem:
    """The problem with every value rounded to ``dtype`` (kept as float64; exact for float64)."""
    if np.dtype(dtype) == np.float64:
        return problem
    params = [(round_to_dtype(W, dtype), round_to_dtype(b, dtype)) for W, b in problem.params]
    return Problem(problem.net, params, round_to_dtype(problem.X, dtype), round_to_dtype(problem.Y, dtype))


@dataclass(frozen=True)
class Context:
    """One implementation under one profile, seed, learning rate and per-call time limit."""

    impl: Implementation
    profile: str = "ci"
    seed: int = 0
    eta: float = ETA
    time_limit: Optional[float] = DEFAULT_TIME_LIMIT
    known_failure: bool = False       # the check is declared as failing: shrink on a smaller budget
    replay: tuple = ()                # saved examples to run first (``conformance.core.corpus`` entries)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; choose one of {PROFILES}")

    @property
    def name(self) -> str:
        return self.impl.name

    @property
    def support(self):
        """The part of the declared support Hypothesis draws from (``Support.drawn()``: capped at
        depth 4, width 6, N 8); ``ctx.impl.support`` is the whole claim (the size ladder's)."""
        return self.impl.support.drawn()

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.impl.conventions.dtype)

    def budget(self, key: str):
        """A number from the profile's budget table (an example count falls back to 'default')."""
        table = BUDGETS[self.profile]
        value = table.get(key, table["default"])
        return value * KNOWN_SHRINK if (key == "shrink_s" and self.known_failure) else value

    def call(self, problem: Problem, *, layout: str = "C") -> CallOutcome:
        """The implementation's gradient on ``problem`` (reference conventions), safely; the native input
        arrays laid out as ``layout`` ("C", "F" or "strided")."""
        return call_gradient(self.impl, problem.net, problem.params, problem.X, problem.Y, eta=self.eta,
                             time_limit=self.time_limit, layout=layout)

    def call_pair(self, first: Problem, second: Problem):
        """Two calls on problems of the same network: (outcome 1, outcome 2, what the second call changed
        in the first call's result and inputs, which were held without copying)."""
        return call_gradient_pair(self.impl, first.net, first[1:], second[1:], eta=self.eta,
                                  time_limit=self.time_limit)

    def model(self, problem: Problem) -> Problem:
        """``problem`` with the L2 term the implementation declares, for its batch size, in the network
        (``adapters.reference_network``: lambda / (divisor x loss factor)); the same problem when none."""
        net = reference_network(self.impl, problem.net, problem.X.shape[1])
        return problem if net is problem.net else Problem(net, problem.params, problem.X, problem.Y)

    def prepare(self, problem: Problem) -> Problem:
        """``problem`` rounded to the implementation's dtype, so both sides see the same numbers, and with
        the implementation's L2 term (``model``)."""
        return self.model(round_problem(problem, self.dtype))

    def seed_for(self, check: str) -> int:
        """A per-check seed derived from the run seed (the same for every implementation)."""
        return (self.seed * 1_000_003 + sum(ord(c) * 31 ** i for i, c in enumerate(check))) % (2 ** 32)
