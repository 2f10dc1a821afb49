"""Discovery: impls/, files, directories, modules, names, the environment variable, entry points."""
import textwrap

import pytest

from conformance.dropin import discovery
from conformance.dropin.discovery import ENV_VAR, load_implementation, load_implementations
from conformance.dropin.protocol import Implementation

GOOD = """
from conformance.testing import subject
IMPLEMENTATIONS = [subject("{name}.a", None), subject("{name}.b", "sign")]
"""


def _write(folder, name, text):
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_defaults_include_impls_and_the_reference_formulations():
    names = [i.name for i in load_implementations("")]
    assert "reference.batched_matrix" in names and "reference.scalar" in names
    assert len(names) == len(set(names))
    assert all(i.source for i in load_implementations(""))


def test_a_file_a_directory_and_a_module_name(tmp_path, monkeypatch):
    _write(tmp_path, "dropin_one", GOOD.format(name="one"))
    _write(tmp_path, "dropin_two", GOOD.format(name="two"))
    _write(tmp_path, "_helper", "X = 1")
    assert [i.name for i in load_implementations(str(tmp_path / "dropin_one.py"))] == ["one.a", "one.b"]
    assert [i.name for i in load_implementations(str(tmp_path))] == ["one.a", "one.b", "two.a", "two.b"]
    monkeypatch.syspath_prepend(str(tmp_path))
    impls = load_implementations("dropin_two")
    assert [i.name for i in impls] == ["two.a", "two.b"] and impls[0].source == "dropin_two"


def test_names_and_prefixes_select_among_the_defaults():
    assert [i.name for i in load_implementations("reference.scalar")] == ["reference.scalar"]
    assert {i.name for i in load_implementations("reference.")} >= {"reference.batched_matrix", "reference.per_neuron"}


def test_the_environment_variable_selects_when_no_target_is_given(tmp_path, monkeypatch):
    path = _write(tmp_path, "from_env", GOOD.format(name="env"))
    monkeypatch.setenv(ENV_VAR, str(path))
    assert [i.name for i in load_implementations()] == ["env.a", "env.b"]


def test_import_errors_and_empty_modules_become_failed_rows(tmp_path):
    _write(tmp_path, "syntax", "def broken(:\n")
    _write(tmp_path, "empty", "X = 1\n")
    rows = {i.name: i for i in load_implementations(str(tmp_path))}
    errors = [i.load_error for i in rows.values()]
    assert any("SyntaxError" in e for e in errors)
    assert any("declares neither IMPLEMENTATION nor IMPLEMENTATIONS" in e for e in errors)
    assert [i.name for i in load_implementations("no.such.module")][0] == "no.such.module"
    assert "no file, module or implementation" in load_implementations("no.such.module")[0].load_error


def test_an_optional_module_without_its_dependency_is_a_skipped_row(tmp_path):
    _write(tmp_path, "optional", "IMPLEMENTATIONS = []\nUNAVAILABLE = 'needs a GPU'\n")
    impl = load_implementations(str(tmp_path / "optional.py"))[0]
    assert impl.unavailable == "needs a GPU"
    from conformance.run.runner import run_check
    verdict = run_check(impl, "reference.agreement")
    assert verdict.status == "skip" and "needs a GPU" in verdict.message


def test_duplicate_names_are_reported_not_silently_merged(tmp_path):
    _write(tmp_path, "first", GOOD.format(name="dup"))
    _write(tmp_path, "second", GOOD.format(name="dup"))
    rows = load_implementations(str(tmp_path))
    assert [i.name for i in rows if not i.load_error] == ["dup.a", "dup.b"]
    assert sum("also declared by" in i.load_error for i in rows) == 2


def test_entry_points_are_discovered(monkeypatch):
    from conformance.testing import subject

    class EP:
        name, value = "plugin", "plugin_pkg.impl:IMPLEMENTATION"

        def load(self):
            return subject("plugin.impl", None)

    class Broken(EP):
        name, value = "broken", "nowhere:X"

        def load(self):
            raise ImportError("nowhere")
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [EP(), Broken()])
    rows = {i.name: i for i in load_implementations("")}
    assert rows["plugin.impl"].source == "plugin_pkg.impl"
    assert "nowhere" in rows["entry point broken"].load_error


def test_load_implementation_finds_one_by_source_and_name(tmp_path):
    path = _write(tmp_path, "lookup", GOOD.format(name="look"))
    impl = load_implementation(str(path), "look.b")
    assert isinstance(impl, Implementation) and impl.name == "look.b"
    with pytest.raises(LookupError):
        load_implementation(str(path), "look.c")


def test_the_examples_folder_is_the_repository_impls_folder():
    assert discovery.examples_dir().name == "impls" and discovery.impls_dir() == discovery.examples_dir()
