"""The pytest plugin (entry point ``pytest11``): the conformance run inside a user's own pytest session.

    pytest --bp-impl impls/my_backprop.py                 one item per (implementation, check)
    pytest --bp-impl a.py --bp-impl b.py --bp-profile thorough --bp-seed 3 -n 2
    pytest --bp-impl mine.py --bp-known-failures known.json --bp-checks reference.,interface.
    pytest --bp-impl submissions/ --bp-strict              grading: only the caller's known failures

Each implementation runs in a worker process of its own, as on the command line.

Without ``--bp-impl`` the plugin only adds its report-header line when conformance settings
are present in the environment, and costs nothing else: it imports the suite only when asked.
The defaults are the command line's (profile ci, seed 0). The items are those of
``conformance/test_implementations.py`` (the same module ``backprop-conformance`` runs), so
verdicts, ids (``impl::check``), known-failure marks and failure texts are the command line's.
"""
from __future__ import annotations

import os

__all__ = ["pytest_addoption", "pytest_configure", "pytest_report_header", "SETTINGS_VARS"]

#: Environment variables the conformance run reads (shown in the report header when set).
SETTINGS_VARS = ("BACKPROP_IMPL", "BACKPROP_IMPL_CMD", "BACKPROP_IMPL_CONVENTIONS", "CONFORMANCE_PROFILE",
                 "CONFORMANCE_SEED", "CONFORMANCE_CHECKS", "CONFORMANCE_TIME_LIMIT", "CONFORMANCE_ISOLATION",
                 "CONFORMANCE_STRICT", "CONFORMANCE_KNOWN_FAILURES", "CONFORMANCE_MEMORY_LIMIT",
                 "CONFORMANCE_IMPL_TIME_LIMIT", "CONFORMANCE_REPLAY", "HYPOTHESIS_PROFILE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pytest_addoption(parser):
    group = parser.getgroup("backprop-conformance", "backprop conformance checks of your implementations")
    group.addoption("--bp-impl", action="append", default=None, metavar="IMPL",
                    help="a .py file, folder, module or implementation name to check (repeatable)")
    group.addoption("--bp-profile", default=None, choices=("dev", "ci", "thorough"),
                    help="example budgets (default: $CONFORMANCE_PROFILE, else ci, as the command line)")
    group.addoption("--bp-seed", type=int, default=None, help="seed of the drawn examples (default 0)")
    group.addoption("--bp-checks", default=None, help="comma-separated check ids or families (default: all)")
    group.addoption("--bp-known-failures", default=None, metavar="FILE",
                    help="the caller's known failures: {implementation name: {check id: reason}} (JSON or TOML)")
    group.addoption("--bp-strict", action="store_true", default=False,
                    help="grading: ignore the known failures implementations declare themselves")


def _opt(config, name):
    return config.getoption(name, default=None)


def pytest_configure(config):
    """With --bp-impl: the settings go to the environment (xdist workers read them) and the suite's test
    module joins the collection."""
    impls = _opt(config, "bp_impl")
    if not impls:
        return
    from backprop_conformance import own_conformance
    own_conformance()
    from conformance.run.pytest_run import TEST_MODULE
    settings = {"BACKPROP_IMPL": ",".join(impls), "CONFORMANCE_PROFILE": _opt(config, "bp_profile") or
                os.environ.get("CONFORMANCE_PROFILE") or "ci",
                "CONFORMANCE_SEED": str(_opt(config, "bp_seed") if _opt(config, "bp_seed") is not None else
                                        os.environ.get("CONFORMANCE_SEED", "0"))}
    if _opt(config, "bp_checks"):
        settings["CONFORMANCE_CHECKS"] = _opt(config, "bp_checks")
    if _opt(config, "bp_known_failures"):
        settings["CONFORMANCE_KNOWN_FAILURES"] = os.path.abspath(_opt(config, "bp_known_failures"))
    if _opt(config, "bp_strict"):
        settings["CONFORMANCE_STRICT"] = "1"
    os.environ.update(settings)
    if str(TEST_MODULE) not in config.args:
        config.args.append(str(TEST_MODULE))


def pytest_report_header(config):
    """Version, profile, seed, the implementations and every relevant environment variable."""
    if not (_opt(config, "bp_impl") or any(os.environ.get(v) for v in ("BACKPROP_IMPL", "CONFORMANCE_PROFILE"))):
        return None
    try:
        from importlib.metadata import version
        v = version("backprop-conformance")
    except Exception:
        v = "(not installed)"
    env = ", ".join(f"{k}={os.environ[k]}" for k in SETTINGS_VARS if os.environ.get(k))
    profile = os.environ.get("CONFORMANCE_PROFILE") or os.environ.get("HYPOTHESIS_PROFILE") or "ci"
    return [f"backprop-conformance {v}: profile {profile}, seed {os.environ.get('CONFORMANCE_SEED', '0')}, "
            f"implementations {os.environ.get('BACKPROP_IMPL') or '(the defaults)'}",
            f"backprop-conformance environment: {env or '(none set)'}"]
