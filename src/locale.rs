//! Interface language and number formatting for people (the JSON report keeps
//! its fixed machine format; this is for Markdown and the TUI).

use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("es") {
            Some(Lang::Es)
        } else if s.starts_with("en") || s == "c" || s == "posix" || s.starts_with("c.") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the English or the Spanish text.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn pick<'a>(self, en: &'a str, es: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Es => es,
        }
    }
}

/// Separators of a company locale: `es-CO` and most of South America write
/// `1.234,56`; Mexico, the US and the rest here `1,234.56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub thousands: char,
    pub decimal: char,
}

impl Separators {
    pub fn for_locale(locale: &str) -> Separators {
        let region = locale.rsplit(['-', '_']).next().unwrap_or("").to_ascii_uppercase();
        let comma_decimal = matches!(
            region.as_str(),
            "CO" | "AR" | "CL" | "UY" | "PY" | "BO" | "EC" | "VE" | "BR" | "ES" | "DE" | "IT" | "PT" | "FR" | "NL"
        );
        if comma_decimal {
            Separators {
                thousands: '.',
                decimal: ',',
            }
        } else {
            Separators {
                thousands: ',',
                decimal: '.',
            }
        }
    }
}

/// `d` rounded half-even to `dp` decimals with grouping: `-1,234.50`.
pub fn group(d: Decimal, dp: u32, sep: Separators) -> String {
    let plain = crate::numbers::fixed(d, dp);
    let (neg, body) = match plain.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, plain.as_str()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let mut out = String::with_capacity(plain.len() + int.len() / 3 + 1);
    if neg {
        out.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(sep.thousands);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(sep.decimal);
        out.push_str(frac);
    }
    out
}

/// A ratio as a percentage with one decimal: `42.3%`.
pub fn percent(d: Decimal, sep: Separators) -> String {
    format!("{}%", group(d * Decimal::ONE_HUNDRED, 1, sep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn groups_by_locale() {
        let d = Decimal::from_str("-1234567.891").unwrap();
        assert_eq!(group(d, 2, Separators::for_locale("es-MX")), "-1,234,567.89");
        assert_eq!(group(d, 2, Separators::for_locale("es-CO")), "-1.234.567,89");
        assert_eq!(group(Decimal::from(999), 0, Separators::for_locale("en-US")), "999");
        assert_eq!(
            percent(Decimal::from_str("0.4231").unwrap(), Separators::for_locale("es-CO")),
            "42,3%"
        );
    }
}
