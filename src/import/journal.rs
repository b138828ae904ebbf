//! Plain-text accounting journals (hledger/ledger and beancount) into monthly
//! financials. Parsing is the crates' (`ledger-parser`, `beancount-parser`);
//! here postings are checked (every transaction balances), classified by the
//! accounts file, and summed per calendar month:
//!
//! - revenue, other_income, financing = −(sum of postings); cogs, opex,
//!   sales_marketing, depreciation = sum of postings (journals write income
//!   negative);
//! - cash_end = the running balance of the cash accounts at month end,
//!   everything before included (opening balances too);
//! - every month from the first transaction to the last, 0 where a month has
//!   no postings; customer counts unknown.

use super::{Collector, ImportError, Problem, shorten};
use crate::domain::{Month, MonthlyFinancials};
use crate::sanitize;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The journal syntaxes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalFormat {
    Hledger,
    Ledger,
    Beancount,
}

impl JournalFormat {
    pub fn parse(s: &str) -> Option<JournalFormat> {
        match s.to_ascii_lowercase().as_str() {
            "hledger" => Some(JournalFormat::Hledger),
            "ledger" => Some(JournalFormat::Ledger),
            "beancount" => Some(JournalFormat::Beancount),
            _ => None,
        }
    }

    /// From the extension: `.beancount`/`.bean`, `.ledger`/`.dat`, else hledger.
    pub fn guess(path: &Path) -> JournalFormat {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "beancount" | "bean" => JournalFormat::Beancount,
            "ledger" | "dat" => JournalFormat::Ledger,
            _ => JournalFormat::Hledger,
        }
    }
}

/// Which accounts feed which field: glob patterns (`*` matches anything,
/// `:` included; case-insensitive); a pattern starting with `!` excludes.
/// An account belongs to the first of other_income, revenue, cogs, opex,
/// financing and cash that it matches; sales_marketing and depreciation are
/// parts of cogs + opex.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Accounts {
    pub other_income: Vec<String>,
    pub revenue: Vec<String>,
    pub cogs: Vec<String>,
    pub opex: Vec<String>,
    pub sales_marketing: Vec<String>,
    pub depreciation: Vec<String>,
    pub financing: Vec<String>,
    pub cash: Vec<String>,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for Accounts {
    /// The common charts of accounts, in English and Spanish.
    fn default() -> Accounts {
        Accounts {
            other_income: strings(&["income:other*", "revenues:other*", "ingresos:otros*"]),
            revenue: strings(&["income:*", "revenues:*", "ingresos:*"]),
            cogs: strings(&["expenses:cogs*", "expenses:cost of *", "gastos:costo*"]),
            opex: strings(&["expenses:*", "gastos:*"]),
            sales_marketing: strings(&[
                "expenses:marketing*",
                "expenses:sales*",
                "gastos:marketing*",
                "gastos:ventas*",
            ]),
            depreciation: strings(&[
                "expenses:depreciation*",
                "expenses:amortization*",
                "gastos:depreciacion*",
                "gastos:amortizacion*",
            ]),
            financing: strings(&[
                "equity:*",
                "liabilities:loans*",
                "patrimonio:*",
                "capital:*",
                "pasivos:prestamos*",
                "!equity:opening*",
                "!patrimonio:apertura*",
                "!capital:apertura*",
            ]),
            cash: strings(&[
                "assets:bank*",
                "assets:cash*",
                "assets:checking*",
                "activos:banco*",
                "activos:caja*",
                "activos:bancos*",
            ]),
        }
    }
}

/// `*` matches any run of characters; everything else literally, case-insensitively.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

pub(crate) fn matches(patterns: &[String], account: &str) -> bool {
    let mut yes = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(ex) if glob(ex, account) => return false,
            Some(_) => {}
            None => yes |= glob(p, account),
        }
    }
    yes
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    OtherIncome,
    Revenue,
    Cogs,
    Opex,
    Financing,
    Cash,
}

impl Accounts {
    /// Reads an accounts file (TOML); unset fields keep their defaults.
    pub fn load(path: &Path) -> Result<Accounts, String> {
        let name = sanitize::clean(&path.display().to_string());
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        toml::from_str(&text).map_err(|e| format!("{name}: {}", sanitize::clean(&e.to_string())))
    }

    fn class(&self, account: &str) -> Option<Class> {
        [
            (&self.other_income, Class::OtherIncome),
            (&self.revenue, Class::Revenue),
            (&self.cogs, Class::Cogs),
            (&self.opex, Class::Opex),
            (&self.financing, Class::Financing),
            (&self.cash, Class::Cash),
        ]
        .into_iter()
        .find(|(p, _)| matches(p, account))
        .map(|(_, c)| c)
    }
}

/// One posting in the company's currency, after elided amounts are filled in.
#[derive(Debug, Clone)]
struct Posting {
    date: NaiveDate,
    account: String,
    amount: Decimal,
}

/// A raw posting as the parser gives it: amount, commodity, and its value for
/// balancing (cost or price applied) per commodity.
struct RawPosting {
    account: String,
    amount: Option<(Decimal, String)>,
    weight: Option<(Decimal, String)>,
    balances: bool,
}

/// What a journal yields.
#[derive(Debug, Clone, Default)]
pub struct JournalData {
    pub months: Vec<MonthlyFinancials>,
    /// Postings in other commodities, not imported: "line 12: assets:broker 10 AAPL".
    pub skipped: Vec<String>,
    pub transactions: usize,
    /// The journal's exchange rates (`P` / `price` directives between two
    /// currency codes; prices of anything else are not rates and are left).
    pub rates: Vec<crate::domain::fx::Rate>,
}

/// Symbols a commodity may be written with for a currency.
fn is_currency(commodity: &str, currency: &str) -> bool {
    let c = commodity.trim();
    if c.is_empty() || c.eq_ignore_ascii_case(currency) {
        return true;
    }
    let dollar = [
        "USD", "MXN", "COP", "CLP", "ARS", "CAD", "AUD", "NZD", "UYU", "DOP", "SGD", "HKD",
    ];
    match c {
        "$" => dollar.contains(&currency),
        "US$" | "USD$" => currency == "USD",
        "MX$" | "MEX$" => currency == "MXN",
        "COL$" | "CO$" => currency == "COP",
        "€" => currency == "EUR",
        "£" => currency == "GBP",
        "R$" => currency == "BRL",
        "S/" | "S/." => currency == "PEN",
        "₡" => currency == "CRC",
        "¥" => currency == "JPY" || currency == "CNY",
        _ => false,
    }
}

struct Reader<'a> {
    file: &'a str,
    currency: &'a str,
    c: Collector,
    postings: Vec<Posting>,
    skipped: Vec<String>,
    transactions: usize,
    rates: Vec<crate::domain::fx::Rate>,
}

impl Reader<'_> {
    /// A price directive: kept as a rate when both sides are currency codes.
    fn price(&mut self, day: NaiveDate, base: &str, quote: &str, rate: Decimal) {
        let code = |c: &str| {
            let c = c.trim();
            (c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())).then(|| c.to_owned())
        };
        if let (Some(base), Some(quote)) = (code(base), code(quote))
            && base != quote
            && rate > Decimal::ZERO
        {
            self.rates.push(crate::domain::fx::Rate {
                source: "journal".to_owned(),
                day,
                base,
                quote,
                rate,
            });
        }
    }

    fn problem(&mut self, line: Option<u64>, column: Option<String>, value: Option<String>, expected: String) {
        self.c.push(Problem {
            row: line,
            file: None,
            column,
            value,
            expected,
        });
    }

    /// Checks that a transaction balances, fills an elided amount and keeps the
    /// postings in the company's currency.
    fn transaction(&mut self, date: NaiveDate, what: &str, line: Option<u64>, raw: Vec<RawPosting>) {
        self.transactions += 1;
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut elided = Vec::new();
        for (i, p) in raw.iter().enumerate() {
            match &p.weight {
                Some((w, com)) if p.balances => *sums.entry(com.clone()).or_default() += *w,
                Some(_) => {}
                None if p.balances => elided.push(i),
                None => {}
            }
        }
        sums.retain(|_, v| !v.is_zero());
        if elided.len() > 1 {
            self.problem(
                line,
                None,
                Some(shorten(what)),
                "at most one posting without an amount per transaction".to_owned(),
            );
            return;
        }
        if elided.is_empty() && !sums.is_empty() {
            let off = sums
                .iter()
                .map(|(c, v)| format!("{v} {c}").trim().to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            self.problem(
                line,
                None,
                Some(shorten(what)),
                format!("a balanced transaction (its postings add up to {off}, not 0)"),
            );
            return;
        }
        for (i, p) in raw.into_iter().enumerate() {
            let amounts: Vec<(Decimal, String)> = if elided.contains(&i) {
                sums.iter().map(|(c, v)| (-*v, c.clone())).collect()
            } else {
                p.amount.into_iter().collect()
            };
            for (amount, commodity) in amounts {
                if is_currency(&commodity, self.currency) {
                    self.postings.push(Posting {
                        date,
                        account: p.account.clone(),
                        amount,
                    });
                } else if !amount.is_zero() {
                    let at = line
                        .map(|l| format!("line {l}: "))
                        .unwrap_or_else(|| format!("{date} "));
                    self.skipped
                        .push(sanitize::clean(&format!("{at}{} {amount} {commodity}", p.account)));
                }
            }
        }
    }
}

/// A journal larger than this is refused (years of a company's books are a few MiB).
pub const MAX_JOURNAL_BYTES: u64 = 32 * 1024 * 1024;

/// Reads a journal and sums it per month. `currency` is the company's.
pub fn read_journal(
    path: &Path,
    format: JournalFormat,
    accounts: &Accounts,
    currency: &str,
) -> Result<JournalData, ImportError> {
    use std::io::Read;
    let file = sanitize::clean(&path.display().to_string());
    let mut text = String::new();
    let read = super::open_regular(path)?
        .take(MAX_JOURNAL_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Collector::whole(&file, format!("a readable UTF-8 file ({e})")))?;
    if read as u64 > MAX_JOURNAL_BYTES {
        return Err(Collector::whole(
            &file,
            format!("a journal of at most {} MiB", MAX_JOURNAL_BYTES / 1024 / 1024),
        ));
    }
    parse_journal(&file, &text, format, accounts, currency)
}

/// Parses journal text; `file` names it in errors.
pub fn parse_journal(
    file: &str,
    text: &str,
    format: JournalFormat,
    accounts: &Accounts,
    currency: &str,
) -> Result<JournalData, ImportError> {
    let mut r = Reader {
        file,
        currency,
        c: Collector {
            file: file.to_owned(),
            problems: Vec::new(),
            more: 0,
        },
        postings: Vec::new(),
        skipped: Vec::new(),
        transactions: 0,
        rates: Vec::new(),
    };
    match format {
        JournalFormat::Hledger | JournalFormat::Ledger => read_ledger(&mut r, text)?,
        JournalFormat::Beancount => read_beancount(&mut r, text)?,
    }
    let Reader {
        c,
        postings,
        skipped,
        transactions,
        file,
        rates,
        ..
    } = r;
    c.finish(())?;
    if postings.is_empty() {
        return Err(Collector::whole(
            file,
            format!("at least one transaction in {currency}; the journal has none"),
        ));
    }
    let months = monthly(file, &postings, accounts)?;
    Ok(JournalData {
        months,
        skipped,
        transactions,
        rates,
    })
}

/// The 1-based line where a ledger transaction starts: the first line that
/// begins with its date as written (the parser keeps no positions).
fn find_line(text: &str, date: NaiveDate, from: &mut usize) -> Option<u64> {
    let forms = [
        date.format("%Y-%m-%d").to_string(),
        date.format("%Y/%m/%d").to_string(),
        date.format("%Y.%m.%d").to_string(),
    ];
    for (i, l) in text.lines().enumerate().skip(*from) {
        if forms.iter().any(|f| l.starts_with(f.as_str())) {
            *from = i + 1;
            return Some(i as u64 + 1);
        }
    }
    None
}

/// hledger writes a price as `P DATE COMMODITY AMOUNT`; the ledger parser
/// reads only ledger's `P DATE TIME …`: each dated-only `P` line is given
/// midnight (lines stay where they are). `None` when no line needs it.
fn timed_prices(text: &str) -> Option<String> {
    let needs = |l: &str| {
        let mut parts = l.split_whitespace();
        parts.next() == Some("P")
            && parts
                .next()
                .is_some_and(|d| d.len() == 10 && d.as_bytes()[0].is_ascii_digit())
            && parts.next().is_some_and(|t| !(t.len() == 8 && t.as_bytes()[2] == b':'))
    };
    if !text.lines().any(needs) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        if needs(line) {
            // After "P" and the date, as written (any spacing).
            let after_p = &line[1..];
            let date_start = after_p.len() - after_p.trim_start().len();
            let date_end = date_start + after_p.trim_start().find(char::is_whitespace).unwrap_or(0);
            out.push('P');
            out.push_str(&after_p[..date_end]);
            out.push_str(" 00:00:00");
            out.push_str(&after_p[date_end..]);
        } else {
            out.push_str(line);
        }
    }
    Some(out)
}

fn read_ledger(r: &mut Reader<'_>, text: &str) -> Result<(), ImportError> {
    use ledger_parser::{LedgerItem, Price, Reality};
    let timed = timed_prices(text);
    let ledger = ledger_parser::parse(timed.as_deref().unwrap_or(text)).map_err(|e| {
        let msg = sanitize::clean(&e.to_string());
        // nom's verbose error starts with "0: at line N:"; keep the first line.
        let first = msg.lines().next().unwrap_or("").to_owned();
        Collector::whole(
            r.file,
            format!("journal syntax the ledger parser reads ({first}; directives other than transactions, prices and include are not read)"),
        )
    })?;
    let mut from = 0usize;
    for item in ledger.items {
        match item {
            LedgerItem::Transaction(t) => {
                let line = find_line(text, t.date, &mut from);
                let what = format!("{} {}", t.date, t.description.clone().unwrap_or_default());
                let raw = t
                    .postings
                    .into_iter()
                    .map(|p| {
                        let amount = p
                            .amount
                            .as_ref()
                            .map(|a| (a.amount.quantity, a.amount.commodity.name.clone()));
                        let weight = p.amount.as_ref().map(|a| match &a.price {
                            Some(Price::Unit(u)) => (a.amount.quantity * u.quantity, u.commodity.name.clone()),
                            Some(Price::Total(t)) => {
                                let sign = if a.amount.quantity.is_sign_negative() {
                                    -Decimal::ONE
                                } else {
                                    Decimal::ONE
                                };
                                (sign * t.quantity.abs(), t.commodity.name.clone())
                            }
                            None => (a.amount.quantity, a.amount.commodity.name.clone()),
                        });
                        RawPosting {
                            account: p.account,
                            amount,
                            weight,
                            balances: p.reality != Reality::UnbalancedVirtual,
                        }
                    })
                    .collect();
                r.transaction(t.date, &what, line, raw);
            }
            LedgerItem::CommodityPrice(p) => r.price(
                p.datetime.date(),
                &p.commodity_name,
                &p.amount.commodity.name,
                p.amount.quantity,
            ),
            LedgerItem::Include(f) => {
                return Err(Collector::whole(
                    r.file,
                    format!(
                        "one self-contained journal (include {} is not followed; import a combined file, e.g. `hledger print`)",
                        shorten(&f)
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_beancount(r: &mut Reader<'_>, text: &str) -> Result<(), ImportError> {
    use beancount_parser::{DirectiveContent, PostingPrice};
    let file: beancount_parser::BeancountFile<Decimal> = beancount_parser::parse(text).map_err(|e| ImportError {
        file: r.file.to_owned(),
        problems: vec![Problem {
            row: Some(u64::from(e.line_number())),
            file: None,
            column: None,
            value: text
                .lines()
                .nth(e.line_number().saturating_sub(1) as usize)
                .map(|l| shorten(l.trim())),
            expected: "beancount syntax".to_owned(),
        }],
        more: 0,
    })?;
    if let Some(inc) = file.includes.first() {
        return Err(Collector::whole(
            r.file,
            format!(
                "one self-contained ledger (include {} is not followed)",
                shorten(&inc.display().to_string())
            ),
        ));
    }
    for d in file.directives {
        let line = Some(u64::from(d.line_number));
        let Some(date) =
            NaiveDate::from_ymd_opt(i32::from(d.date.year), u32::from(d.date.month), u32::from(d.date.day))
        else {
            r.problem(line, None, None, "a real calendar date".to_owned());
            continue;
        };
        match d.content {
            DirectiveContent::Transaction(t) => {
                let what = format!("{date} {}", t.narration.clone().or(t.payee.clone()).unwrap_or_default());
                let raw = t
                    .postings
                    .into_iter()
                    .map(|p| {
                        let amount = p.amount.as_ref().map(|a| (a.value, a.currency.as_str().to_owned()));
                        let cost = p.cost.as_ref().and_then(|c| c.amount.as_ref());
                        let weight = p.amount.as_ref().map(|a| match (cost, &p.price) {
                            (Some(c), _) => (a.value * c.value, c.currency.as_str().to_owned()),
                            (None, Some(PostingPrice::Unit(u))) => (a.value * u.value, u.currency.as_str().to_owned()),
                            (None, Some(PostingPrice::Total(t))) => {
                                let v = if a.value < Decimal::ZERO { -t.value } else { t.value };
                                (v, t.currency.as_str().to_owned())
                            }
                            (None, None) => (a.value, a.currency.as_str().to_owned()),
                        });
                        RawPosting {
                            account: p.account.as_str().to_owned(),
                            amount,
                            weight,
                            balances: true,
                        }
                    })
                    .collect();
                r.transaction(date, &what, line, raw);
            }
            DirectiveContent::Pad(_) => r.problem(
                line,
                None,
                None,
                "no pad directive (write the opening balance as a transaction against Equity:Opening-Balances)"
                    .to_owned(),
            ),
            DirectiveContent::Price(p) => {
                r.price(date, p.currency.as_str(), p.amount.currency.as_str(), p.amount.value)
            }
            _ => {}
        }
    }
    Ok(())
}

/// At most 14 digits before the point and 4 after, as every imported amount.
fn check_amount(v: Decimal) -> bool {
    v.scale() <= 4 && v.abs() < Decimal::from(100_000_000_000_000i64)
}

/// Sums postings per month from the first to the last.
fn monthly(file: &str, postings: &[Posting], accounts: &Accounts) -> Result<Vec<MonthlyFinancials>, ImportError> {
    let first = postings.iter().map(|p| p.date).min().map(Month::of_date);
    let last = postings.iter().map(|p| p.date).max().map(Month::of_date);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let n = last.months_since(first) as usize + 1;
    let zero = Decimal::ZERO;
    let mut rows: Vec<MonthlyFinancials> = (0..n)
        .map(|i| MonthlyFinancials {
            month: first.plus(i as i32),
            revenue: zero,
            cogs: zero,
            opex: zero,
            sales_marketing: Some(zero),
            depreciation: Some(zero),
            other_income: Some(zero),
            financing: Some(zero),
            cash_end: zero,
            customers_new: None,
            customers_churned: None,
            customers_end: None,
        })
        .collect();
    let mut cash_flow = vec![zero; n];
    let mut classes: BTreeMap<&str, (Option<Class>, bool, bool)> = BTreeMap::new();
    for p in postings {
        let (class, sm, dep) = *classes.entry(p.account.as_str()).or_insert_with(|| {
            (
                accounts.class(&p.account),
                matches(&accounts.sales_marketing, &p.account),
                matches(&accounts.depreciation, &p.account),
            )
        });
        let i = Month::of_date(p.date).months_since(first) as usize;
        let row = &mut rows[i];
        let add = |slot: &mut Option<Decimal>, v: Decimal| *slot = Some(slot.unwrap_or(zero) + v);
        match class {
            Some(Class::OtherIncome) => add(&mut row.other_income, -p.amount),
            Some(Class::Revenue) => row.revenue -= p.amount,
            Some(Class::Cogs) => row.cogs += p.amount,
            Some(Class::Opex) => row.opex += p.amount,
            Some(Class::Financing) => add(&mut row.financing, -p.amount),
            Some(Class::Cash) => cash_flow[i] += p.amount,
            None => {}
        }
        if matches!(class, Some(Class::Cogs | Class::Opex)) {
            if sm {
                add(&mut row.sales_marketing, p.amount);
            }
            if dep {
                add(&mut row.depreciation, p.amount);
            }
        }
    }
    let mut c = Collector {
        file: file.to_owned(),
        problems: Vec::new(),
        more: 0,
    };
    let mut running = zero;
    for (row, flow) in rows.iter_mut().zip(cash_flow) {
        running += flow;
        row.cash_end = running;
        let values = [
            ("revenue", Some(row.revenue)),
            ("cogs", Some(row.cogs)),
            ("opex", Some(row.opex)),
            ("sales_marketing", row.sales_marketing),
            ("depreciation", row.depreciation),
            ("other_income", row.other_income),
            ("financing", row.financing),
            ("cash_end", Some(row.cash_end)),
        ];
        for (field, v) in values {
            if let Some(v) = v
                && !check_amount(v)
            {
                c.push(Problem {
                    row: None,
                    file: None,
                    column: Some(format!("{} {field}", row.month)),
                    value: Some(v.to_string()),
                    expected: "an amount with at most 14 digits before the point and 4 after".to_owned(),
                });
            }
        }
    }
    c.finish(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_across_colons() {
        assert!(glob("income:*", "Income:Sales:Online"));
        assert!(glob("expenses:cost of *", "expenses:Cost of Sales"));
        assert!(!glob("income:*", "income"));
        assert!(glob("assets:bank*", "assets:bank"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        let a = Accounts::default();
        assert_eq!(a.class("income:other:interest"), Some(Class::OtherIncome));
        assert_eq!(a.class("Income:Consulting"), Some(Class::Revenue));
        assert_eq!(a.class("expenses:cogs:hosting"), Some(Class::Cogs));
        assert_eq!(a.class("expenses:marketing"), Some(Class::Opex));
        assert_eq!(a.class("equity:opening balances"), None);
        assert_eq!(a.class("Equity:Capital"), Some(Class::Financing));
        assert_eq!(a.class("liabilities:loans:bank"), Some(Class::Financing));
        assert_eq!(a.class("assets:checking"), Some(Class::Cash));
        assert_eq!(a.class("assets:receivable"), None);
    }

    const JOURNAL: &str = "\
2025-01-01 Opening
    assets:bank          $1000.00
    equity:opening balances

2025-01-15 Sale
    assets:bank          $500
    income:sales

2025-01-20 Hosting
    expenses:cogs:hosting    $100
    assets:bank

2025-03-02 Seed
    assets:bank      $2000
    equity:capital   $-2000

2025-03-05 Ads
    expenses:marketing     $50
    assets:bank
";

    #[test]
    fn sums_a_journal_per_month() {
        let d = parse_journal("j", JOURNAL, JournalFormat::Hledger, &Accounts::default(), "USD").unwrap();
        assert_eq!(d.transactions, 5);
        assert_eq!(d.months.len(), 3);
        let jan = &d.months[0];
        assert_eq!(jan.revenue, Decimal::from(500));
        assert_eq!(jan.cogs, Decimal::from(100));
        assert_eq!(jan.cash_end, Decimal::from(1400));
        assert_eq!(jan.financing, Some(Decimal::ZERO));
        let feb = &d.months[1];
        assert_eq!(feb.revenue, Decimal::ZERO);
        assert_eq!(feb.cash_end, Decimal::from(1400));
        let mar = &d.months[2];
        assert_eq!(mar.financing, Some(Decimal::from(2000)));
        assert_eq!(mar.opex, Decimal::from(50));
        assert_eq!(mar.sales_marketing, Some(Decimal::from(50)));
        assert_eq!(mar.cash_end, Decimal::from(3350));
    }

    #[test]
    fn refuses_an_unbalanced_transaction_and_skips_other_commodities() {
        let bad = "2025-01-15 Sale\n    assets:bank  $500\n    income:sales  $-400\n";
        let e = parse_journal("j", bad, JournalFormat::Hledger, &Accounts::default(), "USD").unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        assert!(e.to_string().contains("100"), "{e}");
        let multi = format!("{JOURNAL}\n2025-03-09 Buy\n    assets:broker  10 AAPL\n    assets:cash  -10 AAPL\n");
        let d = parse_journal("j", &multi, JournalFormat::Hledger, &Accounts::default(), "USD").unwrap();
        assert_eq!(d.skipped.len(), 2, "{:?}", d.skipped);
        assert!(d.skipped[0].contains("AAPL"));
    }
}
