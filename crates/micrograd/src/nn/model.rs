//! Model files: JSON (architecture + weights, loaded back by `predict`) and safetensors
//! (weights only, under PyTorch's `nn.Sequential` names, for users moving to PyTorch).
//!
//! The JSON file, version 1:
//!
//! ```json
//! {
//!   "format": "micrograd-mlp",
//!   "version": 1,
//!   "architecture": { "nin": 2, "layers": [ { "nout": 16, "activation": "relu" }, ... ] },
//!   "weights": [ 0.27, -0.91, ... ],
//!   "meta": { ... }
//! }
//! ```
//!
//! `weights` lists every parameter in [`Module::parameters`](super::Module::parameters) order
//! (layer by layer, neuron by neuron: its weights, then its bias); numbers are written in
//! the shortest form that reads back to the same `f64`, so a saved model predicts bit for bit
//! as the trained one (reading them back exactly needs serde_json's `float_roundtrip` feature,
//! enabled in Cargo.toml; without it the last bit can differ). `meta` is optional and
//! free-form (for example the class labels).
//!
//! The file formats need the `serde` feature (on by default); the error types are always here.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

#[cfg(feature = "serde")]
mod json;
#[cfg(feature = "serde")]
mod safetensors;

#[cfg(feature = "serde")]
pub use json::{
    from_json_str, from_json_str_with_meta, load_json, load_json_with_meta, save_json,
    save_json_with_meta, to_json_string, to_json_string_with_meta,
};
#[cfg(feature = "serde")]
pub use safetensors::{
    load_safetensors, load_safetensors_with_meta, safetensors_bytes, safetensors_bytes_with_meta,
    save_safetensors, save_safetensors_with_meta,
};

/// The `format` tag of a model file.
pub const FORMAT: &str = "micrograd-mlp";
/// The version of the JSON model format this library writes and reads.
pub const VERSION: u64 = 1;

/// What is wrong with a model file (or a model description).
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// The file could not be read or written.
    Io(std::io::Error),
    /// The text is not valid JSON.
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The JSON is not a micrograd model (no or another `format` tag).
    NotAModel(String),
    /// The model file's version is not one this library reads.
    UnsupportedVersion(String),
    /// The file has the right tag and version but a field is missing or malformed.
    Invalid(String),
    /// The architecture is unusable (no layers, 0 inputs, ...).
    Architecture(String),
    /// The number of weights does not match the architecture.
    WeightCount {
        /// Parameters of the architecture.
        expected: usize,
        /// Weights given.
        found: usize,
    },
    /// A weight is NaN or infinite (training diverged): not saved.
    NonFinite {
        /// Its position in the weights.
        index: usize,
        /// The number.
        value: f64,
    },
}

/// A model file could not be saved or loaded: what is wrong, and in which file.
#[derive(Debug)]
pub struct ModelError {
    path: Option<PathBuf>,
    kind: ModelErrorKind,
}

impl ModelError {
    /// An error not (yet) tied to a file.
    pub fn new(kind: ModelErrorKind) -> ModelError {
        ModelError { path: None, kind }
    }

    /// The same error, naming `path`.
    pub fn in_file(mut self, path: &Path) -> ModelError {
        self.path = Some(path.to_path_buf());
        self
    }

    /// The file involved, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ModelErrorKind {
        &self.kind
    }
}

impl fmt::Display for ModelErrorKind {
    /// The message, with control characters from the file escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = &mut crate::text::Escaped(f);
        match self {
            ModelErrorKind::Io(e) => write!(f, "{e}"),
            ModelErrorKind::Json {
                line,
                column,
                message,
            } => write!(f, "line {line}, column {column}: invalid JSON: {message}"),
            ModelErrorKind::NotAModel(m) => write!(f, "not a micrograd model file: {m}"),
            ModelErrorKind::UnsupportedVersion(v) => write!(
                f,
                "unsupported model format version {v} (this micrograd reads version {VERSION})"
            ),
            ModelErrorKind::Invalid(m) => write!(f, "invalid model file: {m}"),
            ModelErrorKind::Architecture(m) => write!(f, "invalid architecture: {m}"),
            ModelErrorKind::WeightCount { expected, found } => write!(
                f,
                "wrong number of weights: the architecture has {expected} parameters but {found} weights were given"
            ),
            ModelErrorKind::NonFinite { index, value } => write!(
                f,
                "weight {index} is {value} (did training diverge?); a model with non-finite weights is not saved"
            ),
        }
    }
}

impl fmt::Display for ModelError {
    /// The file name and the message, with control characters escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = &mut crate::text::Escaped(f);
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ModelErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
