"""The documents' data sets (reference.datasets) and the transcription of their printed values."""
import re
from pathlib import Path

import numpy as np
import pytest

from reference.datasets import (circle_boundary, circle_label, logical_and, logical_or, make_circles,
                                sin_regression, sin_target, toy, truth_table, xnor)
from reference.documents import printed
from reference.examples import run_check

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_toy_is_1000_points_evenly_spaced_on_minus5_5_with_labels_minus1_plus1_by_sign():
    """Last document: ``N = 1000; inputs = np.linspace(-5,5,N).reshape(N,1);
    labels = ((inputs>0).astype(int)*2-1).reshape(N,1)`` -- here as X (1, N), Y (1, N)."""
    X, Y = toy()
    assert X.shape == (1, 1000) and Y.shape == (1, 1000) and X.dtype == Y.dtype == np.float64
    np.testing.assert_array_equal(X[0], np.linspace(-5, 5, 1000))
    np.testing.assert_array_equal(Y[0], np.where(X[0] > 0, 1.0, -1.0))
    assert np.all(np.diff(X[0]) > 0) and int(np.sum(Y == 1)) == 500


def test_toy_first_five_points_are_the_printed_ones():
    """Last document: ``inputs[0:5],labels[0:5]`` -> ``[[-5. ], [-4.98998999], [-4.97997998],
    [-4.96996997], [-4.95995996]]`` and ``[[-1], [-1], [-1], [-1], [-1]]``."""
    result = run_check("doc3.toy_dataset")
    assert result.passed, result
    assert result.figures["max_error_first_five"] <= 0.5e-8


def test_make_circles_puts_the_outer_circle_first_with_label_0_then_the_inner_scaled_by_factor():
    """Last document: ``sklearn.datasets.make_circles(n_samples=1000, shuffle=False, factor=0.3,
    noise=0.1)``; ``x_red = X[y==0]`` (outer), ``x_blue = X[y==1]`` (inner)."""
    for n in (1000, 7):
        X, Y = make_circles(n, factor=0.3, noise=None, rng=0)
        n_out = n // 2
        assert X.shape == (2, n) and Y.shape == (1, n)
        np.testing.assert_array_equal(Y[0], [0.0] * n_out + [1.0] * (n - n_out))
        radius = np.hypot(X[0], X[1])
        np.testing.assert_allclose(radius[:n_out], 1.0, rtol=1e-15)
        np.testing.assert_allclose(radius[n_out:], 0.3, rtol=1e-15)
        angles = np.mod(np.arctan2(X[1, :n_out], X[0, :n_out]), 2 * np.pi)
        np.testing.assert_allclose(angles, np.linspace(0, 2 * np.pi, n_out, endpoint=False), atol=1e-12)


def test_make_circles_adds_gaussian_noise_of_standard_deviation_noise_to_every_coordinate():
    """Last document: ``make_circles(..., noise=0.1)``.  With 2000 draws the sample standard deviation
    has a standard error of 0.1 / sqrt(4000) = 0.0016 and the mean 0.1 / sqrt(2000) = 0.0022;
    the bounds are 5 standard errors."""
    X_clean, _ = make_circles(1000, factor=0.3, noise=None, rng=5)
    X, _ = make_circles(1000, factor=0.3, noise=0.1, rng=5)
    noise = (X - X_clean).ravel()
    assert abs(noise.std() - 0.1) < 5 * 0.0016
    assert abs(noise.mean()) < 5 * 0.0022


def test_make_circles_is_deterministic_given_a_seed_and_touches_no_global_random_state():
    """No global random state: the same seed (or Generator) gives the same data, and
    ``np.random``'s legacy global state is left as it was."""
    before = np.random.get_state()[1].copy()
    a = make_circles(rng=3)
    b = make_circles(rng=np.random.default_rng(3))
    c = make_circles(rng=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_make_circles_without_noise_equals_sklearn():
    """sklearn's algorithm exactly (``make_circles(n_samples=1000, shuffle=False, factor=0.3)``),
    transposed; with noise the draw comes from a Generator, not sklearn's legacy RandomState."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    for n in (1000, 7):
        Xs, ys = sklearn_datasets.make_circles(n_samples=n, shuffle=False, factor=0.3, noise=None)
        X, Y = make_circles(n, 0.3, None, rng=0)
        np.testing.assert_array_equal(X, Xs.T)
        np.testing.assert_array_equal(Y[0], ys)


def test_truth_tables_are_the_first_documents_xnor_or_and():
    """First document: ``X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])``; ``Y = np.array([[0, 1, 1, 0]])``
    (XNOR), ``Y = np.array([[0, 1, 1, 1]]) # OR operation``, ``Y = np.array([[0, 0, 0, 1]]) # AND``."""
    for make, expected in ((xnor, [0, 1, 1, 0]), (logical_or, [0, 1, 1, 1]), (logical_and, [0, 0, 0, 1])):
        X, Y = make()
        np.testing.assert_array_equal(X, [[0, 0, 1, 1], [0, 1, 0, 1]])
        np.testing.assert_array_equal(Y, [expected])
        assert X.dtype == Y.dtype == np.float64
    with pytest.raises(ValueError, match="unknown gate 'xor'"):
        truth_table("xor")


def test_sin_regression_draws_8_points_uniform_on_the_unit_square_with_targets_sin_pi_x1_times_x2():
    """First document: ``samples = 8; X = np.random.rand(2, samples); Y = np.sin(np.pi * X[0]) * X[1];
    Y = Y.reshape(1, -1)``."""
    X, Y = sin_regression(rng=11)
    assert X.shape == (2, 8) and Y.shape == (1, 8)
    np.testing.assert_array_equal(X, np.random.default_rng(11).random((2, 8)))
    np.testing.assert_array_equal(Y, (np.sin(np.pi * X[0]) * X[1]).reshape(1, -1))
    assert np.all((X >= 0) & (X < 1))
    assert sin_regression(20, rng=1)[0].shape == (2, 20)


def test_circle_boundary_labels_are_1_where_x1_squared_plus_x2_squared_exceeds_one_half():
    """First document: ``Y = np.array([(x1**2 + x2**2 > 0.5).astype(int) for x1, x2 in X.T]).reshape(1, -1)``."""
    X, Y = circle_boundary(rng=2)
    assert X.shape == (2, 8) and Y.shape == (1, 8)
    expected = [float(x1 ** 2 + x2 ** 2 > 0.5) for x1, x2 in X.T]
    np.testing.assert_array_equal(Y, [expected])
    np.testing.assert_array_equal(circle_label(np.array([[0.5, 0.6], [0.5, 0.5]])), [[0.0, 1.0]])


def test_printed_inputs_give_the_printed_targets_of_examples_2_and_3():
    """First document, Example 2 prints X and ``Expected Output (Y): [[0.06473329 0.61032699 ...]]``;
    Example 3 prints X and ``Expected Output (Y): [[1 1 1 0 0 1 1 1]]``."""
    sin = run_check("doc1.printed_data.sin")
    circle = run_check("doc1.printed_data.circle")
    assert sin.passed and circle.passed, (sin, circle)
    assert sin.figures["max_error"] < 2e-8
    np.testing.assert_array_equal(sin_target(np.array(printed.SIN_REGRESSION["X"])).round(7),
                                  np.array(printed.SIN_REGRESSION["Y"]).round(7))


def test_bad_arguments_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        make_circles(0, rng=0)
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\)"):
        make_circles(10, factor=1.0, rng=0)
    with pytest.raises(ValueError, match=r"X has shape \(3, 2\); expected \(2, N\)"):
        sin_target(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator or an integer seed"):
        sin_regression(rng="seed")


def _printed_numbers():
    values = []
    for run in printed.TRUTH_TABLE_RUNS.values():
        values += [v for W, b in run["params"] for row in W for v in row] + [v for W, b in run["params"] for v in b]
        values += [f"{v:.6f}" for v in run["losses"].values()]
    for spec in (printed.SIN_REGRESSION, printed.CIRCLE_BOUNDARY):
        values += [v for row in spec["X"] for v in row] + [f"{v:.6f}" for v in spec["losses"].values()]
    values += [v for row in printed.SIN_REGRESSION["Y"] + printed.SIN_REGRESSION["outputs"] for v in row]
    values += [f"{v:.6f}" for v in printed.XNOR_2431_LOSSES.values()]
    values += list(printed.TOY_FIRST_FIVE["inputs"][1:]) + [printed.TOY_SINGLE_SAMPLE["output"],
                                                            printed.TOY_SINGLE_SAMPLE["cost"]]
    return [v if isinstance(v, str) else repr(v) for v in values]


def test_every_transcribed_number_appears_in_the_documents_as_printed():
    """reference.documents.printed is a transcription: every number in it is in the documents' text."""
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the documents are not beside the checkout ({SEEDS_DIR})")
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt")))
    tokens = set(re.findall(r"-?\d+\.\d+", text))
    missing = [v for v in _printed_numbers() if v not in tokens]
    assert not missing, f"not found in {SEEDS_DIR}: {missing}"
