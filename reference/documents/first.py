"""First document ("Multiple Layer Training: Backpropagation"): its examples as checks.

Every run is the document's ``train``: full-batch gradient descent,
theta <- theta - eta dC/dtheta each epoch, from He initial values
(``Network.init(seed)``, the document's standard normal W^l times
sqrt(2 / n_{l-1}) and zero biases, drawn here from a seeded Generator, there from
NumPy's global state).  Losses
are compared in the document's unit, mse = 2 C / n_L, at the epochs it prints,
where "Epoch e - Loss" is the loss *before* update e (``losses[e - 1]``).

"The same order of loss" means measured / printed in [1/10, 10].
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from reference.datasets import circle_label, sin_target, truth_table
from reference.documents.core import (CheckResult, accuracy, default_grad_fn, document_mse, loss_curve,
                                      predictions, relative_ratio, seeds_list)
from reference.documents.printed import (CIRCLE_BOUNDARY, LOSS_DECIMALS, PRINTED_DECIMALS,
                                         SIN_REGRESSION, TRUTH_TABLE_RUNS)
from reference.network import Network, Params
from reference.training import GradFn, StepFn, copy_params, gradient_descent, reference_grad_fn

__all__ = ["ORDER", "truth_table_training", "regression_training", "printed_params",
           "printed_data", "printed_params_arrays", "reconstruct_previous_params"]

#: "The same order": measured / printed within [1/ORDER, ORDER].
ORDER = 10.0
LOSS_HALF_UNIT = 0.5 * 10.0 ** -LOSS_DECIMALS
ARRAY_HALF_UNIT = 0.5 * 10.0 ** -PRINTED_DECIMALS


def _in_order(ratio: float, order: float = ORDER) -> bool:
    return 1.0 / order <= ratio <= order


def truth_table_training(*, check_id: str, gate: str, layer_sizes: Sequence[int], eta: float,
                         epochs: int, printed_loss: float, seeds: Sequence[int], min_perfect: int,
                         order: float = ORDER, grad_fn: Optional[GradFn] = None,
                         step_fn: Optional[StepFn] = None, formulation: str = "batched_matrix",
                         verbose: bool = False) -> CheckResult:
    """Train ``layer_sizes`` on a truth table from He initial values for each seed.

    Passes when at least ``min_perfect`` seeds reach 100% accuracy
    (``np.mean(preds == Y)``) and every such seed's mse at "Epoch ``epochs``"
    is within a factor ``order`` of the printed one.
    """
    net = Network(layer_sizes)
    X, Y = truth_table(gate)
    grad_fn, step_fn = default_grad_fn(net, grad_fn, step_fn, formulation)
    accuracies, mses, curves = [], [], []
    for seed in seeds:
        run = gradient_descent(net, net.init(seed), X, Y, eta=eta, epochs=epochs, grad_fn=grad_fn,
                               step_fn=step_fn, verbose=verbose)
        accuracies.append(accuracy(net, run.params, X, Y))
        mses.append(2.0 * run.loss_at_epoch(epochs) / net.n(net.L))
        curves.append({"seed": int(seed), **loss_curve(run, net)})
    perfect = [i for i, a in enumerate(accuracies) if a == 1.0]
    ratios = [relative_ratio(mses[i], printed_loss) for i in perfect]
    passed = len(perfect) >= min_perfect and all(_in_order(r, order) for r in ratios)
    return CheckResult(
        check_id, passed,
        f"{gate.upper()} {list(layer_sizes)}, eta={eta}, {epochs} epochs: >= {min_perfect} of "
        f"{len(seeds)} seeds reach 100% accuracy, each with mse at epoch {epochs} within x{order:g} "
        f"of the printed {printed_loss}",
        {"seeds": seeds_list(seeds), "accuracy": accuracies, "mse_at_last_epoch": mses,
         "perfect_seeds": len(perfect), "ratio_to_printed": ratios, "printed_mse": printed_loss,
         "curves": curves, "printed_curve": {"epochs": [epochs], "mse": [printed_loss]}})


def regression_training(*, check_id: str, example: str, epochs: int, seeds: Sequence[int],
                        grad_fn: Optional[GradFn] = None, step_fn: Optional[StepFn] = None,
                        formulation: str = "batched_matrix", verbose: bool = False) -> CheckResult:
    """Example 2 ("sin") or 3 ("circle") on the document's printed inputs, for each seed.

    Passes when, for every seed, the mse at every printed epoch up to ``epochs``
    is of the printed order, and (circle) the predictions equal the labels.  ``epochs``
    below the first printed epoch is refused (there would be nothing to compare).
    """
    spec = SIN_REGRESSION if example == "sin" else CIRCLE_BOUNDARY
    net = Network(spec["layer_sizes"])
    X = np.array(spec["X"])
    Y = sin_target(X) if example == "sin" else circle_label(X)
    grad_fn, step_fn = default_grad_fn(net, grad_fn, step_fn, formulation)
    printed = {e: v for e, v in spec["losses"].items() if e <= epochs}
    if not printed:
        raise ValueError(f"epochs={epochs!r} reaches no printed epoch (the first is {min(spec['losses'])}): "
                         "the check would compare nothing")
    table, ok, curves = [], True, []
    for seed in seeds:
        run = gradient_descent(net, net.init(seed), X, Y, eta=spec["eta"], epochs=epochs,
                               grad_fn=grad_fn, step_fn=step_fn, verbose=verbose)
        curves.append({"seed": int(seed), **loss_curve(run, net)})
        mses = {e: 2.0 * run.loss_at_epoch(e) / net.n(net.L) for e in printed}
        row = {"seed": int(seed), **{f"mse@{e}": m for e, m in mses.items()}}
        ok &= all(_in_order(relative_ratio(mses[e], printed[e])) for e in printed)
        if example == "circle":
            row["accuracy"] = accuracy(net, run.params, X, Y)
            ok &= row["accuracy"] == 1.0
        table.append(row)
    what = "sin(pi x1) x2 regression" if example == "sin" else "circular boundary, 100% accuracy and"
    return CheckResult(
        check_id, bool(ok),
        f"{what} {list(spec['layer_sizes'])}, eta={spec['eta']}, {epochs} epochs on the printed X: "
        f"every seed's mse at epochs {sorted(printed)} within x{ORDER:g} of the printed "
        f"{[printed[e] for e in sorted(printed)]}",
        {"seeds": seeds_list(seeds), "runs": table, "printed_mse": {str(e): v for e, v in printed.items()},
         "curves": curves, "printed_curve": {"epochs": sorted(printed), "mse": [printed[e] for e in sorted(printed)]}})


def printed_params_arrays(gate: str) -> Params:
    """The printed final parameters of the XNOR [2,2,1], OR or AND run as reference (W, b) pairs."""
    return [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64))
            for W, b in TRUTH_TABLE_RUNS[gate]["params"]]


def reconstruct_previous_params(step_fn: StepFn, params_T: Params, X, Y, eta: float,
                                max_iter: int = 200):
    """theta_{T-1} with theta_{T-1} - eta g(theta_{T-1}) = theta_T, by fixed-point iteration.

    theta^(0) = theta_T, theta^(k+1) = theta_T + d(theta^(k)) with the step's
    displacement d(theta) = theta - step(theta) = eta g(theta).  It contracts
    when eta ||dg/dtheta|| < 1 (here eta ||H|| ~ 1e-3).  Returns (theta_{T-1},
    residual = max |step(theta_{T-1}) - theta_T|, iterations).
    """
    prev = params_T
    for k in range(1, max_iter + 1):
        stepped = step_fn(copy_params(prev), X, Y, eta)
        new = [(WT + (Wp - Ws), bT + (bp - bs))
               for (WT, bT), (Wp, bp), (Ws, bs) in zip(params_T, prev, stepped)]
        change = max(float(np.max(np.abs(a - b))) for p, q in zip(new, prev) for a, b in zip(p, q))
        prev = new
        if change == 0.0:
            break
    stepped = step_fn(copy_params(prev), X, Y, eta)
    residual = max(float(np.max(np.abs(a - b))) for p, q in zip(stepped, params_T) for a, b in zip(p, q))
    return prev, residual, k


def _flat_norm(nabla: Params, ord=2) -> float:
    return float(np.linalg.norm(np.concatenate([np.ravel(a) for pair in nabla for a in pair]), ord))


def printed_params(*, check_id: str, gate: str, grad_fn: Optional[GradFn] = None,
                   step_fn: Optional[StepFn] = None, formulation: str = "batched_matrix",
                   residual_tolerance: float = 1e-12) -> CheckResult:
    """The printed final weights give the printed predictions and the printed loss.

    The printed loss ("Epoch T - Loss") was computed at theta_{T-1}, one update
    before the printed theta_T = theta_{T-1} - eta g(theta_{T-1}).  Two readings:

    1. Reconstruction: invert that step with the implementation's own update
       (``reconstruct_previous_params``); then round(mse(theta_{T-1}), 6) must be
       the printed value: |mse(theta_{T-1}) - printed| <= 0.5e-6 + delta_w, where
       delta_w = 0.5e-8 ||grad mse||_1 bounds (to first order) the effect of the
       8-decimal rounding of the printed weights.
    2. One-update allowance: by the mean value theorem, mse(theta_{T-1}) -
       mse(theta_T) = grad mse(xi) . (eta g_{T-1}) for some xi on the segment, so
       |mse(theta_T) - printed| <= 0.5e-6 + delta_w + A with
       A = (2 / n_L) eta ||g(theta_{T-1})|| max_t ||g(theta_t)|| (max over 11
       points of the segment; mse = 2 C / n_L, so grad mse = (2 / n_L) g).
    The bounds use the reference gradient; the reconstruction uses the implementation's,
    and must reproduce theta_T to ``residual_tolerance`` (float64: 1e-12).
    """
    spec = TRUTH_TABLE_RUNS[gate]
    net = Network(spec["layer_sizes"])
    X, Y = truth_table(gate)
    eta, printed = spec["eta"], spec["losses"][spec["epochs"]]
    theta_T = printed_params_arrays(gate)
    reference = reference_grad_fn(net)
    if step_fn is None:
        grad = grad_fn or reference_grad_fn(net, formulation)
        step_fn = lambda p, X_, Y_, e: [(W - e * dW, b - e * db)
                                        for (W, b), (dW, db) in zip(p, grad(copy_params(p), X_.copy(), Y_.copy()))]
    preds = predictions(net, theta_T, X)
    theta_prev, residual, iterations = reconstruct_previous_params(step_fn, theta_T, X, Y, eta)
    mse_T = document_mse(net, theta_T, X, Y)
    mse_prev = document_mse(net, theta_prev, X, Y)
    scale = 2.0 / net.n(net.L)
    delta_w = ARRAY_HALF_UNIT * scale * _flat_norm(reference(theta_prev, X, Y), 1)
    g_prev = _flat_norm(reference(theta_prev, X, Y))
    along = [_flat_norm(reference([(WT + t * (Wp - WT), bT + t * (bp - bT))
                                   for (WT, bT), (Wp, bp) in zip(theta_T, theta_prev)], X, Y))
             for t in np.linspace(0.0, 1.0, 11)]
    allowance = scale * eta * g_prev * max(along)
    residual_ok = residual <= residual_tolerance
    reconstructed_ok = abs(mse_prev - printed) <= LOSS_HALF_UNIT + delta_w
    direct_ok = abs(mse_T - printed) <= LOSS_HALF_UNIT + delta_w + allowance
    preds_ok = preds.tolist() == [list(r) for r in spec["predictions"]]
    return CheckResult(
        check_id, bool(preds_ok and residual_ok and reconstructed_ok and direct_ok),
        f"printed {gate.upper()} {list(spec['layer_sizes'])} weights predict {spec['predictions'][0]} and, "
        f"one update earlier (step inverted), give mse {printed} to 6 decimals; at the printed weights "
        f"within the one-update allowance",
        {"predictions": preds.tolist(), "printed_mse": printed, "mse_at_printed_weights": mse_T,
         "mse_one_update_before": mse_prev, "error_one_update_before": mse_prev - printed,
         "error_at_printed_weights": mse_T - printed, "one_update_allowance": allowance,
         "rounding_allowance": delta_w, "half_unit": LOSS_HALF_UNIT,
         "step_residual": residual, "iterations": iterations})


def printed_data(*, check_id: str, example: str) -> CheckResult:
    """The printed inputs of Examples 2 and 3 give the printed targets (to the printed rounding).

    sin: |sin(pi x1) x2 - y_printed| <= 0.5e-8 (1 + pi |cos(pi x1)| x2 + |sin(pi x1)|),
    the printed Y's own rounding plus the first-order effect of X's rounding.
    circle: the labels [x1^2 + x2^2 > 0.5] equal the printed Y and no point lies
    within the rounding of X of the boundary (|x1^2 + x2^2 - 0.5| > 1e-8 (|x1| + |x2|)).
    """
    if example == "sin":
        X, printed = np.array(SIN_REGRESSION["X"]), np.array(SIN_REGRESSION["Y"])
        bound = ARRAY_HALF_UNIT * (1.0 + np.pi * np.abs(np.cos(np.pi * X[0])) * X[1] + np.abs(np.sin(np.pi * X[0])))
        error = np.abs(sin_target(X) - printed)
        return CheckResult(check_id, bool(np.all(error <= bound)),
                           "printed X gives the printed Y = sin(pi x1) x2 to the printed rounding",
                           {"max_error": float(error.max()), "min_bound": float(bound.min()),
                            "max_error_over_bound": float((error / bound).max())})
    X, printed = np.array(CIRCLE_BOUNDARY["X"]), np.array(CIRCLE_BOUNDARY["Y"], dtype=np.float64)
    margin = np.abs(X[0] ** 2 + X[1] ** 2 - 0.5)
    safe = bool(np.all(margin > 2 * ARRAY_HALF_UNIT * (np.abs(X[0]) + np.abs(X[1]))))
    same = bool(np.array_equal(circle_label(X), printed))
    return CheckResult(check_id, same and safe,
                       "printed X gives the printed labels [x1^2 + x2^2 > 0.5], away from the boundary",
                       {"labels": circle_label(X).astype(int).tolist(), "min_margin": float(margin.min())})
