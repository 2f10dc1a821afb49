"""The documents' data sets, in this project's convention: samples are columns.

Every function returns ``(X, Y)`` with X of shape (n_0, N) and Y of shape
(n_L, N), float64 (the documents use rows as samples or int labels in places;
those are translated here, once).  Random data sets take ``rng``, a
``numpy.random.Generator`` or an integer seed; no global random state is used.

    toy()                      last document: 1000 points on [-5, 5], labels -1/+1   X (1, N)
    make_circles(...)          last document: sklearn.datasets.make_circles(shuffle=False)  X (2, N)
    xnor(), logical_or(), logical_and()
                               first document: the truth tables                       X (2, 4)
    sin_regression(rng=...)    first document: y = sin(pi x1) x2, X ~ U[0, 1)^2       X (2, 8)
    circle_boundary(rng=...)   first document: y = [x1^2 + x2^2 > 0.5], X ~ U[0, 1)^2 X (2, 8)
    digits_like(n, rng=...)    MNIST's shape (28 x 28 pixels in [0, 1], 10 classes, one-hot
                               labels), drawn from 10 stroke templates         X (784, n), Y (10, n)
"""
from __future__ import annotations

import numbers
from typing import Tuple, Union

import numpy as np

from reference.network import as_generator

__all__ = ["toy", "make_circles", "truth_table", "xnor", "logical_or", "logical_and",
           "sin_regression", "sin_target", "circle_boundary", "circle_label", "GATES", "digits_like", "IMAGE_SIDE"]

Data = Tuple[np.ndarray, np.ndarray]
RNG = Union[np.random.Generator, int]

#: The two inputs of every truth table, one column per row of the table:
#: ``X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])`` as in the first document.
TRUTH_TABLE_INPUTS = ((0.0, 0.0, 1.0, 1.0), (0.0, 1.0, 0.0, 1.0))

#: Target row of each gate for the inputs above (first document, Examples 1 and 4).
GATES = {
    "xnor": (0.0, 1.0, 1.0, 0.0),
    "or": (0.0, 1.0, 1.0, 1.0),
    "and": (0.0, 0.0, 0.0, 1.0),
}


def _positive_int(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def toy(n_samples: int = 1000) -> Data:
    """The last document's 1-D toy set: ``np.linspace(-5, 5, N)``, label +1 where x > 0, else -1.

    The document returns ``inputs`` and ``labels`` as (N, 1) columns (rows as
    samples, int labels); here X is (1, N) and Y is (1, N), float64, with
    Y = 2 [x > 0] - 1.  For N = 1000 no point is exactly 0: 500 of each label.
    Deterministic: no random state at all.
    """
    n = _positive_int("n_samples", n_samples)
    X = np.linspace(-5.0, 5.0, n).reshape(1, n)
    Y = (X > 0).astype(np.float64) * 2.0 - 1.0
    return X, Y


def make_circles(n_samples: int = 1000, factor: float = 0.3, noise: float = 0.1, *, rng: RNG) -> Data:
    """Two concentric circles, following ``sklearn.datasets.make_circles`` with ``shuffle=False``.

    n_out = n_samples // 2 points on the unit circle (label 0), then
    n_in = n_samples - n_out on the circle of radius ``factor`` (label 1), at
    angles ``linspace(0, 2 pi, n, endpoint=False)``; then Gaussian noise of
    standard deviation ``noise`` is added to every coordinate, drawn as one
    (N, 2) array like sklearn, from the Generator (or integer seed) given: the
    geometry is sklearn's exactly, the noise an equally distributed draw (sklearn's
    own numbers would need NumPy's legacy global-state generator, which this project
    does not use).  No shuffling, as in the document.

    Returns X (2, N) and Y (1, N) in {0., 1.} (the document's X is (N, 2)).
    """
    n = _positive_int("n_samples", n_samples)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor must be in [0, 1), got {factor!r}")
    if noise is not None and noise < 0:
        raise ValueError(f"noise must be non-negative or None, got {noise!r}")
    gen = as_generator(rng)
    n_out = n // 2
    n_in = n - n_out
    theta_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    theta_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.append(np.cos(theta_out), factor * np.cos(theta_in)),
                   np.append(np.sin(theta_out), factor * np.sin(theta_in))])
    Y = np.hstack([np.zeros(n_out), np.ones(n_in)]).reshape(1, n)
    if noise is not None:
        X = X + gen.normal(scale=noise, size=(n, 2)).T
    return X, Y


def truth_table(gate: str) -> Data:
    """X (2, 4) = [[0, 0, 1, 1], [0, 1, 0, 1]] and Y (1, 4), the gate's output for each column."""
    if gate not in GATES:
        raise ValueError(f"unknown gate {gate!r}; choose one of {sorted(GATES)}")
    return np.array(TRUTH_TABLE_INPUTS), np.array([GATES[gate]])


def xnor() -> Data:
    """First document, Example 1: Y = [[0, 1, 1, 0]] (negated XOR)."""
    return truth_table("xnor")


def logical_or() -> Data:
    """First document, Example 4: Y = [[0, 1, 1, 1]]."""
    return truth_table("or")


def logical_and() -> Data:
    """First document, Example 4: Y = [[0, 0, 0, 1]]."""
    return truth_table("and")


def sin_target(X: np.ndarray) -> np.ndarray:
    """y = sin(pi x1) x2 for every column of X (2, N); returns Y (1, N)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"X has shape {X.shape}; expected (2, N)")
    return (np.sin(np.pi * X[0]) * X[1]).reshape(1, X.shape[1])


def sin_regression(n_samples: int = 8, *, rng: RNG) -> Data:
    """First document, Example 2: X ~ U[0, 1)^(2 x N), Y = sin(pi x1) x2.

    The document draws X from NumPy's global state; here it comes from ``rng``.
    """
    n = _positive_int("n_samples", n_samples)
    X = as_generator(rng).random((2, n))
    return X, sin_target(X)


def circle_label(X: np.ndarray) -> np.ndarray:
    """y = 1 if x1^2 + x2^2 > 0.5 else 0, for every column of X (2, N); returns Y (1, N)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(f"X has shape {X.shape}; expected (2, N)")
    return (X[0] ** 2 + X[1] ** 2 > 0.5).astype(np.float64).reshape(1, X.shape[1])


def circle_boundary(n_samples: int = 8, *, rng: RNG) -> Data:
    """First document, Example 3: X ~ U[0, 1)^(2 x N), Y = [x1^2 + x2^2 > 0.5]."""
    n = _positive_int("n_samples", n_samples)
    X = as_generator(rng).random((2, n))
    return X, circle_label(X)


#: Side of the square images of ``digits_like`` (MNIST's 28 x 28 = 784 inputs).
IMAGE_SIDE = 28


def _templates(rng: np.random.Generator, classes: int) -> np.ndarray:
    """One 28 x 28 template per class: three strokes of Gaussian ink between random points, in [0, 1]."""
    grid = np.stack(np.meshgrid(np.arange(IMAGE_SIDE), np.arange(IMAGE_SIDE), indexing="ij"), axis=-1)
    out = np.zeros((classes, IMAGE_SIDE, IMAGE_SIDE))
    for c in range(classes):
        for start, end in rng.uniform(5, IMAGE_SIDE - 5, (3, 2, 2)):
            for t in np.linspace(0.0, 1.0, 12):
                centre = (1 - t) * start + t * end
                out[c] = np.maximum(out[c], np.exp(-np.sum((grid - centre) ** 2, axis=-1) / 4.0))
    return out


def digits_like(n_samples: int = 1000, *, rng: RNG, classes: int = 10, noise: float = 0.5) -> Data:
    """A data set of MNIST's shape: X (784, n) pixels in [0, 1], Y (10, n) one-hot labels.

    The classes are 10 templates of three ink strokes each (drawn from ``rng``, so a seed fixes the
    task); a sample is its class's template moved by up to 2 pixels each way, with every pixel
    perturbed by Normal(0, ``noise``) and clipped to [0, 1].  Labels are drawn uniformly.  Not the
    real digits: the same shapes and scales, reproducible without a download.
    """
    n = _positive_int("n_samples", n_samples)
    gen = as_generator(rng)
    templates = _templates(gen, classes)
    labels = gen.integers(0, classes, n)
    shifts = gen.integers(-2, 3, (n, 2))
    images = np.stack([np.roll(templates[c], tuple(s), axis=(0, 1)) for c, s in zip(labels, shifts)])
    images = np.clip(images + noise * gen.standard_normal(images.shape), 0.0, 1.0)
    return images.reshape(n, -1).T.copy(), np.eye(classes)[:, labels]
