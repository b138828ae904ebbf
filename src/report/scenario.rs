//! `scenario project NAME --format json` (docs/json.md#katalis-scenario-project-name---format-json): drivers at the
//! precision they are kept at (rates 6, amounts 2), outputs at report scales.

use crate::domain::{Drivers, Month};
use crate::finance::planning::{AMOUNT_DP, Projection, RATE_DP};
use crate::numbers::{fixed, j_money, j_two, money};
use serde_json::{Value, json};

pub fn drivers_json(d: &Drivers) -> Value {
    let rate = |v| fixed(v, RATE_DP);
    let amount = |v| fixed(v, AMOUNT_DP);
    json!({
        "horizon_months": d.horizon_months,
        "revenue_growth": rate(d.revenue_growth),
        "gross_margin": rate(d.gross_margin),
        "opex_base": amount(d.opex_base),
        "opex_growth": rate(d.opex_growth),
        "other_income": amount(d.other_income),
        "depreciation": amount(d.depreciation),
        "price_change": rate(d.price_change),
        "price_change_month": d.price_change_month,
        "hires": d.hires.iter().map(|h| json!({
            "month": h.month, "count": h.count, "monthly_cost": amount(h.monthly_cost),
        })).collect::<Vec<_>>(),
        "cash_events": d.cash_events.iter().map(|e| json!({
            "month": e.month, "amount": amount(e.amount), "label": e.label,
        })).collect::<Vec<_>>(),
        "discount_rate": rate(d.discount_rate),
    })
}

pub fn projection_json(name: &str, base_month: Month, d: &Drivers, p: &Projection) -> Value {
    json!({
        "scenario": name,
        "base_month": base_month.to_string(),
        "drivers": drivers_json(d),
        "months": p.months.iter().map(|m| json!({
            "month": m.month.to_string(),
            "revenue": money(m.revenue),
            "cogs": money(m.cogs),
            "opex": money(m.opex),
            "net_income": money(m.net_income),
            "net_cash_flow": money(m.net_cash_flow),
            "cash": money(m.cash),
        })).collect::<Vec<_>>(),
        "cash_zero_month": p.cash_zero_month.map(|m| m.to_string()),
        "break_even_month": p.break_even_month.map(|m| m.to_string()),
        "min_cash": money(p.min_cash),
        "cash_at_horizon": money(p.cash_at_horizon),
        "runway_at_horizon": j_two(p.runway_at_horizon),
        "npv": j_money(Some(p.npv)),
    })
}
