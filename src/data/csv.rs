//! Reading labelled data from CSV text.
//!
//! The format: comma-separated fields, one row per line; blank lines and lines starting with
//! `#` are skipped; fields are trimmed and may be wrapped in double quotes (no commas inside
//! quotes). The first row is a header when none of its fields is a number. Features are
//! numeric; the label is the last column unless a column is named. Labels are class names:
//! any text, each distinct one a class.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DataError, Dataset};

/// Reads the CSV file at `path` (see [`parse_csv`]).
///
/// Errors: [`DataError::Io`] if the file cannot be read, else as [`parse_csv`].
pub fn load_csv(path: &Path, label_column: Option<&str>) -> Result<Dataset, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_csv(&text, label_column)
}

/// Parses CSV text into a [`Dataset`].
///
/// `label_column` names the header column that holds the labels (the file must then have a
/// header); by default the label is the last column. Every other column is a feature and must
/// be a finite number.
///
/// Classes are numbered in the order of their labels: numerically if every label is a number
/// (so `-1` is class 0 and `1` class 1), otherwise alphabetically.
///
/// Errors name the line (and column) at fault: [`DataError::Empty`], [`DataError::NoRows`],
/// [`DataError::Ragged`], [`DataError::TooFewColumns`], [`DataError::NotNumeric`],
/// [`DataError::EmptyLabel`], [`DataError::UnknownLabelColumn`],
/// [`DataError::LabelColumnNeedsHeader`].
///
/// ```
/// use micrograd::data::parse_csv;
///
/// let d = parse_csv("a,b,label\n1,2,yes\n3,4,no\n", None).unwrap();
/// assert_eq!(d.features, [[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(d.class_names, ["no", "yes"]);
/// assert_eq!(d.classes, [1, 0]);
///
/// let e = parse_csv("a,b,label\n1,2,yes\n3,x,no\n", None).unwrap_err();
/// assert_eq!(e.to_string(), "line 3, column 2 (\"b\"): \"x\" is not a number (features must be numeric)");
/// ```
pub fn parse_csv(text: &str, label_column: Option<&str>) -> Result<Dataset, DataError> {
    let all: Vec<(usize, Vec<String>)> = records(text).collect();
    let Some((_, first)) = all.first() else {
        return Err(DataError::Empty);
    };
    let width = first.len();
    let header = first
        .iter()
        .all(|f| number(f).is_none())
        .then(|| first.clone());
    let label_at = match (label_column, &header) {
        (None, _) => width.saturating_sub(1),
        (Some(name), None) => {
            return Err(DataError::LabelColumnNeedsHeader {
                name: name.to_string(),
            });
        }
        (Some(name), Some(h)) => {
            h.iter()
                .position(|c| c == name)
                .ok_or_else(|| DataError::UnknownLabelColumn {
                    name: name.to_string(),
                    available: h.clone(),
                })?
        }
    };
    if width < 2 {
        return Err(DataError::TooFewColumns { found: width });
    }
    let feature_names: Vec<String> = (0..width)
        .filter(|&j| j != label_at)
        .map(|j| match &header {
            Some(h) if !h[j].is_empty() => h[j].clone(),
            _ => format!("x{}", if j < label_at { j } else { j - 1 }),
        })
        .collect();
    let data_rows = &all[usize::from(header.is_some())..];
    if data_rows.is_empty() {
        return Err(DataError::NoRows);
    }

    let mut features = Vec::with_capacity(data_rows.len());
    let mut labels = Vec::with_capacity(data_rows.len());
    for (line, fields) in data_rows {
        let line = *line;
        if fields.len() != width {
            return Err(DataError::Ragged {
                line,
                expected: width,
                found: fields.len(),
            });
        }
        let mut row = Vec::with_capacity(width - 1);
        for (j, field) in fields.iter().enumerate() {
            if j == label_at {
                continue;
            }
            let x = number(field).ok_or_else(|| DataError::NotNumeric {
                line,
                column: j + 1,
                name: header.as_ref().map(|h| h[j].clone()),
                text: field.clone(),
            })?;
            row.push(x);
        }
        let label = fields[label_at].clone();
        if label.is_empty() {
            return Err(DataError::EmptyLabel {
                line,
                column: label_at + 1,
            });
        }
        features.push(row);
        labels.push(label);
    }

    let class_names = class_order(&labels);
    let index: BTreeMap<&str, usize> = class_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let classes = labels.iter().map(|l| index[l.as_str()]).collect();
    Ok(Dataset {
        features,
        classes,
        class_names,
        feature_names,
    })
}

/// Parses CSV text without labels: every column is a numeric feature (for predicting).
/// Returns the rows and the feature names (from the header, or `x0`, `x1`, ...).
///
/// The format and the errors are those of [`parse_csv`] (less the label's).
///
/// ```
/// use micrograd::data::parse_features;
///
/// let (rows, names) = parse_features("a,b\n1,2\n3,4\n").unwrap();
/// assert_eq!(rows, [[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(names, ["a", "b"]);
/// ```
pub fn parse_features(text: &str) -> Result<(Vec<Vec<f64>>, Vec<String>), DataError> {
    let all: Vec<(usize, Vec<String>)> = records(text).collect();
    let Some((_, first)) = all.first() else {
        return Err(DataError::Empty);
    };
    let width = first.len();
    let header = first
        .iter()
        .all(|f| number(f).is_none())
        .then(|| first.clone());
    let names = (0..width)
        .map(|j| match &header {
            Some(h) if !h[j].is_empty() => h[j].clone(),
            _ => format!("x{j}"),
        })
        .collect();
    let data_rows = &all[usize::from(header.is_some())..];
    if data_rows.is_empty() {
        return Err(DataError::NoRows);
    }
    let mut rows = Vec::with_capacity(data_rows.len());
    for (line, fields) in data_rows {
        if fields.len() != width {
            return Err(DataError::Ragged {
                line: *line,
                expected: width,
                found: fields.len(),
            });
        }
        let row = fields
            .iter()
            .enumerate()
            .map(|(j, field)| {
                number(field).ok_or_else(|| DataError::NotNumeric {
                    line: *line,
                    column: j + 1,
                    name: header.as_ref().map(|h| h[j].clone()),
                    text: field.clone(),
                })
            })
            .collect::<Result<Vec<f64>, DataError>>()?;
        rows.push(row);
    }
    Ok((rows, names))
}

/// The header row of CSV text, if it has one (its first row, when none of its fields is a
/// number); `None` for a file without a header or without rows.
///
/// ```
/// use micrograd::data::csv_header;
/// assert_eq!(csv_header("b,a,y\n1,2,3\n").unwrap(), ["b", "a", "y"]);
/// assert_eq!(csv_header("1,2,3\n"), None);
/// ```
pub fn csv_header(text: &str) -> Option<Vec<String>> {
    let (_, first) = records(text).next()?;
    first.iter().all(|f| number(f).is_none()).then_some(first)
}

/// The distinct labels, sorted numerically if all are numbers, else as text.
fn class_order(labels: &[String]) -> Vec<String> {
    let mut distinct: Vec<String> = labels.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.iter().all(|l| number(l).is_some()) {
        distinct.sort_by(|a, b| {
            let (x, y) = (number(a).unwrap_or(0.0), number(b).unwrap_or(0.0));
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    }
    distinct
}

/// A field as a finite number, if it is one.
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The non-blank, non-comment lines of `text` as `(line number, trimmed fields)`.
fn records(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let fields = line.split(',').map(|f| unquote(f.trim()).to_string());
        Some((i + 1, fields.collect()))
    })
}

/// `"text"` → `text`; anything else unchanged.
fn unquote(field: &str) -> &str {
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .map_or(field, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headerless_numeric_labels_sort_numerically() {
        let d = parse_csv("1,2,10\n3,4,-1\n5,6,2\n", None).unwrap();
        assert_eq!(d.class_names, ["-1", "2", "10"]);
        assert_eq!(d.classes, [2, 0, 1]);
        assert_eq!(d.feature_names, ["x0", "x1"]);
    }

    #[test]
    fn named_label_column_in_the_middle() {
        let d = parse_csv("a,y,b\n1,cat,2\n3,dog,4\n", Some("y")).unwrap();
        assert_eq!(d.features, [[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(d.feature_names, ["a", "b"]);
        assert_eq!(d.class_names, ["cat", "dog"]);
    }

    #[test]
    fn blank_lines_comments_quotes_and_crlf() {
        let d = parse_csv(
            "# comment\r\n\"x\",\"y\"\r\n\r\n 1.5 , \"a\" \r\n2,b\r\n",
            None,
        )
        .unwrap();
        assert_eq!(d.features, [[1.5], [2.0]]);
        assert_eq!(d.class_names, ["a", "b"]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_csv("x0,x1,y\n1,2,1\n\n1,2\n", None).unwrap_err();
        assert_eq!(
            e,
            DataError::Ragged {
                line: 4,
                expected: 3,
                found: 2
            }
        );
        let e = parse_csv("1,2,1\n1,nan,0\n", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 2: \"nan\" is not a number (features must be numeric)"
        );
        assert_eq!(parse_csv("\n \n", None).unwrap_err(), DataError::Empty);
        assert_eq!(parse_csv("x,y\n", None).unwrap_err(), DataError::NoRows);
        assert_eq!(
            parse_csv("1\n2\n", None).unwrap_err(),
            DataError::TooFewColumns { found: 1 }
        );
        assert_eq!(
            parse_csv("1,\n", None).unwrap_err(),
            DataError::EmptyLabel { line: 1, column: 2 }
        );
        assert_eq!(
            parse_csv("1,2\n", Some("y")).unwrap_err(),
            DataError::LabelColumnNeedsHeader { name: "y".into() }
        );
        assert_eq!(
            parse_csv("a,b\n1,2\n", Some("y")).unwrap_err().to_string(),
            "--label-column \"y\": no such column in the header (columns: a, b)"
        );
    }
}
