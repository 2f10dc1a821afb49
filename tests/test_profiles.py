"""Hypothesis profiles are registered in one place with the documented settings."""
import pytest
from hypothesis import settings

from conformance.profiles import PROFILES, load_profile, register_profiles


def test_dev_ci_and_thorough_are_registered_with_the_documented_settings():
    register_profiles()
    ci, thorough, dev = (settings.get_profile(p) for p in ("ci", "thorough", "dev"))
    assert ci.derandomize and ci.deadline is None and ci.print_blob
    assert thorough.max_examples >= 1000 and dev.max_examples < ci.max_examples


def test_an_unknown_profile_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown Hypothesis profile 'fast'"):
        load_profile("fast")
    assert set(PROFILES) == {"dev", "ci", "thorough"}
