"""Correct variants in many conventions: the suite must never flag any of them.

Rows or columns as samples, (in, out) weights, folded-in biases, sum or mean,
the mean of squares as the loss, float32, a per-sample loop through the ready
adapter, per-neuron loops, tensor stacks, a training-step API and a tiny scalar
autodiff engine (``tests.catalogue.micrograd``).
"""
import numpy as np

from conformance.dropin.adapters import per_sample
from conformance.dropin.protocol import implementation
from tests.catalogue.expect import Entry
from tests.catalogue.micrograd import micrograd_gradient


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# C1: rows as samples, W (out, in), mean.
def rows_out_in_mean(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(acts[-1] @ W.T + b))
    N, a = X.shape[0], acts[-1]
    delta = (a - Y) * a * (1 - a)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta.T @ acts[l - 1] / N, delta.mean(axis=0)))
        if l > 1:
            a = acts[l - 1]
            delta = (delta @ params[l - 1][0]) * a * (1 - a)
    return grads


# C2: columns, bias folded into W as its last column (ones appended to every activation), mean.
def folded_bias(params, X, Y):
    N = X.shape[1]
    ones = np.ones((1, N))
    acts = [np.vstack([X, ones])]
    for W in params:
        acts.append(np.vstack([sigmoid(W @ acts[-1]), ones]))
    a = acts[-1][:-1]
    delta = (a - Y) * a * (1 - a)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, delta @ acts[l - 1].T / N)
        if l > 1:
            a = acts[l - 1][:-1]
            delta = (params[l - 1][:, :-1].T @ delta) * a * (1 - a)
    return grads


# C3: the batched matrix form in float32 throughout.
def float32_batched(params, X, Y):
    zs, acts = [], [X]
    for W, b in params:
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(sigmoid(zs[-1]))
    N, a = X.shape[1], acts[-1]
    delta = (a - Y) * a * (1 - a)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / np.float32(N), delta.sum(axis=1) / np.float32(N)))
        if l > 1:
            a = acts[l - 1]
            delta = (params[l - 1][0].T @ delta) * a * (1 - a)
    return grads


# C4: network.py-style backprop(params, x, y) for one (n, 1) column, through the ready adapter.
def backprop_one(params, x, y):
    activation, activations, zs = x, [x], []
    for W, b in params:
        zs.append(W @ activation + b)
        activation = sigmoid(zs[-1])
        activations.append(activation)
    delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
    nabla_b, nabla_w = [None] * len(params), [None] * len(params)
    nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
    for l in range(2, len(params) + 1):
        a = activations[-l]
        delta = (params[-l + 1][0].T @ delta) * a * (1 - a)
        nabla_b[-l], nabla_w[-l] = delta, delta @ activations[-l - 1].T
    return nabla_b, nabla_w


# C5: columns, W stored (in, out) (z = W^T a + b), summed over the batch.
def columns_in_out_sum(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(W.T @ acts[-1] + b[:, None]))
    a = acts[-1]
    delta = (a - Y) * a * (1 - a)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (acts[l - 1] @ delta.T, delta.sum(axis=1)))
        if l > 1:
            a = acts[l - 1]
            delta = (params[l - 1][0] @ delta) * a * (1 - a)
    return grads


# C6: the forum question's flat layout, either output, loss = mean of (a - y)^2 over all entries.
def flat_mse_any_output(params, X, Y, *, output):
    Ws, bs = params[0::2], params[1::2]
    L, acts = len(Ws), [X]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = W @ acts[-1] + b[:, None]
        acts.append(z if (l == L and output == "identity") else sigmoid(z))
    a = acts[-1]
    delta = 2.0 * (a - Y) / Y.size
    if output == "sigmoid":
        delta = delta * a * (1 - a)
    grads = []
    for l in range(L, 0, -1):
        grads[:0] = [delta @ acts[l - 1].T, delta.sum(axis=1)]
        if l > 1:
            a = acts[l - 1]
            delta = (Ws[l - 1].T @ delta) * a * (1 - a)
    return grads


# C7: per-neuron loops over Python floats, summed over the batch.
def per_neuron_sum(params, X, Y):
    W = [Wl.tolist() for Wl, _ in params]
    b = [bl.tolist() for _, bl in params]
    gW = [[[0.0] * len(row) for row in Wl] for Wl in W]
    gb = [[0.0] * len(bl) for bl in b]
    for i in range(X.shape[1]):
        a = [X[:, i].tolist()]
        for Wl, bl in zip(W, b):
            a.append([1.0 / (1.0 + np.exp(-(sum(w * x for w, x in zip(row, a[-1])) + bj)))
                      for row, bj in zip(Wl, bl)])
        delta = [(aj - yj) * aj * (1 - aj) for aj, yj in zip(a[-1], Y[:, i])]
        for l in range(len(W) - 1, -1, -1):
            for j, dj in enumerate(delta):
                gb[l][j] += dj
                for k, ak in enumerate(a[l]):
                    gW[l][j][k] += dj * ak
            if l > 0:
                delta = [sum(W[l][j][k] * delta[j] for j in range(len(delta))) * ak * (1 - ak)
                         for k, ak in enumerate(a[l])]
    return [(np.array(gw), np.array(gbl)) for gw, gbl in zip(gW, gb)]


# C8: stacks of column vectors (N, n, 1) and einsum, rows as samples, (n, 1) biases, mean.
def tensor_stacks(params, X, Y):
    acts = [X[:, :, None]]
    for W, b in params:
        acts.append(sigmoid(np.einsum("ij,njk->nik", W, acts[-1]) + b))
    a = acts[-1]
    delta = (a - Y[:, :, None]) * a * (1 - a)
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (np.einsum("nik,njk->ij", delta, acts[l - 1]) / X.shape[0], delta.mean(axis=0)))
        if l > 1:
            a = acts[l - 1]
            delta = np.einsum("ji,njk->nik", params[l - 1][0], delta) * a * (1 - a)
    return grads


# C9: a training-step API: rows, W (in, out), (1, n) row biases, in-place update, mean.
class RowNet:
    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, X, Y):
        acts = [X]
        for W, b in self.params:
            acts.append(sigmoid(acts[-1] @ W + b))
        a = acts[-1]
        delta = (a - Y) * a * (1 - a) / X.shape[0]
        grads = []
        for l in range(len(self.params), 0, -1):
            grads.insert(0, (acts[l - 1].T @ delta, delta.sum(axis=0, keepdims=True)))
            if l > 1:
                a = acts[l - 1]
                delta = (delta @ self.params[l - 1][0].T) * a * (1 - a)
        for (W, b), (gW, gb) in zip(self.params, grads):               # update after all of BP2
            W -= self.lr * gW
            b -= self.lr * gb


def row_net_step(params, X, Y, eta):
    RowNet(params, eta).step(X, Y)


ENTRIES = [
    Entry(implementation("ok.rows_out_in_mean", gradient=rows_out_in_mean, samples="rows"),
          "rows as samples, W (out, in), mean"),
    Entry(implementation("ok.folded_bias", gradient=folded_bias, bias="folded"),
          "bias folded into W, columns, mean"),
    Entry(implementation("ok.float32_batched", gradient=float32_batched, dtype="float32"),
          "float32 throughout, batched matrices"),
    Entry(implementation("ok.per_sample_adapter", gradient=per_sample(backprop_one), bias="column"),
          "a per-sample loop (network.py style) through conformance.dropin.adapters.per_sample"),
    Entry(implementation("ok.columns_in_out_sum", gradient=columns_in_out_sum, weights="in_out",
                         reduction="sum"),
          "columns, W (in, out), sum"),
    Entry(implementation("ok.flat_mse_any_output", gradient=flat_mse_any_output, layout="flat",
                         loss_kind="mse", outputs=("sigmoid", "identity")),
          "flat [W1, b1, ...], mean of squares over all entries, sigmoid or identity output"),
    Entry(implementation("ok.per_neuron_sum", gradient=per_neuron_sum, reduction="sum"),
          "per-neuron loops over Python floats, sum"),
    Entry(implementation("ok.tensor_stacks", gradient=tensor_stacks, samples="rows", bias="column"),
          "stacks of column vectors with einsum, rows, (n, 1) biases, mean"),
    Entry(implementation("ok.row_net_step", train_step=row_net_step, samples="rows", weights="in_out",
                         bias="row"),
          "a training-step API updating (in, out) weights and (1, n) biases in place"),
    Entry(implementation("ok.micrograd", gradient=micrograd_gradient, samples="rows", max_width=4,
                         max_N=6),
          "a tiny scalar autodiff engine (micrograd style), rows, mean"),
]
