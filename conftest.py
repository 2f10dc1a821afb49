"""Root pytest configuration: one BLAS thread per process, Hypothesis profiles."""
import os

# Pin BLAS/OpenMP to one thread before numpy is imported anywhere in this
# process (each pytest-xdist worker is its own process and reads this file).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# JAX's CPU backend ignores those variables; this keeps its Eigen pool single-threaded.
if "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

from conformance.profiles import load_profile, register_profiles  # noqa: E402

# Registered at import time: Hypothesis' own plugin resolves --hypothesis-profile
# before pytest_configure runs.
register_profiles()


def pytest_configure(config):
    # --hypothesis-profile (from Hypothesis' own plugin) wins when given.
    if not config.getoption("hypothesis_profile", default=None):
        load_profile()


def _active_profile(config) -> str:
    return config.getoption("hypothesis_profile", default=None) or os.environ.get("HYPOTHESIS_PROFILE", "dev")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run in the thorough profile or when selected with ``-m slow``."""
    if _active_profile(config) == "thorough" or "slow" in (config.option.markexpr or ""):
        return
    import pytest
    skip = pytest.mark.skip(reason="slow: runs in the thorough profile (HYPOTHESIS_PROFILE=thorough) or with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
