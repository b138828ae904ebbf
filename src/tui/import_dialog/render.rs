//! Drawing the import dialog: the rows, the mapping table, the preview.

use super::{Destination, Focus, ImportDialog, Loaded, PREVIEW_ROWS, source_label};
use crate::import::Kind;
use crate::import::Problem;
use crate::locale::Lang;
use crate::sanitize::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Gauge, Paragraph, Widget};
use std::sync::atomic::Ordering;

fn kind_label(k: Kind, across: bool, lang: Lang) -> &'static str {
    match k {
        Kind::Financials if across => lang.pick(
            "monthly financials, months across (P&L, balance sheet)",
            "estados mensuales, meses en columnas (resultados, balance)",
        ),
        Kind::Financials => lang.pick("monthly financials", "estados mensuales"),
        Kind::Products => lang.pick("products", "productos"),
        Kind::Invoices => lang.pick("invoices", "facturas"),
        Kind::Statement => lang.pick("bank statement", "estado de cuenta bancario"),
    }
}

/// `text` in lines of at most `width` columns, broken between words.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let w = crate::sanitize::width(word);
        if !line.is_empty() && crate::sanitize::width(&line) + 1 + w > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

fn problem_text(p: &[Problem]) -> String {
    p.first()
        .map(|p| {
            let mut s = String::new();
            if let Some(c) = &p.column {
                s.push_str(c);
                s.push_str(": ");
            }
            if let Some(v) = &p.value {
                s.push_str(&format!("{v:?} "));
            }
            s.push_str("→ ");
            s.push_str(&p.expected);
            s
        })
        .unwrap_or_default()
}

/// Draws the dialog over `area`.
pub fn render(d: &ImportDialog, app: &crate::tui::app::App, area: Rect, buf: &mut Buffer) {
    let lang = app.lang;
    let th = &app.theme;
    let t = |en, es| lang.pick(en, es);
    let r = crate::tui::render::popup(
        area,
        area.width.saturating_sub(4).min(140),
        area.height.saturating_sub(2),
    );
    Clear.render(r, buf);
    let title = match &d.into {
        Destination::Existing { .. } => format!(" {} ", t("Import into this company", "Importar a esta empresa")),
        Destination::New { .. } => format!(
            " {} ",
            t("A new company from your books", "Una empresa nueva con sus libros")
        ),
    };
    let b = crate::tui::widgets::block(&title, th);
    let inner = b.inner(r);
    b.render(r, buf);
    if inner.height < 6 || inner.width < 20 {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    let label_w = 19usize;
    let focused = |f: Focus| if d.focus == f { th.selected } else { th.base };
    let label = |s: &str| Span::styled(format!("{s:<label_w$}"), th.muted);
    let cursor = |f: Focus| if d.focus == f { "▏" } else { "" };
    if let Destination::New {
        name,
        currency,
        lang: l,
    } = &d.into
    {
        lines.push(Line::from(vec![
            label(t("Company name", "Nombre")),
            Span::styled(format!("{}{}", clean(name), cursor(Focus::Name)), focused(Focus::Name)),
        ]));
        lines.push(Line::from(vec![
            label(t("Currency", "Moneda")),
            Span::styled(
                format!("{}{}", clean(currency), cursor(Focus::Currency)),
                focused(Focus::Currency),
            ),
            Span::styled(
                t("  ISO code: USD, MXN, COP…", "  código ISO: USD, MXN, COP…"),
                th.muted,
            ),
        ]));
        lines.push(Line::from(vec![
            label(t("Language", "Idioma")),
            Span::styled(
                format!("◀ {} ▶", l.pick("English", "Español")),
                focused(Focus::Language),
            ),
        ]));
    }
    lines.push(Line::from(vec![
        label(t("File", "Archivo")),
        Span::styled(
            format!("{}{}", clean(&d.path), cursor(Focus::Path)),
            focused(Focus::Path),
        ),
        Span::styled(format!("  {}", source_label(d.source(), lang)), th.accent),
    ]));
    if !d.completions.is_empty() {
        let list = d.completions.iter().map(|c| clean(c)).collect::<Vec<_>>().join("  ");
        lines.push(Line::from(vec![label(""), Span::styled(list, th.muted)]));
    }
    let rows = d.rows();
    if rows.contains(&Focus::Rfc) {
        lines.push(Line::from(vec![
            label("RFC"),
            Span::styled(format!("{}{}", clean(&d.rfc), cursor(Focus::Rfc)), focused(Focus::Rfc)),
        ]));
    }
    let account_row = |lines: &mut Vec<Line>| {
        lines.push(Line::from(vec![
            label(t("Bank account", "Cuenta bancaria")),
            Span::styled(
                format!("{}{}", clean(&d.account), cursor(Focus::Account)),
                focused(Focus::Account),
            ),
            Span::styled(t("  made when new", "  se crea si es nueva"), th.muted),
        ]));
    };
    if rows.contains(&Focus::Account) && !rows.contains(&Focus::Kind) {
        account_row(&mut lines);
    }
    if rows.contains(&Focus::Kind) {
        let mut spans = vec![
            label(t("Import as", "Importar como")),
            Span::styled(
                format!("◀ {} ▶", kind_label(d.kind, d.across, lang)),
                focused(Focus::Kind),
            ),
        ];
        if rows.contains(&Focus::Sheet) {
            let sheet = d
                .mapping
                .sheet
                .clone()
                .unwrap_or_else(|| t("(first)", "(primera)").into());
            spans.push(Span::styled(format!("   {} ", t("Sheet", "Hoja")), th.muted));
            spans.push(Span::styled(format!("◀ {} ▶", clean(&sheet)), focused(Focus::Sheet)));
        }
        lines.push(Line::from(spans));
        if rows.contains(&Focus::Account) {
            account_row(&mut lines);
        }
    }
    match &d.loaded {
        Loaded::Nothing => lines.push(Line::from(Span::styled(
            t("Enter reads the file", "Enter lee el archivo"),
            th.muted,
        ))),
        Loaded::Reading => lines.push(Line::from(Span::styled(t("Reading…", "Leyendo…"), th.muted))),
        Loaded::Failed(e) => {
            // Each problem on its own lines, wrapped to the dialog (the first few).
            for problem in e.lines().take(4) {
                let text = format!("✗ {}", clean(problem.trim()));
                for part in wrap_words(&text, inner.width as usize).into_iter().take(3) {
                    lines.push(Line::from(Span::styled(part, th.bad)));
                }
            }
        }
        Loaded::Ready(crate::import::source::Ready { summary, .. }) => {
            for part in wrap_words(&clean(summary), inner.width as usize) {
                lines.push(Line::from(Span::styled(part, th.good)));
            }
        }
        Loaded::Table { .. } => {}
    }
    // The mapping table: as many fields as fit around the focus.
    let mut body: Vec<Line> = Vec::new();
    if let Loaded::Table { .. } = &d.loaded {
        let fields = d.kind.columns();
        let room = (inner.height as usize)
            .saturating_sub(lines.len() + 5 + PREVIEW_ROWS.min(4))
            .max(3);
        let focus = match d.focus {
            Focus::Field(i) => i,
            _ => 0,
        };
        let start = crate::tui::widgets::window_start(focus, room, fields.len());
        lines.push(Line::from(vec![
            label(t("Our field", "Campo")),
            Span::styled(t("Column in the file (←/→)", "Columna del archivo (←/→)"), th.muted),
        ]));
        for (i, (f, required)) in fields.iter().enumerate().skip(start).take(room) {
            let col = d
                .mapping
                .columns
                .get(*f)
                .map(|c| clean(c))
                .unwrap_or_else(|| t("—", "—").into());
            let mark = if *required { "*" } else { " " };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<label_w$}", format!("{f}{mark}")), focused(Focus::Field(i))),
                Span::styled(format!("◀ {col} ▶"), focused(Focus::Field(i))),
            ]));
        }
        // The preview of what would be stored.
        match &d.preview {
            Err(e) => body.push(Line::from(Span::styled(format!("✗ {}", clean(e)), th.bad))),
            Ok(rows) => {
                let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
                // A statement shows its signed amount, however it was read.
                let statement = d.kind == crate::import::Kind::Statement;
                let mapped: Vec<usize> = (0..names.len())
                    .filter(|i| match names[*i] {
                        "amount" if statement => true,
                        "debit" | "credit" if statement => false,
                        n => d.mapping.columns.contains_key(n) || fields[*i].1,
                    })
                    .collect();
                let mut widths: Vec<usize> = mapped.iter().map(|i| names[*i].len()).collect();
                for (_, r) in rows {
                    // A skipped row is one note across the table, not a cell.
                    if let Ok(v) = r
                        && v.len() > 1
                    {
                        for (w, i) in widths.iter_mut().zip(&mapped) {
                            *w = (*w).max(v.get(*i).map_or(0, |s| crate::sanitize::width(s)).min(24));
                        }
                    }
                }
                let head: String = mapped
                    .iter()
                    .zip(&widths)
                    .map(|(i, w)| format!("{:>w$}", names[*i]))
                    .collect::<Vec<_>>()
                    .join(" ");
                body.push(Line::from(Span::styled(
                    format!("{:>5} {head}", t("row", "fila")),
                    th.title,
                )));
                for (row, r) in rows {
                    match r {
                        Ok(v) if v.len() == 1 => {
                            body.push(Line::from(Span::styled(format!("{row:>5} {}", clean(&v[0])), th.muted)));
                        }
                        Ok(v) => {
                            let cells: String = mapped
                                .iter()
                                .zip(&widths)
                                .map(|(i, w)| {
                                    let s = crate::sanitize::fit(&clean(v.get(*i).map_or("", String::as_str)), 24);
                                    crate::sanitize::pad_left(&s, *w)
                                })
                                .collect::<Vec<_>>()
                                .join(" ");
                            body.push(Line::from(Span::styled(format!("{row:>5} {cells}"), th.base)));
                        }
                        Err(p) => body.push(Line::from(Span::styled(
                            format!("{row:>5} ✗ {}", clean(&problem_text(p))),
                            th.bad,
                        ))),
                    }
                }
            }
        }
    }
    if let Loaded::Ready(crate::import::source::Ready { header, rows, .. }) = &d.loaded {
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for r in rows.iter().take(PREVIEW_ROWS) {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(crate::sanitize::width(c).min(28));
            }
        }
        let fmt = |cells: &mut dyn Iterator<Item = String>| {
            cells
                .zip(&widths)
                .map(|(c, w)| crate::sanitize::pad_left(&crate::sanitize::fit(&c, 28), *w))
                .collect::<Vec<_>>()
                .join(" ")
        };
        body.push(Line::from(Span::styled(
            fmt(&mut header.iter().map(|h| (*h).to_owned())),
            th.title,
        )));
        for r in rows.iter().take(PREVIEW_ROWS) {
            body.push(Line::from(Span::styled(fmt(&mut r.iter().map(|c| clean(c))), th.base)));
        }
    }
    let footer_h = 2u16;
    let top_h = (lines.len() as u16).min(inner.height.saturating_sub(footer_h + 1));
    Paragraph::new(lines).render(Rect { height: top_h, ..inner }, buf);
    let body_area = Rect {
        y: inner.y + top_h,
        height: inner.height.saturating_sub(top_h + footer_h),
        ..inner
    };
    if !body.is_empty() && body_area.height > 1 {
        let mut with_title = vec![Line::from(Span::styled(
            t(
                "Preview: the first rows as they would be stored",
                "Vista previa: las primeras filas como se guardarían",
            ),
            th.accent,
        ))];
        with_title.extend(body);
        Paragraph::new(with_title).render(body_area, buf);
    }
    let footer = Rect {
        y: inner.y + inner.height - footer_h,
        height: footer_h,
        ..inner
    };
    let [status, hints] = ratatui::layout::Layout::vertical([ratatui::layout::Constraint::Length(1); 2]).areas(footer);
    if let Some((p, total)) = &d.running {
        let done = p.rows.load(Ordering::Relaxed);
        let ratio = if *total == 0 {
            0.0
        } else {
            (done as f64 / *total as f64).clamp(0.0, 1.0)
        };
        Gauge::default()
            .gauge_style(th.accent)
            .ratio(ratio)
            .label(format!(
                "{done}/{total} {}",
                t("rows · Esc cancels", "filas · Esc cancela")
            ))
            .render(status, buf);
    } else if let Some(e) = &d.error {
        Paragraph::new(format!("✗ {}", clean(e).lines().next().unwrap_or("")))
            .style(th.bad)
            .render(status, buf);
    }
    let hint = t(
        "Enter read/import · ↑↓←→ · Tab complete · s save mapping · Esc close",
        "Enter leer/importar · ↑↓←→ · Tab completar · s guardar mapeo · Esc",
    );
    Paragraph::new(hint).style(th.muted).render(hints, buf);
}
