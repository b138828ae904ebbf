//! A company's months in another currency (a presentation currency, or a
//! group's): each month's flows at that month's average rate, its balances
//! at the month-end rate, every amount rounded to cents (half to even); then
//! every metric is computed on the translated months as on any others.
//!
//! The average of a month is the mean of the rates published in it (each
//! day's rate had as `Rates::at` has it: the pair, its inverse or a cross of
//! one source and day), rounded to 6 decimals; the close is the rate of the
//! month's last day (the latest published on or before it).

use super::collections::{CollectionsInput, ReceivableFlows};
use super::fx::{FxError, Rates, cents};
use super::ledger::Ledger;
use crate::domain::{Month, MonthlyFinancials, Product};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The rates a month is translated at: units of the target per unit of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRates {
    pub month: Month,
    /// For flows: the mean of the month's published rates.
    pub average: Decimal,
    /// For balances: the rate of the month's last day.
    pub close: Decimal,
    /// The day the close was published.
    pub close_date: NaiveDate,
}

/// How one currency's months become another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub from: String,
    pub to: String,
    /// By month, ascending.
    pub months: BTreeMap<Month, MonthRates>,
}

impl Translation {
    /// The rates of `months` (an empty translation when the currencies are one).
    pub fn new(
        rates: &Rates,
        from: &str,
        to: &str,
        months: impl IntoIterator<Item = Month>,
    ) -> Result<Translation, FxError> {
        let mut out = BTreeMap::new();
        if from != to {
            for m in months {
                out.insert(m, month_rates(rates, from, to, m)?);
            }
        }
        Ok(Translation {
            from: from.to_owned(),
            to: to.to_owned(),
            months: out,
        })
    }

    fn rates(&self, m: Month) -> Option<&MonthRates> {
        self.months.get(&m)
    }

    /// A flow of month `m` translated (as is when the currencies are one:
    /// callers translate only the months the translation was made for).
    pub fn flow(&self, m: Month, v: Decimal) -> Decimal {
        self.rates(m).map_or(v, |r| cents(v * r.average))
    }

    /// A balance at the end of month `m` translated.
    pub fn balance(&self, m: Month, v: Decimal) -> Decimal {
        self.rates(m).map_or(v, |r| cents(v * r.close))
    }
}

/// One month's average and close.
pub fn month_rates(rates: &Rates, from: &str, to: &str, m: Month) -> Result<MonthRates, FxError> {
    let close = rates.at(from, to, m.last_day())?;
    let mut sum = Decimal::ZERO;
    let mut n = 0u32;
    let mut day = m.first_day();
    while day <= m.last_day() {
        if let Ok(f) = rates.at(from, to, day)
            && f.lag_days == 0
        {
            sum += f.rate;
            n += 1;
        }
        day = day.succ_opt().unwrap_or(day);
        if day == m.first_day() {
            break;
        }
    }
    if n == 0 {
        return Err(FxError::NoneInMonth {
            base: from.to_owned(),
            quote: to.to_owned(),
            month: m.to_string(),
        });
    }
    Ok(MonthRates {
        month: m,
        average: (sum / Decimal::from(n)).round_dp(6),
        close: close.rate,
        close_date: close.published,
    })
}

/// The months translated: revenue, cogs, opex, sales & marketing,
/// depreciation, other income and financing at the month's average; the
/// cash at its end at the close; customer counts as they are.
pub fn ledger(from: &Ledger, t: &Translation) -> Ledger {
    Ledger::new(from.rows().map(|r| {
        let m = r.month;
        let flow = |v: Decimal| t.flow(m, v);
        MonthlyFinancials {
            month: m,
            revenue: flow(r.revenue),
            cogs: flow(r.cogs),
            opex: flow(r.opex),
            sales_marketing: r.sales_marketing.map(flow),
            depreciation: r.depreciation.map(flow),
            other_income: r.other_income.map(flow),
            financing: r.financing.map(flow),
            cash_end: t.balance(m, r.cash_end),
            customers_new: r.customers_new,
            customers_churned: r.customers_churned,
            customers_end: r.customers_end,
        }
    }))
}

/// The receivables at month `m` translated: what is open at its end and at
/// the end of the month before at their closes, the credit sales of each
/// month at its average (from the amounts issued by month).
pub fn collections(input: &CollectionsInput, flows: &ReceivableFlows, m: Month, t: &Translation) -> CollectionsInput {
    let mut issued: BTreeMap<Month, Decimal> = BTreeMap::new();
    for (d, v) in &flows.issued {
        *issued.entry(Month::of_date(*d)).or_default() += *v;
    }
    let sales = |k: i32| {
        let month = m.plus(k);
        t.flow(month, issued.get(&month).copied().unwrap_or_default())
    };
    CollectionsInput {
        open_at_d: input
            .open_at_d
            .iter()
            .map(|g| super::collections::OpenGroup {
                open: t.balance(m, g.open),
                ..g.clone()
            })
            .collect(),
        ar_begin: t.balance(m.plus(-1), input.ar_begin),
        credit_sales_3m: sales(-2) + sales(-1) + sales(0),
        credit_sales_m: sales(0),
    }
}

/// Whether anything was issued in month `m`.
pub fn issued_in(flows: &ReceivableFlows, m: Month) -> bool {
    flows
        .issued
        .iter()
        .any(|(d, v)| Month::of_date(*d) == m && !v.is_zero())
}

/// Products' prices and costs (monthly figures) at the as-of month's average.
pub fn products(products: &[Product], m: Month, t: &Translation) -> Vec<Product> {
    products
        .iter()
        .map(|p| Product {
            unit_price: t.flow(m, p.unit_price),
            unit_cost: t.flow(m, p.unit_cost),
            fixed_costs: t.flow(m, p.fixed_costs),
            ..p.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fx::Rate;

    fn rate(day: &str, r: &str) -> Rate {
        Rate {
            source: "banxico".into(),
            day: day.parse().unwrap(),
            base: "USD".into(),
            quote: "MXN".into(),
            rate: r.parse().unwrap(),
        }
    }

    #[test]
    fn the_average_is_of_the_days_published_and_the_close_of_the_last_day() {
        let rates = Rates::new([
            rate("2024-01-31", "17.0000"),
            rate("2024-02-01", "17.1000"),
            rate("2024-02-02", "17.2000"),
            rate("2024-02-28", "17.0000"),
        ]);
        let m: Month = "2024-02".parse().unwrap();
        let r = month_rates(&rates, "MXN", "USD", m).unwrap();
        // The inverses' mean, to 6 decimals; the close carried from the 28th.
        let mean = (Decimal::ONE / Decimal::new(171, 1)
            + Decimal::ONE / Decimal::new(172, 1)
            + Decimal::ONE / Decimal::from(17))
            / Decimal::from(3);
        assert_eq!(r.average, mean.round_dp(6));
        assert_eq!(r.close_date, "2024-02-28".parse::<NaiveDate>().unwrap());
        let none = month_rates(&rates, "USD", "MXN", "2024-03".parse().unwrap()).unwrap_err();
        assert!(
            none.to_string().contains("USD/MXN") && none.to_string().contains("2024-03"),
            "{none}"
        );
        let t = Translation::new(&rates, "USD", "MXN", [m]).unwrap();
        assert_eq!(t.flow(m, Decimal::from(100)), Decimal::from(1710));
        assert_eq!(t.balance(m, Decimal::new(1, 0)), Decimal::from(17));
    }
}
