//! Hostile input through the binary (issue #12): control characters never reach the
//! terminal raw, and sizes from input are checked before memory is reserved (an error with
//! status 2, never an allocation abort).

use std::path::Path;
use std::process::{Command, Output};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, text: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// No byte of `out` is a control character but a line break or a tab.
fn assert_no_controls(what: &str, out: &[u8]) {
    let bad = out
        .iter()
        .find(|&&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f);
    assert!(
        bad.is_none(),
        "{what}: raw control byte {bad:?} in {:?}",
        text(out)
    );
}

#[test]
fn the_grad_snippet_escapes_control_characters() {
    // The reproducer of the issue: the message escaped the character, the snippet did not.
    let o = micrograd(&["grad", "x\x1b]0;pwned\x07", "x=1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("stderr", &o.stderr);
    assert_eq!(
        text(&o.stderr),
        "error: syntax error at line 1, column 2: unexpected character '\\u{1b}'\n  \
         x\\u{1b}]0;pwned\\u{7}\n   ^^^^^^\n"
    );
}

#[test]
fn clap_errors_do_not_echo_control_characters() {
    let o = micrograd(&["train", "--steps", "1\x1b]0;pwned\x07"]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("stderr", &o.stderr);
    assert!(
        text(&o.stderr).contains("for '--steps <N>'"),
        "{}",
        text(&o.stderr)
    );
    let o = micrograd(&["train", "--layers", "4,\x1b[2J"]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("stderr", &o.stderr);
    assert!(
        text(&o.stderr).contains("\\u{1b}[2J"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn file_names_labels_and_columns_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // A file name with an escape sequence, in the error that names it.
    let o = micrograd(&["train", "--data", "no\x1b[2Jsuch.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("stderr", &o.stderr);
    assert!(
        text(&o.stderr).contains("no\\u{1b}[2Jsuch.csv"),
        "{}",
        text(&o.stderr)
    );
    // Labels and column names with escape sequences: trained, saved, predicted; every
    // message and every line of the report is escaped.
    let csv = write(
        dir.path(),
        "d.csv",
        b"a\x1b[31m,b,y\n1,0,\x1b]0;yes\x07\n-1,0.5,no\n0.8,0.1,\x1b]0;yes\x07\n-0.7,0.4,no\n",
    );
    let model = dir.path().join("m.json").display().to_string();
    let o = micrograd(&["train", "--data", &csv, "--steps", "20", "--save", &model]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_no_controls("train stdout", &o.stdout);
    assert_no_controls("train stderr", &o.stderr);
    let o = micrograd(&["predict", "--model", &model, "--data", &csv]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_no_controls("predict stdout", &o.stdout);
    let out = text(&o.stdout);
    assert!(
        out.starts_with("a\\u{1b}[31m,b,prediction,label\n"),
        "{out}"
    );
    assert!(out.contains("\\u{1b}]0;yes\\u{7}"), "{out}");
    let o = micrograd(&[
        "predict",
        "--model",
        &model,
        "--data",
        &csv,
        "--label-column",
        "\x1b[2J",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("predict stderr", &o.stderr);
    // A bad field's text, in a CSV error.
    let bad = write(dir.path(), "bad.csv", b"a,b,y\n1,\x1b[2J,p\n");
    let o = micrograd(&["train", "--data", &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert_no_controls("stderr", &o.stderr);
    assert!(
        text(&o.stderr).contains("line 2, column 2"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bench_sizes_are_bounded_before_allocating() {
    // Each of these aborted with `memory allocation of N bytes failed` and a backtrace.
    for (args, flag) in [
        (
            &["bench", "parallel", "--points", "100000000000"][..],
            "--points",
        ),
        (
            &["bench", "chain", "--length", "1000000000"][..],
            "--length",
        ),
        (
            &["bench", "longrun", "--steps", "100000000000"][..],
            "--steps",
        ),
    ] {
        let o = micrograd(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(flag) && err.contains("is not in"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("memory allocation"), "{args:?}: {err}");
    }
}

/// The `predict_columns` fuzz target's crash through the binary: a model file whose feature
/// names include "" (edited by hand) and a header with an empty field panicked (status
/// 101); it is a missing column (status 2).
#[test]
fn a_model_feature_named_empty_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", b"a,b,c,y\n1,0,2,p\n-1,0.5,3,q\n");
    let model = dir.path().join("m.json").display().to_string();
    let o = micrograd(&["train", "--data", &csv, "--steps", "2", "--save", &model]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json = std::fs::read_to_string(&model).unwrap();
    let edited = json.replacen("\"b\"", "\"\"", 1);
    assert_ne!(json, edited);
    std::fs::write(&model, edited).unwrap();
    let data = write(dir.path(), "e.csv", b"y,c,a,\np,0,0,5\nq,1,2,6\n");
    let o = micrograd(&[
        "predict",
        "--model",
        &model,
        "--data",
        &data,
        "--label-column",
        "y",
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("are not in the header"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
