//! Data sets for classification: seeded generators ([`moons`], [`circles`], [`blobs`],
//! [`spiral`]; by name, with their defaults and checked parameters, [`Generator`]), CSV loading ([`load_csv`], [`parse_csv`]), the embedded demo data
//! ([`demo_moons`]) and shuffled mini-batches ([`Batches`]).
//!
//! A [`Dataset`] holds rows of numeric features and a class id per row; the class ids index
//! [`Dataset::class_names`], the labels' original text, so predictions can be reported the
//! way the data file wrote them.
//!
//! ```
//! use micrograd::data::{self, TargetEncoding};
//!
//! let d = data::demo_moons();
//! assert_eq!((d.len(), d.n_features(), d.n_classes()), (100, 2, 2));
//! assert_eq!(d.class_names, ["-1", "1"]);
//! let y = d.binary_targets(TargetEncoding::PlusMinusOne).unwrap();
//! assert!(y.iter().all(|&t| t == -1.0 || t == 1.0));
//! ```

mod batch;
mod csv;
mod error;
mod generate;
mod generator;
mod rng;
mod rows;

pub use batch::Batches;
pub use csv::{
    FirstRow, MAX_COLUMNS, MAX_LINE_BYTES, csv_file_header, csv_header, load_csv, load_features,
    parse_csv, parse_features, read_csv_text,
};
pub(crate) use csv::{check_utf8, first_repeat, load_labelled, parse_labelled, text_header};
pub use error::DataError;
pub use generate::{blobs, circles, moons, spiral};
pub use generator::{Generator, MAX_SAMPLES, MIN_CLASSES, MIN_SAMPLES};
pub use rng::SeededRng;
pub(crate) use rng::unit_from_bits;
pub use rows::{RowIter, Rows};

/// The 100 moons of micrograd's `demo.ipynb` (`make_moons(n_samples=100, noise=0.1)` with
/// seed 1337), labels -1/+1, as shipped in `data/moons_100_seed1337.csv`.
pub const DEMO_MOONS_CSV: &str = include_str!("../../../../data/moons_100_seed1337.csv");

/// The embedded demo data set (see [`DEMO_MOONS_CSV`]): 100 rows, 2 features, classes
/// `"-1"` (class 0) and `"1"` (class 1).
pub fn demo_moons() -> Dataset {
    parse_csv(DEMO_MOONS_CSV, None).expect("the embedded demo CSV is well-formed")
}

/// A labelled data set: `features[i]` belongs to class `classes[i]`, whose original label
/// text is `class_names[classes[i]]`.
///
/// Invariants (kept by every constructor in this module): all rows have
/// `feature_names.len()` features, `features.len() == classes.len()`, and every class id
/// is below `class_names.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// One row of numeric features per example (`features[i]` is example `i`'s).
    pub features: Rows,
    /// The class id of each example, an index into `class_names`.
    pub classes: Vec<usize>,
    /// The original label text of each class (e.g. `"-1"`, `"1"`), in class-id order.
    pub class_names: Vec<String>,
    /// The name of each feature column (from the CSV header, or `x0`, `x1`, ...).
    pub feature_names: Vec<String>,
}

/// How the two classes of a binary data set become regression targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetEncoding {
    /// Class 0 → -1, class 1 → +1 (SVM hinge loss, squared error).
    PlusMinusOne,
    /// Class 0 → 0, class 1 → 1 (binary cross-entropy).
    ZeroOne,
}

impl Dataset {
    /// Builds a data set from rows and class ids, naming the features `x0`, `x1`, ...
    ///
    /// Panics if the rows are ragged, the lengths differ, or a class id has no name: these
    /// are programming errors (data read from files goes through [`parse_csv`], which
    /// reports them as [`DataError`]s).
    pub fn new(features: impl Into<Rows>, classes: Vec<usize>, class_names: Vec<String>) -> Self {
        let features = features.into();
        let feature_names = (0..features.width()).map(|i| format!("x{i}")).collect();
        let d = Dataset {
            features,
            classes,
            class_names,
            feature_names,
        };
        d.assert_consistent();
        d
    }

    fn assert_consistent(&self) {
        assert_eq!(
            self.features.len(),
            self.classes.len(),
            "Dataset: {} feature rows but {} class ids",
            self.features.len(),
            self.classes.len()
        );
        assert_eq!(
            self.features.width(),
            self.feature_names.len(),
            "Dataset: rows of {} features, expected {}",
            self.features.width(),
            self.feature_names.len()
        );
        if let Some(&c) = self.classes.iter().find(|&&c| c >= self.class_names.len()) {
            panic!(
                "Dataset: class id {c} but only {} class names",
                self.class_names.len()
            );
        }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Number of features per example.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of classes (named classes, whether or not every one occurs).
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// How many examples each class has, in class-id order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &c in &self.classes {
            counts[c] += 1;
        }
        counts
    }

    /// The targets for a binary loss: one number per example, by `encoding`.
    ///
    /// Errors with [`DataError::Classes`] unless the data has exactly two classes.
    pub fn binary_targets(&self, encoding: TargetEncoding) -> Result<Vec<f64>, DataError> {
        self.require_classes(2, Some(2))?;
        let (lo, hi) = match encoding {
            TargetEncoding::PlusMinusOne => (-1.0, 1.0),
            TargetEncoding::ZeroOne => (0.0, 1.0),
        };
        Ok(self
            .classes
            .iter()
            .map(|&c| if c == 0 { lo } else { hi })
            .collect())
    }

    /// Checks that the number of classes present is at least `min` and at most `max`.
    pub fn require_classes(&self, min: usize, max: Option<usize>) -> Result<(), DataError> {
        let present: Vec<String> = self
            .class_counts()
            .iter()
            .zip(&self.class_names)
            .filter(|(n, _)| **n > 0)
            .map(|(_, name)| name.clone())
            .collect();
        let k = present.len();
        if k < min || max.is_some_and(|m| k > m) {
            let needed = match max {
                Some(m) if m == min => format!("exactly {min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(DataError::Classes {
                found: present,
                needed,
            });
        }
        Ok(())
    }

    /// The examples at `indices`, in that order (a mini-batch, or a split).
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut features = Rows::new(self.features.width());
        for &i in indices {
            features.push(&self.features[i]);
        }
        Dataset {
            features,
            classes: indices.iter().map(|&i| self.classes[i]).collect(),
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
        }
    }

    /// The 2-D points, if the data has exactly two features (for plotting).
    pub fn points_2d(&self) -> Option<Vec<[f64; 2]>> {
        (self.n_features() == 2).then(|| self.features.iter().map(|r| [r[0], r[1]]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_moons_is_balanced() {
        let d = demo_moons();
        assert_eq!(d.class_counts(), [50, 50]);
        assert_eq!(d.feature_names, ["x0", "x1"]);
        assert_eq!(d.features[0], [1.1221146075409685, 0.08147717341718697]);
        assert_eq!(d.classes[0], 0);
    }

    #[test]
    fn binary_targets_need_two_classes() {
        let d = Dataset::new(vec![vec![1.0], vec![2.0]], vec![0, 0], vec!["a".into()]);
        let e = d.binary_targets(TargetEncoding::ZeroOne).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the data has 1 class (\"a\"), but exactly 2 are needed"
        );
    }

    #[test]
    fn zero_one_targets() {
        let d = Dataset::new(
            vec![vec![1.0], vec![2.0], vec![3.0]],
            vec![1, 0, 1],
            vec!["no".into(), "yes".into()],
        );
        assert_eq!(
            d.binary_targets(TargetEncoding::ZeroOne).unwrap(),
            [1.0, 0.0, 1.0]
        );
    }
}
