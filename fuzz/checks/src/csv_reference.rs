//! The reference CSV reader: the library's reader as it was before it streamed its input
//! (one `String` per field), kept here to check that the streaming reader gives the same
//! data sets and the same errors, to the line and column.

#![allow(clippy::all)]

use std::collections::BTreeMap;

use micrograd::data::{DataError, Dataset};

/// The reference of `read_csv_text`: the text of the bytes, or the line of the first byte
/// that is not UTF-8.
pub fn text_of(bytes: &[u8]) -> Result<&str, DataError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        DataError::NotUtf8 {
            line: 1 + good.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

pub fn parse_csv(text: &str, label_column: Option<&str>) -> Result<Dataset, DataError> {
    parse_labelled(text, label_column, true)
}

pub fn parse_labelled(
    text: &str,
    label_column: Option<&str>,
    unique_names: bool,
) -> Result<Dataset, DataError> {
    let table = Table::read(text)?;
    let width = table.width;
    let label_at = match (label_column, &table.header) {
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
        .map(|j| table.name(j, if j < label_at { j } else { j - 1 }))
        .collect();
    if unique_names && let Some(h) = &table.header {
        // Repeated names are an error (F1 of issue #12, as the library has it).
        let mut names: Vec<&str> = feature_names.iter().map(String::as_str).collect();
        names.insert(label_at, &h[label_at]);
        if let Some(name) = names
            .iter()
            .enumerate()
            .find_map(|(i, n)| names[..i].contains(n).then_some(*n))
        {
            let columns = names
                .iter()
                .enumerate()
                .filter(|(_, m)| **m == name)
                .map(|(i, _)| i + 1)
                .collect();
            return Err(DataError::DuplicateColumn {
                name: name.to_string(),
                columns,
            });
        }
    }
    let rows = table.data_rows()?;
    let mut features = Vec::new(); // grows with the rows read: no capacity from the input
    let mut labels = Vec::new();
    for (line, fields) in rows {
        features.push(table.numbers(*line, fields, Some(label_at))?);
        let label = fields[label_at].clone();
        if label.is_empty() {
            return Err(DataError::EmptyLabel {
                line: *line,
                column: label_at + 1,
            });
        }
        labels.push(label);
    }
    let (class_names, classes) = classes_of(&labels);
    Ok(Dataset {
        features: rows_of(&features, feature_names.len()),
        classes,
        class_names,
        feature_names,
    })
}

pub fn parse_features(text: &str) -> Result<(Vec<Vec<f64>>, Vec<String>), DataError> {
    let table = Table::read(text)?;
    let names = (0..table.width).map(|j| table.name(j, j)).collect();
    let rows = table
        .data_rows()?
        .iter()
        .map(|(line, fields)| table.numbers(*line, fields, None))
        .collect::<Result<Vec<Vec<f64>>, DataError>>()?;
    Ok((rows, names))
}

pub fn csv_header(text: &str) -> Option<Vec<String>> {
    Table::read(text).ok()?.header
}

struct Table {
    header: Option<Vec<String>>,
    width: usize,
    records: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read(text: &str) -> Result<Table, DataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let records: Vec<(usize, Vec<String>)> = records(text).collect();
        let Some((_, first)) = records.first() else {
            return Err(DataError::Empty);
        };
        let header = first
            .iter()
            .all(|f| number(f).is_none())
            .then(|| first.clone());
        Ok(Table {
            header,
            width: first.len(),
            records,
        })
    }

    fn name(&self, j: usize, index: usize) -> String {
        match &self.header {
            Some(h) if !h[j].is_empty() => h[j].clone(),
            _ => format!("x{index}"),
        }
    }

    fn data_rows(&self) -> Result<&[(usize, Vec<String>)], DataError> {
        let rows = &self.records[usize::from(self.header.is_some())..];
        if rows.is_empty() {
            return Err(DataError::NoRows);
        }
        Ok(rows)
    }

    fn numbers(
        &self,
        line: usize,
        fields: &[String],
        skip: Option<usize>,
    ) -> Result<Vec<f64>, DataError> {
        if fields.len() != self.width {
            return Err(DataError::Ragged {
                line,
                expected: self.width,
                found: fields.len(),
            });
        }
        fields
            .iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != skip)
            .map(|(j, field)| {
                number(field).ok_or_else(|| DataError::NotNumeric {
                    line,
                    column: j + 1,
                    name: self.header.as_ref().map(|h| h[j].clone()),
                    text: field.clone(),
                })
            })
            .collect()
    }
}

fn classes_of(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let values: Option<Vec<f64>> = labels.iter().map(|l| number(l)).collect();
    match values {
        Some(values) => {
            // `+ 0.0` makes -0 and 0 one value.
            let key = |x: f64| (x + 0.0).to_bits();
            let mut first: BTreeMap<u64, (f64, &str)> = BTreeMap::new();
            for (&x, l) in values.iter().zip(labels) {
                first.entry(key(x)).or_insert((x + 0.0, l));
            }
            let mut distinct: Vec<(f64, &str)> = first.into_values().collect();
            distinct.sort_by(|a, b| a.0.total_cmp(&b.0));
            let id: BTreeMap<u64, usize> = distinct
                .iter()
                .enumerate()
                .map(|(i, (x, _))| (key(*x), i))
                .collect();
            let names = distinct.iter().map(|(_, l)| l.to_string()).collect();
            (names, values.iter().map(|&x| id[&key(x)]).collect())
        }
        None => {
            let mut names: Vec<String> = labels.to_vec();
            names.sort();
            names.dedup();
            let id: BTreeMap<&str, usize> = names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), i))
                .collect();
            let classes = labels.iter().map(|l| id[l.as_str()]).collect();
            (names, classes)
        }
    }
}

fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn records(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        Some((i + 1, split_fields(line)))
    })
}

fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut in_quotes, mut quoted) = (false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes => {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            }
            '"' if !quoted && field.trim().is_empty() => {
                field.clear();
                (in_quotes, quoted) = (true, true);
            }
            ',' if !in_quotes => {
                fields.push(field.trim().to_string());
                field.clear();
                quoted = false;
            }
            c => field.push(c),
        }
    }
    fields.push(field.trim().to_string());
    fields
}

/// `rows` as the library's [`Rows`] of `width` numbers each (the width kept when there are
/// no rows).
pub fn rows_of(rows: &[Vec<f64>], width: usize) -> micrograd::data::Rows {
    let mut out = micrograd::data::Rows::new(width);
    for r in rows {
        out.push(r);
    }
    out
}
