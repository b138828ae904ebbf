use super::pick_company;
use crate::cli::{OutputFormat, ScenarioCommand};
use crate::domain::{Drivers, Month};
use crate::finance::planning::{
    DriverKey, Start, Target, apply_setting, base_drivers, driver_number, goal_seek, project,
};
use crate::finance::{Ledger, as_of_month};
use crate::numbers::{fixed, money};
use crate::report::scenario::{drivers_json, projection_json};
use crate::sanitize::clean;
use crate::store::team::{AuditEntry, Role};
use crate::store::{AnyStore, Store, StoredScenario};
use color_eyre::eyre::{Result, bail, eyre};
use serde_json::json;

pub const BASE: &str = "base";

/// A scenario ready to project: its drivers and where it starts.
pub(crate) struct Resolved {
    pub name: String,
    pub drivers: Drivers,
    pub start: Start,
}

pub(crate) async fn resolve(store: &AnyStore, company_id: i64, ledger: &Ledger, name: &str) -> Result<Resolved> {
    let m = as_of_month(ledger, None)?;
    let start = Start::from_ledger(ledger, m).ok_or_else(|| eyre!("no financials for {m}"))?;
    if name == BASE {
        return Ok(Resolved {
            name: BASE.into(),
            drivers: base_drivers(ledger, m),
            start,
        });
    }
    let stored = store.scenarios(company_id).await?;
    let s = stored.into_iter().find(|s| s.name == name).ok_or_else(|| {
        eyre!(
            "no scenario named {:?}; `katalis scenario list` shows them",
            clean(name)
        )
    })?;
    // A locked budget keeps the start it was frozen with.
    let start = match (s.locked, s.base_month.as_deref().and_then(|b| b.parse::<Month>().ok())) {
        (true, Some(month)) => Start {
            month,
            revenue: s.start_revenue.unwrap_or(start.revenue),
            cash: s.start_cash.unwrap_or(start.cash),
        },
        _ => start,
    };
    Ok(Resolved {
        name: s.name,
        drivers: s.drivers,
        start,
    })
}

/// A stored scenario by name, or a copy of base's drivers for `create --from base`.
async fn stored(store: &AnyStore, company_id: i64, name: &str) -> Result<StoredScenario> {
    store
        .scenarios(company_id)
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            eyre!(
                "no scenario named {:?}; `katalis scenario list` shows them",
                clean(name)
            )
        })
}

fn refuse_base(name: &str, what: &str) -> Result<()> {
    if name == BASE {
        bail!(
            "the base scenario always reflects the actuals and cannot be {what}; copy it: katalis scenario create NAME --from base"
        );
    }
    Ok(())
}

pub async fn run(store: &AnyStore, company: Option<&str>, cmd: &ScenarioCommand) -> Result<()> {
    let company = pick_company(store, company).await?;
    let ledger = Ledger::new(store.financials(company.id).await?);
    let out = match cmd {
        ScenarioCommand::Create { name, from } => {
            refuse_base(name, "replaced")?;
            if name.trim().is_empty() {
                bail!("a scenario needs a name");
            }
            let source = resolve(store, company.id, &ledger, from).await?;
            super::require(store, &company, Role::Analyst, "changing scenarios").await?;
            store
                .save_scenario(
                    company.id,
                    &StoredScenario {
                        name: name.clone(),
                        drivers: source.drivers,
                        locked: false,
                        base_month: None,
                        start_cash: None,
                        start_revenue: None,
                        version: 0,
                    },
                )
                .await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "scenario",
                    format!("scenario {name}"),
                    format!("created from {from}"),
                ))
                .await;
            format!("created scenario {} from {}\n", clean(name), clean(from))
        }
        ScenarioCommand::Set { name, settings } => {
            refuse_base(name, "changed")?;
            let mut s = stored(store, company.id, name).await?;
            for kv in settings {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| eyre!("{:?}: expected KEY=VALUE", clean(kv)))?;
                apply_setting(&mut s.drivers, k.trim(), v).map_err(|e| eyre!(clean(&e)))?;
            }
            super::require(store, &company, Role::Analyst, "changing scenarios").await?;
            store.save_scenario(company.id, &s).await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "scenario",
                    format!("scenario {name}"),
                    settings.join(" "),
                ))
                .await;
            format!("updated scenario {}\n", clean(name))
        }
        ScenarioCommand::Delete { name } => {
            refuse_base(name, "deleted")?;
            let s = stored(store, company.id, name).await?;
            super::require(store, &company, Role::Analyst, "changing scenarios").await?;
            store.delete_scenario(company.id, name, s.version).await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "scenario",
                    format!("scenario {name}"),
                    "deleted",
                ))
                .await;
            format!("deleted scenario {}\n", clean(name))
        }
        ScenarioCommand::GoalSeek {
            name,
            driver,
            target,
            min,
            max,
            apply,
            format,
        } => {
            let key = DriverKey::parse(driver).ok_or_else(|| {
                eyre!(
                    "--driver {:?}: expected one of {}",
                    clean(driver),
                    DriverKey::ALL.map(DriverKey::key).join(", ")
                )
            })?;
            let target = Target::parse(target).map_err(|e| eyre!("--target {}", clean(&e)))?;
            let min = driver_number(min).map_err(|e| eyre!("--min {}", clean(&e)))?;
            let max = driver_number(max).map_err(|e| eyre!("--max {}", clean(&e)))?;
            let r = resolve(store, company.id, &ledger, name).await?;
            let found = goal_seek(r.start, &r.drivers, key, target, min, max);
            if *apply && let Some(v) = found.value {
                refuse_base(name, "changed")?;
                let mut s = stored(store, company.id, name).await?;
                apply_setting(&mut s.drivers, key.key(), &v.to_string()).map_err(|e| eyre!(e))?;
                super::require(store, &company, Role::Analyst, "changing scenarios").await?;
                store.save_scenario(company.id, &s).await?;
                store
                    .record_or_warn(&AuditEntry::new(
                        &company,
                        "scenario",
                        format!("scenario {name}"),
                        format!("goal seek {}={v}", key.key()),
                    ))
                    .await;
            }
            match format {
                OutputFormat::Json => {
                    crate::sanitize::json_pretty(&json!({
                        "driver": key.key(),
                        "value": found.value.map(|v| fixed(v, 4)),
                        "target": target.to_string(),
                        "met": found.value.is_some(),
                    }))? + "\n"
                }
                OutputFormat::Text => match found.value {
                    Some(v) => format!(
                        "{} = {} meets {target}{}\n",
                        key.key(),
                        fixed(v, 4),
                        if *apply { " (applied)" } else { "" }
                    ),
                    None => format!("no value of {} between {min} and {max} meets {target}\n", key.key()),
                },
            }
        }
        ScenarioCommand::Lock { name, from } => {
            refuse_base(name, "locked")?;
            let month: Month = from
                .parse()
                .map_err(|_| eyre!("--from {:?}: expected a month as YYYY-MM", clean(from)))?;
            let start = Start::from_ledger(&ledger, month).ok_or_else(|| {
                eyre!("--from {month}: no actuals for that month; a budget starts from recorded actuals")
            })?;
            let mut s = stored(store, company.id, name).await?;
            s.locked = true;
            s.base_month = Some(month.to_string());
            s.start_cash = Some(start.cash);
            s.start_revenue = Some(start.revenue);
            super::require(store, &company, Role::Analyst, "locking a budget").await?;
            store.save_scenario(company.id, &s).await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "scenario",
                    format!("scenario {name}"),
                    format!("locked as budget from {month}"),
                ))
                .await;
            format!("locked scenario {} as the budget from {month}\n", clean(name))
        }
        ScenarioCommand::Variance { name, format } => {
            let s = stored(store, company.id, name).await?;
            if !s.locked {
                bail!(
                    "scenario {:?} is not a budget; lock it first: katalis scenario lock {} --from YYYY-MM",
                    clean(name),
                    clean(name)
                );
            }
            let r = resolve(store, company.id, &ledger, name).await?;
            let plan = project(r.start, &r.drivers);
            let all = crate::finance::variance::budget_vs_actual(&ledger, &plan);
            let worst = crate::finance::variance::worst(&all, 5);
            crate::report::variance::render(&r.name, r.start.month, &company.currency, &all, &worst, *format)?
        }
        ScenarioCommand::List { format } => {
            let stored = store.scenarios(company.id).await?;
            let names: Vec<String> = std::iter::once(BASE.to_owned())
                .chain(stored.iter().map(|s| s.name.clone()))
                .collect();
            match format {
                OutputFormat::Json => {
                    crate::sanitize::json_pretty(&json!({
                        "scenarios": stored.iter().map(|s| json!({"name": s.name, "locked": s.locked}))
                            .fold(vec![json!({"name": BASE, "locked": false})], |mut v, s| { v.push(s); v }),
                    }))? + "\n"
                }
                OutputFormat::Text => names.iter().map(|n| clean(n) + "\n").collect(),
            }
        }
        ScenarioCommand::Show { name, format } => {
            let r = resolve(store, company.id, &ledger, name).await?;
            let d = drivers_json(&r.drivers);
            match format {
                OutputFormat::Json => {
                    crate::sanitize::json_pretty(&json!({
                        "scenario": r.name, "base_month": r.start.month.to_string(), "drivers": d,
                    }))? + "\n"
                }
                OutputFormat::Text => {
                    let mut s = format!("scenario {} (from {})\n", clean(&r.name), r.start.month);
                    if let serde_json::Value::Object(map) = d {
                        for (k, v) in map {
                            s.push_str(&format!("  {k:<20} {}\n", clean(&v.to_string().replace('"', ""))));
                        }
                    }
                    s
                }
            }
        }
        ScenarioCommand::Project { name, format } => {
            let r = resolve(store, company.id, &ledger, name).await?;
            let p = project(r.start, &r.drivers);
            match format {
                OutputFormat::Json => {
                    crate::sanitize::json_pretty(&projection_json(&r.name, r.start.month, &r.drivers, &p))? + "\n"
                }
                OutputFormat::Text => {
                    let mut s = format!(
                        "scenario {} from {} ({} months)\n{:<8} {:>16} {:>16} {:>16} {:>16}\n",
                        clean(&r.name),
                        r.start.month,
                        r.drivers.horizon_months,
                        "month",
                        "revenue",
                        "net income",
                        "net cash flow",
                        "cash"
                    );
                    for m in &p.months {
                        s.push_str(&format!(
                            "{:<8} {:>16} {:>16} {:>16} {:>16}\n",
                            m.month.to_string(),
                            money(m.revenue),
                            money(m.net_income),
                            money(m.net_cash_flow),
                            money(m.cash)
                        ));
                    }
                    let opt = |m: Option<Month>| m.map_or("—".to_owned(), |m| m.to_string());
                    s.push_str(&format!(
                        "cash zero: {}  break-even: {}  min cash: {}  runway at horizon: {}  NPV: {}\n",
                        opt(p.cash_zero_month),
                        opt(p.break_even_month),
                        money(p.min_cash),
                        p.runway_at_horizon.map_or("—".to_owned(), |r| fixed(r, 2)),
                        money(p.npv)
                    ));
                    s
                }
            }
        }
    };
    super::print(&out)
}
