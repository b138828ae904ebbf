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
    /// Negatives in table columns as `(1,234)` (the theme's accounting style).
    pub parentheses: bool,
}

/// The unit a table column of money is printed in: chosen once for the whole
/// column, named in its header, the same decimals on every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Whole currency units: `764,240`.
    Units,
    /// Thousands with one decimal: `764.2`.
    Thousands,
    /// Millions with two decimals: `0.76`.
    Millions,
}

impl Scale {
    fn divisor(self) -> Decimal {
        match self {
            Scale::Units => Decimal::ONE,
            Scale::Thousands => Decimal::from(1_000),
            Scale::Millions => Decimal::from(1_000_000),
        }
    }

    fn decimals(self) -> u32 {
        match self {
            Scale::Units => 0,
            Scale::Thousands => 1,
            Scale::Millions => 2,
        }
    }
}

/// The widest a money column is made: `-99,999,999` in whole units.
pub const COLUMN_WIDTH: usize = 11;

pub const NONE: &str = "—";

impl Fmt {
    pub fn for_company(c: &Company) -> Fmt {
        Fmt {
            sep: Separators::for_locale(&c.locale),
            currency: crate::sanitize::clean(&c.currency),
            parentheses: false,
        }
    }

    /// This format with the theme's way of writing negatives.
    pub fn themed(&self, theme: &super::theme::Theme) -> Fmt {
        Fmt {
            parentheses: theme.parentheses,
            ..self.clone()
        }
    }

    /// The scale of a column holding `values`: whole units when its widest
    /// figure fits in `width` characters, else thousands, else millions.
    pub fn scale(&self, values: impl IntoIterator<Item = Decimal>, width: usize) -> Scale {
        let widest = values.into_iter().map(|v| -v.abs()).min().unwrap_or_default();
        [Scale::Units, Scale::Thousands]
            .into_iter()
            .find(|s| crate::sanitize::width(&self.scaled(Some(widest), *s)) <= width)
            .unwrap_or(Scale::Millions)
    }

    /// A figure of a column in `scale`: no currency code (the header has it),
    /// the scale's decimals, `—` when missing.
    pub fn scaled(&self, d: Option<Decimal>, scale: Scale) -> String {
        let Some(d) = d else { return NONE.into() };
        let text = group(d / scale.divisor(), scale.decimals(), self.sep);
        match text.strip_prefix('-') {
            Some(abs) if self.parentheses => format!("({abs})"),
            _ => text,
        }
    }

    /// The unit of a column in `scale`, as its header names it: `USD`, `USD k`
    /// (`miles de USD`), `USD M` (`millones de USD`).
    pub fn unit(&self, scale: Scale, lang: crate::locale::Lang) -> String {
        let c = &self.currency;
        match (scale, lang) {
            (Scale::Units, _) => c.clone(),
            (Scale::Thousands, crate::locale::Lang::En) => format!("{c} k"),
            (Scale::Thousands, crate::locale::Lang::Es) => format!("miles de {c}"),
            (Scale::Millions, crate::locale::Lang::En) => format!("{c} M"),
            (Scale::Millions, crate::locale::Lang::Es) => format!("millones de {c}"),
        }
    }

    /// Headers for money columns: when they all share one scale, the labels
    /// as they are and the unit once (for the table's title); else each label
    /// with its own unit.
    pub fn headers(&self, columns: &[(&str, Scale)], lang: crate::locale::Lang) -> (Vec<String>, Option<String>) {
        let one = columns.windows(2).all(|w| w[0].1 == w[1].1);
        match columns.first() {
            Some((_, scale)) if one => (
                columns.iter().map(|(l, _)| (*l).to_owned()).collect(),
                Some(self.unit(*scale, lang)),
            ),
            _ => (columns.iter().map(|(l, s)| self.header(l, *s, lang)).collect(), None),
        }
    }

    /// A money column's header: `Ending cash (USD)`, `Caja al cierre (miles de USD)`.
    pub fn header(&self, label: &str, scale: Scale, lang: crate::locale::Lang) -> String {
        format!("{label} ({})", self.unit(scale, lang))
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
            parentheses: false,
        }
    }

    #[test]
    fn a_column_keeps_one_unit_chosen_from_its_widest_figure() {
        let f = fmt("en-US");
        let d = |v: i64| Decimal::from(v);
        let col = [d(764_240), d(1_012_345), d(-708_300)];
        assert_eq!(f.scale(col, 11), Scale::Units);
        assert_eq!(
            col.iter().map(|v| f.scaled(Some(*v), Scale::Units)).collect::<Vec<_>>(),
            ["764,240", "1,012,345", "-708,300"]
        );
        assert_eq!(f.scale(col, 8), Scale::Thousands);
        assert_eq!(f.scale(col, 7), Scale::Millions);
        assert_eq!(f.scaled(Some(d(1_012_345)), Scale::Thousands), "1,012.3");
        assert_eq!(f.scaled(Some(d(-708_300)), Scale::Thousands), "-708.3");
        assert_eq!(f.scale([d(-3_512_345_678)], 8), Scale::Millions);
        assert_eq!(f.scaled(Some(d(-3_512_345_678)), Scale::Millions), "-3,512.35");
        assert_eq!(
            f.header("Ending cash", Scale::Thousands, crate::locale::Lang::En),
            "Ending cash (COP k)"
        );
        assert_eq!(
            f.header("Caja al cierre", Scale::Millions, crate::locale::Lang::Es),
            "Caja al cierre (millones de COP)"
        );
        let acc = Fmt { parentheses: true, ..f };
        assert_eq!(acc.scaled(Some(d(-1234)), Scale::Units), "(1,234)");
        assert_eq!(acc.scaled(None, Scale::Units), "—");
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
