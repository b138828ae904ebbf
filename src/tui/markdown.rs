//! Simple markdown for the AI panel: headings, bullet and numbered lists, bold,
//! inline code and fenced code, wrapped to a width; figures that grounding could
//! not verify are marked. The text is sanitised before it gets here.

use super::theme::Theme;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// A run of text with one style, before wrapping.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    text: String,
    style: Style,
}

/// Inline `**bold**` and `` `code` `` of one line.
fn inline(text: &str, base: Style, theme: &Theme) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut bold = false;
    let mut code = false;
    let mut cur = String::new();
    let style = |bold: bool, code: bool| {
        if code {
            theme.accent
        } else if bold {
            base.add_modifier(Modifier::BOLD)
        } else {
            base
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            out.push(Piece {
                text: std::mem::take(&mut cur),
                style: style(bold, code),
            });
            code = !code;
        } else if c == '*' && !code && chars.peek() == Some(&'*') {
            chars.next();
            out.push(Piece {
                text: std::mem::take(&mut cur),
                style: style(bold, code),
            });
            bold = !bold;
        } else {
            cur.push(c);
        }
    }
    out.push(Piece {
        text: cur,
        style: style(bold, code),
    });
    out.retain(|p| !p.text.is_empty());
    out
}

/// Splits pieces where an unverified figure appears, and marks it.
fn mark(pieces: Vec<Piece>, unverified: &[String], theme: &Theme) -> Vec<Piece> {
    if unverified.is_empty() {
        return pieces;
    }
    let flagged = theme.warn.add_modifier(Modifier::UNDERLINED);
    let mut out = Vec::new();
    for p in pieces {
        let mut rest = p.text.as_str();
        loop {
            let hit = unverified
                .iter()
                .filter(|u| !u.is_empty())
                .filter_map(|u| rest.find(u.as_str()).map(|i| (i, u.len())))
                .min();
            match hit {
                Some((i, len)) => {
                    if i > 0 {
                        out.push(Piece {
                            text: rest[..i].to_owned(),
                            style: p.style,
                        });
                    }
                    out.push(Piece {
                        text: format!("{}?", &rest[i..i + len]),
                        style: flagged,
                    });
                    rest = &rest[i + len..];
                }
                None => {
                    if !rest.is_empty() {
                        out.push(Piece {
                            text: rest.to_owned(),
                            style: p.style,
                        });
                    }
                    break;
                }
            }
        }
    }
    out
}

/// Word-wraps styled pieces to `width` columns; continuation lines get `indent`.
fn wrap(pieces: &[Piece], width: usize, first_prefix: Span<'static>, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = vec![first_prefix.clone()];
    let mut used = crate::sanitize::width(&first_prefix.content);
    for p in pieces {
        // Words with the spaces that follow them, so spacing is kept.
        let mut word = String::new();
        let flush =
            |word: &mut String, line: &mut Vec<Span<'static>>, used: &mut usize, lines: &mut Vec<Line<'static>>| {
                if word.is_empty() {
                    return;
                }
                let n = crate::sanitize::width(word);
                if *used + n.min(width) > width && *used > indent {
                    lines.push(Line::from(std::mem::take(line)));
                    line.push(Span::raw(" ".repeat(indent)));
                    *used = indent;
                    let trimmed = word.trim_start().to_owned();
                    *word = trimmed;
                }
                // A word longer than the line is cut.
                let mut w = std::mem::take(word);
                while *used + crate::sanitize::width(&w) > width {
                    let room = width.saturating_sub(*used).max(2);
                    // As many characters as fit in `room` columns (at least one).
                    let mut cut = 0;
                    let mut cols = 0;
                    for (i, c) in w.char_indices() {
                        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                        if cols + cw > room && i > 0 {
                            break;
                        }
                        cols += cw;
                        cut = i + c.len_utf8();
                    }
                    let head = w[..cut].to_owned();
                    let tail = w[cut..].to_owned();
                    line.push(Span::styled(head, p.style));
                    lines.push(Line::from(std::mem::take(line)));
                    line.push(Span::raw(" ".repeat(indent)));
                    *used = indent;
                    w = tail;
                }
                *used += crate::sanitize::width(&w);
                line.push(Span::styled(w, p.style));
            };
        for c in p.text.chars() {
            word.push(c);
            if c == ' ' {
                flush(&mut word, &mut line, &mut used, &mut lines);
            }
        }
        flush(&mut word, &mut line, &mut used, &mut lines);
    }
    lines.push(Line::from(line));
    lines
}

/// One paragraph of plain text in one style, wrapped.
pub fn paragraph(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(
        &[Piece {
            text: text.to_owned(),
            style,
        }],
        width,
        Span::raw(""),
        0,
    )
}

/// The text as lines of at most `width` columns.
pub fn render(text: &str, width: usize, theme: &Theme, unverified: &[String]) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut in_code = false;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            let t: String = raw.chars().take(width.max(1)).collect();
            out.push(Line::from(Span::styled(t, theme.muted)));
            continue;
        }
        if trimmed.is_empty() {
            out.push(Line::from(""));
            continue;
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            let style = theme.title.add_modifier(Modifier::BOLD);
            let pieces = mark(inline(trimmed[hashes..].trim(), style, theme), unverified, theme);
            out.extend(wrap(&pieces, width, Span::raw(""), 0));
            continue;
        }
        let (prefix, body) = if let Some(b) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            ("• ".to_owned(), b)
        } else if let Some(dot) = trimmed.find(". ").filter(|i| *i > 0 && *i <= 3)
            && trimmed[..dot].chars().all(|c| c.is_ascii_digit())
        {
            (format!("{}. ", &trimmed[..dot]), &trimmed[dot + 2..])
        } else {
            (String::new(), trimmed)
        };
        let indent = crate::sanitize::width(&prefix);
        let pieces = mark(inline(body, theme.base, theme), unverified, theme);
        out.extend(wrap(&pieces, width, Span::styled(prefix, theme.accent), indent));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn headings_lists_bold_code_and_wrapping() {
        let th = Theme::monochrome("t");
        let text = "# Title\n\nSome **bold** and `code` words that wrap around.\n- one item that is long enough to wrap\n2. second\n```\nraw code\n```";
        let lines = render(text, 20, &th, &[]);
        assert_eq!(
            plain(&lines),
            vec![
                "Title",
                "",
                "Some bold and code ",
                "words that wrap ",
                "around.",
                "• one item that is ",
                "  long enough to ",
                "  wrap",
                "2. second",
                "raw code",
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 20));
        let bold = lines[2].spans.iter().find(|s| s.content == "bold").unwrap();
        assert!(bold.style.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn unverified_figures_are_marked() {
        let th = Theme::monochrome("t");
        let lines = render("Runway 8.28 and 9.9% churn", 80, &th, &["9.9%".into()]);
        let flagged = lines[0].spans.iter().find(|s| s.content == "9.9%?").unwrap();
        assert!(flagged.style.add_modifier.contains(Modifier::UNDERLINED));
    }
}
