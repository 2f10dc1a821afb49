"""Targeted re-runs for a diagnosis: is the failure tied to N = 1, to width 1, to large |z|?

``evaluate(ctx, p)`` calls the implementation on one problem and compares with
the reference within the agreement tolerance.  ``run_probes(ctx, p)`` builds a
few deterministic problems around the failing one (same network with N = 1 and
N = 3; a width-1 chain and a wide network of the same depth, or the declared
architectures with and without a width-1 hidden layer; the other supported
depths; a network with square weight matrices; small parameters,
and biases of +-800 so that every |z| >= 700 with either sign first; another
output width) inside the declared support, and evaluates each.  ``conditions(probes)`` turns the outcomes into flags and sentences.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from conformance.core.assertions import count_mismatches, mismatches
from conformance.core.calls import CallOutcome
from conformance.checks.interface import saturated
from conformance.core.context import Context
from conformance.core.strategies import Problem
from conformance.core.tolerances import agreement_tolerance
from reference.gradients import gradients
from reference.network import Network

__all__ = ["Evaluation", "evaluate", "random_problem", "run_probes", "conditions"]


@dataclass
class Evaluation:
    """One call compared with the reference: the outcome, expected gradient, tolerance, wrong entries."""

    problem: Problem
    outcome: CallOutcome
    expected: list
    tol: Optional[list]
    bad: list                 # wrong entries, at most 32 per array
    n_bad: int = 0            # how many entries are wrong in all

    @property
    def failed(self) -> bool:
        return (not self.outcome.ok) or bool(self.bad)

    def how(self) -> str:
        if not self.outcome.ok:
            return self.outcome.error.category
        return f"{self.n_bad} wrong entries" if self.bad else "right"


def evaluate(ctx: Context, p: Problem) -> Evaluation:
    """The implementation on ``p`` against the reference (tolerance as in reference.agreement)."""
    p = ctx.model(p)
    out = ctx.call(p)
    expected = gradients(p.net, p.params, p.X, p.Y)
    if not out.ok:
        return Evaluation(p, out, expected, None, [])
    tol = agreement_tolerance(p.net, p.params, p.X, p.Y, dtype=ctx.dtype, expected=expected, recovery=out.recovery)
    return Evaluation(p, out, expected, tol, mismatches(out.grads, expected, tol, per_array=32),
                      count_mismatches(out.grads, expected, tol))


def random_problem(net: Network, N: int, rng: np.random.Generator, *, scale: float = 1.0, dtype=np.float64) -> Problem:
    """Parameters uniform in [-scale, scale], X uniform in [-3, 3], Y in [0, 1] (or [-3, 3]), rounded to dtype.

    A softmax output gets one-hot targets; a network without biases zero biases.
    """
    r = lambda a: np.asarray(a).astype(dtype).astype(np.float64)  # noqa: E731
    params = [(r(rng.uniform(-scale, scale, net.weight_shape(l))), r(rng.uniform(-scale, scale, net.bias_shape(l))))
              for l in range(1, net.L + 1)]
    if not net.bias:
        params = [(W, np.zeros_like(b)) for W, b in params]
    X = r(rng.uniform(-3, 3, (net.n(0), N)))
    if net.output == "softmax":
        return Problem(net, params, X, np.eye(net.n(net.L))[:, rng.integers(0, net.n(net.L), N)])
    Y = r(rng.uniform(0, 1, (net.n(net.L), N)) if net.output == "sigmoid" else rng.uniform(-3, 3, (net.n(net.L), N)))
    return Problem(net, params, X, Y)


def _like(net: Network, sizes) -> Optional[Network]:
    """``net``'s model on other layer sizes, or None where it cannot be (a softmax over one unit)."""
    if net.output == "softmax" and sizes[-1] < 2:
        return None
    return net.replace(layer_sizes=list(sizes))


def _hidden(sizes) -> tuple:
    return tuple(sizes[1:-1]) if len(sizes) > 2 else tuple(sizes)


def _width_nets(sup, net: Network) -> Tuple[Optional[Network], Optional[Network]]:
    """(a supported net with width-1 hidden layers, one with hidden layers of width >= 2).

    Input and output widths stay those of ``net`` (for depth 1: all widths 1, all >= 2).
    """
    if sup.layer_sizes is not None:
        archs = sorted({tuple(s) for s in sup.layer_sizes}, key=lambda s: (len(s) != len(net.layer_sizes), sum(s)))
        narrow = next((_like(net, s) for s in archs if min(_hidden(s)) == 1 and _like(net, s)), None)
        wide = next((_like(net, s) for s in archs if min(_hidden(s)) >= 2 and _like(net, s)), None)
        return narrow, wide
    wide_w = max(2, min(sup.max_width, 3))
    if net.L == 1:
        return _like(net, [1, 1]), _like(net, [wide_w, wide_w])
    ends = lambda hidden: [net.n(0)] + [hidden] * (net.L - 1) + [net.n(net.L)]  # noqa: E731
    return _like(net, ends(1)), _like(net, ends(wide_w))


def _depth_nets(sup, net: Network) -> List[Tuple[str, Network]]:
    if sup.layer_sizes is not None:
        return [(f"depth {len(s) - 1}", _like(net, s)) for s in sorted({tuple(s) for s in sup.layer_sizes})
                if len(s) != len(net.layer_sizes) and _like(net, s)][:3]
    w = max(2, min(sup.max_width, 3))
    return [(f"depth {d}", _like(net, [net.n(0)] + [w] * (d - 1) + [net.n(net.L)]))
            for d in range(sup.min_depth, min(sup.max_depth, 4) + 1) if d != net.L]


def _probe_specs(ctx: Context, p: Problem) -> List[Tuple[str, Network, int, float]]:
    sup, net, N = ctx.support, p.net, p.X.shape[1]   # sizes chosen in the drawn region, kept if claimed
    k = min(sup.max_N, 3) if sup.max_N >= 2 else None
    specs = [("N=1", net, 1, 1.0)]
    if k is not None:
        specs.append((f"N={k}", net, k, 1.0))
        n_L = net.n(net.L)
        for other in (n_L + 1, n_L - 1):
            if other >= 1 and _like(net, list(net.layer_sizes[:-1]) + [other]) is not None:
                specs.append(("other n_L", _like(net, list(net.layer_sizes[:-1]) + [other]), k, 1.0))
                break
    narrow, wide = _width_nets(sup, net)
    if narrow is not None and wide is not None:
        specs += [("width 1", narrow, k or N, 1.0), ("width >= 2", wide, k or N, 1.0)]
    specs += [(name, d_net, k or N, 1.0) for name, d_net in _depth_nets(sup, net)]
    w = max(2, min(sup.max_width, 3))
    if net.L >= 2 and sup.layer_sizes is None:   # all W square: transposition bugs compute instead of raising
        specs.append(("square", _like(net, [w] * (net.L + 1)), k or N, 1.0))
    specs.append(("small z", net, N, 0.5))
    specs.append(("large z", net, N, 800.0))
    specs.append(("large -z", net, N, -800.0))
    return [(name, n, m, s) for name, n, m, s in specs if n is not None and ctx.impl.support.covers(n, m)]


def run_probes(ctx: Context, p: Problem) -> Dict[str, Evaluation]:
    """Evaluations of the targeted problems that lie inside the declared support (stops at a timeout)."""
    rng = np.random.default_rng(ctx.seed + 20_240_601)
    out = {}
    for name, net, N, s in _probe_specs(ctx, p):
        if name.startswith("large"):
            q = saturated(random_problem(net, N, rng, scale=1.0, dtype=ctx.dtype), s)
        else:
            q = random_problem(net, N, rng, scale=s, dtype=ctx.dtype)
        out[name] = evaluate(ctx, q)
        if not out[name].outcome.ok and out[name].outcome.error.category == "timeout":
            break  # an implementation that hangs here would make every further probe wait
    return out


def conditions(probes: Dict[str, Evaluation]) -> Tuple[Dict[str, bool], List[str]]:
    """Flags (batch_of_one, N_gt_1, width_one, depth, large_z) and sentences describing them."""
    flags, text = {}, []
    n1 = probes.get("N=1")
    nk = next((v for k, v in probes.items() if k.startswith("N=") and k != "N=1"), None)
    if n1 is not None and nk is not None and n1.failed != nk.failed:
        k = nk.problem.X.shape[1]
        flags["batch_of_one" if n1.failed else "N_gt_1"] = True
        text.append(f"fails for N = 1 ({n1.how()}), passes for N = {k}" if n1.failed
                    else f"passes for N = 1, fails for N = {k} ({nk.how()})")
    w1, w2 = probes.get("width 1"), probes.get("width >= 2")
    if w1 is not None and w2 is not None and w1.failed and not w2.failed:
        flags["width_one"] = True
        text.append(f"fails on {w1.problem.net} (width-1 layers, {w1.how()}), passes on {w2.problem.net}")
    depth = {int(k.split()[1]): v for k, v in probes.items() if k.startswith("depth ")}
    base = next((v for k, v in probes.items() if k.startswith("N=") and k != "N=1"), probes.get("N=1"))
    if depth and base is not None:
        depth[base.problem.net.L] = base
        ok = sorted(d for d, v in depth.items() if not v.failed)
        bad = sorted(d for d, v in depth.items() if v.failed)
        if ok and bad:
            flags["depth"] = True
            text.append(f"passes for depth {', '.join(map(str, ok))}, fails for depth {', '.join(map(str, bad))}")
    small = probes.get("small z")
    large = [v for k, v in probes.items() if k.startswith("large") and v.failed]
    if small is not None and large and not small.failed:
        flags["large_z"] = True
        text.append(f"passes with parameters in [-0.5, 0.5], fails with every |z| >= 700 ({large[0].how()})")
    return flags, text
