"""Reference backpropagation for fully connected networks (sigmoid ones as the documents, and beyond).

Notation (stated once, used everywhere in this project)
-------------------------------------------------------
Layers are counted from 1 as in the documents: layer 0 is the input,
layer L the output, and ``Network([n_0, n_1, ..., n_L])`` has L weight layers.

    z^l = W^l a^{l-1} + b^l,    a^l = sigma(z^l),    a^0 = x

The output activation is sigma (default), the identity (``output="identity"``,
the forum question's linear output) or the softmax.  Hidden layers are sigmoid by
default, or tanh, relu, leaky_relu or the identity (``hidden=...``); the loss is
the squared error below by default, or the binary or categorical cross-entropy,
plus an optional L2 term, in layers with or without biases (``reference.network``).

Shapes (samples are columns, float64):

    W^l : (n_l, n_{l-1})     b^l : (n_l,)
    X   : (n_0, N)           Y   : (n_L, N)       z^l, a^l : (n_l, N)

Parameters are a list of (W, b) pairs: ``params[l - 1] == (W^l, b^l)``.
A forward pass keeps ``activations[l] == a^l`` (l = 0..L) and
``zs[l - 1] == z^l`` (l = 1..L); use ``ForwardPass.a(l)`` / ``.z(l)`` to index
by the documents' layer numbers.  That ``l - 1`` is Python's list offset and
the only one: no module renumbers layers.

The loss is the mean over the batch of half the squared error,

    C = (1/N) sum_i 1/2 ||a^L_i - y_i||^2,

and the four backprop equations, with delta^l = dC_i/dz^l for one sample:

    BP1  delta^L = (a^L - y) * sigma'(z^L)          (sigma' = 1 for identity output)
         in general delta^L = J(z^L)^T dC_x/da^L, J the output activation's Jacobian
         (``reference.losses``: a^L - y for the cross-entropies)
    BP2  delta^l = ((W^{l+1})^T delta^{l+1}) * sigma'(z^l)
    BP3  dC/db^l = delta^l
    BP4  dC/dW^l = delta^l (a^{l-1})^T

averaged over the batch: dC/dW^l = (1/N) sum_i delta^l_i (a^{l-1}_i)^T.
"""
from reference.activations import sigmoid, sigmoid_prime
from reference.network import Network, Params
from reference.forward import ForwardPass, forward, loss
from reference.gradients import FORMULATIONS, gradients

__all__ = [
    "FORMULATIONS",
    "ForwardPass",
    "Network",
    "Params",
    "forward",
    "gradients",
    "loss",
    "sigmoid",
    "sigmoid_prime",
]
