"""draw_dot: the lecture's picture of a graph as SVG, drawn in Rust (no Graphviz)."""

import re

import pytest

import micrograd
from micrograd import draw_dot
from micrograd.engine import Value


def lecture_neuron():
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1 * w1; x1w1.label = 'x1*w1'
    x2w2 = x2 * w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    o = n.tanh(); o.label = 'o'
    o.backward()
    return o


def test_the_lecture_neuron(tmp_path):
    g = draw_dot(lecture_neuron())
    svg = g._repr_svg_()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for text in ("x1*w1 + x2*w2", "data 0.7071", "grad -1.5000", "grad 0.5000", ">tanh<", ">+<", ">*<"):
        assert text.replace("*", "&#42;") in svg or text in svg, text
    # 10 values and 5 operations, as micrograd's trace finds them.
    assert svg.count(">data ") == 10
    assert svg.count("<ellipse") == 5
    path = g.save(str(tmp_path / "neuron.svg"))
    assert open(path).read() == svg
    assert g.render(str(tmp_path / "again")).endswith("again.svg")


def test_numbers_show_as_leaves_and_ops_by_micrograds_names():
    x = Value(1.0, label="x")
    y = (x * 2 + 1).relu()
    y.backward()
    svg = draw_dot(y).svg
    assert ">ReLU<" in svg
    assert "data 2.0000" in svg and "data 1.0000" in svg


def test_a_value_with_explicit_children():
    a = Value(1.0, label="a")
    c = Value(5.0, (a,), "custom", label="c")
    svg = draw_dot(c).svg
    assert ">custom<" in svg and ">a<" in svg


def test_errors():
    x = Value(1.0)
    y = x
    for _ in range(2000):
        y = y + x
    with pytest.raises(ValueError, match="micrograd.draw_dot: the graph has"):
        draw_dot(y)
    with pytest.raises(ValueError, match="SVG only"):
        draw_dot(x, format="png")
    with pytest.raises(ValueError, match="left to right"):
        draw_dot(x, rankdir="TB")
    with pytest.raises(TypeError):
        draw_dot(1.0)
    assert micrograd.draw_dot is draw_dot
