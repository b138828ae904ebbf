//! Cash as the bank shows it (docs/metrics.md#cash-as-of-today): the
//! balance of a company's accounts in its currency at the last statement
//! date, when that is newer than the as-of month's end; and the 13-week
//! forecast opened from it, the weeks already past read from the bank.

use super::forecast::CashForecast;
use crate::domain::{BankAccount, Month};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The bank's cash: the balances of the accounts in the company's currency,
/// each as of its last line, summed, at the latest of those dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankCash {
    pub as_of: NaiveDate,
    pub cash: Decimal,
    pub accounts: usize,
}

/// How far past the month end a statement may be and still open the forecast
/// from it (the 13 weeks).
pub const HORIZON_DAYS: i64 = 91;

/// The bank's cash when an account in `currency` has lines newer than the
/// end of `m` (and within the forecast's 13 weeks of it); else `None`.
pub fn bank_cash(accounts: &[BankAccount], currency: &str, m: Month) -> Option<BankCash> {
    let mine: Vec<&BankAccount> = accounts
        .iter()
        .filter(|a| a.currency.eq_ignore_ascii_case(currency) && a.as_of.is_some())
        .collect();
    let as_of = mine.iter().filter_map(|a| a.as_of).max()?;
    let end = m.last_day();
    if as_of <= end || (as_of - end).num_days() > HORIZON_DAYS {
        return None;
    }
    Some(BankCash {
        as_of,
        cash: mine.iter().map(|a| a.balance).sum(),
        accounts: mine.len(),
    })
}

/// Money in and out of the company's accounts on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankDay {
    pub date: NaiveDate,
    pub inflows: Decimal,
    /// Money out, as a positive amount.
    pub outflows: Decimal,
}

/// The forecast opened from the bank: the weeks wholly before the last
/// statement date show what the bank says came in and went out, and close at
/// the bank's balance on their last day; the week holding that date closes
/// at the bank's cash plus the forecast's flows for the days left in it
/// (pro rata of 7); later weeks add their flows to that. `days` are the
/// bank's days after the end of the forecast's month, up to `bank.as_of`.
pub fn open_from_bank(fc: &CashForecast, bank: &BankCash, days: &[BankDay]) -> CashForecast {
    let mut out = fc.clone();
    let net_after = |d: NaiveDate| -> Decimal {
        days.iter()
            .filter(|x| x.date > d && x.date <= bank.as_of)
            .map(|x| x.inflows - x.outflows)
            .sum()
    };
    out.opening = bank.cash;
    out.opening_date = Some(bank.as_of);
    let mut cash = bank.cash;
    out.below_floor = None;
    for w in out.weeks.iter_mut() {
        let flows = w.collections + w.other_inflows - w.outflows + w.events;
        if w.end <= bank.as_of {
            let inside = days.iter().filter(|x| x.date >= w.start && x.date <= w.end);
            let (i, o) = inside.fold((Decimal::ZERO, Decimal::ZERO), |(i, o), x| {
                (i + x.inflows, o + x.outflows)
            });
            w.actual_inflows = Some(i);
            w.actual_outflows = Some(o);
            w.closing = bank.cash - net_after(w.end);
        } else if w.start <= bank.as_of {
            let (i, o) = days
                .iter()
                .filter(|x| x.date >= w.start)
                .fold((Decimal::ZERO, Decimal::ZERO), |(i, o), x| {
                    (i + x.inflows, o + x.outflows)
                });
            w.actual_inflows = Some(i);
            w.actual_outflows = Some(o);
            let left = (w.end - bank.as_of).num_days();
            cash = bank.cash + flows * Decimal::from(left) / Decimal::from(7);
            w.closing = cash;
        } else {
            cash += flows;
            w.closing = cash;
        }
        if out.below_floor.is_none() && w.closing < out.floor {
            out.below_floor = Some(w.index);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::forecast::{WeeklyBase, with_events};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn account(currency: &str, balance: &str, as_of: &str) -> BankAccount {
        BankAccount {
            id: 1,
            name: "a".into(),
            currency: currency.into(),
            number: None,
            balance: balance.parse().unwrap(),
            as_of: Some(d(as_of)),
            lines: 1,
            first_date: Some(d(as_of)),
            last_date: Some(d(as_of)),
        }
    }

    #[test]
    fn the_bank_counts_when_newer_than_the_month_end_and_in_the_company_currency() {
        let m: Month = "2026-10".parse().unwrap();
        let accounts = [
            account("MXN", "1000.50", "2026-11-27"),
            account("MXN", "200", "2026-11-20"),
            account("USD", "99", "2026-11-28"),
        ];
        let b = bank_cash(&accounts, "MXN", m).unwrap();
        assert_eq!(
            (b.as_of, b.cash.to_string(), b.accounts),
            (d("2026-11-27"), "1200.50".into(), 2)
        );
        assert!(
            bank_cash(&accounts, "MXN", "2026-11".parse().unwrap()).is_none(),
            "not newer"
        );
        assert!(
            bank_cash(&accounts, "MXN", "2026-06".parse().unwrap()).is_none(),
            "past the 13 weeks"
        );
    }

    #[test]
    fn past_weeks_close_at_the_bank_and_the_rest_moves_on_from_it() {
        let m: Month = "2026-10".parse().unwrap();
        let base = WeeklyBase {
            month: m,
            opening: Decimal::from(500),
            collections: vec![Decimal::from(70); 3],
            other_inflows: Decimal::ZERO,
            outflows: Decimal::from(14),
            // weeks: 11-01..11-07, 11-08..11-14, 11-15..11-21
        };
        let fc = with_events(&base, &[], Decimal::ZERO);
        let bank = BankCash {
            as_of: d("2026-11-10"),
            cash: Decimal::from(1000),
            accounts: 1,
        };
        let days = [
            BankDay {
                date: d("2026-11-03"),
                inflows: Decimal::from(300),
                outflows: Decimal::from(50),
            },
            BankDay {
                date: d("2026-11-09"),
                inflows: Decimal::ZERO,
                outflows: Decimal::from(100),
            },
        ];
        let o = open_from_bank(&fc, &bank, &days);
        assert_eq!(
            o.weeks[0].closing,
            Decimal::from(1100),
            "1000 + the 100 out on 11-09 after the week"
        );
        assert_eq!(o.weeks[0].actual_inflows, Some(Decimal::from(300)));
        assert_eq!(o.weeks[0].actual_outflows, Some(Decimal::from(50)));
        // Week 2 holds 11-10: four days left of seven of 56 net.
        assert_eq!(o.weeks[1].closing, Decimal::from(1032));
        assert_eq!(o.weeks[2].closing, Decimal::from(1088));
        assert_eq!(
            (o.opening, o.opening_date),
            (Decimal::from(1000), Some(d("2026-11-10")))
        );
    }
}
