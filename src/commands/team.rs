//! `katalis migrate`, `members` and `audit`: a team on one store.

use crate::cli::{MembersCommand, OutputFormat, RoleArg};
use crate::sanitize::{clean, json_pretty, pad_right, width};
use crate::store::team::Role;
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, eyre};

/// `katalis migrate`.
pub async fn migrate(url: &str, pg: &crate::store::PgSettings) -> Result<()> {
    let (store, applied) = AnyStore::migrate(url, pg).await.map_err(|e| eyre!("{e}"))?;
    let status = store.migration_status().await?;
    store.close().await;
    if applied.is_empty() {
        eprintln!(
            "the store is current: {} of {} migrations applied",
            status.applied.len(),
            status.known.len()
        );
    } else {
        let list: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
        eprintln!(
            "applied migration {}; the store is current ({} of {})",
            list.join(", "),
            status.applied.len(),
            status.known.len()
        );
    }
    Ok(())
}

fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Owner => Role::Owner,
        RoleArg::Analyst => Role::Analyst,
        RoleArg::Viewer => Role::Viewer,
    }
}

/// `katalis members …`: owners (and admins) only; the database checks it too.
pub async fn members(store: &AnyStore, cmd: &MembersCommand) -> Result<()> {
    let company = match cmd {
        MembersCommand::Add { company, .. }
        | MembersCommand::Remove { company, .. }
        | MembersCommand::List { company, .. } => store.company(company).await?,
    };
    let access = store.access(company.id).await?;
    access
        .require(Role::Owner, &company.name, "managing members")
        .map_err(|e| eyre!(e))?;
    match cmd {
        MembersCommand::Add {
            login,
            role,
            create_login,
            ..
        } => {
            let rights = store
                .add_member(company.id, login, role_of(*role), *create_login)
                .await?;
            store
                .record_or_warn(&crate::store::team::AuditEntry::new(
                    &company,
                    "member",
                    format!("member {login}"),
                    format!("role {}", role_of(*role).name()),
                ))
                .await;
            eprintln!(
                "{} is {} of {:?} (table rights: {rights})",
                clean(login),
                role_of(*role).name(),
                clean(&company.name)
            );
        }
        MembersCommand::Remove { login, .. } => {
            let rights = store.remove_member(company.id, login).await?;
            store
                .record_or_warn(&crate::store::team::AuditEntry::new(
                    &company,
                    "member",
                    format!("member {login}"),
                    "removed",
                ))
                .await;
            eprintln!(
                "{} is no longer a member of {:?} (table rights now: {rights})",
                clean(login),
                clean(&company.name)
            );
        }
        MembersCommand::List { format, .. } => {
            let list = store.members(company.id).await?;
            let out = match format {
                OutputFormat::Json => json_pretty(&list)? + "\n",
                OutputFormat::Text => {
                    let w = list.iter().map(|m| width(&clean(&m.login))).max().unwrap_or(5).max(5);
                    let mut s = format!("{}  role\n", pad_right("login", w));
                    for m in &list {
                        s += &format!("{}  {}\n", pad_right(&clean(&m.login), w), m.role);
                    }
                    s
                }
            };
            super::print(&out)?;
        }
    }
    Ok(())
}

/// `katalis audit`.
pub async fn audit(store: &AnyStore, company: Option<&str>, since: Option<&str>, format: OutputFormat) -> Result<()> {
    let company_id = match company {
        Some(c) => Some(store.company(c).await?.id),
        None => None,
    };
    if let Some(s) = since {
        let ok =
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() || chrono::DateTime::parse_from_rfc3339(s).is_ok();
        if !ok {
            return Err(eyre!(
                "--since {:?}: expected a date (YYYY-MM-DD) or an RFC 3339 instant",
                clean(s)
            ));
        }
    }
    let rows = store.audit(company_id, since).await?;
    let out = match format {
        OutputFormat::Json => json_pretty(&rows)? + "\n",
        OutputFormat::Text => {
            let mut s = String::new();
            for r in &rows {
                s += &format!(
                    "{}  {}  {}  {}  {}{}\n",
                    r.at,
                    clean(&r.who),
                    clean(&r.company),
                    clean(&r.action),
                    clean(&r.target),
                    if r.detail.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", clean(&r.detail))
                    }
                );
            }
            s
        }
    };
    super::print(&out)
}
