//! Errors from reading or checking data.

use std::fmt::{self, Write as _};

use crate::text::Escaped;

/// What is wrong with a data file or a data set; the message names the line and column.
///
/// Lines and columns count from 1, as an editor shows them; the header, if any, is line 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The file could not be read.
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The file is not UTF-8 text.
    NotUtf8 {
        /// The line of the first byte that is not UTF-8.
        line: usize,
    },
    /// The file has no rows at all (or only blank lines).
    Empty,
    /// The file has a header row but no data rows.
    NoRows,
    /// A row has a different number of fields than the first row.
    Ragged {
        /// The line of the row.
        line: usize,
        /// Fields in the first row.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// The rows have fewer than two columns (one feature and the label are needed).
    TooFewColumns {
        /// Columns found.
        found: usize,
    },
    /// A feature field is not a finite number.
    NotNumeric {
        /// The line of the row.
        line: usize,
        /// The column of the field.
        column: usize,
        /// The column's header name, if the file has a header.
        name: Option<String>,
        /// The field's text.
        text: String,
    },
    /// A label field is empty.
    EmptyLabel {
        /// The line of the row.
        line: usize,
        /// The label's column.
        column: usize,
    },
    /// `--label-column NAME` names no column of the header.
    UnknownLabelColumn {
        /// The requested name.
        name: String,
        /// The header's names.
        available: Vec<String>,
    },
    /// `--label-column NAME` was given but the file has no header row.
    LabelColumnNeedsHeader {
        /// The requested name.
        name: String,
    },
    /// The data has the wrong number of classes for what is asked of it.
    Classes {
        /// The label text of the classes present.
        found: Vec<String>,
        /// What is needed, e.g. "exactly 2" or "at least 2".
        needed: String,
    },
    /// The data's features do not match what the model expects.
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Features the data has.
        found: usize,
    },
}

impl fmt::Display for DataError {
    /// The message, with control characters from the file escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = &mut Escaped(f);
        match self {
            DataError::Io { path, message } => write!(f, "cannot read {path}: {message}"),
            DataError::NotUtf8 { line } => write!(
                f,
                "line {line}: the text is not UTF-8 (save the file as UTF-8 text)"
            ),
            DataError::Empty => write!(f, "the file is empty (no rows)"),
            DataError::NoRows => write!(f, "the file has a header row but no data rows"),
            DataError::Ragged {
                line,
                expected,
                found,
            } => write!(
                f,
                "line {line}: {found} fields, but the first row has {expected} (ragged row)"
            ),
            DataError::TooFewColumns { found } => write!(
                f,
                "line 1: {found} column(s); need at least 2 (features, then a label)"
            ),
            DataError::NotNumeric {
                line,
                column,
                name,
                text,
            } => {
                write!(f, "line {line}, column {column}")?;
                if let Some(n) = name {
                    write!(f, " ({n:?})")?;
                }
                write!(f, ": {text:?} is not a number (features must be numeric)")
            }
            DataError::EmptyLabel { line, column } => {
                write!(f, "line {line}, column {column}: the label is empty")
            }
            DataError::UnknownLabelColumn { name, available } => write!(
                f,
                "--label-column {name:?}: no such column in the header (columns: {})",
                available.join(", ")
            ),
            DataError::LabelColumnNeedsHeader { name } => write!(
                f,
                "--label-column {name:?}: the file has no header row to find it in"
            ),
            DataError::Classes { found, needed } => {
                let names: Vec<String> = found.iter().map(|n| format!("{n:?}")).collect();
                let s = if found.len() == 1 { "" } else { "es" };
                write!(
                    f,
                    "the data has {} class{s} ({}), but {needed} are needed",
                    found.len(),
                    names.join(", ")
                )
            }
            DataError::FeatureCount { expected, found } => write!(
                f,
                "the data has {found} feature column(s), but the model takes {expected}"
            ),
        }
    }
}

impl std::error::Error for DataError {}
