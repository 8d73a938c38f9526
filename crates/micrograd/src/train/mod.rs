//! The training loop: an [`MLP`] classifier trained on a [`Dataset`], as micrograd's demo.
//!
//! [`train`] checks the configuration against the data first ([`TrainConfig::architecture`]),
//! so a wrong combination is an error before the first step; then each step runs inside
//! [`Tape::scope`], so the tape holds only the parameters between steps and memory stays flat
//! however many steps run.
//!
//! ```
//! use micrograd::{data, train::{train, TrainConfig}};
//!
//! // micrograd's demo: MLP 2-16-16-1 (ReLU), SVM loss + L2 1e-4, SGD, lr 1.0 - 0.9 k/100.
//! let report = train(&data::demo_moons(), &TrainConfig::default(), |_| {}).unwrap();
//! assert_eq!(report.steps, 100);
//! assert_eq!(report.accuracy, 1.0);
//! ```

use std::fmt;
use std::ops::ControlFlow;
use std::str::FromStr;
use std::time::Instant;

use crate::data::{Batches, DataError, Dataset, TargetEncoding};
use crate::engine::{Tape, Value};
use crate::nn::{MLP, Module, NameKind, UnknownName, loss, parse_name};

mod classifier;
mod config;
mod replayed;

pub use classifier::{Classifier, CsvRows};
pub use config::{ConfigError, GraphSize, MAX_PARAMETERS, MAX_STEP_BYTES, MAX_STEPS, TrainConfig};

/// The loss to train with; it also fixes the output layer and how outputs become classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// SVM max-margin `mean(relu(1 - y s))`, `y` = ±1; one output; class 1 iff `s > 0`.
    Svm,
    /// Mean squared error to `y` = ±1; one output; class 1 iff the output is `> 0`.
    Mse,
    /// Sum of squared errors to `y` = ±1, the lecture's `sum((yout - ygt)**2)`; one output;
    /// class 1 iff the output is `> 0`. A sum, not a mean: it and its gradient grow with the
    /// examples of a step (see [`TrainConfig::default_lr`]).
    Sse,
    /// Binary cross-entropy with logits, `y` = 0/1; one output; class 1 iff the logit is `> 0`.
    Bce,
    /// Softmax cross-entropy; one output per class (at least 2); the class is the argmax.
    Ce,
}

impl LossKind {
    /// Every loss, in declaration order.
    pub const ALL: [LossKind; 5] = [
        LossKind::Svm,
        LossKind::Mse,
        LossKind::Sse,
        LossKind::Bce,
        LossKind::Ce,
    ];

    /// The lowercase name used on the command line (`"svm"`).
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Svm => "svm",
            LossKind::Mse => "mse",
            LossKind::Sse => "sse",
            LossKind::Bce => "bce",
            LossKind::Ce => "ce",
        }
    }

    /// Whether the loss is for exactly two classes with a single output.
    pub fn is_binary(self) -> bool {
        self != LossKind::Ce
    }

    /// Whether the loss is a sum over the examples ([`LossKind::Sse`]) rather than a mean.
    pub fn is_sum(self) -> bool {
        self == LossKind::Sse
    }

    /// The number of outputs for `classes` classes.
    pub fn outputs(self, classes: usize) -> usize {
        if self.is_binary() { 1 } else { classes }
    }

    /// The class predicted from a network's outputs (`outputs.len()` as [`LossKind::outputs`]).
    pub fn classify(self, outputs: &[f64]) -> usize {
        if self.is_binary() {
            usize::from(outputs[0] > 0.0)
        } else {
            argmax(outputs)
        }
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LossKind {
    type Err = UnknownName;

    /// Parses `svm`, `mse`, `sse`, `bce` or `ce` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, NameKind::Loss, &LossKind::ALL, LossKind::name)
    }
}

/// A number for a message, short: as written (`0.01`, `973000`) between 1e-4 and 1e7, else
/// in scientific notation (`1e300`, `1e-7`), so a huge flag value does not print 300 digits.
///
/// ```
/// use micrograd::train::short_number;
/// assert_eq!(short_number(0.01), "0.01");
/// assert_eq!(short_number(973000.0), "973000");
/// assert_eq!(short_number(1e300), "1e300");
/// assert_eq!(short_number(-2.5e-9), "-2.5e-9");
/// assert_eq!(short_number(0.0), "0");
/// ```
pub fn short_number(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e7).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A loss for a progress line: six decimals between 1e-4 and 1e6 (`1.186425`), else six
/// significant digits in scientific notation (`2.17000e216`, `3.20000e-7`), so a diverging
/// loss reads as a number, not 217 digits.
///
/// ```
/// use micrograd::train::loss_number;
/// assert_eq!(loss_number(1.1864253), "1.186425");
/// assert_eq!(loss_number(6056.2), "6056.200000");
/// assert_eq!(loss_number(2.17e216), "2.17000e216");
/// assert_eq!(loss_number(3.2e-7), "3.20000e-7");
/// assert_eq!((loss_number(0.0), loss_number(f64::INFINITY)), ("0.000000".into(), "inf".into()));
/// ```
pub fn loss_number(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e6).contains(&a) {
        format!("{x:.6}")
    } else {
        format!("{x:.5e}")
    }
}

/// Watches the loss of each step for a sustained rise, the sign of a learning rate too
/// high: [`observe`](LossWatch::observe) reports once, when the loss has grown at each of
/// the last [`LossWatch::STEPS`] steps by more than 10% in all, or at each of the last 3
/// by more than 100 times (a blow-up, after which a network of dead ReLUs may sit at a huge
/// loss that no longer moves). A converged loss that creeps up in its last digits, or a
/// mini-batch's loss that jumps once, does not count.
///
/// ```
/// use micrograd::train::LossWatch;
/// let mut watch = LossWatch::default();
/// let mut said = None;
/// for (k, loss) in (1..=30).map(|k| (k, 1.0 + 0.1 * k as f64)) {
///     if let Some(g) = watch.observe(k, loss) {
///         said = Some(g);
///     }
/// }
/// let g = said.unwrap();
/// assert_eq!((g.steps, g.step), (10, 11)); // first said at step 11, once
/// assert!((g.from - 1.1).abs() < 1e-12 && (g.to - 2.1).abs() < 1e-12);
///
/// // A blow-up: 3 rises to more than 100 times.
/// let mut watch = LossWatch::default();
/// let seen: Vec<_> = [2.9, 281.0, 8.9e5, 2.7e18, 1.4e96, 1.4e96]
///     .iter()
///     .enumerate()
///     .filter_map(|(k, &l)| watch.observe(k + 1, l))
///     .collect();
/// assert_eq!((seen.len(), seen[0].steps, seen[0].step), (1, 3, 4));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LossWatch {
    last: Option<f64>,
    /// The loss where the current run of rises began, and the run's length.
    run_start: f64,
    run: usize,
    told: bool,
}

/// What [`LossWatch::observe`] reports: the loss rose at each of `steps` steps, up to step
/// `step`, from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// Consecutive steps at which the loss rose.
    pub steps: usize,
    /// The step at which this was seen.
    pub step: usize,
    /// The loss before the rises.
    pub from: f64,
    /// The loss at `step`.
    pub to: f64,
}

impl LossWatch {
    /// How many rises in a row make a warning (with more than 10% of growth).
    pub const STEPS: usize = 10;

    /// Notes the loss of step `step`; `Some` the first time the loss has risen at each of
    /// the last [`LossWatch::STEPS`] steps (or more) by more than 10% in all, or at each of
    /// the last 3 (or more) by more than 100 times, then never again.
    pub fn observe(&mut self, step: usize, loss: f64) -> Option<Growth> {
        if self.last.is_some_and(|prev| loss > prev) {
            self.run += 1;
        } else {
            self.run = 0;
            self.run_start = loss;
        }
        self.last = Some(loss);
        let grew = (self.run >= LossWatch::STEPS && loss > 1.1 * self.run_start)
            || (self.run >= 3 && loss > 100.0 * self.run_start);
        if grew && !self.told {
            self.told = true;
            return Some(Growth {
                steps: self.run,
                step,
                from: self.run_start,
                to: loss,
            });
        }
        None
    }
}

/// A count for a message, its digits grouped by threes: `10,000,000`.
///
/// ```
/// use micrograd::train::group_digits;
/// assert_eq!(group_digits(10_000_000), "10,000,000");
/// assert_eq!(group_digits(999), "999");
/// assert_eq!(group_digits(1234), "1,234");
/// ```
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number of bytes for a message, short and decimal: `950 kB`, `120 MB`, `2.5 GB`.
///
/// ```
/// use micrograd::train::byte_size;
/// assert_eq!(byte_size(1_000_000_000), "1 GB");
/// assert_eq!(byte_size(2_468_000_000), "2.5 GB");
/// assert_eq!(byte_size(123_456_789), "123 MB");
/// assert_eq!(byte_size(1_500), "2 kB");
/// ```
pub fn byte_size(n: usize) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{} GB", (x / 1e8).round() / 10.0)
    } else if x >= 1e6 {
        format!("{} MB", (x / 1e6).round())
    } else {
        format!("{} kB", (x / 1e3).ceil())
    }
}

/// The index of the largest number (the first of equals; NaN never wins).
fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] || xs[best].is_nan() {
            best = i;
        }
    }
    best
}

/// What went wrong in [`train`].
#[derive(Debug)]
pub enum TrainError {
    /// The configuration is not valid, or cannot train on this data (found before the
    /// first step).
    Config(ConfigError),
    /// The data does not fit the configuration (found before the first step).
    Data(DataError),
    /// The loss became NaN or infinite at `step` (counting from 1). A lower learning rate,
    /// or the Adam optimizer, usually helps.
    Diverged {
        /// The step.
        step: usize,
        /// The loss's value.
        loss: f64,
        /// The learning rate of that step.
        lr: f64,
    },
    /// The `on_step` callback of [`train_until`] asked to stop after `step`.
    Stopped {
        /// The last step taken.
        step: usize,
    },
}

impl TrainError {
    /// Whether the error is about the input (configuration or data) rather than a failure
    /// while training: the command line exits 2 for these, 1 otherwise.
    pub fn is_usage(&self) -> bool {
        !matches!(
            self,
            TrainError::Diverged { .. } | TrainError::Stopped { .. }
        )
    }
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Config(e) => write!(f, "{e}"),
            TrainError::Data(e) => write!(f, "{e}"),
            TrainError::Diverged { step, loss, lr } => write!(
                f,
                "the loss became {loss} at step {step} (learning rate {}); training stopped",
                short_number(*lr)
            ),
            TrainError::Stopped { step } => write!(f, "training was stopped after step {step}"),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        TrainError::Data(e)
    }
}

/// Progress after one step, for the `on_step` callback of [`train`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// The step just taken, counting from 1.
    pub step: usize,
    /// The total number of steps.
    pub steps: usize,
    /// The loss (data loss plus L2) on this step's batch, before the update.
    pub loss: f64,
    /// The accuracy on this step's batch, before the update, in `[0, 1]`.
    pub accuracy: f64,
    /// The learning rate used.
    pub lr: f64,
}

/// A trained model and how training went.
pub struct TrainReport {
    /// The trained classifier.
    pub classifier: Classifier,
    /// Steps taken.
    pub steps: usize,
    /// Loss (data loss plus L2) on the whole training data after the last step.
    pub loss: f64,
    /// Accuracy on the whole training data after the last step, in `[0, 1]`.
    pub accuracy: f64,
    /// Wall-clock seconds of the training loop.
    pub seconds: f64,
    /// The loss of each step (on its batch, before its update).
    pub loss_history: Vec<f64>,
    /// The accuracy of each step (on its batch, before its update).
    pub accuracy_history: Vec<f64>,
}

/// Trains a classifier on `data` as `config` says, calling `on_step` after every step.
///
/// Every error but [`TrainError::Diverged`] is found before the first step. Each step runs
/// in a [`Tape::scope`]; on return the tape holds only the model's parameters (plus whatever
/// it held before).
pub fn train(
    data: &Dataset,
    config: &TrainConfig,
    mut on_step: impl FnMut(&StepInfo),
) -> Result<TrainReport, TrainError> {
    train_until(data, config, |s| {
        on_step(s);
        ControlFlow::Continue(())
    })
}

/// As [`train`], but `on_step` can stop training by returning [`ControlFlow::Break`]:
/// training then ends with [`TrainError::Stopped`] (used by the command line when nobody
/// reads its progress any more).
pub fn train_until(
    data: &Dataset,
    config: &TrainConfig,
    on_step: impl FnMut(&StepInfo) -> ControlFlow<()>,
) -> Result<TrainReport, TrainError> {
    train_within(data, config, MAX_STEP_BYTES, on_step)
}

/// The most bytes of graph a chunk of the evaluation after training adds to the fixed part
/// (the parameters), unless a step's batch took more (see `train_within`).
const EVAL_BYTES: usize = 64_000_000;

/// [`train_until`] with a step graph budget of `budget` bytes.
fn train_within(
    data: &Dataset,
    config: &TrainConfig,
    budget: usize,
    mut on_step: impl FnMut(&StepInfo) -> ControlFlow<()>,
) -> Result<TrainReport, TrainError> {
    train_observed_within(data, config, budget, |s, _| on_step(s))
}

/// As [`train_until`], and `on_step` also sees the model after each step's update (to draw
/// it while it learns, as `micrograd serve` does). The callback runs on the training thread,
/// inside the step's [`Tape::scope`]: nodes it makes are released with the step's.
pub fn train_observed(
    data: &Dataset,
    config: &TrainConfig,
    on_step: impl FnMut(&StepInfo, &MLP) -> ControlFlow<()>,
) -> Result<TrainReport, TrainError> {
    train_observed_within(data, config, MAX_STEP_BYTES, on_step)
}

/// [`train_observed`] with a step graph budget of `budget` bytes.
fn train_observed_within(
    data: &Dataset,
    config: &TrainConfig,
    budget: usize,
    mut on_step: impl FnMut(&StepInfo, &MLP) -> ControlFlow<()>,
) -> Result<TrainReport, TrainError> {
    let spec = config.architecture_within(data, budget)?;
    let objective = Objective::new(data, config.loss)?;
    let start = Instant::now();
    let model = MLP::init(&spec, config.seed);
    let params = model.parameters();
    let mut optimizer = config.optimizer.build();
    let n = data.len();
    let mut batches = Batches::new(n, config.batch_size.unwrap_or(n), config.seed);
    // Not `with_capacity(steps)`: the histories grow, so a huge step count costs memory
    // only as the steps are taken.
    let mut loss_history = Vec::new();
    let mut accuracy_history = Vec::new();

    // The replayed step's nodes live until training ends (released with this scope).
    let _recorded = Tape::scope();
    let mut replayed: Option<replayed::Replayed> = None;
    let replay = config.replay && replayed::Replayed::supports(config.loss);

    for k in 0..config.steps {
        let lr = config.schedule.lr(config.lr, k, config.steps);
        let batch = batches.next_batch();
        if replay && replayed.is_none() {
            replayed = Some(replayed::Replayed::record(
                &objective, &model, &params, config.l2, batch,
            ));
        }
        let _step = Tape::scope();
        let (loss, accuracy) = match &mut replayed {
            // A batch of the recorded size (all but an epoch's shorter last one).
            Some(r) if r.lanes() == batch.len() => r.step(&objective, &model, batch),
            _ => {
                let (total, right) = objective.evaluate(&model, &params, config.l2, batch);
                let loss = total.data();
                if loss.is_finite() {
                    model.zero_grad();
                    total.backward();
                }
                (loss, right as f64 / batch.len() as f64)
            }
        };
        if !loss.is_finite() {
            return Err(TrainError::Diverged {
                step: k + 1,
                loss,
                lr,
            });
        }
        optimizer.step(&params, lr);
        loss_history.push(loss);
        accuracy_history.push(accuracy);
        let info = StepInfo {
            step: k + 1,
            steps: config.steps,
            loss,
            accuracy,
            lr,
        };
        let flow = on_step(&info, &model);
        if flow.is_break() {
            return Err(TrainError::Stopped { step: k + 1 });
        }
    }

    let chunk = config.max_examples(&spec, budget);
    let recorded_all = match &mut replayed {
        // The recorded step is the whole data's graph: its forward is the evaluation.
        Some(r) if n <= chunk && r.holds_all(n) => Some(r.evaluate(&objective)),
        _ => None,
    };
    let (loss, accuracy) = match recorded_all {
        Some(evaluated) => evaluated,
        None => {
            // The recorded step is released first: the evaluation's graph is not built on
            // top of it.
            drop(replayed.take());
            drop(_recorded);
            // The evaluation needs no gradient, so it need not be one graph: its chunks add
            // at most EVAL_BYTES to the graph's fixed part (or take a step's batch, whose
            // graph was already afforded), so that a large data set trained in small
            // batches peaks at its data, not at the budget.
            let batch = config.batch_size.unwrap_or(n).min(n);
            let fixed = config.step_graph(&spec, 0).bytes;
            let eval_chunk = config
                .max_examples(&spec, budget.min(fixed.saturating_add(EVAL_BYTES)))
                .max(batch);
            objective.evaluate_all(&model, &params, config.l2, eval_chunk)
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if !loss.is_finite() {
        return Err(TrainError::Diverged {
            step: config.steps,
            loss,
            lr: config
                .schedule
                .lr(config.lr, config.steps - 1, config.steps),
        });
    }
    Ok(TrainReport {
        classifier: Classifier {
            model,
            loss: config.loss,
            class_names: data.class_names.clone(),
            feature_names: data.feature_names.clone(),
        },
        steps: config.steps,
        loss,
        accuracy,
        seconds,
        loss_history,
        accuracy_history,
    })
}

/// The data as the loss wants it.
struct Objective<'a> {
    data: &'a Dataset,
    loss: LossKind,
    /// The binary targets of classes 0 and 1 (±1 or 0/1); unused for `ce`. Computed per
    /// example (`target`), not stored: a large data set holds its numbers only.
    targets: (f64, f64),
}

impl<'a> Objective<'a> {
    /// Example `i`'s binary target (a binary loss's).
    fn target(&self, i: usize) -> f64 {
        if self.data.classes[i] == 0 {
            self.targets.0
        } else {
            self.targets.1
        }
    }

    fn new(data: &'a Dataset, loss: LossKind) -> Result<Self, DataError> {
        let encoding = match loss {
            LossKind::Svm | LossKind::Mse | LossKind::Sse => Some(TargetEncoding::PlusMinusOne),
            LossKind::Bce => Some(TargetEncoding::ZeroOne),
            LossKind::Ce => None,
        };
        if encoding.is_some() {
            // As `binary_targets` checks: exactly 2 classes present.
            data.require_classes(2, Some(2))?;
        }
        let targets = match encoding {
            Some(TargetEncoding::PlusMinusOne) => (-1.0, 1.0),
            Some(TargetEncoding::ZeroOne) => (0.0, 1.0),
            None => (f64::NAN, f64::NAN),
        };
        Ok(Objective {
            data,
            loss,
            targets,
        })
    }

    /// The loss (plus L2) and the accuracy on every example, from graphs of at most
    /// `chunk` examples each (so the evaluation keeps to the step graph budget; at least 1).
    /// All in one graph, the loss is that of a full-batch step to the bit; in chunks, the
    /// mean of the chunks' means weighted by their sizes (for a sum, the sum of the chunks'
    /// sums), equal up to rounding.
    fn evaluate_all(&self, model: &MLP, params: &[Value], l2: f64, chunk: usize) -> (f64, f64) {
        let n = self.data.len();
        if n <= chunk {
            let all: Vec<usize> = (0..n).collect();
            let _eval = Tape::scope();
            let (total, right) = self.evaluate(model, params, l2, &all);
            return (total.data(), right as f64 / n as f64);
        }
        let (mut weighted, mut right) = (0.0, 0);
        // One chunk's indices at a time (not all n of them: a large data set's evaluation
        // holds its numbers and one chunk's graph).
        let mut part = Vec::with_capacity(chunk.max(1));
        for start in (0..n).step_by(chunk.max(1)) {
            part.clear();
            part.extend(start..(start + chunk.max(1)).min(n));
            let part = &part[..];
            let _eval = Tape::scope();
            let (data_loss, r) = self.evaluate(model, params, 0.0, part);
            weighted += if self.loss.is_sum() {
                data_loss.data()
            } else {
                data_loss.data() * part.len() as f64
            };
            right += r;
        }
        let penalty = if l2 > 0.0 {
            let _eval = Tape::scope();
            loss::l2(params, l2).data()
        } else {
            0.0
        };
        let data_loss = if self.loss.is_sum() {
            weighted
        } else {
            weighted / n as f64
        };
        (data_loss + penalty, right as f64 / n as f64)
    }

    /// The loss (plus L2) on the examples `batch`, and how many of them are classified
    /// right. Makes nodes: call inside a scope.
    fn evaluate(&self, model: &MLP, params: &[Value], l2: f64, batch: &[usize]) -> (Value, usize) {
        let outputs: Vec<Vec<Value>> = batch
            .iter()
            .map(|&i| model.forward(&Value::leaves(&self.data.features[i])))
            .collect();
        let right = outputs
            .iter()
            .zip(batch)
            .filter(|(o, i)| {
                let o: Vec<f64> = o.iter().map(|v| v.data()).collect();
                self.loss.classify(&o) == self.data.classes[**i]
            })
            .count();
        let data_loss = if self.loss == LossKind::Ce {
            let classes: Vec<usize> = batch.iter().map(|&i| self.data.classes[i]).collect();
            loss::softmax_cross_entropy(&outputs, &classes)
        } else {
            let scores: Vec<Value> = outputs.iter().map(|o| o[0]).collect();
            let y: Vec<f64> = batch.iter().map(|&i| self.target(i)).collect();
            match self.loss {
                LossKind::Svm => loss::svm(&scores, &y),
                LossKind::Mse => loss::mse(&scores, &y),
                LossKind::Sse => loss::sse(&scores, &y),
                _ => loss::bce_with_logits(&scores, &y),
            }
        };
        let total = if l2 > 0.0 {
            data_loss + loss::l2(params, l2)
        } else {
            data_loss
        };
        (total, right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data;
    use crate::nn::{Activation, MlpSpec};

    /// The nodes one step records, counted on the tape, against the estimate; and the
    /// memory the tape reserves (capacity), against the estimated bytes: at least the
    /// nodes' 25 bytes each, at most twice the estimate (the arrays grow by doubling).
    fn check_step(data: &Dataset, cfg: &TrainConfig, examples: usize) {
        let data = data.clone();
        let cfg = cfg.clone();
        // A thread of its own: a fresh tape, so its capacity is this step's.
        std::thread::spawn(move || {
            let spec = cfg.architecture(&data).unwrap();
            let model = MLP::init(&spec, 1);
            let params = model.parameters();
            let objective = Objective::new(&data, cfg.loss).unwrap();
            let batch: Vec<usize> = (0..examples).collect();
            let before = Tape::len();
            let _step = Tape::scope();
            let (total, _) = objective.evaluate(&model, &params, cfg.l2, &batch);
            total.backward();
            let nodes = Tape::len() - before;
            let est = cfg.step_graph(&spec, examples);
            assert_eq!(nodes, est.nodes, "{:?} {:?}", cfg.loss, spec);
            let reserved = Tape::capacity_bytes();
            assert!(reserved >= 25 * nodes, "{reserved} < 25 x {nodes}");
            assert!(
                reserved <= 2 * est.bytes + 4096,
                "{reserved} > 2 x {} ({:?})",
                est.bytes,
                cfg.loss
            );
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_step_graph_estimate_counts_the_nodes_exactly() {
        let moons = data::moons(300, 0.1, 1);
        let blobs = data::blobs(300, 7, 1.0, 1);
        for loss in LossKind::ALL {
            for (hidden, activation) in [
                (vec![16, 16], Activation::Relu),
                (vec![5], Activation::Tanh),
                (vec![], Activation::Sigmoid),
                (vec![64, 3, 9], Activation::Sigmoid),
            ] {
                for l2 in [0.0, 1e-4] {
                    let cfg = TrainConfig {
                        hidden: hidden.clone(),
                        activation,
                        loss,
                        l2,
                        ..TrainConfig::default()
                    };
                    let d = if loss == LossKind::Ce { &blobs } else { &moons };
                    for examples in [1, 37, 300] {
                        check_step(d, &cfg, examples);
                    }
                }
            }
        }
    }

    #[test]
    fn the_step_graph_is_linear_in_the_examples_and_max_examples_fits() {
        let cfg = TrainConfig {
            loss: LossKind::Ce,
            ..TrainConfig::default()
        };
        let spec = MlpSpec::new(2, &[16, 16, 5], Activation::Relu);
        let (g0, g1, g9) = (
            cfg.step_graph(&spec, 0),
            cfg.step_graph(&spec, 1),
            cfg.step_graph(&spec, 9),
        );
        assert_eq!(g9.bytes - g0.bytes, 9 * (g1.bytes - g0.bytes));
        assert_eq!(g9.nodes - g0.nodes, 9 * (g1.nodes - g0.nodes));
        for budget in [g0.bytes, g1.bytes, g9.bytes, g9.bytes + 1, MAX_STEP_BYTES] {
            let m = cfg.max_examples(&spec, budget);
            assert!(cfg.step_graph(&spec, m).bytes <= budget);
            assert!(cfg.step_graph(&spec, m + 1).bytes > budget);
        }
        assert_eq!(cfg.max_examples(&spec, g0.bytes - 1), 0);
        assert_eq!(cfg.step_graph(&spec, usize::MAX).bytes, usize::MAX);
    }

    /// With batched replay, what training leaves reserved on the tape stays within the
    /// estimate's bound: the recorded step (and, in an epoch's shorter last batch, that
    /// batch's graph beside it) or the final evaluation, never the evaluation on top of the
    /// recording.
    #[test]
    fn the_replayed_step_stays_within_the_estimate() {
        for (n, batch) in [(2000, 1000), (1999, 1000), (3000, 3000)] {
            let d = data::moons(n, 0.1, 5);
            let std::thread::Result::Ok((reserved, full, short)) = std::thread::spawn(move || {
                let cfg = TrainConfig {
                    hidden: vec![16, 16],
                    batch_size: Some(batch),
                    steps: 4,
                    ..TrainConfig::default()
                };
                assert!(cfg.replay);
                let spec = cfg.architecture(&d).unwrap();
                train(&d, &cfg, |_| {}).unwrap();
                // The tape's part of the estimates (the replay's matrices are not on it).
                let tape = TrainConfig {
                    replay: false,
                    ..cfg.clone()
                };
                let full = tape.step_graph(&spec, batch).bytes;
                let short = tape.step_graph(&spec, n % batch).bytes;
                // The final evaluation (one chunk here: the data is small).
                let eval = tape.step_graph(&spec, n).bytes;
                (Tape::capacity_bytes(), full, short.max(eval - full))
            })
            .join() else {
                panic!("training failed");
            };
            // The larger of the recording with a short batch beside it, and the evaluation.
            let bound = full + short;
            assert!(
                reserved <= 2 * bound + 4096,
                "n {n}, batch {batch}: {reserved} > 2 x {bound}"
            );
        }
    }

    #[test]
    fn the_final_evaluation_in_chunks_equals_one_graph() {
        let d = data::moons(250, 0.2, 4);
        for (loss, l2) in [
            (LossKind::Svm, 1e-4),
            (LossKind::Ce, 0.0),
            (LossKind::Bce, 0.1),
            (LossKind::Sse, 1e-4),
        ] {
            let mut cfg = TrainConfig {
                loss,
                l2,
                steps: 20,
                batch_size: Some(10),
                ..TrainConfig::default()
            };
            cfg.lr = cfg.default_lr(&d);
            let spec = cfg.architecture(&d).unwrap();
            let whole = train(&d, &cfg, |_| {}).unwrap();
            // A budget of 16 examples a graph: 16 chunks for the final evaluation.
            let budget = cfg.step_graph(&spec, 16).bytes;
            let chunked = train_within(&d, &cfg, budget, |_| ControlFlow::Continue(())).unwrap();
            assert_eq!(whole.loss_history, chunked.loss_history, "the same steps");
            assert_eq!(whole.accuracy, chunked.accuracy);
            assert!(
                (whole.loss - chunked.loss).abs() <= 1e-14 * whole.loss,
                "{loss}: {} vs {}",
                whole.loss,
                chunked.loss
            );
            assert_ne!(whole.loss, 0.0);
            // And a budget below one step of 10 is refused, naming what fits.
            let tight = cfg.step_graph(&spec, 9).bytes;
            let e = train_within(&d, &cfg, tight, |_| ControlFlow::Continue(()))
                .err()
                .unwrap();
            assert!(
                matches!(
                    e,
                    TrainError::Config(ConfigError::StepGraph {
                        examples: 10,
                        max_examples: 9,
                        ..
                    })
                ),
                "{e}"
            );
        }
    }
}
