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
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, MLP, MlpSpec, Module, loss};

mod classifier;

pub use classifier::Classifier;

/// The loss to train with; it also fixes the output layer and how outputs become classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// SVM max-margin `mean(relu(1 - y s))`, `y` = ±1; one output; class 1 iff `s > 0`.
    Svm,
    /// Mean squared error to `y` = ±1; one output; class 1 iff the output is `> 0`.
    Mse,
    /// Binary cross-entropy with logits, `y` = 0/1; one output; class 1 iff the logit is `> 0`.
    Bce,
    /// Softmax cross-entropy; one output per class (at least 2); the class is the argmax.
    Ce,
}

impl LossKind {
    /// Every loss, in declaration order.
    pub const ALL: [LossKind; 4] = [LossKind::Svm, LossKind::Mse, LossKind::Bce, LossKind::Ce];

    /// The lowercase name used on the command line (`"svm"`).
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Svm => "svm",
            LossKind::Mse => "mse",
            LossKind::Bce => "bce",
            LossKind::Ce => "ce",
        }
    }

    /// Whether the loss is for exactly two classes with a single output.
    pub fn is_binary(self) -> bool {
        self != LossKind::Ce
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
    type Err = String;

    /// Parses `svm`, `mse`, `bce` or `ce` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        LossKind::ALL
            .into_iter()
            .find(|l| l.name() == lower)
            .ok_or_else(|| format!("unknown loss `{s}` (expected one of: svm, mse, bce, ce)"))
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

/// How to train. [`TrainConfig::default`] is micrograd's demo.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Hidden layer sizes (the output size follows from the loss and the classes).
    pub hidden: Vec<usize>,
    /// The hidden layers' activation (the output layer is linear).
    pub activation: Activation,
    /// The loss.
    pub loss: LossKind,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The base learning rate.
    pub lr: f64,
    /// How the learning rate changes over the steps.
    pub schedule: Schedule,
    /// L2 regularization strength (`alpha * sum(p^2)` added to the loss; 0 for none).
    pub l2: f64,
    /// Number of optimizer steps.
    pub steps: usize,
    /// Examples per step; `None` (or a size of at least the data's) is full batch.
    pub batch_size: Option<usize>,
    /// Seed of the weights and of the batch order.
    pub seed: u64,
}

impl Default for TrainConfig {
    /// micrograd's demo: MLP 2-16-16-1 with ReLU, SVM loss, L2 1e-4, SGD with learning rate
    /// `1.0 - 0.9 k / 100`, 100 full-batch steps, seed [`MLP::DEFAULT_SEED`].
    fn default() -> Self {
        TrainConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            loss: LossKind::Svm,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            schedule: Schedule::Linear,
            l2: 1e-4,
            steps: 100,
            batch_size: None,
            seed: MLP::DEFAULT_SEED,
        }
    }
}

impl TrainConfig {
    /// The network for `data`: `n_features` inputs, the hidden layers, and the loss's
    /// outputs. Checks every combination that cannot train, so errors come before step 1.
    ///
    /// Errors: [`TrainError::Config`] (a hidden size of 0, no steps, a learning rate or L2
    /// that is negative or not finite, a batch size of 0, `ce` on fewer than 2 classes) or
    /// [`TrainError::Data`] (no examples; a binary loss on data without exactly 2 classes).
    pub fn architecture(&self, data: &Dataset) -> Result<MlpSpec, TrainError> {
        let config = |m: String| Err(TrainError::Config(m));
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return config(format!(
                "hidden layer {} has size 0 (every layer needs at least 1 neuron)",
                i + 1
            ));
        }
        if self.steps == 0 {
            return config("the number of steps must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return config(format!(
                "the learning rate must be a positive number, not {}",
                short_number(self.lr)
            ));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return config(format!(
                "the L2 strength must be a number >= 0, not {}",
                short_number(self.l2)
            ));
        }
        if self.batch_size == Some(0) {
            return config("the batch size must be at least 1".into());
        }
        if data.is_empty() {
            return Err(TrainError::Data(DataError::NoRows));
        }
        if self.loss.is_binary() {
            data.require_classes(2, Some(2)).map_err(|e| {
                TrainError::Data(match e {
                    DataError::Classes { found, .. } => DataError::Classes {
                        found,
                        needed: format!("exactly 2 (the {} loss is binary)", self.loss),
                    },
                    other => other,
                })
            })?;
        } else if data.n_classes() < 2 {
            return config(format!(
                "the ce loss needs at least 2 classes (outputs), but the data has {}",
                data.n_classes()
            ));
        }
        let mut sizes = self.hidden.clone();
        sizes.push(self.loss.outputs(data.n_classes()));
        let spec = MlpSpec::new(data.n_features(), &sizes, self.activation);
        spec.validate()
            .map_err(|e| TrainError::Config(e.to_string()))?;
        Ok(spec)
    }
}

/// What went wrong in [`train`].
#[derive(Debug)]
pub enum TrainError {
    /// The configuration cannot train on this data (found before the first step).
    Config(String),
    /// The data does not fit the configuration (found before the first step).
    Data(DataError),
    /// The loss became NaN or infinite at `step` (counting from 1).
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
    /// The message, with control characters escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let f = &mut crate::text::Escaped(f);
        match self {
            TrainError::Config(m) => f.write_str(m),
            TrainError::Data(e) => write!(f, "{e}"),
            TrainError::Diverged { step, loss, lr } => write!(
                f,
                "the loss became {loss} at step {step} (learning rate {}); training stopped. \
                 Hint: lower the learning rate (--lr) or use --optimizer adam",
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
    mut on_step: impl FnMut(&StepInfo) -> ControlFlow<()>,
) -> Result<TrainReport, TrainError> {
    let spec = config.architecture(data)?;
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

    for k in 0..config.steps {
        let _step = Tape::scope();
        let lr = config.schedule.lr(config.lr, k, config.steps);
        let (total, accuracy) =
            objective.evaluate(&model, &params, config.l2, batches.next_batch());
        let loss = total.data();
        if !loss.is_finite() {
            return Err(TrainError::Diverged {
                step: k + 1,
                loss,
                lr,
            });
        }
        model.zero_grad();
        total.backward();
        optimizer.step(&params, lr);
        loss_history.push(loss);
        accuracy_history.push(accuracy);
        let flow = on_step(&StepInfo {
            step: k + 1,
            steps: config.steps,
            loss,
            accuracy,
            lr,
        });
        if flow.is_break() {
            return Err(TrainError::Stopped { step: k + 1 });
        }
    }

    let (loss, accuracy) = objective.evaluate_all(&model, &params, config.l2);
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

/// Examples per graph in the evaluation after training (see `Objective::evaluate_all`):
/// about 30 MB of tape for a small network.
const EVAL_CHUNK: usize = 1 << 16;

/// The data as the loss wants it.
struct Objective<'a> {
    data: &'a Dataset,
    loss: LossKind,
    /// Binary targets (±1 or 0/1); empty for `ce`.
    targets: Vec<f64>,
}

impl<'a> Objective<'a> {
    fn new(data: &'a Dataset, loss: LossKind) -> Result<Self, DataError> {
        let targets = match loss {
            LossKind::Svm | LossKind::Mse => data.binary_targets(TargetEncoding::PlusMinusOne)?,
            LossKind::Bce => data.binary_targets(TargetEncoding::ZeroOne)?,
            LossKind::Ce => Vec::new(),
        };
        Ok(Objective {
            data,
            loss,
            targets,
        })
    }

    /// The loss (plus L2) and the accuracy on the whole data after training, as numbers.
    /// Up to [`EVAL_CHUNK`] examples, one graph ([`evaluate`](Objective::evaluate), as a
    /// step on the full batch); beyond, chunk by chunk, each in its own scope, so the memory
    /// stays that of one chunk's graph however large the data (the chunks' mean losses,
    /// weighted by their sizes, are the mean: the same number up to rounding).
    fn evaluate_all(&self, model: &MLP, params: &[Value], l2: f64) -> (f64, f64) {
        let n = self.data.len();
        if n <= EVAL_CHUNK {
            let _eval = Tape::scope();
            let all: Vec<usize> = (0..n).collect();
            let (total, accuracy) = self.evaluate(model, params, l2, &all);
            return (total.data(), accuracy);
        }
        let (mut loss, mut right) = (0.0, 0);
        let mut chunk = Vec::with_capacity(EVAL_CHUNK);
        for start in (0..n).step_by(EVAL_CHUNK) {
            let _eval = Tape::scope();
            chunk.clear();
            chunk.extend(start..(start + EVAL_CHUNK).min(n));
            let (data_loss, r) = self.data_loss(model, &chunk);
            loss += data_loss.data() * chunk.len() as f64;
            right += r;
        }
        let mut total = loss / n as f64;
        if l2 > 0.0 {
            let _eval = Tape::scope();
            total += loss::l2(params, l2).data();
        }
        (total, right as f64 / n as f64)
    }

    /// The loss (plus L2) on the examples `batch`, and the accuracy there. Makes nodes: call
    /// inside a scope.
    fn evaluate(&self, model: &MLP, params: &[Value], l2: f64, batch: &[usize]) -> (Value, f64) {
        let (data_loss, right) = self.data_loss(model, batch);
        let accuracy = right as f64 / batch.len() as f64;
        let total = if l2 > 0.0 {
            data_loss + loss::l2(params, l2)
        } else {
            data_loss
        };
        (total, accuracy)
    }

    /// The data loss (a mean over `batch`) and how many examples of `batch` are classified
    /// right. Makes nodes: call inside a scope.
    fn data_loss(&self, model: &MLP, batch: &[usize]) -> (Value, usize) {
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
            let y: Vec<f64> = batch.iter().map(|&i| self.targets[i]).collect();
            match self.loss {
                LossKind::Svm => loss::svm(&scores, &y),
                LossKind::Mse => loss::mse(&scores, &y),
                _ => loss::bce_with_logits(&scores, &y),
            }
        };
        (data_loss, right)
    }
}
