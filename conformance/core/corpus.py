"""The failure corpus: shrunk failing examples stored exactly, to replay first after a fix.

``--save-failures DIR`` writes one JSON file per failing (implementation, check):
``DIR/<implementation>/<check>.json`` with the implementation's name and source, the check,
the run's seed and profile, the cause found and the example exactly: a ``Problem`` (layer sizes,
output, params, X, Y as lists of floats, whose ``repr`` round-trips through JSON bit for bit),
or the tuple a check's body takes (a problem and the permutation or layer it drew).
``--replay DIR`` runs every saved example of the implementations and checks of the run first:
``searched`` calls the check's body on each before any Hypothesis example, and records per file
"still failing" or "now passes" (a saved example that still fails fails the check at once).
A known failure can pin its counterexample (``KnownFailure(check, reason, counterexample=FILE)``):
it is replayed the same way.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, List, Optional

import numpy as np

from conformance.core.strategies import Problem
from reference.network import Network

__all__ = ["encode_example", "decode_example", "entry_path", "save_entry", "load_entries", "load_entry",
           "REPLAY_VAR"]

#: The environment variable naming the corpus to replay (it reaches pytest-xdist workers).
REPLAY_VAR = "CONFORMANCE_REPLAY"


def _problem_json(p: Problem) -> dict:
    return {"problem": {"layer_sizes": list(p.net.layer_sizes), "output": p.net.output,
                        "params": [[np.asarray(W, dtype=np.float64).tolist(), np.asarray(b, dtype=np.float64).tolist()]
                                   for W, b in p.params],
                        "X": np.asarray(p.X, dtype=np.float64).tolist(), "Y": np.asarray(p.Y, dtype=np.float64).tolist()}}


def encode_example(example: Any) -> Optional[Any]:
    """A JSON-ready form of what a check's body took (a Problem, or a tuple of a Problem and ints), or None."""
    if isinstance(example, Problem):
        return _problem_json(example)
    if isinstance(example, tuple) and not isinstance(example, Problem):
        parts = [encode_example(x) for x in example]
        return None if any(p is None for p in parts) else {"tuple": parts}
    if isinstance(example, (int, np.integer)):
        return {"int": int(example)}
    if isinstance(example, (list, tuple)) and all(isinstance(x, (int, np.integer)) for x in example):
        return {"ints": [int(x) for x in example]}
    return None


def decode_example(data: Any) -> Any:
    """The inverse of ``encode_example``."""
    if "problem" in data:
        d = data["problem"]
        net = Network(d["layer_sizes"], output=d.get("output", "sigmoid"))
        params = [(np.array(W, dtype=np.float64).reshape(net.weight_shape(l)),
                   np.array(b, dtype=np.float64).reshape(net.bias_shape(l))) for l, (W, b) in enumerate(d["params"], 1)]
        X = np.array(d["X"], dtype=np.float64).reshape(net.n(0), -1)
        return Problem(net, params, X, np.array(d["Y"], dtype=np.float64).reshape(net.n(net.L), -1))
    if "tuple" in data:
        return tuple(decode_example(x) for x in data["tuple"])
    if "int" in data:
        return data["int"]
    return tuple(data["ints"])


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def entry_path(folder, impl_name: str, check: str) -> Path:
    return Path(folder) / _safe(impl_name) / f"{_safe(check)}.json"


def save_entry(folder, *, impl_name: str, source: str, check: str, example: Any, seed: int, profile: str,
               cause: Optional[str] = None, status: str = "fail") -> Optional[Path]:
    """Store one failing example exactly; None when the example cannot be stored (too exotic)."""
    encoded = encode_example(example)
    if encoded is None:
        return None
    path = entry_path(folder, impl_name, check)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"implementation": impl_name, "source": source, "check": check, "seed": seed,
                                "profile": profile, "status": status, "cause": cause,
                                "saved": time.strftime("%Y-%m-%d %H:%M:%S"), "example": encoded}, indent=1))
    return path


def load_entry(path) -> dict:
    """One saved entry, its example decoded (``entry["example"]``) and its file named (``entry["file"]``)."""
    data = json.loads(Path(path).read_text())
    data["example"] = decode_example(data["example"])
    data["file"] = str(path)
    return data


def load_entries(folder, impl_name: str, check: str) -> List[dict]:
    """The entries saved for (impl_name, check) in ``folder`` ([] when there are none)."""
    path = entry_path(folder, impl_name, check)
    return [load_entry(path)] if path.is_file() else []
