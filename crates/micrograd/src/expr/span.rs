//! Positions in the program text: byte spans, and their line/column for messages.

use crate::text::escaped_width;

/// A range of bytes `start..end` of the program text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset just past the last byte (`start` for an empty span).
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Where a span is, in human terms, with the text of its line to show under a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The span in the source.
    pub span: Span,
    /// Line number, from 1.
    pub line: usize,
    /// Column number (in characters), from 1.
    pub column: usize,
    /// The text of that line (without its line break), with control characters escaped
    /// ([`crate::text`]).
    pub line_text: String,
    /// A marker line: blanks up to the column, then `^` under the span (at least one).
    pub caret: String,
}

impl Location {
    /// Locates `span` in `src`.
    ///
    /// Pre: `span.start <= src.len()` and both ends are on character boundaries
    /// (out-of-range offsets are clamped to the end of `src`).
    pub fn new(src: &str, span: Span) -> Location {
        let start = floor_char_boundary(src, span.start);
        let end = floor_char_boundary(src, span.end.max(start));
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = src[..start].matches('\n').count() + 1;
        let before = &src[line_start..start];
        let column = before.chars().count() + 1;
        let line_text =
            crate::text::escape(src[line_start..line_end].trim_end_matches('\r')).into_owned();
        // Tabs are copied so the caret lines up however the terminal renders them; an escaped
        // control character takes the width of its escape.
        let mut caret = String::new();
        for c in before.chars() {
            match c {
                '\t' => caret.push('\t'),
                c => caret.extend(std::iter::repeat_n(' ', escaped_width(c))),
            }
        }
        let width: usize = src[start..end.min(line_end)]
            .chars()
            .map(escaped_width)
            .sum();
        caret.extend(std::iter::repeat_n('^', width.max(1)));
        Location {
            span,
            line,
            column,
            line_text,
            caret,
        }
    }

    /// The line and the caret under it, each indented by two spaces.
    pub fn snippet(&self) -> String {
        format!("  {}\n  {}", self.line_text, self.caret)
    }
}

fn floor_char_boundary(src: &str, mut i: usize) -> usize {
    i = i.min(src.len());
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "a = 1\n\tb = c * 2\n";
        let l = Location::new(src, Span::new(11, 12)); // 'c'
        assert_eq!((l.line, l.column), (2, 6));
        assert_eq!(l.line_text, "\tb = c * 2");
        assert_eq!(l.caret, "\t    ^");
        let l = Location::new("x = é + y", Span::new(9, 10)); // 'y' after a 2-byte char
        assert_eq!((l.line, l.column), (1, 9));
        assert_eq!(l.caret, "        ^");
        let l = Location::new("abc", Span::new(3, 3)); // the end
        assert_eq!((l.line, l.column, l.caret.as_str()), (1, 4, "   ^"));
    }
}
