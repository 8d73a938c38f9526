//! The `model_json` and `safetensors` targets: a model file that loads must save and load
//! back to the same network (and, as a classifier, predict a class it names); one that does
//! not must say why, cleanly.

use std::collections::BTreeMap;

use micrograd::Tape;
use micrograd::nn::model;
use micrograd::train::Classifier;

use crate::reference::same;
use crate::{assert_clean, temp_path};

/// The JSON model file.
pub fn json(data: &[u8]) {
    let _scope = Tape::scope(); // the networks' leaves are released at the end
    let text = String::from_utf8_lossy(data);
    match model::from_json_str_with_meta(&text) {
        Ok((mlp, meta)) => {
            let w = mlp.weights();
            assert!(
                w.iter().all(|x| x.is_finite()),
                "a loaded weight is not finite"
            );
            let saved = model::to_json_string_with_meta(&mlp, meta.as_ref()).expect("saves");
            let (back, meta2) = model::from_json_str_with_meta(&saved).expect("loads back");
            assert_eq!(back.spec(), mlp.spec());
            assert!(back.weights().iter().zip(&w).all(|(a, b)| same(*a, *b)));
            assert_eq!(meta2, meta);
        }
        Err(e) => assert_clean("from_json_str", &e.to_string()),
    }
    classifier(data, "json");
}

/// The safetensors file.
pub fn safetensors(data: &[u8]) {
    let _scope = Tape::scope();
    let path = temp_path("safetensors");
    std::fs::write(&path, data).expect("the temporary file is written");
    let loaded = model::load_safetensors_with_meta(&path);
    let _ = std::fs::remove_file(&path);
    match loaded {
        Ok((mlp, meta)) => {
            let w = mlp.weights();
            // The library's own keys are written again by the library.
            let extra: BTreeMap<String, String> = meta
                .iter()
                .filter(|(k, _)| *k != "format" && *k != "micrograd_architecture")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let bytes = model::safetensors_bytes_with_meta(&mlp, &extra);
            std::fs::write(&path, &bytes).expect("the temporary file is written");
            let (back, meta2) = model::load_safetensors_with_meta(&path).expect("loads back");
            let _ = std::fs::remove_file(&path);
            assert_eq!(back.spec(), mlp.spec());
            assert!(back.weights().iter().zip(&w).all(|(a, b)| same(*a, *b)));
            // The extra strings come back as they were, beside the library's own two keys
            // (written whether or not the file had them).
            assert_eq!(meta2.len(), extra.len() + 2, "{meta2:?}");
            assert!(extra.iter().all(|(k, v)| meta2.get(k) == Some(v)));
            assert_eq!(meta2.get("format").map(String::as_str), Some("pt"));
        }
        Err(e) => assert_clean("load_safetensors", &e.to_string()),
    }
    classifier(data, "safetensors");
}

/// `Classifier::load` on the file: a classifier whose names fit its network, or a clean
/// error.
fn classifier(data: &[u8], ext: &str) {
    let path = temp_path(ext);
    std::fs::write(&path, data).expect("the temporary file is written");
    let loaded = Classifier::load_with_flag(&path);
    let _ = std::fs::remove_file(&path);
    match loaded {
        Ok((c, _)) => {
            let nin = c.model.nin();
            assert_eq!(c.feature_names.len(), nin);
            if nin <= 4096 {
                let k = c.predict_class(&vec![0.5; nin]);
                assert!(k < c.class_names.len(), "a class without a name");
            }
        }
        Err(e) => assert_clean("Classifier::load", &e.to_string()),
    }
}
