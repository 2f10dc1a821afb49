"""Buggy implementations, part 2: reductions over the batch, and what reaches the batch.

Bias gradients over the wrong axis or from one sample, mean and sum mixed,
averaging twice, samples dropped, inputs cast to integers.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns, sigmoid, sigmoid_prime
from tests.catalogue.expect import Entry, Expect


# B08: BP3 summed over the wrong axis: over the units instead of over the samples.
def bias_wrong_axis(params, X, Y):
    zs, acts = forward_columns(params, X)
    N = X.shape[1]
    return backward_columns(params, zs, acts, Y, reduce_W=lambda g: g / N,
                            reduce_b=lambda d: d.sum(axis=0) / N)      # BUG: axis=0 sums the units


# B09: per-sample loop whose bias gradient is assigned, not accumulated: the last sample's only.
def bias_from_one_sample(params, X, Y):
    N = X.shape[1]
    nabla_w = [np.zeros_like(W) for W, _ in params]
    nabla_b = [np.zeros_like(b) for _, b in params]
    for i in range(N):
        zs, acts = forward_columns(params, X[:, i:i + 1])
        delta = (acts[-1] - Y[:, i:i + 1]) * sigmoid_prime(zs[-1])
        for l in range(len(params), 0, -1):
            nabla_w[l - 1] += delta @ acts[l - 1].T
            nabla_b[l - 1] = delta[:, 0]                               # BUG: = instead of +=
            if l > 1:
                delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return [(nw / N, nb / N) for nw, nb in zip(nabla_w, nabla_b)]


# B10: dW averaged over the batch, db summed (declared: mean).
def mean_and_sum_mixed(params, X, Y):
    zs, acts = forward_columns(params, X)
    N = X.shape[1]
    return backward_columns(params, zs, acts, Y, reduce_W=lambda g: g / N,
                            reduce_b=lambda d: d.sum(axis=1))         # BUG: no / N for the bias


# B11: the per-sample gradients divided by N, and the total divided by N again.
def averaging_twice(params, X, Y):
    N = X.shape[0]
    grads = None
    for i in range(N):                                                  # rows as samples
        x, y = X[i:i + 1].T, Y[i:i + 1].T
        zs, acts = forward_columns(params, x)
        g = backward_columns(params, zs, acts, y, reduce_W=lambda g: g / N, reduce_b=lambda d: d.sum(axis=1) / N)
        grads = g if grads is None else [(a + c, b + d) for (a, b), (c, d) in zip(grads, g)]
    return [(gW / N, gb / N) for gW, gb in grads]                       # BUG: already averaged


# B12: declared as the mean over the batch, but summed.
def summed_not_averaged(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y, reduce_W=lambda g: g,  # BUG: no / N anywhere
                            reduce_b=lambda d: d.sum(axis=1))


# B13: an off-by-one per-sample loop: the last sample never contributes (still divided by N).
def dropped_last_sample(params, X, Y):
    N = X.shape[1]
    nabla = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    for i in range(N - 1):                                              # BUG: range(N)
        zs, acts = forward_columns(params, X[:, i:i + 1])
        g = backward_columns(params, zs, acts, Y[:, i:i + 1], reduce_W=lambda g: g, reduce_b=lambda d: d[:, 0])
        nabla = [(a + c, b + d) for (a, b), (c, d) in zip(nabla, g)]
    return [(nw / N, nb / N) for nw, nb in nabla]


# B14: inputs cast to integers "because the inputs are pixels" (rows, W (in, out)).
def integer_cast(params, X, Y):
    X = X.astype(int)                                                   # BUG: truncates real inputs
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(acts[-1] @ W + b))
    N = X.shape[0]
    delta = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (acts[l - 1].T @ delta / N, delta.sum(axis=0) / N))
        if l > 1:
            a = acts[l - 1]
            delta = (delta @ params[l - 1][0].T) * a * (1 - a)
    return grads


_AGREE = ("reference.agreement",)

ENTRIES = [
    Entry(implementation("bug.bias_wrong_axis", gradient=bias_wrong_axis),
          "the bias gradient summed over the wrong axis",
          Expect(("interface.shapes",) + _AGREE, cause="bias_wrong_axis", param="b",
                 diagnosed_by="reference.agreement")),
    Entry(implementation("bug.bias_from_one_sample", gradient=bias_from_one_sample),
          "the bias gradient taken from one sample",
          Expect(_AGREE, cause="bias_wrong_axis", layer="L", param="b")),
    Entry(implementation("bug.mean_and_sum_mixed", gradient=mean_and_sum_mixed),
          "mean and sum mixed between W and b",
          Expect(_AGREE, cause="summed_not_averaged", layer="L", param="b", factor="N")),
    Entry(implementation("bug.averaging_twice", gradient=averaging_twice, samples="rows"),
          "averaging twice",
          Expect(_AGREE, cause="averaged_twice", layer="L", factor="1/N")),
    Entry(implementation("bug.summed_not_averaged", gradient=summed_not_averaged),
          "summed over the batch where the mean is declared",
          Expect(_AGREE, cause="summed_not_averaged", layer="L", factor="N")),
    Entry(implementation("bug.dropped_last_sample", gradient=dropped_last_sample),
          "part of the batch silently dropped",
          Expect(_AGREE, cause="dropped_samples", layer="L")),
    Entry(implementation("bug.integer_cast", gradient=integer_cast, samples="rows", weights="in_out"),
          "inputs cast to integers",
          Expect(_AGREE, cause="integer_cast", layer="L")),
]
