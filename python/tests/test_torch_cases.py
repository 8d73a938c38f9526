"""micrograd's test/test_engine.py, its micrograd half unchanged, against the numbers PyTorch
computed for the same programs (stored in the repository's tests/data/pytorch_goldens.json,
so no torch is needed here)."""

import pytest

from micrograd.engine import Value


@pytest.fixture(scope="module")
def torch_numbers(goldens):
    return {c["name"]: c for c in goldens["cases"]}


def test_sanity_check(torch_numbers):
    ref = torch_numbers["micrograd_sanity_check"]
    assert ref["inputs"] == {"x": -4.0}

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    # forward pass went well
    assert ymg.data == ref["value"]
    # backward pass went well
    assert xmg.grad == ref["grads"]["x"]


def test_more_ops(torch_numbers):
    ref = torch_numbers["micrograd_more_ops"]
    assert ref["inputs"] == {"a": -4.0, "b": 2.0}

    a = Value(-4.0)
    b = Value(2.0)
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
    g.backward()
    amg, bmg, gmg = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - ref["value"]) < tol
    # backward pass went well
    assert abs(amg.grad - ref["grads"]["a"]) < tol
    assert abs(bmg.grad - ref["grads"]["b"]) < tol
    # and much closer than that
    assert abs(gmg.data - ref["value"]) < 1e-12 * abs(ref["value"])
    assert abs(amg.grad - ref["grads"]["a"]) < 1e-12 * abs(ref["grads"]["a"])
    assert abs(bmg.grad - ref["grads"]["b"]) < 1e-12 * abs(ref["grads"]["b"])
