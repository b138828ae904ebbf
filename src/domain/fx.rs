//! Exchange rates as published: on a day, one unit of `base` is worth `rate`
//! units of `quote` (Banxico's FIX: 1 USD = 16.9220 MXN; the ECB's reference
//! rates: 1 EUR = 1.0956 USD).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Who published it: `banxico`, `ecb`, `csv`, `manual`.
    pub source: String,
    pub day: NaiveDate,
    /// ISO 4217 codes, upper case.
    pub base: String,
    pub quote: String,
    /// Units of `quote` per unit of `base`; always > 0.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// What an invoice in another currency than its company's keeps of it. The
/// invoice's own `amount` and `paid_amount` are then the functional amounts
/// the engine reads (`round(amount × rate, 2)`), once booked
/// (`finance::fx::book`); before, as a reader hands them on, they are in
/// `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFx {
    /// ISO 4217, upper case; never the company's.
    pub currency: String,
    /// In `currency`.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Functional units per unit of `currency` the invoice was booked at;
    /// `None` until booked (then the published rate of the issue date).
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub rate: Option<Decimal>,
    /// What was paid of it, in `currency`, oldest first; they add up to what
    /// is paid of the invoice.
    #[serde(default)]
    pub payments: Vec<FxPayment>,
}

/// A payment of a foreign invoice: its amount in the invoice's currency and
/// the rate it was received at (the payment's own, else the published rate
/// of its date once booked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxPayment {
    pub date: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub rate: Option<Decimal>,
}

impl InvoiceFx {
    /// What is paid, in the invoice's currency.
    pub fn paid(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }
}

/// A group of companies consolidated in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    /// ISO 4217: the currency the members are consolidated in.
    pub currency: String,
    /// The members' company ids, ascending.
    pub members: Vec<i64>,
    /// Customer names (or RFC) that are the group's own besides its members' names.
    pub intercompany: Vec<String>,
}

/// What `katalis group` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChange {
    Create {
        currency: String,
        members: Vec<i64>,
        intercompany: Vec<String>,
    },
    Add {
        members: Vec<i64>,
        intercompany: Vec<String>,
    },
    Remove {
        members: Vec<i64>,
        intercompany: Vec<String>,
    },
    Delete,
}

/// A group as a backup keeps it: its members by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBackup {
    pub name: String,
    pub currency: String,
    pub members: Vec<String>,
    #[serde(default)]
    pub intercompany: Vec<String>,
}
