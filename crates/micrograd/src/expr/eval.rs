//! Evaluation: runs a program's statements on the engine, folding constants.
//!
//! Every intermediate result is a [`Scalar`]: a plain `f64` constant or a [`Value`] node.
//! An operation on two constants is computed at once (`2 * 3`, `-0.93` make no node); a
//! constant with a node uses the engine's constant operations (`x * 2.0`, `1.0 / v`,
//! `Value::pow_base(2.0, b)`, `v.pow(0.5)`); two nodes make a binary node. Constants are
//! computed by the same [`Op::forward`] the engine uses, so a folded result equals the node
//! it replaces.

use std::collections::HashMap;

use super::ast::{BinOp, Expr, ExprKind, Statement};
use super::error::EvalError;
use super::span::Location;
use crate::engine::{Op, Value};

/// A number in a program: a constant, or a node of the graph.
#[derive(Clone, Copy, Debug)]
pub enum Scalar {
    /// A constant: it depends on no input.
    Const(f64),
    /// A node on this thread's tape.
    Node(Value),
}

impl Scalar {
    /// The number.
    pub fn data(self) -> f64 {
        match self {
            Scalar::Const(c) => c,
            Scalar::Node(v) => v.data(),
        }
    }

    /// The node, if this is one.
    pub fn node(self) -> Option<Value> {
        match self {
            Scalar::Const(_) => None,
            Scalar::Node(v) => Some(v),
        }
    }
}

/// The result of [`Program::eval`](super::Program::eval): the output and the input leaves.
///
/// The nodes live on this thread's tape until released (see [`crate::Tape::scope`]).
#[derive(Clone, Debug)]
pub struct Evaluation {
    output: Scalar,
    inputs: Vec<(String, Value)>,
}

impl Evaluation {
    pub(crate) fn new(output: Scalar, inputs: Vec<(String, Value)>) -> Evaluation {
        Evaluation { output, inputs }
    }

    /// The program's output (the value of its last statement).
    pub fn output(&self) -> Scalar {
        self.output
    }

    /// The number the program computes.
    pub fn value(&self) -> f64 {
        self.output.data()
    }

    /// The input leaves, in the order given, each labelled with its name.
    pub fn inputs(&self) -> &[(String, Value)] {
        &self.inputs
    }

    /// Back-propagates from the output and returns d output / d input for every input, in
    /// the order given (0 for an input the output does not depend on, and for every input
    /// when the output is a constant).
    ///
    /// The inputs' gradients are zeroed first, so calling it twice gives the same answer.
    pub fn gradients(&self) -> Vec<(String, f64)> {
        for (_, v) in &self.inputs {
            v.set_grad(0.0);
        }
        if let Scalar::Node(out) = self.output {
            out.backward();
        }
        self.inputs
            .iter()
            .map(|(n, v)| (n.clone(), v.grad()))
            .collect()
    }

    /// The output as a node to draw: the output node itself, or for a constant output a new
    /// leaf holding it.
    pub fn graph_root(&self) -> Value {
        match self.output {
            Scalar::Node(v) => v,
            Scalar::Const(c) => Value::new(c),
        }
    }
}

/// Whether `name` is an identifier of the language: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Checks the input names: each an identifier, none repeated.
pub(crate) fn check_inputs<S: AsRef<str>>(inputs: &[(S, f64)]) -> Result<(), EvalError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in inputs {
        let name = name.as_ref();
        if !is_identifier(name) {
            return Err(EvalError::InvalidInputName {
                name: name.to_string(),
            });
        }
        if !seen.insert(name) {
            return Err(EvalError::RepeatedInput {
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

/// Runs `statements` with the names bound in `env` and returns the last statement's value.
///
/// Pre: `statements` is non-empty (the parser guarantees it). Names assigned to a node with
/// no label yet become its label, when `label` is set.
pub(crate) fn run(
    src: &str,
    statements: &[Statement],
    env: &mut HashMap<String, Scalar>,
    label: bool,
) -> Result<Scalar, EvalError> {
    let mut last = Scalar::Const(f64::NAN);
    for s in statements {
        let v = eval_expr(src, &s.expr, env)?;
        if let Some(t) = &s.target {
            if let (true, Scalar::Node(node)) = (label, v)
                && node.label().is_none()
            {
                node.set_label(t.name.clone());
            }
            env.insert(t.name.clone(), v);
        }
        last = v;
    }
    Ok(last)
}

/// Evaluates `e`, operands left to right. The walk keeps its own stack rather than
/// recursing, so a deep tree (up to [`MAX_DEPTH`](super::MAX_DEPTH)) needs no deep call stack
/// even in a debug build on a small thread.
fn eval_expr(src: &str, e: &Expr, env: &HashMap<String, Scalar>) -> Result<Scalar, EvalError> {
    enum Task<'a> {
        /// Evaluate this expression, pushing its value.
        Visit(&'a Expr),
        /// Its operands' values are on top of the value stack: combine them.
        Apply(&'a Expr),
    }
    let mut tasks = vec![Task::Visit(e)];
    let mut values: Vec<Scalar> = Vec::new();
    let pop = |values: &mut Vec<Scalar>| values.pop().expect("an operand was evaluated");
    while let Some(task) = tasks.pop() {
        match task {
            Task::Visit(e) => match &e.kind {
                ExprKind::Number(x) => values.push(Scalar::Const(*x)),
                ExprKind::Name(name) => match env.get(name) {
                    Some(v) => values.push(*v),
                    None => {
                        return Err(EvalError::UndefinedName {
                            name: name.clone(),
                            location: Location::new(src, e.span),
                        });
                    }
                },
                ExprKind::Call(_, a) | ExprKind::Neg(a) => {
                    tasks.push(Task::Apply(e));
                    tasks.push(Task::Visit(a));
                }
                ExprKind::Binary(_, a, b) => {
                    tasks.push(Task::Apply(e));
                    tasks.push(Task::Visit(b));
                    tasks.push(Task::Visit(a)); // popped first: `a` is evaluated first
                }
            },
            Task::Apply(e) => {
                let v = match &e.kind {
                    ExprKind::Call(func, _) => call(*func, pop(&mut values)),
                    ExprKind::Neg(_) => match pop(&mut values) {
                        Scalar::Const(c) => Scalar::Const(Op::Neg.forward(c, 0.0)),
                        Scalar::Node(v) => Scalar::Node(-v),
                    },
                    ExprKind::Binary(op, _, _) => {
                        let b = pop(&mut values);
                        let a = pop(&mut values);
                        binary(*op, a, b)
                    }
                    ExprKind::Number(_) | ExprKind::Name(_) => {
                        unreachable!("leaves are not applied")
                    }
                };
                values.push(v);
            }
        }
    }
    Ok(pop(&mut values))
}

/// `func(x)`: folded for a constant, else the function's node (a function of the table).
fn call(func: Op, x: Scalar) -> Scalar {
    match x {
        Scalar::Const(c) => Scalar::Const(func.forward(c, 0.0)),
        Scalar::Node(v) => Scalar::Node(v.apply(func)),
    }
}

fn binary(op: BinOp, a: Scalar, b: Scalar) -> Scalar {
    use Scalar::{Const, Node};
    match (a, b) {
        (Const(x), Const(y)) => {
            let op = match op {
                BinOp::Add => Op::Add,
                BinOp::Sub => Op::Sub,
                BinOp::Mul => Op::Mul,
                BinOp::Div => Op::Div,
                BinOp::Pow => Op::Pow,
            };
            Const(op.forward(x, y))
        }
        (Node(x), Const(c)) => Node(match op {
            BinOp::Add => x + c,
            BinOp::Sub => x - c,
            BinOp::Mul => x * c,
            BinOp::Div => x / c,
            BinOp::Pow => x.pow(c),
        }),
        (Const(c), Node(y)) => Node(match op {
            BinOp::Add => c + y,
            BinOp::Sub => c - y,
            BinOp::Mul => c * y,
            BinOp::Div => c / y,
            BinOp::Pow => Value::pow_base(c, y),
        }),
        (Node(x), Node(y)) => Node(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            BinOp::Pow => x.pow(y),
        }),
    }
}
