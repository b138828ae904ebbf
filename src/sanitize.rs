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
            c if is_bidi_control(c) => {}
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
