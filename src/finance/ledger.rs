//! The monthly financials of one company, indexed by calendar month, with the
//! window helpers every metric uses (T3M, TTM, PTTM).

use crate::domain::{Month, MonthlyFinancials};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Monthly rows keyed by calendar month. A month without a row is absent, never
/// filled from a neighbour.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    rows: BTreeMap<Month, MonthlyFinancials>,
}

impl Ledger {
    pub fn new(rows: impl IntoIterator<Item = MonthlyFinancials>) -> Ledger {
        Ledger {
            rows: rows.into_iter().map(|r| (r.month, r)).collect(),
        }
    }

    /// Every month, ascending.
    pub fn rows(&self) -> impl Iterator<Item = &MonthlyFinancials> {
        self.rows.values()
    }

    pub fn get(&self, m: Month) -> Option<&MonthlyFinancials> {
        self.rows.get(&m)
    }

    pub fn latest_month(&self) -> Option<Month> {
        self.rows.keys().next_back().copied()
    }

    /// All rows up to and including `m`, oldest first.
    pub fn up_to(&self, m: Month) -> impl Iterator<Item = &MonthlyFinancials> {
        self.rows.range(..=m).map(|(_, r)| r)
    }

    /// The rows that exist among the `len` calendar months ending at `end`, oldest first.
    pub fn window(&self, end: Month, len: i32) -> impl Iterator<Item = &MonthlyFinancials> {
        self.rows.range(end.plus(1 - len)..=end).map(|(_, r)| r)
    }

    /// T3M: M−2..M.
    pub fn t3m(&self, m: Month) -> impl Iterator<Item = &MonthlyFinancials> {
        self.window(m, 3)
    }

    /// TTM: M−11..M.
    pub fn ttm(&self, m: Month) -> impl Iterator<Item = &MonthlyFinancials> {
        self.window(m, 12)
    }

    /// Revenue of calendar month `m`, `None` without a row.
    pub fn revenue(&self, m: Month) -> Option<Decimal> {
        self.get(m).map(|r| r.revenue)
    }

    /// cash_end(m) − cash_end(m−1); `None` if either row is missing.
    pub fn net_cash_flow(&self, m: Month) -> Option<Decimal> {
        Some(self.get(m)?.cash_end - self.get(m.plus(-1))?.cash_end)
    }

    /// net_cash_flow(m) − financing(m), unknown financing counted as 0.
    pub fn operating_cash_flow(&self, m: Month) -> Option<Decimal> {
        let financing = self.get(m)?.financing.unwrap_or_default();
        Some(self.net_cash_flow(m)? - financing)
    }

    /// (Σ revenue − Σ cogs) / Σ revenue over T3M; `None` without rows or with zero revenue.
    pub fn gross_margin_3m(&self, m: Month) -> Option<Decimal> {
        let (rev, cogs) = self.t3m(m).fold((Decimal::ZERO, Decimal::ZERO), |(r, c), row| {
            (r + row.revenue, c + row.cogs)
        });
        ratio(rev - cogs, rev)
    }

    /// Mean over the rows of T3M of `f`; `None` without rows.
    pub fn mean_t3m(&self, m: Month, f: impl Fn(&MonthlyFinancials) -> Decimal) -> Option<Decimal> {
        mean(self.t3m(m).map(f))
    }
}

/// `num / den`, `None` when `den` is zero.
pub fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    if den.is_zero() { None } else { num.checked_div(den) }
}

/// Arithmetic mean; `None` for no values.
pub fn mean(values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    let (sum, n) = values.fold((Decimal::ZERO, 0u32), |(s, n), v| (s + v, n + 1));
    ratio(sum, Decimal::from(n))
}
