"""The reference formulations, registered as implementations under test.

Discovery always includes these (an implementation of the same name in impls/
takes precedence).  They must pass every check: they are the suite's own
zero-false-alarm baseline.  ``scalar`` covers width-1 chains only and
``per_neuron`` is slow, so its declared support is small; the other three
declare no limit (any depth, width and batch: the size ladder tries them).
Three rows beyond the documents' network declare every hidden activation with
every output under the squared error, the softmax with the categorical
cross-entropy and an L2 term, and the sigmoid with the binary cross-entropy in
layers without biases.
"""
from __future__ import annotations

import numpy as np

from conformance.dropin.protocol import LOSS_FAMILY, implementation
from conformance.dropin.ready_adapters import sizes_of
from reference import gradients, loss
from reference.network import Network

__all__ = ["IMPLEMENTATIONS", "reference_implementation", "HIDDENS"]

HIDDENS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")


def reference_implementation(formulation: str, *, output: str = "sigmoid", name: str = "", **declared):
    """An Implementation computing ``reference.gradients(..., formulation=formulation)``.

    ``declared`` holds the support and the model: outputs=, hiddens=, loss_kind=, l2= (on the batch
    mean), l2_bias=, bias="none", slope=; the network of each call follows them (and the output=
    and hidden= keywords passed when several are declared).
    """
    loss_kind, bias = declared.get("loss_kind", "half_sse"), declared.get("bias", "vector")
    model = {"loss": LOSS_FAMILY[loss_kind], "l2": declared.get("l2", 0.0), "l2_bias": declared.get("l2_bias", False),
             "bias": bias != "none"}
    if "slope" in declared:
        model["slope"] = declared["slope"]
    hiddens = declared.get("hiddens", ("sigmoid",))
    outputs = declared.get("outputs", (output,))

    def net_of(params, kwargs) -> Network:
        return Network(sizes_of(params, biases=model["bias"]), output=kwargs.get("output", outputs[0]),
                       hidden=kwargs.get("hidden", hiddens[0]), **model)

    def pairs(params):
        return list(params) if model["bias"] else [(W, np.zeros(np.shape(W)[0])) for W in params]

    def gradient(params, X, Y, **kwargs):
        grads = gradients(net_of(params, kwargs), pairs(params), X, Y, formulation=formulation)
        return grads if model["bias"] else [dW for dW, _ in grads]

    def ref_loss(params, X, Y, **kwargs):
        return loss(net_of(params, kwargs), pairs(params), X, Y)

    if "outputs" not in declared:
        declared["output"] = output
    words = ", ".join(f"{k}={v}" for k, v in declared.items() if k in ("hiddens", "outputs", "output", "loss_kind",
                                                                      "l2", "bias"))
    return implementation(name or f"reference.{formulation}", gradient=gradient, loss=ref_loss,
                          source="conformance.dropin.builtin",
                          description=f"the reference's {formulation} formulation ({words})", **declared)


IMPLEMENTATIONS = [
    reference_implementation("batched_matrix"),     # any size: no limit declared (the size ladder tries them)
    reference_implementation("batched_tensor"),
    reference_implementation("per_sample"),
    reference_implementation("per_neuron", max_depth=3, max_width=4, max_N=4),
    reference_implementation("scalar", min_width=1, max_width=1),
    reference_implementation("batched_matrix", output="identity", name="reference.batched_matrix[identity]"),
    reference_implementation("batched_matrix", name="reference.batched_matrix[activations]", hiddens=HIDDENS,
                             outputs=("sigmoid", "identity", "softmax")),
    reference_implementation("batched_tensor", name="reference.batched_tensor[softmax_cross_entropy_l2]",
                             hiddens=("relu", "leaky_relu", "tanh"), outputs=("softmax",),
                             loss_kind="categorical_cross_entropy", l2=0.03125, l2_bias=True),
    reference_implementation("per_neuron", name="reference.per_neuron[binary_cross_entropy_no_bias]",
                             hiddens=("sigmoid", "relu", "tanh"), loss_kind="binary_cross_entropy", bias="none",
                             max_depth=3, max_width=4, max_N=4),
]

assert len({impl.name for impl in IMPLEMENTATIONS}) == len(IMPLEMENTATIONS)
