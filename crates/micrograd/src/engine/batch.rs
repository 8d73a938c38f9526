//! Batched replay: the stretches of a recorded graph that apply one sub-graph to many
//! examples, replayed across the examples at once.
//!
//! A full-batch training step records, for every example, the same nodes: the inputs, each
//! layer's neurons (the same weight spans, other inputs), the example's loss terms. Such a
//! *stretch* is `lanes` consecutive blocks of `period` nodes; block `e` (lane `e`, one
//! example) is block 0 shifted by `e * period`, node for node: the same operations, and each
//! operand either in its own block at the same offset (*local*), or below the stretch at a
//! fixed index (*shared*: a parameter) or at an index that moves by a fixed stride per lane
//! (*strided*: the example's score in an earlier stretch). The *template* is block 0.
//!
//! A stretch is replayed node-major: template node `q` for every lane, then `q + 1`; backward
//! in reverse, lanes from the last. That is a reordering of the tape's sweep, and it keeps
//! every sum in its order:
//! - a local node's adjoint gets its terms from its own lane only, in template order, as in
//!   the sweep;
//! - a node below the stretch referenced by one template node only (a weight: one neuron)
//!   gets one term per lane, lanes from the last, as in the sweep; one referenced by several
//!   template nodes, but from one lane only, gets them in template order, as in the sweep.
//!   A node referenced from several template nodes *and* several lanes would get its terms
//!   in another order: such a stretch is not batched ([`refs_are_ordered`]).
//!
//! Inside a stretch, a run of `AffineSpan` neurons reading one input list, each followed by
//! the same activation (a layer), is a [`Layer`]: its values and gradients for all lanes are
//! three matrix products ([`kernels::gemm`]) whose sums keep the sweep's order: a neuron's
//! value adds its products in input order, then the bias; an input's adjoint adds its terms
//! from the last neuron to the first; a weight's and a bias's adjoint add theirs from the
//! last example to the first. The one difference from the sweep: it skips a node whose
//! adjoint is 0, the products do not. Adding `0 * w` changes nothing when `w` is finite and
//! the sum is not `-0.0` (a sum that starts at `+0.0` never becomes `-0.0`); so the products
//! run only when the layer's inputs and weights are finite and no weight's or bias's
//! gradient is `-0.0` (checked at each replay), and otherwise the stretch is swept as usual.
//!
//! Every node's value and gradient is written to the tape as the sweep would leave it, so
//! the rest of the graph, and the user, read the same numbers.

use super::kernels::{self, Gemm};
use super::nary;
use super::ops::{Arity, Op, OpCode};
use super::tape::TapeData;

/// The fewest lanes (examples) a stretch needs.
const MIN_LANES: usize = 4;
/// Candidate periods tried at one position.
const MAX_CANDIDATES: usize = 32;
/// The longest period looked for (nodes per example).
const MAX_PERIOD: usize = 1 << 20;
/// A node reached from several template nodes or lanes (see [`refs_are_ordered`]).
const MANY: u32 = u32::MAX;

/// How a recorded range is replayed: scalar stretches of the tape and batched stretches,
/// in tape order.
pub(crate) struct BatchPlan {
    segments: Vec<Segment>,
    /// Scratch for [`kernels::gemm`].
    panel: Vec<f64>,
    /// Backward passes of a stretch that fell back to the sweep (tests read it).
    swept: usize,
    /// Leave the layers' private nodes unwritten ([`BatchPlan::set_lean`]).
    lean: bool,
}

enum Segment {
    /// Nodes `lo..hi`, replayed one by one.
    Scalar(usize, usize),
    Stretch(Stretch),
}

/// `lanes` blocks of `period` nodes from `start` (see the module documentation).
struct Stretch {
    start: usize,
    period: usize,
    lanes: usize,
    items: Vec<Item>,
    /// Template runs `(q, len)` whose adjoints a replay zeroes before the backward: all but
    /// the layers' *private* nodes, whose adjoints the layers write whole.
    zero_runs: Vec<(usize, usize)>,
    /// The runs of private nodes (zeroed only before a fallback to the sweep).
    private_runs: Vec<(usize, usize)>,
}

enum Item {
    /// Template nodes `q..q + len`, each computed for every lane with its own operands.
    Nodes {
        q: usize,
        len: usize,
    },
    Layer(Box<Layer>),
}

/// `k` neurons at template positions `q`, `q + step`, ... (`step` 2 with an activation node
/// after each, 1 without), all reading the `j` local inputs `inputs`.
struct Layer {
    q: usize,
    k: usize,
    j: usize,
    act: Option<OpCode>,
    inputs: Vec<usize>,
    /// The index (in the stretch's items) of the layer whose outputs are `inputs`, in order.
    from: Option<usize>,
    /// The first weight and the bias of each neuron (nodes below the stretch).
    w0: Vec<u32>,
    bias: Vec<u32>,
    /// Lanes x inputs (only without `from`).
    x: Vec<f64>,
    /// Lanes x neurons: the affine values, the activations, the affine nodes' adjoints.
    c: Vec<f64>,
    a: Vec<f64>,
    gc: Vec<f64>,
    /// Lanes x inputs: the inputs' adjoints.
    gx: Vec<f64>,
    /// The weights, inputs x neurons and neurons x inputs; their adjoints; the biases.
    wt: Vec<f64>,
    wr: Vec<f64>,
    gw: Vec<f64>,
    b: Vec<f64>,
    /// Lanes x neurons: the outputs' adjoints.
    gout: Vec<f64>,
    /// The affine nodes' only consumers are their activations: their adjoints start at 0
    /// and never pass through the tape before they are written.
    as_private: bool,
    /// The outputs' only consumers are the neurons of the layer that reads them as a whole
    /// (whose `from` is this layer): that layer writes their adjoints into `gout`.
    out_private: bool,
    /// Inputs and weights were finite at the last forward (see [`Stretch::exact`]).
    finite: bool,
    /// The outputs were finite at the last forward.
    out_finite: bool,
}

impl Layer {
    fn step(&self) -> usize {
        1 + usize::from(self.act.is_some())
    }

    /// The template position of neuron `k`'s output (its activation, or its affine node).
    fn output(&self, k: usize) -> usize {
        self.q + self.step() * k + self.step() - 1
    }

    /// Lanes x neurons: the layer's outputs.
    fn out(&self) -> &[f64] {
        if self.act.is_some() { &self.a } else { &self.c }
    }
}

/// An operand of a template node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ref {
    /// Template node `q` of the same lane.
    Local(u32),
    /// Node `node + lane * stride`, below the stretch.
    Ext { node: u32, stride: u32 },
}

/// Lane 0's nodes and how their operands move with the lane.
struct Template {
    /// Per template node: its code and operand count (n-ary) or 0.
    shapes: Vec<(OpCode, u32)>,
    /// `refs[offs[q]..offs[q + 1]]` are node `q`'s operands, in [`slots`] order.
    offs: Vec<usize>,
    refs: Vec<Ref>,
    /// For an `AffineSpan` node, lane 0's position of its input list in `operands`.
    xs: Vec<u32>,
    /// Per template node, how a lane's copy is checked (see [`Check`]).
    check: Vec<Check>,
}

/// How [`lane_matches`] checks a lane's copy of a template node.
#[derive(Clone, Copy, Debug)]
enum Check {
    /// Operands in `ab` (leaf, unary, with a constant, binary): lane `e`'s `a` (and `b` if
    /// `with_b`) is lane 0's plus `e` times the stride (the period for a local operand); an
    /// operand below the stretch must stay below it.
    Ab {
        da: u32,
        a_below: bool,
        db: u32,
        b_below: bool,
        with_b: bool,
    },
    /// An n-ary node: operand by operand (its operands are in `operands`).
    Slots,
}

impl Template {
    fn refs(&self, q: usize) -> &[Ref] {
        &self.refs[self.offs[q]..self.offs[q + 1]]
    }
}

/// The node operands of node `i` into `out`: for `AffineSpan` the bias, the first weight
/// (standing for its span) and the inputs; for the other n-ary codes their list; else `a`
/// (and `b` if binary). Returns the node's shape (code and n-ary count).
fn slots(t: &TapeData, i: usize, out: &mut Vec<u32>) -> (OpCode, u32) {
    out.clear();
    let op = t.op[i];
    let [a, b] = t.ab[i];
    match op.arity() {
        Arity::Leaf => {}
        Arity::Unary | Arity::WithConst => out.push(a),
        Arity::Binary => out.extend_from_slice(&[a, b]),
        Arity::Nary if op == OpCode::AffineSpan => {
            let (bias, w0, x) = nary::span_parts(&t.operands, a as usize, b as usize);
            out.extend_from_slice(&[bias, w0]);
            out.extend_from_slice(x);
        }
        Arity::Nary => out.extend_from_slice(&t.operands[a as usize..a as usize + b as usize]),
    }
    (op, if op.arity() == Arity::Nary { b } else { 0 })
}

/// Whether operand slot `k` of a node of shape `shape` names a span of `n` weights.
fn is_span(shape: (OpCode, u32), k: usize) -> bool {
    shape.0 == OpCode::AffineSpan && k == 1
}

/// The plan for replaying nodes `lo..hi` whose output (the node the replay seeds) is node
/// `out`, or `None` if no stretch was found.
pub(crate) fn plan(t: &TapeData, lo: usize, hi: usize, out: usize) -> Option<BatchPlan> {
    let mut segments = Vec::new();
    let mut scalar_from = lo;
    let mut i = lo;
    // A bound on the search (positions x candidates), so that a long graph without
    // repeats costs a few passes, not a quadratic search.
    let mut budget = 64 * (hi - lo) + 4096;
    // For a run of leaves: (its end, the first leaf after it, or `hi`), the same for every
    // position in the run (a template needs a node that is not a leaf, so no period ends
    // inside the run, and a period's node `i + p` must be a leaf too).
    let mut leaf_run = (0, 0);
    while i < hi && budget > 0 {
        let first_p = if t.op[i] == OpCode::Leaf {
            if i >= leaf_run.0 {
                let end = i + t.op[i..hi]
                    .iter()
                    .take_while(|&&op| op == OpCode::Leaf)
                    .count();
                let next = end
                    + t.op[end..hi]
                        .iter()
                        .take_while(|&&op| op != OpCode::Leaf)
                        .count();
                leaf_run = (end, next);
            }
            leaf_run.1 - i
        } else {
            1
        };
        match find_stretch(t, i, first_p, (hi, out), &mut budget) {
            Some(s) => {
                if scalar_from < i {
                    segments.push(Segment::Scalar(scalar_from, i));
                }
                i = s.start + s.period * s.lanes;
                scalar_from = i;
                segments.push(Segment::Stretch(s));
            }
            None => i += 1,
        }
    }
    if scalar_from < hi {
        segments.push(Segment::Scalar(scalar_from, hi));
    }
    segments
        .iter()
        .any(|s| matches!(s, Segment::Stretch(_)))
        .then_some(BatchPlan {
            segments,
            panel: Vec::new(),
            swept: 0,
            lean: false,
        })
}

/// A stretch starting at node `i`: the first candidate period (from `first_p`) that repeats
/// at least [`MIN_LANES`] times.
fn find_stretch(
    t: &TapeData,
    i: usize,
    first_p: usize,
    (hi, out): (usize, usize),
    budget: &mut usize,
) -> Option<Stretch> {
    let max_p = ((hi - i) / MIN_LANES).min(MAX_PERIOD);
    let mut tried = 0;
    for p in first_p.max(1)..=max_p {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if t.op[i + p] != t.op[i] {
            continue;
        }
        tried += 1;
        if tried > MAX_CANDIDATES {
            return None;
        }
        if let Some(s) = try_period(t, i, p, (hi, out), budget) {
            return Some(s);
        }
    }
    None
}

/// The stretch of period `p` from `i`, if lanes 0 and 1 give a template that enough lanes
/// follow and whose references keep the sweep's order.
fn try_period(
    t: &TapeData,
    i: usize,
    p: usize,
    (hi, out): (usize, usize),
    budget: &mut usize,
) -> Option<Stretch> {
    if i + MIN_LANES * p > hi {
        return None;
    }
    let mut tpl = Template {
        shapes: Vec::with_capacity(p),
        offs: Vec::with_capacity(p + 1),
        refs: Vec::new(),
        xs: Vec::with_capacity(p),
        check: Vec::with_capacity(p),
    };
    tpl.offs.push(0);
    let (mut s0, mut s1) = (Vec::new(), Vec::new());
    for q in 0..p {
        *budget = budget.saturating_sub(1);
        let shape = slots(t, i + q, &mut s0);
        if slots(t, i + p + q, &mut s1) != shape {
            return None;
        }
        for (k, (&x0, &x1)) in s0.iter().zip(&s1).enumerate() {
            let (x0, x1) = (x0 as usize, x1 as usize);
            let r = if x0 >= i {
                if x1 != x0 + p {
                    return None;
                }
                Ref::Local((x0 - i) as u32)
            } else {
                // Below the stretch, at a fixed stride; a span wholly below it.
                let span = if is_span(shape, k) {
                    shape.1 as usize
                } else {
                    1
                };
                if x1 < x0 || x1 + span > i {
                    return None;
                }
                Ref::Ext {
                    node: x0 as u32,
                    stride: (x1 - x0) as u32,
                }
            };
            tpl.refs.push(r);
        }
        tpl.offs.push(tpl.refs.len());
        tpl.shapes.push(shape);
        tpl.xs.push(xs_of(t, i + q));
        let stride = |r: &Ref| match *r {
            Ref::Local(_) => (p as u32, false),
            Ref::Ext { stride, .. } => (stride, true),
        };
        let refs = tpl.refs(q);
        tpl.check.push(match shape.0.arity() {
            Arity::Nary => Check::Slots,
            arity => {
                let (da, a_below) = refs.first().map_or((0, false), stride);
                let (db, b_below) = refs.get(1).map_or((0, false), stride);
                Check::Ab {
                    da,
                    a_below,
                    db,
                    b_below,
                    with_b: arity == Arity::Binary,
                }
            }
        });
    }
    if tpl.shapes.iter().all(|s| s.0 == OpCode::Leaf) {
        return None;
    }
    let mut lanes = 2;
    while i + (lanes + 1) * p <= hi && lane_matches(t, i, p, lanes, &tpl, &mut s0) {
        *budget = budget.saturating_sub(p);
        lanes += 1;
    }
    if lanes < MIN_LANES || !refs_are_ordered(&tpl, lanes) {
        return None;
    }
    Some(build_stretch(t, (i, p, lanes), &tpl, (hi, out)))
}

/// The position of an `AffineSpan` node's input list in `operands` (`u32::MAX` for other
/// nodes).
fn xs_of(t: &TapeData, i: usize) -> u32 {
    if t.op[i] == OpCode::AffineSpan {
        t.operands[t.ab[i][0] as usize + 1]
    } else {
        u32::MAX
    }
}

/// Whether block `e` from `i` follows the template.
fn lane_matches(
    t: &TapeData,
    i: usize,
    p: usize,
    e: usize,
    tpl: &Template,
    s: &mut Vec<u32>,
) -> bool {
    let base = i + e * p;
    // The last input list checked: (lane 0's position, this lane's). A layer's neurons share
    // one list, so it is checked once per layer, not once per neuron.
    let mut checked = (u32::MAX, u32::MAX);
    for q in 0..p {
        if t.op[base + q] != tpl.shapes[q].0 {
            return false;
        }
        if let Check::Ab {
            da,
            a_below,
            db,
            b_below,
            with_b,
        } = tpl.check[q]
        {
            // Two comparisons instead of the operand list (lane 0's `ab` plus the strides).
            let ([a0, b0], [a, b]) = (t.ab[i + q], t.ab[base + q]);
            let e = e as u64;
            let moved = |x0: u32, x: u32, d: u32, below: bool| {
                x as u64 == x0 as u64 + e * d as u64 && (!below || (x as usize) < i)
            };
            let is_leaf = tpl.shapes[q].0 == OpCode::Leaf;
            if !is_leaf && !(moved(a0, a, da, a_below) && (!with_b || moved(b0, b, db, b_below))) {
                return false;
            }
            continue;
        }
        let xs = (tpl.xs[q], xs_of(t, base + q));
        if xs.0 != u32::MAX && xs == checked {
            // Only the bias and the weights to check; the inputs are those just checked.
            let [a, n] = t.ab[base + q];
            if n != tpl.shapes[q].1 {
                return false;
            }
            let (bias, w0, _) = nary::span_parts(&t.operands, a as usize, n as usize);
            s.clear();
            s.extend_from_slice(&[bias, w0]);
        } else {
            let shape = slots(t, base + q, s);
            if shape != tpl.shapes[q] {
                return false;
            }
        }
        for (k, (&x, r)) in s.iter().zip(tpl.refs(q)).enumerate() {
            let x = x as usize;
            let ok = match *r {
                Ref::Local(lq) => x == base + lq as usize,
                Ref::Ext { node, stride } => {
                    let shape = tpl.shapes[q];
                    let span = if is_span(shape, k) {
                        shape.1 as usize
                    } else {
                        1
                    };
                    x == node as usize + e * stride as usize && x + span <= i
                }
            };
            if !ok {
                return false;
            }
        }
        if xs.0 != u32::MAX {
            checked = xs;
        }
    }
    true
}

/// Whether node-major order gives every node below the stretch its adjoint's terms in the
/// sweep's order: no node is referenced from several template nodes *and* several lanes.
/// (If no two references of a node differ in both, all its references share one template
/// node or one lane.)
fn refs_are_ordered(tpl: &Template, lanes: usize) -> bool {
    // (first node, nodes, template node, lane or MANY for a shared reference), by first node.
    let mut spans: Vec<(u32, u32, u32, u32)> = Vec::new();
    for (q, &shape) in tpl.shapes.iter().enumerate() {
        for (k, r) in tpl.refs(q).iter().enumerate() {
            let Ref::Ext { node, stride } = *r else {
                continue;
            };
            let len = if is_span(shape, k) { shape.1 } else { 1 };
            if stride == 0 {
                spans.push((node, len, q as u32, MANY));
            } else {
                spans.extend((0..lanes as u32).map(|e| (node + e * stride, len, q as u32, e)));
            }
        }
    }
    spans.sort_unstable();
    // Each reference against the later ones that overlap it (few: weights are disjoint);
    // many overlaps (a node summed over and over) give up rather than search long.
    let mut budget = 16 * spans.len() + 1024;
    for (a, &(start, len, q, lane)) in spans.iter().enumerate() {
        for &(s2, _, q2, lane2) in &spans[a + 1..] {
            if s2 >= start + len {
                break;
            }
            if q2 != q && (lane2 != lane || lane == MANY) {
                return false;
            }
            budget = match budget.checked_sub(1) {
                Some(b) => b,
                None => return false,
            };
        }
    }
    true
}

/// The neuron at template node `q`, if it is one a [`Layer`] can run: `AffineSpan` with a
/// shared bias and weight span (the bias outside the span) and local, distinct inputs.
/// Returns its activation (the unary node right after it, reading it) and its refs.
fn neuron_at(tpl: &Template, q: usize) -> Option<(Option<OpCode>, u32, u32, &[Ref])> {
    let (op, n) = tpl.shapes[q];
    if op != OpCode::AffineSpan {
        return None;
    }
    let refs = tpl.refs(q);
    let (
        Ref::Ext {
            node: bias,
            stride: 0,
        },
        Ref::Ext {
            node: w0,
            stride: 0,
        },
    ) = (refs[0], refs[1])
    else {
        return None;
    };
    if (w0..w0 + n).contains(&bias) {
        return None;
    }
    let inputs = &refs[2..];
    if !inputs.iter().all(|r| matches!(r, Ref::Local(_))) {
        return None;
    }
    let act = (q + 1 < tpl.shapes.len()
        && tpl.shapes[q + 1].0.arity() == Arity::Unary
        && tpl.refs(q + 1)[0] == Ref::Local(q as u32))
    .then(|| tpl.shapes[q + 1].0);
    Some((act, bias, w0, inputs))
}

/// The layer starting at template node `q`, if there is one.
fn layer_at(tpl: &Template, q: usize, items: &[Item]) -> Option<Layer> {
    let (act, bias, w0, inputs) = neuron_at(tpl, q)?;
    let mut sorted: Vec<Ref> = inputs.to_vec();
    sorted.sort_unstable_by_key(|r| match r {
        Ref::Local(q) => *q,
        Ref::Ext { .. } => u32::MAX,
    });
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let step = 1 + usize::from(act.is_some());
    let (mut w0s, mut biases) = (vec![w0], vec![bias]);
    let mut next = q + step;
    while next + step <= tpl.shapes.len() {
        match neuron_at(tpl, next) {
            Some((a, b, w, x)) if a == act && x == inputs => {
                w0s.push(w);
                biases.push(b);
                next += step;
            }
            _ => break,
        }
    }
    let inputs: Vec<usize> = inputs
        .iter()
        .map(|r| match r {
            Ref::Local(q) => *q as usize,
            Ref::Ext { .. } => unreachable!("checked local above"),
        })
        .collect();
    let from = items
        .iter()
        .rposition(|it| matches!(it, Item::Layer(_)))
        .filter(|&f| {
            let Item::Layer(prev) = &items[f] else {
                return false;
            };
            prev.k == inputs.len() && inputs.iter().enumerate().all(|(j, &x)| x == prev.output(j))
        });
    Some(Layer {
        q,
        k: w0s.len(),
        j: inputs.len(),
        act,
        inputs,
        from,
        w0: w0s,
        bias: biases,
        x: Vec::new(),
        c: Vec::new(),
        a: Vec::new(),
        gc: Vec::new(),
        gx: Vec::new(),
        wt: Vec::new(),
        wr: Vec::new(),
        gw: Vec::new(),
        b: Vec::new(),
        gout: Vec::new(),
        as_private: false,
        out_private: false,
        finite: false,
        out_finite: false,
    })
}

fn build_stretch(
    t: &TapeData,
    (start, period, lanes): (usize, usize, usize),
    tpl: &Template,
    (hi, out): (usize, usize),
) -> Stretch {
    let mut items = Vec::new();
    let mut nodes_from = None;
    let mut q = 0;
    while q < period {
        match layer_at(tpl, q, &items) {
            Some(layer) => {
                if let Some(f) = nodes_from.take() {
                    items.push(Item::Nodes { q: f, len: q - f });
                }
                q += layer.step() * layer.k;
                items.push(Item::Layer(Box::new(layer)));
            }
            None => {
                nodes_from.get_or_insert(q);
                q += 1;
            }
        }
    }
    if let Some(f) = nodes_from {
        items.push(Item::Nodes {
            q: f,
            len: period - f,
        });
    }
    let mut s = Stretch {
        start,
        period,
        lanes,
        items,
        zero_runs: Vec::new(),
        private_runs: Vec::new(),
    };
    mark_private(t, &mut s, tpl, (hi, out));
    s
}

/// Finds the layers' private nodes (see [`Layer::as_private`], [`Layer::out_private`]):
/// nodes whose every consumer, in the template and in the recording after the stretch
/// (up to `hi`), is the one the layers' matrices account for.
fn mark_private(t: &TapeData, s: &mut Stretch, tpl: &Template, (hi, out): (usize, usize)) {
    let p = s.period;
    // Per template node: (layer item, is the affine node with an activation after it).
    let mut role: Vec<Option<(usize, bool)>> = vec![None; p];
    for (idx, it) in s.items.iter().enumerate() {
        if let Item::Layer(l) = it {
            for k in 0..l.k {
                let q = l.q + l.step() * k;
                role[q] = Some((idx, l.act.is_some()));
                if l.act.is_some() {
                    role[q + 1] = Some((idx, false));
                }
            }
        }
    }
    let n = s.items.len();
    let (mut as_ok, mut out_ok, mut out_used) = (vec![true; n], vec![true; n], vec![false; n]);
    let from = |idx: usize| match &s.items[idx] {
        Item::Layer(l) => l.from,
        Item::Nodes { .. } => None,
    };
    // A use of template node `q` by template node `user` (`None`: by a node after it).
    let mut used = |q: usize, user: Option<usize>| {
        let Some((li, affine_with_act)) = role[q] else {
            return;
        };
        if affine_with_act {
            // Only its activation, the next node, may read it.
            if user != Some(q + 1) {
                as_ok[li] = false;
            }
        } else if user
            .and_then(|u| role[u])
            .is_some_and(|(ui, _)| from(ui) == Some(li))
        {
            // A neuron of the layer that reads this one's outputs as its inputs (an
            // activation node reads only its own affine node, which is not in layer `li`).
            out_used[li] = true;
        } else {
            out_ok[li] = false;
        }
    };
    for user in 0..p {
        for r in tpl.refs(user) {
            if let Ref::Local(q) = *r {
                used(q as usize, Some(user));
            }
        }
    }
    let (lo, end) = (s.start, s.start + p * s.lanes);
    let mut operands = Vec::new();
    for i in end..hi {
        operands.clear();
        node_operands(t, i, &mut operands);
        for &x in &operands {
            let x = x as usize;
            if (lo..end).contains(&x) {
                used((x - lo) % p, None);
            }
        }
    }
    // The recording's output is read from outside (the replay seeds its gradient): inside
    // a stretch, its template node must not be private, or zeroing the private gradients
    // before the sweep would wipe the seed.
    if (lo..end).contains(&out) {
        used((out - lo) % p, None);
    }
    for (idx, it) in s.items.iter_mut().enumerate() {
        if let Item::Layer(l) = it {
            l.as_private = as_ok[idx] && l.act.is_some();
            l.out_private = out_ok[idx] && out_used[idx];
        }
    }
    let private = |q: usize| match role[q] {
        Some((li, affine_with_act)) => match &s.items[li] {
            Item::Layer(l) if affine_with_act => l.as_private,
            Item::Layer(l) => l.out_private,
            Item::Nodes { .. } => false,
        },
        None => false,
    };
    let (mut zero, mut priv_runs) = (Vec::new(), Vec::new());
    let mut q = 0;
    while q < p {
        let kind = private(q);
        let len = (q..p).take_while(|&r| private(r) == kind).count();
        if kind { &mut priv_runs } else { &mut zero }.push((q, len));
        q += len;
    }
    s.zero_runs = zero;
    s.private_runs = priv_runs;
}

/// Every node operand of node `i` (an `AffineSpan`'s whole weight span).
fn node_operands(t: &TapeData, i: usize, out: &mut Vec<u32>) {
    let [a, b] = t.ab[i];
    match t.op[i].arity() {
        Arity::Leaf => {}
        Arity::Unary | Arity::WithConst => out.push(a),
        Arity::Binary => out.extend_from_slice(&[a, b]),
        Arity::Nary => nary::for_each_operand(&t.operands, t.op[i], a as usize, b as usize, |x| {
            out.push(x)
        }),
    }
}

/// Recomputes node `i`'s value from its operands (as a replay of the tape does).
#[inline]
fn forward_one(t: &mut TapeData, i: usize) {
    let op = t.op[i];
    let [a, b] = t.ab[i];
    let (a, b) = (a as usize, b as usize);
    match op.arity() {
        Arity::Leaf => {}
        Arity::Nary => t.val[i] = nary::value(op, a, b, &t.val, &t.operands),
        _ => t.val[i] = op.forward_node(a, b, &t.val, &t.consts),
    }
}

/// Propagates node `i`'s adjoint into its operands (one step of the tape's sweep).
#[inline]
fn backward_one(t: &mut TapeData, i: usize) {
    let g = t.grad[i];
    if g == 0.0 {
        return;
    }
    let [a, b] = t.ab[i];
    t.op[i].propagate(
        i,
        g,
        a as usize,
        b as usize,
        &t.val,
        &mut t.grad,
        &t.consts,
        &t.operands,
    );
}

impl BatchPlan {
    /// The number of nodes in batched stretches.
    pub(crate) fn batched_nodes(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Stretch(s) => s.period * s.lanes,
                Segment::Scalar(..) => 0,
            })
            .sum()
    }

    /// Per stretch: its period, lanes and layers; and the fallback count (for tests).
    #[cfg(test)]
    pub(crate) fn describe(&self) -> (Vec<(usize, usize, usize)>, usize) {
        let stretches = self
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Stretch(s) => Some((
                    s.period,
                    s.lanes,
                    s.items
                        .iter()
                        .filter(|i| matches!(i, Item::Layer(_)))
                        .count(),
                )),
                Segment::Scalar(..) => None,
            })
            .collect();
        (stretches, self.swept)
    }

    /// Lean replay: the layers' private nodes (read by nothing but the layers' own
    /// products: hidden neurons' affine values and activations) keep whatever the tape held,
    /// values and adjoints; every other node, the parameters' gradients and the output are
    /// as in a full replay. For callers that read no recorded interior node (`train`).
    pub(crate) fn set_lean(&mut self, lean: bool) {
        self.lean = lean;
    }

    /// Recomputes every node's value, as `TapeData::forward_range` over the whole range
    /// (but the private nodes' if lean).
    pub(crate) fn forward(&mut self, t: &mut TapeData) {
        for seg in &mut self.segments {
            match seg {
                Segment::Scalar(lo, hi) => t.forward_range(*lo, *hi),
                Segment::Stretch(s) => s.forward(t, !self.lean, &mut self.panel),
            }
        }
    }

    /// Zeroes the adjoints a backward adds into: every node's but the layers' private ones
    /// (which [`backward`](BatchPlan::backward) writes whole). Pre: `grad` covers the range.
    pub(crate) fn zero_grads(&self, t: &mut TapeData) {
        for seg in &self.segments {
            match seg {
                Segment::Scalar(lo, hi) => t.grad[*lo..*hi].fill(0.0),
                Segment::Stretch(s) if s.private_runs.is_empty() => {
                    t.grad[s.start..s.end()].fill(0.0)
                }
                Segment::Stretch(s) => s.zero(t, &s.zero_runs),
            }
        }
    }

    /// The reverse sweep over the range up to `root`, as `TapeData::sweep(lo, root + 1)`.
    /// Pre: [`zero_grads`](BatchPlan::zero_grads), then the root seeded, and
    /// [`forward`](BatchPlan::forward) ran since the leaves last changed.
    pub(crate) fn backward(&mut self, t: &mut TapeData, root: usize) {
        for seg in self.segments.iter_mut().rev() {
            match seg {
                Segment::Scalar(lo, hi) => {
                    if *lo <= root {
                        t.sweep(*lo, (*hi).min(root + 1));
                    }
                }
                Segment::Stretch(s) => {
                    if s.start > root {
                        s.zero(t, &s.private_runs);
                        continue;
                    }
                    if root < s.end() || !s.exact(t) {
                        self.swept += 1;
                        if self.lean {
                            s.write_values(t);
                        }
                        s.zero(t, &s.private_runs);
                        t.sweep(s.start, s.end().min(root + 1));
                    } else {
                        s.backward(t, !self.lean, &mut self.panel);
                    }
                }
            }
        }
    }
}

impl Stretch {
    fn end(&self) -> usize {
        self.start + self.period * self.lanes
    }

    fn node(&self, e: usize, q: usize) -> usize {
        self.start + e * self.period + q
    }

    /// Zeroes the adjoints of the template runs `runs` in every lane.
    fn zero(&self, t: &mut TapeData, runs: &[(usize, usize)]) {
        for e in 0..self.lanes {
            for &(q, len) in runs {
                let i = self.node(e, q);
                t.grad[i..i + len].fill(0.0);
            }
        }
    }

    /// Whether the layers' products give the sweep's numbers this time (module
    /// documentation): inputs and weights finite, no weight's or bias's adjoint `-0.0`.
    fn exact(&self, t: &TapeData) -> bool {
        self.items.iter().all(|it| match it {
            Item::Nodes { .. } => true,
            Item::Layer(l) => {
                l.finite
                    && l.w0
                        .iter()
                        .all(|&w| no_neg_zero(&t.grad[w as usize..w as usize + l.j]))
                    && l.bias.iter().all(|&b| no_neg_zero(&[t.grad[b as usize]]))
            }
        })
    }

    /// Every private node's value on the tape (the others are written by every forward).
    fn write_values(&self, t: &mut TapeData) {
        let shape = (self.start, self.period, self.lanes);
        for it in &self.items {
            if let Item::Layer(l) = it {
                l.write_values(t, shape);
            }
        }
    }

    fn forward(&mut self, t: &mut TapeData, all: bool, panel: &mut Vec<f64>) {
        let shape = (self.start, self.period, self.lanes);
        for idx in 0..self.items.len() {
            let (before, rest) = self.items.split_at_mut(idx);
            match &mut rest[0] {
                Item::Nodes { q, len } => {
                    for q in *q..*q + *len {
                        if t.op[self.start + q] == OpCode::Leaf {
                            continue;
                        }
                        for e in 0..self.lanes {
                            forward_one(t, self.start + e * self.period + q);
                        }
                    }
                }
                Item::Layer(l) => {
                    let prev = l.from.map(|f| layer(&before[f]));
                    l.forward(t, shape, prev.map(|p| (p.out(), p.out_finite)), all, panel);
                }
            }
        }
    }

    fn backward(&mut self, t: &mut TapeData, all: bool, panel: &mut Vec<f64>) {
        let shape = (self.start, self.period, self.lanes);
        for idx in (0..self.items.len()).rev() {
            let (before, rest) = self.items.split_at_mut(idx);
            match &mut rest[0] {
                Item::Nodes { q, len } => {
                    for q in (*q..*q + *len).rev() {
                        if t.op[self.start + q] == OpCode::Leaf {
                            continue;
                        }
                        for e in (0..self.lanes).rev() {
                            backward_one(t, self.start + e * self.period + q);
                        }
                    }
                }
                Item::Layer(l) => {
                    let prev = l.from.map(|f| match &mut before[f] {
                        Item::Layer(p) => &mut **p,
                        Item::Nodes { .. } => unreachable!("`from` names a layer"),
                    });
                    l.backward(t, shape, prev, all, panel);
                }
            }
        }
    }
}

/// The layer an item's `from` names.
fn layer(item: &Item) -> &Layer {
    match item {
        Item::Layer(l) => l,
        Item::Nodes { .. } => unreachable!("`from` names a layer"),
    }
}

/// Whether every number is finite (a loop the compiler vectorizes: no early exit).
fn all_finite(xs: &[f64]) -> bool {
    xs.iter().fold(true, |ok, &x| ok & x.is_finite())
}

/// Whether no number is `-0.0`.
fn no_neg_zero(xs: &[f64]) -> bool {
    let neg_zero = (-0.0f64).to_bits();
    xs.iter()
        .fold(true, |ok, &x| ok & (x.to_bits() != neg_zero))
}

/// Runs `$body` with `$fwd(c)` and `$partial(c, y)`, the activation's forward formula and
/// derivative from the table, as closures the compiler inlines (the common activations get
/// a copy of the body each; the rest dispatch on the table's `match`).
macro_rules! with_activation {
    ($code:expr, |$fwd:ident, $partial:ident| $body:expr) => {
        match $code.public() {
            Op::Relu => {
                let $fwd = |c: f64| Op::Relu.forward(c, 0.0);
                let $partial = |c: f64, y: f64| Op::Relu.partials(c, 0.0, y).0;
                $body
            }
            Op::Tanh => {
                let $fwd = |c: f64| Op::Tanh.forward(c, 0.0);
                let $partial = |c: f64, y: f64| Op::Tanh.partials(c, 0.0, y).0;
                $body
            }
            Op::Sigmoid => {
                let $fwd = |c: f64| Op::Sigmoid.forward(c, 0.0);
                let $partial = |c: f64, y: f64| Op::Sigmoid.partials(c, 0.0, y).0;
                $body
            }
            op => {
                let $fwd = |c: f64| op.forward(c, 0.0);
                let $partial = |c: f64, y: f64| op.partials(c, 0.0, y).0;
                $body
            }
        }
    };
}

/// Writes a layer's numbers for every lane into `to` (the tape's values or adjoints): the
/// affine nodes' from `c` if `write_c`, the activations' from `a` if `write_a` (lanes x
/// neurons each; without an activation, `c` holds the outputs, written if `write_a`).
#[allow(clippy::too_many_arguments)]
fn write_layer(
    to: &mut [f64],
    (start, period, lanes): (usize, usize, usize),
    q: usize,
    kn: usize,
    with_act: bool,
    (c, a): (&[f64], &[f64]),
    (write_c, write_a): (bool, bool),
) {
    for e in 0..lanes {
        let row = start + e * period + q;
        let (c, a) = (&c[e * kn..(e + 1) * kn], &a[e * kn.min(a.len())..]);
        if !with_act {
            if write_a {
                to[row..row + kn].copy_from_slice(c);
            }
            continue;
        }
        let out = &mut to[row..row + 2 * kn];
        match (write_c, write_a) {
            (true, true) => {
                for ((o, &c), &a) in out.chunks_exact_mut(2).zip(c).zip(a) {
                    o[0] = c;
                    o[1] = a;
                }
            }
            (true, false) => {
                for (o, &c) in out.chunks_exact_mut(2).zip(c) {
                    o[0] = c;
                }
            }
            (false, true) => {
                for (o, &a) in out.chunks_exact_mut(2).zip(a) {
                    o[1] = a;
                }
            }
            (false, false) => {}
        }
    }
}

/// `sums[k] += rows[e][k]` for every row `e` of `rows` (rows of `sums.len()` numbers), from
/// the last row to the first; eight sums at a time, in registers.
fn add_rows_desc(sums: &mut [f64], rows: &[f64]) {
    let kn = sums.len();
    let mut k0 = 0;
    while k0 < kn {
        let w = (kn - k0).min(8);
        let mut acc = [0.0f64; 8];
        acc[..w].copy_from_slice(&sums[k0..k0 + w]);
        if w == 8 {
            for row in rows.chunks_exact(kn).rev() {
                let r: &[f64; 8] = row[k0..k0 + 8].try_into().expect("8 numbers");
                for (s, &g) in acc.iter_mut().zip(r) {
                    *s += g;
                }
            }
        } else {
            for row in rows.chunks_exact(kn).rev() {
                for (s, &g) in acc[..w].iter_mut().zip(&row[k0..k0 + w]) {
                    *s += g;
                }
            }
        }
        sums[k0..k0 + w].copy_from_slice(&acc[..w]);
        k0 += w;
    }
}

impl Layer {
    /// Which of the layer's nodes a replay writes (values and adjoints): (affine nodes,
    /// outputs). With `all` false, private nodes are left as they are.
    fn writes(&self, all: bool) -> (bool, bool) {
        (all || !self.as_private, all || !self.out_private)
    }

    /// The layer's values for every lane, written to the tape (private nodes only if
    /// `all`). `prev`: the outputs of the layer named by `from` (lanes x inputs), and
    /// whether they are finite.
    fn forward(
        &mut self,
        t: &mut TapeData,
        shape: (usize, usize, usize),
        prev: Option<(&[f64], bool)>,
        all: bool,
        panel: &mut Vec<f64>,
    ) {
        let (start, period, n) = shape;
        let (jn, kn) = (self.j, self.k);
        let mut finite = true;
        if prev.is_none() {
            self.x.resize(n * jn, 0.0);
            for (e, row) in self.x.chunks_exact_mut(jn).enumerate() {
                let base = start + e * period;
                for (x, &q) in row.iter_mut().zip(&self.inputs) {
                    *x = t.val[base + q];
                    finite &= x.is_finite();
                }
            }
        }
        let x: &[f64] = match prev {
            Some((x, ok)) => {
                finite &= ok;
                x
            }
            None => &self.x,
        };
        self.wt.resize(jn * kn, 0.0);
        for (k, &w0) in self.w0.iter().enumerate() {
            let w = &t.val[w0 as usize..w0 as usize + jn];
            finite &= all_finite(w);
            for (j, &v) in w.iter().enumerate() {
                self.wt[j * kn + k] = v;
            }
        }
        self.finite = finite;
        self.b.clear();
        self.b.extend(self.bias.iter().map(|&b| t.val[b as usize]));
        self.c.resize(n * kn, 0.0);
        let g = Gemm {
            a: x,
            a_row: jn,
            a_inner: 1,
            b: &self.wt,
            b_inner: kn,
            rows: n,
            cols: kn,
            inner: jn,
            desc: false,
            accumulate: false,
            bias: Some(&self.b),
        };
        kernels::gemm(&g, &mut self.c, kn, panel);
        self.out_finite = match self.act {
            Some(code) => {
                self.a.resize(n * kn, 0.0);
                with_activation!(code, |fwd, _partial| {
                    let mut ok = true;
                    for (a, &c) in self.a.iter_mut().zip(&self.c) {
                        *a = fwd(c);
                        ok &= a.is_finite();
                    }
                    ok
                })
            }
            None => all_finite(&self.c),
        };
        let writes = self.writes(all);
        let acts = (&self.c[..], &self.a[..]);
        write_layer(
            &mut t.val,
            shape,
            self.q,
            kn,
            self.act.is_some(),
            acts,
            writes,
        );
    }

    /// Writes every node's value (after a lean forward, before a sweep reads them).
    fn write_values(&self, t: &mut TapeData, shape: (usize, usize, usize)) {
        let acts = (&self.c[..], &self.a[..]);
        write_layer(
            &mut t.val,
            shape,
            self.q,
            self.k,
            self.act.is_some(),
            acts,
            (true, true),
        );
    }

    /// The layer's backward for every lane: the adjoints of its nodes (on the tape; private
    /// ones only if `all`), of its inputs (into `prev.gout` if `prev`'s outputs are private,
    /// else on the tape), and of its weights and biases (on the tape). Pre: the stretch is
    /// [`exact`](Stretch::exact), and if this layer's outputs are private, the layer reading
    /// them filled `gout`.
    fn backward(
        &mut self,
        t: &mut TapeData,
        shape: (usize, usize, usize),
        prev: Option<&mut Layer>,
        all: bool,
        panel: &mut Vec<f64>,
    ) {
        let (start, period, n) = shape;
        let (jn, kn) = (self.j, self.k);
        let step = self.step();
        if !self.out_private {
            self.gout.resize(n * kn, 0.0);
            for (e, g) in self.gout.chunks_exact_mut(kn).enumerate() {
                let out = start + e * period + self.q + step - 1;
                for (k, g) in g.iter_mut().enumerate() {
                    *g = t.grad[out + step * k];
                }
            }
        }
        // The affine nodes' adjoints: what they hold (0 if private), plus the activation's
        // term if its adjoint is not 0 (the sweep skips it then).
        if let Some(code) = self.act {
            self.gc.resize(n * kn, 0.0);
            if self.as_private {
                self.gc.fill(0.0);
            } else {
                for (e, g) in self.gc.chunks_exact_mut(kn).enumerate() {
                    let row = start + e * period + self.q;
                    for (k, g) in g.iter_mut().enumerate() {
                        *g = t.grad[row + 2 * k];
                    }
                }
            }
            with_activation!(code, |_fwd, partial| {
                let terms = self.gout.iter().zip(&self.c).zip(&self.a);
                for (g, ((&ga, &c), &y)) in self.gc.iter_mut().zip(terms) {
                    let v = *g + ga * partial(c, y);
                    *g = if ga != 0.0 { v } else { *g };
                }
            });
        }
        let gc: &[f64] = if self.act.is_some() {
            &self.gc
        } else {
            &self.gout
        };
        let grads = (gc, &self.gout[..]);
        write_layer(
            &mut t.grad,
            shape,
            self.q,
            kn,
            self.act.is_some(),
            grads,
            self.writes(all),
        );
        // The inputs' adjoints: the neurons' terms from the last neuron to the first.
        self.wr.resize(kn * jn, 0.0);
        for (k, &w0) in self.w0.iter().enumerate() {
            self.wr[k * jn..(k + 1) * jn].copy_from_slice(&t.val[w0 as usize..w0 as usize + jn]);
        }
        let mut dx = Gemm {
            a: gc,
            a_row: kn,
            a_inner: 1,
            b: &self.wr,
            b_inner: jn,
            rows: n,
            cols: jn,
            inner: kn,
            desc: true,
            accumulate: true,
            bias: None,
        };
        let x: &[f64] = match prev {
            Some(p) if p.out_private => {
                // The previous layer's outputs have no other consumer: their adjoints are
                // these sums alone, from 0.
                dx.accumulate = false;
                p.gout.resize(n * jn, 0.0);
                kernels::gemm(&dx, &mut p.gout, jn, panel);
                p.out()
            }
            prev => {
                self.gx.resize(n * jn, 0.0);
                for (e, row) in self.gx.chunks_exact_mut(jn).enumerate() {
                    let base = start + e * period;
                    for (g, &q) in row.iter_mut().zip(&self.inputs) {
                        *g = t.grad[base + q];
                    }
                }
                kernels::gemm(&dx, &mut self.gx, jn, panel);
                for (e, row) in self.gx.chunks_exact(jn).enumerate() {
                    let base = start + e * period;
                    for (&g, &q) in row.iter().zip(&self.inputs) {
                        t.grad[base + q] = g;
                    }
                }
                match prev {
                    Some(p) => p.out(),
                    None => &self.x,
                }
            }
        };
        // The weights' adjoints: the examples' terms from the last example to the first.
        self.gw.resize(kn * jn, 0.0);
        for (k, &w0) in self.w0.iter().enumerate() {
            self.gw[k * jn..(k + 1) * jn].copy_from_slice(&t.grad[w0 as usize..w0 as usize + jn]);
        }
        let dw = Gemm {
            a: gc,
            a_row: 1,
            a_inner: kn,
            b: x,
            b_inner: jn,
            rows: kn,
            cols: jn,
            inner: n,
            desc: true,
            accumulate: true,
            bias: None,
        };
        kernels::gemm(&dw, &mut self.gw, jn, panel);
        for (k, &w0) in self.w0.iter().enumerate() {
            t.grad[w0 as usize..w0 as usize + jn].copy_from_slice(&self.gw[k * jn..(k + 1) * jn]);
        }
        // The biases' adjoints, also from the last example to the first.
        self.b.clear();
        self.b.extend(self.bias.iter().map(|&b| t.grad[b as usize]));
        add_rows_desc(&mut self.b, gc);
        for (&b, &s) in self.bias.iter().zip(&self.b) {
            t.grad[b as usize] = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tape::with_tape;
    use crate::engine::{Recording, Tape, Value};
    use crate::nn::{Activation, MLP, MlpSpec, loss};
    use proptest::prelude::*;

    /// A number's bits, every NaN as one: which NaN an operation on two NaNs returns is not
    /// fixed by IEEE 754, and the compiler does not keep it (it commutes additions), so two
    /// code paths may differ there and nowhere else.
    fn exact(x: f64) -> u64 {
        if x.is_nan() {
            f64::NAN.to_bits()
        } else {
            x.to_bits()
        }
    }

    /// Every value and gradient of the nodes `lo..hi`, as [`exact`] bits.
    fn snapshot(lo: usize, hi: usize) -> Vec<(u64, u64)> {
        with_tape(|t| {
            (lo..hi)
                .map(|i| (exact(t.val[i]), exact(t.grad_of(i))))
                .collect()
        })
    }

    fn range(rec: &Recording) -> (usize, usize) {
        let hi = rec.output().id() + 1;
        (hi - rec.len(), hi)
    }

    fn bits(values: &[Value], f: impl Fn(Value) -> f64) -> Vec<u64> {
        values.iter().map(|&v| exact(f(v))).collect()
    }

    /// Replays `batched` and `plain` (recordings of the same graph, reading `params`) with the
    /// parameters' grads starting at `grad0`, and compares the loss, the parameters' grads
    /// and every recorded node's value and grad, to the bit.
    fn compare(batched: &Recording, plain: &Recording, params: &[Value], grad0: &[f64]) -> f64 {
        assert_eq!(batched.len(), plain.len());
        let set_grads = || {
            for (p, &g) in params.iter().zip(grad0) {
                p.set_grad(g);
            }
        };
        set_grads();
        let lb = batched.replay();
        let gb = bits(params, Value::grad);
        let (rb, rp) = (range(batched), range(plain));
        let sb = snapshot(rb.0, rb.1);
        set_grads();
        let lp = plain.replay();
        let sp = snapshot(rp.0, rp.1);
        assert_eq!(exact(lb), exact(lp), "loss {lb} vs {lp}");
        assert_eq!(gb, bits(params, Value::grad), "parameter gradients");
        if let Some(i) = (0..sb.len()).find(|&i| sb[i] != sp[i]) {
            let f = |(v, g): (u64, u64)| (f64::from_bits(v), f64::from_bits(g));
            panic!(
                "recorded node {i}: batched (value, grad) {:?}, plain {:?}",
                f(sb[i]),
                f(sp[i])
            );
        }
        lb
    }

    /// The loss kinds of `train` whose graph does not depend on the values.
    #[derive(Clone, Copy, Debug)]
    enum LossKind {
        Svm,
        Mse,
        Bce,
    }

    fn loss_of(kind: LossKind, scores: &[Value], y: &[f64]) -> Value {
        match kind {
            LossKind::Svm => loss::svm(scores, y),
            LossKind::Mse => loss::mse(scores, y),
            LossKind::Bce => {
                let y01: Vec<f64> = y.iter().map(|&v| f64::from(v > 0.0)).collect();
                loss::bce_with_logits(scores, &y01)
            }
        }
    }

    /// An MLP's loss on `xs`, recorded batched and plain, replayed at each set of weights:
    /// equal to the bit, and equal to a rebuilt graph. Returns the batched recording's
    /// description (stretches, fallbacks).
    fn check_mlp(
        spec: &MlpSpec,
        weights: &[Vec<f64>],
        xs: &[Vec<f64>],
        y: &[f64],
        kind: LossKind,
        l2: f64,
        grad0: f64,
    ) -> (Vec<(usize, usize, usize)>, usize) {
        let _scope = Tape::scope();
        let params = Value::leaves(&weights[0]);
        let model = MLP::from_values(spec, &params).unwrap();
        let build = || {
            let scores: Vec<Value> = xs
                .iter()
                .map(|x| model.forward(&Value::leaves(x))[0])
                .collect();
            let data = loss_of(kind, &scores, y);
            if l2 > 0.0 {
                data + loss::l2(&params, l2)
            } else {
                data
            }
        };
        let batched = Recording::record_batched(build);
        let plain = Recording::record(build);
        let grad0: Vec<f64> = (0..params.len())
            .map(|i| if i == 0 { grad0 } else { 0.0 })
            .collect();
        let set_grads = || {
            for (p, &g) in params.iter().zip(&grad0) {
                p.set_grad(g);
            }
        };
        for w in weights {
            for (p, &v) in params.iter().zip(w) {
                p.set_data(v);
            }
            let (loss, rebuilt) = {
                let _step = Tape::scope();
                set_grads();
                let fresh = build();
                fresh.backward();
                (fresh.data(), bits(&params, Value::grad))
            };
            // Lean first, while the hidden neurons on the tape are those of the last
            // weights: the same loss and gradients.
            batched.set_lean(true);
            set_grads();
            assert_eq!(exact(batched.replay()), exact(loss), "lean loss");
            assert_eq!(rebuilt, bits(&params, Value::grad), "lean gradients");
            batched.set_lean(false);
            assert_eq!(
                exact(compare(&batched, &plain, &params, &grad0)),
                exact(loss)
            );
            assert_eq!(rebuilt, bits(&params, Value::grad), "rebuilt gradients");
        }
        batched.batch_description()
    }

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// micrograd's demo network: three layers batched, no fallback, every node equal.
    #[test]
    fn moons_mlp_batched_equals_plain() {
        let spec = MlpSpec::new(2, &[16, 16, 1], Activation::Relu);
        let mut s = 7;
        let weights: Vec<Vec<f64>> = (0..3)
            .map(|_| (0..spec.num_parameters()).map(|_| lcg(&mut s)).collect())
            .collect();
        let xs: Vec<Vec<f64>> = (0..50).map(|_| vec![lcg(&mut s), lcg(&mut s)]).collect();
        let y: Vec<f64> = (0..50)
            .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
            .collect();
        for (kind, loss_period) in [(LossKind::Svm, 3), (LossKind::Mse, 1), (LossKind::Bce, 9)] {
            let (stretches, swept) = check_mlp(&spec, &weights, &xs, &y, kind, 1e-4, 0.0);
            assert_eq!(stretches, [(67, 50, 3), (loss_period, 50, 0)], "{kind:?}");
            assert_eq!(swept, 0);
        }
    }

    /// Where the products would not give the sweep's numbers (a weight's grad at -0.0, a
    /// weight that is infinite), replay falls back to the sweep: still equal.
    #[test]
    fn fallbacks_keep_the_sweeps_numbers() {
        let spec = MlpSpec::new(2, &[8, 1], Activation::Relu);
        let mut s = 11;
        // Two sets of weights each: the second replays with the tape's hidden neurons
        // still those of the first (lean replay writes them before it sweeps).
        let mut w: Vec<Vec<f64>> = (0..2)
            .map(|_| (0..spec.num_parameters()).map(|_| lcg(&mut s)).collect())
            .collect();
        let xs: Vec<Vec<f64>> = (0..20).map(|_| vec![lcg(&mut s), 0.0]).collect();
        let y: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let (_, swept) = check_mlp(&spec, &w, &xs, &y, LossKind::Svm, 0.0, -0.0);
        assert!(swept > 0, "a -0.0 gradient falls back");
        w[0][1] = f64::INFINITY;
        w[1][1] = f64::NEG_INFINITY;
        let (_, swept) = check_mlp(&spec, &w, &xs, &y, LossKind::Mse, 0.0, 0.0);
        assert!(swept > 0, "an infinite weight falls back");
    }

    fn activation() -> impl Strategy<Value = Activation> {
        prop::sample::select(Activation::ALL.to_vec())
    }

    /// A number in [-2, 2], often exactly 0 (ReLU's kink, zero adjoints).
    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![3 => -2.0..2.0f64, 1 => Just(0.0), 1 => Just(1.0)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Random networks, data, losses and weights: batched replay equals plain replay
        /// and the rebuilt graph, every node's value and gradient to the bit.
        #[test]
        fn random_mlps_batched_equal_plain(
            nin in 1usize..4,
            hidden in prop::collection::vec(1usize..10, 1..4),
            act in activation(),
            lanes in 1usize..24,
            kind in prop::sample::select(vec![LossKind::Svm, LossKind::Mse, LossKind::Bce]),
            l2 in prop_oneof![Just(0.0), Just(1e-3)],
            seed in any::<u64>(),
            zeros in any::<bool>(),
        ) {
            let mut sizes = hidden.clone();
            sizes.push(1);
            let spec = MlpSpec::new(nin, &sizes, act);
            let mut s = seed;
            let mut num = || if zeros && lcg(&mut s) > 0.5 { 0.0 } else { 2.0 * lcg(&mut s) };
            let weights: Vec<Vec<f64>> = (0..2)
                .map(|_| (0..spec.num_parameters()).map(|_| num()).collect())
                .collect();
            let xs: Vec<Vec<f64>> = (0..lanes).map(|_| (0..nin).map(|_| num()).collect()).collect();
            let y: Vec<f64> = (0..lanes).map(|_| if num() > 0.0 { 1.0 } else { -1.0 }).collect();
            let (stretches, swept) = check_mlp(&spec, &weights, &xs, &y, kind, l2, 0.0);
            if lanes >= super::MIN_LANES {
                prop_assert_eq!(stretches[0].2, sizes.len(), "every layer batched");
                prop_assert_eq!(swept, 0);
            }
        }

        /// Random per-example programs over shared parameters (any operation, shared and
        /// per-example operands, constants): whatever stretches are found, batched replay
        /// equals plain replay to the bit.
        #[test]
        fn random_programs_batched_equal_plain(
            program in prop::collection::vec((0u8..16, any::<u16>(), any::<u16>(), number()), 1..12),
            params in prop::collection::vec(number(), 1..4),
            inputs in 1usize..3,
            lanes in 1usize..12,
            data in prop::collection::vec(number(), 40),
            second in any::<bool>(),
        ) {
            let _scope = Tape::scope();
            let p = Value::leaves(&params);
            let build = || {
                let mut outs = Vec::new();
                for e in 0..lanes {
                    let mut pool: Vec<Value> = p.clone();
                    pool.extend((0..inputs).map(|k| Value::new(data[(e * inputs + k) % 40])));
                    for &(op, a, b, c) in &program {
                        let x = pool[a as usize % pool.len()];
                        let y = pool[b as usize % pool.len()];
                        let v = match op {
                            0 => x + y,
                            1 => x - y,
                            2 => x * y,
                            3 => x / y,
                            4 => x.tanh(),
                            5 => x.relu(),
                            6 => x.sigmoid(),
                            7 => (x * 0.5).exp(),
                            8 => -x,
                            9 => x * c,
                            10 => c - x,
                            11 => x + data[e % 40],
                            12 => Value::sum(&[x, y, x]),
                            13 => Value::dot(&[x, y], &[y, x]),
                            14 => Value::affine(&[x], &[y], x),
                            _ => x.pow(2.0),
                        };
                        pool.push(v);
                    }
                    outs.push(*pool.last().unwrap());
                }
                if second {
                    // A second per-example stretch reading the first one's outputs.
                    outs = outs
                        .iter()
                        .enumerate()
                        .map(|(e, &o)| (o * data[(e + 7) % 40]).tanh())
                        .collect();
                }
                Value::sum(&outs)
            };
            let batched = Recording::record_batched(build);
            let plain = Recording::record(build);
            for k in 0..2 {
                for (v, &x) in p.iter().zip(&params) {
                    v.set_data(x + k as f64 * 0.25);
                }
                compare(&batched, &plain, &p, &vec![0.0; p.len()]);
            }
        }
    }
}
