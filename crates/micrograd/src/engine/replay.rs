//! [`Recording`]: record one step's graph once, then re-run its forward and backward on new
//! leaf values without rebuilding it.

use std::marker::PhantomData;

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
            _not_send: PhantomData,
        }
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
                last.index(t)?;
                // The recorded nodes and every node made after them (see the type's rules).
                let len = t.len();
                t.forward_range(self.start.nodes(), len);
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
