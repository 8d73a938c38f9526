"""micrograd's demo.ipynb, its code unchanged (the data read from the repository's CSV of the
same points): the loss at each of the 100 steps equals Python micrograd 0.1.0's (stored in
data/reference.json) to 1e-9 relative, with our micrograd.nn and with micrograd's own nn.py
running on our Value."""

import random

import numpy as np
import pytest

from micrograd.engine import Value


def run_demo(MLP, X, y, steps):
    """demo.ipynb's cells, unchanged from `np.random.seed(1337)` on (make_moons replaced by
    the same points); returns the losses and accuracies it prints, and the model."""
    np.random.seed(1337)
    random.seed(1337)

    # initialize a model
    model = MLP(2, [16, 16, 1]) # 2-layer neural network

    # loss function
    def loss(batch_size=None):

        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p*p for p in model.parameters()))
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    printed = []
    # optimization
    for k in range(steps):

        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9*k/100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        if k % 1 == 0:
            printed.append((total_loss.data, acc))
    return printed, model


def check(printed, reference):
    want_loss = reference["demo"]["losses"]
    want_acc = reference["demo"]["accuracies"]
    for k, (loss, acc) in enumerate(printed):
        assert abs(loss - want_loss[k]) <= 1e-9 * abs(want_loss[k]), f"step {k}: {loss!r} != {want_loss[k]!r}"
        assert acc == want_acc[k], f"step {k}"


def test_demo_with_our_nn(moons, reference):
    from micrograd.nn import MLP
    X, y = moons
    model = MLP(2, [16, 16, 1])
    assert str(model).startswith("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2),")
    assert str(model).endswith("Layer of [LinearNeuron(16)]]")
    assert len(model.parameters()) == 337
    printed, model = run_demo(MLP, X, y, 100)
    check(printed, reference)
    # The first loss is the notebook's, to the digit.
    assert printed[0][0] == 0.8958441028683222
    weights = [p.data for p in model.parameters()]
    want = reference["demo"]["weights_after"]
    assert max(abs(a - b) for a, b in zip(weights, want)) < 1e-9


def test_demo_with_micrograds_own_nn(moons, reference, karpathy):
    X, y = moons
    printed, _ = run_demo(karpathy.nn.MLP, X, y, 100)
    check(printed, reference)


def test_a_neuron_is_one_node_with_micrograds_numbers(karpathy):
    """Our Neuron: w . x + b as one node and a ReLU; the same number as micrograd's
    elementwise `sum((wi*xi ...), b)` on the same weights to 1e-12."""
    from micrograd import nn
    rng = random.Random(5)
    for nin in (1, 2, 16, 100):
        random.seed(nin)
        ours = nn.Neuron(nin)
        random.seed(nin)
        theirs = karpathy.nn.Neuron(nin)
        for _ in range(5):
            x = [Value(rng.uniform(-2, 2)) for _ in range(nin)]
            a, b = ours(x), theirs(x)
            assert abs(a.data - b.data) <= 1e-12 * max(1.0, abs(b.data))
            assert a._op == b._op == "ReLU"
            (pre,) = a._prev
            assert pre._op == "affine"
            assert len(pre._prev) == 2 * nin + 1
            # Gradients agree too.
            for p in ours.parameters() + theirs.parameters() + x:
                p.grad = 0
            a.backward()
            g_ours = [p.grad for p in ours.parameters()]
            for p in x:
                p.grad = 0
            b.backward()
            g_theirs = [p.grad for p in theirs.parameters()]
            assert max(abs(u - v) for u, v in zip(g_ours, g_theirs)) <= 1e-12


def test_layer_and_mlp_like_micrograd():
    from micrograd import nn
    layer = nn.Layer(3, 1)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, Value), "a Layer of one neuron returns one Value"
    assert isinstance(nn.Layer(3, 2)([1.0, 2.0, 3.0]), list)
    assert repr(nn.Neuron(3, nonlin=False)) == "LinearNeuron(3)"
    assert repr(nn.Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    m = nn.MLP(2, [3, 1])
    assert repr(m) == "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]"
    y = m([0.5, -1.0])
    y.backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0 for p in m.parameters())
    assert nn.Module().parameters() == []


def test_neuron_input_errors():
    from micrograd import nn
    n = nn.Neuron(2)
    with pytest.raises(ValueError, match="a neuron of 2 inputs was given 3 inputs"):
        n([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="a neuron's input must be a number"):
        n([1.0, "x"])
    with pytest.raises(TypeError, match="must be a list of Values or numbers, not float"):
        n(1.0)
    n.w[0] = "w"
    with pytest.raises(TypeError, match="a neuron's weight must be a Value, not str"):
        n([1.0, 2.0])
