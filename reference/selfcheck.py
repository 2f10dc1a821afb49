"""Self-check: every reference formulation on the documents' networks, side by side.

    python -m reference            # prints a table, exits 1 on any disagreement

Each row is one network of the documents with seeded parameters and data; each
column shows max over entries of |g_f - g_matrix| / bound, where bound is the
float64 error model's bound for the pair (<= 1 means agreement), and the last
column compares batched_matrix with Richardson finite differences the same way.
"""
from __future__ import annotations

import sys
from typing import List, Tuple

import numpy as np

from reference.error_model import gradient_error_bound
from reference.finite_differences import numerical_gradient_with_error
from reference.gradients import FORMULATIONS, gradients
from reference.network import Network
from reference.params import flatten

__all__ = ["DOCUMENT_NETWORKS", "selfcheck", "main"]

#: Every architecture the three documents use, with its output activation.
DOCUMENT_NETWORKS: Tuple[Network, ...] = (
    Network([2, 1]), Network([2, 2, 1]), Network([2, 4, 3, 1]), Network([2, 3, 3, 1]),
    Network([1, 3, 2, 1]), Network([2, 8, 4, 1]), Network([2, 16, 8, 4, 1]),
    Network([3, 4, 4, 2], output="identity"), Network([1, 1, 1, 1]),
)


def _ratio(got, expected, bound) -> float:
    g, e, b = flatten(got), flatten(expected), flatten(bound)
    return float(np.max(np.abs(g - e) / b))


def selfcheck(seed: int = 0, N: int = 5) -> List[dict]:
    """One row per document network: the worst |difference| / bound of each formulation."""
    rows = []
    for k, net in enumerate(DOCUMENT_NETWORKS):
        rng = np.random.default_rng([seed, k])
        params = net.init(rng)
        X = rng.standard_normal((net.n(0), N))
        Y = rng.random((net.n(net.L), N))
        expected = gradients(net, params, X, Y, formulation="batched_matrix")
        bound = [(2 * bW, 2 * bb) for bW, bb in gradient_error_bound(net, params, X, Y)]
        row = {"network": repr(net)}
        for name in FORMULATIONS:
            if name == "scalar" and any(n != 1 for n in net.layer_sizes):
                row[name] = None
                continue
            row[name] = _ratio(gradients(net, params, X, Y, formulation=name), expected, bound)
        fd, fd_err = numerical_gradient_with_error(net, params, X, Y)
        row["finite_differences"] = _ratio(expected, fd, [(a + c, b + d) for (a, b), (c, d) in zip(fd_err, bound)])
        rows.append(row)
    return rows


def main(argv=None) -> int:
    rows = selfcheck()
    cols = list(FORMULATIONS) + ["finite_differences"]
    width = max(len(r["network"]) for r in rows)
    print("worst |difference| / error bound against batched_matrix (<= 1 agrees)")
    print(f"{'network':<{width}}  " + "  ".join(f"{c:>18}" for c in cols))
    ok = True
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{'n/a':>18}" if v is None else f"{v:>12.2e} {'ok' if v <= 1 else 'FAIL':>5}")
            ok &= v is None or v <= 1
        print(f"{r['network']:<{width}}  " + "  ".join(cells))
    print("all formulations agree" if ok else "DISAGREEMENT: see FAIL cells")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
