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

/// The alerts METRICS and PRODUCT define (from the engine), then the KPI
/// targets that miss, in the interface language.
pub fn alerts(app: &App, d: &CompanyData) -> Vec<(String, Style)> {
    use crate::finance::alerts::Alert;
    let t = |en, es| app.lang.pick(en, es);
    let mut out: Vec<(String, Style)> = crate::finance::alerts::alerts(&d.snapshot)
        .into_iter()
        .map(|a| match a {
            Alert::ShortRunway(r) => (
                format!(
                    "{} {} {}",
                    t("Runway under 6 months:", "Menos de 6 meses de caja:"),
                    d.fmt.num(Some(r), 1),
                    t("months", "meses")
                ),
                app.theme.bad,
            ),
            Alert::CashZeroSoon(z) => (
                format!("{} {z}", t("Cash runs out in", "La caja se agota en")),
                app.theme.bad,
            ),
            Alert::Overdue(o) => (
                format!(
                    "{} {}",
                    t("Overdue share of receivables:", "Cartera vencida:"),
                    d.fmt.pct(Some(o))
                ),
                app.theme.warn,
            ),
            Alert::NegativeGrossMargin(g) => (
                format!(
                    "{} {}",
                    t("Negative gross margin:", "Margen bruto negativo:"),
                    d.fmt.pct(Some(g))
                ),
                app.theme.bad,
            ),
        })
        .collect();
    for c in d.target_checks.iter().filter(|c| c.ok == Some(false)) {
        out.push((
            format!(
                "{} {} {} ({} {})",
                t("Missed target:", "Meta no cumplida:"),
                c.metric.rsplit('.').next().unwrap_or(&c.metric),
                crate::sanitize::clean(c.value.as_deref().unwrap_or("")),
                t("target", "meta"),
                c.rule
            ),
            app.theme.bad,
        ));
    }
    out
}

/// A KPI tile's label and value style: marked (a ✗ that survives NO_COLOR, and
/// the bad colour) when a target on its report key misses.
fn marked<'a>(app: &App, d: &CompanyData, label: &'a str, key: &str) -> (std::borrow::Cow<'a, str>, Style) {
    if d.target_checks.iter().any(|c| c.metric == key && c.ok == Some(false)) {
        (format!("✗ {label}").into(), app.theme.bad)
    } else {
        (label.into(), app.theme.base)
    }
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
    let (gross_margin_label, gross_margin_style) =
        marked(app, d, t("Gross margin", "Margen bruto"), "profitability.gross_margin");
    tile(
        buf,
        top[1],
        &app.theme,
        &gross_margin_label,
        &f.pct(s.monthly.last().and_then(|m| m.gross_margin)),
        gross_margin_style,
        &tr.gross_margin,
    );
    let (net_burn_label, net_burn_style) = marked(app, d, t("Net burn", "Quema neta"), "cash_flow.net_burn");
    tile(
        buf,
        top[2],
        &app.theme,
        &net_burn_label,
        &f.money(s.cash_flow.net_burn, true),
        net_burn_style,
        &tr.net_burn,
    );
    let low = columns(r2, 3);
    let runway = s.cash_flow.runway_months.map_or_else(
        || t("not burning", "sin quema").to_owned(),
        |r| format!("{} {}", f.num(Some(r), 1), t("months", "meses")),
    );
    let (runway_months_label, runway_months_style) =
        marked(app, d, t("Runway", "Meses de caja"), "cash_flow.runway_months");
    tile(
        buf,
        low[0],
        &app.theme,
        &runway_months_label,
        &runway,
        runway_months_style,
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
    let (dso_label, dso_style) = marked(app, d, t("DSO (days)", "Días de cobro"), "collections.dso");
    tile(
        buf,
        low[2],
        &app.theme,
        &dso_label,
        &f.num(s.collections.dso, 1),
        dso_style,
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

/// The dashboard: health, KPI cards, alerts; `t` opens the audit trail.
pub struct Dashboard;

impl crate::tui::component::View for Dashboard {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Dashboard", "Tablero"],
            short: ["Dashboard", "Tablero"],
            agent: crate::ai::Agent::Advisor,
        }
    }
    fn commands(&self, _app: &App) -> &'static [crate::tui::keymap::Intent] {
        &[crate::tui::keymap::Intent::Audit]
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        use crate::tui::component::Handled;
        match (intent, &app.data) {
            (crate::tui::keymap::Intent::Audit, Some(d)) => {
                let id = d.company.id;
                app.overlay = crate::tui::app::Overlay::Audit(Default::default());
                Handled::Consumed(vec![crate::tui::app::Effect::LoadAudit(id)])
            }
            _ => Handled::NotConsumed,
        }
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
}
