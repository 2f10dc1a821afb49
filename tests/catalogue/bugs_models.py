"""Buggy implementations, part 5 (issue 16): softmax, cross-entropy, ReLU and tanh, L2 terms.

Each is written the way such code is usually written, in its own conventions, with the one
bug marked ``# BUG``, and declares the model it means to compute.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.expect import Entry, Expect


def softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def relu(z):
    return np.maximum(z, 0.0)


def mlp_forward(params, X, hidden=relu):
    """Columns as samples, (n,) biases: hidden layers ``hidden``, the logits of the last layer."""
    acts, zs = [X], []
    for l, (W, b) in enumerate(params, start=1):
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(hidden(zs[-1]) if l < len(params) else zs[-1])
    return zs, acts


def mlp_backward(params, zs, acts, delta, prime, decay=0.0, bias_decay=0.0):
    """BP2-BP4 from a given delta^L, the hidden derivative prime(z, a), mean over the batch, L2 terms."""
    N, grads = delta.shape[1], [None] * len(params)
    for l in range(len(params), 0, -1):
        W, b = params[l - 1]
        grads[l - 1] = (delta @ acts[l - 1].T / N + decay * W, delta.sum(axis=1) / N + bias_decay * b)
        if l > 1:
            delta = (W.T @ delta) * prime(zs[l - 2], acts[l - 1])
    return grads


def relu_prime(z, a):
    return (z > 0).astype(float)


def summed(per_sample):
    """The sum of per-sample gradient lists [(dW, db), ...]."""
    total = None
    for g in per_sample:
        total = g if total is None else [(tW + gW, tb + gb) for (tW, tb), (gW, gb) in zip(total, g)]
    return total


# M01: softmax with cross-entropy, the Jacobian applied to a - y once more (doubled).
def softmax_ce_doubled_jacobian(params, X, Y):
    zs, acts = mlp_forward(params, X)
    a = softmax(zs[-1])
    g = a - Y                                                   # dC/dz, the Jacobian already in it
    delta = a * (g - (a * g).sum(axis=0))                       # BUG: J^T applied again
    return mlp_backward(params, zs, acts, delta, relu_prime)


# M02: softmax with the squared error, BP1 without the Jacobian (the sigmoid habit, minus sigma').
def softmax_sse_no_jacobian(params, X, Y):
    zs, acts = mlp_forward(params, X)
    delta = softmax(zs[-1]) - Y                                 # BUG: J^T (a - y) belongs
    return mlp_backward(params, zs, acts, delta, relu_prime)


# M03: softmax with the squared error "differentiated like a sigmoid": a (1 - a) (a - y), rows as samples.
def softmax_sse_elementwise(params, X, Y):
    acts, zs = [X], []
    for l, (W, b) in enumerate(params, start=1):
        zs.append(acts[-1] @ W.T + b)
        acts.append(np.tanh(zs[-1]) if l < len(params) else softmax(zs[-1], axis=1))
    a, N = acts[-1], X.shape[0]
    delta = a * (1 - a) * (a - Y)                               # BUG: only the diagonal of the Jacobian
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta.T @ acts[l - 1] / N, delta.mean(axis=0)))
        if l > 1:
            delta = (delta @ params[l - 1][0]) * (1 - acts[l - 1] ** 2)
    return grads


# M04b: a softmax classifier with the cross-entropy whose output error keeps the elementwise a (1 - a) copied
# from a sigmoid network: delta^L = (a - y) a (1 - a), where the cross-entropy's delta^L is a - y.
def softmax_ce_diagonal_left(params, X, Y):
    zs, acts = mlp_forward(params, X)
    a = softmax(zs[-1])
    delta = (a - Y) * a * (1 - a)                               # BUG: a - y already holds the Jacobian
    return mlp_backward(params, zs, acts, delta, relu_prime)


# M04: sigmoid outputs with the binary cross-entropy, sigma' left in BP1 (network.py's habit).
def bce_sigma_prime_left(params, X, Y):
    zs, acts = mlp_forward(params, X, hidden=np.tanh)
    a = 1 / (1 + np.exp(-zs[-1]))
    delta = (a - Y) * a * (1 - a)                               # BUG: the cross-entropy cancels sigma'
    return mlp_backward(params, zs, acts, delta, lambda z, h: 1 - h ** 2)


# M05: relu derivative written on the activation with >=: every unit passes its error back.
def relu_prime_at_activation(params, X, Y):
    zs, acts = mlp_forward(params, X)
    delta = softmax(zs[-1]) - Y
    return mlp_backward(params, zs, acts, delta, lambda z, a: (a >= 0).astype(float))   # BUG: a >= 0 always


# M06: tanh derivative taken at the activation: 1 - tanh(a)^2 (per sample, network.py style).
def tanh_prime_at_activation(params, X, Y):
    def one(i):
        zs, acts = mlp_forward(params, X[:, i:i + 1], hidden=np.tanh)
        delta = acts[-1] - Y[:, i:i + 1]
        return mlp_backward(params, zs, acts, delta, lambda z, a: 1 - np.tanh(a) ** 2)     # BUG: at a
    N = X.shape[1]
    return [(W / N, b / N) for W, b in summed(one(i) for i in range(N))]


# M07: weight decay applied to the biases too (declared on the weights only).
def l2_on_biases(params, X, Y, lam=0.05):
    zs, acts = mlp_forward(params, X)
    return mlp_backward(params, zs, acts, softmax(zs[-1]) - Y, relu_prime, decay=lam,
                        bias_decay=lam)                         # BUG: biases decay too


# M08: weight decay declared but forgotten in the gradient.
def l2_missing(params, X, Y, lam=0.05):
    zs, acts = mlp_forward(params, X)
    return mlp_backward(params, zs, acts, softmax(zs[-1]) - Y, relu_prime)   # BUG: + lam * W missing


# M09: the derivative of lambda ||W||^2 where lambda/2 ||W||^2 is the loss: 2 lambda W.
def l2_doubled(params, X, Y, lam=0.05):
    zs, acts = mlp_forward(params, X)
    return mlp_backward(params, zs, acts, softmax(zs[-1]) - Y, relu_prime, decay=2 * lam)   # BUG: 2 lambda


# M10: a summed per-sample loop that adds the weight decay inside the loop (N times).
def l2_per_sample(params, X, Y, lam=0.05):
    def one(i):
        zs, acts = mlp_forward(params, X[:, i:i + 1])
        return mlp_backward(params, zs, acts, softmax(zs[-1]) - Y[:, i:i + 1], relu_prime,
                            decay=lam)                          # BUG: lambda W once per sample
    return summed(one(i) for i in range(X.shape[1]))


# M11: a cross-entropy network whose batch gradient is summed while it declares the mean.
def ce_summed(params, X, Y):
    zs, acts = mlp_forward(params, X)
    grads = mlp_backward(params, zs, acts, softmax(zs[-1]) - Y, relu_prime)
    return [(W * X.shape[1], b * X.shape[1]) for W, b in grads]   # BUG: sum, declared mean


# M12: a network without biases whose BP2 misses the transpose (leaky relu, identity output).
def no_bias_missing_transpose(params, X, Y, slope=0.1):
    acts, zs = [X], []
    for l, W in enumerate(params, start=1):
        zs.append(W @ acts[-1])
        acts.append(np.where(zs[-1] > 0, zs[-1], slope * zs[-1]) if l < len(params) else zs[-1])
    N, delta, grads = X.shape[1], acts[-1] - Y, [None] * len(params)
    for l in range(len(params), 0, -1):
        grads[l - 1] = delta @ acts[l - 1].T / N
        if l > 1:
            delta = (params[l - 1] @ delta) * np.where(zs[l - 2] > 0, 1.0, slope)   # BUG: W, not W.T
    return grads


_AGREE = ("reference.agreement",)
_SOFTMAX_CE = dict(hidden="relu", output="softmax", loss_kind="categorical_cross_entropy")

ENTRIES = [
    Entry(implementation("bug.softmax_ce_doubled_jacobian", gradient=softmax_ce_doubled_jacobian, **_SOFTMAX_CE),
          "the softmax Jacobian doubled (applied to a - y of the cross-entropy)",
          Expect(_AGREE, cause="doubled_softmax_jacobian", layer="L")),
    Entry(implementation("bug.softmax_sse_no_jacobian", gradient=softmax_sse_no_jacobian, hidden="relu",
                         output="softmax"),
          "the softmax Jacobian missing (squared error, delta = a - y)",
          Expect(_AGREE, cause="missing_softmax_jacobian", layer="L")),
    Entry(implementation("bug.softmax_sse_elementwise", gradient=softmax_sse_elementwise, hidden="tanh",
                         output="softmax", samples="rows"),
          "the softmax Jacobian missing (only its diagonal a (1 - a), as for a sigmoid)",
          Expect(_AGREE, cause="missing_softmax_jacobian", layer="L")),
    Entry(implementation("bug.bce_sigma_prime_left", gradient=bce_sigma_prime_left, hidden="tanh",
                         loss_kind="binary_cross_entropy"),
          "a cross-entropy gradient with sigma' left in",
          Expect(_AGREE, cause="cross_entropy_sigma_prime", layer="L")),
    Entry(implementation("bug.softmax_ce_diagonal_left", gradient=softmax_ce_diagonal_left, **_SOFTMAX_CE),
          "a softmax cross-entropy gradient with a sigmoid's a (1 - a) left on a - y",
          Expect(_AGREE, cause="cross_entropy_sigma_prime", layer="L")),
    Entry(implementation("bug.relu_prime_at_activation", gradient=relu_prime_at_activation, **_SOFTMAX_CE),
          "the ReLU derivative taken at a instead of z (a >= 0: ones everywhere)",
          Expect(_AGREE, cause="activation_prime_at_activation")),
    Entry(implementation("bug.tanh_prime_at_activation", gradient=tanh_prime_at_activation, hidden="tanh",
                         output="identity"),
          "the tanh derivative taken at a instead of z",
          Expect(_AGREE, cause="activation_prime_at_activation", layer="L-1")),
    Entry(implementation("bug.l2_on_biases", gradient=l2_on_biases, l2=0.05, **_SOFTMAX_CE),
          "L2 applied to biases",
          Expect(_AGREE, cause="l2_on_biases", param="b")),
    Entry(implementation("bug.l2_missing", gradient=l2_missing, l2=0.05, **_SOFTMAX_CE),
          "L2 missing from the gradient",
          Expect(_AGREE, cause="l2_missing", param="W")),
    Entry(implementation("bug.l2_doubled", gradient=l2_doubled, l2=0.05, **_SOFTMAX_CE),
          "L2 doubled (2 lambda W)",
          Expect(_AGREE, cause="l2_doubled", param="W")),
    Entry(implementation("bug.l2_per_sample", gradient=l2_per_sample, l2=0.05, reduction="sum", **_SOFTMAX_CE),
          "L2 added once per sample in a summed loop",
          Expect(_AGREE, cause="l2_scaled", param="W")),
    Entry(implementation("bug.ce_summed", gradient=ce_summed, **_SOFTMAX_CE),
          "a cross-entropy gradient summed where the mean is declared",
          Expect(_AGREE, cause="summed_not_averaged", factor="N")),
    Entry(implementation("bug.no_bias_missing_transpose", gradient=no_bias_missing_transpose, hidden="leaky_relu",
                         slope=0.1, output="identity", bias="none"),
          "a missing transpose in BP2 of a network without biases",
          Expect(_AGREE, cause="missing_transpose_bp2", layer="L-1")),
]
