//! Shared by `tests/goldens.rs` and `tests/cli_grad.rs`: the PyTorch reference cases of
//! `tests/data/pytorch_goldens.json` (format in `tests/data/GOLDENS.md`) and their tolerance.

#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;

use serde::Deserialize;

/// The file.
#[derive(Debug, Deserialize)]
pub struct Goldens {
    pub generator: String,
    pub tolerance: Tolerance,
    pub cases: Vec<Case>,
}

/// `|got - want| <= absolute + relative * |want|`.
#[derive(Debug, Deserialize, Clone, Copy)]
pub struct Tolerance {
    pub relative: f64,
    pub absolute: f64,
}

/// One program with PyTorch's value and gradients.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub name: String,
    pub program: String,
    pub inputs: BTreeMap<String, f64>,
    pub value: f64,
    pub grads: BTreeMap<String, f64>,
}

pub fn load() -> Goldens {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/pytorch_goldens.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

/// Compares results with the reference and keeps the worst errors seen.
#[derive(Debug, Default)]
pub struct Checker {
    /// Largest `|got - want| / |want|` over non-zero `want`.
    pub worst_relative: f64,
    /// Where it was.
    pub worst_relative_at: String,
    /// Largest `|got - want|` over zero `want`.
    pub worst_absolute_at_zero: f64,
    /// Numbers compared.
    pub compared: usize,
    /// Descriptions of the mismatches.
    pub failures: Vec<String>,
}

impl Checker {
    pub fn check(&mut self, tol: Tolerance, case: &str, what: &str, got: f64, want: f64) {
        self.compared += 1;
        let err = (got - want).abs();
        if want != 0.0 {
            let rel = err / want.abs();
            if rel > self.worst_relative {
                self.worst_relative = rel;
                self.worst_relative_at = format!("{case} {what}");
            }
        } else {
            self.worst_absolute_at_zero = self.worst_absolute_at_zero.max(err);
        }
        let within = err <= tol.absolute + tol.relative * want.abs(); // false for NaN
        if !within {
            self.failures
                .push(format!("{case}: {what} = {got:?}, PyTorch says {want:?}"));
        }
    }
}
