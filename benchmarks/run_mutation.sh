#!/usr/bin/env bash
# Mutation testing of reference/ with mutmut 3 (see docs/MUTATION.md).
#
#   bash benchmarks/run_mutation.sh [core|extended] [WORKDIR]
#
# Runs on a SNAPSHOT: a clone of the committed state of this repository in WORKDIR
# (default /tmp/backprop-mutation-<scope>), so that edits in the working tree and
# the editable install of this checkout are left alone.  mutmut writes its mutants/
# folder there.  The configuration is written into the snapshot's setup.cfg
# ([mutmut] section; pyproject.toml has no [tool.mutmut], so mutmut reads setup.cfg).
# mutmut puts WORKDIR/mutants first on sys.path, so `reference` and `conformance`
# are imported from the mutated snapshot, never from this checkout.
#
#   core      the 14 core modules (formulations, forward, validation, error model,
#             finite differences, self-check); the tests that exercise them
#   extended  datasets, training, examples, documents/, vectors*, symbolic*,
#             directional, plots; adds the documents' tests (a few train for seconds)
#
# Environment: PYTHON (default: python3; needs mutmut>=3.8, numpy, sympy, mpmath,
# hypothesis, pytest; matplotlib for plots.py), MAX_CHILDREN (default 2), REV (default
# HEAD), MUTANTS (mutant name globs to run, default all), COPY_FROM_WORKTREE (uncommitted
# files to include), HYPOTHESIS_PROFILE (default dev).
# Prints mutmut's summary and a per-module table (killed / total).
set -euo pipefail

SCOPE="${1:-core}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${2:-/tmp/backprop-mutation-$SCOPE}"
PY="${PYTHON:-python3}"
MAX_CHILDREN="${MAX_CHILDREN:-2}"
REV="${REV:-HEAD}"

case "$SCOPE" in
  core)
    ONLY_MUTATE="reference/activations.py reference/network.py reference/validation.py
      reference/forward.py reference/params.py reference/gradients.py reference/scalar.py
      reference/per_neuron.py reference/per_sample.py reference/batched_tensor.py
      reference/batched_matrix.py reference/error_model.py reference/finite_differences.py
      reference/selfcheck.py"
    # All of tests/ except the documents' training runs (tests/test_documents_first.py
    # trains networks for ~35 s and checks nothing of the core that the formulation and
    # error-model tests do not), the plots, and files that test other parts of the
    # project (README/CI text, benchmarks, the bug catalogue of the conformance suite,
    # the directional check, which is outside this scope).  New test files under tests/
    # are picked up automatically.
    TESTS="tests --ignore=tests/test_documents_first.py --ignore=tests/test_documents_plots.py
      --ignore=tests/test_readme.py --ignore=tests/test_benchmarks_smoke.py
      --ignore=tests/test_catalogue.py --ignore=tests/test_catalogue_documents.py
      --ignore=tests/catalogue --ignore=tests/test_directional.py"
    ;;
  extended)
    ONLY_MUTATE="reference/datasets.py reference/training.py reference/examples.py
      reference/documents/*.py reference/vectors.py reference/vectors_catalogue.py
      reference/symbolic*.py reference/directional.py reference/plots.py"
    TESTS="tests --ignore=tests/test_readme.py --ignore=tests/test_benchmarks_smoke.py
      --ignore=tests/test_catalogue.py --ignore=tests/test_catalogue_documents.py
      --ignore=tests/catalogue"
    ;;
  *) echo "usage: $0 [core|extended] [WORKDIR]" >&2; exit 2 ;;
esac

rm -rf "$WORK"
git clone -q "$REPO" "$WORK"
git -C "$WORK" checkout -q "$REV"
# COPY_FROM_WORKTREE="tests/a.py tests/b.py": files not committed yet, copied in as they are.
for f in ${COPY_FROM_WORKTREE:-}; do mkdir -p "$WORK/$(dirname "$f")"; cp "$REPO/$f" "$WORK/$f"; done
# The documents' tests look for ../shared/seeds beside the checkout.
if [ -d "$REPO/../shared" ]; then ln -s "$(cd "$REPO/../shared" && pwd)" "$WORK/shared"; fi

cd "$WORK"
SELECTED=""
for t in $TESTS; do SELECTED="$SELECTED"$'\n    '"$t"; done
MUTATE=""
for m in $ONLY_MUTATE; do MUTATE="$MUTATE"$'\n    '"$m"; done

cat > setup.cfg <<EOF
[mutmut]
source_paths = reference/
only_mutate = $MUTATE
also_copy =
    conftest.py
    conformance/
pytest_add_cli_args_test_selection = $SELECTED
pytest_add_cli_args =
    -p
    no:cacheprovider
    -m
    not slow
EOF

# dev (the default; the figures in docs/MUTATION.md) draws new examples on every run and keeps
# failing ones in .hypothesis/: a property test that fails once for a reason of its own then
# fails for every later mutant it covers.  HYPOTHESIS_PROFILE=ci (derandomized, no database)
# cannot be fooled that way.
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-dev}"
# MUTANTS="reference.datasets* reference.training*": only these mutants (mutmut name globs).
"$PY" -m mutmut run --max-children "$MAX_CHILDREN" ${MUTANTS:-} || true
"$PY" -m mutmut results > mutmut-results.txt || true

"$PY" - <<'EOF'
"""Per-module table from mutants/**/*.py.meta (mutmut's own records)."""
import json
from collections import Counter
from pathlib import Path

KILLED = {1, 3}                          # a test failed
TIMEOUT = {-24, 24, 152, 255, 36}         # the tests ran past mutmut's limit: caught, listed apart
rows, total = [], Counter()
for meta in sorted(Path("mutants").rglob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    if not codes:
        continue
    c = Counter()
    for code in codes.values():
        c["total"] += 1
        c["killed" if code in KILLED else "timeout" if code in TIMEOUT else "survived" if code == 0 else
          "no tests" if code in (5, 33) else "not checked" if code is None else f"other {code}"] += 1
    rows.append((str(meta)[len("mutants/"):-len(".meta")], c))
    total.update(c)
print(f"{'module':<36} {'killed':>6} {'timeout':>7} {'total':>6} {'score':>7}  other")
for name, c in rows + [("TOTAL", total)]:
    caught = c["killed"] + c["timeout"]
    other = {k: v for k, v in c.items() if k not in ("killed", "timeout", "total")}
    print(f"{name:<36} {c['killed']:>6} {c['timeout']:>7} {c['total']:>6} {100 * caught / c['total']:>6.1f}%  {other or ''}")
EOF
echo "survivors: grep -v ': killed' $WORK/mutmut-results.txt; one diff: (cd $WORK && $PY -m mutmut show NAME)"
