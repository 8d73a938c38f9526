//! Model files: JSON round trips and errors, and the safetensors export.

use micrograd::nn::model::{self, ModelErrorKind};
use micrograd::nn::{Activation, MLP, MlpSpec, Module};

/// A model with awkward weights (shortest round-trip forms, subnormals, -0.0, long digits).
fn awkward_model() -> MLP {
    let m = MLP::with_activation(3, &[4, 2], Activation::Tanh, 99);
    let mut w = m.weights();
    w[0] = 0.1 + 0.2;
    w[1] = 5e-324;
    w[2] = -0.0;
    w[3] = 1.0 / 3.0;
    w[4] = -1.7976931348623157e308 / 1e300;
    w[5] = std::f64::consts::PI;
    m.set_weights(&w);
    m
}

#[test]
fn json_round_trip_is_bit_identical() {
    let m = awkward_model();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model::save_json(&path, &m).unwrap();
    let back = model::load_json(&path).unwrap();
    let bits = |w: Vec<f64>| w.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(back.weights()), bits(m.weights()));
    assert_eq!(back.spec(), m.spec());
    assert_eq!(back.to_string(), m.to_string());
    for x in [[0.1, -0.2, 0.3], [5.0, 1.0, -7.5]] {
        let (a, b) = (m.forward_f64(&x), back.forward_f64(&x));
        assert_eq!(bits(a), bits(b));
    }
    // The text itself.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"format\": \"micrograd-mlp\""), "{text}");
    assert!(text.contains("\"version\": 1"), "{text}");
    assert!(text.contains("\"activation\": \"tanh\""), "{text}");
    assert!(text.contains("0.30000000000000004"), "{text}");
    assert!(!text.contains("\"meta\""), "{text}");
    assert_eq!(model::to_json_string(&m), text);
}

#[test]
fn json_meta_round_trip() {
    let m = MLP::new(2, &[3, 1]);
    let meta = serde_json::json!({"loss": "svm", "classes": ["-1", "1"], "steps": 100});
    let text = model::to_json_string_with_meta(&m, Some(&meta)).unwrap();
    let (back, got) = model::from_json_str_with_meta(&text).unwrap();
    assert_eq!(got, Some(meta));
    assert_eq!(back.weights(), m.weights());
    let (_, none) = model::from_json_str_with_meta(&model::to_json_string(&m)).unwrap();
    assert_eq!(none, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    model::save_json_with_meta(&path, &m, Some(&serde_json::json!(1))).unwrap();
    assert_eq!(
        model::load_json_with_meta(&path).unwrap().1,
        Some(serde_json::json!(1))
    );
}

/// Writes `text` to a file named `name` and returns the error of loading it, as printed.
fn load_error(name: &str, text: &str) -> (String, model::ModelError) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let e = model::load_json(&path).unwrap_err();
    assert_eq!(e.path(), Some(path.as_path()));
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", path.display())),
        "the message names the file: {msg}"
    );
    (msg, e)
}

fn good_text() -> String {
    model::to_json_string(&MLP::new(2, &[2, 1]))
}

#[test]
fn corrupt_json_is_an_error_with_line_and_column() {
    let text = good_text();
    let cut = &text[..text.len() / 2];
    let (msg, e) = load_error("cut.json", cut);
    assert!(matches!(e.kind(), ModelErrorKind::Json { .. }), "{msg}");
    assert!(msg.contains("invalid JSON: EOF while parsing"), "{msg}");
    let (msg, _) = load_error("bad.json", "{\n  \"format\": \"micrograd-mlp\",\n  oops\n}");
    assert!(
        msg.ends_with("line 3, column 3: invalid JSON: key must be a string"),
        "{msg}"
    );
}

#[test]
fn wrong_version_is_an_error() {
    let text = good_text().replace("\"version\": 1", "\"version\": 2");
    let (msg, _) = load_error("v2.json", &text);
    assert!(
        msg.ends_with("unsupported model format version 2 (this micrograd reads version 1)"),
        "{msg}"
    );
    let text = good_text().replace("\"version\": 1,", "");
    let (msg, _) = load_error("nov.json", &text);
    assert!(
        msg.ends_with("invalid model file: no `version` field"),
        "{msg}"
    );
}

#[test]
fn wrong_weight_count_is_an_error() {
    let m = MLP::new(2, &[2, 1]); // 9 parameters
    let mut v: serde_json::Value = serde_json::from_str(&model::to_json_string(&m)).unwrap();
    v["weights"].as_array_mut().unwrap().pop();
    let (msg, e) = load_error("short.json", &v.to_string());
    assert!(
        matches!(
            e.kind(),
            ModelErrorKind::WeightCount {
                expected: 9,
                found: 8
            }
        ),
        "{msg}"
    );
    assert!(
        msg.ends_with(
            "wrong number of weights: the architecture has 9 parameters but 8 weights were given"
        ),
        "{msg}"
    );
}

#[test]
fn other_malformed_files_are_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "[1, 2]",
            "not a micrograd model file: the top level is not a JSON object",
        ),
        (
            "{\"weights\": []}",
            "not a micrograd model file: no `format` field (expected \"format\": \"micrograd-mlp\")",
        ),
        (
            "{\"format\": \"onnx\"}",
            "not a micrograd model file: `format` is \"onnx\", expected \"micrograd-mlp\"",
        ),
        (
            "{\"format\": \"micrograd-mlp\", \"version\": 1, \"weights\": []}",
            "invalid model file: missing field `architecture`",
        ),
    ];
    for (text, expected) in cases {
        let (msg, _) = load_error("x.json", text);
        assert!(msg.ends_with(expected), "{msg}\nexpected: {expected}");
    }
    let text = good_text().replacen("\"relu\"", "\"gelu\"", 1);
    let (msg, _) = load_error("gelu.json", &text);
    assert!(
        msg.contains("invalid model file: unknown variant `gelu`"),
        "{msg}"
    );
    let text = good_text().replacen("\"nin\": 2", "\"nin\": 0", 1);
    let (msg, _) = load_error("nin.json", &text);
    assert!(
        msg.ends_with("invalid architecture: the network has 0 inputs (nin must be at least 1)"),
        "{msg}"
    );
    // A missing file.
    let e = model::load_json("/nonexistent/dir/model.json").unwrap_err();
    assert!(matches!(e.kind(), ModelErrorKind::Io(_)));
    assert!(
        e.to_string().starts_with("/nonexistent/dir/model.json: "),
        "{e}"
    );
}

#[test]
fn non_finite_weights_are_not_saved() {
    let m = MLP::new(2, &[2, 1]);
    let mut w = m.weights();
    w[4] = f64::NAN;
    m.set_weights(&w);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan.json");
    let e = model::save_json(&path, &m).unwrap_err();
    assert!(matches!(
        e.kind(),
        ModelErrorKind::NonFinite { index: 4, .. }
    ));
    assert!(e.to_string().contains("weight 4 is NaN"), "{e}");
    assert!(!path.exists());
}

// ---------------------------------------------------------------- safetensors

fn header_of(bytes: &[u8]) -> (usize, serde_json::Value) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let head = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    (n, serde_json::from_str(head.trim_end()).unwrap())
}

#[test]
fn safetensors_header_and_offsets() {
    // 2 -> 3 (relu) -> 1 (linear): 0.weight [3,2], 0.bias [3], 2.weight [1,3], 2.bias [1].
    let m = MLP::new(2, &[3, 1]);
    let w = m.weights();
    let bytes = model::safetensors_bytes(&m);
    let (n, h) = header_of(&bytes);
    assert_eq!((8 + n) % 8, 0, "the data starts 8-aligned");
    assert_eq!(bytes[8], b'{');
    let head = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let json_end = head.rfind('}').unwrap() + 1;
    assert!(
        head[json_end..].bytes().all(|b| b == b' ') && n - json_end < 8,
        "{head:?}"
    );
    assert_eq!(&bytes[..8], &(n as u64).to_le_bytes());
    assert_eq!(bytes.len(), 8 + n + 13 * 8);
    let entry = |name: &str| {
        (
            h[name]["dtype"].as_str().unwrap().to_string(),
            serde_json::from_value::<Vec<usize>>(h[name]["shape"].clone()).unwrap(),
            serde_json::from_value::<[usize; 2]>(h[name]["data_offsets"].clone()).unwrap(),
        )
    };
    assert_eq!(entry("0.weight"), ("F64".into(), vec![3, 2], [0, 48]));
    assert_eq!(entry("0.bias"), ("F64".into(), vec![3], [48, 72]));
    assert_eq!(entry("2.weight"), ("F64".into(), vec![1, 3], [72, 96]));
    assert_eq!(entry("2.bias"), ("F64".into(), vec![1], [96, 104]));
    assert_eq!(h.as_object().unwrap().len(), 5);
    assert_eq!(h["__metadata__"]["format"], "pt");
    let arch: MlpSpec = serde_json::from_str(
        h["__metadata__"]["micrograd_architecture"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(arch, m.spec());
    // The numbers: row j of 0.weight is neuron j's weights; then the biases.
    let data: Vec<f64> = bytes[8 + n..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let expected = [
        w[0], w[1], w[3], w[4], w[6], w[7], // 0.weight
        w[2], w[5], w[8], // 0.bias
        w[9], w[10], w[11], // 2.weight
        w[12], // 2.bias
    ];
    assert_eq!(data, expected);
}

#[test]
fn safetensors_round_trip_and_errors() {
    let m = awkward_model();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    model::save_safetensors(&path, &m).unwrap();
    let back = model::load_safetensors(&path).unwrap();
    assert_eq!(back.spec(), m.spec());
    let bits = |w: Vec<f64>| w.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(back.weights()), bits(m.weights()));
    assert_eq!(back.parameters().len(), 26);
    // Truncated data.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 8]).unwrap();
    let e = model::load_safetensors(&path).unwrap_err().to_string();
    assert!(
        e.contains("model.safetensors: invalid model file: safetensors: tensor `"),
        "{e}"
    );
    assert!(e.contains("do not fit its shape"), "{e}");
    // Too short for the header length.
    std::fs::write(&path, [1u8, 2, 3]).unwrap();
    let e = model::load_safetensors(&path).unwrap_err().to_string();
    assert!(e.ends_with("fewer than the 8 of the header length"), "{e}");
    // A header length beyond the end.
    let mut b = bytes.clone();
    b[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let e = model::load_safetensors(&path).unwrap_err().to_string();
    assert!(
        e.contains("the header length is 1099511627776 bytes"),
        "{e}"
    );
}

/// Writes `model.safetensors` and `predictions.json` (inputs and this library's outputs) into
/// `$NN_EXPORT_DIR`, for checking the export with Python by hand (not run in CI):
///
/// ```text
/// NN_EXPORT_DIR=/tmp/export cargo test --release --test nn_model -- --ignored
/// python3 check.py /tmp/export   # safetensors.numpy.load_file + a numpy forward pass
/// ```
#[test]
#[ignore = "writes files for a manual check with Python"]
fn export_for_python() {
    let dir = std::path::PathBuf::from(std::env::var("NN_EXPORT_DIR").expect("NN_EXPORT_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, hidden) in [("relu", Activation::Relu), ("tanh", Activation::Tanh)] {
        let m = MLP::with_activation(2, &[16, 16, 1], hidden, MLP::DEFAULT_SEED);
        // Non-zero biases, so that their placement is checked too.
        let w: Vec<f64> = m
            .weights()
            .iter()
            .enumerate()
            .map(|(i, w)| w + 0.01 * i as f64)
            .collect();
        m.set_weights(&w);
        model::save_safetensors(dir.join(format!("{name}.safetensors")), &m).unwrap();
        let xs: Vec<[f64; 2]> = (0..25)
            .map(|i| [(i % 5) as f64 * 0.5 - 1.0, (i / 5) as f64 * 0.5 - 1.0])
            .collect();
        let ys: Vec<f64> = xs.iter().map(|x| m.forward_f64(x)[0]).collect();
        let out = serde_json::json!({"activation": name, "inputs": xs, "outputs": ys});
        std::fs::write(dir.join(format!("{name}.json")), out.to_string()).unwrap();
    }
}

/// The bytes of a safetensors file with `meta` as its `__metadata__` and no tensor.
fn safetensors_with_meta(meta: serde_json::Value) -> Vec<u8> {
    let mut head = serde_json::to_vec(&serde_json::json!({ "__metadata__": meta })).unwrap();
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut bytes = (head.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&head);
    bytes
}

#[test]
fn a_huge_declared_architecture_is_an_error_not_an_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // 1,000,000 inputs into 2,000 neurons: 2,000,002,000 parameters (16 GB), in 150 bytes.
    let arch = r#"{"nin":1000000,"layers":[{"nout":2000,"activation":"linear"}]}"#;
    let p = dir.path().join("huge.safetensors");
    std::fs::write(
        &p,
        safetensors_with_meta(serde_json::json!({ "micrograd_architecture": arch })),
    )
    .unwrap();
    let e = model::load_safetensors(&p).unwrap_err();
    assert!(
        e.to_string().ends_with(
            "huge.safetensors: invalid model file: safetensors: the architecture in __metadata__ \
             has 2000002000 parameters, but the file holds only 0 numbers"
        ),
        "{e}"
    );
    // The same architecture in a JSON model file with 3 weights.
    let text = format!(
        r#"{{"format": "micrograd-mlp", "version": 1, "architecture": {arch}, "weights": [1, 2, 3]}}"#
    );
    let e = model::from_json_str(&text).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ModelErrorKind::WeightCount {
                expected: 2_000_002_000,
                found: 3
            }
        ),
        "{e}"
    );
}
