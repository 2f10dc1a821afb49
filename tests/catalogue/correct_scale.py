"""Correct variants that change behaviour with size or order (issue 14): the suite must never flag them.

A batch streamed in chunks (ragged tail included), matrix products tiled (remainders
included), workspaces kept between calls (sliced to each batch, results copied out),
float32 accumulated chunk by chunk at every size, per-sample contributions summed in
a random order on every call, and the scalar autodiff engine with its graph kept as
a set (its topological order, hence its summation order, changes from call to call).
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns, sigmoid
from tests.catalogue.bugs_sizes import GrowingWorkspace, add_into, chunk_gradients
from tests.catalogue.expect import Entry
from tests.catalogue.micrograd import micrograd_set_graph_gradient


# C11: the batch in chunks of 48, the ragged tail too, summed and divided by N once.
def chunked(params, X, Y, chunk=48):
    N, total = X.shape[1], None
    for start in range(0, N, chunk):
        total = add_into(total, chunk_gradients(params, X[:, start:start + chunk], Y[:, start:start + chunk]))
    return [(gW / N, gb / N) for gW, gb in total]


# C12: every matrix product tiled in 24 x 24 blocks, remainders included.
def tiled_matmul(A, B, tile=24):
    out = np.zeros((A.shape[0], B.shape[1]))
    for i in range(0, A.shape[0], tile):
        for k in range(0, A.shape[1], tile):
            out[i:i + tile] += A[i:i + tile, k:k + tile] @ B[k:k + tile]
    return out


def tiled(params, X, Y):
    zs, acts = [], [X]
    for W, b in params:
        zs.append(tiled_matmul(W, acts[-1]) + b[:, None])
        acts.append(sigmoid(zs[-1]))
    return backward_columns(params, zs, acts, Y, outer=lambda d, a: tiled_matmul(d, a.T))


# C13: the workspaces of bug.growing_workspace (kept between calls per layer width, grown when a batch is
# larger), always sliced to the batch; the gradients are fresh arrays.
class Workspace(GrowingWorkspace):
    def gradient(self, params, X, Y):
        N, zs, acts = X.shape[1], [], [X]
        for l, (W, b) in enumerate(params, start=1):
            a = self.buffer(("a", l, W.shape[0]), W.shape[0], N)[:, :N]
            zs.append(W @ acts[-1] + b[:, None])
            a[...] = sigmoid(zs[-1])
            acts.append(a)
        return [(gW.copy(), gb.copy()) for gW, gb in backward_columns(params, zs, acts, Y)]


# C14: float32 throughout, the batch accumulated chunk by chunk in float32 (64 samples at a time).
def float32_chunked(params, X, Y, chunk=64):
    N, total = X.shape[1], None
    for start in range(0, N, chunk):
        part = chunk_gradients(params, X[:, start:start + chunk], Y[:, start:start + chunk])
        total = add_into(total, [(gW.astype(np.float32), gb.astype(np.float32)) for gW, gb in part])
    return [(gW / np.float32(N), gb / np.float32(N)) for gW, gb in total]


# C15: per-sample contributions (network.py's backprop on each column) summed in a random order each call.
def random_order_sum(params, X, Y):
    order = np.random.default_rng().permutation(X.shape[1])               # fresh entropy, no global state
    total = None
    for i in order:
        zs, acts = forward_columns(params, X[:, i:i + 1])
        total = add_into(total, backward_columns(params, zs, acts, Y[:, i:i + 1]))
    return [(gW / X.shape[1], gb / X.shape[1]) for gW, gb in total]


ENTRIES = [
    Entry(implementation("ok.chunked", gradient=chunked), "the batch streamed in chunks of 48, ragged tail included"),
    Entry(implementation("ok.tiled", gradient=tiled), "every matrix product tiled in 24 x 24 blocks"),
    Entry(implementation("ok.workspace", gradient=Workspace().gradient),
          "activation workspaces kept between calls, sliced to each batch"),
    Entry(implementation("ok.float32_chunked", gradient=float32_chunked, dtype="float32"),
          "float32 accumulated chunk by chunk, at every size up to N = 1025"),
    Entry(implementation("ok.random_order_sum", gradient=random_order_sum),
          "per-sample gradients summed in a random order on every call (1-ulp differences between calls)"),
    Entry(implementation("ok.micrograd_set_graph", gradient=micrograd_set_graph_gradient, samples="rows",
                         max_width=4, max_N=6),
          "the scalar autodiff engine with its graph kept as a set (its summation order changes between calls)"),
]
