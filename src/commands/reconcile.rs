//! `katalis reconcile` and `katalis rules` (docs/reconcile.md).

use super::import::table_text;
use super::{pick_company, print, require};
use crate::cli::{OutputFormat, ReconcileArgs, ReconcileCommand, RulesCommand};
use crate::company::categorise;
use crate::domain::{Company, money_text};
use crate::finance::reconcile::{Allocation, Proposal};
use crate::finance::rules::{Category, Rules};
use crate::numbers::fixed;
use crate::reconcile::{Bench, accept};
use crate::sanitize::{clean, json_pretty};
use crate::store::team::{AuditEntry, Role};
use crate::store::{AnyStore, ReconcileAction, Store};
use color_eyre::eyre::{Result, bail, eyre};
use serde_json::{Value, json};
use std::path::Path;

/// `--rules FILE` read: (text, name).
fn rules_file(path: Option<&Path>) -> Result<Option<(String, String)>> {
    path.map(|p| {
        std::fs::read_to_string(p)
            .map(|t| (t, p.display().to_string()))
            .map_err(|e| eyre!("--rules {}: {e}", clean(&p.display().to_string())))
    })
    .transpose()
}

async fn check_account(store: &AnyStore, company: &Company, account: Option<&str>) -> Result<()> {
    if let Some(name) = account
        && !store.bank_accounts(company.id).await?.iter().any(|x| x.name == name)
    {
        bail!("no bank account named {:?} in {:?}", clean(name), clean(&company.name));
    }
    Ok(())
}

/// A proposal as JSON: `{line_id, date, amount, description, tier, reason, invoices}`.
fn proposal_json(b: &Bench, p: &Proposal) -> Value {
    let line = b.line(p.line_id);
    json!({
        "line_id": p.line_id,
        "date": line.map(|l| l.date.to_string()),
        "amount": line.map(|l| money_text(l.amount)),
        "description": line.map(|l| l.description.clone()),
        "tier": p.tier.name(),
        "reason": p.reason.text(false),
        "invoices": p.allocations.iter().map(|a: &Allocation| {
            let mut v = json!({"number": a.number, "customer": a.customer, "amount": money_text(a.amount)});
            if let Some(u) = &a.confirms {
                v["confirms"] = json!(u);
            }
            v
        }).collect::<Vec<_>>(),
    })
}

fn proposals_text(b: &Bench, ps: &[Proposal]) -> String {
    let rows: Vec<Vec<String>> = ps
        .iter()
        .map(|p| {
            let line = b.line(p.line_id);
            vec![
                p.line_id.to_string(),
                line.map(|l| l.date.to_string()).unwrap_or_default(),
                line.map(|l| fixed(l.amount, 2)).unwrap_or_default(),
                clean(&line.map(|l| l.description.clone()).unwrap_or_default()),
                p.tier.name().to_owned(),
                p.allocations
                    .iter()
                    .map(|a| format!("{} {}", clean(&a.number), fixed(a.amount, 2)))
                    .collect::<Vec<_>>()
                    .join(", "),
                clean(&p.reason.text(false)),
            ]
        })
        .collect();
    table_text(
        &["line", "date", "amount", "description", "tier", "invoices", "reason"],
        &rows,
    )
}

pub async fn run(store: &AnyStore, company: Option<&str>, a: &ReconcileArgs) -> Result<()> {
    let company = pick_company(store, company).await?;
    check_account(store, &company, a.account.as_deref()).await?;
    let explicit = rules_file(a.rules.as_deref())?;
    let account = a.account.as_deref();
    match &a.action {
        None if a.auto => {
            require(store, &company, Role::Owner, "reconciling").await?;
            let (accepted, b) = crate::reconcile::auto(store, company.id, account, explicit.as_ref()).await?;
            if !accepted.is_empty() {
                let total: rust_decimal::Decimal = accepted.iter().map(Proposal::total).sum();
                store
                    .record_or_warn(&AuditEntry::new(
                        &company,
                        "reconcile",
                        "bank",
                        format!("{} receipts matched automatically, {}", accepted.len(), fixed(total, 2)),
                    ))
                    .await;
            }
            match a.format {
                OutputFormat::Json => print(
                    &(json_pretty(&json!({
                        "accepted": accepted.iter().map(|p| proposal_json(&b, p)).collect::<Vec<_>>(),
                        "proposed": b.proposals.iter().map(|p| proposal_json(&b, p)).collect::<Vec<_>>(),
                    }))? + "\n"),
                ),
                OutputFormat::Text => {
                    let mut out = format!("accepted {} receipts\n", accepted.len());
                    if !accepted.is_empty() {
                        out += &proposals_text(&b, &accepted);
                    }
                    out += &format!(
                        "{} proposals left (katalis reconcile accept LINE_ID, or reject LINE_ID)\n",
                        b.proposals.len()
                    );
                    if !b.proposals.is_empty() {
                        out += &proposals_text(&b, &b.proposals);
                    }
                    print(&out)
                }
            }
        }
        None => {
            let b = Bench::load(store, company.id, account, explicit.as_ref()).await?;
            match a.format {
                OutputFormat::Json => {
                    print(&(json_pretty(&b.proposals.iter().map(|p| proposal_json(&b, p)).collect::<Vec<_>>())? + "\n"))
                }
                OutputFormat::Text if b.proposals.is_empty() => {
                    print("no proposals: every receipt is matched, rejected or categorised, or nothing fits\n")
                }
                OutputFormat::Text => print(&proposals_text(&b, &b.proposals)),
            }
        }
        Some(cmd) => {
            require(store, &company, Role::Owner, "reconciling").await?;
            decide(store, &company, account, explicit.as_ref(), cmd).await
        }
    }
}

async fn decide(
    store: &AnyStore,
    company: &Company,
    account: Option<&str>,
    explicit: Option<&(String, String)>,
    cmd: &ReconcileCommand,
) -> Result<()> {
    let b = Bench::load(store, company.id, account, explicit).await?;
    let line_of = |id: i64| {
        b.line(id).ok_or_else(|| {
            eyre!(
                "no bank line {id} in {:?} (see katalis bank lines)",
                clean(&company.name)
            )
        })
    };
    let (action, what) = match cmd {
        ReconcileCommand::Accept { line_id, invoices } => {
            let l = line_of(*line_id)?;
            if invoices.is_empty() {
                let p = b.proposal(*line_id).ok_or_else(|| {
                    eyre!(
                        "line {line_id} has no proposal; name the invoices it pays: --invoice NUMBER=AMOUNT (repeat to split)"
                    )
                })?;
                (
                    accept(&p.allocations, l),
                    format!("line {line_id}: {} ({})", p.tier.name(), parts(&p.allocations)),
                )
            } else {
                let named = crate::reconcile::parse_parts(invoices.iter().map(String::as_str))
                    .map_err(|e| eyre!("--invoice {e}"))?;
                let allocations = b.allocations(named);
                (
                    accept(&allocations, l),
                    format!("line {line_id}: by hand ({})", parts(&allocations)),
                )
            }
        }
        ReconcileCommand::Reject { line_id } => {
            line_of(*line_id)?;
            (
                ReconcileAction::Reject(*line_id),
                format!("line {line_id}: proposal rejected"),
            )
        }
        ReconcileCommand::Undo { line_id } => {
            line_of(*line_id)?;
            (ReconcileAction::Undo(*line_id), format!("line {line_id}: undone"))
        }
        ReconcileCommand::Category { line_id, category } => {
            line_of(*line_id)?;
            let c = match category.trim() {
                "none" => None,
                c => Some(Category::parse(c).ok_or_else(|| {
                    eyre!(
                        "{:?}: expected one of {} or none",
                        clean(c),
                        Category::ALL.map(Category::as_str).join(", ")
                    )
                })?),
            };
            (
                ReconcileAction::Categorise(*line_id, c),
                format!("line {line_id}: category {}", c.map_or("none", Category::as_str)),
            )
        }
    };
    store.reconcile(company.id, &[action]).await?;
    store
        .record_or_warn(&AuditEntry::new(company, "reconcile", "bank", what.clone()))
        .await;
    print(&format!("{}\n", clean(&what)))
}

fn parts(a: &[Allocation]) -> String {
    a.iter()
        .map(|a| format!("{} {}", a.number, fixed(a.amount, 2)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn rules(store: &AnyStore, company: Option<&str>, cmd: &RulesCommand) -> Result<()> {
    let company = pick_company(store, company).await?;
    match cmd {
        RulesCommand::Import { file } => {
            require(store, &company, Role::Owner, "storing rules").await?;
            let (text, name) = rules_file(Some(file))?.unwrap_or_default();
            let r = Rules::parse(&text, &name).map_err(|e| eyre!(clean(&e)))?;
            store.save_bank_rules(company.id, Some(&text)).await?;
            store
                .record_or_warn(&AuditEntry::new(
                    &company,
                    "rules",
                    "bank",
                    format!("{} rules imported from {name}", r.rules.len()),
                ))
                .await;
            print(&format!(
                "stored {} rules for {:?}; they win over the configuration's rules.toml\n",
                r.rules.len(),
                clean(&company.name)
            ))
        }
        RulesCommand::Show => match store.bank_rules(company.id).await? {
            Some(t) => print(&clean_block(&t)),
            None => print("no stored rules (katalis rules import FILE)\n"),
        },
        RulesCommand::Clear => {
            require(store, &company, Role::Owner, "removing rules").await?;
            store.save_bank_rules(company.id, None).await?;
            store
                .record_or_warn(&AuditEntry::new(&company, "rules", "bank", "stored rules removed"))
                .await;
            print("stored rules removed\n")
        }
        RulesCommand::Test { account, rules, format } => {
            check_account(store, &company, account.as_deref()).await?;
            let explicit = rules_file(rules.as_deref())?;
            let r = crate::company::rules(store, company.id, explicit.as_ref()).await?;
            let f = crate::store::LineFilter {
                account: account.clone(),
                lines_only: true,
                ..Default::default()
            };
            let input = store.reconcile_input(company.id, &f).await?;
            let caught: Vec<(&crate::store::ReconLine, Option<&str>, Option<Category>)> = input
                .lines
                .iter()
                .map(|l| {
                    let (rule, c) = categorise(&r, l);
                    (l, rule.map(|r| r.name.as_str()), c)
                })
                .collect();
            match format {
                OutputFormat::Json => print(
                    &(json_pretty(
                        &caught
                            .iter()
                            .map(|(l, rule, c)| json!({"line_id": l.id, "rule": rule, "category": c.map(Category::as_str)}))
                            .collect::<Vec<_>>(),
                    )? + "\n"),
                ),
                OutputFormat::Text => {
                    let rows: Vec<Vec<String>> = caught
                        .iter()
                        .map(|(l, rule, c)| {
                            vec![
                                l.id.to_string(),
                                l.date.to_string(),
                                fixed(l.amount, 2),
                                clean(&l.description),
                                clean(rule.unwrap_or("—")),
                                c.map_or("—", Category::as_str).to_owned(),
                            ]
                        })
                        .collect();
                    print(&table_text(&["line", "date", "amount", "description", "rule", "category"], &rows))
                }
            }
        }
    }
}

/// Stored text printed line by line, each cleaned of terminal controls.
fn clean_block(t: &str) -> String {
    t.lines().map(|l| clean(l) + "\n").collect()
}
