"""Finding implementations: files, folders, modules, names, $BACKPROP_IMPL, entry points, the shipped examples.

``load_implementations(target=None)`` returns a list of ``Implementation``:

* ``target`` (or, when it is None, the environment variable ``BACKPROP_IMPL``)
  is a comma-separated list of: a path to a ``.py`` file; a folder (every
  module in it; files starting with "_" are helpers); an importable module name
  (``mypkg.my_backprop``, resolved from the current folder first, the same way
  whether the suite runs as ``python -m conformance`` or as the console
  script); ``@examples`` (every shipped example and the reference
  formulations); or the name of a shipped implementation, or a prefix of names
  ending in "." (``reference.batched_matrix``, ``doc3.``); or ``SOURCE::NAME``, one
  implementation of a file or module that declares several.; ``@entry-point:NAME``
  names one entry point of the group below (how a worker process loads one).
* Without a target: every entry point of the group
  ``backprop_conformance.implementations`` (a module, an Implementation, a list
  of them, or a callable returning either); inside this project's own source
  tree also ``@examples``.  Outside it the shipped examples run only when named:
  a user's run never checks them by mistake.

The shipped examples (impls/ of the source tree; ``backprop_conformance/examples``
of an installed wheel) are loaded by path under the private package name
``EXAMPLES_PACKAGE``, so a user's own ``impls`` package is never hidden by them.

In a worker process (``conformance.isolation``: BACKPROP_CONFORMANCE_ROLE=worker) the
user's own top-level ``reference`` wins; loading the shipped examples or the reference
formulations there switches this installation's own on first (``_imports.own_packages``).
The checker itself never calls this module on user code unless asked to run ``--in-process``:
``conformance.isolation.discover`` runs it in worker processes.

A module exposes ``IMPLEMENTATION`` or ``IMPLEMENTATIONS``; an optional module
whose dependency is missing declares an empty list and ``UNAVAILABLE`` (why),
and becomes a row whose checks are all skipped with that note.  A module that
cannot be imported or declares nothing becomes a row that fails every check
with the error (``Implementation.load_error``); it never stops discovery.
``load_errors(target)`` lists the named targets that could not be loaded (the
command line refuses those with exit status 2).
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import importlib.util
import os
import sys
import traceback
import zlib
from contextlib import redirect_stdout
from pathlib import Path
from typing import Iterable, List, Optional

from conformance._imports import ROOT, own_packages
from conformance.dropin.protocol import Implementation

__all__ = ["ENV_VAR", "ENTRY_POINT_GROUP", "EXAMPLES", "EXAMPLES_PACKAGE", "ENTRY_POINT", "BUILTIN",
           "examples_dir", "impls_dir", "in_source_tree", "load_module", "implementations_in", "load_implementation",
           "load_implementations", "load_errors", "registered", "entry_point_names", "broken", "target_parts",
           "modules_in", "dedupe", "from_source"]

ENV_VAR = "BACKPROP_IMPL"
ENTRY_POINT_GROUP = "backprop_conformance.implementations"
#: The target naming every shipped example and the reference formulations.
EXAMPLES = "@examples"
#: The private package name the shipped examples are imported under (never ``impls``: that name is the user's).
EXAMPLES_PACKAGE = "backprop_conformance_examples"
#: ``ENTRY_POINT + name``: the target naming one entry point of ENTRY_POINT_GROUP.
ENTRY_POINT = "@entry-point:"
#: The module of the reference formulations (``conformance.dropin.builtin``), as the rows name their source.
BUILTIN = "conformance.builtin"


def broken(name: str, source: str, message: str) -> Implementation:
    """A placeholder row for something that failed to load: every check fails with ``message``."""
    return Implementation(name=name, source=source, load_error=message, description="failed to load")


def examples_dir() -> Path:
    """The shipped examples: impls/ of the source tree, or backprop_conformance/examples of a wheel."""
    source = ROOT / "impls"
    if (source / "__init__.py").is_file():
        return source
    return ROOT / "backprop_conformance" / "examples"


impls_dir = examples_dir  # the name of 0.1


def in_source_tree(cwd: Optional[Path] = None) -> bool:
    """True when ``cwd`` (default: the current folder) lies inside this project's own source checkout."""
    if not ((ROOT / "pyproject.toml").is_file() and (ROOT / "impls" / "__init__.py").is_file()):
        return False
    here = Path(cwd or os.getcwd()).resolve()
    return here == ROOT or ROOT in here.parents


def _short_error(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return str(exc)
    tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{tail}{where}"


def _on_path(folder: Path) -> None:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def _current_folder_first() -> None:
    """Module names resolve from the current folder, as ``python -m`` does (the console script does not)."""
    if "" not in sys.path:
        _on_path(Path(os.getcwd()).resolve())


def _examples_package():
    pkg = sys.modules.get(EXAMPLES_PACKAGE)
    if pkg is None:
        own_packages()  # the shipped examples import this installation's reference
        folder = examples_dir()
        spec = importlib.util.spec_from_file_location(EXAMPLES_PACKAGE, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[EXAMPLES_PACKAGE] = pkg
        spec.loader.exec_module(pkg)
    return pkg


def _package_name(path: Path) -> Optional[str]:
    """The dotted name of a file inside a package folder (``impls.mine``), when that name is free to use."""
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return None
    top = sys.modules.get(parts[0])
    if top is not None and Path(folder / parts[0]).resolve() not in [Path(p).resolve() for p in getattr(top, "__path__", [])]:
        return None  # the top-level name belongs to another package here (e.g. the suite's own reference)
    _on_path(folder)
    return ".".join(parts)


def load_module(source: str):
    """Import ``source``: a path to a .py file or an importable module name."""
    path = Path(source)
    if source.endswith(".py") or path.is_file():
        path = path.resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        if path.parent == examples_dir().resolve():
            _examples_package()
            return importlib.import_module(f"{EXAMPLES_PACKAGE}.{path.stem}")
        _current_folder_first()
        dotted = _package_name(path)
        if dotted is not None:
            return importlib.import_module(dotted)
        _on_path(path.parent)
        mod_name = f"conformance_dropin_{path.stem}_{zlib.crc32(str(path).encode()):08x}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(mod_name, None)
            raise
        return module
    if source == BUILTIN or source.startswith("conformance."):
        own_packages()  # the suite's own modules import this installation's reference
    _current_folder_first()
    return importlib.import_module(source)


def implementations_in(module, source: str) -> List[Implementation]:
    """The Implementations a module declares, each with ``source`` recorded for reproducers."""
    declared = getattr(module, "IMPLEMENTATIONS", None)
    if not declared and getattr(module, "UNAVAILABLE", None):
        name = Path(source).stem if source.endswith(".py") else source.rsplit(".", 1)[-1]
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
            raise TypeError(f"module {source}: {impl!r:.60} is not a conformance Implementation "
                            f"(declare it with conformance.implementation(...))")
        out.append(dataclasses.replace(impl, source=source))
    return out


def from_source(source: str) -> List[Implementation]:
    """The rows one module declares (a failed load is one broken row, never an exception)."""
    try:
        with redirect_stdout(io.StringIO()):  # a module that prints on import must not garble the table
            module = load_module(source)
        return implementations_in(module, source)
    except Exception as exc:  # any failure to load is a row, not a crash
        return [broken(source, source, f"could not load {source}: {_short_error(exc)}")]


def modules_in(folder: Path) -> List[str]:
    """Absolute paths of the implementation modules in ``folder`` (helpers starting with "_" left out)."""
    return [str(p.resolve()) for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")]


def entry_point_names() -> List[str]:
    """The names registered in ``ENTRY_POINT_GROUP`` (read from the metadata: nothing is imported)."""
    from importlib.metadata import entry_points
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def registered(only: Optional[str] = None) -> List[Implementation]:
    """The implementations registered through the entry point group ``ENTRY_POINT_GROUP`` (``only``: one name)."""
    from importlib.metadata import entry_points
    out = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if only is not None and ep.name != only:
            continue
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


def dedupe(impls: Iterable[Implementation]) -> List[Implementation]:
    """Rows in order, a later row of a name already seen a broken row (a drop-in replaces a builtin)."""
    seen, out = {}, []
    for impl in impls:
        if impl.name in seen:
            if seen[impl.name] == BUILTIN or impl.source == BUILTIN:
                continue  # a drop-in of the same name replaces the builtin reference formulation
            impl = broken(f"{impl.name} [duplicate from {impl.source}]", impl.source,
                          f"implementation name {impl.name!r} is also declared by {seen[impl.name]}")
        seen[impl.name] = impl.source
        out.append(impl)
    return out


def _examples() -> List[Implementation]:
    """Every shipped example, then the reference formulations (``conformance.dropin.builtin``)."""
    found = [impl for source in modules_in(examples_dir()) for impl in from_source(source)]
    own_packages()
    from conformance.dropin import builtin
    return found + [dataclasses.replace(i, source=BUILTIN) for i in builtin.IMPLEMENTATIONS]


def _defaults() -> List[Implementation]:
    if in_source_tree():
        return dedupe(_examples() + registered())
    return dedupe(registered())


def _resolve(target: str) -> List[Implementation]:
    if target == EXAMPLES:
        return _examples()
    if target.startswith(ENTRY_POINT):
        return registered(only=target[len(ENTRY_POINT):]) or [broken(target, target, f"no entry point named "
                                                                     f"{target[len(ENTRY_POINT):]!r} in {ENTRY_POINT_GROUP}")]
    if "::" in target:  # source::name, the form a reproducer's rerun command uses
        source, name = target.rsplit("::", 1)
        rows = _resolve(source)
        picked = [i for i in rows if i.load_error or i.name == name or (name.endswith(".") and i.name.startswith(name))]
        return picked or [broken(target, source, f"{source} declares no implementation named {name!r}; it declares "
                                                  f"{[i.name for i in rows]}")]
    path = Path(target)
    if path.is_dir():
        return [i for p in modules_in(path) for i in from_source(p)]
    if target.endswith(".py") or path.is_file():
        return from_source(target)
    try:
        module = load_module(target)
    except ImportError as exc:
        module, missing = None, exc
    except Exception as exc:
        return [broken(target, target, f"could not load {target}: {_short_error(exc)}")]
    if module is not None and (hasattr(module, "IMPLEMENTATION") or hasattr(module, "IMPLEMENTATIONS")):
        return from_source(target)
    named = [i for i in dedupe(_examples()) if i.name == target or (target.endswith(".") and i.name.startswith(target))]
    if named:
        return named
    if module is not None:
        what = f"module {target} declares neither IMPLEMENTATION nor IMPLEMENTATIONS"
    elif getattr(missing, "name", None) not in (None, target, target.split(".")[0]):
        what = f"could not load {target}: {_short_error(missing)}"
    else:
        what = f"no file, module or implementation named {target!r}"
    return [broken(target, target, what)]


def target_parts(target: Optional[str]) -> List[str]:
    """The comma-separated parts of ``target`` (default: $BACKPROP_IMPL)."""
    target = target if target is not None else os.environ.get(ENV_VAR, "")
    return [t.strip() for t in target.split(",") if t.strip()]


def load_implementations(target: Optional[str] = None) -> List[Implementation]:
    """Implementations for ``target`` (see the module docstring); the defaults when it is None or ""."""
    parts = target_parts(target)
    if not parts:
        return _defaults()
    return dedupe([impl for part in parts for impl in _resolve(part)])


def load_errors(target: Optional[str] = None, impls: Optional[List[Implementation]] = None) -> List[str]:
    """One line per named file or module of ``target`` that could not be loaded (or does not exist).

    Modules found inside a named folder are not listed: a broken one is a failed row of the run.
    """
    parts = target_parts(target)
    impls = load_implementations(target) if impls is None else impls
    named = set(parts) | {part.rsplit("::", 1)[0] for part in parts}
    return [impl.load_error for impl in impls if impl.load_error and impl.source in named
            and not Path(impl.source).is_dir() and "also declared by" not in impl.load_error]


def load_implementation(source: str, name: str) -> Implementation:
    """The implementation called ``name`` declared by ``source`` (a module name or a file path)."""
    for impl in from_source(source):
        if impl.load_error:
            raise ImportError(impl.load_error)
        if impl.name == name:
            return impl
    raise LookupError(f"{source} declares no implementation named {name!r}")
