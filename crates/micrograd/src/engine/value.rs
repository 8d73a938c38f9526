//! [`Value`]: a scalar that remembers how it was made, as in micrograd.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::ops::{Arity, Op};
use super::tape::{TapeData, with_tape, with_tape_small};

/// A scalar node of the computation graph: a small `Copy` handle into this thread's tape.
///
/// The number (`data`) and the gradient (`grad`) live on the tape, so every copy of a handle
/// sees the same node: `p.set_data(..)` through `model.parameters()` updates the model, as in
/// micrograd. A `Value` is `!Send`: it belongs to the thread whose tape holds it, and using it
/// on another thread does not compile:
///
/// ```compile_fail
/// let v = micrograd::Value::new(1.0);
/// std::thread::spawn(move || v.data());
/// ```
///
/// The lecture's neuron:
///
/// ```
/// use micrograd::Value;
///
/// let x1 = Value::new(2.0).with_label("x1");
/// let w1 = Value::new(-3.0).with_label("w1");
/// let x2 = Value::new(0.0).with_label("x2");
/// let w2 = Value::new(1.0).with_label("w2");
/// let b = Value::new(6.8813735870194432).with_label("b");
/// let o = (x1 * w1 + x2 * w2 + b).tanh();
/// o.backward();
/// assert!((o.data() - 0.7071).abs() < 1e-4);
/// assert!((x1.grad() - (-1.5)).abs() < 1e-9);
/// assert!((w1.grad() - 1.0).abs() < 1e-9);
/// let y = (o - 1.0) / 2.0 + 10.0 / o; // f64 on either side of + - * /
/// assert!(y.data() > 0.0);
/// ```
#[derive(Clone, Copy)]
pub struct Value {
    idx: u32,
    epoch: u32,
    _not_send: PhantomData<*const ()>,
}

/// What made a node: its operation, its node operands and its constant, if any.
/// Returned by [`Value::node`]; used to draw graphs.
#[derive(Clone, Debug)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// The node operands, in order (for [`Op::Dot`]: `w0, x0, w1, x1, ...`; for
    /// [`Op::Affine`] and [`Op::AffineSpan`]: `b, w0, x0, w1, x1, ...`).
    pub inputs: Vec<Value>,
    /// The constant operand of a [`Arity::WithConst`] operation.
    pub constant: Option<f64>,
}

impl Value {
    #[inline(always)]
    fn from_index(t: &TapeData, idx: u32) -> Value {
        Value {
            idx,
            epoch: t.epoch,
            _not_send: PhantomData,
        }
    }

    /// A handle to node `idx` of tape `t` (pre: `idx` is a live node).
    #[inline(always)]
    pub(crate) fn at(t: &TapeData, idx: u32) -> Value {
        Value::from_index(t, idx)
    }

    /// The checked tape index of this value.
    #[inline(always)]
    pub(crate) fn index(self, t: &TapeData) -> usize {
        t.check(self.idx, self.epoch)
    }

    /// A new leaf (an input or a parameter) holding `data`, with gradient 0.
    #[inline]
    pub fn new(data: f64) -> Value {
        with_tape(|t| {
            let i = t.push(data, Op::Leaf, 0, 0);
            Value::from_index(t, i)
        })
    }

    /// Creates many leaves at once.
    pub fn leaves(data: &[f64]) -> Vec<Value> {
        data.iter().map(|&d| Value::new(d)).collect()
    }

    /// Gives this value a label (shown in graph pictures) and returns it.
    pub fn with_label(self, label: impl Into<String>) -> Value {
        self.set_label(label);
        self
    }

    /// Sets this value's label.
    pub fn set_label(self, label: impl Into<String>) {
        let label = label.into();
        with_tape(|t| {
            let i = self.index(t);
            t.labels.insert(i as u32, label);
        })
    }

    /// This value's label, if it has one.
    pub fn label(self) -> Option<String> {
        with_tape(|t| {
            let i = self.index(t);
            t.labels.get(&(i as u32)).cloned()
        })
    }

    /// The number this value holds.
    #[inline]
    pub fn data(self) -> f64 {
        with_tape(|t| t.val[self.index(t)])
    }

    /// The gradient accumulated into this value by [`backward`](Value::backward).
    #[inline]
    pub fn grad(self) -> f64 {
        with_tape(|t| t.grad_of(self.index(t)))
    }

    /// Overwrites the number (an optimizer's update). Values computed from this one earlier
    /// keep their numbers; recompute them (or replay the graph) to see the change.
    #[inline]
    pub fn set_data(self, data: f64) {
        with_tape(|t| {
            let i = self.index(t);
            t.val[i] = data;
        })
    }

    /// Overwrites the gradient (`set_grad(0.0)` is micrograd's `p.grad = 0`).
    #[inline]
    pub fn set_grad(self, grad: f64) {
        with_tape(|t| {
            let i = self.index(t);
            t.grow_grad(i + 1);
            t.grad[i] = grad;
            t.touch_grad(i);
        })
    }

    /// Back-propagates from this value: seeds its gradient with 1 and adds
    /// d self / d v into the gradient of every ancestor `v`, by one reverse sweep of the tape.
    ///
    /// Gradients of leaves accumulate across calls (zero them with `set_grad(0.0)`, as in
    /// micrograd); an interior node's gradient is that of the latest backward through it.
    pub fn backward(self) {
        with_tape(|t| {
            let i = self.index(t);
            t.backward(i);
        })
    }

    /// The operation that made this value and its operands.
    pub fn node(self) -> Node {
        with_tape(|t| {
            let i = self.index(t);
            let op = t.op[i];
            let [a, b] = t.ab[i];
            let h = |x: u32| Value::from_index(t, x);
            let (inputs, constant) = match op.arity() {
                Arity::Leaf => (vec![], None),
                Arity::Unary => (vec![h(a)], None),
                Arity::WithConst => (vec![h(a)], Some(t.consts[b as usize])),
                Arity::Binary => (vec![h(a), h(b)], None),
                Arity::Nary => {
                    let mut inputs = Vec::new();
                    t.for_each_nary_operand(op, a as usize, b as usize, |x| inputs.push(h(x)));
                    (inputs, None)
                }
            };
            Node {
                op,
                inputs,
                constant,
            }
        })
    }

    /// This value and every value it depends on, operands before their results
    /// (a topological order), each once.
    pub fn ancestors(self) -> Vec<Value> {
        with_tape(|t| {
            let root = self.index(t);
            let mut seen = vec![false; root + 1];
            seen[root] = true;
            let mut order = Vec::new();
            for i in (0..=root).rev() {
                if !seen[i] {
                    continue;
                }
                order.push(Value::from_index(t, i as u32));
                let [a, b] = t.ab[i];
                let (a, b) = (a as usize, b as usize);
                match t.op[i].arity() {
                    Arity::Leaf => {}
                    Arity::Unary | Arity::WithConst => seen[a] = true,
                    Arity::Binary => {
                        seen[a] = true;
                        seen[b] = true;
                    }
                    Arity::Nary => {
                        t.for_each_nary_operand(t.op[i], a, b, |x| seen[x as usize] = true);
                    }
                }
            }
            order.reverse();
            order
        })
    }

    /// Whether two handles refer to the same node.
    pub fn same_node(self, other: Value) -> bool {
        self.idx == other.idx && self.epoch == other.epoch
            || with_tape(|t| self.index(t) == other.index(t))
    }

    /// The node's position on the tape (stable while the node lives).
    pub fn id(self) -> usize {
        with_tape(|t| self.index(t))
    }

    // The node makers take the operation as a const parameter: each operation gets its own
    // copy, in which the forward formula is known and the dispatch over every op is gone
    // (W2: 440 -> 401 M instructions per million steps; its time is bound by the latency of
    // the chain's `tanh`, so it barely moved).

    #[inline(always)]
    fn unary<const OP: u8>(self) -> Value {
        with_tape_small(|t| make_unary::<OP>(t, self))
    }

    #[inline(always)]
    fn with_const<const OP: u8>(self, c: f64) -> Value {
        with_tape_small(|t| make_with_const::<OP>(t, self, c))
    }

    #[inline(always)]
    fn binary<const OP: u8>(self, other: Value) -> Value {
        with_tape_small(|t| make_binary::<OP>(t, self, other))
    }

    /// `self ** exponent`, for an `f64` (or integer) or a `Value` exponent.
    ///
    /// ```
    /// use micrograd::Value;
    /// let a = Value::new(1.7);
    /// let b = Value::new(-0.6);
    /// let y = a.pow(b); // d/db a^b = a^b ln a
    /// y.backward();
    /// assert!((b.grad() - y.data() * 1.7f64.ln()).abs() < 1e-12);
    /// assert_eq!(a.pow(2.0).data(), 1.7 * 1.7);
    /// ```
    pub fn pow(self, exponent: impl Into<Exponent>) -> Value {
        match exponent.into() {
            Exponent::Const(c) => self.with_const::<{ Op::PowConst as u8 }>(c),
            Exponent::Value(e) => self.binary::<{ Op::Pow as u8 }>(e),
        }
    }

    /// `base ** exponent` for a constant base (`2 ** x`): d/dx = base^x ln base.
    pub fn pow_base(base: f64, exponent: Value) -> Value {
        exponent.with_const::<{ Op::ConstPow as u8 }>(base)
    }

    /// `e ** self`.
    pub fn exp(self) -> Value {
        self.unary::<{ Op::Exp as u8 }>()
    }

    /// Natural logarithm.
    pub fn log(self) -> Value {
        self.unary::<{ Op::Log as u8 }>()
    }

    /// Hyperbolic tangent.
    pub fn tanh(self) -> Value {
        self.unary::<{ Op::Tanh as u8 }>()
    }

    /// `max(self, 0)`, with derivative 0 at exactly 0 (as PyTorch and micrograd).
    pub fn relu(self) -> Value {
        self.unary::<{ Op::Relu as u8 }>()
    }

    /// Logistic sigmoid `1 / (1 + e^-self)`.
    pub fn sigmoid(self) -> Value {
        self.unary::<{ Op::Sigmoid as u8 }>()
    }

    /// The sum of `values`, as one node (an empty sum is a new leaf 0).
    ///
    /// ```
    /// use micrograd::Value;
    /// let xs = Value::leaves(&[1.0, 2.0, 3.0]);
    /// let s = Value::sum(&xs);
    /// s.backward();
    /// assert_eq!(s.data(), 6.0);
    /// assert_eq!(xs[1].grad(), 1.0);
    /// ```
    pub fn sum(values: &[Value]) -> Value {
        if values.is_empty() {
            return Value::new(0.0);
        }
        with_tape(|t| {
            let start = t.operands.len();
            t.operands.reserve(values.len());
            check_all(t, values);
            t.operands.extend(values.iter().map(|v| v.idx));
            let val = &t.val[..];
            let mut s = 0.0;
            for &i in &t.operands[start..] {
                s += val[i as usize];
            }
            let i = t.push(s, Op::Sum, start as u32, values.len() as u32);
            Value::from_index(t, i)
        })
    }

    /// The dot product `sum(w[i] * x[i])`, as one node: a neuron's weighted sum.
    ///
    /// Panics if the slices differ in length (a programming error).
    ///
    /// ```
    /// use micrograd::Value;
    /// let w = Value::leaves(&[2.0, -1.0]);
    /// let x = Value::leaves(&[3.0, 4.0]);
    /// let y = Value::dot(&w, &x);
    /// y.backward();
    /// assert_eq!(y.data(), 2.0);
    /// assert_eq!((w[0].grad(), x[1].grad()), (3.0, -1.0));
    /// ```
    pub fn dot(w: &[Value], x: &[Value]) -> Value {
        assert_eq!(
            w.len(),
            x.len(),
            "micrograd: Value::dot needs slices of equal length"
        );
        if w.is_empty() {
            return Value::new(0.0);
        }
        with_tape(|t| {
            let start = t.operands.len();
            t.operands.resize(start + 2 * w.len(), 0);
            let s = fill_pairs::<false>(t, start, w, x);
            let i = t.push(s, Op::Dot, start as u32, 2 * w.len() as u32);
            Value::from_index(t, i)
        })
    }

    /// `dot(w, x) + b` as one node: a neuron's weighted sum and bias (the same number,
    /// to the bit, as `Value::dot(w, x) + b`, with one node instead of two).
    ///
    /// Panics if the slices differ in length (a programming error).
    ///
    /// ```
    /// use micrograd::Value;
    /// let w = Value::leaves(&[2.0, -1.0]);
    /// let x = Value::leaves(&[3.0, 4.0]);
    /// let b = Value::new(0.5);
    /// let y = Value::affine(&w, &x, b);
    /// y.backward();
    /// assert_eq!(y.data(), 2.5);
    /// assert_eq!((w[0].grad(), x[1].grad(), b.grad()), (3.0, -1.0, 1.0));
    /// assert_eq!(y.node().inputs.len(), 5); // b, w0, x0, w1, x1
    /// ```
    pub fn affine(w: &[Value], x: &[Value], b: Value) -> Value {
        assert_eq!(
            w.len(),
            x.len(),
            "micrograd: Value::affine needs weight and input slices of equal length"
        );
        with_tape(|t| {
            let start = t.operands.len();
            t.operands.resize(start + 1 + 2 * w.len(), 0);
            let i = affine_nodes::<false>(t, start, w, x, b, None);
            Value::from_index(t, i)
        })
    }

    /// Crate-internal (the `nn` layers): the neurons `act_j(affine(w_j, x, b_j))` of a layer
    /// that all read `x`, made in one tape access, with `x` checked once. The nodes are those
    /// of `Value::affine` then `act_j` (`None`: no activation node), in neuron order; the
    /// result holds each neuron's output.
    ///
    /// Pre: every `w_j.len() == x.len()` (checked by the caller); the iterator must not touch
    /// the tape (it runs inside the tape access). Panics if a handle was released.
    pub(crate) fn neurons<'a>(
        neurons: impl ExactSizeIterator<Item = (&'a [Value], Value, Option<Op>)>,
        x: &[Value],
    ) -> Vec<Value> {
        let mut out = Vec::with_capacity(neurons.len());
        with_tape(|t| {
            check_all(t, x);
            // The operand lists of all the neurons, grown at once (one memset per layer).
            let per = 1 + 2 * x.len();
            let mut start = t.operands.len();
            t.operands.resize(start + neurons.len() * per, 0);
            for (w, b, act) in neurons {
                debug_assert_eq!(w.len(), x.len());
                let i = affine_nodes::<true>(t, start, w, x, b, act);
                out.push(Value::from_index(t, i));
                start += per;
            }
        });
        out
    }
}

/// Checks every handle of `values` on `t`: the fast test on each, and the full check (which
/// accepts older live handles and reports a released one) only if one fails it.
///
/// Panics if a handle was released.
#[inline(always)]
fn check_all(t: &TapeData, values: &[Value]) {
    let now = t.now();
    let mut live = true;
    for v in values {
        live &= TapeData::surely_live(now, v.idx, v.epoch);
    }
    if !live {
        for v in values {
            v.index(t);
        }
    }
}

/// Crate-internal: `n` consecutive nodes of one epoch, from `first` (a neuron's weights,
/// made one after the other); see [`Value::span`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    first: u32,
    epoch: u32,
}

impl Value {
    /// `Some` if `values` are consecutive nodes of one epoch (`values[i]` is node
    /// `values[0] + i`), as the weights of a neuron made by `Neuron::new`; `None` otherwise
    /// (or if empty). A span stays valid as long as its last node is live: liveness is
    /// monotone in the index within an epoch.
    pub(crate) fn span(values: &[Value]) -> Option<Span> {
        let first = values.first()?;
        values
            .iter()
            .enumerate()
            .all(|(i, v)| v.epoch == first.epoch && v.idx == first.idx.wrapping_add(i as u32))
            .then_some(Span {
                first: first.idx,
                epoch: first.epoch,
            })
    }

    /// Crate-internal (the `nn` layers): as [`Value::neurons`], for neurons whose weights
    /// are spans of `x.len()` nodes: [`Op::AffineSpan`] nodes, the same numbers to the bit.
    /// The input list is written once for the layer and the inputs' values read once; a
    /// neuron's weights are checked by one check (their span's last node) and read as one
    /// slice of the tape's values.
    ///
    /// Pre: `x` is not empty and every span covers `x.len()` nodes (the neuron's weights, with
    /// `x.len()` checked by the caller); the iterator must not touch the tape. Panics if a
    /// handle was released.
    pub(crate) fn span_neurons(
        neurons: impl ExactSizeIterator<Item = (Span, Value, Option<Op>)>,
        x: &[Value],
    ) -> Vec<Value> {
        assert!(
            !x.is_empty(),
            "micrograd internal error: a span layer of no inputs"
        );
        let mut out = Vec::with_capacity(neurons.len());
        with_tape(|t| {
            let now = t.now();
            check_all(t, x);
            let n = x.len();
            let xs = t.operands.len() as u32;
            t.operands.extend(x.iter().map(|v| v.idx));
            let mut xv = std::mem::take(&mut t.scratch);
            xv.clear();
            xv.extend(x.iter().map(|v| t.val[v.idx as usize]));
            for (span, b, act) in neurons {
                let last_w = span.first + (n as u32 - 1);
                if !TapeData::surely_live(now, last_w, span.epoch) {
                    t.check(last_w, span.epoch);
                }
                let ib = b.index(t) as u32;
                let start = t.operands.len() as u32;
                t.operands.extend_from_slice(&[ib, xs, span.first]);
                // The nodes are pushed before the sum and their values written after it: with
                // no call between the sum loop and the sum's last use (a push may grow its
                // Vec), the sum stays in a register.
                let ia = t.push(f64::NAN, Op::AffineSpan, start, n as u32);
                let last = match act {
                    Some(op) => t.push(f64::NAN, op, ia, 0),
                    None => ia,
                };
                let w = &t.val[span.first as usize..span.first as usize + n];
                let mut s = 0.0;
                for (&vw, &vx) in w.iter().zip(&xv) {
                    s += vw * vx;
                }
                let s = s + t.val[ib as usize];
                t.val[ia as usize] = s;
                if let Some(op) = act {
                    t.val[last as usize] = op.forward(s, 0.0);
                }
                out.push(Value::from_index(t, last));
            }
            t.scratch = xv;
        });
        out
    }
}

/// Makes the nodes of one neuron, `act(affine(w, x, b))` (`None`: the affine node alone),
/// writing its operands `b, w0, x0, ...` at `t.operands[start..]`; returns the last node.
///
/// Pre: `w.len() == x.len()`, `t.operands.len() >= start + 1 + 2 * w.len()`; if `X_CHECKED`,
/// every handle of `x` was checked on `t`. Panics if a handle was released.
#[inline(always)]
fn affine_nodes<const X_CHECKED: bool>(
    t: &mut TapeData,
    start: usize,
    w: &[Value],
    x: &[Value],
    b: Value,
    act: Option<Op>,
) -> u32 {
    let ib = b.index(t) as u32;
    t.operands[start] = ib;
    let s = fill_pairs::<X_CHECKED>(t, start + 1, w, x) + t.val[ib as usize];
    let mut i = t.push(s, Op::Affine, start as u32, 1 + 2 * w.len() as u32);
    if let Some(op) = act {
        i = t.push(op.forward(s, 0.0), op, i, 0);
    }
    i
}

/// Writes the operand pairs `w0, x0, w1, x1, ...` at `t.operands[start..]` and returns
/// `sum(w_i * x_i)`, added in order (as [`dot_value`](super::tape::dot_value)).
///
/// The operand list is grown by the caller (a memset), and written here through a slice:
/// pushing pair by pair kept the Vec's length in memory, a store-to-load dependency on every
/// pair (W1 rebuild 0.300 -> 0.274 ms).
///
/// Pre: `w.len() == x.len()`, `t.operands.len() >= start + 2 * w.len()`; if `X_CHECKED`, the
/// handles of `x` were already checked on `t` (only those of `w` are checked here). Panics
/// if a handle was released.
#[inline(always)]
fn fill_pairs<const X_CHECKED: bool>(
    t: &mut TapeData,
    start: usize,
    w: &[Value],
    x: &[Value],
) -> f64 {
    let now = t.now();
    let (operands, val) = (&mut t.operands[start..start + 2 * w.len()], &t.val[..]);
    // The liveness check, cheapened: a neuron's weights (and a layer's inputs) come from one
    // epoch, and liveness is monotone in the index within an epoch, so the loop only checks
    // that each handle has the first one's epoch and keeps the largest index; the full check
    // runs once, after the loop, on that index (W1: 15% of the instructions were checks).
    let (ew, ex) = (
        w.first().map_or(0, |v| v.epoch),
        x.first().map_or(0, |v| v.epoch),
    );
    let (mut maxw, mut maxx) = (0u32, 0u32);
    let mut same = true;
    let mut s = 0.0;
    // One interleaved loop (checks, operands, sum) measured faster than three separate ones.
    for ((wi, xi), slot) in w.iter().zip(x).zip(operands.chunks_exact_mut(2)) {
        slot[0] = wi.idx;
        slot[1] = xi.idx;
        same &= (wi.epoch == ew) & (X_CHECKED || xi.epoch == ex);
        maxw = maxw.max(wi.idx);
        if !X_CHECKED {
            maxx = maxx.max(xi.idx);
        }
        // A released handle may point past the end: read 0 (the sum is thrown away
        // when the check below fails).
        let vw = val.get(wi.idx as usize).copied().unwrap_or(0.0);
        let vx = val.get(xi.idx as usize).copied().unwrap_or(0.0);
        s += vw * vx;
    }
    let live = same
        && TapeData::surely_live(now, maxw, ew)
        && (X_CHECKED || TapeData::surely_live(now, maxx, ex));
    if !live {
        // Slow path: accept older live handles, report a released one.
        for v in w.iter().chain(x) {
            v.index(t);
        }
    }
    s
}

/// The node of unary operation `OP` on `x` (see [`Value::unary`]).
#[inline(always)]
fn make_unary<const OP: u8>(t: &mut TapeData, x: Value) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let a = x.index(t);
    let v = op.forward(t.val[a], 0.0);
    let i = t.push(v, op, a as u32, 0);
    Value::from_index(t, i)
}

/// The node of operation `OP` on `x` and the constant `c`.
#[inline(always)]
fn make_with_const<const OP: u8>(t: &mut TapeData, x: Value, c: f64) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let a = x.index(t);
    let v = op.forward(t.val[a], c);
    let k = t.constant(c);
    let i = t.push(v, op, a as u32, k);
    Value::from_index(t, i)
}

/// The node of binary operation `OP` on `x` and `y`.
#[inline(always)]
fn make_binary<const OP: u8>(t: &mut TapeData, x: Value, y: Value) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let a = x.index(t);
    let b = y.index(t);
    let v = op.forward(t.val[a], t.val[b]);
    let i = t.push(v, op, a as u32, b as u32);
    Value::from_index(t, i)
}

/// The exponent of [`Value::pow`]: a constant or a `Value`.
#[derive(Clone, Copy, Debug)]
pub enum Exponent {
    /// A constant exponent.
    Const(f64),
    /// A differentiable exponent.
    Value(Value),
}

impl From<f64> for Exponent {
    fn from(c: f64) -> Self {
        Exponent::Const(c)
    }
}

impl From<i32> for Exponent {
    fn from(c: i32) -> Self {
        Exponent::Const(c as f64)
    }
}

impl From<Value> for Exponent {
    fn from(v: Value) -> Self {
        Exponent::Value(v)
    }
}

impl fmt::Debug for Value {
    /// Prints like micrograd's repr: `Value(data=2.0, grad=-1.5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, g) = with_tape(|t| {
            let i = self.index(t);
            (t.val[i], t.grad_of(i))
        });
        write!(f, "Value(data={d:?}, grad={g:?})")
    }
}

impl fmt::Display for Value {
    /// Like `Debug`, and a precision applies to both numbers:
    /// `format!("{v:.4}")` gives `Value(data=24.7041, grad=1.0000)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            None => fmt::Debug::fmt(self, f),
            Some(p) => {
                let (d, g) = with_tape(|t| {
                    let i = self.index(t);
                    (t.val[i], t.grad_of(i))
                });
                write!(f, "Value(data={d:.p$}, grad={g:.p$})")
            }
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::new(x)
    }
}

// Operator syntax: Value (op) Value, Value (op) f64, f64 (op) Value. A constant never becomes
// a node: it is folded into the operation (see ops.rs).
macro_rules! binop {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:expr, $vc:expr, $cv:expr) => {
        impl $Trait<Value> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $op as u8 }>(rhs)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: f64) -> Value {
                self.with_const::<{ $vc as u8 }>(rhs)
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                rhs.with_const::<{ $cv as u8 }>(self)
            }
        }
        impl $Assign<Value> for Value {
            #[inline]
            fn $assign(&mut self, rhs: Value) {
                *self = $Trait::$method(*self, rhs);
            }
        }
        impl $Assign<f64> for Value {
            #[inline]
            fn $assign(&mut self, rhs: f64) {
                *self = $Trait::$method(*self, rhs);
            }
        }
    };
}

binop!(
    Add,
    add,
    AddAssign,
    add_assign,
    Op::Add,
    Op::AddConst,
    Op::AddConst
);
binop!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    Op::Sub,
    Op::SubConst,
    Op::ConstSub
);
binop!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    Op::Mul,
    Op::MulConst,
    Op::MulConst
);
binop!(
    Div,
    div,
    DivAssign,
    div_assign,
    Op::Div,
    Op::DivConst,
    Op::ConstDiv
);

impl Neg for Value {
    type Output = Value;
    #[inline]
    fn neg(self) -> Value {
        self.unary::<{ Op::Neg as u8 }>()
    }
}

impl std::iter::Sum for Value {
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        let v: Vec<Value> = iter.collect();
        Value::sum(&v)
    }
}
