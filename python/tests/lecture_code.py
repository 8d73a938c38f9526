"""The lecture's code ("The spelled-out intro to neural networks and backpropagation:
building micrograd"), as programs over a `Value` class given as an argument.

`tests/data/make_reference.py` runs them on the lecture's own pure-Python `Value` (taken
from the lecture's notebook) and stores the results in `reference.json`;
`test_lecture.py` runs them on ours and compares. Each returns a dict of numbers.
"""

import random


def manual_derivatives(Value):
    """The first graph, with labels: backward, then the nudge that raises L."""
    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a * b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    out = {"L": L.data, "labels": [v.label for v in (a, b, c, d, e, f, L)]}
    L.backward()
    out["grads"] = [v.grad for v in (a, b, c, d, e, f, L)]
    a.data += 0.01 * a.grad
    b.data += 0.01 * b.grad
    c.data += 0.01 * c.grad
    f.data += 0.01 * f.grad
    e = a * b
    d = e + c
    L = d * f
    out["L_nudged"] = L.data
    return out


def numerical_slope(Value):
    """lol(): the slope of L in b by finite differences."""
    h = 0.001

    def L_of(db):
        a = Value(2.0, label='a')
        b = Value(-3.0, label='b')
        b.data += db
        c = Value(10.0, label='c')
        e = a * b; e.label = 'e'
        d = e + c; d.label = 'd'
        f = Value(-2.0, label='f')
        L = d * f; L.label = 'L'
        return L.data

    return {"slope": (L_of(h) - L_of(0.0)) / h}


def _neuron(Value):
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1 * w1; x1w1.label = 'x1*w1'
    x2w2 = x2 * w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    return x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n


def neuron_manual_backprop(Value):
    """The neuron, back-propagated by hand: o.grad = 1, then each node's _backward() in
    turn; then backward() on the same graph (which, in micrograd, pushes the interior
    grads down a second time)."""
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron(Value)
    o = n.tanh(); o.label = 'o'
    values = (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)
    out = {"o": o.data, "labels": [v.label for v in values]}
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    out["manual_grads"] = [v.grad for v in values]
    out["one_minus_o_squared"] = 1 - o.data**2
    o.backward()
    out["grads_after_backward"] = [v.grad for v in values]
    return out


def neuron_backward(Value):
    """The neuron with backward() on a fresh graph."""
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron(Value)
    o = n.tanh(); o.label = 'o'
    o.backward()
    return {"o": o.data, "grads": [v.grad for v in (x1, x2, w1, w2, b, n, o)]}


def neuron_exp_form(Value):
    """tanh written with exp, division and subtraction."""
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron(Value)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = 'o'
    o.backward()
    return {"o": o.data, "grads": [v.grad for v in (x1, x2, w1, w2, b, n, e, o)]}


def reuse_bugs(Value):
    """The two graphs that showed the bug of '=' instead of '+=' in _backward."""
    a = Value(3.0, label='a')
    b = a + a; b.label = 'b'
    b.backward()
    out = {"a_plus_a": [a.grad, b.grad]}
    a = Value(-2.0, label='a')
    b = Value(3.0, label='b')
    d = a * b; d.label = 'd'
    e = a + b; e.label = 'e'
    f = d * e; f.label = 'f'
    f.backward()
    out["diamond"] = [v.grad for v in (a, b, d, e, f)]
    out["diamond_data"] = [v.data for v in (a, b, d, e, f)]
    return out


def more_operations(Value):
    """The operations added in the second half: a number on either side, -, /, **, exp."""
    a = Value(2.0)
    b = Value(4.0)
    out = {
        "a_plus_1": (a + 1).data,
        "1_plus_a": (1 + a).data,
        "a_times_2": (a * 2).data,
        "2_times_a": (2 * a).data,
        "a_minus_b": (a - b).data,
        "a_div_b": (a / b).data,
        "a_pow_3": (a**3).data,
        "exp_a": a.exp().data,
    }
    y = (a / b - b) * a.exp() + a**3
    y.backward()
    out["y"] = y.data
    out["grads"] = [a.grad, b.grad]
    return out


def lecture_nn(Value, seed=1337):
    """The lecture's own Neuron, Layer and MLP (tanh neurons, bias drawn too), an MLP of
    3 inputs and layers 4, 4, 1 on x = [2, 3, -1], then the loop on four examples: 20
    steps of gradient descent with learning rate 0.1, printing each loss."""

    class Neuron:

        def __init__(self, nin):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(random.uniform(-1, 1))

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.tanh()

        def parameters(self):
            return self.w + [self.b]

    class Layer:

        def __init__(self, nin, nout):
            self.neurons = [Neuron(nin) for _ in range(nout)]

        def __call__(self, x):
            outs = [n(x) for n in self.neurons]
            return outs[0] if len(outs) == 1 else outs

        def parameters(self):
            return [p for neuron in self.neurons for p in neuron.parameters()]

    class MLP:

        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    random.seed(seed)
    x = [2.0, 3.0, -1.0]
    n = MLP(3, [4, 4, 1])
    out = {"n_of_x": n(x).data, "parameters": len(n.parameters())}
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for k in range(20):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    out["losses"] = losses
    out["ypred"] = [y.data for y in ypred]
    return out


SCENARIOS = [
    manual_derivatives,
    numerical_slope,
    neuron_manual_backprop,
    neuron_backward,
    neuron_exp_form,
    reuse_bugs,
    more_operations,
    lecture_nn,
]
