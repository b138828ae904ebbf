//! Growth and efficiency (docs/metrics.md#growth).

use super::ledger::{Ledger, ratio};
use super::profitability::PeriodTotals;
use crate::domain::Month;
use rust_decimal::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Growth {
    pub revenue_mom: Option<Decimal>,
    pub revenue_yoy: Option<Decimal>,
    pub revenue_growth_ttm: Option<Decimal>,
    pub cmgr_3: Option<Decimal>,
    pub cmgr_12: Option<Decimal>,
    pub burn_multiple: Option<Decimal>,
    pub rule_of_40: Option<Decimal>,
}

pub fn growth(ledger: &Ledger, m: Month, ebitda_margin: Option<Decimal>) -> Growth {
    let revenue_growth_ttm = revenue_growth_ttm(ledger, m);
    Growth {
        revenue_mom: period_growth(ledger, m, 1),
        revenue_yoy: period_growth(ledger, m, 12),
        revenue_growth_ttm,
        cmgr_3: cmgr(ledger, m, 3),
        cmgr_12: cmgr(ledger, m, 12),
        burn_multiple: match burn_multiple(ledger, m) {
            BurnMultiple::Value(v) => Some(v),
            BurnMultiple::NotBurning => Some(Decimal::ZERO),
            _ => None,
        },
        rule_of_40: match (revenue_growth_ttm, ebitda_margin) {
            (Some(g), Some(e)) => Some(g + e),
            _ => None,
        },
    }
}

/// revenue(M) / revenue(M−k) − 1; `None` if revenue(M−k) is missing or ≤ 0.
fn period_growth(ledger: &Ledger, m: Month, k: i32) -> Option<Decimal> {
    let now = ledger.revenue(m)?;
    let then = ledger.revenue(m.plus(-k)).filter(|r| *r > Decimal::ZERO)?;
    Some(ratio(now, then)? - Decimal::ONE)
}

/// Σ revenue TTM / Σ revenue PTTM − 1; needs all 24 months and a positive PTTM.
fn revenue_growth_ttm(ledger: &Ledger, m: Month) -> Option<Decimal> {
    if (0..24).any(|k| ledger.get(m.plus(-k)).is_none()) {
        return None;
    }
    let ttm = PeriodTotals::of(ledger.ttm(m)).revenue;
    let pttm = PeriodTotals::of(ledger.window(m.plus(-12), 12)).revenue;
    if pttm <= Decimal::ZERO {
        return None;
    }
    Some(ratio(ttm, pttm)? - Decimal::ONE)
}

/// Compound monthly growth over `n` intervals: (revenue(M)/revenue(M−n))^(1/n) − 1.
/// revenue(M) = 0 gives −1.
pub fn cmgr(ledger: &Ledger, m: Month, n: u32) -> Option<Decimal> {
    let now = ledger.revenue(m)?;
    let then = ledger.revenue(m.plus(-(n as i32)))?;
    if then <= Decimal::ZERO || now < Decimal::ZERO {
        return None;
    }
    let base = ratio(now, then)?;
    Some(nth_root(base, n)? - Decimal::ONE)
}

/// The real, non-negative `n`-th root of a non-negative decimal: a start from
/// `powd` refined by Newton's method in exact decimal arithmetic until it stops
/// moving, so the result is good to the last representable digit.
pub fn nth_root(x: Decimal, n: u32) -> Option<Decimal> {
    if x.is_sign_negative() && !x.is_zero() || n == 0 {
        return None;
    }
    if x.is_zero() || n == 1 || x == Decimal::ONE {
        return Some(x);
    }
    let nd = Decimal::from(n);
    let mut y = x
        .checked_powd(Decimal::ONE / nd)
        .filter(|y| *y > Decimal::ZERO)
        .unwrap_or(Decimal::ONE);
    for _ in 0..200 {
        let p = y.checked_powu(u64::from(n - 1))?;
        let next = ((nd - Decimal::ONE) * y + x.checked_div(p)?) / nd;
        if next == y {
            break;
        }
        y = next;
    }
    Some(y.normalize())
}

/// The burn multiple's cases, kept apart because the health score treats them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurnMultiple {
    /// No month of T3M defines operating cash flow, or revenue(M−3) is missing.
    Unknown,
    /// burn_3m ≤ 0.
    NotBurning,
    /// Burning while net new ARR ≤ 0.
    NoNewArr,
    Value(Decimal),
}

/// burn_3m / net_new_arr with burn_3m = −Σ operating cash flow over T3M and
/// net_new_arr = (revenue(M) − revenue(M−3)) × 12.
pub fn burn_multiple(ledger: &Ledger, m: Month) -> BurnMultiple {
    let ocf: Vec<Decimal> = (0..3).filter_map(|k| ledger.operating_cash_flow(m.plus(-k))).collect();
    let (Some(now), Some(then)) = (ledger.revenue(m), ledger.revenue(m.plus(-3))) else {
        return BurnMultiple::Unknown;
    };
    if ocf.is_empty() {
        return BurnMultiple::Unknown;
    }
    let burn = -ocf.iter().copied().sum::<Decimal>();
    if burn <= Decimal::ZERO {
        return BurnMultiple::NotBurning;
    }
    let net_new_arr = (now - then) * Decimal::from(12);
    if net_new_arr <= Decimal::ZERO {
        return BurnMultiple::NoNewArr;
    }
    ratio(burn, net_new_arr).map_or(BurnMultiple::Unknown, BurnMultiple::Value)
}
