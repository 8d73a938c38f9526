//! The `csv` target: the library's CSV reader against the reference reader (`csv_reference`),
//! on text and (through a file) on bytes: the same data sets, the same errors, clean
//! messages.

use micrograd::data::{self, DataError, Dataset};

use crate::csv_reference as reference;
use crate::{assert_clean, temp_path};

/// Checks one input.
pub fn check(data: &[u8]) {
    let text = match reference::text_of(data) {
        Ok(t) => t,
        Err(e) => {
            check_file(data, &Err(e), None);
            return;
        }
    };
    let header = reference::csv_header(text);
    assert_eq!(data::csv_header(text), header, "csv_header");
    // The label column: the default (the last), one of the header's, and one it lacks.
    let mut labels: Vec<Option<String>> = vec![None, Some("no such column".into())];
    if let Some(h) = &header {
        labels.push(h.get(data.len() % h.len().max(1)).cloned());
    }
    for label in &labels {
        let want = reference::parse_csv(text, label.as_deref());
        let got = data::parse_csv(text, label.as_deref());
        assert_eq!(got, want, "parse_csv with label column {label:?}");
        match &got {
            Ok(d) => consistent(d),
            Err(e) => assert_clean("parse_csv", &e.to_string()),
        }
        if label.is_none() {
            check_file(data, &want, None);
        }
    }
    let want = reference::parse_features(text)
        .map(|(rows, names)| (reference::rows_of(&rows, names.len()), names));
    let got = data::parse_features(text);
    assert_eq!(got, want, "parse_features");
    if let Err(e) = &got {
        assert_clean("parse_features", &e.to_string());
    }
}

/// `load_csv` on a file holding `bytes` gives what the reference gives on its text.
fn check_file(bytes: &[u8], want: &Result<Dataset, DataError>, label: Option<&str>) {
    let path = temp_path("csv");
    std::fs::write(&path, bytes).expect("the temporary file is written");
    let got = data::load_csv(&path, label);
    let _ = std::fs::remove_file(&path);
    assert_eq!(&got, want, "load_csv");
    if let Err(e) = &got {
        assert_clean("load_csv", &e.to_string());
    }
}

/// The invariants of a data set.
fn consistent(d: &Dataset) {
    assert_eq!(d.features.len(), d.classes.len());
    assert!(d.features.iter().all(|r| r.len() == d.n_features()));
    assert!(d.features.iter().flatten().all(|x| x.is_finite()));
    assert!(d.classes.iter().all(|&c| c < d.n_classes()));
    assert!(d.n_features() >= 1);
}
