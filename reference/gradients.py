"""``gradients(net, params, X, Y, formulation=...)``: one entry point, five formulations."""
from __future__ import annotations

from types import MappingProxyType

from reference import batched_matrix, batched_tensor, per_neuron, per_sample, scalar
from reference.network import Network, Params
from reference.validation import check_data, check_params

__all__ = ["FORMULATIONS", "gradients"]

#: Formulation name -> module; each module has ``gradients_unchecked(net, params, X, Y)``.
FORMULATIONS = MappingProxyType({
    "scalar": scalar,
    "per_neuron": per_neuron,
    "per_sample": per_sample,
    "batched_tensor": batched_tensor,
    "batched_matrix": batched_matrix,
})


def gradients(net: Network, params: Params, X, Y, formulation: str = "batched_matrix") -> Params:
    """[(dC/dW^l, dC/db^l) for l = 1..L] of the network's loss C (1/2 ||a^L - y||^2 averaged by default).

    Same structure as ``params``: dC/dW^l has shape (n_l, n_{l-1}), dC/db^l (n_l,).
    X is (n_0, N), Y is (n_L, N).  Inputs are validated and never modified.
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"unknown formulation {formulation!r}; choose one of {sorted(FORMULATIONS)}")
    if not isinstance(net, Network):
        raise ValueError(f"net must be a reference.Network, got {type(net).__name__}")
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    return FORMULATIONS[formulation].gradients_unchecked(net, params, X, Y)
