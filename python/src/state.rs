//! Which node each live Python `Value` holds, and freeing the nodes nothing needs.
//!
//! Each thread has its own tape (the engine's) and, here, its own table `objs`: for each
//! node, the Python object that stands for it (at most one: `_prev` and `id()` need one
//! identity per node), or 0. An object is in the table from its creation (or its
//! `__init__`) to its deallocation. Nodes whose entry is 0 are alive only while a node with
//! an object depends on them.
//!
//! When the tape has grown to twice what survived the last compaction (and at least
//! [`MIN_COMPACT`] nodes), the engine's mark-compact (`engine::bindings::compact`) keeps the
//! nodes with objects and what they depend on, in order; the moved objects get their new
//! handles. It runs only at the end of an operation, after its result is in the table,
//! when no handle is held outside an object.
//!
//! Invariants: the table is only touched with short borrows that never run Python code (an
//! allocation may run the cyclic GC, which may deallocate Values, whose `Drop` touches the
//! table); an object is only read from the table after the queue of objects dropped on
//! other threads (or while the table was busy) has been applied ([`drain_remote`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use micrograd::Value as Node;
use micrograd::engine::bindings::{self, compact};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::value::PyValue;

/// The tape size below which nothing is compacted.
pub(crate) const MIN_COMPACT: usize = 1 << 16;

/// The source of tape ids (one per thread that uses `Value`; 0 means "none yet").
static NEXT_TAPE: AtomicU64 = AtomicU64::new(1);

/// Objects deallocated where their thread's table could not be reached (on another thread,
/// or while the table was borrowed), by tape id: `(node index, object address)`. A tape's
/// entry exists while its thread's table does; an object of a finished thread has nothing
/// to clear.
static REMOTE: LazyLock<Mutex<RemoteDrops>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Tape id -> `(node index, object address)` of its objects deallocated remotely.
type RemoteDrops = HashMap<u64, Vec<(u32, usize)>>;
/// Whether `REMOTE` may hold an entry (a cheap test before taking the lock).
static REMOTE_PENDING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread's tape id (0 until the first `Value` is made here).
    static TAPE_ID: Cell<u64> = const { Cell::new(0) };
    static STATE: RefCell<State> = RefCell::new(State::new());
}

/// This thread's table (see the module documentation).
pub(crate) struct State {
    id: u64,
    /// Node index -> address of its Python object (0: none).
    objs: Vec<usize>,
    /// Compact when the tape reaches this many nodes.
    next_compact: usize,
}

impl State {
    fn new() -> State {
        let id = NEXT_TAPE.fetch_add(1, Ordering::Relaxed);
        REMOTE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Vec::new());
        TAPE_ID.with(|t| t.set(id));
        State {
            id,
            objs: Vec::new(),
            next_compact: MIN_COMPACT,
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // The thread ends: its objects that outlive it have no table to clear.
        REMOTE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// This thread's tape id, made on first use.
#[inline(always)]
pub(crate) fn tape_id() -> u64 {
    let id = TAPE_ID.with(|t| t.get());
    if id != 0 {
        return id;
    }
    STATE.with(|s| s.borrow().id)
}

/// The error for a Value used on a thread other than the one that made it.
#[cold]
#[inline(never)]
pub(crate) fn wrong_thread(owner: u64) -> PyErr {
    if owner == 0 {
        return PyRuntimeError::new_err(
            "micrograd: this Value was never initialized (make values with Value(data))",
        );
    }
    PyRuntimeError::new_err(
        "micrograd: this Value was made on another thread. Each thread has its own graph, \
         so a Value can only be used on the thread that made it; pass numbers (v.data) \
         between threads and make new Values there",
    )
}

/// Defers compactions while it lives: held by code that keeps node handles across a call
/// that may run Python code (an allocation may run the cyclic GC, and a `__del__` it calls
/// may compute with Values), so that no compaction moves or frees what it holds.
pub(crate) struct Hold(());

impl Hold {
    pub(crate) fn new() -> Hold {
        HOLDS.with(|h| h.set(h.get() + 1));
        Hold(())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        HOLDS.with(|h| h.set(h.get() - 1));
    }
}

thread_local! {
    /// The number of live [`Hold`]s of this thread.
    static HOLDS: Cell<u32> = const { Cell::new(0) };
}

/// Puts the object at address `obj` in the table as the one of node `idx`, then compacts the
/// tape if it is due, unless a [`Hold`] is alive.
pub(crate) fn register(py: Python<'_>, idx: usize, obj: usize) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if s.objs.len() <= idx {
            s.objs.resize(idx + 1, 0);
        }
        s.objs[idx] = obj;
    });
    maybe_compact(py);
}

/// Compacts the tape if it is due (it has reached the threshold) and no [`Hold`] is alive.
pub(crate) fn maybe_compact(py: Python<'_>) {
    if HOLDS.with(|h| h.get()) != 0 {
        return;
    }
    // The table is as long as the newest node that has an object: the result just made.
    let due = STATE.with(|s| {
        let s = s.borrow();
        s.objs.len() >= s.next_compact
    });
    if due {
        run_compaction(py);
    }
}

/// The table's object for node `idx`, if there is one (a new reference).
pub(crate) fn object_of(py: Python<'_>, idx: usize) -> Option<Py<PyValue>> {
    let addr = STATE.with(|s| {
        let mut s = s.borrow_mut();
        drain_remote(&mut s);
        s.objs.get(idx).copied().unwrap_or(0)
    });
    (addr != 0).then(|| {
        // SAFETY: the table holds the addresses of live `Value` objects only (entries are
        // cleared when an object is deallocated; the queue of remote drops was applied
        // above), so this is a live `Value`; `from_borrowed_ptr` takes a new reference.
        unsafe {
            Bound::from_borrowed_ptr(py, addr as *mut pyo3::ffi::PyObject)
                .cast_into_unchecked::<PyValue>()
                .unbind()
        }
    })
}

/// The address of node `idx`'s object in the table, or 0 (for reading objects' fields
/// without a Python reference; the queue of remote drops is applied first).
pub(crate) fn address_of(idx: usize) -> usize {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        drain_remote(&mut s);
        s.objs.get(idx).copied().unwrap_or(0)
    })
}

/// Called from a `Value`'s `Drop`: takes it out of its thread's table.
pub(crate) fn unregister(tape: u64, idx: u32, obj: usize) {
    if tape == 0 {
        return;
    }
    let done = STATE
        .try_with(|s| match s.try_borrow_mut() {
            Ok(mut s) if s.id == tape => {
                if s.objs.get(idx as usize) == Some(&obj) {
                    s.objs[idx as usize] = 0;
                }
                true
            }
            _ => false,
        })
        .unwrap_or(false);
    if !done {
        let mut remote = REMOTE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = remote.get_mut(&tape) {
            q.push((idx, obj));
            REMOTE_PENDING.store(true, Ordering::Release);
        }
    }
}

/// Applies the queue of this thread's objects that were deallocated where the table could
/// not be reached.
fn drain_remote(s: &mut State) {
    if !REMOTE_PENDING.load(Ordering::Acquire) {
        return;
    }
    let mut remote = REMOTE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(q) = remote.get_mut(&s.id) {
        for (idx, obj) in q.drain(..) {
            if s.objs.get(idx as usize) == Some(&obj) {
                s.objs[idx as usize] = 0;
            }
        }
    }
    let pending = remote.values().any(|q| !q.is_empty());
    REMOTE_PENDING.store(pending, Ordering::Release);
}

/// Compacts this thread's tape: keeps the nodes that have objects (and what they need),
/// moves the objects' handles, and sets the next threshold.
fn run_compaction(py: Python<'_>) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        drain_remote(&mut s);
        let objs = &s.objs;
        let c = compact(|i| objs.get(i).is_some_and(|&o| o != 0));
        let first = c.first_moved();
        let mut table = vec![0usize; c.len_after()];
        table[..first.min(objs.len())].copy_from_slice(&objs[..first.min(objs.len())]);
        for (old, &addr) in objs.iter().enumerate().skip(first) {
            if addr == 0 {
                continue;
            }
            let node = c
                .moved(old)
                .expect("micrograd internal error: a held node was freed");
            let raw = bindings::into_raw(node);
            table[raw as u32 as usize] = addr;
            value_at(py, addr).set_raw(raw);
        }
        s.objs = table;
        s.next_compact = (2 * c.len_after()).max(MIN_COMPACT);
    });
}

/// The `Value` at address `addr` of the table, borrowed (no reference count changes).
///
/// Pre: `addr` is an entry of the table, read after [`drain_remote`]: a live `Value`.
pub(crate) fn value_at(py: Python<'_>, addr: usize) -> &PyValue {
    // SAFETY: by the precondition the object is a live `Value`; it stays alive while the
    // caller holds the GIL without running Python code (nothing here drops a reference).
    unsafe {
        pyo3::Borrowed::from_ptr(py, addr as *mut pyo3::ffi::PyObject)
            .cast_unchecked::<PyValue>()
            .get()
    }
}

/// The handle of a node, from its raw parts (see `engine::bindings`).
#[inline(always)]
pub(crate) fn node(raw: u64) -> Node {
    bindings::from_raw(raw)
}

/// The number of nodes on this thread's tape (for tests of memory use).
#[pyfunction]
pub(crate) fn tape_len() -> usize {
    micrograd::Tape::len()
}

/// Frees now what a compaction would free (for tests); returns the number of nodes left.
#[pyfunction]
pub(crate) fn compact_now(py: Python<'_>) -> usize {
    run_compaction(py);
    micrograd::Tape::len()
}
