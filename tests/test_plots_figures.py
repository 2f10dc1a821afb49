"""``reference.plots``: what the loss-curve and decision-boundary PNG files show.

The module docstring: DIR/loss_curve.png is "C per epoch, log scale"; DIR/circles_boundary.png is "the
region where a^L > 0.5, with the data"; both are drawn on a ``matplotlib.figure.Figure``.  The functions
return only the path, so each test records the Figure at ``savefig`` and reads its axes: labels, titles,
the plotted data, the a^L = 0.5 contour, the two classes and the legend; and the PNG header's pixel size
(figure size x dpi), which is what a user opens.  The networks and loss histories are small hand-made
ones whose pictures are known in closed form.
"""
import math
import re
import struct
import warnings

import numpy as np
import pytest

from reference import plots
from reference.network import Network
from reference.training import TrainingResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TAB_BLUE = "#1f77b4"                        # matplotlib's "tab:blue"

# Six points: x1 spans [-1, 2], x2 spans [-0.5, 3] (different ranges, so the two axes cannot be confused).
X6 = np.array([[-1.0, 0.0, 2.0, 1.0, -0.5, 1.5],
               [0.0, 3.0, -0.5, 1.0, 2.0, 0.5]])
Y6 = np.array([[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]])
# a^L = sigma(x1 - 0.5): the boundary a^L = 0.5 is the vertical line x1 = 0.5.
NET_2_1 = Network([2, 1])
PARAMS_2_1 = [(np.array([[1.0, 0.0]]), np.array([-0.5]))]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def png_size(path):
    """(width, height) in pixels from the PNG's IHDR chunk."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def saved_figures(monkeypatch):
    """Every Figure saved during the test, in order (savefig still writes the file)."""
    figure_module = pytest.importorskip("matplotlib.figure")
    saved, savefig = [], figure_module.Figure.savefig

    def recording_savefig(self, *args, **kwargs):
        saved.append(self)
        return savefig(self, *args, **kwargs)
    monkeypatch.setattr(figure_module.Figure, "savefig", recording_savefig)
    return saved


def four_epochs():
    """Two updates per epoch; the epoch losses are the pair means 0.3, 0.075, 0.015, 0.003."""
    losses = np.array([0.4, 0.2, 0.1, 0.05, 0.02, 0.01, 0.004, 0.002])
    return TrainingResult(params=[], losses=losses, updates_per_epoch=2)


def test_loss_curve_plots_the_epoch_losses_against_epoch_numbers_from_1_on_a_log_scale(saved_figures, tmp_path):
    path = plots.plot_loss_curve(four_epochs(), tmp_path / "curve.png")
    assert path == tmp_path / "curve.png"
    (fig,) = saved_figures
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [1, 2, 3, 4], "x is the epoch number, counted from 1"
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.075, 0.015, 0.003], rtol=1e-15,
                               err_msg="y is each epoch's mean batch loss C")
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "C before each update (mean over the epoch)")
    assert ax.get_title() == "Training loss", "the default title"


def test_loss_curve_title_is_the_one_given(saved_figures, tmp_path):
    plots.plot_loss_curve(four_epochs(), tmp_path / "curve.png", title="eta = 3, 200 epochs")
    assert saved_figures[0].axes[0].get_title() == "eta = 3, 200 epochs"


def test_loss_curve_has_major_and_minor_grid_lines_at_alpha_0_3(saved_figures, tmp_path):
    """On a log axis the minor grid lines (2, 3, ... 9 x 10^k) are drawn too: ``which="both"``."""
    plots.plot_loss_curve(four_epochs(), tmp_path / "curve.png")
    yaxis = saved_figures[0].axes[0].yaxis
    for kind, ticks in (("major", yaxis.get_major_ticks()), ("minor", yaxis.get_minor_ticks())):
        assert ticks, f"no {kind} ticks on the log axis"
        states = {(t.gridline.get_visible(), t.gridline.get_alpha()) for t in ticks}
        assert states == {(True, 0.3)}, f"{kind} y grid lines (visible, alpha): {states}"


def test_loss_curve_is_a_700_by_450_png_even_when_the_file_name_says_otherwise(saved_figures, tmp_path):
    """7 x 4.5 inches at 100 dpi; the format is PNG whatever the name ends with."""
    path = plots.plot_loss_curve(four_epochs(), tmp_path / "curve.img")
    assert path == tmp_path / "curve.img"
    assert png_size(path) == (700, 450)
    assert tuple(saved_figures[0].get_size_inches()) == (7.0, 4.5) and saved_figures[0].dpi == 100


def user_rc():
    """A matplotlibrc a user might have: other dpi, size, colour cycle, line widths, marker size, legend place."""
    matplotlib = pytest.importorskip("matplotlib")
    from cycler import cycler
    return matplotlib.rc_context({"figure.dpi": 50, "figure.figsize": (3.0, 2.0), "lines.linewidth": 4.0,
                                  "lines.markersize": 9.0, "axes.prop_cycle": cycler(color=["red", "green"]),
                                  "legend.loc": "lower left"})


def test_the_pictures_do_not_depend_on_the_users_matplotlib_settings(saved_figures, tmp_path):
    """Size, dpi, the curve's colour, the contour's width and the legend's place are set explicitly."""
    from matplotlib.colors import to_hex
    with user_rc():
        curve = plots.plot_loss_curve(four_epochs(), tmp_path / "curve.png")
        boundary = plots.plot_decision_boundary(NET_2_1, PARAMS_2_1, X6, Y6, tmp_path / "boundary.png",
                                                resolution=20)
    assert png_size(curve) == (700, 450) and png_size(boundary) == (650, 600)
    assert to_hex(saved_figures[0].axes[0].get_lines()[0].get_color()) == TAB_BLUE
    ax = saved_figures[1].axes[0]
    assert list(ax.collections[1].get_linewidths()) == [1.5], "the a^L = 0.5 contour is 1.5 points wide"
    assert [line.get_markersize() for line in ax.get_lines()] == [4.0, 3.0]
    assert_legend_in_upper_right(ax)


def test_plotting_emits_no_warning(saved_figures, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.plot_loss_curve(four_epochs(), tmp_path / "curve.png")
        plots.plot_decision_boundary(NET_2_1, PARAMS_2_1, X6, Y6, tmp_path / "boundary.png", resolution=20)


def draw_boundary(saved_figures, tmp_path, **kwargs):
    path = plots.plot_decision_boundary(NET_2_1, PARAMS_2_1, X6, Y6, tmp_path / "boundary.png", **kwargs)
    assert path == tmp_path / "boundary.png"
    (fig,) = saved_figures
    return fig, fig.axes[0]


def test_boundary_plane_spans_the_data_plus_a_quarter_on_each_side(saved_figures, tmp_path):
    _, ax = draw_boundary(saved_figures, tmp_path, resolution=20)
    np.testing.assert_allclose(ax.get_xlim(), (-1.25, 2.25), rtol=0, atol=1e-12, err_msg="x1 range")
    np.testing.assert_allclose(ax.get_ylim(), (-0.75, 3.25), rtol=0, atol=1e-12, err_msg="x2 range")
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_aspect()) == ("x1", "x2", 1.0)
    assert ax.get_title() == "Decision boundary", "the default title"


def assert_legend_in_upper_right(ax):
    legend, frame = ax.get_legend(), ax.get_window_extent()
    assert [t.get_text() for t in legend.get_texts()] == ["class 0 (outer)", "class 1 (inner)"]
    box = legend.get_window_extent()
    assert frame.x1 - 20 < box.x1 <= frame.x1 and frame.y1 - 20 < box.y1 <= frame.y1, \
        f"legend {box} is not in the upper right corner of the axes {frame}"


def test_boundary_evaluates_a_L_on_a_resolution_by_resolution_grid(saved_figures, tmp_path, monkeypatch):
    """The plane is coloured from a^L at resolution x resolution points, x1 varying fastest (200 by default)."""
    grids = []

    def recording_forward(net, params, X):
        grids.append(X)
        return forward(net, params, X)
    forward = plots.forward
    monkeypatch.setattr(plots, "forward", recording_forward)
    draw_boundary(saved_figures, tmp_path, resolution=7)
    (grid,) = grids
    assert grid.shape == (2, 49)
    for row in grid[0].reshape(7, 7):
        np.testing.assert_allclose(row, np.linspace(-1.25, 2.25, 7), rtol=0, atol=1e-12)
    for column in grid[1].reshape(7, 7).T:
        np.testing.assert_allclose(column, np.linspace(-0.75, 3.25, 7), rtol=0, atol=1e-12)
    plots.plot_decision_boundary(NET_2_1, PARAMS_2_1, X6, Y6, tmp_path / "default.png")
    assert grids[1].shape == (2, 200 * 200), "default resolution 200"


def test_boundary_fills_a_L_in_21_levels_from_0_to_1_in_red_blue(saved_figures, tmp_path):
    """Filled contours of a^L = sigma(x1 - 0.5) over the plane: its extremes sit at x1 = -1.25 and 2.25."""
    fig, ax = draw_boundary(saved_figures, tmp_path, resolution=20)
    filled = ax.collections[0]
    assert filled.filled
    np.testing.assert_allclose(filled.levels, np.arange(21) / 20, rtol=0, atol=1e-15)
    assert filled.get_cmap().name == "RdBu_r" and filled.get_alpha() == 0.6
    assert filled.zmin == pytest.approx(sigmoid(-1.75), rel=1e-14)
    assert filled.zmax == pytest.approx(sigmoid(1.75), rel=1e-14)
    colorbar = filled.colorbar
    assert colorbar is not None and colorbar.ax is fig.axes[1], "the colour bar is that of the filled a^L"
    assert colorbar.ax.get_ylabel() == "a^L"


def test_boundary_draws_the_a_L_0_5_contour_in_black(saved_figures, tmp_path):
    """For a^L = sigma(x1 - 0.5) the contour is the line x1 = 0.5 from the bottom of the plane to the top."""
    from matplotlib.colors import to_hex
    _, ax = draw_boundary(saved_figures, tmp_path, resolution=40)
    contour = ax.collections[1]
    assert not contour.filled and list(contour.levels) == [0.5]
    assert [to_hex(c) for c in contour.get_edgecolor()] == ["#000000"]
    assert list(contour.get_linewidths()) == [1.5]
    (segments,) = contour.allsegs
    points = np.vstack(segments)
    np.testing.assert_allclose(points[:, 0], 0.5, rtol=0, atol=1e-6, err_msg="the boundary is x1 = 0.5")
    assert points[:, 1].min() == pytest.approx(-0.75) and points[:, 1].max() == pytest.approx(3.25)


def test_boundary_shows_class_0_as_blue_stars_and_class_1_as_red_dots(saved_figures, tmp_path):
    _, ax = draw_boundary(saved_figures, tmp_path, resolution=20)
    outer, inner = ax.get_lines()
    for line, label, marker, colour, size, xs, ys in (
            (outer, "class 0 (outer)", "*", "b", 4.0, [-1.0, 2.0, 1.5], [0.0, -0.5, 0.5]),
            (inner, "class 1 (inner)", "o", "r", 3.0, [0.0, 1.0, -0.5], [3.0, 1.0, 2.0])):
        assert (line.get_label(), line.get_marker(), line.get_color()) == (label, marker, colour)
        assert (line.get_linestyle(), line.get_markersize(), line.get_alpha()) == ("None", size, 0.75), label
        assert list(line.get_xdata()) == xs and list(line.get_ydata()) == ys, f"{label}: the points of that class"
    assert_legend_in_upper_right(ax)


def test_boundary_title_is_the_one_given_and_the_png_is_650_by_600(saved_figures, tmp_path):
    """6.5 x 6 inches at 100 dpi; PNG whatever the file name ends with."""
    path = plots.plot_decision_boundary(NET_2_1, PARAMS_2_1, X6, Y6, tmp_path / "boundary.img",
                                        title="after training", resolution=20)
    assert saved_figures[0].axes[0].get_title() == "after training"
    assert png_size(path) == (650, 600)


@pytest.mark.parametrize("sizes", [[3, 2, 1], [2, 3, 2], [1, 1]])
def test_boundary_needs_2_inputs_and_1_output(sizes, tmp_path):
    pytest.importorskip("matplotlib")
    net = Network(sizes)
    message = re.escape(f"a decision boundary needs 2 inputs and 1 output; got Network({sizes})")
    with pytest.raises(ValueError, match=message):
        plots.plot_decision_boundary(net, net.init(0), X6, Y6, tmp_path / "boundary.png")
    assert not (tmp_path / "boundary.png").exists()
