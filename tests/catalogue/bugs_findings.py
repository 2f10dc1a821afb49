"""Buggy implementations, part 5: kinds the residual models of issue 15 name (each written as people write it).

A weight decay left on, momentum kept between calls, another function's derivative
in place of sigma', sigma' missing only in BP2, one layer's gradient scaled, a
training step that rescales its update: each must be the first finding, with its
cause, layer and parameter.
"""
import numpy as np

from conformance.dropin.protocol import implementation
from tests.catalogue.bugs_equations import backward_columns, forward_columns, sigmoid, sigmoid_prime
from tests.catalogue.expect import Entry, Expect

_AGREE = ("reference.agreement",)


# B32: the weight decay of a regularised network left on in the gradient (lambda = 1e-2 on every W).
def weight_decay_left_on(params, X, Y):
    zs, acts = forward_columns(params, X)
    grads = backward_columns(params, zs, acts, Y)
    return [(dW + 1e-2 * W, db) for (dW, db), (W, _) in zip(grads, params)]   # BUG: + lambda W


# B33: gradient descent with momentum whose velocity lives in the gradient function (beta = 0.9).
class MomentumGradient:
    def __init__(self):
        self.velocity = {}

    def gradient(self, params, X, Y):
        zs, acts = forward_columns(params, X)
        grads = backward_columns(params, zs, acts, Y)
        key = tuple(W.shape for W, _ in params)
        v = self.velocity.get(key)
        v = grads if v is None else [(0.9 * vW + dW, 0.9 * vb + db) for (vW, vb), (dW, db) in zip(v, grads)]
        self.velocity[key] = v   # BUG: state carried from one call to the next
        return [(vW.copy(), vb.copy()) for vW, vb in v]


# B34: sigma' written as tanh's derivative 1 - a^2 (rows as samples).
def tanh_derivative_for_sigmoid(params, X, Y):
    acts = [X]
    for W, b in params:
        acts.append(sigmoid(acts[-1] @ W + b))
    delta = (acts[-1] - Y) * (1 - acts[-1] ** 2)            # BUG: 1 - a^2 belongs to tanh
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (acts[l - 1].T @ delta / X.shape[0], delta.mean(axis=0)))
        delta = (delta @ params[l - 1][0].T) * (1 - acts[l - 1] ** 2)
    return grads


# B35: a(1 - a) with the (1 - a) forgotten.
def derivative_forgets_one_minus_a(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y, prime=sigmoid)   # BUG: sigma(z), not sigma(z)(1 - sigma(z))


# B36: BP2 without sigma'(z^l): only the output error has its derivative.
def hidden_sigma_prime_missing(params, X, Y):
    zs, acts = forward_columns(params, X)
    N = X.shape[1]
    delta = (acts[-1] - Y) * sigmoid_prime(zs[-1])
    grads = []
    for l in range(len(params), 0, -1):
        grads.insert(0, (delta @ acts[l - 1].T / N, delta.sum(axis=1) / N))
        if l > 1:
            delta = params[l - 1][0].T @ delta                   # BUG: * sigma'(z^{l-1}) missing
    return grads


# B37: the first layer's gradient doubled (a stray factor 2 in one layer's code).
def first_layer_doubled(params, X, Y):
    zs, acts = forward_columns(params, X)
    grads = backward_columns(params, zs, acts, Y)
    grads[0] = (2 * grads[0][0], 2 * grads[0][1])              # BUG
    return grads


# B38: a training step that divides the learning rate by N on top of an averaged gradient.
def step_eta_over_n(params, X, Y, eta):
    zs, acts = forward_columns(params, X)
    grads = backward_columns(params, zs, acts, Y)
    N = X.shape[1]
    for (W, b), (dW, db) in zip(params, grads):
        W -= eta / N * dW                                       # BUG: eta / N with a mean gradient
        b -= eta / N * db


# B39: an L1 penalty's gradient lambda sign(W) left on (per-sample loop, network.py style, (n, 1) biases).
def l1_penalty_left_on(params, X, Y):
    zs, acts = forward_columns(params, X)
    grads = backward_columns(params, zs, acts, Y)
    return [(dW + 1e-2 * np.sign(W), db) for (dW, db), (W, _) in zip(grads, params)]   # BUG: + lambda sign(W)


# B40: the per-sample gradients assigned instead of accumulated: only the last sample counts.
def overwrites_instead_of_accumulating(params, X, Y):
    N = X.shape[1]
    for i in range(N):
        zs, acts = forward_columns(params, X[:, i:i + 1])
        nabla = backward_columns(params, zs, acts, Y[:, i:i + 1], reduce_W=lambda g: g, reduce_b=lambda d: d.sum(axis=1))
    return [(dW / N, db / N) for dW, db in nabla]                  # BUG: nabla = ..., not nabla += ...


# B41: the update eta x g returned where the gradient belongs (eta = 0.1).
def returns_the_update(params, X, Y):
    zs, acts = forward_columns(params, X)
    return [(0.1 * dW, 0.1 * db) for dW, db in backward_columns(params, zs, acts, Y)]   # BUG: eta g


# B42: the gradients collected from the output backwards and never reversed.
def layers_in_reverse_order(params, X, Y):
    zs, acts = forward_columns(params, X)
    return backward_columns(params, zs, acts, Y)[::-1]            # BUG: a list built backwards, returned as is


# B43: gradient clipping at 0.01 left on.
def clipping_left_on(params, X, Y):
    zs, acts = forward_columns(params, X)
    return [(np.clip(dW, -0.01, 0.01), np.clip(db, -0.01, 0.01))   # BUG
            for dW, db in backward_columns(params, zs, acts, Y)]


# B44: a training step with momentum whose velocity lives on the class (shared by every instance).
class MomentumStep:
    velocity = {}

    def __call__(self, params, X, Y, eta):
        zs, acts = forward_columns(params, X)
        for l, ((W, b), (dW, db)) in enumerate(zip(params, backward_columns(params, zs, acts, Y))):
            key = (l, W.shape)
            v = MomentumStep.velocity.get(key)
            v = dW if v is None else 0.9 * v + dW                    # BUG: velocity kept across steps and calls
            MomentumStep.velocity[key] = v
            W -= eta * v
            b -= eta * db


ENTRIES = [
    Entry(implementation("bug.weight_decay_left_on", gradient=weight_decay_left_on),
          "a weight decay term left on in the gradient",
          Expect(_AGREE, cause="weight_decay", param="W")),   # every layer with W != 0 is wrong
    Entry(implementation("bug.momentum_between_calls", gradient=MomentumGradient().gradient),
          "momentum state carried between calls",
          Expect(("interface.deterministic",), cause="hidden_state")),
    Entry(implementation("bug.tanh_derivative_for_sigmoid", gradient=tanh_derivative_for_sigmoid, samples="rows",
                         weights="in_out"),
          "the derivative of another function (tanh's) used for sigma'",
          Expect(_AGREE, cause="wrong_derivative", layer="L")),
    Entry(implementation("bug.derivative_forgets_one_minus_a", gradient=derivative_forgets_one_minus_a),
          "sigma' with a factor forgotten",
          Expect(_AGREE, cause="wrong_derivative", layer="L")),
    Entry(implementation("bug.hidden_sigma_prime_missing", gradient=hidden_sigma_prime_missing, min_depth=2),
          "sigma' missing in BP2 only",
          Expect(_AGREE, cause="missing_hidden_sigma_prime", layer="L-1")),
    Entry(implementation("bug.first_layer_doubled", gradient=first_layer_doubled, min_depth=2),
          "one layer's gradient scaled",
          Expect(_AGREE, cause="scaled", layer="1")),
    Entry(implementation("bug.step_eta_over_n", train_step=step_eta_over_n),
          "a training step that rescales its update as a whole",
          Expect(_AGREE, cause="averaged_twice", layer="L", factor="1/N")),
    Entry(implementation("bug.l1_penalty_left_on", gradient=l1_penalty_left_on),
          "an L1 penalty's gradient left on",
          Expect(_AGREE, cause="weight_decay", param="W")),
    Entry(implementation("bug.overwrites_instead_of_accumulating", gradient=overwrites_instead_of_accumulating),
          "per-sample gradients overwritten instead of accumulated",
          Expect(_AGREE, cause="dropped_samples", layer="L")),
    Entry(implementation("bug.returns_the_update", gradient=returns_the_update),
          "the update eta x g returned instead of the gradient",
          Expect(_AGREE, cause="scaled", layer="L")),
    Entry(implementation("bug.layers_in_reverse_order", gradient=layers_in_reverse_order, min_depth=2),
          "the list of layers returned in reverse order",
          Expect(("interface.shapes",) + _AGREE, cause="layer_shift")),
    Entry(implementation("bug.clipping_left_on", gradient=clipping_left_on),
          "gradient clipping left on",
          Expect(_AGREE, cause="gradient_clipped", layer="L")),
    Entry(implementation("bug.momentum_train_step", train_step=MomentumStep()),
          "momentum kept between training steps",
          Expect(("interface.deterministic",), cause="hidden_state")),
]
