//! The computation graph laid out left to right by `layout-rs` and drawn as SVG.
//!
//! `layout-rs` ranks the nodes, splits long edges, reduces crossings and places the boxes in
//! pure Rust (it is the layout half of a Graphviz `dot` clone). This module builds its graph
//! directly (records and ellipses, no DOT text in between, so labels need no escaping), lets
//! it place and route everything, and receives the drawing calls through its
//! [`RenderBackend`] trait to write its own SVG: a monospace font whose width matches the box
//! sizes, soft fills, and arrowheads that every viewer draws.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, RecordDef, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::graph::GraphModel;
use super::svg::{escape, num};
use super::{VizError, write_text};
use crate::engine::Value;

/// Font size of the text in the boxes, in pixels.
const FONT_PX: f64 = 13.0;
/// Advance of one character of the monospace font at [`FONT_PX`] (0.6 em, as DejaVu Sans
/// Mono, Menlo, Consolas and Courier all have).
const CHAR_PX: f64 = FONT_PX * 0.61;
/// Horizontal padding of a record field / an operation node, in pixels.
const FIELD_PAD: f64 = 16.0;
/// The font size that makes layout-rs split record widths like [`text_width`] (see `build`).
const RECORD_SPLIT_FONT: usize = (10.0 * CHAR_PX / FIELD_PAD + 0.5) as usize;
/// Height of a record.
const RECORD_H: f64 = 30.0;
/// Largest graph drawn as SVG. layout-rs's time grows about as the cube of the graph's size
/// (measured on MLP graphs, release build: 439 values 0.3 s and 1753 values 20 s without
/// crossing reduction), so beyond this the DOT file (for Graphviz) is the way.
pub const MAX_SVG_VALUES: usize = 1000;
/// Largest graph whose layout also reduces edge crossings (439 values took 5.4 s with it).
pub const OPTIMIZE_MAX_VALUES: usize = 250;

const LEAF_FILL: u32 = 0xe8f1fbff;
const VALUE_FILL: u32 = 0xffffffff;
const ROOT_FILL: u32 = 0xfde9d9ff;
const OP_FILL: u32 = 0xfff7d6ff;

/// What a laid-out box shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A value's record (index into [`GraphModel::values`]).
    Value(usize),
    /// An operation node (index into [`GraphModel::ops`]).
    Op(usize),
}

/// A placed box of the graph picture, in SVG user units (pixels); `x`, `y` is the top left.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    /// What the box shows.
    pub kind: NodeKind,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl NodeBox {
    /// Whether the two boxes share any interior point (touching edges do not count).
    pub fn overlaps(&self, other: &NodeBox) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

/// The graph picture: the model, where each box went, and the SVG.
#[derive(Clone, Debug)]
pub struct GraphLayout {
    /// The graph that was drawn.
    pub model: GraphModel,
    /// One box per value record and per operation node, in the picture's coordinates.
    pub boxes: Vec<NodeBox>,
    /// The picture.
    pub svg: String,
    /// Width and height of the picture.
    pub size: (f64, f64),
}

/// layout-rs's crossing reduction runs over the drawn nodes plus one virtual node per rank
/// that an edge skips; past this many, it is skipped (it grows much faster than linearly:
/// `x + x + ... + x` with 40 terms took 3.8 s with it, milliseconds without).
const OPTIMIZE_MAX_NODES: usize = 600;

/// Past this many virtual nodes even the plain layout takes seconds (`x + x + ... + x` with
/// 100 terms: ~10,000 and 1 s; 200 terms: ~40,000 and 15 s), so the SVG is refused.
pub const MAX_LONG_EDGE_COST: usize = 12_000;

/// The number of virtual nodes layout-rs adds for edges that skip ranks: for each edge, the
/// ranks between its ends (a leaf is at rank 0, an operation one rank after its latest operand,
/// a value one rank after its operation).
fn long_edge_cost(model: &GraphModel) -> usize {
    let mut value_rank = vec![0usize; model.values.len()];
    let mut cost = 0;
    // `ops` are in the order of their results, which follow their operands.
    for o in &model.ops {
        let op_rank = o.inputs.iter().map(|&i| value_rank[i]).max().unwrap_or(0) + 1;
        cost += o
            .inputs
            .iter()
            .map(|&i| op_rank - value_rank[i] - 1)
            .sum::<usize>();
        value_rank[o.result] = op_rank + 1;
    }
    cost
}

/// Lays out and draws the graph of `root`.
///
/// Graphs of up to [`OPTIMIZE_MAX_VALUES`] values get layout-rs's rank and edge-crossing
/// optimizations; larger ones (up to [`MAX_SVG_VALUES`]) are placed without them, which is
/// much faster and still free of overlaps, but has more crossing edges.
///
/// Errors if the graph has more than [`MAX_SVG_VALUES`] values, or if the layout engine
/// fails on it (it is a third-party crate; its failure is reported, not propagated as a
/// panic).
pub fn graph_layout(root: Value) -> Result<GraphLayout, VizError> {
    layout_model(GraphModel::of(root))
}

/// [`graph_layout`] for a graph already read (from the tape by [`GraphModel::of`], or
/// built by a caller, as the Python package does from micrograd's view of a graph).
///
/// Errors as [`graph_layout`].
pub fn layout_model(model: GraphModel) -> Result<GraphLayout, VizError> {
    if model.values.len() > MAX_SVG_VALUES {
        return Err(VizError::new(format!(
            "the graph has {} values, more than the {} that the SVG drawing lays out; \
             write it with --dot and render it with Graphviz instead",
            model.values.len(),
            MAX_SVG_VALUES
        )));
    }
    let long_edges = long_edge_cost(&model);
    if long_edges > MAX_LONG_EDGE_COST {
        return Err(VizError::new(format!(
            "the graph has values used by operations far apart ({long_edges} ranks skipped by \
             its edges, more than the {MAX_LONG_EDGE_COST} that the SVG drawing lays out in \
             reasonable time); write it with --dot and render it with Graphviz instead"
        )));
    }
    let optimize = model.values.len() <= OPTIMIZE_MAX_VALUES
        && model.values.len() + model.ops.len() + long_edges <= OPTIMIZE_MAX_NODES;
    let (mut vg, handles) = build(&model);
    let mut canvas = Canvas::default();
    // layout-rs asserts its invariants; keep one of its panics from ending the program.
    // Its default panic message still reaches stderr, which is fine for a failure this rare.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        vg.do_it(false, !optimize, false, &mut canvas);
        handles
            .iter()
            .map(|&(kind, h)| {
                let (tl, br) = vg.pos(h).bbox(false);
                (kind, tl, br)
            })
            .collect::<Vec<_>>()
    }));
    let placed = outcome.map_err(|_| {
        VizError::new(format!(
            "the graph layout failed on a graph of {} values (layout-rs); write it with \
             --dot and render it with Graphviz instead",
            model.values.len()
        ))
    })?;
    let (svg, origin, size) = canvas.finish();
    let boxes = placed
        .into_iter()
        .map(|(kind, tl, br)| NodeBox {
            kind,
            x: tl.x - origin.0,
            y: tl.y - origin.1,
            w: br.x - tl.x,
            h: br.y - tl.y,
        })
        .collect();
    Ok(GraphLayout {
        model,
        boxes,
        svg,
        size,
    })
}

/// The graph of `root` as a standalone SVG picture, laid out left to right in pure Rust:
/// records `label | data | grad` (leaves light blue, the root light orange) and operation
/// ellipses between operands and results, like the lecture's `draw_dot`.
///
/// Errors as [`graph_layout`].
pub fn to_svg(root: Value) -> Result<String, VizError> {
    Ok(graph_layout(root)?.svg)
}

/// Writes [`to_svg`] of `root` to `path`.
pub fn write_svg(path: &Path, root: Value) -> Result<(), VizError> {
    let svg = to_svg(root).map_err(|e| VizError::new(format!("{}: {e}", path.display())))?;
    write_text(path, "the SVG graph", &svg)
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_PX + FIELD_PAD
}

/// Builds the layout-rs graph: one record per value, one ellipse per operation, edges
/// operand → operation → result (a repeated operand is drawn once).
fn build(model: &GraphModel) -> (VisualGraph, Vec<(NodeKind, layout::adt::dag::NodeHandle)>) {
    // layout-rs draws a left-to-right graph by laying it out top to bottom and transposing;
    // shapes are created in the flipped orientation, as its own DOT front end does.
    let dir = Orientation::LeftToRight;
    let shape_dir = dir.flip();
    let font = FONT_PX as usize;
    let mut vg = VisualGraph::new(dir);
    let mut handles = Vec::with_capacity(model.values.len() + model.ops.len());
    let root = model.values.len().saturating_sub(1);
    let mut is_leaf = vec![true; model.values.len()];
    for o in &model.ops {
        is_leaf[o.result] = false;
    }
    let mut value_h = Vec::with_capacity(model.values.len());
    for (i, v) in model.values.iter().enumerate() {
        let fields = v.fields();
        let width: f64 = fields.iter().map(|f| text_width(f)).sum();
        let rec = RecordDef::Array(vec![RecordDef::Array(
            fields.iter().map(|f| RecordDef::new_text(f)).collect(),
        )]);
        let fill = if i == root {
            ROOT_FILL
        } else if is_leaf[i] {
            LEAF_FILL
        } else {
            VALUE_FILL
        };
        // layout-rs splits a record's width among its fields in proportion to
        // `chars * font_size + 10`; with font size [`RECORD_SPLIT_FONT`] that is proportional
        // to our field widths `chars * CHAR_PX + FIELD_PAD`, so each text gets the same padding.
        let look = StyleAttr::new(
            Color::new(0x444444ff),
            1,
            Some(Color::new(fill)),
            0,
            RECORD_SPLIT_FONT,
        );
        // (width, height) in the picture; layout-rs transposes it while it places nodes.
        let size = Point::new(width, RECORD_H);
        let el = Element::create(ShapeKind::Record(rec), look, shape_dir, size);
        let h = vg.add_node(el);
        value_h.push(h);
        handles.push((NodeKind::Value(i), h));
    }
    for (k, o) in model.ops.iter().enumerate() {
        let look = StyleAttr::new(
            Color::new(0x444444ff),
            1,
            Some(Color::new(OP_FILL)),
            0,
            font,
        );
        let w = text_width(&o.text).max(RECORD_H + 6.0) + 4.0;
        let el = Element::create(
            ShapeKind::Circle(o.text.clone()),
            look,
            shape_dir,
            Point::new(w, RECORD_H),
        );
        let h = vg.add_node(el);
        handles.push((NodeKind::Op(k), h));
        let mut seen = Vec::with_capacity(o.inputs.len());
        for &i in &o.inputs {
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            vg.add_edge(edge(), value_h[i], h);
        }
        vg.add_edge(edge(), h, value_h[o.result]);
    }
    (vg, handles)
}

fn edge() -> Arrow {
    let mut a = Arrow::simple("");
    a.look = StyleAttr::new(Color::new(0x555555ff), 1, None, 0, FONT_PX as usize);
    a
}

/// One drawing call received from layout-rs.
enum Item {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<String>,
    },
    Ellipse {
        cx: f64,
        cy: f64,
        rx: f64,
        ry: f64,
        fill: Option<String>,
    },
    Text {
        x: f64,
        y: f64,
        text: String,
    },
    /// A line segment.
    Line(f64, f64, f64, f64),
    /// layout-rs's edge curve: `M p0 C p1, p2, p3 S p4 p5 S ...` as a list of points.
    Curve(Vec<(f64, f64)>),
}

/// A [`RenderBackend`] that remembers the drawing calls and their extent.
struct Canvas {
    items: Vec<Item>,
    min: (f64, f64),
    max: (f64, f64),
}

impl Default for Canvas {
    fn default() -> Self {
        Canvas {
            items: Vec::new(),
            min: (f64::INFINITY, f64::INFINITY),
            max: (f64::NEG_INFINITY, f64::NEG_INFINITY),
        }
    }
}

fn fill_of(look: &StyleAttr) -> Option<String> {
    look.fill_color.map(|c| c.to_web_color()[..7].to_string())
}

impl Canvas {
    fn grow(&mut self, x: f64, y: f64) {
        if x.is_finite() && y.is_finite() {
            self.min = (self.min.0.min(x), self.min.1.min(y));
            self.max = (self.max.0.max(x), self.max.1.max(y));
        }
    }

    /// The SVG, the origin subtracted from layout coordinates, and the picture's size.
    fn finish(self) -> (String, (f64, f64), (f64, f64)) {
        const MARGIN: f64 = 12.0;
        let (min, max) = if self.min.0.is_finite() {
            (self.min, self.max)
        } else {
            ((0.0, 0.0), (0.0, 0.0))
        };
        let origin = (min.0 - MARGIN, min.1 - MARGIN);
        let w = (max.0 - min.0 + 2.0 * MARGIN).ceil();
        let h = (max.1 - min.1 + 2.0 * MARGIN).ceil();
        let (ox, oy) = origin;
        let mut s = String::with_capacity(256 + self.items.len() * 120);
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\">\n\
             <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555555\"/></marker></defs>\n\
             <style>text{{font-family:'DejaVu Sans Mono',Menlo,Consolas,'Liberation Mono',\
             'Courier New',monospace;font-size:{}px;fill:#111111}}</style>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
            FONT_PX
        );
        // Edges first, so that an edge passing behind a box does not cross its text.
        for it in &self.items {
            let (d, head) = match it {
                Item::Line(x1, y1, x2, y2) => (
                    format!(
                        "M {} {} L {} {}",
                        num(x1 - ox),
                        num(y1 - oy),
                        num(x2 - ox),
                        num(y2 - oy)
                    ),
                    "",
                ),
                Item::Curve(pts) => (curve_data(pts, origin), " marker-end=\"url(#arrow)\""),
                _ => continue,
            };
            let _ = writeln!(
                s,
                "<path d=\"{d}\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1.2\"{head}/>"
            );
        }
        for it in &self.items {
            match it {
                Item::Rect { x, y, w, h, fill } => {
                    let _ = writeln!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" \
                         stroke=\"#444444\" stroke-width=\"1\"/>",
                        num(x - ox),
                        num(y - oy),
                        num(*w),
                        num(*h),
                        fill.as_deref().unwrap_or("none")
                    );
                }
                Item::Ellipse {
                    cx,
                    cy,
                    rx,
                    ry,
                    fill,
                } => {
                    let _ = writeln!(
                        s,
                        "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" fill=\"{}\" \
                         stroke=\"#444444\" stroke-width=\"1\"/>",
                        num(cx - ox),
                        num(cy - oy),
                        num(*rx),
                        num(*ry),
                        fill.as_deref().unwrap_or("none")
                    );
                }
                Item::Text { x, y, text } => {
                    // Centre the text vertically by its x-height rather than relying on
                    // dominant-baseline, which some renderers ignore.
                    let _ = writeln!(
                        s,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                        num(x - ox),
                        num(y - oy + FONT_PX * 0.35),
                        escape(text)
                    );
                }
                Item::Line(..) | Item::Curve(_) => {}
            }
        }
        s.push_str("</svg>\n");
        (s, origin, (w, h))
    }
}

impl RenderBackend for Canvas {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        _properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        self.grow(xy.x, xy.y);
        self.grow(xy.x + size.x, xy.y + size.y);
        self.items.push(Item::Rect {
            x: xy.x,
            y: xy.y,
            w: size.x,
            h: size.y,
            fill: fill_of(look),
        });
    }

    fn draw_line(
        &mut self,
        start: Point,
        stop: Point,
        _look: &StyleAttr,
        _properties: Option<String>,
    ) {
        self.grow(start.x, start.y);
        self.grow(stop.x, stop.y);
        self.items
            .push(Item::Line(start.x, start.y, stop.x, stop.y));
    }

    fn draw_circle(
        &mut self,
        xy: Point,
        size: Point,
        look: &StyleAttr,
        _properties: Option<String>,
    ) {
        self.grow(xy.x - size.x / 2.0, xy.y - size.y / 2.0);
        self.grow(xy.x + size.x / 2.0, xy.y + size.y / 2.0);
        self.items.push(Item::Ellipse {
            cx: xy.x,
            cy: xy.y,
            rx: size.x / 2.0,
            ry: size.y / 2.0,
            fill: fill_of(look),
        });
    }

    fn draw_text(&mut self, xy: Point, text: &str, _look: &StyleAttr) {
        if text.is_empty() {
            return;
        }
        let half = text.chars().count() as f64 * CHAR_PX / 2.0;
        self.grow(xy.x - half, xy.y - FONT_PX);
        self.grow(xy.x + half, xy.y + FONT_PX);
        self.items.push(Item::Text {
            x: xy.x,
            y: xy.y,
            text: text.to_string(),
        });
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        _head: (bool, bool),
        _look: &StyleAttr,
        _properties: Option<String>,
        _text: &str,
    ) {
        // Points stay in layout coordinates; `finish` shifts them into the picture.
        if path.len() < 2 {
            return;
        }
        for (a, b) in path {
            self.grow(a.x, a.y);
            self.grow(b.x, b.y);
        }
        let pts: Vec<(f64, f64)> = path
            .iter()
            .flat_map(|(a, b)| [(a.x, a.y), (b.x, b.y)])
            .collect();
        self.items.push(Item::Curve(pts));
    }

    fn create_clip(&mut self, _xy: Point, _size: Point, _rounded_px: usize) -> ClipHandle {
        0
    }
}

/// SVG path data for layout-rs's curve points, shifted by `origin`:
/// `M p0 C p1, p2, p3` then `S p, q` for each further pair.
fn curve_data(pts: &[(f64, f64)], origin: (f64, f64)) -> String {
    let p = |i: usize| format!("{} {}", num(pts[i].0 - origin.0), num(pts[i].1 - origin.1));
    let mut d = format!("M {} C {}, {}, {}", p(0), p(1), p(2), p(3));
    let mut i = 4;
    while i + 1 < pts.len() {
        let _ = write!(d, " S {}, {}", p(i), p(i + 1));
        i += 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_data_shifts_and_chains() {
        let pts = [
            (10.0, 10.0),
            (20.0, 10.0),
            (30.0, 20.0),
            (40.0, 20.0),
            (50.0, 30.0),
            (60.0, 30.0),
        ];
        assert_eq!(
            curve_data(&pts, (10.0, 5.0)),
            "M 0 5 C 10 5, 20 15, 30 15 S 40 25, 50 25"
        );
    }

    #[test]
    fn boxes_overlap_only_with_shared_interior() {
        let b = |x, y| NodeBox {
            kind: NodeKind::Op(0),
            x,
            y,
            w: 10.0,
            h: 10.0,
        };
        assert!(b(0.0, 0.0).overlaps(&b(5.0, 5.0)));
        assert!(!b(0.0, 0.0).overlaps(&b(10.0, 0.0)));
        assert!(!b(0.0, 0.0).overlaps(&b(0.0, 11.0)));
    }
}
