//! The lexer: program text to tokens, each with its byte span.
//!
//! Tokens: decimal numbers (`3`, `0.5`, `.5`, `5.`, `1e-4`, `2.5E+3`), names
//! (`[A-Za-z_][A-Za-z0-9_]*`), the operators `+ - * / **`, `=`, parentheses, and the statement
//! separators `;` and newline. Spaces, tabs and carriage returns are skipped; `#` starts a
//! comment that runs to the end of the line. Newlines inside parentheses are not separators
//! (as in Python), so a long expression may be split across lines inside `( ... )`.

use super::error::{ErrorKind, ParseError};
use super::span::Span;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A decimal literal, already converted.
    Number(f64),
    /// A name: a variable or a function.
    Name(String),
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `**`
    StarStar,
    /// `=`
    Equals,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `;` or a newline outside parentheses.
    Separator,
    /// The end of the program.
    End,
}

impl TokenKind {
    /// How the token is described in messages (`'*'`, `name 'x'`, `end of program`, ...).
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Number(_) => "a number".to_string(),
            TokenKind::Name(n) => format!("name '{n}'"),
            TokenKind::Plus => "'+'".to_string(),
            TokenKind::Minus => "'-'".to_string(),
            TokenKind::Star => "'*'".to_string(),
            TokenKind::Slash => "'/'".to_string(),
            TokenKind::StarStar => "'**'".to_string(),
            TokenKind::Equals => "'='".to_string(),
            TokenKind::LParen => "'('".to_string(),
            TokenKind::RParen => "')'".to_string(),
            TokenKind::Separator => "the end of the statement".to_string(),
            TokenKind::End => "the end of the program".to_string(),
        }
    }
}

/// A token and where it is in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is (byte offsets into the source).
    pub span: Span,
}

/// Splits `src` into tokens. The last token is always [`TokenKind::End`].
///
/// Errors: an unexpected character or a malformed number (`1e`, `2x`, `1.2.3`) is reported
/// with its position. (Unbalanced parentheses are found by the parser.)
pub fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize; // parenthesis nesting: newlines inside are whitespace
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = |kind: TokenKind| Token {
            kind,
            span: Span::new(start, start + 1),
        };
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => {
                if depth == 0 {
                    tokens.push(single(TokenKind::Separator));
                }
                i += 1;
            }
            b';' => {
                tokens.push(single(TokenKind::Separator));
                i += 1;
            }
            b'+' => {
                tokens.push(single(TokenKind::Plus));
                i += 1;
            }
            b'-' => {
                tokens.push(single(TokenKind::Minus));
                i += 1;
            }
            b'/' => {
                tokens.push(single(TokenKind::Slash));
                i += 1;
            }
            b'=' => {
                tokens.push(single(TokenKind::Equals));
                i += 1;
            }
            b'(' => {
                depth += 1;
                tokens.push(single(TokenKind::LParen));
                i += 1;
            }
            b')' => {
                // An unmatched ')' is reported by the parser, which knows what it expected.
                depth = depth.saturating_sub(1);
                tokens.push(single(TokenKind::RParen));
                i += 1;
            }
            b'*' => {
                if bytes.get(i + 1) == Some(&b'*') {
                    tokens.push(Token {
                        kind: TokenKind::StarStar,
                        span: Span::new(start, start + 2),
                    });
                    i += 2;
                } else {
                    tokens.push(single(TokenKind::Star));
                    i += 1;
                }
            }
            b'0'..=b'9' | b'.' => {
                let (value, end) = number(src, start)?;
                tokens.push(Token {
                    kind: TokenKind::Number(value),
                    span: Span::new(start, end),
                });
                i = end;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Token {
                    kind: TokenKind::Name(src[start..i].to_string()),
                    span: Span::new(start, i),
                });
            }
            _ => {
                let ch = src[start..].chars().next().unwrap_or('?');
                let end = start + ch.len_utf8();
                return Err(ParseError::new(
                    src,
                    Span::new(start, end),
                    ErrorKind::Syntax,
                    match ch {
                        // Python's and this language's power is `**`; `^` is xor in Python.
                        '^' => "unexpected character '^' (use ** for powers: x**2)".to_string(),
                        _ => format!("unexpected character {ch:?}"),
                    },
                ));
            }
        }
    }
    // The end is placed just after the last token, so a message about it points there
    // rather than at trailing blank lines or comments.
    let end = tokens.last().map_or(0, |t| t.span.end);
    tokens.push(Token {
        kind: TokenKind::End,
        span: Span::new(end, end),
    });
    Ok(tokens)
}

/// Reads the decimal literal starting at byte `start` (a digit or `.`).
/// Returns its value and the byte offset just past it.
fn number(src: &str, start: usize) -> Result<(f64, usize), ParseError> {
    let bytes = src.as_bytes();
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let int_digits = i - start;
    let mut frac_digits = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        let j = digits(i + 1);
        frac_digits = j - (i + 1);
        i = j;
    }
    let mut bad = int_digits + frac_digits == 0; // a lone '.'
    if !bad && i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let k = digits(j);
        if k == j {
            bad = true; // `1e`, `1e+`
        }
        i = k;
    }
    // A number runs into a name or another '.' (`2x`, `1.2.3`): report the whole run.
    let mut end = i;
    while end < bytes.len()
        && (bytes[end] == b'_' || bytes[end] == b'.' || bytes[end].is_ascii_alphanumeric())
    {
        end += 1;
        bad = true;
    }
    let text = &src[start..end];
    let value = if bad { None } else { text.parse::<f64>().ok() };
    match value {
        // Rust reads `1e999` as infinity: an overflow, not a number of the language.
        Some(v) if v.is_infinite() => Err(ParseError::new(
            src,
            Span::new(start, end),
            ErrorKind::Syntax,
            format!("number is too large: '{text}' (the largest is about 1.8e308)"),
        )),
        Some(v) => Ok((v, end)),
        None => Err(ParseError::new(
            src,
            Span::new(start, end),
            ErrorKind::Syntax,
            format!("malformed number '{text}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numbers() {
        use TokenKind::*;
        assert_eq!(
            kinds("3 0.5 .5 5. 1e-4 2.5E+3 6.8813735870194432"),
            vec![
                Number(3.0),
                Number(0.5),
                Number(0.5),
                Number(5.0),
                Number(1e-4),
                Number(2500.0),
                Number(6.881_373_587_019_443),
                End
            ]
        );
    }

    #[test]
    fn malformed_numbers() {
        for (src, col) in [("1e", 1), ("x = 2x", 5), ("1.2.3", 1), (".", 1), ("3e+", 1)] {
            let e = tokenize(src).unwrap_err();
            assert!(e.message().starts_with("malformed number"), "{src}: {e}");
            assert_eq!(e.column(), col, "{src}");
        }
    }

    #[test]
    fn overflowing_numbers_are_errors() {
        let e = tokenize("x = 2 *\n  1e999").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 3));
        assert_eq!(
            e.message(),
            "number is too large: '1e999' (the largest is about 1.8e308)"
        );
        assert!(matches!(e.kind(), ErrorKind::Syntax));
        // Underflow is a number: 0.
        assert_eq!(
            kinds("1e-999"),
            vec![TokenKind::Number(0.0), TokenKind::End]
        );
    }

    #[test]
    fn operators_comments_newlines() {
        use TokenKind::*;
        assert_eq!(
            kinds("a**b # c\n(\n1)*-2;"),
            vec![
                Name("a".into()),
                StarStar,
                Name("b".into()),
                Separator,
                LParen,
                Number(1.0),
                RParen,
                Star,
                Minus,
                Number(2.0),
                Separator,
                End
            ]
        );
    }

    #[test]
    fn bad_characters() {
        let e = tokenize("a = b $ 2").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 7));
        assert!(e.message().contains("'$'"), "{e}");
        let e = tokenize("a = 1\nb = é").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 5));
    }
}
