//! [`Recording`]: record one step's graph once, then re-run its forward and backward on new
//! leaf values without rebuilding it.

use std::cell::RefCell;
use std::marker::PhantomData;

use super::batch::{self, BatchPlan};
use super::tape::{Mark, live, with_tape};
use super::value::Value;

/// A recorded stretch of this thread's tape that can be re-run on updated leaves.
///
/// A training loop whose graph has the same shape at every step (the same model on the same
/// batch) can record the graph once and then *replay* it: [`replay`](Recording::replay)
/// recomputes every recorded node's value from the current data of the leaves (in recording
/// order) and back-propagates from the output, with no node made and no memory allocated.
///
/// Rules:
/// - Leaves made *before* the recording (the parameters) are read with their current data;
///   their grads accumulate across replays as with [`Value::backward`] (zero them yourself).
/// - Leaves made *inside* the recording (per-step inputs) keep their data unless you
///   `set_data` them; their grads, like every recorded node's, restart from 0 at each replay,
///   as on a freshly built graph.
/// - Control flow is frozen: a branch taken on a value at recording time (an `if x.data() > 0`)
///   is not re-taken. The operations themselves (`relu`, ...) do re-evaluate.
/// - The recorded nodes stay on the tape while the recording is used; a truncation that
///   releases them makes the next replay panic.
/// - Nodes made *after* the recording (which may read its nodes, e.g. `rec.output() * 2.0`)
///   are recomputed too, after the recorded ones, so none keeps a stale value. Their cost is
///   paid at every replay: release them (a [`Tape::scope`](super::Tape::scope)) when done.
/// - If the recording reads only leaves from before it (the usual case: parameters), replay's
///   backward sweeps the recorded nodes only; interior nodes made before the recording are
///   then left untouched (an ordinary `backward` would reset their grads). Otherwise it
///   sweeps the whole tape below the output, as `backward` does.
///
/// ```
/// use micrograd::{Value, engine::Recording};
///
/// let w = Value::new(0.5); // a parameter
/// let x = Value::new(2.0);
/// let rec = Recording::record(|| (w * x - 3.0).pow(2.0));
/// for _ in 0..50 {
///     w.set_grad(0.0);
///     let loss = rec.replay(); // forward on w's current data, then backward
///     w.set_data(w.data() - 0.05 * w.grad());
///     assert!(loss >= 0.0);
/// }
/// assert!((w.data() - 1.5).abs() < 1e-6);
/// // Equal to rebuilding the graph:
/// w.set_grad(0.0);
/// let loss = rec.replay();
/// let (g, fresh) = (w.grad(), (w * x - 3.0).pow(2.0));
/// w.set_grad(0.0);
/// fresh.backward();
/// assert_eq!((loss, g), (fresh.data(), w.grad()));
/// ```
pub struct Recording {
    start: Mark,
    /// The last recorded node, to detect a truncation into the recorded range.
    last: Option<Value>,
    output: Value,
    /// Every node below the recording that the recording reads is a leaf: backward can stop
    /// at the recording's start.
    reads_only_leaves_below: bool,
    /// How to replay the recorded nodes across examples ([`Recording::record_batched`]).
    batch: Option<RefCell<BatchPlan>>,
    _not_send: PhantomData<*const ()>,
}

impl Recording {
    /// Runs `f` (which builds a graph on this thread's tape) and records the nodes it made.
    /// The graph is left evaluated, as `f` built it: `output().backward()` works as usual.
    pub fn record(f: impl FnOnce() -> Value) -> Recording {
        let start = with_tape(|t| t.mark());
        let output = f();
        let (last, reads_only_leaves_below) = with_tape(|t| {
            let len = t.len();
            (
                (len > start.nodes()).then(|| Value::at(t, (len - 1) as u32)),
                t.operands_below_are_leaves(start.nodes(), len),
            )
        });
        Recording {
            start,
            last,
            output,
            reads_only_leaves_below,
            batch: None,
            _not_send: PhantomData,
        }
    }

    /// As [`record`](Recording::record), and looks for *batched replay*: stretches of the
    /// recording that apply the same sub-graph to many examples (as a full-batch training
    /// step does, one example after the other: the same layers, other inputs). Replay then
    /// runs such a stretch across its examples at once (a layer's neurons as matrix
    /// products, vectorized), with the same numbers to the bit as the node-by-node replay
    /// and as a rebuilt graph: every value and every gradient, the sums in their order.
    ///
    /// A recording without such stretches (or that reads interior nodes made before it)
    /// replays as with `record`. [`batched_nodes`](Recording::batched_nodes) tells how many
    /// recorded nodes are replayed across examples.
    ///
    /// ```
    /// use micrograd::{engine::Recording, nn::{loss, Module, MLP}, Value};
    ///
    /// let model = MLP::new(2, &[8, 1]);
    /// let points = [[0.5, -1.0], [1.5, 0.25], [-0.5, 2.0], [1.0, 1.0], [0.0, -0.5]];
    /// let rec = Recording::record_batched(|| {
    ///     let scores: Vec<Value> =
    ///         points.iter().map(|p| model.forward(&Value::leaves(p))[0]).collect();
    ///     loss::svm(&scores, &[1.0, -1.0, 1.0, -1.0, 1.0])
    /// });
    /// assert!(rec.batched_nodes() > 0);
    /// model.zero_grad();
    /// let loss = rec.replay();
    /// assert_eq!(loss, rec.output().data());
    /// ```
    pub fn record_batched(f: impl FnOnce() -> Value) -> Recording {
        let mut rec = Recording::record(f);
        if rec.reads_only_leaves_below
            && let Some(last) = rec.last
        {
            let (lo, hi, out) = (rec.start.nodes(), last.id() + 1, rec.output.id());
            rec.batch = with_tape(|t| batch::plan(t, lo, hi, out)).map(RefCell::new);
        }
        rec
    }

    /// The batch plan's stretches (period, lanes, layers) and fallback count (tests).
    #[cfg(test)]
    pub(crate) fn batch_description(&self) -> (Vec<(usize, usize, usize)>, usize) {
        self.batch
            .as_ref()
            .map_or((Vec::new(), 0), |p| p.borrow().describe())
    }

    /// Crate-internal (`train`, `DataParallel`): lean batched replay, for callers that read
    /// no recorded node but the output (and the leaves' gradients), and make no node after
    /// the recording that reads one: see `BatchPlan::set_lean`.
    pub(crate) fn set_lean(&self, lean: bool) {
        if let Some(plan) = &self.batch {
            plan.borrow_mut().set_lean(lean);
        }
    }

    /// The number of recorded nodes that replay runs across examples (0 without batched
    /// replay: see [`record_batched`](Recording::record_batched)).
    pub fn batched_nodes(&self) -> usize {
        self.batch
            .as_ref()
            .map_or(0, |p| p.borrow().batched_nodes())
    }

    /// The recorded graph's output.
    pub fn output(&self) -> Value {
        self.output
    }

    /// The number of nodes recorded.
    #[track_caller]
    pub fn len(&self) -> usize {
        self.last.map_or(0, |v| v.id() + 1 - self.start.nodes())
    }

    /// Whether no node was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Recomputes the value of every recorded node from the current leaf data, in recording
    /// order, and returns the output's value. Grads are left alone.
    #[track_caller]
    pub fn forward(&self) -> f64 {
        live(with_tape(|t| {
            let root = self.output.index(t)?;
            if let Some(last) = self.last {
                let end = last.index(t)? + 1;
                // The recorded nodes and every node made after them (see the type's rules).
                let len = t.len();
                match &self.batch {
                    Some(plan) => {
                        plan.borrow_mut().forward(t);
                        t.forward_range(end, len);
                    }
                    None => t.forward_range(self.start.nodes(), len),
                }
            }
            Ok(t.val[root])
        }))
    }

    /// [`forward`](Recording::forward), then back-propagation from the output: every
    /// recorded node's grad restarts from 0, every leaf made before the recording accumulates
    /// d output / d leaf. Returns the output's value.
    #[track_caller]
    pub fn replay(&self) -> f64 {
        live(with_tape(|t| {
            let root = self.output.index(t)?;
            match self.last {
                Some(last) => {
                    let (lo, hi) = (self.start.nodes(), last.index(t)? + 1);
                    // The recorded nodes and every node made after them (see the rules).
                    let len = t.len();
                    if let Some(plan) = &self.batch
                        && root >= lo
                    {
                        // Batched: the same numbers as the sweep below (see `batch`).
                        let mut plan = plan.borrow_mut();
                        plan.forward(t);
                        t.forward_range(hi, len);
                        t.grow_grad(hi);
                        plan.zero_grads(t);
                        t.seed_range(lo, root);
                        plan.backward(t, root);
                        return Ok(t.val[root]);
                    }
                    t.forward_range(lo, len);
                    t.grow_grad(hi);
                    t.grad[lo..hi].fill(0.0);
                    if self.reads_only_leaves_below && root >= lo {
                        // Nothing below the recording to propagate through: sweep the
                        // recorded range only, whatever else the tape holds.
                        t.backward_range(lo, root);
                    } else {
                        t.backward_cleared(root, lo);
                    }
                }
                None => t.backward(root),
            }
            Ok(t.val[root])
        }))
    }
}
