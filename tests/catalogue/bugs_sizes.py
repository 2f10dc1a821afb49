"""Buggy implementations, part 5: code that changes behaviour with size (issue 14).

Every one is right on the shapes Hypothesis draws (depth <= 4, width <= 6,
N <= 8) and wrong only past them: a batch streamed in chunks whose ragged tail
is lost or misweighted, a matrix product tiled with its remainder skipped,
float32 for big batches, a backward loop capped at the depth its author tried,
a workspace sized by the first large batch.  The size ladder (``sizes.*``)
must catch each and the diagnosis must name the size condition.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns, sigmoid, sigmoid_prime
from tests.catalogue.bugs_models import mlp_backward, mlp_forward, softmax
from tests.catalogue.expect import Entry, Expect


def chunk_gradients(params, X, Y):
    """Summed (not averaged) per-chunk gradients [(sum_i dW_i, sum_i db_i)] of one chunk of columns."""
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y, reduce_W=lambda g: g, reduce_b=lambda d: d.sum(axis=1))


def add_into(total, part):
    return part if total is None else [(tW + pW, tb + pb) for (tW, tb), (pW, pb) in zip(total, part)]


# S01: the batch streamed in chunks of 48 "to bound memory": the number of chunks is N // 48 (at least one),
# so the ragged tail of every N > 48 that is not a multiple of 48 is never seen.
def chunk_tail_dropped(params, X, Y, chunk=48):
    N, total = X.shape[1], None
    for c in range(max(1, N // chunk)):                                  # BUG: the tail chunk is lost
        part = chunk_gradients(params, X[:, c * chunk:(c + 1) * chunk], Y[:, c * chunk:(c + 1) * chunk])
        total = add_into(total, part)
    return [(gW / N, gb / N) for gW, gb in total]


# S02: chunks of 64 averaged separately, then the chunk means averaged: the ragged tail weighs as much
# as a full chunk (a mean of means).
def chunk_mean_of_means(params, X, Y, chunk=64):
    means = []
    for start in range(0, X.shape[1], chunk):
        Xc, Yc = X[:, start:start + chunk], Y[:, start:start + chunk]
        means.append([(gW / Xc.shape[1], gb / Xc.shape[1]) for gW, gb in chunk_gradients(params, Xc, Yc)])
    return [(sum(m[l][0] for m in means) / len(means), sum(m[l][1] for m in means) / len(means))   # BUG
            for l in range(len(params))]


# S03: BP4's product delta (a^{l-1})^T tiled over the columns in tiles of 24 "for the cache": the loop
# stops at the last full tile once there is more than one, so the ragged remainder of the inputs is skipped.
def tiled_outer(delta, a_prev, tile=24):
    n_in = a_prev.shape[0]
    out = np.zeros((delta.shape[0], n_in))
    stop = n_in if n_in <= tile else n_in - n_in % tile                  # BUG: the remainder tile
    for j in range(0, stop, tile):
        out[:, j:j + tile] = delta @ a_prev[j:j + tile].T
    return out


def tile_remainder_skipped(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y, outer=tiled_outer)


# S04: "big batches in float32 to halve the memory": from N = 513 the whole pass runs in float32
# (declared float64).
def float32_for_big_batches(params, X, Y, threshold=512):
    if X.shape[1] > threshold:                                           # BUG: precision changes with N
        params = [(W.astype(np.float32), b.astype(np.float32)) for W, b in params]
        X, Y = X.astype(np.float32), Y.astype(np.float32)
    zs, acts = forward_columns(params, X)
    return [(gW.astype(np.float64), gb.astype(np.float64)) for gW, gb in backward_columns(params, zs, acts, Y)]


# S05: the backward loop written for "up to three layers": layers below the last three keep their zeros.
def depth_capped(params, X, Y, deepest=3):
    zs, acts = forward_columns(params, X)
    N, L = X.shape[1], len(params)
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    for l in range(L, max(L - deepest, 0), -1):                         # BUG: capped at three layers
        grads[l - 1] = (delta @ acts[l - 1].T / N, delta.sum(axis=1) / N)
        if l > 1:
            delta = (params[l - 1][0].T @ delta) * sigmoid_prime(zs[l - 2])
    return grads


# S06: activations and deltas kept in workspaces that only ever grow (keyed by layer width); BP4 and BP3
# then run over the whole workspace, so a smaller batch after a larger one sums its stale columns too.
class GrowingWorkspace:
    def __init__(self):
        self.space = {}

    def buffer(self, key, rows, N):
        buf = self.space.get(key)
        if buf is None or buf.shape[1] < N:
            buf = self.space[key] = np.zeros((rows, N))
        return buf

    def gradient(self, params, X, Y):
        N, L = X.shape[1], len(params)
        sizes = [X.shape[0]] + [W.shape[0] for W, _ in params]
        A = [self.buffer(("a", l, n), n, N) for l, n in enumerate(sizes)]
        A[0][:, :N] = X
        for l, (W, b) in enumerate(params, start=1):
            A[l][:, :N] = sigmoid(W @ A[l - 1][:, :N] + b[:, None])
        a = A[L][:, :N]
        D = self.buffer(("delta", L, sizes[L]), sizes[L], N)
        D[:, :N] = (a - Y) * a * (1 - a)
        grads = []
        for l in range(L, 0, -1):
            grads.insert(0, (D @ A[l - 1].T / N, D.sum(axis=1) / N))    # BUG: the whole workspace, not [:, :N]
            if l > 1:
                a = A[l - 1][:, :N]
                below = self.buffer(("delta", l - 1, sizes[l - 1]), sizes[l - 1], N)
                below[:, :N] = (params[l - 1][0].T @ D[:, :N]) * a * (1 - a)
                D = below
        return grads


# S07: a ReLU + softmax classifier (cross-entropy, L2 lambda = 1e-3 on the batch mean) streamed in chunks of
# 32: only N // 32 chunks are read, so the ragged tail of every N > 32 not a multiple of 32 is lost.
def relu_softmax_chunk_tail_dropped(params, X, Y, chunk=32, decay=1e-3):
    N, total = X.shape[1], None
    for c in range(max(1, N // chunk)):                                  # BUG: the tail chunk is lost
        Xc, Yc = X[:, c * chunk:(c + 1) * chunk], Y[:, c * chunk:(c + 1) * chunk]
        zs, acts = mlp_forward(params, Xc)
        part = mlp_backward(params, zs, acts, softmax(zs[-1]) - Yc, lambda z, a: (z > 0).astype(float))
        total = add_into(total, [(gW * Xc.shape[1], gb * Xc.shape[1]) for gW, gb in part])
    return [(gW / N + decay * W, gb / N) for (gW, gb), (W, _) in zip(total, params)]


ENTRIES = [
    Entry(implementation("bug.chunk_tail_dropped", gradient=chunk_tail_dropped),
          "a batch streamed in chunks of 48 that loses the ragged tail",
          Expect(("sizes.batch",), cause="wrong_from_batch_size",
                 condition=r"right for N <= 48, wrong from N = 49 \(every N not a multiple of 48\)")),
    Entry(implementation("bug.chunk_mean_of_means", gradient=chunk_mean_of_means),
          "chunks of 64 averaged as a mean of means (the ragged tail overweighted)",
          Expect(("sizes.batch",), cause="wrong_from_batch_size",
                 condition=r"right for N <= 64, wrong from N = 65 \(every N not a multiple of 64\)")),
    Entry(implementation("bug.tile_remainder_skipped", gradient=tile_remainder_skipped),
          "BP4 tiled in tiles of 24 columns that skips the remainder tile",
          Expect(("sizes.width",), cause="wrong_from_width", param="W",
                 condition=r"right up to width 24, wrong from width 25 \(every width not a multiple of 24\); "
                           r"at width 25: the last column of dC/dW\^1 and dC/dW\^2 is zero")),
    Entry(implementation("bug.float32_for_big_batches", gradient=float32_for_big_batches),
          "float32 for batches above 512 samples, declared float64",
          Expect(("sizes.batch",), cause="float32_at_scale", condition=r"errors of float32 size from N = 513")),
    Entry(implementation("bug.growing_workspace", gradient=GrowingWorkspace().gradient),
          "workspaces grown to the largest batch and summed whole: stale columns after a larger batch",
          Expect(("sizes.batch",), cause="hidden_state",
                 condition=r"right for N = 15 at first, wrong for it after the calls up to N = 1025")),
    Entry(implementation("bug.depth_capped", gradient=depth_capped),
          "a backward loop capped at three layers",
          Expect(("sizes.depth",), cause="wrong_from_depth", layer="1",
                 condition=r"right up to depth 3; from depth 4 the first layer's gradients are zero")),
    Entry(implementation("bug.relu_softmax_chunk_tail_dropped", gradient=relu_softmax_chunk_tail_dropped,
                         hidden="relu", output="softmax", loss_kind="categorical_cross_entropy", l2=1e-3),
          "a ReLU + softmax cross-entropy network with L2 streamed in chunks of 32 that loses the ragged tail",
          Expect(("sizes.batch",), cause="wrong_from_batch_size",
                 condition=r"right for N <= 32, wrong from N = 33 \(every N not a multiple of 32\)")),
]
