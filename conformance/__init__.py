"""Conformance suite: checks any backprop implementation against the reference.

Write an implementation file (``from conformance import implementation``), run
``backprop-conformance my_backprop.py`` and read the table; see docs/CONFORMANCE.md.

The package, by role (each layer imports only the layers above it in this list):

    conformance.dropin      what a user writes and how it is found: protocol, ready adapters,
                            translation of conventions, discovery, the reference formulations
    conformance.core        what every check uses: strategies, search, minimize, tolerances,
                            assertions, safe calls, the check context
    conformance.checks      the checks, one module per family, and their registry
    conformance.diagnosis   where, expected vs got, the likely cause, a reproducer
    conformance.run         verdicts, running (in-process or under pytest), reports, the command line

Top-level modules: ``profiles`` (Hypothesis profiles), ``testing`` (the suite's
own test subjects), ``test_implementations`` (the run as pytest tests) and
``_imports`` (this installation's own ``reference``; the module names of 0.1).

The public names below are imported on first use, so ``import conformance``
(which every drop-in does) costs nothing beyond numpy.
"""
from __future__ import annotations

import importlib

from conformance import _imports

_imports.install()

#: Public name -> the module that defines it.
_PUBLIC = {
    **{name: "conformance.dropin.protocol" for name in (
        "implementation", "Implementation", "Conventions", "Support", "KnownFailure")},
    **{name: "conformance.dropin.ready_adapters" for name in (
        "per_sample", "from_object", "forward_backward", "whole_batch", "training_step", "fit_step", "sizes_of")},
    "load_implementations": "conformance.dropin.discovery", "load_implementation": "conformance.dropin.discovery",
    "gradient_of": "conformance.dropin.adapters",
    "CHECK_IDS": "conformance.checks", "select_checks": "conformance.checks",
    "CAUSES": "conformance.diagnosis", "Diagnosis": "conformance.diagnosis",
    **{name: "conformance.run.runner" for name in ("run_check", "check_implementation", "run_in_process")},
    "run_pytest": "conformance.run.pytest_run",
    "command_implementation": "conformance.isolation.native", "discover": "conformance.isolation.discover",
    **{name: "conformance.run.point" for name in ("assert_gradient", "assert_gradients_close")},
    "parametrize_with_checks": "conformance.run.parametrize",
    **{name: "conformance.run.verdicts" for name in ("Verdict", "ImplementationReport")},
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
