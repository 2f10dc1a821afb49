"""The causes a diagnosis can name, and the ``Diagnosis`` record itself (re-exported by diagnosis.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional, Tuple

__all__ = ["CAUSES", "SHORT", "Diagnosis"]

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
    "crashed": "the implementation's worker process died during a call (a signal such as SIGSEGV, or an exit)",
    "out_of_memory": "the call ran out of memory (MemoryError, or the worker's memory limit)",
    "protocol_error": "the implementation's worker did not follow the wire protocol (junk on its stdout?)",
    "unclean_exit": "the worker process does not end cleanly: a thread left running, an atexit hook ending it",
    "wrong_for_specific_shapes": "wrong only for some architectures (e.g. a hard-coded depth)",
    "weight_decay": "a term proportional to the parameters is added (an L2 weight decay the declaration lacks)",
    "masked_entries": "some entries are zeroed and the rest scaled: a fixed mask applied to the gradient",
    "wrong_derivative": "sigma' replaced by the derivative of another function (1 - a^2, a, 1 - a)",
    "missing_hidden_sigma_prime": "BP2 without sigma'(z^l): the hidden layers' errors miss the derivative",
    "gradient_clipped": "every entry clipped to [-c, c]: gradient clipping left on",
    "wrong_from_batch_size": "right for small batches, wrong from some N on (a batch streamed in chunks, a tail lost)",
    "wrong_from_width": "right for narrow layers, wrong from some width on (a tiled or blocked product)",
    "wrong_from_depth": "right for shallow networks, wrong from some depth on (a loop capped at a depth)",
    "float32_at_scale": "errors of float32 size from some size on (precision lowered for large problems)",
    "reused_buffers": "returns its own buffers: the next call overwrites the arrays an earlier call returned",
    "aliases_inputs": "a returned array shares memory with an input (or the input's own list is returned)",
    "keeps_inputs": "keeps the arrays it is handed and modifies them during a later call",
    "layout_dependent": "the result depends on the memory layout of the inputs (Fortran order, strided views)",
    "missing_softmax_jacobian": "BP1 at a softmax output without its Jacobian J = diag(a) - a a^T, or with its "
                                "diagonal a (1 - a) only (the softmax treated as elementwise)",
    "doubled_softmax_jacobian": "the softmax's Jacobian applied twice (J^T (a - y) for the cross-entropy, whose "
                                "a - y already holds it)",
    "cross_entropy_sigma_prime": "the cross-entropy's output error with a (1 - a) left in (sigma'(z^L), or the "
                                 "softmax's diagonal): (a - y) a (1 - a) where delta^L = a^L - y",
    "activation_prime_at_activation": "a hidden activation's derivative taken at a^l instead of z^l (tanh'(a), "
                                      "relu'(a) with relu'(0) = 1), or its a-form applied to z",
    "l2_missing": "the declared L2 term lambda W is missing from the weight gradients",
    "l2_doubled": "the L2 term is in twice: 2 lambda W (the derivative of lambda ||W||^2 for lambda/2 ||W||^2)",
    "l2_scaled": "the L2 term has the wrong size: c lambda W (e.g. added once per sample, or divided by N)",
    "l2_on_biases": "the L2 term is applied to the biases, which the declaration excludes",
}


#: Cause key -> the cause in a few words, for a finding's headline ("1 finding: <words> (BP3)").
SHORT = {
    "summed_not_averaged": "summed over the batch, not averaged",
    "averaged_twice": "divided by N twice",
    "missing_half": "twice the gradient (the 1/2 of 1/2 ||a - y||^2 is missing)",
    "scaled": "scaled by a constant",
    "sign_flipped": "the sign is flipped",
    "transposed": "the weight gradient is transposed",
    "all_zeros": "zero where the gradient is not",
    "layer_shift": "a neighbouring layer's quantity is used (an index shift between layers)",
    "wrong_for_batch_of_one": "wrong only for a batch of one sample",
    "wrong_for_N_gt_1": "right for N = 1 but wrong for larger batches",
    "wrong_for_width_one": "wrong only when a layer has one unit",
    "wrong_for_large_z": "overflows for large |z|",
    "sigma_prime_at_activation": "sigma' taken at the activation a instead of z",
    "missing_output_sigma_prime": "sigma'(z^L) missing from the output error",
    "missing_transpose_bp2": "the transpose of W^{l+1} missing in BP2",
    "bias_wrong_axis": "the bias gradient reduced over the wrong axis or one sample",
    "finite_difference_inside": "approximate (finite-difference-sized) errors",
    "float32_intermediate": "computed in float32",
    "different_loss": "the gradient of another loss",
    "mutates_inputs": "modifies its inputs",
    "hidden_state": "keeps state between calls",
    "non_finite": "returns NaN or inf",
    "raises": "raises an exception",
    "timeout": "does not return within the time limit",
    "wrong_structure": "returns the wrong structure or shapes",
    "wrong_dtype": "returns the wrong dtype",
    "update_before_backprop": "updates a layer before backpropagating through it",
    "dropped_samples": "ignores part of the batch",
    "integer_cast": "casts its inputs to integers",
    "random_mask": "random results (a mask left on)",
    "prints_output": "prints during a call",
    "import_error": "could not be loaded",
    "wrong_for_specific_shapes": "wrong only for some architectures",
    "weight_decay": "an undeclared weight-decay term lambda x W added",
    "masked_entries": "a fixed mask zeroes some entries",
    "wrong_derivative": "sigma' replaced by another function's derivative",
    "missing_hidden_sigma_prime": "sigma'(z^l) missing in BP2 (the hidden layers)",
    "gradient_clipped": "clipped to a maximum magnitude",
    "wrong_from_batch_size": "wrong from some batch size on",
    "wrong_from_width": "wrong from some layer width on",
    "wrong_from_depth": "wrong from some depth on",
    "float32_at_scale": "float32-sized errors from some size on",
    "reused_buffers": "returns buffers the next call overwrites",
    "aliases_inputs": "returns arrays that share memory with its inputs",
    "keeps_inputs": "keeps its inputs and modifies them later",
    "layout_dependent": "depends on the memory layout of its inputs",
    "missing_softmax_jacobian": "the softmax's Jacobian missing from BP1",
    "doubled_softmax_jacobian": "the softmax's Jacobian applied twice",
    "cross_entropy_sigma_prime": "sigma'(z^L) left in the cross-entropy's output error",
    "activation_prime_at_activation": "a hidden activation's derivative taken at a instead of z",
    "l2_missing": "the declared L2 term missing",
    "l2_doubled": "the L2 term applied twice",
    "l2_scaled": "the L2 term scaled wrong",
    "l2_on_biases": "the L2 term applied to the biases",
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
    summary: str = ""                      # the cause in one short line, e.g. "dC/db summed over the batch, not averaged"
    explained: Optional[float] = None      # share of the error (got - expected) the named cause explains, 0..1
    native: str = ""                       # the location in the implementation's own layout (its array, its index)
    rerun: str = ""                        # one command rerunning just this check with its seed
    problem: Optional[dict] = None         # the failing example exactly (``conformance.diagnosis.reproducer.problem_dict``)
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
