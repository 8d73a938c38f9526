//! The `expr` target: the input is a program of the `grad` language, then (after a 0 byte)
//! the numbers of its inputs. A program that does not parse must say where, cleanly; one
//! that parses must print as source that parses to the same print and the same value, and
//! evaluate to the value, gradients and nodes of the [reference graph](mod@crate::reference);
//! its graph must draw as DOT (and, if small, as SVG).

use std::collections::HashMap;

use micrograd::engine::Op;
use micrograd::expr::{self, BinOp, Expr, ExprKind, Program};
use micrograd::{Tape, viz};

use crate::reference::{Graph, Kind, same};
use crate::{Bytes, assert_clean};

/// Graphs up to this many nodes are also drawn as SVG (the layout is the slow part).
const SVG_NODES: usize = 12;

/// Checks one input.
pub fn check(data: &[u8]) {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let src = String::from_utf8_lossy(&data[..cut]);
    let mut tail = Bytes::new(data.get(cut + 1..).unwrap_or(&[]));
    let program = match expr::parse(&src) {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            assert_clean("parse error", &msg);
            assert!(e.line() >= 1 && e.column() >= 1);
            assert!(e.line() <= src.split('\n').count(), "line past the end");
            return;
        }
    };
    // Printed, it parses back to the same program (the same print, the same value).
    let printed = program.to_string();
    let again = expr::parse(&printed)
        .unwrap_or_else(|e| panic!("the print {printed:?} of {src:?} does not parse: {e}"));
    assert_eq!(again.to_string(), printed, "the print of the print");

    let names = read_names(&program);
    let inputs: Vec<(String, f64)> = names
        .iter()
        .map(|n| (n.clone(), crate::engine::number_of(&mut tail)))
        .collect();
    let _scope = Tape::scope();
    let before = Tape::len();
    let ev = program
        .eval(&inputs)
        .unwrap_or_else(|e| panic!("every name read is an input, yet: {e}"));
    let value = ev.value();
    assert!(same(value, program.value_at(&inputs).expect("value_at")));
    assert!(same(value, again.value_at(&inputs).expect("value_at")));
    let grads = ev.gradients();
    assert_eq!(grads.len(), inputs.len());

    // The reference: the same nodes, values and gradients.
    let mut g = Graph::default();
    let (root, leaves) = reference_eval(&program, &inputs, &mut g);
    assert_eq!(
        Tape::len() - before,
        g.len(),
        "nodes made by the evaluation"
    );
    match root {
        Value::Node(r) => {
            for &l in &leaves {
                g.nodes[l].grad = 0.0;
            }
            g.backward(r);
            assert!(same(value, g.nodes[r].val), "the value");
        }
        Value::Const(c) => assert!(same(value, c), "the folded value"),
    }
    for ((name, grad), &leaf) in grads.iter().zip(&leaves) {
        let want = g.nodes[leaf].grad;
        assert!(
            same(*grad, want),
            "d/d{name}: {grad:?}, the reference has {want:?}"
        );
    }
    // Every node on the tape, against the reference.
    let graph_root = ev.graph_root();
    if let Value::Node(r) = root {
        let tape_nodes = graph_root.ancestors();
        for v in tape_nodes {
            let i = v.id() - before;
            assert!(i <= r);
            assert!(same(v.data(), g.nodes[i].val), "node {i}'s value");
            assert!(same(v.grad(), g.nodes[i].grad), "node {i}'s grad");
            assert_eq!(v.node().op, g.nodes[i].kind.op(), "node {i}'s operation");
        }
    }

    let dot = viz::to_dot(graph_root);
    assert!(dot.starts_with("digraph"), "{dot}");
    if graph_root.ancestors().len() <= SVG_NODES {
        let svg = viz::to_svg(graph_root).expect("a small graph draws");
        assert!(svg.contains("<svg"));
    }

    // An input name that is not a name is an error, with a clean message.
    if tail.u8().is_multiple_of(4) {
        let bad: String = (0..1 + tail.u8() % 4).map(|_| tail.u8() as char).collect();
        if !expr::is_identifier(&bad) {
            let mut with_bad = inputs.clone();
            with_bad.push((bad, 1.0));
            let e = program.eval(&with_bad).expect_err("a bad input name");
            assert_clean("eval error", &e.to_string());
        }
    }
}

/// The names the program reads, in order of first reading.
fn read_names(p: &Program) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Number(_) => {}
            ExprKind::Name(n) => {
                if !out.contains(n) {
                    out.push(n.clone());
                }
            }
            ExprKind::Call(_, a) | ExprKind::Neg(a) => walk(a, out),
            ExprKind::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
        }
    }
    let mut out = Vec::new();
    for s in p.statements() {
        walk(&s.expr, &mut out);
    }
    out
}

/// A number of the reference evaluation: a folded constant or a node of the graph.
#[derive(Clone, Copy, Debug)]
enum Value {
    Const(f64),
    Node(usize),
}

/// Evaluates the program on the reference graph, as the library documents it: one leaf per
/// input in the order given, constants folded with the table's forward, a constant operand
/// through the engine's constant operations (`c + x` is `x + c`), statements in order.
/// Returns the output and the inputs' leaves.
fn reference_eval(p: &Program, inputs: &[(String, f64)], g: &mut Graph) -> (Value, Vec<usize>) {
    let mut env: HashMap<String, Value> = HashMap::new();
    let mut leaves = Vec::new();
    for (n, x) in inputs {
        let i = g.push(Kind::Leaf, *x);
        leaves.push(i);
        env.insert(n.clone(), Value::Node(i));
    }
    let mut last = Value::Const(f64::NAN);
    for s in p.statements() {
        let v = eval(&s.expr, &env, g);
        if let Some(t) = &s.target {
            env.insert(t.name.clone(), v);
        }
        last = v;
    }
    (last, leaves)
}

/// Evaluates one expression, operands left to right (recursion is fine: the parser bounds
/// the depth, and fuzzing runs on a large stack).
fn eval(e: &Expr, env: &HashMap<String, Value>, g: &mut Graph) -> Value {
    use Value::{Const, Node};
    match &e.kind {
        ExprKind::Number(x) => Const(*x),
        ExprKind::Name(n) => env[n],
        ExprKind::Call(f, a) => match eval(a, env, g) {
            Const(c) => Const(f.forward(c, 0.0)),
            Node(i) => Node(g.push(Kind::Unary(*f, i), 0.0)),
        },
        ExprKind::Neg(a) => match eval(a, env, g) {
            Const(c) => Const(Op::Neg.forward(c, 0.0)),
            Node(i) => Node(g.push(Kind::Unary(Op::Neg, i), 0.0)),
        },
        ExprKind::Binary(op, a, b) => {
            let x = eval(a, env, g);
            let y = eval(b, env, g);
            let binary = match op {
                BinOp::Add => Op::Add,
                BinOp::Sub => Op::Sub,
                BinOp::Mul => Op::Mul,
                BinOp::Div => Op::Div,
                BinOp::Pow => Op::Pow,
            };
            match (x, y) {
                (Const(c), Const(d)) => Const(binary.forward(c, d)),
                (Node(i), Const(c)) => {
                    let k = match op {
                        BinOp::Add => Op::AddConst,
                        BinOp::Sub => Op::SubConst,
                        BinOp::Mul => Op::MulConst,
                        BinOp::Div => Op::DivConst,
                        BinOp::Pow => Op::PowConst,
                    };
                    Node(g.push(Kind::WithConst(k, i, c), 0.0))
                }
                (Const(c), Node(i)) => {
                    let k = match op {
                        BinOp::Add => Op::AddConst,
                        BinOp::Sub => Op::ConstSub,
                        BinOp::Mul => Op::MulConst,
                        BinOp::Div => Op::ConstDiv,
                        BinOp::Pow => Op::ConstPow,
                    };
                    Node(g.push(Kind::WithConst(k, i, c), 0.0))
                }
                (Node(i), Node(j)) => Node(g.push(Kind::Binary(binary, i, j), 0.0)),
            }
        }
    }
}
