//! "Copy as command": the `micrograd train ...` line that reproduces a run of the page with
//! the command line's own flags (same data, network, loss, optimizer, schedule and seed, so
//! the same numbers: a test runs the line and compares the loss).

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

/// The command line for a (checked) request; `lr` is the rate the run uses.
pub fn command_line(req: &TrainRequest, lr: f64) -> String {
    let mut args: Vec<String> = vec!["micrograd".into(), "train".into()];
    let mut flag = |name: &str, value: String| {
        args.push(format!("--{name}"));
        args.push(value);
    };
    let d = &req.data;
    match d.kind.as_str() {
        "demo" => flag("data", "moons".into()),
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
    let layers: Vec<String> = req.layers.iter().map(|n| n.to_string()).collect();
    flag("layers", shell_quote(&layers.join(",")));
    flag("activation", req.activation.to_ascii_lowercase());
    flag("loss", req.loss.to_ascii_lowercase());
    flag("optimizer", req.optimizer.to_ascii_lowercase());
    flag("lr", lr.to_string());
    flag("schedule", req.schedule.to_ascii_lowercase());
    flag("l2", req.l2.to_string());
    flag("steps", req.steps.to_string());
    if let Some(b) = req.batch_size {
        flag("batch-size", b.to_string());
    }
    flag("seed", req.seed.to_string());
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

    #[test]
    fn the_demo_is_the_default_command() {
        let req = TrainRequest::default();
        assert_eq!(
            command_line(&req, 1.0),
            "micrograd train --data moons --layers 16,16 --activation relu --loss svm \
             --optimizer sgd --lr 1 --schedule linear --l2 0.0001 --steps 100 --seed 1337"
        );
    }
}
