//! What-if figures the advisors cite: computed here, by the engine, so that an
//! agent (a model or the local rules) explains numbers and never makes them up.

use super::cash_flow::CashFlow;
use super::collections::Collections;
use super::ledger::{Ledger, ratio};
use crate::domain::{Month, Product};
use rust_decimal::Decimal;
use serde::Serialize;

/// Cutting opex by `share` of its T3M mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpexCut {
    pub share: Decimal,
    pub monthly_saving: Decimal,
    /// Runway after the cut; `None` when the cut ends the burn.
    pub runway_months: Option<Decimal>,
    /// Months of runway the cut adds; `None` when it ends the burn.
    pub months_gained: Option<Decimal>,
}

/// The effect of an opex cut on runway, or `None` when the company is not burning.
pub fn opex_cut(ledger: &Ledger, m: Month, cash: &CashFlow, share: Decimal) -> Option<OpexCut> {
    let burn = cash.net_burn.filter(|b| *b > Decimal::ZERO)?;
    let before = cash.runway_months?;
    let saving = ledger.mean_t3m(m, |r| r.opex)? * share;
    let after_burn = burn - saving;
    let runway = if after_burn > Decimal::ZERO {
        ratio(cash.cash_end.max(Decimal::ZERO), after_burn)
    } else {
        None
    };
    Some(OpexCut {
        share,
        monthly_saving: saving,
        months_gained: runway.map(|r| r - before),
        runway_months: runway,
    })
}

/// A price rise on one product at the current volume (a product sold below
/// cost goes at least to its cost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceMove {
    pub sku: String,
    pub name: String,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub margin: Option<Decimal>,
    pub target_price: Decimal,
    pub target_margin: Option<Decimal>,
    /// (target_price − unit_price) × monthly_units.
    pub monthly_gain: Decimal,
}

pub fn price_moves(products: &[Product], rise: Decimal) -> Vec<PriceMove> {
    products
        .iter()
        .map(|p| {
            // Rounded up to the cent.
            let up = |v: Decimal| v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity);
            let price = up((p.unit_price * (Decimal::ONE + rise)).max(p.unit_cost));
            PriceMove {
                sku: p.sku.clone(),
                name: p.name.clone(),
                unit_price: p.unit_price,
                unit_cost: p.unit_cost,
                margin: ratio(p.unit_price - p.unit_cost, p.unit_price),
                target_margin: ratio(price - p.unit_cost, price),
                monthly_gain: (price - p.unit_price) * p.monthly_units,
                target_price: price,
            }
        })
        .collect()
}

/// How concentrated and how late the receivables are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receivables {
    pub overdue: Decimal,
    /// Open amount of the first three of the call list, and their share of AR.
    pub top3_open: Decimal,
    pub top3_share: Option<Decimal>,
}

pub fn receivables(c: &Collections) -> Receivables {
    let top3: Decimal = c.call_list.iter().take(3).map(|e| e.open).sum();
    Receivables {
        overdue: c.ar_total - c.aging.current,
        top3_open: top3,
        top3_share: ratio(top3, c.ar_total),
    }
}
