"""``python -m reference.plots``: the loss curve and the circles decision boundary as PNG files.

matplotlib is optional: without it the command says how to install it and exits non-zero; with it
(``pip install 'backprop-conformance[plot]'``) it writes two PNG files.
"""
import subprocess
import sys

import numpy as np
import pytest

from reference import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_command_says_how_to_install_it_and_exits_nonzero(monkeypatch, tmp_path, capsys):
    """Issue 5: "Plotting is an optional extra (matplotlib); without it the command says how to install it"."""
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)        # import matplotlib -> ImportError
    out = tmp_path / "plots"
    assert plots.main(["--out", str(out), "--epochs", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err and "pip install 'backprop-conformance[plot]'" in err
    assert not out.exists()
    with pytest.raises(plots.MatplotlibMissing, match="pip install matplotlib"):
        plots.require_matplotlib()


def test_the_command_writes_the_loss_curve_and_the_decision_boundary_as_png(tmp_path, capsys):
    """Last document: "Plot both classes on the x1, x2 plane" (the circles data) -- here with the trained
    network's a^L = 0.5 boundary; and the training loss per epoch."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots"
    assert plots.main(["--out", str(out), "--epochs", "30", "--quiet", "--formulation", "batched_tensor"]) == 0
    for name in ("loss_curve.png", "circles_boundary.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert "wrote" in capsys.readouterr().out


def test_the_circles_run_behind_the_pictures_learns_the_boundary():
    """The default picture is worth looking at: 200 epochs (eta 3, shuffled batches of 50) separate the
    circles (measured 99.9%), while the document's own 10 epochs at eta 1e-2 in order barely move it."""
    from reference.documents.core import accuracy
    net, X, Y, result = plots.train_circles(epochs=200)
    assert accuracy(net, result.params, X, Y) > 0.97
    assert result.epoch_losses[-1] < 0.1 * result.epoch_losses[0]
    net, X, Y, doc = plots.train_circles(eta=1e-2, epochs=10, shuffle=False)
    assert accuracy(net, doc.params, X, Y) == pytest.approx(0.5)
    assert np.all(np.isfinite(doc.losses))


def test_the_module_runs_as_a_command():
    """``python -m reference.plots --help`` works from a shell."""
    done = subprocess.run([sys.executable, "-m", "reference.plots", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "--formulation" in done.stdout and "--out" in done.stdout
