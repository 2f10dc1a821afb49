"""Finding implementations: impls/, a module or path, $BACKPROP_IMPL, entry points, the reference.

``load_implementations(target=None)`` returns a list of ``Implementation``:

* ``target`` (or, when it is None, the environment variable ``BACKPROP_IMPL``)
  is a comma-separated list of: a path to a ``.py`` file; a directory (every
  module in it); an importable module name (``mypkg.my_backprop``, including
  modules outside this repository); or an implementation name or a prefix
  ending in "." (``reference.batched_matrix``, ``doc3.``) among the defaults.
* Without a target: every module in impls/ (files starting with "_" are
  helpers), then every entry point of the group
  ``backprop_conformance.implementations`` (a module, an Implementation, a list
  of them, or a callable returning either), then the reference formulations of
  ``conformance.builtin`` (an impls/ implementation of the same name wins).

A module exposes ``IMPLEMENTATION`` or ``IMPLEMENTATIONS``; an optional module
whose dependency is missing declares an empty list and ``UNAVAILABLE`` (why),
and becomes a row whose checks are all skipped with that note.  A module that
cannot be imported or declares nothing becomes a row that fails every check
with the error (``Implementation.load_error``); it never stops discovery.
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import importlib.util
import os
import sys
import traceback
from contextlib import redirect_stdout
from pathlib import Path
from typing import Iterable, List, Optional

from conformance.protocol import Implementation

__all__ = ["ENV_VAR", "ENTRY_POINT_GROUP", "impls_dir", "load_module", "implementations_in",
           "load_implementation", "load_implementations", "broken"]

ENV_VAR = "BACKPROP_IMPL"
ENTRY_POINT_GROUP = "backprop_conformance.implementations"


def broken(name: str, source: str, message: str) -> Implementation:
    """A placeholder row for something that failed to load: every check fails with ``message``."""
    return Implementation(name=name, source=source, load_error=message, description="failed to load")


def impls_dir() -> Path:
    """The impls/ directory: the ``impls`` package if importable, else next to ``conformance``."""
    try:
        import impls
        return Path(list(impls.__path__)[0])
    except ImportError:
        return Path(__file__).resolve().parent.parent / "impls"


def _short_error(exc: BaseException) -> str:
    tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{tail}{where}"


def load_module(source: str):
    """Import ``source``: a path to a .py file or an importable module name."""
    path = Path(source)
    if source.endswith(".py") or path.is_file():
        path = path.resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {source}")
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        mod_name = f"conformance_dropin_{path.stem}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(source)


def implementations_in(module, source: str) -> List[Implementation]:
    """The Implementations a module declares, each with ``source`` recorded for reproducers."""
    declared = getattr(module, "IMPLEMENTATIONS", None)
    if not declared and getattr(module, "UNAVAILABLE", None):
        name = source.rsplit("/", 1)[-1].removesuffix(".py").removeprefix("impls.")
        return [Implementation(name=name, source=source, unavailable=str(module.UNAVAILABLE),
                               description="optional, not available here")]
    if declared is None:
        one = getattr(module, "IMPLEMENTATION", None)
        declared = [] if one is None else [one]
        if one is None:
            raise LookupError(f"module {source} declares neither IMPLEMENTATION nor IMPLEMENTATIONS")
    out = []
    for impl in declared:
        if not isinstance(impl, Implementation):
            raise TypeError(f"module {source}: {impl!r:.60} is not a conformance.protocol.Implementation")
        out.append(dataclasses.replace(impl, source=source))
    return out


def _from_source(source: str) -> List[Implementation]:
    try:
        with redirect_stdout(io.StringIO()):  # a module that prints on import must not garble the table
            module = load_module(source)
        return implementations_in(module, source)
    except Exception as exc:  # any failure to load is a row, not a crash
        return [broken(source, source, f"could not load {source}: {_short_error(exc)}")]


def _impls_modules() -> List[str]:
    folder = impls_dir()
    if not folder.is_dir():
        return []
    try:
        import impls  # noqa: F401 - importable as a package: use module names
        return [f"impls.{p.stem}" for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")]
    except ImportError:
        return [str(p) for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")]


def _entry_points() -> List[Implementation]:
    from importlib.metadata import entry_points
    out = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
            obj = obj() if callable(obj) and not isinstance(obj, Implementation) else obj
            if isinstance(obj, Implementation):
                obj = [obj]
            elif hasattr(obj, "__name__") and not isinstance(obj, (list, tuple)):
                obj = implementations_in(obj, ep.value)
            out += [dataclasses.replace(i, source=i.source or ep.value.split(":")[0]) for i in obj]
        except Exception as exc:
            out.append(broken(f"entry point {ep.name}", ep.value, f"could not load {ep.value}: {_short_error(exc)}"))
    return out


def _dedupe(impls: Iterable[Implementation]) -> List[Implementation]:
    seen, out = {}, []
    for impl in impls:
        if impl.name in seen:
            if seen[impl.name] == "conformance.builtin" or impl.source == "conformance.builtin":
                continue  # a drop-in of the same name replaces the builtin reference formulation
            impl = broken(f"{impl.name} [duplicate from {impl.source}]", impl.source,
                          f"implementation name {impl.name!r} is also declared by {seen[impl.name]}")
        seen[impl.name] = impl.source
        out.append(impl)
    return out


def _defaults() -> List[Implementation]:
    from conformance import builtin
    found = [impl for source in _impls_modules() for impl in _from_source(source)]
    return _dedupe(found + _entry_points() + [dataclasses.replace(i, source="conformance.builtin")
                                               for i in builtin.IMPLEMENTATIONS])


def _resolve(target: str, defaults: Optional[List[Implementation]]) -> List[Implementation]:
    path = Path(target)
    if path.is_dir():
        return [i for p in sorted(path.glob("*.py")) if not p.stem.startswith("_") for i in _from_source(str(p))]
    if target.endswith(".py") or path.is_file():
        return _from_source(target)
    try:
        module = load_module(target)
    except ImportError:
        module = None
    except Exception as exc:
        return [broken(target, target, f"could not load {target}: {_short_error(exc)}")]
    if module is not None and (hasattr(module, "IMPLEMENTATION") or hasattr(module, "IMPLEMENTATIONS")):
        return _from_source(target)
    defaults = _defaults() if defaults is None else defaults
    named = [i for i in defaults if i.name == target or (target.endswith(".") and i.name.startswith(target))]
    if named:
        return named
    what = f"module {target} declares neither IMPLEMENTATION nor IMPLEMENTATIONS" if module is not None else \
        f"no file, module or implementation named {target!r}"
    return [broken(target, target, what)]


def load_implementations(target: Optional[str] = None) -> List[Implementation]:
    """Implementations for ``target`` (see the module docstring); the defaults when it is None or ""."""
    target = target if target is not None else os.environ.get(ENV_VAR, "")
    parts = [t.strip() for t in target.split(",") if t.strip()]
    if not parts:
        return _defaults()
    defaults = None
    out = []
    for part in parts:
        out += _resolve(part, defaults)
    return _dedupe(out)


def load_implementation(source: str, name: str) -> Implementation:
    """The implementation called ``name`` declared by ``source`` (a module name or a file path)."""
    for impl in _from_source(source):
        if impl.load_error:
            raise ImportError(impl.load_error)
        if impl.name == name:
            return impl
    raise LookupError(f"{source} declares no implementation named {name!r}")
