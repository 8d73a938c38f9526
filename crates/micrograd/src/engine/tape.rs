//! The tape: a thread-local arena that holds every node of the computation graph.
//!
//! Nodes are stored as a struct of arrays, in the order they were created. Creation order is
//! a topological order (an operation's operands exist before it), so backward is one reverse
//! sweep over the arrays: no recursion, no sorting, no hashing.
//!
//! A [`Value`](super::Value) is an index into these arrays plus the *epoch* in which it was
//! made. Releasing nodes ([`Tape::truncate`], or dropping a [`Scope`]) starts a new epoch and
//! remembers the lowest index released since each older epoch, so a handle to a released node
//! is detected on its next use and reported with a panic, never read as a wrong number.

#[cfg(debug_assertions)]
use std::cell::Cell;
use std::cell::UnsafeCell;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use super::ops::{Arity, Op};

/// A position on the tape, returned by [`Tape::mark`] and consumed by [`Tape::truncate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    nodes: usize,
    consts: usize,
    operands: usize,
    /// The tape's epoch when the mark was taken (a later truncation below the mark moves it:
    /// see [`TapeData::truncate`]).
    epoch: u32,
}

impl Mark {
    /// The number of nodes that were on the tape when the mark was taken.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
}

/// A copy of the tape's epoch fields, read once for many handle checks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Now {
    epoch: u32,
    live_floor: u32,
    last_run: (u32, u32),
}

/// Size of the direct-mapped cache that lets repeated constants share one pool slot.
const CONST_CACHE: usize = 64;

/// The storage behind all [`Value`](super::Value)s of one thread.
///
/// Making a node appends to three arrays (`val`, `op`, `ab`); `grad` is grown only when a
/// backward sweep or `set_grad` needs it (nodes past its end have gradient 0), so building a
/// graph writes 17 bytes per node and backward adds 8.
#[derive(Debug)]
pub(crate) struct TapeData {
    /// Forward value of each node.
    pub(crate) val: Vec<f64>,
    /// Gradient (adjoint) of the first `grad.len()` nodes; the others' is 0.
    /// Invariant: `grad.len() <= val.len()`.
    pub(crate) grad: Vec<f64>,
    /// Operation that made each node.
    pub(crate) op: Vec<Op>,
    /// Operands `[a, b]` of each node. `a`: a node index, or for n-ary ops the start in
    /// `operands`. `b`: a node index, an index into `consts`, or for n-ary ops the count.
    pub(crate) ab: Vec<[u32; 2]>,
    /// Constant pool for [`Arity::WithConst`](super::ops::Arity::WithConst) operations.
    pub(crate) consts: Vec<f64>,
    /// Operand lists of n-ary operations: `Sum` `[a, n]`: `operands[a..a + n]`; `Dot`
    /// `[a, 2n]` and `Affine` `[a, 2n + 1]`: the pairs `w_i, x_i` (after `b` for `Affine`);
    /// `AffineSpan` `[a, n]`: see [`span_parts`].
    pub(crate) operands: Vec<u32>,
    /// Scratch space for a layer's input values (kept to reuse its allocation).
    pub(crate) scratch: Vec<f64>,
    /// Labels, for the few nodes that have one.
    pub(crate) labels: BTreeMap<u32, String>,
    /// Current epoch; every truncation starts a new one.
    pub(crate) epoch: u32,
    /// `(first_epoch, floor)` runs: a handle made in an epoch `e >= first_epoch` (and before
    /// the next run) is valid only if its index is below `floor`. Floors never decrease.
    floors: Vec<(u32, u32)>,
    /// For each run of `floors`, the lengths of `operands` and `consts` at its floor.
    floor_pos: Vec<(usize, usize)>,
    /// `floors[0].1` (0 while there is no floor): every node below it is live for every
    /// epoch, so an older handle below it needs no search.
    live_floor: u32,
    /// `floors.last()` (or `(0, 0)`): handles made since that run's first epoch, before the
    /// current one, are live below its floor. With `live_floor` this answers every older
    /// handle of a typical program (parameters made before or after a first step) without
    /// a search.
    last_run: (u32, u32),
    /// Upper bound (exclusive) of the interior nodes whose grad may be non-zero.
    dirty: usize,
    /// Recently used constants: slot -> index into `consts`.
    const_cache: [u32; CONST_CACHE],
}

/// This thread's tape, in a cell without a borrow flag (see [`with_tape`]).
pub(crate) struct TapeCell {
    data: UnsafeCell<TapeData>,
    /// Debug builds: whether a `with_tape` closure is running (catches a re-entrant call).
    #[cfg(debug_assertions)]
    busy: Cell<bool>,
}

thread_local! {
    static TAPE: TapeCell = const {
        TapeCell {
            data: UnsafeCell::new(TapeData::new()),
            #[cfg(debug_assertions)]
            busy: Cell::new(false),
        }
    };
}

/// Runs `f` with this thread's tape.
///
/// Invariant (what makes the `unsafe` below sound): **no closure passed to `with_tape` calls
/// `with_tape` again**, directly or through a `Value`/`Tape` method; such closures only use
/// the `&mut TapeData` they are given (and `Value::index(t)`, `Value::at(t, _)`, which take
/// it). So at most one `&mut TapeData` of a thread exists at a time, and the tape never
/// leaves its thread (`Value` and `Scope` are `!Send`). Debug builds check the invariant
/// at run time (a re-entrant call panics, see the test below); release builds skip a
/// `RefCell`'s borrow-flag check and update on every node made (W1 rebuild: see
/// ARCHITECTURE.md for the measurement).
#[inline(always)]
pub(crate) fn with_tape<R>(f: impl FnOnce(&mut TapeData) -> R) -> R {
    TAPE.with(|c| c.with(f))
}

/// [`with_tape`] for the small closures of the scalar operations (`+`, `tanh`, ...): the
/// cell's address is taken by a closure that does nothing else, and `f` runs after
/// `LocalKey::with` returns, so the whole operation inlines at its call site; through
/// `with_tape`, each operation paid a call, an indirect call to the thread-local's
/// accessor and a dispatch on the op code (W2: 480 -> 440 M instructions per million
/// steps).
///
/// The address stays valid while the thread runs: the thread-local is only destroyed at
/// thread exit, never while `f` runs on this thread.
#[inline(always)]
pub(crate) fn with_tape_small<R>(f: impl FnOnce(&mut TapeData) -> R) -> R {
    let cell: *const TapeCell = TAPE.with(|c| c as *const TapeCell);
    // SAFETY: `cell` points to this thread's tape, which outlives this call (see above);
    // `TapeCell::with` upholds the aliasing invariant of `with_tape`.
    unsafe { &*cell }.with(f)
}

/// Panics with `msg` from inside a tape access (a released handle, a full tape), without
/// calling the panic hook.
///
/// A panic hook runs before unwinding starts, so while the access's `&mut TapeData` is still
/// live: a hook that read the tape (`Tape::len()`, `v.data()`) would make a second one. So
/// these panics print their message themselves, as the default hook does, and unwind with
/// `resume_unwind` (the payload is the message: `catch_unwind` and `#[should_panic]` see it
/// as usual); a custom hook does not see them (tested in `tests/panic_hook.rs`).
#[cold]
#[inline(never)]
pub(crate) fn raise(msg: std::fmt::Arguments<'_>) -> ! {
    use std::io::Write;
    let msg = msg.to_string();
    let thread = std::thread::current();
    let _ = writeln!(
        std::io::stderr(),
        "thread '{}' panicked: {msg}",
        thread.name().unwrap_or("<unnamed>")
    );
    std::panic::resume_unwind(Box::new(msg))
}

impl TapeCell {
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut TapeData) -> R) -> R {
        #[cfg(debug_assertions)]
        let _busy = BusyGuard::enter(&self.busy);
        // SAFETY: the cell is thread-local and, by the invariant of `with_tape`, no other
        // reference to its data is live while `f` runs. The panics `f` raises on purpose
        // go through `raise`, which calls no panic hook, so no user code runs meanwhile.
        f(unsafe { &mut *self.data.get() })
    }
}

/// Debug builds: marks the tape busy while a `with_tape` closure runs (also on unwind).
#[cfg(debug_assertions)]
struct BusyGuard<'a>(&'a Cell<bool>);

#[cfg(debug_assertions)]
impl<'a> BusyGuard<'a> {
    fn enter(busy: &'a Cell<bool>) -> BusyGuard<'a> {
        assert!(
            !busy.replace(true),
            "micrograd internal error: re-entrant access to the tape"
        );
        BusyGuard(busy)
    }
}

#[cfg(debug_assertions)]
impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl TapeData {
    const fn new() -> Self {
        TapeData {
            val: Vec::new(),
            grad: Vec::new(),
            op: Vec::new(),
            ab: Vec::new(),
            consts: Vec::new(),
            operands: Vec::new(),
            scratch: Vec::new(),
            labels: BTreeMap::new(),
            epoch: 0,
            floors: Vec::new(),
            floor_pos: Vec::new(),
            live_floor: 0,
            last_run: (0, 0),
            dirty: 0,
            const_cache: [u32::MAX; CONST_CACHE],
        }
    }

    /// Number of nodes on the tape.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.val.len()
    }

    /// Checks that a handle `(idx, epoch)` still refers to a live node and returns its index.
    ///
    /// Panics with an explanation if the node was released by a truncation.
    #[inline(always)]
    pub(crate) fn check(&self, idx: u32, epoch: u32) -> usize {
        if TapeData::surely_live(self.now(), idx, epoch) || self.older_handle_is_live(idx, epoch) {
            idx as usize
        } else {
            released(idx, epoch)
        }
    }

    /// The check's fast path, from a copy of the tape's epoch fields ([`now`](TapeData::now)):
    /// true if the handle is surely live (false means: ask [`check`](TapeData::check)).
    /// Monotone in `idx`: if it holds for `(idx, epoch)`, it holds for every smaller index of
    /// the same epoch (bulk checks test the largest index only).
    #[inline(always)]
    pub(crate) fn surely_live(now: Now, idx: u32, epoch: u32) -> bool {
        epoch == now.epoch
            || (epoch < now.epoch
                && (idx < now.live_floor || (epoch >= now.last_run.0 && idx < now.last_run.1)))
    }

    /// The epoch fields, for [`surely_live`](TapeData::surely_live).
    #[inline(always)]
    pub(crate) fn now(&self) -> Now {
        Now {
            epoch: self.epoch,
            live_floor: self.live_floor,
            last_run: self.last_run,
        }
    }

    #[cold]
    #[inline(never)]
    fn older_handle_is_live(&self, idx: u32, epoch: u32) -> bool {
        if epoch > self.epoch {
            // Only possible through a handle smuggled across threads, which `Value: !Send`
            // forbids; refuse it rather than read another tape's slot.
            return false;
        }
        // The last run whose first epoch is <= epoch (floors[0].0 == 0 once any exists).
        let k = self.floors.partition_point(|&(first, _)| first <= epoch);
        debug_assert!(k > 0, "an older epoch always has a floor");
        idx < self.floors[k - 1].1
    }

    /// Appends a node and returns its index.
    ///
    /// Pre: `a`/`b` are already checked indices (or constant / operand positions, by arity).
    #[inline(always)]
    pub(crate) fn push(&mut self, val: f64, op: Op, a: u32, b: u32) -> u32 {
        let idx = self.val.len();
        if idx >= u32::MAX as usize {
            raise(format_args!(
                "micrograd: the tape is full (2^32 - 1 nodes); release nodes with Tape::scope or Tape::truncate"
            ));
        }
        self.val.push(val);
        self.op.push(op);
        self.ab.push([a, b]);
        idx as u32
    }

    /// The gradient of node `i` (a live index).
    #[inline(always)]
    pub(crate) fn grad_of(&self, i: usize) -> f64 {
        self.grad.get(i).copied().unwrap_or(0.0)
    }

    /// Makes `grad` cover the first `n` nodes (pre: `n <= len()`); new entries are 0.
    #[inline]
    pub(crate) fn grow_grad(&mut self, n: usize) {
        if self.grad.len() >= n {
            return;
        }
        // Sized like the other arrays, so that later sweeps reuse the allocation. Zeros are
        // written here (not taken from calloc's untouched pages): backward's first access to
        // a page is a read-modify-write, which on an untouched page faults twice (a read
        // fault mapping the zero page, then a copy-on-write fault), so writing first halves
        // the faults (W2: 241k -> 183k).
        self.grad
            .reserve_exact(self.val.capacity().max(n) - self.grad.len());
        self.grad.resize(n, 0.0);
    }

    /// Stores a constant in the pool (sharing a slot with a recent equal constant).
    #[inline(always)]
    pub(crate) fn constant(&mut self, c: f64) -> u32 {
        let bits = c.to_bits();
        let slot = (bits ^ (bits >> 29) ^ (bits >> 47)) as usize % CONST_CACHE;
        let cached = self.const_cache[slot] as usize;
        if cached < self.consts.len() && self.consts[cached].to_bits() == bits {
            return cached as u32;
        }
        let idx = self.consts.len() as u32;
        self.consts.push(c);
        self.const_cache[slot] = idx;
        idx
    }

    /// The current position, to truncate back to later.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            nodes: self.val.len(),
            consts: self.consts.len(),
            operands: self.operands.len(),
            epoch: self.epoch,
        }
    }

    /// Releases every node created after `mark`. Their handles become invalid.
    ///
    /// A mark taken before a truncation below it (a stale mark) stands for that truncation's
    /// point: every node now at or above it was made after the mark. (Its own positions in
    /// `operands` and `consts` may since hold the lists of live nodes.)
    pub(crate) fn truncate(&mut self, mark: Mark) {
        let mark = self.current(mark);
        if mark.nodes >= self.val.len() {
            // Nothing to release (the nodes above the mark were already released).
            return;
        }
        let m = mark.nodes;
        self.val.truncate(m);
        self.grad.truncate(m);
        self.op.truncate(m);
        self.ab.truncate(m);
        self.consts.truncate(mark.consts.min(self.consts.len()));
        self.operands
            .truncate(mark.operands.min(self.operands.len()));
        if self
            .labels
            .last_key_value()
            .is_some_and(|(k, _)| *k as usize >= m)
        {
            self.labels.split_off(&(m as u32));
        }
        self.dirty = self.dirty.min(m);
        // Every epoch up to the current one now has floor <= m.
        let mut first = self.epoch;
        while let Some(&(f, floor)) = self.floors.last() {
            if floor as usize >= m {
                first = f;
                self.floors.pop();
                self.floor_pos.pop();
            } else {
                break;
            }
        }
        self.floors.push((first, m as u32));
        self.floor_pos
            .push((self.operands.len(), self.consts.len()));
        self.live_floor = self.floors[0].1;
        self.last_run = (first, m as u32);
        self.epoch = match self.epoch.checked_add(1) {
            Some(e) => e,
            None => raise(format_args!(
                "micrograd: more than 2^32 truncations of one tape"
            )),
        };
    }

    /// `mark`, or, if a truncation since it went below it, that truncation's point (the
    /// lowest since the mark's epoch: the floor of the run that covers that epoch).
    fn current(&self, mark: Mark) -> Mark {
        if mark.epoch < self.epoch {
            let k = self
                .floors
                .partition_point(|&(first, _)| first <= mark.epoch);
            if k > 0 && (self.floors[k - 1].1 as usize) < mark.nodes {
                let (operands, consts) = self.floor_pos[k - 1];
                return Mark {
                    nodes: self.floors[k - 1].1 as usize,
                    consts,
                    operands,
                    epoch: mark.epoch,
                };
            }
        }
        mark
    }

    /// Back-propagates from node `root`: seeds it with 1 and adds into every ancestor.
    ///
    /// Post: every leaf ancestor's grad grew by d root / d leaf; every interior node at or
    /// below `root` holds d root / d node (interior grads from earlier sweeps are cleared first,
    /// so they are not propagated twice).
    pub(crate) fn backward(&mut self, root: usize) {
        self.backward_cleared(root, usize::MAX);
    }

    /// [`backward`](TapeData::backward) when the caller has already zeroed the grads of nodes
    /// `cleared_from..=root` (a replay), so only interior nodes below `cleared_from` are cleared.
    pub(crate) fn backward_cleared(&mut self, root: usize, cleared_from: usize) {
        let n = root + 1;
        self.grow_grad(n);
        // Clear interior adjoints left by an earlier backward (or set_grad) below the root.
        let dirty = self.dirty.min(n).min(cleared_from);
        for i in 0..dirty {
            if self.op[i] != Op::Leaf {
                self.grad[i] = 0.0;
            }
        }
        self.dirty = self.dirty.max(n);
        self.grad[root] += 1.0;
        self.sweep(0, n);
    }

    /// Reverse sweep over nodes `lo..hi`, propagating each node's adjoint to its operands.
    ///
    /// Pre: `grad.len() >= hi`.
    pub(crate) fn sweep(&mut self, lo: usize, hi: usize) {
        let val = &self.val[..];
        let grad = &mut self.grad[..hi];
        let ops = &self.op[..hi];
        let ab = &self.ab[..hi];
        let consts = &self.consts[..];
        let operands = &self.operands[..];
        for i in (lo..hi).rev() {
            let g = grad[i];
            if g == 0.0 {
                continue;
            }
            let [a, b] = ab[i];
            ops[i].propagate(i, g, a as usize, b as usize, val, grad, consts, operands);
        }
    }

    /// Recomputes the forward value of every node in `lo..hi` from its operands
    /// (leaves keep their data). Used to replay a recorded graph on new leaf values.
    pub(crate) fn forward_range(&mut self, lo: usize, hi: usize) {
        let val = &mut self.val[..hi];
        let ops = &self.op[..hi];
        let ab = &self.ab[..hi];
        let consts = &self.consts[..];
        let operands = &self.operands[..];
        let mut i = lo;
        while i < hi {
            let op = ops[i];
            let [a, b] = ab[i];
            let (a, b) = (a as usize, b as usize);
            if op == Op::AffineSpan
                && i + 2 * SPAN_GROUP <= hi
                && let Some(next) = span_group_value(val, ops, ab, operands, consts, i)
            {
                i = next;
                continue;
            }
            val[i] = match op {
                Op::Leaf => {
                    i += 1;
                    continue;
                }
                // The same order of additions as when the node was made (bit-equal).
                Op::Sum => sum_value(val, &operands[a..a + b]),
                Op::Dot => dot_value(val, &operands[a..a + b]),
                Op::Affine => affine_value(val, &operands[a..a + b]),
                Op::AffineSpan => span_value(val, operands, a, b),
                _ => op.forward_node(a, b, val, consts),
            };
            i += 1;
        }
    }

    /// Whether every operand below `lo` of the nodes in `lo..hi` is a leaf (then a sweep
    /// over `lo..hi` alone gives the leaves below `lo` their full gradient).
    pub(crate) fn operands_below_are_leaves(&self, lo: usize, hi: usize) -> bool {
        let leaf_or_recent = |x: usize| x >= lo || self.op[x] == Op::Leaf;
        (lo..hi).all(|i| {
            let [a, b] = self.ab[i];
            let (a, b) = (a as usize, b as usize);
            match self.op[i].arity() {
                Arity::Leaf => true,
                Arity::Nary => {
                    let mut all = true;
                    self.for_each_nary_operand(self.op[i], a, b, |x| {
                        all &= leaf_or_recent(x as usize)
                    });
                    all
                }
                Arity::Binary => leaf_or_recent(a) && leaf_or_recent(b),
                Arity::Unary | Arity::WithConst => leaf_or_recent(a),
            }
        })
    }

    /// Calls `f` on each node operand of the n-ary node `[a, b]` made by `op`, in the order
    /// of [`Node::inputs`](super::value::Node::inputs).
    pub(crate) fn for_each_nary_operand(&self, op: Op, a: usize, b: usize, mut f: impl FnMut(u32)) {
        if op == Op::AffineSpan {
            let (bias, w0, x) = span_parts(&self.operands, a, b);
            f(bias);
            for (j, &xj) in x.iter().enumerate() {
                f(w0 + j as u32);
                f(xj);
            }
        } else {
            self.operands[a..a + b].iter().for_each(|&x| f(x));
        }
    }

    /// Backward from `root` over `lo..=root` only, for a replay whose nodes below `lo` that
    /// it reads are all leaves. Pre: grads of `lo..=root` are zero, `grad.len() > root`.
    pub(crate) fn backward_range(&mut self, lo: usize, root: usize) {
        self.dirty = self.dirty.max(root + 1);
        self.grad[root] += 1.0;
        self.sweep(lo, root + 1);
    }

    /// Marks interior grads up to `idx` as possibly non-zero (after `set_grad`).
    pub(crate) fn touch_grad(&mut self, idx: usize) {
        if self.op[idx] != Op::Leaf {
            // grad covers idx (set_grad grew it), so dirty <= grad.len() still holds.
            self.dirty = self.dirty.max(idx + 1);
        }
    }
}

/// The value of a [`Op::Sum`] node with operands `args`, added in order. Making the node
/// and replaying it both use this function, so they agree to the bit.
#[inline]
pub(crate) fn sum_value(val: &[f64], args: &[u32]) -> f64 {
    let mut s = 0.0;
    for &i in args {
        s += val[i as usize];
    }
    s
}

/// The value of a [`Op::Dot`] node with operands `args = [w0, x0, w1, x1, ...]`: the products
/// added in order, as `sum(w * x for ...)` in micrograd. Shared by making and replaying.
#[inline]
pub(crate) fn dot_value(val: &[f64], args: &[u32]) -> f64 {
    let mut s = 0.0;
    for p in args.chunks_exact(2) {
        s += val[p[0] as usize] * val[p[1] as usize];
    }
    s
}

/// The value of an [`Op::Affine`] node with operands `args = [b, w0, x0, w1, x1, ...]`:
/// the [`dot_value`] of the pairs, then `+ b` (the number `dot(w, x) + b` gives).
#[inline]
pub(crate) fn affine_value(val: &[f64], args: &[u32]) -> f64 {
    dot_value(val, &args[1..]) + val[args[0] as usize]
}

/// The operands of an [`Op::AffineSpan`] node `[a, n]`: `(bias, first weight, x)`, where
/// `operands[a]` is the bias, `operands[a + 1]` the start of the input list `x` (`n`
/// entries, written before the node and shared by the neurons of a layer) and
/// `operands[a + 2]` the first of the `n` consecutive weight nodes.
#[inline(always)]
pub(crate) fn span_parts(operands: &[u32], a: usize, n: usize) -> (u32, u32, &[u32]) {
    let xs = operands[a + 1] as usize;
    (operands[a], operands[a + 2], &operands[xs..xs + n])
}

/// The value of an [`Op::AffineSpan`] node `[a, n]`: the products `w_i * x_i` added in
/// order, then `+ b`, as [`affine_value`] (the same bits).
#[inline]
pub(crate) fn span_value(val: &[f64], operands: &[u32], a: usize, n: usize) -> f64 {
    let (bias, w0, x) = span_parts(operands, a, n);
    let w = &val[w0 as usize..w0 as usize + n];
    let mut s = 0.0;
    for (&vw, &xi) in w.iter().zip(x) {
        s += vw * val[xi as usize];
    }
    s + val[bias as usize]
}

/// How many neurons of a layer a replay computes side by side.
const SPAN_GROUP: usize = 4;

/// Replays `SPAN_GROUP` neurons of a layer at once, if nodes `i..i + 2 * SPAN_GROUP` are
/// such neurons: `AffineSpan` nodes reading the same input list, each followed by a unary
/// activation of it. Each sum keeps its order (the same bits as [`span_value`]), but the
/// chains of additions are independent and overlap (one alone waits on the latency of each
/// addition). Returns the index after the group, or `None` (nothing computed) if the nodes
/// are not such a group.
#[inline]
fn span_group_value(
    val: &mut [f64],
    ops: &[Op],
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
        if ops[node] != Op::AffineSpan
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
                s[k] += w[k][j] * vx;
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

/// The backward rule of the n-ary operations (`Sum`, `Dot`, `Affine`, `AffineSpan`; their
/// operands as documented at [`TapeData::operands`]), called from [`Op::propagate`] with a
/// constant `op`.
#[inline(always)]
pub(crate) fn nary_propagate(
    op: Op,
    g: f64,
    a: usize,
    b: usize,
    val: &[f64],
    grad: &mut [f64],
    operands: &[u32],
) {
    match op {
        Op::Sum => {
            for &x in &operands[a..a + b] {
                grad[x as usize] += g;
            }
        }
        Op::Dot => dot_propagate(g, &operands[a..a + b], val, grad),
        Op::Affine => {
            grad[operands[a] as usize] += g;
            dot_propagate(g, &operands[a + 1..a + b], val, grad);
        }
        Op::AffineSpan => {
            // The same additions in the same order as `Affine` (the same bits).
            let (bias, w0, x) = span_parts(operands, a, b);
            grad[bias as usize] += g;
            for (j, &xi) in x.iter().enumerate() {
                let (wi, xi) = (w0 as usize + j, xi as usize);
                let (vw, vx) = (val[wi], val[xi]);
                grad[wi] += g * vx;
                grad[xi] += g * vw;
            }
        }
        _ => unreachable!("micrograd internal error: {op:?} is not an n-ary operation"),
    }
}

/// Adds `g * x_i` into `grad[w_i]` and `g * w_i` into `grad[x_i]` for the pairs
/// `args = [w0, x0, w1, x1, ...]` of a dot product whose adjoint is `g`.
#[inline(always)]
fn dot_propagate(g: f64, args: &[u32], val: &[f64], grad: &mut [f64]) {
    for pair in args.chunks_exact(2) {
        let (w, x) = (pair[0] as usize, pair[1] as usize);
        let (vw, vx) = (val[w], val[x]);
        grad[w] += g * vx;
        grad[x] += g * vw;
    }
}

#[cold]
#[inline(never)]
fn released(idx: u32, epoch: u32) -> ! {
    raise(format_args!(
        "micrograd: use of a released Value (node {idx}, made in tape epoch {epoch}). \
         Its node was freed when a Tape::scope() ended or Tape::truncate() ran; keep only \
         values made before the scope began (parameters), or copy the number out with .data()"
    ))
}

/// Control of this thread's tape: its size, and releasing the nodes of a finished step.
///
/// ```
/// use micrograd::{Tape, Value};
///
/// let w = Value::new(0.5); // a parameter, made before the loop
/// for _ in 0..3 {
///     let _step = Tape::scope(); // nodes made below are released at the end of the step
///     let loss = (w * 3.0 - 1.0).pow(2.0);
///     w.set_grad(0.0);
///     loss.backward();
///     w.set_data(w.data() - 0.1 * w.grad());
/// }
/// assert_eq!(Tape::len(), 1); // only `w` is left: memory stays flat however long the loop
/// ```
pub struct Tape {
    _private: (),
}

impl Tape {
    /// Number of live nodes on this thread's tape.
    pub fn len() -> usize {
        with_tape(|t| t.len())
    }

    /// Whether this thread's tape holds no node.
    pub fn is_empty() -> bool {
        Tape::len() == 0
    }

    /// The current position on the tape.
    pub fn mark() -> Mark {
        with_tape(|t| t.mark())
    }

    /// Releases every node created after `mark`; handles to them panic on their next use.
    /// A mark taken before an earlier truncation below it still means "the nodes made since
    /// this mark" (all of them, down to that truncation's point).
    pub fn truncate(mark: Mark) {
        with_tape(|t| t.truncate(mark))
    }

    /// Releases every node of this thread's tape.
    pub fn clear() {
        Tape::truncate(Mark {
            nodes: 0,
            consts: 0,
            operands: 0,
            epoch: u32::MAX,
        })
    }

    /// Starts a scope: when the returned guard drops, the nodes made since are released.
    pub fn scope() -> Scope {
        Scope {
            mark: Tape::mark(),
            _not_send: PhantomData,
        }
    }

    /// Memory reserved by the tape's arrays, in bytes (capacity, not length).
    pub fn capacity_bytes() -> usize {
        with_tape(|t| {
            t.val.capacity() * 8
                + t.grad.capacity() * 8
                + t.op.capacity()
                + t.ab.capacity() * 8
                + t.consts.capacity() * 8
                + t.operands.capacity() * 4
        })
    }
}

/// A guard from [`Tape::scope`]: releases the nodes made during its life when it drops.
#[must_use = "a Scope releases its nodes when dropped; bind it with `let _step = Tape::scope();`"]
pub struct Scope {
    mark: Mark,
    _not_send: PhantomData<*const ()>,
}

impl Scope {
    /// The position the scope will truncate back to.
    pub fn mark(&self) -> Mark {
        self.mark
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        // The tape may already be gone if the thread is exiting.
        let _ = TAPE.try_with(|c| c.with(|t| t.truncate(self.mark)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Value;

    /// The invariant of `with_tape` is checked in debug builds: a re-entrant call panics
    /// instead of making a second `&mut TapeData`.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "re-entrant access to the tape")]
    fn reentrant_tape_access_panics_in_debug_builds() {
        let v = Value::new(1.0);
        with_tape(|_| v.data());
    }

    /// A panic inside a `with_tape` closure (a released handle) leaves the tape usable.
    #[test]
    fn tape_is_usable_after_a_panic_inside_with_tape() {
        let old = {
            let _s = Tape::scope();
            Value::new(1.0) * 2.0
        };
        assert!(std::panic::catch_unwind(|| old.data()).is_err());
        let x = Value::new(3.0);
        let y = x * x;
        y.backward();
        assert_eq!((y.data(), x.grad()), (9.0, 6.0));
    }
}
