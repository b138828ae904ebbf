//! Ending cash and net cash flow over time, burn, runway, the cash-zero month.

use super::{LazyTable, left, right, signed};
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{card, columns, money_chart};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::widgets::{Dataset, GraphType};
use rust_decimal::prelude::ToPrimitive;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let c = &d.snapshot.cash_flow;
    let f = &d.fmt;
    let th = &app.theme;
    let chart_h = if area.height >= 30 { 14 } else { 8 };
    let [cards, chart, table] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(chart_h), Constraint::Min(0)]).areas(area);
    let cols = columns(cards, 5);
    card(
        buf,
        cols[0],
        th,
        t("Ending cash", "Caja al cierre"),
        &f.money(Some(c.cash_end), true),
        signed(th, Some(c.cash_end)),
    );
    card(
        buf,
        cols[1],
        th,
        t("Net burn", "Quema neta"),
        &f.money(c.net_burn, true),
        th.base,
    );
    card(
        buf,
        cols[2],
        th,
        t("Gross burn", "Quema bruta"),
        &f.money(c.gross_burn, true),
        th.base,
    );
    let runway_style = match c.runway_months {
        Some(r) if r < rust_decimal::Decimal::from(6) => th.bad,
        Some(r) if r < rust_decimal::Decimal::from(18) => th.warn,
        _ => th.good,
    };
    let runway = c
        .runway_months
        .map_or_else(|| t("not burning", "sin quema").to_owned(), |r| f.num(Some(r), 1));
    card(
        buf,
        cols[3],
        th,
        t("Runway (months)", "Meses de caja"),
        &runway,
        runway_style,
    );
    let zero_month = c.cash_zero_month.map_or("—".to_owned(), |m| m.to_string());
    card(
        buf,
        cols[4],
        th,
        t("Cash-zero month", "Caja en cero"),
        &zero_month,
        if c.cash_zero_month.is_some() { th.bad } else { th.base },
    );

    // Chart coordinates are screen positions only; the figures stay decimal.
    let monthly = &d.snapshot.monthly;
    let points: Vec<(f64, f64)> = monthly
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64, m.cash_end.to_f64().unwrap_or(0.0)))
        .collect();
    let first = monthly.first().map(|m| m.month.to_string()).unwrap_or_default();
    let last = monthly.last().map(|m| m.month.to_string()).unwrap_or_default();
    let data = vec![
        Dataset::default()
            .name(t("ending cash", "caja al cierre"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.history)
            .data(&points),
    ];
    let title = t("Ending cash by month", "Caja al cierre por mes");
    money_chart(
        buf,
        chart,
        th,
        f,
        title,
        data,
        points.len(),
        (first, last),
        monthly.iter().map(|m| m.cash_end),
    );

    let rows = &d.by_month;
    let total = monthly.len();
    LazyTable {
        title: t("By month", "Por mes"),
        headers: vec![
            t("Month", "Mes"),
            t("Net cash flow", "Flujo neto"),
            t("Ending cash", "Caja al cierre"),
            t("Net burn (3m)", "Quema neta (3m)"),
            t("Runway", "Meses"),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(13),
            Constraint::Min(13),
            Constraint::Min(13),
            Constraint::Length(7),
        ],
        total,
        selected: app.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &monthly[total - 1 - i];
        let cf = &rows[total - 1 - i].cash;
        vec![
            left(m.month.to_string(), th.base),
            right(f.money(m.net_cash_flow, true), signed(th, m.net_cash_flow)),
            right(f.money(Some(m.cash_end), true), signed(th, Some(m.cash_end))),
            right(f.money(cf.net_burn, true), th.base),
            right(f.num(cf.runway_months, 1), th.base),
        ]
    });
}
