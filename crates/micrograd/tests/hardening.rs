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
    assert!(e.to_string().ends_with("  x = \\u{1b} + 1 )\n      ^^^^^^"), "{e}");
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
