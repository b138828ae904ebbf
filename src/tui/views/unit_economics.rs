//! ARPA, churn, LTV, CAC, LTV:CAC, payback; the trailing-three-month values by month.

use super::{LazyTable, left, right};
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::{card, columns};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let u = &d.snapshot.unit_economics;
    let f = &d.fmt;
    let th = &app.theme;
    let [cards, table] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
    let c = columns(cards, 6);
    card(buf, c[0], th, "ARPA", &f.money(u.arpa, true), th.base);
    card(buf, c[1], th, t("Churn", "Churn"), &f.pct(u.customer_churn), th.base);
    card(buf, c[2], th, "LTV", &f.money(u.ltv, true), th.base);
    card(buf, c[3], th, "CAC", &f.money(u.cac, true), th.base);
    let ratio_style = match u.ltv_to_cac {
        Some(r) if r >= rust_decimal::Decimal::from(3) => th.good,
        Some(_) => th.warn,
        None => th.muted,
    };
    card(buf, c[4], th, "LTV:CAC", &f.num(u.ltv_to_cac, 2), ratio_style);
    card(
        buf,
        c[5],
        th,
        t("Payback", "Recuperación"),
        &f.num(u.cac_payback_months, 1),
        th.base,
    );
    let rows = &d.by_month;
    let total = rows.len();
    let tf = f.themed(th);
    let sc = |v: fn(&crate::tui::data::MonthMetrics) -> Option<rust_decimal::Decimal>| {
        tf.scale(rows.iter().filter_map(v), 9)
    };
    let (arpa_sc, ltv_sc, cac_sc) = (sc(|m| m.unit.arpa), sc(|m| m.unit.ltv), sc(|m| m.unit.cac));
    let (h, unit) = tf.headers(&[("ARPA", arpa_sc), ("LTV", ltv_sc), ("CAC", cac_sc)], app.lang);
    let (h_arpa, h_ltv, h_cac) = (&h[0], &h[1], &h[2]);
    let title = format!(
        "{}{}",
        t(
            "By month (each value over the three months to it)",
            "Por mes (cada valor sobre sus tres meses)",
        ),
        unit.map(|u| format!(" · {u}")).unwrap_or_default()
    );
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            t("New", "Nuevos"),
            t("Lost", "Bajas"),
            t("Customers", "Clientes"),
            "Churn",
            h_arpa,
            h_ltv,
            h_cac,
            "LTV:CAC",
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Min(9),
            Constraint::Min(9),
            Constraint::Min(9),
            Constraint::Length(7),
        ],
        total,
        // Newest first reads best; the selection counts from the top.
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &rows[total - 1 - i];
        vec![
            left(m.month.to_string(), th.base),
            right(f.int(m.customers_new), th.base),
            right(f.int(m.customers_churned), th.base),
            right(f.int(m.customers_end), th.base),
            right(f.pct(m.unit.customer_churn), th.base),
            right(tf.scaled(m.unit.arpa, arpa_sc), th.base),
            right(tf.scaled(m.unit.ltv, ltv_sc), th.base),
            right(tf.scaled(m.unit.cac, cac_sc), th.base),
            right(f.num(m.unit.ltv_to_cac, 2), th.base),
        ]
    });
}

/// Unit economics by month, newest first.
pub static VIEW: super::MonthTable = super::MonthTable {
    info: crate::tui::component::Info {
        title: ["Unit economics", "Economía unitaria"],
        short: ["Units", "Unidad"],
        agent: crate::ai::Agent::Growth,
    },
    render,
};
