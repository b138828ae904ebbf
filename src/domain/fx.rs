//! Exchange rates as published: on a day, one unit of `base` is worth `rate`
//! units of `quote` (Banxico's FIX: 1 USD = 16.9220 MXN; the ECB's reference
//! rates: 1 EUR = 1.0956 USD).

use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// Who published it: `banxico`, `ecb`, `csv`, `manual`.
    pub source: String,
    pub day: NaiveDate,
    /// ISO 4217 codes, upper case.
    pub base: String,
    pub quote: String,
    /// Units of `quote` per unit of `base`; always > 0.
    pub rate: Decimal,
}
