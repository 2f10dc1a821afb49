"""The directional check's detection rate, false alarms and cost; the full check's cost.

    python benchmarks/bench_gradcheck.py                    # full run (about 5 minutes)
    python benchmarks/bench_gradcheck.py --quick            # tiny trial counts (the smoke test)
    python benchmarks/bench_gradcheck.py --trials 2000 --fa-trials 10000 --json out.json

1. Detection.  Networks of P = 1,017 / 10,452 / 103,434 parameters ([16,40,8,1],
   [64,128,16,4], [256,320,64,10]; N = 32, He weights, X ~ Normal, Y ~ U(0,1)), ten
   problems each.  A trial adds 1% of the typical entry magnitude (the rms of g) with a
   random sign to one uniformly drawn entry of the correct float64 gradient and runs
   ``directional_check`` (4 directions) with fresh directions; detected = not passed.
   Reported for the default settings and with the rigorous bounds the conformance
   suite passes (``loss_error`` from ``reference.error_model.loss_error_bound``,
   ``grad_error`` from ``reference.error_model``), with the 95% Wilson lower bound,
   the median worst ratio and the detectable error relative to the rms.  A second
   row puts 1% of the entry's *own* value on a uniformly drawn entry (small entries
   make this rate depend on the gradient's distribution).
2. False alarms on correct implementations: random networks (depth 1-4, widths
   1-16, N 1-64, parameter scales 0.01-30, sigmoid and identity outputs), a new
   problem and new directions each trial: float64 gradients (batched_matrix,
   batched_tensor, per_sample) against the reference loss; float32 gradients (with
   their error-model bound) against the reference loss; float32 gradients against
   a float32 loss (loss_dtype=float32), all with default loss errors.
3. Cost versus P (N = 32, CPU time): one gradient call, the directional check (4 directions,
   16 loss evaluations), and the full Richardson check (4P loss evaluations;
   extrapolated from 64 entries beyond P = 2,000, marked ~).

A measurement, never an assertion.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import describe_environment, environment, fmt_time, limit_threads, np, table  # noqa: E402

from conformance.testing import float32_forward, float32_gradient  # noqa: E402
from reference import Network, gradients  # noqa: E402
from reference.directional import directional_check  # noqa: E402
from reference.error_model import gradient_error_bound, loss_error_bound  # noqa: E402
from reference.finite_differences import loss_of_theta, richardson_difference  # noqa: E402
from reference.params import flatten, unflatten  # noqa: E402

DETECTION_NETS = [[16, 40, 8, 1], [64, 128, 16, 4], [256, 320, 64, 10]]
COST_NETS = [[2, 4, 3, 1], [16, 40, 8, 1], [64, 128, 16, 4], [256, 320, 64, 10], [784, 256, 128, 10],
             [1000, 800, 400, 10]]
SCALES = (1.0, 0.1, 3.0, 0.01, 10.0, 30.0)


def problem(sizes, N, seed, output="sigmoid"):
    net = Network(sizes, output=output)
    rng = np.random.default_rng(seed)
    params = [(W, 0.1 * rng.standard_normal(b.shape)) for W, b in net.init(rng)]
    return net, params, rng.standard_normal((sizes[0], N)), rng.random((sizes[-1], N))


def wilson_lower(k: int, n: int, z: float = 1.96) -> float:
    """95% Wilson lower bound of a rate k / n."""
    if n == 0:
        return float("nan")
    p = k / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def _rigorous(net, params, X, Y):
    return {"loss_error": loss_error_bound(net, params, X, Y),
            "grad_error": flatten(gradient_error_bound(net, params, X, Y))}


def detection(sizes, trials, *, rigorous, relative_to_entry, seed=0, N=32):
    """(caught, trials, median worst ratio, median detectable error / rms) for one network size."""
    problems = []
    for k in range(10):
        net, params, X, Y = problem(sizes, N, seed + k)
        g = flatten(gradients(net, params, X, Y))
        kw = _rigorous(net, params, X, Y) if rigorous else {}
        problems.append((loss_of_theta(net, X, Y), flatten(params), g, float(np.sqrt(np.mean(g ** 2))), kw))
    rng = np.random.default_rng(seed + 1000)
    caught, ratios, detectable = 0, [], []
    for t in range(trials):
        f, theta, g, rms, kw = problems[t % len(problems)]
        k = int(rng.integers(g.size))
        wrong = g.copy()
        wrong[k] += (0.01 * g[k]) if relative_to_entry else (0.01 * rms * rng.choice((-1.0, 1.0)))
        res = directional_check(f, theta, wrong, rng=rng, **kw)
        caught += not res.passed
        ratios.append(res.worst_ratio)
        detectable.append(res.detectable_error / rms)
    return caught, trials, float(np.median(ratios)), float(np.median(detectable))


# --- false alarms ---------------------------------------------------------------------------

def float32_loss(net, X, Y):
    def f(theta):
        a = float32_forward(net, unflatten(net, theta), X)[0][-1]
        r = a - Y.astype(np.float32)
        return float(np.float32(0.5) * np.sum(r * r, dtype=np.float32) / np.float32(X.shape[1]))
    return f


def random_problem(rng):
    depth = int(rng.integers(1, 5))
    sizes = [int(n) for n in rng.integers(1, 17, size=depth + 1)]
    net = Network(sizes, output=str(rng.choice(["sigmoid", "identity"])))
    params = []
    for l in range(1, net.L + 1):
        s = SCALES[int(rng.integers(len(SCALES)))]
        params.append((rng.uniform(-1, 1, net.weight_shape(l)) * s, rng.uniform(-1, 1, net.bias_shape(l)) * s))
    N = int(rng.integers(1, 65))
    X = rng.uniform(-3, 3, (sizes[0], N))
    Y = rng.uniform(0, 1, (sizes[-1], N)) if net.output == "sigmoid" else rng.uniform(-3, 3, (sizes[-1], N))
    return net, params, X, Y


def false_alarms(kind, trials, seed):
    """(false alarms, trials, worst ratio) of ``kind`` in float64 / float32 / float32-loss."""
    rng = np.random.default_rng(seed)
    alarms, worst = 0, 0.0
    for _ in range(trials):
        net, params, X, Y = random_problem(rng)
        theta, kw = flatten(params), {}
        if kind == "float64":
            form = ("batched_matrix", "batched_tensor", "per_sample")[int(rng.integers(3))]
            g, f = flatten(gradients(net, params, X, Y, formulation=form)), loss_of_theta(net, X, Y)
        else:
            g = flatten(float32_gradient(net, params, X, Y))
            kw["grad_error"] = flatten(gradient_error_bound(net, params, X, Y, dtype=np.float32))
            if kind == "float32":
                f = loss_of_theta(net, X, Y)
            else:
                f, kw["loss_dtype"] = float32_loss(net, X, Y), np.float32
        res = directional_check(f, theta, g, rng=rng, **kw)
        alarms += not res.passed
        worst = max(worst, res.worst_ratio)
    return alarms, trials, worst


# --- cost -------------------------------------------------------------------------------------

def cost(sizes, N=32, full_limit=2000, sample=64, reps=3):
    net, params, X, Y = problem(sizes, N, 0)
    f, theta = loss_of_theta(net, X, Y), flatten(params)
    t_grad = t_dir = t_full = float("inf")
    for r in range(reps):
        t0 = time.process_time()
        g = flatten(gradients(net, params, X, Y))
        t1 = time.process_time()
        directional_check(f, theta, g, rng=r)
        t2 = time.process_time()
        t_grad, t_dir = min(t_grad, t1 - t0), min(t_dir, t2 - t1)
    P = theta.size
    if P <= full_limit:
        t0 = time.process_time()
        richardson_difference(f, theta)
        t_full, extrapolated = time.process_time() - t0, False
    else:
        sub = np.arange(sample)

        def f_sub(t_sub):
            t = theta.copy()
            t[sub] = t_sub
            return f(t)
        t0 = time.process_time()
        richardson_difference(f_sub, theta[sub])
        t_full, extrapolated = (time.process_time() - t0) * P / sample, True
    t0 = time.process_time()
    f(theta)
    t_f = time.process_time() - t0
    return {"sizes": sizes, "P": P, "N": N, "grad_s": t_grad, "directional_s": t_dir, "loss_s": t_f,
            "full_s": t_full, "full_extrapolated": extrapolated}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny trial counts and networks (smoke test)")
    parser.add_argument("--trials", type=int, default=None, help="detection trials per network (default 1000)")
    parser.add_argument("--fa-trials", type=int, default=None, help="false-alarm trials per kind (default 10000)")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    args = parser.parse_args(argv)
    trials = args.trials or (10 if args.quick else 1000)
    fa_trials = args.fa_trials or (20 if args.quick else 10000)
    det_nets = DETECTION_NETS[:1] if args.quick else DETECTION_NETS
    cost_nets = COST_NETS[:2] if args.quick else COST_NETS
    out = {"detection": [], "false_alarms": [], "cost": []}
    with limit_threads():
        out["environment"] = environment()
        print(describe_environment(out["environment"]), flush=True)
        rows = []
        for rigorous in (False, True):
            for relative in (False, True):
                for sizes in det_nets:
                    t0 = time.process_time()
                    k, n, ratio, det = detection(sizes, trials, rigorous=rigorous, relative_to_entry=relative)
                    P = Network(sizes).n_params
                    out["detection"].append({"sizes": sizes, "P": P, "rigorous": rigorous, "error": (
                        "1% of the entry" if relative else "1% of rms"), "caught": k, "trials": n,
                        "median_worst_ratio": ratio, "median_detectable_over_rms": det})
                    rows.append([f"{sizes}", P, "rigorous bounds" if rigorous else "defaults",
                                 "1% of that entry" if relative else "1% of rms(g)", f"{k}/{n}",
                                 f"{100 * k / n:.1f}%", f"{100 * wilson_lower(k, n):.1f}%", f"{ratio:.3g}",
                                 f"{det:.2e}", fmt_time((time.process_time() - t0) / n)])
        print("\n1. Detection of one wrong entry (4 directions, float64, N = 32)")
        print(table(["network", "P", "settings", "error added", "caught", "rate", "95% lower",
                     "median worst ratio", "detectable / rms", "time/trial"], rows), flush=True)
        rows = []
        for i, kind in enumerate(("float64", "float32", "float32-loss")):
            a, n, worst = false_alarms(kind, fa_trials, seed=100 + i)
            out["false_alarms"].append({"kind": kind, "alarms": a, "trials": n, "worst_ratio": worst})
            what = {"float64": "float64 gradients, reference loss",
                    "float32": "float32 gradients (+ bound), reference loss",
                    "float32-loss": "float32 gradients (+ bound), float32 loss"}[kind]
            rows.append([what, f"{a}/{n}", f"{worst:.3g}"])
        print("\n2. False alarms on correct implementations (random networks, scales 0.01-30)")
        print(table(["implementation", "false alarms", "worst ratio"], rows), flush=True)
        rows = []
        for sizes in cost_nets:
            c = cost(sizes)
            out["cost"].append(c)
            rows.append([f"{sizes}", c["P"], fmt_time(c["grad_s"]), fmt_time(c["loss_s"]),
                         fmt_time(c["directional_s"]), ("~" if c["full_extrapolated"] else "") + fmt_time(c["full_s"]),
                         f"{c['full_s'] / c['directional_s']:.0f}x"])
        print("\n3. Cost versus parameter count (N = 32; directional: 4 directions = 16 loss evaluations)")
        print(table(["network", "P", "gradient", "one loss", "directional", "full (4P losses)", "full/dir"], rows))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
