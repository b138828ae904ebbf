//! The alert thresholds docs/metrics.md#alerts defines: the dashboard's
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
        self.watch().check()
    }

    pub fn watch(&self) -> Watch {
        match self {
            Alert::ShortRunway(_) => Watch::Runway,
            Alert::CashZeroSoon(_) => Watch::CashZero,
            Alert::Overdue(_) => Watch::Overdue,
            Alert::NegativeGrossMargin(_) => Watch::GrossMargin,
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

/// What an alert watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    Runway,
    CashZero,
    Overdue,
    GrossMargin,
}

impl Watch {
    pub const ALL: [Watch; 4] = [Watch::Runway, Watch::CashZero, Watch::Overdue, Watch::GrossMargin];

    /// The report key it watches, and its threshold as a rule.
    pub fn check(self) -> (&'static str, &'static str) {
        match self {
            Watch::Runway => ("cash_flow.runway_months", ">= 6"),
            Watch::CashZero => ("cash_flow.cash_zero_month", "more than 12 months after as_of"),
            Watch::Overdue => ("collections.overdue_share", "<= 0.30"),
            Watch::GrossMargin => ("profitability.gross_margin", ">= 0"),
        }
    }
}

/// Where the snapshot stands on a watched value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Number(Decimal),
    Month(Month),
    /// Not computable (no burn, no receivables…): the alert cannot be crossed.
    Missing,
}

/// One threshold: what it watches, the value now, and whether it is crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub watch: Watch,
    pub reading: Reading,
    pub crossed: bool,
}

/// Every threshold, crossed or not, with the snapshot's value (the same order
/// and the same tests as [`alerts`]).
pub fn thresholds(s: &Snapshot) -> Vec<Threshold> {
    let crossed = alerts(s);
    let hit = |w: Watch| crossed.iter().any(|a| a.watch() == w);
    let number = |v: Option<Decimal>| v.map_or(Reading::Missing, Reading::Number);
    Watch::ALL
        .into_iter()
        .map(|watch| Threshold {
            watch,
            reading: match watch {
                Watch::Runway => number(s.cash_flow.runway_months),
                Watch::CashZero => s.cash_flow.cash_zero_month.map_or(Reading::Missing, Reading::Month),
                Watch::Overdue => number(s.collections.overdue_share),
                Watch::GrossMargin => number(s.profitability.gross_margin),
            },
            crossed: hit(watch),
        })
        .collect()
}
