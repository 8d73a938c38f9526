//! Errors of the expression language: each says what is wrong and where, and renders the
//! offending line with a caret under the place.

use std::fmt::{self, Write as _};

use super::span::{Location, Span};

/// The kind of a [`ParseError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not follow the grammar (or holds a character or number it cannot read).
    Syntax,
    /// A call of a function the language does not have; holds its name.
    UnknownFunction(String),
    /// The program has no statement at all.
    EmptyProgram,
}

/// A program that cannot be parsed.
///
/// Its `Display` is the full message, e.g.
///
/// ```text
/// syntax error at line 1, column 9: expected an expression after '*', found ')'
///   x = a * ) + 1
///           ^
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(Box<Inner>);

/// The parts of a [`ParseError`], boxed so that a `Result` stays small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    location: Location,
}

impl ParseError {
    /// An error of `kind` at `span` of `src`, with a message saying what is wrong.
    pub fn new(src: &str, span: Span, kind: ErrorKind, message: String) -> ParseError {
        ParseError(Box::new(Inner {
            kind,
            message,
            location: Location::new(src, span),
        }))
    }

    /// What kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// What is wrong (without the position), e.g. `expected an expression after '*', found ')'`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Where it is.
    pub fn location(&self) -> &Location {
        &self.0.location
    }

    /// Line number, from 1.
    pub fn line(&self) -> usize {
        self.0.location.line
    }

    /// Column number (in characters), from 1.
    pub fn column(&self) -> usize {
        self.0.location.column
    }
}

impl fmt::Display for ParseError {
    /// The message and the snippet, with control characters escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = &mut crate::text::Escaped(f);
        let what = match &self.0.kind {
            ErrorKind::Syntax => "syntax error".to_string(),
            ErrorKind::UnknownFunction(name) => format!("unknown function '{name}'"),
            ErrorKind::EmptyProgram => return write!(f, "empty program: {}", self.0.message),
        };
        let l = &self.0.location;
        write!(
            f,
            "{what} at line {}, column {}: {}\n{}",
            l.line,
            l.column,
            self.0.message,
            l.snippet()
        )
    }
}

impl std::error::Error for ParseError {}

/// A program that parsed but cannot be evaluated with the given inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// The program reads a name that is neither an input nor assigned before that point.
    UndefinedName {
        /// The name.
        name: String,
        /// Where it is read.
        location: Location,
    },
    /// The same input name was given twice.
    RepeatedInput {
        /// The name.
        name: String,
    },
    /// An input name that is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    InvalidInputName {
        /// The name as given.
        name: String,
    },
}

impl fmt::Display for EvalError {
    /// The message, with control characters escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f = &mut crate::text::Escaped(f);
        match self {
            EvalError::UndefinedName { name, location } => write!(
                f,
                "undefined name '{name}' at line {}, column {}: it is not an input and is not \
                 assigned before this point (give it a value as an input: {name}=VALUE)\n{}",
                location.line,
                location.column,
                location.snippet()
            ),
            EvalError::RepeatedInput { name } => {
                write!(f, "input '{name}' is given more than once")
            }
            EvalError::InvalidInputName { name } => write!(
                f,
                "input name {name:?} is not a valid name (a letter or '_', then letters, \
                 digits or '_')"
            ),
        }
    }
}

impl std::error::Error for EvalError {}

/// Any error of [`gradients`](super::gradients): a parse or an evaluation error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The program does not parse.
    Parse(ParseError),
    /// The program cannot be evaluated with these inputs.
    Eval(EvalError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => e.fmt(f),
            Error::Eval(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Parse(e) => Some(e),
            Error::Eval(e) => Some(e),
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Self {
        Error::Eval(e)
    }
}
