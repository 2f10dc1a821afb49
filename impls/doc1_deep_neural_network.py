"""The first document's ``DeepNeuralNetwork`` ("Multiple Layer Training: Backpropagation"), faithfully.

Conventions (its own): samples are the columns of X (n_0, N) and Y (n_L, N);
W^l is (n_l, n_{l-1}); b^l is an (n_l, 1) column; sigmoid at every layer.
Entry point: a training step.  ``train`` runs ``forward(X)`` then
``backward(X, Y)``, and ``backward`` updates the parameters in place,

    W^l -= lr * dW^l,   dW^l = dZ^l (A^{l-1})^T / m,   db^l = sum_i dZ^l_i / m,

with dZ^L = (A^L - Y) * A^L (1 - A^L) (BP1, sigma' from the stored activation)
and dZ^l = ((W^{l+1})^T dZ^{l+1}) * A^l (1 - A^l) (BP2).  That update is
lr times the gradient of C = (1/m) sum_i 1/2 ||a^L_i - y_i||^2: reduction
"mean", loss "half_sse".

Known defect, kept: the loss ``train`` prints is ``mse_loss(Y, output) =
np.mean((Y - output) ** 2)``, the mean of squares over all m n_L entries, which
is (2 / n_L) C: not the loss its update is the gradient of (factor 2 for one
output).  It is declared as this implementation's own loss, so the own-loss
check must find the factor; ``doc1_deep_neural_network_corrected`` prints the
loss the update belongs to and passes.

Changed from the document: initialisation draws from a seeded
``numpy.random.Generator`` (``rng``) instead of the global ``np.random``; the
display-only ``print_parameters`` is left out.
"""
import numpy as np

from conformance import implementation


# Sigmoid activation and its derivative
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


# Mean Squared Error (MSE) Loss
def mse_loss(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)


# Deep Neural Network Class
class DeepNeuralNetwork:
    def __init__(self, layer_sizes, learning_rate=0.1, rng=0):
        """layer_sizes e.g. [2, 4, 3, 1]; ``rng`` a seed or numpy Generator (He initialisation)."""
        self.layer_sizes = layer_sizes
        self.lr = learning_rate
        self.L = len(layer_sizes) - 1  # Number of weight layers
        gen = np.random.default_rng(rng)

        # Initialize weights and biases
        self.weights = []
        self.biases = []

        for i in range(self.L):
            w = gen.standard_normal((layer_sizes[i + 1], layer_sizes[i])) * np.sqrt(
                2.0 / layer_sizes[i]
            )
            b = np.zeros((layer_sizes[i + 1], 1))
            self.weights.append(w)
            self.biases.append(b)

    def forward(self, X):
        """Forward pass through all layers"""
        self.activations = [X]  # Store all activations, starting with input
        self.z_values = []  # Store all z values (before activation)

        current_activation = X

        for i in range(self.L):
            z = self.weights[i] @ current_activation + self.biases[i]
            current_activation = sigmoid(z)

            self.z_values.append(z)
            self.activations.append(current_activation)

        return current_activation

    def backward(self, X, Y):
        m = X.shape[1]
        dW = [np.zeros_like(w) for w in self.weights]
        db = [np.zeros_like(b) for b in self.biases]

        # Output layer error - using activations for derivative
        dZ = (self.activations[-1] - Y) * self.activations[-1] * (1 - self.activations[-1])
        dW[-1] = (dZ @ self.activations[-2].T) / m
        db[-1] = np.sum(dZ, axis=1, keepdims=True) / m

        # Backpropagate through hidden layers
        for l in range(self.L - 2, -1, -1):
            dA = self.weights[l + 1].T @ dZ
            dZ = dA * self.activations[l + 1] * (1 - self.activations[l + 1])
            dW[l] = (dZ @ self.activations[l].T) / m
            db[l] = np.sum(dZ, axis=1, keepdims=True) / m

        # Update parameters (same as before)
        for l in range(self.L):
            self.weights[l] -= self.lr * dW[l]
            self.biases[l] -= self.lr * db[l]

    def train(self, X, Y, epochs=10000, print_every=1000):
        """Train the network"""
        for epoch in range(1, epochs + 1):
            output = self.forward(X)
            loss = mse_loss(Y, output)
            self.backward(X, Y)

            if epoch % print_every == 0:
                print(f"Epoch {epoch} - Loss: {loss:.6f}")

    def predict(self, X):
        """Make predictions"""
        output = self.forward(X)
        return (output > 0.5).astype(int)


# ---------------------------------------------------------------------------
# Declaration: native params are [(W^l, b^l (n_l, 1))]; the object shares them.

def network_on(params, learning_rate=0.0, cls=DeepNeuralNetwork):
    """A ``cls`` whose weight and bias lists hold the very arrays of ``params``."""
    sizes = [params[0][0].shape[1]] + [W.shape[0] for W, _ in params]
    dnn = cls(sizes, learning_rate=learning_rate)
    dnn.weights = [W for W, _ in params]
    dnn.biases = [b for _, b in params]
    return dnn


def train_step(params, X, Y, eta):
    """One epoch of ``train`` without the print: forward(X), then backward(X, Y) updates in place."""
    dnn = network_on(params, eta)
    dnn.forward(X)
    dnn.backward(X, Y)


def output(params, X):
    """a^L = forward(X), shape (n_L, N)."""
    return network_on(params).forward(X)


def printed_loss(params, X, Y):
    """The loss ``train`` prints: mse_loss(Y, output) = np.mean((Y - output) ** 2)."""
    return mse_loss(Y, output(params, X))


IMPLEMENTATION = implementation(
    "doc1.DeepNeuralNetwork",
    train_step=train_step, loss=printed_loss, forward=output,
    samples="columns", weights="out_in", bias="column", reduction="mean", loss_kind="half_sse",
    known_failures={
        "finite_differences.own_loss": (
            "train() prints mse_loss(Y, output) = np.mean((Y - output)**2), the mean of squares over "
            "all m*n_L entries, but backward() updates along the gradient of (1/m) sum_i 1/2 ||a_i - y_i||^2: "
            "the printed loss is 2/n_L times the loss the update belongs to (factor 2 for one output)"),
    },
    description="first document: class with forward/backward, training step updating W, (n,1) b in place",
)
