"""``python -m conformance``: the command line (``conformance.run.cli``)."""
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy: one BLAS thread per process (and per xdist worker)

from conformance.run.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
