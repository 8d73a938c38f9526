//! The expression language of `micrograd grad`: small programs of scalar arithmetic whose
//! gradients the engine computes.
//!
//! ```text
//! n = x1*w1 + x2*w2 + b      # statements are separated by ';' or new lines
//! o = tanh(n)                # the last statement's value is the output
//! ```
//!
//! - Statements: `name = expr` or a bare `expr`. A name may be assigned again
//!   (`c = c + 1`); gradients are taken with respect to the *inputs* as given, even where the
//!   program later re-binds an input's name (Python semantics).
//! - Expressions, with Python's precedence: `+ -` < `* /` < unary `-` < `**`
//!   (right-associative: `2**3**2 == 512`, `-a**2 == -(a**2)`, `2**-b` is legal),
//!   parentheses, and the functions `exp`, `log` (natural), `tanh`, `relu`, `sigmoid`.
//! - Numbers are decimal literals: `3`, `0.5`, `.5`, `5.`, `1e-4`, `2.5E+3`.
//! - `#` starts a comment to the end of the line; inside parentheses a new line does not end
//!   the statement. Empty statements (`;;`, a trailing `;`, blank lines) are ignored, but a
//!   program needs at least one statement.
//! - A name that is neither an input nor assigned earlier is an error; an input the program
//!   never reads is fine (its gradient is 0).
//!
//! Evaluation folds constants (`2 * 3` and `-0.93` are plain numbers, not nodes) and uses the
//! engine's constant operations where one operand is a constant (see [`eval`]).
//!
//! ```
//! use micrograd::expr;
//!
//! let (value, grads) = expr::gradients("y = -a**2 + 2**-b", &[("a", 1.5), ("b", 0.5)]).unwrap();
//! assert_eq!(value, -2.25 + 2f64.powf(-0.5));
//! assert_eq!(grads[0], ("a".to_string(), -3.0));
//!
//! let err = expr::parse("x = a * ) + 1").unwrap_err();
//! assert_eq!((err.line(), err.column()), (1, 9));
//! assert_eq!(
//!     err.to_string(),
//!     "syntax error at line 1, column 9: expected an expression after '*', found ')'\n  x = a * ) + 1\n          ^"
//! );
//! ```

mod ast;
mod error;
pub mod eval;
mod lexer;
mod parser;
mod span;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

pub use ast::{BinOp, Expr, ExprKind, Statement, Target};
pub use error::{Error, ErrorKind, EvalError, ParseError};
pub use eval::{Evaluation, Scalar, is_identifier};
pub use parser::{MAX_DEPTH, MAX_NESTING};
pub use span::{Location, SNIPPET_CHARS, Span};

use crate::engine::{Tape, Value};

/// A parsed program: its statements and the source they came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    source: String,
    statements: Vec<Statement>,
}

/// Parses a program.
///
/// Errors (with line, column and the line shown under a caret): a syntax error, an unknown
/// function, an empty program, or an expression nested too deeply.
pub fn parse(src: &str) -> Result<Program, ParseError> {
    let statements = parser::parse_statements(src)?;
    Ok(Program {
        source: src.to_string(),
        statements,
    })
}

impl FromStr for Program {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl Program {
    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The statements (at least one).
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Evaluates the program on the engine, with one new leaf per input (labelled with its
    /// name). A node assigned to a name gets that name as its label, if it has none yet.
    ///
    /// The nodes are made on this thread's tape and stay there; to evaluate in a loop without
    /// growing memory, evaluate inside a [`Tape::scope`] and copy the numbers out:
    ///
    /// ```
    /// use micrograd::{Tape, expr};
    ///
    /// let program = expr::parse("y = x * x * 3").unwrap();
    /// for x in [1.0, 2.0] {
    ///     let _step = Tape::scope();
    ///     let ev = program.eval(&[("x", x)]).unwrap();
    ///     assert_eq!(ev.value(), 3.0 * x * x);
    ///     assert_eq!(ev.gradients()[0].1, 6.0 * x);
    /// }
    /// assert_eq!(Tape::len(), 0);
    /// ```
    ///
    /// Errors: an input name that is not an identifier or is given twice; a name the
    /// program reads before any input or statement defines it.
    pub fn eval<S: AsRef<str>>(&self, inputs: &[(S, f64)]) -> Result<Evaluation, EvalError> {
        eval::check_inputs(inputs)?;
        let mut env = HashMap::new();
        let mut leaves = Vec::with_capacity(inputs.len());
        for (name, x) in inputs {
            let name = name.as_ref();
            let v = Value::new(*x).with_label(name);
            env.insert(name.to_string(), Scalar::Node(v));
            leaves.push((name.to_string(), v));
        }
        let output = eval::run(&self.source, &self.statements, &mut env, true)?;
        Ok(Evaluation::new(output, leaves))
    }

    /// The program's value at `inputs`, computed with plain `f64`s (no node is made):
    /// the same numbers as [`eval`](Program::eval), e.g. for finite differences.
    ///
    /// Errors: as [`eval`](Program::eval).
    pub fn value_at<S: AsRef<str>>(&self, inputs: &[(S, f64)]) -> Result<f64, EvalError> {
        eval::check_inputs(inputs)?;
        let mut env: HashMap<String, Scalar> = inputs
            .iter()
            .map(|(n, x)| (n.as_ref().to_string(), Scalar::Const(*x)))
            .collect();
        Ok(eval::run(&self.source, &self.statements, &mut env, false)?.data())
    }
}

/// Prints the program as source, one statement per `; `, with minimal parentheses
/// (comments and layout are not kept).
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            s.fmt(f)?;
        }
        Ok(())
    }
}

/// Parses and evaluates `src` at `inputs` and returns its value and the gradient of the
/// value with respect to each input, in the order given. Every node it makes is released
/// before it returns.
///
/// ```
/// let (v, g) = micrograd::expr::gradients("d = a * b; e = a + b; d * e", &[("a", -2.0), ("b", 3.0)]).unwrap();
/// assert_eq!(v, -6.0);
/// assert_eq!(g, vec![("a".to_string(), -3.0), ("b".to_string(), -8.0)]);
/// ```
///
/// Errors: those of [`parse`] and [`Program::eval`].
pub fn gradients<S: AsRef<str>>(
    src: &str,
    inputs: &[(S, f64)],
) -> Result<(f64, Vec<(String, f64)>), Error> {
    let program = parse(src)?;
    let _scope = Tape::scope();
    let ev = program.eval(inputs)?;
    let grads = ev.gradients();
    Ok((ev.value(), grads))
}

#[cfg(test)]
mod tests;
