"""Correct variants of issue 16's models: the suite must never flag any of them.

Nielsen's network2 (cross-entropy, L2 as lambda/(2n), a training step), a from-scratch
ReLU + softmax MLP whose fit() draws its own weights, relu' written from the activation or
with relu'(0) = 1, softmax with the squared error through an explicit Jacobian per sample,
a leaky ReLU network without biases under the mean of squares with lambda/(2N), float32
cross-entropy, a tanh network with L2 on the biases summed over the batch, and the scalar
autodiff engine on relu + softmax.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from conformance.dropin.ready_adapters import fit_step, per_sample, sizes_of
from tests.catalogue.expect import Entry
from tests.catalogue.micrograd import micrograd_relu_softmax_gradient


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax_columns(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


# CM1: network2.py: CrossEntropyCost, per-sample backprop, update_mini_batch with L2 as lambda/n.
def network2_backprop(weights, biases, x, y):
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        zs.append(np.dot(w, activation) + b)
        activation = sigmoid(zs[-1])
        activations.append(activation)
    delta = activations[-1] - y                                  # CrossEntropyCost.delta
    nabla_b, nabla_w = [None] * len(weights), [None] * len(weights)
    nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
    for l in range(2, len(weights) + 1):
        sp = sigmoid(zs[-l]) * (1 - sigmoid(zs[-l]))
        delta = np.dot(weights[-l + 1].T, delta) * sp
        nabla_b[-l], nabla_w[-l] = delta, np.dot(delta, activations[-l - 1].T)
    return nabla_b, nabla_w


NETWORK2_N = 1000          # the training-set size n of lambda/(2n)


def network2_update(params, X, Y, eta, lmbda=5.0):
    weights, biases = [W for W, _ in params], [b for _, b in params]
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    m = X.shape[1]
    for i in range(m):
        dnb, dnw = network2_backprop(weights, biases, X[:, i:i + 1], Y[:, i:i + 1])
        nabla_b = [nb + d for nb, d in zip(nabla_b, dnb)]
        nabla_w = [nw + d for nw, d in zip(nabla_w, dnw)]
    weights = [(1 - eta * (lmbda / NETWORK2_N)) * w - (eta / m) * nw for w, nw in zip(weights, nabla_w)]
    biases = [b - (eta / m) * nb for b, nb in zip(biases, nabla_b)]
    return list(zip(weights, biases))


# CM2: a from-scratch MLP (rows, W (in, out), (1, n) biases) whose fit() draws its weights and trains.
class SoftmaxMLP:
    def __init__(self, sizes, learning_rate):
        self.sizes, self.lr = sizes, learning_rate

    def fit(self, X, Y, epochs=200, batch_size=32):
        rng = np.random.default_rng(42)
        self.W = [rng.standard_normal((m, n)) * np.sqrt(2 / m) for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        self.b = [np.zeros((1, n)) for n in self.sizes[1:]]
        for _ in range(epochs):
            for s in range(0, X.shape[0], batch_size):
                self._step(X[s:s + batch_size], Y[s:s + batch_size])
        return self

    def _step(self, X, Y):
        acts = [X]
        for l, (W, b) in enumerate(zip(self.W, self.b), start=1):
            z = acts[-1] @ W + b
            if l < len(self.W):
                acts.append(np.maximum(z, 0))
            else:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                acts.append(e / e.sum(axis=1, keepdims=True))
        dz = (acts[-1] - Y) / X.shape[0]
        for l in range(len(self.W) - 1, -1, -1):
            dW, db = acts[l].T @ dz, dz.sum(axis=0, keepdims=True)
            if l > 0:
                dz = (dz @ self.W[l].T) * (acts[l] > 0)
            self.W[l] = self.W[l] - self.lr * dW
            self.b[l] = self.b[l] - self.lr * db


# CM3: relu' written from the activation, (a > 0): the same as (z > 0).
def relu_prime_from_activation(params, X, Y):
    acts = [X]
    for l, (W, b) in enumerate(params, start=1):
        z = W @ acts[-1] + b[:, None]
        acts.append(np.maximum(z, 0) if l < len(params) else z)
    delta, N, grads = acts[-1] - Y, X.shape[1], [None] * len(params)
    for l in range(len(params), 0, -1):
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.mean(axis=1))
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * (acts[l - 1] > 0)
    return grads


# CM4: relu'(0) = 1 (z >= 0): a subgradient like any other at the kink.
def relu_prime_one_at_zero(params, X, Y):
    zs, acts = [], [X]
    for l, (W, b) in enumerate(params, start=1):
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(np.where(zs[-1] >= 0, zs[-1], 0.0) if l < len(params) else softmax_columns(zs[-1]))
    delta, N, grads = acts[-1] - Y, X.shape[1], [None] * len(params)
    for l in range(len(params), 0, -1):
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.mean(axis=1))
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * (zs[l - 2] >= 0)
    return grads


# CM5: softmax with the squared error, one sample at a time, the Jacobian as a matrix.
def softmax_sse_jacobian(params, x, y):
    acts, zs = [x], []
    for l, (W, b) in enumerate(params, start=1):
        zs.append(W @ acts[-1] + b)
        acts.append(np.tanh(zs[-1]) if l < len(params) else softmax_columns(zs[-1]))
    a = acts[-1][:, 0]
    J = np.diag(a) - np.outer(a, a)                              # da_j / dz_k
    delta = (J.T @ (a - y[:, 0]))[:, None]
    nabla_w, nabla_b = [None] * len(params), [None] * len(params)
    for l in range(len(params), 0, -1):
        nabla_w[l - 1], nabla_b[l - 1] = delta @ acts[l - 1].T, delta
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * (1 - acts[l - 1] ** 2)
    return nabla_w, nabla_b


# CM6: leaky relu without biases, linear output, loss np.mean((a - y)^2) + lambda/(2N) ||W||^2.
def leaky_no_bias_mse(params, X, Y, slope=0.2, lam=0.1):
    acts, zs = [X], []
    for l, W in enumerate(params, start=1):
        zs.append(W @ acts[-1])
        acts.append(np.where(zs[-1] > 0, zs[-1], slope * zs[-1]) if l < len(params) else zs[-1])
    N = X.shape[1]
    delta, grads = 2.0 * (acts[-1] - Y) / Y.size, [None] * len(params)
    for l in range(len(params), 0, -1):
        grads[l - 1] = delta @ acts[l - 1].T + (lam / N) * params[l - 1]
        if l > 1:
            delta = (params[l - 1].T @ delta) * np.where(zs[l - 2] > 0, 1.0, slope)
    return grads


# CM7: relu + softmax + cross-entropy in float32 throughout.
def float32_softmax_ce(params, X, Y):
    acts = [X]
    for l, (W, b) in enumerate(params, start=1):
        z = W @ acts[-1] + b[:, None]
        acts.append(np.maximum(z, np.float32(0)) if l < len(params) else softmax_columns(z))
    delta, N, grads = acts[-1] - Y, np.float32(X.shape[1]), [None] * len(params)
    for l in range(len(params), 0, -1):
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.sum(axis=1) / N)
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * (acts[l - 1] > 0).astype(np.float32)
    return grads


# CM8: tanh + sigmoid outputs with the binary cross-entropy, summed batch, L2 on weights and biases.
def tanh_bce_sum_l2_bias(params, X, Y, lam=0.01):
    acts = [X]
    for l, (W, b) in enumerate(params, start=1):
        z = W @ acts[-1] + b[:, None]
        acts.append(np.tanh(z) if l < len(params) else sigmoid(z))
    delta, grads = acts[-1] - Y, [None] * len(params)
    for l in range(len(params), 0, -1):
        W, b = params[l - 1]
        grads[l - 1] = (delta @ acts[l - 1].T + lam * W, delta.sum(axis=1) + lam * b)
        if l > 1:
            delta = (W.T @ delta) * (1 - acts[l - 1] ** 2)
    return grads


_CE = dict(output="softmax", loss_kind="categorical_cross_entropy")

ENTRIES = [
    Entry(implementation("ok.network2_cross_entropy_l2", train_step=network2_update, bias="column",
                         loss_kind="binary_cross_entropy", l2=5.0, l2_divisor=NETWORK2_N),
          "network2.py: cross-entropy, L2 as lambda/(2n) with n the training-set size, a training step"),
    Entry(implementation("ok.softmax_mlp_fit", train_step=fit_step(
              lambda p, eta: SoftmaxMLP(sizes_of(p, weights="in_out"), eta), init="assignment", set_attrs=("W", "b"),
              fit_kwargs={"epochs": 1, "batch_size": 10 ** 6}),
              hidden="relu", samples="rows", weights="in_out", bias="row", **_CE),
          "a ReLU + softmax MLP whose fit() draws its own weights, through fit_step (rows, (in, out), (1, n))"),
    Entry(implementation("ok.relu_prime_from_activation", gradient=relu_prime_from_activation, hidden="relu",
                         output="identity"),
          "relu' written from the activation, (a > 0)"),
    Entry(implementation("ok.relu_prime_one_at_zero", gradient=relu_prime_one_at_zero, hidden="relu", **_CE),
          "relu'(0) = 1 (z >= 0), softmax and cross-entropy"),
    Entry(implementation("ok.softmax_sse_jacobian", gradient=per_sample(softmax_sse_jacobian, returns="w_b"),
                         hidden="tanh", output="softmax", bias="column", max_width=4, max_N=6),
          "softmax with the squared error through its Jacobian matrix, one sample at a time"),
    Entry(implementation("ok.leaky_no_bias_mse_l2", gradient=leaky_no_bias_mse, hidden="leaky_relu", slope=0.2,
                         output="identity", bias="none", loss_kind="mse", l2=0.1, l2_divisor="N"),
          "leaky relu without biases, mean of squares with lambda/(2N) ||W||^2"),
    Entry(implementation("ok.float32_softmax_ce", gradient=float32_softmax_ce, hidden="relu", dtype="float32", **_CE),
          "relu + softmax + cross-entropy in float32"),
    Entry(implementation("ok.tanh_bce_sum_l2_bias", gradient=tanh_bce_sum_l2_bias, hidden="tanh",
                         loss_kind="binary_cross_entropy", reduction="sum", l2=0.01, l2_bias=True),
          "tanh, binary cross-entropy summed over the batch, L2 on weights and biases"),
    Entry(implementation("ok.micrograd_relu_softmax", gradient=micrograd_relu_softmax_gradient, hidden="relu",
                         samples="rows", max_width=4, max_N=6, **_CE),
          "the scalar autodiff engine on relu, softmax and the cross-entropy"),
]
