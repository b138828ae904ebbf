//! The planning projection, the base scenario's drivers and goal seek
//! (docs/metrics.md#planning).

use super::growth::{cmgr, nth_root};
use super::ledger::{Ledger, ratio};
use crate::domain::{Drivers, Month};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Decimals kept for rate drivers.
pub const RATE_DP: u32 = 6;
/// Decimals kept for amount drivers.
pub const AMOUNT_DP: u32 = 2;

pub fn round_rate(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(RATE_DP, RoundingStrategy::MidpointNearestEven)
}

pub fn round_amount(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(AMOUNT_DP, RoundingStrategy::MidpointNearestEven)
}

/// The base scenario: the recent trend continued, each value rounded as derived.
pub fn base_drivers(ledger: &Ledger, m: Month) -> Drivers {
    Drivers {
        horizon_months: 24,
        revenue_growth: round_rate(cmgr(ledger, m, 3).unwrap_or_default()),
        gross_margin: round_rate(ledger.gross_margin_3m(m).unwrap_or_default()),
        opex_base: round_amount(ledger.mean_t3m(m, |r| r.opex).unwrap_or_default()),
        opex_growth: Decimal::ZERO,
        other_income: round_amount(ledger.mean_t3m(m, |r| r.other_income_or_zero()).unwrap_or_default()),
        depreciation: round_amount(ledger.mean_t3m(m, |r| r.depreciation_or_zero()).unwrap_or_default()),
        price_change: Decimal::ZERO,
        price_change_month: 1,
        hires: Vec::new(),
        cash_events: Vec::new(),
        discount_rate: Decimal::new(12, 2),
    }
}

/// Where a projection starts: revenue(M) and cash_end(M).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    pub month: Month,
    pub revenue: Decimal,
    pub cash: Decimal,
}

impl Start {
    pub fn from_ledger(ledger: &Ledger, m: Month) -> Option<Start> {
        let row = ledger.get(m)?;
        Some(Start {
            month: m,
            revenue: row.revenue,
            cash: row.cash_end,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectedMonth {
    pub month: Month,
    pub revenue: Decimal,
    pub cogs: Decimal,
    pub opex: Decimal,
    pub net_income: Decimal,
    pub net_cash_flow: Decimal,
    pub cash: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Projection {
    pub months: Vec<ProjectedMonth>,
    /// First month with cash ≤ 0.
    pub cash_zero_month: Option<Month>,
    /// First month with net income ≥ 0.
    pub break_even_month: Option<Month>,
    /// Index (1-based) of `break_even_month`.
    pub break_even_index: Option<u32>,
    pub min_cash: Decimal,
    pub cash_at_horizon: Decimal,
    /// cash_H / burn_H, burn_H = −(ncf_H − cash events in H); `None` when not burning.
    pub runway_at_horizon: Option<Decimal>,
    /// Σ ncf_k / (1 + discount_rate)^(k/12).
    pub npv: Decimal,
}

/// Projects `d` from `start`, month by month, as docs/metrics.md#planning defines.
pub fn project(start: Start, d: &Drivers) -> Projection {
    let horizon = d.horizon_months.max(1);
    let growth = Decimal::ONE + d.revenue_growth;
    let opex_growth = Decimal::ONE + d.opex_growth;
    let monthly_discount = nth_root(Decimal::ONE + d.discount_rate, 12).unwrap_or(Decimal::ONE);
    let mut volume = start.revenue;
    let mut opex_base = d.opex_base;
    let mut discount = Decimal::ONE;
    let mut cash = start.cash;
    let mut out = Projection {
        months: Vec::with_capacity(horizon as usize),
        cash_zero_month: None,
        break_even_month: None,
        break_even_index: None,
        min_cash: Decimal::ZERO,
        cash_at_horizon: Decimal::ZERO,
        runway_at_horizon: None,
        npv: Decimal::ZERO,
    };
    let mut events_last = Decimal::ZERO;
    for k in 1..=horizon {
        let month = start.month.plus(k as i32);
        volume *= growth;
        opex_base *= opex_growth;
        discount *= monthly_discount;
        let price = if k >= d.price_change_month {
            Decimal::ONE + d.price_change
        } else {
            Decimal::ONE
        };
        let revenue = volume * price;
        let cogs = volume * (Decimal::ONE - d.gross_margin);
        let hires: Decimal = d
            .hires
            .iter()
            .filter(|h| h.month <= k)
            .map(|h| Decimal::from(h.count) * h.monthly_cost)
            .sum();
        let opex = opex_base + hires;
        let net_income = revenue - cogs - opex + d.other_income;
        let events: Decimal = d.cash_events.iter().filter(|e| e.month == k).map(|e| e.amount).sum();
        let ncf = net_income + d.depreciation + events;
        cash += ncf;
        out.npv += ratio(ncf, discount).unwrap_or_default();
        if out.cash_zero_month.is_none() && cash <= Decimal::ZERO {
            out.cash_zero_month = Some(month);
        }
        if out.break_even_month.is_none() && net_income >= Decimal::ZERO {
            out.break_even_month = Some(month);
            out.break_even_index = Some(k);
        }
        out.min_cash = if k == 1 { cash } else { out.min_cash.min(cash) };
        events_last = events;
        out.months.push(ProjectedMonth {
            month,
            revenue,
            cogs,
            opex,
            net_income,
            net_cash_flow: ncf,
            cash,
        });
    }
    let last_ncf = out.months.last().map(|r| r.net_cash_flow).unwrap_or_default();
    out.cash_at_horizon = cash;
    let burn = -(last_ncf - events_last);
    out.runway_at_horizon = if burn <= Decimal::ZERO {
        None
    } else if cash <= Decimal::ZERO {
        Some(Decimal::ZERO)
    } else {
        ratio(cash, burn)
    };
    out
}

/// The continuous drivers goal seek may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverKey {
    RevenueGrowth,
    GrossMargin,
    OpexBase,
    OpexGrowth,
    OtherIncome,
    Depreciation,
    PriceChange,
    DiscountRate,
}

impl DriverKey {
    pub const ALL: [DriverKey; 8] = [
        DriverKey::RevenueGrowth,
        DriverKey::GrossMargin,
        DriverKey::OpexBase,
        DriverKey::OpexGrowth,
        DriverKey::OtherIncome,
        DriverKey::Depreciation,
        DriverKey::PriceChange,
        DriverKey::DiscountRate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DriverKey::RevenueGrowth => "revenue_growth",
            DriverKey::GrossMargin => "gross_margin",
            DriverKey::OpexBase => "opex_base",
            DriverKey::OpexGrowth => "opex_growth",
            DriverKey::OtherIncome => "other_income",
            DriverKey::Depreciation => "depreciation",
            DriverKey::PriceChange => "price_change",
            DriverKey::DiscountRate => "discount_rate",
        }
    }

    pub fn parse(s: &str) -> Option<DriverKey> {
        DriverKey::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn is_rate(self) -> bool {
        !matches!(
            self,
            DriverKey::OpexBase | DriverKey::OtherIncome | DriverKey::Depreciation
        )
    }

    pub fn get(self, d: &Drivers) -> Decimal {
        match self {
            DriverKey::RevenueGrowth => d.revenue_growth,
            DriverKey::GrossMargin => d.gross_margin,
            DriverKey::OpexBase => d.opex_base,
            DriverKey::OpexGrowth => d.opex_growth,
            DriverKey::OtherIncome => d.other_income,
            DriverKey::Depreciation => d.depreciation,
            DriverKey::PriceChange => d.price_change,
            DriverKey::DiscountRate => d.discount_rate,
        }
    }

    /// Sets the value as given (no rounding: goal seek probes exact values).
    pub fn set(self, d: &mut Drivers, v: Decimal) {
        let slot = match self {
            DriverKey::RevenueGrowth => &mut d.revenue_growth,
            DriverKey::GrossMargin => &mut d.gross_margin,
            DriverKey::OpexBase => &mut d.opex_base,
            DriverKey::OpexGrowth => &mut d.opex_growth,
            DriverKey::OtherIncome => &mut d.other_income,
            DriverKey::Depreciation => &mut d.depreciation,
            DriverKey::PriceChange => &mut d.price_change,
            DriverKey::DiscountRate => &mut d.discount_rate,
        };
        *slot = v;
    }
}

/// A goal-seek target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    MinCashNonNegative,
    RunwayAtHorizonAtLeast(Decimal),
    BreakEvenBy(u32),
}

impl Target {
    pub fn met(self, p: &Projection) -> bool {
        match self {
            Target::MinCashNonNegative => p.min_cash >= Decimal::ZERO,
            Target::RunwayAtHorizonAtLeast(n) => p.runway_at_horizon.is_none_or(|r| r >= n),
            Target::BreakEvenBy(k) => p.break_even_index.is_some_and(|i| i <= k),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::MinCashNonNegative => write!(f, "min_cash>=0"),
            Target::RunwayAtHorizonAtLeast(n) => write!(f, "runway_at_horizon>={n}"),
            Target::BreakEvenBy(k) => write!(f, "break_even_by={k}"),
        }
    }
}

/// The answer of a goal seek: `value` is `None` when no value in the bounds meets the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalSeek {
    pub value: Option<Decimal>,
}

/// Bisection on one driver between `min` and `max`, as docs/metrics.md#planning defines for goal seek.
pub fn goal_seek(
    start: Start,
    drivers: &Drivers,
    key: DriverKey,
    target: Target,
    min: Decimal,
    max: Decimal,
) -> GoalSeek {
    let meets = |v: Decimal| {
        let mut d = drivers.clone();
        key.set(&mut d, v);
        target.met(&project(start, &d))
    };
    let (lo_ok, hi_ok) = (meets(min), meets(max));
    match (lo_ok, hi_ok) {
        (false, false) => GoalSeek { value: None },
        (true, true) => GoalSeek {
            value: Some(key.get(drivers).clamp(min.min(max), max.max(min))),
        },
        _ => {
            let (mut fail, mut ok) = if lo_ok { (max, min) } else { (min, max) };
            let tolerance = Decimal::new(1, 4);
            while (ok - fail).abs() > tolerance {
                let mid = (ok + fail) / Decimal::TWO;
                if meets(mid) { ok = mid } else { fail = mid }
            }
            let away = if ok > fail {
                RoundingStrategy::ToPositiveInfinity
            } else {
                RoundingStrategy::ToNegativeInfinity
            };
            GoalSeek {
                value: Some(ok.round_dp_with_strategy(4, away)),
            }
        }
    }
}

/// What it takes a company whose projected cash dips to or below zero to be
/// back above zero and stay there over the horizon: funding now (a cash event
/// in the first month; every month's cash rises by it), or the opex base that
/// alone keeps the lowest cash at zero or above (goal seek; `None` when no cut
/// does it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackAboveZero {
    pub funding: Decimal,
    pub opex_base: Option<Decimal>,
    pub opex_base_now: Decimal,
    pub horizon: u32,
}

pub fn back_above_zero(start: Start, drivers: &Drivers) -> BackAboveZero {
    let base = project(start, drivers);
    let funding = (-base.min_cash)
        .max(Decimal::ZERO)
        .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
    let seek = goal_seek(
        start,
        drivers,
        DriverKey::OpexBase,
        Target::MinCashNonNegative,
        Decimal::ZERO,
        drivers.opex_base.max(Decimal::ZERO),
    );
    BackAboveZero {
        funding,
        opex_base: seek.value,
        opex_base_now: drivers.opex_base,
        horizon: drivers.horizon_months.max(1),
    }
}

/// A plain decimal as a user types it for a driver (any number of decimals;
/// the driver's precision is applied when set).
pub fn driver_number(v: &str) -> Result<Decimal, String> {
    let ok = !v.is_empty()
        && v.trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
    if !ok || v.matches('.').count() > 1 {
        return Err(format!("{v:?} is not a plain decimal such as 0.03 or -1500"));
    }
    v.parse::<Decimal>().map_err(|_| format!("{v:?} is out of range"))
}

/// Rates that compound (1 + r) must stay above −1; a margin cannot exceed 1.
pub fn check_range(k: DriverKey, v: Decimal) -> Result<(), String> {
    match k {
        DriverKey::RevenueGrowth | DriverKey::OpexGrowth | DriverKey::PriceChange | DriverKey::DiscountRate
            if v <= -Decimal::ONE =>
        {
            Err(format!("{v} must be greater than -1 (-100%)"))
        }
        DriverKey::GrossMargin if v > Decimal::ONE => Err(format!("{v} must be at most 1 (100%)")),
        _ => Ok(()),
    }
}

fn whole(key: &str, v: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    v.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
        format!(
            "{key}: {v:?} must be a whole number from {} to {}",
            range.start(),
            range.end()
        )
    })
}

/// Applies `key=value` as `katalis scenario set` takes it (README.md#commands):
/// a driver (rounded to its precision: rates 6 decimals, amounts 2),
/// `hire=MONTH:COUNT:COST` or `cash_event=MONTH:AMOUNT:LABEL` to append, and
/// `hires=` / `cash_events=` to clear.
pub fn apply_setting(d: &mut Drivers, key: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    match key {
        "horizon_months" => d.horizon_months = whole(key, value, 12..=60)?,
        "price_change_month" => d.price_change_month = whole(key, value, 1..=60)?,
        "hires" if value.is_empty() => d.hires.clear(),
        "cash_events" if value.is_empty() => d.cash_events.clear(),
        "hire" => {
            let parts: Vec<&str> = value.split(':').collect();
            let [month, count, cost] = parts[..] else {
                return Err(format!(
                    "hire: {value:?} must be MONTH:COUNT:MONTHLY_COST, e.g. 3:2:4500"
                ));
            };
            d.hires.push(crate::domain::Hire {
                month: whole("hire month", month, 1..=60)?,
                count: whole("hire count", count, 1..=10_000)?,
                monthly_cost: round_amount(driver_number(cost).map_err(|e| format!("hire cost: {e}"))?),
            });
        }
        "cash_event" => {
            let mut parts = value.splitn(3, ':');
            let (Some(month), Some(amount), Some(label)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!(
                    "cash_event: {value:?} must be MONTH:AMOUNT:LABEL, e.g. 6:250000:Seed round"
                ));
            };
            d.cash_events.push(crate::domain::CashEvent {
                month: whole("cash_event month", month, 1..=60)?,
                amount: round_amount(driver_number(amount).map_err(|e| format!("cash_event amount: {e}"))?),
                label: label.to_owned(),
            });
        }
        _ => {
            let k = DriverKey::parse(key).ok_or_else(|| {
                format!(
                    "{key:?} is not a driver (horizon_months, {}, price_change_month, hire, cash_event, hires, cash_events)",
                    DriverKey::ALL.map(DriverKey::key).join(", ")
                )
            })?;
            let v = driver_number(value).map_err(|e| format!("{key}: {e}"))?;
            check_range(k, v).map_err(|e| format!("{key}: {e}"))?;
            k.set(d, if k.is_rate() { round_rate(v) } else { round_amount(v) });
        }
    }
    Ok(())
}

impl Target {
    /// `min_cash>=0`, `runway_at_horizon>=N`, `break_even_by=K`.
    pub fn parse(s: &str) -> Result<Target, String> {
        let s = s.replace(' ', "");
        if s == "min_cash>=0" {
            return Ok(Target::MinCashNonNegative);
        }
        if let Some(n) = s.strip_prefix("runway_at_horizon>=") {
            return driver_number(n).map(Target::RunwayAtHorizonAtLeast);
        }
        if let Some(k) = s.strip_prefix("break_even_by=") {
            return whole("break_even_by", k, 1..=60).map(Target::BreakEvenBy);
        }
        Err(format!(
            "{s:?} is not a target (min_cash>=0, runway_at_horizon>=N, break_even_by=K)"
        ))
    }
}
