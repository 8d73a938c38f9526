//! Saving and loading a [`Classifier`] (feature `serde`): the model file with the loss,
//! class names and feature names as metadata.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::Classifier;
use crate::nn::MLP;
use crate::nn::model::{self, ModelError, ModelErrorKind};
use crate::train::LossKind;

/// The `meta` field of a saved classifier's JSON model file.
const META_KIND: &str = "micrograd-classifier";

impl Classifier {
    /// The JSON `meta` object saved with the model.
    fn meta(&self) -> serde_json::Value {
        json!({
            "kind": META_KIND,
            "loss": self.loss.name(),
            "class_names": self.class_names,
            "feature_names": self.feature_names,
        })
    }

    /// Saves as a JSON model file ([`crate::nn::model`]'s format, with the loss, class and
    /// feature names in its `meta` field).
    pub fn save_json(&self, path: &Path) -> Result<(), ModelError> {
        model::save_json_with_meta(path, &self.model, Some(&self.meta()))
    }

    /// The JSON model file's text, as [`Classifier::save_json`] writes it (for a caller that
    /// sends the file rather than writing it, as `micrograd serve`'s export).
    ///
    /// Errors if a weight is not finite.
    pub fn to_json_string(&self) -> Result<String, ModelError> {
        model::to_json_string_with_meta(&self.model, Some(&self.meta()))
    }

    /// The safetensors file's bytes, as [`Classifier::save_safetensors`] writes them.
    pub fn safetensors_bytes(&self) -> Vec<u8> {
        model::safetensors_bytes_with_meta(&self.model, &self.safetensors_meta())
    }

    /// The `__metadata__` strings of [`Classifier::save_safetensors`].
    fn safetensors_meta(&self) -> BTreeMap<String, String> {
        let list = |v: &[String]| serde_json::to_string(v).expect("strings serialize");
        BTreeMap::from([
            (ST_KEYS[0].to_string(), META_KIND.to_string()),
            (ST_KEYS[1].to_string(), self.loss.name().to_string()),
            (ST_KEYS[2].to_string(), list(&self.class_names)),
            (ST_KEYS[3].to_string(), list(&self.feature_names)),
        ])
    }

    /// Saves the weights as safetensors (for PyTorch), with the architecture and, as
    /// `__metadata__` strings, the classifier's kind, loss, class names and feature names
    /// (the lists JSON-encoded): `micrograd_kind`, `micrograd_loss`, `micrograd_class_names`,
    /// `micrograd_feature_names`.
    pub fn save_safetensors(&self, path: &Path) -> Result<(), ModelError> {
        model::save_safetensors_with_meta(path, &self.model, &self.safetensors_meta())
    }

    /// Loads a model file: a JSON file (by [`Classifier::save_json`], or any
    /// [`crate::nn::model`] JSON file) or, by the `.safetensors` extension, a safetensors file
    /// (by [`Classifier::save_safetensors`] or [`crate::nn::model::save_safetensors`]).
    ///
    /// Without classifier metadata the classes are named `0`, `1`, ... and a network with one
    /// output is read as a binary classifier (class 1 iff the output is `> 0`). With it, every
    /// field must be present and consistent with the network (a known loss that fits the
    /// outputs, as many class names as classes, as many feature names as inputs): anything
    /// else is an error naming the file and the field.
    pub fn load(path: &Path) -> Result<Classifier, ModelError> {
        Classifier::load_with_flag(path).map(|(c, _)| c)
    }

    /// As [`Classifier::load`], and whether the file had classifier metadata (else the class
    /// and feature names are the defaults `0`, `1`, ... and `x0`, `x1`, ...).
    pub fn load_with_flag(path: &Path) -> Result<(Classifier, bool), ModelError> {
        let is_safetensors = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"));
        let (model, meta, fields) = if is_safetensors {
            let (model, strings) = model::load_safetensors_with_meta(path)?;
            let meta = safetensors_meta(&strings).map_err(|e| e.in_file(path))?;
            (model, meta, MetaFields::Safetensors)
        } else {
            let (model, meta) = model::load_json_with_meta(path)?;
            // A free-form `meta` without `kind` is not a classifier's.
            let meta = meta.filter(|m| m.get("kind").is_some());
            (model, meta, MetaFields::Json)
        };
        let has_meta = meta.is_some();
        Classifier::from_parts(model, meta.as_ref(), fields)
            .map(|c| (c, has_meta))
            .map_err(|e| e.in_file(path))
    }

    /// The classifier of `model` and its metadata (`None`: the defaults).
    fn from_parts(
        model: MLP,
        meta: Option<&serde_json::Value>,
        fields: MetaFields,
    ) -> Result<Classifier, ModelError> {
        let nout = model.nout();
        let nin = model.nin();
        let Some(meta) = meta else {
            let k = if nout == 1 { 2 } else { nout };
            return Ok(Classifier {
                loss: if nout == 1 {
                    LossKind::Svm
                } else {
                    LossKind::Ce
                },
                class_names: (0..k).map(|c| c.to_string()).collect(),
                feature_names: (0..nin).map(|i| format!("x{i}")).collect(),
                model,
            });
        };
        let bad = |field: &str, why: String| {
            ModelError::new(ModelErrorKind::Invalid(format!(
                "{}: {why}",
                fields.name(field)
            )))
        };
        let string = |field: &str| -> Result<&str, ModelError> {
            match meta.get(field) {
                Some(serde_json::Value::String(s)) => Ok(s),
                Some(other) => Err(bad(field, format!("expected a string, found {other}"))),
                None => Err(bad(field, "missing".into())),
            }
        };
        let strings = |field: &str, want: usize, what: &str| -> Result<Vec<String>, ModelError> {
            let list: Vec<String> = match meta.get(field) {
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|_| bad(field, format!("expected a list of strings, found {v}")))?,
                None => return Err(bad(field, "missing".into())),
            };
            if list.len() != want {
                return Err(bad(
                    field,
                    format!("{} names, but {what} {want}", list.len()),
                ));
            }
            Ok(list)
        };
        let kind = string("kind")?;
        if kind != META_KIND {
            return Err(bad(
                "kind",
                format!("{kind:?}, expected {META_KIND:?} (not a classifier's metadata)"),
            ));
        }
        let loss: LossKind = string("loss")?
            .parse()
            .map_err(|e: crate::nn::UnknownName| bad("loss", e.to_string()))?;
        if loss.is_binary() && nout != 1 {
            return Err(bad(
                "loss",
                format!("{loss} needs a network of 1 output, but this one has {nout}"),
            ));
        }
        if !loss.is_binary() && nout < 2 {
            return Err(bad(
                "loss",
                format!("ce needs a network of at least 2 outputs, but this one has {nout}"),
            ));
        }
        let k = if loss.is_binary() { 2 } else { nout };
        let classes_what = format!("the {loss} loss on {nout} output(s) has");
        let class_names = strings("class_names", k, &classes_what)?;
        let feature_names = strings("feature_names", nin, "the network's inputs are")?;
        Ok(Classifier {
            model,
            loss,
            class_names,
            feature_names,
        })
    }
}

/// The `__metadata__` keys of a classifier's safetensors file, for `kind`, `loss`,
/// `class_names`, `feature_names`.
const ST_KEYS: [&str; 4] = [
    "micrograd_kind",
    "micrograd_loss",
    "micrograd_class_names",
    "micrograd_feature_names",
];

/// Where the metadata fields live, for error messages.
#[derive(Clone, Copy)]
enum MetaFields {
    /// `meta.FIELD` of a JSON model file.
    Json,
    /// `__metadata__.micrograd_FIELD` of a safetensors file.
    Safetensors,
}

impl MetaFields {
    fn name(self, field: &str) -> String {
        match self {
            MetaFields::Json => format!("meta.{field}"),
            MetaFields::Safetensors => format!("__metadata__.micrograd_{field}"),
        }
    }
}

/// A safetensors file's classifier metadata as the JSON `meta` object (lists decoded);
/// `None` if it has none of the classifier keys (weights only).
fn safetensors_meta(
    strings: &BTreeMap<String, String>,
) -> Result<Option<serde_json::Value>, ModelError> {
    if !ST_KEYS.iter().any(|k| strings.contains_key(*k)) {
        return Ok(None);
    }
    let mut meta = serde_json::Map::new();
    for (key, field) in ST_KEYS
        .iter()
        .zip(["kind", "loss", "class_names", "feature_names"])
    {
        let Some(text) = strings.get(*key) else {
            continue; // reported as missing by `from_parts`
        };
        let value = if field.ends_with("_names") {
            serde_json::from_str(text).map_err(|_| {
                ModelError::new(ModelErrorKind::Invalid(format!(
                    "__metadata__.{key}: expected a JSON list of strings, found {text:?}"
                )))
            })?
        } else {
            serde_json::Value::from(text.as_str())
        };
        meta.insert(field.to_string(), value);
    }
    Ok(Some(serde_json::Value::Object(meta)))
}
