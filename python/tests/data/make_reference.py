"""Makes reference.json, the numbers the Python package's tests compare with:

- "demo": the loss and accuracy at each of the 100 steps of micrograd's demo.ipynb
  (the notebook's code, on the repository's data/moons_100_seed1337.csv, which holds the
  notebook's make_moons(n_samples=100, noise=0.1) points), run by Python micrograd 0.1.0;
- "lecture": the results of tests/lecture_code.py's programs run on the lecture's own
  pure-Python Value class, taken from the lecture's notebook.

Usage (in an environment with micrograd==0.1.0 and numpy, e.g. /work/venv-torch):

    python python/tests/data/make_reference.py LECTURE_NOTEBOOK OUT.json

LECTURE_NOTEBOOK is lectures/micrograd/micrograd_lecture_second_half_roughly.ipynb of
karpathy/nn-zero-to-hero (its code cell that starts with `class Value:` is used; the class
is not copied into this repository).
"""

import csv
import json
import math
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lecture_code  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def lecture_value_class(notebook):
    nb = json.load(open(notebook, encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and src.lstrip().startswith("class Value:"):
            scope = {"math": math}
            exec(src, scope)
            return scope["Value"]
    raise SystemExit(f"no cell defining class Value in {notebook}")


def demo_reference():
    import micrograd
    from micrograd.engine import Value
    from micrograd.nn import MLP

    assert not hasattr(micrograd, "_native"), "this must run on Python micrograd 0.1.0"
    rows = list(csv.DictReader(open(os.path.join(ROOT, "data", "moons_100_seed1337.csv"))))
    X = np.array([[float(r["x0"]), float(r["x1"])] for r in rows])
    y = np.array([int(r["y"]) for r in rows])
    np.random.seed(1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    losses, accuracies = [], []
    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(float(total_loss.data))
        accuracies.append(float(acc))
        print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%", file=sys.stderr)
    return {"losses": losses, "accuracies": accuracies,
            "weights_after": [float(p.data) for p in model.parameters()]}


def main():
    notebook, out = sys.argv[1], sys.argv[2]
    LectureValue = lecture_value_class(notebook)
    lecture = {f.__name__: f(LectureValue) for f in lecture_code.SCENARIOS}
    import micrograd
    ref = {
        "generator": f"python/tests/data/make_reference.py, Python micrograd "
                     f"{getattr(micrograd, '__version__', '0.1.0')} (PyPI), numpy {np.__version__}, "
                     f"the lecture's Value from {os.path.basename(notebook)}",
        "lecture": lecture,
        "demo": demo_reference(),
    }
    with open(out, "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
