"""``python -m backprop_conformance`` and the ``backprop-conformance`` console script."""
from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv=None) -> int:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # before numpy: one BLAS thread per process (and per xdist worker)
    from backprop_conformance import own_conformance
    own_conformance()
    from conformance.run.cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
