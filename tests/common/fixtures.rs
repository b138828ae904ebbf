//! The engine's test values, written the way the docs write them.

use chrono::NaiveDate;
use katalis::domain::{Invoice, Month};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn m(s: &str) -> Month {
    s.parse().unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// An invoice of `amount`, `paid` of it paid on `paid_on`.
pub fn inv(n: &str, c: &str, issue: &str, due: &str, amount: i64, paid: i64, paid_on: Option<&str>) -> Invoice {
    Invoice {
        number: n.into(),
        customer: c.into(),
        issue_date: day(issue),
        due_date: day(due),
        amount: Decimal::from(amount),
        paid_amount: Decimal::from(paid),
        paid_date: paid_on.map(day),
        fx: None,
    }
}
