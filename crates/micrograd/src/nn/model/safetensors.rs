//! The safetensors format, written by hand (it is three parts, and this keeps the crate free
//! of a dependency used for one function):
//!
//! 1. 8 bytes: the length `N` of the header, unsigned little-endian;
//! 2. `N` bytes: a JSON object mapping each tensor name to
//!    `{"dtype": "F64", "shape": [..], "data_offsets": [begin, end]}` (byte offsets into the
//!    data part), plus an optional `"__metadata__"` object of strings; padded with spaces so
//!    the data starts at a multiple of 8;
//! 3. the tensors' numbers, little-endian, row-major, back to back.
//!
//! Tensor names follow PyTorch's `nn.Sequential(nn.Linear, activation, nn.Linear, ...)`:
//! layer `i` is `{2i}.weight` (shape `[nout, nin]`, row `j` = neuron `j`'s weights) and
//! `{2i}.bias` (shape `[nout]`); the activation modules take the odd indices.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::{ModelError, ModelErrorKind};
use crate::nn::mlp::{MLP, MlpSpec};

/// The `__metadata__` key holding the architecture (as the JSON of an [`MlpSpec`]).
const ARCH_KEY: &str = "micrograd_architecture";

/// The model's weights in the safetensors format (see the module documentation).
///
/// ```
/// use micrograd::nn::{model, MLP};
/// let bytes = model::safetensors_bytes(&MLP::new(2, &[16, 16, 1]));
/// let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
/// assert_eq!((8 + n) % 8, 0);
/// assert_eq!(bytes.len(), 8 + n + 337 * 8);
/// ```
pub fn safetensors_bytes(mlp: &MLP) -> Vec<u8> {
    safetensors_bytes_with_meta(mlp, &BTreeMap::new())
}

/// As [`safetensors_bytes`], with more `__metadata__` strings (e.g. the class names of a
/// classifier, JSON-encoded). The keys `format` and `micrograd_architecture` are the
/// library's: `extra` cannot replace them.
pub fn safetensors_bytes_with_meta(mlp: &MLP, extra: &BTreeMap<String, String>) -> Vec<u8> {
    let spec = mlp.spec();
    let weights = mlp.weights();
    let mut header = Map::new();
    let mut meta: Map<String, Json> = extra
        .iter()
        .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
        .collect();
    meta.insert("format".into(), "pt".into());
    meta.insert(
        ARCH_KEY.into(),
        serde_json::to_string(&spec)
            .expect("a spec serializes")
            .into(),
    );
    header.insert("__metadata__".into(), Json::Object(meta));
    // Reorder the per-neuron parameters [w.., b] into [weight matrix][bias vector] per layer.
    let mut data: Vec<f64> = Vec::with_capacity(weights.len());
    let mut offset = 0usize; // in parameters
    let mut nin = spec.nin;
    for (i, layer) in spec.layers.iter().enumerate() {
        let rows = layer.nout;
        let neuron = |j: usize| &weights[offset + j * (nin + 1)..offset + (j + 1) * (nin + 1)];
        let begin = data.len();
        for j in 0..rows {
            data.extend_from_slice(&neuron(j)[..nin]);
        }
        let mid = data.len();
        for j in 0..rows {
            data.push(neuron(j)[nin]);
        }
        let end = data.len();
        header.insert(
            format!("{}.weight", 2 * i),
            json!({"dtype": "F64", "shape": [rows, nin], "data_offsets": [begin * 8, mid * 8]}),
        );
        header.insert(
            format!("{}.bias", 2 * i),
            json!({"dtype": "F64", "shape": [rows], "data_offsets": [mid * 8, end * 8]}),
        );
        offset += rows * (nin + 1);
        nin = rows;
    }
    let mut head = serde_json::to_vec(&Json::Object(header)).expect("a header serializes");
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + head.len() + data.len() * 8);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// Writes the model's weights to `path` in the safetensors format, under PyTorch's
/// `nn.Sequential` names; errors name the file.
pub fn save_safetensors(path: impl AsRef<Path>, mlp: &MLP) -> Result<(), ModelError> {
    save_safetensors_with_meta(path, mlp, &BTreeMap::new())
}

/// As [`save_safetensors`], with more `__metadata__` strings (see
/// [`safetensors_bytes_with_meta`]).
pub fn save_safetensors_with_meta(
    path: impl AsRef<Path>,
    mlp: &MLP,
    extra: &BTreeMap<String, String>,
) -> Result<(), ModelError> {
    let path = path.as_ref();
    std::fs::write(path, safetensors_bytes_with_meta(mlp, extra))
        .map_err(|e| ModelError::new(ModelErrorKind::Io(e)).in_file(path))
}

/// One tensor of a safetensors file: its shape and numbers.
type Tensor = (Vec<usize>, Vec<f64>);

/// A parsed file: its `__metadata__` strings and its tensors, by name.
type Parsed = (BTreeMap<String, String>, BTreeMap<String, Tensor>);

fn invalid(msg: impl Into<String>) -> ModelError {
    ModelError::new(ModelErrorKind::Invalid(format!(
        "safetensors: {}",
        msg.into()
    )))
}

/// Parses a safetensors file of `F64` tensors: its metadata and tensors by name.
fn parse(bytes: &[u8]) -> Result<Parsed, ModelError> {
    if bytes.len() < 8 {
        return Err(invalid(format!(
            "the file has {} bytes, fewer than the 8 of the header length",
            bytes.len()
        )));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let rest = &bytes[8..];
    if n > rest.len() as u64 {
        return Err(invalid(format!(
            "the header length is {n} bytes but only {} bytes follow",
            rest.len()
        )));
    }
    let (head, data) = rest.split_at(n as usize);
    let header: Map<String, Json> = serde_json::from_slice(head)
        .map_err(|e| invalid(format!("the header is not a JSON object: {e}")))?;
    let mut meta = BTreeMap::new();
    let mut tensors = BTreeMap::new();
    for (name, entry) in header {
        if name == "__metadata__" {
            let m: BTreeMap<String, String> = serde_json::from_value(entry)
                .map_err(|e| invalid(format!("__metadata__ is not a map of strings: {e}")))?;
            meta = m;
            continue;
        }
        let dtype = entry.get("dtype").and_then(Json::as_str);
        if dtype != Some("F64") {
            return Err(invalid(format!(
                "tensor `{name}` has dtype {}, only F64 is read",
                dtype.unwrap_or("(none)")
            )));
        }
        let shape: Vec<usize> = entry
            .get("shape")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or_else(|| invalid(format!("tensor `{name}` has no valid shape")))?;
        let offs: [usize; 2] = entry
            .get("data_offsets")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or_else(|| invalid(format!("tensor `{name}` has no valid data_offsets")))?;
        let count = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| invalid(format!("tensor `{name}` is too large")))?;
        let [begin, end] = offs;
        if begin > end || end > data.len() || end - begin != count.saturating_mul(8) {
            return Err(invalid(format!(
                "tensor `{name}`: data_offsets [{begin}, {end}] do not fit its shape {shape:?} in {} data bytes",
                data.len()
            )));
        }
        let numbers = data[begin..end]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        tensors.insert(name, (shape, numbers));
    }
    Ok((meta, tensors))
}

/// Reads a model written by [`save_safetensors`] (its architecture is in the metadata).
/// Errors name the file and what is wrong.
pub fn load_safetensors(path: impl AsRef<Path>) -> Result<MLP, ModelError> {
    load_safetensors_with_meta(path).map(|(m, _)| m)
}

/// Reads a model written by [`save_safetensors_with_meta`] and every `__metadata__` string
/// (the library's `format` and `micrograd_architecture` included). Errors name the file.
pub fn load_safetensors_with_meta(
    path: impl AsRef<Path>,
) -> Result<(MLP, BTreeMap<String, String>), ModelError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|e| ModelError::new(ModelErrorKind::Io(e)).in_file(path))?;
    from_safetensors_bytes(&bytes).map_err(|e| e.in_file(path))
}

/// Rebuilds a model (and reads the metadata) from the bytes of [`safetensors_bytes`].
pub(crate) fn from_safetensors_bytes(
    bytes: &[u8],
) -> Result<(MLP, BTreeMap<String, String>), ModelError> {
    let (meta, tensors) = parse(bytes)?;
    let arch = meta.get(ARCH_KEY).ok_or_else(|| {
        invalid(format!(
            "no `{ARCH_KEY}` in __metadata__ (not written by micrograd: the activations are unknown)"
        ))
    })?;
    let spec: MlpSpec = serde_json::from_str(arch)
        .map_err(|e| invalid(format!("`{ARCH_KEY}` is not an architecture: {e}")))?;
    spec.validate()?;
    // The declared architecture is untrusted: before allocating for it, check that the file
    // holds that many numbers (the tensors were read from its bytes, so this bounds the
    // allocation by the file's size).
    let needed = spec.num_parameters();
    let present: usize = tensors.values().map(|(_, d)| d.len()).sum();
    if needed > present {
        return Err(invalid(format!(
            "the architecture in __metadata__ has {needed} parameters, but the file holds only \
             {present} numbers"
        )));
    }
    let mut weights = Vec::with_capacity(needed);
    let mut nin = spec.nin;
    for (i, layer) in spec.layers.iter().enumerate() {
        let get = |name: String, shape: Vec<usize>| -> Result<&Vec<f64>, ModelError> {
            match tensors.get(&name) {
                Some((s, d)) if *s == shape => Ok(d),
                Some((s, _)) => Err(invalid(format!(
                    "tensor `{name}` has shape {s:?}, the architecture needs {shape:?}"
                ))),
                None => Err(invalid(format!("no tensor `{name}`"))),
            }
        };
        let w = get(format!("{}.weight", 2 * i), vec![layer.nout, nin])?;
        let b = get(format!("{}.bias", 2 * i), vec![layer.nout])?;
        for j in 0..layer.nout {
            weights.extend_from_slice(&w[j * nin..(j + 1) * nin]);
            weights.push(b[j]);
        }
        nin = layer.nout;
    }
    Ok((MLP::from_spec(&spec, &weights)?, meta))
}
