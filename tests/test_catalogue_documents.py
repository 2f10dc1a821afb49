"""The documents' systems in impls/ as catalogue entries: the suite finds each recorded defect
(with the cause or location the diagnosis can give), corrected variants pass, the drop-in example
of impls/README.md passes, and an optional engine without its library becomes an 'unavailable' row.
"""
import importlib
import os
import re
import sys
import types
from pathlib import Path

import pytest

from conformance.run import runner
from conformance.dropin.discovery import implementations_in

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
IMPLS = Path(__file__).resolve().parent.parent / "impls"


def _impl(module: str, name: str):
    mod = importlib.import_module(f"impls.{module}")
    impls = getattr(mod, "IMPLEMENTATIONS", None) or [mod.IMPLEMENTATION]
    return next(i for i in impls if i.name == name)


def _verdict(module: str, name: str, check: str):
    return runner.check_implementation(_impl(module, name), profile=PROFILE, checks=[check]).verdicts[check]


def test_doc1_printed_loss_is_found_with_its_factor():
    v = _verdict("doc1_deep_neural_network", "doc1.DeepNeuralNetwork", "finite_differences.own_loss")
    assert v.status == "xfail" and v.diagnosis is not None
    assert v.diagnosis.cause == "different_loss"
    n_L = int(re.search(r"Network\(\[[\d, ]*?(\d+)\]", v.diagnosis.example).group(1))
    assert v.diagnosis.factor == pytest.approx(2.0 / n_L, rel=1e-6)


@pytest.mark.parametrize("module, name", [
    ("doc1_deep_neural_network_corrected", "doc1.DeepNeuralNetwork.corrected"),
    ("doc3_backprop_1_example_corrected", "doc3.backprop_1_example.corrected"),
])
def test_corrected_printed_loss_matches_the_gradient(module, name):
    assert _verdict(module, name, "finite_differences.own_loss").status == "pass"


@pytest.mark.parametrize("module, name", [
    ("doc3_backprop_1_example", "doc3.backprop_1_example"),
    ("doc3_backprop_1_example", "doc3.backprop_1_example.notebook_architectures"),
    ("doc3_backprop_batch", "doc3.backprop_batch"),
    ("doc3_backprop_batch", "doc3.backprop_batch.notebook_loop"),
])
def test_squeeze_and_three_layer_feedforward_fail_the_claimed_support(module, name):
    v = _verdict(module, name, "interface.support")
    assert v.status == "xfail", v.message
    assert v.diagnosis is not None and v.diagnosis.cause in (
        "raises", "wrong_for_batch_of_one", "wrong_for_width_one", "wrong_for_specific_shapes")


def test_flattened_labels_are_wrong_at_the_output_layer():
    v = _verdict("doc3_backprop_1_example", "doc3.backprop_1_example.multi_output", "reference.agreement")
    assert v.status == "xfail" and v.diagnosis is not None
    assert v.diagnosis.layer == 3 and v.diagnosis.equation in ("BP1", "BP4", None)


def test_stale_global_weights_break_bp2_below_the_output():
    v = _verdict("doc3_backprop_batch", "doc3.backprop_batch.stale_global", "reference.agreement")
    assert v.status == "xfail" and v.diagnosis is not None
    assert v.diagnosis.layer == 2 and v.diagnosis.equation == "BP2"


@pytest.mark.parametrize("module, name", [
    ("doc2_forum_forward_backward", "doc2.forum_forward_backward"),
    ("doc3_backprop_1_example_corrected", "doc3.backprop_1_example.corrected"),
    ("doc3_backprop_batch_corrected", "doc3.backprop_batch.corrected"),
    ("doc3_network_py", "doc3.network_py.backprop"),
    ("doc3_network_py", "doc3.network_py.update_mini_batch"),
    ("doc1_deep_neural_network_corrected", "doc1.DeepNeuralNetwork.corrected"),
    ("example_rows_in_out_sum", "example.rows_in_out_sum"),
])
def test_correct_systems_agree_with_the_reference(module, name):
    assert _verdict(module, name, "reference.agreement").status == "pass"


def test_readme_drop_in_example_passes():
    text = (IMPLS / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(# impls/my_network.py\n.*?)```", text, re.S).group(1)
    assert len(code.splitlines()) <= 15, "issue 4: a complete drop-in example of at most 15 lines"
    module = types.ModuleType("my_network")
    exec(compile(code, "impls/README.md", "exec"), module.__dict__)
    report = runner.check_implementation(module.IMPLEMENTATION, profile=PROFILE)
    assert report.ok and report.verdicts["reference.agreement"].status == "pass", report.verdicts


def test_example_declaration_is_at_most_ten_lines():
    src = (IMPLS / "example_rows_in_out_sum.py").read_text(encoding="utf-8")
    declaration = src[src.index("IMPLEMENTATION = "):]
    assert len([line for line in declaration.splitlines() if line.strip()]) <= 10


@pytest.mark.parametrize("module, library", [("torch_autograd", "torch"), ("jax_autograd", "jax")])
def test_engine_without_its_library_is_an_unavailable_row(module, library, monkeypatch):
    monkeypatch.setitem(sys.modules, library, None)          # import of the library now fails
    for key in [k for k in sys.modules if k == library or k.startswith(library + ".")]:
        if key != library:
            monkeypatch.delitem(sys.modules, key)
    monkeypatch.delitem(sys.modules, f"impls.{module}", raising=False)
    mod = importlib.import_module(f"impls.{module}")
    try:
        assert mod.IMPLEMENTATIONS == [] and library in mod.UNAVAILABLE and "pip install" in mod.UNAVAILABLE
        rows = implementations_in(mod, str(IMPLS / f"{module}.py"))
        assert len(rows) == 1 and rows[0].unavailable == mod.UNAVAILABLE
    finally:
        sys.modules.pop(f"impls.{module}", None)
