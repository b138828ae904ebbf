//! Health score and pillars, KPI tiles with twelve-month sparklines, alerts.

use crate::finance::Pillar;
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{block, columns, tile};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Widget, Wrap};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

pub fn pillar_name(p: Pillar, app: &App) -> &'static str {
    crate::report::pillar_label(p, app.lang)
}

fn score_style(app: &App, v: Option<Decimal>) -> Style {
    match v {
        None => app.theme.muted,
        Some(v) if v < Decimal::from(40) => app.theme.bad,
        Some(v) if v < Decimal::from(70) => app.theme.warn,
        Some(_) => app.theme.good,
    }
}

fn gauge(buf: &mut Buffer, area: Rect, app: &App, d: &CompanyData, label: &str, v: Option<Decimal>) {
    let percent = v.and_then(|v| v.round().to_u16()).unwrap_or(0).min(100);
    let text = v.map_or("NM".to_owned(), |v| d.fmt.num(Some(v), 0));
    Gauge::default()
        .block(block(label, &app.theme))
        .gauge_style(score_style(app, v))
        .percent(percent)
        .label(Span::styled(text, app.theme.base))
        .render(area, buf);
}

/// The alerts METRICS and PRODUCT define, in the interface language.
pub fn alerts(app: &App, d: &CompanyData) -> Vec<(String, Style)> {
    let s = &d.snapshot;
    let t = |en, es| app.lang.pick(en, es);
    let mut out = Vec::new();
    if let Some(r) = s.cash_flow.runway_months.filter(|r| *r < Decimal::from(6)) {
        out.push((
            format!(
                "{} {} {}",
                t("Runway under 6 months:", "Menos de 6 meses de caja:"),
                d.fmt.num(Some(r), 1),
                t("months", "meses")
            ),
            app.theme.bad,
        ));
    }
    if let Some(z) = s.cash_flow.cash_zero_month.filter(|z| z.months_since(s.as_of) <= 12) {
        out.push((
            format!("{} {z}", t("Cash runs out in", "La caja se agota en")),
            app.theme.bad,
        ));
    }
    if let Some(o) = s.collections.overdue_share.filter(|o| *o > Decimal::new(30, 2)) {
        out.push((
            format!(
                "{} {}",
                t("Overdue share of receivables:", "Cartera vencida:"),
                d.fmt.pct(Some(o))
            ),
            app.theme.warn,
        ));
    }
    if let Some(g) = s.profitability.gross_margin.filter(|g| *g < Decimal::ZERO) {
        out.push((
            format!(
                "{} {}",
                t("Negative gross margin:", "Margen bruto negativo:"),
                d.fmt.pct(Some(g))
            ),
            app.theme.bad,
        ));
    }
    out
}

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let s = &d.snapshot;
    let t = |en, es| app.lang.pick(en, es);
    let tall = area.height >= 30;
    let [health, tiles, bottom] = Layout::vertical([
        Constraint::Length(if tall { 6 } else { 3 }),
        Constraint::Length(if tall { 14 } else { 10 }),
        Constraint::Min(0),
    ])
    .areas(area);

    // Health: the total and the four pillars.
    let cols = columns(health, 5);
    gauge(buf, cols[0], app, d, t("Health", "Salud"), s.health.total_score);
    for (i, p) in Pillar::ALL.iter().enumerate() {
        gauge(buf, cols[i + 1], app, d, pillar_name(*p, app), s.health.pillar(*p));
    }

    // KPI tiles, two rows of three.
    let [r1, r2] = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(tiles);
    let tr = &d.trends;
    let f = &d.fmt;
    let top = columns(r1, 3);
    tile(
        buf,
        top[0],
        &app.theme,
        t("Revenue (month)", "Ingresos (mes)"),
        &f.money(s.monthly.last().map(|m| m.revenue), true),
        app.theme.base,
        &tr.revenue,
    );
    tile(
        buf,
        top[1],
        &app.theme,
        t("Gross margin", "Margen bruto"),
        &f.pct(s.monthly.last().and_then(|m| m.gross_margin)),
        app.theme.base,
        &tr.gross_margin,
    );
    tile(
        buf,
        top[2],
        &app.theme,
        t("Net burn", "Quema neta"),
        &f.money(s.cash_flow.net_burn, true),
        app.theme.base,
        &tr.net_burn,
    );
    let low = columns(r2, 3);
    let runway = s.cash_flow.runway_months.map_or_else(
        || t("not burning", "sin quema").to_owned(),
        |r| format!("{} {}", f.num(Some(r), 1), t("months", "meses")),
    );
    tile(
        buf,
        low[0],
        &app.theme,
        t("Runway", "Meses de caja"),
        &runway,
        app.theme.base,
        &tr.runway,
    );
    let customers = s
        .monthly
        .last()
        .and_then(|m| d.ledger.get(m.month))
        .and_then(|r| r.customers_end);
    tile(
        buf,
        low[1],
        &app.theme,
        t("Customers", "Clientes"),
        &f.int(customers),
        app.theme.base,
        &tr.customers,
    );
    tile(
        buf,
        low[2],
        &app.theme,
        t("DSO (days)", "Días de cobro"),
        &f.num(s.collections.dso, 1),
        app.theme.base,
        &tr.dso,
    );

    // Focus area and alerts.
    let mut lines = Vec::new();
    let focus = s
        .health
        .focus_area
        .map_or(t("none (no pillar has data)", "ninguna (sin datos)"), |p| {
            pillar_name(p, app)
        });
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", t("Focus area:", "Área a atender:")), app.theme.muted),
        Span::styled(focus.to_owned(), app.theme.accent),
    ]));
    let list = alerts(app, d);
    if list.is_empty() {
        lines.push(Line::from(Span::styled(
            t("No alerts.", "Sin alertas."),
            app.theme.good,
        )));
    }
    for (text, style) in list {
        lines.push(Line::from(Span::styled(format!("▲ {text}"), style)));
    }
    let (alerts_area, recs_area) = if bottom.width >= 100 {
        let [a, r] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(bottom);
        (a, Some(r))
    } else {
        (bottom, None)
    };
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(block(t("Alerts", "Alertas"), &app.theme))
        .style(app.theme.base)
        .render(alerts_area, buf);
    if let Some(area) = recs_area {
        recommendations(app, d, area, buf);
    }
}

/// The latest advisor recommendations, highest priority first.
fn recommendations(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let mut lines = Vec::new();
    for r in &d.recommendations {
        lines.push(Line::from(vec![
            Span::styled(
                format!("P{} ", r.priority),
                if r.priority <= 2 { app.theme.bad } else { app.theme.warn },
            ),
            Span::styled(crate::sanitize::clean(&r.title), app.theme.accent),
            Span::styled(
                format!("  ({} {})", t("impact", "impacto"), r.impact_score),
                app.theme.muted,
            ),
        ]));
        lines.push(Line::from(Span::styled(
            format!("   {}", crate::sanitize::clean(&r.description)),
            app.theme.base,
        )));
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            t(
                "No advisor recommendations stored yet.",
                "Aún no hay recomendaciones del asesor.",
            ),
            app.theme.muted,
        )));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(block(
            t("Top recommendations", "Principales recomendaciones"),
            &app.theme,
        ))
        .style(app.theme.base)
        .render(area, buf);
}
