//! A group of companies consolidated in one currency: each member's months
//! translated as a presentation currency is (flows at the month's average,
//! balances at its close) and summed; what members invoiced one another
//! removed from the seller's revenue and from the group's opex (or cogs);
//! the translation difference of each month said apart.

use super::collections::{CollectionsInput, OpenGroup, ReceivableFlows};
use super::fx::{FxError, Rates};
use super::ledger::Ledger;
use super::translate::{self, Translation};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, Product};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// One member's books, in its own currency.
pub struct Member<'a> {
    pub company: &'a Company,
    pub ledger: &'a Ledger,
    /// Its receivables reduced at the group's as-of month.
    pub receivables: &'a CollectionsInput,
    pub flows: &'a ReceivableFlows,
    pub products: &'a [Product],
    /// Its invoices to other members (or to the group's intercompany names).
    pub intercompany: &'a [Invoice],
}

/// Where an intercompany purchase sat in the buyer's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntercompanyCost {
    #[default]
    Opex,
    Cogs,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("{0}")]
    Fx(#[from] FxError),
    #[error("{0}")]
    Months(String),
}

/// A group's consolidated books.
#[derive(Debug, Clone)]
pub struct Consolidated {
    pub as_of: Month,
    pub ledger: Ledger,
    pub receivables: CollectionsInput,
    pub products: Vec<Product>,
    /// Each member's name, currency and translation into the group's.
    pub translations: Vec<(String, Translation)>,
    /// Per month, what was removed as intercompany (group currency).
    pub eliminations: BTreeMap<Month, Decimal>,
    /// Per month after the first: the change in translated cash that the
    /// translated flows do not explain.
    pub translation_difference: BTreeMap<Month, Decimal>,
}

/// A customer's name as compared: trimmed, lower case, single spaces.
pub fn folded(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The names (folded) an intercompany invoice is made out to: the members'
/// and the group's listed ones.
pub fn intercompany_names<'a>(members: impl IntoIterator<Item = &'a str>, listed: &[String]) -> BTreeSet<String> {
    members
        .into_iter()
        .map(folded)
        .chain(listed.iter().map(|n| folded(n)))
        .collect()
}

/// The months every member has, and the as-of month: the one asked for (which
/// every member must have), else the latest of them.
fn common_months(members: &[Member<'_>], as_of: Option<Month>) -> Result<(Vec<Month>, Month), GroupError> {
    let mut common: Option<BTreeSet<Month>> = None;
    for m in members {
        let months: BTreeSet<Month> = m.ledger.rows().map(|r| r.month).collect();
        common = Some(match common {
            None => months,
            Some(c) => c.intersection(&months).copied().collect(),
        });
    }
    let common: Vec<Month> = common.unwrap_or_default().into_iter().collect();
    let as_of = match as_of {
        Some(m) if common.contains(&m) => m,
        Some(m) => {
            let lacking: Vec<String> = members
                .iter()
                .filter(|x| x.ledger.get(m).is_none())
                .map(|x| x.company.name.clone())
                .collect();
            return Err(GroupError::Months(format!(
                "{m}: not every member has financials for it ({} lacks it)",
                lacking.join(", ")
            )));
        }
        None => *common
            .last()
            .ok_or_else(|| GroupError::Months("the members have no month of financials in common".to_owned()))?,
    };
    Ok((common.into_iter().filter(|m| *m <= as_of).collect(), as_of))
}

fn add_opt(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
    }
}

fn add_count(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
    }
}

/// Consolidates `members` in `currency` at `as_of` (default: the latest month
/// every member has).
pub fn consolidate(
    members: &[Member<'_>],
    currency: &str,
    rates: &Rates,
    as_of: Option<Month>,
    cost: IntercompanyCost,
) -> Result<Consolidated, GroupError> {
    let (months, as_of) = common_months(members, as_of)?;
    let mut rows: BTreeMap<Month, MonthlyFinancials> = BTreeMap::new();
    let mut eliminations: BTreeMap<Month, Decimal> = months.iter().map(|m| (*m, Decimal::ZERO)).collect();
    let mut difference: BTreeMap<Month, Decimal> = BTreeMap::new();
    let mut translations = Vec::new();
    let mut open: BTreeMap<(String, super::collections::Bucket), OpenGroup> = BTreeMap::new();
    let mut receivables = CollectionsInput::default();
    let mut products = Vec::new();
    for member in members {
        let from = &member.company.currency;
        // The months, and the two before the as-of month its receivables reach back to.
        let mut needed: BTreeSet<Month> = months.iter().copied().collect();
        if !member.receivables.ar_begin.is_zero() || translate::issued_in(member.flows, as_of.plus(-1)) {
            needed.insert(as_of.plus(-1));
        }
        if translate::issued_in(member.flows, as_of.plus(-2)) {
            needed.insert(as_of.plus(-2));
        }
        let t = Translation::new(rates, from, currency, needed)?;
        // The member's months translated.
        let ledger = translate::ledger(member.ledger, &t);
        for m in &months {
            let Some(r) = ledger.get(*m) else { continue };
            let row = rows.entry(*m).or_insert_with(|| MonthlyFinancials {
                month: *m,
                revenue: Decimal::ZERO,
                cogs: Decimal::ZERO,
                opex: Decimal::ZERO,
                sales_marketing: None,
                depreciation: None,
                other_income: None,
                financing: None,
                cash_end: Decimal::ZERO,
                customers_new: None,
                customers_churned: None,
                customers_end: None,
            });
            row.revenue += r.revenue;
            row.cogs += r.cogs;
            row.opex += r.opex;
            row.sales_marketing = add_opt(row.sales_marketing, r.sales_marketing);
            row.depreciation = add_opt(row.depreciation, r.depreciation);
            row.other_income = add_opt(row.other_income, r.other_income);
            row.financing = add_opt(row.financing, r.financing);
            row.cash_end += r.cash_end;
            row.customers_new = add_count(row.customers_new, r.customers_new);
            row.customers_churned = add_count(row.customers_churned, r.customers_churned);
            row.customers_end = add_count(row.customers_end, r.customers_end);
        }
        // What it invoiced the group, per month, at the month's average.
        let mut sold: BTreeMap<Month, Decimal> = BTreeMap::new();
        for inv in member.intercompany {
            *sold.entry(Month::of_date(inv.issue_date)).or_default() += inv.amount;
        }
        for (m, amount) in sold {
            if let Some(e) = eliminations.get_mut(&m) {
                *e += t.flow(m, amount);
            }
        }
        // The change in translated cash the translated flows do not explain.
        for pair in months.windows(2) {
            let (prev, m) = (pair[0], pair[1]);
            let (Some(now), Some(before)) = (member.ledger.get(m), member.ledger.get(prev)) else {
                continue;
            };
            let actual = t.balance(m, now.cash_end) - t.balance(prev, before.cash_end);
            let explained = t.flow(m, now.cash_end - before.cash_end);
            *difference.entry(m).or_default() += actual - explained;
        }
        let r = translate::collections(member.receivables, member.flows, as_of, &t);
        receivables.ar_begin += r.ar_begin;
        receivables.credit_sales_3m += r.credit_sales_3m;
        receivables.credit_sales_m += r.credit_sales_m;
        for g in r.open_at_d {
            open.entry((g.customer.clone(), g.bucket))
                .and_modify(|x| {
                    x.open += g.open;
                    x.oldest_due = x.oldest_due.min(g.oldest_due);
                })
                .or_insert(g);
        }
        products.extend(translate::products(member.products, as_of, &t));
        translations.push((member.company.name.clone(), t));
    }
    for (m, e) in &eliminations {
        if let Some(row) = rows.get_mut(m) {
            row.revenue -= *e;
            match cost {
                IntercompanyCost::Opex => row.opex -= *e,
                IntercompanyCost::Cogs => row.cogs -= *e,
            }
        }
    }
    receivables.open_at_d = open.into_values().collect();
    Ok(Consolidated {
        as_of,
        ledger: Ledger::new(rows.into_values()),
        receivables,
        products,
        translations,
        eliminations,
        translation_difference: difference,
    })
}
