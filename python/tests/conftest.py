"""Shared fixtures of the Python package's tests (run with `pytest python/tests` against an
installed package: `pip install ./python`)."""

import glob
import importlib.util
import json
import os
import subprocess
import sys
import types
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)


def pytest_report_header(config):
    import micrograd
    return f"micrograd (micrograd-rs) from {os.path.dirname(micrograd.__file__)}"


@pytest.fixture(scope="session", autouse=True)
def installed_package():
    """The tests are about the installed package, not the source tree's (which has no
    native module)."""
    import micrograd
    assert hasattr(micrograd, "_native"), (
        f"imported {micrograd.__file__}, which is not micrograd-rs: install it with "
        "`pip install ./python` and run pytest from outside python/")


@pytest.fixture(scope="session")
def reference():
    """tests/data/reference.json (see make_reference.py there)."""
    with open(os.path.join(HERE, "data", "reference.json")) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def goldens():
    """The repository's PyTorch goldens (tests/data/pytorch_goldens.json)."""
    with open(os.path.join(ROOT, "tests", "data", "pytorch_goldens.json")) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def moons():
    """micrograd's demo data (data/moons_100_seed1337.csv) as demo.ipynb has it: X an
    (100, 2) float array, y an int array of -1 and 1."""
    import csv
    import numpy as np
    rows = list(csv.DictReader(open(os.path.join(ROOT, "data", "moons_100_seed1337.csv"))))
    X = np.array([[float(r["x0"]), float(r["x1"])] for r in rows])
    y = np.array([int(r["y"]) for r in rows])
    return X, y


def _micrograd_wheel():
    """Python micrograd 0.1.0's wheel: $MICROGRAD_010_WHEEL, or downloaded once (pip, PyPI)
    into python/target/reference/."""
    path = os.environ.get("MICROGRAD_010_WHEEL")
    if path:
        return path
    cache = os.path.join(ROOT, "python", "target", "reference")
    found = glob.glob(os.path.join(cache, "micrograd-0.1.0-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "micrograd==0.1.0", "-d", cache], check=True)
        found = glob.glob(os.path.join(cache, "micrograd-0.1.0-*.whl"))
    return found[0]


def _module_from_source(name, source, filename):
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


@pytest.fixture(scope="session")
def karpathy():
    """Python micrograd 0.1.0's own files, unchanged, from its wheel: `engine` (its pure-Python
    Value, for live comparisons) and `nn` (its nn.py, whose `from micrograd.engine import
    Value` imports *our* Value)."""
    with zipfile.ZipFile(_micrograd_wheel()) as whl:
        engine_src = whl.read("micrograd/engine.py").decode()
        nn_src = whl.read("micrograd/nn.py").decode()
    engine = _module_from_source("micrograd_0_1_0_engine", engine_src, "micrograd-0.1.0/engine.py")
    nn = _module_from_source("micrograd_0_1_0_nn", nn_src, "micrograd-0.1.0/nn.py")
    return types.SimpleNamespace(engine=engine, nn=nn)


def close(got, want, rel=1e-12, abs_=1e-12):
    return abs(got - want) <= abs_ + rel * abs(want)
