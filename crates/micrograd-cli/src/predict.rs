//! `micrograd predict`: classify the rows of a CSV file with a saved model.

use std::path::PathBuf;

use clap::Args;

use crate::CliError;
use crate::train::data_message;
use micrograd::data::{self, DataError};
use micrograd::train::{Classifier, CsvRows};

/// Arguments of `micrograd predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file written by `train --save FILE.json` or `FILE.safetensors` (a
    /// safetensors file without the class names takes the data's).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The data: a CSV file with the training data's feature columns, then (optionally) the
    /// labels; with labels, the accuracy is reported too.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// The CSV column that holds the labels (needs a header row) [default: the last].
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Print one JSON object: `{"accuracy": x, "predictions": [...]}` (accuracy `null`
    /// without labels).
    #[arg(long)]
    pub json: bool,
}

/// Reads the data and matches its columns to the model's features
/// ([`Classifier::parse_csv`]: by name when both have names, else by position).
fn read_rows(args: &PredictArgs, classifier: &Classifier) -> Result<CsvRows, CliError> {
    let path = args.data.display();
    let bad = |e: DataError| CliError::usage(format!("{path}: {}", data_message(&e)));
    let text = data::read_csv_text(&args.data).map_err(|e| match e {
        DataError::Io { .. } => CliError::usage(format!("--data: {e}")),
        _ => bad(e),
    })?;
    classifier
        .parse_csv(&text, args.label_column.as_deref())
        .map_err(bad)
}

/// A label as JSON: a number if it is one (as written in the file), else a string.
fn label_json(label: &str) -> serde_json::Value {
    if let Ok(n) = label.parse::<i64>() {
        return n.into();
    }
    match label.parse::<f64>() {
        Ok(x) if x.is_finite() => x.into(),
        _ => label.into(),
    }
}

/// Runs `micrograd predict`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
    let (mut classifier, has_names) =
        Classifier::load_with_flag(&args.model).map_err(|e| CliError::usage(e.to_string()))?;
    let rows = read_rows(args, &classifier)?;
    if let Some(d) = rows.labelled() {
        if !has_names && d.n_classes() == classifier.class_names.len() {
            // A weights-only file has no class names: take the data's, in the order training
            // numbers them (numeric labels by value, others alphabetically).
            errln!(
                "note: {} has no class names; using the data's: {}",
                args.model.display(),
                d.class_names.join(", ")
            );
            classifier.class_names = d.class_names.clone();
        }
        if d.class_names
            .iter()
            .all(|l| classifier.class_of_label(l).is_none())
        {
            return Err(CliError::usage(format!(
                "{}: the data's labels ({}) match none of the model's classes ({}, from {})",
                args.data.display(),
                d.class_names.join(", "),
                classifier.class_names.join(", "),
                args.model.display()
            )));
        }
    }
    let predictions: Vec<&str> = rows
        .features()
        .iter()
        .map(|x| classifier.predict_label(x))
        .collect();
    let n = rows.len();
    let accuracy = match rows.labelled() {
        Some(d) => Some(
            classifier
                .accuracy(d)
                .map_err(|e| CliError::usage(format!("{}: {e}", args.data.display())))?,
        ),
        None => None,
    };
    let labels: Option<Vec<&str>> = rows.labelled().map(|d| {
        d.classes
            .iter()
            .map(|&c| d.class_names[c].as_str())
            .collect()
    });
    if args.json {
        let preds: Vec<serde_json::Value> = predictions.iter().map(|p| label_json(p)).collect();
        outln!(
            "{}",
            serde_json::json!({"accuracy": accuracy, "predictions": preds})
        )?;
        return Ok(());
    }
    let header = rows.feature_names().join(",");
    match &labels {
        Some(_) => outln!("{header},prediction,label")?,
        None => outln!("{header},prediction")?,
    }
    for (i, (x, p)) in rows.features().iter().zip(&predictions).enumerate() {
        let xs: Vec<String> = x.iter().map(|v| v.to_string()).collect();
        match &labels {
            Some(labels) => outln!("{},{p},{}", xs.join(","), labels[i])?,
            None => outln!("{},{p}", xs.join(","))?,
        }
    }
    if let Some(a) = accuracy {
        let right = (a * n as f64).round() as usize;
        outln!("accuracy {:.1}% ({right}/{n})", 100.0 * a)?;
    }
    Ok(())
}
