//! Routines from the shell: `forecast`, `target`, `check`.

use super::{load_snapshot, pick_company, require};
use crate::cli::{ForecastArgs, OutputFormat, ReportFormat, TargetCommand};
use crate::config::Config;
use crate::domain::{Company, Month};
use crate::finance::alerts::{Alert, Reading, Threshold, Watch, alerts, thresholds};
use crate::finance::forecast::{
    CashForecast, shift_events, weekly_base_from_collections, weekly_base_from_invoices_over, with_events,
};
use crate::finance::planning::driver_number;
use crate::finance::{Ledger, as_of_month};
use crate::numbers::fixed;
use crate::report::Report;
use crate::report::targets::{Target, TargetCheck, evaluate, merge, resolve};
use crate::sanitize::{clean, json_pretty};
use crate::store::team::{AuditEntry, Role};
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, eyre};
use rust_decimal::Decimal;
use serde_json::json;

/// The forecast of `company` at `m` with `scenario`'s cash events.
pub async fn forecast_of(
    store: &AnyStore,
    company: &Company,
    ledger: &Ledger,
    m: Month,
    scenario: &str,
    weeks: usize,
    floor: Decimal,
) -> Result<CashForecast> {
    let (kept, input) = tokio::try_join!(
        store.weekly_collections(company.id, m),
        store.forecast_input(company.id, m)
    )?;
    // 13 weeks at the latest month come from the summaries kept by writes;
    // another horizon or month places the open invoices here.
    let base = match kept.filter(|w| w.len() == weeks) {
        Some(collections) => weekly_base_from_collections(ledger, m, collections, &input),
        None => {
            let open = store.open_invoices(company.id, m.last_day()).await?;
            weekly_base_from_invoices_over(ledger, m, &open, &input, weeks)
        }
    };
    let events = if scenario == super::scenario::BASE {
        Vec::new()
    } else {
        let r = super::scenario::resolve(store, company.id, ledger, scenario).await?;
        shift_events(&r.drivers.cash_events, r.start.month, m)
    };
    let fc = with_events(&base, &events, floor);
    // Statements newer than the month end: the forecast opens from the bank.
    let accounts = store.bank_accounts(company.id).await?;
    Ok(match crate::finance::bank::bank_cash(&accounts, &company.currency, m) {
        Some(bank) => {
            let days = store.bank_days(company.id, &company.currency, m.last_day()).await?;
            crate::finance::bank::open_from_bank(&fc, &bank, &days)
        }
        None => fc,
    })
}

/// One week as the CSV and Markdown forms print it, in the JSON's order.
fn week_cells(w: &crate::finance::forecast::Week) -> [String; 8] {
    [
        w.index.to_string(),
        w.start.to_string(),
        w.end.to_string(),
        fixed(w.collections, 2),
        fixed(w.other_inflows, 2),
        fixed(w.outflows, 2),
        fixed(w.events, 2),
        fixed(w.closing, 2),
    ]
}

pub async fn forecast(store: &AnyStore, cfg: &Config, company: Option<&str>, a: &ForecastArgs) -> Result<()> {
    let company = pick_company(store, company).await?;
    let ledger = Ledger::new(store.financials(company.id).await?);
    let requested = crate::company::parse_as_of(a.as_of.as_deref()).map_err(|e| eyre!(e))?;
    let m = as_of_month(&ledger, requested)?;
    let floor = match &a.floor {
        Some(f) => driver_number(f).map_err(|e| eyre!("--floor {}", clean(&e)))?,
        None => cfg.cash_floor,
    };
    if a.format == ReportFormat::Html {
        color_eyre::eyre::bail!(
            "--format html is the board pack of `katalis report`; the forecast prints json, csv or md"
        );
    }
    let fc = forecast_of(store, &company, &ledger, m, &a.scenario, a.weeks as usize, floor).await?;
    let out = match a.format {
        ReportFormat::Json => {
            let weeks: Vec<_> = fc
                .weeks
                .iter()
                .map(|w| {
                    json!({
                        "week": w.index,
                        "start": w.start.to_string(),
                        "end": w.end.to_string(),
                        "invoice_inflows": fixed(w.collections, 2),
                        "other_inflows": fixed(w.other_inflows, 2),
                        "outflows": fixed(w.outflows, 2),
                        "events": fixed(w.events, 2),
                        "closing_cash": fixed(w.closing, 2),
                        "bank_inflows": w.actual_inflows.map(|v| fixed(v, 2)),
                        "bank_outflows": w.actual_outflows.map(|v| fixed(v, 2)),
                    })
                })
                .collect();
            json_pretty(&json!({
                "as_of": m.to_string(),
                "currency": company.currency,
                "opening_cash": fixed(fc.opening, 2),
                "opening": {
                    "date": fc.opening_date.unwrap_or(m.last_day()).to_string(),
                    "cash": fixed(fc.opening, 2),
                    "source": if fc.opening_date.is_some() { "bank" } else { "financials" },
                },
                "floor": fixed(fc.floor, 2),
                "scenario": a.scenario,
                "first_week_below_floor": fc.below_floor,
                "weeks": weeks,
            }))? + "\n"
        }
        ReportFormat::Csv => {
            let mut s = String::from("week,start,end,invoice_inflows,other_inflows,outflows,events,closing_cash\n");
            for w in &fc.weeks {
                s += &week_cells(w).join(",");
                s.push('\n');
            }
            s
        }
        ReportFormat::Md | ReportFormat::Html => {
            let mut s = format!(
                "# {}-week cash forecast — {} ({}), from {m}\n\nOpening cash {} · floor {} · scenario {}\n\n\
                 | week | from | to | invoices in | other in | out | events | closing |\n\
                 | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
                fc.weeks.len(),
                clean(&company.name),
                clean(&company.currency),
                fixed(fc.opening, 2),
                fixed(fc.floor, 2),
                clean(&a.scenario)
            );
            for w in &fc.weeks {
                let below = if w.closing < fc.floor { " ✗" } else { "" };
                s += &format!("| {}{below} |\n", week_cells(w).join(" | "));
            }
            match fc.below_floor {
                Some(k) => s += &format!("\nCash falls below the floor in week {k}.\n"),
                None => s += "\nCash stays above the floor.\n",
            }
            s
        }
    };
    super::print(&out)
}

/// The company's stored targets as rules (a stored rule that no longer parses is skipped).
async fn company_targets(store: &AnyStore, company: &Company) -> Result<Vec<Target>> {
    Ok(store
        .targets(company.id)
        .await?
        .into_iter()
        .filter_map(|(metric, rule)| rule.parse().ok().map(|rule| Target { metric, rule }))
        .collect())
}

/// Every target in force for `company`, evaluated on its report.
pub async fn target_checks(store: &AnyStore, cfg: &Config, company: &Company) -> Result<Vec<TargetCheck>> {
    let snapshot = load_snapshot(store, company, None).await?;
    let report = Report {
        company,
        snapshot: &snapshot,
    }
    .to_json();
    let targets = merge(&cfg.targets, &company_targets(store, company).await?);
    evaluate(&report, &targets).map_err(|e| eyre!(e))
}

pub async fn target(store: &AnyStore, cfg: &Config, company: Option<&str>, cmd: &TargetCommand) -> Result<()> {
    let company = pick_company(store, company).await?;
    match cmd {
        TargetCommand::Set { metric, rule } => {
            let parsed: crate::report::targets::Rule = rule.parse().map_err(|e: String| eyre!(e))?;
            let snapshot = load_snapshot(store, &company, None).await?;
            let report = Report {
                company: &company,
                snapshot: &snapshot,
            }
            .to_json();
            let key = resolve(&report, metric).map_err(|e| eyre!(e))?;
            require(store, &company, Role::Analyst, "setting targets").await?;
            store.set_target(company.id, &key, &parsed.to_string()).await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "target",
                    format!("target {key}"),
                    parsed.to_string(),
                ))
                .await;
            eprintln!("target set for {:?}: {key} {parsed}", clean(&company.name));
            Ok(())
        }
        TargetCommand::Remove { metric } => {
            require(store, &company, Role::Analyst, "removing targets").await?;
            let stored = store.targets(company.id).await?;
            let key = stored
                .iter()
                .map(|(k, _)| k.clone())
                .find(|k| k == metric || k.ends_with(&format!(".{metric}")))
                .ok_or_else(|| eyre!("{:?} has no target for {:?}", clean(&company.name), clean(metric)))?;
            store.remove_target(company.id, &key).await?;
            store
                .record_or_warn(&AuditEntry::new(&company, "target", format!("target {key}"), "removed"))
                .await;
            eprintln!("target removed for {:?}: {key}", clean(&company.name));
            Ok(())
        }
        TargetCommand::List { format } => {
            let checks = target_checks(store, cfg, &company).await?;
            let out = match format {
                OutputFormat::Json => json_pretty(&checks)? + "\n",
                OutputFormat::Text => checks
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}: {} {}\n",
                            c.metric,
                            c.rule,
                            c.value.as_deref().map(clean).unwrap_or_else(|| "no value".into()),
                            match c.ok {
                                Some(true) => "✓",
                                Some(false) => "✗ misses",
                                None => "(not evaluated)",
                            }
                        )
                    })
                    .collect(),
            };
            super::print(&out)
        }
    }
}

/// One check of `katalis check`.
#[derive(Debug, Clone, serde::Serialize)]
struct Check {
    kind: &'static str,
    name: String,
    value: Option<String>,
    threshold: String,
    ok: bool,
}

fn alert_check(t: &Threshold) -> Check {
    let (name, threshold) = t.watch.check();
    let value = match t.reading {
        // Months as the report writes them (2 decimals), ratios with 4.
        Reading::Number(v) if t.watch == Watch::Runway => Some(fixed(v, 2)),
        Reading::Number(v) => Some(fixed(v, 4)),
        Reading::Month(m) => Some(m.to_string()),
        Reading::Missing => None,
    };
    Check {
        kind: "alert",
        name: name.to_owned(),
        value,
        threshold: threshold.to_owned(),
        ok: !t.crossed,
    }
}

/// An alert in words, for the text of `check`.
fn alert_text(a: &Alert) -> String {
    let pct = |v: &Decimal| fixed(*v * Decimal::from(100), 1) + "%";
    match a {
        Alert::ShortRunway(v) => format!("runway {} months (alert: under 6)", fixed(*v, 1)),
        Alert::CashZeroSoon(m) => format!("cash runs out in {m} (alert: within 12 months)"),
        Alert::Overdue(v) => format!("overdue share of receivables {} (alert: over 30%)", pct(v)),
        Alert::NegativeGrossMargin(v) => format!("gross margin {} (alert: below 0)", pct(v)),
    }
}

/// The line a miss prints: `Tallo Analytics: runway_months 8.28, target >= 12`.
fn miss_line(company: &str, c: &Check) -> String {
    let short = c.name.rsplit('.').next().unwrap_or(&c.name);
    let what = match c.kind {
        "target" => format!("{short} {}, target {}", c.value.as_deref().unwrap_or("?"), c.threshold),
        "floor" => format!(
            "cash below the floor {} in week {}",
            c.threshold,
            c.value.as_deref().unwrap_or("?")
        ),
        _ => format!("{short} {}", c.value.as_deref().unwrap_or("?")),
    };
    format!("{}: {what}", clean(company))
}

/// `katalis check`: whether every alert, target and the forecast's floor hold.
/// Returns false when something misses (the caller exits 3).
pub async fn check(
    store: &AnyStore,
    cfg: &Config,
    company: Option<&str>,
    all: bool,
    format: OutputFormat,
) -> Result<bool> {
    let companies = if all {
        store.companies().await?
    } else {
        vec![pick_company(store, company).await?]
    };
    let mut report = Vec::new();
    let mut lines = String::new();
    let mut ok = true;
    for c in &companies {
        // A company that cannot be computed (no financials yet) is a miss, said; the rest are checked.
        let snapshot = match load_snapshot(store, c, None).await {
            Ok(s) => s,
            Err(e) if all => {
                ok = false;
                lines += &format!("{}: cannot be checked ({})\n", clean(&c.name), clean(&e.to_string()));
                report.push(json!({"company": c.name, "error": e.to_string()}));
                continue;
            }
            Err(e) => return Err(e),
        };
        let crossed = alerts(&snapshot);
        for a in &crossed {
            lines += &format!("{}: {}\n", clean(&c.name), alert_text(a));
            ok = false;
        }
        // Every alert threshold, crossed or holding, with the value it watches.
        let mut checks: Vec<Check> = thresholds(&snapshot).iter().map(alert_check).collect();
        for t in target_checks(store, cfg, c).await? {
            checks.push(Check {
                kind: "target",
                name: t.metric,
                value: t.value,
                threshold: t.rule,
                ok: t.ok != Some(false),
            });
        }
        let ledger = Ledger::new(store.financials(c.id).await?);
        let fc = forecast_of(
            store,
            c,
            &ledger,
            snapshot.as_of,
            super::scenario::BASE,
            13,
            cfg.cash_floor,
        )
        .await?;
        checks.push(Check {
            kind: "floor",
            name: "forecast.closing_cash".into(),
            value: fc.below_floor.map(|w| w.to_string()),
            threshold: fixed(cfg.cash_floor, 2),
            ok: fc.below_floor.is_none(),
        });
        for k in checks.iter().filter(|k| !k.ok && k.kind != "alert") {
            ok = false;
            lines += &miss_line(&c.name, k);
            lines.push('\n');
        }
        report.push(json!({"company": c.name, "as_of": snapshot.as_of.to_string(), "checks": checks}));
    }
    match format {
        OutputFormat::Json => super::print(&(json_pretty(&json!({"ok": ok, "companies": report}))? + "\n"))?,
        OutputFormat::Text => super::print(&lines)?,
    }
    Ok(ok)
}
