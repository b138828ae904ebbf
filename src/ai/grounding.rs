//! Grounding: every figure an answer states is looked for among the figures the
//! agent was given. A stated figure matches when some input value, scaled as
//! written (`%`, `k`, `M`, `B`), rounds to it at the decimals written; the
//! others are marked unverified in the panel.
//!
//! Months are checked too: `2027-03`, `March 2027`, `marzo de 2027`, `mar-27`
//! stated in an answer must be among the months the agent was given (the
//! as-of month, cash-zero, break-even, every month of the metrics, the
//! projections and the tools' results); the others are unverified like figures.
//!
//! Not checked (they are not metrics): years 1900-2100 written alone, integers
//! up to 12 written bare (list numbers, priorities), 30/60/90/100 written bare
//! (aging limits, "out of 100"), and digits inside words.

use crate::domain::{Month, month_number};
use rust_decimal::Decimal;
use serde_json::Value;

/// A figure in the text that no input value accounts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The metrics an answer is checked against: every number in the JSON (strings
/// that are numbers count), and the names that contain digits ("Azúcar 50 kg",
/// "SKU-12") — a figure inside one of them, where the text quotes it, is part of a name.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub values: Vec<Decimal>,
    pub names: Vec<String>,
    /// The months given (`YYYY-MM` strings, and the months of `YYYY-MM-DD` dates).
    pub months: Vec<Month>,
}

impl Inputs {
    pub fn of(metrics: &Value) -> Inputs {
        fn walk(v: &Value, out: &mut Inputs) {
            match v {
                Value::Number(n) => out.values.extend(n.to_string().parse::<Decimal>().ok()),
                Value::String(s) => {
                    out.months.extend(month_of_text(s));
                    match s.parse::<Decimal>() {
                        Ok(d) => out.values.push(d),
                        Err(_) if s.chars().any(|c| c.is_ascii_digit()) => out.names.push(s.clone()),
                        Err(_) => {}
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                Value::Object(o) => o.values().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Inputs::default();
        walk(metrics, &mut out);
        out
    }
}

/// A month given as `YYYY-MM` or the date `YYYY-MM-DD`.
fn month_of_text(s: &str) -> Option<Month> {
    let s = s.trim();
    match s.len() {
        7 => s.parse().ok(),
        10 => s.parse::<chrono::NaiveDate>().ok().map(Month::of_date),
        _ => None,
    }
}

/// The months an answer states, with their byte ranges: `2027-03` (or a
/// date in it), `March 2027`, `Mar 2027`, `marzo de 2027`, `mar-27`.
fn stated_months(text: &str) -> Vec<(usize, usize, Month)> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.end <= b.len() && b[r].iter().all(u8::is_ascii_digit);
    let mut out = Vec::new();
    // YYYY-MM and YYYY-MM-DD.
    let mut i = 0;
    while i + 7 <= b.len() {
        let starts = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-');
        if starts && digits(i..i + 4) && b[i + 4] == b'-' && digits(i + 5..i + 7) && !digits(i + 7..i + 8) {
            let mut end = i + 7;
            if b.get(end) == Some(&b'-') && digits(end + 1..end + 3) && !digits(end + 3..end + 4) {
                end += 3;
            }
            let (y, m) = (text[i..i + 4].parse().ok(), text[i + 5..i + 7].parse().ok());
            if let (Some(y), Some(m)) = (y, m)
                && let Some(month) = Month::new(y, m)
            {
                out.push((i, end, month));
            }
            i = end;
            continue;
        }
        i += 1;
    }
    // A month's name and a year.
    let words: Vec<(usize, &str)> = text
        .split(|c: char| !c.is_alphanumeric())
        .scan(0usize, |at, w| {
            let start = text[*at..].find(w).map_or(*at, |k| *at + k);
            *at = start + w.len();
            Some((start, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    for (k, (start, word)) in words.iter().enumerate() {
        let Some(number) = month_number(&word.to_lowercase()) else {
            continue;
        };
        let mut next = k + 1;
        if words
            .get(next)
            .is_some_and(|(_, w)| w.eq_ignore_ascii_case("de") || w.eq_ignore_ascii_case("del"))
        {
            next += 1;
        }
        let Some((ys, year)) = words.get(next) else { continue };
        let between = &text[start + word.len()..*ys];
        let year = match year.len() {
            4 if between.chars().all(|c| c == ' ' || c == ',' || c.is_alphabetic()) => year.parse::<i32>().ok(),
            // mar-27, Mar '27
            2 if between == "-" || between == " '" => year.parse::<i32>().ok().map(|y| 2000 + y),
            _ => None,
        };
        if let Some(month) = year
            .filter(|y| (1900..=2100).contains(y))
            .and_then(|y| Month::new(y, number))
        {
            out.push((*start, ys + words[next].1.len(), month));
        }
    }
    out.sort();
    out
}

/// A number as written: its value in the written unit, its decimals, and the scale
/// (`%` 0.01, `k` 10³, `M` 10⁶, `B` 10⁹).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stated {
    start: usize,
    end: usize,
    value: Decimal,
    decimals: u32,
    percent: bool,
    scale: Decimal,
    bare_integer: bool,
}

fn parse_digits(s: &str) -> Option<(Decimal, u32)> {
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    let decimal_sep = match (commas, dots) {
        (0, 0) => None,
        (c, d) if c > 0 && d > 0 => {
            if s.rfind(',') > s.rfind('.') {
                Some(',')
            } else {
                Some('.')
            }
        }
        (c, 0) if c > 1 => None,
        (0, d) if d > 1 => None,
        _ => {
            let sep = if commas == 1 { ',' } else { '.' };
            let (int, frac) = s.split_once(sep)?;
            // "1,234" and "12.500" group thousands; "0.283" and "8.28" have decimals.
            if frac.len() == 3 && !int.trim_start_matches('0').is_empty() {
                None
            } else {
                Some(sep)
            }
        }
    };
    let (int, frac) = match decimal_sep {
        Some(sep) => {
            let i = s.rfind(sep)?;
            (&s[..i], &s[i + 1..])
        }
        None => (s, ""),
    };
    let int: String = int.chars().filter(char::is_ascii_digit).collect();
    let text = if frac.is_empty() { int } else { format!("{int}.{frac}") };
    let v = text.parse::<Decimal>().ok()?;
    Some((v, frac.len() as u32))
}

fn stated_numbers(text: &str) -> Vec<Stated> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < bytes.len() {
            let c = bytes[end];
            let sep_then_digit = matches!(c, b',' | b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if c.is_ascii_digit() || sep_then_digit {
                end += 1;
            } else {
                break;
            }
        }
        i = end;
        let prev = text[..start].chars().next_back();
        let next = text[end..].chars().next();
        // Inside a word or an identifier (cmgr_3, Q3, A1): not a figure.
        if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        // Dates: 2026-10, 2026-10-31.
        let date_part = (next == Some('-') && text[end + 1..].starts_with(|c: char| c.is_ascii_digit()))
            || (prev == Some('-') && text[..start.saturating_sub(1)].ends_with(|c: char| c.is_ascii_digit()));
        if date_part {
            continue;
        }
        let Some((value, decimals)) = parse_digits(&text[start..end]) else {
            continue;
        };
        let rest = &text[end..];
        let after_space = rest.trim_start_matches(' ');
        let (percent, scale, unit_len) = if after_space.starts_with('%') {
            (true, Decimal::new(1, 2), rest.len() - after_space.len() + 1)
        } else {
            let unit = rest.chars().next();
            let word_ends = |n: usize| rest[n..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            match unit {
                Some('k' | 'K') if word_ends(1) => (false, Decimal::from(1_000), 1),
                Some('M') if word_ends(1) => (false, Decimal::from(1_000_000), 1),
                Some('B') if word_ends(1) => (false, Decimal::from(1_000_000_000), 1),
                Some(c) if c.is_alphabetic() && c != 'x' => continue,
                _ => (false, Decimal::ONE, 0),
            }
        };
        let bare_integer = decimals == 0 && !percent && scale == Decimal::ONE;
        out.push(Stated {
            start,
            end: end + unit_len,
            value,
            decimals,
            percent,
            scale,
            bare_integer,
        });
    }
    out
}

fn exempt(s: &Stated) -> bool {
    if !s.bare_integer {
        return false;
    }
    let v = s.value;
    v <= Decimal::from(12)
        || (Decimal::from(1900)..=Decimal::from(2100)).contains(&v)
        || [30, 40, 60, 90, 100].iter().any(|k| v == Decimal::from(*k))
}

/// Whether `x` written in the stated unit rounds to the stated value.
fn rounds_to(x: Decimal, s: &Stated) -> bool {
    let Some(scaled) = x.abs().checked_div(s.scale) else {
        return false;
    };
    let half = Decimal::new(5, s.decimals + 1);
    (scaled - s.value).abs() <= half
}

fn matches(inputs: &[Decimal], s: &Stated) -> bool {
    inputs.iter().any(|x| {
        rounds_to(*x, s)
            // A ratio written as a percentage without the sign ("a margin of 78.9").
            || (!s.percent && s.scale == Decimal::ONE && rounds_to(*x * Decimal::ONE_HUNDRED, s))
            // A percentage of a value that is already in percent (rare, but exact).
            || (s.percent && rounds_to(*x * Decimal::new(1, 2), s))
    })
}

/// The figures of `text` that match no input value.
pub fn unverified(text: &str, inputs: &Inputs) -> Vec<Unverified> {
    let mut named: Vec<(usize, usize)> = Vec::new();
    for n in &inputs.names {
        named.extend(text.match_indices(n.as_str()).map(|(i, m)| (i, i + m.len())));
    }
    let months = stated_months(text);
    let mut out: Vec<Unverified> = stated_numbers(text)
        .into_iter()
        .filter(|s| !named.iter().any(|(a, b)| *a <= s.start && s.end <= *b))
        // The digits of a stated month are the month's, checked below.
        .filter(|s| !months.iter().any(|(a, b, _)| *a <= s.start && s.end <= *b))
        .filter(|s| !exempt(s) && !matches(&inputs.values, s))
        .map(|s| Unverified {
            text: text[s.start..s.end].to_owned(),
            start: s.start,
            end: s.end,
        })
        .collect();
    out.extend(
        months
            .into_iter()
            .filter(|(a, b, m)| !inputs.months.contains(m) && !named.iter().any(|(x, y)| x <= a && b <= y))
            .map(|(start, end, _)| Unverified {
                text: text[start..end].to_owned(),
                start,
                end,
            }),
    );
    out.sort_by_key(|u| u.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(text: &str, metrics: Value) -> Vec<String> {
        unverified(text, &Inputs::of(&metrics))
            .into_iter()
            .map(|u| u.text)
            .collect()
    }

    #[test]
    fn figures_are_checked_against_the_inputs_within_rounding() {
        let m = json!({"runway_months": "8.28", "gross_margin": "0.7892", "cash_end": "764240.43",
                       "net_burn": "92329.37", "revenue_ttm": "2152530.25", "dso": "26.52", "as_of": "2026-10"});
        assert!(check("Runway is 8.28 months, about 8.3.", m.clone()).is_empty());
        assert!(check("Gross margin 78.9% (78.92 %), 79%.", m.clone()).is_empty());
        assert!(check("Cash USD 764,240.43 or 764.240,43 or $764k; burn 92,329.", m.clone()).is_empty());
        assert!(check("Revenue TTM 2.2M, 2.15M.", m.clone()).is_empty());
        assert_eq!(
            check("Runway is 9.5 months; margin 65%.", m.clone()),
            vec!["9.5", "65%"]
        );
        assert_eq!(check("Burn of 92,000 a month", m.clone()), vec!["92,000"]);
        // Not figures: dates, years, list numbers, identifiers, out of 100.
        assert!(check("1. In 2026-10 (2027) cmgr_3 was up; DSO 26.52 of 100; over 90 days.", m).is_empty());
        let named = json!({"name": "Azúcar estándar 50 kg", "unit_price": "1090.00"});
        assert!(check("Raise Azúcar estándar 50 kg to 1,090.00.", named.clone()).is_empty());
        assert_eq!(check("Sell 50 kg more.", named), vec!["50"]);
    }

    #[test]
    fn months_are_checked_against_the_months_computed() {
        let m = json!({"as_of": "2025-06", "break_even_month": "2026-11", "cash_zero": null,
                       "weeks": [{"start": "2025-07-07"}], "opex_cut_pct": "12.0", "price_rise": "0.0741"});
        // The break-even month Katalis computed is 2026-11: 2027-03 is not it, in any spelling.
        for wrong in ["2027-03", "March 2027", "marzo de 2027", "mar-27", "Mar 2027"] {
            let text = format!("Cut opex by 12% to break even by {wrong}.");
            assert_eq!(check(&text, m.clone()), vec![wrong], "{text}");
        }
        for right in [
            "2026-11",
            "November 2026",
            "noviembre de 2026",
            "nov-26",
            "Nov 2026",
            "2025-06",
            "July 2025",
        ] {
            let text = format!("Break even by {right}; raise prices 7%.");
            assert!(
                check(&text, m.clone()).is_empty(),
                "{text}: {:?}",
                check(&text, m.clone())
            );
        }
        // A percentage that rounds to a computed one stays verified: 7% for 7.41%.
        assert!(check("A 7% rise (7.4%) is enough.", m.clone()).is_empty());
        // A year alone is no month; a word that names a month without a year neither.
        assert!(check("In 2027 we may grow; in May we hire.", m).is_empty());
    }
}
