//! Hostile input through the library (issue #12): messages escape control characters, and
//! the inputs the fuzzers found failing stay fixed (each named after what it found).

use micrograd::data::parse_csv;
use micrograd::expr;

#[test]
fn a_program_snippet_escapes_controls_and_keeps_its_caret_aligned() {
    let e = expr::parse("y = a\x07 * ) + b").unwrap_err();
    let msg = e.to_string();
    assert_eq!(
        msg,
        "syntax error at line 1, column 6: unexpected character '\\u{7}'\n  \
         y = a\\u{7} * ) + b\n       ^^^^^"
    );
    assert_eq!((e.line(), e.column()), (1, 6));
    // The caret after an escaped character still points under the place.
    let e = expr::parse("x = \x1b + 1 )").unwrap_err();
    assert!(
        e.to_string().ends_with("  x = \\u{1b} + 1 )\n      ^^^^^^"),
        "{e}"
    );
    let e = expr::parse("\u{202e}x + 1").unwrap_err();
    assert!(!e.to_string().contains('\u{202e}'), "{e}");
}

#[test]
fn csv_messages_escape_names_and_fields() {
    let e = parse_csv("a\x1b[31m,b,y\n1,2,p\n", Some("z")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no column named \"z\" in the header to take the labels from (columns: a\\u{1b}[31m, b, y)"
    );
    let e = parse_csv("a,b\x07,y\n1,\x1b[2J,p\n", None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 2 (\"b\\u{7}\"): \"\\u{1b}[2J\" is not a number (features must be numeric)"
    );
}

#[test]
fn model_file_messages_escape_what_the_file_says() {
    let e = micrograd::nn::model::from_json_str(
        r#"{"format": "micrograd-mlp", "version": 1, "architecture": {"nin": 1, "layers": []}, "weights": [], "\u001b]0;x\u0007": 1}"#,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("unknown field `\\u{1b}]0;x\\u{7}`"), "{msg}");
    assert!(!msg.chars().any(|c| c.is_control()), "{msg:?}");
}

/// Found by the `predict_columns` fuzz target: a model (from a model file) with a feature
/// named "" and a header with an empty field. Matching by name took the empty field for the
/// feature, then looked it up among the data set's names (where it is `x3`) and panicked;
/// an empty field names no column, so the feature is missing.
#[test]
fn a_feature_named_empty_is_missing_not_a_panic() {
    use micrograd::data::DataError;
    use micrograd::nn::MLP;
    use micrograd::train::{Classifier, LossKind};
    let c = Classifier {
        model: MLP::new(3, &[2, 1]),
        loss: LossKind::Svm,
        class_names: vec!["0".into(), "1".into()],
        feature_names: vec!["a".into(), "".into(), "b".into()],
    };
    let e = c
        .parse_csv("y,b,a,\nyec,0,0,5\nn,1,2,6\n", Some("y"))
        .unwrap_err();
    assert_eq!(
        e,
        DataError::MissingFeatures {
            missing: vec!["".into()],
            header: vec!["y".into(), "b".into(), "a".into(), "".into()],
        }
    );
    // Matched by the header's positions, whatever the data set calls its columns.
    let c = Classifier {
        feature_names: vec!["x1".into(), "x0".into()],
        ..c
    };
    let c = Classifier {
        model: MLP::new(2, &[2, 1]),
        ..c
    };
    let rows = c.parse_csv("x1,y,x0\n1,p,2\n3,q,4\n", None).unwrap();
    assert_eq!(rows.features(), [[1.0, 2.0], [3.0, 4.0]]);
}

#[test]
fn an_unknown_name_is_escaped() {
    let e = "re\x1b[2Jlu"
        .parse::<micrograd::nn::Activation>()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unknown activation `re\\u{1b}[2Jlu`"),
        "{e}"
    );
}
