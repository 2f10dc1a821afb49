"""The drop-in protocol: what a user writes, how it is found and how its arrays are translated.

    protocol        ``implementation(...)``: entry point, conventions, support, known failures
    ready_adapters  per_sample, from_object, forward_backward, training_step: common shapes of user code
    adapters        translation at the edge between the reference conventions and the declared ones
    discovery       impls/, --impl, $BACKPROP_IMPL, entry points; ``load_implementations``
    builtin         the reference formulations as implementations under test

``protocol`` and ``ready_adapters`` need only numpy: they are all a process
running user code imports of this package.
"""
from conformance.dropin.protocol import (BIASES, DTYPES, HIDDENS, LAYOUTS, LOSSES, OUTPUTS, REDUCTIONS, SAMPLES, WEIGHTS,
                                         Conventions, Implementation, KnownFailure, Support, implementation)
from conformance.dropin.ready_adapters import (fit_step, forward_backward, from_object, parse_gradients, per_sample,
                                               sizes_of, training_step, whole_batch)

__all__ = ["BIASES", "DTYPES", "HIDDENS", "LAYOUTS", "LOSSES", "OUTPUTS", "REDUCTIONS", "SAMPLES", "WEIGHTS", "Conventions",
           "Implementation", "KnownFailure", "Support", "implementation", "fit_step", "forward_backward", "from_object",
           "parse_gradients", "per_sample", "sizes_of", "training_step", "whole_batch"]
