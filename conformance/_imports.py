"""Which code an import gets: this installation's own ``reference``, and the module names of earlier releases.

Two import hooks, installed once by ``conformance/__init__.py``:

* **Own packages.**  The checker imports the reference by its top-level name,
  ``reference``.  Run inside a user's repository that has a ``reference/``
  package of its own, the current folder comes first on ``sys.path`` and that
  package would be imported instead.  ``OwnPackages`` resolves the top-level
  name ``reference`` to the copy installed beside this ``conformance`` package,
  whatever the path order (its submodules follow through the package's
  ``__path__``).  It is not installed in a worker that runs user code
  (``BACKPROP_CONFORMANCE_ROLE=worker``): there the user's own ``reference``
  wins, as it would without the suite; a worker that loads the suite's own
  shipped code (the examples, the reference formulations) switches it on
  first (``own_packages``).
* **Moved modules.**  conformance/ was flat before 0.2; ``MOVED`` maps every
  earlier module name to its new home, so ``from conformance.protocol import
  implementation`` (every drop-in written before) and
  ``conformance.runner.check_implementation`` keep working.

Nothing here imports the reference or numpy: installing the hooks is free.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path
from typing import Dict, Optional

__all__ = ["ROOT", "ROLE_VAR", "MOVED", "OwnPackages", "MovedModules", "install", "own_packages", "own_root",
           "is_own"]

#: The folder holding this installation's ``conformance``, ``reference`` and (in the source tree) ``impls``.
ROOT = Path(__file__).resolve().parent.parent
#: Set to "worker" in a process that loads user code: the user's own top-level packages must win there.
ROLE_VAR = "BACKPROP_CONFORMANCE_ROLE"
#: Top-level packages of this project that the checker must import from ROOT.
OWN = ("reference",)

#: Module names of the flat layout (0.1) -> where they live now.
MOVED: Dict[str, str] = {
    "protocol": "conformance.dropin.protocol", "ready_adapters": "conformance.dropin.ready_adapters",
    "adapters": "conformance.dropin.adapters", "discovery": "conformance.dropin.discovery",
    "builtin": "conformance.dropin.builtin",
    "calls": "conformance.core.calls", "context": "conformance.core.context",
    "strategies": "conformance.core.strategies", "search": "conformance.core.search",
    "minimize": "conformance.core.minimize", "tolerances": "conformance.core.tolerances",
    "assertions": "conformance.core.assertions",
    "checks_interface": "conformance.checks.interface", "checks_reference": "conformance.checks.agreement",
    "checks_fd": "conformance.checks.finite_differences", "checks_properties": "conformance.checks.properties",
    "checks_documents": "conformance.checks.documents", "documents_plan": "conformance.checks.documents_plan",
    "causes": "conformance.diagnosis.causes", "factors": "conformance.diagnosis.factors",
    "variants": "conformance.diagnosis.variants", "probes": "conformance.diagnosis.probes",
    "hypotheses": "conformance.diagnosis.hypotheses", "reproducer": "conformance.diagnosis.reproducer",
    "report": "conformance.run.report", "runner": "conformance.run",
}


def own_root() -> Path:
    """The folder this installation's top-level packages live in."""
    return ROOT


def is_own(module) -> bool:
    """True when ``module`` was loaded from this installation (ROOT)."""
    f = getattr(module, "__file__", None)
    return f is not None and Path(f).resolve().is_relative_to(ROOT)


class OwnPackages(importlib.abc.MetaPathFinder):
    """Resolves the top-level names in ``OWN`` to their folders under ROOT, ahead of ``sys.path``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in OWN:
            return None
        init = ROOT / fullname / "__init__.py"
        if not init.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(init.parent)])


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``conformance.<old name>`` is the module it moved to (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        head, _, tail = fullname.partition(".")
        if head == "conformance" and tail in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name.partition(".")[2]])

    def exec_module(self, module):  # the target module is already executed
        return None


def _foreign(name: str) -> Optional[str]:
    module = sys.modules.get(name)
    if module is None or is_own(module):
        return None
    return getattr(module, "__file__", None) or repr(module)


def install() -> None:
    """Install both hooks once; refuse clearly when a foreign ``reference`` is already imported."""
    if not any(isinstance(f, MovedModules) for f in sys.meta_path):
        sys.meta_path.append(MovedModules())
    if os.environ.get(ROLE_VAR) == "worker" or any(isinstance(f, OwnPackages) for f in sys.meta_path):
        return
    for name in OWN:
        where = _foreign(name)
        if where is not None and (ROOT / name / "__init__.py").is_file():
            raise ImportError(f"a package named {name!r} was imported from {where} before the conformance suite, "
                              f"which needs its own ({ROOT / name}); import conformance first, or run the suite "
                              f"as `backprop-conformance`")
    sys.meta_path.insert(0, OwnPackages())


def own_packages() -> None:
    """Put the own-package hook first (once): a worker does so before it loads the suite's shipped code."""
    if not any(isinstance(f, OwnPackages) for f in sys.meta_path):
        sys.meta_path.insert(0, OwnPackages())
