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
            "--label-column \"label\": no such column in the header (columns: x0, x1, y)",
        ),
        (
            "1,2,1\n",
            Some("y"),
            "--label-column \"y\": the file has no header row to find it in",
        ),
    ];
    for (text, label, message) in cases {
        let e = parse_csv(text, label).unwrap_err();
        assert_eq!(e.to_string(), message, "{text:?}");
    }
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
