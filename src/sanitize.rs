//! One sanitiser for every string from outside (imported names, AI output, URLs
//! in messages): control characters and escape sequences never reach a terminal.

/// Removes whole ANSI escape sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte
/// escapes), C0 and C1 control characters and bidirectional overrides; a tab
/// becomes a space; newlines are kept only when `keep_newlines`.
pub fn clean_text(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 introducers that start a string or a control sequence on their own.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push(' '),
            '\n' if keep_newlines => out.push('\n'),
            c if c.is_control() => {}
            c if is_bidi_control(c) || is_zero_width(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// [`clean_text`] for one-line labels: newlines are dropped too.
pub fn clean(s: &str) -> String {
    clean_text(s, false)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Character-set designations take one more byte: ESC ( B.
        Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

/// A string sequence (OSC, DCS, ...), ended by BEL, ST (ESC \) or C1 ST.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_sgr_whole() {
        assert_eq!(clean("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(clean("a\u{9b}31mb"), "ab");
    }

    #[test]
    fn strips_osc52_clipboard_and_title() {
        assert_eq!(clean("x\u{1b}]52;c;ZXZpbA==\u{7}y"), "xy");
        assert_eq!(clean("x\u{1b}]0;title\u{1b}\\y"), "xy");
        assert_eq!(clean("x\u{9d}0;t\u{9c}y"), "xy");
    }

    #[test]
    fn strips_c0_c1_and_bidi() {
        assert_eq!(clean("a\u{0}b\u{7}c\u{8}d\u{85}e\rf"), "abcdef");
        assert_eq!(clean("evil\u{202e}txt.exe\u{2066}"), "eviltxt.exe");
        assert_eq!(clean("a\tb"), "a b");
        assert_eq!(clean_text("a\nb", true), "a\nb");
        assert_eq!(clean("a\nb"), "ab");
    }

    #[test]
    fn keeps_ordinary_text() {
        assert_eq!(clean("Café Año — 北京 🚀"), "Café Año — 北京 🚀");
    }
}

/// Characters that take no column but change how the text around them joins
/// (zero-width space, joiners, word joiner, BOM, Mongolian vowel separator):
/// removed, so widths computed from the text are what the terminal shows.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}'
    )
}

/// Display width in terminal columns (wide CJK and emoji count 2, combining marks 0).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, with `…` when cut.
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces on the left to `w` columns (right-aligned).
pub fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// `s` padded with spaces on the right to `w` columns (left-aligned).
pub fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// JSON for machines that may print it: like serde_json's pretty output, with
/// C1 controls and bidirectional overrides written as `\uXXXX` escapes, so a
/// name cannot reorder or restyle a terminal that shows the JSON.
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    struct Escaping<'a>(serde_json::ser::PrettyFormatter<'a>);
    impl serde_json::ser::Formatter for Escaping<'_> {
        fn write_string_fragment<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            fragment: &str,
        ) -> std::io::Result<()> {
            let mut start = 0;
            for (i, c) in fragment.char_indices() {
                if ('\u{80}'..='\u{9f}').contains(&c) || is_bidi_control(c) || is_zero_width(c) {
                    w.write_all(&fragment.as_bytes()[start..i])?;
                    write!(w, "\\u{:04x}", c as u32)?;
                    start = i + c.len_utf8();
                }
            }
            w.write_all(&fragment.as_bytes()[start..])
        }
        fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.begin_array(w)
        }
        fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_array(w)
        }
        fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
            self.0.begin_array_value(w, first)
        }
        fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_array_value(w)
        }
        fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.begin_object(w)
        }
        fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_object(w)
        }
        fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
            self.0.begin_object_key(w, first)
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.begin_object_value(w)
        }
        fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_object_value(w)
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Escaping(serde_json::ser::PrettyFormatter::new()));
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).unwrap_or_default())
}

#[cfg(test)]
mod width_tests {
    use super::*;

    #[test]
    fn widths_and_fitting() {
        assert_eq!(width("北京"), 4);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("🚀"), 2);
        assert_eq!(pad_left("北", 4), "  北");
        assert_eq!(pad_right("é", 3), "é  ");
        assert_eq!(fit("北京北京", 5), "北京…");
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(clean("a\u{200b}b\u{200d}c\u{feff}"), "abc");
    }

    #[test]
    fn json_escapes_c1_bidi_and_zero_width() {
        let v = serde_json::json!({"name": "evil\u{202e}gnp.exe\u{85}x\u{200b}", "ok": "Café 北京"});
        let s = json_pretty(&v).unwrap();
        assert!(s.contains(r#""evil\u202egnp.exe\u0085x\u200b""#), "{s}");
        assert!(s.contains("Café 北京"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v, "the escapes read back as the same text");
        assert_eq!(
            s,
            serde_json::to_string_pretty(&serde_json::json!({"name": "x", "ok": "Café 北京"}))
                .unwrap()
                .replace("\"x\"", r#""evil\u202egnp.exe\u0085x\u200b""#)
        );
    }
}
