"""micrograd.viz: draw_dot(root), the lecture's picture of a graph, drawn in Rust.

No Graphviz needed: the result shows inline in Jupyter (_repr_svg_) and saves as SVG.
"""

from micrograd._native import graph_svg

__all__ = ["draw_dot", "Graph"]


class Graph:
    """A drawn graph: `.svg` (the text), shown inline by Jupyter, written by `.save(path)`."""

    def __init__(self, svg):
        self.svg = svg

    def _repr_svg_(self):
        return self.svg

    def save(self, path):
        """Writes the SVG to `path` and returns `path`."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)
        return path

    def render(self, filename="graph", format="svg"):
        """graphviz's `render`: writes `filename.svg` and returns its name (SVG only)."""
        if format != "svg":
            raise ValueError(f"micrograd.draw_dot draws SVG only, not {format!r}")
        return self.save(f"{filename}.svg")

    def __repr__(self):
        return f"<micrograd.viz.Graph, {len(self.svg)} characters of SVG>"


def draw_dot(root, format="svg", rankdir="LR"):
    """The graph of `root` (every value it was computed from, through `_prev`), left to
    right, each value as a record `label | data | grad` and each operation (`_op`) as a
    small node, as in the lecture's `draw_dot`."""
    if format != "svg":
        raise ValueError(f"micrograd.draw_dot draws SVG only, not {format!r}")
    if rankdir != "LR":
        raise ValueError(f"micrograd.draw_dot draws left to right only (rankdir='LR'), not {rankdir!r}")
    return Graph(graph_svg(root))
