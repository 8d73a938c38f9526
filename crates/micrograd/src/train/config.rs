//! [`TrainConfig`] and its checks: [`TrainConfig::validate`] (before any data is read),
//! [`TrainConfig::architecture`] (against the data, the size of a step's graph included),
//! and their errors, [`ConfigError`].

use std::fmt;
use std::ops::RangeInclusive;

use super::{LossKind, TrainError, byte_size, group_digits, short_number};
use crate::data::{DataError, Dataset};
use crate::nn::optim::{OptimizerKind, Schedule};
use crate::nn::{Activation, MLP, MlpSpec};

/// The most optimizer steps a [`TrainConfig`] may ask for.
pub const MAX_STEPS: usize = 10_000_000;
/// The most parameters a network may have (its hidden layers with the data's inputs and
/// the loss's outputs).
pub const MAX_PARAMETERS: usize = 10_000_000;
/// The budget of one step's graph, in bytes as [`TrainConfig::step_graph`] estimates them
/// (1 GB). The tape's arrays grow by doubling, so the memory a step reserves stays below
/// about twice this, well under 4 GB.
pub const MAX_STEP_BYTES: usize = 1_000_000_000;

/// How to train. [`TrainConfig::default`] is micrograd's demo.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Hidden layer sizes (the output size follows from the loss and the classes).
    pub hidden: Vec<usize>,
    /// The hidden layers' activation; not [`Activation::Linear`] (see
    /// [`TrainConfig::check_activation`]).
    pub activation: Activation,
    /// The output layer's activation: [`Activation::Linear`] (micrograd's demo) or
    /// [`Activation::Tanh`] (the lecture's network, whose every neuron is tanh); see
    /// [`TrainConfig::check_output_activation`].
    pub output_activation: Activation,
    /// The loss.
    pub loss: LossKind,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The base learning rate ([`TrainConfig::default_lr`] gives one that converges for the
    /// loss, the optimizer and the data).
    pub lr: f64,
    /// How the learning rate changes over the steps.
    pub schedule: Schedule,
    /// L2 regularization strength (`alpha * sum(p^2)` added to the loss; 0 for none).
    pub l2: f64,
    /// Number of optimizer steps, 1 to [`MAX_STEPS`].
    pub steps: usize,
    /// Examples per step; `None` (or a size of at least the data's) is full batch.
    pub batch_size: Option<usize>,
    /// Seed of the weights and of the batch order.
    pub seed: u64,
    /// Record a step's graph once and replay it at the next steps of the same batch size,
    /// the examples side by side (`engine::Recording::record_batched`), instead of
    /// rebuilding it every step. The results are the same to the bit; `false` rebuilds.
    /// Not used with the `ce` loss, whose graph depends on the values.
    pub replay: bool,
}

impl Default for TrainConfig {
    /// micrograd's demo: MLP 2-16-16-1 with ReLU, SVM loss, L2 1e-4, SGD with learning rate
    /// `1.0 - 0.9 k / 100`, 100 full-batch steps, seed [`MLP::DEFAULT_SEED`].
    fn default() -> Self {
        TrainConfig {
            hidden: vec![16, 16],
            activation: Activation::Relu,
            output_activation: Activation::Linear,
            loss: LossKind::Svm,
            optimizer: OptimizerKind::Sgd,
            lr: 1.0,
            schedule: Schedule::Linear,
            l2: 1e-4,
            steps: 100,
            batch_size: None,
            seed: MLP::DEFAULT_SEED,
            replay: true,
        }
    }
}

/// The size of one training step's graph, as [`TrainConfig::step_graph`] estimates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphSize {
    /// Nodes recorded on the tape.
    pub nodes: usize,
    /// Entries of the n-ary operations' operand lists.
    pub operands: usize,
    /// Bytes: 25 per node (value, gradient, operation, operands), 4 per operand-list
    /// entry, 8 per constant, the handles the step keeps per example, with batched replay
    /// (`replay`) the numbers of its matrices per example, and 49 per parameter (its own
    /// node, its handle and the optimizer's state), which the step needs too.
    pub bytes: usize,
}

/// What is wrong with a [`TrainConfig`], alone or with its data: which field, the value,
/// the limit. Messages speak of the configuration, not of a command line's flags.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The number of steps is outside `allowed` (1 to [`MAX_STEPS`]).
    Steps {
        /// The steps asked for.
        steps: usize,
        /// The numbers allowed.
        allowed: RangeInclusive<usize>,
    },
    /// The learning rate is not a positive number.
    LearningRate {
        /// The learning rate given.
        lr: f64,
    },
    /// The L2 strength is negative or not a number.
    L2 {
        /// The strength given.
        l2: f64,
    },
    /// The batch size is 0.
    BatchSize {
        /// The batch size given.
        batch_size: usize,
    },
    /// The hidden activation is [`Activation::Linear`]: hidden layers need a non-linearity.
    LinearHidden,
    /// The output activation is neither [`Activation::Linear`] nor [`Activation::Tanh`]: an
    /// output is read by its sign (or, for `ce`, compared with the others), so its range
    /// must be symmetric around 0.
    OutputActivation {
        /// The activation given.
        activation: Activation,
    },
    /// A hidden layer has no neurons.
    HiddenSize {
        /// The layer, counting from 1.
        layer: usize,
    },
    /// The network would have more than `max` parameters.
    Parameters {
        /// The count; `None` if it does not fit in a `usize`.
        count: Option<usize>,
        /// Whether `count` is a lower bound (the hidden layers alone, counted before the
        /// data's inputs and outputs are known).
        at_least: bool,
        /// The limit, [`MAX_PARAMETERS`].
        max: usize,
    },
    /// The `ce` loss on data of fewer than 2 classes (it needs an output per class).
    CrossEntropyClasses {
        /// The data's classes.
        classes: usize,
    },
    /// The network is not valid ([`MlpSpec::validate`]'s message).
    Network(String),
    /// One step's graph would be larger than the budget ([`MAX_STEP_BYTES`]).
    StepGraph {
        /// The examples of one step (the batch size, or all the data).
        examples: usize,
        /// The estimated graph.
        size: GraphSize,
        /// The budget, in bytes.
        budget: usize,
        /// The most examples per step whose graph fits the budget (0: not even one).
        max_examples: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Steps { steps, allowed } if steps < allowed.start() => write!(
                f,
                "the number of steps must be at least {}",
                group_digits(*allowed.start())
            ),
            ConfigError::Steps { steps, allowed } => write!(
                f,
                "the number of steps must be at most {}, not {steps}",
                group_digits(*allowed.end())
            ),
            ConfigError::LearningRate { lr } => write!(
                f,
                "the learning rate must be a positive number, not {}",
                short_number(*lr)
            ),
            ConfigError::L2 { l2 } => write!(
                f,
                "the L2 strength must be a number >= 0, not {}",
                short_number(*l2)
            ),
            ConfigError::BatchSize { .. } => write!(f, "the batch size must be at least 1"),
            ConfigError::LinearHidden => write!(
                f,
                "hidden layers need a non-linearity ({}), not linear",
                TrainConfig::hidden_activations().join(", ")
            ),
            ConfigError::OutputActivation { activation } => write!(
                f,
                "the output activation must be {} (an output is read by its sign), not \
                 {activation}",
                TrainConfig::output_activations().join(" or ")
            ),
            ConfigError::HiddenSize { layer } => write!(
                f,
                "hidden layer {layer} has size 0 (every layer needs at least 1 neuron)"
            ),
            ConfigError::Parameters {
                count,
                at_least,
                max,
            } => {
                let limit = group_digits(*max);
                match count {
                    Some(n) => write!(
                        f,
                        "the network would have {}{n} parameters (the limit is {limit})",
                        if *at_least { "at least " } else { "" }
                    ),
                    None => write!(
                        f,
                        "the network would have more parameters than fit in a number (the \
                         limit is {limit})"
                    ),
                }
            }
            ConfigError::CrossEntropyClasses { classes } => write!(
                f,
                "the ce loss needs at least 2 classes (outputs), but the data has {classes}"
            ),
            ConfigError::Network(m) => f.write_str(m),
            ConfigError::StepGraph {
                examples,
                size,
                budget,
                max_examples,
            } => {
                write!(
                    f,
                    "a training step on {} examples would build a graph of about {} nodes \
                     ({}), more than the budget of {}; ",
                    group_digits(*examples),
                    group_digits(size.nodes),
                    byte_size(size.bytes),
                    byte_size(*budget)
                )?;
                if *max_examples == 0 {
                    write!(f, "not even one example fits: use a smaller network")
                } else {
                    write!(
                        f,
                        "use at most {} examples per step, or a smaller network",
                        group_digits(*max_examples)
                    )
                }
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        TrainError::Config(e)
    }
}

/// The mean of the squared features of `data` (0 without features).
fn mean_square(data: &Dataset) -> f64 {
    let count = data.len() * data.n_features();
    if count == 0 {
        return 0.0;
    }
    let sum: f64 = data.features.iter().flatten().map(|x| x * x).sum();
    if sum.is_finite() {
        sum / count as f64
    } else {
        f64::MAX
    }
}

/// `x` (positive, finite) rounded to 3 significant digits, so a default learning rate prints
/// as the number used (`0.114`) and can be given back as `--lr`.
fn significant_3(x: f64) -> f64 {
    // Through text, so the number is the one its shortest decimal names (0.114, not
    // 0.11400000000000002).
    format!("{x:.2e}").parse().unwrap_or(x)
}

/// The parameters of hidden layers `hidden` alone (with one input, no output layer): a
/// lower bound of the network's, known before the data is read. `None` on overflow.
fn hidden_parameters(hidden: &[usize]) -> Option<usize> {
    let mut nin = 1usize;
    let mut total = 0usize;
    for &h in hidden {
        total = total.checked_add(nin.checked_add(1)?.checked_mul(h)?)?;
        nin = h;
    }
    Some(total)
}

impl TrainConfig {
    /// Checks that hidden layers may use `activation`: every one but
    /// [`Activation::Linear`] (a stack of linear layers is one linear layer).
    ///
    /// ```
    /// use micrograd::nn::Activation;
    /// use micrograd::train::{ConfigError, TrainConfig};
    /// assert!(TrainConfig::check_activation(Activation::Tanh).is_ok());
    /// assert_eq!(TrainConfig::check_activation(Activation::Linear), Err(ConfigError::LinearHidden));
    /// ```
    pub fn check_activation(activation: Activation) -> Result<(), ConfigError> {
        if activation == Activation::Linear {
            return Err(ConfigError::LinearHidden);
        }
        Ok(())
    }

    /// Checks that the output layer may use `activation`: [`Activation::Linear`] or
    /// [`Activation::Tanh`]. The class of a binary output is its sign and the `ce` loss
    /// compares outputs; a sigmoid's or a ReLU's output is never negative.
    ///
    /// ```
    /// use micrograd::nn::Activation;
    /// use micrograd::train::{ConfigError, TrainConfig};
    /// assert!(TrainConfig::check_output_activation(Activation::Tanh).is_ok());
    /// assert_eq!(
    ///     TrainConfig::check_output_activation(Activation::Sigmoid),
    ///     Err(ConfigError::OutputActivation { activation: Activation::Sigmoid })
    /// );
    /// ```
    pub fn check_output_activation(activation: Activation) -> Result<(), ConfigError> {
        match activation {
            Activation::Linear | Activation::Tanh => Ok(()),
            activation => Err(ConfigError::OutputActivation { activation }),
        }
    }

    /// The names of the activations hidden layers accept ([`check_activation`]), in
    /// declaration order: `["relu", "tanh", "sigmoid"]`.
    ///
    /// [`check_activation`]: TrainConfig::check_activation
    pub fn hidden_activations() -> Vec<&'static str> {
        Activation::ALL
            .into_iter()
            .filter(|&a| TrainConfig::check_activation(a).is_ok())
            .map(Activation::name)
            .collect()
    }

    /// The names of the activations an output layer accepts
    /// ([`check_output_activation`]), the default first: `["linear", "tanh"]`.
    ///
    /// [`check_output_activation`]: TrainConfig::check_output_activation
    pub fn output_activations() -> Vec<&'static str> {
        let mut ok: Vec<Activation> = Activation::ALL
            .into_iter()
            .filter(|&a| TrainConfig::check_output_activation(a).is_ok())
            .collect();
        ok.sort_by_key(|&a| a != Activation::Linear);
        ok.into_iter().map(Activation::name).collect()
    }

    /// Every check that needs no data, in this order (the first failure is the error): the
    /// activation ([`TrainConfig::check_activation`]), the output activation
    /// ([`TrainConfig::check_output_activation`]), the learning rate (a positive
    /// number), L2 (a number `>= 0`), the steps (1 to [`MAX_STEPS`]), the batch size (at
    /// least 1), the hidden sizes (at least 1 each) and the hidden layers' parameters (at
    /// most [`MAX_PARAMETERS`], a lower bound of the network's).
    ///
    /// ```
    /// use micrograd::train::{ConfigError, TrainConfig};
    /// assert_eq!(TrainConfig::default().validate(), Ok(()));
    /// let cfg = TrainConfig { steps: 0, ..TrainConfig::default() };
    /// assert_eq!(cfg.validate(), Err(ConfigError::Steps { steps: 0, allowed: 1..=10_000_000 }));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        TrainConfig::check_activation(self.activation)?;
        TrainConfig::check_output_activation(self.output_activation)?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ConfigError::LearningRate { lr: self.lr });
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(ConfigError::L2 { l2: self.l2 });
        }
        let allowed = 1..=MAX_STEPS;
        if !allowed.contains(&self.steps) {
            return Err(ConfigError::Steps {
                steps: self.steps,
                allowed,
            });
        }
        if let Some(b @ 0) = self.batch_size {
            return Err(ConfigError::BatchSize { batch_size: b });
        }
        if let Some(i) = self.hidden.iter().position(|&h| h == 0) {
            return Err(ConfigError::HiddenSize { layer: i + 1 });
        }
        match hidden_parameters(&self.hidden) {
            Some(n) if n <= MAX_PARAMETERS => Ok(()),
            count => Err(ConfigError::Parameters {
                count,
                at_least: true,
                max: MAX_PARAMETERS,
            }),
        }
    }

    /// The network for `data`: `n_features` inputs, the hidden layers, and the loss's
    /// outputs. Checks every combination that cannot train, so errors come before step 1:
    /// [`TrainConfig::validate`], then the network's parameters (at most
    /// [`MAX_PARAMETERS`]), the data (some examples, some features, feature names that
    /// differ, the classes the loss needs) and the size of one step's graph (at most
    /// [`MAX_STEP_BYTES`], see [`TrainConfig::step_graph`]).
    ///
    /// Errors: [`TrainError::Config`] or [`TrainError::Data`] ([`DataError::NoRows`],
    /// [`DataError::NoFeatures`], [`DataError::DuplicateFeatureName`],
    /// [`DataError::Classes`] for a binary loss on data without exactly 2 classes).
    ///
    /// ```
    /// use micrograd::{data, train::{ConfigError, TrainConfig, TrainError}};
    /// let spec = TrainConfig::default().architecture(&data::demo_moons()).unwrap();
    /// assert_eq!(spec.num_parameters(), 337);
    ///
    /// // A million examples in one step: refused before anything is allocated.
    /// let big = data::Generator::Moons.generate(Some(1_000_000), None, None, 1).unwrap();
    /// let e = TrainConfig::default().architecture(&big).unwrap_err();
    /// let TrainError::Config(ConfigError::StepGraph { max_examples, .. }) = e else { panic!("{e}") };
    /// let batched = TrainConfig { batch_size: Some(max_examples), ..TrainConfig::default() };
    /// assert!(batched.architecture(&big).is_ok());
    /// ```
    pub fn architecture(&self, data: &Dataset) -> Result<MlpSpec, TrainError> {
        self.architecture_within(data, MAX_STEP_BYTES)
    }

    /// [`TrainConfig::architecture`] with a step graph budget of `budget` bytes.
    pub(crate) fn architecture_within(
        &self,
        data: &Dataset,
        budget: usize,
    ) -> Result<MlpSpec, TrainError> {
        self.validate()?;
        let mut sizes = self.hidden.clone();
        sizes.push(self.loss.outputs(data.n_classes()));
        let mut spec = MlpSpec::new(data.n_features(), &sizes, self.activation);
        if let Some(out) = spec.layers.last_mut() {
            out.activation = self.output_activation;
        }
        let count = spec.num_parameters(); // saturated at usize::MAX
        if count > MAX_PARAMETERS {
            return Err(ConfigError::Parameters {
                count: (count < usize::MAX).then_some(count),
                at_least: false,
                max: MAX_PARAMETERS,
            }
            .into());
        }
        if data.is_empty() {
            return Err(TrainError::Data(DataError::NoRows));
        }
        if data.n_features() == 0 {
            return Err(TrainError::Data(DataError::NoFeatures));
        }
        if let Some((name, features)) = crate::data::first_repeat(&data.feature_names) {
            return Err(TrainError::Data(DataError::DuplicateFeatureName {
                name,
                features,
            }));
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
            return Err(ConfigError::CrossEntropyClasses {
                classes: data.n_classes(),
            }
            .into());
        }
        spec.validate()
            .map_err(|e| ConfigError::Network(e.to_string()))?;
        let examples = self.examples_per_step(data.len());
        let size = self.step_graph(&spec, examples);
        if size.bytes > budget {
            return Err(ConfigError::StepGraph {
                examples,
                size,
                budget,
                max_examples: self.max_examples(&spec, budget),
            }
            .into());
        }
        Ok(spec)
    }

    /// The learning rate to train `data` with when none is chosen: one measured to converge
    /// for every loss, optimizer and generated data set (the table in ARCHITECTURE.md,
    /// "Default learning rates"), rounded to 3 significant digits.
    ///
    /// | loss | sgd | momentum | adam |
    /// |---|---|---|---|
    /// | svm, bce, ce | 1 (micrograd's demo for svm) | 0.1 (svm), 0.3 (bce, ce) | 0.03 |
    /// | mse | 0.05 | 0.03 | 0.03 |
    /// | sse | 0.05 / n | 0.03 / n | 0.03 |
    ///
    /// For sgd and momentum the rate is then divided by the data's mean square feature
    /// `s = mean(x_ij^2)` when `s > 1`: a ReLU network's gradients grow with its inputs and
    /// its curvature with their square, so on blobs (`s` = 8.8) the demo's rate 1 drove the
    /// weights to 5000. Data within the unit square (moons, circles, spiral: `s < 1`) keep the
    /// table's rate. `sse` is a sum over the `n` examples of a step, so its gradient is `n`
    /// times `mse`'s: its rate is `mse`'s over `n`. Adam's step does not depend on the
    /// gradient's scale, so its rate is the table's.
    ///
    /// ```
    /// use micrograd::{data, nn::optim::OptimizerKind, train::{LossKind, TrainConfig}};
    /// let demo = data::demo_moons();
    /// assert_eq!(TrainConfig::default().default_lr(&demo), 1.0); // micrograd's demo
    /// let mse = TrainConfig { loss: LossKind::Mse, ..TrainConfig::default() };
    /// assert_eq!(mse.default_lr(&demo), 0.05);
    /// let sse = TrainConfig { loss: LossKind::Sse, ..TrainConfig::default() };
    /// assert_eq!(sse.default_lr(&demo), 0.0005); // 0.05 / 100 examples
    /// let blobs = data::Generator::Blobs.generate(None, None, None, 1337).unwrap();
    /// assert_eq!(TrainConfig::default().default_lr(&blobs), 0.114); // 1 / 8.75
    /// let adam = TrainConfig { optimizer: OptimizerKind::Adam, ..TrainConfig::default() };
    /// assert_eq!(adam.default_lr(&blobs), 0.03);
    /// ```
    pub fn default_lr(&self, data: &Dataset) -> f64 {
        use OptimizerKind::{Adam, Momentum, Sgd};
        let base = match (self.optimizer, self.loss) {
            (Adam, _) => return 0.03,
            (Sgd, LossKind::Mse | LossKind::Sse) => 0.05,
            (Sgd, _) => 1.0,
            (Momentum, LossKind::Mse | LossKind::Sse) => 0.03,
            (Momentum, LossKind::Svm) => 0.1,
            (Momentum, _) => 0.3,
        };
        let examples = self.examples_per_step(data.len()).max(1);
        let per_example = if self.loss.is_sum() {
            base / examples as f64
        } else {
            base
        };
        significant_3(per_example / mean_square(data).max(1.0))
    }

    /// The examples of one step on `n` examples: the batch size, at most `n`.
    pub fn examples_per_step(&self, n: usize) -> usize {
        self.batch_size.map_or(n, |b| b.min(n))
    }

    /// The graph one training step records on `examples` examples with the network `spec`
    /// (as [`TrainConfig::architecture`] makes it, whose neurons' weights are consecutive
    /// nodes), this configuration's loss and L2: the nodes exactly, the operand-list
    /// entries and the bytes (see [`GraphSize`]) as the tape lays them out. Linear in
    /// `examples`; saturates at `usize::MAX`.
    ///
    /// Per example: the inputs (one leaf each), two nodes per neuron (its weighted sum and
    /// activation; one in a linear output layer), and the loss's nodes (svm 3, mse and sse
    /// 1, bce 9, ce `2k + 4` on `k` classes). Per step: the mean (2 nodes; sse's sum, 1) and,
    /// with L2, 3 nodes whose operand list holds every parameter twice.
    ///
    /// ```
    /// use micrograd::{data, train::TrainConfig};
    /// let cfg = TrainConfig::default();
    /// let spec = cfg.architecture(&data::demo_moons()).unwrap();
    /// // micrograd's demo: 100 x (2 inputs + 2 x 32 hidden + 1 output + 3 loss) + 2 + 3
    /// assert_eq!(cfg.step_graph(&spec, 100).nodes, 7005);
    /// ```
    pub fn step_graph(&self, spec: &MlpSpec, examples: usize) -> GraphSize {
        let (fixed, per) = self.graph_parts(spec);
        GraphSize {
            nodes: fixed
                .nodes
                .saturating_add(per.nodes.saturating_mul(examples)),
            operands: fixed
                .operands
                .saturating_add(per.operands.saturating_mul(examples)),
            bytes: fixed
                .bytes
                .saturating_add(per.bytes.saturating_mul(examples)),
        }
    }

    /// The most examples per step whose graph ([`TrainConfig::step_graph`]) fits in
    /// `budget` bytes (0 if not even one does).
    pub fn max_examples(&self, spec: &MlpSpec, budget: usize) -> usize {
        let (fixed, per) = self.graph_parts(spec);
        budget.saturating_sub(fixed.bytes) / per.bytes.max(1)
    }

    /// The graph of a step as `(per step, per example)`.
    fn graph_parts(&self, spec: &MlpSpec) -> (GraphSize, GraphSize) {
        let add = |a: usize, b: usize| a.saturating_add(b);
        let mul = |a: usize, b: usize| a.saturating_mul(b);
        // The network: the inputs are leaves; a layer writes its input list once, then
        // each neuron is an affine node of 3 operands and (but in a linear layer) its
        // activation.
        let (mut nodes, mut operands) = (spec.nin, 0usize);
        // Batched replay's matrices, per example: per layer, 4 numbers per neuron (affine
        // values, activations, their adjoints, the outputs' adjoints) and per input its
        // adjoint (and, in the first layer, the input itself).
        let replays = self.replay && super::replayed::Replayed::supports(self.loss);
        let mut replay_numbers = 0usize;
        let mut nin = spec.nin;
        for (li, l) in spec.layers.iter().enumerate() {
            let per_neuron = if l.activation == Activation::Linear {
                1
            } else {
                2
            };
            nodes = add(nodes, mul(per_neuron, l.nout));
            operands = add(operands, add(nin, mul(3, l.nout)));
            let inputs = if li == 0 { mul(2, nin) } else { nin };
            replay_numbers = add(replay_numbers, add(mul(4, l.nout), inputs));
            nin = l.nout;
        }
        let replay_bytes = if replays { mul(8, replay_numbers) } else { 0 };
        let k = spec.nout();
        // The loss of one example, and its entry in the mean's sum (mse: two, in a dot).
        let (loss_nodes, loss_operands, constants) = match self.loss {
            LossKind::Svm => (3, 1, 0),
            LossKind::Mse | LossKind::Sse => (1, 2, 0),
            LossKind::Bce => (9, 1, 0),
            // z - max and exp per logit, their sum (k operands), log, z_c - max, the
            // difference; the example's max is a new constant.
            LossKind::Ce => (add(mul(2, k), 4), add(k, 1), 1),
        };
        nodes = add(nodes, loss_nodes);
        operands = add(operands, loss_operands);
        // Handles kept until the step ends: the outputs (a Vec of k values, with its
        // allocation), the loss terms and the targets.
        let handles = add(64, mul(8, k));
        let per = GraphSize {
            nodes,
            operands,
            bytes: add(
                add(mul(25, nodes), mul(4, operands)),
                add(add(mul(8, constants), handles), replay_bytes),
            ),
        };
        let params = spec.num_parameters();
        // The mean: a sum (or dot) and its scaling by 1/n; sse has no scaling.
        let mean = if self.loss.is_sum() { 1 } else { 2 };
        let (fixed_nodes, fixed_operands) = if self.l2 > 0.0 {
            (mean + 3, mul(2, params))
        } else {
            (mean, 0)
        };
        // The parameters are on the tape too (made before the step, so not its nodes), with
        // their handles and at most two numbers of optimizer state each (Adam's).
        let fixed = GraphSize {
            nodes: fixed_nodes,
            operands: fixed_operands,
            bytes: add(
                add(mul(25, fixed_nodes), mul(4, fixed_operands)),
                mul(25 + 8 + 16, params),
            ),
        };
        (fixed, per)
    }
}
