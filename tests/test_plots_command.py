"""``python -m reference.plots`` and ``train_circles``: the options, the defaults, what is printed and written.

The module docstring: the command trains the last document's [2, 3, 3, 1] network on its circles data by
mini-batch SGD (defaults "eta = 3, 200 epochs, batches of 50 shuffled each epoch") and writes
DIR/loss_curve.png and DIR/circles_boundary.png; ``--out`` is "created if missing", ``--no-shuffle`` gives
"batches in order, as the document", ``--quiet`` "no progress lines".  The tests watch what ``main``
hands to ``train_circles`` (and ``train_circles`` to ``sgd``) and recompute the printed figures from the
run that was returned.
"""
import re

import numpy as np
import pytest

from reference import plots
from reference.documents.core import accuracy
from reference.documents.last import circles_data
from reference.network import Network
from reference.training import reference_grad_fn, sgd

FORMULATION_CHOICES = "{batched_matrix,batched_tensor,per_neuron,per_sample,scalar}"


@pytest.fixture
def runs(monkeypatch):
    """Each call main makes to train_circles: (keyword arguments, what it returned)."""
    calls, train_circles = [], plots.train_circles

    def recording_train_circles(**kwargs):
        calls.append((kwargs, train_circles(**kwargs)))
        return calls[-1][1]
    monkeypatch.setattr(plots, "train_circles", recording_train_circles)
    return calls


@pytest.fixture
def titles(monkeypatch):
    """The title of every Figure saved during the test, in order."""
    figure_module = pytest.importorskip("matplotlib.figure")
    saved, savefig = [], figure_module.Figure.savefig

    def recording_savefig(self, *args, **kwargs):
        saved.append(self.axes[0].get_title())
        return savefig(self, *args, **kwargs)
    monkeypatch.setattr(figure_module.Figure, "savefig", recording_savefig)
    return saved


def expected_report(out, run):
    """The line main prints, recomputed from the run: last epoch's loss, accuracy of the final parameters."""
    net, X, Y, result = run
    acc = accuracy(net, result.params, X, Y)
    return (f"wrote {out}/loss_curve.png and {out}/circles_boundary.png "
            f"(final epoch loss C = {result.epoch_losses[-1]:.6f}, accuracy {acc:.1%})\n"), acc


def test_help_names_the_command_and_explains_the_options(capsys):
    with pytest.raises(SystemExit) as done:
        plots.main(["--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: python -m reference.plots [-h]"), text
    for part in ("Write the training loss curve and the circles decision boundary as PNG files.",
                 f"--formulation {FORMULATION_CHOICES}", "--out OUT output directory (created if missing)",
                 "--eta ETA", "--epochs EPOCHS", "--batch-size BATCH_SIZE", "--seed SEED",
                 "--no-shuffle batches in order, as the document", "--quiet no progress lines"):
        assert part in text, f"--help lacks {part!r}: {text}"


def test_an_unknown_formulation_is_refused_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        plots.main(["--formulation", "nope", "--out", str(tmp_path / "plots"), "--epochs", "1", "--quiet"])
    assert done.value.code == 2
    assert "argument --formulation: invalid choice: 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "plots").exists()


def test_the_defaults_are_the_documented_run_written_to_plots(tmp_path, monkeypatch, capsys, runs, titles):
    """batched_matrix, eta 3, 200 epochs, shuffled batches of 50, seed 0, with progress; into ./plots."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert plots.main([]) == 0
    ((kwargs, run),) = runs
    assert kwargs == dict(formulation="batched_matrix", eta=3.0, epochs=200, batch_size=50, shuffle=True,
                          seed=0, verbose=True)
    assert all(type(kwargs[k]) is t for k, t in (("eta", float), ("epochs", int), ("batch_size", int)))
    out = capsys.readouterr()
    report, acc = expected_report("plots", run)
    assert out.out == report
    assert [line.split(" - ")[0] for line in out.err.splitlines()] == [f"Epoch {e}" for e in range(20, 201, 20)]
    assert titles == ["[2,3,3,1] on circles: batched_matrix, eta=3.0, batch 50, 200 epochs",
                      f"a^L = 0.5 after training ({acc:.1%} accuracy)"]
    for name in ("loss_curve.png", "circles_boundary.png"):
        assert (tmp_path / "plots" / name).read_bytes().startswith(b"\x89PNG"), name


def test_every_option_is_passed_on_and_a_nested_output_directory_is_created(tmp_path, capsys, runs, titles):
    pytest.importorskip("matplotlib")
    out = tmp_path / "a" / "b"
    assert plots.main(["--out", str(out), "--formulation", "per_sample", "--eta", "0.5", "--epochs", "3",
                       "--batch-size", "250", "--no-shuffle", "--seed", "7", "--quiet"]) == 0
    ((kwargs, run),) = runs
    assert kwargs == dict(formulation="per_sample", eta=0.5, epochs=3, batch_size=250, shuffle=False,
                          seed=7, verbose=False)
    assert all(type(kwargs[k]) is t for k, t in (("eta", float), ("epochs", int), ("batch_size", int),
                                                  ("seed", int)))
    printed = capsys.readouterr()
    report, acc = expected_report(out, run)
    assert (printed.out, printed.err) == (report, ""), "--quiet: one line on stdout, nothing on stderr"
    assert titles == ["[2,3,3,1] on circles: per_sample, eta=0.5, batch 250, 3 epochs",
                      f"a^L = 0.5 after training ({acc:.1%} accuracy)"]
    assert sorted(p.name for p in out.iterdir()) == ["circles_boundary.png", "loss_curve.png"]


def test_an_existing_output_directory_is_used_as_it_is(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    (tmp_path / "notes.txt").write_text("kept")
    assert plots.main(["--out", str(tmp_path), "--epochs", "2", "--quiet"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "kept"
    wrote = f"wrote {tmp_path}/loss_curve.png and {tmp_path}/circles_boundary.png"
    assert capsys.readouterr().out.startswith(wrote)


@pytest.fixture
def sgd_calls(monkeypatch):
    """Each call train_circles makes to sgd: its keyword arguments and X (the run itself goes ahead)."""
    calls = []

    def recording_sgd(net, params, X, Y, **kwargs):
        calls.append(dict(kwargs, X=X, net=net))
        return sgd(net, params, X, Y, **kwargs)
    monkeypatch.setattr(plots, "sgd", recording_sgd)
    return calls


def test_train_circles_defaults_are_eta_3_200_epochs_shuffled_batches_of_50_seed_0_quiet(sgd_calls, capsys):
    net, X, Y, result = plots.train_circles()
    (call,) = sgd_calls
    assert (call["eta"], call["epochs"], call["batch_size"]) == (3.0, 200, 50)
    assert call["rng"] is not None, "batches are shuffled each epoch by default"
    assert call["formulation"] == "batched_matrix" and call["grad_fn"] is None and call["progress"] is None
    assert net == Network([2, 3, 3, 1]) and call["net"] == net
    np.testing.assert_array_equal(X, circles_data(0)[0], err_msg="the document's circles data, seed 0")
    assert (result.epochs, result.updates_per_epoch) == (200, 20)
    assert capsys.readouterr() == ("", ""), "quiet unless verbose"


def test_train_circles_shuffles_from_seed_plus_1_and_not_at_all_without_shuffle(sgd_calls):
    plots.train_circles(epochs=1, seed=7)
    plots.train_circles(epochs=1, seed=7, shuffle=False)
    assert [call["rng"] for call in sgd_calls] == [8, None]


@pytest.mark.parametrize("epochs, every", [(5, 1), (20, 2), (25, 2)])
def test_verbose_training_reports_c_and_the_documents_mse_on_stderr_every_tenth_of_the_run(epochs, every, capsys):
    """Every max(1, epochs // 10) epochs; n_L = 1, so mse = 2C/n_L = 2C."""
    _, _, _, result = plots.train_circles(epochs=epochs, batch_size=250, verbose=True)
    printed = capsys.readouterr()
    assert printed.out == "", "progress goes to stderr, not stdout"
    expected = [f"Epoch {e} - Loss: C = {result.epoch_losses[e - 1]:.6f}, "
                f"mse = 2C/n_L = {2 * result.epoch_losses[e - 1]:.6f}" for e in range(every, epochs + 1, every)]
    assert printed.err.splitlines() == expected


def test_train_circles_uses_the_grad_fn_given():
    net = Network([2, 3, 3, 1])
    reference, batches = reference_grad_fn(net), []

    def counting_grad_fn(params, X, Y):
        batches.append(X.shape[1])
        return reference(params, X, Y)
    plots.train_circles(grad_fn=counting_grad_fn, epochs=2, batch_size=500)
    assert batches == [500] * 4, "2 epochs of 2 batches of 500, each through grad_fn"


def test_train_circles_uses_the_formulation_given():
    with pytest.raises(ValueError, match=re.escape("unknown formulation 'nope'")):
        plots.train_circles(formulation="nope", epochs=1)
