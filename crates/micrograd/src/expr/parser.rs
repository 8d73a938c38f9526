//! The parser: tokens to statements, by recursive descent over Python's precedence.
//!
//! ```text
//! program   := sep* statement (sep+ statement)* sep*      sep := ';' | newline
//! statement := NAME '=' expr | expr
//! expr      := term (('+' | '-') term)*
//! term      := unary (('*' | '/') unary)*
//! unary     := '-' unary | power
//! power     := atom ('**' unary)?          right-associative; -a**2 == -(a**2)
//! atom      := NUMBER | NAME | NAME '(' expr ')' | '(' expr ')'
//! ```

use super::ast::{BinOp, Expr, ExprKind, Statement, Target};
use super::error::{ErrorKind, ParseError};
use super::lexer::{Token, TokenKind, tokenize};
use super::span::{Location, Span};
use crate::engine::Op;

/// The deepest expression tree accepted (counting every operation and call).
///
/// Evaluation and dropping walk the tree recursively; the limit keeps that well inside a
/// thread's stack. A longer chain can always be split into statements.
pub const MAX_DEPTH: usize = 1000;

/// The deepest nesting of parentheses, unary minus and exponents accepted.
pub const MAX_NESTING: usize = 200;

/// Parses a whole program into its statements.
///
/// Errors: a syntax error, an unknown function, an expression deeper than [`MAX_DEPTH`] or
/// nested deeper than [`MAX_NESTING`], or a program with no statement.
pub fn parse_statements(src: &str) -> Result<Vec<Statement>, ParseError> {
    let tokens = tokenize(src)?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        nesting: 0,
    };
    let mut statements = Vec::new();
    loop {
        while p.peek() == &TokenKind::Separator {
            p.pos += 1;
        }
        if p.peek() == &TokenKind::End {
            break;
        }
        statements.push(p.statement()?);
        match p.peek() {
            TokenKind::Separator | TokenKind::End => {}
            _ => return Err(p.after_statement()),
        }
    }
    if statements.is_empty() {
        return Err(ParseError::new(
            src,
            Span::new(0, 0),
            ErrorKind::EmptyProgram,
            "the program has no statement (write statements such as 'y = x * 2', separated \
             by ';' or new lines)"
                .to_string(),
        ));
    }
    Ok(statements)
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: usize,
}

/// A parsed expression and the depth of its tree.
type Parsed = (Expr, usize);

impl Parser<'_> {
    fn peek(&self) -> &TokenKind {
        &self.tokens[self.pos].kind
    }

    fn peek_at(&self, k: usize) -> &TokenKind {
        let i = (self.pos + k).min(self.tokens.len() - 1);
        &self.tokens[i].kind
    }

    fn token(&self) -> &Token {
        &self.tokens[self.pos]
    }

    /// Takes the current token (never moves past `End`).
    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn error(&self, span: Span, message: String) -> ParseError {
        ParseError::new(self.src, span, ErrorKind::Syntax, message)
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        if let (TokenKind::Name(name), TokenKind::Equals) = (self.peek(), self.peek_at(1)) {
            let target = Target {
                name: name.clone(),
                span: self.token().span,
            };
            self.bump();
            self.bump();
            let (expr, _) = self.expr(Some("'='"))?;
            return Ok(Statement {
                target: Some(target),
                expr,
            });
        }
        let (expr, _) = self.expr(None)?;
        Ok(Statement { target: None, expr })
    }

    /// The error for a token that cannot follow a complete statement.
    fn after_statement(&self) -> ParseError {
        let t = self.token();
        let message = match &t.kind {
            TokenKind::RParen => "unmatched ')'".to_string(),
            TokenKind::Equals => "the left side of '=' must be a single name".to_string(),
            other => format!(
                "expected an operator, ';' or a new line, found {}",
                other.describe()
            ),
        };
        self.error(t.span, message)
    }

    /// `expr := term (('+' | '-') term)*`. `after` describes the token before the
    /// expression, for the message if it is missing.
    fn expr(&mut self, after: Option<&str>) -> Result<Parsed, ParseError> {
        let (mut lhs, mut depth) = self.term(after)?;
        loop {
            let op = match self.peek() {
                TokenKind::Plus => BinOp::Add,
                TokenKind::Minus => BinOp::Sub,
                _ => return Ok((lhs, depth)),
            };
            let tok = self.bump();
            let (rhs, d) = self.term(Some(&tok.kind.describe()))?;
            (lhs, depth) = self.binary(op, lhs, rhs, depth.max(d) + 1)?;
        }
    }

    /// `term := unary (('*' | '/') unary)*`
    fn term(&mut self, after: Option<&str>) -> Result<Parsed, ParseError> {
        let (mut lhs, mut depth) = self.unary(after)?;
        loop {
            let op = match self.peek() {
                TokenKind::Star => BinOp::Mul,
                TokenKind::Slash => BinOp::Div,
                _ => return Ok((lhs, depth)),
            };
            let tok = self.bump();
            let (rhs, d) = self.unary(Some(&tok.kind.describe()))?;
            (lhs, depth) = self.binary(op, lhs, rhs, depth.max(d) + 1)?;
        }
    }

    fn binary(&self, op: BinOp, lhs: Expr, rhs: Expr, depth: usize) -> Result<Parsed, ParseError> {
        let span = lhs.span.to(rhs.span);
        if depth > MAX_DEPTH {
            return Err(self.error(
                span,
                format!("expression too deep (more than {MAX_DEPTH} operations in one chain); split it into statements"),
            ));
        }
        let kind = ExprKind::Binary(op, Box::new(lhs), Box::new(rhs));
        Ok((Expr { kind, span }, depth))
    }

    /// Counts one level of recursion, refusing to go deeper than [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(
                self.token().span,
                format!("expression nested too deeply (more than {MAX_NESTING} levels)"),
            ));
        }
        Ok(())
    }

    /// `unary := '-' unary | power`
    fn unary(&mut self, after: Option<&str>) -> Result<Parsed, ParseError> {
        if self.peek() != &TokenKind::Minus {
            return self.power(after);
        }
        self.enter()?;
        let minus = self.bump();
        let (operand, depth) = self.unary(Some("'-'"))?;
        self.nesting -= 1;
        let span = minus.span.to(operand.span);
        let kind = ExprKind::Neg(Box::new(operand));
        Ok((Expr { kind, span }, depth + 1))
    }

    /// `power := atom ('**' unary)?`
    fn power(&mut self, after: Option<&str>) -> Result<Parsed, ParseError> {
        let (base, d1) = self.atom(after)?;
        if self.peek() != &TokenKind::StarStar {
            return Ok((base, d1));
        }
        self.enter()?;
        self.bump();
        let (exponent, d2) = self.unary(Some("'**'"))?;
        self.nesting -= 1;
        self.binary(BinOp::Pow, base, exponent, d1.max(d2) + 1)
    }

    /// `atom := NUMBER | NAME | NAME '(' expr ')' | '(' expr ')'`
    fn atom(&mut self, after: Option<&str>) -> Result<Parsed, ParseError> {
        let tok = self.token().clone();
        match &tok.kind {
            TokenKind::Number(x) => {
                self.bump();
                Ok((
                    Expr {
                        kind: ExprKind::Number(*x),
                        span: tok.span,
                    },
                    1,
                ))
            }
            TokenKind::Name(name) if self.peek_at(1) == &TokenKind::LParen => {
                let Some(func) = Op::function(name) else {
                    return Err(ParseError::new(
                        self.src,
                        tok.span,
                        ErrorKind::UnknownFunction(name.clone()),
                        format!("the functions are {}", Op::function_names()),
                    ));
                };
                self.bump();
                let (arg, depth, close) = self.parenthesized()?;
                let span = tok.span.to(close);
                let kind = ExprKind::Call(func, Box::new(arg));
                Ok((Expr { kind, span }, depth + 1))
            }
            TokenKind::Name(name) => {
                self.bump();
                Ok((
                    Expr {
                        kind: ExprKind::Name(name.clone()),
                        span: tok.span,
                    },
                    1,
                ))
            }
            TokenKind::LParen => {
                let (mut inner, depth, close) = self.parenthesized()?;
                inner.span = tok.span.to(close);
                Ok((inner, depth))
            }
            other => {
                let found = other.describe();
                let message = match after {
                    Some(a) => format!("expected an expression after {a}, found {found}"),
                    None => format!("expected an expression, found {found}"),
                };
                Err(self.error(tok.span, message))
            }
        }
    }

    /// `'(' expr ')'`, at a `(`; returns the expression, its depth and the span of the `)`.
    fn parenthesized(&mut self) -> Result<(Expr, usize, Span), ParseError> {
        self.enter()?;
        let open = self.bump();
        let (inner, depth) = self.expr(Some("'('"))?;
        let t = self.token().clone();
        if t.kind != TokenKind::RParen {
            let at = Location::new(self.src, open.span);
            return Err(self.error(
                t.span,
                format!(
                    "expected ')' to close the '(' at line {}, column {}, found {}",
                    at.line,
                    at.column,
                    t.kind.describe()
                ),
            ));
        }
        self.bump();
        self.nesting -= 1;
        Ok((inner, depth, t.span))
    }
}
