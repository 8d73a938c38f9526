//! `micrograd predict`: classify the rows of a CSV file with a saved model.

use std::path::PathBuf;

use clap::Args;

use crate::CliError;
use micrograd::data::{self, DataError, Dataset};
use micrograd::train::Classifier;

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
    /// The features, in the model's order.
    features: Vec<Vec<f64>>,
    /// Their names, in the model's order.
    feature_names: Vec<String>,
    /// The same rows with their labels, if the file has labels.
    labelled: Option<Dataset>,
}

/// Whether `names` are the defaults `x0`, `x1`, ... (no real names: match by position).
fn default_names(names: &[String]) -> bool {
    names.iter().enumerate().all(|(i, n)| *n == format!("x{i}"))
}

/// Reads the data. If the file has a header and the model has feature names (not the
/// defaults `x0`, `x1`, ...), the columns are matched by name, in any order; a missing
/// name is an error, and the one column left over (or `--label-column`) holds the labels.
/// Otherwise by position: labelled if the file has one column more than the model's inputs
/// (or a `--label-column`), unlabelled if it has exactly the model's inputs.
fn read_rows(args: &PredictArgs, classifier: &Classifier) -> Result<Rows, CliError> {
    let path = args.data.display();
    let bad = |e: DataError| CliError::usage(format!("{path}: {e}"));
    let text = data::read_csv_text(&args.data).map_err(|e| match e {
        DataError::Io { .. } => CliError::usage(format!("--data: {e}")),
        _ => bad(e),
    })?;
    let wanted = &classifier.feature_names;
    if let Some(header) = data::csv_header(&text).filter(|_| !default_names(wanted)) {
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|n| !header.contains(n) || args.label_column.as_ref() == Some(*n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(CliError::usage(format!(
                "{path}: the model's feature column(s) {} are not in the header ({}); columns \
                 are matched by name",
                missing.join(", "),
                header.join(", ")
            )));
        }
        let label = match &args.label_column {
            Some(l) => Some(l.clone()),
            None => {
                let extra: Vec<&String> = header.iter().filter(|h| !wanted.contains(h)).collect();
                match extra.as_slice() {
                    [] => None,
                    [one] => Some((*one).clone()),
                    _ => {
                        let names: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
                        return Err(CliError::usage(format!(
                            "{path}: the columns {} are not the model's features; name the \
                             label column with --label-column",
                            names.join(", ")
                        )));
                    }
                }
            }
        };
        // The position of each of the model's features among the file's feature columns.
        let reorder = |rows: Vec<Vec<f64>>, names: &[String]| -> Vec<Vec<f64>> {
            let at: Vec<usize> = wanted
                .iter()
                .map(|w| names.iter().position(|n| n == w).expect("checked above"))
                .collect();
            rows.iter()
                .map(|r| at.iter().map(|&j| r[j]).collect())
                .collect()
        };
        return match label {
            None => {
                let (rows, names) = data::parse_features(&text).map_err(bad)?;
                Ok(Rows {
                    features: reorder(rows, &names),
                    feature_names: wanted.clone(),
                    labelled: None,
                })
            }
            Some(label) => {
                let mut d = data::parse_csv(&text, Some(&label)).map_err(bad)?;
                d.features = reorder(std::mem::take(&mut d.features), &d.feature_names);
                d.feature_names = wanted.clone();
                Ok(Rows {
                    features: d.features.clone(),
                    feature_names: wanted.clone(),
                    labelled: Some(d),
                })
            }
        };
    }
    let nin = classifier.model.nin();
    let labelled = data::parse_csv(&text, args.label_column.as_deref());
    if args.label_column.is_none()
        && !matches!(&labelled, Ok(d) if d.n_features() == nin)
        && let Ok((features, feature_names)) = data::parse_features(&text)
        && feature_names.len() == nin
    {
        return Ok(Rows {
            features,
            feature_names,
            labelled: None,
        });
    }
    let d = labelled.map_err(bad)?;
    classifier.check_features(&d).map_err(bad)?;
    Ok(Rows {
        features: d.features.clone(),
        feature_names: d.feature_names.clone(),
        labelled: Some(d),
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
    if let Some(d) = &rows.labelled {
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
        .features
        .iter()
        .map(|x| classifier.predict_label(x))
        .collect();
    let n = rows.features.len();
    let accuracy = match &rows.labelled {
        Some(d) => Some(
            classifier
                .accuracy(d)
                .map_err(|e| CliError::usage(format!("{}: {e}", args.data.display())))?,
        ),
        None => None,
    };
    let labels: Option<Vec<&str>> = rows.labelled.as_ref().map(|d| {
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
    let header = rows.feature_names.join(",");
    match &labels {
        Some(_) => outln!("{header},prediction,label")?,
        None => outln!("{header},prediction")?,
    }
    for (i, (x, p)) in rows.features.iter().zip(&predictions).enumerate() {
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
