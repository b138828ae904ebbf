//! Profitability over the trailing twelve months (docs/metrics.md#profitability-ttm-sums).

use super::ledger::{Ledger, ratio};
use crate::domain::{Month, MonthlyFinancials};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profitability {
    /// Σ revenue over TTM.
    pub revenue_ttm: Decimal,
    /// (Σ revenue − Σ cogs) / Σ revenue over TTM.
    pub gross_margin: Option<Decimal>,
    /// (Σ revenue − Σ cogs − Σ opex) / Σ revenue over TTM.
    pub operating_margin: Option<Decimal>,
    /// (Σ revenue − Σ cogs − Σ opex + Σ depreciation) / Σ revenue over TTM.
    pub ebitda_margin: Option<Decimal>,
    /// (Σ revenue − Σ cogs − Σ opex + Σ other_income) / Σ revenue over TTM.
    pub net_margin: Option<Decimal>,
    /// Monthly: mean T3M opex / gross_margin_3m; `None` if that margin is ≤ 0 or unknown.
    pub break_even_revenue: Option<Decimal>,
}

/// Sums of a set of months, the base of every margin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodTotals {
    pub revenue: Decimal,
    pub cogs: Decimal,
    pub opex: Decimal,
    pub depreciation: Decimal,
    pub other_income: Decimal,
    pub months: u32,
}

impl PeriodTotals {
    pub fn of<'a>(rows: impl Iterator<Item = &'a MonthlyFinancials>) -> PeriodTotals {
        rows.fold(PeriodTotals::default(), |t, r| PeriodTotals {
            revenue: t.revenue + r.revenue,
            cogs: t.cogs + r.cogs,
            opex: t.opex + r.opex,
            depreciation: t.depreciation + r.depreciation_or_zero(),
            other_income: t.other_income + r.other_income_or_zero(),
            months: t.months + 1,
        })
    }
    pub fn gross_profit(&self) -> Decimal {
        self.revenue - self.cogs
    }
    pub fn operating_income(&self) -> Decimal {
        self.gross_profit() - self.opex
    }
    pub fn ebitda(&self) -> Decimal {
        self.operating_income() + self.depreciation
    }
    pub fn net_income(&self) -> Decimal {
        self.operating_income() + self.other_income
    }
    pub fn gross_margin(&self) -> Option<Decimal> {
        ratio(self.gross_profit(), self.revenue)
    }
    pub fn operating_margin(&self) -> Option<Decimal> {
        ratio(self.operating_income(), self.revenue)
    }
    pub fn ebitda_margin(&self) -> Option<Decimal> {
        ratio(self.ebitda(), self.revenue)
    }
    pub fn net_margin(&self) -> Option<Decimal> {
        ratio(self.net_income(), self.revenue)
    }
}

pub fn profitability(ledger: &Ledger, m: Month) -> Profitability {
    let ttm = PeriodTotals::of(ledger.ttm(m));
    Profitability {
        revenue_ttm: ttm.revenue,
        gross_margin: ttm.gross_margin(),
        operating_margin: ttm.operating_margin(),
        ebitda_margin: ttm.ebitda_margin(),
        net_margin: ttm.net_margin(),
        break_even_revenue: break_even_revenue(ledger, m),
    }
}

/// Contribution-margin break-even: mean T3M opex (fixed) / gross_margin_3m.
pub fn break_even_revenue(ledger: &Ledger, m: Month) -> Option<Decimal> {
    let gm = ledger.gross_margin_3m(m)?;
    if gm <= Decimal::ZERO {
        return None;
    }
    ledger.mean_t3m(m, |r| r.opex)?.checked_div(gm)
}

/// Totals of the current fiscal year up to M (year to date).
pub fn year_to_date(ledger: &Ledger, m: Month, fiscal_year_start: u32) -> PeriodTotals {
    let back = (m.month() as i32 - fiscal_year_start as i32).rem_euclid(12);
    PeriodTotals::of(ledger.window(m, back + 1))
}

/// gross_margin(m) = (revenue − cogs) / revenue.
pub fn monthly_gross_margin(row: &MonthlyFinancials) -> Option<Decimal> {
    ratio(row.revenue - row.cogs, row.revenue)
}

/// net_income(m) = revenue − cogs − opex + other_income.
pub fn monthly_net_income(row: &MonthlyFinancials) -> Decimal {
    row.revenue - row.cogs - row.opex + row.other_income_or_zero()
}
