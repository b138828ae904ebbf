//! The rate that applies on a day: the latest published on or before it
//! (weekends and holidays carry the last one; the lag is told), the inverse
//! pair when only it was published, or a cross through one common base of
//! the same source and day (the ECB's euro), labelled as such. A missing rate
//! is an error naming the pair and the day, never an unconverted amount.

use crate::domain::fx::Rate;
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
