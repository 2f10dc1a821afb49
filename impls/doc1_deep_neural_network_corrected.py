"""The first document's ``DeepNeuralNetwork`` with its one defect corrected: the printed loss.

The training step is the document's, unchanged (``backward`` updates W and the
(n, 1) biases in place along the gradient of C = (1/m) sum_i 1/2 ||a_i - y_i||^2).
The only change is the loss ``train`` prints: C itself,

    half_mse_loss(Y, A) = (1/m) sum_i 1/2 ||a_i - y_i||^2 = 0.5 * np.sum((Y - A)**2) / m,

instead of ``np.mean((Y - A)**2)`` (which is (2 / n_L) C).  Every check passes.
"""
import numpy as np

from conformance import implementation
from .doc1_deep_neural_network import DeepNeuralNetwork, network_on


def half_mse_loss(y_true, y_pred):
    """C = (1/m) sum_i 1/2 ||y_pred_i - y_true_i||^2 for columns as samples (m = number of columns)."""
    return 0.5 * np.sum((y_true - y_pred) ** 2) / y_true.shape[1]


class CorrectedDeepNeuralNetwork(DeepNeuralNetwork):
    """``DeepNeuralNetwork`` whose ``train`` prints the loss its update is the gradient of."""

    def train(self, X, Y, epochs=10000, print_every=1000):
        for epoch in range(1, epochs + 1):
            output = self.forward(X)
            loss = half_mse_loss(Y, output)
            self.backward(X, Y)
            if epoch % print_every == 0:
                print(f"Epoch {epoch} - Loss: {loss:.6f}")


def train_step(params, X, Y, eta):
    """One epoch of ``train`` without the print: forward(X), then backward(X, Y) updates in place."""
    dnn = network_on(params, eta, cls=CorrectedDeepNeuralNetwork)
    dnn.forward(X)
    dnn.backward(X, Y)


def output(params, X):
    """a^L = forward(X), shape (n_L, N)."""
    return network_on(params, cls=CorrectedDeepNeuralNetwork).forward(X)


def printed_loss(params, X, Y):
    """The loss the corrected ``train`` prints: half_mse_loss(Y, output)."""
    return half_mse_loss(Y, output(params, X))


IMPLEMENTATION = implementation(
    "doc1.DeepNeuralNetwork.corrected",
    train_step=train_step, loss=printed_loss, forward=output,
    samples="columns", weights="out_in", bias="column", reduction="mean", loss_kind="half_sse",
    description="first document's class; prints 1/2 the mean squared error its update belongs to",
)
