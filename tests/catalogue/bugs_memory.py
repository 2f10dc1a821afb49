"""Buggy implementations, part 6: who owns the arrays, and memory layouts (issue 14).

Right values on every single call, wrong as a citizen of a program: gradients
returned in buffers the next call overwrites (the way an autodiff rule that
reuses its output buffer does), a result cached by shape, a training step that
keeps the parameters it was handed and updates them again later, the caller's
own parameter list filled with gradients, and code that reads raw memory as if
every array were C-contiguous.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns
from tests.catalogue.expect import Entry, Expect


def gradient(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y)


# M01: gradients written into output buffers kept per shape and returned as they are: the next call
# with the same shapes overwrites what the previous call returned.
class OutputBuffers:
    def __init__(self):
        self.out = {}

    def gradient(self, params, X, Y):
        key = tuple(W.shape for W, _ in params)
        bufs = self.out.setdefault(key, [(np.empty_like(W), np.empty_like(b)) for W, b in params])
        for (bW, bb), (gW, gb) in zip(bufs, gradient(params, X, Y)):
            bW[...] = gW
            bb[...] = gb
        return bufs                                                       # BUG: the buffers themselves


# M02: a result cached by the shapes of the inputs ("the network does not change between calls").
class ShapeCache:
    def __init__(self):
        self.cache = {}

    def gradient(self, params, X, Y):
        key = (X.shape, Y.shape) + tuple(W.shape for W, _ in params)     # BUG: shapes, not values
        if key not in self.cache:
            self.cache[key] = gradient(params, X, Y)
        return [(gW.copy(), gb.copy()) for gW, gb in self.cache[key]]


# M03: a training step whose optimizer object is built once, on the first parameters it is handed, and
# updates those arrays on every later step, whatever parameters the step receives.
class KeptOptimizer:
    def __init__(self):
        self.params = None

    def step(self, params, X, Y, eta):
        if self.params is None or [W.shape for W, _ in self.params] != [W.shape for W, _ in params]:
            self.params = params                                          # BUG: kept, not the ones passed
        for (W, b), (gW, gb) in zip(self.params, gradient(params, X, Y)):
            W -= eta * gW
            b -= eta * gb


# M04: "nabla = params" to get the structure, then every entry replaced: the caller's list now holds gradients.
def into_params_list(params, X, Y):
    nabla = params                                                        # BUG: an alias, not a copy
    for l, pair in enumerate(gradient(params, X, Y)):
        nabla[l] = pair
    return nabla


# M05: a port of a C kernel that reads X through its raw bytes in the array's own order and reshapes
# them row-major: right for C-ordered and strided arrays (tobytes gives C order), wrong in Fortran order.
def raw_bytes(a):
    return np.frombuffer(a.tobytes(order="A"), dtype=a.dtype).reshape(a.shape)   # BUG: 'A' keeps F order


def raw_buffer_input(params, X, Y):
    return gradient(params, raw_bytes(X), Y)


# M06: weights viewed through as_strided with the strides of a packed row-major array, as a C kernel
# taking a bare pointer would: right only when W is C-contiguous.
def packed_row_major(W):
    return np.lib.stride_tricks.as_strided(W, W.shape, (W.shape[1] * W.itemsize, W.itemsize))  # BUG


def assumes_packed_weights(params, X, Y):
    return gradient([(packed_row_major(W), b) for W, b in params], X, Y)


ENTRIES = [
    Entry(implementation("bug.returns_output_buffers", gradient=OutputBuffers().gradient),
          "gradients returned in its own buffers, overwritten by the next call",
          Expect(("interface.ownership",), cause="reused_buffers")),
    Entry(implementation("bug.result_cached_by_shape", gradient=ShapeCache().gradient),
          "a result cached by the shapes of the inputs",
          Expect(("interface.ownership",), cause="hidden_state")),
    Entry(implementation("bug.step_keeps_parameters", train_step=KeptOptimizer().step),
          "a training step that keeps the first parameters it is handed and updates them later",
          Expect(("interface.ownership",), cause="keeps_inputs")),
    Entry(implementation("bug.gradients_into_params_list", gradient=into_params_list),
          "the caller's parameter list returned with its entries replaced by gradients",
          Expect(("interface.ownership",), cause="aliases_inputs")),
    Entry(implementation("bug.raw_bytes_fortran", gradient=raw_buffer_input),
          "X read through its raw bytes: wrong for Fortran-ordered inputs",
          Expect(("interface.layouts",), cause="layout_dependent",
                 condition=r"right for C-ordered inputs; wrong in Fortran order; right as non-contiguous")),
    Entry(implementation("bug.assumes_packed_weights", gradient=assumes_packed_weights),
          "W viewed with packed row-major strides: wrong unless C-contiguous",
          Expect(("interface.layouts",), cause="layout_dependent",
                 condition=r"wrong in Fortran order; wrong as non-contiguous")),
]
