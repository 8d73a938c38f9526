//! The n-ary operations, in one place: [`Value::sum`], [`Value::dot`], [`Value::affine`] and
//! the layers' neurons ([`Value::neurons`], [`Value::span_neurons`]): how each lays out its
//! operands, its value (the same order of additions when a node is made and when it is
//! replayed, so the two agree to the bit), its backward rule, and the replay of a layer's
//! neurons four at a time. The terms and their partials come from the table in `ops.rs`.
//!
//! Operand layouts in [`TapeData::operands`](super::tape::TapeData), for a node `[a, n]`:
//! - `Sum`: `operands[a..a + n]`, the summands;
//! - `Dot`: `operands[a..a + n]`, the pairs `w_0, x_0, w_1, x_1, ...` (`n` is even);
//! - `Affine`: `operands[a..a + n]`, the bias then the pairs: `b, w_0, x_0, ...`;
//! - `AffineSpan`: `operands[a..a + 3]` = `b`, the start of the layer's input list
//!   `x_0 .. x_{n-1}` (written once per layer, before its neurons) and the first of the `n`
//!   consecutive weight nodes.

use super::ops::{Arity, Op, OpCode};
use super::tape::{Now, Released, TapeData, live, operand_pos, with_tape, with_tape_small};
use super::value::Value;

/// The value of an n-ary node `[a, n]` made by `op` (a replay recomputes it with this).
#[inline(always)]
pub(crate) fn value(op: OpCode, a: usize, n: usize, val: &[f64], operands: &[u32]) -> f64 {
    match op {
        OpCode::Sum => sum_value(val, &operands[a..a + n]),
        OpCode::Dot => dot_value(val, &operands[a..a + n]),
        OpCode::Affine => affine_value(val, &operands[a..a + n]),
        OpCode::AffineSpan => span_value(val, operands, a, n),
        _ => unreachable!("micrograd internal error: {op:?} is not an n-ary operation"),
    }
}

/// The value of a `Sum` node with operands `args`, added in order.
#[inline]
fn sum_value(val: &[f64], args: &[u32]) -> f64 {
    let mut s = 0.0;
    for &i in args {
        s += Op::Sum.forward(val[i as usize], 0.0);
    }
    s
}

/// The value of a `Dot` node with operands `args = [w0, x0, w1, x1, ...]`: the products
/// added in order, as `sum(w * x for ...)` in micrograd.
#[inline]
fn dot_value(val: &[f64], args: &[u32]) -> f64 {
    let mut s = 0.0;
    for p in args.chunks_exact(2) {
        s += Op::Dot.forward(val[p[0] as usize], val[p[1] as usize]);
    }
    s
}

/// The value of an `Affine` node with operands `args = [b, w0, x0, w1, x1, ...]`: the
/// [`dot_value`] of the pairs, then `+ b` (the number `dot(w, x) + b` gives).
#[inline]
fn affine_value(val: &[f64], args: &[u32]) -> f64 {
    dot_value(val, &args[1..]) + val[args[0] as usize]
}

/// The operands of an `AffineSpan` node `[a, n]`: `(bias, first weight, x)`.
#[inline(always)]
pub(crate) fn span_parts(operands: &[u32], a: usize, n: usize) -> (u32, u32, &[u32]) {
    let xs = operands[a + 1] as usize;
    (operands[a], operands[a + 2], &operands[xs..xs + n])
}

/// The value of an `AffineSpan` node `[a, n]`: the products `w_i * x_i` added in order, then
/// `+ b`, as [`affine_value`] (the same bits).
#[inline]
fn span_value(val: &[f64], operands: &[u32], a: usize, n: usize) -> f64 {
    let (bias, w0, x) = span_parts(operands, a, n);
    let w = &val[w0 as usize..w0 as usize + n];
    let mut s = 0.0;
    for (&vw, &xi) in w.iter().zip(x) {
        s += Op::Affine.forward(vw, val[xi as usize]);
    }
    s + val[bias as usize]
}

/// Calls `f` on each node operand of the n-ary node `[a, n]` made by `op`, in the order of
/// [`Node::inputs`](super::Node::inputs) (`b, w_0, x_0, ...` for both affine forms).
pub(crate) fn for_each_operand(
    operands: &[u32],
    op: OpCode,
    a: usize,
    n: usize,
    mut f: impl FnMut(u32),
) {
    if op == OpCode::AffineSpan {
        let (bias, w0, x) = span_parts(operands, a, n);
        f(bias);
        for (j, &xj) in x.iter().enumerate() {
            f(w0 + j as u32);
            f(xj);
        }
    } else {
        operands[a..a + n].iter().for_each(|&x| f(x));
    }
}

/// How many neurons of a layer a replay computes side by side.
pub(crate) const SPAN_GROUP: usize = 4;

/// Replays `SPAN_GROUP` neurons of a layer at once, if nodes `i..i + 2 * SPAN_GROUP` are
/// such neurons: `AffineSpan` nodes reading the same input list, each followed by a unary
/// activation of it. Each sum keeps its order (the same bits as [`span_value`]), but the
/// chains of additions are independent and overlap (one alone waits on the latency of each
/// addition). Returns the index after the group, or `None` (nothing computed) if the nodes
/// are not such a group.
#[inline]
pub(crate) fn span_group_value(
    val: &mut [f64],
    ops: &[OpCode],
    ab: &[[u32; 2]],
    operands: &[u32],
    consts: &[f64],
    i: usize,
) -> Option<usize> {
    let [a0, n] = ab[i];
    let (n, xs) = (n as usize, operands[a0 as usize + 1]);
    let mut w0 = [0usize; SPAN_GROUP];
    let mut bias = [0usize; SPAN_GROUP];
    for k in 0..SPAN_GROUP {
        let (node, act) = (i + 2 * k, i + 2 * k + 1);
        let [a, m] = ab[node];
        if ops[node] != OpCode::AffineSpan
            || m as usize != n
            || operands[a as usize + 1] != xs
            || ops[act].arity() != Arity::Unary
            || ab[act][0] as usize != node
        {
            return None;
        }
        bias[k] = operands[a as usize] as usize;
        w0[k] = operands[a as usize + 2] as usize;
    }
    let x = &operands[xs as usize..xs as usize + n];
    let mut s = [0.0; SPAN_GROUP];
    {
        let val = &*val;
        let w: [&[f64]; SPAN_GROUP] = std::array::from_fn(|k| &val[w0[k]..w0[k] + n]);
        for (j, &xj) in x.iter().enumerate() {
            let vx = val[xj as usize];
            for k in 0..SPAN_GROUP {
                s[k] += Op::Affine.forward(w[k][j], vx);
            }
        }
    }
    for k in 0..SPAN_GROUP {
        val[i + 2 * k] = s[k] + val[bias[k]];
    }
    for k in 0..SPAN_GROUP {
        let act = i + 2 * k + 1;
        val[act] = ops[act].forward_node(i + 2 * k, 0, val, consts);
    }
    Some(i + 2 * SPAN_GROUP)
}

/// The backward rule of the n-ary operations, called from [`OpCode::propagate`] with a
/// constant `op`: adds the node's adjoint `g` times each term's partials (from the table)
/// into the operands' adjoints.
#[inline(always)]
pub(crate) fn propagate(
    op: OpCode,
    g: f64,
    a: usize,
    b: usize,
    val: &[f64],
    grad: &mut [f64],
    operands: &[u32],
) {
    match op {
        OpCode::Sum => {
            for &x in &operands[a..a + b] {
                let (dx, _) = Op::Sum.partials(val[x as usize], 0.0, 0.0);
                grad[x as usize] += g * dx;
            }
        }
        OpCode::Dot => pairs_propagate(Op::Dot, g, &operands[a..a + b], val, grad),
        OpCode::Affine => {
            grad[operands[a] as usize] += g;
            pairs_propagate(Op::Affine, g, &operands[a + 1..a + b], val, grad);
        }
        OpCode::AffineSpan => {
            // The same additions in the same order as `Affine` (the same bits).
            let (bias, w0, x) = span_parts(operands, a, b);
            grad[bias as usize] += g;
            for (j, &xi) in x.iter().enumerate() {
                let (wi, xi) = (w0 as usize + j, xi as usize);
                let (dw, dx) = Op::Affine.partials(val[wi], val[xi], 0.0);
                grad[wi] += g * dw;
                grad[xi] += g * dx;
            }
        }
        _ => unreachable!("micrograd internal error: {op:?} is not an n-ary operation"),
    }
}

/// Adds `g` times the term partials of `op` into the adjoints of the pairs
/// `args = [w0, x0, w1, x1, ...]`.
#[inline(always)]
fn pairs_propagate(op: Op, g: f64, args: &[u32], val: &[f64], grad: &mut [f64]) {
    for pair in args.chunks_exact(2) {
        let (w, x) = (pair[0] as usize, pair[1] as usize);
        let (dw, dx) = op.partials(val[w], val[x], 0.0);
        grad[w] += g * dw;
        grad[x] += g * dx;
    }
}

/// Checks every handle of `values` on `t`: the fast test on each, and the full check (which
/// accepts older live handles and reports a released one) only if one fails it.
#[inline(always)]
fn check_all(t: &TapeData, values: &[Value]) -> Result<(), Released> {
    let now = t.now();
    let mut live = true;
    for v in values {
        live &= TapeData::surely_live(now, v.idx, v.epoch);
    }
    if !live {
        for v in values {
            v.index(t)?;
        }
    }
    Ok(())
}

/// Crate-internal: `n` consecutive nodes of one epoch, from `first` (a neuron's weights,
/// made one after the other); see [`Value::span`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    first: u32,
    epoch: u32,
}

/// Crate-internal (the `nn` layers): one neuron of a layer, for [`Value::neurons`]: its
/// weights, its bias and its activation (`None`: no activation node).
pub(crate) type NeuronParts<'a> = (&'a [Value], Value, Option<Op>);

/// Crate-internal (the `nn` layers): one neuron whose weights are a [`Span`], for
/// [`Value::span_neurons`]; a layer keeps these, made once.
pub(crate) type SpanNeuron = (Span, Value, Option<OpCode>);

impl Value {
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
    #[track_caller]
    pub fn sum(values: &[Value]) -> Value {
        if values.is_empty() {
            return Value::new(0.0);
        }
        live(with_tape(|t| {
            check_all(t, values)?;
            let start = t.operands.len();
            // The list's end must be a position too (readers add `a + n` in u32).
            let (a, n) = (operand_pos(start), operand_pos(values.len()));
            operand_pos(start + values.len());
            t.operands.extend(values.iter().map(|v| v.idx));
            let s = sum_value(&t.val, &t.operands[start..]);
            let i = t.push(s, OpCode::Sum, a, n);
            Ok(Value::at(t, i))
        }))
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
    #[track_caller]
    pub fn dot(w: &[Value], x: &[Value]) -> Value {
        assert_eq!(
            w.len(),
            x.len(),
            "micrograd: Value::dot needs slices of equal length"
        );
        if w.is_empty() {
            return Value::new(0.0);
        }
        live(with_tape(|t| {
            let start = t.operands.len();
            let (a, n) = (operand_pos(start), operand_pos(2 * w.len()));
            operand_pos(start + 2 * w.len());
            t.operands.resize(start + 2 * w.len(), 0);
            let s = fill_pairs::<false>(t, start, w, x)?;
            let i = t.push(s, OpCode::Dot, a, n);
            Ok(Value::at(t, i))
        }))
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
    #[track_caller]
    pub fn affine(w: &[Value], x: &[Value], b: Value) -> Value {
        assert_eq!(
            w.len(),
            x.len(),
            "micrograd: Value::affine needs weight and input slices of equal length"
        );
        live(with_tape(|t| {
            let start = t.operands.len();
            operand_pos(start + 1 + 2 * w.len());
            t.operands.resize(start + 1 + 2 * w.len(), 0);
            let i = affine_nodes::<false>(t, start, w, x, b, None)?;
            Ok(Value::at(t, i))
        }))
    }

    /// Crate-internal (the `nn` layers): the neurons `act_j(affine(w_j, x, b_j))` of a layer
    /// that all read `x`, made in one tape access, with `x` checked once. The nodes are those
    /// of `Value::affine` then `act_j`, in neuron order; the result holds each neuron's
    /// output.
    ///
    /// Pre: every `w_j.len() == x.len()` (checked by the caller). Panics if a handle was
    /// released.
    #[track_caller]
    pub(crate) fn neurons(neurons: &[NeuronParts<'_>], x: &[Value]) -> Vec<Value> {
        let mut out = Vec::with_capacity(neurons.len());
        live(with_tape(|t| {
            check_all(t, x)?;
            // The operand lists of all the neurons, grown at once (one memset per layer).
            let per = 1 + 2 * x.len();
            let mut start = t.operands.len();
            operand_pos(start + neurons.len() * per);
            t.operands.resize(start + neurons.len() * per, 0);
            for &(w, b, act) in neurons {
                debug_assert_eq!(w.len(), x.len());
                let i = affine_nodes::<true>(t, start, w, x, b, act)?;
                out.push(Value::at(t, i));
                start += per;
            }
            Ok(())
        }));
        out
    }

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
    /// are spans of `x.len()` nodes: `AffineSpan` nodes, the same numbers to the bit.
    /// The input list is written once for the layer and the inputs' values read once; a
    /// neuron's weights are checked by one check (their span's last node) and read as one
    /// slice of the tape's values.
    ///
    /// Pre: `x` is not empty and every span covers `x.len()` nodes (the neuron's weights, with
    /// `x.len()` checked by the caller). Panics if a handle was released.
    #[track_caller]
    pub(crate) fn span_neurons(neurons: &[SpanNeuron], x: &[Value]) -> Vec<Value> {
        assert!(
            !x.is_empty(),
            "micrograd internal error: a span layer of no inputs"
        );
        let mut out = Vec::with_capacity(neurons.len());
        // `with_tape_small`: the access inlines here whatever LLVM decides about the
        // thread-local's `with` (ARCHITECTURE.md, "The layer's tape access").
        live(with_tape_small(|t| {
            let now: Now = t.now();
            check_all(t, x)?;
            let n = x.len();
            let count = operand_pos(n);
            let xs = operand_pos(t.operands.len());
            operand_pos(t.operands.len() + n + 3 * neurons.len());
            t.operands.extend(x.iter().map(|v| v.idx));
            let mut xv = std::mem::take(&mut t.scratch);
            xv.clear();
            xv.extend(x.iter().map(|v| t.val[v.idx as usize]));
            // A released weight or bias ends the loop with its error (no early return: the
            // scratch buffer is put back either way).
            let mut failed = Ok(());
            for &(span, b, act) in neurons {
                let last_w = span.first + (count - 1);
                if !TapeData::surely_live(now, last_w, span.epoch)
                    && let Err(e) = t.check(last_w, span.epoch)
                {
                    failed = Err(e);
                    break;
                }
                let ib = match b.index(t) {
                    Ok(i) => i as u32,
                    Err(e) => {
                        failed = Err(e);
                        break;
                    }
                };
                let start = t.operands.len() as u32; // checked above
                t.operands.extend_from_slice(&[ib, xs, span.first]);
                // The nodes are pushed before the sum and their values written after it: with
                // no call between the sum loop and the sum's last use (a push may grow its
                // Vec), the sum stays in a register.
                let ia = t.push(f64::NAN, OpCode::AffineSpan, start, count);
                let last = match act {
                    Some(code) => t.push(f64::NAN, code, ia, 0),
                    None => ia,
                };
                let w = &t.val[span.first as usize..span.first as usize + n];
                let mut s = 0.0;
                for (&vw, &vx) in w.iter().zip(&xv) {
                    s += Op::Affine.forward(vw, vx);
                }
                let s = s + t.val[ib as usize];
                t.val[ia as usize] = s;
                if let Some(code) = act {
                    t.val[last as usize] = code.public().forward(s, 0.0);
                }
                out.push(Value::at(t, last));
            }
            t.scratch = xv;
            failed
        }));
        out
    }
}

/// Makes the nodes of one neuron, `act(affine(w, x, b))` (`None`: the affine node alone),
/// writing its operands `b, w0, x0, ...` at `t.operands[start..]`; returns the last node.
///
/// Pre: `w.len() == x.len()`, `t.operands.len() >= start + 1 + 2 * w.len()` (positions
/// checked to fit a `u32`); if `X_CHECKED`, every handle of `x` was checked on `t`.
#[inline(always)]
fn affine_nodes<const X_CHECKED: bool>(
    t: &mut TapeData,
    start: usize,
    w: &[Value],
    x: &[Value],
    b: Value,
    act: Option<Op>,
) -> Result<u32, Released> {
    let ib = b.index(t)? as u32;
    t.operands[start] = ib;
    let s = fill_pairs::<X_CHECKED>(t, start + 1, w, x)? + t.val[ib as usize];
    let mut i = t.push(s, OpCode::Affine, start as u32, 1 + 2 * w.len() as u32);
    if let Some(op) = act {
        i = t.push(op.forward(s, 0.0), OpCode::of(op), i, 0);
    }
    Ok(i)
}

/// Writes the operand pairs `w0, x0, w1, x1, ...` at `t.operands[start..]` and returns
/// `sum(w_i * x_i)`, added in order (as [`dot_value`]).
///
/// The operand list is grown by the caller (a memset), and written here through a slice:
/// pushing pair by pair kept the Vec's length in memory, a store-to-load dependency on every
/// pair (see ARCHITECTURE.md).
///
/// Pre: `w.len() == x.len()`, `t.operands.len() >= start + 2 * w.len()`; if `X_CHECKED`, the
/// handles of `x` were already checked on `t` (only those of `w` are checked here).
#[inline(always)]
fn fill_pairs<const X_CHECKED: bool>(
    t: &mut TapeData,
    start: usize,
    w: &[Value],
    x: &[Value],
) -> Result<f64, Released> {
    let now = t.now();
    let (operands, val) = (&mut t.operands[start..start + 2 * w.len()], &t.val[..]);
    // The liveness check, cheapened: a neuron's weights (and a layer's inputs) come from one
    // epoch, and liveness is monotone in the index within an epoch, so the loop only checks
    // that each handle has the first one's epoch and keeps the largest index; the full check
    // runs once, after the loop, on that index.
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
        s += Op::Dot.forward(vw, vx);
    }
    let live = same
        && TapeData::surely_live(now, maxw, ew)
        && (X_CHECKED || TapeData::surely_live(now, maxx, ex));
    if !live {
        // Slow path: accept older live handles, report a released one.
        for v in w.iter().chain(x) {
            v.index(t)?;
        }
    }
    Ok(s)
}
