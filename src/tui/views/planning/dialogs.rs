//! The planner's dialogs drawn on top of the views.

use super::drivers::driver_label;
use super::*;

pub(super) fn dialog(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl: &Planner = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let Some(dialog) = &pl.dialog else { return };
    let current = pl.current().map(|s| clean(&s.name)).unwrap_or_default();
    let input_dialog = |title: &str,
                        prompt: String,
                        input: &ratatui_textarea::TextArea<'static>,
                        error: &Option<String>,
                        buf: &mut Buffer| {
        let r = popup(area, 56, 6);
        Clear.render(r, buf);
        let b = block(title, th);
        let inner = b.inner(r);
        b.render(r, buf);
        Paragraph::new(prompt)
            .style(th.muted)
            .render(Rect { height: 1, ..inner }, buf);
        let mut input = input.clone();
        input.set_style(th.accent.add_modifier(Modifier::UNDERLINED));
        input.render(Rect::new(inner.x, inner.y + 1, inner.width.min(40), 1), buf);
        let (text, style) = match error {
            Some(e) => (format!("✗ {}", clean(e)), th.bad),
            None => (
                t("Enter confirm · Esc cancel", "Enter confirmar · Esc cancelar").to_owned(),
                th.muted,
            ),
        };
        Paragraph::new(text)
            .style(style)
            .render(Rect::new(inner.x, inner.y + 3, inner.width, 1), buf);
    };
    match dialog {
        Dialog::Name { rename, input, error } => {
            let (title, prompt) = if *rename {
                (
                    t("Rename scenario", "Renombrar escenario"),
                    format!("{} {current}:", t("New name for", "Nuevo nombre para")),
                )
            } else {
                (
                    t("New scenario", "Nuevo escenario"),
                    format!("{} {current}:", t("Name of the copy of", "Nombre de la copia de")),
                )
            };
            input_dialog(title, prompt, input, error, buf);
        }
        Dialog::Lock { input, error } => {
            let prompt = t(
                "Budget from month (its actuals are the start):",
                "Presupuesto desde el mes (sus datos reales son el inicio):",
            )
            .to_owned();
            input_dialog(t("Lock as budget", "Fijar como presupuesto"), prompt, input, error, buf);
        }
        Dialog::ConfirmDelete => {
            let r = popup(area, 56, 5);
            Clear.render(r, buf);
            Paragraph::new(vec![
                Line::from(Span::styled(
                    format!("{} {current}?", t("Delete scenario", "¿Eliminar el escenario")),
                    th.base,
                )),
                Line::from(Span::styled(t("[y]es / [n]o", "[s]í / [n]o"), th.accent)),
            ])
            .block(block(t("Delete", "Eliminar"), th))
            .render(r, buf);
        }
        Dialog::Seek(seek) => {
            let r = popup(area, 64, 9);
            Clear.render(r, buf);
            let b = block(t("Goal seek", "Buscar objetivo"), th);
            let inner = b.inner(r);
            b.render(r, buf);
            let unit = if seek.driver.is_rate() { " %" } else { "" };
            let param_label = match seek.target {
                1 => t("N (months)", "N (meses)"),
                2 => t("K (month)", "K (mes)"),
                _ => t("(not used)", "(no se usa)"),
            };
            let fields: [(&str, String); 5] = [
                (
                    t("Driver ◀▶", "Supuesto ◀▶"),
                    pl.current()
                        .map(|s| driver_label(app, &s.drivers, Row::Driver(seek.driver)))
                        .unwrap_or_default(),
                ),
                (
                    t("Target ◀▶", "Meta ◀▶"),
                    target_label(app.lang, seek.target).to_owned(),
                ),
                (param_label, seek.values[0].clone()),
                (t("From", "Desde"), format!("{}{unit}", seek.values[1])),
                (t("To", "Hasta"), format!("{}{unit}", seek.values[2])),
            ];
            let mut lines: Vec<Line> = fields
                .iter()
                .enumerate()
                .map(|(i, (label, value))| {
                    let style = if i == seek.field { th.selected } else { th.base };
                    Line::from(vec![
                        Span::styled(format!("{label:<14}"), th.muted),
                        Span::styled(format!(" {value} "), style),
                    ])
                })
                .collect();
            let outcome = match &seek.outcome {
                None => Line::from(Span::styled(
                    t(
                        "Enter finds the value · Tab/↑↓ field · Esc close",
                        "Enter busca el valor · Tab/↑↓ campo · Esc cerrar",
                    ),
                    th.muted,
                )),
                Some(Ok(SeekOutcome::Found(v))) => {
                    let shown = if seek.driver.is_rate() {
                        d.fmt.num(Some(*v * Decimal::ONE_HUNDRED), 2) + "%"
                    } else {
                        d.fmt.amount(*v)
                    };
                    Line::from(vec![
                        Span::styled(format!("{} {shown}", t("Found:", "Encontrado:")), th.good),
                        Span::styled(format!("  · Enter {}", t("applies it", "lo aplica")), th.muted),
                    ])
                }
                Some(Ok(SeekOutcome::NotFound)) => Line::from(Span::styled(
                    t(
                        "No value between the bounds meets the target.",
                        "Ningún valor entre los límites cumple la meta.",
                    ),
                    th.bad,
                )),
                Some(Err(e)) => Line::from(Span::styled(format!("✗ {}", clean(e)), th.bad)),
            };
            lines.push(outcome);
            Paragraph::new(lines).wrap(Wrap { trim: false }).render(inner, buf);
        }
    }
}
