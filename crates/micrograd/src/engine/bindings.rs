//! What a language binding needs besides the ordinary API (feature `bindings`): the Python
//! package `micrograd` is built on it.
//!
//! - **Handles as numbers.** A binding's objects must be `Send` (Python moves them between
//!   threads), so they keep a [`Value`] as the number [`into_raw`] gives and rebuild it with
//!   [`from_raw`]. A rebuilt handle is checked on use like any other; using it on a thread
//!   other than the one that made it is the binding's mistake to prevent (it would read
//!   that thread's node of the same index).
//! - **micrograd's backward**: [`backward_ancestors`] (the root's grad is *set* to 1, every
//!   ancestor pushes its current grad once into its operands, nothing is cleared first) and
//!   [`backward_node`] (one node's `_backward()`, the lecture's manual backprop).
//! - **Freeing without scopes**: [`compact`] keeps the nodes the binding still holds and
//!   everything they were computed from, and slides them down in creation order (so the tape
//!   stays topological and backward stays one sweep); operand lists, constants, labels and
//!   grads move with them. It starts a new epoch, like a truncation: a handle to a node that
//!   did not move stays valid, a handle to a node that moved or was freed is stale (and
//!   panics on use, as after a scope); [`Compaction::moved`] gives the new handles.
//!
//! None of this is used by the rest of the crate, and nothing here runs unless called: the
//! ordinary API pays nothing for it.

use std::collections::HashMap;
use std::marker::PhantomData;

use super::nary;
use super::ops::{Arity, OpCode};
use super::tape::{TapeData, live, operand_pos, with_tape};
use super::value::Value;

/// The handle as one number (its index in the low 32 bits, its epoch in the high ones), to
/// keep in an object that must be `Send`. [`from_raw`] gives the handle back.
#[inline(always)]
pub fn into_raw(v: Value) -> u64 {
    v.idx as u64 | (v.epoch as u64) << 32
}

/// The handle whose [`into_raw`] is `raw`. Checked on use (a stale one panics as usual);
/// the caller makes sure it is used on the thread whose tape made it.
///
/// A number that no handle of this tape can have (an epoch after the tape's, or an index
/// past its end in the current epoch) gives a released handle: every handle of the current
/// epoch must name an existing node, because the check on use trusts that (the tape's
/// length only grows within an epoch).
#[inline(always)]
pub fn from_raw(raw: u64) -> Value {
    let (idx, epoch) = (raw as u32, (raw >> 32) as u32);
    let possible = with_tape(|t| t.could_be_handle(idx, epoch));
    if possible {
        Value::from_parts(idx, epoch)
    } else {
        // The check refuses it: an epoch after every epoch of the tape.
        Value::from_parts(idx, u32::MAX)
    }
}

/// Calls `f` on each node operand of a node made by `op` with operands `[a, b]`, repeats
/// included.
#[inline(always)]
fn for_each_input(op: OpCode, [a, b]: [u32; 2], operands: &[u32], mut f: impl FnMut(usize)) {
    match op.arity() {
        Arity::Leaf => {}
        Arity::Unary | Arity::WithConst => f(a as usize),
        Arity::Binary => {
            f(a as usize);
            f(b as usize);
        }
        Arity::Nary => {
            nary::for_each_operand(operands, op, a as usize, b as usize, |x| f(x as usize))
        }
    }
}

/// micrograd's `backward()`: sets the root's grad to 1 (micrograd assigns it, the ordinary
/// [`Value::backward`] adds 1), then each ancestor of `root`, results before operands, adds
/// its current grad times its local derivatives into its operands' grads. No grad is cleared
/// first, so a second call on the same graph pushes the interior grads of the first one
/// down again, exactly as micrograd does; nodes that are not ancestors of `root` are not
/// touched.
///
/// Panics if `root` was released (as every `Value` method).
#[track_caller]
pub fn backward_ancestors(root: Value) {
    live(with_tape(|t| {
        let r = root.index(t)?;
        t.grow_grad(r + 1);
        t.grad[r] = 1.0;
        t.dirty = t.dirty.max(r + 1);
        let mut seen = vec![false; r + 1];
        seen[r] = true;
        let (val, grad, ops, ab) = (&t.val[..], &mut t.grad[..], &t.op[..], &t.ab[..]);
        let (consts, operands) = (&t.consts[..], &t.operands[..]);
        for i in (0..=r).rev() {
            if !seen[i] {
                continue;
            }
            let op = ops[i];
            for_each_input(op, ab[i], operands, |x| seen[x] = true);
            let g = grad[i];
            if g != 0.0 {
                let [a, b] = ab[i];
                op.propagate(i, g, a as usize, b as usize, val, grad, consts, operands);
            }
        }
        Ok(())
    }))
}

/// micrograd's `_backward()` of one node: adds the node's current grad times its local
/// derivatives into its operands' grads (a leaf has none). The lecture calls it node by node
/// after setting `o.grad = 1.0`.
///
/// Panics if `v` was released.
#[track_caller]
pub fn backward_node(v: Value) {
    live(with_tape(|t| {
        let i = v.index(t)?;
        t.grow_grad(i + 1);
        t.dirty = t.dirty.max(i + 1);
        let g = t.grad[i];
        if g != 0.0 {
            let [a, b] = t.ab[i];
            let (val, grad) = (&t.val[..], &mut t.grad[..]);
            t.op[i].propagate(
                i,
                g,
                a as usize,
                b as usize,
                val,
                grad,
                &t.consts,
                &t.operands,
            );
        }
        Ok(())
    }))
}

/// What [`compact`] did: which nodes moved where. It belongs to its thread's tape (the
/// handles it gives are that tape's), so it cannot be sent to another thread:
///
/// ```compile_fail
/// let c = micrograd::engine::bindings::compact(|_| true);
/// std::thread::spawn(move || c.first_moved());
/// ```
#[derive(Clone, Debug)]
pub struct Compaction {
    first: usize,
    before: usize,
    epoch: u32,
    /// The new index of each old node at or above `first` (`u32::MAX`: freed).
    moved: Vec<u32>,
    /// It describes its thread's tape: the handles [`moved`](Compaction::moved) makes are
    /// that tape's.
    _not_send: PhantomData<*const ()>,
}

impl Compaction {
    /// The lowest index whose node moved or was freed: nodes below it kept their index, and
    /// their old handles stay valid. Equal to [`len_before`](Compaction::len_before) if
    /// nothing was freed (then nothing changed, not even the epoch).
    pub fn first_moved(&self) -> usize {
        self.first
    }

    /// The number of nodes before the compaction.
    pub fn len_before(&self) -> usize {
        self.before
    }

    /// The number of nodes after it.
    pub fn len_after(&self) -> usize {
        self.first + self.moved.iter().filter(|&&m| m != u32::MAX).count()
    }

    /// The handle, after the compaction, of the node that `old` (a handle made before it)
    /// referred to: `old` itself if that node did not move, `None` if it was freed.
    pub fn renew(&self, old: Value) -> Option<Value> {
        if (old.idx as usize) < self.first {
            Some(old)
        } else {
            self.moved(old.idx as usize)
        }
    }

    /// The new handle of the node that was at index `old` (its old handle is stale if
    /// `old >= first_moved()`), or `None` if that node was freed (or `old` was no node).
    pub fn moved(&self, old: usize) -> Option<Value> {
        if old < self.first {
            return (old < self.before).then(|| Value::from_parts(old as u32, self.epoch));
        }
        match self.moved.get(old - self.first) {
            Some(&m) if m != u32::MAX => Some(Value::from_parts(m, self.epoch)),
            _ => None,
        }
    }
}

/// Frees every node of this thread's tape that is neither kept nor needed by a kept node,
/// and slides the others down in creation order; returns where each went.
///
/// `keep(i)` says whether node `i` is still held (by the binding's objects); it is called
/// once for each node, in order, before the tape is touched (so it may do anything but make
/// nodes). Kept nodes and every node they depend on survive, with their values, grads and
/// labels; the tape's operand lists and constants are rewritten for the nodes that move.
/// Handles to nodes below [`Compaction::first_moved`] stay valid; every other handle made
/// before the call is stale (use [`Compaction::moved`]). Marks taken before the call
/// behave as after a truncation to `first_moved` (see [`Tape::truncate`](super::Tape)).
///
/// Cost: one pass over the nodes and the moved nodes' operand lists; no allocation beyond
/// a byte and a `u32` per node.
pub fn compact(mut keep: impl FnMut(usize) -> bool) -> Compaction {
    let n = with_tape(|t| t.len());
    let mut live: Vec<bool> = (0..n).map(&mut keep).collect();
    with_tape(|t| compact_tape(t, &mut live))
}

/// [`compact`] on `t`, with `live[i]` the roots (all nodes past `live.len()` are roots).
fn compact_tape(t: &mut TapeData, live: &mut Vec<bool>) -> Compaction {
    let n = t.len();
    live.resize(n, true);
    // Mark: a live node's operands are live. Operands come before their node, so one reverse
    // sweep reaches every ancestor.
    for i in (0..n).rev() {
        if live[i] {
            for_each_input(t.op[i], t.ab[i], &t.operands, |x| live[x] = true);
        }
    }
    let Some(first) = live.iter().position(|&l| !l) else {
        return Compaction {
            first: n,
            before: n,
            epoch: t.epoch,
            moved: Vec::new(),
            _not_send: PhantomData,
        };
    };
    // The operand list and constant pool below (p, c) are what the nodes below `first` use
    // (and what the floor below `first` recorded): left as they are. The moved nodes' lists
    // and constants are written anew after them.
    let (mut p, mut c) = t.floor_pos_below(first);
    for i in 0..first {
        let [a, b] = t.ab[i];
        let (a, b) = (a as usize, b as usize);
        match t.op[i] {
            op if op.arity() == Arity::WithConst => c = c.max(b + 1),
            OpCode::AffineSpan => {
                let xs = t.operands[a + 1] as usize;
                p = p.max(a + 3).max(xs + b);
            }
            op if op.arity() == Arity::Nary => p = p.max(a + b),
            _ => {}
        }
    }
    let mut moved = vec![u32::MAX; n - first];
    let remap = |moved: &[u32], x: u32| -> u32 {
        if (x as usize) < first {
            x
        } else {
            moved[x as usize - first]
        }
    };
    let mut operands_tail: Vec<u32> = Vec::new();
    let mut consts_tail: Vec<f64> = Vec::new();
    let mut const_at: HashMap<u32, u32> = HashMap::new();
    // A layer's input list is shared by its `AffineSpan` neurons: written once.
    let mut inputs_at: HashMap<u32, u32> = HashMap::new();
    let glen = t.grad.len();
    let mut new_glen = glen.min(first);
    let mut new_dirty = t.dirty.min(first);
    let mut j = first;
    for i in first..n {
        if !live[i] {
            continue;
        }
        moved[i - first] = j as u32;
        let op = t.op[i];
        let [a, b] = t.ab[i];
        let ab = match op.arity() {
            Arity::Leaf => [a, b],
            Arity::Unary => [remap(&moved, a), b],
            Arity::Binary => [remap(&moved, a), remap(&moved, b)],
            Arity::WithConst => {
                let k = if (b as usize) < c {
                    b
                } else {
                    *const_at.entry(b).or_insert_with(|| {
                        consts_tail.push(t.consts[b as usize]);
                        operand_pos(c + consts_tail.len() - 1)
                    })
                };
                [remap(&moved, a), k]
            }
            Arity::Nary if op == OpCode::AffineSpan => {
                let (bias, w0, xs) = nary::span_parts(&t.operands, a as usize, b as usize);
                let xs_start = t.operands[a as usize + 1];
                let new_xs = *inputs_at.entry(xs_start).or_insert_with(|| {
                    let at = operand_pos(p + operands_tail.len());
                    operands_tail.extend(xs.iter().map(|&x| remap(&moved, x)));
                    at
                });
                let start = operand_pos(p + operands_tail.len());
                operands_tail.extend_from_slice(&[remap(&moved, bias), new_xs, remap(&moved, w0)]);
                [start, b]
            }
            Arity::Nary => {
                let start = operand_pos(p + operands_tail.len());
                let list = &t.operands[a as usize..a as usize + b as usize];
                operands_tail.extend(list.iter().map(|&x| remap(&moved, x)));
                [start, b]
            }
        };
        t.val[j] = t.val[i];
        t.op[j] = op;
        t.ab[j] = ab;
        if i < glen {
            t.grad[j] = t.grad[i];
            new_glen = j + 1;
        }
        if i < t.dirty {
            new_dirty = j + 1;
        }
        j += 1;
    }
    operand_pos(p + operands_tail.len());
    t.val.truncate(j);
    t.op.truncate(j);
    t.ab.truncate(j);
    t.grad.truncate(new_glen);
    t.operands.resize(p, 0);
    t.operands.extend_from_slice(&operands_tail);
    t.consts.resize(c, 0.0);
    t.consts.extend_from_slice(&consts_tail);
    if t.labels
        .last_key_value()
        .is_some_and(|(k, _)| *k as usize >= first)
    {
        let moved_labels = t.labels.split_off(&(first as u32));
        for (k, label) in moved_labels {
            let m = moved[k as usize - first];
            if m != u32::MAX {
                t.labels.insert(m, label);
            }
        }
    }
    if !t.kept.is_empty() {
        // The marks of grads set by hand follow their nodes; a freed node's mark goes.
        let kept = std::mem::take(&mut t.kept);
        t.kept = kept
            .into_iter()
            .filter_map(|k| match k as usize {
                k if k < first => Some(k as u32),
                k => Some(moved[k - first]).filter(|&m| m != u32::MAX),
            })
            .collect();
    }
    t.dirty = new_dirty;
    t.release_from(first, p, c);
    Compaction {
        first,
        before: n,
        epoch: t.epoch,
        moved,
        _not_send: PhantomData,
    }
}
