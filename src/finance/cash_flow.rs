//! Cash flow, burn and runway (docs/metrics.md#cash-flow).

use super::ledger::{Ledger, mean, ratio};
use crate::domain::Month;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashFlow {
    pub cash_end: Decimal,
    /// max(0, −mean operating cash flow) over the months of T3M where it is defined.
    pub net_burn: Option<Decimal>,
    /// Mean over T3M of cogs + opex − depreciation.
    pub gross_burn: Option<Decimal>,
    /// cash_end / net_burn; `None` when not burning; 0 when cash is gone.
    pub runway_months: Option<Decimal>,
    /// M + ceil(cash_end / net_burn); M when cash is gone; `None` when not burning.
    pub cash_zero_month: Option<Month>,
    /// The bank's cash when statements are newer than the month end (set
    /// from the company's accounts by `company::Books::snapshot`).
    pub bank_cash: Option<super::bank::BankCash>,
}

pub fn cash_flow(ledger: &Ledger, m: Month) -> CashFlow {
    let cash_end = ledger.get(m).map(|r| r.cash_end).unwrap_or_default();
    let net_burn = net_burn(ledger, m);
    let gross_burn = ledger.mean_t3m(m, |r| r.cogs + r.opex - r.depreciation_or_zero());
    let burning = net_burn.filter(|b| !b.is_zero());
    let (runway_months, cash_zero_month) = match burning {
        None => (None, None),
        Some(_) if cash_end <= Decimal::ZERO => (Some(Decimal::ZERO), Some(m)),
        Some(burn) => {
            let runway = ratio(cash_end, burn);
            let zero = runway.and_then(|r| {
                let months = r.ceil().to_i32()?;
                Some(m.plus(months))
            });
            (runway, zero)
        }
    };
    CashFlow {
        cash_end,
        net_burn,
        gross_burn,
        runway_months,
        cash_zero_month,
        bank_cash: None,
    }
}

/// max(0, −mean operating_cash_flow) over T3M months where it is defined.
pub fn net_burn(ledger: &Ledger, m: Month) -> Option<Decimal> {
    let ocf = mean((0..3).filter_map(|k| ledger.operating_cash_flow(m.plus(-k))))?;
    Some((-ocf).max(Decimal::ZERO))
}
