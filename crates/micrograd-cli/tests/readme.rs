//! The README's console examples, run: every command of a ```console or ```text block (a
//! line starting with `$ `) that runs micrograd (`$ micrograd ...`, or a pipe into it, as
//! `$ printf 'x**2' | micrograd grad - x=3`) or writes a small file for the next one
//! (`$ printf ... > lecture.csv`, `echo`, `cat`) is run with the built binary, and its
//! output (stdout and stderr, in the order written) is compared with the lines that follow
//! it in the block, up to the next `$ ` line or the end of the block. So the README cannot
//! go stale. Other commands (`$ pip install ...`) are not run.
//!
//! The rules for what is not compared, all on the README's side:
//! - a line that is only `...` stands for any number of lines (none included);
//! - `...` inside a line stands for any text there (`[-1,-1,1,...]`);
//! - timings are not compared: a number followed by ` s` or ` ms/step`, and the value of
//!   a JSON key `"seconds"`, are masked on both sides (`done in 0.015 s (0.15 ms/step)`).
//!
//! - commands that do not end or that measure the machine are not run: `micrograd serve`
//!   (a server, until Ctrl-C; `micrograd serve --bench` measures it) and `micrograd bench`
//!   (timings). Any other command that runs longer than 120 s is killed and fails the test.
//!
//! Everything else must be equal, line for line. The commands run through `sh` (the README
//! writes them for a shell: quotes, `2>/dev/null`) in one temporary directory shared by the
//! whole README, in order (a `train --save model.json` serves the `predict` after it), with
//! the repository's `data/` reachable as `data/`, and `micrograd` first on the `PATH`.
//! Lines of a block that come before its first `$ ` command (a usage synopsis) are
//! not commands and are skipped.

#![cfg(unix)] // the commands run through sh

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The commands that are not run (see the module's rules).
const NOT_RUN: [&str; 2] = ["micrograd serve", "micrograd bench"];

/// Whether the test runs `command` (see the module's rules).
fn runs(command: &str) -> bool {
    let micrograd = command.starts_with("micrograd ") || command.contains("| micrograd ");
    let setup = ["printf ", "echo ", "cat "]
        .iter()
        .any(|c| command.starts_with(c));
    (micrograd || setup) && !NOT_RUN.iter().any(|c| command.starts_with(c))
}

/// How long a command may run.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A command of the README and the output it shows.
struct Example {
    /// The README's line number of the `$` line (1-based), for messages.
    line: usize,
    command: String,
    expected: Vec<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether a single-quoted shell string is still open after `text`.
fn open_quote(text: &str) -> bool {
    text.chars().filter(|&c| c == '\'').count() % 2 == 1
}

/// The console examples of `readme`, in order.
fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        let checked = fence.starts_with("```console") || fence.starts_with("```text");
        i += 1;
        if !fence.starts_with("```") {
            continue;
        }
        // The block's lines, up to the closing fence.
        let start = i;
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            i += 1;
        }
        let block = &lines[start..i];
        i += 1; // the closing fence
        if !checked {
            continue;
        }
        let mut k = 0;
        let mut current: Option<Example> = None;
        while k < block.len() {
            let line = block[k];
            if let Some(cmd) = line.strip_prefix("$ ") {
                out.extend(current.take());
                // A command continues on the next lines while a quote is open.
                let mut command = cmd.to_string();
                let first = k;
                while open_quote(&command) && k + 1 < block.len() {
                    k += 1;
                    command.push('\n');
                    command.push_str(block[k]);
                }
                current = Some(Example {
                    line: start + first + 1,
                    command,
                    expected: Vec::new(),
                });
            } else if let Some(ex) = &mut current {
                ex.expected.push(line.to_string());
            }
            k += 1;
        }
        out.extend(current.take());
    }
    out
}

/// `text` with its timings masked (see the module's rules).
fn mask_timings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A number: digits with at most one point.
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let rest: String = chars[j..].iter().take(8).collect();
            let before: String = chars[..i].iter().collect();
            let timing = rest.starts_with(" ms/step")
                || (rest.starts_with(" s")
                    && !rest[2..].starts_with(|c: char| c.is_alphanumeric()))
                || before.ends_with("\"seconds\": ");
            if timing {
                out.push_str("<time>");
                i = j;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether `actual` matches the `pattern` line (`...` inside it matching any text).
fn line_matches(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let mut rest = actual;
    for (n, part) in parts.iter().enumerate() {
        if n == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if n == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether the `actual` lines match the `expected` ones (a line of `...` matching any run
/// of lines).
fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty() && line_matches(first, &actual[0]) && lines_match(rest, &actual[1..])
        }
    }
}

/// Drops the trailing blank lines (a block's output ends where the next command or the
/// fence starts; a blank line may separate commands).
fn trimmed(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// Runs `command` through `sh` in `dir` with `PATH` = `path`: its output (stdout and stderr
/// in the order written), or an error after `timeout` (the command and its children are
/// killed: it runs in a process group of its own).
fn run(command: &str, dir: &Path, path: &str, timeout: Duration) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("sh runs");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > timeout {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            let _ = reader.join();
            return Err(format!("did not end within {} s", timeout.as_secs_f64()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = reader.join().expect("the reader thread");
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn the_readmes_console_examples_print_what_the_readme_shows() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(
        examples.len() >= 15,
        "found only {} examples: is the parser still right?",
        examples.len()
    );
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(repo_root().join("data"), dir.path().join("data")).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_micrograd")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for ex in &examples {
        if !runs(&ex.command) {
            continue;
        }
        let actual = match run(&ex.command, dir.path(), &path, TIMEOUT) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!(
                    "README.md line {}: $ {}
{e}
",
                    ex.line, ex.command
                ));
                continue;
            }
        };
        let actual: Vec<String> =
            trimmed(mask_timings(&actual).lines().map(str::to_string).collect());
        let expected: Vec<String> = trimmed(ex.expected.iter().map(|l| mask_timings(l)).collect());
        if !lines_match(&expected, &actual) {
            failures.push(format!(
                "README.md line {}: $ {}\n--- the README shows:\n{}\n--- the binary prints:\n{}\n",
                ex.line,
                ex.command,
                expected.join("\n"),
                actual.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} README examples differ:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

#[test]
fn the_rules_of_the_comparison() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(lines_match(
        &s(&["a", "...", "d"]),
        &s(&["a", "b", "c", "d"])
    ));
    assert!(lines_match(&s(&["a", "...", "b"]), &s(&["a", "b"])));
    assert!(!lines_match(&s(&["a", "...", "d"]), &s(&["a", "b"])));
    assert!(lines_match(&s(&["[1,2,...]"]), &s(&["[1,2,3,4]"])));
    assert!(!lines_match(&s(&["[1,2,...]"]), &s(&["[1,3,3]"])));
    assert_eq!(
        mask_timings("done in 0.015 s (0.15 ms/step): loss 0.014574, 100.0% (100/100)"),
        "done in <time> s (<time> ms/step): loss 0.014574, 100.0% (100/100)"
    );
    assert_eq!(
        mask_timings("{\"steps\": 100, \"loss\": 0.01, \"seconds\": 0.02012}"),
        "{\"steps\": 100, \"loss\": 0.01, \"seconds\": <time>}"
    );
    assert_eq!(mask_timings("3 steps, 2 samples"), "3 steps, 2 samples");
    assert!(runs("micrograd grad x x=1") && runs("printf 'x' | micrograd grad - x=1"));
    assert!(runs("printf 'a,b\\n' > f.csv"));
    assert!(!runs("micrograd serve") && !runs("micrograd bench moons"));
    assert!(!runs("pip install micrograd-rs") && !runs("cargo run --release -- train"));
    // A command that does not end is killed, its children too.
    let t = Instant::now();
    let r = run(
        "sleep 30 & sleep 30; echo never",
        Path::new("."),
        "/usr/bin:/bin",
        Duration::from_millis(300),
    );
    assert!(r.unwrap_err().contains("did not end"));
    assert!(t.elapsed() < Duration::from_secs(10));
    let ex = examples(
        "```text\nusage\n$ micrograd grad 'a\nb' x=1\nvalue 1\n\n$ echo hi\nhi\n```\n\
         ```sh\n$ not run\n```\n",
    );
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].command, "micrograd grad 'a\nb' x=1");
    assert_eq!(trimmed(ex[0].expected.clone()), ["value 1"]);
    assert_eq!(
        (ex[1].command.as_str(), &ex[1].expected[..]),
        ("echo hi", &["hi".to_string()][..])
    );
}
