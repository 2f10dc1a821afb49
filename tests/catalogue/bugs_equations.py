"""Buggy implementations, part 1: the backprop equations themselves (BP1, BP2, the loss).

Each is written the way such code is usually written, in its own conventions,
with the one bug marked ``# BUG``.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.expect import Entry, Expect


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def forward_columns(params, X):
    """zs[l-1] = z^l, activations[l] = a^l for columns as samples, (n,) biases."""
    zs, activations = [], [X]
    for W, b in params:
        zs.append(W @ activations[-1] + b[:, None])
        activations.append(sigmoid(zs[-1]))
    return zs, activations


def backward_columns(params, zs, acts, Y, prime=sigmoid_prime, reduce_W=None, reduce_b=None, outer=None):
    """Batched BP1-BP4 for columns as samples, given a forward pass: correct (the mean over the
    batch, sigma' = ``prime``, BP4's product delta a^T) unless a bug passes its own ``prime``,
    batch reductions or ``outer(delta, a_prev)``."""
    N = Y.shape[1]
    reduce_W = reduce_W or (lambda g: g / N)
    reduce_b = reduce_b or (lambda d: d.sum(axis=1) / N)
    outer = outer or (lambda d, a: d @ a.T)
    delta = (acts[-1] - Y) * prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (reduce_W(outer(delta, acts[l - 1])), reduce_b(delta)))
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * prime(zs[l - 2])
    return grads


# B01: BP2 without the transpose: delta^l = W^{l+1} delta^{l+1} (runs only when n_l == n_{l+1}).
def missing_transpose_bp2(params, X, Y):
    zs, acts = forward_columns(params, X)
    N, L = X.shape[1], len(params)
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    grads = [None] * L
    for l in range(L, 0, -1):
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.sum(axis=1) / N)
        if l > 1:
            delta = (params[l - 1][0] @ delta) * sigmoid_prime(zs[l - 2])   # BUG: W, not W.T
    return grads


# B02: sigma' evaluated at the activation a^l instead of at z^l (rows, W (in, out)).
def sigma_prime_at_activation(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(acts[-1] @ W + b))
    N = X.shape[0]
    delta = (acts[-1] - Y) * sigmoid_prime(acts[-1])                   # BUG: sigma'(a), not sigma'(z)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (acts[l - 1].T @ delta / N, delta.mean(axis=0)))
        if l > 1:
            delta = (delta @ params[l - 1][0].T) * sigmoid_prime(acts[l - 1])   # BUG (same)
    return grads


# B03: the error taken as (y - a) instead of (a - y): every gradient flipped ((n, 1) biases, summed).
def sign_flipped(params, X, Y):
    a, acts = X, [X]
    for W, b in params:
        a = sigmoid(W @ a + b)
        acts.append(a)
    delta = (Y - acts[-1]) * acts[-1] * (1 - acts[-1])                 # BUG: y - a
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T, delta.sum(axis=1, keepdims=True)))
        if l > 1:
            a_l = acts[l - 1]
            delta = (params[l - 1][0].T @ delta) * a_l * (1 - a_l)
    return grads


# B04: no sigma' at the sigmoid output (the cross-entropy habit): delta^L = a^L - y.
def missing_output_sigma_prime(params, X, Y):
    zs, acts = forward_columns(params, X)
    N = X.shape[1]
    delta = acts[-1] - Y                                               # BUG: * sigma'(z^L) missing
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / N, delta.mean(axis=1)))
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return grads


# B05: dC/da = 2 (a - y) while the declared loss is 1/2 ||a - y||^2 (rows, W (out, in)).
def missing_half(params, X, Y):
    acts, zs = [X], []
    for W, b in params:
        zs.append(acts[-1] @ W.T + b)
        acts.append(sigmoid(zs[-1]))
    N = X.shape[0]
    delta = 2.0 * (acts[-1] - Y) * sigmoid_prime(zs[-1])               # BUG: the 2 of (a - y)^2
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta.T @ acts[l - 1] / N, delta.sum(axis=0) / N))
        if l > 1:
            delta = (delta @ params[l - 1][0]) * sigmoid_prime(zs[l - 2])
    return grads


# B06 / B07: gradients of C = mean 1/2 ||a - y||^2, but a different loss is reported.
def correct_mean_gradient(params, X, Y):
    return backward_columns(params, *forward_columns(params, X), Y)


def reported_mse(params, X, Y):
    return float(np.mean((forward_columns(params, X)[1][-1] - Y) ** 2))   # BUG: not 1/2, and / n_L


def reported_with_weight_decay(params, X, Y, lam=0.1):
    data = 0.5 * np.sum((forward_columns(params, X)[1][-1] - Y) ** 2) / X.shape[1]
    return float(data + 0.5 * lam * sum(np.sum(W ** 2) for W, _ in params))   # BUG: not in the gradient


_OWN_LOSS = ("finite_differences.own_loss",)
_AGREE = ("reference.agreement",)

ENTRIES = [
    Entry(implementation("bug.missing_transpose_bp2", gradient=missing_transpose_bp2),
          "a missing transpose in BP2",
          Expect(_AGREE, cause="missing_transpose_bp2", layer="L-1")),
    Entry(implementation("bug.sigma_prime_at_activation", gradient=sigma_prime_at_activation,
                         samples="rows", weights="in_out"),
          "sigma' taken at the activation instead of at z",
          Expect(_AGREE, cause="sigma_prime_at_activation", layer="L")),
    Entry(implementation("bug.sign_flipped", gradient=sign_flipped, bias="column", reduction="sum"),
          "a flipped sign",
          Expect(_AGREE, cause="sign_flipped", layer="L", factor="-1")),
    Entry(implementation("bug.missing_output_sigma_prime", gradient=missing_output_sigma_prime),
          "a missing sigma' at a sigmoid output",
          Expect(_AGREE, cause="missing_output_sigma_prime", layer="L")),
    Entry(implementation("bug.missing_half", gradient=missing_half, samples="rows"),
          "the derivative of (a - y)^2 with a loss declared as 1/2 ||a - y||^2",
          Expect(_AGREE, cause="missing_half", layer="L", factor="2")),
    Entry(implementation("bug.reports_mse", gradient=correct_mean_gradient, loss=reported_mse),
          "a gradient that belongs to a different loss than the one reported (mean of squares)",
          Expect(_OWN_LOSS, cause="different_loss", factor="2/n_L")),
    Entry(implementation("bug.reports_weight_decay", gradient=correct_mean_gradient,
                         loss=reported_with_weight_decay),
          "a gradient that belongs to a different loss than the one reported (L2 term left out)",
          Expect(_OWN_LOSS, cause="different_loss")),
]
