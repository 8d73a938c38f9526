"""micrograd.nn: Module, Neuron, Layer, MLP, as in micrograd.

Weights are drawn with Python's random.uniform(-1, 1) in micrograd's order, so
random.seed(1337) gives micrograd's (and demo.ipynb's) model. A neuron's w . x + b is one
node of the engine (its ReLU another): the same numbers as micrograd's elementwise sum,
to rounding, with two nodes per neuron instead of 2 * nin + 1.
"""

import random

from micrograd._native import neurons_forward
from micrograd.engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):

    def __init__(self, nin, nonlin=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        return neurons_forward((self,), x)[0]

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = neurons_forward(self.neurons, x)
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
