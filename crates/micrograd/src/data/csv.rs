//! Reading labelled data from CSV text.
//!
//! The format: comma-separated fields, one row per line; blank lines and lines starting with
//! `#` are skipped; fields are trimmed and may be wrapped in double quotes (no commas inside
//! quotes). The first row is a header when none of its fields is a number. Features are
//! numeric; the label is the last column unless a column is named. Labels are class names:
//! any text, each distinct one a class; if all are numbers, each distinct value is a class
//! (`1` and `1.0` are one). A leading UTF-8 byte-order mark is ignored; a file that is not
//! UTF-8 is an error naming the line. One reader (`Table`) does all of this for
//! [`parse_csv`], [`parse_features`] and [`csv_header`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{DataError, Dataset};

/// Reads the text of the file at `path` for [`parse_csv`] or [`parse_features`].
///
/// Errors: [`DataError::Io`] if the file cannot be read, [`DataError::NotUtf8`] (naming the
/// line of the first bad byte) if it is not UTF-8.
pub fn read_csv_text(path: &Path) -> Result<String, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        DataError::NotUtf8 {
            line: 1 + good.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

/// Reads the CSV file at `path` (see [`read_csv_text`] and [`parse_csv`]).
///
/// Errors: [`DataError::Io`], [`DataError::NotUtf8`], else as [`parse_csv`].
pub fn load_csv(path: &Path, label_column: Option<&str>) -> Result<Dataset, DataError> {
    parse_csv(&read_csv_text(path)?, label_column)
}

/// Parses CSV text into a [`Dataset`].
///
/// `label_column` names the header column that holds the labels (the file must then have a
/// header); by default the label is the last column. Every other column is a feature and must
/// be a finite number. A leading byte-order mark is ignored.
///
/// Labels are class names. If every label is a number, labels of the same value are one
/// class (`1`, `1.0` and `+1` are the same), named by the label's text where it first
/// appears in the file (so micrograd's `-1`/`1` stay as written), and classes are numbered
/// by value (`-1` is class 0, `1` class 1); otherwise each distinct text is a class, numbered
/// alphabetically.
///
/// The names of the header (the features' and the label's) must differ, since a model
/// trained on the data matches a file's columns to its features by name:
/// [`DataError::DuplicateColumn`] names the repeated name and its columns.
///
/// Errors name the line (and column) at fault: [`DataError::Empty`], [`DataError::NoRows`],
/// [`DataError::Ragged`], [`DataError::TooFewColumns`], [`DataError::NotNumeric`],
/// [`DataError::EmptyLabel`], [`DataError::UnknownLabelColumn`],
/// [`DataError::LabelColumnNeedsHeader`], [`DataError::DuplicateColumn`].
///
/// ```
/// use micrograd::data::{DataError, parse_csv};
///
/// let d = parse_csv("a,b,label\n1,2,yes\n3,4,no\n", None).unwrap();
/// assert_eq!(d.features, [[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(d.class_names, ["no", "yes"]);
/// assert_eq!(d.classes, [1, 0]);
///
/// let d = parse_csv("x,y\n1,1\n2,-1\n3,1.0\n", None).unwrap();
/// assert_eq!((d.class_names, d.classes), (vec!["-1".to_string(), "1".to_string()], vec![1, 0, 1]));
///
/// let e = parse_csv("a,b,label\n1,2,yes\n3,x,no\n", None).unwrap_err();
/// assert_eq!(e.to_string(), "line 3, column 2 (\"b\"): \"x\" is not a number (features must be numeric)");
///
/// let e = parse_csv("a,a,y\n1,2,yes\n", None).unwrap_err();
/// assert_eq!(e, DataError::DuplicateColumn { name: "a".into(), columns: vec![1, 2] });
/// ```
pub fn parse_csv(text: &str, label_column: Option<&str>) -> Result<Dataset, DataError> {
    parse_labelled(text, label_column, true)
}

/// [`parse_csv`]; with `unique_names` false, a header that repeats names is not an error
/// (for a caller that matches columns by position, or checks the names it uses itself).
pub(crate) fn parse_labelled(
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
        // Each column's name as the data set keeps it, in file order.
        let mut names: Vec<&str> = feature_names.iter().map(String::as_str).collect();
        names.insert(label_at, &h[label_at]);
        if let Some((name, columns)) = first_repeat(&names) {
            return Err(DataError::DuplicateColumn { name, columns });
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
    let table = Table::read(text)?;
    let names = (0..table.width).map(|j| table.name(j, j)).collect();
    let rows = table
        .data_rows()?
        .iter()
        .map(|(line, fields)| table.numbers(*line, fields, None))
        .collect::<Result<Vec<Vec<f64>>, DataError>>()?;
    Ok((rows, names))
}

/// The first name of `names` that occurs more than once, and its positions (counting from 1).
pub(crate) fn first_repeat<S: AsRef<str>>(names: &[S]) -> Option<(String, Vec<usize>)> {
    let mut seen = BTreeSet::new();
    let name = names.iter().map(AsRef::as_ref).find(|&n| !seen.insert(n))?;
    let at = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.as_ref() == name)
        .map(|(i, _)| i + 1)
        .collect();
    Some((name.to_string(), at))
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
    Table::read(text).ok()?.header
}

/// The records of CSV text: the header (if any), the width (the first row's fields) and
/// every record as `(line, fields)`, the header included. The one reader behind
/// [`parse_csv`], [`parse_features`] and [`csv_header`].
struct Table {
    header: Option<Vec<String>>,
    width: usize,
    records: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Splits `text` into records; errors with [`DataError::Empty`] if there are none.
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

    /// The name of column `j`: the header's, or `x{index}` without one (or if it is empty).
    fn name(&self, j: usize, index: usize) -> String {
        match &self.header {
            Some(h) if !h[j].is_empty() => h[j].clone(),
            _ => format!("x{index}"),
        }
    }

    /// The records after the header; [`DataError::NoRows`] if there are none.
    fn data_rows(&self) -> Result<&[(usize, Vec<String>)], DataError> {
        let rows = &self.records[usize::from(self.header.is_some())..];
        if rows.is_empty() {
            return Err(DataError::NoRows);
        }
        Ok(rows)
    }

    /// The numbers of a row's fields, but the one at `skip`; errors with
    /// [`DataError::Ragged`] or [`DataError::NotNumeric`], naming the line and column.
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

/// The classes of the labels: their names in class-id order, and each label's class id.
/// All numbers: one class per value (named by its first text), by value; else one class per
/// text, alphabetically.
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
        Some((i + 1, split_fields(line)))
    })
}

/// The fields of one line, trimmed: commas separate them, except inside double quotes. A
/// quoted field (`"a, b"`) may hold commas and `""` for a quote (as RFC 4180; a quoted field
/// does not span lines); its quotes are removed and its text trimmed. An unclosed quote runs
/// to the end of the line.
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
    fn quoted_fields_may_hold_commas_and_quotes() {
        assert_eq!(
            split_fields(r#" 1 , "a, b" ,"say ""hi""",x"#),
            ["1", "a, b", r#"say "hi""#, "x"]
        );
        assert_eq!(
            split_fields(r#""unclosed, to the end"#),
            ["unclosed, to the end"]
        );
        assert_eq!(split_fields("a,,b"), ["a", "", "b"]);
        let d = parse_csv("x0,label\n1,\"setosa, iris\"\n2,\"versicolor\"\n", None).unwrap();
        assert_eq!(d.class_names, ["setosa, iris", "versicolor"]);
        assert_eq!(d.features, [[1.0], [2.0]]);
    }

    #[test]
    fn numeric_labels_of_one_value_are_one_class() {
        let d = parse_csv("1,1\n2,1.0\n3,-1\n4,+1\n5,-0\n6,0\n", None).unwrap();
        assert_eq!(d.class_names, ["-1", "-0", "1"]);
        assert_eq!(d.classes, [2, 2, 0, 2, 1, 1]);
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let d = parse_csv("\u{feff}a,b,y\n1,2,p\n", None).unwrap();
        assert_eq!(d.feature_names, ["a", "b"]);
        assert_eq!(parse_features("\u{feff}1,2\n").unwrap().0, [[1.0, 2.0]]);
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
            "no column named \"y\" in the header to take the labels from (columns: a, b)"
        );
    }
}
