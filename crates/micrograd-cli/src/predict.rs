//! `micrograd predict`: classify the rows of a CSV file with a saved model.

use std::path::PathBuf;

use clap::Args;

use crate::CliError;
use crate::train::data_message;
use micrograd::data::DataError;
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

/// Reads the data, streaming the file, and matches its columns to the model's features
/// ([`Classifier::load_csv`]: by name when both have names, else by position).
fn read_rows(args: &PredictArgs, classifier: &Classifier) -> Result<CsvRows, CliError> {
    let path = args.data.display();
    classifier
        .load_csv(&args.data, args.label_column.as_deref())
        .map_err(|e| match e {
            DataError::Io { .. } => CliError::usage(format!("--data: {e}")),
            _ => CliError::usage(format!("{path}: {}", data_message(&e))),
        })
}

/// Lines of output are gathered up to this many bytes, then written at once.
const OUT_CHUNK: usize = 1 << 16;

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
    // One class id per row (not a label's text: 8 bytes a row, whatever the labels).
    let predicted: Vec<usize> = rows
        .features()
        .iter()
        .map(|x| classifier.predict_class(x))
        .collect();
    let n = rows.len();
    let accuracy = match rows.labelled() {
        Some(d) => {
            classifier
                .check_features(d)
                .map_err(|e| CliError::usage(format!("{}: {e}", args.data.display())))?;
            Some(classifier.accuracy_of(d, &predicted))
        }
        None => None,
    };
    let label_of = |i: usize| {
        rows.labelled()
            .map(|d| d.class_names[d.classes[i]].as_str())
    };
    let mut out = String::with_capacity(OUT_CHUNK + 256);
    let flush = |out: &mut String, force: bool| -> Result<(), CliError> {
        if force || out.len() >= OUT_CHUNK {
            out!("{out}")?;
            out.clear();
        }
        Ok(())
    };
    if args.json {
        // `{"accuracy": a, "predictions": [...]}` as serde_json writes it, one prediction at
        // a time.
        let accuracy = serde_json::to_string(&accuracy).expect("a number serializes");
        out.push_str(&format!("{{\"accuracy\":{accuracy},\"predictions\":["));
        for (i, &p) in predicted.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&label_json(&classifier.class_names[p]).to_string());
            flush(&mut out, false)?;
        }
        out.push_str("]}\n");
        return flush(&mut out, true);
    }
    let header = rows.feature_names().join(",");
    match rows.labelled() {
        Some(_) => outln!("{header},prediction,label")?,
        None => outln!("{header},prediction")?,
    }
    for (i, (x, &p)) in rows.features().iter().zip(&predicted).enumerate() {
        for (j, v) in x.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&v.to_string());
        }
        out.push(',');
        out.push_str(&classifier.class_names[p]);
        if let Some(l) = label_of(i) {
            out.push(',');
            out.push_str(l);
        }
        out.push('\n');
        flush(&mut out, false)?;
    }
    flush(&mut out, true)?;
    if let Some(a) = accuracy {
        let right = (a * n as f64).round() as usize;
        outln!("accuracy {:.1}% ({right}/{n})", 100.0 * a)?;
    }
    Ok(())
}
