"""Memory without scopes: nodes are freed when no Value needs them, so loops keep resident
memory flat; graphs a million operations deep back-propagate."""

import gc
import math

import pytest

from micrograd import _native
from micrograd.engine import Value
from test_demo import run_demo


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / (1 << 20)


def test_demo_loop_stays_flat_over_500_steps(moons):
    from micrograd.nn import MLP
    X, y = moons
    # run_demo keeps the notebook's loop as written; a hook samples memory as it goes.
    samples = []

    class Probe(MLP):
        calls = 0

        def __call__(self, x):
            Probe.calls += 1
            if Probe.calls % 100 == 0:  # once per step (100 examples)
                samples.append((rss_mib(), _native.tape_len()))
            return super().__call__(x)

    printed, _ = run_demo(Probe, X, y, 500)
    assert len(samples) == 500
    rss_50, tape_50 = samples[49]
    rss_end, tape_end = samples[-1]
    peak_tape = max(t for _, t in samples)
    assert rss_end - rss_50 < 8, f"resident memory grew {rss_end - rss_50:.1f} MiB from step 50 to 500"
    assert peak_tape < 400_000, f"the tape reached {peak_tape} nodes"
    assert printed[-1][0] < printed[0][0]


def test_millions_of_temporary_operations_stay_flat():
    x = Value(0.5)
    before = None
    for i in range(1_500_000):  # two operations (and two leaves) each: 3 million operations
        y = x * 2.0 + 1.0
        if i == 200_000:
            before = rss_mib()
    after = rss_mib()
    assert y.data == 2.0
    assert after - before < 4, f"resident memory grew {after - before:.1f} MiB"
    assert _native.tape_len() < 300_000


def test_a_deep_chain_back_propagates():
    for depth in (200_000, 1_000_000):
        x = Value(0.5)
        y = x
        for _ in range(depth):
            y = y * 0.999999 + 1e-7
        y.backward()
        assert x.grad == pytest.approx(0.999999 ** depth, rel=1e-9)
        want = 0.5
        # y_k = a y_{k-1} + c: closed form
        a, c = 0.999999, 1e-7
        want = a**depth * 0.5 + c * (1 - a**depth) / (1 - a)
        assert y.data == pytest.approx(want, rel=1e-9)
        del x, y
    # Dropping the chain frees it.
    _native.compact_now()
    assert _native.tape_len() < 100_000


def test_a_held_value_keeps_its_graph():
    x = Value(3.0, label="x")
    y = (x * x).tanh() + x.exp()
    y.label = "y"
    for _ in range(300_000):
        _ = x + 1.0
    _native.compact_now()
    assert y.label == "y"
    assert y.data == math.tanh(9.0) + math.exp(3.0)
    y.backward()
    assert x.grad == pytest.approx(2 * 3.0 * (1 - math.tanh(9.0) ** 2) + math.exp(3.0), rel=1e-12)
    ops = {v._op for v in _all(y)}
    assert ops == {"", "*", "tanh", "exp", "+"}


def _all(root):
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(v._prev)
    return seen


def test_values_in_reference_cycles_are_freed_by_the_collector():
    gc.collect()
    _native.compact_now()
    base = _native.tape_len()
    for _ in range(200):
        box = [Value(1.0) * 2.0 for _ in range(100)]
        box.append(box)  # a cycle: only the cyclic GC frees it
        del box
    gc.collect()
    assert _native.compact_now() <= base + 10


def test_compaction_never_runs_while_the_package_holds_handles():
    """The cyclic GC may run inside an allocation of the package, and a __del__ it calls may
    compute with Values (enough to make a compaction due): what the package held meanwhile
    must not move. Collections are made as frequent as they can be."""

    class Garbage:
        def __init__(self):
            self.me = self  # a cycle: freed by the collector, which calls __del__

        def __del__(self):
            x = Value(0.25)
            for _ in range(70_000):
                _ = x * 2.0

    from micrograd import nn
    old = gc.get_threshold()
    gc.set_threshold(1)
    try:
        n = nn.Neuron(3)
        for _ in range(6):
            Garbage()
            a = Value(1.5)
            b = (a * 3 + 1).tanh() / a
            assert b.data == math.tanh(5.5) * 1.5 ** -1
            assert len(b._prev) == 2
            y = n([a, b, 2.0])
            assert math.isfinite(y.data)
            Garbage()
            assert {v._op for v in _all(y)} >= {"affine"}
    finally:
        gc.set_threshold(*old)
