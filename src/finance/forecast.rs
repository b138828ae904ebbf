//! The 13-week cash forecast (METRICS.md "Forecasts and variance").

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashForecast {
    pub opening: Decimal,
    pub weeks: Vec<Week>,
    /// The first week whose closing cash is below the floor.
    pub below_floor: Option<u32>,
}

/// Mean days late of each customer's invoices paid by `d`: max(0, paid − due), 0 if none.
pub fn average_days_late(invoices: &[Invoice], d: NaiveDate) -> HashMap<&str, Decimal> {
    let mut acc: HashMap<&str, (i64, i64)> = HashMap::new();
    for inv in invoices {
        if let Some(p) = inv.paid_date.filter(|p| *p <= d) {
            let e = acc.entry(inv.customer.as_str()).or_insert((0, 0));
            e.0 += (p - inv.due_date).num_days().max(0);
            e.1 += 1;
        }
    }
    acc.into_iter()
        .map(|(c, (days, n))| (c, Decimal::from(days) / Decimal::from(n)))
        .collect()
}

/// Weekly cash from D: invoices open at D by expected payment day (due date plus
/// the customer's average days late, rounded half-even to whole days), non-invoiced
/// revenue and gross burn at 12/52 of the monthly rate, and `events` (projection
/// months, 1 = the month after M) in the week holding the first day of their month.
pub fn thirteen_weeks(
    ledger: &Ledger,
    m: Month,
    invoices: &[Invoice],
    events: &[CashEvent],
    floor: Decimal,
) -> CashForecast {
    let d = m.last_day();
    let first = d + Duration::days(1);
    let opening = ledger.get(m).map(|r| r.cash_end).unwrap_or_default();
    let week_of = |date: NaiveDate| -> Option<usize> {
        let days = (date - first).num_days();
        if days < 0 {
            Some(0)
        } else if days < 7 * WEEKS {
            Some((days / 7) as usize)
        } else {
            None
        }
    };
    let mut collections = vec![Decimal::ZERO; WEEKS as usize];
    let late = average_days_late(invoices, d);
    for inv in invoices {
        let open = open_at(inv, d);
        if open <= Decimal::ZERO {
            continue;
        }
        let lag = late.get(inv.customer.as_str()).copied().unwrap_or_default();
        let lag = lag
            .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
            .to_i64()
            .unwrap_or(0);
        if let Some(w) = week_of(inv.due_date + Duration::days(lag)) {
            collections[w] += open;
        }
    }
    let weekly = |monthly: Decimal| monthly * Decimal::from(12) / Decimal::from(52);
    let revenue = ledger.mean_t3m(m, |r| r.revenue).unwrap_or_default();
    let months_with_rows = ledger.t3m(m).count();
    let (start_3m, end) = (m.plus(-2).first_day(), d);
    let invoiced: Decimal = invoices
        .iter()
        .filter(|i| i.issue_date >= start_3m && i.issue_date <= end)
        .map(|i| i.amount)
        .sum();
    let invoiced_mean = ratio(invoiced, Decimal::from(months_with_rows)).unwrap_or_default();
    let other = weekly((revenue - invoiced_mean).max(Decimal::ZERO));
    let gross_burn = mean(ledger.t3m(m).map(|r| r.cogs + r.opex - r.depreciation_or_zero())).unwrap_or_default();
    let outflows = weekly(gross_burn);
    let mut event_weeks = vec![Decimal::ZERO; WEEKS as usize];
    for e in events {
        if let Some(w) = week_of(m.plus(e.month as i32).first_day()).filter(|_| e.month >= 1) {
            event_weeks[w] += e.amount;
        }
    }
    let mut cash = opening;
    let mut weeks = Vec::with_capacity(WEEKS as usize);
    let mut below_floor = None;
    for k in 0..WEEKS as usize {
        cash += collections[k] + other - outflows + event_weeks[k];
        let start = first + Duration::days(7 * k as i64);
        if below_floor.is_none() && cash < floor {
            below_floor = Some(k as u32 + 1);
        }
        weeks.push(Week {
            index: k as u32 + 1,
            start,
            end: start + Duration::days(6),
            collections: collections[k],
            other_inflows: other,
            outflows,
            events: event_weeks[k],
            closing: cash,
        });
    }
    CashForecast {
        opening,
        weeks,
        below_floor,
    }
}
