"""The lecture's code (lecture_code.py) on our Value prints the same numbers as on the
lecture's own pure-Python Value (stored in data/reference.json)."""

import pytest

import lecture_code
from conftest import close
from micrograd.engine import Value


def compare(got, want, path):
    if isinstance(want, dict):
        assert set(got) == set(want), path
        for k in want:
            compare(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            compare(g, w, f"{path}[{i}]")
    elif isinstance(want, str):
        assert got == want, path
    else:
        # The lecture's tanh is (e^2x - 1) / (e^2x + 1); the engine's differs in the last bit.
        assert close(got, want, rel=1e-12, abs_=1e-15), f"{path}: {got!r} != {want!r}"


@pytest.mark.parametrize("scenario", lecture_code.SCENARIOS, ids=lambda f: f.__name__)
def test_lecture_scenario(scenario, reference):
    compare(scenario(Value), reference["lecture"][scenario.__name__], scenario.__name__)


def test_manual_backprop_matches_backward_exactly():
    """Calling each node's _backward() by hand, in reverse order, gives backward()'s grads."""
    manual = lecture_code.neuron_manual_backprop(Value)["manual_grads"]
    fresh = lecture_code.neuron_backward(Value)["grads"]
    # x1, x2, w1, w2, b, then n and o.
    assert manual[:5] == fresh[:5]
    assert manual[8:] == fresh[5:]
    assert abs(manual[0] - (-1.5)) < 1e-12
