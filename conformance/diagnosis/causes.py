"""The causes a diagnosis can name, and the ``Diagnosis`` record itself (re-exported by diagnosis.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Tuple

__all__ = ["CAUSES", "Diagnosis"]

#: Cause key -> what it means, in words.  ``Diagnosis.cause`` is one of these keys.
CAUSES = {
    "summed_not_averaged": "got = N x expected: the batch gradient is summed instead of averaged",
    "averaged_twice": "got = expected / N: the batch gradient is divided by N twice",
    "missing_half": "got = 2 x expected: the 1/2 of 1/2 ||a - y||^2 is missing (or squares are averaged)",
    "scaled": "got = c x expected for a constant c with no simpler meaning",
    "sign_flipped": "got = -expected: (y - a) instead of (a - y), or an ascent step",
    "transposed": "a weight gradient is the transpose of the expected one",
    "all_zeros": "got is zero where the expected gradient is not",
    "layer_shift": "layer l got the quantity of layer l +- 1 (an index shift between layers)",
    "wrong_for_batch_of_one": "wrong (or crashes) only for a batch of one sample, N = 1",
    "wrong_for_N_gt_1": "right for N = 1 but wrong for larger batches",
    "wrong_for_width_one": "wrong (or crashes) only when some layer has one neuron",
    "wrong_for_large_z": "wrong, NaN or inf only for large |z| (sigmoid or its derivative overflows)",
    "sigma_prime_at_activation": "sigma'(a) used instead of sigma'(z) (the derivative applied twice)",
    "missing_output_sigma_prime": "BP1 without sigma'(z^L): delta^L = a^L - y at a sigmoid output",
    "missing_transpose_bp2": "BP2 uses W^{l+1} delta^{l+1} instead of (W^{l+1})^T delta^{l+1}",
    "bias_wrong_axis": "the bias gradient is summed over the wrong axis or taken from one sample",
    "finite_difference_inside": "small errors (relative ~1e-7) everywhere: a finite difference inside",
    "float32_intermediate": "errors at float32 precision: an intermediate computed in float32",
    "different_loss": "the gradient belongs to a different loss than the one declared or reported",
    "mutates_inputs": "an input array (X, Y or a parameter) is modified by the call",
    "hidden_state": "results depend on earlier calls (state kept between calls)",
    "non_finite": "NaN or inf where the reference is finite",
    "raises": "the implementation raised an exception on a supported case",
    "timeout": "no result within the per-call time limit",
    "wrong_structure": "the returned gradients have the wrong structure or shapes",
    "wrong_dtype": "the returned arrays do not have the declared dtype",
    "update_before_backprop": "a training step updated a layer before backpropagating through it",
    "dropped_samples": "part of the batch is ignored",
    "integer_cast": "inputs cast to integers",
    "random_mask": "a random (dropout-like) mask is left on: results change between identical calls",
    "prints_output": "the implementation writes to stdout or stderr during a call",
    "import_error": "the implementation's module could not be loaded",
    "wrong_for_specific_shapes": "wrong only for some architectures (e.g. a hard-coded depth)",
    "missing_softmax_jacobian": "BP1 at a softmax output without its Jacobian J = diag(a) - a a^T, or with its "
                                "diagonal a (1 - a) only (the softmax treated as elementwise)",
    "doubled_softmax_jacobian": "the softmax's Jacobian applied twice (J^T (a - y) for the cross-entropy, whose "
                                "a - y already holds it)",
    "cross_entropy_sigma_prime": "the cross-entropy's output error with sigma'(z^L) left in: (a - y) sigma'(z^L) "
                                 "where delta^L = a^L - y",
    "activation_prime_at_activation": "a hidden activation's derivative taken at a^l instead of z^l (tanh'(a), "
                                      "relu'(a) with relu'(0) = 1), or its a-form applied to z",
    "l2_missing": "the declared L2 term lambda W is missing from the weight gradients",
    "l2_doubled": "the L2 term is in twice: 2 lambda W (the derivative of lambda ||W||^2 for lambda/2 ||W||^2)",
    "l2_scaled": "the L2 term has the wrong size: c lambda W (e.g. added once per sample, or divided by N)",
    "l2_on_biases": "the L2 term is applied to the biases, which the declaration excludes",
    "l2_undeclared": "the gradient holds an L2 term the declaration does not have (declare l2=...)",
}


@dataclass
class Diagnosis:
    """Where a failure is, what was expected, what came back, and the likely cause."""

    layer: Optional[int] = None            # from 1, as in the documents
    param: Optional[str] = None            # "W" or "b"
    index: Optional[Tuple[int, ...]] = None
    expected: Optional[float] = None
    got: Optional[float] = None
    cause: Optional[str] = None            # a key of CAUSES
    cause_text: str = ""
    equation: Optional[str] = None         # "BP1".."BP4"
    factor: Optional[float] = None
    example: str = ""                      # the (shrunk) example, described
    reproducer: str = ""                   # copy-paste Python
    check: str = ""
    impl: str = ""
    candidates: Tuple[str, ...] = ()       # other causes consistent with the evidence
    conditions: Tuple[str, ...] = ()       # e.g. "fails for N = 1, passes for N = 3"
    notes: Tuple[str, ...] = ()
    wrong_entries: Optional[int] = None
    total_entries: Optional[int] = None
    extra: dict = field(default_factory=dict)

    def location(self) -> str:
        """'layer 2, dC/dW^2[0, 1]' or '' when unknown."""
        if self.layer is None:
            return ""
        if self.param is None:
            return f"layer {self.layer}"
        idx = "" if self.index is None else "[" + ", ".join(str(i) for i in self.index) + "]"
        return f"layer {self.layer}, dC/d{self.param}^{self.layer}{idx}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["index"] = list(self.index) if self.index is not None else None
        d["candidates"], d["conditions"], d["notes"] = list(self.candidates), list(self.conditions), list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Diagnosis":
        d = dict(d)
        d["index"] = tuple(d["index"]) if d.get("index") is not None else None
        for key in ("candidates", "conditions", "notes"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d)
