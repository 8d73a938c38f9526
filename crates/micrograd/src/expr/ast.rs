//! The syntax tree of a program, with the span of every part, and a printer that writes it
//! back as source with as few parentheses as the grammar needs.

use std::fmt;

use super::span::Span;
use crate::engine::Op;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**` (right-associative, binds tighter than unary minus on its left)
    Pow,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "**",
        }
    }
}

/// An expression and where it is in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// The source text it was parsed from (empty for trees built by hand).
    pub span: Span,
}

/// The forms of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A decimal literal (the parser only makes non-negative ones: `-1` is `Neg(1)`).
    Number(f64),
    /// A name: an input, or a name assigned by an earlier statement.
    Name(String),
    /// A function applied to one argument.
    /// A function call: the function is one of [`Op::functions`] (`tanh(x)`).
    Call(Op, Box<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// An expression with an empty span (for building trees by hand).
    pub fn new(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    /// Precedence level, low binds loosest: 1 `+ -`, 2 `* /`, 3 unary `-`, 4 `**`, 5 atoms.
    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 1,
            ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => 2,
            ExprKind::Neg(_) => 3,
            ExprKind::Number(x) if x.is_sign_negative() => 3,
            ExprKind::Binary(BinOp::Pow, ..) => 4,
            _ => 5,
        }
    }

    /// Writes `self`, parenthesized if its precedence is below `min`.
    fn write(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        let paren = self.precedence() < min;
        if paren {
            f.write_str("(")?;
        }
        match &self.kind {
            ExprKind::Number(x) => {
                if x.is_sign_negative() {
                    f.write_str("-")?;
                }
                // Shortest text that reads back as the same f64; plain digits for
                // ordinary magnitudes (`2`, `0.5`), an exponent for extreme ones (`1e-7`).
                let a = x.abs();
                if a == 0.0 || (1e-5..1e16).contains(&a) {
                    write!(f, "{a}")?;
                } else {
                    write!(f, "{a:?}")?;
                }
            }
            ExprKind::Name(n) => f.write_str(n)?,
            ExprKind::Call(func, arg) => {
                write!(f, "{}(", func.symbol())?;
                arg.write(f, 0)?;
                f.write_str(")")?;
            }
            ExprKind::Neg(a) => {
                f.write_str("-")?;
                a.write(f, 3)?;
            }
            ExprKind::Binary(op, a, b) => {
                let (lmin, rmin) = match op {
                    BinOp::Add | BinOp::Sub => (1, 2),
                    BinOp::Mul | BinOp::Div => (2, 3),
                    BinOp::Pow => (5, 3),
                };
                a.write(f, lmin)?;
                if *op == BinOp::Pow {
                    f.write_str("**")?;
                } else {
                    write!(f, " {} ", op.symbol())?;
                }
                b.write(f, rmin)?;
            }
        }
        if paren {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Prints the expression as source, with only the parentheses the grammar needs:
/// parsing the text gives back the same tree (for finite numbers; a negative number prints as
/// unary minus, and infinities and NaN have no literal and print as `inf` and `NaN`).
///
/// ```
/// let p = micrograd::expr::parse("y = ((-(a ** 2))) + (2 ** (-b)) * (c / (d * e))").unwrap();
/// assert_eq!(p.to_string(), "y = -a**2 + 2**-b * (c / (d * e))");
/// ```
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

/// The name a statement assigns to.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// One statement: `name = expr` or a bare `expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The name assigned, if any.
    pub target: Option<Target>,
    /// The expression.
    pub expr: Expr,
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.target {
            write!(f, "{} = ", t.name)?;
        }
        self.expr.fmt(f)
    }
}
