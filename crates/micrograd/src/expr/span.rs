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
    /// ([`crate::text`]); of a line longer than [`SNIPPET_CHARS`] characters, the
    /// [`SNIPPET_CHARS`] around the span, with `…` where the line goes on.
    pub line_text: String,
    /// A marker line: blanks up to the column, then `^` under the span (at least one).
    pub caret: String,
}

/// The most characters of a line a [`Location`] shows (a longer line is cut around the
/// span, so a message stays a few lines however long the program's line is).
pub const SNIPPET_CHARS: usize = 100;

/// Characters shown before the span in a cut line.
const SNIPPET_BEFORE: usize = 40;

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
        let column = src[line_start..start].chars().count() + 1;
        let text = src[line_start..line_end].trim_end_matches('\r');
        // The window of the line shown: all of it, or SNIPPET_CHARS characters around the
        // span (as byte offsets into `text`).
        let chars = text.chars().count();
        let (from, to) = if chars <= SNIPPET_CHARS {
            (0, chars)
        } else {
            let from = (column - 1)
                .saturating_sub(SNIPPET_BEFORE)
                .min(chars - SNIPPET_CHARS);
            (from, from + SNIPPET_CHARS)
        };
        let byte = |k: usize| text.char_indices().nth(k).map_or(text.len(), |(i, _)| i);
        let (from_b, to_b) = (byte(from), byte(to));
        let mut line_text = String::new();
        let mut caret = String::new();
        if from > 0 {
            line_text.push('…');
            caret.push(' ');
        }
        line_text.push_str(&crate::text::escape(&text[from_b..to_b]));
        if to < chars {
            line_text.push('…');
        }
        // Tabs are copied so the caret lines up however the terminal renders them; an escaped
        // control character takes the width of its escape.
        let start_in = (start - line_start).max(from_b);
        for c in text[from_b..start_in.min(to_b)].chars() {
            match c {
                '\t' => caret.push('\t'),
                c => caret.extend(std::iter::repeat_n(' ', escaped_width(c))),
            }
        }
        let span_end = (end.min(line_end) - line_start).clamp(start_in, to_b.max(start_in));
        let width: usize = text
            .get(start_in.min(text.len())..span_end.min(text.len()))
            .unwrap_or("")
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

    /// A long line is shown as SNIPPET_CHARS characters around the span, the caret still
    /// under it; the line and column are the whole line's.
    #[test]
    fn long_lines_are_cut_around_the_span() {
        let src = format!("{}) + {}", "x+".repeat(5000), "y".repeat(5000));
        let at = 10_000; // the ')'
        let l = Location::new(&src, Span::new(at, at + 1));
        assert_eq!((l.line, l.column), (1, at + 1));
        assert_eq!(l.line_text.chars().count(), SNIPPET_CHARS + 2);
        assert!(l.line_text.starts_with('…') && l.line_text.ends_with('…'));
        let caret_at = l.caret.find('^').unwrap();
        assert_eq!(l.line_text.chars().nth(caret_at), Some(')'), "{l:?}");
        assert_eq!(l.caret.trim_start(), "^");
        // Near the end: the window ends with the line (no trailing `…`).
        let end = src.len();
        let l = Location::new(&src, Span::new(end, end));
        assert!(l.line_text.starts_with('…') && !l.line_text.ends_with('…'));
        assert_eq!(l.caret.len(), SNIPPET_CHARS + 2);
        // A span longer than the window is marked up to the window's end.
        let l = Location::new(&src, Span::new(0, end));
        assert!(!l.line_text.starts_with('…'));
        assert_eq!(l.caret, "^".repeat(SNIPPET_CHARS));
    }
}
