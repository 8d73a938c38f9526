"""micrograd, on a Rust engine: Karpathy's micrograd, drop-in.

    from micrograd.engine import Value
    from micrograd.nn import Neuron, Layer, MLP
    from micrograd import draw_dot

Each operation is recorded as micrograd records it (so `_prev`, `_op`, `trace()` and the
numbers are micrograd's), on a tape in Rust; nodes are freed when no Value needs them.
This is the package `micrograd-rs`; Karpathy's own is `micrograd` on PyPI (the two
collide: install one of them per environment).
"""

from micrograd.engine import Value
from micrograd.viz import Graph, draw_dot

__all__ = ["Value", "draw_dot", "Graph"]
__version__ = "0.1.0"
