"""A from-scratch classifier as tutorials write it: ReLU hidden layers, a softmax output, the
cross-entropy, weight decay, and a ``fit()`` that draws its own weights before training.

The class knows nothing of the suite: ``fit(X, Y)`` takes the targets as rows of class
probabilities (one-hot labels, or soft ones), calls ``self._initialize()`` (He weights from
its own generator), then runs mini-batch gradient descent with L2 weight decay
``lam/2 ||W||^2`` on the batch mean.  Rows are samples, W is stored (in, out), biases are
(n,) vectors.  The declaration says so; the ready adapter ``fit_step`` replaces
``_initialize`` by the suite's weights and runs one full-batch update (``epochs=1`` with a
batch larger than any the suite draws).
"""
import numpy as np

from conformance import fit_step, implementation, sizes_of

LAMBDA = 1e-3


class SoftmaxClassifier:
    def __init__(self, layer_sizes, learning_rate=0.1, lam=LAMBDA, seed=0):
        self.layer_sizes, self.lr, self.lam, self.seed = list(layer_sizes), learning_rate, lam, seed

    def _initialize(self):
        rng = np.random.default_rng(self.seed)
        sizes = self.layer_sizes
        self.weights = [rng.standard_normal((m, n)) * np.sqrt(2.0 / m) for m, n in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(n) for n in sizes[1:]]

    def _forward(self, X):
        activations = [X]
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            activations.append(np.maximum(activations[-1] @ W + b, 0.0))
        logits = activations[-1] @ self.weights[-1] + self.biases[-1]
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return activations, exp / exp.sum(axis=1, keepdims=True)

    def _update(self, X, Y):
        activations, probs = self._forward(X)
        grad_z = (probs - Y) / X.shape[0]                          # softmax + cross-entropy
        for l in range(len(self.weights) - 1, -1, -1):
            grad_W = activations[l].T @ grad_z + self.lam * self.weights[l]
            grad_b = grad_z.sum(axis=0)
            if l > 0:
                grad_z = (grad_z @ self.weights[l].T) * (activations[l] > 0)
            self.weights[l] = self.weights[l] - self.lr * grad_W
            self.biases[l] = self.biases[l] - self.lr * grad_b

    def fit(self, X, Y, epochs=20, batch_size=32):
        self._initialize()
        for _ in range(epochs):
            for start in range(0, X.shape[0], batch_size):
                self._update(X[start:start + batch_size], Y[start:start + batch_size])
        return self

    def predict(self, X):
        return np.argmax(self._forward(X)[1], axis=1)


#: One full-batch update of ``fit``, from the suite's weights.
train_step = fit_step(lambda params, eta: SoftmaxClassifier(sizes_of(params, weights="in_out"), eta),
                      init="_initialize", fit_kwargs={"epochs": 1, "batch_size": 1 << 30})

IMPLEMENTATION = implementation(
    "example.relu_softmax_fit", train_step=train_step, samples="rows", weights="in_out",
    hidden="relu", output="softmax", loss_kind="categorical_cross_entropy", l2=LAMBDA,
    description="a from-scratch ReLU + softmax classifier whose fit() draws its weights (fit_step)")
