//! Strict parsers for the fields of the import formats (docs/formats.md#our-csv-format). Each
//! returns what was expected when it refuses, for the error message.

use crate::domain::Month;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// At most this many digits before the decimal point.
pub const MAX_INT_DIGITS: usize = 14;
/// At most this many digits after it.
pub const MAX_DECIMALS: usize = 4;

/// A plain decimal: optional minus, 1-14 digits, optionally a dot and 1-4 digits.
/// Thousands separators, decimal commas, exponents, `NaN`, `inf` and a plus sign
/// are refused with a message that says which.
pub fn decimal(s: &str) -> Result<Decimal, String> {
    if s.len() > super::MAX_NUMBER_CHARS {
        return Err(format!(
            "a number of at most {} characters (this one has {})",
            super::MAX_NUMBER_CHARS,
            s.len()
        ));
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        let lower = s.to_ascii_lowercase();
        let why = if s.is_empty() {
            "a number (the cell is empty)".to_owned()
        } else if lower.contains("nan") || lower.contains("inf") {
            "a finite number (NaN and infinity are not numbers here)".to_owned()
        } else if body.contains(',') && body.contains('.') || body.matches(',').count() > 1 {
            "a plain decimal without thousands separators, e.g. 1234.50".to_owned()
        } else if body.contains(',') {
            "a decimal with a dot, not a comma, e.g. 1234.50".to_owned()
        } else if lower.contains('e') && lower.chars().any(|c| c.is_ascii_digit()) {
            "a plain decimal without an exponent, e.g. 100000".to_owned()
        } else if s.starts_with('+') {
            "a plain decimal without a plus sign".to_owned()
        } else {
            "a plain decimal with a dot, e.g. 1234.50 or -80".to_owned()
        };
        return Err(why);
    }
    let int_digits = int.trim_start_matches('0');
    if int_digits.len() > MAX_INT_DIGITS {
        return Err(format!(
            "at most {MAX_INT_DIGITS} digits before the decimal point (the value is too large)"
        ));
    }
    let frac = frac.unwrap_or("");
    if frac.len() > MAX_DECIMALS {
        return Err(format!(
            "at most {MAX_DECIMALS} decimals (values are never rounded on import)"
        ));
    }
    let mut mantissa: i128 = 0;
    for b in int_digits.bytes().chain(frac.bytes()) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    if neg {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, frac.len() as u32).map_err(|_| "a smaller number".to_owned())
}

/// An amount as bank exports write it: a plain decimal, or with a currency
/// sign (`$`), grouped thousands (`1,234.56`) or in parentheses for a
/// negative (`(1,234.56)`). A decimal comma is read with `--decimal-comma`.
pub fn money(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, t),
    };
    let (sign, t) = match t.strip_prefix('-') {
        Some(r) => ("-", r.trim_start()),
        None => ("", t),
    };
    let t = t.strip_prefix('$').unwrap_or(t).trim_start();
    let t = t.strip_suffix('$').unwrap_or(t).trim_end();
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let groups: Vec<&str> = int.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    let plain = if grouped {
        let mut p = groups.concat();
        if let Some(f) = frac {
            p.push('.');
            p.push_str(f);
        }
        p
    } else {
        t.to_owned()
    };
    let d = decimal(&format!("{sign}{plain}")).map_err(|e| {
        e.replace(
            "a plain decimal without thousands separators, e.g. 1234.50",
            "an amount such as 1234.50, 1,234.50 or $1,234.50",
        )
    })?;
    Ok(if neg { -d } else { d })
}

/// A whole number ≥ 0 (customer counts).
pub fn count(s: &str) -> Result<i64, String> {
    if s.starts_with('-') && s.len() > 1 {
        return Err("a whole number ≥ 0 (counts cannot be negative)".to_owned());
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a whole number ≥ 0, e.g. 42".to_owned());
    }
    s.parse::<i64>().map_err(|_| "a smaller whole number".to_owned())
}

/// A real calendar date as `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("a date as YYYY-MM-DD, e.g. 2025-03-31".to_owned());
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let year = num(0..4) as i32;
    NaiveDate::from_ymd_opt(year, num(5..7), num(8..10))
        .filter(|_| year >= 1)
        .ok_or_else(|| "a real calendar date (this day does not exist)".to_owned())
}

/// A calendar month as `YYYY-MM`.
pub fn month(s: &str) -> Result<Month, String> {
    s.parse::<Month>()
        .map_err(|_| "a month as YYYY-MM, e.g. 2025-03".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal("1234.50").unwrap().to_string(), "1234.50");
        assert_eq!(decimal("-80").unwrap().to_string(), "-80");
        assert_eq!(decimal("0.0001").unwrap().to_string(), "0.0001");
        assert_eq!(
            decimal("99999999999999.9999").unwrap().to_string(),
            "99999999999999.9999"
        );
        assert_eq!(decimal("00012.5").unwrap().to_string(), "12.5");
        for (bad, hint) in [
            ("1,234.50", "thousands"),
            ("1.234,50", "thousands"),
            ("12,5", "comma"),
            ("1e5", "exponent"),
            ("NaN", "NaN"),
            ("inf", "NaN"),
            ("-inf", "NaN"),
            ("+5", "plus"),
            ("", "empty"),
            ("1.", "plain"),
            (".5", "plain"),
            ("1.2.3", "plain"),
            ("$12", "plain"),
            ("123456789012345", "too large"),
            ("1.23456", "decimals"),
            ("١٢", "plain"),
        ] {
            let err = decimal(bad).unwrap_err();
            assert!(err.contains(hint), "{bad:?}: {err}");
        }
    }

    #[test]
    fn bank_amounts() {
        for (raw, want) in [
            ("1234.50", "1234.50"),
            ("$1,234.50", "1234.50"),
            ("-$1,234.50", "-1234.50"),
            ("(1,234.50)", "-1234.50"),
            ("1,234,567", "1234567"),
            (" 12 ", "12"),
        ] {
            assert_eq!(money(raw).unwrap().to_string(), want, "{raw}");
        }
        for bad in ["1,23.4", "12,5", "$", "1.234,50"] {
            assert!(money(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_and_dates() {
        assert_eq!(count("42"), Ok(42));
        assert!(count("-3").unwrap_err().contains("negative"));
        assert!(count("2.5").is_err());
        assert_eq!(date("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert!(date("2023-02-29").unwrap_err().contains("does not exist"));
        assert!(date("2023-2-1").is_err());
        assert!(date("01/02/2023").is_err());
        assert!(month("2023-13").is_err());
    }
}
