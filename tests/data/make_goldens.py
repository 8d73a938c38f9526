"""Reference values and gradients computed by PyTorch (float64) for small programs in the
micrograd expression language: statements `name = expr` separated by ';', the last one is the output.
Usage: make_goldens.py SEED COUNT OUT.json [--named]

The file in this directory was made with
    python tests/data/make_goldens.py 2360 300 tests/data/pytorch_goldens.json --named
(torch from PyPI, CPU, float64); see GOLDENS.md."""
import json, random, sys, torch

FUNCS = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
         "sin": torch.sin, "cos": torch.cos, "sqrt": torch.sqrt}

def evaluate(program, inputs):
    env = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in inputs.items()}
    kinks = []
    def relu(x):
        kinks.append(abs(x.item()))
        return torch.relu(x)
    scope = dict(FUNCS, relu=relu)
    scope.update(env)
    stmts = [s.strip() for s in program.split(";") if s.strip()]
    last = None
    for s in stmts:
        if "=" in s and not s.startswith("(") and s.split("=")[0].strip().isidentifier() and "==" not in s:
            name, expr = s.split("=", 1)
            val = eval(expr, {"__builtins__": {}}, scope)
            if not torch.is_tensor(val):
                val = torch.tensor(float(val), dtype=torch.float64)
            scope[name.strip()] = val
            last = val
        else:
            last = eval(s, {"__builtins__": {}}, scope)
    last.backward()
    grads = {k: (t.grad.item() if t.grad is not None else 0.0) for k, t in env.items()}
    return last.item(), grads, kinks

NAMED = [
    ("seed_neuron", "o = tanh(x1*w1 + x2*w2 + b)",
     {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870194432}),
    ("seed_neuron_exp_form", "n = x1*w1 + x2*w2 + b; e = exp(2*n); o = (e - 1) / (e + 1)",
     {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870194432}),
    ("micrograd_sanity_check", "z = 2 * x + 2 + x; q = relu(z) + z * x; h = relu(z * z); y = h + q + q * x",
     {"x": -4.0}),
    ("micrograd_more_ops",
     "c = a + b; d = a * b + b**3; c = c + c + 1; c = c + 1 + c + (-a); d = d + d * 2 + relu(b + a); "
     "d = d + 3 * d + relu(b - a); e = c - d; f = e**2; g = f / 2.0; g = g + 10.0 / f",
     {"a": -4.0, "b": 2.0}),
    ("reuse_same_node", "b = a + a", {"a": 3.0}),
    ("reuse_diamond", "d = a * b; e = a + b; f = d * e", {"a": -2.0, "b": 3.0}),
    ("unused_input", "y = 3 * x", {"x": 1.5, "unused": 7.0}),
    ("power_of_value", "y = a ** b", {"a": 1.7, "b": -0.6}),
    ("sigmoid_log", "p = sigmoid(z); l = -(t * log(p) + (1 - t) * log(1 - p))", {"z": 0.8, "t": 1.0}),
    ("unary_minus_precedence", "y = -a**2 + 2**-b", {"a": 1.5, "b": 0.5}),
    ("sin_cos_sqrt", "sin(x)*cos(x) + sqrt(x)", {"x": 0.7}),
    ("sin_squared_plus_cos_squared", "y = sin(a*b)**2 + cos(a*b)**2 + sqrt(a**2 + b**2)", {"a": -1.3, "b": 0.4}),
    ("sqrt_of_a_square", "y = sqrt(x*x + 1e-3) * tanh(x)", {"x": -2.5}),
]

TEMPLATES = [
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / ({b}**2 + 1)", "tanh({a})", "exp(tanh({a}))",
    "relu({a})", "sigmoid({a})", "log({a}**2 + 1)", "({a}**2 + 0.5)**0.5", "{a}**2", "{a}**3",
    "2.5 * {a}", "{a} - 1.5", "-{a}", "1 / ({a}**2 + 1)", "(sigmoid({a}) + 0.5) ** tanh({b})",
    "{a} * {b} + {c}", "tanh({a} * {b} + {c})", "relu({a} + {b}) * {c}",
    "sin({a})", "cos({a}) * {b}", "sqrt({a}**2 + 0.25)", "sin({a} * {b}) + cos({c})",
]

def random_program(rng):
    nin = rng.randint(1, 5)
    names = [f"x{i}" for i in range(nin)]
    inputs = {n: round(rng.uniform(-2, 2), 4) for n in names}
    if rng.random() < 0.2:
        inputs["unused"] = round(rng.uniform(-2, 2), 4)
    pool = list(names)
    stmts = []
    for i in range(rng.randint(1, 12)):
        t = rng.choice(TEMPLATES)
        args = {k: rng.choice(pool[-6:] if rng.random() < 0.7 else pool) for k in "abc"}
        name = f"t{i}" if rng.random() < 0.8 else rng.choice(pool)  # sometimes reassign a name
        stmts.append(f"{name} = " + t.format(**args))
        if name not in pool:
            pool.append(name)
        else:
            pool.remove(name); pool.append(name)
    tail = pool[-4:]
    coeffs = [round(rng.uniform(-2, 2), 2) for _ in tail]
    stmts.append("y = " + " + ".join(f"{c} * {n}" for c, n in zip(coeffs, tail)))
    return "; ".join(stmts), inputs

def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    named = "--named" in sys.argv
    cases = []
    if named:
        for name, prog, inputs in NAMED:
            v, g, _ = evaluate(prog, inputs)
            cases.append({"name": name, "program": prog, "inputs": inputs, "value": v, "grads": g})
    rng = random.Random(seed)
    while len(cases) < count + (len(NAMED) if named else 0):
        prog, inputs = random_program(rng)
        v, g, kinks = evaluate(prog, inputs)
        vals = [v] + list(g.values())
        if any(k < 1e-6 for k in kinks): continue
        if any(not (abs(x) < 1e6) for x in vals): continue
        cases.append({"name": f"random_{seed}_{len(cases)}", "program": prog, "inputs": inputs, "value": v, "grads": g})
    json.dump({"generator": "PyTorch " + torch.__version__ + " float64 autograd",
               "tolerance": {"relative": 1e-9, "absolute": 1e-12}, "cases": cases}, open(out, "w"), indent=1)
    print(len(cases), "cases written to", out)

main()
