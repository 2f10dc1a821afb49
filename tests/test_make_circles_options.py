"""``make_circles`` as sklearn's: defaults n_samples=1000, factor=0.3, noise=0.1; factor 0
and noise 0 allowed; the noise is one (N, 2) normal draw from the Generator given; the inner circle's angles
are linspace(0, 2 pi, n_in, endpoint=False) like the outer one's."""
import numpy as np
import pytest

from reference.datasets import make_circles


def test_the_defaults_are_the_last_documents_call():
    X, Y = make_circles(rng=3)
    X2, Y2 = make_circles(1000, 0.3, 0.1, rng=3)
    assert X.shape == (2, 1000) and np.array_equal(X, X2) and np.array_equal(Y, Y2)


def test_the_noise_is_added_as_one_n_by_2_normal_draw_from_the_generator_given():
    """sklearn: ``X += generator.normal(scale=noise, size=X.shape)`` with X of shape (N, 2)."""
    clean, _ = make_circles(9, factor=0.5, noise=None, rng=0)
    X, _ = make_circles(9, factor=0.5, noise=0.2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(X, clean + np.random.default_rng(7).normal(scale=0.2, size=(9, 2)).T)


def test_inner_circle_points_are_at_evenly_spaced_angles_starting_at_0():
    X, _ = make_circles(9, factor=0.5, noise=None, rng=0)
    inner = X[:, 4:] / 0.5
    angles = np.mod(np.arctan2(inner[1], inner[0]), 2 * np.pi)
    np.testing.assert_allclose(angles, np.linspace(0, 2 * np.pi, 5, endpoint=False), atol=1e-12)


def test_factor_0_and_noise_0_are_allowed_and_negative_noise_is_refused_naming_it():
    X, _ = make_circles(6, factor=0.0, noise=0.0, rng=0)
    assert np.all(X[:, 3:] == 0.0)
    with pytest.raises(ValueError, match=r"^noise must be non-negative or None, got -0\.1$"):
        make_circles(6, noise=-0.1, rng=0)
