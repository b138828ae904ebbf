//! Ending cash and net cash flow over time, burn, runway, the cash-zero month.

use super::{LazyTable, left, right, signed};
use crate::finance::forecast::WEEKS;
use crate::sanitize::clean;
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
        t("Net burn (T3M)", "Quema neta (3m)"),
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

    if app.views.weeks {
        return weeks(app, d, chart, table, buf);
    }
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
    // One unit a column, from every month (not just those on screen).
    let tf = f.themed(th);
    let net_sc = tf.scale(
        monthly.iter().filter_map(|m| m.net_cash_flow),
        crate::tui::format::COLUMN_WIDTH,
    );
    let cash_sc = tf.scale(monthly.iter().map(|m| m.cash_end), crate::tui::format::COLUMN_WIDTH);
    let burn_sc = tf.scale(
        rows.iter().filter_map(|r| r.cash.net_burn),
        crate::tui::format::COLUMN_WIDTH,
    );
    let (h, unit) = tf.headers(
        &[
            (t("Net cash flow", "Flujo neto"), net_sc),
            (t("Ending cash", "Caja al cierre"), cash_sc),
            (t("Net burn (3m)", "Quema neta (3m)"), burn_sc),
        ],
        app.lang,
    );
    let title = match unit {
        Some(u) => format!(
            "{} · {u} · {}",
            t("By month", "Por mes"),
            t("w: 13 weeks", "w: 13 semanas")
        ),
        None => t("By month · w: 13 weeks", "Por mes · w: 13 semanas").to_owned(),
    };
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            &h[0],
            &h[1],
            &h[2],
            t("vs prev.", "vs ant."),
            t("Runway", "Meses"),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(13),
            Constraint::Min(13),
            Constraint::Min(13),
            Constraint::Length(8),
            Constraint::Length(7),
        ],
        total,
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &monthly[total - 1 - i];
        let cf = &rows[total - 1 - i].cash;
        vec![
            left(m.month.to_string(), th.base),
            right(tf.scaled(m.net_cash_flow, net_sc), signed(th, m.net_cash_flow)),
            right(tf.scaled(Some(m.cash_end), cash_sc), signed(th, Some(m.cash_end))),
            right(tf.scaled(cf.net_burn, burn_sc), th.base),
            // Net burn against the month before: down is good.
            super::vs_previous(
                th,
                f,
                cf.net_burn,
                (total - 1 - i).checked_sub(1).and_then(|j| rows[j].cash.net_burn),
                false,
            ),
            right(f.num(cf.runway_months, 1), th.base),
        ]
    });
}

/// The 13-week forecast: the current Planning scenario's cash events on top of
/// the open invoices and the recent rates, against the configured floor.
fn weeks(app: &App, d: &CompanyData, chart: Rect, table: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let th = &app.theme;
    let Some(fc) = &app.derived.forecast else { return };
    // At the month end: the books' cash, or (opened from the bank) the bank's
    // cash less what its lines moved since.
    let start = match fc.opening_date {
        Some(_) => {
            fc.opening
                - d.bank_days
                    .iter()
                    .map(|x| x.inflows - x.outflows)
                    .sum::<rust_decimal::Decimal>()
        }
        None => fc.opening,
    };
    let points: Vec<(f64, f64)> = std::iter::once((0.0, start.to_f64().unwrap_or(0.0)))
        .chain(
            fc.weeks
                .iter()
                .map(|w| (w.index as f64, w.closing.to_f64().unwrap_or(0.0))),
        )
        .collect();
    let floor_line = [
        (0.0, fc.floor.to_f64().unwrap_or(0.0)),
        (WEEKS as f64, fc.floor.to_f64().unwrap_or(0.0)),
    ];
    let data = vec![
        Dataset::default()
            .name(t("closing cash", "caja al cierre"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.projection)
            .data(&points),
        Dataset::default()
            .name(t("floor", "piso"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.warn)
            .data(&floor_line),
    ];
    let below = match fc.below_floor {
        Some(w) => format!(
            "{} {w} ({})",
            t("below the floor in week", "bajo el piso en la semana"),
            fc.weeks[w as usize - 1].start
        ),
        None => t("never below the floor", "nunca bajo el piso").to_owned(),
    };
    let name = app.planner.current().map(|s| clean(&s.name)).unwrap_or_default();
    let title = format!(
        "{} · {} {} · {below}",
        t("13-week cash", "Caja a 13 semanas"),
        t("events of", "eventos de"),
        name
    );
    money_chart(
        buf,
        chart,
        th,
        f,
        &title,
        data,
        WEEKS as usize + 1,
        (
            fc.weeks.first().map(|w| w.start.to_string()).unwrap_or_default(),
            fc.weeks.last().map(|w| w.end.to_string()).unwrap_or_default(),
        ),
        std::iter::once(start)
            .chain(fc.weeks.iter().map(|w| w.closing))
            .chain(std::iter::once(fc.floor)),
    );
    let total = fc.weeks.len();
    // Every figure of the forecast in one unit: they add up across a row.
    let tf = f.themed(th);
    let sc = tf.scale(
        fc.weeks
            .iter()
            .flat_map(|w| [w.collections, w.other_inflows, w.outflows, w.events, w.closing]),
        crate::tui::format::COLUMN_WIDTH,
    );
    let unit = tf.unit(sc, app.lang);
    let from_bank = fc.opening_date.map_or(String::new(), |day| {
        format!(" · {} {day}", t("from the bank on", "desde el banco al"))
    });
    let title = format!(
        "{} · {unit}{from_bank} · {}",
        t("By week", "Por semana"),
        t("w: months", "w: meses")
    );
    let mut headers = vec![
        t("Week of", "Semana del"),
        t("Collections", "Cobros"),
        t("Other in", "Otros ingr."),
        t("Outflows", "Egresos"),
        t("Events", "Eventos"),
        t("Closing", "Cierre"),
    ];
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Min(9),
        Constraint::Min(9),
        Constraint::Min(9),
        Constraint::Min(8),
        Constraint::Min(9),
    ];
    // Weeks the statements reach: what the bank saw, beside the forecast.
    if fc.opening_date.is_some() {
        headers.insert(5, t("Bank net", "Banco neto"));
        widths.insert(5, Constraint::Min(9));
    }
    LazyTable {
        title: &title,
        headers,
        widths,
        total,
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let w = &fc.weeks[i];
        let closing_style = if w.closing < fc.floor {
            th.bad
        } else {
            signed(th, Some(w.closing))
        };
        let mut row = vec![
            left(w.start.to_string(), th.base),
            right(tf.scaled(Some(w.collections), sc), th.base),
            right(tf.scaled(Some(w.other_inflows), sc), th.base),
            right(tf.scaled(Some(-w.outflows), sc), th.base),
            right(tf.scaled(Some(w.events), sc), signed(th, Some(w.events))),
            right(tf.scaled(Some(w.closing), sc), closing_style),
        ];
        if fc.opening_date.is_some() {
            let net = w.actual_inflows.zip(w.actual_outflows).map(|(i, o)| i - o);
            let text = net.map_or(String::new(), |n| tf.scaled(Some(n), sc));
            row.insert(5, right(text, signed(th, net)));
        }
        row
    });
}

/// Cash flow by month (newest first) or the 13-week forecast (`w`).
pub struct CashFlow;

impl crate::tui::component::View for CashFlow {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Cash flow", "Flujo de caja"],
            short: ["Cash", "Caja"],
            agent: crate::ai::Agent::CashFlow,
        }
    }
    fn commands(&self, _app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        &[Weeks, Edit, Up, Down, PageUp, PageDown, Top, Bottom]
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        if app.views.weeks {
            crate::finance::forecast::WEEKS as usize
        } else {
            d.snapshot.monthly.len()
        }
    }
    fn record(&self, app: &App, d: &CompanyData) -> Option<crate::tui::form::Record> {
        if app.views.weeks {
            None
        } else {
            super::month_record(app, d)
        }
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        if intent != crate::tui::keymap::Intent::Weeks {
            return crate::tui::component::Handled::NotConsumed;
        }
        app.views.weeks = !app.views.weeks;
        *app.row_mut() = 0;
        crate::tui::component::Handled::done()
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
}
