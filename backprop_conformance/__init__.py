"""The collision-proof entry to the conformance suite.

``backprop-conformance`` (the console script), ``python -m backprop_conformance``
and the pytest plugin start here.  A user's repository may have folders named
``conformance``, ``reference`` or ``impls`` of its own, and the current folder
comes first on ``sys.path`` under ``python -m``: ``own_conformance()`` imports
this installation's ``conformance`` package from beside this one, whatever the
path order, and ``conformance`` then resolves its own ``reference`` the same way
(``conformance._imports``).  In a wheel, the shipped examples live in
``backprop_conformance/examples`` (the ``impls/`` folder of the source tree).

In such a repository a test module imports the suite's helpers from here:
``from backprop_conformance import parametrize_with_checks`` (also ``implementation``,
``assert_gradient``, ``assert_gradients_close``): the same objects as ``conformance``'s.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

__all__ = ["ROOT", "own_conformance", "parametrize_with_checks", "implementation", "assert_gradient",
           "assert_gradients_close"]

#: Names of the suite's public API re-exported here (through ``own_conformance``).
_FORWARDED = ("parametrize_with_checks", "implementation", "assert_gradient", "assert_gradients_close")

#: The folder holding this installation's top-level packages.
ROOT = Path(__file__).resolve().parent.parent


def own_conformance():
    """This installation's ``conformance`` package (imported from ROOT if no conformance is imported yet)."""
    init = ROOT / "conformance" / "__init__.py"
    module = sys.modules.get("conformance")
    if module is not None:
        where = Path(getattr(module, "__file__", "") or "").resolve()
        if where != init.resolve():
            raise ImportError(f"a package named 'conformance' was imported from {where} before the conformance "
                              f"suite's own ({init}); run `backprop-conformance` from a fresh interpreter")
        return module
    spec = importlib.util.spec_from_file_location("conformance", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["conformance"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop("conformance", None)
        raise
    return module


def __getattr__(name: str):
    if name in _FORWARDED:
        return getattr(own_conformance(), name)
    raise AttributeError(f"module 'backprop_conformance' has no attribute {name!r}")
