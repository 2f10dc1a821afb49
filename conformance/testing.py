"""Hand-written backprops with one bug switch each: the suite's own test subjects.

``backprop(bug)`` returns a gradient function in the reference conventions
(samples as columns, W (out, in), b (n,), mean of 1/2 ||a - y||^2), written the
way the documents write it (sigma' as a (1 - a)), with at most one bug:

    summed, averaged_twice, sign, missing_half, mse, sigma_prime_of_a, no_output_sigma_prime,
    no_transpose, bp4_a_l, bias_first_sample, drop_last_sample, int_x, all_zeros, nan_large_z,
    squeeze_n1, float32, fd_inside, transposed_shape, random_mask, accumulate, mutate_x,
    prints, hang, returns_none, raises, unit_index_scaled, offset_residual, constant_noise,
    bias_over_units, exp_ratio_sigmoid, fd_sigma_prime,
    and past the drawn shapes: chunk_tail (N > 48 loses its ragged tail), tile_remainder (BP4 skips
    the columns past the last tile of 24), depth_cap (only the last three layers), input_cap (only
    the first 512 inputs), reused_buffer (returns the same arrays every call), raw_bytes (reads X
    through its raw bytes: wrong in Fortran order)

``train_step(bug)`` is a DeepNeuralNetwork-like step updating in place (bug
"update_before_backprop" updates W^{l+1} before backpropagating through it).
``subject(name, bug, **declarations)`` wraps either as an ``Implementation``.

``model_subject(name, bug, hidden=..., output=..., loss_kind=..., **declarations)`` is a
backprop of issue 16's models (tanh, relu, leaky_relu, identity hidden layers; sigmoid,
identity or softmax outputs; squared error or cross-entropy; an L2 term and layers without
biases as declared), with the bugs ``MODEL_BUGS``:

    softmax_diagonal   (the softmax Jacobian reduced to its diagonal a (1 - a))
    relu_prime_as_a    (the activation a^l where f'(z^l) belongs)
    tanh_one_minus_a   (tanh' written 1 - a instead of 1 - a^2)

These are for the suite's meta-tests; the catalogue of real bugs is elsewhere.
"""
from __future__ import annotations

import time

import numpy as np

from conformance.dropin.protocol import Implementation, implementation

__all__ = ["BUGS", "backprop", "train_step", "subject", "mse_loss", "half_sse_loss",
           "float32_forward", "float32_gradient", "MODEL_BUGS", "model_gradient", "model_subject"]

BUGS = ("summed", "averaged_twice", "sign", "missing_half", "mse", "sigma_prime_of_a", "no_output_sigma_prime",
        "no_transpose", "bp4_a_l", "bias_first_sample", "drop_last_sample", "int_x", "all_zeros", "nan_large_z",
        "squeeze_n1", "float32", "fd_inside", "transposed_shape", "random_mask", "accumulate", "mutate_x",
        "prints", "hang", "returns_none", "raises", "unit_index_scaled", "offset_residual", "constant_noise",
        "bias_over_units", "exp_ratio_sigmoid", "fd_sigma_prime", "chunk_tail", "tile_remainder", "depth_cap",
        "input_cap", "reused_buffer", "raw_bytes")


def _sigmoid(z, bug=None):
    if bug == "exp_ratio_sigmoid":
        e = np.exp(z)
        return e / (1.0 + e)                 # inf / inf = NaN once z > 709
    return 1.0 / (1.0 + np.exp(-z))


def _forward(params, X, bug=None):
    activations, zs = [X], []
    for W, b in params:
        zs.append(W @ activations[-1] + b[:, None])
        activations.append(_sigmoid(zs[-1], bug))
    return zs, activations


def _loss(params, X, Y, kind: str) -> float:
    a = _forward(params, X)[1][-1]
    return float(np.mean((a - Y) ** 2)) if kind == "mse" else float(0.5 * np.sum((a - Y) ** 2) / X.shape[1])


def mse_loss(params, X, Y) -> float:
    """np.mean((a - Y) ** 2): the first document's printed loss."""
    return _loss(params, X, Y, "mse")


def half_sse_loss(params, X, Y) -> float:
    """(1/N) sum_i 1/2 ||a_i - y_i||^2: the reference loss."""
    return _loss(params, X, Y, "half_sse")


def _sp(bug, z, a):
    if bug == "fd_sigma_prime":
        return (_sigmoid(z + 1e-7) - _sigmoid(z)) / 1e-7
    if bug == "nan_large_z":
        return np.exp(-z) / (1.0 + np.exp(-z)) ** 2
    return _sigmoid(a) * (1 - _sigmoid(a)) if bug == "sigma_prime_of_a" else a * (1 - a)


def _core(params, X, Y, bug):
    """The gradient with the arithmetic bugs applied (the interface bugs live in ``backprop``)."""
    if bug == "int_x":
        X = np.trunc(X)
    if bug == "drop_last_sample" and X.shape[1] > 1:
        X, Y = X[:, :-1], Y[:, :-1]
    N = X.shape[1]
    if bug == "chunk_tail" and N > 48:
        X, Y = X[:, :N - N % 48], Y[:, :N - N % 48]
    if bug == "input_cap" and X.shape[0] > 512:
        X = np.vstack([X[:512], np.zeros_like(X[512:])])
    zs, acts = _forward(params, X, bug)
    r = (Y - acts[-1]) if bug == "sign" else (acts[-1] - Y + (0.1 if bug == "offset_residual" else 0.0))
    delta = r if bug == "no_output_sigma_prime" else r * _sp(bug, zs[-1], acts[-1])
    scale = {"summed": 1.0, "averaged_twice": 1.0 / N ** 2, "missing_half": 2.0 / N,
             "mse": 2.0 / (N * Y.shape[0])}.get(bug, 1.0 / N)
    out = [None] * len(params)
    for l in range(len(params), 0, -1):
        if bug == "depth_cap" and l <= len(params) - 3:
            out[l - 1] = (np.zeros_like(params[l - 1][0]), np.zeros_like(params[l - 1][1]))
            continue
        if l < len(params):
            W_next = params[l][0]
            delta = ((W_next if bug == "no_transpose" else W_next.T) @ delta) * _sp(bug, zs[l - 1], acts[l])
        a_prev = acts[l] if bug == "bp4_a_l" else acts[l - 1]
        dW = delta @ a_prev.T * scale
        db = delta[:, 0].copy() if bug == "bias_first_sample" else delta.sum(axis=0 if bug == "bias_over_units" else 1) * scale
        if bug == "tile_remainder" and dW.shape[1] > 24:
            dW[:, dW.shape[1] - dW.shape[1] % 24:] = 0.0
        if bug == "unit_index_scaled":
            dW = dW * (1.0 + np.arange(dW.shape[0]))[:, None]
        out[l - 1] = (dW, db)
    return out


def _fd(params, X, Y):
    theta = [(W.copy(), b.copy()) for W, b in params]
    out = []
    for W, b in theta:
        pair = []
        for arr in (W, b):
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + 1e-6
                up = half_sse_loss(theta, X, Y)
                arr[idx] = old - 1e-6
                down = half_sse_loss(theta, X, Y)
                arr[idx] = old
                g[idx] = (up - down) / 2e-6
            pair.append(g)
        out.append(tuple(pair))
    return out


def backprop(bug=None):
    """A gradient function(params, X, Y) with ``bug`` (None: correct)."""
    if bug is not None and bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {BUGS}")
    state = {"rng": np.random.default_rng(0), "acc": {}}

    def gradient(params, X, Y):
        if bug == "hang":
            time.sleep(3600)
        if bug == "raises":
            raise RuntimeError("deliberate failure")
        if bug == "returns_none":
            return None
        if bug == "prints":
            print("computing the gradient ...")
        if bug == "squeeze_n1" and X.shape[1] == 1:
            X = X[:, 0]
        if bug == "float32":
            g = _core([(W.astype(np.float32), b.astype(np.float32)) for W, b in params],
                      X.astype(np.float32), Y.astype(np.float32), None)
            return [(W.astype(np.float64), b.astype(np.float64)) for W, b in g]
        if bug == "raw_bytes":
            X = np.frombuffer(X.tobytes(order="A"), dtype=X.dtype).reshape(X.shape)
        g = _fd(params, X, Y) if bug == "fd_inside" else _core(params, X, Y, bug)
        if bug == "mutate_x":
            X[...] = 0.0
        if bug == "all_zeros":
            g = [(np.zeros_like(W), np.zeros_like(b)) for W, b in g]
        if bug == "transposed_shape":
            g = [(W.T, b) for W, b in g]
        if bug == "constant_noise":
            g = [(W + 1e-3, b + 1e-3) for W, b in g]
        if bug == "random_mask":
            g = [(W * (state["rng"].random(W.shape) > 0.5) * 2.0, b) for W, b in g]
        if bug == "reused_buffer":
            key = tuple(W.shape for W, _ in params)
            kept = state["acc"].setdefault(key, [(np.empty_like(W), np.empty_like(b)) for W, b in g])
            for (kW, kb), (W, b) in zip(kept, g):
                kW[...], kb[...] = W, b
            g = kept
        if bug == "accumulate":
            key = tuple(W.shape for W, _ in params)
            prev = state["acc"].get(key)
            g = g if prev is None else [(W + pW, b + pb) for (W, b), (pW, pb) in zip(g, prev)]
            state["acc"][key] = g
        return g

    gradient.__name__ = f"backprop_{bug or 'correct'}"
    return gradient


def train_step(bug=None):
    """train_step(params, X, Y, eta) updating the (W, b) arrays in place (None returned)."""
    def step(params, X, Y, eta):
        N, L = X.shape[1], len(params)
        zs, acts = _forward(params, X)
        delta = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        for l in range(L, 0, -1):
            W, b = params[l - 1]
            dW, db = delta @ acts[l - 1].T / N, delta.sum(axis=1) / N
            if bug == "update_before_backprop":
                W -= eta * dW
            if l > 1:
                delta = (W.T @ delta) * acts[l - 1] * (1 - acts[l - 1])
            if bug != "update_before_backprop":
                W -= eta * dW
            b -= eta * db
    return step


def subject(name: str, bug=None, *, step: bool = False, **declarations) -> Implementation:
    """An Implementation of ``backprop(bug)`` (or ``train_step(bug)`` with step=True)."""
    entry = {"train_step": train_step(bug)} if step else {"gradient": backprop(bug)}
    return implementation(name, description=f"test subject: {bug or 'correct'}", **entry, **declarations)


def float32_forward(net, params, X):
    """a^l and sigma'(z^l) in float32, as the reference computes them (e = exp(-|z|))."""
    a = X.astype(np.float32)
    activations, primes = [a], []
    for l, (W, b) in enumerate(params, start=1):
        z = W.astype(np.float32) @ a + b.astype(np.float32)[:, None]
        if l == net.L and net.output == "identity":
            a, s = z, np.ones_like(z)
        else:
            e = np.exp(-np.abs(z))
            a, s = np.where(z >= 0, 1 / (1 + e), e / (1 + e)), e / ((1 + e) * (1 + e))
        activations.append(a)
        primes.append(s)
    return activations, primes


def float32_gradient(net, params, X, Y):
    """A correct float32 implementation (batched matrix form), returned as float64 pairs."""
    activations, primes = float32_forward(net, params, X)
    N = np.float32(X.shape[1])
    delta = (activations[-1] - Y.astype(np.float32)) * primes[-1]
    grads = [None] * net.L
    for l in range(net.L, 0, -1):
        if l < net.L:
            delta = (params[l][0].astype(np.float32).T @ delta) * primes[l - 1]
        grads[l - 1] = ((delta @ activations[l - 1].T / N).astype(np.float64),
                        (delta.sum(axis=1) / N).astype(np.float64))
    return grads


MODEL_BUGS = ("softmax_diagonal", "relu_prime_as_a", "tanh_one_minus_a")


def _hidden(name: str, z, slope: float, bug=None):
    """(a, f'(z)) of a hidden layer, written plainly (relu'(0) = 0)."""
    if name == "tanh":
        a = np.tanh(z)
        return a, (1 - a) if bug == "tanh_one_minus_a" else 1 - a * a
    if name in ("relu", "leaky_relu"):
        below = slope if name == "leaky_relu" else 0.0
        a = np.where(z > 0, z, below * z)
        return a, a if bug == "relu_prime_as_a" else np.where(z > 0, 1.0, below)
    if name == "identity":
        return z, np.ones_like(z)
    a = 1 / (1 + np.exp(-z))
    return a, a * (1 - a)


def _output_delta(output: str, loss: str, z, a, Y, bug=None):
    """BP1 of a plain backprop: (a, delta^L)."""
    if output == "softmax":
        e = np.exp(z - z.max(axis=0))
        a = e / e.sum(axis=0)
        if loss == "categorical_cross_entropy":
            return a, (a * (1 - a) * (-Y / a) if bug == "softmax_diagonal" else a - Y)
        r = a - Y
        return a, (a * (1 - a) * r if bug == "softmax_diagonal" else a * (r - (a * r).sum(axis=0)))
    if output == "identity":
        return z, z - Y
    a = 1 / (1 + np.exp(-z))
    return a, (a - Y) if loss == "binary_cross_entropy" else (a - Y) * a * (1 - a)


def model_gradient(*, hidden: str, output: str, loss: str, l2: float = 0.0, biases: bool = True,
                   slope: float = 0.01, bug=None):
    """gradient(params, X, Y) of the mean loss (+ lambda/2 ||W||^2) in reference conventions, or
    params [W1, ...] without biases; ``bug`` one of ``MODEL_BUGS`` or None."""
    if bug is not None and bug not in MODEL_BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of {MODEL_BUGS}")

    def gradient(params, X, Y):
        layers = list(params) if biases else [(W, np.zeros(W.shape[0])) for W in params]
        acts, primes = [X], []
        for l, (W, b) in enumerate(layers, start=1):
            z = W @ acts[-1] + b[:, None]
            if l < len(layers):
                a, s = _hidden(hidden, z, slope, bug)
                acts.append(a)
                primes.append(s)
            else:
                a, delta = _output_delta(output, loss, z, None, Y, bug)
                acts.append(a)
        N, out = X.shape[1], [None] * len(layers)
        for l in range(len(layers), 0, -1):
            if l < len(layers):
                delta = (layers[l][0].T @ delta) * primes[l - 1]
            W = layers[l - 1][0]
            out[l - 1] = (delta @ acts[l - 1].T / N + l2 * W, delta.sum(axis=1) / N)
        return out if biases else [dW for dW, _ in out]
    return gradient


def model_subject(name: str, bug=None, *, hidden: str = "sigmoid", output: str = "sigmoid",
                  loss_kind: str = "half_sse", **declarations) -> Implementation:
    """An Implementation of ``model_gradient`` declaring that one hidden activation, output and loss."""
    biases = declarations.get("bias", "vector") != "none"
    gradient = model_gradient(hidden=hidden, output=output, loss=loss_kind, l2=declarations.get("l2", 0.0),
                              biases=biases, slope=declarations.get("slope", 0.01), bug=bug)
    return implementation(name, gradient=gradient, hidden=hidden, output=output, loss_kind=loss_kind,
                          description=f"test subject: {bug or 'correct'} ({hidden}, {output}, {loss_kind})",
                          **declarations)
