//! The size limits of the explorer. Every size that comes from a request is checked against
//! one of these before anything is allocated for it; going over is a 4xx error that names
//! the limit. `GET /api/limits` gives them to the page.

use axum::Json;
use serde_json::{Value as Json_, json};

/// Largest request body, in bytes (a CSV upload travels inside one).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest CSV text, in bytes.
pub const MAX_CSV_BYTES: usize = 512 * 1024;
/// Longest program, in bytes.
pub const MAX_PROGRAM_BYTES: usize = 4000;
/// Most inputs of a program.
pub const MAX_INPUTS: usize = 64;
/// Most values in a program's graph (it is laid out and drawn on every keystroke).
pub const MAX_GRAPH_VALUES: usize = 300;
/// Most examples (generated or in a file).
pub const MAX_SAMPLES: usize = 5000;
/// Most classes (the page's palette has this many colours).
pub const MAX_CLASSES: usize = 8;
/// Most hidden layers.
pub const MAX_LAYERS: usize = 6;
/// Most neurons in a hidden layer.
pub const MAX_WIDTH: usize = 32;
/// Most steps of one run.
pub const MAX_STEPS: usize = 1_000_000;
/// Most training runs kept at once (runs beyond it replace the oldest finished or idle one).
pub const MAX_SESSIONS: usize = 8;
/// Largest absolute value of a generator's noise.
pub const MAX_NOISE: f64 = 10.0;
/// Largest learning rate (an explicit one; the default, `TrainConfig::default_lr`, is at
/// most 1).
pub const MAX_LR: f64 = 1e6;
/// Largest L2 strength.
pub const MAX_L2: f64 = 1e3;

/// `GET /api/limits`.
pub async fn handler() -> Json<Json_> {
    Json(json!({
        "body_bytes": MAX_BODY_BYTES,
        "csv_bytes": MAX_CSV_BYTES,
        "program_bytes": MAX_PROGRAM_BYTES,
        "inputs": MAX_INPUTS,
        "graph_values": MAX_GRAPH_VALUES,
        "samples": MAX_SAMPLES,
        "classes": MAX_CLASSES,
        "layers": MAX_LAYERS,
        "width": MAX_WIDTH,
        "steps": MAX_STEPS,
        "sessions": MAX_SESSIONS,
        "noise": MAX_NOISE,
        "lr": MAX_LR,
        "l2": MAX_L2,
    }))
}
