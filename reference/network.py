"""The network specification: layer sizes, activations, loss, L2 term and biases; no parameters.

A ``Network`` holds no parameters; parameters are a separate list of (W, b)
pairs so that every function stays pure (arrays in, new arrays out).

    Network(layer_sizes, output="sigmoid", *, hidden="sigmoid", loss="half_sse",
            l2=0.0, l2_bias=False, bias=True, slope=0.01)

``Network([...])`` is the documents' network: sigmoid everywhere, C the batch mean of
1/2 ||a^L - y||^2, biases, no L2 term.  The other declarations:

    hidden   "sigmoid" | "tanh" | "relu" | "leaky_relu" (slope for z <= 0) | "identity"
    output   "sigmoid" | "identity" | "softmax" (needs n_L >= 2)
    loss     "half_sse"                    C_x = 1/2 ||a^L - y||^2   (any output)
             "binary_cross_entropy"        C_x = -sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)]  (sigmoid output)
             "categorical_cross_entropy"   C_x = -sum_j y_j log a_j   (softmax output)
    l2       lambda >= 0: C = (1/N) sum_i C_{x_i} + lambda/2 sum_l ||W^l||^2  (+ ||b^l||^2 if l2_bias)
    bias     False: z^l = W^l a^{l-1}; params keep their b^l slots, which are ignored (held at 0,
             their gradient entries are 0)

The loss is always the mean over the batch; a summed batch, the mean of squares over the
outputs, or Nielsen's lambda/(2n) are conventions of an implementation, translated at the
edge (``conformance.dropin.adapters``), never here.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from reference.activations import DEFAULT_SLOPE, HIDDEN_ACTIVATIONS, KINKED

__all__ = ["Network", "Params", "OUTPUTS", "HIDDENS", "LOSSES", "as_generator", "model_error"]

#: A list of (W^l, b^l) pairs, ``params[l - 1] == (W^l, b^l)``.
Params = List[Tuple[np.ndarray, np.ndarray]]

#: Output activations, hidden activations and losses the reference knows.
OUTPUTS = ("sigmoid", "identity", "softmax")
HIDDENS = HIDDEN_ACTIVATIONS
LOSSES = ("half_sse", "binary_cross_entropy", "categorical_cross_entropy")
#: The output each cross-entropy belongs to (the squared error goes with any output).
LOSS_OUTPUT = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax"}


def as_generator(rng: Union[np.random.Generator, int]) -> np.random.Generator:
    """A numpy Generator from a Generator or an integer seed (never global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
    )


def model_error(output: str, loss: str, n_L: Optional[int] = None) -> Optional[str]:
    """Why an output activation and a loss cannot go together (or with n_L outputs), or None."""
    if output not in OUTPUTS:
        return f"output must be one of {OUTPUTS}, got {output!r}"
    if loss not in LOSSES:
        return f"loss must be one of {LOSSES}, got {loss!r}"
    if loss == "binary_cross_entropy" and output != "sigmoid":
        what = "a linear output is not a probability (log a is undefined for a <= 0)" if output == "identity" \
            else "the softmax couples the outputs; its cross-entropy is loss='categorical_cross_entropy'"
        return f"loss='binary_cross_entropy' needs output='sigmoid': {what}; got output={output!r}"
    if loss == "categorical_cross_entropy" and output != "softmax":
        what = "a linear output is not a probability vector" if output == "identity" \
            else "independent sigmoid outputs take loss='binary_cross_entropy'"
        return f"loss='categorical_cross_entropy' needs output='softmax': {what}; got output={output!r}"
    if output == "softmax" and n_L is not None and n_L < 2:
        return ("output='softmax' needs at least two output units: a softmax over one unit is the constant 1, "
                "whose gradient is 0 (for one output use output='sigmoid' with loss='binary_cross_entropy'); "
                f"got n_L = {n_L}")
    return None


@dataclass(frozen=True)
class Network:
    """A fully connected network ``[n_0, n_1, ..., n_L]``: activations, loss, L2 term and biases.

    ``output`` is "sigmoid" (the documents' default), "identity" (the forum
    question's linear output layer) or "softmax"; ``hidden`` the activation of
    layers 1..L-1; the rest as in the module docstring.
    """

    layer_sizes: Tuple[int, ...]
    output: str = "sigmoid"
    hidden: str = "sigmoid"
    loss: str = "half_sse"
    l2: float = 0.0
    l2_bias: bool = False
    bias: bool = True
    slope: float = DEFAULT_SLOPE

    def __init__(self, layer_sizes: Sequence[int], output: str = "sigmoid", *, hidden: str = "sigmoid",
                 loss: str = "half_sse", l2: float = 0.0, l2_bias: bool = False, bias: bool = True,
                 slope: float = DEFAULT_SLOPE) -> None:
        sizes = _checked_sizes(layer_sizes)
        if hidden not in HIDDENS:
            raise ValueError(f"hidden must be one of {HIDDENS}, got {hidden!r}")
        problem = model_error(output, loss, sizes[-1])
        if problem:
            raise ValueError(f"{problem} (Network({list(sizes)}))")
        for flag, value in (("bias", bias), ("l2_bias", l2_bias)):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{flag} must be True or False, got {value!r}")
        if l2_bias and not bias:
            raise ValueError("l2_bias=True needs biases to decay, but bias=False")
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "loss", loss)
        object.__setattr__(self, "l2", _checked_l2(l2))
        object.__setattr__(self, "l2_bias", bool(l2_bias))
        object.__setattr__(self, "bias", bool(bias))
        object.__setattr__(self, "slope", _checked_slope(slope, hidden))

    @property
    def L(self) -> int:
        """Number of weight layers (the documents' L)."""
        return len(self.layer_sizes) - 1

    @property
    def kinked(self) -> bool:
        """True when the hidden activation has a kink at z = 0 (relu, leaky_relu) and there are hidden layers."""
        return self.hidden in KINKED and self.L >= 2

    def n(self, l: int) -> int:
        """n_l, the width of layer l (l = 0 is the input)."""
        if not 0 <= l <= self.L:
            raise ValueError(f"layer {l} out of range 0..{self.L} for {self}")
        return self.layer_sizes[l]

    def weight_shape(self, l: int) -> Tuple[int, int]:
        """Shape of W^l, (n_l, n_{l-1}), for l = 1..L."""
        self._check_weight_layer(l)
        return (self.layer_sizes[l], self.layer_sizes[l - 1])

    def bias_shape(self, l: int) -> Tuple[int]:
        """Shape of b^l, (n_l,), for l = 1..L (also without biases: the slot is kept, held at 0)."""
        self._check_weight_layer(l)
        return (self.layer_sizes[l],)

    @property
    def n_params(self) -> int:
        """Entries of the flat parameter vector, sum over l of n_l (n_{l-1} + 1) (b^l slots included)."""
        return sum(n * (m + 1) for m, n in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))

    def replace(self, **changes) -> "Network":
        """A new Network with some fields changed, e.g. ``net.replace(layer_sizes=[2, 1])``."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Network(fields.pop("layer_sizes"), fields.pop("output"), **fields)

    @property
    def is_default(self) -> bool:
        """True for the documents' model: sigmoid hidden layers, a sigmoid or identity output, half_sse,
        biases, no L2 term."""
        return self.output != "softmax" and (self.hidden, self.loss, self.l2, self.l2_bias, self.bias) == (
            "sigmoid", "half_sse", 0.0, False, True)

    def init(self, rng: Union[np.random.Generator, int]) -> Params:
        """He ('Kaiming') initial values as in the first document.

        W^l ~ Normal(0, 2 / n_{l-1}) of shape (n_l, n_{l-1}); b^l = 0 of shape (n_l,).
        ``rng`` is a numpy Generator or an integer seed; no global state is used.
        """
        gen = as_generator(rng)
        params: Params = []
        for l in range(1, self.L + 1):
            n_out, n_in = self.weight_shape(l)
            W = gen.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
            params.append((W, np.zeros(n_out)))
        return params

    def _check_weight_layer(self, l: int) -> None:
        if not 1 <= l <= self.L:
            raise ValueError(f"weight layer {l} out of range 1..{self.L} for {self}")

    def __repr__(self) -> str:
        sizes = list(self.layer_sizes)
        extra = [f"output={self.output!r}"] if self.output != "sigmoid" else []
        defaults = {"hidden": "sigmoid", "loss": "half_sse", "l2": 0.0, "l2_bias": False, "bias": True}
        extra += [f"{k}={getattr(self, k)!r}" for k, v in defaults.items() if getattr(self, k) != v]
        if self.hidden == "leaky_relu":
            extra.append(f"slope={self.slope!r}")
        return f"Network({', '.join([str(sizes)] + extra)})"


def _checked_l2(l2) -> float:
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0 (lambda of lambda/2 sum ||W||^2), got {l2!r}")
    return float(l2)


def _checked_slope(slope, hidden: str) -> float:
    if isinstance(slope, bool) or not isinstance(slope, numbers.Real) or not 0 < slope < 1:
        raise ValueError(f"slope must be a number in (0, 1) (leaky_relu's slope for z <= 0), got {slope!r}")
    if hidden != "leaky_relu" and slope != DEFAULT_SLOPE:
        raise ValueError(f"slope applies to hidden='leaky_relu' only, got slope={slope!r} with hidden={hidden!r}")
    return float(slope)


def _checked_sizes(layer_sizes: Sequence[int]) -> Tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise ValueError(f"layer_sizes must be a sequence of integers, got {layer_sizes!r}")
    if len(layer_sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least two sizes (input and output), got {list(layer_sizes)!r}"
        )
    sizes = []
    for i, n in enumerate(layer_sizes):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise ValueError(f"layer_sizes[{i}] must be an integer, got {n!r}")
        if n < 1:
            raise ValueError(f"layer_sizes[{i}] must be at least 1, got {n}")
        sizes.append(int(n))
    return tuple(sizes)
