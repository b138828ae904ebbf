//! Margins over the trailing twelve months and year to date; month by month.

use super::{LazyTable, left, right, signed};
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{card, columns};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let p = &d.snapshot.profitability;
    let f = &d.fmt;
    let th = &app.theme;
    let [cards, ytd, table] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(3), Constraint::Min(0)]).areas(area);
    let c = columns(cards, 5);
    card(
        buf,
        c[0],
        th,
        t("Revenue TTM", "Ingresos 12m"),
        &f.money(Some(p.revenue_ttm), true),
        th.base,
    );
    card(
        buf,
        c[1],
        th,
        t("Gross margin TTM", "Margen bruto 12m"),
        &f.pct(p.gross_margin),
        signed(th, p.gross_margin),
    );
    card(
        buf,
        c[2],
        th,
        t("Operating", "Operativo"),
        &f.pct(p.operating_margin),
        signed(th, p.operating_margin),
    );
    card(
        buf,
        c[3],
        th,
        "EBITDA",
        &f.pct(p.ebitda_margin),
        signed(th, p.ebitda_margin),
    );
    card(
        buf,
        c[4],
        th,
        t("Net margin", "Margen neto"),
        &f.pct(p.net_margin),
        signed(th, p.net_margin),
    );
    let y = &d.ytd;
    let c = columns(ytd, 4);
    card(
        buf,
        c[0],
        th,
        t("Revenue YTD", "Ingresos del año"),
        &f.money(Some(y.revenue), true),
        th.base,
    );
    card(
        buf,
        c[1],
        th,
        t("Gross margin YTD", "Margen bruto año"),
        &f.pct(y.gross_margin()),
        signed(th, y.gross_margin()),
    );
    card(
        buf,
        c[2],
        th,
        t("Net margin YTD", "Margen neto año"),
        &f.pct(y.net_margin()),
        signed(th, y.net_margin()),
    );
    card(
        buf,
        c[3],
        th,
        t("Break-even / month", "Equilibrio / mes"),
        &f.money(p.break_even_revenue, true),
        th.base,
    );
    let rows = &d.by_month;
    let total = rows.len();
    let tf = f.themed(th);
    let rev_sc = tf.scale(rows.iter().map(|r| r.totals.revenue), crate::tui::format::COLUMN_WIDTH);
    let net_sc = tf.scale(
        rows.iter().map(|r| r.totals.net_income()),
        crate::tui::format::COLUMN_WIDTH,
    );
    let (h, unit) = tf.headers(
        &[
            (t("Revenue", "Ingresos"), rev_sc),
            (t("Net income", "Utilidad neta"), net_sc),
        ],
        app.lang,
    );
    let (h_rev, h_net) = (&h[0], &h[1]);
    let title = match unit {
        Some(u) => format!(
            "{} · {u} · {}",
            t("By month", "Por mes"),
            t("margins in %", "márgenes en %")
        ),
        None => format!("{} · {}", t("By month", "Por mes"), t("margins in %", "márgenes en %")),
    };
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            h_rev,
            t("vs prev.", "vs ant."),
            t("Gross", "Bruto"),
            t("Operating", "Operativo"),
            "EBITDA",
            t("Net", "Neto"),
            h_net,
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(12),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Min(12),
        ],
        total,
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &rows[total - 1 - i].totals;
        let month = rows[total - 1 - i].month;
        vec![
            left(month.to_string(), th.base),
            right(tf.scaled(Some(m.revenue), rev_sc), th.base),
            // Revenue against the month before: up is good.
            super::vs_previous(
                th,
                f,
                Some(m.revenue),
                (total - 1 - i).checked_sub(1).map(|j| rows[j].totals.revenue),
                true,
            ),
            right(f.pct(m.gross_margin()), signed(th, m.gross_margin())),
            right(f.pct(m.operating_margin()), signed(th, m.operating_margin())),
            right(f.pct(m.ebitda_margin()), signed(th, m.ebitda_margin())),
            right(f.pct(m.net_margin()), signed(th, m.net_margin())),
            right(
                tf.scaled(Some(m.net_income()), net_sc),
                signed(th, Some(m.net_income())),
            ),
        ]
    });
}

/// Profitability by month, newest first.
pub static VIEW: super::MonthTable = super::MonthTable {
    info: crate::tui::component::Info {
        title: ["Profitability", "Rentabilidad"],
        short: ["Profit", "Rentab."],
        agent: crate::ai::Agent::Advisor,
    },
    render,
};
