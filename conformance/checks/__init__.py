"""The checks, one module per family, each registered under a stable id ``family.name``.

    registry            Check, CheckResult, CHECKS, register; the helpers every family shares
    interface           interface.*: shapes, dtype, finite, no input mutation, determinism, support, quiet
    arrays              interface.ownership and interface.layouts: who owns the results, memory layouts
    agreement           reference.agreement and symbolic.vectors
    finite_differences  finite_differences.*: full, directional, own loss
    properties          properties.*: batch mean, permutations, duplication, zero at the target, dead unit
    sizes               sizes.*: the size ladder past the drawn shapes (batch, width, depth, MNIST-shaped)
    properties_models   properties.* that hold for some activations only: softmax invariance, unit
                        rescaling (relu, leaky_relu, identity), odd symmetry (tanh, identity)
    documents           documents.*: the documents' own examples (planned by ``documents_plan``)

Importing this package registers every family.  The families import the
registry, never this package and never ``conformance.diagnosis``: a check
reports what it found; the layers above diagnose and judge it.
"""
from conformance.checks.registry import (CHECKS, Check, CheckResult, compare, first_in_backprop_order, register,
                                         require, searched, select_checks)
from conformance.checks import (agreement, arrays, documents, finite_differences, interface, properties,  # noqa: F401
                                properties_models, sizes)  # (importing registers them)

#: Every registered check id, sorted.
CHECK_IDS = tuple(sorted(CHECKS))

__all__ = ["CHECKS", "CHECK_IDS", "Check", "CheckResult", "compare", "first_in_backprop_order", "register",
           "require", "searched", "select_checks"]
