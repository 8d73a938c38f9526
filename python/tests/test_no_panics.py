"""No input makes the package raise a PanicException (or crash): random operations on
random operands, numbers of every kind and size, wrong types, values of other threads."""

import math
import random
import threading

import numpy as np

import micrograd
from micrograd import nn
from micrograd.engine import Value


def operands(rng, pool, foreign):
    choices = [
        lambda: rng.choice(pool),
        lambda: rng.uniform(-3, 3),
        lambda: rng.randint(-5, 5),
        lambda: rng.choice([0, 0.0, -0.0, math.inf, -math.inf, math.nan, 1e308, -1e-308, 10**400, True]),
        lambda: rng.choice([np.float64(2.5), np.int64(-3), np.float32(0.5), np.int8(1), np.bool_(True)]),
        lambda: rng.choice(["x", None, [1.0], (2.0,), {}, 1j, b"1", object(), np.array([1.0, 2.0])]),
        lambda: foreign,
    ]
    return rng.choice(choices)()


UNARY = ["relu", "tanh", "exp", "log", "sigmoid", "sin", "cos", "sqrt", "__neg__", "backward",
         "_backward", "_prev", "_op", "data", "grad", "label", "__repr__"]
BINARY = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
          "__rtruediv__", "__pow__", "__rpow__"]


def test_random_operations_raise_only_exceptions():
    rng = random.Random(2024)
    foreign = []
    t = threading.Thread(target=lambda: foreign.append(Value(1.0)))
    t.start()
    t.join()
    foreign = foreign[0]
    pool = [Value(rng.uniform(-2, 2)) for _ in range(5)]
    outcomes = {"ok": 0, "error": 0}
    for step in range(20_000):
        v = rng.choice(pool)
        try:
            kind = rng.random()
            if kind < 0.45:
                out = getattr(v, rng.choice(BINARY))(operands(rng, pool, foreign))
            elif kind < 0.75:
                name = rng.choice(UNARY)
                out = getattr(v, name)
                if callable(out):
                    out = out()
            elif kind < 0.85:
                setattr(v, rng.choice(["data", "grad", "label"]), operands(rng, pool, foreign))
                out = None
            elif kind < 0.95:
                out = Value(operands(rng, pool, foreign), rng.choice([(), (v,), (1.0,), "ab", None]),
                            rng.choice(["", "op", 3]), label=rng.choice(["", "l", 4]))
            else:
                neuron = nn.Neuron(rng.randint(0, 3), nonlin=rng.random() < 0.5)
                x = [operands(rng, pool, foreign) for _ in range(rng.randint(0, 3))]
                out = neuron(x)
            outcomes["ok"] += 1
        except Exception:
            outcomes["error"] += 1
            continue
        if isinstance(out, Value) and rng.random() < 0.5:
            pool[rng.randrange(len(pool))] = out
        if step % 5000 == 0:
            micrograd._native.compact_now()
    assert outcomes["ok"] > 5000 and outcomes["error"] > 2000, outcomes


def test_non_finite_numbers_flow_like_floats():
    assert math.isnan(Value(-1.0).log().data)
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).sqrt().data)
    assert (Value(1e308) * 10).data == math.inf
    assert math.isnan(Value(math.nan).relu().data)
    y = Value(math.inf).tanh()
    y.backward()
    assert y.data == 1.0
