//! Budget vs actual (docs/metrics.md#13-week-cash-forecast-and-budget-vs-actual).

use super::ledger::{Ledger, ratio};
use super::planning::Projection;
use super::profitability::monthly_net_income;
use crate::domain::Month;
use rust_decimal::Decimal;
use serde::Serialize;

/// The lines compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    Revenue,
    Cogs,
    Opex,
    NetIncome,
    Cash,
}

impl Line {
    pub const ALL: [Line; 5] = [Line::Revenue, Line::Cogs, Line::Opex, Line::NetIncome, Line::Cash];

    /// Costs are unfavourable above budget; the rest below it.
    pub fn unfavourable(self, variance: Decimal) -> bool {
        match self {
            Line::Cogs | Line::Opex => variance > Decimal::ZERO,
            _ => variance < Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variance {
    pub month: Month,
    pub line: Line,
    pub budget: Decimal,
    pub actual: Decimal,
    /// actual − budget.
    pub variance: Decimal,
    /// variance / |budget|; `None` when the budget is 0.
    pub variance_pct: Option<Decimal>,
    pub unfavourable: bool,
}

/// Every month with both a budget row and actuals, every line; `plan` is the
/// budget's projection from its frozen start.
pub fn budget_vs_actual(ledger: &Ledger, plan: &Projection) -> Vec<Variance> {
    let mut out = Vec::new();
    for row in &plan.months {
        let Some(actual) = ledger.get(row.month) else { continue };
        for line in Line::ALL {
            let (b, a) = match line {
                Line::Revenue => (row.revenue, actual.revenue),
                Line::Cogs => (row.cogs, actual.cogs),
                Line::Opex => (row.opex, actual.opex),
                Line::NetIncome => (row.net_income, monthly_net_income(actual)),
                Line::Cash => (row.cash, actual.cash_end),
            };
            let variance = a - b;
            out.push(Variance {
                month: row.month,
                line,
                budget: b,
                actual: a,
                variance,
                variance_pct: ratio(variance, b.abs()),
                unfavourable: line.unfavourable(variance),
            });
        }
    }
    out
}

/// The `n` most unfavourable variances by amount, worst first.
pub fn worst(variances: &[Variance], n: usize) -> Vec<&Variance> {
    let mut bad: Vec<&Variance> = variances.iter().filter(|v| v.unfavourable).collect();
    bad.sort_by(|a, b| b.variance.abs().cmp(&a.variance.abs()).then(a.month.cmp(&b.month)));
    bad.truncate(n);
    bad
}
