"""The documents' examples as checks with stable ids, runnable for any implementation.

    from reference.examples import CHECKS, run_check
    result = run_check("doc1.xnor_221")                         # the reference (batched_matrix)
    result = run_check("doc1.xnor_221", grad_fn=my_grad_fn)     # grad_fn(params, X, Y) -> [(dW, db)]
    result = CHECKS["doc1.or_21"].run(step_fn=my_step)          # step_fn(params, X, Y, eta) -> params

An implementation is given in reference conventions (``reference.training``)
for the one network ``CHECKS[id].network``, called with batches of the sizes in
``CHECKS[id].batch_sizes``; the conformance suite adapts it, e.g.
``functools.partial(conformance.dropin.adapters.gradient_of, impl, check.network)``.
Options override a check's defaults: ``seeds``, ``min_perfect``, ``epochs``,
``formulation`` (the reference one to use when no grad_fn/step_fn is given),
and for float32 implementations ``tolerance`` / ``residual_tolerance`` /
``eps`` (circles runs) / ``error_bound`` (gradient checking).
A check lets an implementation's exceptions propagate (the suite's call
wrapper turns them into failed verdicts).
Command line (progress is shown with ``--verbose``):

    python -m reference.examples --list
    python -m reference.examples [--formulation per_sample] [--slow] [--verbose] [ID ...]

Beyond the documents, ``reference.model_examples.MODEL_CHECKS`` (``--models``; not part of the
conformance run's documents family): models.digits_relu_softmax, a [784, 64, 10] relu + softmax +
cross-entropy network trained on MNIST's shape.

Check ids
---------
doc1.xnor_221, doc1.xnor_2431          XNOR, eta 1.0, 10,000 epochs: 100% accuracy (seed rule)
doc1.or_21, doc1.and_21                OR / AND [2,1], eta 0.3: 100% accuracy, loss within x2 of the printed
doc1.printed_params.{xnor,or,and}      printed weights -> printed predictions and losses
doc1.circle_2841_10k, doc1.circle_2841             10,000 epochs, loss of the printed order; 60,000 (slow)
doc1.sin_2_16_8_4_1_10k, doc1.sin_2_16_8_4_1       the same for the sine regression
doc1.printed_data.{sin,circle}         printed inputs -> printed targets
forum.gradient_shapes, forum.agrees_with_reference
doc3.toy_dataset, doc3.toy_single_sample_cost, doc3.toy_shapes
doc3.gradient_checking                 the document's criterion along its circles run
doc3.circles_per_example_vs_networkpy, doc3.circles_batched_vs_networkpy
"""
from __future__ import annotations

import argparse
import sys
import time
from types import MappingProxyType
from typing import Dict, List, Optional, Sequence

from reference.documents import first, forum, last
from reference.documents.core import CheckResult, DocumentCheck
from reference.documents.last import gradient_check_error, gradient_checking
from reference.documents.printed import (CIRCLE_BOUNDARY, SIN_REGRESSION, TRUTH_TABLE_RUNS,
                                         XNOR_2431_LOSSES)
from reference.gradients import FORMULATIONS
from reference.model_examples import MODEL_CHECKS
from reference.network import Network
from reference.training import GradFn, StepFn

__all__ = ["CHECKS", "MODEL_CHECKS", "check_ids", "run_check", "run_checks", "gradient_checking",
           "gradient_check_error", "CheckResult", "DocumentCheck", "main"]

_DOC1, _FORUM, _DOC3 = "first document", "forum question", "last document"
_TRUTH = {"xnor": "XNOR", "or": "OR", "and": "AND"}


def _truth_checks() -> List[DocumentCheck]:
    """The seed rules and loss bands, from He-initialised reference runs (seeds counted from 0):

    XNOR [2,2,1]   143 of 200 seeds reach 100% (the rest sit on plateaus, mse 0.126 or 0.168):
                   rule >= 5 of seeds 0-9 (P = 0.96 at that rate); converged mse 0.88-2.3x printed.
    XNOR [2,4,3,1] 99 of 100 seeds: rule >= 9 of 10; converged mse 0.56-3.1x printed.
    OR [2,1]       40 of 40; mse 0.97-1.04x printed.  AND [2,1]: 39 of 40 (seed 26 starts with
                   both weights < -1.9 and saturates at mse 0.25); mse 0.97-1.17x printed.
                   Rule >= 9 of 10, band x2: for [2,1] the loss at the printed epoch hardly
                   depends on the initial values, so a step of the wrong size shows.
    """
    runs = [("doc1.xnor_221", "xnor", (2, 2, 1), 0.000694, 5, 10.0,
             "architectures = [[2, 2, 1], ...]; DeepNeuralNetwork(layer_sizes=arch, learning_rate=1.0); "
             "dnn.train(X, Y, epochs=10000, ...) -> Epoch 10000 - Loss: 0.000694, Accuracy: 100.0%"),
            ("doc1.xnor_2431", "xnor", (2, 4, 3, 1), XNOR_2431_LOSSES[10000], 9, 10.0,
             "architectures = [..., [2, 4, 3, 1]] -> Epoch 10000 - Loss: 0.000271, Accuracy: 100.0%"),
            ("doc1.or_21", "or", (2, 1), TRUTH_TABLE_RUNS["or"]["losses"][10000], 9, 2.0,
             "nn = DeepNeuralNetwork([2, 1], learning_rate=0.3); nn.train(X, Y, epochs=10000, "
             "print_every=2000) -> Epoch 10000 - Loss: 0.001864, Predictions: [[0 1 1 1]]"),
            ("doc1.and_21", "and", (2, 1), TRUTH_TABLE_RUNS["and"]["losses"][5000], 9, 2.0,
             "nn = DeepNeuralNetwork([2, 1], learning_rate=0.3); nn.train(X, Y, epochs=5000, "
             "print_every=1000) -> Epoch 5000 - Loss: 0.007865, Predictions: [[0 0 0 1]]")]
    checks = []
    for cid, gate, sizes, printed, min_perfect, order, quote in runs:
        eta, epochs = TRUTH_TABLE_RUNS[gate]["eta"], TRUTH_TABLE_RUNS[gate]["epochs"]
        checks.append(DocumentCheck(
            cid, _DOC1, quote, Network(sizes), (4,), "gradient", False, first.truth_table_training,
            MappingProxyType({"gate": gate, "layer_sizes": sizes, "eta": eta, "epochs": epochs,
                              "printed_loss": printed, "seeds": tuple(range(10)),
                              "min_perfect": min_perfect, "order": order}), trains=True))
    for gate in ("xnor", "or", "and"):
        spec = TRUTH_TABLE_RUNS[gate]
        checks.append(DocumentCheck(
            f"doc1.printed_params.{gate}", _DOC1,
            f"{_TRUTH[gate]}: Epoch {spec['epochs']} - Loss: {spec['losses'][spec['epochs']]:.6f}; "
            f"Predictions: {[list(r) for r in spec['predictions']]}; the printed Weights/Biases",
            Network(spec["layer_sizes"]), (4,), "gradient", False, first.printed_params,
            MappingProxyType({"gate": gate})))
    return checks


def _regression_checks() -> List[DocumentCheck]:
    checks = []
    for name, example, spec, quote in (
            ("circle_2841", "circle", CIRCLE_BOUNDARY,
             "nn = DeepNeuralNetwork([2, 8, 4, 1], learning_rate=1.0); nn.train(X, Y, epochs=60000, "
             "print_every=10000) -> Epoch 10000 - Loss: 0.000131 ... Epoch 60000 - Loss: 0.000016"),
            ("sin_2_16_8_4_1", "sin", SIN_REGRESSION,
             "nn = DeepNeuralNetwork([2, 16, 8, 4, 1], learning_rate=1.0); nn.train(X, Y, epochs=60000, "
             "print_every=10000) -> Epoch 10000 - Loss: 0.000376 ... Epoch 60000 - Loss: 0.000072")):
        net = Network(spec["layer_sizes"])
        checks.append(DocumentCheck(f"doc1.{name}_10k", _DOC1, quote, net, (8,), "gradient", False,
                                    first.regression_training,
                                    MappingProxyType({"example": example, "epochs": 10000, "seeds": (0, 1, 2)}),
                                    trains=True))
        checks.append(DocumentCheck(f"doc1.{name}", _DOC1, quote, net, (8,), "gradient", True,
                                    first.regression_training,
                                    MappingProxyType({"example": example, "epochs": 60000,
                                                      "seeds": tuple(range(5))}), trains=True))
    for example, spec, quote in (("sin", SIN_REGRESSION, "Input Data (X): ... Expected Output (Y): ... "
                                  "(Y = np.sin(np.pi * X[0]) * X[1])"),
                                 ("circle", CIRCLE_BOUNDARY, "Input Data (X): ... Expected Output (Y): "
                                  "[[1 1 1 0 0 1 1 1]]")):
        checks.append(DocumentCheck(f"doc1.printed_data.{example}", _DOC1, quote,
                                    Network(spec["layer_sizes"]), (), "nothing", False, first.printed_data,
                                    MappingProxyType({"example": example})))
    return checks


def _forum_and_last_checks() -> List[DocumentCheck]:
    circles = last.CIRCLES_NETWORK
    return [
        DocumentCheck("forum.gradient_shapes", _FORUM,
                      "parameters, X, Y = initialize(input_dim=3, hidden1_dim=4, hidden2_dim=4, output_dim=2, "
                      "batch_size=5); grads = backward(activations, Y, parameters)",
                      forum.FORUM_NETWORK, (5,), "gradient", False, forum.gradient_shapes),
        DocumentCheck("forum.agrees_with_reference", _FORUM,
                      "It should return the gradients for each parameter with respect to the loss function.",
                      forum.FORUM_NETWORK, (5,), "gradient", False, forum.agrees_with_reference),
        DocumentCheck("doc3.toy_dataset", _DOC3, "inputs[0:5],labels[0:5] -> [[-5. ], [-4.98998999], ...], "
                      "[[-1], [-1], ...]", last.TOY_NETWORK, (), "nothing", False, last.toy_dataset),
        DocumentCheck("doc3.toy_single_sample_cost", _DOC3,
                      "this network calculated: [0.76936505], giving us a cost of: 3.1306526667222374",
                      Network([1, 1]), (), "nothing", False, last.toy_single_sample_cost),
        DocumentCheck("doc3.toy_shapes", _DOC3, "(3, 1000) (2, 1000) (1, 1000) / "
                      "(1, 1000) (3, 1000) (2, 1000) (1, 1000)", last.TOY_NETWORK, (1000,), "forward", False,
                      last.toy_shapes),
        DocumentCheck("doc3.gradient_checking", _DOC3, "we can choose epsilon = 10^{-7}, and expect this "
                      "difference to be <10^{-7}. ... (np.array(grad_errors) < epsilon).all() -> True",
                      circles, (1, 50), "gradient", False, last.gradient_checks_during_training),
        DocumentCheck("doc3.circles_per_example_vs_networkpy", _DOC3,
                      "[np.array_equal(i,j) for i,j in zip(weights,net.weights)] -> [True, True, True] "
                      "(per-example backprop_1_example1 vs network.py)", circles, (50,), "gradient", False,
                      last.circles_vs_networkpy, MappingProxyType({"formulation": "per_sample"})),
        DocumentCheck("doc3.circles_batched_vs_networkpy", _DOC3,
                      "net.weights == weights after backprop_batch training (batched tensor vs network.py)",
                      circles, (50,), "gradient", False, last.circles_vs_networkpy,
                      MappingProxyType({"formulation": "batched_tensor"})),
    ]


#: Every document check by id, in a fixed order.
CHECKS = MappingProxyType({c.check_id: c for c in
                           _truth_checks() + _regression_checks() + _forum_and_last_checks()})


def check_ids(*, include_slow: bool = True, uses: Optional[str] = None) -> List[str]:
    """The check ids, optionally without the slow ones or restricted to one kind of ``uses``."""
    return [cid for cid, c in CHECKS.items()
            if (include_slow or not c.slow) and (uses is None or c.uses == uses)]


def run_check(check_id: str, grad_fn: Optional[GradFn] = None, step_fn: Optional[StepFn] = None,
              **options) -> CheckResult:
    """Run one check (``CHECKS[check_id].run``, or an example beyond the documents of ``MODEL_CHECKS``)."""
    every = {**CHECKS, **MODEL_CHECKS}
    if check_id not in every:
        raise ValueError(f"unknown check id {check_id!r}; known: {', '.join(every)}")
    return every[check_id].run(grad_fn, step_fn, **options)


def run_checks(ids: Optional[Sequence[str]] = None, *, include_slow: bool = False,
               formulation: Optional[str] = None, verbose: bool = False) -> List[CheckResult]:
    """Run several checks on the reference (one ``formulation`` for all, or each check's default)."""
    results = []
    every = {**CHECKS, **MODEL_CHECKS}
    for cid in ids or check_ids(include_slow=include_slow):
        options: Dict = {}
        if every[cid].uses == "gradient" and formulation is not None:
            options["formulation"] = formulation
        if verbose and every[cid].trains:
            options["verbose"] = True
        results.append(run_check(cid, **options))
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: run checks on a reference formulation and print the verdicts; exit 1 on a failure."""
    parser = argparse.ArgumentParser(prog="python -m reference.examples", description=__doc__.split("\n")[0])
    parser.add_argument("ids", nargs="*", help="check ids (default: every non-slow check)")
    parser.add_argument("--formulation", choices=sorted(set(FORMULATIONS) - {"scalar"}), default=None,
                        help="reference formulation driving every gradient check (default: each check's own; "
                             "scalar covers width-1 chains only, which no check uses)")
    parser.add_argument("--slow", action="store_true", help="include the slow (60,000-epoch) checks")
    parser.add_argument("--verbose", action="store_true", help="print training progress (epoch, loss)")
    parser.add_argument("--list", action="store_true", help="list the check ids and exit")
    parser.add_argument("--models", action="store_true",
                        help="the examples beyond the documents instead (relu, softmax, cross-entropy)")
    args = parser.parse_args(argv)
    table = MODEL_CHECKS if args.models else CHECKS
    if args.list:
        for cid, c in table.items():
            print(f"{cid:40s} {'slow ' if c.slow else ''}{c.document}: {c.quote[:70]}")
        return 0
    unknown = [i for i in args.ids if i not in CHECKS and i not in MODEL_CHECKS]
    if unknown:
        parser.error(f"unknown check ids {unknown}; see --list")
    default = list(MODEL_CHECKS) if args.models else check_ids(include_slow=args.slow)
    failed = 0
    for cid in args.ids or default:
        start = time.perf_counter()
        result = run_checks([cid], formulation=args.formulation, verbose=args.verbose)[0]
        print(f"{result}\n    ({time.perf_counter() - start:.2f} s)", flush=True)
        failed += not result.passed
    print(f"{failed} of {len(args.ids or default)} checks failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
