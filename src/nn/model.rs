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

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mlp::{MLP, MlpSpec};

mod safetensors;

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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// The JSON file's fields.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: String,
    version: u64,
    architecture: MlpSpec,
    weights: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    meta: Option<serde_json::Value>,
}

fn check_finite(weights: &[f64]) -> Result<(), ModelError> {
    match weights.iter().position(|w| !w.is_finite()) {
        Some(index) => Err(ModelError::new(ModelErrorKind::NonFinite {
            index,
            value: weights[index],
        })),
        None => Ok(()),
    }
}

/// The model as JSON text (version [`VERSION`]), with an optional free-form `meta` field.
///
/// Returns an error if a weight is not finite (JSON has no NaN).
pub fn to_json_string_with_meta(
    mlp: &MLP,
    meta: Option<&serde_json::Value>,
) -> Result<String, ModelError> {
    let weights = mlp.weights();
    check_finite(&weights)?;
    let file = ModelFile {
        format: FORMAT.to_string(),
        version: VERSION,
        architecture: mlp.spec(),
        weights,
        meta: meta.cloned(),
    };
    let mut s = serde_json::to_string_pretty(&file).expect("a model serializes to JSON");
    s.push('\n');
    Ok(s)
}

/// The model as JSON text (see the [module documentation](self)).
///
/// Non-finite weights are written as `null` (JSON has no NaN), which loading rejects; use
/// [`to_json_string_with_meta`] or [`save_json`] to get an error instead.
///
/// ```
/// use micrograd::nn::{model, MLP};
/// let m = MLP::new(2, &[3, 1]);
/// let back = model::from_json_str(&model::to_json_string(&m)).unwrap();
/// assert_eq!(back.weights(), m.weights());
/// ```
pub fn to_json_string(mlp: &MLP) -> String {
    let file = ModelFile {
        format: FORMAT.to_string(),
        version: VERSION,
        architecture: mlp.spec(),
        weights: mlp.weights(),
        meta: None,
    };
    let mut s = serde_json::to_string_pretty(&file).expect("a model serializes to JSON");
    s.push('\n');
    s
}

/// Reads a model from JSON text, and its `meta` field (`None` if absent).
///
/// Errors (never panics): invalid JSON (with line and column), not a model file, another
/// version, a missing or malformed field, an unusable architecture, a weight count that does
/// not match the architecture.
pub fn from_json_str_with_meta(s: &str) -> Result<(MLP, Option<serde_json::Value>), ModelError> {
    if s.trim().is_empty() {
        return Err(ModelError::new(ModelErrorKind::NotAModel(
            "the file is empty".into(),
        )));
    }
    let json: serde_json::Value = serde_json::from_str(s).map_err(|e| {
        ModelError::new(ModelErrorKind::Json {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })
    })?;
    let obj = json.as_object().ok_or_else(|| {
        ModelError::new(ModelErrorKind::NotAModel(
            "the top level is not a JSON object".into(),
        ))
    })?;
    match obj.get("format") {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(ModelError::new(ModelErrorKind::NotAModel(format!(
                "`format` is {other}, expected \"{FORMAT}\""
            ))));
        }
        None => {
            return Err(ModelError::new(ModelErrorKind::NotAModel(format!(
                "no `format` field (expected \"format\": \"{FORMAT}\")"
            ))));
        }
    }
    match obj.get("version") {
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(v) => {
            return Err(ModelError::new(ModelErrorKind::UnsupportedVersion(
                v.to_string(),
            )));
        }
        None => {
            return Err(ModelError::new(ModelErrorKind::Invalid(
                "no `version` field".into(),
            )));
        }
    }
    let file: ModelFile = serde_json::from_value(json)
        .map_err(|e| ModelError::new(ModelErrorKind::Invalid(e.to_string())))?;
    let mlp = MLP::from_spec(&file.architecture, &file.weights)?;
    Ok((mlp, file.meta))
}

/// serde_json appends " at line L column C" to syntax errors; the kind carries them apart.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Reads a model from JSON text. See [`from_json_str_with_meta`] for the errors.
pub fn from_json_str(s: &str) -> Result<MLP, ModelError> {
    from_json_str_with_meta(s).map(|(m, _)| m)
}

/// Writes the model to `path` as JSON, with an optional `meta` field.
///
/// Errors: a weight is not finite, or the file cannot be written (the message names it).
pub fn save_json_with_meta(
    path: impl AsRef<Path>,
    mlp: &MLP,
    meta: Option<&serde_json::Value>,
) -> Result<(), ModelError> {
    let path = path.as_ref();
    let text = to_json_string_with_meta(mlp, meta).map_err(|e| e.in_file(path))?;
    std::fs::write(path, text).map_err(|e| ModelError::new(ModelErrorKind::Io(e)).in_file(path))
}

/// Writes the model to `path` as JSON.
///
/// Errors: a weight is not finite, or the file cannot be written (the message names it).
pub fn save_json(path: impl AsRef<Path>, mlp: &MLP) -> Result<(), ModelError> {
    save_json_with_meta(path, mlp, None)
}

/// Reads a model and its `meta` field from the JSON file at `path`; errors name the file.
pub fn load_json_with_meta(
    path: impl AsRef<Path>,
) -> Result<(MLP, Option<serde_json::Value>), ModelError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::new(ModelErrorKind::Io(e)).in_file(path))?;
    from_json_str_with_meta(&text).map_err(|e| e.in_file(path))
}

/// Reads a model from the JSON file at `path`; errors name the file and what is wrong.
pub fn load_json(path: impl AsRef<Path>) -> Result<MLP, ModelError> {
    load_json_with_meta(path).map(|(m, _)| m)
}
