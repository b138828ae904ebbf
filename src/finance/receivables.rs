//! The receivables summaries the store keeps (see `store::summaries`),
//! reduced from invoices as they stream through an import, with the engine's
//! own rules: what is open at D and in which aging bucket
//! ([`super::collections`]), days late and the week an open invoice is
//! expected in ([`super::forecast`]).
//!
//! A company's first load of invoices is reduced here, row by row, instead
//! of by aggregate queries over the table afterwards; any other write (an
//! edit, a re-import that may replace rows) is refreshed by the store in SQL.
//! Tests prove both equal the engine computed from the raw invoices.

use super::collections::{Bucket, days_past_due, open_at};
use super::forecast::{WEEKS, lag_days, week_of};
use crate::domain::{Invoice, Month};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// The summaries' rows, as the store writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summaries {
    /// (month, issued, collected), oldest first.
    pub months: Vec<(Month, Decimal, Decimal)>,
    /// At D: (customer, bucket, open, oldest due, invoices).
    pub aging: Vec<(String, Bucket, Decimal, NaiveDate, i64)>,
    /// At D: (customer, days late summed, invoices paid).
    pub late: Vec<(String, i64, i64)>,
    /// At D: (customer, week 0-12, open amount expected that week).
    pub weeks: Vec<(String, usize, Decimal)>,
    /// At D: (customer, number) of the invoices open only because they were
    /// paid in full after D.
    pub paid_after: Vec<(String, String)>,
}

/// Reduces invoices, one at a time, to [`Summaries`] at `d` (the company's
/// latest month end; `None`: months only). Memory: a few figures per customer
/// and month, plus each customer's open amounts by due date before the
/// forecast's horizon (they are placed once the customer's lag is known).
#[derive(Debug, Default)]
pub struct Builder {
    d: Option<NaiveDate>,
    customers: HashMap<String, usize>,
    months: BTreeMap<Month, (Decimal, Decimal)>,
    per: Vec<PerCustomer>,
    paid_after: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct PerCustomer {
    aging: [Option<(Decimal, NaiveDate, i64)>; 5],
    late_days: i64,
    paid: i64,
    /// Open at D by due date, for the dates the forecast can reach.
    open_by_due: Vec<(NaiveDate, Decimal)>,
}

impl Builder {
    pub fn new(d: Option<NaiveDate>) -> Builder {
        Builder {
            d,
            ..Builder::default()
        }
    }

    /// The day the per-customer summaries are at.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.d
    }

    pub fn add(&mut self, inv: &Invoice) {
        let issued = self.months.entry(Month::of_date(inv.issue_date)).or_default();
        issued.0 += inv.amount;
        if let Some(p) = inv.paid_date {
            self.months.entry(Month::of_date(p.max(inv.issue_date))).or_default().1 += inv.paid_amount;
        }
        let Some(d) = self.d else { return };
        let open = open_at(inv, d);
        let paid_by_d = inv.paid_date.filter(|p| *p <= d);
        if open <= Decimal::ZERO && paid_by_d.is_none() {
            return;
        }
        let k = match self.customers.get(&inv.customer) {
            Some(&k) => k,
            None => {
                self.customers.insert(inv.customer.clone(), self.per.len());
                self.per.push(PerCustomer::default());
                self.per.len() - 1
            }
        };
        let c = &mut self.per[k];
        if let Some(p) = paid_by_d {
            c.late_days += (p - inv.due_date).num_days().max(0);
            c.paid += 1;
        }
        if open > Decimal::ZERO && inv.paid_amount == inv.amount {
            self.paid_after.push((inv.customer.clone(), inv.number.clone()));
        }
        if open > Decimal::ZERO {
            let bucket = Bucket::of_days_past_due(days_past_due(inv, d));
            let slot = &mut c.aging[bucket as usize];
            *slot = Some(match *slot {
                Some((sum, oldest, n)) => (sum + open, oldest.min(inv.due_date), n + 1),
                None => (open, inv.due_date, 1),
            });
            // Due on or after the horizon's end, it is never expected within it (lags are ≥ 0).
            if inv.due_date < d + chrono::Duration::days(1 + 7 * WEEKS) {
                c.open_by_due.push((inv.due_date, open));
            }
        }
    }

    pub fn finish(self) -> Summaries {
        let months = self.months.into_iter().map(|(m, (i, c))| (m, i, c)).collect();
        let Some(d) = self.d else {
            return Summaries {
                months,
                ..Summaries::default()
            };
        };
        let first = d + chrono::Duration::days(1);
        let mut names: Vec<(String, usize)> = self.customers.into_iter().collect();
        names.sort();
        let mut out = Summaries {
            months,
            paid_after: self.paid_after,
            ..Summaries::default()
        };
        let mut per = self.per;
        for (name, k) in names {
            let c = &mut per[k];
            for (b, slot) in Bucket::ALL.iter().zip(c.aging) {
                if let Some((open, oldest, n)) = slot {
                    out.aging.push((name.clone(), *b, open, oldest, n));
                }
            }
            if c.paid > 0 {
                out.late.push((name.clone(), c.late_days, c.paid));
            }
            let lag = chrono::Duration::days(lag_days(c.late_days, c.paid));
            let mut weeks = [Decimal::ZERO; WEEKS as usize];
            let mut any = [false; WEEKS as usize];
            for (due, open) in c.open_by_due.drain(..) {
                if let Some(w) = week_of(first, due + lag, WEEKS as usize) {
                    weeks[w] += open;
                    any[w] = true;
                }
            }
            for w in 0..WEEKS as usize {
                if any[w] {
                    out.weeks.push((name.clone(), w, weeks[w]));
                }
            }
        }
        out
    }
}
