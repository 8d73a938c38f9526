//! Unit tests of the parser and the evaluator.

use super::*;

/// The value of a program without inputs.
fn value(src: &str) -> f64 {
    let none: [(&str, f64); 0] = [];
    parse(src).unwrap().value_at(&none).unwrap()
}

/// The value of a program at `x = 1`, through the engine.
fn value_of_x(src: &str) -> f64 {
    gradients(src, &[("x", 1.0)]).unwrap().0
}

/// A fully parenthesized rendering of the tree, to compare shapes.
fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(x) => format!("{x}"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Call(f, a) => format!("{}({})", f.symbol(), shape(a)),
        ExprKind::Neg(a) => format!("(neg {})", shape(a)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), shape(a), shape(b)),
    }
}

fn tree(src: &str) -> String {
    let p = parse(src).unwrap();
    shape(&p.statements().last().unwrap().expr)
}

fn parse_err(src: &str) -> ParseError {
    parse(src).unwrap_err()
}

#[test]
fn precedence_follows_python() {
    assert_eq!(tree("-a**2"), "(neg (** a 2))");
    assert_eq!(tree("2**-b"), "(** 2 (neg b))");
    assert_eq!(tree("2**3**2"), "(** 2 (** 3 2))");
    assert_eq!(tree("a - b - c"), "(- (- a b) c)");
    assert_eq!(tree("a / b / c"), "(/ (/ a b) c)");
    assert_eq!(tree("a + b * c ** d"), "(+ a (* b (** c d)))");
    assert_eq!(tree("-a * -b"), "(* (neg a) (neg b))");
    assert_eq!(tree("--a"), "(neg (neg a))");
    assert_eq!(tree("a**-b**c"), "(** a (neg (** b c)))");
    assert_eq!(tree("(a + b) * tanh(c - d)"), "(* (+ a b) tanh((- c d)))");
    assert_eq!(value("2**3**2"), 512.0);
    assert_eq!(value("-2**2"), -4.0);
    assert_eq!(value("(-2)**2"), 4.0);
    assert_eq!(value("10 - 4 - 3"), 3.0);
    assert_eq!(value("2**-1"), 0.5);
    assert_eq!(value("48 / 4 / 2"), 6.0);
}

#[test]
fn numbers_and_functions() {
    assert_eq!(value("1e-4"), 1e-4);
    assert_eq!(value(".5 + 5."), 5.5);
    assert_eq!(value("2.5E+3"), 2500.0);
    assert_eq!(value("6.8813735870194432"), 6.881_373_587_019_443);
    assert_eq!(
        value("exp(0) + log(1) + tanh(0) + relu(-3) + sigmoid(0)"),
        1.5
    );
    assert_eq!(value("relu(2)"), 2.0);
    assert_eq!(value("log(0)"), f64::NEG_INFINITY);
}

#[test]
fn statements_separators_and_comments() {
    assert_eq!(value("a = 2; b = a * 3; b + 1"), 7.0);
    assert_eq!(value("a = 2\nb = a * 3\n\nb + 1\n"), 7.0);
    assert_eq!(value("a = 2;;\r\nb = a * 3;"), 6.0);
    assert_eq!(
        value("# leading comment\na = 2 # two\na = a + 1 # rebind\na"),
        3.0
    );
    assert_eq!(value("y = (1 +\n   2) * 3"), 9.0);
    let p = parse("a = 1\nb = 2").unwrap();
    assert_eq!(p.statements().len(), 2);
}

#[test]
fn empty_program_is_an_error() {
    for src in ["", "  ", ";", ";;\n", "# only a comment\n"] {
        let e = parse_err(src);
        assert_eq!(e.kind(), &ErrorKind::EmptyProgram, "{src:?}");
        assert!(e.to_string().starts_with("empty program"), "{e}");
    }
}

#[test]
fn a_caret_for_a_power_gets_a_hint() {
    let e = parse_err("y = x^2");
    assert_eq!((e.line(), e.column()), (1, 6));
    assert_eq!(
        e.message(),
        "unexpected character '^' (use ** for powers: x**2)"
    );
    assert_eq!(parse_err("y = x $ 2").message(), "unexpected character '$'");
}

#[test]
fn syntax_errors_say_where() {
    let e = parse_err("x = a * ) + 1");
    assert_eq!((e.line(), e.column()), (1, 9));
    assert_eq!(e.message(), "expected an expression after '*', found ')'");
    assert_eq!(
        e.to_string(),
        "syntax error at line 1, column 9: expected an expression after '*', found ')'\n  x = a * ) + 1\n          ^"
    );

    let e = parse_err("a = 1\nb = (a + 2\nc = 3");
    assert_eq!((e.line(), e.column()), (3, 1));
    assert!(
        e.message()
            .starts_with("expected ')' to close the '(' at line 2, column 5"),
        "{e}"
    );

    let e = parse_err("a = 1\n  b = a +\n");
    assert_eq!((e.line(), e.column()), (2, 10));
    assert!(
        e.message()
            .contains("after '+', found the end of the statement"),
        "{e}"
    );
    assert!(e.to_string().ends_with("    b = a +\n           ^"), "{e}");

    let e = parse_err("y = (a + 1");
    assert_eq!((e.line(), e.column()), (1, 11));
    assert!(e.message().contains("found the end of the program"), "{e}");

    let e = parse_err("a b");
    assert_eq!(e.column(), 3);
    assert!(e.message().contains("found name 'b'"), "{e}");
    let e = parse_err("a = 1)");
    assert_eq!((e.column(), e.message()), (6, "unmatched ')'"));
    let e = parse_err("a + 1 = 2");
    assert!(e.message().contains("left side of '='"), "{e}");
    let e = parse_err("= 2");
    assert_eq!(e.message(), "expected an expression, found '='");
    let e = parse_err("y = exp()");
    assert_eq!(e.column(), 9);
    let e = parse_err("y = +x");
    assert_eq!(e.message(), "expected an expression after '=', found '+'");
    let e = parse_err("y = 2x");
    assert_eq!((e.column(), e.message()), (5, "malformed number '2x'"));
    let e = parse_err("y = a ** ");
    assert!(e.message().contains("after '**'"), "{e}");
}

#[test]
fn unknown_function_is_named() {
    let e = parse_err("y = 1\ny = foo(x) + 1");
    assert_eq!(e.kind(), &ErrorKind::UnknownFunction("foo".into()));
    assert_eq!((e.line(), e.column()), (2, 5));
    assert!(
        e.to_string().starts_with(
            "unknown function 'foo' at line 2, column 5: the functions are exp, log, tanh, relu, sigmoid"
        ),
        "{e}"
    );
    assert!(
        e.to_string().ends_with("  y = foo(x) + 1\n      ^^^"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse_err(&src).message().contains("nested too deeply"));
    let src = format!("{}x", "-".repeat(10_000));
    assert!(parse_err(&src).message().contains("nested too deeply"));
    let src = vec!["x"; MAX_DEPTH + 1].join(" + ");
    assert!(parse_err(&src).message().contains("too deep"));
    // The longest allowed chain evaluates, prints and drops, even on a test thread's stack
    // in a debug build.
    let src = vec!["x"; MAX_DEPTH].join(" + ");
    let (v, g) = gradients(&src, &[("x", 1.0)]).unwrap();
    assert_eq!((v, g[0].1), (MAX_DEPTH as f64, MAX_DEPTH as f64));
    let p = parse(&src).unwrap();
    assert_eq!(p.to_string(), src);
    assert_eq!(p.clone(), p);
    let src = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(value_of_x(&src), 1.0);
    let src = format!("{}x", "-".repeat(MAX_NESTING));
    assert_eq!(value_of_x(&src), 1.0);
    let src = vec!["x"; MAX_NESTING].join("**");
    assert_eq!(value_of_x(&src), 1.0);
}

#[test]
fn undefined_names_are_named_with_their_position() {
    let p = parse("a = 1\nb = a * c").unwrap();
    let e = p.eval(&[("x", 1.0)]).unwrap_err();
    match &e {
        EvalError::UndefinedName { name, location } => {
            assert_eq!(name, "c");
            assert_eq!((location.line, location.column), (2, 9));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .starts_with("undefined name 'c' at line 2, column 9"),
        "{e}"
    );
    // Used before it is assigned.
    let e = gradients("y = z + 1; z = 2", &[("x", 1.0)]).unwrap_err();
    assert!(
        e.to_string()
            .contains("undefined name 'z' at line 1, column 5"),
        "{e}"
    );
}

#[test]
fn input_names_are_checked() {
    let p = parse("x").unwrap();
    assert_eq!(
        p.eval(&[("x", 1.0), ("x", 2.0)]).unwrap_err(),
        EvalError::RepeatedInput { name: "x".into() }
    );
    for bad in ["", "1x", "a-b", "x y", "é"] {
        assert!(
            matches!(
                p.eval(&[("x", 1.0), (bad, 2.0)]),
                Err(EvalError::InvalidInputName { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(is_identifier("_a1") && is_identifier("x") && !is_identifier("1"));
}

#[test]
fn constants_fold_and_make_no_nodes() {
    let _scope = Tape::scope();
    let before = Tape::len();
    let p = parse("k = 2 * 3; m = -0.93; y = k * m + exp(0)").unwrap();
    let none: [(&str, f64); 0] = [];
    let ev = p.eval(&none).unwrap();
    assert!(matches!(ev.output(), Scalar::Const(_)));
    assert_eq!(ev.value(), 6.0 * -0.93 + 1.0);
    assert_eq!(Tape::len(), before);

    // One node per operation with a Value operand; a constant operand is folded into it.
    let ev = p.eval(&[("x", 1.0)]).unwrap();
    assert_eq!(Tape::len(), before + 1); // only the leaf x
    assert_eq!(ev.gradients(), vec![("x".to_string(), 0.0)]);

    let before = Tape::len();
    let ev = parse("y = x * 2 + 1 / x - 2 ** -x + x ** 0.5")
        .unwrap()
        .eval(&[("x", 4.0)])
        .unwrap();
    // leaf, *2, 1/x, +, neg, 2**, -, **0.5, +
    assert_eq!(Tape::len(), before + 9);
    let out = ev.output().node().unwrap();
    assert_eq!(out.node().op, Op::Add);
    let ops: Vec<Op> = out.ancestors().iter().map(|v| v.node().op).collect();
    for op in [
        Op::MulConst,
        Op::ConstDiv,
        Op::ConstPow,
        Op::PowConst,
        Op::Neg,
    ] {
        assert!(ops.contains(&op), "{op:?} missing from {ops:?}");
    }
    let g = ev.gradients()[0].1;
    let want = 2.0 - 1.0 / 16.0 + 2f64.powf(-4.0) * 2f64.ln() + 0.5 / 2.0;
    assert!((g - want).abs() < 1e-15, "{g} vs {want}");
}

use crate::engine::Op;

#[test]
fn value_pow_value_uses_binary_pow() {
    let _scope = Tape::scope();
    let ev = parse("a ** b")
        .unwrap()
        .eval(&[("a", 1.7), ("b", -0.6)])
        .unwrap();
    assert_eq!(ev.output().node().unwrap().node().op, Op::Pow);
    let g = ev.gradients();
    assert!((g[0].1 - -0.2567042010940566).abs() < 1e-15);
    assert!((g[1].1 - 0.3859410869227444).abs() < 1e-15);
}

#[test]
fn rebinding_an_input_keeps_gradients_on_the_input() {
    // x is re-bound; the gradient is with respect to the input x.
    let (v, g) = gradients("t = x * 3; x = t * t; x + t", &[("x", 2.0)]).unwrap();
    assert_eq!(v, 36.0 + 6.0);
    assert_eq!(g[0].1, 2.0 * 6.0 * 3.0 + 3.0);
    // An input re-bound before it is read: the output does not depend on it.
    let (_, g) = gradients("x = 5; y = x * x", &[("x", 2.0)]).unwrap();
    assert_eq!(g[0].1, 0.0);
    // An unused input has gradient 0; the order of the inputs is kept.
    let (_, g) = gradients("y = 3 * b", &[("z", 1.0), ("b", 1.5)]).unwrap();
    assert_eq!(g, vec![("z".to_string(), 0.0), ("b".to_string(), 3.0)]);
}

#[test]
fn names_become_labels() {
    let _scope = Tape::scope();
    let ev = parse("n = x * w; c = n; o = tanh(n); o = o + 1")
        .unwrap()
        .eval(&[("x", 1.0), ("w", 2.0)])
        .unwrap();
    let out = ev.output().node().unwrap();
    assert_eq!(out.label().as_deref(), Some("o"));
    let labels: Vec<Option<String>> = out.ancestors().iter().map(|v| v.label()).collect();
    assert_eq!(
        labels,
        vec![
            Some("x".into()),
            Some("w".into()),
            Some("n".into()),
            Some("o".into()),
            Some("o".into())
        ]
    );
    // A constant output is drawn as one leaf.
    let none: [(&str, f64); 0] = [];
    let ev = parse("2 * 3").unwrap().eval(&none).unwrap();
    assert_eq!(ev.graph_root().data(), 6.0);
}

#[test]
fn gradients_release_their_nodes() {
    let before = Tape::len();
    for i in 0..100 {
        gradients(
            "y = tanh(x * w + b)",
            &[("x", i as f64), ("w", 0.5), ("b", 0.1)],
        )
        .unwrap();
    }
    assert_eq!(Tape::len(), before);
}

#[test]
fn printer_round_trips() {
    for src in [
        "y = -a**2 + 2**-b",
        "(a - (b - c)) / (d * (e / f))",
        "(-a)**2 + (a**b)**c + a**b**c",
        "z = exp(-x) * log(1 + x**2) - sigmoid(tanh(relu(x)))",
        "a * -b - -c",
        "1e-7 + 1e300 + 0.1 + 3",
    ] {
        let p = parse(src).unwrap();
        let printed = p.to_string();
        let q = parse(&printed).unwrap();
        let shapes = |p: &Program| {
            p.statements()
                .iter()
                .map(|s| shape(&s.expr))
                .collect::<Vec<_>>()
        };
        assert_eq!(shapes(&p), shapes(&q), "{src} -> {printed}");
        assert_eq!(q.to_string(), printed);
    }
    assert_eq!(parse("((a)) + ((b * c))").unwrap().to_string(), "a + b * c");
    assert_eq!(
        parse("x = 1e-7 * 2.50").unwrap().to_string(),
        "x = 1e-7 * 2.5"
    );
}
