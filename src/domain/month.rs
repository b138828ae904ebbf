//! A calendar month (`YYYY-MM`), the unit of the monthly financials.

use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A calendar month. Ordered chronologically; displayed and parsed as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Months since year 0 (year * 12 + month0); keeps arithmetic and ordering trivial.
    index: i32,
}

impl Month {
    /// `month` is 1..=12. Returns `None` for an impossible month or a year outside 1..=9999.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        if !(1..=12).contains(&month) || !(1..=9999).contains(&year) {
            return None;
        }
        Some(Month {
            index: year * 12 + (month as i32 - 1),
        })
    }

    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// 1..=12
    pub fn month(self) -> u32 {
        (self.index.rem_euclid(12) + 1) as u32
    }

    /// The month `k` months later (earlier when `k` is negative).
    pub fn plus(self, k: i32) -> Month {
        Month { index: self.index + k }
    }

    /// Whole months from `other` to `self` (positive when `self` is later).
    pub fn months_since(self, other: Month) -> i32 {
        self.index - other.index
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last calendar day of the month (**D** when this is the as-of month).
    pub fn last_day(self) -> NaiveDate {
        self.plus(1).first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// Number of calendar days in the month.
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn of_date(date: NaiveDate) -> Month {
        Month {
            index: date.year() * 12 + date.month0() as i32,
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// Why a text is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a month as YYYY-MM (e.g. 2025-03)")]
pub struct MonthParseError;

impl FromStr for Month {
    type Err = MonthParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
            return Err(MonthParseError);
        }
        let year: i32 = s[0..4].parse().map_err(|_| MonthParseError)?;
        let month: u32 = s[5..7].parse().map_err(|_| MonthParseError)?;
        Month::new(year, month).ok_or(MonthParseError)
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn month_names() -> [(&'static str, u32); 40] {
    [
        ("january", 1),
        ("february", 2),
        ("march", 3),
        ("april", 4),
        ("may", 5),
        ("june", 6),
        ("july", 7),
        ("august", 8),
        ("september", 9),
        ("october", 10),
        ("november", 11),
        ("december", 12),
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("sept", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
        ("enero", 1),
        ("febrero", 2),
        ("marzo", 3),
        ("abril", 4),
        ("mayo", 5),
        ("junio", 6),
        ("julio", 7),
        ("agosto", 8),
        ("septiembre", 9),
        ("setiembre", 9),
        ("octubre", 10),
        ("noviembre", 11),
        ("diciembre", 12),
        ("ene", 1),
        ("abr", 4),
        ("ago", 8),
    ]
}

/// The number of a month named in English or Spanish, in full or as its usual
/// abbreviation, lower case without accents (`march`, `mar`, `marzo`, `sept`, `dic`).
pub fn month_number(name: &str) -> Option<u32> {
    match name {
        "set" => Some(9),
        "dic" => Some(12),
        _ => month_names().iter().find(|(n, _)| *n == name).map(|(_, m)| *m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let m: Month = "2024-02".parse().unwrap();
        assert_eq!(m.year(), 2024);
        assert_eq!(m.month(), 2);
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.days(), 29);
        assert_eq!(m.plus(-2).to_string(), "2023-12");
        assert_eq!(m.plus(11).to_string(), "2025-01");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
    }

    #[test]
    fn refuses_bad_months() {
        for bad in [
            "2024-13",
            "2024-00",
            "2024-1",
            "24-01",
            "2024/01",
            "",
            "2024-01-01",
            "abcd-ef",
            "0000-01",
            "+202-01",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
