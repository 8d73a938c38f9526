//! The training tab's data: a generator (with `micrograd train`'s defaults, so the copied
//! command reproduces it) or CSV text, checked against the limits. `POST /api/data`
//! answers the points to draw.

use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json_, json};

use micrograd::data::{self, DataError, Dataset, Generator};
use micrograd::nn::UnknownName;
use micrograd::viz::Boundary;

use crate::error::{ApiError, JsonBody};
use crate::limits::{MAX_CLASSES, MAX_CSV_BYTES, MAX_NOISE, MAX_SAMPLES};

/// Which data to train on.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// `demo` (the embedded 100 moons of micrograd's demo), `moons`, `circles`, `blobs`,
    /// `spiral` (generated with the run's seed) or `csv`.
    pub kind: String,
    /// Examples to generate [default: 100; spiral 300].
    #[serde(default)]
    pub samples: Option<usize>,
    /// Noise of the generated data [default: moons and circles 0.1, blobs 1.0, spiral 0.2].
    #[serde(default)]
    pub noise: Option<f64>,
    /// Classes of blobs or spiral [default: blobs 2, spiral 3].
    #[serde(default)]
    pub classes: Option<usize>,
    /// The CSV text (`kind: "csv"`).
    #[serde(default)]
    pub csv: Option<String>,
    /// The CSV column of the labels [default: the last].
    #[serde(default)]
    pub label_column: Option<String>,
    /// The CSV file's name, for the copied command (`--data NAME`).
    #[serde(default)]
    pub file_name: Option<String>,
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec {
            kind: "demo".into(),
            samples: None,
            noise: None,
            classes: None,
            csv: None,
            label_column: None,
            file_name: None,
        }
    }
}

/// A generator's defaults: samples, noise, classes (the library's, which `micrograd train`
/// uses too, so the copied command reproduces the data).
pub fn generator_defaults(kind: &str) -> Option<(usize, f64, usize)> {
    let g: Generator = kind.parse().ok()?;
    Some((g.default_samples(), g.default_noise(), g.default_classes()))
}

/// The data of `spec` (generated with `seed`), checked: at most [`MAX_SAMPLES`] examples,
/// 2 features (the page draws the plane), 2 to [`MAX_CLASSES`] classes.
///
/// Errors are 4xx [`ApiError`]s; a CSV error has the `line` (and `column`) it is at.
pub fn build(spec: &DataSpec, seed: u64) -> Result<Dataset, ApiError> {
    let d = match spec.kind.as_str() {
        "demo" => {
            refuse_generator_fields(spec, "the demo data")?;
            data::demo_moons()
        }
        "csv" => {
            for (set, field) in [
                (spec.samples.is_some(), "samples"),
                (spec.noise.is_some(), "noise"),
                (spec.classes.is_some(), "classes"),
            ] {
                if set {
                    return Err(ApiError::bad_request(format!(
                        "{field} applies to generated data, not to a CSV file"
                    )));
                }
            }
            let text = spec
                .csv
                .as_deref()
                .ok_or_else(|| ApiError::bad_request("kind csv needs the file's text in csv"))?;
            if text.len() > MAX_CSV_BYTES {
                return Err(ApiError::too_large(format!(
                    "the CSV file is {} KiB; the explorer takes at most {} KiB",
                    text.len().div_ceil(1024),
                    MAX_CSV_BYTES / 1024
                ))
                .with("kind", "limit"));
            }
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            if lines > MAX_SAMPLES + 1 {
                return Err(ApiError::too_large(format!(
                    "the CSV file has {lines} rows; the explorer takes at most {MAX_SAMPLES} examples"
                ))
                .with("kind", "limit"));
            }
            data::parse_csv(text, spec.label_column.as_deref()).map_err(csv_error)?
        }
        kind => {
            let Some((samples, noise, classes)) = generator_defaults(kind) else {
                return Err(ApiError::bad_request(format!(
                    "unknown data `{kind}` (expected demo, moons, circles, blobs, spiral or csv)"
                )));
            };
            if spec.csv.is_some() || spec.label_column.is_some() {
                return Err(ApiError::bad_request(format!(
                    "csv and label_column apply to kind csv, not to {kind}"
                )));
            }
            let n = spec.samples.unwrap_or(samples);
            if !(2..=MAX_SAMPLES).contains(&n) {
                return Err(ApiError::bad_request(format!(
                    "samples {n}: between 2 and {MAX_SAMPLES}"
                )));
            }
            let noise = spec.noise.unwrap_or(noise);
            if !(noise.is_finite() && (0.0..=MAX_NOISE).contains(&noise)) {
                return Err(ApiError::bad_request(format!(
                    "noise {noise}: a number from 0 to {MAX_NOISE}"
                )));
            }
            let k = match (kind, spec.classes) {
                ("moons" | "circles", Some(_)) => {
                    return Err(ApiError::bad_request(format!(
                        "classes applies to blobs and spiral ({kind} has 2 classes)"
                    )));
                }
                (_, Some(k)) => k,
                (_, None) => classes,
            };
            if !(2..=MAX_CLASSES).contains(&k) {
                return Err(ApiError::bad_request(format!(
                    "classes {k}: between 2 and {MAX_CLASSES}"
                )));
            }
            if n < k {
                return Err(ApiError::bad_request(format!(
                    "samples {n}: fewer examples than classes ({k})"
                )));
            }
            let g: Generator = kind
                .parse()
                .map_err(|e: UnknownName| ApiError::bad_request(e.to_string()))?;
            let classes = spec.classes.filter(|_| g.has_classes());
            g.generate(Some(n), Some(noise), classes, seed)
                .map_err(|e| ApiError::bad_request(e.to_string()))?
        }
    };
    if d.n_features() != 2 {
        return Err(ApiError::unprocessable(format!(
            "the data has {} feature column(s); the explorer draws 2-D data (2 features and a \
             label); use `micrograd train --data FILE.csv` for other data",
            d.n_features()
        ))
        .with("kind", "data"));
    }
    if d.len() > MAX_SAMPLES {
        return Err(ApiError::too_large(format!(
            "the data has {} examples; the explorer takes at most {MAX_SAMPLES}",
            d.len()
        ))
        .with("kind", "limit"));
    }
    if d.n_classes() > MAX_CLASSES {
        return Err(ApiError::unprocessable(format!(
            "the data has {} classes; the explorer draws at most {MAX_CLASSES}",
            d.n_classes()
        ))
        .with("kind", "data"));
    }
    Ok(d)
}

fn refuse_generator_fields(spec: &DataSpec, what: &str) -> Result<(), ApiError> {
    if spec.samples.is_some()
        || spec.noise.is_some()
        || spec.classes.is_some()
        || spec.csv.is_some()
    {
        return Err(ApiError::bad_request(format!(
            "{what} takes no samples, noise, classes or csv (choose moons to generate)"
        )));
    }
    Ok(())
}

/// A CSV error with its place: `line` and, where known, `column`.
fn csv_error(e: DataError) -> ApiError {
    let (line, column) = match &e {
        DataError::NotUtf8 { line } => (Some(*line), None),
        DataError::Ragged { line, .. } => (Some(*line), None),
        DataError::NotNumeric { line, column, .. } | DataError::EmptyLabel { line, column } => {
            (Some(*line), Some(*column))
        }
        DataError::TooFewColumns { .. } => (Some(1), None),
        _ => (None, None),
    };
    let mut err = ApiError::unprocessable(format!("CSV: {e}")).with("kind", "csv");
    if let Some(l) = line {
        err = err.with("line", l);
    }
    if let Some(c) = column {
        err = err.with("column", c);
    }
    err
}

/// The plane the page draws: the boundary grid's extent for these points (the library's
/// margins).
pub fn extent(points: &[[f64; 2]]) -> [f64; 4] {
    let b = Boundary::compute(points, 2, |_, _| 0);
    [b.x_min, b.x_max, b.y_min, b.y_max]
}

/// The points, classes and names of `d` as the page wants them.
pub fn to_json(d: &Dataset) -> Json_ {
    let points = d.points_2d().unwrap_or_default();
    json!({
        "points": points,
        "classes": d.classes,
        "class_names": d.class_names,
        "feature_names": d.feature_names,
        "extent": extent(&points),
    })
}

/// `POST /api/data` with `{"data": DataSpec, "seed": N}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRequest {
    /// The data choice.
    pub data: DataSpec,
    /// The seed of generated data.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_seed() -> u64 {
    micrograd::nn::MLP::DEFAULT_SEED
}

/// `POST /api/data`.
pub async fn handler(JsonBody(req): JsonBody<DataRequest>) -> Result<Json<Json_>, ApiError> {
    let d = build(&req.data, req.seed)?;
    Ok(Json(to_json(&d)))
}
