"""The vector files cannot drift: regenerating them gives the same bytes.

A sample of cheap vectors is regenerated in the default run (every architecture but
[2,16,8,4,1], whose derivation takes about 40 s); the slow test regenerates them all,
as does ``python -m reference.vectors check``.  Every file's point, tags and metadata
(all but the derived loss and gradients) are rebuilt from its recipe in the default run.
"""
from __future__ import annotations

import json
import shutil

import mpmath
import pytest

from reference.vectors import (check, dumps, exact_decimal, generate, load_vectors, main, point_record,
                               vector_record, vectors_dir)
from reference.vectors_catalogue import CATALOGUE

SPECS = {spec.id: spec for spec in CATALOGUE}
SAMPLE = ["or-2-1-doc1-trained", "xnor-2-2-1-doc1-trained", "2-2-1-z-above-40", "xor-2-4-3-1-saturated",
          "ring-2-3-3-1-doc3-init", "toy-1-3-2-1", "forum-3-4-4-2", "3-4-4-2-identity-z-above-800",
          "1-1-z-above-800", "1-1-1-1-z-above-800"]


def first_difference(a: str, b: str) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), start=1):
        if x != y:
            return f"line {n}: file {x.strip()!r} vs regenerated {y.strip()!r}"
    return "lengths differ"


def assert_regenerates(vid):
    text = (vectors_dir() / f"{vid}.json").read_text(encoding="ascii")
    fresh = dumps(vector_record(SPECS[vid]))
    assert text == fresh, f"{vid} drifted from its derivation: {first_difference(text, fresh)}"


@pytest.mark.parametrize("vid", sorted(SPECS))
def test_every_vector_files_point_tags_and_metadata_are_rebuilt_by_its_recipe(vid):
    """The cheap half of regeneration, for all 26 files: no derivation, only the recipe."""
    record = json.loads((vectors_dir() / f"{vid}.json").read_text(encoding="ascii"))
    del record["loss"], record["gradients"]
    assert record == point_record(SPECS[vid])


@pytest.mark.parametrize("vid", SAMPLE)
def test_vector_file_is_byte_identical_to_a_fresh_derivation(vid):
    assert_regenerates(vid)


@pytest.mark.slow
@pytest.mark.parametrize("vid", sorted(SPECS))
def test_every_vector_file_is_byte_identical_to_a_fresh_derivation(vid):
    assert_regenerates(vid)


def test_check_reports_a_file_with_one_digit_changed(tmp_path):
    vid = "or-2-1-doc1-trained"
    shutil.copy(vectors_dir() / f"{vid}.json", tmp_path)
    assert check([vid], tmp_path) == []
    path = tmp_path / f"{vid}.json"
    text = path.read_text()
    loss_line = next(line for line in text.splitlines() if line.startswith(' "loss"'))
    last = loss_line[-7]
    path.write_text(text.replace(loss_line, loss_line[:-7] + str((int(last) + 1) % 10) + loss_line[-6:]))
    assert check([vid], tmp_path) == [vid]


def test_generate_writes_loadable_vectors_into_a_given_folder(tmp_path):
    paths = generate(tmp_path, ["1-1-identity", "2-1-gaussian"])
    assert [p.name for p in paths] == ["1-1-identity.json", "2-1-gaussian.json"]
    assert [v.id for v in load_vectors(tmp_path)] == ["1-1-identity", "2-1-gaussian"]


def test_unknown_ids_and_empty_folders_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown vector ids"):
        generate(tmp_path, ["no-such-vector"])
    with pytest.raises(FileNotFoundError, match="python -m reference.vectors generate"):
        load_vectors(tmp_path)


def test_list_command_prints_the_catalogue(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(spec.id in out for spec in CATALOGUE)


def test_exact_decimal_keeps_every_bit_whatever_the_working_precision():
    """A 200-bit value written outside its precision context keeps 40 correct digits."""
    with mpmath.workdps(60):
        third = mpmath.mpf(1) / 3
        minus_two_thirds = -2 * third
        near_one = mpmath.mpf(1) + mpmath.mpf(2) ** -140      # 1 + 7.2e-43
    assert exact_decimal(third) == "3." + "3" * 39 + "e-1"
    assert exact_decimal(minus_two_thirds) == "-6." + "6" * 38 + "7e-1"
    assert exact_decimal(near_one) == "1." + "0" * 39 + "e+0"
    assert exact_decimal(near_one, 43) == "1." + "0" * 41 + "1e+0"
    assert exact_decimal(mpmath.mpf(0)) == "0." + "0" * 39 + "e+0"
    with pytest.raises(TypeError):
        exact_decimal(0.5)
