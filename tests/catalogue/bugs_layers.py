"""Buggy implementations, part 3: walking the layers.

Loop bounds that skip a layer, an index shift, reshape for transpose, a
transposed gradient, a training step that updates a layer before backpropagating
through it, per-neuron and folded-bias index mistakes.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import forward_columns, sigmoid, sigmoid_prime
from tests.catalogue.expect import Entry, Expect


# B15: the backward loop stops before layer 1 (range(L, 1, -1)); layer 1 keeps its zeros.
def skips_first_layer(params, X, Y):
    zs, acts = forward_columns(params, X)
    N, L = X.shape[1], len(params)
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    for l in range(L, 1, -1):                                           # BUG: range(L, 0, -1)
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.mean(axis=1))
        delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return grads


# B16: the loop starts one layer down (range(L - 1, 0, -1)); the output layer keeps its zeros.
def skips_last_layer(params, X, Y):
    zs, acts = forward_columns(params, X)
    N, L = X.shape[1], len(params)
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    for l in range(L - 1, 0, -1):                                       # BUG: should start at L
        delta = (params[l][0].T @ delta) * sigmoid_prime(zs[l - 1])
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.mean(axis=1))
    return grads


# B17: network.py's backprop with its negative indices off by one: in the loop, layer l's
#      gradient is stored in layer l+1's slot (the output slot gets layer L-1's; layer 1 stays 0).
def _backprop_shifted(weights, biases, x, y):
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation, activations, zs = x, [x], []
    for b, w in zip(biases, weights):
        zs.append(np.dot(w, activation) + b)
        activation = sigmoid(zs[-1])
        activations.append(activation)
    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, len(weights) + 1):
        delta = np.dot(weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
        nabla_b[-l + 1] = delta                                         # BUG: nabla_b[-l]
        nabla_w[-l + 1] = np.dot(delta, activations[-l - 1].transpose())   # BUG: nabla_w[-l]
    return nabla_b, nabla_w


def index_shift(params, X, Y):
    N = X.shape[1]
    weights, biases = [W for W, _ in params], [b for _, b in params]
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    for i in range(N):
        delta_nabla_b, delta_nabla_w = _backprop_shifted(weights, biases, X[:, i:i + 1], Y[:, i:i + 1])
        nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
        nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
    return [(nw / N, nb / N) for nw, nb in zip(nabla_w, nabla_b)]


# B18: BP4 with a_prev.reshape(N, n) where a_prev.T belongs (equal when N == 1 or n == 1).
def reshape_for_transpose(params, X, Y):
    zs, acts = forward_columns(params, X)
    N = X.shape[1]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        a_prev = acts[l - 1]
        grads.insert(0, (delta @ a_prev.reshape(N, -1) / N, delta.mean(axis=1)))   # BUG: reshape
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return grads


# B19: a DeepNeuralNetwork-style class whose backward updates W^{l+1} before using it in BP2.
class EagerNetwork:
    def __init__(self, weights, biases, lr):
        self.weights, self.biases, self.lr = weights, biases, lr

    def forward(self, X):
        self.activations = [X]
        for W, b in zip(self.weights, self.biases):
            self.activations.append(sigmoid(W @ self.activations[-1] + b))
        return self.activations[-1]

    def backward(self, X, Y):
        m, acts = X.shape[1], self.activations
        dZ = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        for l in range(len(self.weights) - 1, -1, -1):
            dW = dZ @ acts[l].T / m
            db = np.sum(dZ, axis=1, keepdims=True) / m
            self.weights[l] -= self.lr * dW                             # BUG: updated before BP2 uses it
            self.biases[l] -= self.lr * db
            if l > 0:
                dZ = (self.weights[l].T @ dZ) * acts[l] * (1 - acts[l])


def update_before_backprop(params, X, Y, eta):
    net = EagerNetwork([W for W, _ in params], [b for _, b in params], eta)
    net.forward(X)
    net.backward(X, Y)


# B20: W stored (in, out) but its gradient computed in (out, in) form: transposed.
def transposed_gradient(params, X, Y):
    acts, zs = [X], []
    for W, b in params:
        zs.append(acts[-1] @ W + b)
        acts.append(sigmoid(zs[-1]))
    N = X.shape[0]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta.T @ acts[l - 1] / N, delta.mean(axis=0)))   # BUG: (out, in) for an (in, out) W
        if l > 1:
            delta = (delta @ params[l - 1][0].T) * sigmoid_prime(zs[l - 2])
    return grads


# B21: per-neuron loops whose BP2 sums w[k][j] delta_j instead of w[j][k] delta_j.
def per_neuron_swapped_indices(params, X, Y):
    L, N = len(params), X.shape[1]
    W = [Wl.tolist() for Wl, _ in params]
    b = [bl.tolist() for _, bl in params]
    gW = [[[0.0] * len(row) for row in Wl] for Wl in W]
    gb = [[0.0] * len(bl) for bl in b]
    for i in range(N):
        a, zs = [X[:, i].tolist()], []
        for l in range(L):
            z = [sum(W[l][j][k] * a[l][k] for k in range(len(a[l]))) + b[l][j] for j in range(len(b[l]))]
            zs.append(z)
            a.append([float(sigmoid(zj)) for zj in z])
        delta = [(a[L][j] - Y[j, i]) * float(sigmoid_prime(zs[L - 1][j])) for j in range(len(b[L - 1]))]
        for l in range(L - 1, -1, -1):
            for j in range(len(delta)):
                gb[l][j] += delta[j] / N
                for k in range(len(a[l])):
                    gW[l][j][k] += a[l][k] * delta[j] / N
            if l > 0:
                delta = [sum(W[l][k][j] * delta[j] for j in range(len(delta)))       # BUG: W[l][j][k]
                         * float(sigmoid_prime(zs[l - 1][k])) for k in range(len(a[l]))]
    return [(np.array(gw), np.array(gbl)) for gw, gbl in zip(gW, gb)]


# B22: folded biases (last column of W, a row of ones appended), but the bias row of W^T delta
#      stripped from the wrong end in BP2.
def folded_bias_wrong_row(params, X, Y):
    N = X.shape[1]
    acts, zs = [np.vstack([X, np.ones((1, N))])], []
    for W in params:
        zs.append(W @ acts[-1])
        acts.append(np.vstack([sigmoid(zs[-1]), np.ones((1, N))]))
    a_L = acts[-1][:-1]
    delta = (a_L - Y) * sigmoid_prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, delta @ acts[l - 1].T / N)
        if l > 1:
            delta = (params[l - 1].T @ delta)[1:] * sigmoid_prime(zs[l - 2])   # BUG: [:-1]
    return grads


_AGREE = ("reference.agreement",)


def highest_layer_with_wide_input(sizes):
    """reshape(N, n) equals the transpose when n == 1: the first wrong layer has n_{l-1} > 1."""
    return max(l for l in range(1, len(sizes)) if sizes[l - 1] > 1)

ENTRIES = [
    Entry(implementation("bug.skips_first_layer", gradient=skips_first_layer),
          "a loop bound that skips the first layer",
          Expect(_AGREE, cause="all_zeros", layer="1")),
    Entry(implementation("bug.skips_last_layer", gradient=skips_last_layer),
          "a loop bound that skips the last layer",
          Expect(_AGREE, cause="all_zeros", layer="L")),
    Entry(implementation("bug.index_shift", gradient=index_shift, bias="column"),
          "an index shift between layers",
          Expect(_AGREE, cause="layer_shift", layer="L")),
    Entry(implementation("bug.reshape_for_transpose", gradient=reshape_for_transpose),
          "reshape where a transpose belongs",
          Expect(_AGREE, cause="wrong_for_N_gt_1", layer=highest_layer_with_wide_input, param="W")),
    Entry(implementation("bug.update_before_backprop", train_step=update_before_backprop, bias="column"),
          "a training step that updates a layer before backpropagating through it",
          Expect(_AGREE, cause="update_before_backprop", layer="L-1")),
    Entry(implementation("bug.transposed_gradient", gradient=transposed_gradient, samples="rows",
                         weights="in_out"),
          "a weight gradient returned transposed",
          Expect(("interface.shapes",) + _AGREE, cause="transposed", param="W",
                 diagnosed_by="reference.agreement")),
    Entry(implementation("bug.per_neuron_swapped_indices", gradient=per_neuron_swapped_indices),
          "a missing transpose in BP2, per-neuron form (w[k][j] for w[j][k])",
          Expect(_AGREE, cause="missing_transpose_bp2", layer="L-1")),
    Entry(implementation("bug.folded_bias_wrong_row", gradient=folded_bias_wrong_row, bias="folded"),
          "folded biases: the bias row stripped from the wrong end in BP2",
          Expect(_AGREE)),
]
