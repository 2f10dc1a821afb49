"""The test vectors beyond the documents' network (issue 16): their recipes and catalogue entries.

``model_specs()`` lists them for ``reference.vectors_catalogue.CATALOGUE`` (which adds them after
the documents' 26); the recipes they share with those (``gaussian``, ``huge_z``) live there and are
imported when the list is made, so that neither module needs the other to load.
"""
from __future__ import annotations

from functools import partial

__all__ = ["OUTPUT_LOSSES", "kink", "model_specs"]


def _kink_point(rng, net, *, N, y):
    from reference.vectors_catalogue import _gaussian_point
    X, Y, params = _gaussian_point(rng, net, N=N, y=y, he_kw={"bias": 1.0})
    X[:, 0] = 0.0                           # sample 0 has all-zero inputs ...
    W1, b1 = params[0]
    b1 = b1.copy()
    b1[::2] = 0.0                           # ... so z^1_j = 0 exactly there for every even unit j
    params[0] = (W1, b1)
    return X, Y, params


def kink(N: int = 3, *, y: str = "unit"):
    """A Gaussian point (biases 1.0 Normal) where sample 0 is x = 0 and every even unit of layer 1
    has b^1_j = 0: z^1_j = 0 exactly, the kink of relu and leaky_relu, where relu'(0) = 0 and
    leaky_relu'(0) = slope (the stated convention) decide the gradient."""
    from reference.vectors_catalogue import Recipe
    return Recipe("kink", partial(_kink_point, N=N, y=y))


#: (output, loss, y recipe) of every output layer with its losses; the documents' (sigmoid, half_sse) first.
OUTPUT_LOSSES = (("sigmoid", "half_sse", "unit"), ("identity", "half_sse", "normal"),
                 ("softmax", "half_sse", "simplex"), ("sigmoid", "binary_cross_entropy", "unit"),
                 ("softmax", "categorical_cross_entropy", "onehot"))
_SHORT = {"half_sse": "sse", "binary_cross_entropy": "bce", "categorical_cross_entropy": "cce"}


def model_specs() -> list:
    """Issue 16's combinations: every hidden activation with every output and loss, on [3, 4, 3]
    (N = 3; the sigmoid hidden layer with the squared error at a sigmoid output is the documents'
    network, covered above), one of each hidden activation's five with an L2 term, one without biases;
    then deeper, kinked, saturated and width-1 points."""
    from reference.vectors_catalogue import _spec, gaussian, huge_z   # the recipes (imported here: no cycle)
    specs = []
    hiddens = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
    for h, hidden in enumerate(hiddens):
        for k, (output, loss, y) in enumerate(OUTPUT_LOSSES):
            if (hidden, output, loss) == ("sigmoid", "sigmoid", "half_sse"):
                continue
            model = {"hidden": hidden, "loss": loss}
            tags, words = [], ""
            if k == (h + 1) % 5:
                model["l2"], words = 0.125, ", L2 term lambda = 0.125"
            if k == (h + 3) % 5:
                model["bias"], words = False, ", no biases"
            if hidden == "leaky_relu":
                model["slope"] = 0.1 if k % 2 else 0.01
            output_name = output if loss == "half_sse" else f"{output}-{_SHORT[loss]}"
            specs.append(_spec(f"{hidden.replace('_', '-')}-3-4-3-{output_name}", [3, 4, 3], output,
                               16_000 + 10 * h + k, gaussian(3, y=y, bias=1.0), tags,
                               f"{hidden} hidden layer, {output} output, {loss}{words}.", **model))
    specs += [
        _spec("relu-2-3-3-2-softmax-cce-l2-bias", [2, 3, 3, 2], "softmax", 16_100, gaussian(4, y="onehot", bias=1.0), [],
              "Two relu hidden layers, softmax and cross-entropy, L2 on weights and biases.",
              hidden="relu", loss="categorical_cross_entropy", l2=0.03125, l2_bias=True),
        _spec("tanh-2-3-3-2-sigmoid-bce-l2", [2, 3, 3, 2], "sigmoid", 16_101, gaussian(4, bias=1.0), [],
              "Two tanh hidden layers, sigmoid outputs with the binary cross-entropy, L2 term.",
              hidden="tanh", loss="binary_cross_entropy", l2=0.25),
        _spec("relu-3-4-3-kink-exact", [3, 4, 3], "sigmoid", 16_102, kink(), ["kink-exact"],
              "relu at its kink: z^1_j = 0 exactly for two units of sample 0, where relu'(0) = 0 applies.",
              hidden="relu"),
        _spec("leaky-relu-3-4-3-softmax-cce-kink-exact", [3, 4, 3], "softmax", 16_103, kink(y="onehot"),
              ["kink-exact"],
              "leaky_relu at its kink (leaky_relu'(0) = slope = 0.1), softmax with cross-entropy.",
              hidden="leaky_relu", slope=0.1, loss="categorical_cross_entropy"),
        _spec("relu-3-4-3-softmax-cce-z-above-40", [3, 4, 3], "softmax", 16_104,
              gaussian(3, y="onehot", scale=12.0, bias=10.0), ["large-z-40"],
              "relu, softmax with cross-entropy, |z^L| beyond 40: the loss from the logits stays exact.",
              hidden="relu", loss="categorical_cross_entropy"),
        _spec("tanh-2-2-2-softmax-cce-z-above-800", [2, 2, 2], "softmax", 16_105, huge_z(800.0, 800.0, N=3),
              ["large-z-800"],
              "tanh, softmax with cross-entropy, |z| beyond 800 (exp overflows float64).",
              hidden="tanh", loss="categorical_cross_entropy"),
        _spec("relu-2-2-1-sigmoid-bce-z-above-800", [2, 2, 1], "sigmoid", 16_106, huge_z(800.0, 800.0, N=3),
              ["large-z-800"],
              "relu, a sigmoid output with the binary cross-entropy at |z^L| beyond 800.",
              hidden="relu", loss="binary_cross_entropy"),
        _spec("tanh-1-1-1-sigmoid-bce-l2-bias", [1, 1, 1], "sigmoid", 16_107, gaussian(4, bias=1.0), [],
              "A width-1 tanh chain with the binary cross-entropy and L2 on weights and biases (the scalar form).",
              hidden="tanh", loss="binary_cross_entropy", l2=0.5, l2_bias=True),
        _spec("relu-1-1-1-1-identity-no-bias", [1, 1, 1, 1], "identity", 16_108, gaussian(3, y="normal"), [],
              "A width-1 relu chain without biases, linear output (the scalar form).",
              hidden="relu", bias=False),
        _spec("leaky-relu-2-3-3-batch-of-one", [2, 3, 3], "softmax", 16_109, gaussian(1, y="simplex", bias=1.0), [],
              "leaky_relu, softmax with the squared error, one sample.", hidden="leaky_relu", slope=0.2),
    ]
    return specs
