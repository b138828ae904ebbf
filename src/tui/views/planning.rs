//! The base scenario: history and projection of cash (drawn apart), the
//! outputs, and the projected months.

use super::{LazyTable, left, pairs, right, signed};
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{block, money_chart};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::widgets::{Dataset, GraphType, Paragraph, Widget};
use rust_decimal::prelude::ToPrimitive;

/// Months of history drawn before the projection.
const HISTORY: usize = 24;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let th = &app.theme;
    let Some(p) = &d.projection else {
        Paragraph::new(t("No financials to project from.", "Sin datos para proyectar."))
            .style(th.muted)
            .render(area, buf);
        return;
    };
    let chart_h = if area.height >= 30 { 16 } else { 9 };
    let [outputs, chart, table] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(chart_h), Constraint::Min(0)]).areas(area);
    let month = |m: Option<crate::domain::Month>| m.map_or("—".to_owned(), |m| m.to_string());
    let dr = &d.drivers;
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
            &[
                (
                    t("base · growth/mo", "base · crecimiento/mes"),
                    f.pct(Some(dr.revenue_growth)),
                    th.accent,
                ),
                (
                    t("gross margin", "margen bruto"),
                    f.pct(Some(dr.gross_margin)),
                    th.accent,
                ),
                (t("opex/mo", "gastos/mes"), f.money(Some(dr.opex_base), true), th.accent),
                (t("horizon", "horizonte"), dr.horizon_months.to_string(), th.accent),
            ],
        ),
    ];
    Paragraph::new(lines)
        .block(block(
            t(
                "Base scenario (recent trend continued)",
                "Escenario base (tendencia reciente)",
            ),
            th,
        ))
        .render(outputs, buf);

    // History then projection on one time axis; positions only are f64.
    let monthly = &d.snapshot.monthly;
    let hist: Vec<_> = monthly.iter().rev().take(HISTORY).rev().collect();
    let n = hist.len();
    let history: Vec<(f64, f64)> = hist
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64, m.cash_end.to_f64().unwrap_or(0.0)))
        .collect();
    let mut projected: Vec<(f64, f64)> = history.last().copied().into_iter().collect();
    projected.extend(
        p.months
            .iter()
            .enumerate()
            .map(|(k, m)| ((n + k) as f64, m.cash.to_f64().unwrap_or(0.0))),
    );
    let values = hist.iter().map(|m| m.cash_end).chain(p.months.iter().map(|m| m.cash));
    let datasets = vec![
        Dataset::default()
            .name(t("actual", "real"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.history)
            .data(&history),
        Dataset::default()
            .name(t("projected", "proyectado"))
            .marker(symbols::Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(th.projection)
            .data(&projected),
    ];
    let first = hist.first().map(|m| m.month.to_string()).unwrap_or_default();
    let last = p.months.last().map(|m| m.month.to_string()).unwrap_or_default();
    let title = t("Cash: actual ─ and projected ·", "Caja: real ─ y proyectada ·");
    money_chart(
        buf,
        chart,
        th,
        f,
        title,
        datasets,
        n + p.months.len(),
        (first, last),
        values,
    );

    let total = p.months.len();
    LazyTable {
        title: t("Projection", "Proyección"),
        headers: vec![
            t("Month", "Mes"),
            t("Revenue", "Ingresos"),
            t("Opex", "Gastos"),
            t("Net income", "Utilidad neta"),
            t("Cash flow", "Flujo"),
            t("Cash", "Caja"),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(10),
            Constraint::Min(10),
            Constraint::Min(10),
            Constraint::Min(10),
            Constraint::Min(10),
        ],
        total,
        selected: app.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &p.months[i];
        vec![
            left(m.month.to_string(), th.projection),
            right(f.money(Some(m.revenue), true), th.base),
            right(f.money(Some(m.opex), true), th.base),
            right(f.money(Some(m.net_income), true), signed(th, Some(m.net_income))),
            right(f.money(Some(m.net_cash_flow), true), signed(th, Some(m.net_cash_flow))),
            right(f.money(Some(m.cash), true), signed(th, Some(m.cash))),
        ]
    });
}
