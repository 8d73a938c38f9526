//! Errors from reading or checking data.

use std::fmt::{self, Write as _};
use std::ops::RangeInclusive;

use super::Generator;
use crate::text::Escaped;
use crate::train::{group_digits, short_number};

/// What is wrong with a data file, a data set or a generator's parameters; the message names
/// the line and column, or the parameter, and says what is allowed. Messages speak of the
/// data, not of a command line's flags (the command line adds those).
///
/// Lines and columns count from 1, as an editor shows them; the header, if any, is line 1.
#[derive(Debug, Clone, PartialEq)]
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
    /// The label column asked for names no column of the header.
    UnknownLabelColumn {
        /// The requested name.
        name: String,
        /// The header's names.
        available: Vec<String>,
    },
    /// A label column was asked for by name, but the file has no header row.
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
    /// The file's data does not fit in memory (reserving room for it failed at this line):
    /// an error rather than an abort.
    TooLarge {
        /// The line being read.
        line: usize,
    },
    /// A line is longer than [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES) (a file with
    /// no line breaks, or not a CSV file at all): an error before it is held in memory.
    LineTooLong {
        /// The line.
        line: usize,
    },
    /// A line has more than [`MAX_COLUMNS`](super::MAX_COLUMNS) fields.
    TooManyColumns {
        /// The line.
        line: usize,
    },
    /// The data has no feature columns (a network needs at least one input).
    NoFeatures,
    /// The header names a column more than once, where columns are matched by name (a
    /// data set's features and label, or the columns a model's features are looked up in).
    DuplicateColumn {
        /// The repeated name.
        name: String,
        /// The columns that have it (counting from 1), at least two.
        columns: Vec<usize>,
    },
    /// Feature names repeat (a data set's, or a model's that is matched to a file by name).
    DuplicateFeatureName {
        /// The repeated name.
        name: String,
        /// The features that have it (counting from 1), at least two.
        features: Vec<usize>,
    },
    /// Columns are matched to a model's features by name, and some are not in the header.
    MissingFeatures {
        /// The model's feature names that the header lacks (or that are the label column).
        missing: Vec<String>,
        /// The header's names.
        header: Vec<String>,
    },
    /// Columns are matched to a model's features by name, and more than one column is
    /// left over, so which one holds the labels is not known (name it).
    ExtraColumns {
        /// The names of the columns that are not the model's features.
        columns: Vec<String>,
    },
    /// A generator was asked for a number of examples outside what it makes.
    SampleCount {
        /// The generator.
        generator: Generator,
        /// The number of examples asked for.
        samples: usize,
        /// The numbers allowed ([`MIN_SAMPLES`](super::MIN_SAMPLES) to
        /// [`MAX_SAMPLES`](super::MAX_SAMPLES)).
        allowed: RangeInclusive<usize>,
    },
    /// A generator's noise is negative or not a number.
    Noise {
        /// The generator.
        generator: Generator,
        /// The noise given.
        noise: f64,
    },
    /// A number of classes was given to a generator whose classes are fixed (moons,
    /// circles).
    FixedClasses {
        /// The generator.
        generator: Generator,
        /// The number of classes given.
        classes: usize,
        /// The generator's number of classes.
        fixed: usize,
    },
    /// A generator was asked for a number of classes outside what it can make: fewer than
    /// [`MIN_CLASSES`](super::MIN_CLASSES), or more than the examples.
    ClassCount {
        /// The generator.
        generator: Generator,
        /// The number of classes asked for.
        classes: usize,
        /// The numbers allowed: from [`MIN_CLASSES`](super::MIN_CLASSES) to the number of
        /// examples.
        allowed: RangeInclusive<usize>,
    },
}

/// `1`, `1 and 2`, `1, 2 and 3`.
fn and_list(items: &[usize]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(usize::to_string).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
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
                "no column named {name:?} in the header to take the labels from (columns: {})",
                available.join(", ")
            ),
            DataError::LabelColumnNeedsHeader { name } => write!(
                f,
                "the labels were asked for from the column named {name:?}, but the file has \
                 no header row to find it in"
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
            DataError::TooLarge { line } => write!(
                f,
                "line {line}: the data does not fit in memory (use a smaller file, or a \
                 machine with more memory)"
            ),
            DataError::LineTooLong { line } => write!(
                f,
                "line {line}: longer than {} MiB (a CSV line holds one example; is this a CSV \
                 file?)",
                super::MAX_LINE_BYTES >> 20
            ),
            DataError::TooManyColumns { line } => write!(
                f,
                "line {line}: more than {} columns",
                group_digits(super::MAX_COLUMNS)
            ),
            DataError::NoFeatures => write!(f, "the data has no feature columns"),
            DataError::DuplicateColumn { name, columns } => write!(
                f,
                "the header names {name:?} more than once (columns {}): columns are matched \
                 by name, so their names must differ",
                and_list(columns)
            ),
            DataError::DuplicateFeatureName { name, features } => write!(
                f,
                "the feature name {name:?} is used more than once (features {}): features \
                 are matched to columns by name, so their names must differ",
                and_list(features)
            ),
            DataError::MissingFeatures { missing, header } => write!(
                f,
                "the model's feature column(s) {} are not in the header ({}); columns are \
                 matched by name",
                missing.join(", "),
                header.join(", ")
            ),
            DataError::ExtraColumns { columns } => write!(
                f,
                "the columns {} are not the model's features, and only one can hold the \
                 labels: name the label column",
                columns.join(", ")
            ),
            DataError::SampleCount {
                generator,
                samples,
                allowed,
            } => write!(
                f,
                "{generator}: cannot generate {samples} example{} (from {} to {} are allowed)",
                if *samples == 1 { "" } else { "s" },
                group_digits(*allowed.start()),
                group_digits(*allowed.end())
            ),
            DataError::Noise { generator, noise } => write!(
                f,
                "{generator}: the noise must be a number >= 0, not {}",
                short_number(*noise)
            ),
            DataError::FixedClasses {
                generator,
                classes,
                fixed,
            } => {
                let settable: Vec<&str> = Generator::ALL
                    .iter()
                    .filter(|g| g.has_classes())
                    .map(|g| g.name())
                    .collect();
                write!(
                    f,
                    "{generator}: cannot generate {classes} classes ({generator} always has \
                     {fixed}; the number of classes can be chosen for {} only)",
                    settable.join(" and ")
                )
            }
            DataError::ClassCount {
                generator,
                classes,
                allowed,
            } => {
                if classes < allowed.start() {
                    write!(
                        f,
                        "{generator}: cannot generate {classes} class{} (at least {} are \
                         needed)",
                        if *classes == 1 { "" } else { "es" },
                        allowed.start()
                    )
                } else {
                    write!(
                        f,
                        "{generator}: cannot generate {classes} classes from {} examples \
                         (each class needs at least one example)",
                        allowed.end()
                    )
                }
            }
        }
    }
}

impl std::error::Error for DataError {}
