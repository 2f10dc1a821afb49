"""pytest plugin (benchmarks/verify_mutants.sh): mutmut 3's fork-after-import model by hand.

mutmut 3 imports the project in its parent process and forks a worker per mutant, so
code that runs at import time (module-level tables) never runs mutated.  Here
MUTANT_UNDER_TEST is removed while every module of reference/ and conformance/ is
imported (so import-time code runs the ORIGINAL functions, as in mutmut's parent
process), then restored before tests are collected and run.  Test modules inside the
packages (conformance/test_implementations.py, which discovers impls/ and its optional
engines) are left to pytest.
"""
import importlib
import os
import pkgutil


def pytest_configure(config):
    name = os.environ.pop("MUTANT_UNDER_TEST", None)
    try:
        from mutmut.mutation import trampoline
        trampoline.set_mutant_under_test(None)
    except Exception:
        trampoline = None
    for pkg_name in ("reference", "conformance"):
        try:
            pkg = importlib.import_module(pkg_name)
        except Exception:
            continue
        for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
            if info.name.endswith("__main__") or info.name.rsplit(".", 1)[-1].startswith("test_"):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:
                pass
    if name is not None:
        os.environ["MUTANT_UNDER_TEST"] = name
        if trampoline is not None:
            trampoline.set_mutant_under_test(name)
