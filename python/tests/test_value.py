"""micrograd's and the lecture's surface of Value: _prev (identity, so trace() counts what
micrograd's does), _op names, labels, repr, numbers of every kind, micrograd's backward
semantics, and clear errors for wrong types."""

import math
import operator

import numpy as np
import pytest

import micrograd
from micrograd.engine import Value


def trace(root):
    """trace_graph.ipynb's trace()."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def programs():
    """Programs on micrograd's operations, each a function of the Value class."""
    def readme(V):
        a = V(-4.0)
        b = V(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        return g, [a, b]

    def simple(V):
        x = V(1.0)
        return (x * 2 + 1).relu(), [x]

    def numbers_on_both_sides(V):
        x = V(1.5)
        y = V(-0.5)
        return 2 - x + 3 / y - x / 4 + (y - 1) * 5 + (-x) ** 2 + 2 * x * y, [x, y]

    def reuse(V):
        a = V(3.0)
        b = a + a
        return b * b * a, [a]

    def sums(V):
        xs = [V(float(i)) for i in range(5)]
        return sum(x * x for x in xs), xs

    def neuron(V):
        w = [V(0.3), V(-0.7)]
        x = [V(1.0), V(2.0)]
        b = V(0.1)
        return sum((wi * xi for wi, xi in zip(w, x)), b).relu(), w + x + [b]

    return [readme, simple, numbers_on_both_sides, reuse, sums, neuron]


@pytest.mark.parametrize("program", programs(), ids=lambda f: f.__name__)
def test_like_python_micrograd(program, karpathy):
    """The same program on Python micrograd 0.1.0 and on ours: trace() finds as many nodes
    and edges, with the same _op names, the same data, and backward the same grads."""
    ours, our_inputs = program(Value)
    theirs, their_inputs = program(karpathy.engine.Value)
    n1, e1 = trace(ours)
    n2, e2 = trace(theirs)
    assert (len(n1), len(e1)) == (len(n2), len(e2))
    assert sorted(v._op for v in n1) == sorted(v._op for v in n2)
    assert sorted(v.data for v in n1) == pytest.approx(sorted(v.data for v in n2), rel=1e-12)
    ours.backward()
    theirs.backward()
    for a, b in zip(our_inputs, their_inputs):
        assert a.grad == pytest.approx(b.grad, rel=1e-12, abs=1e-12)
    # micrograd's second backward on the same graph pushes the interior grads down again.
    ours.backward()
    theirs.backward()
    for a, b in zip(our_inputs, their_inputs):
        assert a.grad == pytest.approx(b.grad, rel=1e-12, abs=1e-12)


def test_prev_is_a_set_of_stable_objects():
    a = Value(2.0)
    b = Value(3.0)
    c = a * b
    assert c._prev == {a, b}
    assert c._prev == c._prev
    (x,) = (a + a)._prev
    assert x is a
    d = c + 1
    (one,) = d._prev - {c}
    assert isinstance(one, Value) and one.data == 1.0 and one._op == ""
    assert d._prev == d._prev, "the number's leaf keeps its identity"
    assert id(next(iter(d._prev - {c}))) == id(one)
    assert len({id(v) for v in trace(d)[0]}) == 5  # a, b, c, the 1 and d


def test_prev_identity_survives_compaction():
    from micrograd import _native
    x = Value(1.0)
    y = (x * 2).tanh()
    before = {id(v) for v in trace(y)[0]}
    kept = list(trace(y)[0])
    for _ in range(3):
        for _ in range(50_000):
            _ = x + 1
        _native.compact_now()
    assert {id(v) for v in trace(y)[0]} == before
    assert y.data == math.tanh(2.0)
    del kept


def test_op_names():
    a = Value(2.0)
    assert a._op == ""
    assert (a + a)._op == "+"
    assert (a * 2)._op == "*"
    assert (a ** 2)._op == "**2"
    assert (a ** -1)._op == "**-1"
    assert (a ** 0.5)._op == "**0.5"
    assert (a / 2)._op == "*"
    assert (a - 1)._op == "+"
    assert (-a)._op == "*"
    assert a.relu()._op == "ReLU"
    for name in micrograd._native.FUNCTIONS:
        if name != "relu":
            assert getattr(a, name)()._op == name
    assert (a ** Value(2.0))._op == "**"
    assert (2 ** a)._op == "**"


def test_the_engine_functions_are_methods():
    assert set(micrograd._native.FUNCTIONS) == {"exp", "log", "tanh", "relu", "sigmoid", "sin", "cos", "sqrt"}
    x = Value(0.7)
    for name in micrograd._native.FUNCTIONS:
        y = getattr(x, name)()
        x.grad = 0
        y.backward()
        want = {"relu": 0.7, "sigmoid": 1 / (1 + math.exp(-0.7))}.get(name) or getattr(math, name)(0.7)
        assert y.data == pytest.approx(want, rel=1e-15)
        h = 1e-6
        slope = (getattr(Value(0.7 + h), name)().data - getattr(Value(0.7 - h), name)().data) / (2 * h)
        assert x.grad == pytest.approx(slope, rel=1e-6)


def test_data_grad_label_and_repr():
    v = Value(2, label="x")
    assert v.data == 2.0 and isinstance(v.data, float)
    assert v.grad == 0.0
    assert v.label == "x"
    assert repr(v) == "Value(data=2.0, grad=0.0)"
    v.data -= 0.5
    v.grad = 1
    v.label = "y"
    assert (v.data, v.grad, v.label) == (1.5, 1.0, "y")
    assert repr(Value(1e-7)) == "Value(data=1e-07, grad=0.0)"
    assert Value(1.0).label == ""
    w = Value(1.0, (v,), "custom")
    assert w._prev == {v} and w._op == "custom"
    w._backward()
    w.backward()
    assert w.grad == 1.0


def test_numbers_of_every_kind():
    x = Value(np.float64(1.5)) * np.int64(2)
    assert x.data == 3.0
    assert (np.int64(2) * Value(3.0)).data == 6.0
    assert isinstance(np.int64(2) * Value(3.0), Value)
    assert (Value(1.0) + True).data == 2.0
    assert (Value(1.0) + np.float32(0.5)).data == 1.5
    import fractions
    assert (Value(1.0) * fractions.Fraction(1, 4)).data == 0.25
    assert (10**20 * Value(1.0)).data == 1e20
    assert Value(np.int8(-3)).data == -3.0
    assert sum([Value(1.0), Value(2.0)]).data == 3.0
    assert (1 - Value(3.0)).data == -2.0
    assert (1 / Value(4.0)).data == 0.25
    assert (2 ** Value(3.0)).data == 8.0
    assert (Value(2.0) ** Value(3.0)).data == 8.0
    arr = np.array([1.0, 2.0]) * Value(3.0)
    assert [v.data for v in arr] == [3.0, 6.0]


def test_division_as_micrograd():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    assert (Value(1.0) / Value(0.0)).data == math.inf
    # a / b is a * b**-1, to the bit.
    a, b = Value(1.0), Value(3.0)
    assert (a / b).data == 1.0 * 3.0 ** -1


BAD = ["x", None, [1.0], (1.0,), {}, object(), 1j, b"1", Value]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: type(b).__name__)
def test_wrong_types_are_type_errors_that_name_them(bad):
    v = Value(1.0)
    name = type(bad).__name__
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow):
        with pytest.raises(TypeError, match=name):
            op(v, bad)
        with pytest.raises(TypeError, match=name):
            op(bad, v)
    with pytest.raises(TypeError, match=f"Value\\(\\) data must be a number .*not {name}"):
        Value(bad)
    with pytest.raises(TypeError, match=f"not {name}"):
        v.data = bad
    with pytest.raises(TypeError, match=f"not {name}"):
        v.grad = bad
    assert v.data == 1.0


def test_other_errors():
    with pytest.raises(TypeError, match="label must be a str, not int"):
        Value(1.0, label=3)
    with pytest.raises(TypeError, match="_children must be Values, not float"):
        Value(1.0, (1.0,))
    with pytest.raises(TypeError, match="_op must be a str, not int"):
        Value(1.0, (), 5)
    with pytest.raises(TypeError):
        Value(1.0) < Value(2.0)
    with pytest.raises(OverflowError):
        Value(1.0) * 10**400
    with pytest.raises(TypeError):
        pow(Value(2.0), 2, 3)
    v = Value(1.0)
    with pytest.raises(TypeError, match="initialized once"):
        v.__init__(2.0)
    raw = Value.__new__(Value, 1.0)
    with pytest.raises(RuntimeError, match="never initialized"):
        raw.data
    assert v == v and v != Value(1.0), "== is identity, as in micrograd"
    assert len({v, v, Value(1.0)}) == 2
