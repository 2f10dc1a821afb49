"""network.py (Nielsen) as the last document quotes it: the per-sample baseline of its comparison.

Kept as the document has it: ``update_mini_batch`` sums ``backprop(x, y)`` over
the mini-batch and steps by ``eta/len(mini_batch)`` times the sum; ``SGD``
slices ``training_data[k:k+mini_batch_size]`` with the shuffle commented out;
``sigmoid`` and ``sigmoid_prime`` are the plain textbook formulas; biases are
(n, 1) columns and each x, y an (n, 1) column.  Left out: the debugging lists
(``nielsen_w``, ``nielsen_bp``: they only record, and would grow without bound
under thousands of calls), ``evaluate`` and the prints; the random
initialisation takes a seed or Generator.  Not a reference formulation: a
document's system, the comparison point of ``doc3.*_vs_networkpy`` and the one
copy that ``impls/doc3_network_py.py`` puts under test.
"""
from __future__ import annotations

import numpy as np

from reference.network import Params

__all__ = ["NielsenNetwork", "networkpy_sgd"]


class NielsenNetwork(object):
    def __init__(self, sizes, weights=None, biases=None, rng=0):
        """``sizes`` e.g. [2, 3, 1]; N(0, 1) weights and biases drawn from ``rng`` (a seed or a
        Generator, in place of the document's global ``np.random``) unless given."""
        self.num_layers = len(sizes)
        self.sizes = sizes
        gen = np.random.default_rng(rng)
        if weights is None:
            weights = [gen.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
        if biases is None:
            biases = [gen.standard_normal((y, 1)) for y in sizes[1:]]
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.biases = [np.array(b, dtype=np.float64) for b in biases]

    def feedforward(self, a):
        """Return the output of the network if ``a`` is input."""
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta):
        """Mini-batch SGD over ``training_data``, a list of (x, y) columns, without shuffling."""
        n = len(training_data)
        for j in range(epochs):
            # random.shuffle(training_data)
            mini_batches = [
                training_data[k:k + mini_batch_size]
                for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb
                       for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        # feedforward
        activation = x
        activations = [x]  # list to store all the activations, layer by layer
        zs = []  # list to store all the z vectors, layer by layer
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        # backward pass
        delta = self.cost_derivative(activations[-1], y) * \
            sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        return (output_activations - y)


def sigmoid(z):
    """The sigmoid function."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """Derivative of the sigmoid function."""
    return sigmoid(z) * (1.0 - sigmoid(z))


def networkpy_sgd(sizes, params: Params, X: np.ndarray, Y: np.ndarray, *, epochs: int,
                  mini_batch_size: int, eta: float) -> Params:
    """Run ``NielsenNetwork.SGD`` from reference (W, b) pairs and data X (n_0, N), Y (n_L, N).

    Translated at the edge only: biases (n,) <-> (n, 1), data columns -> the
    list of (x, y) column pairs the document builds (``[(lx.reshape(-1,1),
    ly.reshape(-1,1)) for lx, ly in zip(X, y)]``).  Returns new (W, b) pairs.
    """
    net = NielsenNetwork(list(sizes), [W for W, _ in params], [b.reshape(-1, 1) for _, b in params])
    training_data = [(X[:, i:i + 1].copy(), Y[:, i:i + 1].copy()) for i in range(X.shape[1])]
    net.SGD(training_data, epochs, mini_batch_size, eta)
    return [(w, b[:, 0].copy()) for w, b in zip(net.weights, net.biases)]
