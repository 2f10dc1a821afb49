"""The last document's per-example backprop: ``feedforward_batch`` + ``backprop_1_example``, faithfully.

Conventions (its own): samples are the ROWS of X (N, d) and of the labels;
W^l is (n_l, n_{l-1}); b^l is an (n_l, 1) column; sigmoid at every layer.  The
training loop feeds the whole batch forward once, runs ``backprop_1_example``
for each sample index and adds the updates: the gradient of
sum_i 1/2 ||a_i - y_i||^2 (reduction "sum"; the step divides by batch_size).

Known defects, kept (the document presents this as backprop "of arbitrary width
and depth" and calls it on batches, so that is the declared support):

1. ``feedforward_batch`` is hard-coded to three layers (W_1, W_2, W_3): any
   other depth raises or silently drops layers.
2. It stores ``np.squeeze(a_1)`` and ``np.squeeze(a_2)``: for a batch of one
   sample, or a hidden layer of width 1, the stored activation loses an axis and
   ``activations[l][:, sample_idx]`` raises IndexError.
3. The loop takes ``batch_labels = labels[...].reshape(-1, 1)``: with more than
   one output this flattens the (N, n_L) labels, and sample i is compared with
   the single entry Y.flat[i] broadcast to every output: a wrong gradient.
4. The loss it records, ``mse(activations[-1], batch_labels)``, subtracts an
   (N, 1) column from the (n_L, N) output: broadcasting builds an N x N table of
   every output against every label, so it is not the loss the gradient belongs
   to (and with n_L > 1 outputs it raises).

Three declarations: as documented (all four defects), on the notebook's own
networks [1, 1, 1, 1], [1, 3, 2, 1], [2, 3, 3, 1] (the squeeze alone, plus the
loss), and on depth-3 networks of width >= 2 with N >= 2 (the labels alone, plus
the loss).  Each records its failing checks with the reason.

``backprop_1_example`` also reads the notebook's global ``weights`` in BP2;
the training loop rebinds that global before every batch, and so does the
adapter below (the defect is exposed in ``doc3_backprop_batch``).
``doc3_backprop_1_example_corrected`` fixes all four and passes.
"""
import numpy as np

from conformance import implementation


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(z):
    return sigmoid(z)*(1-sigmoid(z))


def mse(y_hat, y, average=True):
    if average:
        return np.mean((y_hat-y)**2)
    else:
        return ((y_hat-y)**2)


def feedforward_batch(X, weights, biases):
    # assume inputs is of shape Nxd
    W_1, W_2, W_3 = weights[0], weights[1], weights[2]
    b_1, b_2, b_3 = biases[0], biases[1], biases[2]

    activities = []
    activations = []

    # NOTE - there is no for loop here!
    # treat activations like layer_0 activations:
    activations.append(X.T)

    # layer 1
    z_1 = W_1.dot(X.T) + b_1
    a_1 = sigmoid(z_1)
    activities.append(z_1)
    activations.append(np.squeeze(np.asarray(a_1)))

    # layer 2
    z_2 = W_2.dot(a_1)+b_2
    a_2 = sigmoid(z_2)
    activities.append(z_2)
    activations.append(np.squeeze(np.asarray(a_2)))

    # output layer
    z_3 = W_3.dot(a_2)+b_3
    y_hat = sigmoid(z_3)
    activities.append(z_3)
    activations.append(np.asarray(y_hat))

    return activities, activations


# The notebook's global, rebound by its training loop ("save new weights and biases").
weights = None
biases = None


def backprop_1_example(activities, activations, y, sample_idx, quiet=True):
    layer_num = len(activations)
    weight_updates = []
    bias_updates = []

    # Last Level
    a_L = activations[-1][:, sample_idx].reshape(-1, 1)
    a_L_minus_1 = activations[-2][:, sample_idx].reshape(-1, 1)
    z_L = activities[-1][:, sample_idx].reshape(-1, 1)

    # calculate delta_L for the last level
    delta_L = (a_L-y)*sigmoid_prime(z_L)
    deltas = []
    deltas.append(delta_L)

    # calculate bias update
    dc_db_L = delta_L
    bias_updates = [dc_db_L] + bias_updates

    # calcualte weight updates
    dc_dw_L = delta_L.dot((a_L_minus_1).T)
    weight_updates = [dc_dw_L] + weight_updates

    if not quiet:
        print(f'=========Layer:{layer_num+-1}=========')

    # loop through each layer, from 2 to L-1
    for layer in range(2, layer_num):
        # using level as a **negative index**
        l = -layer

        # calculate delta_l for each layer
        a_l = activations[l][:, sample_idx].reshape(-1, 1)
        z_l = activities[l][:, sample_idx].reshape(-1, 1)
        delta_l = weights[l+1].T.dot(deltas[l+1]) * sigmoid_prime(z_l)
        deltas = [delta_l] + deltas

        # calculate bias update
        dc_db_l = delta_l
        bias_updates = [dc_db_l] + bias_updates

        # calcualte weight updates
        a_l_minus_1 = activations[l-1][:, sample_idx].reshape(-1, 1)
        dc_dw_l = delta_l.dot((a_l_minus_1).T)
        weight_updates = [dc_dw_l] + weight_updates

        if not quiet:
            print(f'=========Layer:{layer_num+l}=========')
            print(f'z_l:{z_l.shape}, a_l:{a_l.shape}, a_l_minus_1:{a_l_minus_1.shape}')

    return weight_updates, bias_updates


def training_loop_batch(params, batch, labels_batch):
    """One pass of the notebook's training loop body: the per-example updates summed over the batch.

    The loop binds the global ``weights`` to the weights it feeds forward with;
    here that binding lasts for the pass only, so no state outlives a call.
    """
    global weights, biases
    saved = weights, biases
    weights = [W for W, _ in params]                 # the loop's "weights = [W_1,W_2,W_3]"
    biases = [b for _, b in params]
    try:
        return _loop_body(batch, labels_batch)
    finally:
        weights, biases = saved


def _loop_body(batch, labels_batch):
    W_1, W_2, W_3 = weights[0], weights[1], weights[2]
    b_1, b_2, b_3 = biases[0], biases[1], biases[2]
    batch_labels = labels_batch.reshape(-1, 1)

    # feedforward on batch
    activities, activations = feedforward_batch(batch, weights, biases)

    # setup matrices to hold gradients
    grad_W_1, grad_b_1 = np.zeros_like(W_1), np.zeros_like(b_1)
    grad_W_2, grad_b_2 = np.zeros_like(W_2), np.zeros_like(b_2)
    grad_W_3, grad_b_3 = np.zeros_like(W_3), np.zeros_like(b_3)

    # loop through each example in the batch
    for idx in range(batch.shape[0]):
        current_label = batch_labels[idx]
        weight_updates, bias_updates = backprop_1_example(activities, activations, current_label, idx)
        grad_W_1 = grad_W_1 + weight_updates[0]
        grad_b_1 = grad_b_1 + bias_updates[0]
        grad_W_2 = grad_W_2 + weight_updates[1]
        grad_b_2 = grad_b_2 + bias_updates[1]
        grad_W_3 = grad_W_3 + weight_updates[2]
        grad_b_3 = grad_b_3 + bias_updates[2]

    return [(grad_W_1, grad_b_1), (grad_W_2, grad_b_2), (grad_W_3, grad_b_3)]


# ---------------------------------------------------------------------------
# Declarations.  Native params [(W^l, b^l (n_l, 1))]; X (N, d) and Y (N, n_L).

def gradient(params, X, Y):
    """The summed per-example updates of one batch, as the training loop adds them."""
    return training_loop_batch(params, X, Y)


def recorded_loss(params, X, Y):
    """The loss the training loop appends: mse(activations[-1], batch_labels)."""
    _, activations = feedforward_batch(X, [W for W, _ in params], [b for _, b in params])
    return mse(activations[-1], Y.reshape(-1, 1))


# Batches up to 50: the document trains with batch_size = 50 (its circles run), so it claims them.
_COMMON = dict(gradient=gradient, loss=recorded_loss, samples="rows", weights="out_in",
               bias="column", reduction="sum", loss_kind="half_sse", max_N=50)
_LOSS = ("mse(activations[-1], batch_labels) subtracts the (N, 1) label column from the (n_L, N) "
         "output: for one output broadcasting averages an N x N table of every output against every "
         "label, not the loss sum_i 1/2 ||a_i - y_i||^2 the summed updates belong to; for n_L > 1 the "
         "flattened (N n_L, 1) labels do not broadcast and it raises")
_SQUEEZE = ("feedforward_batch stores np.squeeze(a_1), np.squeeze(a_2): for a batch of one sample or a "
            "hidden layer of width 1 the stored activation loses an axis and activations[l][:, sample_idx] "
            "raises IndexError")
_DEPTH = "feedforward_batch is hard-coded to three layers (W_1, W_2, W_3): other depths raise or drop layers"
_LABELS = ("the loop's batch_labels = labels.reshape(-1, 1) flattens (N, n_L) labels: with n_L > 1 "
           "sample i is compared with the single entry Y.flat[i] on every output")

#: Every check that calls the gradient on drawn cases (all but interface.quiet and the loss check).
CALLING_CHECKS = ("interface.shapes", "interface.dtype", "interface.finite", "interface.no_input_mutation",
                  "interface.deterministic", "interface.support", "reference.agreement", "symbolic.vectors",
                  "finite_differences.full", "finite_differences.directional", "properties.batch_mean",
                  "properties.permutation", "properties.duplication", "properties.hidden_unit_permutation",
                  "properties.zero_at_target", "properties.dead_unit", "interface.ownership", "interface.layouts")


def ladder_failures(depth_reason, n1_reason, labels_reason):
    """{check: reason} for the size ladder (conformance/checks/sizes.py) on a declaration claiming any depth:
    its batch, width and depth families start on depth-2 networks (``depth_reason``); the MNIST-shaped
    784-256-128-10 starts with one sample (``n1_reason``) and has 10 outputs (``labels_reason``)."""
    out = {f"sizes.{c}": f"raises on the ladder's depth-2 networks: {depth_reason}" for c in ("batch", "width", "depth")}
    out["sizes.mnist"] = f"raises for its first rung, one sample: {n1_reason}; and 10 outputs: {labels_reason}"
    return out


def documents_failures(n1_reason, depth_reason=None):
    """{check: reason} for the documents family (conformance/checks/documents.py): the last document's
    gradient checking and per-example circles run call the code on one example (N = 1) and meet
    ``n1_reason``; with ``depth_reason`` the first document's truth tables ([2, 2, 1], [2, 1]: depth 2
    and 1, where the support claims them) meet that one."""
    gates = ("xnor_221", "or_21", "and_21", "printed_params.xnor", "printed_params.or", "printed_params.and")
    out = {f"documents.doc1.{c}": f"raises on the first document's network: {depth_reason}"
           for c in (gates if depth_reason else ())}
    out.update({f"documents.doc3.{c}": f"raises for one example (N = 1): {n1_reason}"
                for c in ("gradient_checking", "circles_per_example_vs_networkpy")})
    return out


def crashing(reason, *, loss_reason=None):
    """{check: reason} for a declaration that raises on claimed cases: every calling check meets the crash."""
    out = {c: reason if c == "interface.support" else f"raises on claimed cases: {reason}" for c in CALLING_CHECKS}
    if loss_reason:
        out["finite_differences.own_loss"] = loss_reason
    return out


IMPLEMENTATIONS = [
    implementation(
        "doc3.backprop_1_example", **_COMMON,
        known_failures={**crashing(f"{_DEPTH}; {_SQUEEZE}; {_LABELS}", loss_reason=_LOSS),
                        **documents_failures(_SQUEEZE, _DEPTH), **ladder_failures(_DEPTH, _SQUEEZE, _LABELS)},
        description="last document, per-example backprop as documented: arbitrary depth and width, any batch"),
    implementation(
        "doc3.backprop_1_example.notebook_architectures", **_COMMON,
        layer_sizes=((1, 1, 1, 1), (1, 3, 2, 1), (2, 3, 3, 1)),
        known_failures={**crashing(_SQUEEZE, loss_reason=_LOSS),
                        **documents_failures(_SQUEEZE)},
        description="the same code on the notebook's own networks (1-D toy, toy, circles): the squeeze"),
    implementation(
        "doc3.backprop_1_example.multi_output", **_COMMON,
        min_depth=3, max_depth=3, min_width=2, min_N=2,
        known_failures={
            "reference.agreement": _LABELS,
            "finite_differences.full": _LABELS,
            "finite_differences.directional": _LABELS,
            "finite_differences.own_loss": _LOSS,
            "properties.duplication": f"{_LABELS}: duplicating the batch changes which label each sample gets",
            "properties.permutation": f"{_LABELS}: permuting the batch changes which label each sample gets",
            "properties.zero_at_target": f"{_LABELS}: sample i is compared with Y.flat[i], not its own outputs",
            **{f"sizes.{c}": f"{_LABELS}: every rung of the ladder has more than one output"
               for c in ("batch", "width", "depth", "mnist")},
        },
        description="the same code on depth-3 networks of width >= 2, N >= 2: the flattened labels"),
]
