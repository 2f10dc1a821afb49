"""``python -m reference.vectors``: ``generate`` writes the chosen vectors where asked and
says so, ``check`` exits 1 naming a drifted file, ``list`` shows the catalogue, and
``--help`` documents the options."""
import pytest

from reference.vectors import load_vectors, main
from reference.vectors_catalogue import CATALOGUE

CHEAP = ["1-1-identity", "2-1-gaussian"]


def test_generate_writes_the_chosen_vectors_into_dir_and_check_finds_them_intact(tmp_path, capsys):
    assert main(["generate", "--only", *CHEAP, "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote {tmp_path / (i + '.json')}" for i in CHEAP]
    assert [v.id for v in load_vectors(tmp_path)] == CHEAP
    assert main(["check", "--only", *CHEAP, "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "all vectors match their derivation\n"
    path = tmp_path / "2-1-gaussian.json"
    path.write_text(path.read_text(encoding="ascii").replace('"N": ', '"N":  '), encoding="ascii")
    assert main(["check", "--only", *CHEAP, "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == "drifted: ['2-1-gaussian']\n"


def test_list_shows_every_catalogue_entry_with_its_network_and_description(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, spec in zip(lines, CATALOGUE):
        assert line.split()[0] == spec.id and str(list(spec.layer_sizes)) in line
        assert spec.output in line and line.endswith(spec.description)


def test_help_documents_the_command_and_its_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())     # argparse wraps to the terminal width
    assert out.startswith("usage: python -m reference.vectors ")
    assert "High-precision test vectors: generate them from the symbolic derivation, load them fast." in out
    for command in ("generate", "check"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert out.startswith(f"usage: python -m reference.vectors {command} [-h] [--only ID [ID ...]] [--dir DIR]")
        assert "catalogue ids (default: all)" in out and "folder (default: conformance/vectors)" in out


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "the following arguments are required: command" in capsys.readouterr().err
