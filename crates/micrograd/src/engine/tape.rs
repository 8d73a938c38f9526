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
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use super::nary;
use super::ops::{Arity, OpCode};

/// A position on the tape, returned by [`Tape::mark`] and consumed by [`Tape::truncate`].
/// Like a [`Value`](crate::Value), it belongs to its thread's tape and cannot be sent to
/// another thread:
///
/// ```compile_fail
/// let m = micrograd::Tape::mark();
/// std::thread::spawn(move || micrograd::Tape::truncate(m));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    nodes: usize,
    consts: usize,
    operands: usize,
    /// The tape's epoch when the mark was taken (a later truncation below the mark moves it:
    /// see [`TapeData::truncate`]).
    epoch: u32,
    /// A mark belongs to its thread's tape, like a [`Value`](crate::Value): another tape's
    /// positions would cut this one's operand lists under its live nodes.
    _not_send: PhantomData<*const ()>,
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
    pub(crate) op: Vec<OpCode>,
    /// Operands `[a, b]` of each node. `a`: a node index, or for n-ary ops the start in
    /// `operands`. `b`: a node index, an index into `consts`, or for n-ary ops the count.
    pub(crate) ab: Vec<[u32; 2]>,
    /// Constant pool for [`Arity::WithConst`](super::ops::Arity::WithConst) operations.
    pub(crate) consts: Vec<f64>,
    /// Operand lists of n-ary operations (their layouts: see [`nary`]).
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
    pub(crate) dirty: usize,
    /// Interior nodes whose grad was set by hand ([`Value::set_grad`](super::Value::set_grad),
    /// or added by a [`backward_step`](TapeData::backward_step)) since the last backward
    /// sweep from a node at or above them: a sweep keeps their grads (and adds to them)
    /// instead of clearing them as stale. Empty unless the user works by hand, so the
    /// sweep's fast path only tests `is_empty`. A set: marking, and dropping the marks at or
    /// below a root, cost `O(log n)` in whatever order a user sets grads.
    pub(crate) kept: BTreeSet<u32>,
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
/// `RefCell`'s borrow-flag check and update on every node made (measured: ARCHITECTURE.md).
#[inline(always)]
pub(crate) fn with_tape<R>(f: impl FnOnce(&mut TapeData) -> R) -> R {
    TAPE.with(|c| c.with(f))
}

/// [`with_tape`] for the small closures of the scalar operations (`+`, `tanh`, ...): the
/// cell's address is taken by a closure that does nothing else, and `f` runs after
/// `LocalKey::with` returns, so the whole operation inlines at its call site; through
/// `with_tape`, each operation paid a call, an indirect call to the thread-local's
/// accessor and a dispatch on the op code (measured: ARCHITECTURE.md).
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

/// Panics with `msg` from inside a tape access, without calling the panic hook: for the
/// limits of the tape's `u32` positions (more than 2^32 - 1 nodes, operands or truncations),
/// which are met in the middle of making a node.
///
/// A panic hook runs before unwinding starts, so while the access's `&mut TapeData` is still
/// live: a hook that read the tape (`Tape::len()`, `v.data()`) would make a second one. So
/// these panics print their message themselves, as the default hook does, and unwind with
/// `resume_unwind` (the payload is the message: `catch_unwind` and `#[should_panic]` see it
/// as usual). A user's mistake (a released handle) is not raised here: the access returns
/// [`Released`] and the public method panics after the access ends ([`live`]), with the
/// hook and at the caller's line.
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
        // No other panic is reachable from safe code inside `f`: every handle is checked
        // against the epochs before it indexes (a handle of the current epoch names an
        // existing node: handles, marks and compactions are `!Send`, and `from_raw`
        // refuses other numbers), and positions are checked to fit in u32 before they are
        // stored (`operand_pos`).
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
            kept: BTreeSet::new(),
            const_cache: [u32::MAX; CONST_CACHE],
        }
    }

    /// Number of nodes on the tape.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.val.len()
    }

    /// Checks that a handle `(idx, epoch)` still refers to a live node and returns its index,
    /// or [`Released`] if the node was released by a truncation.
    #[inline(always)]
    pub(crate) fn check(&self, idx: u32, epoch: u32) -> Result<usize, Released> {
        if TapeData::surely_live(self.now(), idx, epoch) || self.older_handle_is_live(idx, epoch) {
            Ok(idx as usize)
        } else {
            Err(Released { idx, epoch })
        }
    }

    /// Whether `(idx, epoch)` could be a handle of this tape: an earlier epoch, or the
    /// current one and an existing node (what [`check`](TapeData::check) assumes of a
    /// handle of the current epoch).
    #[cfg(feature = "bindings")]
    pub(crate) fn could_be_handle(&self, idx: u32, epoch: u32) -> bool {
        epoch < self.epoch || (epoch == self.epoch && (idx as usize) < self.val.len())
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
    pub(crate) fn push(&mut self, val: f64, op: OpCode, a: u32, b: u32) -> u32 {
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
        // the faults (measured: ARCHITECTURE.md).
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
        let idx = operand_pos(self.consts.len());
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
            _not_send: PhantomData,
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
        if !self.kept.is_empty() {
            // Released nodes' marks go with them.
            self.kept.split_off(&(m as u32));
        }
        self.release_from(m, self.operands.len(), self.consts.len());
    }

    /// The epoch bookkeeping of a release: every handle made so far to a node at or above
    /// `m` is stale from now on, those below `m` stay valid, and a new epoch starts.
    /// `operands` and `consts` are the lengths of the operand list and the constant pool that
    /// nodes below `m` use (where a truncation to a stale mark cuts them: see
    /// [`current`](TapeData::current)).
    pub(crate) fn release_from(&mut self, m: usize, operands: usize, consts: usize) {
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
        self.floor_pos.push((operands, consts));
        self.live_floor = self.floors[0].1;
        self.last_run = (first, m as u32);
        self.epoch = match self.epoch.checked_add(1) {
            Some(e) => e,
            None => raise(format_args!(
                "micrograd: more than 2^32 truncations of one tape"
            )),
        };
    }

    /// The operand list and constant pool lengths recorded with the highest floor below `m`
    /// (`(0, 0)` if none): the floor that a [`release_from(m, ..)`](TapeData::release_from)
    /// keeps, whose positions the new floor's must not be below.
    #[cfg(feature = "bindings")]
    pub(crate) fn floor_pos_below(&self, m: usize) -> (usize, usize) {
        // Floors increase along the stack.
        let k = self
            .floors
            .partition_point(|&(_, floor)| (floor as usize) < m);
        if k == 0 {
            (0, 0)
        } else {
            self.floor_pos[k - 1]
        }
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
                    _not_send: PhantomData,
                };
            }
        }
        mark
    }

    /// Back-propagates from node `root`: seeds it with 1 and adds into every ancestor.
    ///
    /// Post: every leaf ancestor's grad grew by d root / d leaf; every interior node at or
    /// below `root` holds d root / d node plus, if its grad was set by hand since the last
    /// sweep through it (`kept`), that grad; an interior root's grad is 1. Interior grads
    /// left by earlier sweeps are cleared first, so they are not propagated twice.
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
        if self.kept.is_empty() {
            self.clear_interior(dirty);
        } else {
            self.clear_interior_but_kept(dirty, root);
        }
        self.dirty = self.dirty.max(n);
        self.grad[root] += 1.0;
        self.sweep(0, n);
    }

    /// Sets the grads of the interior nodes below `end` to 0 (pre: `end <= grad.len()`).
    #[inline(always)]
    fn clear_interior(&mut self, end: usize) {
        for i in 0..end {
            if self.op[i] != OpCode::Leaf {
                self.grad[i] = 0.0;
            }
        }
    }

    /// [`clear_interior`](TapeData::clear_interior) for a sweep from `root` when some grads
    /// were set by hand: those below `end` keep their grads, but the root's (which the sweep
    /// sets to 1, as micrograd's `self.grad = 1`); every mark at or below the root is used up
    /// by this sweep (those above it wait for a sweep from higher up).
    #[cold]
    #[inline(never)]
    fn clear_interior_but_kept(&mut self, end: usize, root: usize) {
        let saved: Vec<(usize, f64)> = self
            .kept
            .range(..end as u32)
            .map(|&i| i as usize)
            .filter(|&i| i != root)
            .map(|i| (i, self.grad[i]))
            .collect();
        self.clear_interior(end);
        for (i, g) in saved {
            self.grad[i] = g;
        }
        self.kept = self.kept.split_off(&(root as u32 + 1));
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
        // A node's term for the node just below it (in a chain, usually the only one) stays
        // in a register until the sweep reaches that node, instead of a store and a load
        // through `grad` on the chain's critical path (W2 backward -37%, see ARCHITECTURE.md).
        // It is that node's last term (its other consumers are higher, visited earlier), so
        // adding it then gives the same sum as adding it now.
        let mut next: Option<f64> = None;
        for i in (lo..hi).rev() {
            let mut g = grad[i];
            if let Some(term) = next.take() {
                g += term;
                grad[i] = g;
            }
            if g == 0.0 {
                continue;
            }
            let [a, b] = ab[i];
            next = ops[i].propagate_next(i, g, a as usize, b as usize, val, grad, consts, operands);
        }
        if let Some(term) = next {
            // For node lo - 1, below the swept range.
            grad[lo - 1] += term;
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
            if op == OpCode::AffineSpan
                && i + 2 * nary::SPAN_GROUP <= hi
                && let Some(next) = nary::span_group_value(val, ops, ab, operands, consts, i)
            {
                i = next;
                continue;
            }
            match op.arity() {
                Arity::Leaf => {}
                // The same order of additions as when the node was made (bit-equal).
                Arity::Nary => val[i] = nary::value(op, a, b, val, operands),
                _ => val[i] = op.forward_node(a, b, val, consts),
            }
            i += 1;
        }
    }

    /// Whether every operand below `lo` of the nodes in `lo..hi` is a leaf (then a sweep
    /// over `lo..hi` alone gives the leaves below `lo` their full gradient).
    pub(crate) fn operands_below_are_leaves(&self, lo: usize, hi: usize) -> bool {
        let leaf_or_recent = |x: usize| x >= lo || self.op[x] == OpCode::Leaf;
        // A layer's neurons share one input list, and a batch's examples the same weight
        // spans: each is checked once (the last list, and spans in a direct-mapped cache of
        // 1024 (first weight, length) pairs), not once per neuron and example.
        let mut last_xs = u32::MAX;
        let mut spans = vec![(u32::MAX, 0u32); 1024];
        (lo..hi).all(|i| {
            let [a, b] = self.ab[i];
            let (a, b) = (a as usize, b as usize);
            match self.op[i].arity() {
                Arity::Leaf => true,
                Arity::Nary if self.op[i] == OpCode::AffineSpan => {
                    let (bias, w0, x) = nary::span_parts(&self.operands, a, b);
                    let xs = self.operands[a + 1];
                    // Fibonacci hashing: a layer's spans, a fixed stride apart, spread out.
                    let slot = &mut spans[(w0.wrapping_mul(0x9e37_79b9) >> 22) as usize];
                    let ok = leaf_or_recent(bias as usize)
                        && (*slot == (w0, b as u32)
                            || (w0 as usize..w0 as usize + b).all(leaf_or_recent))
                        && (xs == last_xs || x.iter().all(|&x| leaf_or_recent(x as usize)));
                    (*slot, last_xs) = ((w0, b as u32), xs);
                    ok
                }
                Arity::Nary => {
                    let mut all = true;
                    nary::for_each_operand(&self.operands, self.op[i], a, b, |x| {
                        all &= leaf_or_recent(x as usize)
                    });
                    all
                }
                Arity::Binary => leaf_or_recent(a) && leaf_or_recent(b),
                Arity::Unary | Arity::WithConst => leaf_or_recent(a),
            }
        })
    }

    /// Backward from `root` over `lo..=root` only, for a replay whose nodes below `lo` that
    /// it reads are all leaves. Pre: grads of `lo..=root` are zero, `grad.len() > root`.
    pub(crate) fn backward_range(&mut self, lo: usize, root: usize) {
        self.seed_range(lo, root);
        self.sweep(lo, root + 1);
    }

    /// The start of [`backward_range`](TapeData::backward_range) (and of a batched
    /// replay's backward): seeds `root` with 1. The replay zeroed the grads of `lo..=root`,
    /// so their marks of grads set by hand (`kept`) go too; nodes below `lo` are not swept:
    /// their marks stay.
    pub(crate) fn seed_range(&mut self, lo: usize, root: usize) {
        if !self.kept.is_empty() {
            self.kept.retain(|&i| !(lo..=root).contains(&(i as usize)));
        }
        self.dirty = self.dirty.max(root + 1);
        self.grad[root] += 1.0;
    }

    /// Notes that node `idx`'s grad was set by hand (after `set_grad`): an interior node's
    /// is kept by the next sweep through it (see `kept`), and counts as possibly non-zero.
    pub(crate) fn touch_grad(&mut self, idx: usize) {
        if self.op[idx] != OpCode::Leaf {
            // grad covers idx (set_grad grew it), so dirty <= grad.len() still holds.
            self.dirty = self.dirty.max(idx + 1);
            self.keep(idx);
        }
    }

    /// Marks node `idx`'s grad as set by hand (see `kept`).
    #[cold]
    #[inline(never)]
    fn keep(&mut self, idx: usize) {
        self.kept.insert(idx as u32);
    }

    /// One node's chain rule, by hand (micrograd's `_backward()`): adds node `i`'s grad times
    /// each local derivative into its operands' grads, with the partials of the backward
    /// sweep (so a full manual pass gives `backward()`'s numbers to the bit). Nothing is
    /// added when the grad is 0, as in the sweep. The operands' grads count as set by hand
    /// (`kept`): a later `backward()` adds to them.
    pub(crate) fn backward_step(&mut self, i: usize) {
        self.grow_grad(i + 1);
        let g = self.grad[i];
        if g == 0.0 {
            return;
        }
        let code = self.op[i];
        let [a, b] = self.ab[i];
        let (a, b) = (a as usize, b as usize);
        let mut operands = Vec::new();
        match code.arity() {
            Arity::Leaf => {}
            Arity::Unary | Arity::WithConst => operands.push(a),
            Arity::Binary => operands.extend([a, b]),
            Arity::Nary => {
                nary::for_each_operand(&self.operands, code, a, b, |x| operands.push(x as usize))
            }
        }
        for x in operands {
            if self.op[x] != OpCode::Leaf {
                self.keep(x);
            }
        }
        self.dirty = self.dirty.max(i + 1);
        // The sweep's own code over the one node (one copy of the propagation match).
        self.sweep(i, i + 1);
    }
}

/// A handle whose node was released: the error of every tape access that meets one. The
/// public method turns it into a panic after the access has ended ([`live`]), so the panic
/// hook may read the tape and the message names the caller's line (`#[track_caller]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Released {
    idx: u32,
    epoch: u32,
}

impl Released {
    /// The error for a released handle to node `idx` (its epoch unknown).
    pub(crate) fn of_node(idx: u32) -> Released {
        Released {
            idx,
            epoch: u32::MAX,
        }
    }

    /// Panics with what happened and what to do, at the caller's location.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(crate) fn panic(self) -> ! {
        let epoch = match self.epoch {
            u32::MAX => String::new(),
            e => format!(", made in tape epoch {e}"),
        };
        panic!(
            "micrograd: use of a released Value (node {}{epoch}). Its node was freed when a \
             Tape::scope() ended or Tape::truncate() ran; keep only values made before the \
             scope began (parameters), or copy the number out with .data()",
            self.idx
        )
    }
}

/// The result of a tape access, or the panic of a released handle at the caller's line.
#[inline(always)]
#[track_caller]
pub(crate) fn live<T>(r: Result<T, Released>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => e.panic(),
    }
}

/// A position in (or a length of) the tape's operand list or constant pool as a `u32`,
/// checked: past 2^32 - 1 the tape is full (a clear panic, not a wrapped index).
#[inline(always)]
pub(crate) fn operand_pos(n: usize) -> u32 {
    match u32::try_from(n) {
        Ok(p) => p,
        Err(_) => operands_full(),
    }
}

#[cold]
#[inline(never)]
fn operands_full() -> ! {
    raise(format_args!(
        "micrograd: the tape's operand list is full (2^32 - 1 entries); release nodes with \
         Tape::scope or Tape::truncate"
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
    #[track_caller]
    pub fn truncate(mark: Mark) {
        // A mark from a later epoch than the tape's is not this tape's (`Mark: !Send` keeps
        // other threads' marks out; this refuses a forged one before it cuts anything).
        let ours = with_tape(|t| {
            let ours = mark.epoch <= t.epoch;
            if ours {
                t.truncate(mark);
            }
            ours
        });
        if !ours {
            panic!("micrograd: Tape::truncate: the mark is not from this thread's tape");
        }
    }

    /// Releases every node of this thread's tape.
    pub fn clear() {
        with_tape(|t| {
            t.truncate(Mark {
                nodes: 0,
                consts: 0,
                operands: 0,
                epoch: u32::MAX,
                _not_send: PhantomData,
            })
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

    /// A mark of a later epoch than the tape's (no mark of this tape has one: only a forged
    /// or smuggled one) is refused before anything is cut.
    #[test]
    fn a_mark_from_a_later_epoch_is_refused() {
        let a = Value::new(1.0);
        let s = Value::sum(&[a, a]);
        let mut m = Tape::mark();
        m.epoch += 1;
        let caught = std::panic::catch_unwind(|| Tape::truncate(m));
        let msg = caught.expect_err("refused");
        let msg = msg.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(msg.contains("not from this thread's tape"), "{msg}");
        s.backward();
        assert_eq!((s.data(), a.grad()), (2.0, 2.0));
    }
}
