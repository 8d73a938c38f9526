//! `micrograd grad` with its program from a file (`-f FILE`) or standard input (`-`,
//! `-f -`), and the hint for `^`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn grad(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .arg("grad")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const INPUTS: [&str; 5] = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870194432"];

#[test]
fn a_program_from_a_file_or_stdin_gives_the_inline_programs_output() {
    let inline: Vec<&str> = std::iter::once("n = x1*w1 + x2*w2 + b; o = tanh(n)")
        .chain(INPUTS)
        .collect();
    let want = grad(&inline, None);
    assert!(want.status.success());
    let want = text(&want.stdout);
    assert!(
        want.starts_with("value    0.7071067811864974\ngrad x1 -1.5"),
        "{want}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("neuron.txt");
    let program = "# the lecture's neuron\nn = x1*w1 + x2*w2 + b\no = tanh(n)\n";
    std::fs::write(&file, program).unwrap();
    let file = file.display().to_string();
    let from_file: Vec<&str> = ["-f", file.as_str()].into_iter().chain(INPUTS).collect();
    let long: Vec<&str> = ["--file", file.as_str()]
        .into_iter()
        .chain(INPUTS)
        .collect();
    let dash: Vec<&str> = std::iter::once("-").chain(INPUTS).collect();
    let f_dash: Vec<&str> = ["-f", "-"].into_iter().chain(INPUTS).collect();
    for (args, stdin) in [
        (&from_file, None),
        (&long, None),
        (&dash, Some(program.as_bytes())),
        (&f_dash, Some(program.as_bytes())),
    ] {
        let o = grad(args, stdin);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), want, "{args:?}");
    }
    // --json too, and the inputs in any order.
    let o = grad(&["-", "x=3", "--json"], Some(b"x**2"));
    assert_eq!(
        text(&o.stdout),
        "{\"value\": 9.0, \"grads\": {\"x\": 6.0}}\n"
    );
}

#[test]
fn errors_in_a_file_name_it_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prog.txt");
    std::fs::write(&file, "a = 2 * x\nb = a ^ 2\n").unwrap();
    let path = file.display().to_string();
    let o = grad(&["-f", &path, "x=1"], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "error: {path}: syntax error at line 2, column 7: unexpected character '^' (use ** \
             for powers: x**2)\n  b = a ^ 2\n        ^\n"
        )
    );
    let o = grad(&["-", "x=1"], Some(b"y = x * z"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with("error: <stdin>: undefined name 'z' at line 1, column 9"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn unreadable_programs_exit_2_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt").display().to_string();
    let big = dir.path().join("big.txt");
    std::fs::write(&big, " ".repeat(1_000_001)).unwrap();
    let big = big.display().to_string();
    let folder = dir.path().display().to_string();
    for (args, stdin, want) in [
        (
            vec!["-f", missing.as_str(), "x=1"],
            None,
            format!("error: -f {missing}: cannot read {missing}: No such file"),
        ),
        (
            vec!["-f", folder.as_str(), "x=1"],
            None,
            format!("error: -f {folder}: cannot read {folder}: Is a directory"),
        ),
        (
            vec!["-f", big.as_str()],
            None,
            format!("error: -f {big}: the program is longer than 1,000,000 bytes"),
        ),
        (
            vec!["-", "x=1"],
            Some(&b"x\xff"[..]),
            "error: -: standard input is not UTF-8 text (invalid byte at offset 1)".to_string(),
        ),
        (
            vec!["-"],
            Some(&b""[..]),
            "error: <stdin>: empty program".to_string(),
        ),
    ] {
        let o = grad(&args, stdin);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(&want), "{args:?}: {err:?}");
    }
}

#[test]
fn a_caret_gets_the_hint_inline_too_and_other_output_is_unchanged() {
    let o = grad(&["x^2", "x=3"], None);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: syntax error at line 1, column 2: unexpected character '^' (use ** for \
         powers: x**2)\n  x^2\n   ^\n"
    );
    // A program that starts with '-' is still a program, not a flag.
    let o = grad(&["-foo*2", "foo=1"], None);
    assert_eq!(text(&o.stdout), "value    -2.0\ngrad foo -2.0\n");
}
