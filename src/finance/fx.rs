//! The rate that applies on a day: the latest published on or before it
//! (weekends and holidays carry the last one; the lag is told), the inverse
//! pair when only it was published, or a cross through one common base of
//! the same source and day (the ECB's euro), labelled as such. A missing rate
//! is an error naming the pair and the day, never an unconverted amount.

use crate::domain::fx::Rate;
use crate::domain::{Invoice, Month};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// How a rate was had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derivation {
    Direct,
    /// 1 / the rate of the reverse pair.
    Inverse,
    /// quote-per-`via` ÷ base-per-`via`, both of one source and day.
    Cross {
        via: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Units of quote per unit of base.
    pub rate: Decimal,
    /// The day it was published (on or before the day asked).
    pub published: NaiveDate,
    /// Days from publication to the day asked (0: published that day).
    pub lag_days: i64,
    pub source: String,
    pub how: Derivation,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error(
        "no {base}/{quote} rate published on or before {day}: import one (katalis fx import) or set it (katalis fx set)"
    )]
    Missing {
        base: String,
        quote: String,
        day: NaiveDate,
    },
    #[error(
        "no {base}/{quote} rate published in {month} to average its flows: import the month's rates (katalis fx import)"
    )]
    NoneInMonth { base: String, quote: String, month: String },
}

/// Every rate known, by pair and day.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    /// (base, quote) → day → (rate, source).
    pairs: BTreeMap<(String, String), BTreeMap<NaiveDate, (Decimal, String)>>,
}

impl Rates {
    /// A later rate of one pair and day replaces an earlier one; a rate that
    /// is not above zero is no rate (it could not be inverted) and is left out.
    pub fn new(rates: impl IntoIterator<Item = Rate>) -> Rates {
        let mut pairs: BTreeMap<(String, String), BTreeMap<NaiveDate, (Decimal, String)>> = BTreeMap::new();
        for r in rates.into_iter().filter(|r| r.rate > Decimal::ZERO) {
            pairs
                .entry((r.base, r.quote))
                .or_default()
                .insert(r.day, (r.rate, r.source));
        }
        Rates { pairs }
    }

    /// The latest published rate of exactly this pair on or before `day`.
    fn latest(&self, base: &str, quote: &str, day: NaiveDate) -> Option<(NaiveDate, Decimal, &str)> {
        let days = self.pairs.get(&(base.to_owned(), quote.to_owned()))?;
        let (d, (r, s)) = days.range(..=day).next_back()?;
        Some((*d, *r, s.as_str()))
    }

    /// Units of `quote` per unit of `base` on `day`.
    pub fn at(&self, base: &str, quote: &str, day: NaiveDate) -> Result<Found, FxError> {
        let found = |published: NaiveDate, rate: Decimal, source: &str, how| Found {
            rate,
            published,
            lag_days: (day - published).num_days(),
            source: source.to_owned(),
            how,
        };
        if base == quote {
            return Ok(found(day, Decimal::ONE, "", Derivation::Direct));
        }
        if let Some((d, r, s)) = self.latest(base, quote, day) {
            return Ok(found(d, r, s, Derivation::Direct));
        }
        if let Some((d, r, s)) = self.latest(quote, base, day) {
            return Ok(found(d, Decimal::ONE / r, s, Derivation::Inverse));
        }
        // A cross: some `via` quoting both, by the same source on the same day;
        // of those, the latest day.
        let mut best: Option<Found> = None;
        for ((via, q), days) in &self.pairs {
            if q != quote {
                continue;
            }
            let Some(other) = self.pairs.get(&(via.clone(), base.to_owned())) else {
                continue;
            };
            for (d, (r_quote, s)) in days.range(..=day).rev() {
                if best.as_ref().is_some_and(|b| b.published >= *d) {
                    break;
                }
                if let Some((r_base, s2)) = other.get(d)
                    && s2 == s
                {
                    best = Some(found(*d, r_quote / r_base, s, Derivation::Cross { via: via.clone() }));
                    break;
                }
            }
        }
        best.ok_or_else(|| FxError::Missing {
            base: base.to_owned(),
            quote: quote.to_owned(),
            day,
        })
    }
}

/// Cents, half to even (docs/metrics.md): every functional amount of an event.
pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven)
}

/// Why a foreign invoice could not be booked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invoice {number}: {why}")]
pub struct BookError {
    pub number: String,
    pub why: String,
}

/// Books an invoice read in its own currency into the company's
/// (`functional`): its rate is the one it came with, else the published rate
/// of its issue date; each payment's, the one it came with, else that of its
/// date. `amount` becomes `round(amount × rate, 2)` and `paid_amount` what
/// the payments relieved of it, `round(paid × rate, 2)` (the whole when paid
/// in full). An invoice in the functional currency drops its `fx` (a rate
/// other than 1 with it is refused).
pub fn book(inv: &mut Invoice, functional: &str, rates: &Rates) -> Result<(), BookError> {
    let fail = |why: String| BookError {
        number: inv.number.clone(),
        why,
    };
    let Some(fx) = inv.fx.as_mut() else { return Ok(()) };
    if fx.currency == functional {
        if fx.rate.is_some_and(|r| r != Decimal::ONE)
            || fx.payments.iter().any(|p| p.rate.is_some_and(|r| r != Decimal::ONE))
        {
            return Err(fail(format!(
                "a rate other than 1 for an invoice in {functional}, the company's currency"
            )));
        }
        inv.fx = None;
        return Ok(());
    }
    let at = |day: NaiveDate| {
        rates
            .at(&fx.currency, functional, day)
            .map(|f| f.rate)
            .map_err(|e| e.to_string())
    };
    let rate = match fx.rate {
        Some(r) => r,
        None => at(inv.issue_date).map_err(fail)?,
    };
    for p in &mut fx.payments {
        if p.rate.is_none() {
            p.rate = Some(at(p.date).map_err(fail)?);
        }
    }
    fx.rate = Some(rate);
    let amount = cents(fx.amount * rate);
    if amount <= Decimal::ZERO {
        return Err(fail(format!(
            "{} {} is {amount} {functional} at {rate}: an amount > 0",
            fx.amount, fx.currency
        )));
    }
    let paid = fx.paid();
    inv.paid_amount = if paid == fx.amount { amount } else { cents(paid * rate) };
    inv.amount = amount;
    Ok(())
}

/// The rows of an import booked; `None` when none is in another currency
/// (nothing to change, nothing copied).
pub fn book_rows(rows: &[Invoice], functional: &str, rates: &Rates) -> Result<Option<Vec<Invoice>>, BookError> {
    if rows.iter().all(|r| r.fx.is_none()) {
        return Ok(None);
    }
    let mut out = rows.to_vec();
    for inv in &mut out {
        book(inv, functional, rates)?;
    }
    Ok(Some(out))
}

/// A booked foreign invoice's payments as events: (date, amount in its
/// currency, the functional amount it relieved of the invoice, the
/// functional amount received). What is relieved is cumulative —
/// `round(paid so far × booked, 2)` less what was before — so the invoice
/// ties out to its functional amount when paid in full; a single payment
/// relieves `round(paid × booked, 2)`.
pub fn events(inv: &Invoice) -> Vec<FxEvent> {
    let Some(fx) = &inv.fx else { return Vec::new() };
    let booked = fx.rate.unwrap_or(Decimal::ONE);
    let mut paid = Decimal::ZERO;
    let mut relieved = Decimal::ZERO;
    let mut out = Vec::with_capacity(fx.payments.len());
    for p in &fx.payments {
        paid += p.amount;
        let now = if paid == fx.amount {
            inv.amount
        } else {
            cents(paid * booked)
        };
        out.push(FxEvent {
            date: p.date,
            amount: p.amount,
            relieved: now - relieved,
            received: cents(p.amount * p.rate.unwrap_or(booked)),
        });
        relieved = now;
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxEvent {
    pub date: NaiveDate,
    /// In the invoice's currency.
    pub amount: Decimal,
    /// Functional: of the receivable at the booked rate.
    pub relieved: Decimal,
    /// Functional: at the rate it was received at.
    pub received: Decimal,
}

impl FxEvent {
    /// The realised gain (a loss below zero).
    pub fn gain(&self) -> Decimal {
        self.received - self.relieved
    }
}

/// What is open of a foreign invoice at the end of `day`, in its currency.
pub fn open_in_currency(inv: &Invoice, day: NaiveDate) -> Option<(&str, Decimal)> {
    let fx = inv.fx.as_ref()?;
    let paid: Decimal = fx.payments.iter().filter(|p| p.date <= day).map(|p| p.amount).sum();
    Some((fx.currency.as_str(), fx.amount - paid))
}

/// One currency's open receivables at a month end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyExposure {
    pub currency: String,
    /// In the currency.
    pub open: Decimal,
    /// Functional: what is open, at the rates booked.
    pub booked: Decimal,
    /// Functional: `round(open × rate, 2)`.
    pub at_close: Decimal,
    pub unrealised: Decimal,
    /// Functional per unit on the day, and the day it was published.
    pub rate: Decimal,
    pub rate_date: NaiveDate,
    /// How the rate was had: published, the inverse pair's, or a cross.
    pub how: Derivation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthGain {
    pub month: Month,
    pub amount: Decimal,
}

/// A company's exposure to its invoices' currencies (`katalis fx exposure`,
/// `report`'s `fx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub as_of: NaiveDate,
    pub functional: String,
    /// The currencies with something open at `as_of`, by code.
    pub currencies: Vec<CurrencyExposure>,
    /// Realised gains of the 12 months to `as_of`, oldest first.
    pub realised: Vec<MonthGain>,
    pub realised_ttm: Decimal,
}

impl Exposure {
    #[must_use]
    pub fn unrealised(&self) -> Decimal {
        self.currencies.iter().map(|c| c.unrealised).sum()
    }
}

/// The exposure at the end of `as_of` of a company whose foreign invoices
/// (booked, with their `fx`) are `invoices`: per currency, what is open (issued
/// by then, less what was paid by then) in it, at the rates booked, and at the
/// rate of the month end — `round(Σ open × rate, 2)` — whose difference is the
/// unrealised gain; and the realised gains of each payment, by month, over the
/// 12 months to `as_of`. A rate missing at the month end is an error naming
/// the pair and the day.
pub fn exposure(invoices: &[Invoice], functional: &str, rates: &Rates, as_of: Month) -> Result<Exposure, FxError> {
    let day = as_of.last_day();
    let first = as_of.plus(-11);
    let mut open: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    let mut realised: BTreeMap<Month, Decimal> = (0..12).map(|i| (first.plus(i), Decimal::ZERO)).collect();
    for inv in invoices {
        let Some(fx) = &inv.fx else { continue };
        let events = events(inv);
        for e in &events {
            let m = Month::of_date(e.date);
            if let Some(total) = realised.get_mut(&m) {
                *total += e.gain();
            }
        }
        if inv.issue_date > day {
            continue;
        }
        let (paid, relieved) = events
            .iter()
            .filter(|e| e.date <= day)
            .fold((Decimal::ZERO, Decimal::ZERO), |(p, r), e| {
                (p + e.amount, r + e.relieved)
            });
        if paid < fx.amount {
            let entry = open.entry(fx.currency.as_str()).or_default();
            entry.0 += fx.amount - paid;
            entry.1 += inv.amount - relieved;
        }
    }
    let mut currencies = Vec::new();
    for (currency, (open, booked)) in open {
        let found = rates.at(currency, functional, day)?;
        let at_close = cents(open * found.rate);
        currencies.push(CurrencyExposure {
            currency: currency.to_owned(),
            open,
            booked,
            at_close,
            unrealised: at_close - booked,
            rate: found.rate,
            rate_date: found.published,
            how: found.how,
        });
    }
    let realised: Vec<MonthGain> = realised
        .into_iter()
        .map(|(month, amount)| MonthGain { month, amount })
        .collect();
    Ok(Exposure {
        as_of: day,
        functional: functional.to_owned(),
        currencies,
        realised_ttm: realised.iter().map(|g| g.amount).sum(),
        realised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn rate(source: &str, day: &str, base: &str, quote: &str, r: &str) -> Rate {
        Rate {
            source: source.into(),
            day: d(day),
            base: base.into(),
            quote: quote.into(),
            rate: r.parse().unwrap(),
        }
    }

    #[test]
    fn the_latest_on_or_before_the_day_with_its_lag() {
        let r = Rates::new([
            rate("banxico", "2024-01-05", "USD", "MXN", "16.9666"),
            rate("banxico", "2024-01-08", "USD", "MXN", "16.8875"),
        ]);
        // Saturday and Sunday carry Friday's.
        let sun = r.at("USD", "MXN", d("2024-01-07")).unwrap();
        assert_eq!(
            (sun.rate, sun.published, sun.lag_days),
            ("16.9666".parse().unwrap(), d("2024-01-05"), 2)
        );
        assert_eq!(sun.how, Derivation::Direct);
        assert_eq!(r.at("USD", "MXN", d("2024-01-08")).unwrap().lag_days, 0);
        // Before the first: an error naming the pair and the day.
        let e = r.at("USD", "MXN", d("2024-01-04")).unwrap_err();
        assert!(
            e.to_string().contains("USD/MXN") && e.to_string().contains("2024-01-04"),
            "{e}"
        );
        assert_eq!(r.at("MXN", "MXN", d("2020-01-01")).unwrap().rate, Decimal::ONE);
    }

    #[test]
    fn the_inverse_when_only_it_exists_and_a_cross_of_one_source_and_day() {
        let r = Rates::new([
            rate("banxico", "2024-01-05", "USD", "MXN", "16.0000"),
            rate("ecb", "2024-01-04", "EUR", "USD", "1.0944"),
            rate("ecb", "2024-01-04", "EUR", "JPY", "158.00"),
            rate("ecb", "2024-01-05", "EUR", "USD", "1.0921"),
            // JPY not published on the 5th: the cross falls back to the 4th.
        ]);
        let inv = r.at("MXN", "USD", d("2024-01-05")).unwrap();
        assert_eq!(inv.rate, "0.0625".parse().unwrap());
        assert_eq!(inv.how, Derivation::Inverse);
        let cross = r.at("USD", "JPY", d("2024-01-05")).unwrap();
        assert_eq!(cross.how, Derivation::Cross { via: "EUR".into() });
        assert_eq!(cross.published, d("2024-01-04"));
        assert_eq!(
            cross.rate,
            "158.00".parse::<Decimal>().unwrap() / "1.0944".parse::<Decimal>().unwrap()
        );
        assert_eq!(cross.source, "ecb");
        // A zero rate is no rate: never divided by.
        let zero = Rates::new([rate("csv", "2024-01-04", "USD", "ARS", "0")]);
        assert!(zero.at("ARS", "USD", d("2024-01-04")).is_err());
        // Two sources never mix in a cross.
        let mixed = Rates::new([
            rate("ecb", "2024-01-04", "EUR", "USD", "1.0944"),
            rate("csv", "2024-01-04", "EUR", "COP", "4300"),
        ]);
        assert!(mixed.at("USD", "COP", d("2024-01-04")).is_err());
    }
}
