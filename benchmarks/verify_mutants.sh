#!/usr/bin/env bash
# Re-check mutmut survivors against (new) test files, as mutmut 3 would run them.
#
#   bash benchmarks/verify_mutants.sh COPY NAMES_FILE TEST_FILE... [pytest options]
#
# COPY: a copy of a mutmut WORKDIR/mutants folder (cp -r WORKDIR/mutants COPY) with the test
# files to try copied into COPY/tests/.  NAMES_FILE: mutant names, one per line (from
# `python -m mutmut results` or the *.py.meta files).  For each name, runs the test files with
# that mutant switched on AFTER reference/ and conformance/ are imported
# (benchmarks/mutmut_forkemu.py), the way mutmut 3 forks its workers from a process that has
# imported them, so code that runs only at import time is not credited with a kill.
# Prints "killed NAME" (a test failed) or "survived NAME" per line.
set -u
COPY="$1"; NAMES="$2"; shift 2
PLUGIN_DIR="$(cd "$(dirname "$0")" && pwd)"
cd "$COPY"
for m in $(cat "$NAMES"); do
  if PYTHONPATH="$PLUGIN_DIR" MUTANT_UNDER_TEST="$m" HYPOTHESIS_PROFILE=dev timeout 300 \
       python -m pytest -x -q -p no:cacheprovider -p mutmut_forkemu "$@" >/dev/null 2>&1; then
    echo "survived $m"
  else
    echo "killed $m"
  fi
done
