//! [`DataParallel`]: a loss's gradient over shards of data, one thread (and tape) per shard.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use super::replay::Recording;
use super::tape::Tape;
use super::value::Value;

/// The loss and gradient of `f(params, shard)` at `weights`, on this thread's tape (the
/// nodes are released before returning). `grad` is overwritten.
fn shard_gradient<D, F>(f: &F, shard: &D, weights: &[f64], grad: &mut Vec<f64>) -> f64
where
    F: Fn(&[Value], &D) -> Value,
{
    let _scope = Tape::scope();
    let params = Value::leaves(weights);
    let loss = f(&params, shard);
    loss.backward();
    grad.clear();
    grad.extend(params.iter().map(|p| p.grad()));
    loss.data()
}

/// [`shard_gradient`] by replay: the first call records the shard's graph on this thread's
/// tape (its parameters leaves that stay), later calls write the weights into them and
/// replay it. The same numbers as `shard_gradient`, to the bit.
fn shard_replayed<D, F>(
    f: &F,
    shard: &D,
    weights: &[f64],
    grad: &mut Vec<f64>,
    state: &mut Option<(Vec<Value>, Recording)>,
) -> f64
where
    F: Fn(&[Value], &D) -> Value,
{
    let (params, rec) = state.get_or_insert_with(|| {
        let params = Value::leaves(weights);
        let rec = Recording::record_batched(|| f(&params, shard));
        // Only the loss and the parameters' gradients are read.
        rec.set_lean(true);
        (params, rec)
    });
    for (p, &w) in params.iter().zip(weights) {
        p.set_data(w);
        p.set_grad(0.0);
    }
    let loss = rec.replay();
    grad.clear();
    grad.extend(params.iter().map(|p| p.grad()));
    loss
}

struct Worker {
    jobs: Option<Sender<Arc<Vec<f64>>>>,
    results: Receiver<(f64, Vec<f64>)>,
    handle: Option<JoinHandle<()>>,
}

/// A data-parallel gradient: the data is split into shards, and the loss of each shard and
/// its gradient with respect to the parameters are computed on their own thread (each thread
/// has its own tape), then summed in shard order, so the result does not depend on timing.
///
/// `f(params, shard)` builds the shard's loss from parameter leaves `params` (made from the
/// weights on the worker's tape at every call); the total loss is the sum over shards, so
/// put a mean's `1/n` and a regularization term (in one shard only) inside `f`. The first
/// shard runs on the calling thread, each other one on a worker thread that lives as long as
/// the `DataParallel` (no thread is spawned per call).
///
/// ```
/// use micrograd::{Value, engine::DataParallel};
///
/// // loss = sum over points of (w0 * x + w1 - y)^2, points split in two shards
/// let shards = vec![vec![(1.0, 2.0), (2.0, 3.0)], vec![(3.0, 5.0)]];
/// let f = |p: &[Value], pts: &Vec<(f64, f64)>| -> Value {
///     pts.iter().map(|&(x, y)| (p[0] * x + p[1] - y).pow(2.0)).sum()
/// };
/// let dp = DataParallel::new(shards, f);
/// let mut grad = vec![0.0; 2];
/// let loss = dp.gradient(&[1.0, 0.5], &mut grad);
/// assert_eq!(loss, 0.25 + 0.25 + 2.25);
/// assert_eq!(grad, [2.0 * (-0.5 * 1.0 - 0.5 * 2.0 - 1.5 * 3.0), 2.0 * (-0.5 - 0.5 - 1.5)]);
/// ```
pub struct DataParallel<D, F> {
    /// The shard computed on the calling thread (none with replay: every shard is on a
    /// worker, so the calling thread's tape holds nothing of it between calls).
    first: Option<D>,
    f: Arc<F>,
    workers: Vec<Worker>,
}

impl<D, F> DataParallel<D, F>
where
    D: Send + 'static,
    F: Fn(&[Value], &D) -> Value + Send + Sync + 'static,
{
    /// Starts one worker thread per shard after the first. Pre: `shards` is not empty.
    pub fn new(shards: Vec<D>, f: F) -> Self {
        DataParallel::start(shards, f, false)
    }

    /// As [`new`](DataParallel::new), with each shard's graph recorded once and replayed at
    /// every later call, its examples side by side
    /// ([`Recording::record_batched`](super::Recording::record_batched)), instead of
    /// rebuilt: the same numbers, to the bit. Every shard runs on a worker thread (the
    /// calling thread waits), so the calling thread's tape holds none of it.
    ///
    /// Pre: `f` builds the same graph at any weights (no branch on a parameter's value; the
    /// shard's data is fixed), as a replay requires.
    ///
    /// ```
    /// use micrograd::{Value, engine::DataParallel};
    ///
    /// let shards: Vec<Vec<(f64, f64)>> = vec![(0..8).map(|i| (i as f64, 2.0 * i as f64)).collect(); 2];
    /// let f = |p: &[Value], pts: &Vec<(f64, f64)>| -> Value {
    ///     pts.iter().map(|&(x, y)| (p[0] * x + p[1] - y).pow(2.0)).sum()
    /// };
    /// let (rebuilt, replayed) = (DataParallel::new(shards.clone(), f), DataParallel::with_replay(shards, f));
    /// let (mut g1, mut g2) = (vec![0.0; 2], vec![0.0; 2]);
    /// for w in [[1.0, 0.5], [1.5, 0.0]] {
    ///     assert_eq!(rebuilt.gradient(&w, &mut g1), replayed.gradient(&w, &mut g2));
    ///     assert_eq!(g1, g2);
    /// }
    /// ```
    pub fn with_replay(shards: Vec<D>, f: F) -> Self {
        DataParallel::start(shards, f, true)
    }

    fn start(shards: Vec<D>, f: F, replay: bool) -> Self {
        assert!(
            !shards.is_empty(),
            "micrograd: DataParallel::new needs at least one shard"
        );
        let f = Arc::new(f);
        let mut shards = shards.into_iter();
        let first = if replay { None } else { shards.next() };
        let workers = shards
            .map(|shard| {
                let (job_tx, job_rx) = channel::<Arc<Vec<f64>>>();
                let (res_tx, res_rx) = channel();
                let f = Arc::clone(&f);
                let handle = std::thread::spawn(move || {
                    let mut grad = Vec::new();
                    let mut recorded = None;
                    for weights in job_rx {
                        let loss = if replay {
                            shard_replayed(&*f, &shard, &weights, &mut grad, &mut recorded)
                        } else {
                            shard_gradient(&*f, &shard, &weights, &mut grad)
                        };
                        if res_tx.send((loss, std::mem::take(&mut grad))).is_err() {
                            break;
                        }
                    }
                });
                Worker {
                    jobs: Some(job_tx),
                    results: res_rx,
                    handle: Some(handle),
                }
            })
            .collect();
        DataParallel { first, f, workers }
    }

    /// The number of shards (threads, the calling one included).
    pub fn shards(&self) -> usize {
        self.workers.len() + usize::from(self.first.is_some())
    }

    /// The total loss at `weights`; writes the summed gradient into `grad`.
    ///
    /// Pre: `grad.len() == weights.len()`, and `f` uses exactly `weights.len()` parameters.
    /// Panics if a worker panicked (its message is printed by the worker thread).
    pub fn gradient(&self, weights: &[f64], grad: &mut [f64]) -> f64 {
        assert_eq!(
            grad.len(),
            weights.len(),
            "micrograd: DataParallel::gradient needs grad and weights of equal length"
        );
        let shared = Arc::new(weights.to_vec());
        for w in &self.workers {
            w.jobs
                .as_ref()
                .expect("workers live until drop")
                .send(Arc::clone(&shared))
                .expect("micrograd: a DataParallel worker thread died (it panicked)");
        }
        let mut scratch = Vec::with_capacity(weights.len());
        let mut results = self.workers.iter().map(|w| {
            w.results
                .recv()
                .expect("micrograd: a DataParallel worker thread died (it panicked)")
        });
        let mut loss = match &self.first {
            Some(first) => {
                // If the caller's shard panics (and the caller catches it), the workers'
                // results of this call are taken first, so a later call cannot read them.
                let own = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    shard_gradient(&*self.f, first, weights, &mut scratch)
                }));
                match own {
                    Ok(loss) => loss,
                    Err(payload) => {
                        results.for_each(drop);
                        std::panic::resume_unwind(payload)
                    }
                }
            }
            None => {
                let (l, g) = results
                    .next()
                    .expect("with replay, every shard is a worker");
                scratch = g;
                l
            }
        };
        let lengths = |found: usize| {
            assert_eq!(
                found,
                weights.len(),
                "micrograd: DataParallel::gradient: a shard's function used {found} \
                 parameters, not the {} weights given",
                weights.len()
            )
        };
        // Every result of this call is taken before any check can panic.
        let results: Vec<(f64, Vec<f64>)> = results.collect();
        lengths(scratch.len());
        grad.copy_from_slice(&scratch);
        for (l, g) in results {
            lengths(g.len());
            loss += l;
            for (acc, x) in grad.iter_mut().zip(&g) {
                *acc += x;
            }
        }
        loss
    }
}

impl<D, F> Drop for DataParallel<D, F> {
    fn drop(&mut self) {
        for w in &mut self.workers {
            w.jobs.take(); // closes the channel: the worker's loop ends
        }
        for w in &mut self.workers {
            if let Some(h) = w.handle.take() {
                let _ = h.join();
            }
        }
    }
}
