//! The report: every module's metrics as JSON (the stable machine interface of
//! docs/json.md#katalis-report---format-json), CSV (one row per value) and Markdown (for people).

pub mod html;
mod markdown;

pub mod scenario;
pub mod targets;
pub mod variance;

pub use markdown::{pillar_label, to_markdown};

use crate::domain::Company;
use crate::finance::{Pillar, Snapshot};
use crate::numbers::{self, j_money, j_ratio, j_two, money};
use serde_json::{Value, json};

/// The exposure to other currencies as `katalis fx exposure --format json`
/// and `report`'s `fx` write it: amounts to the cent, rates exact.
pub fn fx_json(e: &crate::finance::fx::Exposure) -> Value {
    json!({
        "as_of": e.as_of.to_string(),
        "functional": e.functional,
        "currencies": e.currencies.iter().map(|c| json!({
            "currency": c.currency,
            "open": money(c.open),
            "booked": money(c.booked),
            "at_close": money(c.at_close),
            "unrealised": money(c.unrealised),
            "rate": c.rate.normalize().to_string(),
            "rate_date": c.rate_date.to_string(),
        })).collect::<Vec<_>>(),
        "realised": e.realised.iter().map(|g| json!({
            "month": g.month.to_string(),
            "amount": money(g.amount),
        })).collect::<Vec<_>>(),
        "realised_ttm": money(e.realised_ttm),
    })
}

/// How figures presented in another currency were had: from which currency,
/// and each month's average (flows) and close (balances).
pub fn presentation_json(t: &crate::finance::translate::Translation) -> Value {
    json!({
        "functional": t.from,
        "currency": t.to,
        "rates": t.months.values().map(|r| json!({
            "month": r.month.to_string(),
            "average": r.average.normalize().to_string(),
            "close": r.close.normalize().to_string(),
            "close_date": r.close_date.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The sentence of a translation at month `m` (none when `m` has no rates).
pub fn translation_note(
    t: &crate::finance::translate::Translation,
    m: crate::domain::Month,
    lang: crate::locale::Lang,
) -> Option<String> {
    let r = t.months.get(&m)?;
    Some(presentation_note(
        &t.from,
        &t.to,
        &r.month.to_string(),
        &r.average.normalize().to_string(),
        &r.close.round_dp(6).normalize().to_string(),
        &r.close_date.to_string(),
        lang,
    ))
}

/// The sentence every presented report carries: the currencies and the
/// as-of month's rates.
pub fn presentation_note(
    functional: &str,
    currency: &str,
    month: &str,
    average: &str,
    close: &str,
    close_date: &str,
    lang: crate::locale::Lang,
) -> String {
    let t = |en, es| lang.pick(en, es);
    format!(
        "{} {currency} {} {functional}: {} ({month}: {} {average}, {} {close} {} {close_date}).",
        t("Amounts in", "Montos en"),
        t("translated from", "convertidos de"),
        t(
            "each month's flows at its average rate, balances at its month-end rate",
            "los flujos de cada mes a su tipo de cambio promedio, los saldos al de su cierre"
        ),
        t("average", "promedio"),
        t("close", "cierre"),
        t("of", "del"),
    )
}

/// What a report (or a variance table) is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    Json,
    #[default]
    Md,
    Csv,
    /// The board pack: one self-contained HTML file to print or send.
    Html,
}

/// Entries of the call list in the report.
pub const CALL_LIST_LEN: usize = 10;

/// The report of one company at one as-of month.
pub struct Report<'a> {
    pub company: &'a Company,
    pub snapshot: &'a Snapshot,
}

impl Report<'_> {
    pub fn to_json(&self) -> Value {
        let s = self.snapshot;
        let p = &s.profitability;
        let u = &s.unit_economics;
        let cf = &s.cash_flow;
        let g = &s.growth;
        let c = &s.collections;
        let h = &s.health;
        let mut out = json!({
            "company": self.company.name,
            "currency": self.company.currency,
            "as_of": s.as_of.to_string(),
            "profitability": {
                "revenue_ttm": money(p.revenue_ttm),
                "gross_margin": j_ratio(p.gross_margin),
                "operating_margin": j_ratio(p.operating_margin),
                "ebitda_margin": j_ratio(p.ebitda_margin),
                "net_margin": j_ratio(p.net_margin),
                "break_even_revenue": j_money(p.break_even_revenue),
            },
            "unit_economics": {
                "arpa": j_money(u.arpa),
                "customer_churn": j_ratio(u.customer_churn),
                "ltv": j_money(u.ltv),
                "cac": j_money(u.cac),
                "ltv_to_cac": j_ratio(u.ltv_to_cac),
                "cac_payback_months": j_two(u.cac_payback_months),
                "contribution_per_customer": j_money(u.contribution_per_customer),
            },
            "cash_flow": {
                "cash_end": money(cf.cash_end),
                "net_burn": j_money(cf.net_burn),
                "gross_burn": j_money(cf.gross_burn),
                "runway_months": j_two(cf.runway_months),
                "cash_zero_month": cf.cash_zero_month.map(|m| m.to_string()),
                "bank_cash": cf.bank_cash.as_ref().map(|b| json!({
                    "cash": money(b.cash),
                    "as_of": b.as_of.to_string(),
                    "accounts": b.accounts,
                })),
            },
            "growth": {
                "revenue_mom": j_ratio(g.revenue_mom),
                "revenue_yoy": j_ratio(g.revenue_yoy),
                "revenue_growth_ttm": j_ratio(g.revenue_growth_ttm),
                "cmgr_3": j_ratio(g.cmgr_3),
                "cmgr_12": j_ratio(g.cmgr_12),
                "burn_multiple": j_ratio(g.burn_multiple),
                "rule_of_40": j_ratio(g.rule_of_40),
            },
            "collections": {
                "ar_total": money(c.ar_total),
                "aging": {
                    "current": money(c.aging.current),
                    "d1_30": money(c.aging.d1_30),
                    "d31_60": money(c.aging.d31_60),
                    "d61_90": money(c.aging.d61_90),
                    "d90_plus": money(c.aging.d90_plus),
                },
                "overdue_share": j_ratio(c.overdue_share),
                "dso": j_two(c.dso),
                "cei": j_ratio(c.cei),
                "call_list": c.call_list.iter().take(CALL_LIST_LEN).map(|e| json!({
                    "customer": e.customer,
                    "open": money(e.open),
                    "max_days_past_due": e.max_days_past_due,
                    "score": numbers::two(e.score),
                })).collect::<Vec<_>>(),
            },
            "pricing": {
                "products": s.pricing.iter().map(|p| json!({
                    "sku": p.sku,
                    "name": p.name,
                    "unit_price": money(p.unit_price),
                    "unit_cost": money(p.unit_cost),
                    "contribution_margin": money(p.contribution_margin),
                    "contribution_margin_ratio": j_ratio(p.contribution_margin_ratio),
                    "markup": j_ratio(p.markup),
                    "break_even_units": p.break_even_units,
                    "break_even_revenue": j_money(p.break_even_revenue),
                    "monthly_profit": money(p.monthly_profit),
                })).collect::<Vec<_>>(),
            },
            "health": {
                "profitability": j_two(h.profitability),
                "unit_economics": j_two(h.unit_economics),
                "cash_flow": j_two(h.cash_flow),
                "growth_efficiency": j_two(h.growth_efficiency),
                "total_score": j_two(h.total_score),
                "focus_area": h.focus_area.map(Pillar::key),
            },
            "monthly": s.monthly.iter().map(|m| json!({
                "month": m.month.to_string(),
                "revenue": money(m.revenue),
                "cogs": money(m.cogs),
                "opex": money(m.opex),
                "gross_margin": j_ratio(m.gross_margin),
                "net_income": money(m.net_income),
                "net_cash_flow": j_money(m.net_cash_flow),
                "cash_end": money(m.cash_end),
            })).collect::<Vec<_>>(),
            "month_to_date": s.month_to_date.as_ref().map(|t| json!({
                "from": t.from.to_string(),
                "to": t.to.to_string(),
                "revenue": money(t.revenue),
                "cogs": money(t.cogs),
                "opex": money(t.opex),
                "sales_marketing": money(t.sales_marketing),
                "other_income": money(t.other_income),
                "financing": money(t.financing),
                "net_cash_flow": money(t.net_cash_flow),
                "uncategorised": money(t.uncategorised),
            })),
        });
        if let (Some(Ok(e)), Value::Object(top)) = (&s.fx, &mut out) {
            top.insert("fx".to_owned(), fx_json(e));
        }
        if let (Some(t), Value::Object(top)) = (&s.translation, &mut out) {
            top.insert("presentation".to_owned(), presentation_json(t));
        }
        out
    }

    /// `section,metric,value`: nested keys joined by dots, list items indexed;
    /// top-level scalars (company, currency, as_of) in section `report`; null is empty.
    pub fn to_csv(&self) -> String {
        let mut rows: Vec<[String; 3]> = Vec::new();
        let Value::Object(top) = self.to_json() else {
            return String::new();
        };
        for (key, value) in &top {
            match value {
                Value::Object(_) | Value::Array(_) => flatten(key, "", value, &mut rows),
                _ => rows.push(["report".into(), key.clone(), scalar(value)]),
            }
        }
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let mut out = || -> Result<Vec<u8>, csv::Error> {
            w.write_record(["section", "metric", "value"])?;
            for r in &rows {
                w.write_record(r)?;
            }
            w.flush()?;
            Ok(w.get_ref().clone())
        };
        String::from_utf8(out().unwrap_or_default()).unwrap_or_default()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => crate::sanitize::clean(s),
        other => other.to_string(),
    }
}

fn flatten(section: &str, path: &str, v: &Value, rows: &mut Vec<[String; 3]>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                flatten(section, &join(k), child, rows);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(section, &join(&i.to_string()), child, rows);
            }
        }
        _ => rows.push([section.to_owned(), path.to_owned(), scalar(v)]),
    }
}
