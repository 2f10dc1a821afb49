"""The catalogue of test vectors: which networks, at which points, aimed at which bugs.

Every architecture of the documents ([2,1], [2,2,1], [2,4,3,1], [2,3,3,1], [1,3,2,1],
[2,8,4,1], [2,16,8,4,1], the forum question's [3,4,4,2] with a linear output and N = 5)
and width-1 chains ([1,1], [1,1,1,1]), each at one or more fixed points.  A point is made
by a recipe from a seeded ``numpy.random.Generator`` (or is printed in a document), so
``python -m reference.vectors generate`` rebuilds the same float64 values every time.

Tags name what a vector targets; the automatic ones are verified at generation
(``observed_tags``) so that a tag cannot claim what the point does not do:

    width-1, batch-of-one, non-square-weights, square-weights, linear-output,
    sigmoid-output, single-layer, deep (L >= 3), zero-inputs (some x_k = 0),
    targets-outside-output-range (sigmoid output, some y outside the open interval (0, 1)
        that a sigmoid can reach, e.g. boolean labels 0/1 or doc 3's -1/+1),
    saturated (some hidden |z| > 10: sigma' < 5e-5),
    large-z-40 (some |z| > 40: sigma(z) rounds to 1 in float64, a(1 - a) = 0 but sigma' ~ 4e-18),
    large-z-800 (some |z| > 800: exp(|z|) overflows float64, sigma' underflows to 0)
plus declared ones: doc-architecture, doc-parameters, forum-question, boolean-inputs,
zero-bias, small-weights.

Beyond the documents' network (issue 16, ``reference.vectors_models``), every hidden activation
(tanh, relu, leaky_relu, identity; sigmoid as above) with every output and loss (sigmoid or
identity or softmax with the squared error, sigmoid with the binary and softmax with the
categorical cross-entropy), L2 terms on the weights and on the biases, networks without biases,
exact ReLU kinks, width-1 chains and softmax/cross-entropy points with |z^L| beyond 40 and 800.
Their automatic tags:

    hidden-tanh, hidden-relu, hidden-leaky-relu, hidden-identity, softmax-output,
    binary-cross-entropy, categorical-cross-entropy, l2, l2-bias, no-bias,
    kink-exact (a kinked hidden layer has some z = 0 exactly: the stated relu'(0) = 0 applies)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, FrozenSet, List, Tuple

import numpy as np

from reference.forward import forward_unchecked
from reference.network import Network, Params
from reference.vectors_models import model_specs

__all__ = ["VectorSpec", "Recipe", "CATALOGUE", "observed_tags", "AUTOMATIC_TAGS", "DOC_ARCHITECTURES"]

Point = Tuple[np.ndarray, np.ndarray, Params]

DOC_ARCHITECTURES = ((2, 1), (2, 2, 1), (2, 4, 3, 1), (2, 3, 3, 1), (1, 3, 2, 1), (2, 8, 4, 1),
                     (2, 16, 8, 4, 1), (3, 4, 4, 2))
AUTOMATIC_TAGS = frozenset({
    "width-1", "batch-of-one", "non-square-weights", "square-weights", "linear-output",
    "sigmoid-output", "single-layer", "deep", "zero-inputs", "targets-outside-output-range",
    "saturated", "large-z-40", "large-z-800",
    "hidden-tanh", "hidden-relu", "hidden-leaky-relu", "hidden-identity", "softmax-output",
    "binary-cross-entropy", "categorical-cross-entropy", "l2", "l2-bias", "no-bias", "kink-exact"})

XOR_INPUTS = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])


@dataclass(frozen=True)
class Recipe:
    """A named rule ``make(rng, net) -> (X, Y, params)``; the name is written into each vector file."""

    name: str
    make: Callable[[np.random.Generator, Network], Point]

    def __call__(self, rng: np.random.Generator, net: Network) -> Point:
        return self.make(rng, net)


@dataclass(frozen=True)
class VectorSpec:
    """One vector: an id, the network, a seed and a recipe for (X, Y, params), its tags."""

    id: str
    layer_sizes: Tuple[int, ...]
    output: str
    seed: int
    recipe: Recipe
    tags: Tuple[str, ...]
    description: str
    model: Tuple[Tuple[str, object], ...] = ()     # further Network keywords: hidden, loss, l2, ...

    @property
    def net(self) -> Network:
        return Network(self.layer_sizes, output=self.output, **dict(self.model))

    def point(self) -> Point:
        """(X, Y, params) as float64 arrays, rebuilt from the seed."""
        X, Y, params = self.recipe(np.random.default_rng(self.seed), self.net)
        as64 = lambda a: np.array(a, dtype=np.float64)  # noqa: E731
        return as64(X), as64(Y), [(as64(W), as64(b)) for W, b in params]


def observed_tags(net: Network, X: np.ndarray, Y: np.ndarray, params: Params) -> FrozenSet[str]:
    """The automatic tags that hold at this point (see the module docstring)."""
    fp = forward_unchecked(net, params, X)
    z_all = np.concatenate([z.ravel() for z in fp.zs])
    z_hidden = np.concatenate([np.zeros(0)] + [z.ravel() for z in fp.zs[:-1]])
    shapes = [W.shape for W, _ in params]
    checks = {
        "width-1": all(n == 1 for n in net.layer_sizes),
        "batch-of-one": X.shape[1] == 1,
        "non-square-weights": any(m != n for m, n in shapes),
        "square-weights": any(m == n > 1 for m, n in shapes),
        "linear-output": net.output == "identity",
        "sigmoid-output": net.output == "sigmoid",
        "single-layer": net.L == 1,
        "deep": net.L >= 3,
        "zero-inputs": bool(np.any(X == 0.0)),
        "targets-outside-output-range": net.output == "sigmoid" and bool(np.any((Y <= 0) | (Y >= 1))),
        "saturated": bool(np.any(np.abs(z_hidden) > 10)),
        "large-z-40": bool(np.any(np.abs(z_all) > 40)),
        "large-z-800": bool(np.any(np.abs(z_all) > 800)),
        "hidden-tanh": net.hidden == "tanh" and net.L > 1,
        "hidden-relu": net.hidden == "relu" and net.L > 1,
        "hidden-leaky-relu": net.hidden == "leaky_relu" and net.L > 1,
        "hidden-identity": net.hidden == "identity" and net.L > 1,
        "softmax-output": net.output == "softmax",
        "binary-cross-entropy": net.loss == "binary_cross_entropy",
        "categorical-cross-entropy": net.loss == "categorical_cross_entropy",
        "l2": net.l2 > 0.0,
        "l2-bias": net.l2_bias,
        "no-bias": not net.bias,
        "kink-exact": net.kinked and bool(np.any(z_hidden == 0.0)),
    }
    return frozenset(tag for tag, holds in checks.items() if holds)


# ----------------------------------------------------------------------------- recipes

def he(rng: np.random.Generator, net: Network, *, scale: float = 1.0, bias: float = 0.0) -> Params:
    """W^l ~ scale * Normal(0, 2 / n_{l-1}) (doc 1's He init), b^l ~ bias * Normal(0, 1) (0 if bias = 0)."""
    params = []
    for l in range(1, net.L + 1):
        n_out, n_in = net.weight_shape(l)
        W = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in) * scale
        b = rng.standard_normal(n_out) * bias if bias else np.zeros(n_out)
        if not net.bias:       # drawn all the same (the stream stays that of the same net with biases)
            b = np.zeros(n_out)
        params.append((W, b))
    return params


def _printed_point(rng, net, *, pairs, targets) -> Point:
    return XOR_INPUTS, np.array([targets]), [(np.array(W), np.array(b)) for W, b in pairs]


def printed(*layers) -> Recipe:
    """Parameters printed in a document, data XOR inputs with the given targets."""
    *pairs, targets = layers
    return Recipe("printed", partial(_printed_point, pairs=tuple(pairs), targets=targets))


def _boolean_point(rng, net, *, targets, he_kw) -> Point:
    return XOR_INPUTS, np.array([targets], dtype=float), he(rng, net, **he_kw)


def boolean(targets, **he_kw) -> Recipe:
    """XOR/XNOR-style inputs (all four corners of {0,1}^2) with He-initialised parameters."""
    return Recipe("boolean", partial(_boolean_point, targets=targets, he_kw=he_kw))


def _gaussian_point(rng, net, *, N, y, he_kw) -> Point:
    params = he(rng, net, **he_kw)
    X = rng.standard_normal((net.n(0), N))
    draw = {"unit": lambda s: rng.random(s), "normal": lambda s: rng.standard_normal(s),
            "sign": lambda s: np.sign(rng.standard_normal(s)), "onehot": lambda s: onehot(rng, s),
            "simplex": lambda s: dyadic_simplex(rng, s)}[y]
    return X, draw((net.n(net.L), N)), params


def onehot(rng: np.random.Generator, shape) -> np.ndarray:
    """One-hot columns (class labels), shape (n, N)."""
    n, N = shape
    return np.eye(n)[:, rng.integers(0, n, N)]


def dyadic_simplex(rng: np.random.Generator, shape) -> np.ndarray:
    """Soft labels on the simplex, each a multiple of 1/16 summing to exactly 1 (also in float32)."""
    n, N = shape
    counts = rng.multinomial(16, np.full(n, 1.0 / n), size=N).T
    return counts / 16.0


def gaussian(N: int, *, y: str = "unit", **he_kw) -> Recipe:
    """X ~ Normal(0, 1); Y uniform in (0, 1) ("unit"), Normal ("normal"), +-1 ("sign"),
    one-hot ("onehot") or soft labels in sixteenths ("simplex")."""
    return Recipe("gaussian", partial(_gaussian_point, N=N, y=y, he_kw=he_kw))


def forum(rng, net):
    """The forum question's initialize(): W ~ 0.01 Normal, b = 0, x ~ U(0, 1), y ~ Normal."""
    params = [(rng.standard_normal(net.weight_shape(l)) * 0.01, np.zeros(net.n(l))) for l in range(1, net.L + 1)]
    return rng.random((net.n(0), 5)), rng.standard_normal((net.n(net.L), 5)), params


def doc3_init(rng, net):
    """Doc 3's [2,3,3,1] initialisation: W^1, W^2 ~ U(0,1), W^3 ~ Normal, b ~ U(0,1); ring data."""
    params = [(rng.random((3, 2)), rng.random(3)), (rng.random((3, 3)), rng.random(3)),
              (rng.standard_normal((1, 3)), rng.random(1))]
    angle, radius = rng.random(10) * 2 * np.pi, np.where(rng.random(10) < 0.5, 0.3, 1.0)
    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)]) + 0.1 * rng.standard_normal((2, 10))
    return X, (radius < 0.5).astype(float)[np.newaxis, :], params


def toy_1d(rng, net):
    """Doc 3's 1-D toy data: x in linspace(-5, 5), label sign(x) in {-1, +1}; W, b ~ Normal."""
    params = [(rng.standard_normal(net.weight_shape(l)), rng.standard_normal(net.n(l))) for l in range(1, net.L + 1)]
    X = np.linspace(-5, 5, 1000)[[0, 250, 499, 500, 999]][np.newaxis, :]
    return X, np.where(X > 0, 1.0, -1.0), params


def circle(rng, net):
    """Doc 1's example 3: X ~ U(0,1)^2, 8 samples, y = [x1^2 + x2^2 > 0.5]."""
    params = he(rng, net)
    X = rng.random((2, 8))
    return X, (np.sum(X ** 2, axis=0) > 0.5).astype(float)[np.newaxis, :], params


def sine(rng, net):
    """Doc 1's example 2: X ~ U(0,1)^2, 8 samples, y = sin(pi x1) x2."""
    params = he(rng, net, bias=0.1)
    X = rng.random((2, 8))
    return X, (np.sin(np.pi * X[0]) * X[1])[np.newaxis, :], params


def _huge_z_point(rng, net, *, hidden, output, N) -> Point:
    X = rng.choice([-1.0, 1.0], size=(net.n(0), N)) * (0.5 + 0.5 * rng.random((net.n(0), N)))
    params = he(rng, net, bias=0.5)
    W1 = np.zeros(net.weight_shape(1))
    W1[:, 0] = rng.choice([-1.0, 1.0], size=net.n(1)) * (hidden / 0.5 + rng.random(net.n(1)))
    params[0] = (W1, params[0][1])
    if net.L > 1 and output > 0:
        W, _ = params[-1]
        params[-1] = (np.sign(W) * (2 * output + rng.random(W.shape)), np.full(net.n(net.L), 2.0 * output))
    Y = rng.random((net.n(net.L), N))
    return X, Y, params


def huge_z(hidden: float, output: float, N: int = 3) -> Recipe:
    """Points with |z| beyond ``hidden`` in layer 1 and beyond ``output`` at layer L.

    x in [0.5, 1] or [-1, -0.5]; w^1 = +-(hidden / 0.5 + U(0, 1)) in the first column (0
    elsewhere), so |w^1 x| > ``hidden`` (the bias, 0.5 Normal, moves z^1 a little); the
    other layers are He-initialised, except, for L > 1 and output > 0, the output layer:
    weights +-(2 output + U(0, 1)) and biases 2 output, so |z^L| is of the order of
    ``output`` or more.  The tags each vector claims are verified at its point.
    """
    return Recipe("huge_z", partial(_huge_z_point, hidden=hidden, output=output, N=N))


def _spec(id, sizes, output, seed, recipe, tags, description, **model):
    return VectorSpec(id, tuple(sizes), output, seed, recipe, tuple(tags), description, tuple(sorted(model.items())))


DOC1_OR = ([[5.83867821, 5.83822696]], [-2.66976654])
DOC1_AND = ([[4.29076795, 4.29076243]], [-6.5362845])
DOC1_XNOR = (([[4.32814095, 4.33226122], [6.1725246, 6.18915995]], [-6.64946256, -2.71010771]),
             ([[-9.5152431, 8.83491387]], [-4.05803911]))

CATALOGUE: Tuple[VectorSpec, ...] = (
    _spec("or-2-1-doc1-trained", [2, 1], "sigmoid", 0, printed(DOC1_OR, [0, 1, 1, 1]),
          ["doc-architecture", "doc-parameters", "boolean-inputs"],
          "Doc 1 example 4 (OR): the trained parameters it prints, at the four boolean inputs."),
    _spec("and-2-1-doc1-trained", [2, 1], "sigmoid", 0, printed(DOC1_AND, [0, 0, 0, 1]),
          ["doc-architecture", "doc-parameters", "boolean-inputs"],
          "Doc 1 example 4 (AND): the trained parameters it prints."),
    _spec("2-1-gaussian", [2, 1], "sigmoid", 201, gaussian(3, bias=1.0),
          ["doc-architecture"], "Single layer at a random point, Gaussian inputs."),
    _spec("xnor-2-2-1-doc1-trained", [2, 2, 1], "sigmoid", 0, printed(*DOC1_XNOR, [0, 1, 1, 0]),
          ["doc-architecture", "doc-parameters", "boolean-inputs"],
          "Doc 1 example 1 (XNOR), architecture 1: the trained parameters it prints."),
    _spec("xnor-2-2-1-he", [2, 2, 1], "sigmoid", 221, boolean([0, 1, 1, 0]),
          ["doc-architecture", "boolean-inputs", "zero-bias"],
          "XNOR at doc 1's He initialisation (b = 0)."),
    _spec("2-2-1-batch-of-one", [2, 2, 1], "sigmoid", 222, gaussian(1, bias=1.0),
          ["doc-architecture"], "A batch of one sample: N = 1 (no averaging)."),
    _spec("2-2-1-z-above-40", [2, 2, 1], "sigmoid", 223, huge_z(40.0, 0.0),
          ["doc-architecture"],
          "Hidden |z| in 47..69: sigma(z) rounds to 1 in float64, so a(1 - a) = 0 where sigma'(z) ~ 1e-21..1e-30."),
    _spec("xnor-2-4-3-1-he", [2, 4, 3, 1], "sigmoid", 2431, boolean([0, 1, 1, 0], bias=0.5),
          ["doc-architecture", "boolean-inputs"], "XNOR on doc 1's architecture 2."),
    _spec("xor-2-4-3-1-saturated", [2, 4, 3, 1], "sigmoid", 2432, boolean([1, 0, 0, 1], scale=12.0, bias=4.0),
          ["doc-architecture", "boolean-inputs"], "Weights 12 times He: many saturated units."),
    _spec("ring-2-3-3-1-doc3-init", [2, 3, 3, 1], "sigmoid", 2331, Recipe("doc3_init", doc3_init),
          ["doc-architecture"], "Doc 3's [2,3,3,1] initialisation and ring (make_circles-like) data, N = 10."),
    _spec("2-3-3-1-gaussian-batch-of-one", [2, 3, 3, 1], "sigmoid", 2332, gaussian(1, bias=1.0),
          ["doc-architecture"], "Doc 3's network on a single sample."),
    _spec("toy-1-3-2-1", [1, 3, 2, 1], "sigmoid", 1321, Recipe("toy_1d", toy_1d),
          ["doc-architecture"], "Doc 3's 1-D network on its toy data: labels -1/+1 a sigmoid cannot reach."),
    _spec("circle-2-8-4-1", [2, 8, 4, 1], "sigmoid", 2841, Recipe("circle", circle),
          ["doc-architecture", "zero-bias"], "Doc 1 example 3: circular boundary, 8 samples."),
    _spec("sine-2-16-8-4-1", [2, 16, 8, 4, 1], "sigmoid", 21681, Recipe("sine", sine),
          ["doc-architecture"], "Doc 1 example 2: y = sin(pi x1) x2, 8 samples, the deepest network."),
    _spec("forum-3-4-4-2", [3, 4, 4, 2], "identity", 3442, Recipe("forum", forum),
          ["doc-architecture", "forum-question", "zero-bias", "small-weights"],
          "The forum question's initialize(3, 4, 4, 2, batch_size=5): linear output, N = 5."),
    _spec("3-4-4-2-identity-he", [3, 4, 4, 2], "identity", 3443, gaussian(5, y="normal", bias=1.0),
          ["doc-architecture"], "The forum network at a He point with biases: linear output, N = 5."),
    _spec("3-4-4-2-identity-batch-of-one", [3, 4, 4, 2], "identity", 3444, gaussian(1, y="normal", bias=1.0),
          ["doc-architecture"], "The forum network on one sample."),
    _spec("3-4-4-2-identity-z-above-800", [3, 4, 4, 2], "identity", 3445, huge_z(800.0, 800.0, N=5),
          ["doc-architecture"],
          "|z^1| >= 893, |z^L| up to ~3000, linear output: exp(|z|) overflows, layer-1 gradients ~1e-383."),
    _spec("1-1-gaussian", [1, 1], "sigmoid", 11, gaussian(4, bias=1.0), [], "Width 1, one layer."),
    _spec("1-1-identity", [1, 1], "identity", 12, gaussian(3, y="normal", bias=1.0), [],
          "Width 1, linear output: C is a quadratic in w, b."),
    _spec("1-1-z-above-800", [1, 1], "sigmoid", 13, huge_z(800.0, 0.0, N=2), [],
          "Width 1, |z| ~ 1450-1490 at a sigmoid output: every gradient entry ~1e-632 (0 in float64)."),
    _spec("1-1-1-1-gaussian", [1, 1, 1, 1], "sigmoid", 1111, gaussian(3, bias=1.0), [],
          "Doc 3's 1-D chain x -> a1 -> a2 -> a3 at a random point."),
    _spec("1-1-1-1-saturated", [1, 1, 1, 1], "sigmoid", 1112, gaussian(4, y="sign", scale=15.0, bias=5.0), [],
          "Doc 3's 1-D chain with large weights and +-1 labels."),
    _spec("1-1-1-1-z-above-800", [1, 1, 1, 1], "sigmoid", 1113, huge_z(800.0, 0.0, N=2), [],
          "Doc 3's 1-D chain with |z^1| >= 840: layer 1 and 2 gradients ~1e-368 (0 in float64)."),
    _spec("1-1-1-1-identity", [1, 1, 1, 1], "identity", 1114, gaussian(3, y="normal", bias=1.0), [],
          "1-D chain, linear output."),
    _spec("1-1-1-1-batch-of-one", [1, 1, 1, 1], "sigmoid", 1115, gaussian(1, bias=1.0), [],
          "1-D chain, one sample."),
) + tuple(model_specs())


def catalogue_ids() -> List[str]:
    return [spec.id for spec in CATALOGUE]
