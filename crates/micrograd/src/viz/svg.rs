//! Small helpers shared by the SVG writers: XML escaping and compact numbers.

/// Escapes `text` for XML character data and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0; show them as spaces.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most two decimals and no trailing zeros (`12`, `3.5`, `-0.25`).
/// Non-finite numbers become `0` so that the SVG stays valid.
pub(crate) fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".to_string();
    }
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A number as shown in a picture with `decimals` digits (`NaN`, `inf`, `-inf` as such).
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        let s = format!("{:.*}", decimals, x);
        // `-0.0000` reads oddly; print it as zero.
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    }
}

/// A constant as short as it reads well: `2`, `0.5`, `-3.25`, `1e-6`, `1.5e10`.
pub(crate) fn short(x: f64) -> String {
    if !x.is_finite() {
        return fixed(x, 0);
    }
    if x == x.trunc() && x.abs() < 1e9 {
        return format!("{}", x as i64);
    }
    let a = x.abs();
    if (1e-3..1e6).contains(&a) {
        let s = format!("{:.4}", x);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{:.3e}", x);
        // "1.500e10" -> "1.5e10"
        match s.split_once('e') {
            Some((m, e)) => {
                let m = m.trim_end_matches('0').trim_end_matches('.');
                format!("{m}e{e}")
            }
            None => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(escape("x\u{1}y"), "x y");
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(3.5), "3.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(fixed(-1.5, 4), "-1.5000");
        assert_eq!(fixed(-0.00001, 4), "0.0000");
        assert_eq!(fixed(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(short(2.0), "2");
        assert_eq!(short(0.5), "0.5");
        assert_eq!(short(1e-6), "1e-6");
        assert_eq!(short(1.5e10), "1.5e10");
    }
}
