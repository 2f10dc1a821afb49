"""The last document's fully vectorised ``backprop_batch`` (stacks of columns), faithfully.

Conventions (its own): samples are the ROWS of X (N, d) and of the labels;
W^l is (n_l, n_{l-1}); b^l is an (n_l, 1) column; activations become stacks
(N, n_l, 1) and BP3/BP4 are summed over the stack axis: reduction "sum" of
1/2 ||a_i - y_i||^2 (the step divides by batch_size).  It shares
``feedforward_batch`` with the per-example section (``doc3_backprop_1_example``).

Known defects, kept:

1. ``backprop_batch`` reads the notebook's GLOBAL ``weights`` in BP2
   (``weights[l+1].T @ deltas[l+1]``), not the weights the forward pass used.
   The notebook's loop happens to rebind that global before every batch; any
   caller that passes its own weights to ``feedforward_batch`` (as the function
   signature invites) gets BP2 through stale weights: wrong gradients for every
   layer below the output, or a shape error.  Here the global starts as the
   notebook's initialisation cell left it (W_1 (3, 2), W_2 (3, 3), W_3 (1, 3)).
2. ``feedforward_batch`` is hard-coded to three layers and squeezes the hidden
   activations: a batch of one sample or a width-1 hidden layer raises
   (``(activation.T)[:, :, np.newaxis]`` on a 1-D array).
3. The loop's ``batch_labels = labels.reshape(-1, 1)`` flattens (N, n_L) labels;
   with n_L > 1 the stacks no longer broadcast and BP1 raises.

Three declarations isolate them: as documented ("arbitrary width and depth",
called as a function of its arguments), the notebook's loop on the notebook's
own networks (the squeeze only), and the stale global alone (the circles
network, N >= 2).  ``doc3_backprop_batch_corrected`` passes.
"""
import numpy as np

from conformance import implementation
from .doc3_backprop_1_example import crashing, documents_failures, feedforward_batch, ladder_failures, sigmoid_prime


def _initialisation_cell(rng=0):
    """The notebook's "More interesting example" initial values, from a seeded Generator."""
    gen = np.random.default_rng(rng)
    return ([gen.random((3, 2)), gen.random((3, 3)), gen.standard_normal((1, 3))],
            [gen.random((3, 1)), gen.random((3, 1)), gen.random((1, 1))])


# The notebook's globals, as its initialisation cell leaves them.
weights, biases = _initialisation_cell()


def backprop_batch(activities, activations, y_batch, quiet=True):
    weight_updates = []
    bias_updates = []
    layer_num = len(activations)

    # Last Level
    z_L = (activities[-1].T)[:, :, np.newaxis]
    a_L = (activations[-1].T)[:, :, np.newaxis]
    a_L_minus_1 = (activations[-2].T)[:, :, np.newaxis]

    # calculate delta_L for the last level
    delta_L = (a_L-y_batch[:, :, np.newaxis])*sigmoid_prime(z_L)

    deltas = []
    deltas.append(delta_L)

    # calculate bias update
    dc_db_L = delta_L.sum(axis=0)
    bias_updates = [dc_db_L] + bias_updates

    # calcualte weight updates
    dc_dw_L = (delta_L @ a_L_minus_1.transpose(0, 2, 1)).sum(axis=0)
    weight_updates = [dc_dw_L] + weight_updates

    # loop through each layer, from 2 to L-1
    for layer in range(2, layer_num):
        # using level as a **negative index**
        l = -layer
        if not quiet: print(f"Loop variable: {layer}, l={l}, corresponding to layer: l{l}")

        # get layer values
        z_l = (activities[l].T)[:, :, np.newaxis]
        a_l = (activations[l].T)[:, :, np.newaxis]
        a_l_minus_1 = (activations[l-1].T)[:, :, np.newaxis]

        # calculate delta_l for each layer
        delta_l = (weights[l+1].T @ deltas[l+1]) * sigmoid_prime(z_l)
        deltas = [delta_l] + deltas

        # calculate bias update
        dc_db_l = delta_l.sum(axis=0)
        bias_updates = [dc_db_l] + bias_updates

        # calcualte weight updates
        dc_dw_l = (delta_l @ a_l_minus_1.transpose(0, 2, 1)).sum(axis=0)
        weight_updates = [dc_dw_l] + weight_updates

        if not quiet:
            print(f'z_l:{z_l.shape}, a_l:{a_l.shape}, a_l_minus_1:{a_l_minus_1.shape}')

    return weight_updates, bias_updates


# ---------------------------------------------------------------------------
# Declarations.  Native params [(W^l, b^l (n_l, 1))]; X (N, d) and Y (N, n_L).

def gradient(params, X, Y):
    """backprop_batch on feedforward_batch(X, params): the function of its arguments, global untouched."""
    activities, activations = feedforward_batch(X, [W for W, _ in params], [b for _, b in params])
    weight_grads, bias_grads = backprop_batch(activities, activations, Y.reshape(-1, 1))
    return list(zip(weight_grads, bias_grads))


def notebook_loop_gradient(params, X, Y):
    """The notebook's loop body: the global ``weights`` is the one the forward pass uses.

    The binding lasts for the call only, so the other declarations below always
    see the initialisation cell's global, whatever ran before them.
    """
    global weights, biases
    saved = weights, biases
    weights = [W for W, _ in params]
    biases = [b for _, b in params]
    try:
        return gradient(params, X, Y)
    finally:
        weights, biases = saved


# Batches up to 50: the document trains with batch_size = 50 (its circles run), so it claims them.
_COMMON = dict(samples="rows", weights="out_in", bias="column", reduction="sum", loss_kind="half_sse", max_N=50)
_GLOBAL = ("backprop_batch reads the notebook's global `weights` in BP2, not the weights passed to "
           "feedforward_batch: stale weights give wrong hidden-layer gradients (or a shape error)")
_SQUEEZE = ("feedforward_batch squeezes the hidden activations: for a batch of one sample or a width-1 hidden "
            "layer (activation.T)[:, :, np.newaxis] raises IndexError")
_DEPTH = "feedforward_batch is hard-coded to three layers: other depths raise or drop layers"
_LABELS = "labels.reshape(-1, 1) flattens (N, n_L) labels: with n_L > 1 BP1's stacks do not broadcast"
#: The documents family: the circles SGD from the run's own initial values meets the stale global weights.
_DOCUMENTS_GLOBAL = {"documents.doc3.circles_batched_vs_networkpy":
                     f"{_GLOBAL}: the initialisation cell's weights, not the run's, enter BP2, so the SGD "
                     f"ends far from network.py's weights"}

IMPLEMENTATIONS = [
    implementation(
        "doc3.backprop_batch", gradient=gradient, **_COMMON,
        known_failures={**crashing(f"{_GLOBAL}; {_DEPTH}; {_SQUEEZE}; {_LABELS}"),
                        **documents_failures(_SQUEEZE, _DEPTH), **_DOCUMENTS_GLOBAL,
                        **ladder_failures(_DEPTH, _SQUEEZE, _LABELS),
                        "documents.doc1.xnor_2431": f"raises on [2, 4, 3, 1]: {_GLOBAL} (W^2 of the global is (3, 3))"},
        description="last document's batched tensor backprop as documented, called with its arguments"),
    implementation(
        "doc3.backprop_batch.notebook_loop", gradient=notebook_loop_gradient, **_COMMON,
        layer_sizes=((1, 1, 1, 1), (1, 3, 2, 1), (2, 3, 3, 1)),
        known_failures={**crashing(_SQUEEZE),
                        **documents_failures(_SQUEEZE)},
        description="the notebook's own loop (global rebound) on the notebook's networks: the squeeze"),
    implementation(
        "doc3.backprop_batch.stale_global", gradient=gradient, **_COMMON,
        layer_sizes=((2, 3, 3, 1),), min_N=2,
        known_failures={
            **_DOCUMENTS_GLOBAL,
            "reference.agreement": _GLOBAL,
            "sizes.batch": f"{_GLOBAL}: the ladder's batches on the circles network meet the stale weights",
            "symbolic.vectors": f"{_GLOBAL}: the vector on the circles network (N = 10) meets the stale weights",
            "finite_differences.full": _GLOBAL,
            "finite_differences.directional": _GLOBAL,
            "properties.hidden_unit_permutation": f"{_GLOBAL}: the stale W^2, W^3 are not permuted with the units",
            "properties.dead_unit": f"{_GLOBAL}: a unit whose outgoing weights are zero in the W^2 passed in "
                                    "still has non-zero outgoing weights in the stale global",
        },
        description="circles network [2, 3, 3, 1], N >= 2, weights passed as arguments: the global read"),
]
