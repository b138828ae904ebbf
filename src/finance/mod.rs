//! The metric engine: pure functions over domain types, no I/O, no async.
//! Every number Katalis shows is computed here, as docs/metrics.md defines it.

pub mod advice;
pub mod alerts;
pub mod bank;
pub mod cash_flow;
pub mod collections;
pub mod forecast;
pub mod fx;
pub mod group;
pub mod growth;
pub mod health;
pub mod ledger;
pub mod planning;
pub mod pricing;
pub mod profitability;
pub mod receivables;
pub mod reconcile;
pub mod rules;
pub mod translate;
pub mod unit_economics;
pub mod variance;

pub use cash_flow::CashFlow;
pub use collections::{Collections, CollectionsInput};
pub use growth::Growth;
pub use health::{Health, Pillar};
pub use ledger::Ledger;
pub use pricing::ProductEconomics;
pub use profitability::Profitability;
pub use unit_economics::UnitEconomics;

use crate::domain::{Month, MonthlyFinancials, Product};
use rust_decimal::Decimal;

/// `m × 10^-scale`, a shorthand for constants.
pub(crate) fn dec(m: i64, scale: u32) -> Decimal {
    Decimal::new(m, scale)
}

/// Why metrics cannot be computed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the company has no monthly financials yet; import a financials CSV first")]
    NoFinancials,
    #[error("no financials for {0}; pick a month that has a row (--as-of YYYY-MM)")]
    NoRowForMonth(Month),
}

/// Chooses M: the requested month, which must have a row, else the latest month.
pub fn as_of_month(ledger: &Ledger, requested: Option<Month>) -> Result<Month, EngineError> {
    match requested {
        Some(m) if ledger.get(m).is_some() => Ok(m),
        Some(m) => Err(EngineError::NoRowForMonth(m)),
        None => ledger.latest_month().ok_or(EngineError::NoFinancials),
    }
}

/// One month of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSummary {
    pub month: Month,
    pub revenue: Decimal,
    pub cogs: Decimal,
    pub opex: Decimal,
    pub gross_margin: Option<Decimal>,
    pub net_income: Decimal,
    pub net_cash_flow: Option<Decimal>,
    pub cash_end: Decimal,
}

/// Every module's metrics at one as-of month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub as_of: Month,
    pub profitability: Profitability,
    pub unit_economics: UnitEconomics,
    pub cash_flow: CashFlow,
    pub growth: Growth,
    pub collections: Collections,
    pub pricing: Vec<ProductEconomics>,
    pub health: Health,
    pub monthly: Vec<MonthSummary>,
    /// The month after the latest closed one, from the bank (provisional).
    pub month_to_date: Option<reconcile::MonthToDate>,
    /// The exposure to the invoices' other currencies (none when every
    /// invoice is in the company's), or the rate it lacks.
    pub fx: Option<Result<fx::Exposure, fx::FxError>>,
    /// Set when the figures are presented in another currency than the
    /// company's: from which, and at which rates.
    pub translation: Option<translate::Translation>,
}

/// Computes every metric at M from the ledger, the products and the reduced invoices.
pub fn snapshot(ledger: &Ledger, m: Month, products: &[Product], receivables: &CollectionsInput) -> Snapshot {
    let profitability = profitability::profitability(ledger, m);
    let unit_economics = unit_economics::unit_economics(ledger, m);
    let cash_flow = cash_flow::cash_flow(ledger, m);
    let growth = growth::growth(ledger, m, profitability.ebitda_margin);
    let collections = collections::collections(receivables, m);
    let health = health::health(&health::HealthInputs {
        profitability: &profitability,
        unit_economics: &unit_economics,
        cash_flow: &cash_flow,
        collections: &collections,
        growth: &growth,
        burn_multiple: growth::burn_multiple(ledger, m),
    });
    Snapshot {
        month_to_date: None,
        fx: None,
        translation: None,
        as_of: m,
        monthly: ledger.up_to(m).map(|r| month_summary(ledger, r)).collect(),
        pricing: pricing::pricing(products),
        profitability,
        unit_economics,
        cash_flow,
        growth,
        collections,
        health,
    }
}

pub fn month_summary(ledger: &Ledger, r: &MonthlyFinancials) -> MonthSummary {
    MonthSummary {
        month: r.month,
        revenue: r.revenue,
        cogs: r.cogs,
        opex: r.opex,
        gross_margin: profitability::monthly_gross_margin(r),
        net_income: profitability::monthly_net_income(r),
        net_cash_flow: ledger.net_cash_flow(r.month),
        cash_end: r.cash_end,
    }
}
