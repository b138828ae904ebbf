//! Health score and pillars, KPI tiles with twelve-month sparklines, alerts.

use crate::finance::Pillar;
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{Change, Kpi, block, columns, tile};
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
/// Every alert threshold and target, with where the company stands: crossed
/// or missed first (▲ / ✗ in the alert colours), then the ones that hold
/// (✓, dimmed). The marks say it without colour too.
pub fn alerts(app: &App, d: &CompanyData) -> Vec<(String, Style)> {
    use crate::finance::alerts::{Reading, Watch, thresholds};
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let mut bad = Vec::new();
    let mut held = Vec::new();
    for th in thresholds(&d.snapshot) {
        let value = match th.reading {
            Reading::Number(v) if th.watch == Watch::Runway => {
                format!("{} {}", f.num(Some(v), 1), t("months", "meses"))
            }
            Reading::Number(v) => f.pct(Some(v)),
            Reading::Month(m) => m.to_string(),
            Reading::Missing => "—".to_owned(),
        };
        let (label, rule) = match th.watch {
            Watch::Runway => (t("Runway", "Meses de caja"), t("alert under 6", "alerta bajo 6")),
            Watch::CashZero => (
                t("Cash runs out", "Caja en cero"),
                t("alert within 12 months", "alerta en 12 meses"),
            ),
            Watch::Overdue => (
                t("Overdue receivables", "Cartera vencida"),
                t("alert over 30%", "alerta sobre 30%"),
            ),
            Watch::GrossMargin => (
                t("Gross margin TTM", "Margen bruto 12m"),
                t("alert below 0%", "alerta bajo 0%"),
            ),
        };
        let line = |mark: &str| format!("{mark} {label} {value} ({rule})");
        if th.crossed {
            let style = if th.watch == Watch::Overdue {
                app.theme.warn
            } else {
                app.theme.bad
            };
            bad.push((line("▲"), style));
        } else {
            held.push((line("✓"), app.theme.muted));
        }
    }
    for c in &d.target_checks {
        let text = |mark: &str| {
            format!(
                "{mark} {} {} ({} {})",
                c.metric.rsplit('.').next().unwrap_or(&c.metric),
                crate::sanitize::clean(c.value.as_deref().unwrap_or("—")),
                t("target", "meta"),
                c.rule
            )
        };
        if c.ok == Some(false) {
            bad.push((text("✗"), app.theme.bad));
        } else {
            held.push((text("✓"), app.theme.muted));
        }
    }
    bad.extend(held);
    bad
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

/// How a KPI's change is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An amount: `+13,641 (+6.0%)`.
    Money,
    /// A ratio: the change in percentage points, `+0.5 pp`.
    Ratio,
    /// Months or days: `-0.3 (-3.5%)`.
    Number,
    /// Customers: `+24 (+5.7%)`.
    Count,
}

/// Which way of a KPI is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Good {
    Up,
    Down,
}

/// The change from `before` to `now`: an arrow (▲ ▼ or = when unchanged), the
/// signed difference, the relative change, and `against`; coloured by whether
/// the direction is good for this KPI. Without colour the arrow and the sign
/// still say it.
fn change(
    app: &App,
    f: &crate::tui::format::Fmt,
    kind: Kind,
    good: Good,
    before: Option<Decimal>,
    now: Option<Decimal>,
    against: &str,
) -> Option<Change> {
    let (before, now) = (before?, now?);
    let diff = now - before;
    let arrow = match diff.cmp(&Decimal::ZERO) {
        std::cmp::Ordering::Greater => "▲",
        std::cmp::Ordering::Less => "▼",
        std::cmp::Ordering::Equal => "=",
    };
    let style = if diff.is_zero() {
        app.theme.muted
    } else if (diff > Decimal::ZERO) == (good == Good::Up) {
        app.theme.good
    } else {
        app.theme.bad
    };
    let sign = |s: String| if diff > Decimal::ZERO { format!("+{s}") } else { s };
    let relative = (!before.is_zero() && kind != Kind::Ratio).then(|| {
        let r = diff / before.abs();
        let p = f.pct(Some(r));
        if r > Decimal::ZERO { format!("+{p}") } else { p }
    });
    let amount = match kind {
        Kind::Money => sign(f.compact(diff)),
        Kind::Ratio => format!("{} pp", sign(f.num(Some(diff * Decimal::ONE_HUNDRED), 1))),
        Kind::Number => sign(f.num(Some(diff), 1)),
        Kind::Count => sign(f.num(Some(diff), 0)),
    };
    let full = match &relative {
        Some(r) => format!("{arrow} {amount} ({r}) {against}"),
        None => format!("{arrow} {amount} {against}"),
    };
    let short = match relative {
        Some(r) => format!("{arrow} {r}"),
        None => format!("{arrow} {amount}"),
    };
    Some(Change { full, short, style })
}

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let s = &d.snapshot;
    let t = |en, es| app.lang.pick(en, es);
    let tall = area.height >= 30;
    // The alerts and recommendations get the rows their lines need; the KPI
    // cards (and their history) get the rest, so no box stands half empty.
    let health_h = if tall { 6 } else { 3 };
    let wide = area.width >= 100;
    let alert_lines = alerts(app, d);
    let alert_rows = 2 + alert_lines.len() as u16;
    let rec_rows = if wide { 2 * d.recommendations.len() as u16 } else { 0 };
    let bottom_h = (alert_rows.max(rec_rows) + 2).clamp(5, area.height.saturating_sub(health_h + 10).max(5));
    let [health, tiles, bottom] = Layout::vertical([
        Constraint::Length(health_h),
        Constraint::Min(10),
        Constraint::Length(bottom_h),
    ])
    .areas(area);

    // Health: the total and the four pillars; then the month so far from the
    // bank, when statements reach past the month end (provisional).
    // and the exposure to other currencies, when invoices are in any.
    let extra = usize::from(s.month_to_date.is_some()) + usize::from(s.fx.is_some());
    let cols = columns(health, 5 + extra as u16);
    gauge(buf, cols[0], app, d, t("Health", "Salud"), s.health.total_score);
    for (i, p) in Pillar::ALL.iter().enumerate() {
        gauge(buf, cols[i + 1], app, d, pillar_name(*p, app), s.health.pillar(*p));
    }
    let mut next = 5;
    if let Some(m) = &s.month_to_date {
        month_so_far(app, d, m, cols[next], buf);
        next += 1;
    }
    if let Some(fx) = &s.fx {
        fx_card(app, d, fx, cols[next], buf);
    }

    // KPI tiles, two rows of three: value, change against last month (and the
    // budget), history as wide as the card.
    let [r1, r2] = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(tiles);
    let tr = &d.trends;
    let f = &d.fmt;
    let last_two = |series: &crate::tui::data::Series| {
        let n = series.len();
        (
            series.get(n.wrapping_sub(2)).copied().flatten(),
            series.last().copied().flatten(),
        )
    };
    let month_change = |series: &crate::tui::data::Series, kind: Kind, good: Good| {
        let (prev, now) = last_two(series);
        change(app, f, kind, good, prev, now, t("m/m", "m/m"))
    };
    let budget =
        |line: crate::finance::variance::Line| app.derived.budget.iter().find(|v| v.month == s.as_of && v.line == line);
    let vs_budget = t("vs budget", "vs presup.");
    let revenue_budget = budget(crate::finance::variance::Line::Revenue)
        .and_then(|v| change(app, f, Kind::Money, Good::Up, Some(v.budget), Some(v.actual), vs_budget));
    let margin_budget = match (
        budget(crate::finance::variance::Line::Revenue),
        budget(crate::finance::variance::Line::Cogs),
    ) {
        (Some(r), Some(c)) => {
            let gm = |rev: Decimal, cogs: Decimal| (!rev.is_zero()).then(|| (rev - cogs) / rev);
            change(
                app,
                f,
                Kind::Ratio,
                Good::Up,
                gm(r.budget, c.budget),
                gm(r.actual, c.actual),
                vs_budget,
            )
        }
        _ => None,
    };
    let top = columns(r1, 3);
    let (gross_margin_label, gross_margin_style) = marked(
        app,
        d,
        t("Gross margin (month)", "Margen bruto (mes)"),
        "profitability.gross_margin",
    );
    let (net_burn_label, net_burn_style) = marked(app, d, t("Net burn (T3M)", "Quema neta (3m)"), "cash_flow.net_burn");
    let runway = s.cash_flow.runway_months.map_or_else(
        || t("not burning", "sin quema").to_owned(),
        |r| format!("{} {}", f.num(Some(r), 1), t("months", "meses")),
    );
    let (runway_months_label, runway_months_style) =
        marked(app, d, t("Runway", "Meses de caja"), "cash_flow.runway_months");
    let customers = s
        .monthly
        .last()
        .and_then(|m| d.ledger.get(m.month))
        .and_then(|r| r.customers_end);
    let (dso_label, dso_style) = marked(app, d, t("DSO (days)", "Días de cobro"), "collections.dso");
    let low = columns(r2, 3);
    let cards = [
        (
            top[0],
            Kpi {
                label: t("Revenue (month)", "Ingresos (mes)"),
                value: f.money(s.monthly.last().map(|m| m.revenue), true),
                style: app.theme.base,
                change: month_change(&tr.revenue, Kind::Money, Good::Up),
                budget: revenue_budget,
                series: &tr.revenue,
                months: &tr.months,
            },
        ),
        (
            top[1],
            Kpi {
                label: &gross_margin_label,
                value: f.pct(s.monthly.last().and_then(|m| m.gross_margin)),
                style: gross_margin_style,
                change: month_change(&tr.gross_margin, Kind::Ratio, Good::Up),
                budget: margin_budget,
                series: &tr.gross_margin,
                months: &tr.months,
            },
        ),
        (
            top[2],
            Kpi {
                label: &net_burn_label,
                value: f.money(s.cash_flow.net_burn, true),
                style: net_burn_style,
                change: month_change(&tr.net_burn, Kind::Money, Good::Down),
                budget: None,
                series: &tr.net_burn,
                months: &tr.months,
            },
        ),
        (
            low[0],
            Kpi {
                label: &runway_months_label,
                value: runway,
                style: runway_months_style,
                change: month_change(&tr.runway, Kind::Number, Good::Up),
                budget: None,
                series: &tr.runway,
                months: &tr.months,
            },
        ),
        (
            low[1],
            Kpi {
                label: t("Customers", "Clientes"),
                value: f.int(customers),
                style: app.theme.base,
                change: month_change(&tr.customers, Kind::Count, Good::Up),
                budget: None,
                series: &tr.customers,
                months: &tr.months,
            },
        ),
        (
            low[2],
            Kpi {
                label: &dso_label,
                value: f.num(s.collections.dso, 1),
                style: dso_style,
                change: month_change(&tr.dso, Kind::Number, Good::Down),
                budget: None,
                series: &tr.dso,
                months: &tr.months,
            },
        ),
    ];
    // A click on a card opens the tab that holds its figure.
    {
        use crate::tui::app::Tab;
        let tabs = [
            Tab::Profitability,
            Tab::Profitability,
            Tab::CashFlow,
            Tab::CashFlow,
            Tab::UnitEconomics,
            Tab::Collections,
        ];
        crate::tui::hits::record(|h| h.cards = cards.iter().map(|(a, _)| *a).zip(tabs).collect());
    }
    for (area, k) in &cards {
        tile(buf, *area, &app.theme, k);
    }

    // Focus area (and why), then every alert threshold and target.
    let mut lines = Vec::new();
    let focus = s.health.focus_area.map_or_else(
        || t("none (no pillar has data)", "ninguna (sin datos)").to_owned(),
        |p| {
            let score = s.health.pillar(p).map_or("—".to_owned(), |v| d.fmt.num(Some(v), 0));
            format!(
                "{} — {} {score}/100",
                pillar_name(p, app),
                t("the lowest pillar score,", "el pilar con menor puntaje,")
            )
        },
    );
    // Presented in another currency: which, from which, at which rates.
    if let Some(note) = s
        .translation
        .as_ref()
        .and_then(|t| crate::report::translation_note(t, s.as_of, app.lang))
    {
        lines.push(Line::from(Span::styled(note, app.theme.accent)));
    }
    // Cash as the bank shows it, beside the books' month end.
    if let Some(b) = &s.cash_flow.bank_cash {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", t("Cash in the bank", "Caja en banco")), app.theme.muted),
            Span::styled(d.fmt.money(Some(b.cash), true), super::signed(&app.theme, Some(b.cash))),
            Span::styled(
                format!(
                    " {} {} · {} {} {}",
                    t("on", "al"),
                    b.as_of,
                    t("books", "libros"),
                    s.as_of,
                    d.fmt.money(Some(s.cash_flow.cash_end), true)
                ),
                app.theme.muted,
            ),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", t("Focus area:", "Área a atender:")), app.theme.muted),
        Span::styled(focus, app.theme.accent),
    ]));
    for (text, style) in alert_lines {
        lines.push(Line::from(Span::styled(text, style)));
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

/// The month after the latest closed one as the bank shows it so far: marked
/// provisional (`~` and the word), the net cash flow first, then revenue and
/// costs when there is room.
fn month_so_far(app: &App, d: &CompanyData, m: &crate::finance::reconcile::MonthToDate, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let title = if area.width >= 20 {
        format!("{} {}", t("So far to", "En curso al"), m.to.format("%d/%m"))
    } else {
        t("So far", "En curso").to_owned()
    };
    let b = block(&title, &app.theme);
    let inner = b.inner(area);
    b.render(area, buf);
    let costs = m.cogs + m.opex;
    let net = f.compact(m.net_cash_flow);
    let net = if m.net_cash_flow > Decimal::ZERO {
        format!("+{net}")
    } else {
        net
    };
    let style = if m.net_cash_flow < Decimal::ZERO {
        app.theme.bad
    } else {
        app.theme.base
    };
    let mut lines = if inner.height < 2 {
        // One line: the figure and the mark.
        vec![Line::from(vec![
            Span::styled(net, style),
            Span::styled(format!(" {}", t("prov.", "prov.")), app.theme.muted),
        ])]
    } else {
        vec![
            Line::from(Span::styled(net, style)),
            Line::from(Span::styled(t("provisional", "provisional"), app.theme.muted)),
        ]
    };
    lines.push(Line::from(Span::styled(
        format!("{} {}", t("rev", "ing"), f.compact(m.revenue)),
        app.theme.base,
    )));
    lines.push(Line::from(Span::styled(
        format!("{} {}", t("costs", "costos"), f.compact(costs)),
        app.theme.base,
    )));
    Paragraph::new(lines).render(inner, buf);
}

/// The exposure to the invoices' other currencies at the month end: the
/// unrealised gain first, then what is open in each currency and the gains
/// realised over twelve months; the pair and day when a rate is missing.
fn fx_card(
    app: &App,
    d: &CompanyData,
    fx: &Result<crate::finance::fx::Exposure, crate::finance::fx::FxError>,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let b = block(t("FX", "Divisas"), &app.theme);
    let inner = b.inner(area);
    b.render(area, buf);
    let e = match fx {
        Ok(e) => e,
        Err(err) => {
            use crate::finance::fx::FxError;
            let (base, quote, when) = match err {
                FxError::Missing { base, quote, day } => (base, quote, day.to_string()),
                FxError::NoneInMonth { base, quote, month } => (base, quote, month.clone()),
            };
            let lines = vec![
                Line::from(Span::styled(t("rate missing", "falta tipo"), app.theme.bad)),
                Line::from(Span::styled(format!("{base}/{quote}"), app.theme.base)),
                Line::from(Span::styled(when, app.theme.muted)),
            ];
            Paragraph::new(lines).render(inner, buf);
            return;
        }
    };
    let signed = |v: Decimal| {
        let c = f.compact(v);
        if v > Decimal::ZERO { format!("+{c}") } else { c }
    };
    let u = e.unrealised();
    // Presented in another currency, the card stays in the company's: said.
    let figure = match &d.snapshot.translation {
        Some(_) => format!("{} {}", e.functional, signed(u)),
        None => signed(u),
    };
    let suffix = format!(" {}", t("unreal.", "no real."));
    // The word only when it fits beside the figure.
    let fits = crate::sanitize::width(&figure) + crate::sanitize::width(&suffix) <= usize::from(inner.width);
    let mut lines = vec![Line::from(vec![
        Span::styled(figure, super::signed(&app.theme, Some(u))),
        Span::styled(if fits { suffix } else { String::new() }, app.theme.muted),
    ])];
    for c in &e.currencies {
        lines.push(Line::from(Span::styled(
            format!("{} {}", crate::sanitize::clean(&c.currency), f.compact(c.open)),
            app.theme.base,
        )));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", t("real. 12m", "real. 12m")), app.theme.muted),
        Span::styled(signed(e.realised_ttm), super::signed(&app.theme, Some(e.realised_ttm))),
    ]));
    Paragraph::new(lines).render(inner, buf);
}
