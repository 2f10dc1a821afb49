"""Conformance suite: checks any backprop implementation against the reference.

Drop an implementation into impls/ (``conformance.protocol.implementation``),
run ``python -m conformance`` and read the table; see docs/CONFORMANCE.md.

    conformance.protocol       what an implementation declares (entry point, conventions, support)
    conformance.adapters       conventions translated at the edge; ready adapters for common shapes
    conformance.discovery      impls/, --impl, $BACKPROP_IMPL, entry points, the reference formulations
    conformance.checks*        the checks, by stable id; ``run_check``
    conformance.diagnosis      where, expected vs got, the likely cause, a reproducer
    conformance.runner         ``check_implementation``; the pytest / pytest-xdist run
    conformance.tolerances     tolerances from the written error model
"""
