//! The checks behind the fuzz targets of `fuzz/` (one function per target, which panics on
//! a finding), shared with the tests of this crate, which replay the committed corpora
//! (`fuzz/corpus/<target>/`) on stable Rust.
//!
//! - [`expr`]: the `grad` language: parse, print and parse back, evaluate, backward
//!   (against the [reference graph](mod@reference)), DOT and (small graphs) SVG.
//! - [`csv`]: the CSV loader, against the reference reader kept in this crate.
//! - [`model_json`], [`safetensors`]: model files, loaded, saved and loaded back.
//! - [`engine`]: random programs of engine calls against the [reference graph](mod@reference).
//! - [`predict_columns`]: `predict`'s matching of a file's columns to a model's features.
//!
//! Every error message a check meets must be free of terminal control characters
//! ([`assert_clean`]).

#![warn(missing_docs)]

mod columns_check;
mod csv_check;
mod csv_reference;
mod engine;
mod expr_check;
mod model_check;
pub mod reference;

/// The `expr` target: see the [crate documentation](crate).
pub fn expr(data: &[u8]) {
    expr_check::check(data)
}

/// The `csv` target.
pub fn csv(data: &[u8]) {
    csv_check::check(data)
}

/// The `model_json` target.
pub fn model_json(data: &[u8]) {
    model_check::json(data)
}

/// The `safetensors` target.
pub fn safetensors(data: &[u8]) {
    model_check::safetensors(data)
}

/// The `predict_columns` target.
pub fn predict_columns(data: &[u8]) {
    columns_check::check(data)
}

/// The `engine` target.
pub fn engine(data: &[u8]) {
    engine::check(data)
}

/// A target's check: panics on a finding.
pub type Check = fn(&[u8]);

/// The names of the targets, as in `fuzz/Cargo.toml`, with their checks.
pub const TARGETS: &[(&str, Check)] = &[
    ("expr", expr),
    ("csv", csv),
    ("model_json", model_json),
    ("safetensors", safetensors),
    ("engine", engine),
    ("predict_columns", predict_columns),
];

/// A reader of the input bytes as a stream of choices: past the end, every read is 0.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// Reads `data` from its start.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data, pos: 0 }
    }

    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Whether `c` must not reach a terminal raw: a control character (but a line break or a
/// tab, which messages use for layout) or a bidirectional-text override.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Panics if the message `what` holds a character that could drive a terminal.
pub fn assert_clean(what: &str, message: &str) {
    if let Some(c) = message.chars().find(|&c| is_unsafe_char(c)) {
        panic!("{what}: the message holds the raw character {c:?}: {message:?}");
    }
}

/// A file name for a check's temporary file, unique to this process and thread.
pub(crate) fn temp_path(ext: &str) -> std::path::PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!(
        "micrograd-fuzz-{}-{thread}.{ext}",
        std::process::id()
    ))
}
