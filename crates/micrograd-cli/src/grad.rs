//! `micrograd grad PROGRAM NAME=VALUE... [--json] [--dot FILE] [--svg FILE]`: evaluates a
//! program of the expression language ([`micrograd::expr`]), prints its value and its gradient with
//! respect to each input, and can draw its graph.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::CliError;
use micrograd::expr;
use micrograd::{Tape, viz};

/// Arguments of `micrograd grad`.
#[derive(Debug, Args)]
#[command(after_help = after_help())]
pub struct GradArgs {
    /// The program, e.g. 'o = tanh(x1*w1 + x2*w2 + b)'.
    #[arg(value_name = "PROGRAM", allow_hyphen_values = true)]
    pub program: String,

    /// The inputs, each NAME=VALUE (e.g. x1=2 w1=-3.0 b=1e-4).
    #[arg(value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,

    /// Print one JSON object: {"value": V, "grads": {"NAME": G, ...}} (a non-finite number is
    /// written as null, with a warning on stderr).
    #[arg(long)]
    pub json: bool,

    /// Also write the graph (values, gradients, operations; labelled with the program's
    /// names) to FILE in Graphviz DOT; `-` writes it to standard output (the report then
    /// goes to standard error).
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    pub dot: Option<PathBuf>,

    /// Also draw the graph as a picture in FILE (no Graphviz needed): SVG, or PNG if FILE
    /// ends in .png; `-` writes the SVG to standard output (the report then goes to
    /// standard error).
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    pub svg: Option<PathBuf>,
}

/// The text after `micrograd grad --help`: an example and the language, with the functions
/// listed from the engine's table.
fn after_help() -> String {
    format!(
        "Example:
  micrograd grad 'n = x1*w1 + x2*w2 + b; o = tanh(n)' x1=2 x2=0 w1=-3 w2=1 b=6.8813735870194432

The language: statements `name = expr` or `expr`, separated by ';' or new lines; the last
statement's value is the output. Operators + - * / ** and unary -, with Python's precedence
(-a**2 == -(a**2), 2**3**2 == 512); numbers like 3, 0.5, 1e-4; '#' comments.
Functions: {}.
Gradients are taken with respect to the inputs given as NAME=VALUE.",
        micrograd::engine::Op::function_names()
    )
}

/// Runs `micrograd grad`.
pub fn run(args: &GradArgs) -> Result<(), CliError> {
    check_picture_paths(args)?;
    let inputs = parse_inputs(&args.inputs)?;
    let program = expr::parse(&args.program).map_err(|e| CliError::usage(e.to_string()))?;
    for w in reassigned_inputs(&program, &inputs) {
        errln!("warning: {w}");
    }
    let _scope = Tape::scope(); // the nodes are released when the command is done
    let ev = program
        .eval(&inputs)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let grads = ev.gradients();
    let value = ev.value();
    // Drawn while the graph is alive (before the scope ends), after backward so the
    // pictures show the gradients.
    if args.dot.is_some() || args.svg.is_some() {
        let root = ev.graph_root();
        if let Some(path) = &args.dot {
            write_picture(path, "--dot", viz::to_dot(root).as_bytes())?;
        }
        if let Some(path) = &args.svg {
            let layout = viz::graph_layout(root)
                .map_err(|e| CliError::failure(format!("--svg: cannot draw the graph: {e}")))?;
            if is_png(path) {
                let png = layout
                    .png()
                    .map_err(|e| CliError::failure(format!("--svg {}: {e}", path.display())))?;
                write_picture(path, "--svg", &png)?;
            } else {
                write_picture(path, "--svg", layout.svg.as_bytes())?;
            }
        }
    }
    // A picture on standard output keeps it clean: the report goes to standard error.
    let to_stderr = [&args.dot, &args.svg]
        .into_iter()
        .any(|p| p.as_deref().is_some_and(is_stdout));
    let report = if args.json {
        let (text, warnings) = format_json(value, &grads);
        for w in warnings {
            errln!("warning: {w}");
        }
        format!("{text}\n")
    } else {
        format_plain(value, &grads)
    };
    if to_stderr {
        crate::write_stderr(format_args!("{report}"));
    } else {
        out!("{report}")?;
    }
    Ok(())
}

/// Whether `path` is `-`, standard output.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Whether `path` names a PNG file (`.png`, any case).
fn is_png(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
}

/// Checks the picture flags before any work: one of them at most on standard output, and
/// `--dot` (text) not into an image file.
fn check_picture_paths(args: &GradArgs) -> Result<(), CliError> {
    if let (Some(d), Some(s)) = (&args.dot, &args.svg)
        && is_stdout(d)
        && is_stdout(s)
    {
        return Err(CliError::usage(
            "--dot - and --svg - cannot both write to standard output; give one of them a file",
        ));
    }
    if let Some(d) = &args.dot {
        let ext = d
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        if let Some(ext @ ("png" | "svg" | "jpg" | "jpeg" | "gif" | "pdf")) = ext.as_deref() {
            return Err(CliError::usage(format!(
                "--dot {}: --dot writes Graphviz DOT text, not a .{ext} picture; use \
                 --svg {} to draw the graph, or a .dot file name",
                d.display(),
                d.display()
            )));
        }
    }
    Ok(())
}

/// A warning for each input that a statement assigns before any statement reads it: the
/// program then never uses the given value (Python semantics, kept), so its gradient is 0.
pub fn reassigned_inputs(program: &expr::Program, inputs: &[(String, f64)]) -> Vec<String> {
    fn reads(e: &expr::Expr, out: &mut Vec<String>) {
        match &e.kind {
            expr::ExprKind::Number(_) => {}
            expr::ExprKind::Name(n) => out.push(n.clone()),
            expr::ExprKind::Call(_, a) | expr::ExprKind::Neg(a) => reads(a, out),
            expr::ExprKind::Binary(_, a, b) => {
                reads(a, out);
                reads(b, out);
            }
        }
    }
    let mut read: Vec<String> = Vec::new();
    let mut warned: Vec<String> = Vec::new();
    let mut warnings = Vec::new();
    for st in program.statements() {
        reads(&st.expr, &mut read);
        let Some(t) = &st.target else { continue };
        let is_input = inputs.iter().any(|(n, _)| *n == t.name);
        if is_input && !read.contains(&t.name) && !warned.contains(&t.name) {
            let at = expr::Location::new(program.source(), t.span);
            warnings.push(format!(
                "input '{}' is reassigned at line {}, column {} before it is used; its gradient is 0",
                t.name, at.line, at.column
            ));
            warned.push(t.name.clone());
        }
    }
    warnings
}

/// Writes a picture to `path`, or to standard output for `-`; a failure names the flag and
/// the path (exit status 1).
fn write_picture(path: &Path, flag: &str, bytes: &[u8]) -> Result<(), CliError> {
    if is_stdout(path) {
        use std::io::Write as _;
        return std::io::stdout()
            .lock()
            .write_all(bytes)
            .map_err(|e| CliError::from_stdout(&e));
    }
    std::fs::write(path, bytes)
        .map_err(|e| CliError::failure(format!("{flag}: cannot write {}: {e}", path.display())))
}

/// Parses `NAME=VALUE` arguments, in order.
///
/// Errors (naming the argument): no `=`, an empty or invalid name, a value that is not a
/// finite decimal number, a name given twice.
pub fn parse_inputs(args: &[String]) -> Result<Vec<(String, f64)>, CliError> {
    let mut inputs: Vec<(String, f64)> = Vec::with_capacity(args.len());
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(CliError::usage(format!(
                "input '{arg}' is not of the form NAME=VALUE (e.g. {}=1.5)",
                if expr::is_identifier(arg) { arg } else { "x" }
            )));
        };
        if name.is_empty() {
            return Err(CliError::usage(format!(
                "input '{arg}' has no name before '=' (expected NAME=VALUE, e.g. x{arg})"
            )));
        }
        if !expr::is_identifier(name) {
            return Err(CliError::usage(format!(
                "input '{arg}': '{name}' is not a valid name (a letter or '_', then letters, \
                 digits or '_')"
            )));
        }
        let x: f64 = value.parse().map_err(|_| {
            CliError::usage(format!(
                "input '{arg}': '{value}' is not a number (expected a decimal like 2, -0.5 or 1e-4)"
            ))
        })?;
        if !x.is_finite() {
            return Err(CliError::usage(format!(
                "input '{arg}': the value must be a finite number"
            )));
        }
        if inputs.iter().any(|(n, _)| n == name) {
            return Err(CliError::usage(format!(
                "input '{name}' is given more than once ('{arg}')"
            )));
        }
        inputs.push((name.to_string(), x));
    }
    Ok(inputs)
}

/// The JSON object `{"value": V, "grads": {"NAME": G, ...}}` (inputs in the order given; each
/// number in the shortest form that reads back as the same f64), and a warning for each
/// non-finite number, which is written as `null`.
pub fn format_json(value: f64, grads: &[(String, f64)]) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let mut number = |x: f64, what: String| {
        if x.is_finite() {
            serde_json::Value::from(x).to_string()
        } else {
            warnings.push(format!("{what} is {x:?}; written as null"));
            "null".to_string()
        }
    };
    let mut out = format!(
        "{{\"value\": {}, \"grads\": {{",
        number(value, "the value".into())
    );
    for (i, (name, g)) in grads.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let key = serde_json::Value::from(name.as_str()).to_string();
        out.push_str(&format!(
            "{key}: {}",
            number(*g, format!("the gradient of {name}"))
        ));
    }
    out.push_str("}}");
    (out, warnings)
}

/// The plain report: `value V`, then `grad NAME G` per input, aligned, with every digit
/// needed to read the number back exactly.
///
/// ```
/// let text = micrograd_cli::grad::format_plain(0.5, &[("x".into(), -1.5), ("w1".into(), 2.0)]);
/// assert_eq!(text, "value    0.5\ngrad x  -1.5\ngrad w1  2.0\n");
/// ```
pub fn format_plain(value: f64, grads: &[(String, f64)]) -> String {
    let rows: Vec<(String, f64)> = std::iter::once(("value".to_string(), value))
        .chain(grads.iter().map(|(n, g)| (format!("grad {n}"), *g)))
        .collect();
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(label, x)| {
            let sign = if x.is_sign_negative() && !x.is_nan() {
                ""
            } else {
                " "
            };
            format!("{label:<width$} {sign}{x:?}\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn inputs_parse_in_order() {
        let got = parse_inputs(&strings(&["x1=2", "w1=-3.0", "b=1e-4", "_z=.5"])).unwrap();
        assert_eq!(
            got,
            vec![
                ("x1".to_string(), 2.0),
                ("w1".to_string(), -3.0),
                ("b".to_string(), 1e-4),
                ("_z".to_string(), 0.5)
            ]
        );
    }

    #[test]
    fn bad_inputs_are_named() {
        for (arg, want) in [
            ("x", "input 'x' is not of the form NAME=VALUE"),
            ("=3", "input '=3' has no name"),
            ("x=abc", "'abc' is not a number"),
            ("x=", "'' is not a number"),
            ("1x=3", "'1x' is not a valid name"),
            ("x=inf", "finite"),
            ("x=nan", "finite"),
        ] {
            let e = parse_inputs(&strings(&[arg])).unwrap_err();
            assert_eq!(e.code, 2);
            assert!(e.message.contains(want), "{arg}: {}", e.message);
        }
        let e = parse_inputs(&strings(&["x=1", "y=2", "x=3"])).unwrap_err();
        assert!(
            e.message.contains("'x' is given more than once"),
            "{}",
            e.message
        );
    }

    #[test]
    fn json_is_one_object_with_shortest_numbers() {
        let (s, w) = format_json(0.1 + 0.2, &[("a".into(), 1.0), ("b".into(), -1e-7)]);
        assert_eq!(
            s,
            r#"{"value": 0.30000000000000004, "grads": {"a": 1.0, "b": -1e-7}}"#
        );
        assert!(w.is_empty());
        let (s, w) = format_json(f64::NEG_INFINITY, &[("x".into(), f64::NAN)]);
        assert_eq!(s, r#"{"value": null, "grads": {"x": null}}"#);
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("the value is -inf"), "{w:?}");
        let (s, _) = format_json(1.0, &[]);
        assert_eq!(s, r#"{"value": 1.0, "grads": {}}"#);
    }

    #[test]
    fn plain_is_aligned() {
        let s = format_plain(-0.25, &[("x1".into(), f64::INFINITY)]);
        assert_eq!(s, "value   -0.25\ngrad x1  inf\n");
    }
}
