//! `micrograd predict`: classify the rows of a CSV file with a saved model.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::data;
use crate::train::Classifier;

/// Arguments of `micrograd predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file written by `train --save FILE.json` (or FILE.safetensors: the classes
    /// are then named 0, 1, ...).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The data: a CSV file with the same feature columns as the training data, and labels.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// The CSV column that holds the labels (needs a header row) [default: the last].
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Print one JSON object: `{"accuracy": x, "predictions": [...]}`.
    #[arg(long)]
    pub json: bool,
}

/// Runs `micrograd predict`.
pub fn run(args: &PredictArgs) -> Result<(), CliError> {
    let classifier = Classifier::load(&args.model).map_err(|e| CliError::usage(e.to_string()))?;
    let d = data::load_csv(&args.data, args.label_column.as_deref())
        .map_err(|e| CliError::usage(format!("{}: {e}", args.data.display())))?;
    let accuracy = classifier
        .accuracy(&d)
        .map_err(|e| CliError::usage(format!("{}: {e}", args.data.display())))?;
    let predictions: Vec<&str> = d
        .features
        .iter()
        .map(|x| classifier.predict_label(x))
        .collect();
    if args.json {
        // Labels that are numbers are written as numbers, as in the file.
        let preds: Vec<serde_json::Value> = predictions
            .iter()
            .map(|p| match p.parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => match p.parse::<f64>() {
                    Ok(x) if x.is_finite() => serde_json::Value::from(x),
                    _ => serde_json::Value::from(*p),
                },
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"accuracy": accuracy, "predictions": preds})
        );
    } else {
        let names = &d.feature_names;
        println!("{},prediction,label", names.join(","));
        for ((x, &c), p) in d.features.iter().zip(&d.classes).zip(&predictions) {
            let xs: Vec<String> = x.iter().map(|v| v.to_string()).collect();
            println!("{},{p},{}", xs.join(","), d.class_names[c]);
        }
        let right = (accuracy * d.len() as f64).round() as usize;
        println!("accuracy {:.1}% ({right}/{})", 100.0 * accuracy, d.len());
    }
    Ok(())
}
