//! Output formatting of decimals at the fixed scales of docs/metrics.md: money 2,
//! ratios and multiples 4, months, days and scores 2; half-even; `-0.00` → `0.00`.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// `d` rounded half-even to `dp` decimals and printed with exactly `dp` decimals.
pub fn fixed(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    r.rescale(dp);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r.to_string()
}

pub fn money(d: Decimal) -> String {
    fixed(d, 2)
}

pub fn ratio(d: Decimal) -> String {
    fixed(d, 4)
}

/// Months, days and scores.
pub fn two(d: Decimal) -> String {
    fixed(d, 2)
}

/// JSON string at a fixed scale, or `null`.
pub fn json(d: Option<Decimal>, dp: u32) -> Value {
    d.map_or(Value::Null, |v| Value::String(fixed(v, dp)))
}

pub fn j_money(d: Option<Decimal>) -> Value {
    json(d, 2)
}

pub fn j_ratio(d: Option<Decimal>) -> Value {
    json(d, 4)
}

pub fn j_two(d: Option<Decimal>) -> Value {
    json(d, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn fixed_scale_half_even() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(money(d("1234.5")), "1234.50");
        assert_eq!(money(d("0.125")), "0.12");
        assert_eq!(money(d("0.135")), "0.14");
        assert_eq!(money(d("-0.001")), "0.00");
        assert_eq!(ratio(d("0.42305")), "0.4230");
        assert_eq!(ratio(d("3")), "3.0000");
        assert_eq!(two(d("-12.345")), "-12.34");
    }
}
