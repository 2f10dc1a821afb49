"""Diagnosis: a layer above the checks' results that names where a failure is and why.

    causes       the cause vocabulary (``CAUSES``) and the ``Diagnosis`` record
    probes       targeted re-runs: N = 1 vs N = 3, width 1, depth, large |z|, another n_L
    variants     gradients of common wrong backprops, the hypotheses tested
    factors      got = c x expected: what c means (N, 1/N, 2, -1, 2/n_L, ...)
    hypotheses   the tests of those hypotheses on the failing problems
    sizes        the size condition of a size-ladder failure, found by bisection
    reproducer   a copy-paste script rebuilding the failing example exactly
    diagnose     ``diagnose_failure(ctx, check, failure) -> Diagnosis``

The checks never import this package; ``conformance.run`` calls it on a failed check.
"""
from conformance.diagnosis.causes import CAUSES, Diagnosis
from conformance.diagnosis.diagnose import diagnose_failure, equation_of, own_loss_words

__all__ = ["CAUSES", "Diagnosis", "diagnose_failure", "equation_of", "own_loss_words"]
