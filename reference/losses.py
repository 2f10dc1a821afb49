"""The output layer and the loss: a^L, C, BP1 in its general form, and the L2 term.

Output activations (column-wise over the n_L units of each sample):

    sigmoid   a_j = sigma(z_j)                         J = diag(sigma'(z))
    identity  a_j = z_j                                J = I
    softmax   a_j = exp(z_j) / sum_k exp(z_k)          J = diag(a) - a a^T   (computed from z - max_k z_k)

Per-sample losses, all from the logits z^L where a logarithm appears, so that every value is
finite and accurate for every finite z (no log of a rounded 0 or 1):

    half_sse                   C_x = 1/2 ||a - y||^2
    binary_cross_entropy       C_x = -sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)]
                                   = sum_j [y_j softplus(-z_j) + (1 - y_j) softplus(z_j)]
    categorical_cross_entropy  C_x = -sum_j y_j log a_j = sum_j y_j (logsumexp(z) - z_j)

with softplus(t) = log(1 + e^t) = max(t, 0) + log1p(exp(-|t|)) and logsumexp(z) = m + log sum_k
exp(z_k - m), m = max_k z_k.  The batch loss is C = (1/N) sum_i C_{x_i} + lambda/2 sum_l ||W^l||^2
(+ ||b^l||^2 when ``net.l2_bias``), lambda = ``net.l2``.

BP1, delta^L = dC_x/dz^L, in general and in each case:

    BP1  delta^L = J(z^L)^T dC_x/da^L
         sigmoid,  half_sse                   (a - y) * sigma'(z)
         identity, half_sse                   a - y
         softmax,  half_sse                   J^T (a - y) = a * ((a - y) - a . (a - y))
         sigmoid,  binary_cross_entropy       a - y     (dC/da = (a - y) / (a (1 - a)) cancels sigma')
         softmax,  categorical_cross_entropy  a sum_j y_j - y = a - y for targets on the simplex

The L2 term adds lambda W^l to dC/dW^l (and lambda b^l to dC/db^l when ``net.l2_bias``).
Every function takes and returns (n_L, N) arrays (samples as columns; N = 1 for one sample).
"""
from __future__ import annotations

import numpy as np

from reference.activations import sigmoid, sigmoid_prime
from reference.network import Network, Params

__all__ = ["softmax", "log_softmax", "softplus", "output_activation", "softmax_jacobian_t",
           "output_error", "sample_losses", "data_loss", "l2_penalty", "l2_gradient", "add_l2"]


def softmax(z: np.ndarray) -> np.ndarray:
    """a_j = exp(z_j - m) / sum_k exp(z_k - m), m = max_k z_k, for each column of z (n, N)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log a_j = (z_j - m) - log sum_k exp(z_k - m) for each column of z (n, N)."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.max(z, axis=0, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))


def softplus(t: np.ndarray) -> np.ndarray:
    """log(1 + e^t) = max(t, 0) + log1p(exp(-|t|)), finite and accurate for every finite t."""
    t = np.asarray(t, dtype=np.float64)
    return np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))


def output_activation(net: Network, z_L: np.ndarray) -> np.ndarray:
    """a^L from z^L (n_L, N): sigma, the identity (a new array) or the softmax of each column."""
    if net.output == "identity":
        return np.array(z_L, dtype=np.float64)
    if net.output == "softmax":
        return softmax(z_L)
    return sigmoid(z_L)


def softmax_jacobian_t(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J^T g for J = diag(a) - a a^T (symmetric), column by column: a * (g - sum_k a_k g_k)."""
    return a * (g - np.sum(a * g, axis=0, keepdims=True))


def output_error(net: Network, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """BP1: delta^L = J(z^L)^T dC_x/da^L for every column, in the special form of each case (above)."""
    if net.loss == "binary_cross_entropy":
        return a_L - Y
    if net.loss == "categorical_cross_entropy":
        return a_L * np.sum(Y, axis=0, keepdims=True) - Y
    r = a_L - Y
    if net.output == "identity":
        return r
    if net.output == "softmax":
        return softmax_jacobian_t(a_L, r)
    return r * sigmoid_prime(z_L)


def sample_losses(net: Network, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """C_{x_i} for every sample (column), shape (N,), from the logits where a logarithm appears."""
    if net.loss == "binary_cross_entropy":
        return np.sum(Y * softplus(-z_L) + (1.0 - Y) * softplus(z_L), axis=0)
    if net.loss == "categorical_cross_entropy":
        return -np.sum(Y * log_softmax(z_L), axis=0)
    return 0.5 * np.sum((a_L - Y) ** 2, axis=0)


def data_loss(net: Network, z_L: np.ndarray, a_L: np.ndarray, Y: np.ndarray) -> float:
    """(1/N) sum_i C_{x_i}.  For half_sse computed as 0.5 * sum((a - y)^2) / N, as it always was."""
    if net.loss == "half_sse":
        return float(0.5 * np.sum((a_L - Y) ** 2) / Y.shape[1])
    return float(np.sum(sample_losses(net, z_L, a_L, Y)) / Y.shape[1])


def l2_penalty(net: Network, params: Params) -> float:
    """lambda/2 sum_l ||W^l||^2 (+ ||b^l||^2 when net.l2_bias); 0.0 when lambda = 0."""
    if net.l2 == 0.0:
        return 0.0
    total = sum(float(np.sum(W * W)) + (float(np.sum(b * b)) if net.l2_bias else 0.0) for W, b in params)
    return 0.5 * net.l2 * total


def l2_gradient(net: Network, params: Params) -> Params:
    """[(lambda W^l, lambda b^l or 0)]: the L2 term's share of dC/dW^l and dC/db^l."""
    return [(net.l2 * W, net.l2 * b if net.l2_bias else np.zeros_like(b)) for W, b in params]


def add_l2(net: Network, params: Params, nabla: Params) -> Params:
    """nabla plus the L2 term (new arrays when lambda > 0; ``nabla`` itself when lambda = 0)."""
    if net.l2 == 0.0:
        return nabla
    return [(dW + gW, db + gb) for (dW, db), (gW, gb) in zip(nabla, l2_gradient(net, params))]
