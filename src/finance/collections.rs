//! Receivables: aging, DSO, CEI and whom to call first (docs/metrics.md#collections-invoices-as-of-d).
//!
//! The per-invoice rules (what is open at a date, how late it is, which bucket it
//! falls in) live in [`collections_input`]; it reduces the invoices to per-customer,
//! per-bucket groups, from which [`collections`] derives every metric. A store may
//! compute the same groups in SQL for speed; tests prove both agree.

use super::ledger::ratio;
use crate::domain::{Invoice, Month};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Aging buckets by days past due at D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    /// ≤ 0 days past due.
    Current = 0,
    D1To30 = 1,
    D31To60 = 2,
    D61To90 = 3,
    /// Over 90 days.
    D90Plus = 4,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::Current,
        Bucket::D1To30,
        Bucket::D31To60,
        Bucket::D61To90,
        Bucket::D90Plus,
    ];

    pub fn of_days_past_due(days: i64) -> Bucket {
        match days {
            ..=0 => Bucket::Current,
            1..=30 => Bucket::D1To30,
            31..=60 => Bucket::D31To60,
            61..=90 => Bucket::D61To90,
            _ => Bucket::D90Plus,
        }
    }

    pub fn from_index(i: i64) -> Option<Bucket> {
        Bucket::ALL.get(usize::try_from(i).ok()?).copied()
    }

    /// The earliest due date that still falls in this bucket or a younger one at `d`
    /// (due_date ≥ threshold ⇔ days past due ≤ the bucket's upper bound).
    pub fn upper_days(self) -> Option<i64> {
        match self {
            Bucket::Current => Some(0),
            Bucket::D1To30 => Some(30),
            Bucket::D31To60 => Some(60),
            Bucket::D61To90 => Some(90),
            Bucket::D90Plus => None,
        }
    }
}

/// paid(X): the paid amount if paid by X, else 0 (a partial payment counts from its date).
pub fn paid_at(inv: &Invoice, x: NaiveDate) -> Decimal {
    match inv.paid_date {
        Some(p) if p <= x => inv.paid_amount,
        _ => Decimal::ZERO,
    }
}

/// open(X) = amount − paid(X) for an invoice that exists at X (issued by X), else 0.
pub fn open_at(inv: &Invoice, x: NaiveDate) -> Decimal {
    if inv.issue_date > x {
        Decimal::ZERO
    } else {
        inv.amount - paid_at(inv, x)
    }
}

/// X − due_date, in days.
pub fn days_past_due(inv: &Invoice, x: NaiveDate) -> i64 {
    (x - inv.due_date).num_days()
}

/// Open receivables of one customer in one aging bucket at D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenGroup {
    pub customer: String,
    pub bucket: Bucket,
    pub open: Decimal,
    /// The oldest due date among the group's open invoices.
    pub oldest_due: NaiveDate,
}

/// Everything the collections metrics need, reduced from the invoices.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CollectionsInput {
    /// Sorted by customer (byte order), then bucket.
    pub open_at_d: Vec<OpenGroup>,
    /// AR total at the last day of M−1.
    pub ar_begin: Decimal,
    /// Σ amount of invoices issued in M−2..M.
    pub credit_sales_3m: Decimal,
    /// Σ amount of invoices issued in M.
    pub credit_sales_m: Decimal,
}

/// The engine's reduction of invoices to [`CollectionsInput`] for as-of month `m`.
pub fn collections_input(invoices: &[Invoice], m: Month) -> CollectionsInput {
    let d = m.last_day();
    let d_prev = m.plus(-1).last_day();
    let start_3m = m.plus(-2).first_day();
    let start_m = m.first_day();
    let mut groups: BTreeMap<(&str, Bucket), (Decimal, NaiveDate)> = BTreeMap::new();
    let mut input = CollectionsInput::default();
    for inv in invoices {
        let open = open_at(inv, d);
        if open > Decimal::ZERO {
            let bucket = Bucket::of_days_past_due(days_past_due(inv, d));
            let g = groups
                .entry((inv.customer.as_str(), bucket))
                .or_insert((Decimal::ZERO, inv.due_date));
            g.0 += open;
            g.1 = g.1.min(inv.due_date);
        }
        let open_prev = open_at(inv, d_prev);
        if open_prev > Decimal::ZERO {
            input.ar_begin += open_prev;
        }
        if inv.issue_date >= start_3m && inv.issue_date <= d {
            input.credit_sales_3m += inv.amount;
            if inv.issue_date >= start_m {
                input.credit_sales_m += inv.amount;
            }
        }
    }
    input.open_at_d = groups
        .into_iter()
        .map(|((customer, bucket), (open, oldest_due))| OpenGroup {
            customer: customer.to_owned(),
            bucket,
            open,
            oldest_due,
        })
        .collect();
    input
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Aging {
    pub current: Decimal,
    pub d1_30: Decimal,
    pub d31_60: Decimal,
    pub d61_90: Decimal,
    pub d90_plus: Decimal,
}

impl Aging {
    pub fn get(&self, b: Bucket) -> Decimal {
        match b {
            Bucket::Current => self.current,
            Bucket::D1To30 => self.d1_30,
            Bucket::D31To60 => self.d31_60,
            Bucket::D61To90 => self.d61_90,
            Bucket::D90Plus => self.d90_plus,
        }
    }
    fn add(&mut self, b: Bucket, v: Decimal) {
        let slot = match b {
            Bucket::Current => &mut self.current,
            Bucket::D1To30 => &mut self.d1_30,
            Bucket::D31To60 => &mut self.d31_60,
            Bucket::D61To90 => &mut self.d61_90,
            Bucket::D90Plus => &mut self.d90_plus,
        };
        *slot += v;
    }
}

/// One customer on the call list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEntry {
    pub customer: String,
    pub open: Decimal,
    /// max(0, largest days past due among the customer's open invoices).
    pub max_days_past_due: i64,
    /// Σ open × (1 + max_days_past_due / 30).
    pub score: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Collections {
    pub ar_total: Decimal,
    pub aging: Aging,
    /// (ar_total − current) / ar_total.
    pub overdue_share: Option<Decimal>,
    /// ar_total / credit_sales_3m × days of M−2..M.
    pub dso: Option<Decimal>,
    /// (ar_begin + credit_sales_m − ar_total) / (ar_begin + credit_sales_m − current).
    pub cei: Option<Decimal>,
    /// Every customer with open receivables, highest score first.
    pub call_list: Vec<CallEntry>,
}

/// Every collections metric at as-of month `m` from the reduced invoices: aging, DSO, CEI and the call list.
pub fn collections(input: &CollectionsInput, m: Month) -> Collections {
    let d = m.last_day();
    let mut aging = Aging::default();
    let mut per_customer: BTreeMap<&str, (Decimal, NaiveDate)> = BTreeMap::new();
    for g in &input.open_at_d {
        aging.add(g.bucket, g.open);
        let c = per_customer
            .entry(g.customer.as_str())
            .or_insert((Decimal::ZERO, g.oldest_due));
        c.0 += g.open;
        c.1 = c.1.min(g.oldest_due);
    }
    let ar_total: Decimal = Bucket::ALL.iter().map(|b| aging.get(*b)).sum();
    let mut call_list: Vec<CallEntry> = per_customer
        .into_iter()
        .map(|(customer, (open, oldest_due))| {
            let max_days_past_due = (d - oldest_due).num_days().max(0);
            let score = open * (Decimal::ONE + Decimal::from(max_days_past_due) / Decimal::from(30));
            CallEntry {
                customer: customer.to_owned(),
                open,
                max_days_past_due,
                score,
            }
        })
        .collect();
    call_list.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.open.cmp(&a.open))
            .then_with(|| a.customer.as_bytes().cmp(b.customer.as_bytes()))
    });
    let days_3m: u32 = (0..3).map(|k| m.plus(-k).days()).sum();
    let dso = ratio(ar_total, input.credit_sales_3m).map(|r| r * Decimal::from(days_3m));
    let base = input.ar_begin + input.credit_sales_m;
    Collections {
        overdue_share: ratio(ar_total - aging.current, ar_total),
        dso,
        cei: ratio(base - ar_total, base - aging.current),
        ar_total,
        aging,
        call_list,
    }
}

/// Amounts issued and collected per month, oldest first: (month, issued,
/// collected), collected counted in the month of the later of paid and issue
/// date (as [`ReceivableFlows`] counts it by day).
pub type MonthFlows = Vec<(Month, Decimal, Decimal)>;

/// The parts of [`CollectionsInput`] besides the open groups, at the end of
/// `m`, from the month flows: the same figures [`collections_input`] sums
/// invoice by invoice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthTotals {
    /// AR at the last day of M−1: issued minus collected through M−1.
    pub ar_begin: Decimal,
    /// Issued in M−2..M.
    pub credit_sales_3m: Decimal,
    /// Issued in M.
    pub credit_sales_m: Decimal,
}

pub fn month_totals(flows: &[(Month, Decimal, Decimal)], m: Month) -> MonthTotals {
    let mut t = MonthTotals::default();
    for &(month, issued, collected) in flows {
        if month < m {
            t.ar_begin += issued - collected;
        }
        if month >= m.plus(-2) && month <= m {
            t.credit_sales_3m += issued;
            if month == m {
                t.credit_sales_m += issued;
            }
        }
    }
    t
}

/// What receivables did on each day, for trends over many months in one
/// pass: invoices issued (their amounts by issue date) and payments counted
/// (paid amounts by the later of paid date and issue date: a payment counts
/// against receivables only once its invoice is issued).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivableFlows {
    pub issued: Vec<(NaiveDate, Decimal)>,
    pub collected: Vec<(NaiveDate, Decimal)>,
}

/// DSO at the end of each of `months`, exactly as [`collections`] computes it
/// from that month's input: AR at D is everything issued by D less what was
/// collected by D; credit sales are the amounts issued in M−2..M.
pub fn dso_series(flows: &ReceivableFlows, months: &[Month]) -> Vec<Option<Decimal>> {
    let by_month = |rows: &[(NaiveDate, Decimal)]| {
        let mut m: BTreeMap<Month, Decimal> = BTreeMap::new();
        for (d, v) in rows {
            *m.entry(Month::of_date(*d)).or_default() += *v;
        }
        m
    };
    let issued = by_month(&flows.issued);
    let collected = by_month(&flows.collected);
    let upto = |m: &BTreeMap<Month, Decimal>, end: Month| m.range(..=end).map(|(_, v)| *v).sum::<Decimal>();
    months
        .iter()
        .map(|&m| {
            let ar_total = upto(&issued, m) - upto(&collected, m);
            let credit_sales_3m: Decimal = (0..3).filter_map(|k| issued.get(&m.plus(-k))).sum();
            let days_3m: u32 = (0..3).map(|k| m.plus(-k).days()).sum();
            ratio(ar_total, credit_sales_3m).map(|r| r * Decimal::from(days_3m))
        })
        .collect()
}
