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
use micrograd::data::{self, DataError, Dataset};
use micrograd::nn::optim::{OptimizerKind, Schedule};
use micrograd::nn::{Activation, MlpSpec};
use micrograd::train::{
    Classifier, LossKind, StepInfo, TrainConfig, TrainError, TrainReport, short_number, train_until,
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
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Noise of the generated data [default: moons 0.1, circles 0.1, blobs 1.0, spiral 0.2].
    #[arg(long, value_name = "X")]
    pub noise: Option<f64>,
    /// Number of classes of generated blobs or spiral [default: blobs 2, spiral 3].
    #[arg(long, value_name = "K")]
    pub classes: Option<usize>,
    /// The CSV column that holds the labels (needs a header row) [default: the last].
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Hidden layer sizes, comma-separated (the output size follows from the loss).
    #[arg(long, value_name = "SIZES", default_value = "16,16")]
    pub layers: String,
    /// Hidden activation: relu, tanh or sigmoid (the output layer is linear).
    #[arg(long, value_name = "NAME", default_value = "relu")]
    pub activation: String,
    /// Loss: svm, mse, bce (binary, one output) or ce (softmax cross-entropy, k outputs).
    #[arg(long, value_name = "NAME", default_value = "svm")]
    pub loss: String,
    /// Optimizer: sgd, momentum or adam.
    #[arg(long, value_name = "NAME", default_value = "sgd")]
    pub optimizer: String,
    /// Base learning rate [default: sgd 1.0, momentum 0.1, adam 0.01].
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
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub steps: usize,
    /// Examples per step [default: all (full batch)].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Seed of the weights, the batch order and generated data.
    #[arg(long, value_name = "N", default_value_t = micrograd::nn::MLP::DEFAULT_SEED)]
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
}

/// The generated data sets, with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generator {
    Moons,
    Circles,
    Blobs,
    Spiral,
}

impl Generator {
    fn by_name(name: &str) -> Option<Generator> {
        match name {
            "moons" => Some(Generator::Moons),
            "circles" => Some(Generator::Circles),
            "blobs" => Some(Generator::Blobs),
            "spiral" => Some(Generator::Spiral),
            _ => None,
        }
    }

    /// Examples generated without --samples.
    fn default_samples(self) -> usize {
        if self == Generator::Spiral { 300 } else { 100 }
    }

    fn generate(
        self,
        samples: Option<usize>,
        noise: Option<f64>,
        classes: Option<usize>,
        seed: u64,
    ) -> Dataset {
        let n = samples.unwrap_or(self.default_samples());
        match self {
            Generator::Moons => data::moons(n, noise.unwrap_or(0.1), seed),
            Generator::Circles => data::circles(n, noise.unwrap_or(0.1), seed),
            Generator::Blobs => data::blobs(n, classes.unwrap_or(2), noise.unwrap_or(1.0), seed),
            Generator::Spiral => data::spiral(n, classes.unwrap_or(3), noise.unwrap_or(0.2), seed),
        }
    }
}

/// The most examples `--samples` generates.
pub const MAX_SAMPLES: usize = 1_000_000;
/// The most steps `--steps` takes.
pub const MAX_STEPS: usize = 10_000_000;
/// The most parameters a network may have (`--layers`, with the data's inputs and outputs).
pub const MAX_PARAMETERS: usize = 10_000_000;

/// Checks a network's parameter count against [`MAX_PARAMETERS`] (usage error naming
/// `--layers` and the count).
/// `at_least`: the count is a lower bound (the hidden layers alone).
fn check_parameters(layers: &str, count: Option<usize>, at_least: bool) -> Result<(), CliError> {
    let bound = if at_least { "at least " } else { "" };
    match count {
        Some(n) if n <= MAX_PARAMETERS => Ok(()),
        Some(n) => Err(CliError::usage(format!(
            "--layers {layers}: the network would have {bound}{n} parameters (the limit is \
             10,000,000)"
        ))),
        None => Err(CliError::usage(format!(
            "--layers {layers}: the network would have more parameters than fit in a number \
             (the limit is 10,000,000)"
        ))),
    }
}

/// The parameters of the hidden layers alone (with one input, no output layer): a lower
/// bound of the network's, known before the data is read. `None` on overflow.
fn hidden_parameters(hidden: &[usize]) -> Option<usize> {
    let mut nin = 1usize;
    let mut total = 0usize;
    for &h in hidden {
        total = total.checked_add(nin.checked_add(1)?.checked_mul(h)?)?;
        nin = h;
    }
    Some(total)
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

/// Reads the flags into a configuration (usage errors for bad names and numbers).
fn config(args: &TrainOpts) -> Result<TrainConfig, CliError> {
    // Not Activation's own parse: its message lists `linear`, which hidden layers refuse.
    let activation = match args.activation.parse::<Activation>() {
        Ok(Activation::Linear) => {
            return Err(CliError::usage(
                "--activation linear: hidden layers need a non-linearity (relu, tanh or sigmoid)",
            ));
        }
        Ok(a) => a,
        Err(_) => {
            return Err(CliError::usage(format!(
                "--activation: unknown activation `{}` (expected one of: relu, tanh, sigmoid)",
                args.activation
            )));
        }
    };
    let loss: LossKind = args
        .loss
        .parse()
        .map_err(|e: String| CliError::usage(format!("--loss: {e}")))?;
    let optimizer: OptimizerKind = args
        .optimizer
        .parse()
        .map_err(|e: String| CliError::usage(format!("--optimizer: {e}")))?;
    let schedule: Schedule = args
        .schedule
        .parse()
        .map_err(|e: String| CliError::usage(format!("--schedule: {e}")))?;
    let lr = args.lr.unwrap_or(match optimizer {
        OptimizerKind::Sgd => 1.0,
        OptimizerKind::Momentum => 0.1,
        OptimizerKind::Adam => 0.01,
    });
    if !(lr.is_finite() && lr > 0.0) {
        return Err(CliError::usage(format!(
            "--lr {}: the learning rate must be a positive number",
            short_number(lr)
        )));
    }
    if !(args.l2.is_finite() && args.l2 >= 0.0) {
        return Err(CliError::usage(format!(
            "--l2 {}: must be a number >= 0",
            short_number(args.l2)
        )));
    }
    if args.steps == 0 {
        return Err(CliError::usage("--steps 0: train for at least 1 step"));
    }
    if args.steps > MAX_STEPS {
        return Err(CliError::usage(format!(
            "--steps {}: at most 10,000,000 steps",
            args.steps
        )));
    }
    if args.batch_size == Some(0) {
        return Err(CliError::usage(
            "--batch-size 0: a batch needs at least 1 example",
        ));
    }
    let hidden = parse_layers(&args.layers)?;
    check_parameters(&args.layers, hidden_parameters(&hidden), true)?;
    Ok(TrainConfig {
        hidden,
        activation,
        loss,
        optimizer,
        lr,
        schedule,
        l2: args.l2,
        steps: args.steps,
        batch_size: args.batch_size,
        seed: args.seed,
    })
}

/// Picks the data: embedded, generated or read from a CSV file.
fn load_data(args: &TrainOpts) -> Result<(Dataset, String), CliError> {
    let generating = args.samples.is_some() || args.noise.is_some();
    let name = args.data.as_deref().unwrap_or("moons");
    if args.label_column.is_some() && Generator::by_name(name).is_some() {
        return Err(CliError::usage(format!(
            "--label-column applies to CSV files, not to --data {name}"
        )));
    }
    match Generator::by_name(name) {
        Some(Generator::Moons) if !generating => {
            if args.classes.is_some() {
                return Err(CliError::usage(
                    "--classes applies to --data blobs or spiral",
                ));
            }
            Ok((
                data::demo_moons(),
                "the embedded demo moons (100 examples)".into(),
            ))
        }
        Some(g) => {
            if let Some(n) = args.samples {
                if n < 2 {
                    return Err(CliError::usage(format!(
                        "--samples {n}: need at least 2 examples"
                    )));
                }
                if n > MAX_SAMPLES {
                    return Err(CliError::usage(format!(
                        "--samples {n}: at most 1,000,000 examples"
                    )));
                }
            }
            let samples = args.samples.unwrap_or(g.default_samples());
            if let Some(x) = args.noise
                && !(x.is_finite() && x >= 0.0)
            {
                return Err(CliError::usage(format!(
                    "--noise {}: must be a number >= 0",
                    short_number(x)
                )));
            }
            match (g, args.classes) {
                (Generator::Moons | Generator::Circles, Some(_)) => {
                    return Err(CliError::usage(format!(
                        "--classes applies to --data blobs or spiral ({name} has 2 classes)"
                    )));
                }
                (_, Some(k)) if k < 2 => {
                    return Err(CliError::usage(format!("--classes {k}: need at least 2")));
                }
                (_, Some(k)) if samples < k => {
                    return Err(CliError::usage(match args.samples {
                        Some(n) => format!("--samples {n}: fewer examples than --classes {k}"),
                        None => format!(
                            "--classes {k}: more classes than the {samples} examples generated \
                             (set --samples)"
                        ),
                    }));
                }
                _ => {}
            }
            let d = g.generate(args.samples, args.noise, args.classes, args.seed);
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
                _ => CliError::usage(format!("{}: {e}", path.display())),
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
        let msg = format!("loss {:.6} accuracy {:.1}%", s.loss, 100.0 * s.accuracy);
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
    let cfg = config(args)?;
    let (data, what) = load_data(args)?;
    check_outputs(args, &data)?;
    // The network's size, before any weight is allocated (saturated at usize::MAX).
    let mut sizes = cfg.hidden.clone();
    sizes.push(cfg.loss.outputs(data.n_classes()));
    let count = MlpSpec::new(data.n_features(), &sizes, cfg.activation).num_parameters();
    check_parameters(&args.layers, (count < usize::MAX).then_some(count), false)?;
    let spec = cfg.architecture(&data).map_err(|e| {
        let hint = match &e {
            TrainError::Data(DataError::Classes { found, .. }) if found.len() > 2 => {
                "; use --loss ce for more than 2 classes"
            }
            _ => "",
        };
        let message = match &args.data {
            Some(file)
                if matches!(e, TrainError::Data(_)) && Generator::by_name(file).is_none() =>
            {
                format!("{file}: {e}{hint}")
            }
            _ => format!("{e}{hint}"),
        };
        CliError {
            message,
            ..train_error(e)
        }
    })?;

    let sizes: Vec<String> = std::iter::once(spec.nin)
        .chain(spec.layers.iter().map(|l| l.nout))
        .map(|n| n.to_string())
        .collect();
    let header = format!(
        "training MLP {} ({} parameters, {} hidden) on {what}: {} loss, {} lr {} ({}), L2 {}, {} steps{}",
        sizes.join("-"),
        spec.num_parameters(),
        cfg.activation,
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
    let result = train_until(&data, &cfg, |s| match progress.step(s) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            write_error = Some(e);
            ControlFlow::Break(())
        }
    });
    progress.finish();
    if let Some(e) = write_error {
        return Err(e); // stdout is gone or full: stop training rather than run blind
    }
    let report = result.map_err(train_error)?;
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
            "done in {:.3} s ({:.2} ms/step): loss {:.6}, training accuracy {:.1}% ({right}/{})",
            report.seconds,
            1e3 * report.seconds / report.steps as f64,
            report.loss,
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

/// Training errors: bad input exits 2, a diverging loss 1.
fn train_error(e: TrainError) -> CliError {
    if e.is_usage() {
        CliError::usage(e.to_string())
    } else {
        CliError::failure(e.to_string())
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
