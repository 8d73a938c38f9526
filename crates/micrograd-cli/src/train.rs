//! `micrograd train`: train an MLP classifier; with no flags, micrograd's moons demo.
//!
//! The loop lives in [`micrograd::train`]; this module reads the flags, picks the data, shows
//! progress, and writes the model and the pictures.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::CliError;
use micrograd::data::{self, DataError, Dataset, Generator};
use micrograd::nn::optim::{OptimizerKind, Schedule};
use micrograd::nn::{Activation, UnknownName};
use micrograd::text::or_list;
use micrograd::train::{
    Classifier, ConfigError, LossKind, LossWatch, StepInfo, TrainConfig, TrainError, TrainReport,
    byte_size, group_digits, loss_number, short_number, train_until,
};
use micrograd::viz::{Boundary, BoundaryNames, save_boundary_named, save_curves};

/// Arguments of `micrograd train` (boxed: they are many, and the subcommand enum stays small).
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The flags.
    #[command(flatten)]
    pub opts: Box<TrainOpts>,
}

/// The flags of `micrograd train`.
#[derive(Debug, Args)]
pub struct TrainOpts {
    /// The data: `moons`, `circles`, `blobs`, `spiral` (generated, seeded by --seed) or a CSV
    /// file. Default: the embedded 100 moons of micrograd's demo (also `moons` without
    /// --samples/--noise).
    #[arg(long, value_name = "NAME|FILE.csv")]
    pub data: Option<String>,
    /// Number of examples to generate [default: 100; spiral: 300].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub samples: Option<usize>,
    /// Noise of the generated data [default: moons 0.1, circles 0.1, blobs 1.0, spiral 0.2].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub noise: Option<f64>,
    /// Number of classes of generated blobs or spiral [default: blobs 2, spiral 3].
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub classes: Option<usize>,
    /// The CSV column that holds the labels (needs a header row) [default: the last].
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Hidden layer sizes, comma-separated (the output size follows from the loss).
    #[arg(long, value_name = "SIZES", default_value = "16,16")]
    pub layers: String,
    /// Hidden activation: relu, tanh or sigmoid.
    #[arg(long, value_name = "NAME", default_value = "relu")]
    pub activation: String,
    /// Output activation: linear (micrograd's demo) or tanh (the lecture's MLP, tanh in
    /// every neuron).
    #[arg(long, value_name = "NAME", default_value = "linear")]
    pub output_activation: String,
    /// Loss: svm, mse, sse (the lecture's sum of squares), bce (binary, one output) or ce
    /// (softmax cross-entropy, k outputs).
    #[arg(long, value_name = "NAME", default_value = "svm")]
    pub loss: String,
    /// Optimizer: sgd, momentum or adam.
    #[arg(long, value_name = "NAME", default_value = "sgd")]
    pub optimizer: String,
    /// Base learning rate [default: one that converges for the loss, the optimizer and the
    /// data: sgd 1 (mse 0.05, sse 0.05/n for n examples a step), momentum 0.1 (mse 0.03, sse
    /// 0.03/n, bce and ce 0.3), adam 0.03; for sgd and momentum divided by the data's mean
    /// squared feature when it is above 1. The header line shows the rate used].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning-rate schedule: constant, linear (micrograd's 1 - 0.9 k/steps) or cosine.
    #[arg(long, value_name = "NAME", default_value = "linear")]
    pub schedule: String,
    /// L2 regularization strength.
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1e-4,
        allow_negative_numbers = true
    )]
    pub l2: f64,
    /// Number of optimizer steps.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100,
        allow_negative_numbers = true
    )]
    pub steps: usize,
    /// Examples per step [default: all (full batch)].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub batch_size: Option<usize>,
    /// Seed of the weights, the batch order and generated data.
    #[arg(long, value_name = "N", default_value_t = micrograd::nn::MLP::DEFAULT_SEED, allow_negative_numbers = true)]
    pub seed: u64,
    /// Draw the decision boundary to FILE (.svg or .png; 2-D data only).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Draw the loss and accuracy curves to FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub loss_plot: Option<PathBuf>,
    /// Save the model: FILE.json (model file, for `predict`) or FILE.safetensors (weights).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Print one JSON object at the end on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Rebuild the graph every step instead of recording it once and replaying it, the
    /// examples side by side (the results are the same to the bit).
    #[arg(long)]
    pub no_replay: bool,
}

/// The most examples `--samples` generates.
pub use micrograd::data::MAX_SAMPLES;
/// The most steps `--steps` takes, and the most parameters a network may have (`--layers`,
/// with the data's inputs and outputs).
pub use micrograd::train::{MAX_PARAMETERS, MAX_STEPS};

/// The generator named exactly `name` (lowercase: any other spelling is a file's name).
fn generator(name: &str) -> Option<Generator> {
    name.parse::<Generator>().ok().filter(|g| g.name() == name)
}

/// The names of the generators whose number of classes can be chosen (blobs, spiral).
fn generators_with_classes() -> Vec<&'static str> {
    Generator::ALL
        .into_iter()
        .filter(|g| g.has_classes())
        .map(Generator::name)
        .collect()
}

/// A data error in the command line's words: the label column's errors name
/// `--label-column`; the others are the library's messages.
pub(crate) fn data_message(e: &DataError) -> String {
    match e {
        DataError::UnknownLabelColumn { name, available } => format!(
            "--label-column {name:?}: no such column in the header (columns: {})",
            available.join(", ")
        ),
        DataError::LabelColumnNeedsHeader { name } => {
            format!("--label-column {name:?}: the file has no header row to find it in")
        }
        DataError::ExtraColumns { columns } => format!(
            "the columns {} are not the model's features; name the label column with \
             --label-column",
            columns.join(", ")
        ),
        other => other.to_string(),
    }
}

/// A generator's error in the command line's words (`--samples`, `--noise`, `--classes`).
fn generator_message(e: &DataError, args: &TrainOpts, name: &str) -> String {
    match e {
        DataError::SampleCount {
            samples, allowed, ..
        } if samples < allowed.start() => {
            format!(
                "--samples {samples}: need at least {} examples",
                allowed.start()
            )
        }
        DataError::SampleCount {
            samples, allowed, ..
        } => format!(
            "--samples {samples}: at most {} examples",
            group_digits(*allowed.end())
        ),
        DataError::Noise { noise, .. } => {
            format!("--noise {}: must be a number >= 0", short_number(*noise))
        }
        DataError::FixedClasses { fixed, .. } => format!(
            "--classes applies to --data {} ({name} has {fixed} classes)",
            or_list(&generators_with_classes())
        ),
        DataError::ClassCount {
            classes, allowed, ..
        } if classes < allowed.start() => {
            format!("--classes {classes}: need at least {}", allowed.start())
        }
        DataError::ClassCount {
            classes, allowed, ..
        } => match args.samples {
            Some(n) => format!("--samples {n}: fewer examples than --classes {classes}"),
            None => format!(
                "--classes {classes}: more classes than the {} examples generated (set \
                 --samples)",
                allowed.end()
            ),
        },
        other => data_message(other),
    }
}

/// A configuration error in the command line's words, naming the flag.
fn config_message(e: &ConfigError, args: &TrainOpts) -> String {
    match e {
        ConfigError::Steps { steps, allowed } if steps < allowed.start() => {
            format!("--steps {steps}: train for at least 1 step")
        }
        ConfigError::Steps { steps, allowed } => format!(
            "--steps {steps}: at most {} steps",
            group_digits(*allowed.end())
        ),
        ConfigError::LearningRate { lr } => format!(
            "--lr {}: the learning rate must be a positive number",
            short_number(*lr)
        ),
        ConfigError::L2 { l2 } => format!("--l2 {}: must be a number >= 0", short_number(*l2)),
        ConfigError::BatchSize { batch_size } => {
            format!("--batch-size {batch_size}: a batch needs at least 1 example")
        }
        ConfigError::LinearHidden => format!(
            "--activation linear: hidden layers need a non-linearity ({})",
            or_list(&TrainConfig::hidden_activations())
        ),
        ConfigError::OutputActivation { activation } => format!(
            "--output-activation {activation}: the output is read by its sign, so it must be \
             {}",
            or_list(&TrainConfig::output_activations())
        ),
        ConfigError::HiddenSize { .. } | ConfigError::Parameters { .. } => {
            format!("--layers {}: {e}", args.layers)
        }
        ConfigError::StepGraph {
            examples,
            size,
            budget,
            max_examples,
        } => {
            let what = format!(
                "a training step on {} examples would build a graph of about {} nodes ({}), \
                 more than the budget of {}",
                group_digits(*examples),
                group_digits(size.nodes),
                byte_size(size.bytes),
                byte_size(*budget)
            );
            let generated = generator(args.data.as_deref().unwrap_or("moons")).is_some();
            if *max_examples == 0 {
                format!("{what}; not even one example fits: lower --layers")
            } else {
                format!(
                    "{what}; lower --batch-size (at most {} examples fit in a step){}",
                    group_digits(*max_examples),
                    if generated {
                        ", --samples or --layers"
                    } else {
                        " or --layers"
                    }
                )
            }
        }
        other => other.to_string(),
    }
}

/// Parses `--layers`: comma-separated sizes, each at least 1 (`16,16`; `""` for none).
pub fn parse_layers(text: &str) -> Result<Vec<usize>, CliError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .enumerate()
        .map(|(i, part)| {
            let part = part.trim();
            let bad = |why: &str| {
                CliError::usage(format!(
                    "--layers {text}: {why} at position {} (expected comma-separated sizes >= 1, e.g. 16,16)",
                    i + 1
                ))
            };
            if part.is_empty() {
                return Err(bad("an empty size"));
            }
            match part.parse::<usize>() {
                Ok(0) => Err(bad("a layer of size 0")),
                Ok(n) => Ok(n),
                Err(_) => Err(bad(&format!("{part:?} is not a whole number"))),
            }
        })
        .collect()
}

/// Reads the flags into a configuration and checks it ([`TrainConfig::validate`]): usage
/// errors for bad names and numbers, in the order of the flags' help.
fn config(args: &TrainOpts) -> Result<TrainConfig, CliError> {
    let bad = |e: &ConfigError| CliError::usage(config_message(e, args));
    let activation = match args.activation.parse::<Activation>() {
        Ok(a) => {
            TrainConfig::check_activation(a).map_err(|e| bad(&e))?;
            a
        }
        Err(e) => {
            // Listing only the activations hidden layers accept.
            let e = UnknownName {
                expected: TrainConfig::hidden_activations(),
                ..e
            };
            return Err(CliError::usage(format!("--activation: {e}")));
        }
    };
    let output_activation = match args.output_activation.parse::<Activation>() {
        Ok(a) => {
            TrainConfig::check_output_activation(a).map_err(|e| bad(&e))?;
            a
        }
        Err(e) => {
            let e = UnknownName {
                expected: TrainConfig::output_activations(),
                ..e
            };
            return Err(CliError::usage(format!("--output-activation: {e}")));
        }
    };
    let loss: LossKind = args
        .loss
        .parse()
        .map_err(|e: UnknownName| CliError::usage(format!("--loss: {e}")))?;
    let optimizer: OptimizerKind = args
        .optimizer
        .parse()
        .map_err(|e: UnknownName| CliError::usage(format!("--optimizer: {e}")))?;
    let schedule: Schedule = args
        .schedule
        .parse()
        .map_err(|e: UnknownName| CliError::usage(format!("--schedule: {e}")))?;
    // Without --lr, a placeholder until the data is read (`TrainConfig::default_lr`).
    let lr = args.lr.unwrap_or(1.0);
    let layers = parse_layers(&args.layers);
    let cfg = TrainConfig {
        // No hidden layers while --layers does not parse: the flags before it are checked
        // first, then its own error is given.
        hidden: layers.as_ref().map_or_else(|_| Vec::new(), Clone::clone),
        activation,
        output_activation,
        loss,
        optimizer,
        lr,
        schedule,
        l2: args.l2,
        steps: args.steps,
        batch_size: args.batch_size,
        seed: args.seed,
        replay: !args.no_replay,
    };
    cfg.validate().map_err(|e| bad(&e))?;
    layers?;
    Ok(cfg)
}

/// Picks the data: embedded, generated or read from a CSV file.
fn load_data(args: &TrainOpts) -> Result<(Dataset, String), CliError> {
    let generating = args.samples.is_some() || args.noise.is_some();
    let name = args.data.as_deref().unwrap_or("moons");
    if args.label_column.is_some() && generator(name).is_some() {
        return Err(CliError::usage(format!(
            "--label-column applies to CSV files, not to --data {name}"
        )));
    }
    match generator(name) {
        Some(Generator::Moons) if !generating => {
            if args.classes.is_some() {
                return Err(CliError::usage(format!(
                    "--classes applies to --data {}",
                    or_list(&generators_with_classes())
                )));
            }
            Ok((
                data::demo_moons(),
                "the embedded demo moons (100 examples)".into(),
            ))
        }
        Some(g) => {
            let d = g
                .generate(args.samples, args.noise, args.classes, args.seed)
                .map_err(|e| CliError::usage(generator_message(&e, args, name)))?;
            let what = format!("{name} ({} examples, seed {})", d.len(), args.seed);
            Ok((d, what))
        }
        None => {
            for (flag, set) in [
                ("--samples", args.samples.is_some()),
                ("--noise", args.noise.is_some()),
                ("--classes", args.classes.is_some()),
            ] {
                if set {
                    return Err(CliError::usage(format!(
                        "{flag} applies to generated data (moons, circles, blobs, spiral), not to a file"
                    )));
                }
            }
            if name.trim().is_empty() {
                return Err(CliError::usage(
                    "--data '': an empty name (expected moons, circles, blobs, spiral or a CSV file)",
                ));
            }
            let path = Path::new(name);
            let d = data::load_csv(path, args.label_column.as_deref()).map_err(|e| match e {
                // The message names the file already.
                DataError::Io { .. } => CliError::usage(format!("--data: {e}")),
                _ => CliError::usage(format!("{}: {}", path.display(), data_message(&e))),
            })?;
            let what = format!("{} ({} examples)", path.display(), d.len());
            Ok((d, what))
        }
    }
}

/// Checks the output paths' extensions before training (a typo should not cost a run).
fn check_outputs(args: &TrainOpts, data: &Dataset) -> Result<(), CliError> {
    let ext = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default()
    };
    if let Some(p) = &args.save
        && !matches!(ext(p).as_str(), "json" | "safetensors")
    {
        return Err(CliError::usage(format!(
            "--save {}: the file must end in .json (model file) or .safetensors (weights)",
            p.display()
        )));
    }
    for (flag, path) in [("--plot", &args.plot), ("--loss-plot", &args.loss_plot)] {
        if let Some(p) = path
            && !matches!(ext(p).as_str(), "svg" | "png")
        {
            return Err(CliError::usage(format!(
                "{flag} {}: the picture must end in .svg or .png",
                p.display()
            )));
        }
    }
    for (flag, path) in [
        ("--save", &args.save),
        ("--plot", &args.plot),
        ("--loss-plot", &args.loss_plot),
    ] {
        if let Some(p) = path {
            check_writable_place(flag, p)?;
        }
    }
    if let Some(p) = &args.plot
        && data.n_features() != 2
    {
        return Err(CliError::usage(format!(
            "--plot {}: a decision boundary needs 2-D data, but the data has {} features",
            p.display(),
            data.n_features()
        )));
    }
    Ok(())
}

/// Checks that `path` names a file in an existing directory (usage error naming `flag`);
/// whether the write itself succeeds is known only after training (exit status 1 then).
fn check_writable_place(flag: &str, path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::usage(format!(
            "{flag} {}: is a directory (expected a file name)",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "{flag} {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Shows progress: a bar on a terminal, else a plain line every 10% of the steps.
struct Progress {
    bar: Option<ProgressBar>,
    /// Where plain lines go: stderr with `--json`, else stdout.
    to_stderr: bool,
    every: usize,
}

impl Progress {
    fn new(steps: usize, json: bool) -> Progress {
        let terminal = if json {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        let bar = terminal.then(|| {
            let target = if json {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::stdout()
            };
            let bar = ProgressBar::with_draw_target(Some(steps as u64), target);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} step {pos}/{len} {msg} [{elapsed_precise}]")
                    .expect("a valid progress template"),
            );
            bar
        });
        Progress {
            bar,
            to_stderr: json,
            every: (steps / 10).max(1),
        }
    }

    /// Shows step `s`; a failed write to stdout is returned (the bar ignores its own).
    fn step(&self, s: &StepInfo) -> Result<(), CliError> {
        let msg = format!(
            "loss {} accuracy {:.1}%",
            loss_number(s.loss),
            100.0 * s.accuracy
        );
        if let Some(bar) = &self.bar {
            bar.set_position(s.step as u64);
            bar.set_message(msg);
        } else if s.step.is_multiple_of(self.every) || s.step == s.steps || s.step == 1 {
            let line = format!(
                "step {:>width$}/{} {msg}",
                s.step,
                s.steps,
                width = digits(s.steps)
            );
            if self.to_stderr {
                errln!("{line}");
            } else {
                outln!("{line}")?;
            }
        }
        Ok(())
    }

    /// A warning on stderr, above the bar if there is one.
    fn warn(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| errln!("{line}")),
            None => errln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// Runs `micrograd train`.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let args: &TrainOpts = &args.opts;
    let mut cfg = config(args)?;
    let (data, what) = load_data(args)?;
    if args.lr.is_none() {
        cfg.lr = cfg.default_lr(&data);
    }
    check_outputs(args, &data)?;
    let spec = cfg.architecture(&data).map_err(|e| train_error(e, args))?;

    let sizes: Vec<String> = std::iter::once(spec.nin)
        .chain(spec.layers.iter().map(|l| l.nout))
        .map(|n| n.to_string())
        .collect();
    let header = format!(
        "training MLP {} ({} parameters, {} hidden{}) on {what}: {} loss, {} lr {} ({}), L2 {}, {} steps{}",
        sizes.join("-"),
        spec.num_parameters(),
        cfg.activation,
        match cfg.output_activation {
            Activation::Linear => String::new(),
            a => format!(", {a} output"),
        },
        cfg.loss,
        cfg.optimizer,
        short_number(cfg.lr),
        cfg.schedule,
        short_number(cfg.l2),
        cfg.steps,
        match cfg.batch_size {
            Some(b) if b < data.len() => format!(", batch {b}"),
            _ => ", full batch".into(),
        }
    );
    if args.json {
        errln!("{header}");
    } else {
        outln!("{header}")?;
    }
    let progress = Progress::new(cfg.steps, args.json);
    let mut write_error = None;
    let mut watch = LossWatch::default();
    let result = train_until(&data, &cfg, |s| {
        if let Some(g) = watch.observe(s.step, s.loss) {
            progress.warn(&format!(
                "warning: the loss grew at each of the last {} steps, from {} to {} at step \
                 {}: the learning rate ({}) may be too high; try a lower --lr or --optimizer adam",
                g.steps,
                loss_number(g.from),
                loss_number(g.to),
                g.step,
                short_number(s.lr)
            ));
        }
        match progress.step(s) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                write_error = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    progress.finish();
    if let Some(e) = write_error {
        return Err(e); // stdout is gone or full: stop training rather than run blind
    }
    let report = result.map_err(|e| train_error(e, args))?;
    write_outputs(args, &data, &report)?;

    if args.json {
        // Written by hand to keep the documented key order.
        let num = |x: f64| serde_json::Value::from(x).to_string();
        outln!(
            "{{\"steps\": {}, \"loss\": {}, \"accuracy\": {}, \"seconds\": {}}}",
            report.steps,
            num(report.loss),
            num(report.accuracy),
            num((report.seconds * 1e6).round() / 1e6) // microseconds
        )?;
    } else {
        let right = (report.accuracy * data.len() as f64).round() as usize;
        outln!(
            "done in {:.3} s ({:.2} ms/step): loss {}, training accuracy {:.1}% ({right}/{})",
            report.seconds,
            1e3 * report.seconds / report.steps as f64,
            loss_number(report.loss),
            100.0 * report.accuracy,
            data.len()
        )?;
        for (flag, path) in [
            ("model", &args.save),
            ("decision boundary", &args.plot),
            ("loss curves", &args.loss_plot),
        ] {
            if let Some(p) = path {
                outln!("wrote {flag} to {}", p.display())?;
            }
        }
    }
    crate::flush_stdout()
}

/// Training errors in the command line's words: bad input exits 2 (a data error naming the
/// file it came from), a diverging loss 1 (with a hint).
fn train_error(e: TrainError, args: &TrainOpts) -> CliError {
    let message = match &e {
        TrainError::Config(c) => config_message(c, args),
        TrainError::Data(d) => {
            let hint = match d {
                DataError::Classes { found, .. } if found.len() > 2 => {
                    "; use --loss ce for more than 2 classes"
                }
                _ => "",
            };
            match &args.data {
                Some(file) if generator(file).is_none() => {
                    format!("{file}: {}{hint}", data_message(d))
                }
                _ => format!("{}{hint}", data_message(d)),
            }
        }
        TrainError::Diverged { .. } => {
            format!("{e}. Hint: lower the learning rate (--lr) or use --optimizer adam")
        }
        _ => e.to_string(),
    };
    if e.is_usage() {
        CliError::usage(message)
    } else {
        CliError::failure(message)
    }
}

/// Saves the model and draws the pictures asked for.
fn write_outputs(args: &TrainOpts, data: &Dataset, report: &TrainReport) -> Result<(), CliError> {
    let c: &Classifier = &report.classifier;
    if let Some(p) = &args.save {
        let is_json = p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let saved = if is_json {
            c.save_json(p)
        } else {
            c.save_safetensors(p)
        };
        saved.map_err(|e| CliError::failure(format!("--save: {e}")))?;
    }
    if let Some(p) = &args.plot {
        plot_boundary(p, data, report)?;
    }
    if let Some(p) = &args.loss_plot {
        plot_curves(p, report)?;
    }
    Ok(())
}

/// Cells across and up of the decision-boundary grid.
const BOUNDARY_RESOLUTION: usize = 120;

/// A short title: the network, the loss and the accuracy.
fn title(c: &Classifier, report: &TrainReport) -> String {
    let spec = c.model.spec();
    let sizes: Vec<String> = std::iter::once(spec.nin)
        .chain(spec.layers.iter().map(|l| l.nout))
        .map(|n| n.to_string())
        .collect();
    format!(
        "MLP {}, {} loss, {} steps: accuracy {:.1}%",
        sizes.join("-"),
        c.loss,
        report.steps,
        100.0 * report.accuracy
    )
}

/// Draws the classifier's regions over the data (2-D data, checked before training).
fn plot_boundary(path: &Path, data: &Dataset, report: &TrainReport) -> Result<(), CliError> {
    let c = &report.classifier;
    let points = data
        .points_2d()
        .ok_or_else(|| CliError::usage("--plot: a decision boundary needs 2-D data"))?;
    let b = if c.loss.is_binary() {
        // One output: its sign is the class, its size the confidence.
        Boundary::compute_scored(&points, BOUNDARY_RESOLUTION, |x, y| {
            c.model.forward_f64(&[x, y])[0]
        })
    } else {
        Boundary::compute(&points, BOUNDARY_RESOLUTION, |x, y| {
            c.predict_class(&[x, y])
        })
    };
    // The legend names the classes by their labels in the data, the axes by its features.
    let feature = |i: usize| {
        data.feature_names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("x{i}"))
    };
    let names = BoundaryNames::new(&data.class_names, &feature(0), &feature(1));
    save_boundary_named(path, &b, &points, &data.classes, &title(c, report), &names)
        .map_err(|e| CliError::failure(format!("--plot: {e}")))
}

/// Draws the loss and accuracy of every step.
fn plot_curves(path: &Path, report: &TrainReport) -> Result<(), CliError> {
    save_curves(
        path,
        &report.loss_history,
        &report.accuracy_history,
        &title(&report.classifier, report),
    )
    .map_err(|e| CliError::failure(format!("--loss-plot: {e}")))
}
