//! Writing to standard output never panics: a closed pipe (`micrograd train | head -1`) ends
//! the command quietly with status 0, a failed write (`> /dev/full`) exits 1 saying so.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
}

/// Every subcommand that prints to stdout, with arguments that print several lines.
fn commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    let model = dir.join("m.json");
    let data = dir.join("d.csv");
    std::fs::write(&data, micrograd::data::DEMO_MOONS_CSV).unwrap();
    let o = bin()
        .args(["train", "--steps", "3", "--save"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success());
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        s(&["grad", "x*y", "x=2", "y=3"]),
        s(&["grad", "--json", "x*y", "x=2", "y=3"]),
        s(&["demo"]),
        s(&["train", "--steps", "20"]),
        s(&["train", "--steps", "20", "--json"]),
        s(&[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]),
    ]
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_closed_pipe_ends_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    for args in commands(dir.path()) {
        // The reader is gone before the command writes anything: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = bin()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("error:"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn train_piped_into_head_stops_at_status_0() {
    // `micrograd train --steps 2000 | head -1`: read the first line, then hang up.
    let mut child = bin()
        .args(["train", "--steps", "2000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap(); // the reader is dropped here
    assert!(first.starts_with("training MLP 2-16-16-1"), "{first}");
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(0), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_exits_1_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    for args in commands(dir.path()) {
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = bin()
            .args(&args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

/// A closed standard error does not turn a warning or an error message into a panic: the
/// status stays that of the command (0 with a warning, 2 for bad input).
#[test]
fn a_closed_stderr_keeps_the_status() {
    let run = |args: &[&str]| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        bin()
            .args(args)
            .stdout(Stdio::null())
            .stderr(writer)
            .status()
            .unwrap()
            .code()
    };
    // `x` is an input and is assigned again: a warning on stderr.
    assert_eq!(run(&["grad", "x = 3; x * x", "x=2"]), Some(0));
    assert_eq!(run(&["grad", "x *"]), Some(2));
    assert_eq!(run(&["train", "--steps", "2"]), Some(0));
}
