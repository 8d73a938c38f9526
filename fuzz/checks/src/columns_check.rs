//! The `predict_columns` target: how `predict` matches a file's columns to a model's
//! features ([`Classifier::parse_csv`] on text, [`Classifier::load_csv`] on a file) against
//! the reference: that matching as it was written first (reading the text up to twice, on
//! the reference reader (`csv_reference`)). The input's first line is the model's
//! feature names (comma-separated; `@` for the default names of that many inputs, e.g.
//! `@3`), optionally `|` and a label column; the rest is the CSV file.

#![allow(clippy::all)]

use micrograd::Tape;
use micrograd::data::DataError;
use micrograd::nn::MLP;
use micrograd::train::{Classifier, CsvRows, LossKind};

use crate::csv_reference as reference;
use crate::{assert_clean, temp_path};

/// Checks one input.
pub fn check(data: &[u8]) {
    let cut = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let first = String::from_utf8_lossy(&data[..cut]);
    let csv = data.get(cut + 1..).unwrap_or(&[]);
    let (names, label) = match first.split_once('|') {
        Some((n, l)) => (n.to_string(), Some(l.to_string())),
        None => (first.to_string(), None),
    };
    let feature_names: Vec<String> = match names.strip_prefix('@') {
        Some(k) => {
            let k = k.trim().parse::<usize>().unwrap_or(1).clamp(1, 8);
            (0..k).map(|i| format!("x{i}")).collect()
        }
        None => names.split(',').take(8).map(|s| s.to_string()).collect(),
    };
    let _scope = Tape::scope();
    let c = Classifier {
        model: MLP::new(feature_names.len(), &[2, 1]),
        loss: LossKind::Svm,
        class_names: vec!["0".into(), "1".into()],
        feature_names,
    };
    let label = label.as_deref();
    let path = temp_path("columns.csv");
    std::fs::write(&path, csv).expect("the temporary file is written");
    let from_file = c.load_csv(&path, label);
    let _ = std::fs::remove_file(&path);
    let want = match reference::text_of(csv) {
        Err(e) => Err(e),
        Ok(text) => {
            let want = parse_csv(&c, text, label);
            assert_eq!(c.parse_csv(text, label), want, "Classifier::parse_csv");
            want
        }
    };
    assert_eq!(from_file, want, "Classifier::load_csv");
    if let Err(e) = &from_file {
        assert_clean("Classifier::load_csv", &e.to_string());
    }
}

fn has_feature_names(c: &Classifier) -> bool {
    !c.feature_names
        .iter()
        .enumerate()
        .all(|(i, n)| *n == format!("x{i}"))
}

/// The first repeated name and its positions (from 1).
fn first_repeat(names: &[String]) -> Option<(String, Vec<usize>)> {
    let name = names
        .iter()
        .enumerate()
        .find_map(|(i, n)| names[..i].contains(n).then_some(n.clone()))?;
    let at = names
        .iter()
        .enumerate()
        .filter(|(_, n)| **n == name)
        .map(|(i, _)| i + 1)
        .collect();
    Some((name, at))
}

pub fn parse_csv(
    c: &Classifier,
    text: &str,
    label_column: Option<&str>,
) -> Result<CsvRows, DataError> {
    let wanted = &c.feature_names;
    if let Some(header) = reference::csv_header(text).filter(|_| has_feature_names(c)) {
        return match_by_name(c, text, &header, label_column);
    }
    let nin = c.model.nin();
    let labelled = reference::parse_labelled(text, label_column, false);
    if label_column.is_none()
        && !matches!(&labelled, Ok(d) if d.n_features() == nin)
        && let Ok((features, feature_names)) = reference::parse_features(text)
        && feature_names.len() == nin
    {
        return Ok(CsvRows::Unlabelled {
            features: reference::rows_of(&features, feature_names.len()),
            feature_names,
        });
    }
    let d = labelled?;
    c.check_features(&d)?;
    debug_assert!(wanted.len() == d.n_features());
    Ok(CsvRows::Labelled(d))
}

/// [`Classifier::parse_csv`] for a text with a header, matched to the model's feature
/// names.
fn match_by_name(
    c: &Classifier,
    text: &str,
    header: &[String],
    label_column: Option<&str>,
) -> Result<CsvRows, DataError> {
    let wanted = &c.feature_names;
    if let Some((name, features)) = first_repeat(wanted) {
        return Err(DataError::DuplicateFeatureName { name, features });
    }
    let missing: Vec<String> = wanted
        .iter()
        // As the library since the fuzzer found a model feature named "" (an empty header
        // field names no column).
        .filter(|n| n.is_empty() || !header.contains(n) || label_column == Some(n.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(DataError::MissingFeatures {
            missing,
            header: header.to_vec(),
        });
    }
    // Where a name is in the header: exactly once, or it is ambiguous.
    let once = |name: &str| -> Result<(), DataError> {
        let columns: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == name)
            .map(|(j, _)| j + 1)
            .collect();
        if columns.len() > 1 {
            return Err(DataError::DuplicateColumn {
                name: name.to_string(),
                columns,
            });
        }
        Ok(())
    };
    for w in wanted {
        once(w)?;
    }
    let label = match label_column {
        Some(l) => Some(l.to_string()),
        None => {
            let mut extra: Vec<String> = Vec::new();
            for h in header {
                if !wanted.contains(h) && !extra.contains(h) {
                    extra.push(h.clone());
                }
            }
            match extra.len() {
                0 => None,
                1 => extra.pop(),
                _ => return Err(DataError::ExtraColumns { columns: extra }),
            }
        }
    };
    if let Some(l) = &label {
        once(l)?;
    }
    // The position of each of the model's features among the text's feature columns.
    let reorder = |rows: Vec<Vec<f64>>, names: &[String]| -> Vec<Vec<f64>> {
        let at: Vec<usize> = wanted
            .iter()
            .map(|w| names.iter().position(|n| n == w).expect("checked above"))
            .collect();
        rows.iter()
            .map(|r| at.iter().map(|&j| r[j]).collect())
            .collect()
    };
    match label {
        None => {
            let (rows, names) = reference::parse_features(text)?;
            Ok(CsvRows::Unlabelled {
                features: reference::rows_of(&reorder(rows, &names), wanted.len()),
                feature_names: wanted.clone(),
            })
        }
        Some(label) => {
            let mut d = reference::parse_labelled(text, Some(&label), false)?;
            d.features = reference::rows_of(
                &reorder(d.features.to_vecs(), &d.feature_names),
                wanted.len(),
            );
            d.feature_names = wanted.clone();
            Ok(CsvRows::Labelled(d))
        }
    }
}
