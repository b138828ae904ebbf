//! `katalis fx import|set|list|missing|exposure`: the exchange rates the store
//! holds, and what a company's invoices in other currencies are worth.

use super::import::table_text;
use super::{pick_company, print};
use crate::cli::{FxCommand, OutputFormat, RateSource};
use crate::domain::fx::Rate;
use crate::domain::{Company, Month};
use crate::finance::fx::{Exposure, Rates};
use crate::import::fx::{self as reader, Source};
use crate::numbers::money;
use crate::sanitize::{clean, json_pretty};
use crate::store::{AnyStore, Store};
use chrono::NaiveDate;
use color_eyre::eyre::{Result, bail, eyre};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A rates file larger than this is refused (the ECB's whole history is 2 MB).
const MAX_RATES_FILE: u64 = 64 * 1024 * 1024;

pub async fn run(store: &AnyStore, cfg: &crate::config::Config, company: Option<&str>, cmd: &FxCommand) -> Result<()> {
    match cmd {
        FxCommand::Import { file, source, dry_run } => import(store, file, *source, *dry_run).await,
        FxCommand::Set { date, pair, rate } => set(store, date, pair, rate).await,
        FxCommand::List { pair, from, to, format } => list(store, pair.as_deref(), from, to, *format).await,
        FxCommand::Missing { format } => {
            let company = pick_company(store, company).await?;
            missing(store, cfg, &company, *format).await
        }
        FxCommand::Exposure { as_of, format } => {
            let company = pick_company(store, company).await?;
            exposure(store, &company, as_of.as_deref(), *format).await
        }
    }
}

async fn import(store: &AnyStore, file: &std::path::Path, source: Option<RateSource>, dry_run: bool) -> Result<()> {
    let name = clean(&file.display().to_string());
    let meta = std::fs::metadata(file).map_err(|e| eyre!("{name}: {e}"))?;
    if !meta.is_file() {
        bail!("{name}: not a file");
    }
    if meta.len() > MAX_RATES_FILE {
        bail!(
            "{name}: {} MB is more than a rates file holds (at most {} MB)",
            meta.len() / 1_000_000,
            MAX_RATES_FILE / 1_000_000
        );
    }
    let bytes = std::fs::read(file).map_err(|e| eyre!("{name}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        eyre!(
            "{name}: not UTF-8 text (byte {}); save it as UTF-8 CSV or JSON",
            e.utf8_error().valid_up_to()
        )
    })?;
    let source = match source {
        Some(RateSource::Banxico) => Source::Banxico,
        Some(RateSource::Ecb) => Source::Ecb,
        Some(RateSource::Csv) => Source::Csv,
        None => reader::detect(&text).ok_or_else(|| {
            eyre!(
                "{name}: not a rates file Katalis recognises (Banxico SIE CSV or JSON, the ECB's eurofxref-hist.csv, \
                 or a CSV headed date,base,quote,rate); say which with --source"
            )
        })?,
    };
    let rates = reader::read(source, &name, &text).map_err(|e| eyre!(e))?;
    if rates.is_empty() {
        bail!("{name}: no rate in the file (every day empty or N/E)");
    }
    let summary = pairs_summary(&rates);
    if dry_run {
        return print(&format!(
            "{name}: {} rates read, nothing written (--dry-run)\n{summary}",
            rates.len()
        ));
    }
    let changed = store.save_rates(&rates).await.map_err(|e| refused(store, e))?;
    print(&format!(
        "{name}: {} rates read, {changed} added or changed\n{summary}",
        rates.len()
    ))
}

/// A refusal of the database said as what it means here.
fn refused(store: &AnyStore, e: crate::store::StoreError) -> color_eyre::Report {
    match store.explain_refusal(e) {
        crate::store::StoreError::Forbidden(_) => {
            eyre!("setting exchange rates needs an owner of some company or an admin of the store")
        }
        other => other.into(),
    }
}

/// Each pair's count and first and last day, a line each.
fn pairs_summary(rates: &[Rate]) -> String {
    let mut pairs: BTreeMap<(&str, &str), (usize, NaiveDate, NaiveDate)> = BTreeMap::new();
    for r in rates {
        let e = pairs
            .entry((r.base.as_str(), r.quote.as_str()))
            .or_insert((0, r.day, r.day));
        e.0 += 1;
        e.1 = e.1.min(r.day);
        e.2 = e.2.max(r.day);
    }
    let rows: Vec<Vec<String>> = pairs
        .into_iter()
        .map(|((b, q), (n, first, last))| vec![format!("{b}/{q}"), n.to_string(), first.to_string(), last.to_string()])
        .collect();
    table_text(&["pair", "rates", "from", "to"], &rows)
}

fn day(flag: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| eyre!("{flag} {:?}: expected a date as YYYY-MM-DD", clean(s)))
}

/// `BASE/QUOTE`, both ISO 4217 codes and different.
fn pair(s: &str) -> Result<(String, String)> {
    let bad = || {
        eyre!(
            "{:?}: expected a pair of currency codes as BASE/QUOTE, e.g. USD/MXN",
            clean(s)
        )
    };
    let (b, q) = s.trim().split_once('/').ok_or_else(bad)?;
    let code = |c: &str| {
        let c = c.trim().to_ascii_uppercase();
        (c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())).then_some(c)
    };
    let (b, q) = (code(b).ok_or_else(bad)?, code(q).ok_or_else(bad)?);
    if b == q {
        bail!("{:?}: a pair of two different currencies", clean(s));
    }
    Ok((b, q))
}

async fn set(store: &AnyStore, date: &str, pair_text: &str, rate: &str) -> Result<()> {
    let d = day("DATE", date)?;
    let (base, quote) = pair(pair_text)?;
    let r: Decimal = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &Decimal| *r > Decimal::ZERO)
        .ok_or_else(|| eyre!("RATE {:?}: expected a decimal above 0, e.g. 16.9220", clean(rate)))?;
    let rate = Rate {
        source: "manual".to_owned(),
        day: d,
        base,
        quote,
        rate: r,
    };
    store
        .save_rates(std::slice::from_ref(&rate))
        .await
        .map_err(|e| refused(store, e))?;
    print(&format!(
        "{d}: 1 {} = {} {} (manual)\n",
        rate.base,
        rate.rate.normalize(),
        rate.quote
    ))
}

async fn list(
    store: &AnyStore,
    pair_text: Option<&str>,
    from: &Option<String>,
    to: &Option<String>,
    format: OutputFormat,
) -> Result<()> {
    let pair = pair_text.map(pair).transpose()?;
    let from = from.as_deref().map(|s| day("--from", s)).transpose()?;
    let to = to.as_deref().map(|s| day("--to", s)).transpose()?;
    let rates: Vec<Rate> = store
        .fx_rates()
        .await?
        .into_iter()
        .filter(|r| {
            pair.as_ref()
                .is_none_or(|(b, q)| (&r.base, &r.quote) == (b, q) || (&r.base, &r.quote) == (q, b))
                && from.is_none_or(|f| r.day >= f)
                && to.is_none_or(|t| r.day <= t)
        })
        .collect();
    match format {
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = rates
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "date": r.day.to_string(),
                        "base": r.base,
                        "quote": r.quote,
                        "rate": r.rate.normalize().to_string(),
                        "source": r.source,
                    })
                })
                .collect();
            print(&(json_pretty(&rows)? + "\n"))
        }
        OutputFormat::Text if rates.is_empty() => {
            print("no exchange rates held; import a file (katalis fx import) or set one (katalis fx set)\n")
        }
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = rates
                .iter()
                .map(|r| {
                    vec![
                        r.day.to_string(),
                        format!("{}/{}", r.base, r.quote),
                        r.rate.normalize().to_string(),
                        clean(&r.source),
                    ]
                })
                .collect();
            print(&table_text(&["date", "pair", "rate", "source"], &rows))
        }
    }
}

/// The month the company's figures are as of: `--as-of`, else its latest
/// month of financials, else the month of its latest invoice event.
async fn as_of_month(store: &AnyStore, company: &Company, as_of: Option<&str>) -> Result<Month> {
    if let Some(m) = crate::company::parse_as_of(as_of).map_err(|e| eyre!(e))? {
        return Ok(m);
    }
    if let Some(last) = store.financials(company.id).await?.last() {
        return Ok(last.month);
    }
    let invoices = store.fx_invoices(company.id).await?;
    let latest = invoices
        .iter()
        .flat_map(|i| std::iter::once(i.issue_date).chain(i.fx.iter().flat_map(|f| f.payments.iter().map(|p| p.date))))
        .max();
    latest.map(Month::of_date).ok_or_else(|| {
        eyre!(
            "{} has no financials and no invoice in another currency",
            clean(&company.name)
        )
    })
}

async fn exposure(store: &AnyStore, company: &Company, as_of: Option<&str>, format: OutputFormat) -> Result<()> {
    let m = as_of_month(store, company, as_of).await?;
    let invoices = store.fx_invoices(company.id).await?;
    let rates = Rates::new(store.fx_rates().await?);
    let e = crate::finance::fx::exposure(&invoices, &company.currency, &rates, m).map_err(|e| eyre!(e))?;
    match format {
        OutputFormat::Json => print(&(json_pretty(&crate::report::fx_json(&e))? + "\n")),
        OutputFormat::Text => print(&exposure_text(company, &e, invoices.is_empty())),
    }
}

/// The exposure for people: a table a currency, then the realised gains.
pub fn exposure_text(company: &Company, e: &Exposure, no_foreign: bool) -> String {
    let mut out = format!(
        "{}: invoices in other currencies at {} (functional {})\n",
        clean(&company.name),
        e.as_of,
        e.functional
    );
    if no_foreign {
        out.push_str("no invoice in another currency\n");
        return out;
    }
    if e.currencies.is_empty() {
        out.push_str("nothing open in another currency\n");
    } else {
        let rows: Vec<Vec<String>> = e
            .currencies
            .iter()
            .map(|c| {
                let lag = (e.as_of - c.rate_date).num_days();
                let how = match &c.how {
                    crate::finance::fx::Derivation::Direct => String::new(),
                    crate::finance::fx::Derivation::Inverse => ", inverse".to_owned(),
                    crate::finance::fx::Derivation::Cross { via } => format!(", cross via {via}"),
                };
                vec![
                    c.currency.clone(),
                    money(c.open),
                    money(c.booked),
                    money(c.at_close),
                    money(c.unrealised),
                    c.rate.normalize().to_string(),
                    if lag == 0 && how.is_empty() {
                        c.rate_date.to_string()
                    } else if lag == 0 {
                        format!("{} ({})", c.rate_date, &how[2..])
                    } else {
                        format!("{} ({lag} d before{how})", c.rate_date)
                    },
                ]
            })
            .collect();
        out.push_str(&table_text(
            &[
                "currency",
                "open",
                "booked",
                "at close",
                "unrealised",
                "rate",
                "published",
            ],
            &rows,
        ));
        if e.currencies.len() > 1 {
            out.push_str(&format!(
                "unrealised in all: {} {}\n",
                money(e.unrealised()),
                e.functional
            ));
        }
    }
    let rows: Vec<Vec<String>> = e
        .realised
        .iter()
        .filter(|g| !g.amount.is_zero())
        .map(|g| vec![g.month.to_string(), money(g.amount)])
        .collect();
    out.push_str(&format!(
        "realised, 12 months to {}: {} {}\n",
        e.as_of,
        money(e.realised_ttm),
        e.functional
    ));
    if !rows.is_empty() {
        out.push_str(&table_text(&["month", "realised"], &rows));
    }
    out
}

/// A rate the company's figures need and the store lacks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct Lack {
    base: String,
    quote: String,
    date: NaiveDate,
    /// What needs it.
    needed_for: String,
}

async fn missing(store: &AnyStore, cfg: &crate::config::Config, company: &Company, format: OutputFormat) -> Result<()> {
    let invoices = store.fx_invoices(company.id).await?;
    let rates = Rates::new(store.fx_rates().await?);
    let months: Vec<Month> = store.financials(company.id).await?.iter().map(|f| f.month).collect();
    let mut lacks = Vec::new();
    // Each month end with something open in a currency.
    for m in &months {
        let mut open: BTreeMap<&str, usize> = BTreeMap::new();
        for i in &invoices {
            let Some(fx) = &i.fx else { continue };
            let paid: Decimal = fx
                .payments
                .iter()
                .filter(|p| p.date <= m.last_day())
                .map(|p| p.amount)
                .sum();
            if i.issue_date <= m.last_day() && paid < fx.amount {
                *open.entry(fx.currency.as_str()).or_default() += 1;
            }
        }
        for (currency, n) in open {
            if rates.at(currency, &company.currency, m.last_day()).is_err() {
                lacks.push(Lack {
                    base: currency.to_owned(),
                    quote: company.currency.clone(),
                    date: m.last_day(),
                    needed_for: format!("the month end of {m}: open invoices revalued ({n})"),
                });
            }
        }
    }
    // Each month's average and close in the configured reporting currency and
    // in the currency of every group the company is in.
    let mut others: Vec<(String, String)> = Vec::new();
    if let Some(r) = &cfg.reporting_currency {
        others.push((r.clone(), "reporting_currency".to_owned()));
    }
    for g in store.groups().await? {
        if g.members.contains(&company.id) {
            others.push((g.currency.clone(), format!("group {}", clean(&g.name))));
        }
    }
    for (to, why) in others.into_iter().filter(|(to, _)| *to != company.currency) {
        for m in &months {
            if let Err(e) = crate::finance::translate::month_rates(&rates, &company.currency, &to, *m) {
                let (date, what) = match e {
                    crate::finance::fx::FxError::Missing { day, .. } => (day, "its month-end rate"),
                    crate::finance::fx::FxError::NoneInMonth { .. } => (m.first_day(), "a rate published in it"),
                };
                lacks.push(Lack {
                    base: company.currency.clone(),
                    quote: to.clone(),
                    date,
                    needed_for: format!("{m} in {to} ({why}): {what}"),
                });
            }
        }
    }
    match format {
        OutputFormat::Json => print(&(json_pretty(&lacks)? + "\n")),
        OutputFormat::Text if lacks.is_empty() => print(&format!(
            "{}: no rate missing ({} invoices in other currencies)\n",
            clean(&company.name),
            invoices.len()
        )),
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = lacks
                .iter()
                .map(|l| {
                    vec![
                        format!("{}/{}", l.base, l.quote),
                        l.date.to_string(),
                        l.needed_for.clone(),
                    ]
                })
                .collect();
            print(&table_text(&["pair", "date", "needed for"], &rows))
        }
    }
}
