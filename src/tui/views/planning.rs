//! Planning: the scenario bar, then one of three views — the drivers editor
//! beside the projection (outputs, chart, months), the comparison of up to
//! three scenarios, or the locked budget against the actuals — and the
//! planner's dialogs on top.

use super::{LazyTable, left, pairs, right, signed};
use crate::domain::{Drivers, Month};
use crate::finance::planning::{DriverKey, Projection};
use crate::finance::variance::{Line as VarLine, Variance, worst};
use crate::sanitize::clean;
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::format::Fmt;
use crate::tui::planner::{Dialog, Planner, Row, SeekOutcome, View, target_label};
use crate::tui::render::popup;
use crate::tui::widgets::{block, money_chart};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Dataset, GraphType, Paragraph, Widget, Wrap};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Months of history drawn before the projection.
const HISTORY: usize = 24;
/// Width of the drivers table.
const DRIVERS_W: u16 = 35;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let pl = &app.planner;
    if pl.scenarios.is_empty() {
        Paragraph::new(t("No financials to project from.", "Sin datos para proyectar."))
            .style(app.theme.muted)
            .render(area, buf);
        return;
    }
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    scenario_bar(app, bar, buf);
    match pl.view {
        View::Drivers => drivers_view(app, d, body, buf),
        View::Compare => compare_view(app, d, body, buf),
        View::Budget => budget_view(app, d, body, buf),
    }
    if pl.dialog.is_some() {
        dialog(app, d, area, buf);
    }
}

fn scenario_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let mut spans = vec![Span::styled(t("Scenarios ", "Escenarios "), th.muted)];
    for (i, s) in pl.scenarios.iter().enumerate() {
        let marked = pl.compare.contains(&s.name);
        spans.push(Span::styled(if marked { "●" } else { " " }, th.accent));
        let mut label = clean(&s.name);
        if s.locked {
            label.push_str(&format!(" [{} {}]", t("budget", "presupuesto"), s.start.month));
        }
        let style = if i == pl.current { th.selected } else { th.base };
        spans.push(Span::styled(format!(" {label} "), style));
    }
    let views = [
        (View::Drivers, t("drivers", "supuestos")),
        (View::Compare, t("compare", "comparar")),
        (View::Budget, t("budget vs actual", "presupuesto vs real")),
    ];
    spans.push(Span::styled("  v:", th.muted));
    for (v, label) in views {
        if area.width < 110 && v != pl.view {
            continue;
        }
        let style = if v == pl.view {
            th.accent.add_modifier(Modifier::BOLD)
        } else {
            th.muted
        };
        spans.push(Span::styled(format!(" {label}"), style));
    }
    Paragraph::new(Line::from(spans)).style(th.base).render(area, buf);
}

fn driver_label(app: &App, d: &Drivers, row: Row) -> String {
    let t = |en, es| app.lang.pick(en, es);
    match row {
        Row::Horizon => t("Horizon (months)", "Horizonte (meses)").into(),
        Row::PriceMonth => t("Price change month", "Mes cambio precio").into(),
        Row::Driver(k) => match k {
            DriverKey::RevenueGrowth => t("Revenue growth %/mo", "Crecimiento %/mes"),
            DriverKey::GrossMargin => t("Gross margin %", "Margen bruto %"),
            DriverKey::OpexBase => t("Opex / month", "Gastos / mes"),
            DriverKey::OpexGrowth => t("Opex growth %/mo", "Crec. gastos %/mes"),
            DriverKey::OtherIncome => t("Other income / mo", "Otros ingr. / mes"),
            DriverKey::Depreciation => t("Depreciation / mo", "Depreciación / mes"),
            DriverKey::PriceChange => t("Price change %", "Cambio de precio %"),
            DriverKey::DiscountRate => t("Discount rate %/yr", "Descuento %/año"),
        }
        .into(),
        Row::Hire(i) => format!("{} {}", t("Hire", "Contratación"), i + 1),
        Row::Event(i) if d.cash_events.get(i).is_some_and(|e| !e.label.trim().is_empty()) => {
            clean(&d.cash_events[i].label)
        }
        Row::AddHire => t("+ add a hire", "+ contratación").into(),
        Row::Event(i) => format!("{} {}", t("Cash event", "Evento de caja"), i + 1),
        Row::AddEvent => t("+ add a cash event", "+ evento de caja").into(),
    }
}

fn driver_value(app: &App, f: &Fmt, d: &Drivers, row: Row) -> String {
    let t = |en, es| app.lang.pick(en, es);
    match row {
        Row::Horizon => d.horizon_months.to_string(),
        Row::PriceMonth => d.price_change_month.to_string(),
        Row::Driver(k) if k.is_rate() => f.num(Some(k.get(d) * Decimal::ONE_HUNDRED), 2) + "%",
        // Large amounts without cents, so they fit the column.
        Row::Driver(k) if k.get(d).abs() >= Decimal::from(100_000) => f.num(Some(k.get(d)), 0),
        Row::Driver(k) => f.amount(k.get(d)),
        Row::Hire(i) => d.hires.get(i).map_or_else(String::new, |h| {
            format!(
                "{}{} {}×{}",
                t("m", "m"),
                h.month,
                h.count,
                f.num(Some(h.monthly_cost), 0)
            )
        }),
        Row::Event(i) => d.cash_events.get(i).map_or_else(String::new, |e| {
            format!("{}{} {}", t("m", "m"), e.month, f.num(Some(e.amount), 0))
        }),
        Row::AddHire | Row::AddEvent => String::new(),
    }
}

fn drivers_table(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    let title = match (&pl.cell, s.base, s.locked) {
        (Some(_), _, _) => t(
            "Drivers · Enter keep · Esc drop",
            "Supuestos · Enter guarda · Esc descarta",
        ),
        (None, true, _) => t("Drivers (base: read-only)", "Supuestos (base: solo lectura)"),
        (None, _, true) => t("Drivers (locked budget)", "Supuestos (presupuesto fijo)"),
        (None, false, false) => t("Drivers · Enter edit · +/- · u", "Supuestos · Enter editar · +/- · u"),
    };
    let b = block(title, th);
    let inner = b.inner(area);
    b.render(area, buf);
    let rows = pl.rows();
    let error_h = if pl.cell.as_ref().is_some_and(|c| c.error.is_some()) {
        3
    } else {
        0
    };
    let height = inner.height.saturating_sub(error_h) as usize;
    let start = crate::tui::widgets::window_start(pl.row, height, rows.len());
    let label_w = inner.width.saturating_sub(14);
    for (line, (i, row)) in rows.iter().enumerate().skip(start).take(height).enumerate() {
        let y = inner.y + line as u16;
        let selected = i == pl.row;
        let label_style = if matches!(row, Row::AddHire | Row::AddEvent) {
            th.muted
        } else {
            th.base
        };
        let style = if selected { th.selected } else { label_style };
        let label_area = Rect::new(inner.x, y, label_w, 1);
        let value_area = Rect::new(inner.x + label_w + 1, y, inner.width.saturating_sub(label_w + 1), 1);
        Paragraph::new(driver_label(app, &s.drivers, *row))
            .style(style)
            .render(label_area, buf);
        match &pl.cell {
            Some(c) if selected => {
                let mut input = c.input.clone();
                let style = if c.error.is_some() { th.bad } else { th.accent };
                input.set_style(style.add_modifier(Modifier::UNDERLINED));
                input.render(value_area, buf);
            }
            _ => {
                Paragraph::new(driver_value(app, &d.fmt, &s.drivers, *row))
                    .style(style)
                    .alignment(ratatui::layout::Alignment::Right)
                    .render(value_area, buf);
            }
        }
    }
    if let Some(e) = pl.cell.as_ref().and_then(|c| c.error.as_ref()) {
        let h = error_h.min(inner.height);
        Paragraph::new(format!("✗ {}", clean(e)))
            .style(th.bad)
            .wrap(Wrap { trim: true })
            .render(Rect::new(inner.x, inner.y + inner.height - h, inner.width, h), buf);
    }
}

fn outputs(app: &App, f: &Fmt, p: &Projection, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let month = |m: Option<Month>| m.map_or("—".to_owned(), |m| m.to_string());
    let runway = p
        .runway_at_horizon
        .map_or_else(|| t("not burning", "sin quema").to_owned(), |r| f.num(Some(r), 1));
    let lines = vec![
        pairs(
            th,
            &[
                (
                    t("Cash zero:", "Caja en cero:"),
                    month(p.cash_zero_month),
                    if p.cash_zero_month.is_some() { th.bad } else { th.good },
                ),
                (t("Break-even:", "Equilibrio:"), month(p.break_even_month), th.base),
            ],
        ),
        pairs(
            th,
            &[
                (
                    t("Min cash:", "Caja mínima:"),
                    f.money(Some(p.min_cash), true),
                    signed(th, Some(p.min_cash)),
                ),
                ("NPV:", f.money(Some(p.npv), true), signed(th, Some(p.npv))),
            ],
        ),
        pairs(
            th,
            &[(
                t("Runway at the horizon:", "Meses de caja al horizonte:"),
                runway,
                th.base,
            )],
        ),
    ];
    Paragraph::new(lines)
        .block(block(t("Outputs", "Resultados"), th))
        .render(area, buf);
}

/// Actual cash for the last months, then each projection; x is the month index.
/// Plotting positions of one line.
type Points = Vec<(f64, f64)>;

fn cash_points(d: &CompanyData, projections: &[&Projection]) -> (Points, Vec<Points>, usize) {
    let monthly = &d.snapshot.monthly;
    let hist: Vec<_> = monthly.iter().rev().take(HISTORY).rev().collect();
    let n = hist.len();
    let history: Vec<(f64, f64)> = hist
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64, m.cash_end.to_f64().unwrap_or(0.0)))
        .collect();
    let projected = projections
        .iter()
        .map(|p| {
            let mut pts: Vec<(f64, f64)> = history.last().copied().into_iter().collect();
            pts.extend(
                p.months
                    .iter()
                    .enumerate()
                    .map(|(k, m)| ((n + k) as f64, m.cash.to_f64().unwrap_or(0.0))),
            );
            pts
        })
        .collect();
    (history, projected, n)
}

fn cash_chart(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer, shown: &[(String, &Projection, Style)]) {
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let projections: Vec<&Projection> = shown.iter().map(|s| s.1).collect();
    let (history, projected, n) = cash_points(d, &projections);
    let mut datasets = vec![
        Dataset::default()
            .name(t("actual", "real"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.history)
            .data(&history),
    ];
    let single = shown.len() == 1;
    for ((name, _, style), pts) in shown.iter().zip(&projected) {
        datasets.push(
            Dataset::default()
                .name(name.clone())
                .marker(if single {
                    symbols::Marker::Dot
                } else {
                    symbols::Marker::Braille
                })
                .graph_type(if single { GraphType::Scatter } else { GraphType::Line })
                .style(*style)
                .data(pts),
        );
    }
    let longest = projections.iter().map(|p| p.months.len()).max().unwrap_or(0);
    let monthly = &d.snapshot.monthly;
    let first = monthly
        .get(monthly.len().saturating_sub(HISTORY))
        .map(|m| m.month.to_string())
        .unwrap_or_default();
    let last = projections
        .iter()
        .filter_map(|p| p.months.last())
        .map(|m| m.month)
        .max()
        .map(|m| m.to_string())
        .unwrap_or_default();
    let hist = d.snapshot.monthly.iter().rev().take(HISTORY).map(|m| m.cash_end);
    let values = hist.chain(projections.iter().flat_map(|p| p.months.iter().map(|m| m.cash)));
    let title = if single {
        t("Cash: actual ─ and projected ·", "Caja: real ─ y proyectada ·")
    } else {
        t("Cash by scenario", "Caja por escenario")
    };
    money_chart(
        buf,
        area,
        th,
        &d.fmt,
        title,
        datasets,
        n + longest,
        (first, last),
        values.collect::<Vec<_>>().into_iter(),
    );
}

fn drivers_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    let Some(p) = pl.projection_of(pl.current) else { return };
    let drivers_w = if area.width >= 110 { DRIVERS_W + 6 } else { DRIVERS_W };
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(drivers_w.min(area.width / 2)), Constraint::Min(0)]).areas(area);
    drivers_table(app, d, left_area, buf);
    let chart_h = if right_area.height >= 30 { 16 } else { 8 };
    let [out_area, chart, table] =
        Layout::vertical([Constraint::Length(5), Constraint::Length(chart_h), Constraint::Min(0)]).areas(right_area);
    outputs(app, &d.fmt, p, out_area, buf);
    cash_chart(app, d, chart, buf, &[(clean(&s.name), p, th.projection)]);
    let f = &d.fmt;
    let total = p.months.len();
    LazyTable {
        title: t("Projection (PgUp/PgDn)", "Proyección (RePág/AvPág)"),
        headers: vec![
            t("Month", "Mes"),
            t("Revenue", "Ingresos"),
            t("Net income", "Utilidad"),
            t("Cash", "Caja"),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(9),
            Constraint::Min(9),
            Constraint::Min(9),
        ],
        total,
        selected: app.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &p.months[i];
        vec![
            left(m.month.to_string(), th.projection),
            right(f.money(Some(m.revenue), true), th.base),
            right(f.money(Some(m.net_income), true), signed(th, Some(m.net_income))),
            right(f.money(Some(m.cash), true), signed(th, Some(m.cash))),
        ]
    });
}

fn compare_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let f = &d.fmt;
    let t = |en, es| app.lang.pick(en, es);
    let styles = [th.projection, th.accent, th.warn];
    let shown: Vec<(String, &Projection, Style)> = pl
        .compared()
        .into_iter()
        .zip(styles)
        .filter_map(|(i, style)| Some((clean(&pl.scenarios[i].name), pl.projection_of(i)?, style)))
        .collect();
    let table_h = 9u16.min(area.height / 2);
    let [chart, table] = Layout::vertical([Constraint::Min(0), Constraint::Length(table_h)]).areas(area);
    cash_chart(app, d, chart, buf, &shown);

    let month = |m: Option<Month>| m.map_or("—".to_owned(), |m| m.to_string());
    let months_between = |a: Option<Month>, b: Option<Month>| match (a, b) {
        (Some(a), Some(b)) => format!("{:+}", b.months_since(a)),
        (None, None) => String::new(),
        _ => "≠".to_owned(),
    };
    let money_diff = |a: Decimal, b: Decimal| f.money(Some(b - a), true);
    type Metric<'a> = (
        &'a str,
        Box<dyn Fn(&Projection) -> String + 'a>,
        Box<dyn Fn(&Projection, &Projection) -> String + 'a>,
    );
    let metrics: Vec<Metric> = vec![
        (
            t("Cash zero", "Caja en cero"),
            Box::new(|p: &Projection| month(p.cash_zero_month)),
            Box::new(|a: &Projection, b: &Projection| months_between(a.cash_zero_month, b.cash_zero_month)),
        ),
        (
            t("Break-even", "Equilibrio"),
            Box::new(|p: &Projection| month(p.break_even_month)),
            Box::new(|a: &Projection, b: &Projection| months_between(a.break_even_month, b.break_even_month)),
        ),
        (
            t("Min cash", "Caja mínima"),
            Box::new(|p: &Projection| f.money(Some(p.min_cash), true)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.min_cash, b.min_cash)),
        ),
        (
            t("Cash at end", "Caja al final"),
            Box::new(|p: &Projection| f.money(Some(p.cash_at_horizon), true)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.cash_at_horizon, b.cash_at_horizon)),
        ),
        (
            t("Runway at end", "Meses al final"),
            Box::new(|p: &Projection| f.num(p.runway_at_horizon, 1)),
            Box::new(
                |a: &Projection, b: &Projection| match (a.runway_at_horizon, b.runway_at_horizon) {
                    (Some(x), Some(y)) => format!("{:+}", (y - x).round_dp(1)),
                    _ => String::new(),
                },
            ),
        ),
        (
            "NPV",
            Box::new(|p: &Projection| f.money(Some(p.npv), true)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.npv, b.npv)),
        ),
    ];
    let mut headers: Vec<String> = vec![String::new()];
    let mut widths = vec![Constraint::Length(14)];
    for (i, (name, _, _)) in shown.iter().enumerate() {
        headers.push(name.chars().take(14).collect());
        widths.push(Constraint::Min(10));
        if i > 0 {
            headers.push(format!("Δ {}", t("vs 1st", "vs 1º")));
            widths.push(Constraint::Min(8));
        }
    }
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let title = if pl.compare.is_empty() {
        t("Compare (Space marks up to 3)", "Comparar (Espacio marca hasta 3)")
    } else {
        t("Compare", "Comparar")
    };
    LazyTable {
        title,
        headers: header_refs,
        widths,
        total: metrics.len(),
        selected: 0,
    }
    .render(buf, table, th, |r| {
        let (label, value, diff) = &metrics[r];
        let mut cells = vec![left((*label).to_owned(), th.muted)];
        let first = shown.first().map(|s| s.1);
        for (i, (_, p, style)) in shown.iter().enumerate() {
            cells.push(right(value(p), *style));
            if i > 0
                && let Some(a) = first
            {
                cells.push(right(diff(a, p), th.muted));
            }
        }
        cells
    });
}

fn line_label(app: &App, l: VarLine) -> &'static str {
    let t = |en, es| app.lang.pick(en, es);
    match l {
        VarLine::Revenue => t("Revenue", "Ingresos"),
        VarLine::Cogs => t("COGS", "Costo ventas"),
        VarLine::Opex => t("Opex", "Gastos"),
        VarLine::NetIncome => t("Net income", "Utilidad"),
        VarLine::Cash => t("Cash", "Caja"),
    }
}

fn budget_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let f = &d.fmt;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    if !s.locked {
        Paragraph::new(vec![
            Line::from(Span::styled(
                t(
                    "This scenario is not a budget.",
                    "Este escenario no es un presupuesto.",
                ),
                th.base,
            )),
            Line::from(Span::styled(
                t(
                    "L locks it as the budget from a month you choose; then each month with actuals shows here against it.",
                    "L lo fija como presupuesto desde el mes que elija; luego cada mes con datos reales se compara aquí.",
                ),
                th.muted,
            )),
        ])
        .wrap(Wrap { trim: true })
        .block(block(t("Budget vs actual", "Presupuesto vs real"), th))
        .render(area, buf);
        return;
    }
    let variances = &app.derived.variances;
    let months: Vec<Month> = {
        let mut m: Vec<Month> = variances.iter().map(|v| v.month).collect();
        m.dedup();
        m
    };
    let bad = worst(variances, 5);
    let is_worst = |v: &Variance| bad.iter().any(|w| std::ptr::eq(*w, v));
    let get = |m: Month, l: VarLine| variances.iter().find(|v| v.month == m && v.line == l);
    // Narrow screens: the table, then the worst variances under it.
    let narrow = area.width < 100;
    let [table_area, side] = if narrow {
        Layout::vertical([Constraint::Min(0), Constraint::Length(7)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    };
    let total = months.len();
    let selected = app.rows[app.tab.index()].min(total.saturating_sub(1));
    let title = format!(
        "{} ({}) · {} · {} {}",
        t("Actual − budget", "Real − presupuesto"),
        f.currency,
        clean(&s.name),
        t("from", "desde"),
        s.start.month
    );
    let cell = |v: Option<&Variance>| match v {
        Some(v) => {
            let style = if is_worst(v) {
                th.bad.add_modifier(Modifier::BOLD | Modifier::REVERSED)
            } else if v.unfavourable {
                th.bad
            } else {
                th.good
            };
            right(f.compact(v.variance), style)
        }
        None => right("—".into(), th.muted),
    };
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            line_label(app, VarLine::Revenue),
            line_label(app, VarLine::Cogs),
            line_label(app, VarLine::Opex),
            line_label(app, VarLine::NetIncome),
            line_label(app, VarLine::Cash),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
        ],
        total,
        selected,
    }
    .render(buf, table_area, th, |i| {
        let m = months[i];
        let mut cells = vec![left(m.to_string(), th.base)];
        cells.extend(VarLine::ALL.iter().map(|l| cell(get(m, *l))));
        cells
    });

    let [detail, worst_area] = if narrow {
        [Rect::default(), side]
    } else {
        Layout::vertical([Constraint::Length(8), Constraint::Min(0)]).areas(side)
    };
    let mut lines = Vec::new();
    if let Some(m) = months.get(selected) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", m.to_string()), th.accent),
            Span::styled(
                format!("{:>11} {:>11} {:>7}", t("budget", "presup."), t("actual", "real"), "%"),
                th.muted,
            ),
        ]));
        for l in VarLine::ALL {
            if let Some(v) = get(*m, l) {
                let style = if v.unfavourable { th.bad } else { th.good };
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<12}", line_label(app, l)), th.base),
                    Span::styled(
                        format!(
                            "{:>11} {:>11} ",
                            f.money(Some(v.budget), true),
                            f.money(Some(v.actual), true)
                        ),
                        th.base,
                    ),
                    Span::styled(format!("{:>7}", f.pct(v.variance_pct)), style),
                ]));
            }
        }
    } else {
        lines.push(Line::from(Span::styled(
            t(
                "No month has both a budget and actuals yet.",
                "Aún no hay meses con presupuesto y datos reales.",
            ),
            th.muted,
        )));
    }
    Paragraph::new(lines)
        .block(block(t("Selected month", "Mes seleccionado"), th))
        .render(detail, buf);
    let worst_lines: Vec<Line> = bad
        .iter()
        .map(|v| {
            Line::from(vec![
                Span::styled(format!("{} ", v.month), th.muted),
                Span::styled(format!("{:<12}", line_label(app, v.line)), th.base),
                Span::styled(
                    format!("{} ({})", f.money(Some(v.variance), true), f.pct(v.variance_pct)),
                    th.bad,
                ),
            ])
        })
        .collect();
    Paragraph::new(worst_lines)
        .block(block(t("Worst variances", "Peores variaciones"), th))
        .render(worst_area, buf);
}

fn dialog(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
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

/// Scenarios: the drivers editor, the comparison, the budget against the actuals.
pub struct Planning;

impl crate::tui::component::View for Planning {
    fn title(&self, lang: crate::locale::Lang) -> &'static str {
        lang.pick("Planning", "Planeación")
    }
    fn short_title(&self, lang: crate::locale::Lang) -> &'static str {
        lang.pick("Plan", "Plan")
    }
    fn agent(&self) -> crate::ai::Agent {
        crate::ai::Agent::CashFlow
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
    fn commands(&self, app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        match app.planner.view {
            View::Drivers => &[
                Edit,
                PlanView,
                GoalSeek,
                NudgeUp,
                NudgeDown,
                Undo,
                Redo,
                NewScenario,
                RenameScenario,
                DeleteScenario,
                RemoveItem,
                CompareMark,
                LockBudget,
                Left,
                Right,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
            ],
            View::Compare | View::Budget => &[
                PlanView,
                CompareMark,
                NewScenario,
                RenameScenario,
                DeleteScenario,
                LockBudget,
                Left,
                Right,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
            ],
        }
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        match app.planner.view {
            View::Drivers => app
                .planner
                .projection_of(app.planner.current)
                .map_or(0, |p| p.months.len()),
            View::Budget => app.budget_months(d),
            View::Compare => 0,
        }
    }
    fn needs(
        &self,
        intent: crate::tui::keymap::Intent,
        lang: crate::locale::Lang,
    ) -> Option<(crate::store::team::Role, &'static str)> {
        use crate::tui::keymap::Intent::*;
        matches!(
            intent,
            Edit | NudgeUp
                | NudgeDown
                | Undo
                | Redo
                | NewScenario
                | RenameScenario
                | DeleteScenario
                | RemoveItem
                | GoalSeek
                | LockBudget
        )
        .then(|| {
            (
                crate::store::team::Role::Analyst,
                lang.pick("changing scenarios", "cambiar escenarios"),
            )
        })
    }
    fn handle_key(&self, app: &mut App, key: &crossterm::event::KeyEvent) -> crate::tui::component::Handled {
        // Enter edits the driver under the cursor, like `e`.
        if key.code != crossterm::event::KeyCode::Enter {
            return crate::tui::component::Handled::NotConsumed;
        }
        app.run_intent(crate::tui::keymap::Intent::Edit)
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        use crate::tui::keymap::Intent::*;
        // Moves up and down go to the budget table outside the drivers view.
        let planner_takes = match intent {
            Up | Down | Top | Bottom => app.planner.view == View::Drivers,
            Left | Right | Edit | NudgeUp | NudgeDown | Undo | Redo | NewScenario | RenameScenario | DeleteScenario
            | RemoveItem | CompareMark | PlanView | GoalSeek | LockBudget => true,
            _ => false,
        };
        if !planner_takes {
            return crate::tui::component::Handled::NotConsumed;
        }
        let Some(d) = app.data.take() else {
            return crate::tui::component::Handled::done();
        };
        let effects = app.planner.on_intent(intent, &d);
        app.data = Some(d);
        crate::tui::component::Handled::Consumed(app.after_planner(effects))
    }
}
