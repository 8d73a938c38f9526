//! Text echoed to a terminal: control characters escaped (and [`or_list`], the lists of
//! choices that messages name).
//!
//! Messages quote what the user gave (a program's line, a CSV field, a column or label name,
//! a file name). Such text may hold terminal control sequences (`ESC ] 0 ; ... BEL` retitles
//! a terminal window, `ESC [ 2 J` clears it) or bidirectional overrides that reorder what is
//! shown; echoed raw, they act on the terminal instead of being seen. Every error of this
//! library writes its text through [`Escaped`], so each such character shows as its Rust
//! escape (`\u{1b}`), and the command line does the same for everything it prints.
//!
//! ```
//! use micrograd::text::escape;
//! assert_eq!(escape("a\u{1b}]0;pwned\u{7}b"), r"a\u{1b}]0;pwned\u{7}b");
//! assert_eq!(escape("line\n\ttab"), "line\n\ttab"); // layout is kept
//! ```

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is escaped: a control character other than a line break or a tab (which
/// messages use for layout), or a bidirectional-text control (U+200E, U+200F,
/// U+202A..U+202E, U+2066..U+2069).
pub fn is_escaped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [escaped](is_escaped) character written as `\u{XX}` (borrowed if there is
/// none).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let _ = fmt::Write::write_str(&mut Escaped(&mut out), s);
    Cow::Owned(out)
}

/// The width, in characters, of `c` once escaped (1 for a character that is not).
pub fn escaped_width(c: char) -> usize {
    if is_escaped(c) {
        c.escape_unicode().count()
    } else {
        1
    }
}

/// A writer that escapes what passes through it: `write!(Escaped(f), ...)` inside a
/// `Display` implementation writes the same text with [escaped](is_escaped) characters as
/// `\u{XX}`.
pub struct Escaped<W>(pub W);

impl<W: fmt::Write> fmt::Write for Escaped<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| is_escaped(c)) {
            self.0.write_str(&rest[..i])?;
            write!(self.0, "{}", c.escape_unicode())?;
            rest = &rest[i + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

/// `a`, `a or b`, `a, b or c`: the choices a message names.
///
/// ```
/// use micrograd::text::or_list;
/// assert_eq!(or_list(&["relu", "tanh", "sigmoid"]), "relu, tanh or sigmoid");
/// assert_eq!(or_list(&["linear"]), "linear");
/// ```
pub fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
