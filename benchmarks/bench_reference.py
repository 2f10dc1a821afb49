"""Step time of every reference formulation, side by side with np.matmul, PyTorch and JAX.

    python benchmarks/bench_reference.py                 # full table (a few minutes)
    python benchmarks/bench_reference.py --quick         # tiny sizes only (the smoke test)
    python benchmarks/bench_reference.py --json out.json --rounds 7 --no-peers

A step is the forward pass plus all gradients, ``reference.gradients(net, params,
X, Y, formulation=...)`` (inputs validated), on float64 with one BLAS thread.
Rows per network: each formulation; ``batched_matrix (unchecked)`` (the same
without the input validation, to show its cost); ``np.matmul only`` (the
3L - 1 matrix products of a step, same shapes and transposes, nothing else);
``torch autograd`` and ``jax jit(grad)`` when installed (float64, one thread).

FLOPs of a step, counted exactly (no delta is propagated to the input layer):

    F = sum_{l=1..L} (2 n_l n_{l-1} N + n_l N)      forward: W^l a^{l-1}, + b^l
      + sum_{l=1..L} (2 n_l n_{l-1} N + n_l N)      BP4 delta^l (a^{l-1})^T, BP3 sum over the batch
      + sum_{l=2..L}  2 n_l n_{l-1} N               BP2 (W^l)^T delta^l
    (sigma, sigma' and the Hadamard products are not counted)

Columns: time per call (CPU time, best of the rounds; variants interleaved
round by round), GFLOP/s = F / time, ``mm/t`` = matmul-only time / time (the share of
the matmul rate reached), ``t/bm`` = time / batched_matrix time, ``t/torch``,
and the peak memory of one call: ``peak MB`` is tracemalloc's peak (every
numpy allocation) for numpy variants and XLA's memory analysis (temporaries +
outputs) for JAX; ``RSS MB`` is the growth of the resident set's high-water
mark over the first call in a fresh process, for PyTorch (its allocator is
invisible to tracemalloc) and, measured the same way, batched_matrix.  A
measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (describe_environment, environment, fmt_time, interleaved, limit_threads,  # noqa: E402
                     np, table)

from reference import Network, gradients  # noqa: E402
from reference import batched_matrix  # noqa: E402

#: (label, layer sizes, output, N): the documents' networks with their batch sizes, then the large ones
DOCUMENT_CASES = [
    ("doc1 OR/AND", [2, 1], "sigmoid", 4),
    ("doc1 XNOR", [2, 2, 1], "sigmoid", 4),
    ("doc1 XNOR", [2, 4, 3, 1], "sigmoid", 4),
    ("doc1 circle", [2, 8, 4, 1], "sigmoid", 8),
    ("doc1 sin", [2, 16, 8, 4, 1], "sigmoid", 8),
    ("forum", [3, 4, 4, 2], "identity", 5),
    ("doc3 toy", [1, 3, 2, 1], "sigmoid", 1000),
    ("doc3 circles", [2, 3, 3, 1], "sigmoid", 50),
    ("chain", [1, 1, 1, 1], "sigmoid", 8),
]
LARGE_CASES = [
    ("mnist-like", [784, 256, 128, 10], "sigmoid", 64),
    ("mnist-like", [784, 256, 128, 10], "sigmoid", 256),
    ("mnist-like", [784, 256, 128, 10], "sigmoid", 1024),
    ("square", [64, 64, 64, 64], "sigmoid", 512),
]
QUICK_CASES = [("doc1 XNOR", [2, 2, 1], "sigmoid", 4), ("chain", [1, 1, 1], "sigmoid", 3)]
FORMULATIONS = ["batched_matrix", "batched_tensor", "per_sample", "per_neuron", "scalar"]
#: a formulation whose estimated time per call exceeds this is skipped (and the estimate shown)
MAX_CALL_S = 2.0


def step_flops(sizes, N):
    """(F, the matrix-product part of F) for one step, as in the module docstring."""
    L = len(sizes) - 1
    mm = sum(2 * sizes[l] * sizes[l - 1] * N for l in range(1, L + 1)) * 2
    mm += sum(2 * sizes[l] * sizes[l - 1] * N for l in range(2, L + 1))
    return mm + 2 * sum(sizes[1:]) * N, mm


def problem(sizes, output, N, seed=0):
    net = Network(sizes, output=output)
    rng = np.random.default_rng(seed)
    params = [(W, 0.1 * rng.standard_normal(b.shape)) for W, b in net.init(rng)]
    X = rng.standard_normal((sizes[0], N))
    Y = rng.random((sizes[-1], N)) if output == "sigmoid" else rng.standard_normal((sizes[-1], N))
    return net, params, X, Y


def matmul_only(net, params, N, seed=1):
    """The 3L - 1 products of a step on operands of the same shapes and layouts."""
    rng = np.random.default_rng(seed)
    A = [rng.random((n, N)) for n in net.layer_sizes]
    D = [None] + [rng.random((n, N)) for n in net.layer_sizes[1:]]
    W = [None] + [p[0] for p in params]
    L = net.L

    def run():
        for l in range(1, L + 1):
            W[l] @ A[l - 1]
        for l in range(L, 0, -1):
            D[l] @ A[l - 1].T
            if l >= 2:
                W[l].T @ D[l]
    return run


def torch_step(net, params, X, Y):
    import torch
    tp = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in params]
    flat = [t for pair in tp for t in pair]
    tX, tY, N, identity = torch.tensor(X), torch.tensor(Y), X.shape[1], net.output == "identity"

    def run():
        a = tX
        for l, (W, b) in enumerate(tp, start=1):
            z = torch.addmm(b[:, None], W, a)
            a = z if (identity and l == net.L) else torch.sigmoid(z)
        C = 0.5 * ((a - tY) ** 2).sum() / N
        return torch.autograd.grad(C, flat)
    return run


def jax_step(net, params, X, Y):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    identity, L = net.output == "identity", net.L

    def loss(p, X, Y):
        a = X
        for l, (W, b) in enumerate(p, start=1):
            z = W @ a + b[:, None]
            a = z if (identity and l == L) else jax.nn.sigmoid(z)
        return 0.5 * jnp.sum((a - Y) ** 2) / X.shape[1]
    grad = jax.jit(jax.grad(loss))
    jp = [(jnp.asarray(W), jnp.asarray(b)) for W, b in params]
    jX, jY = jnp.asarray(X), jnp.asarray(Y)
    jax.block_until_ready(grad(jp, jX, jY))
    try:
        ma = grad.lower(jp, jX, jY).compile().memory_analysis()
        peak = int(ma.temp_size_in_bytes + ma.output_size_in_bytes)
    except Exception:                      # memory analysis is best effort across JAX versions
        peak = None

    def run():
        return jax.block_until_ready(grad(jp, jX, jY))
    return run, peak


def tracemalloc_peak(fn) -> int:
    fn()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def rss_peak(kind, sizes, output, N):
    """Growth of the resident set's high-water mark over the first step in a fresh process (bytes)."""
    code = (f"import sys; sys.argv=['x']; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "import bench_reference as b\n"
            f"print(b._rss_child({kind!r}, {sizes!r}, {output!r}, {N}))\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        return int(out.stdout.strip().splitlines()[-1])
    except Exception:
        return None


def _hwm_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1])
    return 0


def _rss_child(kind, sizes, output, N) -> int:
    net, params, X, Y = problem(sizes, output, N)
    if kind == "torch":
        import torch
        torch.set_num_threads(1)
        run = torch_step(net, params, X, Y)
    else:
        def run():
            return gradients(net, params, X, Y, formulation=kind)
    with open("/proc/self/clear_refs", "w") as fh:      # reset the high-water mark to the current RSS
        fh.write("5")
    before = _hwm_kib()
    run()
    return (_hwm_kib() - before) * 1024


def estimated_call_s(formulation, net, params, X, Y) -> float:
    """Seconds per call of a slow formulation, from one call on the first column(s)."""
    import time
    n = min(X.shape[1], 2)
    t0 = time.perf_counter()
    gradients(net, params, X[:, :n], Y[:, :n], formulation=formulation)
    return (time.perf_counter() - t0) * X.shape[1] / n


def bench_case(label, sizes, output, N, *, rounds, peers, memory, rss_memory=True):
    net, params, X, Y = problem(sizes, output, N)
    variants, notes, peaks, rss = {}, {}, {}, {}
    for f in FORMULATIONS:
        if f == "scalar" and any(n != 1 for n in sizes):
            notes[f] = "n/a: width-1 chains only"
            continue
        if f in ("per_neuron", "scalar", "per_sample"):
            est = estimated_call_s(f, net, params, X, Y)
            if est > MAX_CALL_S:
                notes[f] = f"skipped: about {fmt_time(est)} a call"
                continue
        variants[f] = (lambda f=f: gradients(net, params, X, Y, formulation=f))
    variants["batched_matrix (unchecked)"] = lambda: batched_matrix.gradients_unchecked(net, params, X, Y)
    variants["np.matmul only"] = matmul_only(net, params, N)
    if peers:
        try:
            import torch
            torch.set_num_threads(1)
            variants["torch autograd"] = torch_step(net, params, X, Y)
        except ImportError:
            notes["torch autograd"] = "skipped: torch not installed (pip install torch==2.13.0)"
        try:
            variants["jax jit(grad)"], peaks["jax jit(grad)"] = jax_step(net, params, X, Y)
        except ImportError:
            notes["jax jit(grad)"] = "skipped: jax not installed (pip install jax jaxlib)"
    big = net.n_params * N > 2e6
    times = interleaved(variants, rounds=rounds, min_batch_s=0.05 if big else 0.01)
    if memory:
        for name, fn in variants.items():
            if name not in ("torch autograd", "jax jit(grad)"):
                peaks[name] = tracemalloc_peak(fn)
        if "torch autograd" in variants and rss_memory:
            rss["torch autograd"] = rss_peak("torch", sizes, output, N)
            rss["batched_matrix"] = rss_peak("batched_matrix", sizes, output, N)
    F, F_mm = step_flops(sizes, N)
    return {"label": label, "sizes": sizes, "output": output, "N": N, "flops": F, "matmul_flops": F_mm,
            "times": times, "notes": notes, "peaks": peaks, "rss": rss}


def render(case) -> str:
    t, F = case["times"], case["flops"]
    mm, bm, th = t.get("np.matmul only"), t.get("batched_matrix"), t.get("torch autograd")
    rows = []
    for name, sec in t.items():
        peak, rss = case["peaks"].get(name), case.get("rss", {}).get(name)
        rows.append([name, fmt_time(sec), f"{F / sec / 1e9:.2f}" if name != "np.matmul only"
                     else f"{case['matmul_flops'] / sec / 1e9:.2f}",
                     f"{mm / sec:.3f}" if mm else "-", f"{sec / bm:.2f}" if bm else "-",
                     f"{sec / th:.2f}" if th else "-", "-" if peak is None else f"{peak / 1e6:.2f}",
                     "-" if rss is None else f"{rss / 1e6:.2f}"])
    for name, note in case["notes"].items():
        rows.append([name, note, "", "", "", "", "", ""])
    head = f"{case['label']} {case['sizes']}{' identity' if case['output'] == 'identity' else ''}, N = {case['N']}"
    head += f", F = {F / 1e6:.3f} MFLOP"
    return head + "\n" + table(["variant", "time/call", "GFLOP/s", "mm/t", "t/bm", "t/torch", "peak MB", "RSS MB"], rows)


def targets(cases) -> list:
    """(target, measured, met) for the issue's speed targets that this run measured."""
    def find(sizes, N):
        return next((c for c in cases if c["sizes"] == sizes and c["N"] == N), None)
    out = []
    c = find([784, 256, 128, 10], 1024)
    if c:
        t = c["times"]
        out.append(("batched_matrix >= 90% of matmul rate, [784,256,128,10] N=1024",
                    f"{t['np.matmul only'] / t['batched_matrix']:.3f}", t["np.matmul only"] / t["batched_matrix"] >= 0.9))
        if "torch autograd" in t:
            r = t["batched_matrix"] / t["torch autograd"]
            out.append(("batched_matrix <= 1.1 x torch, [784,256,128,10] N=1024", f"{r:.3f}", r <= 1.1))
    small = [c for c in cases if c["label"].startswith(("doc", "forum")) and "torch autograd" in c["times"]]
    if small:
        worst = max(small, key=lambda c: c["times"]["batched_matrix"] / c["times"]["torch autograd"])
        r = worst["times"]["torch autograd"] / worst["times"]["batched_matrix"]
        out.append((f"batched_matrix >= 2x faster than torch on the documents' networks (worst {worst['sizes']})",
                    f"{r:.2f}x", r >= 2.0))
    c = find([784, 256, 128, 10], 256)
    if c:
        t, p = c["times"], c["peaks"]
        r = t["batched_tensor"] / t["batched_matrix"]
        out.append(("batched_tensor <= 2 x batched_matrix time, N=256", f"{r:.2f}", r <= 2.0))
        if p.get("batched_tensor") and p.get("batched_matrix"):
            r = p["batched_tensor"] / p["batched_matrix"]
            out.append(("batched_tensor <= 2 x batched_matrix peak memory, N=256", f"{r:.2f}", r <= 2.0))
    c = find([784, 256, 128, 10], 64)
    if c and "per_sample" in c["times"]:
        r = c["times"]["per_sample"] / c["times"]["batched_matrix"]
        out.append(("per_sample <= 30 x batched_matrix, [784,256,128,10] N=64", f"{r:.1f}", r <= 30))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two tiny networks, 1 round, no RSS (smoke test)")
    parser.add_argument("--rounds", type=int, default=None, help="timing rounds (default 7, quick 2)")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch and JAX")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory column")
    parser.add_argument("--only", help="run only cases whose sizes contain this, e.g. 784")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else DOCUMENT_CASES + LARGE_CASES
    if args.only:
        cases = [c for c in cases if args.only in str(c[1])]
    rounds = args.rounds or (1 if args.quick else 7)
    results = []
    if not args.no_peers:              # load the peers first, so that threadpoolctl pins and lists their pools
        for mod in ("torch", "jax"):
            try:
                __import__(mod)
            except ImportError:
                pass
    with limit_threads():
        info = environment()
        print(describe_environment(info), flush=True)
        for label, sizes, output, N in cases:
            case = bench_case(label, sizes, output, N, rounds=rounds, peers=not args.no_peers,
                              memory=not args.no_memory, rss_memory=not args.quick)
            results.append(case)
            print("\n" + render(case), flush=True)
    checks = [] if args.quick else targets(results)
    if checks:
        print("\nTargets (ratios measured side by side in this run)")
        print(table(["target", "measured", "met"], [[t, m, "yes" if ok else "NO"] for t, m, ok in checks]))
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": info, "cases": results,
                                               "targets": checks}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
