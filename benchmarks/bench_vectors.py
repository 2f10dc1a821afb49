"""Agreement of every reference formulation with the exact test vectors, against the derived bound.

For each formulation and each vector it covers (the scalar one: width-1 chains only), the worst
normwise relative error max|g_f - g_exact| / max|g_exact| and the worst entrywise ratio
|g_f - g_exact| / (2 E + u |g_exact|), E the running error bound of ``reference.symbolic_bounds``
(<= 1 means inside the bound).  Measurements, never assertions (tests/test_vectors.py asserts).

    python benchmarks/bench_vectors.py                # every vector
    python benchmarks/bench_vectors.py --models       # only the vectors beyond the documents' network (issue 16)
    python benchmarks/bench_vectors.py --json reports/vectors.json
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from _common import write_json  # noqa: E402
from reference import FORMULATIONS, gradients  # noqa: E402
from reference.params import flatten  # noqa: E402
from reference.symbolic_bounds import U, gradient_error_bound  # noqa: E402
from reference.vectors import load_vectors  # noqa: E402


def measure(vectors) -> dict:
    """formulation -> {"vectors", "max_relative_error", "max_ratio", "worst_vector"}."""
    rows = {}
    for name in FORMULATIONS:
        worst_rel, worst_ratio, worst_id, count = 0.0, 0.0, None, 0
        for v in vectors:
            if name == "scalar" and any(n != 1 for n in v.net.layer_sizes):
                continue
            count += 1
            got, exact = flatten(gradients(v.net, v.params, v.X, v.Y, formulation=name)), flatten(v.gradients)
            _, bounds = gradient_error_bound(v.net, v.params, v.X, v.Y)
            err = np.abs(got - exact)
            scale = float(np.max(np.abs(exact)))
            rel = float(np.max(err)) / scale if scale > 0 else float(np.max(err))
            bound = flatten(bounds) + U * np.abs(exact)
            ratio = float(np.max(np.divide(err, bound, out=np.zeros_like(err), where=err > 0)))
            if ratio > worst_ratio:
                worst_ratio, worst_id = ratio, v.id
            worst_rel = max(worst_rel, rel)
        rows[name] = {"vectors": count, "max_relative_error": worst_rel, "max_ratio": worst_ratio,
                      "worst_vector": worst_id}
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", action="store_true", help="only the vectors of networks beyond the documents'")
    parser.add_argument("--json", help="write the table as JSON to this file")
    args = parser.parse_args(argv)
    vectors = [v for v in load_vectors() if not (args.models and v.net.is_default)]
    rows = measure(vectors)
    print(f"{len(vectors)} vectors{' beyond the documents network' if args.models else ''}")
    print(f"{'formulation':16s} {'vectors':>7s} {'max relative error':>19s} {'max error / bound':>18s}  worst vector")
    for name, r in rows.items():
        print(f"{name:16s} {r['vectors']:7d} {r['max_relative_error']:19.2g} {r['max_ratio']:18.3f}  {r['worst_vector']}")
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
