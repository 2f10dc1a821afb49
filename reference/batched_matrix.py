"""Batched backprop in plain matrix form: the whole batch as (n_l, N) matrices.

Samples are the columns of delta^l and a^l, so BP4's sum over the batch of
outer products delta_i (a_i^{l-1})^T is one matrix product delta^l (A^{l-1})^T.
This is the fast path.

Speed (measured in BENCHMARKS.md): the matrix products run at the BLAS rate,
so what remains is to keep the work around them small.

* As the first document notes, storing the forward quantities avoids
  recomputation: the forward pass keeps a^l and sigma'(z^l), both formed from
  one exponential e^{-z}, so the backward pass needs no exponential at all:

      a^l        = sigma(z^l)  = 1 / (1 + e^{-z^l})
      sigma'(z^l) = sigma(z^l) sigma(-z^l) = e^{-z^l} (a^l)^2

  Both keep full relative precision down to z = -709 (unlike a (1 - a), which
  cancels for z > 20 or so).  Below, e^{-z} overflows to inf and both return
  0 (the product inf * 0 is mapped to 0), where the exact values are below
  1.2e-308, in float64's subnormal range.  They agree with
  ``reference.activations`` to a few units in the last place.
* Other hidden activations (tanh, relu, leaky_relu, identity) are evaluated with
  ``reference.activations`` into the same buffers; a softmax output keeps a^L
  (its BP1 needs a^L only, ``reference.losses.output_error``).  A network without
  biases adds none; the L2 term is added to the gradients at the end.
* Elementwise steps write into arrays this module owns (``out=``, ``*=``),
  never into a caller's array, and a^l, sigma'(z^l) for all layers live in one
  allocation per call, so large batches do not pay a page fault per 4 KiB.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from reference.activations import hidden_function
from reference.losses import add_l2, output_activation, output_error
from reference.network import Network, Params

__all__ = ["BLOCK", "feedforward", "bp1_output_error", "bp2_hidden_error",
           "bp3_bias_gradient", "bp4_weight_gradient", "gradients_unchecked"]


#: Entries per block of the elementwise work: 2^16 float64 (512 KiB) keep a block of
#: W a and of a^l in the core's cache across the seven passes of ``_layer_activation``.
BLOCK = 1 << 16


def _layer_activation(Wa: np.ndarray, b: np.ndarray, a: np.ndarray, e: np.ndarray) -> None:
    """a = sigma(z) = 1 / (1 + e^{-z}) and e = sigma'(z) = e^{-z} a^2 for z = Wa + b, in place.

    ``e`` may be ``Wa`` itself.  Runs under ``np.errstate(over="ignore", invalid="ignore")``:
    e^{-z} = inf for z < -709 gives a = 0 and inf * 0 = NaN, mapped to the limit sigma' = 0.
    """
    np.subtract(np.negative(b)[:, np.newaxis], Wa, out=e)   # -z = -b - W a
    np.exp(e, out=e)                                         # e^{-z}
    np.add(e, 1.0, out=a)
    np.divide(1.0, a, out=a)                                 # a = 1 / (1 + e^{-z})
    e *= a
    e *= a                                                   # sigma' = e^{-z} a^2
    np.fmax(e, 0.0, out=e)


def _other_activation(net: Network, l: int, Wa: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
    """a = f(z) and Wa = f'(z) for z = Wa + b at a layer that is not sigmoid; a = softmax(z) at a softmax output."""
    np.add(Wa, b[:, np.newaxis], out=Wa)                     # z
    if l == net.L:
        a[...] = output_activation(net, Wa)
        Wa.fill(1.0)                                         # unused: BP1 of a softmax output needs a^L only
        return
    f, f_prime = hidden_function(net.hidden, net.slope)
    a[...] = f(Wa)
    Wa[...] = f_prime(Wa)


def feedforward(net: Network, params: Params, X: np.ndarray) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """activations[l] = a^l (l = 0..L, a^0 = X) and sigma_primes[l-1] = f'(z^l) (l = 1..L).

    z^l = W^l a^{l-1} + b^l, each (n_l, N), gives a^l = sigma(z^l) and
    sigma'(z^l) = sigma(z^l) sigma(-z^l) = e^{-z^l} (a^l)^2 at a sigmoid layer;
    for an identity output a^L = z^L and sigma'(z^L) = 1; other hidden
    activations give f(z^l), f'(z^l); a softmax output gives a^L and ones (unused).
    All a^l and f'(z^l) share one new allocation; the sigmoid's elementwise work
    runs in row blocks of about ``BLOCK`` entries.
    """
    N = X.shape[1]
    work = np.empty(2 * sum(net.layer_sizes[1:]) * N)
    activations, sigma_primes = [X], []
    start = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for l, (W, b) in enumerate(params, start=1):
            n_l = W.shape[0]
            b = b if net.bias else np.zeros(n_l)
            Wa = np.matmul(W, activations[-1], out=work[start:start + n_l * N].reshape(n_l, N))
            a = work[start + n_l * N:start + 2 * n_l * N].reshape(n_l, N)
            start += 2 * n_l * N
            if l == net.L and net.output == "identity":
                np.add(Wa, b[:, np.newaxis], out=a)          # a^L = z^L
                Wa.fill(1.0)                                  # sigma'(z^L) = 1
            elif (l == net.L and net.output == "softmax") or (l < net.L and net.hidden != "sigmoid"):
                _other_activation(net, l, Wa, b, a)
            elif n_l * N <= BLOCK:
                _layer_activation(Wa, b, a, Wa)
            else:
                rows = max(1, BLOCK // N)
                for r in range(0, n_l, rows):
                    _layer_activation(Wa[r:r + rows], b[r:r + rows], a[r:r + rows], Wa[r:r + rows])
            activations.append(a)
            sigma_primes.append(Wa)
    return activations, sigma_primes


def bp1_output_error(net: Network, a_L: np.ndarray, Y: np.ndarray, sigma_prime_L: np.ndarray) -> np.ndarray:
    """BP1: delta^L = J(z^L)^T dC_x/da^L, all columns at once.  Shapes (n_L, N).

    For the squared error at a sigmoid or identity output, (a^L - y) * sigma'(z^L);
    the other cases as ``reference.losses.output_error`` (a^L - y for the cross-entropies).
    """
    if net.loss != "half_sse" or net.output == "softmax":
        return output_error(net, None, a_L, Y)
    delta = np.subtract(a_L, Y)
    delta *= sigma_prime_L
    return delta


def bp2_hidden_error(W_next: np.ndarray, delta_next: np.ndarray, sigma_prime_l: np.ndarray) -> np.ndarray:
    """BP2: delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l).

    W^{l+1}: (n_{l+1}, n_l), delta^{l+1}: (n_{l+1}, N), sigma'(z^l): (n_l, N) -> (n_l, N).
    """
    delta = W_next.T @ delta_next
    delta *= sigma_prime_l
    return delta


def bp3_bias_gradient(delta: np.ndarray) -> np.ndarray:
    """BP3 averaged over the batch: dC/db^l = (1/N) sum_i delta^l_i.  (n_l, N) -> (n_l,)."""
    nabla_b = np.add.reduce(delta, axis=1)
    nabla_b /= delta.shape[1]
    return nabla_b


def bp4_weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """BP4 averaged over the batch: dC/dW^l = (1/N) delta^l (A^{l-1})^T.

    delta^l: (n_l, N), a^{l-1}: (n_{l-1}, N) -> (n_l, n_{l-1}).
    """
    nabla_w = delta @ a_prev.T
    nabla_w /= delta.shape[1]
    return nabla_w


def gradients_unchecked(net: Network, params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """[(dC/dW^l, dC/db^l) for l = 1..L] on validated float64 arrays."""
    activations, sigma_primes = feedforward(net, params, X)
    L = net.L
    delta = bp1_output_error(net, activations[L], Y, sigma_primes[L - 1])
    nabla = [None] * L
    for l in range(L, 0, -1):
        if l < L:
            delta = bp2_hidden_error(params[l][0], delta, sigma_primes[l - 1])
        nabla_b = bp3_bias_gradient(delta) if net.bias else np.zeros(net.n(l))
        nabla[l - 1] = (bp4_weight_gradient(delta, activations[l - 1]), nabla_b)
    return add_l2(net, params, nabla)
