"""Finite differences near a ReLU kink: a step that crosses z = 0 is detected, and the entry is
left out (full), the step shortened or the direction dropped (directional), or the point moved;
a correct gradient never raises a false alarm there, and a wrong one is still caught."""
import numpy as np
import pytest

from reference import Network, gradients
from reference.directional import directional_check
from reference.finite_differences import (kink_signature, loss_of_theta, move_off_kinks,
                                          numerical_gradient_with_error, richardson_with_error)
from reference.forward import forward
from reference.params import flatten


def near_kink_point(hidden="relu", distance=1e-9, seed=3):
    """[3, 4, 3, 2] with z^1_0 of sample 0 at -distance..0 and z^1_1 of sample 1 at +distance."""
    net = Network([3, 4, 3, 2], hidden=hidden, output="softmax", loss="categorical_cross_entropy")
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l)))
              for l in range(1, net.L + 1)]
    X = rng.standard_normal((3, 4))
    Y = np.eye(2)[:, [0, 1, 1, 0]]
    z = forward(net, params, X).z(1)
    W, b = params[0]
    b = b.copy()
    b[0] -= z[0, 0]
    b[1] -= z[1, 1] - distance
    params[0] = (W, b)
    return net, params, X, Y


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_full_differences_leave_out_exactly_the_entries_whose_steps_cross_a_kink(hidden):
    net, params, X, Y = near_kink_point(hidden)
    g = flatten(gradients(net, params, X, Y))
    R, E = (flatten(a) for a in numerical_gradient_with_error(net, params, X, Y))
    out = np.isinf(E)
    assert 0 < out.sum() < out.size
    assert np.all(np.abs(R[~out] - g[~out]) <= E[~out])
    # without the signature those entries would raise a false alarm
    R0, E0 = richardson_with_error(loss_of_theta(net, X, Y), flatten(params))
    assert np.any(np.abs(R0[out] - g[out]) > E0[out])


def test_a_smooth_network_gets_no_signature_and_no_left_out_entries():
    net = Network([3, 4, 2], hidden="tanh")
    assert kink_signature(net, np.zeros((3, 1))) is None
    assert kink_signature(Network([3, 2], hidden="relu"), np.zeros((3, 1))) is None   # no hidden layer
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.bias_shape(l))) for l in (1, 2)]
    _, E = numerical_gradient_with_error(net, params, rng.standard_normal((3, 2)), rng.random((2, 2)))
    assert np.all(np.isfinite(flatten(E)))


def test_directions_near_a_kink_are_shortened_and_pass_where_unguarded_ones_raise_a_false_alarm():
    net, params, X, Y = near_kink_point(distance=1e-5)
    W, b = params[0]
    b = b.copy()
    b[0] += 2e-5                      # now z^1_0 = 2e-5 and z^1_1 = 1e-5: reachable by halving the step
    params[0] = (W, b)
    f, theta = loss_of_theta(net, X, Y), flatten(params)
    g = flatten(gradients(net, params, X, Y))
    guarded = directional_check(f, theta, g, rng=2, n_directions=8, signature=kink_signature(net, X))
    assert guarded.passed and len(guarded.directions) == 8 and guarded.shortened > 0
    unguarded = directional_check(f, theta, g, rng=2, n_directions=8)
    assert not unguarded.passed


def test_a_kink_at_the_point_itself_drops_directions_and_moving_the_point_restores_the_check():
    net, params, X, Y = near_kink_point(distance=0.0)
    f, theta, sig = loss_of_theta(net, X, Y), flatten(params), kink_signature(net, X)
    res = directional_check(f, theta, flatten(gradients(net, params, X, Y)), rng=1, n_directions=4, signature=sig)
    assert res.dropped > 0 and len(res.directions) + res.dropped <= 8
    moved, moves = move_off_kinks(net, params, X)
    assert {(l, j) for l, j, _ in moves} >= {(1, 0), (1, 1)}
    z = forward(net, moved, X)
    assert all(np.min(np.abs(z.z(l))) >= 1e-3 * max(1.0, np.max(np.abs(z.z(l)))) * (1 - 1e-12) for l in (1, 2))
    g = flatten(gradients(net, moved, X, Y))
    res = directional_check(f, flatten(moved), g, rng=1, n_directions=4, signature=sig)
    assert res.passed and res.dropped == 0 and len(res.directions) == 4
    wrong = g.copy()
    wrong[0] += 1e-6
    assert not directional_check(f, flatten(moved), wrong, rng=1, n_directions=4, signature=sig).passed


def test_moving_off_kinks_changes_nothing_for_smooth_or_bias_free_networks():
    for net in (Network([2, 3, 1], hidden="tanh"), Network([2, 3, 1], hidden="relu", bias=False)):
        params = [(np.ones(net.weight_shape(l)), np.zeros(net.bias_shape(l))) for l in (1, 2)]
        moved, moves = move_off_kinks(net, params, np.zeros((2, 3)))
        assert moves == [] and all(np.array_equal(m[1], p[1]) for m, p in zip(moved, params))
