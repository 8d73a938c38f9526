"""W1 with Python micrograd (PyPI `micrograd`, pinned by bench/compare): micrograd's demo
step on the 100 embedded moons points, timing a few steps. Prints one JSON object."""
import csv, json, random, statistics, sys, time

from micrograd.engine import Value
from micrograd.nn import MLP

steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rows = list(csv.DictReader(open(sys.argv[1])))
X = [[float(r["x0"]), float(r["x1"])] for r in rows]
y = [float(r["y"]) for r in rows]

random.seed(1337)
model = MLP(2, [16, 16, 1])  # ReLU hidden layers, linear output (micrograd's nonlin rule)
assert len(model.parameters()) == 337


def loss():
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


times, last = [], None
for k in range(steps):
    t0 = time.perf_counter()
    total = loss()
    model.zero_grad()
    total.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    times.append(time.perf_counter() - t0)
    last = total.data
print(json.dumps({"impl": "python-micrograd", "steps": steps,
                  "per_step_ms_median": 1e3 * statistics.median(times),
                  "per_step_ms_min": 1e3 * min(times), "per_step_ms_max": 1e3 * max(times),
                  "last_loss": last}))
