//! The computation graph laid out left to right, in layers, and drawn as SVG.
//!
//! A layered ("Sugiyama") layout written for these graphs, with every phase linear in the
//! size of the layered graph per pass and a fixed number of passes, so its time is bounded
//! for every graph it accepts:
//!
//! 1. **Ranks** (columns): an operation one column after its latest operand, its result
//!    right after it; then every node whose consumers outnumber its operands (a parameter, an
//!    input) moves as far right as its consumers allow, next to where it is used. In an MLP
//!    every layer's neurons share a column, and each layer's parameters stand just before it.
//! 2. **Long edges** pass through one virtual node per column they cross. A value's edges to
//!    several later columns share one such chain (a trunk that branches off where each
//!    consumer is), so `x + x + ... + x` costs one chain, not one per use.
//! 3. **Order** in each column (crossing reduction): a depth-first order from the root, then
//!    barycentre sweeps (each node at the mean position of its neighbours in the column
//!    before, then after), each followed by one pass of neighbour swaps that lower the
//!    crossings ("transpose"), keeping the order with the fewest crossings; at most
//!    [`MAX_ORDER_SWEEPS`] sweeps, crossings counted in `O(edges log nodes)`.
//! 4. **Positions** in each column: a fixed number of passes that pull each node towards its
//!    neighbours (weighted: long edges and operation → result edges pull harder, so they run
//!    straight) and then solve the column's spacing exactly (isotonic regression with minimum
//!    gaps, "pool adjacent violators").
//! 5. **Edges** are smooth curves through their virtual nodes with horizontal tangents.

use std::fmt::Write as _;
use std::path::Path;

use super::graph::{GraphModel, GraphOptions};
use super::scene::{Anchor, Font, Rgb, Scene, Shape, Step, Style};
use super::svg::num;
use super::{VizError, write_text};
use crate::engine::Value;

/// Font size of the text in the boxes, in pixels.
pub(crate) const FONT_PX: f64 = 13.0;
/// Advance of one character of the monospace font at [`FONT_PX`] (0.6 em, as DejaVu Sans
/// Mono, Menlo, Consolas and Courier all have; a little more for safety).
const CHAR_PX: f64 = FONT_PX * 0.61;
/// Horizontal padding of a record field / an operation node, in pixels.
const FIELD_PAD: f64 = 16.0;
/// Height of a record and of an operation node.
const RECORD_H: f64 = 30.0;
/// Horizontal space between two columns.
const RANK_GAP: f64 = 48.0;
/// Vertical space between two boxes of a column.
const NODE_GAP: f64 = 14.0;
/// Vertical space next to a virtual node (a long edge passing through a column).
const EDGE_GAP: f64 = 8.0;
/// Margin around the picture.
const MARGIN: f64 = 12.0;

/// Largest graph drawn as SVG, in value records.
pub const MAX_SVG_VALUES: usize = 1000;
/// Kept for compatibility: every graph drawn now gets the crossing reduction, so this is
/// [`MAX_SVG_VALUES`].
pub const OPTIMIZE_MAX_VALUES: usize = MAX_SVG_VALUES;
/// Largest number of virtual nodes (long edges' steps through the columns they cross) laid
/// out; past it the SVG is refused with a hint to use DOT. The MLP graphs of the lecture have
/// a few hundred; only graphs that reuse many values very far apart come near it.
pub const MAX_VIRTUAL_NODES: usize = 200_000;
/// Most crossing-reduction sweeps (one sweep visits every column once, in one direction).
pub const MAX_ORDER_SWEEPS: usize = 24;
/// Sweeps without a better order after which the crossing reduction stops early.
const PATIENCE: usize = 6;
/// Passes of the vertical placement (each visits every column once).
pub const COORD_PASSES: usize = 16;

const LEAF_FILL: Rgb = Rgb(0xe8, 0xf1, 0xfb);
const VALUE_FILL: Rgb = Rgb(0xff, 0xff, 0xff);
const ROOT_FILL: Rgb = Rgb(0xfd, 0xe9, 0xd9);
const PRODUCT_FILL: Rgb = Rgb(0xf3, 0xf3, 0xf3);
const OP_FILL: Rgb = Rgb(0xff, 0xf7, 0xd6);
const OUTLINE: Rgb = Rgb(0x44, 0x44, 0x44);
const EDGE: Rgb = Rgb(0x55, 0x55, 0x55);
const INK: Rgb = Rgb(0x11, 0x11, 0x11);

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

/// One drawn edge: from an operand's record to its operation, or from an operation to its
/// result.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphEdge {
    /// Where it starts.
    pub from: NodeKind,
    /// Where it ends (the arrowhead).
    pub to: NodeKind,
    /// The points it passes through, first to last, in the picture's coordinates. The SVG
    /// joins each two by a cubic curve with horizontal tangents ([`GraphEdge::svg_path`]).
    pub points: Vec<(f64, f64)>,
}

impl GraphEdge {
    /// The SVG path data of the edge: `M p0 C ... p1 C ... p2 ...`, each step a cubic
    /// Bézier whose control points lie half way across horizontally.
    pub fn svg_path(&self) -> String {
        let mut d = String::new();
        let Some(&(x0, y0)) = self.points.first() else {
            return d;
        };
        let _ = write!(d, "M {} {}", num(x0), num(y0));
        for w in self.points.windows(2) {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            if (ay - by).abs() < 0.01 {
                let _ = write!(d, " L {} {}", num(bx), num(by));
            } else {
                let mx = (ax + bx) / 2.0;
                let _ = write!(
                    d,
                    " C {} {}, {} {}, {} {}",
                    num(mx),
                    num(ay),
                    num(mx),
                    num(by),
                    num(bx),
                    num(by)
                );
            }
        }
        d
    }
}

/// What the layout did: sizes and the work of its passes (bounded by the constants of this
/// module; tests check the bounds, not the time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayoutStats {
    /// Columns.
    pub ranks: usize,
    /// Virtual nodes: the steps of long edges through the columns they cross.
    pub virtual_nodes: usize,
    /// Segments between adjacent columns (edges split at virtual nodes, shared trunks once).
    pub segments: usize,
    /// Crossing-reduction sweeps run (at most [`MAX_ORDER_SWEEPS`]).
    pub sweeps: usize,
    /// Crossings between segments of adjacent columns in the depth-first order.
    pub initial_crossings: usize,
    /// Crossings between segments of adjacent columns in the order drawn.
    pub crossings: usize,
    /// Node and segment visits of all passes together: at most a constant times
    /// `(nodes + segments) * (MAX_ORDER_SWEEPS + COORD_PASSES + 2)`.
    pub work: usize,
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
    /// Every edge drawn: one per distinct operand of each operation and one per result.
    pub edges: Vec<GraphEdge>,
    /// What the layout did.
    pub stats: LayoutStats,
}

impl GraphLayout {
    /// The picture as PNG bytes: the SVG rasterized (2 pixels per unit, less for a graph so
    /// large that it would pass [`MAX_PNG_PIXELS`](super::MAX_PNG_PIXELS)).
    ///
    /// Errors if the graph is too large for a PNG even at half a pixel per unit.
    pub fn png(&self) -> Result<Vec<u8>, VizError> {
        let scene = graph_scene(&self.model, &self.boxes, &self.edges, self.size);
        super::raster::scene_to_png(&scene)
    }
}

/// The graph of `root` as a PNG picture ([`to_svg`] rasterized; see [`GraphLayout::png`]).
pub fn graph_png(root: Value) -> Result<Vec<u8>, VizError> {
    graph_layout(root)?.png()
}

/// Lays out and draws the graph of `root`, as [`graph_layout_with`] with the default
/// options.
///
/// Errors if the graph has more than [`MAX_SVG_VALUES`] values or needs more than
/// [`MAX_VIRTUAL_NODES`] virtual nodes: the message says to write DOT instead.
pub fn graph_layout(root: Value) -> Result<GraphLayout, VizError> {
    layout_model(GraphModel::of(root))
}

/// Lays out and draws the graph of `root` with `options` (e.g. neurons expanded into the
/// lecture's `*` and `+` nodes). Errors as [`graph_layout`].
pub fn graph_layout_with(root: Value, options: &GraphOptions) -> Result<GraphLayout, VizError> {
    layout_model(GraphModel::with_options(root, options))
}

/// The graph of `root` as a standalone SVG picture, laid out left to right in pure Rust:
/// records `label | data | grad` (leaves light blue, the root light orange) and operation
/// ellipses between operands and results, like the lecture's `draw_dot`.
///
/// Errors as [`graph_layout`].
pub fn to_svg(root: Value) -> Result<String, VizError> {
    Ok(graph_layout(root)?.svg)
}

/// [`to_svg`] drawn with `options`.
pub fn to_svg_with(root: Value, options: &GraphOptions) -> Result<String, VizError> {
    Ok(graph_layout_with(root, options)?.svg)
}

/// Writes [`to_svg`] of `root` to `path`.
pub fn write_svg(path: &Path, root: Value) -> Result<(), VizError> {
    let svg = to_svg(root).map_err(|e| VizError::new(format!("{}: {e}", path.display())))?;
    write_text(path, "the SVG graph", &svg)
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_PX + FIELD_PAD
}

/// The layered graph: the model's boxes (numbered values first, then operations) and the
/// virtual nodes after them, in columns, with their segments to the columns either side.
struct Layered {
    /// Column of each node.
    rank: Vec<u32>,
    /// Neighbours in the column before (`up`) and after (`down`), with weights.
    up: Vec<Vec<(u32, f64)>>,
    down: Vec<Vec<(u32, f64)>>,
    /// Real nodes (model boxes) are `0..real`; the rest are virtual.
    real: usize,
    /// For each model edge (from, to, virtual nodes in between).
    edges: Vec<(u32, u32, Vec<u32>)>,
    ranks: usize,
}

/// The ranks of the model's boxes (values `0..V`, operations `V..V+O`): see the module
/// documentation, step 1.
fn ranks(model: &GraphModel) -> Vec<u32> {
    let nv = model.values.len();
    let mut producer = vec![usize::MAX; nv];
    for (k, o) in model.ops.iter().enumerate() {
        producer[o.result] = k;
    }
    // A unit is a leaf, or an operation with its result (result = op + 1 always).
    // `rank[v]` is the value's rank; its operation sits one to the left.
    let mut rank = vec![0u32; nv];
    // operands of a unit (distinct), and its consumers (units using the value)
    let unit_inputs = |v: usize| -> Vec<usize> {
        match producer[v] {
            usize::MAX => Vec::new(),
            k => {
                let mut ins = model.ops[k].inputs.clone();
                ins.sort_unstable();
                ins.dedup();
                ins
            }
        }
    };
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for o in &model.ops {
        let mut ins = o.inputs.clone();
        ins.sort_unstable();
        ins.dedup();
        for i in ins {
            consumers[i].push(o.result);
        }
    }
    // As early as possible: values are in topological order.
    for v in 0..nv {
        if producer[v] != usize::MAX {
            let k = producer[v];
            let latest = model.ops[k]
                .inputs
                .iter()
                .map(|&i| rank[i])
                .max()
                .unwrap_or(0);
            rank[v] = latest + 2;
        }
    }
    // Then, last to first, a unit with at least as many consumers as operands moves right
    // until its first consumer's operation is in the next column (never past it, so every
    // operand stays left of its operation): total edge length does not grow.
    for v in (0..nv).rev() {
        let ins = unit_inputs(v).len();
        let outs = consumers[v].len();
        if outs == 0 || outs < ins {
            continue;
        }
        // a consumer's operation sits at its rank - 1; our value must be left of that
        let limit = consumers[v]
            .iter()
            .map(|&c| rank[c] - 1)
            .min()
            .expect("outs > 0");
        if limit > rank[v] + 1 {
            rank[v] = limit - 1;
        }
    }
    let mut all = rank.clone();
    for o in &model.ops {
        all.push(rank[o.result] - 1);
    }
    all
}

/// The number of virtual nodes the layout of `rank` needs: for each node, the columns between
/// it and its farthest consumer (long edges from one node share them).
fn virtual_count(model: &GraphModel, rank: &[u32]) -> usize {
    let nv = model.values.len();
    let mut farthest = vec![0u32; nv];
    for (k, o) in model.ops.iter().enumerate() {
        for &i in &o.inputs {
            farthest[i] = farthest[i].max(rank[nv + k]);
        }
    }
    (0..nv)
        .map(|i| farthest[i].saturating_sub(rank[i] + 1) as usize)
        .sum()
}

/// Builds the layered graph (step 2). Pre: [`virtual_count`] was checked.
fn layer(model: &GraphModel, rank: Vec<u32>) -> Layered {
    let nv = model.values.len();
    let real = nv + model.ops.len();
    let ranks = rank.iter().copied().max().map_or(0, |r| r as usize + 1);
    let mut l = Layered {
        rank,
        up: vec![Vec::new(); real],
        down: vec![Vec::new(); real],
        real,
        edges: Vec::with_capacity(model.edge_count()),
        ranks,
    };
    let weight = |l: &Layered, a: u32, b: u32| match (a as usize >= l.real, b as usize >= l.real) {
        (true, true) => 8.0,
        (true, false) | (false, true) => 2.0,
        (false, false) => 1.0,
    };
    let link = |l: &mut Layered, a: u32, b: u32, w: f64| {
        l.down[a as usize].push((b, w));
        l.up[b as usize].push((a, w));
    };
    // Each value's trunk: its virtual nodes, by column, made when first needed.
    let mut trunk: Vec<Vec<u32>> = vec![Vec::new(); nv];
    for (k, o) in model.ops.iter().enumerate() {
        let op = (nv + k) as u32;
        let mut seen: Vec<usize> = Vec::with_capacity(o.inputs.len());
        for &i in &o.inputs {
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            let (ri, ro) = (l.rank[i], l.rank[op as usize]);
            let mut via = Vec::new();
            let mut prev = i as u32;
            for r in ri + 1..ro {
                let step = (r - ri - 1) as usize;
                if step == trunk[i].len() {
                    let t = l.rank.len() as u32;
                    l.rank.push(r);
                    l.up.push(Vec::new());
                    l.down.push(Vec::new());
                    let w = weight(&l, prev, t);
                    link(&mut l, prev, t, w);
                    trunk[i].push(t);
                }
                prev = trunk[i][step];
                via.push(prev);
            }
            let w = weight(&l, prev, op);
            link(&mut l, prev, op, w);
            l.edges.push((i as u32, op, via));
        }
        let res = o.result as u32;
        link(&mut l, op, res, 1.0);
        l.edges.push((op, res, Vec::new()));
    }
    // A link of a chain (the only edge out of its source and into its target, as every
    // operation → result edge and a value used once by a unary operation) pulls harder, so
    // that a chain like `affine → tanh → ...` runs straight.
    for a in 0..real {
        if l.down[a].len() != 1 {
            continue;
        }
        let (b, w) = l.down[a][0];
        if (b as usize) < real && w == 1.0 && l.up[b as usize].len() == 1 {
            l.down[a][0].1 = 4.0;
            l.up[b as usize][0].1 = 4.0;
        }
    }
    l
}

/// Counts crossings between the segments of two adjacent columns, given each node's position
/// in its column (`pos`) and the upper column's nodes in order. Fenwick tree over the lower
/// column's positions: `O(segments log nodes)`.
fn crossings_between(l: &Layered, upper: &[u32], lower_len: usize, pos: &[u32]) -> usize {
    let mut tree = vec![0u32; lower_len + 1];
    let mut seen = 0usize;
    let mut crossings = 0usize;
    let mut targets: Vec<u32> = Vec::new();
    for &u in upper {
        targets.clear();
        targets.extend(l.down[u as usize].iter().map(|&(v, _)| pos[v as usize]));
        targets.sort_unstable();
        // Segments already added whose lower end is right of this one's cross it.
        for &t in &targets {
            let mut i = t as usize + 1;
            let mut le = 0usize;
            while i > 0 {
                le += tree[i] as usize;
                i &= i - 1;
            }
            crossings += seen - le;
        }
        for &t in &targets {
            let mut i = t as usize + 1;
            while i <= lower_len {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
            seen += 1;
        }
    }
    crossings
}

fn total_crossings(l: &Layered, layers: &[Vec<u32>], pos: &[u32]) -> usize {
    layers
        .windows(2)
        .map(|w| crossings_between(l, &w[0], w[1].len(), pos))
        .sum()
}

fn set_positions(layers: &[Vec<u32>], pos: &mut [u32]) {
    for layer in layers {
        for (p, &n) in layer.iter().enumerate() {
            pos[n as usize] = p as u32;
        }
    }
}

/// Orders each column (step 3). Returns the columns, top to bottom.
fn order(l: &Layered, root: u32, stats: &mut LayoutStats) -> Vec<Vec<u32>> {
    let n = l.rank.len();
    // Depth-first from the root towards the operands, in operand order: a tree comes out
    // without crossings.
    let mut layers: Vec<Vec<u32>> = vec![Vec::new(); l.ranks];
    let mut seen = vec![false; n];
    let mut stack = vec![root];
    seen[root as usize] = true;
    while let Some(u) = stack.pop() {
        layers[l.rank[u as usize] as usize].push(u);
        for &(p, _) in l.up[u as usize].iter().rev() {
            if !seen[p as usize] {
                seen[p as usize] = true;
                stack.push(p);
            }
        }
    }
    // Every node reaches the root; keep any that did not (defensive) at the bottom.
    for (u, s) in seen.iter().enumerate() {
        if !s {
            layers[l.rank[u] as usize].push(u as u32);
        }
    }
    let mut pos = vec![0u32; n];
    set_positions(&layers, &mut pos);
    let mut best_c = total_crossings(l, &layers, &pos);
    stats.initial_crossings = best_c;
    stats.work += n + stats.segments;
    let mut best = layers.clone();
    let mut since_best = 0;
    let mut keys: Vec<f64> = Vec::new();
    for sweep in 0..MAX_ORDER_SWEEPS {
        if best_c == 0 || since_best >= PATIENCE {
            break;
        }
        stats.sweeps += 1;
        let downward = sweep % 2 == 0;
        let order_of_ranks: Vec<usize> = if downward {
            (1..l.ranks).collect()
        } else {
            (0..l.ranks.saturating_sub(1)).rev().collect()
        };
        for r in order_of_ranks {
            let (fixed_len, nbrs) = if downward {
                (layers[r - 1].len(), &l.up)
            } else {
                (layers[r + 1].len(), &l.down)
            };
            let len = layers[r].len();
            keys.clear();
            for (p, &u) in layers[r].iter().enumerate() {
                let ns = &nbrs[u as usize];
                let key = if ns.is_empty() {
                    (p as f64 + 0.5) / len as f64
                } else {
                    let s: f64 = ns.iter().map(|&(v, _)| pos[v as usize] as f64 + 0.5).sum();
                    s / ns.len() as f64 / fixed_len as f64
                };
                keys.push(key);
                stats.work += 1 + ns.len();
            }
            let mut idx: Vec<usize> = (0..len).collect();
            idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
            let reordered: Vec<u32> = idx.iter().map(|&i| layers[r][i]).collect();
            layers[r] = reordered;
            for (p, &u) in layers[r].iter().enumerate() {
                pos[u as usize] = p as u32;
            }
        }
        for layer in layers.iter_mut() {
            stats.work += transpose(l, layer, &mut pos);
        }
        let c = total_crossings(l, &layers, &pos);
        stats.work += n + stats.segments;
        if c < best_c {
            best_c = c;
            best.clone_from(&layers);
            since_best = 0;
        } else {
            since_best += 1;
        }
    }
    stats.crossings = best_c;
    best
}

/// Pairs `(x, y)` with `x` from `a`, `y` from `b` and `x > y` (both sorted): the crossings
/// of two nodes' segments to one neighbouring column when the node of `a` is above.
fn pair_crossings(a: &[u32], b: &[u32]) -> usize {
    let (mut j, mut c) = (0, 0);
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        c += j;
    }
    c
}

/// One pass of swaps of neighbours in a column that lower the crossings with both adjacent
/// columns ("transpose"). Returns the work done: `O(segments of the column)` plus sorting.
fn transpose(l: &Layered, layer: &mut [u32], pos: &mut [u32]) -> usize {
    let sorted = |ns: &[(u32, f64)], pos: &[u32]| -> Vec<u32> {
        let mut v: Vec<u32> = ns.iter().map(|&(x, _)| pos[x as usize]).collect();
        v.sort_unstable();
        v
    };
    let mut work = 0;
    for p in 0..layer.len().saturating_sub(1) {
        let (a, b) = (layer[p] as usize, layer[p + 1] as usize);
        let (au, bu) = (sorted(&l.up[a], pos), sorted(&l.up[b], pos));
        let (ad, bd) = (sorted(&l.down[a], pos), sorted(&l.down[b], pos));
        work += 2 + au.len() + bu.len() + ad.len() + bd.len();
        let keep = pair_crossings(&au, &bu) + pair_crossings(&ad, &bd);
        let swap = pair_crossings(&bu, &au) + pair_crossings(&bd, &ad);
        if swap < keep {
            layer.swap(p, p + 1);
            pos[a] = p as u32 + 1;
            pos[b] = p as u32;
        }
    }
    work
}

/// Vertical centres (step 4): `heights[u]` is each node's height (0 for virtual nodes).
fn place(l: &Layered, layers: &[Vec<u32>], heights: &[f64], stats: &mut LayoutStats) -> Vec<f64> {
    let n = l.rank.len();
    let is_virtual = |u: u32| u as usize >= l.real;
    let gap = |a: u32, b: u32| {
        let g = if is_virtual(a) || is_virtual(b) {
            EDGE_GAP
        } else {
            NODE_GAP
        };
        (heights[a as usize] + heights[b as usize]) / 2.0 + g
    };
    let mut y = vec![0.0; n];
    for layer in layers {
        let mut at = 0.0;
        for (i, &u) in layer.iter().enumerate() {
            if i > 0 {
                at += gap(layer[i - 1], u);
            }
            y[u as usize] = at;
        }
    }
    // Centre the columns on each other to start with.
    for layer in layers {
        if let (Some(&a), Some(&b)) = (layer.first(), layer.last()) {
            let shift = (y[a as usize] + y[b as usize]) / 2.0;
            for &u in layer {
                y[u as usize] -= shift;
            }
        }
    }
    let mut target = Vec::new();
    let mut weight = Vec::new();
    let mut offset = Vec::new();
    for pass in 0..COORD_PASSES {
        // down, up, down, up, ..., and both sides in the last two passes
        let (use_up, use_down) = match (pass + 2 >= COORD_PASSES, pass % 2 == 0) {
            (true, _) => (true, true),
            (false, true) => (true, false),
            (false, false) => (false, true),
        };
        let ranks: Vec<usize> = if pass % 2 == 0 {
            (0..layers.len()).collect()
        } else {
            (0..layers.len()).rev().collect()
        };
        for r in ranks {
            let layer = &layers[r];
            target.clear();
            weight.clear();
            for &u in layer {
                let (mut s, mut w) = (0.0, 0.0);
                if use_up {
                    for &(v, wt) in &l.up[u as usize] {
                        s += wt * y[v as usize];
                        w += wt;
                    }
                }
                if use_down {
                    for &(v, wt) in &l.down[u as usize] {
                        s += wt * y[v as usize];
                        w += wt;
                    }
                }
                stats.work += 1 + l.up[u as usize].len() + l.down[u as usize].len();
                if w > 0.0 {
                    target.push(s / w);
                    weight.push(w);
                } else {
                    target.push(y[u as usize]);
                    weight.push(0.05);
                }
            }
            offset.clear();
            let mut at = 0.0;
            for (i, &u) in layer.iter().enumerate() {
                if i > 0 {
                    at += gap(layer[i - 1], u);
                }
                offset.push(at);
            }
            let solved = spaced_fit(&target, &weight, &offset);
            for (i, &u) in layer.iter().enumerate() {
                y[u as usize] = solved[i];
            }
        }
    }
    y
}

/// The positions `y` closest to `target` (least squares, weighted) with `y[i+1] - y[i] >=
/// offset[i+1] - offset[i]`: with `z = y - offset` the constraint is `z` non-decreasing,
/// solved exactly by pooling adjacent violators in `O(n)`.
fn spaced_fit(target: &[f64], weight: &[f64], offset: &[f64]) -> Vec<f64> {
    // blocks of (sum of weights, weighted sum of z-targets, count)
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(target.len());
    for i in 0..target.len() {
        let z = target[i] - offset[i];
        blocks.push((weight[i], weight[i] * z, 1));
        while blocks.len() > 1 {
            let (w1, s1, c1) = blocks[blocks.len() - 1];
            let (w0, s0, c0) = blocks[blocks.len() - 2];
            if s0 / w0 <= s1 / w1 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (w0 + w1, s0 + s1, c0 + c1);
        }
    }
    let mut out = Vec::with_capacity(target.len());
    for (w, s, c) in blocks {
        let z = s / w;
        for _ in 0..c {
            out.push(z + offset[out.len()]);
        }
    }
    out
}

/// [`graph_layout`] for a graph already read (from the tape by [`GraphModel::of`], or built
/// by a caller, as the Python package does from micrograd's view of a graph): all the
/// layout's steps.
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
    let nv = model.values.len();
    let rank = ranks(&model);
    let virtuals = virtual_count(&model, &rank);
    if virtuals > MAX_VIRTUAL_NODES {
        return Err(VizError::new(format!(
            "the graph has values used by operations far apart ({virtuals} columns crossed \
             by its edges, more than the {MAX_VIRTUAL_NODES} that the SVG drawing lays out); \
             write it with --dot and render it with Graphviz instead"
        )));
    }
    let l = layer(&model, rank);
    let mut stats = LayoutStats {
        ranks: l.ranks,
        virtual_nodes: l.rank.len() - l.real,
        segments: l.down.iter().map(Vec::len).sum(),
        ..LayoutStats::default()
    };
    // Box sizes.
    let mut size: Vec<(f64, f64)> = Vec::with_capacity(l.real);
    for v in &model.values {
        let w: f64 = v.fields().iter().map(|f| text_width(f)).sum();
        size.push((w, RECORD_H));
    }
    for o in &model.ops {
        size.push((text_width(&o.text).max(RECORD_H + 6.0) + 4.0, RECORD_H));
    }
    let root = nv.saturating_sub(1) as u32;
    let layers = if nv == 0 {
        Vec::new()
    } else {
        order(&l, root, &mut stats)
    };
    let heights: Vec<f64> = (0..l.rank.len())
        .map(|u| if u < l.real { size[u].1 } else { 0.0 })
        .collect();
    let y = place(&l, &layers, &heights, &mut stats);
    // Columns: each as wide as its widest box.
    let mut col_w = vec![0.0f64; l.ranks];
    for (&r, &(w, _)) in l.rank.iter().zip(&size) {
        col_w[r as usize] = col_w[r as usize].max(w);
    }
    let mut col_x = Vec::with_capacity(l.ranks);
    let mut at = MARGIN;
    for w in &mut col_w {
        if *w == 0.0 {
            *w = 16.0;
        }
        col_x.push(at);
        at += *w + RANK_GAP;
    }
    let width = (at - RANK_GAP + MARGIN).max(2.0 * MARGIN).ceil();
    let y_min = y
        .iter()
        .zip(&heights)
        .map(|(y, h)| y - h / 2.0)
        .fold(f64::INFINITY, f64::min);
    let y_max = y
        .iter()
        .zip(&heights)
        .map(|(y, h)| y + h / 2.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let (y_min, y_max) = if y_min.is_finite() {
        (y_min, y_max)
    } else {
        (0.0, 0.0)
    };
    let height = (y_max - y_min + 2.0 * MARGIN).ceil();
    let cy = |u: u32| y[u as usize] - y_min + MARGIN;
    let kind = |u: u32| {
        if (u as usize) < nv {
            NodeKind::Value(u as usize)
        } else {
            NodeKind::Op(u as usize - nv)
        }
    };
    let boxes: Vec<NodeBox> = (0..l.real as u32)
        .map(|u| {
            let r = l.rank[u as usize] as usize;
            let (w, h) = size[u as usize];
            NodeBox {
                kind: kind(u),
                x: col_x[r] + (col_w[r] - w) / 2.0,
                y: cy(u) - h / 2.0,
                w,
                h,
            }
        })
        .collect();
    // Edges: out of the right side of the source, through each virtual node's column, into
    // the left side of the target; several operands of one operation arrive at points spread
    // over its left side, in the order they come from, so that they do not meet in one point.
    let mut edges: Vec<GraphEdge> = Vec::with_capacity(l.edges.len());
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); l.real];
    for (from, to, via) in &l.edges {
        let b = &boxes[*from as usize];
        let mut points = vec![(b.x + b.w, b.y + b.h / 2.0)];
        for &t in via {
            let r = l.rank[t as usize] as usize;
            let yt = cy(t);
            points.push((col_x[r], yt));
            points.push((col_x[r] + col_w[r], yt));
        }
        into[*to as usize].push(edges.len());
        edges.push(GraphEdge {
            from: kind(*from),
            to: kind(*to),
            points,
        });
    }
    for (to, list) in into.iter_mut().enumerate() {
        let b = &boxes[to];
        let (cx, cy0, rx, ry) = (b.x + b.w / 2.0, b.y + b.h / 2.0, b.w / 2.0, b.h / 2.0);
        let last_y = |e: &GraphEdge| e.points.last().map_or(0.0, |p| p.1);
        list.sort_by(|&a, &c| last_y(&edges[a]).total_cmp(&last_y(&edges[c])));
        let k = list.len();
        let step = if k > 1 {
            ((b.h - 10.0) / (k - 1) as f64).min(7.0)
        } else {
            0.0
        };
        for (j, &e) in list.iter().enumerate() {
            let dy = (j as f64 - (k - 1) as f64 / 2.0) * step;
            // on the ellipse's outline for an operation, on the left side for a record
            let x = if matches!(boxes[to].kind, NodeKind::Op(_)) {
                cx - rx * (1.0 - (dy / ry).powi(2)).max(0.0).sqrt()
            } else {
                b.x
            };
            edges[e].points.push((x, cy0 + dy));
        }
    }
    let svg = graph_scene(&model, &boxes, &edges, (width, height)).to_svg();
    Ok(GraphLayout {
        model,
        boxes,
        svg,
        size: (width, height),
        edges,
        stats,
    })
}

/// The picture of a laid-out graph as shapes (written as SVG, or rasterized for PNG): edges
/// first (so no edge crosses a box's text), then records and operation nodes.
fn graph_scene(
    model: &GraphModel,
    boxes: &[NodeBox],
    edges: &[GraphEdge],
    (w, h): (f64, f64),
) -> Scene {
    let mut sc = Scene::new(w, h);
    sc.style = Style::Graph;
    for e in edges {
        let Some(&start) = e.points.first() else {
            continue;
        };
        let steps = e
            .points
            .windows(2)
            .map(|p| {
                let ((ax, ay), (bx, by)) = (p[0], p[1]);
                if (ay - by).abs() < 0.01 {
                    Step::Line((bx, by))
                } else {
                    let mx = (ax + bx) / 2.0;
                    Step::Cubic((mx, ay), (mx, by), (bx, by))
                }
            })
            .collect();
        sc.push(Shape::Curve {
            start,
            steps,
            color: EDGE,
            width: 1.2,
            arrow: true,
            class: Some("edge"),
        });
    }
    let root = model.values.len().saturating_sub(1);
    let mut is_leaf = vec![true; model.values.len()];
    for o in &model.ops {
        is_leaf[o.result] = false;
    }
    // Text baseline: centred on the box by the font's x-height, not dominant-baseline, which
    // some renderers ignore.
    let baseline = FONT_PX * 0.35;
    let text = |x: f64, y: f64, t: &str| Shape::Text {
        x,
        y,
        size: FONT_PX,
        anchor: Anchor::Middle,
        color: INK,
        text: t.to_string(),
        font: Font::Mono,
        vertical: false,
    };
    for b in boxes {
        match b.kind {
            NodeKind::Value(i) => {
                let v = &model.values[i];
                let fill = if i == root {
                    ROOT_FILL
                } else if v.term.is_some() {
                    PRODUCT_FILL
                } else if is_leaf[i] {
                    LEAF_FILL
                } else {
                    VALUE_FILL
                };
                sc.push(Shape::Group {
                    class: "value",
                    title: None,
                });
                sc.push(Shape::Rect {
                    x: b.x,
                    y: b.y,
                    w: b.w,
                    h: b.h,
                    fill: Some(fill),
                    stroke: Some(OUTLINE),
                    class: None,
                });
                let mut x = b.x;
                for (k, f) in v.fields().iter().enumerate() {
                    let fw = text_width(f);
                    if k > 0 {
                        sc.line((x, b.y), (x, b.y + b.h), OUTLINE, 1.0);
                    }
                    sc.push(text(x + fw / 2.0, b.y + b.h / 2.0 + baseline, f));
                    x += fw;
                }
                sc.push(Shape::EndGroup);
            }
            NodeKind::Op(k) => {
                let o = &model.ops[k];
                sc.push(Shape::Group {
                    class: "op",
                    title: o.title.clone(),
                });
                sc.push(Shape::Ellipse {
                    cx: b.x + b.w / 2.0,
                    cy: b.y + b.h / 2.0,
                    rx: b.w / 2.0,
                    ry: b.h / 2.0,
                    fill: OP_FILL,
                    stroke: OUTLINE,
                });
                sc.push(text(b.x + b.w / 2.0, b.y + b.h / 2.0 + baseline, &o.text));
                sc.push(Shape::EndGroup);
            }
        }
    }
    sc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_path_is_smooth_and_horizontal_where_level() {
        let e = GraphEdge {
            from: NodeKind::Value(0),
            to: NodeKind::Op(0),
            points: vec![(0.0, 0.0), (10.0, 0.0), (30.0, 20.0)],
        };
        assert_eq!(e.svg_path(), "M 0 0 L 10 0 C 20 0, 20 20, 30 20");
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

    #[test]
    fn spaced_fit_keeps_gaps_and_fits_exactly_when_it_can() {
        // Targets far enough apart are met exactly.
        let y = spaced_fit(&[0.0, 50.0], &[1.0, 1.0], &[0.0, 20.0]);
        assert_eq!(y, vec![0.0, 50.0]);
        // Targets too close are pushed apart symmetrically.
        let y = spaced_fit(&[10.0, 10.0], &[1.0, 1.0], &[0.0, 20.0]);
        assert_eq!(y, vec![0.0, 20.0]);
        // A heavier node moves less.
        let y = spaced_fit(&[10.0, 10.0], &[3.0, 1.0], &[0.0, 20.0]);
        assert_eq!(y, vec![5.0, 25.0]);
    }
}
