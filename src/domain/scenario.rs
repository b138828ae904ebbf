//! Planning drivers (docs/metrics.md#planning).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A hire: `count` people at `monthly_cost` each from projection month `month` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hire {
    pub month: u32,
    pub count: u32,
    pub monthly_cost: Decimal,
}

/// A one-off cash movement in projection month `month` (+ funding, − repayment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashEvent {
    pub month: u32,
    pub amount: Decimal,
    pub label: String,
}

/// The drivers of a projection. Rates are kept at 6 decimals, amounts at 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drivers {
    pub horizon_months: u32,
    pub revenue_growth: Decimal,
    pub gross_margin: Decimal,
    pub opex_base: Decimal,
    pub opex_growth: Decimal,
    pub other_income: Decimal,
    pub depreciation: Decimal,
    pub price_change: Decimal,
    pub price_change_month: u32,
    pub hires: Vec<Hire>,
    pub cash_events: Vec<CashEvent>,
    pub discount_rate: Decimal,
}
