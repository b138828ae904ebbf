//! Markdown for the AI panel, parsed by pulldown-cmark (CommonMark) and laid
//! out to a width in display columns; figures that grounding could not verify
//! are marked. The text is sanitised before it gets here.

use super::theme::Theme;
use pulldown_cmark::{Alignment, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// A run of text with one style, before wrapping.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    text: String,
    style: Style,
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

/// A table being read: its alignments and rows of cells (each cell its pieces).
struct TableBuf {
    align: Vec<Alignment>,
    rows: Vec<Vec<Vec<Piece>>>,
    head_rows: usize,
}

/// The renderer's state while it walks the parser's events.
struct Md<'t> {
    theme: &'t Theme,
    width: usize,
    unverified: &'t [String],
    out: Vec<Line<'static>>,
    /// Inline text of the block being read.
    pieces: Vec<Piece>,
    /// Inline styles open now (emphasis, strong, link…), innermost last.
    styles: Vec<Style>,
    /// Open lists: the next number of an ordered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The marker of the list item whose first line is still to be written.
    marker: Option<String>,
    /// Block quotes open.
    quotes: usize,
    /// Inside a fenced or indented code block.
    code: bool,
    /// The destination of the link being read.
    link: Option<String>,
    table: Option<TableBuf>,
}

impl Md<'_> {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or(self.theme.base)
    }

    fn push_style(&mut self, f: impl Fn(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    fn text(&mut self, text: &str, style: Style) {
        if let Some(t) = &mut self.table
            && let Some(cell) = t.rows.last_mut().and_then(|r| r.last_mut())
        {
            cell.push(Piece {
                text: text.to_owned(),
                style,
            });
            return;
        }
        self.pieces.push(Piece {
            text: text.to_owned(),
            style,
        });
    }

    /// Columns a list's items are indented by, and the quote bar, as a prefix.
    fn indent(&self) -> usize {
        self.lists.len().saturating_sub(1) * 2 + self.lists.last().map_or(0, |n| if n.is_some() { 3 } else { 2 })
    }

    fn quote_prefix(&self) -> String {
        "│ ".repeat(self.quotes)
    }

    /// A blank line between blocks (not at the top, not twice, not inside a list).
    fn gap(&mut self) {
        if self.lists.is_empty() && self.out.last().is_some_and(|l| l.width() > 0) {
            self.out.push(Line::from(self.quote_prefix()));
        }
    }

    /// Writes the block's text, wrapped, with the list marker or indentation.
    fn flush(&mut self) {
        let pieces = mark(std::mem::take(&mut self.pieces), self.unverified, self.theme);
        if pieces.iter().all(|p| p.text.trim().is_empty()) && self.marker.is_none() {
            return;
        }
        let quote = self.quote_prefix();
        let indent = self.indent();
        let first = match self.marker.take() {
            Some(m) => format!(
                "{quote}{}{m}",
                " ".repeat(indent.saturating_sub(crate::sanitize::width(&m)))
            ),
            None => format!("{quote}{}", " ".repeat(indent)),
        };
        let lead = crate::sanitize::width(&quote) + indent;
        let mut lines = wrap(&pieces, self.width, Span::styled(first, self.theme.accent), lead);
        if !quote.is_empty() {
            // Continuation lines start with `lead` spaces: the bar goes in front.
            let skip = crate::sanitize::width(&quote);
            for l in lines.iter_mut().skip(1) {
                if let Some(s) = l.spans.first_mut() {
                    s.content = format!("{quote}{}", s.content.get(skip..).unwrap_or_default()).into();
                }
            }
        }
        self.out.extend(lines);
    }

    fn start(&mut self, tag: Tag) {
        let th = self.theme;
        match tag {
            Tag::Paragraph if self.marker.is_none() => self.gap(),
            Tag::Heading { .. } => {
                self.gap();
                self.push_style(|_| th.title.add_modifier(Modifier::BOLD));
            }
            Tag::BlockQuote(_) => {
                self.gap();
                self.quotes += 1;
            }
            Tag::CodeBlock(_) => {
                self.flush();
                self.gap();
                self.code = true;
            }
            Tag::List(start) => {
                self.flush();
                if self.lists.is_empty() {
                    self.gap();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".to_owned(),
                };
                self.marker = Some(marker);
            }
            Tag::Table(align) => {
                self.flush();
                self.gap();
                self.table = Some(TableBuf {
                    align,
                    rows: Vec::new(),
                    head_rows: 0,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table
                    && let Some(r) = t.rows.last_mut()
                {
                    r.push(Vec::new());
                }
            }
            Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.push_style(|s| s.add_modifier(Modifier::UNDERLINED));
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush(),
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quotes = self.quotes.saturating_sub(1);
            }
            TagEnd::CodeBlock => self.code = false,
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Item => self.flush(),
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.head_rows = t.rows.len();
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.draw_table(t);
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                let dest = self.link.take().unwrap_or_default();
                let shown: String = self.pieces.iter().map(|p| p.text.as_str()).collect();
                if !dest.is_empty() && !shown.ends_with(dest.as_str()) {
                    let muted = self.theme.muted;
                    self.text(&format!(" ({})", crate::sanitize::clean(&dest)), muted);
                }
            }
            _ => {}
        }
    }

    /// A code block's lines, cut to the width, in the muted style.
    fn code_text(&mut self, text: &str) {
        let lead = format!("{}{}", self.quote_prefix(), " ".repeat(self.indent()));
        let room = self.width.saturating_sub(crate::sanitize::width(&lead)).max(1);
        for raw in text.lines() {
            let line = crate::sanitize::fit(raw, room);
            self.out.push(Line::from(vec![
                Span::raw(lead.clone()),
                Span::styled(line, self.theme.muted),
            ]));
        }
    }

    /// A table: each column as wide as its widest cell, the widest shrunk
    /// until the table fits, cells cut with `…`; a rule under the header.
    fn draw_table(&mut self, t: TableBuf) {
        let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return;
        }
        let text = |cell: &[Piece]| cell.iter().map(|p| p.text.as_str()).collect::<String>();
        let mut widths = vec![1usize; cols];
        for r in &t.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(crate::sanitize::width(text(c).trim()));
            }
        }
        let room = self.width.saturating_sub(3 * (cols - 1)).max(cols);
        while widths.iter().sum::<usize>() > room {
            let (i, w) = widths
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .map(|(i, w)| (i, *w))
                .unwrap_or((0, 1));
            if w <= 1 {
                break;
            }
            widths[i] = w - 1;
        }
        let th = self.theme;
        for (ri, r) in t.rows.iter().enumerate() {
            let mut spans = Vec::new();
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", th.muted));
                }
                let cell = r.get(i).map(|c| text(c)).unwrap_or_default();
                let shown = crate::sanitize::fit(cell.trim(), *w);
                let right = matches!(t.align.get(i), Some(Alignment::Right));
                let padded = if right {
                    crate::sanitize::pad_left(&shown, *w)
                } else {
                    crate::sanitize::pad_right(&shown, *w)
                };
                let style = if ri < t.head_rows {
                    th.base.add_modifier(Modifier::BOLD)
                } else {
                    r.get(i).and_then(|c| c.first()).map_or(th.base, |p| p.style)
                };
                let marked = mark(vec![Piece { text: padded, style }], self.unverified, th);
                spans.extend(marked.into_iter().map(|p| Span::styled(p.text, p.style)));
            }
            self.out.push(Line::from(spans));
            if ri + 1 == t.head_rows {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                self.out.push(Line::from(Span::styled(rule.join("─┼─"), th.muted)));
            }
        }
    }
}

/// The text (CommonMark, with tables and strikethrough) as lines of at most
/// `width` columns: headings, paragraphs, **bold**, *italics*, `code`, links
/// (their address after the text), bullet and numbered lists (nested), block
/// quotes, code blocks and tables. Widths are display columns, so wide
/// characters do not overflow. Figures in `unverified` are marked.
pub fn render(text: &str, width: usize, theme: &Theme, unverified: &[String]) -> Vec<Line<'static>> {
    let mut md = Md {
        theme,
        width: width.max(8),
        unverified,
        out: Vec::new(),
        pieces: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        marker: None,
        quotes: 0,
        code: false,
        link: None,
        table: None,
    };
    for event in Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => md.start(tag),
            Event::End(tag) => md.end(tag),
            Event::Text(t) if md.code => md.code_text(&t),
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                let style = md.style();
                md.text(&t, style);
            }
            Event::Code(t) => {
                let style = theme.accent;
                md.text(&t, style);
            }
            Event::SoftBreak => {
                let style = md.style();
                md.text(" ", style);
            }
            Event::HardBreak => md.flush(),
            Event::Rule => {
                md.flush();
                md.gap();
                md.out.push(Line::from(Span::styled("─".repeat(md.width), theme.muted)));
            }
            Event::TaskListMarker(done) => {
                let style = md.style();
                md.text(if done { "[x] " } else { "[ ] " }, style);
            }
            Event::FootnoteReference(t) => {
                let style = md.style();
                md.text(&format!("[{t}]"), style);
            }
        }
    }
    md.flush();
    md.out
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
        let text = "# Title\n\nSome **bold** and `code` words that wrap around.\n\n- one item that is long enough to wrap\n- two\n\n2. second\n3. third\n\n```\nraw code\n```";
        let lines = render(text, 20, &th, &[]);
        assert_eq!(
            plain(&lines),
            vec![
                "Title",
                "",
                "Some bold and code ",
                "words that wrap ",
                "around.",
                "",
                "• one item that is ",
                "  long enough to ",
                "  wrap",
                "• two",
                "",
                "2. second",
                "3. third",
                "",
                "raw code",
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 20));
        let bold = lines[2].spans.iter().find(|s| s.content == "bold").unwrap();
        assert!(bold.style.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn italics_links_nested_lists_quotes_and_tables() {
        let th = Theme::monochrome("t");
        let text = "Cut *burn* now; see [the plan](https://example.test/plan).\n\n- raise prices\n  - plan A\n  - plan B\n- hire later\n\n> quoted advice\n\n| Month | Cash |\n|:--|--:|\n| 2026-01 | 1,200 |\n| 2026-02 | 950 |\n";
        let lines = render(text, 60, &th, &[]);
        let text = plain(&lines);
        assert_eq!(text[0], "Cut burn now; see the plan (https://example.test/plan).");
        let burn = lines[0].spans.iter().find(|s| s.content == "burn").unwrap();
        assert!(burn.style.add_modifier.contains(Modifier::ITALIC));
        let link = lines[0].spans.iter().find(|s| s.content == "plan").unwrap();
        assert!(link.style.add_modifier.contains(Modifier::UNDERLINED));
        assert_eq!(
            &text[2..6],
            &["• raise prices", "  • plan A", "  • plan B", "• hire later"]
        );
        assert_eq!(text[7], "│ quoted advice");
        assert_eq!(
            &text[9..],
            &[
                "Month   │  Cash",
                "────────┼──────",
                "2026-01 │ 1,200",
                "2026-02 │   950"
            ]
        );
    }

    #[test]
    fn wide_characters_wrap_by_columns_and_tables_shrink_to_fit() {
        let th = Theme::monochrome("t");
        let lines = render("収益は前月比で大きく伸びました 次の月も", 10, &th, &[]);
        assert!(lines.iter().all(|l| l.width() <= 10), "{:?}", plain(&lines));
        let table = "| Customer | Owed | Days |\n|---|--:|--:|\n| Distribuidora del Pacífico S.A. | 12,400.00 | 45 |\n";
        let lines = render(table, 30, &th, &[]);
        assert!(lines.iter().all(|l| l.width() <= 30), "{:?}", plain(&lines));
        assert!(plain(&lines)[2].contains('…'));
    }

    #[test]
    fn unverified_figures_are_marked() {
        let th = Theme::monochrome("t");
        let lines = render("Runway 8.28 and 9.9% churn", 80, &th, &["9.9%".into()]);
        let flagged = lines[0].spans.iter().find(|s| s.content == "9.9%?").unwrap();
        assert!(flagged.style.add_modifier.contains(Modifier::UNDERLINED));
    }
}
