//! The alert thresholds METRICS.md and PRODUCT.md define: the dashboard's
//! Alerts card and `katalis check` read them from here.

use super::Snapshot;
use crate::domain::Month;
use rust_decimal::Decimal;

/// One threshold crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// Runway under 6 months (months left).
    ShortRunway(Decimal),
    /// Cash runs out within 12 months (the month).
    CashZeroSoon(Month),
    /// More than 30% of receivables overdue (the share).
    Overdue(Decimal),
    /// Gross margin below 0 (the margin).
    NegativeGrossMargin(Decimal),
}

impl Alert {
    /// The report key it watches, and its threshold as a rule.
    pub fn check(&self) -> (&'static str, &'static str) {
        match self {
            Alert::ShortRunway(_) => ("cash_flow.runway_months", ">= 6"),
            Alert::CashZeroSoon(_) => ("cash_flow.cash_zero_month", "more than 12 months after as_of"),
            Alert::Overdue(_) => ("collections.overdue_share", "<= 0.30"),
            Alert::NegativeGrossMargin(_) => ("profitability.gross_margin", ">= 0"),
        }
    }
}

/// Every alert the snapshot crosses, in a fixed order.
pub fn alerts(s: &Snapshot) -> Vec<Alert> {
    let mut out = Vec::new();
    if let Some(r) = s.cash_flow.runway_months.filter(|r| *r < Decimal::from(6)) {
        out.push(Alert::ShortRunway(r));
    }
    if let Some(z) = s.cash_flow.cash_zero_month.filter(|z| z.months_since(s.as_of) <= 12) {
        out.push(Alert::CashZeroSoon(z));
    }
    if let Some(o) = s.collections.overdue_share.filter(|o| *o > Decimal::new(30, 2)) {
        out.push(Alert::Overdue(o));
    }
    if let Some(g) = s.profitability.gross_margin.filter(|g| *g < Decimal::ZERO) {
        out.push(Alert::NegativeGrossMargin(g));
    }
    out
}
