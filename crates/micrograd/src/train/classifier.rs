//! [`Classifier`]: a trained network with its loss, class names and feature names.

use super::LossKind;
use crate::data::{DataError, Dataset};
use crate::nn::MLP;

#[cfg(feature = "serde")]
mod files;

/// A trained network with what it takes to report its predictions as labels: the loss it
/// was trained with (which fixes how outputs become classes), the class names and the
/// feature names.
pub struct Classifier {
    /// The network.
    pub model: MLP,
    /// The loss it was trained with.
    pub loss: LossKind,
    /// The original label text of each class, in class-id order.
    pub class_names: Vec<String>,
    /// The feature columns it takes, in order.
    pub feature_names: Vec<String>,
}

impl Classifier {
    /// The class id predicted for one example (`x.len()` must be the model's inputs).
    pub fn predict_class(&self, x: &[f64]) -> usize {
        self.loss.classify(&self.model.forward_f64(x))
    }

    /// The label text predicted for one example.
    pub fn predict_label(&self, x: &[f64]) -> &str {
        &self.class_names[self.predict_class(x)]
    }

    /// The fraction of `data` classified right, matching the data's labels to the model's
    /// by text (or by number, so `1.0` matches `1`); labels the model never saw count wrong.
    ///
    /// Errors with [`DataError::FeatureCount`] if the data has the wrong number of features.
    pub fn accuracy(&self, data: &Dataset) -> Result<f64, DataError> {
        self.check_features(data)?;
        if data.is_empty() {
            return Ok(0.0);
        }
        let map: Vec<Option<usize>> = data
            .class_names
            .iter()
            .map(|name| self.class_of_label(name))
            .collect();
        let right = data
            .features
            .iter()
            .zip(&data.classes)
            .filter(|(x, c)| map[**c] == Some(self.predict_class(x)))
            .count();
        Ok(right as f64 / data.len() as f64)
    }

    /// The model's class id for a label text, if it has one.
    pub fn class_of_label(&self, label: &str) -> Option<usize> {
        let as_number = |s: &str| s.parse::<f64>().ok();
        self.class_names
            .iter()
            .position(|n| n == label)
            .or_else(|| {
                let x = as_number(label)?;
                self.class_names
                    .iter()
                    .position(|n| as_number(n) == Some(x))
            })
    }

    /// Checks that `data` has as many features as the model takes.
    pub fn check_features(&self, data: &Dataset) -> Result<(), DataError> {
        if data.n_features() != self.model.nin() {
            return Err(DataError::FeatureCount {
                expected: self.model.nin(),
                found: data.n_features(),
            });
        }
        Ok(())
    }
}
