"""Threads: each thread has its own graph; a Value used on another thread raises a clear
RuntimeError (never a wrong number, never a PanicException); a Value may be dropped on any
thread."""

import gc
import math
import threading

import pytest

from micrograd import _native
from micrograd.engine import Value


def on_thread(f):
    out = {}

    def run():
        try:
            out["value"] = f()
        except BaseException as e:  # a PanicException is a BaseException
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out


USES = {
    "mul": lambda v: v * 3.0,
    "rmul": lambda v: 3.0 * v,
    "add local": lambda v: v + Value(1.0),
    "data": lambda v: v.data,
    "set data": lambda v: setattr(v, "data", 1.0),
    "grad": lambda v: v.grad,
    "label": lambda v: v.label,
    "repr": repr,
    "backward": lambda v: v.backward(),
    "_backward": lambda v: v._backward(),
    "_prev": lambda v: v._prev,
    "_op": lambda v: v._op,
    "tanh": lambda v: v.tanh(),
    "pow": lambda v: v ** 2,
    "neuron": lambda v: __import__("micrograd").nn.Neuron(1)([v]),
}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_a_value_from_another_thread_raises_a_clear_error(use):
    v = Value(2.0)
    out = on_thread(lambda: use(v))
    assert "value" not in out, f"gave {out.get('value')!r}"
    err = out["error"]
    assert type(err) is RuntimeError, repr(err)
    assert "made on another thread" in str(err)
    # On its own thread it still works.
    assert (v * 3.0).data == 6.0


def test_each_thread_computes_its_own_graph():
    def work(seed):
        x = Value(seed / 10)
        y = x
        for _ in range(2000):
            y = (y * 0.5 + x).tanh()
        y.backward()
        return y.data, x.grad

    want = [work(s) for s in range(6)]
    results = [None] * 6

    def run(s):
        results[s] = work(s)

    threads = [threading.Thread(target=run, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == want


def test_values_dropped_on_another_thread():
    gc.collect()
    _native.compact_now()
    base = _native.tape_len()
    values = [Value(float(i)) * 2.0 for i in range(50_000)]
    probe = values[7]
    box = [values]
    del values

    def drop():
        box.pop()  # the last reference: 49,999 Values are deallocated on this thread

    out = on_thread(drop)
    assert "error" not in out
    # Their nodes are freed at the next compaction on their own thread.
    assert _native.compact_now() <= base + 10
    assert probe.data == 14.0
    assert {v.data for v in probe._prev} == {7.0, 2.0}


def test_values_of_a_finished_thread():
    out = on_thread(lambda: [Value(1.5) * 2.0 for _ in range(10)])
    values = out["value"]
    with pytest.raises(RuntimeError, match="made on another thread"):
        values[0].data
    del values  # dropping them here is fine too
    gc.collect()
    assert (Value(2.0) * 2.0).data == 4.0


def test_mixing_two_threads_values():
    mine = Value(1.0)
    out = on_thread(lambda: Value(2.0) + mine)
    assert type(out["error"]) is RuntimeError
    out = on_thread(lambda: mine + Value(2.0))
    assert type(out["error"]) is RuntimeError
    theirs = on_thread(lambda: Value(2.0))["value"]
    with pytest.raises(RuntimeError, match="made on another thread"):
        mine + theirs
    with pytest.raises(RuntimeError, match="made on another thread"):
        Value(1.0, (theirs,))
    assert math.isclose((mine * 3).data, 3.0)
