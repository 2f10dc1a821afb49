"""``load_vectors`` turns each JSON vector into exactly what its record says: the network,
float64 X, Y and parameters, the loss and gradients as float64 nearest to the 40-digit
decimals, and the decimal strings themselves, unchanged.

(tests/test_vectors.py checks the reference against the loaded vectors; it loads them at
import time, so this file loads them inside a test, where a broken loader shows.)
"""
import json
from fractions import Fraction

import numpy as np
import pytest

from reference import Network
from reference.vectors import CONVENTION, convention_of, load_vectors, vectors_dir


def _nearest_float(decimal: str) -> float:
    return float(Fraction(decimal))


def test_every_loaded_vector_holds_its_json_record_field_by_field():
    vectors = load_vectors()
    assert [v.id for v in vectors] == sorted(p.stem for p in vectors_dir().glob("*.json"))
    for v in vectors:
        record = json.loads(v.path.read_text(encoding="ascii"))
        assert v.path == vectors_dir() / f"{v.id}.json"
        assert (v.id, v.tags, v.description) == (record["id"], tuple(record["tags"]), record["description"])
        model = {k: x for k, x in record["network"].items() if k not in ("layer_sizes", "output")}
        assert v.net == Network(record["network"]["layer_sizes"], output=record["network"]["output"], **model)
        assert v.convention == record["convention"] == convention_of(v.net)
        assert (v.convention == CONVENTION) == v.net.is_default and (not model or not v.net.is_default)
        for got, text in ((v.X, record["X"]), (v.Y, record["Y"])):
            assert got.dtype == np.float64 and got.tolist() == [[float(s) for s in row] for row in text]
        assert len(v.params) == v.net.L
        for (W, b), p in zip(v.params, record["params"]):
            assert W.dtype == b.dtype == np.float64
            assert W.tolist() == [[float(s) for s in row] for row in p["W"]] and b.tolist() == [float(s) for s in p["b"]]
        assert v.loss_decimal == record["loss"] and v.loss == _nearest_float(record["loss"])
        assert isinstance(v.loss, float)
        for l, ((gW, gb), (sW, sb), g) in enumerate(zip(v.gradients, v.gradients_decimal, record["gradients"]), 1):
            assert gW.dtype == gb.dtype == np.float64, (v.id, l)
            assert sW.tolist() == g["W"] and sb.tolist() == g["b"], (v.id, l)
            assert gW.shape == v.net.weight_shape(l) and gb.shape == v.net.bias_shape(l), (v.id, l)
            assert gW.tolist() == [[_nearest_float(s) for s in row] for row in g["W"]], (v.id, l)
            assert gb.tolist() == [_nearest_float(s) for s in g["b"]], (v.id, l)


def test_loading_an_empty_folder_says_how_to_generate_the_vectors(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"no vectors in {tmp_path}; run: python -m reference.vectors generate"):
        load_vectors(tmp_path)
