"""The reference formulations, registered as implementations under test.

Discovery always includes these (an implementation of the same name in impls/
takes precedence).  They must pass every check: they are the suite's own
zero-false-alarm baseline.  ``scalar`` covers width-1 chains only and
``per_neuron`` is slow, so its declared support is small; the other three
declare no limit (any depth, width and batch: the size ladder tries them).
"""
from __future__ import annotations

from conformance.dropin.protocol import implementation
from conformance.dropin.ready_adapters import sizes_of
from reference import gradients, loss
from reference.network import Network

__all__ = ["IMPLEMENTATIONS", "reference_implementation"]


def _net(params, output: str) -> Network:
    return Network(sizes_of(params), output=output)


def reference_implementation(formulation: str, *, output: str = "sigmoid", name: str = "", **support):
    """An Implementation computing ``reference.gradients(..., formulation=formulation)``."""

    def gradient(params, X, Y):
        return gradients(_net(params, output), list(params), X, Y, formulation=formulation)

    def ref_loss(params, X, Y):
        return loss(_net(params, output), list(params), X, Y)

    return implementation(name or f"reference.{formulation}", gradient=gradient, loss=ref_loss,
                          output=output, source="conformance.dropin.builtin",
                          description=f"the reference's {formulation} formulation ({output} output)", **support)


IMPLEMENTATIONS = [
    reference_implementation("batched_matrix"),     # any size: no limit declared (the size ladder tries them)
    reference_implementation("batched_tensor"),
    reference_implementation("per_sample"),
    reference_implementation("per_neuron", max_depth=3, max_width=4, max_N=4),
    reference_implementation("scalar", min_width=1, max_width=1),
    reference_implementation("batched_matrix", output="identity", name="reference.batched_matrix[identity]"),
]

assert len({impl.name for impl in IMPLEMENTATIONS}) == len(IMPLEMENTATIONS)
