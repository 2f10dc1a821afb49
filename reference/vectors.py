"""High-precision test vectors: generate them from the symbolic derivation, load them fast.

    python -m reference.vectors generate            # (re)write conformance/vectors/*.json
    python -m reference.vectors generate --only forum-3-4-4-2
    python -m reference.vectors check               # regenerate in memory, compare with the files
    python -m reference.vectors list

One JSON file per vector (``conformance/vectors/<id>.json``) holding the network, the
convention, X, Y and the parameters as float64 values (shortest round-trip decimal
strings, i.e. Python ``repr``: every correctly rounded parser gets the exact double back),
and the loss C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2 (or the network's own loss: its hidden and
output activations, loss, L2 term and biases are written in "network" where they are not the
documents') and every dC/dW^l, dC/db^l as decimal
strings with ``DIGITS`` = 40 significant digits.  Those digits come from
``reference.symbolic.symbolic_gradients`` at ``DPS`` = 60 digits and are written only
if an evaluation at ``DPS + 40`` digits rounds to the same 40 digits (correctly rounded
from the exact value of the derivative at the exact float64 point).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import mpmath
import numpy as np

from reference.network import Network, Params
from reference.symbolic import symbolic_gradients
from reference.vectors_catalogue import AUTOMATIC_TAGS, CATALOGUE, VectorSpec, observed_tags

__all__ = ["DIGITS", "DPS", "CONVENTION", "Vector", "vectors_dir", "convention_of", "network_record",
           "exact_decimal", "vector_record",
           "point_record", "dumps", "generate", "load_vectors", "main"]

FORMAT = "backprop-conformance/vector/1"
DIGITS = 40
DPS = 60
CONVENTION = {
    "samples": "columns: X is (n_0, N), Y is (n_L, N)",
    "W": "W^l has shape (n_l, n_{l-1}); params[l-1] = {W: W^l, b: b^l}, l = 1..L",
    "b": "b^l has shape (n_l,)",
    "forward": "z^l = W^l a^{l-1} + b^l, a^l = sigmoid(z^l) (identity at l = L if output is identity), a^0 = x",
    "loss": "mean over batch of 1/2||a-y||^2: C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2",
    "gradients": "dC/dW^l (n_l, n_{l-1}) and dC/db^l (n_l,) of that C (so averaged over the batch)",
    "float64": "X, Y, params: shortest round-trip decimal strings (Python repr) of float64 values",
    "exact": "loss, gradients: exact value at the float64 point, correctly rounded to 40 significant digits",
}


#: Network fields written into a record only where they differ from the documents' network.
MODEL_DEFAULTS = {"hidden": "sigmoid", "loss": "half_sse", "l2": 0.0, "l2_bias": False, "bias": True}


def convention_of(net: Network) -> Dict:
    """The record's convention block: ``CONVENTION`` for the documents' network, else that text for ``net``."""
    if net.is_default:
        return CONVENTION
    hidden = net.hidden + (f" (slope {net.slope!r} for z <= 0)" if net.hidden == "leaky_relu" else "")
    bias = " + b^l" if net.bias else ""
    kink = "; relu'(0) = 0, leaky_relu'(0) = slope" if net.hidden in ("relu", "leaky_relu") else ""
    per_sample = {"half_sse": "1/2 ||a^L - y||^2",
                  "binary_cross_entropy": "-sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)]",
                  "categorical_cross_entropy": "-sum_j y_j log a_j"}[net.loss]
    decay = "" if net.l2 == 0.0 else (f" + ({net.l2!r}/2) sum_l ||W^l||^2" + (" + ||b^l||^2" if net.l2_bias else ""))
    return {**CONVENTION,
            "b": "b^l has shape (n_l,)" + ("" if net.bias else "; the network has no biases: b^l = 0 is ignored, "
                                            "dC/db^l = 0"),
            "forward": f"z^l = W^l a^{{l-1}}{bias}, a^l = {hidden}(z^l) for l < L, a^L = {net.output}(z^L), "
                       f"a^0 = x{kink}",
            "loss": f"C = (1/N) sum_i C_i{decay}, C_i = {per_sample}"}


def network_record(net: Network) -> Dict:
    """{"layer_sizes", "output"} and every model field of ``net`` that is not the default."""
    record = {"layer_sizes": list(net.layer_sizes), "output": net.output}
    record.update({k: getattr(net, k) for k, v in MODEL_DEFAULTS.items() if getattr(net, k) != v})
    if net.hidden == "leaky_relu":
        record["slope"] = net.slope
    return record


def vectors_dir() -> Path:
    """``conformance/vectors``, beside ``reference/`` (in a checkout and in an installed wheel alike)."""
    return Path(__file__).resolve().parent.parent / "conformance" / "vectors"


def exact_decimal(value: mpmath.mpf, digits: int = DIGITS) -> str:
    """The exact binary value of ``value`` correctly rounded to ``digits`` significant digits.

    Written '-d.ddd...e+x' (always ``digits`` digits; zero is '0.000...e+0').
    """
    if not isinstance(value, mpmath.mpf):
        raise TypeError(f"expected an mpmath.mpf, got {type(value).__name__}")
    # (never mpmath.mpf(value): that would round it to the current working precision)
    if not mpmath.isfinite(value):
        raise ValueError(f"cannot write the non-finite value {value} as a decimal")
    if value == 0:
        return "0." + "0" * (digits - 1) + "e+0"
    sign, man, exp, _ = value._mpf_
    exact = (-1) ** sign * Fraction(int(man)) * (Fraction(2) ** int(exp))
    # precision, rounding, exponent range and traps all given: Context() copies the fields
    # left out from decimal.DefaultContext, which the calling program may have changed
    ctx = Context(prec=digits, rounding=ROUND_HALF_EVEN, Emin=MIN_EMIN, Emax=MAX_EMAX, traps=[])
    rounded = ctx.divide(Decimal(exact.numerator), Decimal(exact.denominator))
    return f"{rounded:.{digits - 1}e}"


def _floats(a: np.ndarray):
    return [_floats(row) for row in a] if a.ndim > 1 else [repr(float(v)) for v in a]


def _decimals(a: np.ndarray, digits: int):
    return [_decimals(row, digits) for row in a] if a.ndim > 1 else [exact_decimal(v, digits) for v in a]


def _checked_tags(spec: VectorSpec, X, Y, params) -> List[str]:
    seen = observed_tags(spec.net, X, Y, params)
    claimed = set(spec.tags) & AUTOMATIC_TAGS
    if not claimed <= seen:
        raise ValueError(f"vector {spec.id}: tags {sorted(claimed - seen)} do not hold at its point")
    return sorted(set(spec.tags) | seen)


def _exact(spec: VectorSpec, X, Y, params, dps: int, digits: int):
    """(loss, gradients) as decimal strings, checked stable between dps and dps + 40 digits."""
    runs = []
    for precision in (dps, dps + 40):
        C, grads = symbolic_gradients(spec.net, params, X, Y, dps=precision)
        runs.append((exact_decimal(C, digits), [(_decimals(dW, digits), _decimals(db, digits)) for dW, db in grads]))
    if runs[0] != runs[1]:
        raise RuntimeError(f"vector {spec.id}: {digits} digits differ between {dps} and {dps + 40} "
                           f"digit evaluations; raise DPS")
    return runs[0]


def point_record(spec: VectorSpec, *, dps: int = DPS, digits: int = DIGITS) -> Dict:
    """Everything of a vector's record but the loss and gradients (no derivation: milliseconds).

    Raises ValueError if a tag the spec claims does not hold at its point.
    """
    X, Y, params = spec.point()
    return {
        "format": FORMAT,
        "id": spec.id,
        "description": spec.description,
        "tags": _checked_tags(spec, X, Y, params),
        "network": network_record(spec.net),
        "convention": convention_of(spec.net),
        "generator": {"seed": spec.seed, "recipe": spec.recipe.name,
                      "dps": dps, "digits": digits, "command": "python -m reference.vectors generate"},
        "N": int(X.shape[1]),
        "X": _floats(X),
        "Y": _floats(Y),
        "params": [{"W": _floats(W), "b": _floats(b)} for W, b in params],
    }


def vector_record(spec: VectorSpec, *, dps: int = DPS, digits: int = DIGITS) -> Dict:
    """The JSON-ready record of one catalogue entry (derives and evaluates; seconds to a minute)."""
    record = point_record(spec, dps=dps, digits=digits)
    X, Y, params = spec.point()
    loss, grads = _exact(spec, X, Y, params, dps, digits)
    return {**record, "loss": loss, "gradients": [{"W": dW, "b": db} for dW, db in grads]}


def _json(value, indent: str = "") -> str:
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=True)


def dumps(record: Dict) -> str:
    """Deterministic JSON text of a record: fixed key order, one matrix row per line, final newline."""
    return _json(record) + "\n"


def _specs(ids: Optional[Sequence[str]]) -> List[VectorSpec]:
    if not ids:
        return list(CATALOGUE)
    by_id = {spec.id: spec for spec in CATALOGUE}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ValueError(f"unknown vector ids {unknown}; known: {sorted(by_id)}")
    return [by_id[i] for i in ids]


def generate(out_dir: Optional[Path] = None, ids: Optional[Sequence[str]] = None, *, log=None) -> List[Path]:
    """Write ``<id>.json`` for the chosen catalogue entries (all by default); returns the paths."""
    out = Path(out_dir) if out_dir is not None else vectors_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in _specs(ids):
        path = out / f"{spec.id}.json"
        path.write_text(dumps(vector_record(spec)), encoding="ascii")
        paths.append(path)
        if log:
            log(f"wrote {path}")
    return paths


@dataclass(frozen=True)
class Vector:
    """A loaded vector: float64 arrays for everything, plus the exact decimal strings."""

    id: str
    tags: Tuple[str, ...]
    description: str
    net: Network
    X: np.ndarray
    Y: np.ndarray
    params: Params
    loss: float
    loss_decimal: str
    gradients: Params                   # float64 nearest to the exact values
    gradients_decimal: List[Tuple[np.ndarray, np.ndarray]]   # the decimal strings, same shapes
    convention: Dict
    path: Path


def _load_one(path: Path) -> Vector:
    record = json.loads(path.read_text(encoding="ascii"))
    extra = {k: v for k, v in record["network"].items() if k not in ("layer_sizes", "output")}
    net = Network(record["network"]["layer_sizes"], output=record["network"]["output"], **extra)
    f64 = lambda a: np.array(a, dtype=np.float64)  # noqa: E731 (float() of each string: exact)
    strings = [(np.array(g["W"], dtype=str), np.array(g["b"], dtype=str)) for g in record["gradients"]]
    return Vector(
        id=record["id"], tags=tuple(record["tags"]), description=record["description"], net=net,
        X=f64(record["X"]), Y=f64(record["Y"]), params=[(f64(p["W"]), f64(p["b"])) for p in record["params"]],
        loss=float(record["loss"]), loss_decimal=record["loss"],
        gradients=[(f64(gW), f64(gb)) for gW, gb in strings], gradients_decimal=strings,
        convention=record["convention"], path=path)


def load_vectors(directory: Optional[Path] = None) -> List[Vector]:
    """Every ``*.json`` vector in ``directory`` (default ``vectors_dir()``), sorted by id."""
    folder = Path(directory) if directory is not None else vectors_dir()
    paths = sorted(folder.glob("*.json"), key=lambda p: p.stem)
    if not paths:
        raise FileNotFoundError(f"no vectors in {folder}; run: python -m reference.vectors generate")
    return [_load_one(p) for p in paths]


def check(ids: Optional[Sequence[str]] = None, directory: Optional[Path] = None) -> List[str]:
    """Ids whose file differs from a fresh generation (byte for byte); [] if none drifted."""
    folder = Path(directory) if directory is not None else vectors_dir()
    drifted = []
    for spec in _specs(ids):
        path = folder / f"{spec.id}.json"
        if not path.exists() or path.read_text(encoding="ascii") != dumps(vector_record(spec)):
            drifted.append(spec.id)
    return drifted


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.vectors", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "check"):
        p = sub.add_parser(name)
        p.add_argument("--only", nargs="+", metavar="ID", help="catalogue ids (default: all)")
        p.add_argument("--dir", type=Path, default=None, help="folder (default: conformance/vectors)")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    if args.command == "list":
        for spec in CATALOGUE:
            extra = "".join(f"{k}={v} " for k, v in network_record(spec.net).items() if k not in ("layer_sizes", "output"))
            print(f"{spec.id:34s} {list(spec.layer_sizes)!s:18s} {spec.output:8s} {extra}{spec.description}")
        return 0
    if args.command == "generate":
        generate(args.dir, args.only, log=print)
        return 0
    drifted = check(args.only, args.dir)
    print("all vectors match their derivation" if not drifted else f"drifted: {drifted}")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
