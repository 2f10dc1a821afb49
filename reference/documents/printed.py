"""The documents' printed values, transcribed as data (nothing here is computed).

First document ("Multiple Layer Training: Backpropagation").  Its arrays print
with numpy's default 8 decimals (trailing zeros dropped: ``6.1725246`` is
6.17252460), its losses with ``{loss:.6f}``.  Shapes are the document's own:
W^l (n_l, n_{l-1}) as in this project, b^l printed as an (n_l, 1) column and
stored here as (n_l,).

Only the XNOR [2, 2, 1], OR and AND parameters are printed in full; the
document's output is cut off inside the [2, 4, 3, 1], sin-regression and
circular-boundary parameter listings ("Biases b1: [[ 0", "[-1.79168577 -1.43",
"[[ 0.51969422 -1.17277826 -0.42442142 -1.10886568  0."), so those cannot be
checked.

Last document: the toy data's first five points, one single-sample cost, and
the shapes it prints.
"""
from __future__ import annotations

from types import MappingProxyType

__all__ = ["PRINTED_DECIMALS", "LOSS_DECIMALS", "TRUTH_TABLE_RUNS", "XNOR_2431_LOSSES",
           "SIN_REGRESSION", "CIRCLE_BOUNDARY", "TOY_FIRST_FIVE", "TOY_SINGLE_SAMPLE",
           "TOY_SHAPES", "FORUM_SHAPES"]

#: Arrays print with 8 decimals: each printed entry is within 0.5e-8 of the value.
PRINTED_DECIMALS = 8
#: Losses print as ``{loss:.6f}``: within 0.5e-6 of the value.
LOSS_DECIMALS = 6

#: Example 1 ([2, 2, 1], XNOR) and Example 4 ([2, 1], OR and AND): the whole printout.
#: ``losses`` maps epoch -> printed "Epoch e - Loss" (the document's mse_loss).
TRUTH_TABLE_RUNS = MappingProxyType({
    "xnor": MappingProxyType({
        "layer_sizes": (2, 2, 1), "eta": 1.0, "epochs": 10000,
        "losses": MappingProxyType({2500: 0.008217, 5000: 0.001890, 7500: 0.001024, 10000: 0.000694}),
        "predictions": ((0, 1, 1, 0),),
        "accuracy": 1.0,
        "params": (
            (((4.32814095, 4.33226122), (6.1725246, 6.18915995)), (-6.64946256, -2.71010771)),
            (((-9.5152431, 8.83491387),), (-4.05803911,)),
        ),
    }),
    "or": MappingProxyType({
        "layer_sizes": (2, 1), "eta": 0.3, "epochs": 10000,
        "losses": MappingProxyType({2000: 0.011966, 4000: 0.005287, 6000: 0.003313, 8000: 0.002392,
                                    10000: 0.001864}),
        "predictions": ((0, 1, 1, 1),),
        "params": ((((5.83867821, 5.83822696),), (-2.66976654,)),),
    }),
    "and": MappingProxyType({
        "layer_sizes": (2, 1), "eta": 0.3, "epochs": 5000,
        "losses": MappingProxyType({1000: 0.041687, 2000: 0.021355, 3000: 0.013843, 4000: 0.010082,
                                    5000: 0.007865}),
        "predictions": ((0, 0, 0, 1),),
        "params": ((((4.29076795, 4.29076243),), (-6.5362845,)),),
    }),
})

#: Example 1, second architecture: the printed losses (its parameters are cut off).
XNOR_2431_LOSSES = MappingProxyType({2500: 0.082558, 5000: 0.001050, 7500: 0.000443, 10000: 0.000271})

#: Example 2: y = sin(pi x1) x2 on 8 random points, [2, 16, 8, 4, 1], eta = 1.0, 60000 epochs.
SIN_REGRESSION = MappingProxyType({
    "layer_sizes": (2, 16, 8, 4, 1), "eta": 1.0, "epochs": 60000,
    "losses": MappingProxyType({10000: 0.000376, 20000: 0.000167, 30000: 0.000132, 40000: 0.000108,
                                50000: 0.000088, 60000: 0.000072}),
    "X": ((0.35781408, 0.64781745, 0.12292068, 0.88865908, 0.50308395, 0.44934974, 0.58586479, 0.62478386),
          (0.07177581, 0.68261722, 0.24193168, 0.71395263, 0.82253479, 0.80395851, 0.55250097, 0.52016989)),
    "Y": ((0.06473329, 0.61032699, 0.09112119, 0.24467048, 0.82249619, 0.79380187, 0.53252086, 0.48070937),),
    "outputs": ((0.06770083, 0.61295924, 0.0894697, 0.24606049, 0.80584454, 0.80772176, 0.53790728,
                 0.47316372),),
})

#: Example 3: x1^2 + x2^2 > 0.5 on 8 random points, [2, 8, 4, 1], eta = 1.0, 60000 epochs.
CIRCLE_BOUNDARY = MappingProxyType({
    "layer_sizes": (2, 8, 4, 1), "eta": 1.0, "epochs": 60000,
    "losses": MappingProxyType({10000: 0.000131, 20000: 0.000056, 30000: 0.000035, 40000: 0.000025,
                                50000: 0.000019, 60000: 0.000016}),
    "X": ((0.06364091, 0.83137351, 0.59897851, 0.114933, 0.09385728, 0.90962682, 0.66920026, 0.8292868),
          (0.8789789, 0.57177235, 0.51744635, 0.43042741, 0.31694659, 0.43459596, 0.77387966, 0.60192343)),
    "Y": ((1, 1, 1, 0, 0, 1, 1, 1),),
    "predictions": ((1, 1, 1, 0, 0, 1, 1, 1),),
})

#: Last document: ``inputs[0:5]`` of ``toy()`` (printed as an (N, 1) column) and ``labels[0:5]``.
TOY_FIRST_FIVE = MappingProxyType({
    "inputs": (-5.0, -4.98998999, -4.97997998, -4.96996997, -4.95995996),
    "labels": (-1, -1, -1, -1, -1),
})

#: Last document: "for input: [-5.] with label: [-1], this network calculated: [0.76936505],
#: giving us a cost of: 3.1306526667222374" -- its ``mse(output, label)`` = (a - y)^2.
TOY_SINGLE_SAMPLE = MappingProxyType({"input": -5.0, "label": -1.0, "output": 0.76936505,
                                      "cost": 3.1306526667222374})

#: Last document, ``feedforward_batch`` on the [1, 3, 2, 1] toy network with all 1000 points:
#: "(3, 1000) (2, 1000) (1, 1000)" and "(1, 1000) (3, 1000) (2, 1000) (1, 1000)".
TOY_SHAPES = MappingProxyType({
    "layer_sizes": (1, 3, 2, 1),
    "activities": ((3, 1000), (2, 1000), (1, 1000)),
    "activations": ((1, 1000), (3, 1000), (2, 1000), (1, 1000)),
})

#: Forum question: ``initialize(input_dim=3, hidden1_dim=4, hidden2_dim=4, output_dim=2,
#: batch_size=5)``; shapes of [dL_dW1, dL_db1, dL_dW2, dL_db2, dL_dW3, dL_db3].
FORUM_SHAPES = MappingProxyType({
    "layer_sizes": (3, 4, 4, 2), "batch_size": 5,
    "gradients": (((4, 3), (4,)), ((4, 4), (4,)), ((2, 4), (2,))),
})
