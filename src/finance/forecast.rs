//! The 13-week cash forecast (docs/metrics.md#13-week-cash-forecast-and-budget-vs-actual).

use super::collections::open_at;
use super::ledger::{Ledger, mean, ratio};
use crate::domain::{CashEvent, Invoice, Month};
use chrono::{Duration, NaiveDate};
use rust_decimal::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

pub const WEEKS: i64 = 13;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// 1..=13
    pub index: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Open invoices expected this week.
    pub collections: Decimal,
    /// Revenue that is not invoiced, spread evenly.
    pub other_inflows: Decimal,
    /// Recurring outflows at the recent monthly rate, spread evenly.
    pub outflows: Decimal,
    /// Scenario cash events falling in this week.
    pub events: Decimal,
    pub closing: Decimal,
    /// What the bank shows came in and went out this week (weeks the
    /// statements reach; see `finance::bank::open_from_bank`).
    pub actual_inflows: Option<Decimal>,
    pub actual_outflows: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashForecast {
    /// Cash at the month end, or the bank's cash at `opening_date`.
    pub opening: Decimal,
    /// Opened from the bank: its last statement date (else the month end).
    pub opening_date: Option<NaiveDate>,
    pub weeks: Vec<Week>,
    /// The first week whose closing cash is below the floor.
    pub below_floor: Option<u32>,
    pub floor: Decimal,
}

/// What the forecast needs of the invoice history besides the open invoices:
/// each customer's days late (summed, max(0, paid − due)) and count of invoices
/// paid by D, and the amount invoiced in the three months ending at M. The store
/// computes it in SQL; `forecast_input` computes it from a list of invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForecastInput {
    /// customer → (days late summed, invoices paid).
    pub late: HashMap<String, (i64, i64)>,
    pub invoiced_t3m: Decimal,
}

pub fn forecast_input(invoices: &[Invoice], m: Month) -> ForecastInput {
    let d = m.last_day();
    let start_3m = m.plus(-2).first_day();
    ForecastInput {
        late: late_by(invoices, d),
        invoiced_t3m: invoices
            .iter()
            .filter(|i| i.issue_date >= start_3m && i.issue_date <= d)
            .map(|i| i.amount)
            .sum(),
    }
}

fn late_by(invoices: &[Invoice], d: NaiveDate) -> HashMap<String, (i64, i64)> {
    let mut late: HashMap<String, (i64, i64)> = HashMap::new();
    for inv in invoices {
        if let Some(p) = inv.paid_date.filter(|p| *p <= d) {
            let e = late.entry(inv.customer.clone()).or_insert((0, 0));
            e.0 += (p - inv.due_date).num_days().max(0);
            e.1 += 1;
        }
    }
    late
}

/// Mean days late of each customer's invoices paid by `d`: max(0, paid − due), 0 if none.
pub fn average_days_late(invoices: &[Invoice], d: NaiveDate) -> HashMap<String, Decimal> {
    mean_days_late(&late_by(invoices, d))
}

fn mean_days_late(late: &HashMap<String, (i64, i64)>) -> HashMap<String, Decimal> {
    late.iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(c, (days, n))| (c.clone(), Decimal::from(*days) / Decimal::from(*n)))
        .collect()
}

/// The part of the forecast that does not depend on the scenario: opening cash,
/// expected collections per week and the steady weekly flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyBase {
    pub month: Month,
    pub opening: Decimal,
    pub collections: Vec<Decimal>,
    pub other_inflows: Decimal,
    pub outflows: Decimal,
}

/// A customer's lag: mean days late (`days` over `paid` invoices) rounded half
/// to even to whole days; 0 with none paid.
pub fn lag_days(days: i64, paid: i64) -> i64 {
    if paid <= 0 {
        return 0;
    }
    (Decimal::from(days) / Decimal::from(paid))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
        .to_i64()
        .unwrap_or(0)
}

/// The week (0-based, of `weeks` from `first`) in which `date` falls; what
/// falls before `first` is in the first week, what falls after none.
pub fn week_of(first: NaiveDate, date: NaiveDate, weeks: usize) -> Option<usize> {
    let days = (date - first).num_days();
    if days < 0 {
        Some(0)
    } else if days < 7 * weeks as i64 {
        Some((days / 7) as usize)
    } else {
        None
    }
}

/// Open invoices at D placed by expected payment day (due date plus the
/// customer's average days late, rounded half-even to whole days), non-invoiced
/// revenue and gross burn at 12/52 of the monthly rate. `open` may hold invoices
/// that are not open at D; they count for nothing.
pub fn weekly_base_from_invoices(ledger: &Ledger, m: Month, open: &[Invoice], input: &ForecastInput) -> WeeklyBase {
    weekly_base_from_invoices_over(ledger, m, open, input, WEEKS as usize)
}

/// [`weekly_base_from_invoices`] over `weeks` weeks instead of 13.
pub fn weekly_base_from_invoices_over(
    ledger: &Ledger,
    m: Month,
    open: &[Invoice],
    input: &ForecastInput,
    weeks: usize,
) -> WeeklyBase {
    weekly_base_from_collections(ledger, m, expected_collections(m, open, input, weeks), input)
}

/// Open invoices at the end of `m` by the week they are expected in (the
/// first of `weeks` also holds what is expected before it).
pub fn expected_collections(m: Month, open: &[Invoice], input: &ForecastInput, weeks: usize) -> Vec<Decimal> {
    let d = m.last_day();
    let first = d + Duration::days(1);
    let mut collections = vec![Decimal::ZERO; weeks];
    for inv in open {
        let amount = open_at(inv, d);
        if amount <= Decimal::ZERO {
            continue;
        }
        let lag = input
            .late
            .get(inv.customer.as_str())
            .map_or(0, |&(days, paid)| lag_days(days, paid));
        if let Some(w) = week_of(first, inv.due_date + Duration::days(lag), weeks) {
            collections[w] += amount;
        }
    }
    collections
}

/// The weekly base from the expected collections per week (computed by
/// [`expected_collections`], or read from the store's summaries).
pub fn weekly_base_from_collections(
    ledger: &Ledger,
    m: Month,
    collections: Vec<Decimal>,
    input: &ForecastInput,
) -> WeeklyBase {
    let weekly = |monthly: Decimal| monthly * Decimal::from(12) / Decimal::from(52);
    let revenue = ledger.mean_t3m(m, |r| r.revenue).unwrap_or_default();
    let months_with_rows = ledger.t3m(m).count();
    let invoiced_mean = ratio(input.invoiced_t3m, Decimal::from(months_with_rows)).unwrap_or_default();
    let gross_burn = mean(ledger.t3m(m).map(|r| r.cogs + r.opex - r.depreciation_or_zero())).unwrap_or_default();
    WeeklyBase {
        month: m,
        opening: ledger.get(m).map(|r| r.cash_end).unwrap_or_default(),
        collections,
        other_inflows: weekly((revenue - invoiced_mean).max(Decimal::ZERO)),
        outflows: weekly(gross_burn),
    }
}

/// The weeks from `base` with `events` (projection months, 1 = the month after
/// M) in the week holding the first day of their month.
pub fn with_events(base: &WeeklyBase, events: &[CashEvent], floor: Decimal) -> CashForecast {
    let m = base.month;
    let first = m.last_day() + Duration::days(1);
    let n = base.collections.len();
    let mut event_weeks = vec![Decimal::ZERO; n];
    for e in events.iter().filter(|e| e.month >= 1) {
        if let Some(w) = week_of(first, m.plus(e.month as i32).first_day(), n) {
            event_weeks[w] += e.amount;
        }
    }
    let mut cash = base.opening;
    let mut weeks = Vec::with_capacity(n);
    let mut below_floor = None;
    for (k, (collected, events)) in base.collections.iter().zip(event_weeks).enumerate() {
        cash += *collected + base.other_inflows - base.outflows + events;
        let start = first + Duration::days(7 * k as i64);
        if below_floor.is_none() && cash < floor {
            below_floor = Some(k as u32 + 1);
        }
        weeks.push(Week {
            index: k as u32 + 1,
            start,
            end: start + Duration::days(6),
            collections: *collected,
            other_inflows: base.other_inflows,
            outflows: base.outflows,
            events,
            closing: cash,
            actual_inflows: None,
            actual_outflows: None,
        });
    }
    CashForecast {
        opening: base.opening,
        opening_date: None,
        weeks,
        below_floor,
        floor,
    }
}

/// A scenario's cash events as the forecast from as-of month `m` counts them:
/// event months count from the scenario's start, and a budget locked earlier
/// starts before `m`, so its months are moved onto the forecast's (events
/// before `m` drop out).
pub fn shift_events(events: &[CashEvent], scenario_start: Month, m: Month) -> Vec<CashEvent> {
    let offset = i64::from(m.months_since(scenario_start));
    events
        .iter()
        .filter_map(|e| {
            let month = i64::from(e.month) - offset;
            (month >= 1).then(|| CashEvent {
                month: month as u32,
                ..e.clone()
            })
        })
        .collect()
}

/// Weekly cash from D (docs/metrics.md#13-week-cash-forecast-and-budget-vs-actual) from the full list of invoices.
pub fn thirteen_weeks(
    ledger: &Ledger,
    m: Month,
    invoices: &[Invoice],
    events: &[CashEvent],
    floor: Decimal,
) -> CashForecast {
    let base = weekly_base_from_invoices(ledger, m, invoices, &forecast_input(invoices, m));
    with_events(&base, events, floor)
}
