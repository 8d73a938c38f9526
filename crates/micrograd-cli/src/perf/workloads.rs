//! W1 (moons step), W2 (long chain), W3 (long run) and the data-parallel W1.

use std::ops::ControlFlow;
use std::time::Instant;

use super::moons::Moons;
use super::rss::{peak_rss_kib, rss_kib};
use micrograd::data::{self, Dataset};
use micrograd::engine::{DataParallel, Recording, Tape, Value};
use micrograd::nn::{MLP, MlpSpec, Module, loss};
use micrograd::train::{TrainConfig, train_until};

/// micrograd demo's hidden and output layer sizes (2 inputs).
pub const NOUTS: [usize; 3] = [16, 16, 1];
/// micrograd demo's L2 regularization strength.
pub const ALPHA: f64 = 1e-4;

/// The model's scores for `data` (the inputs are new leaves).
fn scores(model: &MLP, data: &Moons) -> Vec<Value> {
    data.x
        .iter()
        .map(|x| model.forward(&[Value::new(x[0]), Value::new(x[1])])[0])
        .collect()
}

/// The loss of micrograd's demo for `model` on `data`, written with the library's ordinary
/// API: `loss::svm` (the mean of `relu(1 - y * score)`) plus `loss::l2` with strength
/// `ALPHA` over the model's parameters `params`. Builds the whole graph on this thread's tape.
pub fn moons_loss(model: &MLP, params: &[Value], data: &Moons) -> Value {
    loss::svm(&scores(model, data), &data.y) + loss::l2(params, ALPHA)
}

/// micrograd demo's learning rate at step `k`; the 100-step schedule restarts every 100 steps
/// so that long runs (W3) keep a positive rate.
pub fn learning_rate(k: usize) -> f64 {
    1.0 - 0.9 * (k % 100) as f64 / 100.0
}

/// W1: micrograd's moons demo, one full-batch SGD step at a time.
///
/// ```
/// use micrograd_cli::perf::{MoonsStep, moons_100};
/// let mut w1 = MoonsStep::new(moons_100(), 1337);
/// let first = w1.step();
/// for _ in 0..20 {
///     w1.step();
/// }
/// assert!(w1.step() < first);
/// ```
pub struct MoonsStep {
    model: MLP,
    params: Vec<Value>,
    data: Moons,
    k: usize,
    recording: Option<Recording>,
    batched: bool,
}

impl MoonsStep {
    /// A fresh model (weights from `seed`) on `data`. Make it before any step scope: its
    /// parameters live on this thread's tape.
    pub fn new(data: Moons, seed: u64) -> MoonsStep {
        let model = MLP::with_activation(2, &NOUTS, micrograd::nn::Activation::Relu, seed);
        let params = model.parameters();
        MoonsStep {
            model,
            params,
            data,
            k: 0,
            recording: None,
            batched: true,
        }
    }

    /// Whether [`step_replay`](MoonsStep::step_replay) uses batched replay
    /// (`Recording::record_batched`, the default) or replays node by node
    /// (`Recording::record`). Call before the first replayed step.
    pub fn set_batched(&mut self, batched: bool) {
        self.batched = batched;
    }

    /// The model's parameters.
    pub fn parameters(&self) -> &[Value] {
        &self.params
    }

    /// The current parameter values.
    pub fn weights(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.data()).collect()
    }

    /// One step with the ordinary API: build the graph (inside a `Tape::scope()`), zero the
    /// grads, backward, SGD update. Returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        let _step = Tape::scope();
        let loss = moons_loss(&self.model, &self.params, &self.data);
        for p in &self.params {
            p.set_grad(0.0);
        }
        loss.backward();
        self.update();
        loss.data()
    }

    /// One step in replay mode: the graph is recorded at the first call, then re-run on the
    /// updated parameters (batched: see [`set_batched`](MoonsStep::set_batched)). Gives the
    /// same numbers as [`step`](MoonsStep::step).
    pub fn step_replay(&mut self) -> f64 {
        for p in &self.params {
            p.set_grad(0.0);
        }
        let loss = match &self.recording {
            Some(rec) => rec.replay(),
            None => {
                let (model, params, data) = (&self.model, &self.params, &self.data);
                let build = || moons_loss(model, params, data);
                let rec = if self.batched {
                    Recording::record_batched(build)
                } else {
                    Recording::record(build)
                };
                rec.output().backward();
                let loss = rec.output().data();
                self.recording = Some(rec);
                loss
            }
        };
        self.update();
        loss
    }

    fn update(&mut self) {
        let lr = learning_rate(self.k);
        for p in &self.params {
            p.set_data(p.data() - lr * p.grad());
        }
        self.k += 1;
    }
}

/// The result of W2.
#[derive(Clone, Copy, Debug)]
pub struct ChainResult {
    /// Seconds to build the chain.
    pub build_s: f64,
    /// Seconds for the backward sweep.
    pub backward_s: f64,
    /// The final `x`.
    pub x: f64,
    /// `d x / d x0`.
    pub dx_dx0: f64,
    /// Peak resident memory of the process after the run, if known.
    pub peak_rss_kib: Option<u64>,
}

/// W2: from a leaf `x0 = 0.5`, `x = x + 1e-6 * tanh(x)` repeated `n` times, then backward.
/// The nodes are released before returning (the tape keeps its capacity).
///
/// For `n = 10_000_000`: `x = 10.041324...`, `dx/dx0 = 2.16395425644...`.
pub fn chain(n: usize) -> ChainResult {
    let _scope = Tape::scope();
    let t0 = Instant::now();
    let x0 = Value::new(0.5);
    let mut x = x0;
    for _ in 0..n {
        x = x + 1e-6 * x.tanh();
    }
    let t1 = Instant::now();
    x.backward();
    let t2 = Instant::now();
    ChainResult {
        build_s: (t1 - t0).as_secs_f64(),
        backward_s: (t2 - t1).as_secs_f64(),
        x: x.data(),
        dx_dx0: x0.grad(),
        peak_rss_kib: peak_rss_kib(),
    }
}

/// The result of W3.
#[derive(Clone, Copy, Debug)]
pub struct LongRunResult {
    /// Resident memory after step 10, if known.
    pub rss_start_kib: Option<u64>,
    /// Resident memory after the last step, if known.
    pub rss_end_kib: Option<u64>,
    /// The loss of the last step.
    pub last_loss: f64,
    /// Median seconds per step.
    pub step_s_median: f64,
}

/// W3: W1 for `steps` steps (ordinary API, or replay if `replay`), reading resident memory
/// after step 10 and after the last step. Pre: `steps >= 10`.
pub fn longrun(steps: usize, replay: bool, data: Moons, seed: u64) -> LongRunResult {
    assert!(steps >= 10, "micrograd: longrun needs at least 10 steps");
    let mut w1 = MoonsStep::new(data, seed);
    let mut times = Vec::with_capacity(steps);
    let mut rss_start = None;
    let mut last_loss = f64::NAN;
    for k in 0..steps {
        let t = Instant::now();
        last_loss = if replay { w1.step_replay() } else { w1.step() };
        times.push(t.elapsed().as_secs_f64());
        if k + 1 == 10 {
            rss_start = rss_kib();
        }
    }
    LongRunResult {
        rss_start_kib: rss_start,
        rss_end_kib: rss_kib(),
        last_loss,
        step_s_median: median_min_max(&mut times).0,
    }
}

/// `(median, min, max)` of `xs` (sorted in place). Pre: `xs` is not empty.
pub fn median_min_max(xs: &mut [f64]) -> (f64, f64, f64) {
    assert!(!xs.is_empty(), "micrograd: median of nothing");
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    (median, xs[0], xs[n - 1])
}

/// One shard of the data-parallel W1: its points, the total number of points (for the mean)
/// and whether it carries the regularization term (exactly one shard does).
struct Shard {
    spec: MlpSpec,
    data: Moons,
    n_total: usize,
    with_reg: bool,
}

/// The loss function of one shard.
type ShardLoss = fn(&[Value], &Shard) -> Value;

fn shard_loss(params: &[Value], s: &Shard) -> Value {
    let model = MLP::from_values(&s.spec, params).expect("the shard's spec fits its weights");
    // The shard's share of the mean: svm's mean over the shard times its fraction of points.
    let fraction = s.data.len() as f64 / s.n_total as f64;
    let data_loss = loss::svm(&scores(&model, &s.data), &s.data.y) * fraction;
    if s.with_reg {
        data_loss + loss::l2(params, ALPHA)
    } else {
        data_loss
    }
}

/// W1's loss and gradient on many points, data-parallel: the points are split into shards,
/// each shard's loss and gradient is computed on its own thread (its own tape), and the
/// gradients are summed in shard order.
///
/// ```
/// use micrograd_cli::perf::{ParallelMoons, make_moons};
/// let mut w = ParallelMoons::new(make_moons(200, 0.1, 1), 2, 1337);
/// let first = w.step();
/// for _ in 0..10 {
///     w.step();
/// }
/// assert!(w.step() < first);
/// ```
pub struct ParallelMoons {
    dp: DataParallel<Shard, ShardLoss>,
    weights: Vec<f64>,
    grad: Vec<f64>,
    k: usize,
}

impl ParallelMoons {
    /// Splits `data` into `threads` shards (one thread each, the calling thread included);
    /// the model's weights are drawn from `seed` as in [`MoonsStep::new`]. Each step
    /// rebuilds the shards' graphs (`DataParallel::new`).
    pub fn new(data: Moons, threads: usize, seed: u64) -> ParallelMoons {
        ParallelMoons::with_replay(data, threads, seed, false)
    }

    /// As [`new`](ParallelMoons::new); with `replay`, the shards' graphs are recorded once
    /// and replayed, examples side by side (`DataParallel::with_replay`): the same numbers.
    pub fn with_replay(data: Moons, threads: usize, seed: u64, replay: bool) -> ParallelMoons {
        let n_total = data.len();
        let spec = MlpSpec::new(2, &NOUTS, micrograd::nn::Activation::Relu);
        let shards = data
            .shards(threads)
            .into_iter()
            .enumerate()
            .map(|(i, data)| Shard {
                spec: spec.clone(),
                data,
                n_total,
                with_reg: i == 0,
            })
            .collect();
        let weights = {
            let _s = Tape::scope();
            MLP::init(&spec, seed).weights()
        };
        let f: ShardLoss = shard_loss;
        ParallelMoons {
            dp: if replay {
                DataParallel::with_replay(shards, f)
            } else {
                DataParallel::new(shards, f)
            },
            grad: vec![0.0; weights.len()],
            weights,
            k: 0,
        }
    }

    /// The loss and gradient at the current weights (no update).
    pub fn loss_and_grad(&mut self) -> (f64, &[f64]) {
        let loss = self.dp.gradient(&self.weights, &mut self.grad);
        (loss, &self.grad)
    }

    /// One SGD step; returns the loss before the update.
    pub fn step(&mut self) -> f64 {
        let loss = self.dp.gradient(&self.weights, &mut self.grad);
        let lr = learning_rate(self.k);
        for (w, g) in self.weights.iter_mut().zip(&self.grad) {
            *w -= lr * g;
        }
        self.k += 1;
        loss
    }

    /// The current weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
}

/// The result of the scale workload ([`scale`]).
#[derive(Clone, Debug)]
pub struct ScaleResult {
    /// Seconds of each step (the first one records the graph, with replay).
    pub step_s: Vec<f64>,
    /// Seconds of the whole `train_until` call (model, steps, final evaluation).
    pub total_s: f64,
    /// The loss on the whole data after the last step.
    pub loss: f64,
    /// The accuracy on the whole data after the last step.
    pub accuracy: f64,
}

/// The configuration of `micrograd train --data moons --samples N --layers W,W --steps S`
/// (and `--no-replay` for `replay = false`).
pub fn scale_config(width: usize, steps: usize, replay: bool) -> TrainConfig {
    TrainConfig {
        hidden: vec![width, width],
        steps,
        replay,
        ..TrainConfig::default()
    }
}

/// The data of `micrograd train --data moons --samples N`.
pub fn scale_data(points: usize) -> Dataset {
    data::moons(points, 0.1, MLP::DEFAULT_SEED)
}

/// The scale workload: `micrograd train --data moons --samples points --layers width,width
/// --steps steps` in-process (the library's `train_until`), timing every step.
///
/// ```
/// use micrograd_cli::perf::scale;
/// let (a, b) = (scale(40, 8, 10, true), scale(40, 8, 10, false));
/// assert_eq!(a.loss.to_bits(), b.loss.to_bits()); // replay: the same numbers
/// assert_eq!(a.step_s.len(), 10);
/// ```
pub fn scale(points: usize, width: usize, steps: usize, replay: bool) -> ScaleResult {
    let data = scale_data(points);
    let config = scale_config(width, steps, replay);
    let wall = Instant::now();
    let clock = || (Instant::now() - wall).as_secs_f64();
    let mut step_s = Vec::with_capacity(steps);
    let start = clock();
    let mut last = start;
    let report = train_until(&data, &config, |_| {
        let now = clock();
        step_s.push(now - last);
        last = now;
        ControlFlow::Continue(())
    })
    .expect("the scale workload trains");
    ScaleResult {
        step_s,
        total_s: clock() - start,
        loss: report.loss,
        accuracy: report.accuracy,
    }
}
