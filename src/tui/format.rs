//! Numbers for the screen: the company's separators and currency, the
//! interface language, `—` for a value that cannot be computed.

use crate::domain::Company;
use crate::locale::{Separators, group};
use rust_decimal::Decimal;

/// How one company's figures are written.
#[derive(Debug, Clone)]
pub struct Fmt {
    pub sep: Separators,
    pub currency: String,
}

pub const NONE: &str = "—";

impl Fmt {
    pub fn for_company(c: &Company) -> Fmt {
        Fmt {
            sep: Separators::for_locale(&c.locale),
            currency: crate::sanitize::clean(&c.currency),
        }
    }

    /// `1,234.50` (2 decimals), no currency.
    pub fn amount(&self, d: Decimal) -> String {
        group(d, 2, self.sep)
    }

    /// Whole currency units with the code: `USD 1,235`; large values shortened
    /// (`USD 1.2M`) when `compact`.
    pub fn money(&self, d: Option<Decimal>, compact: bool) -> String {
        let Some(d) = d else { return NONE.into() };
        if compact {
            let abs = d.abs();
            let (v, suffix) = if abs >= Decimal::from(1_000_000_000) {
                (d / Decimal::from(1_000_000_000), "B")
            } else if abs >= Decimal::from(1_000_000) {
                (d / Decimal::from(1_000_000), "M")
            } else if abs >= Decimal::from(100_000) {
                (d / Decimal::from(1_000), "k")
            } else {
                (d, "")
            };
            let dp = if suffix.is_empty() { 0 } else { 1 };
            return format!("{} {}{suffix}", self.currency, group(v, dp, self.sep));
        }
        format!("{} {}", self.currency, group(d, 2, self.sep))
    }

    /// `money(d, true)` without the currency code, for narrow columns.
    pub fn compact(&self, d: Decimal) -> String {
        let s = self.money(Some(d), true);
        s.strip_prefix(&self.currency)
            .map_or(s.clone(), |r| r.trim_start().to_owned())
    }

    /// A ratio as a percentage, one decimal: `42.3%`.
    pub fn pct(&self, d: Option<Decimal>) -> String {
        d.map_or(NONE.into(), |v| crate::locale::percent(v, self.sep))
    }

    /// Months, days, multiples: `8.3`.
    pub fn num(&self, d: Option<Decimal>, dp: u32) -> String {
        d.map_or(NONE.into(), |v| group(v, dp, self.sep))
    }

    pub fn int(&self, v: Option<i64>) -> String {
        v.map_or(NONE.into(), |v| group(Decimal::from(v), 0, self.sep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(locale: &str) -> Fmt {
        Fmt {
            sep: Separators::for_locale(locale),
            currency: "COP".into(),
        }
    }

    #[test]
    fn money_in_the_company_locale() {
        let f = fmt("es-CO");
        assert_eq!(f.money(Some(Decimal::new(123456789, 2)), false), "COP 1.234.567,89");
        assert_eq!(f.money(Some(Decimal::from(374_414_019)), true), "COP 374,4M");
        assert_eq!(f.money(Some(Decimal::from(-2500)), true), "COP -2.500");
        assert_eq!(f.money(None, true), "—");
        assert_eq!(fmt("es-MX").pct(Some(Decimal::new(4231, 4))), "42.3%");
    }
}
