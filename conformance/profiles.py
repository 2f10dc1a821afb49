"""Hypothesis profiles, registered in one place.

    dev       fast local feedback (default)
    ci        derandomized, no deadline, failures print a reproduction blob
    thorough  many examples, for the slow nightly-style run

Select with ``HYPOTHESIS_PROFILE=ci`` or ``pytest --hypothesis-profile=ci``.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["register_profiles", "load_profile", "PROFILES"]

PROFILES = ("dev", "ci", "thorough")
_SUPPRESS = (HealthCheck.too_slow, HealthCheck.data_too_large)


def register_profiles() -> None:
    """Register dev, ci and thorough with Hypothesis (idempotent)."""
    settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SUPPRESS)
    settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True,
                              print_blob=True, suppress_health_check=_SUPPRESS)
    settings.register_profile("thorough", max_examples=1000, deadline=None,
                              suppress_health_check=_SUPPRESS)


def load_profile(name: str | None = None) -> str:
    """Load ``name`` or $HYPOTHESIS_PROFILE or "dev"; returns the profile loaded."""
    register_profiles()
    name = name or os.environ.get("HYPOTHESIS_PROFILE", "dev")
    if name not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {name!r}; choose one of {PROFILES}")
    settings.load_profile(name)
    return name
