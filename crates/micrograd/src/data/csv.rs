//! Reading labelled data from CSV text.
//!
//! The format: comma-separated fields, one row per line; blank lines and lines starting with
//! `#` are skipped; fields are trimmed and may be wrapped in double quotes (no commas inside
//! quotes). The first row is a header when none of its fields is a number. Features are
//! numeric; the label is the last column unless a column is named. Labels are class names:
//! any text, each distinct one a class; if all are numbers, each distinct value is a class
//! (`1` and `1.0` are one). A leading UTF-8 byte-order mark is ignored; a file that is not
//! UTF-8 is an error naming the line.
//!
//! One streaming reader ([`Records`]) does all of this for [`load_csv`], [`load_features`],
//! [`parse_csv`], [`parse_features`] and [`csv_header`]: a file is read a line at a time
//! (never whole), each field is parsed to an `f64` as it is read (no `String` per field),
//! and each label is kept once per distinct text (a row holds its index). So the memory of a
//! data set is that of its numbers: a row of `k` features costs `8 k` bytes and its vector.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::path::Path;

use super::{DataError, Dataset, Rows};

/// The longest line a CSV file may have, in bytes: 4 MiB (a line is one example, 400,000
/// features of 10 characters; a longer one is not a data file). A line is held whole before
/// it is split, and its fields' spans take up to 16 bytes per byte of it (a line of commas),
/// so this bounds what reading one line holds to about 80 MiB.
pub const MAX_LINE_BYTES: usize = 4 << 20;

/// The most columns a CSV file may have: 100,000 (the fields of a line are checked
/// against it before any is kept, so a header of that many names stays a few MiB).
pub const MAX_COLUMNS: usize = 100_000;

/// How much more of the input [`Records::finish`] reads after an error, looking for a
/// UTF-8 error that a file read whole would have reported first: 64 MiB.
const FINISH_SCAN_BYTES: usize = 64 << 20;

/// Reads the text of the file at `path` (whole: for small files, or for calling
/// [`parse_csv`] and [`parse_features`] on one text; [`load_csv`] and [`load_features`]
/// stream the file instead).
///
/// Errors: [`DataError::Io`] if the file cannot be read, [`DataError::NotUtf8`] (naming the
/// line of the first bad byte) if it is not UTF-8.
pub fn read_csv_text(path: &Path) -> Result<String, DataError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        DataError::NotUtf8 {
            line: 1 + good.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

fn io_error(path: &Path, e: &std::io::Error) -> DataError {
    DataError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads the CSV file at `path`, streaming it, as [`parse_csv`] reads its text: a line at a
/// time, each field parsed to a number as it is read and each distinct label kept once, so
/// the memory is that of the numbers (a row of `k` features: `8 k` bytes and its vector),
/// not of the text.
///
/// Errors: [`DataError::Io`], [`DataError::NotUtf8`] (which wins over any other error, as
/// for a file read whole: the whole file is checked), else as [`parse_csv`].
pub fn load_csv(path: &Path, label_column: Option<&str>) -> Result<Dataset, DataError> {
    load_labelled(path, label_column, true)
}

/// [`load_csv`]; with `unique_names` false, as [`parse_labelled`].
pub(crate) fn load_labelled(
    path: &Path,
    label_column: Option<&str>,
    unique_names: bool,
) -> Result<Dataset, DataError> {
    let mut records = Records::open(path)?;
    let result = read_dataset(&mut records, label_column, unique_names);
    records.finish(result)
}

/// Reads the CSV file at `path` without labels, streaming it, as [`parse_features`] reads
/// its text.
///
/// Errors: as [`load_csv`].
pub fn load_features(path: &Path) -> Result<(Rows, Vec<String>), DataError> {
    let mut records = Records::open(path)?;
    let result = read_features(&mut records);
    records.finish(result)
}

/// The first row of a CSV file: its header, if it is one, and its number of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstRow {
    /// The row's fields, if it is a header (none of them is a number; see [`csv_header`]).
    pub header: Option<Vec<String>>,
    /// Its number of fields.
    pub width: usize,
}

/// The first row of the CSV file at `path` (`None` for a file without rows), reading the file
/// up to that row only.
///
/// Errors: [`DataError::Io`], [`DataError::NotUtf8`] (up to the first row).
pub fn csv_file_header(path: &Path) -> Result<Option<FirstRow>, DataError> {
    let mut records = Records::open(path)?;
    if !records.next()? {
        return Ok(None);
    }
    Ok(Some(records.first_row()))
}

/// [`csv_file_header`] of CSV text.
pub(crate) fn text_header(text: &str) -> Option<FirstRow> {
    let mut records = Records::new(text.as_bytes(), None);
    match records.next() {
        Ok(true) => Some(records.first_row()),
        _ => None,
    }
}

/// Checks that the file at `path` is UTF-8 text, reading it a line at a time.
///
/// Errors: [`DataError::Io`], [`DataError::NotUtf8`].
pub(crate) fn check_utf8(path: &Path) -> Result<(), DataError> {
    Records::open(path)?.finish(Ok(()))
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
    read_dataset(
        &mut Records::new(text.as_bytes(), None),
        label_column,
        unique_names,
    )
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
pub fn parse_features(text: &str) -> Result<(Rows, Vec<String>), DataError> {
    read_features(&mut Records::new(text.as_bytes(), None))
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
    text_header(text)?.header
}

/// The data set of the records (see [`parse_csv`]).
fn read_dataset<R: BufRead>(
    r: &mut Records<'_, R>,
    label_column: Option<&str>,
    unique_names: bool,
) -> Result<Dataset, DataError> {
    if !r.next()? {
        return Err(DataError::Empty);
    }
    let header = r.header();
    let width = r.len();
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
        .map(|j| column_name(&header, j, if j < label_at { j } else { j - 1 }))
        .collect();
    if unique_names && let Some(h) = &header {
        // Each column's name as the data set keeps it, in file order.
        let mut names: Vec<&str> = feature_names.iter().map(String::as_str).collect();
        names.insert(label_at, &h[label_at]);
        if let Some((name, columns)) = first_repeat(&names) {
            return Err(DataError::DuplicateColumn { name, columns });
        }
    }
    // Rows grow with what is read: no capacity from the input.
    let mut features = Rows::new(feature_names.len());
    let mut classes = Vec::new(); // the distinct label's index until the end
    let mut labels = Labels::default();
    let mut row = header.is_none(); // without a header, the first record is a row
    loop {
        if row {
            features.reserve_row(r.line)?;
            grow(&mut classes, r.line)?;
            r.numbers(&header, width, Some(label_at), &mut features)?;
            let label = r.field(label_at);
            if label.is_empty() {
                return Err(DataError::EmptyLabel {
                    line: r.line,
                    column: label_at + 1,
                });
            }
            classes.push(labels.id(label));
        }
        if !r.next()? {
            break;
        }
        row = true;
    }
    if features.is_empty() {
        return Err(DataError::NoRows);
    }
    let (class_names, class_of) = labels.classes();
    for c in &mut classes {
        *c = class_of[*c];
    }
    Ok(Dataset {
        features,
        classes,
        class_names,
        feature_names,
    })
}

/// The rows and feature names of the records, every column a feature (see
/// [`parse_features`]).
fn read_features<R: BufRead>(r: &mut Records<'_, R>) -> Result<(Rows, Vec<String>), DataError> {
    if !r.next()? {
        return Err(DataError::Empty);
    }
    let header = r.header();
    let width = r.len();
    let names = (0..width).map(|j| column_name(&header, j, j)).collect();
    let mut rows = Rows::new(width);
    let mut row = header.is_none();
    loop {
        if row {
            rows.reserve_row(r.line)?;
            r.numbers(&header, width, None, &mut rows)?;
        }
        if !r.next()? {
            break;
        }
        row = true;
    }
    if rows.is_empty() {
        return Err(DataError::NoRows);
    }
    Ok((rows, names))
}

/// Makes room for one more element in `v` (doubling, as `push` does), or errors with
/// [`DataError::TooLarge`] at `line` if memory cannot be had: a file larger than memory is
/// an error, not an abort.
fn grow<T>(v: &mut Vec<T>, line: usize) -> Result<(), DataError> {
    if v.len() == v.capacity() {
        v.try_reserve(v.len().max(64))
            .map_err(|_| DataError::TooLarge { line })?;
    }
    Ok(())
}

/// The name of column `j`: the header's, or `x{index}` without one (or if it is empty).
fn column_name(header: &Option<Vec<String>>, j: usize, index: usize) -> String {
    match header {
        Some(h) if !h[j].is_empty() => h[j].clone(),
        _ => format!("x{index}"),
    }
}

/// The distinct label texts, in order of first appearance, each stored once.
#[derive(Default)]
struct Labels {
    index: HashMap<String, usize>,
    texts: Vec<String>,
}

impl Labels {
    /// The index of `label` among the distinct texts (a new one if it is new).
    fn id(&mut self, label: &str) -> usize {
        if let Some(&i) = self.index.get(label) {
            return i;
        }
        let i = self.texts.len();
        self.index.insert(label.to_string(), i);
        self.texts.push(label.to_string());
        i
    }

    /// The classes: their names in class-id order, and the class id of each distinct text.
    /// All numbers: one class per value (named by its first text), by value; else one
    /// class per text, alphabetically.
    fn classes(self) -> (Vec<String>, Vec<usize>) {
        let values: Option<Vec<f64>> = self.texts.iter().map(|l| number(l)).collect();
        match values {
            Some(values) => {
                // `+ 0.0` makes -0 and 0 one value.
                let key = |x: f64| (x + 0.0).to_bits();
                let mut first: BTreeMap<u64, (f64, &str)> = BTreeMap::new();
                for (&x, l) in values.iter().zip(&self.texts) {
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
                let mut order: Vec<usize> = (0..self.texts.len()).collect();
                order.sort_by(|&a, &b| self.texts[a].cmp(&self.texts[b]));
                let mut class_of = vec![0; self.texts.len()];
                for (class, &t) in order.iter().enumerate() {
                    class_of[t] = class;
                }
                let mut texts: Vec<Option<String>> = self.texts.into_iter().map(Some).collect();
                let names = order
                    .iter()
                    .map(|&t| texts[t].take().expect("each text once"))
                    .collect();
                (names, class_of)
            }
        }
    }
}

/// A field as a finite number, if it is one.
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The records of CSV input, one at a time: the non-blank, non-comment lines, split into
/// trimmed fields. The current record's fields are ranges of one reused buffer, so reading
/// allocates nothing per line or field (only when a line is longer than any before).
struct Records<'p, R> {
    input: R,
    /// The file, for I/O errors (`None` for text in memory).
    path: Option<&'p Path>,
    /// The line number of the current record (from 1).
    line: usize,
    /// The current line's bytes, then its text.
    bytes: Vec<u8>,
    text: String,
    /// The unquoted fields of a line that has quotes.
    unquoted: String,
    /// The fields: byte ranges of `text`, or of `unquoted` if `quoted`.
    spans: Vec<(usize, usize)>,
    quoted: bool,
}

impl<'p> Records<'p, std::io::BufReader<std::fs::File>> {
    /// The records of the file at `path`.
    fn open(path: &'p Path) -> Result<Self, DataError> {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        Ok(Records::new(
            std::io::BufReader::with_capacity(1 << 16, file),
            Some(path),
        ))
    }
}

impl<'p, R: BufRead> Records<'p, R> {
    fn new(input: R, path: Option<&'p Path>) -> Self {
        Records {
            input,
            path,
            line: 0,
            bytes: Vec::new(),
            text: String::new(),
            unquoted: String::new(),
            spans: Vec::new(),
            quoted: false,
        }
    }

    /// Reads the next line into `text`; `Ok(false)` at the end of the input. (`read_until`,
    /// bounded: a line longer than [`MAX_LINE_BYTES`] is [`DataError::LineTooLong`], one
    /// longer than memory [`DataError::TooLarge`].)
    fn read_line(&mut self) -> Result<bool, DataError> {
        self.bytes.clear();
        let line = self.line + 1;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let path = self
                        .path
                        .map_or_else(String::new, |p| p.display().to_string());
                    return Err(DataError::Io {
                        path,
                        message: e.to_string(),
                    });
                }
            };
            if buf.is_empty() {
                break;
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if self.bytes.len() + take > MAX_LINE_BYTES {
                return Err(DataError::LineTooLong { line });
            }
            self.bytes
                .try_reserve(take)
                .map_err(|_| DataError::TooLarge { line })?;
            self.bytes.extend_from_slice(&buf[..take]);
            self.input.consume(take);
            if done {
                break;
            }
        }
        if self.bytes.is_empty() {
            return Ok(false);
        }
        self.line += 1;
        let s =
            std::str::from_utf8(&self.bytes).map_err(|_| DataError::NotUtf8 { line: self.line })?;
        let s = if self.line == 1 {
            s.strip_prefix('\u{feff}').unwrap_or(s)
        } else {
            s
        };
        self.text.clear();
        self.text
            .try_reserve(s.len())
            .map_err(|_| DataError::TooLarge { line: self.line })?;
        self.text.push_str(s);
        Ok(true)
    }

    /// Advances to the next record; `Ok(false)` at the end of the input.
    fn next(&mut self) -> Result<bool, DataError> {
        loop {
            if !self.read_line()? {
                return Ok(false);
            }
            let line = self.text.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let start = self.text.len() - self.text.trim_start().len();
            let end = start + line.len();
            self.split(start, end);
            if self.spans.len() > MAX_COLUMNS {
                return Err(DataError::TooManyColumns { line: self.line });
            }
            return Ok(true);
        }
    }

    /// Splits `text[start..end]` into fields, trimmed: commas separate them, except inside
    /// double quotes. A quoted field (`"a, b"`) may hold commas and `""` for a quote (as RFC
    /// 4180; a quoted field does not span lines); its quotes are removed and its text
    /// trimmed. An unclosed quote runs to the end of the line.
    fn split(&mut self, start: usize, end: usize) {
        self.spans.clear();
        let line = &self.text[start..end];
        self.quoted = line.contains('"');
        if !self.quoted {
            let mut at = start;
            for field in line.split(',') {
                let lead = field.len() - field.trim_start().len();
                let kept = field.trim().len();
                self.spans.push((at + lead, at + lead + kept));
                at += field.len() + 1;
            }
            return;
        }
        // Quotes: the fields' text is built in `unquoted`, each from `from` on.
        let out = &mut self.unquoted;
        out.clear();
        let mut from = 0;
        let (mut in_quotes, mut quoted) = (false, false);
        let mut chars = line.chars().peekable();
        let spans = &mut self.spans;
        let mut close = |out: &mut String, from: usize| {
            let field = &out[from..];
            let lead = field.len() - field.trim_start().len();
            spans.push((from + lead, from + lead + field.trim().len()));
        };
        while let Some(c) = chars.next() {
            match c {
                '"' if in_quotes => {
                    if chars.peek() == Some(&'"') {
                        out.push('"');
                        chars.next();
                    } else {
                        in_quotes = false;
                    }
                }
                '"' if !quoted && out[from..].trim().is_empty() => {
                    out.truncate(from);
                    (in_quotes, quoted) = (true, true);
                }
                ',' if !in_quotes => {
                    close(out, from);
                    from = out.len();
                    quoted = false;
                }
                c => out.push(c),
            }
        }
        close(out, from);
    }

    /// The number of fields of the current record.
    fn len(&self) -> usize {
        self.spans.len()
    }

    /// Field `j` of the current record.
    fn field(&self, j: usize) -> &str {
        let (a, b) = self.spans[j];
        if self.quoted {
            &self.unquoted[a..b]
        } else {
            &self.text[a..b]
        }
    }

    /// The current record as a [`FirstRow`].
    fn first_row(&self) -> FirstRow {
        FirstRow {
            header: self.header(),
            width: self.len(),
        }
    }

    /// The current record as a header, if none of its fields is a number.
    fn header(&self) -> Option<Vec<String>> {
        (0..self.len())
            .all(|j| number(self.field(j)).is_none())
            .then(|| (0..self.len()).map(|j| self.field(j).to_string()).collect())
    }

    /// Appends to `rows` the numbers of the current record's fields, but the one at
    /// `skip`; errors with [`DataError::Ragged`] or [`DataError::NotNumeric`], naming the
    /// line and column. Pre: `rows` has room for a row ([`Rows::reserve_row`]) of
    /// `width - 1` numbers with a `skip`, `width` without.
    fn numbers(
        &self,
        header: &Option<Vec<String>>,
        width: usize,
        skip: Option<usize>,
        rows: &mut Rows,
    ) -> Result<(), DataError> {
        if self.len() != width {
            return Err(DataError::Ragged {
                line: self.line,
                expected: width,
                found: self.len(),
            });
        }
        rows.push_with(|k| {
            // The k-th kept column.
            let j = match skip {
                Some(s) if k >= s => k + 1,
                _ => k,
            };
            let field = self.field(j);
            number(field).ok_or_else(|| DataError::NotNumeric {
                line: self.line,
                column: j + 1,
                name: header.as_ref().map(|h| h[j].clone()),
                text: field.to_string(),
            })
        })
    }

    /// `result`, unless the input (read to its end) is not UTF-8: a file read whole would
    /// have said so first, whatever else is wrong.
    fn finish<T>(&mut self, result: Result<T, DataError>) -> Result<T, DataError> {
        if matches!(
            result,
            Err(DataError::Io { .. } | DataError::NotUtf8 { .. })
        ) {
            return result;
        }
        // Bounded: an endless input (a pipe) must not hang an answer already known.
        let mut scanned = 0;
        while scanned <= FINISH_SCAN_BYTES {
            match self.read_line() {
                Ok(true) => scanned += self.bytes.len(),
                Ok(false) => return result,
                Err(e) => return Err(e),
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of one line, as the reader splits them.
    fn split_fields(line: &str) -> Vec<String> {
        let mut r = Records::new(line.as_bytes(), None);
        assert!(r.read_line().unwrap());
        r.split(0, r.text.len());
        (0..r.len()).map(|j| r.field(j).to_string()).collect()
    }

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
