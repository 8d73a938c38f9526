"""Every program of the repository's tests/data/pytorch_goldens.json, run in Python on
micrograd Values, against PyTorch's value and gradients."""

import math

import pytest

from micrograd.engine import Value


def _fn(name):
    def f(x):
        if isinstance(x, Value):
            return getattr(x, name)()
        return {"relu": lambda v: max(v, 0.0), "sigmoid": lambda v: 1 / (1 + math.exp(-v))}.get(
            name, getattr(math, name, None))(x)
    return f


FUNCTIONS = {name: _fn(name) for name in ("exp", "log", "tanh", "relu", "sigmoid", "sin", "cos", "sqrt")}


def run(program, inputs):
    """Runs `program` (statements `name = expr` separated by ';', the last one the output) as
    the goldens' generator does, with Values for inputs."""
    env = {k: Value(v, label=k) for k, v in inputs.items()}
    scope = dict(FUNCTIONS)
    scope.update(env)
    last = None
    for s in (s.strip() for s in program.split(";")):
        if not s:
            continue
        if "=" in s and not s.startswith("(") and s.split("=")[0].strip().isidentifier() and "==" not in s:
            name, expr = s.split("=", 1)
            last = eval(expr, {"__builtins__": {}}, scope)
            scope[name.strip()] = last
        else:
            last = eval(s, {"__builtins__": {}}, scope)
    last.backward()
    return last, env


def test_every_golden_program(goldens):
    tol = goldens["tolerance"]
    assert len(goldens["cases"]) >= 300
    failures = []
    for case in goldens["cases"]:
        out, env = run(case["program"], case["inputs"])
        checks = [("value", out.data, case["value"])]
        checks += [(f"d/d{k}", env[k].grad, g) for k, g in case["grads"].items()]
        for what, got, want in checks:
            if not abs(got - want) <= tol["absolute"] + tol["relative"] * abs(want):
                failures.append(f"{case['name']}: {what} {got!r} != {want!r}")
    assert not failures, "\n".join(failures[:20])


def test_the_named_cases_are_there(goldens):
    names = {c["name"] for c in goldens["cases"]}
    for name in ("seed_neuron", "micrograd_sanity_check", "micrograd_more_ops", "reuse_same_node",
                 "power_of_value", "unary_minus_precedence"):
        assert name in names
