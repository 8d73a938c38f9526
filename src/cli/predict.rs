//! `micrograd predict`: classify the rows of a CSV file with a saved model.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::data::{self, DataError};
use crate::train::Classifier;

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

/// The rows to predict, with their labels if the file has them.
struct Rows {
    features: Vec<Vec<f64>>,
    feature_names: Vec<String>,
    labels: Option<Vec<String>>,
    /// The file's classes in class-id order (empty without labels).
    class_names: Vec<String>,
}

/// Reads the data: labelled if it has one column more than the model's inputs (or a
/// `--label-column`), unlabelled if it has exactly the model's inputs.
fn read_rows(args: &PredictArgs, classifier: &Classifier) -> Result<Rows, CliError> {
    let path = args.data.display();
    let bad = |e: DataError| CliError::usage(format!("{path}: {e}"));
    let text = std::fs::read_to_string(&args.data)
        .map_err(|e| CliError::usage(format!("cannot read {path}: {e}")))?;
    let nin = classifier.model.nin();
    let labelled = data::parse_csv(&text, args.label_column.as_deref());
    if args.label_column.is_none() && !matches!(&labelled, Ok(d) if d.n_features() == nin) {
        if let Ok((features, feature_names)) = data::parse_features(&text) {
            if feature_names.len() == nin {
                return Ok(Rows {
                    features,
                    feature_names,
                    labels: None,
                    class_names: Vec::new(),
                });
            }
        }
    }
    let d = labelled.map_err(bad)?;
    classifier.check_features(&d).map_err(bad)?;
    let labels = d
        .classes
        .iter()
        .map(|&c| d.class_names[c].clone())
        .collect();
    Ok(Rows {
        features: d.features,
        feature_names: d.feature_names,
        labels: Some(labels),
        class_names: d.class_names,
    })
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
    if !has_names && rows.class_names.len() == classifier.class_names.len() {
        // A weights-only file has no class names: take the data's, in the order training
        // numbers them (numeric labels by value, others alphabetically).
        eprintln!(
            "note: {} has no class names; using the data's: {}",
            args.model.display(),
            rows.class_names.join(", ")
        );
        classifier.class_names = rows.class_names.clone();
    }
    if rows.labels.is_some()
        && rows
            .class_names
            .iter()
            .all(|l| classifier.class_of_label(l).is_none())
    {
        return Err(CliError::usage(format!(
            "{}: the data's labels ({}) match none of the model's classes ({}, from {})",
            args.data.display(),
            rows.class_names.join(", "),
            classifier.class_names.join(", "),
            args.model.display()
        )));
    }
    let predictions: Vec<&str> = rows
        .features
        .iter()
        .map(|x| classifier.predict_label(x))
        .collect();
    let right = rows.labels.as_ref().map(|labels| {
        labels
            .iter()
            .zip(&predictions)
            .filter(|(l, p)| classifier.class_of_label(l) == classifier.class_of_label(p))
            .count()
    });
    let n = rows.features.len();
    let accuracy = right.map(|r| r as f64 / n as f64);
    if args.json {
        let preds: Vec<serde_json::Value> = predictions.iter().map(|p| label_json(p)).collect();
        outln!(
            "{}",
            serde_json::json!({"accuracy": accuracy, "predictions": preds})
        )?;
        return Ok(());
    }
    let header = rows.feature_names.join(",");
    match &rows.labels {
        Some(_) => outln!("{header},prediction,label")?,
        None => outln!("{header},prediction")?,
    }
    for (i, (x, p)) in rows.features.iter().zip(&predictions).enumerate() {
        let xs: Vec<String> = x.iter().map(|v| v.to_string()).collect();
        match &rows.labels {
            Some(labels) => outln!("{},{p},{}", xs.join(","), labels[i])?,
            None => outln!("{},{p}", xs.join(","))?,
        }
    }
    if let (Some(a), Some(r)) = (accuracy, right) {
        outln!("accuracy {:.1}% ({r}/{n})", 100.0 * a)?;
    }
    Ok(())
}
