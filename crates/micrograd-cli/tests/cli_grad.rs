//! `micrograd grad` as a user runs it: the PyTorch reference cases through `grad --json`,
//! the JSON shape, and the error messages and exit statuses.

#[path = "../../micrograd/tests/goldens_common/mod.rs"]
mod goldens_common;

use std::process::{Command, Output};

use goldens_common::{Case, Checker, load};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("running the micrograd binary")
}

fn grad(args: &[&str]) -> Output {
    let mut all = vec!["grad"];
    all.extend_from_slice(args);
    micrograd(&all)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Parses stdout as exactly one JSON object (serde_json refuses trailing content).
fn json(o: &Output) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(&stdout(o)) {
        Ok(serde_json::Value::Object(m)) => m,
        other => panic!("stdout is not one JSON object: {other:?}\n{}", stdout(o)),
    }
}

/// Runs a usage error and returns its stderr, after checking the status and that nothing
/// went to stdout and nothing panicked.
fn usage_error(args: &[&str]) -> String {
    let o = grad(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

/// A value and the gradient of each input.
type Answer = (f64, Vec<(String, f64)>);

fn run_case(case: &Case) -> Answer {
    let inputs: Vec<String> = case
        .inputs
        .iter()
        .map(|(n, x)| format!("{n}={x:?}"))
        .collect();
    let mut args = vec![case.program.as_str()];
    args.extend(inputs.iter().map(String::as_str));
    args.push("--json");
    let o = grad(&args);
    assert!(o.status.success(), "{}: {}", case.name, stderr(&o));
    let obj = json(&o);
    assert_eq!(obj.len(), 2, "{}: {obj:?}", case.name);
    let value = obj["value"].as_f64().unwrap();
    let grads = obj["grads"].as_object().unwrap();
    assert_eq!(
        grads.len(),
        case.inputs.len(),
        "{}: every input is listed",
        case.name
    );
    let grads = case
        .inputs
        .keys()
        .map(|n| (n.clone(), grads[n].as_f64().unwrap()))
        .collect();
    (value, grads)
}

#[test]
fn binary_matches_pytorch_on_every_golden_case() {
    let goldens = load();
    assert_eq!(goldens.cases.len(), 313);
    // Two threads, each running its share of the processes.
    let results: Vec<(usize, Answer)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let cases = &goldens.cases;
                s.spawn(move || {
                    (w..cases.len())
                        .step_by(2)
                        .map(|i| (i, run_case(&cases[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(results.len(), 313);
    let mut checker = Checker::default();
    for (i, (value, grads)) in results {
        let case = &goldens.cases[i];
        checker.check(goldens.tolerance, &case.name, "value", value, case.value);
        for (n, g) in grads {
            checker.check(
                goldens.tolerance,
                &case.name,
                &format!("d/d{n}"),
                g,
                case.grads[&n],
            );
        }
    }
    println!(
        "worst relative error through the binary: {:.3e} ({})",
        checker.worst_relative, checker.worst_relative_at
    );
    assert!(
        checker.failures.is_empty(),
        "{}",
        checker.failures.join("\n")
    );
}

#[test]
fn json_numbers_round_trip_exactly() {
    // The library's numbers, printed by the binary, read back to the same bits.
    let program = "n = x1*w1 + x2*w2 + b; o = tanh(n)";
    let inputs = [
        ("x1", 2.0),
        ("x2", 0.0),
        ("w1", -3.0),
        ("w2", 1.0),
        ("b", 6.881_373_587_019_443),
    ];
    let (value, grads) = micrograd::expr::gradients(program, &inputs).unwrap();
    let args: Vec<String> = inputs.iter().map(|(n, x)| format!("{n}={x:?}")).collect();
    let mut all = vec![program, "--json"];
    all.extend(args.iter().map(String::as_str));
    let o = grad(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty());
    let obj = json(&o);
    assert_eq!(obj["value"].as_f64().unwrap().to_bits(), value.to_bits());
    let g = obj["grads"].as_object().unwrap();
    let keys: Vec<&String> = g.keys().collect();
    assert_eq!(keys.len(), 5);
    for (n, want) in grads {
        assert_eq!(g[&n].as_f64().unwrap().to_bits(), want.to_bits(), "{n}");
    }
    // The inputs keep their command-line order in the text.
    let text = stdout(&o);
    let pos: Vec<usize> = ["\"x1\"", "\"x2\"", "\"w1\"", "\"w2\"", "\"b\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn plain_output_lists_value_then_each_gradient() {
    let o = grad(&["y = 3 * x + relu(b)", "x=1.5", "unused=7", "b=-2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "value        4.5\ngrad x       3.0\ngrad unused  0.0\ngrad b       0.0\n"
    );
}

#[test]
fn json_lists_unused_inputs_and_constant_outputs() {
    let o = grad(&["y = 2 * 3", "x=1", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"value\": 6.0, \"grads\": {\"x\": 0.0}}\n");
    // No inputs at all.
    let o = grad(&["2**3**2", "--json"]);
    assert_eq!(stdout(&o), "{\"value\": 512.0, \"grads\": {}}\n");
}

#[test]
fn non_finite_numbers_are_null_with_a_warning() {
    let o = grad(&["log(x)", "x=0", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let obj = json(&o);
    assert!(obj["value"].is_null());
    assert!(obj["grads"]["x"].is_null()); // 1/0 = inf
    let err = stderr(&o);
    assert!(
        err.contains("warning: the value is -inf; written as null"),
        "{err}"
    );
    assert!(
        err.contains("warning: the gradient of x is inf; written as null"),
        "{err}"
    );
}

#[test]
fn a_program_may_start_with_a_minus() {
    let o = grad(&["-a**2", "a=3", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"value\": -9.0, \"grads\": {\"a\": -6.0}}\n");
    let o = grad(&["--json", "-a**2", "a=-3"]);
    assert_eq!(stdout(&o), "{\"value\": -9.0, \"grads\": {\"a\": 6.0}}\n");
}

#[test]
fn multi_line_programs_with_comments() {
    let o = grad(&[
        "# the lecture's neuron\nn = x*w + b\no = tanh(n)  # output\n",
        "x=0.5",
        "w=2",
        "b=0",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let obj = json(&o);
    assert_eq!(obj["value"].as_f64().unwrap(), 1f64.tanh());
}

#[test]
fn syntax_error_shows_a_caret() {
    let err = usage_error(&["x = a * ) + 1", "a=1"]);
    assert_eq!(
        err,
        "error: syntax error at line 1, column 9: expected an expression after '*', found ')'\n  x = a * ) + 1\n          ^\n"
    );
    let err = usage_error(&["a = 1\nb = a +* 2", "--json"]);
    assert!(err.contains("line 2, column 8"), "{err}");
    assert!(err.ends_with("  b = a +* 2\n         ^\n"), "{err}");
}

#[test]
fn unknown_function_and_undefined_name_are_named() {
    let err = usage_error(&["y = foo(x)", "x=1"]);
    assert!(err.starts_with("error: unknown function 'foo' at line 1, column 5: the functions are exp, log, tanh, relu, sigmoid"), "{err}");
    let err = usage_error(&["y = x * z", "x=1"]);
    assert!(
        err.starts_with("error: undefined name 'z' at line 1, column 9"),
        "{err}"
    );
    assert!(err.contains("z=VALUE"), "{err}");
    // A name the program reads but no input gives.
    let err = usage_error(&["tanh(x)"]);
    assert!(err.contains("undefined name 'x'"), "{err}");
}

#[test]
fn bad_inputs_are_named() {
    let err = usage_error(&["x", "x=1", "x=2"]);
    assert!(err.contains("input 'x' is given more than once"), "{err}");
    let err = usage_error(&["x", "x=abc"]);
    assert!(
        err.contains("input 'x=abc': 'abc' is not a number"),
        "{err}"
    );
    let err = usage_error(&["x", "=3"]);
    assert!(err.contains("input '=3' has no name"), "{err}");
    let err = usage_error(&["x", "x"]);
    assert!(
        err.contains("input 'x' is not of the form NAME=VALUE"),
        "{err}"
    );
    let err = usage_error(&["x", "2x=1"]);
    assert!(err.contains("'2x' is not a valid name"), "{err}");
}

#[test]
fn empty_program_is_an_error_and_trailing_separators_are_fine() {
    let err = usage_error(&["", "x=1"]);
    assert!(err.starts_with("error: empty program"), "{err}");
    let err = usage_error(&[" ;\n ; ", "x=1"]);
    assert!(err.starts_with("error: empty program"), "{err}");
    let o = grad(&["y = x;;\n", "x=2", "--json"]);
    assert_eq!(stdout(&o), "{\"value\": 2.0, \"grads\": {\"x\": 1.0}}\n");
}

#[test]
fn dot_and_svg_draw_the_graph_with_the_programs_names() {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("neuron.dot");
    let svg = dir.path().join("neuron.svg");
    let (dot_s, svg_s) = (dot.to_str().unwrap(), svg.to_str().unwrap());
    let o = grad(&[
        "n = x1*w1 + x2*w2 + b; o = tanh(n)",
        "x1=2",
        "x2=0",
        "w1=-3",
        "w2=1",
        "b=6.8813735870194432",
        "--json",
        "--dot",
        dot_s,
        "--svg",
        svg_s,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o).len(), 2); // stdout is still exactly the JSON object
    let text = std::fs::read_to_string(&dot).unwrap();
    assert!(text.starts_with("digraph"), "{text}");
    for label in [
        "{ x1 |",
        "{ w2 |",
        "{ b |",
        "{ n |",
        "{ o |",
        "label=\"tanh\"",
    ] {
        assert!(text.contains(label), "{label} missing from\n{text}");
    }
    // After backward: the output's grad is 1, x1's is -1.5.
    assert!(text.contains("{ o | data 0.7071 | grad 1.0000 }"), "{text}");
    assert!(
        text.contains("{ x1 | data 2.0000 | grad -1.5000 }"),
        "{text}"
    );
    // 5 inputs + 5 operations, each a record.
    assert_eq!(text.matches("shape=record").count(), 10, "{text}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg"),
        "{}",
        &picture[..80.min(picture.len())]
    );
    for text in [">x1<", ">n<", ">o<", ">tanh<", ">grad -1.5000<"] {
        assert!(picture.contains(text), "{text} missing from the SVG");
    }
}

#[test]
fn a_constant_program_draws_one_node() {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("c.dot");
    let o = grad(&["2 * 3", "x=1", "--dot", dot.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&dot).unwrap();
    assert_eq!(text.matches("shape=record").count(), 1, "{text}");
    assert!(text.contains("data 6.0000"), "{text}");
}

#[test]
fn an_unwritable_picture_is_a_failure_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("g.dot");
    let o = grad(&["x * 2", "x=1", "--dot", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: --dot: cannot write "), "{err}");
    assert!(err.contains("g.dot"), "{err}");
}

#[test]
fn overflowing_numbers_and_reassigned_inputs() {
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["grad", "y = 2 * 1e999", "x=1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 1, column 9: number is too large: '1e999'"),
        "{err}"
    );
    // `x = 1; x` with x=2: Python semantics (x is 1, its gradient 0), with a warning.
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["grad", "y = 3\nx = 1; x * y", "x=2", "y=5"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "value   3.0\ngrad x  0.0\ngrad y  0.0\n"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err,
        "warning: input 'y' is reassigned at line 1, column 1 before it is used; its gradient is 0\n\
         warning: input 'x' is reassigned at line 2, column 1 before it is used; its gradient is 0\n"
    );
    // Read first, then assigned: no warning.
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["grad", "x = x * 2; x", "x=2"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `grad --help` and the unknown-function error list the functions from the engine's table.
#[test]
fn help_and_errors_list_the_tables_functions() {
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["grad", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    let names = micrograd::engine::Op::function_names();
    assert!(names.contains("sin, cos, sqrt"), "{names}");
    assert!(help.contains(&format!("Functions: {names}.")), "{help}");
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["grad", "y = foo(x)", "x=1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains(&format!("the functions are {names}")), "{err}");
}

const NEURON: [&str; 6] = [
    "n = x1*w1 + x2*w2 + b; o = tanh(n)",
    "x1=2",
    "x2=0",
    "w1=-3",
    "w2=1",
    "b=6.8813735870194432",
];

/// The width and height in a PNG's header, after checking its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn dash_writes_the_picture_to_stdout_and_the_report_to_stderr() {
    let mut args = NEURON.to_vec();
    args.extend(["--svg", "-"]);
    let o = grad(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = stdout(&o);
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    assert!(svg.contains(">grad -1.5000</text>"));
    assert!(
        stderr(&o).starts_with("value    0.70710678118649"),
        "{}",
        stderr(&o)
    );

    let mut args = NEURON.to_vec();
    args.extend(["--dot", "-", "--json"]);
    let o = grad(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(
        dot.starts_with("digraph micrograd {") && dot.ends_with("}\n"),
        "{dot}"
    );
    assert!(
        stderr(&o).starts_with("{\"value\": 0.70710678118649"),
        "{}",
        stderr(&o)
    );
    // No file named `-` is made.
    assert!(!std::path::Path::new("-").exists());

    let mut args = NEURON.to_vec();
    args.extend(["--dot", "-", "--svg", "-"]);
    let err = usage_error(&args);
    assert!(
        err.contains("cannot both write to standard output"),
        "{err}"
    );
}

#[test]
fn svg_to_a_png_name_writes_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("neuron.png");
    let svg = dir.path().join("neuron.svg");
    let mut args = NEURON.to_vec();
    let (png_s, svg_s) = (png.to_str().unwrap(), svg.to_str().unwrap());
    args.extend(["--svg", png_s]);
    let o = grad(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("value "));
    let bytes = std::fs::read(&png).unwrap();
    // The SVG's size, two pixels per unit.
    let mut args = NEURON.to_vec();
    args.extend(["--svg", svg_s]);
    assert!(grad(&args).status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    let attr = |name: &str| -> u32 {
        let at = text.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        text[at..]
            .split('"')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap() as u32
    };
    assert_eq!(png_size(&bytes), (2 * attr("width"), 2 * attr("height")));

    // DOT is text: a picture name is an error that says what to use.
    let mut args = NEURON.to_vec();
    args.extend(["--dot", png_s]);
    let err = usage_error(&args);
    assert!(
        err.contains("--dot") && err.contains("not a .png picture") && err.contains("--svg"),
        "{err}"
    );
}
