//! A reference evaluator for the engine: a plain graph of nodes in creation order (a `Vec`,
//! no tape, no epochs, no operand pools), with values and the backward sweep written out
//! directly. The local math of each operation comes from the engine's table
//! ([`Op::forward`], [`Op::partials`]), which is the one home of each op's formula; what this
//! checks is everything around it: node layout, operand lists, the spans of layers,
//! constants, scopes and truncation, replay, and the order of the additions (values and
//! gradients are compared bit for bit).

use micrograd::engine::Op;

/// How a node was made.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A leaf.
    Leaf,
    /// A unary operation of the table on node `a`.
    Unary(Op, usize),
    /// An operation with a constant: `(op, a, c)`.
    WithConst(Op, usize, f64),
    /// A binary operation on nodes `a`, `b`.
    Binary(Op, usize, usize),
    /// `sum(x_i)`.
    Sum(Vec<usize>),
    /// `sum(w_i * x_i)`, operands `w_0, x_0, w_1, x_1, ...`.
    Dot(Vec<usize>),
    /// `sum(w_i * x_i) + b`: the bias, then the pairs.
    Affine(usize, Vec<usize>),
}

impl Kind {
    /// The node operands, in the engine's [`micrograd::engine::Node::inputs`] order.
    pub fn inputs(&self) -> Vec<usize> {
        match self {
            Kind::Leaf => vec![],
            Kind::Unary(_, a) | Kind::WithConst(_, a, _) => vec![*a],
            Kind::Binary(_, a, b) => vec![*a, *b],
            Kind::Sum(x) | Kind::Dot(x) => x.clone(),
            Kind::Affine(b, x) => std::iter::once(*b).chain(x.iter().copied()).collect(),
        }
    }

    /// The public operation of the node (as [`micrograd::engine::Node::op`]).
    pub fn op(&self) -> Op {
        match self {
            Kind::Leaf => Op::Leaf,
            Kind::Unary(op, _) | Kind::WithConst(op, _, _) | Kind::Binary(op, _, _) => *op,
            Kind::Sum(_) => Op::Sum,
            Kind::Dot(_) => Op::Dot,
            Kind::Affine(..) => Op::Affine,
        }
    }
}

/// One node: how it was made, its value and its gradient.
#[derive(Clone, Debug)]
pub struct Node {
    /// How it was made.
    pub kind: Kind,
    /// Its value.
    pub val: f64,
    /// Its gradient.
    pub grad: f64,
}

/// The reference tape.
#[derive(Default, Debug)]
pub struct Graph {
    /// The nodes, in creation order.
    pub nodes: Vec<Node>,
    /// Interior nodes whose grad was set by hand since the last sweep through them: the next
    /// sweep from them or a later node keeps their grads and adds to them (the engine's
    /// rule for manual backprop, as micrograd: `n.set_grad(0.5); o.backward()` leaves 1.0).
    pub kept: std::collections::BTreeSet<usize>,
}

/// Whether two numbers are the same: the same bits, or both NaN (NaN payloads and signs are
/// not specified).
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Whether the backward sweep propagates a node's adjoint `g` to its operands. The engine
/// skips adjoints that are zero (a node that does not reach the root), so `0 * inf` does not
/// turn into NaN there; this is the one place of the reference that says so.
fn propagates(g: f64) -> bool {
    g != 0.0
}

impl Graph {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The value a node of `kind` has, from the current values of its operands.
    pub fn value_of(&self, kind: &Kind) -> f64 {
        let v = |i: usize| self.nodes[i].val;
        let dot = |x: &[usize]| {
            let mut s = 0.0;
            for p in x.chunks_exact(2) {
                s += Op::Dot.forward(v(p[0]), v(p[1]));
            }
            s
        };
        match kind {
            Kind::Leaf => f64::NAN,
            Kind::Unary(op, a) => op.forward(v(*a), 0.0),
            Kind::WithConst(op, a, c) => op.forward(v(*a), *c),
            Kind::Binary(op, a, b) => op.forward(v(*a), v(*b)),
            Kind::Sum(x) => {
                let mut s = 0.0;
                for &i in x {
                    s += Op::Sum.forward(v(i), 0.0);
                }
                s
            }
            Kind::Dot(x) => dot(x),
            Kind::Affine(b, x) => dot(x) + v(*b),
        }
    }

    /// Appends a node (a leaf holding `leaf_value`, or an operation evaluated now) and
    /// returns its index.
    pub fn push(&mut self, kind: Kind, leaf_value: f64) -> usize {
        let val = match kind {
            Kind::Leaf => leaf_value,
            ref k => self.value_of(k),
        };
        self.nodes.push(Node {
            kind,
            val,
            grad: 0.0,
        });
        self.nodes.len() - 1
    }

    /// Whether node `i` is a leaf.
    pub fn is_leaf(&self, i: usize) -> bool {
        self.nodes[i].kind == Kind::Leaf
    }

    /// Adds `g` times node `i`'s local partials into its operands' gradients, in the
    /// engine's order.
    fn propagate(&mut self, i: usize) {
        let g = self.nodes[i].grad;
        if !propagates(g) {
            return;
        }
        let y = self.nodes[i].val;
        let kind = self.nodes[i].kind.clone();
        let v = |n: &Vec<Node>, j: usize| n[j].val;
        let n = &mut self.nodes;
        match kind {
            Kind::Leaf => {}
            Kind::Unary(op, a) => {
                let (da, _) = op.partials(v(n, a), 0.0, y);
                n[a].grad += g * da;
            }
            Kind::WithConst(op, a, c) => {
                let (da, _) = op.partials(v(n, a), c, y);
                n[a].grad += g * da;
            }
            Kind::Binary(op, a, b) => {
                let (da, db) = op.partials(v(n, a), v(n, b), y);
                n[a].grad += g * da;
                n[b].grad += g * db;
            }
            Kind::Sum(x) => {
                for j in x {
                    let (dx, _) = Op::Sum.partials(v(n, j), 0.0, 0.0);
                    n[j].grad += g * dx;
                }
            }
            Kind::Dot(x) => pairs(n, Op::Dot, g, &x),
            Kind::Affine(b, x) => {
                n[b].grad += g;
                pairs(n, Op::Affine, g, &x);
            }
        }
    }

    /// `Value::set_grad`: the grad of an interior node counts as set by hand (`kept`).
    pub fn set_grad(&mut self, i: usize, g: f64) {
        self.nodes[i].grad = g;
        if !self.is_leaf(i) {
            self.kept.insert(i);
        }
    }

    /// `Value::backward` on node `root`: interior nodes up to the root get d root / d node
    /// (cleared first, but those whose grad was set by hand since: they add to it), an
    /// interior root's grad is 1, leaves up to the root accumulate; nodes above the root
    /// keep their gradients. The marks up to the root are used up.
    pub fn backward(&mut self, root: usize) {
        self.clear_for_sweep(root, 0..root + 1);
        self.nodes[root].grad += 1.0;
        self.sweep(0, root);
    }

    /// Clears the interior grads of `range` before a sweep from `root` (the root's too), but
    /// those marked as set by hand; then drops every mark up to the root.
    fn clear_for_sweep(&mut self, root: usize, range: std::ops::Range<usize>) {
        for i in range {
            if !self.is_leaf(i) && (i == root || !self.kept.contains(&i)) {
                self.nodes[i].grad = 0.0;
            }
        }
        self.kept = self.kept.split_off(&(root + 1));
    }

    /// The reverse sweep over `lo..=root`.
    fn sweep(&mut self, lo: usize, root: usize) {
        for i in (lo..=root).rev() {
            self.propagate(i);
        }
    }

    /// Recomputes the values of nodes `lo..hi` in order (leaves keep theirs).
    pub fn forward_range(&mut self, lo: usize, hi: usize) {
        for i in lo..hi {
            if !self.is_leaf(i) {
                let val = self.value_of(&self.nodes[i].kind);
                self.nodes[i].val = val;
            }
        }
    }

    /// Whether every operand below `lo` of the nodes `lo..hi` is a leaf.
    pub fn reads_only_leaves_below(&self, lo: usize, hi: usize) -> bool {
        (lo..hi).all(|i| {
            self.nodes[i]
                .kind
                .inputs()
                .iter()
                .all(|&x| x >= lo || self.is_leaf(x))
        })
    }

    /// `Recording::forward` of the nodes `lo..hi` (none if `hi == lo`): they and every node
    /// made after them are recomputed.
    pub fn recording_forward(&mut self, lo: usize, hi: usize) {
        if hi > lo {
            self.forward_range(lo, self.len());
        }
    }

    /// `Recording::replay` of the nodes `lo..hi` (none if `hi == lo`) with output `root`,
    /// recorded with `only_leaves` = [`reads_only_leaves_below`](Graph::reads_only_leaves_below)
    /// at recording time.
    pub fn replay(&mut self, lo: usize, hi: usize, root: usize, only_leaves: bool) {
        if hi == lo {
            self.backward(root);
            return;
        }
        // The recorded nodes and every node made after them.
        self.forward_range(lo, self.len());
        for i in lo..hi {
            self.nodes[i].grad = 0.0;
        }
        if only_leaves && root >= lo {
            // Only the recorded range is swept: its marks go (its grads restarted from 0),
            // those below it stay.
            self.kept.retain(|&i| !(lo..=root).contains(&i));
            self.nodes[root].grad += 1.0;
            self.sweep(lo, root);
        } else {
            // A full sweep; the recorded range was zeroed, marks there or not.
            self.clear_for_sweep(root, 0..lo.min(root + 1));
            self.nodes[root].grad += 1.0;
            self.sweep(0, root);
        }
    }

    /// Releases the nodes from `m` on (and their marks).
    pub fn truncate(&mut self, m: usize) {
        self.nodes.truncate(m);
        self.kept.split_off(&m);
    }
}

/// The pairs' propagation of `Dot` and `Affine`: for each pair in order, `w` then `x`.
fn pairs(n: &mut [Node], op: Op, g: f64, x: &[usize]) {
    for p in x.chunks_exact(2) {
        let (w, xi) = (p[0], p[1]);
        let (dw, dx) = op.partials(n[w].val, n[xi].val, 0.0);
        n[w].grad += g * dw;
        n[xi].grad += g * dx;
    }
}
