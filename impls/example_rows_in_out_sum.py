"""A new correct implementation, in conventions no document uses: samples as ROWS,
W stored (in, out), gradients SUMMED over the batch.  It drops in with two lines
of declaration (the last statement); see impls/README.md.

    X (N, n_0), Y (N, n_L);  params [(W^l (n_{l-1}, n_l), b^l (n_l,))]
    a^l = sigmoid(a^{l-1} W^l + b^l);  grads of sum_i 1/2 ||a^L_i - y_i||^2
"""
import numpy as np

from conformance import implementation


def sigmoid(z):
    """1 / (1 + e^-z) written as (1 + tanh(z/2)) / 2, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def gradient(params, X, Y):
    """[(dW^l (in, out), db^l (out,))] of the summed loss; rows are samples throughout."""
    activations = [X]
    for W, b in params:
        activations.append(sigmoid(activations[-1] @ W + b))
    a_L = activations[-1]
    delta = (a_L - Y) * a_L * (1.0 - a_L)                       # BP1, one row per sample
    grads = []
    for l in range(len(params), 0, -1):
        grads.append((activations[l - 1].T @ delta, delta.sum(axis=0)))   # BP4, BP3
        if l > 1:
            a = activations[l - 1]
            delta = (delta @ params[l - 1][0].T) * a * (1.0 - a)          # BP2 with W (in, out)
    return grads[::-1]


IMPLEMENTATION = implementation("example.rows_in_out_sum", gradient=gradient,
                                samples="rows", weights="in_out", reduction="sum")
