//! `katalis group create|add|remove|delete|list|report`: companies
//! consolidated in one currency.

use super::import::table_text;
use super::{currency_code, print};
use crate::cli::{GroupCommand, IntercompanyCostArg, OutputFormat, ReportFormat};
use crate::company::GroupFigures;
use crate::config::Config;
use crate::domain::fx::{Group, GroupChange};
use crate::finance::group::IntercompanyCost;
use crate::numbers::money;
use crate::report::Report;
use crate::sanitize::{clean, json_pretty};
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, bail, eyre};
use serde_json::{Value, json};

pub async fn run(store: &AnyStore, cfg: &Config, cmd: &GroupCommand) -> Result<()> {
    match cmd {
        GroupCommand::Create {
            name,
            currency,
            members,
            intercompany,
        } => {
            let change = GroupChange::Create {
                currency: currency_code(currency)?,
                members: ids(store, members).await?,
                intercompany: names(intercompany)?,
            };
            let g = change_group(store, name, &change).await?;
            print(&format!("created group {}\n", describe(store, &g).await?))
        }
        GroupCommand::Add {
            name,
            members,
            intercompany,
        }
        | GroupCommand::Remove {
            name,
            members,
            intercompany,
        } => {
            if members.is_empty() && intercompany.is_empty() {
                bail!("say what to change: --member COMPANY or --intercompany NAME");
            }
            let (members, intercompany) = (ids(store, members).await?, names(intercompany)?);
            let change = if matches!(cmd, GroupCommand::Add { .. }) {
                GroupChange::Add { members, intercompany }
            } else {
                GroupChange::Remove { members, intercompany }
            };
            let g = change_group(store, name, &change).await?;
            print(&format!("group {}\n", describe(store, &g).await?))
        }
        GroupCommand::Delete { name } => {
            store
                .change_group(name.trim(), &GroupChange::Delete)
                .await
                .map_err(|e| refused(store, e))?;
            print(&format!(
                "deleted group {:?} (its companies stay)\n",
                clean(name.trim())
            ))
        }
        GroupCommand::List { format } => list(store, *format).await,
        GroupCommand::Report {
            name,
            as_of,
            format,
            intercompany_cost,
            out,
        } => {
            let group = find(store, name).await?;
            let as_of = crate::company::parse_as_of(as_of.as_deref()).map_err(|e| eyre!(e))?;
            let cost = match intercompany_cost {
                IntercompanyCostArg::Opex => IntercompanyCost::Opex,
                IntercompanyCostArg::Cogs => IntercompanyCost::Cogs,
            };
            let figures = crate::company::load_group(store, group, as_of, cost).await?;
            let text = match format {
                ReportFormat::Json => json_pretty(&group_json(&figures))? + "\n",
                ReportFormat::Csv => bail!("group report: --format json, md or html"),
                ReportFormat::Md => group_markdown(&figures, cfg.lang),
                ReportFormat::Html => {
                    let books = group_books(&figures);
                    let pack = super::report::board_pack(store, cfg, &books, &figures.snapshot, false).await?;
                    // The group's own section before the end.
                    let section = crate::report::html::group_section(&group_json(&figures), cfg.lang);
                    match pack.rfind("</body>") {
                        Some(at) => format!("{}{section}{}", &pack[..at], &pack[at..]),
                        None => pack + &section,
                    }
                }
            };
            match out {
                Some(path) => {
                    super::report::write_whole(path, &text)?;
                    eprintln!("wrote {}", clean(&path.display().to_string()));
                    Ok(())
                }
                None => print(&text),
            }
        }
    }
}

/// Each `--member` by name or id.
async fn ids(store: &AnyStore, members: &[String]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for m in members {
        out.push(store.company(m.trim()).await?.id);
    }
    Ok(out)
}

fn names(list: &[String]) -> Result<Vec<String>> {
    list.iter()
        .map(|n| {
            let n = n.trim();
            if n.is_empty() {
                bail!("--intercompany: a customer name or RFC, not empty");
            }
            Ok(n.to_owned())
        })
        .collect()
}

async fn change_group(store: &AnyStore, name: &str, change: &GroupChange) -> Result<Group> {
    let name = name.trim();
    if name.is_empty() {
        bail!("a group's name, not empty");
    }
    store
        .change_group(name, change)
        .await
        .map_err(|e| refused(store, e))?
        .ok_or_else(|| eyre!("group {:?} is gone", clean(name)))
}

fn refused(store: &AnyStore, e: crate::store::StoreError) -> color_eyre::Report {
    match store.explain_refusal(e) {
        crate::store::StoreError::Forbidden(_) => {
            eyre!("changing a group needs the owner role in every company in it (and in each company added)")
        }
        other => other.into(),
    }
}

async fn find(store: &AnyStore, name: &str) -> Result<Group> {
    let groups = store.groups().await?;
    groups.into_iter().find(|g| g.name == name.trim()).ok_or_else(|| {
        eyre!(
            "no group named {:?} (katalis group list shows them; a group is shown to a member of every company in it)",
            clean(name.trim())
        )
    })
}

/// `NAME (CUR): A, B; intercompany: X`.
async fn describe(store: &AnyStore, g: &Group) -> Result<String> {
    let companies = store.companies().await?;
    let members: Vec<String> = g
        .members
        .iter()
        .map(|id| {
            companies
                .iter()
                .find(|c| c.id == *id)
                .map_or_else(|| format!("#{id}"), |c| format!("{} ({})", clean(&c.name), c.currency))
        })
        .collect();
    let mut s = format!("{:?} in {}: {}", clean(&g.name), g.currency, members.join(", "));
    if !g.intercompany.is_empty() {
        let n: Vec<String> = g.intercompany.iter().map(|n| clean(n)).collect();
        s.push_str(&format!("; intercompany: {}", n.join(", ")));
    }
    Ok(s)
}

async fn list(store: &AnyStore, format: OutputFormat) -> Result<()> {
    let groups = store.groups().await?;
    let companies = store.companies().await?;
    let name_of = |id: &i64| companies.iter().find(|c| c.id == *id).map(|c| c.name.clone());
    match format {
        OutputFormat::Json => {
            let rows: Vec<Value> = groups
                .iter()
                .map(|g| {
                    json!({
                        "name": g.name,
                        "currency": g.currency,
                        "members": g.members.iter().filter_map(name_of).collect::<Vec<_>>(),
                        "intercompany": g.intercompany,
                    })
                })
                .collect();
            print(&(json_pretty(&rows)? + "\n"))
        }
        OutputFormat::Text if groups.is_empty() => print("no groups; create one with katalis group create\n"),
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| {
                    vec![
                        clean(&g.name),
                        g.currency.clone(),
                        g.members
                            .iter()
                            .filter_map(name_of)
                            .map(|n| clean(&n))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            print(&table_text(&["group", "currency", "members"], &rows))
        }
    }
}

/// The consolidated books as a company's (the board pack reads these).
fn group_books(f: &GroupFigures) -> crate::company::Books {
    crate::company::Books {
        company: crate::company::group_company(f),
        ledger: f.consolidated.ledger.clone(),
        as_of: f.consolidated.as_of,
        products: f.consolidated.products.clone(),
        receivables: f.consolidated.receivables.clone(),
        bank: Vec::new(),
        fx: None,
        translation: None,
        month: None,
    }
}

/// `report --format json`'s keys on the consolidated months, plus `members`,
/// `rates` (per member currency and month: average and close),
/// `eliminations` and `translation_difference` (per month).
pub fn group_json(f: &GroupFigures) -> Value {
    let company = crate::company::group_company(f);
    let mut v = Report {
        company: &company,
        snapshot: &f.snapshot,
    }
    .to_json();
    let c = &f.consolidated;
    let members: Vec<Value> = f
        .members
        .iter()
        .map(|m| json!({"name": m.name, "currency": m.currency}))
        .collect();
    // Each member currency once.
    let mut rates = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (_, t) in &c.translations {
        if t.from == t.to || !seen.insert(t.from.clone()) {
            continue;
        }
        for r in t.months.values() {
            rates.push(json!({
                "currency": t.from,
                "month": r.month.to_string(),
                "average": r.average.normalize().to_string(),
                "close": r.close.normalize().to_string(),
                "close_date": r.close_date.to_string(),
            }));
        }
    }
    let per_month = |m: &std::collections::BTreeMap<crate::domain::Month, rust_decimal::Decimal>| {
        m.iter()
            .map(|(k, v)| json!({"month": k.to_string(), "amount": money(*v)}))
            .collect::<Vec<_>>()
    };
    if let Value::Object(top) = &mut v {
        top.insert("members".into(), Value::Array(members));
        top.insert("rates".into(), Value::Array(rates));
        top.insert("eliminations".into(), Value::Array(per_month(&c.eliminations)));
        top.insert(
            "translation_difference".into(),
            Value::Array(per_month(&c.translation_difference)),
        );
    }
    v
}

/// The consolidated report in Markdown, then the members, the eliminations
/// and the translation difference.
pub fn group_markdown(f: &GroupFigures, lang: crate::locale::Lang) -> String {
    let t = |en, es| lang.pick(en, es);
    let company = crate::company::group_company(f);
    let mut o = crate::report::to_markdown(&company, &f.snapshot, lang);
    o.push_str(&format!("\n## {}\n\n", t("Members", "Empresas")));
    for m in &f.members {
        o.push_str(&format!("- {} ({})\n", clean(&m.name), m.currency));
    }
    o.push_str(&format!(
        "\n{}\n\n| {} | {} | {} |\n| --- | ---: | ---: |\n",
        t(
            "Each member's flows at its month's average rate, balances at the month-end rate; what members invoiced one another removed from revenue and costs.",
            "Los flujos de cada empresa al tipo de cambio promedio del mes, los saldos al del cierre; lo que se facturaron entre sí, fuera de ingresos y costos."
        ),
        t("Month", "Mes"),
        t("Eliminated", "Eliminado"),
        t("Translation difference", "Diferencia por conversión"),
    ));
    let c = &f.consolidated;
    for (m, e) in &c.eliminations {
        let d = c.translation_difference.get(m).map_or("—".to_owned(), |d| money(*d));
        o.push_str(&format!("| {m} | {} | {d} |\n", money(*e)));
    }
    o
}
