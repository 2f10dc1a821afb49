"""The vector generator's own clauses: where the files live, how a value becomes 40
digits whatever the program's decimal settings, the stability check between two
precisions, the tag check, ASCII-only JSON, and ``generate``/``check`` defaults.

(The byte-identical regeneration of the committed files is tests/test_vectors_regenerate.py.)
"""
from __future__ import annotations

import dataclasses
import decimal
import json
import re
from pathlib import Path

import mpmath
import pytest

import conformance
import reference.vectors as vectors
from reference.vectors import DIGITS, dumps, exact_decimal, generate, main, vector_record, vectors_dir
from reference.vectors_catalogue import CATALOGUE, observed_tags

SPECS = {spec.id: spec for spec in CATALOGUE}
CHEAP = SPECS["1-1-identity"]          # derived and evaluated in a fraction of a second


def significant_digits(decimal_string: str) -> int:
    mantissa = decimal_string.lstrip("-").split("e")[0]
    return len(mantissa.replace(".", ""))


def test_vectors_dir_is_the_conformance_packages_vectors_folder():
    folder = vectors_dir()
    assert folder == Path(conformance.__file__).resolve().parent / "vectors"
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(SPECS)


def test_exact_decimal_names_the_type_or_value_it_refuses():
    with pytest.raises(TypeError, match=r"^expected an mpmath.mpf, got float$"):
        exact_decimal(0.5)
    with pytest.raises(ValueError, match=r"^cannot write the non-finite value \+inf as a decimal$"):
        exact_decimal(mpmath.inf)
    with pytest.raises(ValueError, match=r"^cannot write the non-finite value nan as a decimal$"):
        exact_decimal(mpmath.nan)


def test_exact_decimal_ignores_the_programs_decimal_default_context():
    """Rounding, exponent range and traps do not come from ``decimal.DefaultContext``."""
    values = [mpmath.mpf(2) / 3, -mpmath.mpf(2) / 3, mpmath.mpf(2) ** 400, mpmath.mpf(2) ** -400]
    expected = ["6.66666666667e-1", "-6.66666666667e-1", "2.58224987809e+120", "3.87259191485e-121"]
    assert [exact_decimal(v, 12) for v in values] == expected
    saved = decimal.DefaultContext.copy()
    try:
        decimal.DefaultContext.rounding = decimal.ROUND_DOWN
        decimal.DefaultContext.Emin, decimal.DefaultContext.Emax = -5, 5
        decimal.DefaultContext.traps[decimal.Inexact] = True
        got = [exact_decimal(v, 12) for v in values]
    finally:
        decimal.DefaultContext.rounding = saved.rounding
        decimal.DefaultContext.Emin, decimal.DefaultContext.Emax = saved.Emin, saved.Emax
        decimal.DefaultContext.traps = saved.traps
    assert got == expected


def test_a_record_has_the_digits_asked_for_in_the_loss_and_every_gradient_entry():
    record = vector_record(CHEAP, digits=12)
    strings = [record["loss"]] + [s for g in record["gradients"] for part in (g["W"], g["b"])
                                  for s in (part if isinstance(part[0], str) else sum(part, []))]
    assert {significant_digits(s) for s in strings} == {12}
    full = vector_record(CHEAP)
    assert significant_digits(full["loss"]) == DIGITS
    assert full["loss"].startswith(record["loss"][:10])


def test_digits_that_differ_between_dps_and_dps_plus_40_are_refused_naming_both_precisions():
    with pytest.raises(RuntimeError, match=r"^vector 1-1-identity: 40 digits differ between 16 and 56 "
                                           r"digit evaluations; raise DPS$"):
        vector_record(CHEAP, dps=16)


def test_claimed_tags_must_hold_at_the_point_and_may_be_all_that_holds():
    X, Y, params = CHEAP.point()
    seen = observed_tags(CHEAP.net, X, Y, params)
    exactly = dataclasses.replace(CHEAP, tags=tuple(sorted(seen)))
    assert vector_record(exactly, digits=8)["tags"] == sorted(seen)
    assert "saturated" not in seen
    wrong = dataclasses.replace(CHEAP, tags=("saturated", *sorted(seen)))
    with pytest.raises(ValueError, match=re.escape("vector 1-1-identity: tags ['saturated'] do not hold at its point")):
        vector_record(wrong, digits=8)


def test_json_text_is_ascii_with_non_ascii_characters_escaped():
    text = dumps({"description": "sigma'(z) = σ(z)(1 − σ(z))", "X": [["1.0"]]})
    assert text.isascii()
    assert "\\u03c3" in text and "\\u2212" in text
    assert json.loads(text)["description"] == "sigma'(z) = σ(z)(1 − σ(z))"


def test_no_ids_selects_the_whole_catalogue_in_order():
    assert vectors._specs(None) == list(CATALOGUE)
    assert vectors._specs([]) == list(CATALOGUE)


def test_generate_and_check_default_to_vectors_dir_and_create_missing_folders(tmp_path, monkeypatch):
    folder = tmp_path / "not" / "yet"
    monkeypatch.setattr(vectors, "vectors_dir", lambda: folder)
    assert generate(None, [CHEAP.id]) == [folder / f"{CHEAP.id}.json"]
    assert vectors.check([CHEAP.id]) == []
    assert [v.id for v in vectors.load_vectors()] == [CHEAP.id]


def test_help_texts_are_the_first_docstring_line_and_the_option_descriptions(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "generate them from the symbolic derivation, load them fast. positional arguments:" in out
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--only ID [ID ...] catalogue ids (default: all)" in out
    assert "--dir DIR folder (default: conformance/vectors)" in out


def test_a_record_names_the_precision_and_digits_it_was_made_with():
    generator = vector_record(CHEAP, dps=70, digits=12)["generator"]
    assert (generator["dps"], generator["digits"], generator["recipe"]) == (70, 12, "gaussian")
