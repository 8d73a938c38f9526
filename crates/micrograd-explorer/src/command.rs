//! "Copy as command": the `micrograd train ...` line that reproduces a run of the page with
//! the command line's own flags (same data, network, loss, optimizer, learning rate,
//! schedule and seed, so the same numbers: a test runs the line and compares the loss).

use micrograd::train::TrainConfig;

use crate::data::generator_defaults;
use crate::session::TrainRequest;

/// The CSV file name the command reads when the page's data is not a generator's (an
/// upload, or generated points edited by clicks); the page offers the file under this name.
pub const DEFAULT_CSV_NAME: &str = "explorer-data.csv";

/// `s` quoted for a POSIX shell if it needs it.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,/=+:@".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The file name the command uses for CSV data: the upload's own name if it is a plain
/// `NAME.csv`, else [`DEFAULT_CSV_NAME`].
pub fn csv_name(req: &TrainRequest) -> String {
    match req.data.file_name.as_deref() {
        Some(n)
            if n.len() <= 100
                && n.to_ascii_lowercase().ends_with(".csv")
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && !n.starts_with(['.', '-']) =>
        {
            n.to_string()
        }
        _ => DEFAULT_CSV_NAME.to_string(),
    }
}

/// The command line for a request and its configuration (as [`crate::session::configure`]
/// checked and read it): `micrograd train` with the flags whose values differ from its
/// defaults ([`TrainConfig::default`], which are the command line's), and the ones the
/// page's user chose explicitly (a learning rate, a batch size). A learning rate left to
/// its default is left out: the command computes the same one from the same data.
/// Generated data always names its samples and noise (`--data moons` alone is the
/// embedded demo data).
pub fn command_line(req: &TrainRequest, config: &TrainConfig) -> String {
    let defaults = TrainConfig::default();
    let mut args: Vec<String> = vec!["micrograd".into(), "train".into()];
    let mut flag = |name: &str, value: String| {
        args.push(format!("--{name}"));
        args.push(value);
    };
    let d = &req.data;
    match d.kind.as_str() {
        "demo" => {} // the command's default data
        "csv" => {
            flag("data", csv_name(req));
            if let Some(c) = &d.label_column {
                flag("label-column", shell_quote(c));
            }
        }
        kind => {
            let (samples, noise, classes) = generator_defaults(kind).unwrap_or((100, 0.1, 2));
            flag("data", kind.into());
            // Always both: `--data moons` alone is the embedded demo data.
            flag("samples", d.samples.unwrap_or(samples).to_string());
            flag("noise", d.noise.unwrap_or(noise).to_string());
            if matches!(kind, "blobs" | "spiral") {
                flag("classes", d.classes.unwrap_or(classes).to_string());
            }
        }
    }
    if config.hidden != defaults.hidden {
        let layers: Vec<String> = config.hidden.iter().map(|n| n.to_string()).collect();
        flag("layers", shell_quote(&layers.join(",")));
    }
    if config.activation != defaults.activation {
        flag("activation", config.activation.name().into());
    }
    if config.output_activation != defaults.output_activation {
        flag("output-activation", config.output_activation.name().into());
    }
    if config.loss != defaults.loss {
        flag("loss", config.loss.name().into());
    }
    if config.optimizer != defaults.optimizer {
        flag("optimizer", config.optimizer.name().into());
    }
    if req.lr.is_some() {
        flag("lr", config.lr.to_string());
    }
    if config.schedule != defaults.schedule {
        flag("schedule", config.schedule.name().into());
    }
    if config.l2 != defaults.l2 {
        flag("l2", config.l2.to_string());
    }
    if config.steps != defaults.steps {
        flag("steps", config.steps.to_string());
    }
    if let Some(b) = config.batch_size {
        flag("batch-size", b.to_string());
    }
    if config.seed != defaults.seed {
        flag("seed", config.seed.to_string());
    }
    args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("16,16"), "16,16");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    fn line(req: TrainRequest) -> String {
        let (_, config, _) = crate::session::configure(&req).unwrap();
        command_line(&req, &config)
    }

    #[test]
    fn the_demo_is_the_default_command() {
        assert_eq!(line(TrainRequest::default()), "micrograd train");
        // Values equal to the defaults are left out, others are written.
        let req = TrainRequest {
            layers: vec![16, 16],
            activation: "TANH".into(),
            output_activation: "tanh".into(),
            loss: "sse".into(),
            l2: 1e-4,
            steps: 20,
            seed: 1337,
            ..TrainRequest::default()
        };
        assert_eq!(
            line(req),
            "micrograd train --activation tanh --output-activation tanh --loss sse --steps 20"
        );
    }

    #[test]
    fn an_explicit_learning_rate_is_written_a_default_one_is_not() {
        let lr = |lr: Option<f64>, optimizer: &str| {
            line(TrainRequest {
                lr,
                optimizer: optimizer.into(),
                ..TrainRequest::default()
            })
        };
        assert_eq!(lr(None, "adam"), "micrograd train --optimizer adam");
        assert_eq!(lr(Some(1.0), "sgd"), "micrograd train --lr 1");
        assert_eq!(
            lr(Some(0.03), "adam"),
            "micrograd train --optimizer adam --lr 0.03"
        );
        let req = TrainRequest {
            data: crate::data::DataSpec {
                kind: "blobs".into(),
                ..Default::default()
            },
            layers: vec![],
            batch_size: Some(100),
            l2: 0.0,
            ..TrainRequest::default()
        };
        assert_eq!(
            line(req),
            "micrograd train --data blobs --samples 100 --noise 1 --classes 2 --layers '' \
             --l2 0 --batch-size 100"
        );
    }
}
