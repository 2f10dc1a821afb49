"""conformance/ as role subpackages: no import cycle, imports one way down the layers, few top-level modules.

The import graph is read from the source (every ``import`` statement, also those
inside functions), so a late import cannot hide a cycle.  A package ``__init__``
that only re-exports its submodules is a node like any other; importing
``conformance.checks.registry`` is an edge to that module, not to the package.
"""
import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "conformance"

#: Subpackages, bottom first: a module may import its own layer and the layers below, never above.
LAYERS = ("dropin", "isolation", "core", "checks", "diagnosis", "run")
#: Top-level modules and the subpackages each may import ("*": any).
TOP = {"__init__": "*", "__main__": {"run"}, "_imports": set(), "profiles": set(), "testing": {"dropin"},
       "test_implementations": {"run", "checks", "dropin"}}


def module_files() -> Dict[str, Path]:
    """Dotted module name -> file, for every module of conformance/."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported_names(path: Path, name: str, is_package: bool) -> Set[str]:
    """Every module name an import statement of ``path`` names (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def import_graph() -> Dict[str, Set[str]]:
    """Module -> the modules of conformance it imports (a submodule where one is named, else the package)."""
    files = module_files()
    graph = {}
    for name, path in files.items():
        names = imported_names(path, name, path.name == "__init__.py")
        targets = {n for n in names if n in files and n != name}
        # "from conformance.checks import registry" names both the package and the submodule: keep the submodule
        targets -= {t for t in targets if any(o.startswith(t + ".") and o in names for o in targets)}
        graph[name] = targets
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def role(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_chain():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_reads_relative_and_function_level_imports(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from .sibling import x\n    import conformance.core.search\n")
    assert imported_names(path, "conformance.checks.m", False) >= {"conformance.checks.sibling",
                                                                   "conformance.core.search"}


def test_no_import_cycle_anywhere_in_conformance():
    found = cycles(import_graph())
    assert not found, "import cycles in conformance/: " + "; ".join(" <-> ".join(c) for c in found)


def test_imports_go_one_way_down_the_layers():
    wrong = []
    for module, targets in import_graph().items():
        r = role(module)
        for t in targets:
            rt = role(t)
            if r in LAYERS and rt in LAYERS and LAYERS.index(rt) > LAYERS.index(r):
                wrong.append(f"{module} ({r}) imports {t} ({rt}), a layer above it")
            if r in LAYERS and rt not in LAYERS and rt != "_imports":
                wrong.append(f"{module} imports the top-level module {t}")
            if r in TOP and TOP[r] != "*" and rt in LAYERS and rt not in TOP[r]:
                wrong.append(f"{module} imports {t}; it may import only {sorted(TOP[r])}")
    assert not wrong, "\n".join(wrong)


def test_the_checks_never_import_the_diagnosis_and_the_registry_imports_no_family():
    graph = import_graph()
    for module, targets in graph.items():
        if role(module) == "checks":
            assert not [t for t in targets if role(t) in ("diagnosis", "run")], module
    assert not [t for t in graph["conformance.checks.registry"] if t.startswith("conformance.checks.")]


def test_a_handful_of_top_level_modules_and_the_role_subpackages():
    top = sorted(p.stem for p in PKG.glob("*.py"))
    subpackages = sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").is_file())
    assert len(top) <= 8, top
    assert set(top) <= set(TOP), f"unexpected top-level modules {sorted(set(top) - set(TOP))}"
    assert subpackages == sorted(LAYERS)


@pytest.mark.parametrize("old,new", [("protocol", "dropin.protocol"), ("adapters", "dropin.adapters"),
                                     ("runner", "run"), ("checks_interface", "checks.interface"),
                                     ("causes", "diagnosis.causes"), ("report", "run.report")])
def test_the_module_names_of_the_flat_layout_still_import(old, new):
    import importlib
    assert importlib.import_module(f"conformance.{old}") is importlib.import_module(f"conformance.{new}")


def test_the_public_names_users_import_still_work():
    from conformance.protocol import Support, implementation  # every drop-in written for 0.1
    from conformance.adapters import forward_backward, per_sample, training_step
    from conformance.runner import check_implementation
    from conformance.diagnosis import CAUSES
    import conformance
    assert conformance.implementation is implementation and conformance.per_sample is per_sample
    assert conformance.check_implementation is check_implementation and "summed_not_averaged" in CAUSES
    assert callable(forward_backward) and callable(training_step) and Support().drawn().max_depth == 4
