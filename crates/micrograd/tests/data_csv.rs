//! CSV loading: headers, label columns, class mapping, and every error with its line and
//! column.

use std::path::Path;

use micrograd::data::{self, DataError, TargetEncoding, load_csv, parse_csv};

#[test]
fn the_embedded_demo_file() {
    let d = data::demo_moons();
    assert_eq!(d.len(), 100);
    assert_eq!(d.class_names, ["-1", "1"]);
    assert_eq!(d.class_counts(), [50, 50]);
    let pm = d.binary_targets(TargetEncoding::PlusMinusOne).unwrap();
    let zo = d.binary_targets(TargetEncoding::ZeroOne).unwrap();
    // the file's own labels come back for ±1, and 0/1 for bce
    let file_labels: Vec<f64> = data::DEMO_MOONS_CSV
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(pm, file_labels);
    assert_eq!(
        zo,
        file_labels
            .iter()
            .map(|y| (y + 1.0) / 2.0)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        d.points_2d().unwrap()[1],
        [-0.8188294130836691, 0.058790063907949996]
    );
}

#[test]
fn header_is_optional_and_label_column_can_be_named() {
    let with = parse_csv("x0,x1,y\n1,2,b\n3,4,a\n", None).unwrap();
    let without = parse_csv("1,2,b\n3,4,a\n", None).unwrap();
    assert_eq!(with.features, without.features);
    assert_eq!(with.classes, [1, 0]);
    assert_eq!(with.classes, without.classes);
    let named = parse_csv(
        "species,len,width\nsetosa,5.1,3.5\nvirginica,6.3,3.3\n",
        Some("species"),
    )
    .unwrap();
    assert_eq!(named.features, [[5.1, 3.5], [6.3, 3.3]]);
    assert_eq!(named.feature_names, ["len", "width"]);
    assert_eq!(named.class_names, ["setosa", "virginica"]);
}

#[test]
fn every_bad_file_is_an_error_naming_where() {
    let cases: [(&str, Option<&str>, &str); 8] = [
        (
            "x0,x1,y\n1,2,1\n1,2,3,4\n",
            None,
            "line 3: 4 fields, but the first row has 3 (ragged row)",
        ),
        (
            "x0,x1,y\n1,2,1\n\n1,oops,-1\n",
            None,
            "line 4, column 2 (\"x1\"): \"oops\" is not a number (features must be numeric)",
        ),
        (
            "1,2,1\n1,inf,1\n",
            None,
            "line 2, column 2: \"inf\" is not a number (features must be numeric)",
        ),
        ("", None, "the file is empty (no rows)"),
        (
            "x0,x1,y\n",
            None,
            "the file has a header row but no data rows",
        ),
        (
            "x0,x1,y\n1,2, \n",
            None,
            "line 2, column 3: the label is empty",
        ),
        (
            "x0,x1,y\n1,2,1\n",
            Some("label"),
            "no column named \"label\" in the header to take the labels from (columns: x0, x1, y)",
        ),
        (
            "1,2,1\n",
            Some("y"),
            "the labels were asked for from the column named \"y\", but the file has no header row to find it in",
        ),
    ];
    for (text, label, message) in cases {
        let e = parse_csv(text, label).unwrap_err();
        assert_eq!(e.to_string(), message, "{text:?}");
        assert!(
            !message.contains("--"),
            "the library names no flag: {message}"
        );
    }
}

#[test]
fn a_header_that_repeats_a_name_is_an_error_naming_the_columns() {
    // F1 of issue #12: `a,a,y` trained, saved the names a, a, and predict then read the
    // first `a` twice. A data set's names must differ.
    let e = parse_csv("a,a,y\n1,2,yes\n3,4,no\n", None).unwrap_err();
    assert_eq!(
        e,
        DataError::DuplicateColumn {
            name: "a".into(),
            columns: vec![1, 2]
        }
    );
    assert_eq!(
        e.to_string(),
        "the header names \"a\" more than once (columns 1 and 2): columns are matched by \
         name, so their names must differ"
    );
    // The label's name counts too (a feature named like the label), wherever it is.
    let e = parse_csv("y,b,y\n1,2,p\n", None).unwrap_err();
    assert_eq!(
        e,
        DataError::DuplicateColumn {
            name: "y".into(),
            columns: vec![1, 3]
        }
    );
    let e = parse_csv("b,y,c,b,b\n1,p,2,3,4\n", Some("y")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the header names \"b\" more than once (columns 1, 4 and 5): columns are matched by \
         name, so their names must differ"
    );
    // Without a header the names are x0, x1, ...: nothing repeats.
    assert!(parse_csv("1,1,1\n2,2,2\n", None).is_ok());
}

#[test]
fn single_class_is_an_error_for_a_binary_target() {
    let d = parse_csv("x,y\n1,1\n2,1\n", None).unwrap();
    assert_eq!(d.n_classes(), 1);
    let e = d.binary_targets(TargetEncoding::PlusMinusOne).unwrap_err();
    assert_eq!(
        e,
        DataError::Classes {
            found: vec!["1".into()],
            needed: "exactly 2".into()
        }
    );
}

#[test]
fn a_missing_file_names_the_path() {
    let e = load_csv(Path::new("/nonexistent/data.csv"), None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read /nonexistent/data.csv: "),
        "{e}"
    );
}

/// A binary classifier of 2 inputs named `names`, classes `no`/`yes`.
fn classifier(names: [&str; 2]) -> micrograd::train::Classifier {
    micrograd::train::Classifier {
        model: micrograd::nn::MLP::new(2, &[3, 1]),
        loss: micrograd::train::LossKind::Svm,
        class_names: vec!["no".into(), "yes".into()],
        feature_names: names.map(String::from).to_vec(),
    }
}

#[test]
fn predict_rows_match_the_models_features_by_name() {
    use micrograd::train::CsvRows;
    let c = classifier(["a", "b"]);
    // Labelled (the one column left over), in another order.
    let rows = c.parse_csv("y,b,a\nyes,2,1\nno,4,3\n", None).unwrap();
    assert_eq!(rows.features(), [[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(rows.feature_names(), ["a", "b"]);
    let d = rows.labelled().unwrap();
    assert_eq!(
        (d.classes.clone(), d.class_names.clone()),
        (vec![1, 0], vec!["no".to_string(), "yes".to_string()])
    );
    assert_eq!(rows.len(), 2);
    // Unlabelled.
    let rows = c.parse_csv("b,a\n2,1\n", None).unwrap();
    assert_eq!(
        rows,
        CsvRows::Unlabelled {
            features: vec![vec![1.0, 2.0]].into(),
            feature_names: vec!["a".into(), "b".into()]
        }
    );
    // Unused columns may repeat a name when the label column is named.
    let rows = c.parse_csv("z,a,z,b,y\n0,1,0,2,yes\n", Some("y")).unwrap();
    assert_eq!(rows.features(), [[1.0, 2.0]]);
    // Errors: a missing feature, two columns left over, the label named as a feature.
    let missing = c.parse_csv("a,c,y\n1,0,yes\n", None).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "the model's feature column(s) b are not in the header (a, c, y); columns are matched by name"
    );
    assert_eq!(
        c.parse_csv("a,b,c,y\n1,0,2,yes\n", None).unwrap_err(),
        DataError::ExtraColumns {
            columns: vec!["c".into(), "y".into()]
        }
    );
    assert!(matches!(
        c.parse_csv("a,b,y\n1,0,yes\n", Some("b")).unwrap_err(),
        DataError::MissingFeatures { missing, .. } if missing == ["b"]
    ));
}

#[test]
fn predict_rows_refuse_ambiguous_names() {
    // F1 of issue #12, the predicting side: a model whose features are both named `a`.
    let aa = classifier(["a", "a"]);
    let e = aa.parse_csv("a,a,y\n1,2,yes\n", None).unwrap_err();
    assert_eq!(
        e,
        DataError::DuplicateFeatureName {
            name: "a".into(),
            features: vec![1, 2]
        }
    );
    assert_eq!(
        e.to_string(),
        "the feature name \"a\" is used more than once (features 1 and 2): features are \
         matched to columns by name, so their names must differ"
    );
    // Without a header there are no names to confuse: by position.
    let rows = aa.parse_csv("1,2,yes\n", None).unwrap();
    assert_eq!(rows.features(), [[1.0, 2.0]]);
    // A file that names one of the model's features twice, or the label column twice.
    let c = classifier(["a", "b"]);
    assert_eq!(
        c.parse_csv("b,a,a,y\n1,2,3,yes\n", None).unwrap_err(),
        DataError::DuplicateColumn {
            name: "a".into(),
            columns: vec![2, 3]
        }
    );
    assert_eq!(
        c.parse_csv("a,b,y,y\n1,2,yes,no\n", None).unwrap_err(),
        DataError::DuplicateColumn {
            name: "y".into(),
            columns: vec![3, 4]
        }
    );
    assert_eq!(
        c.parse_csv("a,b,y,y\n1,2,yes,no\n", Some("y")).unwrap_err(),
        DataError::DuplicateColumn {
            name: "y".into(),
            columns: vec![3, 4]
        }
    );
}

#[test]
fn predict_rows_by_position_for_a_model_without_names() {
    let c = classifier(["x0", "x1"]);
    // A header that repeats names is matched by position: no ambiguity.
    let rows = c.parse_csv("p,p,label\n1,2,yes\n", None).unwrap();
    assert_eq!(rows.features(), [[1.0, 2.0]]);
    assert_eq!(rows.labelled().unwrap().class_names, ["yes"]);
    let rows = c.parse_csv("1,2\n3,4\n", None).unwrap();
    assert!(rows.labelled().is_none());
    assert_eq!(rows.feature_names(), ["x0", "x1"]);
    assert_eq!(
        c.parse_csv("1,2,3,yes\n", None).unwrap_err(),
        DataError::FeatureCount {
            expected: 2,
            found: 3
        }
    );
}

/// A line longer than `MAX_LINE_BYTES` (a file with no line breaks, `/dev/zero`) is an
/// error naming the line, not memory without end.
#[test]
fn a_line_without_end_is_an_error_not_an_allocation() {
    let dir = std::env::temp_dir().join(format!("mg-csv-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("long.csv");
    let mut text = String::from("x,y,label\n1,2,1\n");
    text.push_str(&"3".repeat(data::MAX_LINE_BYTES + 1));
    std::fs::write(&path, &text).unwrap();
    let e = load_csv(&path, None).unwrap_err();
    assert_eq!(e, DataError::LineTooLong { line: 3 });
    assert_eq!(
        e.to_string(),
        "line 3: longer than 4 MiB (a CSV line holds one example; is this a CSV file?)"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    if Path::new("/dev/zero").exists() {
        let e = load_csv(Path::new("/dev/zero"), None).unwrap_err();
        assert_eq!(e, DataError::LineTooLong { line: 1 });
    }
}

/// After an error, the rest of the input is read only so far (looking for a UTF-8 error
/// that would come first): an endless pipe of good lines does not hang the answer.
#[cfg(unix)]
#[test]
fn an_error_in_an_endless_pipe_is_answered() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("mg-csv-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("endless.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(b"x,y\n1,2\n3\n");
            let lines = "1,2\n".repeat(16 * 1024);
            // Until the reader closes the pipe (a broken pipe ends it).
            while f.write_all(lines.as_bytes()).is_ok() {}
        })
    };
    let e = data::load_features(&fifo).unwrap_err();
    assert!(matches!(e, DataError::Ragged { line: 3, .. }), "{e:?}");
    writer.join().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// More than `MAX_COLUMNS` fields on a line (a header of a million names, a line of
/// commas) is an error before the fields are kept.
#[test]
fn too_many_columns_is_an_error() {
    let wide = ",".repeat(data::MAX_COLUMNS);
    let e = parse_csv(&format!("{wide}\n"), None).unwrap_err();
    assert_eq!(e, DataError::TooManyColumns { line: 1 });
    assert_eq!(e.to_string(), "line 1: more than 100,000 columns");
    let ok = ",".repeat(data::MAX_COLUMNS - 1);
    let e = parse_csv(&format!("{ok}\n"), None).unwrap_err();
    assert!(!matches!(e, DataError::TooManyColumns { .. }), "{e:?}");
}
