"""micrograd.engine: `Value`, a scalar that remembers how it was computed.

Value(data, _children=(), _op='', label='') with data, grad, label, _prev, _op, _backward(),
backward(), + - * / ** (numbers on either side), -x, relu, tanh, exp, log, sigmoid, sin,
cos, sqrt; repr Value(data=..., grad=...). See help(Value).
"""

from micrograd._native import Value

__all__ = ["Value"]
