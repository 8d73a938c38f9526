//! [`Classifier`]: a trained network with its loss, class names and feature names.

use super::LossKind;
use std::path::Path;

use crate::data::{
    DataError, Dataset, FirstRow, Rows, csv_file_header, first_repeat, load_features,
    load_labelled, parse_features, parse_labelled, text_header,
};
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
        let predicted: Vec<usize> = data
            .features
            .iter()
            .map(|x| self.predict_class(x))
            .collect();
        Ok(self.accuracy_of(data, &predicted))
    }

    /// [`Classifier::accuracy`] from the class ids already predicted for `data`'s rows (by
    /// [`Classifier::predict_class`], in order): the same number, without computing them
    /// again.
    ///
    /// Panics if `predicted` and `data` differ in length (a programming error).
    pub fn accuracy_of(&self, data: &Dataset, predicted: &[usize]) -> f64 {
        assert_eq!(
            predicted.len(),
            data.len(),
            "micrograd: Classifier::accuracy_of: one prediction per row"
        );
        if data.is_empty() {
            return 0.0;
        }
        let map: Vec<Option<usize>> = data
            .class_names
            .iter()
            .map(|name| self.class_of_label(name))
            .collect();
        let right = predicted
            .iter()
            .zip(&data.classes)
            .filter(|(p, c)| map[**c] == Some(**p))
            .count();
        right as f64 / data.len() as f64
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

    /// Whether the feature names are real ones, not the defaults `x0`, `x1`, ... (which a
    /// file's columns are matched to by position).
    fn has_feature_names(&self) -> bool {
        !self
            .feature_names
            .iter()
            .enumerate()
            .all(|(i, n)| *n == format!("x{i}"))
    }

    /// Reads CSV text to predict: the rows, features in the model's order, with their labels
    /// if the text has them. `label_column` names the column of the labels (the text must
    /// then have a header).
    ///
    /// If the text has a header and the model has feature names (not the defaults `x0`,
    /// `x1`, ...), the columns are matched by name, in any order: each of the model's
    /// features must be a column, and the one column left over (or `label_column`) holds
    /// the labels (none left over: no labels). The names matched must be unambiguous: the
    /// model's feature names must differ ([`DataError::DuplicateFeatureName`]), and the
    /// header must name each of them, and the label column, once
    /// ([`DataError::DuplicateColumn`]); other repeated names are not used and do not matter.
    /// Otherwise the columns are taken by position: labelled if the text has one column more
    /// than the model's inputs (or a `label_column`), unlabelled if it has exactly the
    /// model's inputs.
    ///
    /// Errors: those of [`crate::data::parse_csv`] and [`crate::data::parse_features`], and
    /// [`DataError::MissingFeatures`], [`DataError::ExtraColumns`] (more than one column
    /// left over), [`DataError::FeatureCount`], [`DataError::DuplicateFeatureName`],
    /// [`DataError::DuplicateColumn`].
    ///
    /// ```
    /// use micrograd::{data, nn::MLP, train::{Classifier, LossKind}};
    ///
    /// let c = Classifier {
    ///     model: MLP::new(2, &[4, 1]),
    ///     loss: LossKind::Svm,
    ///     class_names: vec!["no".into(), "yes".into()],
    ///     feature_names: vec!["a".into(), "b".into()],
    /// };
    /// let rows = c.parse_csv("b,y,a\n2,yes,1\n4,no,3\n", None).unwrap();
    /// assert_eq!(rows.features(), [[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(rows.labelled().unwrap().class_names, ["no", "yes"]);
    ///
    /// let e = c.parse_csv("a,b,a\n1,2,3\n", None).unwrap_err();
    /// assert_eq!(e, data::DataError::DuplicateColumn { name: "a".into(), columns: vec![1, 3] });
    /// ```
    pub fn parse_csv(&self, text: &str, label_column: Option<&str>) -> Result<CsvRows, DataError> {
        self.read_csv(Csv::Text(text), label_column)
    }

    /// [`Classifier::parse_csv`] on the CSV file at `path`, streamed (see
    /// [`crate::data::load_csv`]): the same rows and the same errors as on the file's text
    /// ([`DataError::NotUtf8`] first, as for a file read whole), with the memory of the
    /// numbers only.
    pub fn load_csv(&self, path: &Path, label_column: Option<&str>) -> Result<CsvRows, DataError> {
        match self.read_csv(Csv::File(path), label_column) {
            Err(e) if !matches!(e, DataError::Io { .. } | DataError::NotUtf8 { .. }) => {
                // An error found before the end of the file: the text read whole would have
                // been refused first if it is not UTF-8.
                crate::data::check_utf8(path)?;
                Err(e)
            }
            r => r,
        }
    }

    /// [`Classifier::parse_csv`] on text or a file.
    fn read_csv(&self, csv: Csv<'_>, label_column: Option<&str>) -> Result<CsvRows, DataError> {
        let wanted = &self.feature_names;
        let first = csv.header()?;
        if let Some(header) = first
            .as_ref()
            .and_then(|f| f.header.clone())
            .filter(|_| self.has_feature_names())
        {
            return self.match_by_name(csv, &header, label_column);
        }
        // By position: the file's first row says which reading can fit the model (one more
        // column than its inputs: labelled; as many: unlabelled, if every column is a
        // number); the other reading is not tried (its result would not be used), but for
        // its error when the one tried fails.
        let nin = self.model.nin();
        let width = first.map(|f| f.width);
        if label_column.is_none()
            && width == Some(nin)
            && let Ok((features, feature_names)) = csv.features()
        {
            return Ok(CsvRows::Unlabelled {
                features,
                feature_names,
            });
        }
        let d = csv.labelled(label_column, false)?;
        self.check_features(&d)?;
        debug_assert!(wanted.len() == d.n_features());
        Ok(CsvRows::Labelled(d))
    }

    /// [`Classifier::parse_csv`] for a text with a header, matched to the model's feature
    /// names.
    fn match_by_name(
        &self,
        csv: Csv<'_>,
        header: &[String],
        label_column: Option<&str>,
    ) -> Result<CsvRows, DataError> {
        let wanted = &self.feature_names;
        if let Some((name, features)) = first_repeat(wanted) {
            return Err(DataError::DuplicateFeatureName { name, features });
        }
        // An empty header field names no column (the data set calls it `x{i}`): a feature
        // named "" is missing, not matched to it.
        let missing: Vec<String> = wanted
            .iter()
            .filter(|n| n.is_empty() || !header.contains(n) || label_column == Some(n.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(DataError::MissingFeatures {
                missing,
                header: header.to_vec(),
            });
        }
        // Where a name is in the header: exactly once, or it is ambiguous.
        let once = |name: &str| -> Result<(), DataError> {
            let columns: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| *h == name)
                .map(|(j, _)| j + 1)
                .collect();
            if columns.len() > 1 {
                return Err(DataError::DuplicateColumn {
                    name: name.to_string(),
                    columns,
                });
            }
            Ok(())
        };
        for w in wanted {
            once(w)?;
        }
        let label = match label_column {
            Some(l) => Some(l.to_string()),
            None => {
                let mut extra: Vec<String> = Vec::new();
                for h in header {
                    if !wanted.contains(h) && !extra.contains(h) {
                        extra.push(h.clone());
                    }
                }
                match extra.len() {
                    0 => None,
                    1 => extra.pop(),
                    _ => return Err(DataError::ExtraColumns { columns: extra }),
                }
            }
        };
        if let Some(l) = &label {
            once(l)?;
        }
        // The position of each of the model's features among the text's feature columns (from
        // the header, where each is one column, checked above; the label's column is not a
        // feature); each row is reordered in place (one row's copy at a time).
        let column = |name: &str| header.iter().position(|h| h == name);
        let label_at = label.as_deref().and_then(column);
        let reorder = |rows: &mut Rows| {
            let at: Vec<usize> = wanted
                .iter()
                .map(|w| {
                    let j = column(w).expect("each feature is one column of the header");
                    match label_at {
                        Some(l) if j > l => j - 1,
                        _ => j,
                    }
                })
                .collect();
            rows.select_columns(&at);
        };
        match label {
            None => {
                let (mut rows, _) = csv.features()?;
                reorder(&mut rows);
                Ok(CsvRows::Unlabelled {
                    features: rows,
                    feature_names: wanted.clone(),
                })
            }
            Some(label) => {
                let mut d = csv.labelled(Some(&label), false)?;
                reorder(&mut d.features);
                d.feature_names = wanted.clone();
                Ok(CsvRows::Labelled(d))
            }
        }
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

/// The rows of a CSV text to predict, as [`Classifier::parse_csv`] reads them: features in
/// the model's order, with or without labels.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvRows {
    /// The text has labels: the rows as a data set, its features in the model's order.
    Labelled(Dataset),
    /// The text has no labels.
    Unlabelled {
        /// One row of features per example, in the model's order.
        features: Rows,
        /// Their names, in the model's order.
        feature_names: Vec<String>,
    },
}

impl CsvRows {
    /// The features of each row, in the model's order.
    pub fn features(&self) -> &Rows {
        match self {
            CsvRows::Labelled(d) => &d.features,
            CsvRows::Unlabelled { features, .. } => features,
        }
    }

    /// The features' names, in the model's order.
    pub fn feature_names(&self) -> &[String] {
        match self {
            CsvRows::Labelled(d) => &d.feature_names,
            CsvRows::Unlabelled { feature_names, .. } => feature_names,
        }
    }

    /// The rows with their labels, if the text has labels.
    pub fn labelled(&self) -> Option<&Dataset> {
        match self {
            CsvRows::Labelled(d) => Some(d),
            CsvRows::Unlabelled { .. } => None,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.features().len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.features().is_empty()
    }
}

/// Where [`Classifier::parse_csv`] reads from: text in memory, or a file (streamed).
#[derive(Clone, Copy)]
enum Csv<'a> {
    Text(&'a str),
    File(&'a Path),
}

impl Csv<'_> {
    /// The header (if the first row is one) and the first row's width; `None` without rows.
    fn header(self) -> Result<Option<FirstRow>, DataError> {
        match self {
            Csv::Text(t) => Ok(text_header(t)),
            Csv::File(p) => csv_file_header(p),
        }
    }

    /// Every column a feature ([`crate::data::parse_features`]).
    fn features(self) -> Result<(Rows, Vec<String>), DataError> {
        match self {
            Csv::Text(t) => parse_features(t),
            Csv::File(p) => load_features(p),
        }
    }

    /// With labels ([`crate::data::parse_csv`]; repeated names allowed unless
    /// `unique_names`).
    fn labelled(self, label: Option<&str>, unique_names: bool) -> Result<Dataset, DataError> {
        match self {
            Csv::Text(t) => parse_labelled(t, label, unique_names),
            Csv::File(p) => load_labelled(p, label, unique_names),
        }
    }
}
