"""The Python rows of bench/compare: micrograd's demo step (W1) and per-operation costs, on
one of the Python engines. Prints one JSON object per row.

  python_package.py demo ENGINE DATA STEPS REPEAT [MICROGRAD_WHEEL]
  python_package.py ops ENGINE

ENGINE:
  micrograd-rs          this repository's package (`import micrograd`, micrograd.nn)
  micrograd-rs+nn.py    its Value with Python micrograd 0.1.0's own nn.py, unchanged (read
                        from MICROGRAD_WHEEL, the 0.1.0 wheel)
  micrograd             Python micrograd 0.1.0 (its own venv: the two share `import micrograd`)
  micrograd-rust        the PyO3 port on PyPI (micrograd-rust 0.1.0, `import micrograd_rust`),
                        its Value under micrograd 0.1.0's nn.py (from MICROGRAD_WHEEL)

The demo step is demo.ipynb's (the notebook's loss and update, full batch of the 100 points in
DATA); the timings are wall-clock medians of all steps (time.perf_counter).
"""

import csv
import json
import os
import random
import statistics
import sys
import time
import types
import zipfile


def engine(name, wheel=None):
    """(Value, MLP, version) of an engine."""
    if name == "micrograd-rust":
        # As a drop-in would be used: micrograd 0.1.0's nn.py, its `from micrograd.engine
        # import Value` answered by the port's Value.
        import micrograd_rust as m
        from importlib.metadata import version
        shim = types.ModuleType("micrograd.engine")
        shim.Value = m.Value
        sys.modules["micrograd"] = types.ModuleType("micrograd")
        sys.modules["micrograd.engine"] = shim
        return m.Value, nn_from_wheel(wheel).MLP if wheel else m.MLP, version("micrograd-rust")
    import micrograd
    from micrograd.engine import Value
    if name == "micrograd":
        assert not hasattr(micrograd, "_native"), "this venv has micrograd-rs, not micrograd 0.1.0"
        from micrograd.nn import MLP
        return Value, MLP, "0.1.0"
    assert hasattr(micrograd, "_native"), "this venv has no micrograd-rs"
    if name == "micrograd-rs":
        from micrograd.nn import MLP
        return Value, MLP, micrograd.__version__
    if name == "micrograd-rs+nn.py":
        return Value, nn_from_wheel(wheel).MLP, micrograd.__version__
    raise SystemExit(f"unknown engine {name}")


def nn_from_wheel(wheel):
    """Python micrograd 0.1.0's nn.py, unchanged, read from its wheel."""
    with zipfile.ZipFile(wheel) as whl:
        src = whl.read("micrograd/nn.py").decode()
    nn = types.ModuleType("micrograd_0_1_0_nn")
    exec(compile(src, "micrograd-0.1.0/nn.py", "exec"), nn.__dict__)
    return nn


IMPL = {
    "micrograd-rs": "this project's Python package, its micrograd.nn",
    "micrograd-rs+nn.py": "this project's Python package, micrograd 0.1.0's nn.py",
    "micrograd": "python-micrograd",
    "micrograd-rust": "micrograd-rust (PyPI's PyO3 port), micrograd 0.1.0's nn.py",
}
OPS_IMPL = {
    "micrograd-rs": "this project's Python package",
    "micrograd": "python-micrograd",
    "micrograd-rust": "micrograd-rust (PyPI's PyO3 port)",
}


def demo(name, data, steps, repeat, wheel=None):
    # numpy is here for demo.ipynb's arrays only: its BLAS threads (unused) would otherwise
    # wait spinning on the other core while the step runs.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    Value, MLP, version = engine(name, wheel)
    rows = list(csv.DictReader(open(data)))
    X = np.array([[float(r["x0"]), float(r["x1"])] for r in rows])
    y = np.array([int(r["y"]) for r in rows])
    times, last = [], None
    for _ in range(repeat):
        random.seed(1337)
        model = MLP(2, [16, 16, 1])

        # demo.ipynb's loss (full batch) and update
        def loss():
            inputs = [list(map(Value, xrow)) for xrow in X]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            alpha = 1e-4
            reg_loss = alpha * sum((p * p for p in model.parameters()))
            return data_loss + reg_loss

        for k in range(steps):
            t0 = time.perf_counter()
            total_loss = loss()
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad
            times.append(time.perf_counter() - t0)
            last = float(total_loss.data)
    row = {"impl": IMPL[name], "version": version, "steps": len(times),
            "per_step_ms_median": 1e3 * statistics.median(times),
            "per_step_ms_min": 1e3 * min(times), "per_step_ms_max": 1e3 * max(times),
            "last_loss": last}
    if name.startswith("micrograd-rs"):
        del row["version"]
    return row


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / (1 << 20)


def ops(name):
    Value, _, version = engine(name)
    a, b, c = Value(1.5), Value(2.0), Value(0.5)

    def per_iter(f, n):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            f(n)
            best = min(best, time.perf_counter() - t0)
        return 1e9 * best / n

    def abc(n):
        for _ in range(n):
            a * b + c

    def tanh(n):
        for _ in range(n):
            a.tanh()

    n = 20_000 if name == "micrograd" else 300_000
    row = {"impl": OPS_IMPL[name], "version": version, "a*b+c_ns": per_iter(abc, n)}
    if name.startswith("micrograd-rs"):
        del row["version"]
    row["tanh_ns"] = per_iter(tanh, n) if hasattr(a, "tanh") else None
    before = rss_mib()
    for _ in range(1_000_000):
        a * b + c
    row["rss_growth_mib_1m_temporaries"] = rss_mib() - before
    return row


def main():
    mode, name = sys.argv[1], sys.argv[2]
    try:
        if mode == "demo":
            row = demo(name, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                       sys.argv[6] if len(sys.argv) > 6 else None)
        else:
            row = ops(name)
    except Exception as e:  # an engine that cannot run the workload gets a row saying why
        impl = (IMPL if mode == "demo" else OPS_IMPL).get(name, name)
        row = {"impl": impl, "error": f"cannot run it: {type(e).__name__}: {e}"}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
