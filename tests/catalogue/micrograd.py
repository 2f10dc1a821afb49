"""A tiny scalar reverse-mode autodiff engine in the style of micrograd, and a network on it.

Every number is a ``Value`` that remembers the values it was computed from and
how to pass a gradient back to them; ``backward()`` visits the graph in reverse
topological order.  Nothing about backpropagation through layers is written by
hand: the network is just arithmetic on Values.  Rows as samples, W (out, in),
(n,) biases, C = (1/N) sum_i 1/2 ||a_i - y_i||^2.
"""
import math

import numpy as np

__all__ = ["Value", "SetValue", "micrograd_gradient", "micrograd_set_graph_gradient", "micrograd_relu_softmax_gradient"]


class Value:
    """A scalar with a gradient slot and a closure that propagates its gradient to its parents."""

    __slots__ = ("data", "grad", "_backward", "_prev")
    graph = tuple             #: the container of a Value's parents (micrograd itself keeps a set)

    def __init__(self, data, _prev=()):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = self.graph(_prev)

    def __add__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Value) else type(self)(-other))

    __radd__ = __add__
    __rmul__ = __mul__

    def sigmoid(self):
        e = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        out = type(self)(s, (self,))

        def _backward():
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward():
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, (self,))

        def _backward():
            self.grad += e * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,))

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def backward(self):
        """Seed d(self)/d(self) = 1 and propagate to every Value this one depends on."""
        topo, seen, stack = [], set(), [(self, False)]
        while stack:                                                   # iterative topological sort
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


class SetValue(Value):
    """A Value whose parents are a set, as in micrograd itself: the graph is visited in an order set by the
    objects' addresses, so the order in which gradients are summed changes from call to call."""

    __slots__ = ()
    graph = frozenset


def micrograd_gradient(params, X, Y, value=Value):
    """[(dW^l, db^l)] of the mean half squared error, computed by Value.backward()."""
    W = [[[value(w) for w in row] for row in Wl] for Wl, _ in params]
    b = [[value(v) for v in bl] for _, bl in params]
    N = X.shape[0]
    loss = value(0.0)
    for i in range(N):
        a = [value(x) for x in X[i]]
        for Wl, bl in zip(W, b):
            a = [sum((w * x for w, x in zip(row, a)), bj).sigmoid() for row, bj in zip(Wl, bl)]
        for aj, yj in zip(a, Y[i]):
            d = aj - float(yj)
            loss = loss + d * d * (0.5 / N)
    loss.backward()
    return [(np.array([[w.grad for w in row] for row in Wl]), np.array([v.grad for v in bl]))
            for Wl, bl in zip(W, b)]


def micrograd_set_graph_gradient(params, X, Y):
    """The same with ``SetValue``: correct, but not bitwise reproducible between identical calls."""
    return micrograd_gradient(params, X, Y, value=SetValue)


def micrograd_relu_softmax_gradient(params, X, Y):
    """The same engine on relu hidden layers, a softmax output and the categorical cross-entropy:
    C = (1/N) sum_i -sum_j y_ij log softmax(z_i)_j, the softmax written as exp(z_j - m) / sum_k exp(z_k - m)
    with m the largest logit (a plain float: the shift changes nothing), its log as (z_j - m) - log(sum)."""
    W = [[[Value(w) for w in row] for row in Wl] for Wl, _ in params]
    b = [[Value(v) for v in bl] for _, bl in params]
    N = X.shape[0]
    loss = Value(0.0)
    for i in range(N):
        a = [Value(x) for x in X[i]]
        for l, (Wl, bl) in enumerate(zip(W, b), start=1):
            z = [sum((w * x for w, x in zip(row, a)), bj) for row, bj in zip(Wl, bl)]
            a = z if l == len(W) else [zj.relu() for zj in z]
        m = max(zj.data for zj in a)
        log_total = sum(((zj - m).exp() for zj in a), Value(0.0)).log()
        for zj, yj in zip(a, Y[i]):
            if yj:
                loss = loss - ((zj - m) - log_total) * (float(yj) / N)
    loss.backward()
    return [(np.array([[w.grad for w in row] for row in Wl]), np.array([v.grad for v in bl]))
            for Wl, bl in zip(W, b)]
