"""The scale workload with PyTorch (CPU, float64, one thread, batched tensors).

Reads the JSON that `micrograd bench scale --dump FILE` writes: the moons points, their
labels (+1/-1), the layer sizes and this project's initial weights (per neuron its weights,
then its bias). Trains the same network the same way as `micrograd train`: ReLU hidden
layers, a linear output, loss mean(relu(1 - y * score)) + l2 * sum(p^2), plain SGD with
lr * (1 - 0.9 k / steps), full batch. Each repeat starts again from the same weights.
Prints one JSON object: per-step medians, the median time of a whole run (parameters, every
step, the final loss) and the final loss on the whole data (which should agree with this
project's to about 1e-12: the same start, the sums in another order).

    python scale_torch.py DUMP.json REPEAT
"""
import json, statistics, sys, time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
spec = json.load(open(sys.argv[1]))
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
X = torch.tensor(spec["x"])
y = torch.tensor(spec["y"])
sizes, steps, lr0, alpha = spec["sizes"], spec["steps"], spec["lr"], spec["l2"]


def initial_params():
    flat, at, params = spec["weights"], 0, []
    for nin, nout in zip(sizes, sizes[1:]):
        rows = torch.tensor(flat[at:at + nout * (nin + 1)]).reshape(nout, nin + 1)
        at += nout * (nin + 1)
        params += [rows[:, :nin].clone().requires_grad_(), rows[:, nin].clone().requires_grad_()]
    assert at == len(flat)
    return params


def model(params, x):
    n = len(params) // 2
    for i in range(n):
        x = x @ params[2 * i].T + params[2 * i + 1]
        if i < n - 1:
            x = torch.relu(x)
    return x.squeeze(1)


def loss_of(params):
    return torch.relu(1 - y * model(params, X)).mean() + alpha * sum((p * p).sum() for p in params)


times, runs, final = [], [], None
for rep in range(repeat):
    run0 = time.perf_counter()
    params = initial_params()
    for k in range(steps):
        t0 = time.perf_counter()
        total = loss_of(params)
        for p in params:
            p.grad = None
        total.backward()
        lr = lr0 * (1.0 - 0.9 * k / steps)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        times.append(time.perf_counter() - t0)
    with torch.no_grad():
        final = loss_of(params).item()
    runs.append(time.perf_counter() - run0)
print(json.dumps({"impl": "pytorch", "version": torch.__version__, "points": len(spec["y"]),
                  "width": sizes[1], "steps": len(times),
                  "per_step_ms_median": 1e3 * statistics.median(times),
                  "per_step_ms_min": 1e3 * min(times),
                  # a whole run: the parameters made, every step (the first included), the
                  # final loss; as `micrograd bench scale`'s run_ms
                  "run_ms_median": 1e3 * statistics.median(runs), "loss": final}))
