"""Buggy implementations, part 4: shapes, state, side effects and numerics.

Shape bugs that appear only for a batch of one or a width-1 layer, state kept
between calls, inputs modified in place, a random mask left on, a sigmoid that
overflows to NaN, a finite difference inside, float32 intermediates.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns, sigmoid, sigmoid_prime
from tests.catalogue.expect import Entry, Expect


def as_matrix(a):
    """'Make sure it is 2-D': the helper that pairs with np.squeeze."""
    return a if a.ndim == 2 else a.reshape(-1, 1)


# B23: rows as samples, activations squeezed "to drop the extra axis": a batch of one becomes a column.
def squeeze_batch_of_one(params, X, Y):
    acts, zs = [X], []
    for W, b in params:
        zs.append(acts[-1] @ W.T + b)
        acts.append(as_matrix(np.squeeze(sigmoid(zs[-1]))))             # BUG: N = 1 -> (n, 1) column
    N = X.shape[0]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta.T @ acts[l - 1] / N, delta.sum(axis=0) / N))
        if l > 1:
            delta = (delta @ params[l - 1][0]) * sigmoid_prime(zs[l - 2])
    return grads


# B24: columns as samples, same squeeze: a width-1 layer (1, N) becomes an (N, 1) column.
def squeeze_width_one(params, X, Y):
    zs, acts = [], [X]
    for W, b in params:
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(as_matrix(np.squeeze(sigmoid(zs[-1]))))             # BUG: n_l = 1 -> (N, 1)
    return backward_columns(params, zs, acts, Y)


# B25: gradient buffers kept on the object between calls and never zeroed.
class Accumulating:
    def __init__(self):
        self.nabla = None

    def gradient(self, params, X, Y):
        zs, acts = forward_columns(params, X)
        grads = backward_columns(params, zs, acts, Y)
        if self.nabla is None or len(self.nabla) != len(grads) or any(
                a.shape != g.shape for (a, _), (g, _) in zip(self.nabla, grads)):
            self.nabla = [(np.zeros_like(gW), np.zeros_like(gb)) for gW, gb in grads]
        for (aW, ab), (gW, gb) in zip(self.nabla, grads):
            aW += gW                                                    # BUG: never reset between calls
            ab += gb
        return [(aW.copy(), ab.copy()) for aW, ab in self.nabla]


# B26: the error computed into the caller's Y (an alias, not a copy).
def mutates_targets(params, X, Y):
    zs, acts = forward_columns(params, X)
    err = Y                                                             # BUG: alias
    err -= acts[-1]                                                     # Y now holds y - a
    delta = -err * sigmoid_prime(zs[-1])
    N = X.shape[1]
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / N, delta.sum(axis=1) / N))
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return grads


# B27: dropout from training left on in the gradient: a fresh random mask every call.
def random_mask(params, X, Y, keep=0.8):
    rng = np.random.default_rng()                                       # fresh entropy, no global state
    zs, acts = [], [X]
    for l, (W, b) in enumerate(params, start=1):
        zs.append(W @ acts[-1] + b[:, None])
        a = sigmoid(zs[-1])
        if l < len(params):
            a = a * (rng.random(a.shape) < keep) / keep                 # BUG: mask left on
        acts.append(a)
    return backward_columns(params, zs, acts, Y)


# B28: sigmoid as e^z / (1 + e^z): inf / inf = NaN once z > 709.
def sigmoid_exp_ratio(z):
    e = np.exp(z)
    return e / (1.0 + e)                                                # BUG: overflows to NaN


def overflowing_sigmoid(params, X, Y):
    zs, acts = [], [X]
    for W, b in params:
        zs.append(W @ acts[-1] + b[:, None])
        acts.append(sigmoid_exp_ratio(zs[-1]))
    prime = lambda z: sigmoid_exp_ratio(z) * (1.0 - sigmoid_exp_ratio(z))   # noqa: E731
    return backward_columns(params, zs, acts, Y, prime)


# B29: the same overflowing sigmoid in a float32 implementation: NaN once z > 88.7.
def overflowing_sigmoid_float32(params, X, Y):
    return [(gW.astype(np.float32), gb.astype(np.float32)) for gW, gb in overflowing_sigmoid(params, X, Y)]


# B30: sigma' by a one-sided finite difference, h = 1e-7.
def finite_difference_prime(z, h=1e-7):
    return (sigmoid(z + h) - sigmoid(z)) / h                            # BUG: ~1e-7 relative error


def finite_difference_inside(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y, finite_difference_prime)


# B31: declared float64, computed in float32 ("faster").
def float32_intermediate(params, X, Y):
    p32 = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]   # BUG
    zs, acts = forward_columns(p32, X.astype(np.float32))
    grads = backward_columns(p32, zs, acts, Y.astype(np.float32))
    return [(gW.astype(np.float64), gb.astype(np.float64)) for gW, gb in grads]


_AGREE = ("reference.agreement",)

ENTRIES = [
    Entry(implementation("bug.squeeze_batch_of_one", gradient=squeeze_batch_of_one, samples="rows"),
          "a shape bug that appears only for a batch of one",
          Expect(("interface.support",), cause="wrong_for_batch_of_one")),
    Entry(implementation("bug.squeeze_width_one", gradient=squeeze_width_one),
          "a shape bug that appears only for a width-1 layer",
          Expect(("interface.support",), cause="wrong_for_width_one")),
    Entry(implementation("bug.state_between_calls", gradient=Accumulating().gradient),
          "state kept between calls",
          Expect(("interface.deterministic",), cause="hidden_state")),
    Entry(implementation("bug.mutates_targets", gradient=mutates_targets),
          "inputs modified in place",
          Expect(("interface.no_input_mutation",), cause="mutates_inputs")),
    Entry(implementation("bug.random_mask", gradient=random_mask),
          "a random mask left on",
          Expect(("interface.deterministic",), cause="random_mask")),
    Entry(implementation("bug.overflowing_sigmoid", gradient=overflowing_sigmoid),
          "a sigmoid that overflows to NaN for large |z|",
          Expect(("interface.finite",), cause="wrong_for_large_z")),
    Entry(implementation("bug.overflowing_sigmoid_float32", gradient=overflowing_sigmoid_float32,
                         dtype="float32"),
          "a sigmoid that overflows to NaN for large |z| (float32: z > 88.7)",
          Expect(("interface.finite",), cause="wrong_for_large_z")),
    Entry(implementation("bug.finite_difference_inside", gradient=finite_difference_inside),
          "a derivative approximated by a finite difference inside",
          Expect(_AGREE, cause="finite_difference_inside")),
    Entry(implementation("bug.float32_intermediate", gradient=float32_intermediate),
          "float32 intermediates in an implementation declared float64",
          Expect(_AGREE, cause="float32_intermediate")),
]
