"""Root pytest configuration: one BLAS thread per process, Hypothesis profiles."""
import os

# Pin BLAS/OpenMP to one thread before numpy is imported anywhere in this
# process (each pytest-xdist worker is its own process and reads this file).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from conformance.profiles import load_profile  # noqa: E402


def pytest_configure(config):
    # --hypothesis-profile (from Hypothesis' own plugin) wins when given.
    if not config.getoption("hypothesis_profile", default=None):
        load_profile()
