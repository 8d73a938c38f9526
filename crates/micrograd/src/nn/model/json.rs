//! The JSON model file (see the [parent module](super) for the format).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{FORMAT, ModelError, ModelErrorKind, VERSION};
use crate::nn::mlp::{MLP, MlpSpec};

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

/// The model as JSON text (see the [format](crate::nn::model)).
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
