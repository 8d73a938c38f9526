"""W1 with PyTorch (CPU, float64, one thread, batched tensors): the same MLP 2-16-16-1
(ReLU, linear output), loss = mean(relu(1 - y * score)) + 1e-4 * sum(p^2), plain SGD with
lr = 1 - 0.9 k / 100, full batch of the 100 embedded moons points. Prints one JSON object."""
import csv, json, statistics, sys, time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rows = list(csv.DictReader(open(sys.argv[1])))
X = torch.tensor([[float(r["x0"]), float(r["x1"])] for r in rows])
y = torch.tensor([float(r["y"]) for r in rows])

times, last = [], None
for rep in range(repeat):
    g = torch.Generator().manual_seed(1337 + rep)
    sizes = [2, 16, 16, 1]
    params = []
    for nin, nout in zip(sizes, sizes[1:]):
        W = (torch.rand(nout, nin, generator=g) * 2 - 1).requires_grad_()
        b = torch.zeros(nout, requires_grad=True)
        params += [W, b]

    def model(x):
        n = len(params) // 2
        for i in range(n):
            x = x @ params[2 * i].T + params[2 * i + 1]
            if i < n - 1:
                x = torch.relu(x)
        return x.squeeze(1)

    for k in range(steps):
        t0 = time.perf_counter()
        scores = model(X)
        data_loss = torch.relu(1 - y * scores).mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = None
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        times.append(time.perf_counter() - t0)
        last = total.item()
print(json.dumps({"impl": "pytorch", "version": torch.__version__, "steps": len(times),
                  "per_step_ms_median": 1e3 * statistics.median(times),
                  "per_step_ms_min": 1e3 * min(times), "per_step_ms_max": 1e3 * max(times),
                  "last_loss": last}))
