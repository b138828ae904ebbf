//! `katalis import statement` and `katalis bank accounts|lines`.

use super::import::{mapping_from, save_named_mapping, table_text};
use super::{currency_code, pick_company, print, require};
use crate::cli::{BankCommand, LinesFormat, OutputFormat, StatementArgs, StatementFormat};
use crate::domain::{AccountTarget, BankAccount, ImportBatch, StatementWrite, money_text};
use crate::import::Kind;
use crate::import::statement::{self, Format};
use crate::numbers::fixed;
use crate::sanitize::{clean, json_pretty};
use crate::store::team::{AuditEntry, Role};
use crate::store::{AnyStore, LineQuery, Store};
use color_eyre::eyre::{Result, bail, eyre};

fn format_of(f: StatementFormat) -> Format {
    match f {
        StatementFormat::Csv | StatementFormat::Xlsx | StatementFormat::Ods => Format::Table,
        StatementFormat::Ofx => Format::Ofx,
        StatementFormat::Camt053 => Format::Camt053,
        StatementFormat::Mt940 => Format::Mt940,
    }
}

pub async fn import_statement(store: &AnyStore, company_name: &str, a: &StatementArgs) -> Result<()> {
    let company = store.company(company_name).await?;
    if !a.dry_run {
        require(store, &company, Role::Owner, "importing").await?;
    }
    if a.account.trim().is_empty() {
        bail!("--account: expected the account's name, e.g. --account \"BBVA 1234\"");
    }
    let accounts = store.bank_accounts(company.id).await?;
    let existing = accounts.iter().find(|x| x.name == a.account.trim());
    let currency = match (existing, &a.currency) {
        (Some(x), Some(c)) if currency_code(c)? != x.currency => bail!(
            "--currency {}: the account {:?} is in {}",
            clean(c),
            clean(&x.name),
            clean(&x.currency)
        ),
        (Some(x), _) => x.currency.clone(),
        (None, _) if !a.create_account => {
            let names: Vec<String> = accounts.iter().map(|x| clean(&x.name)).collect();
            bail!(
                "no bank account named {:?} in {:?} (accounts: {}); add --create-account to create it",
                clean(a.account.trim()),
                clean(&company.name),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            );
        }
        (None, Some(c)) => currency_code(c)?,
        (None, None) => company.currency.clone(),
    };
    let mapping = mapping_from(store, Some(&company), Kind::Statement, &a.table).await?;
    let files = a.files.clone();
    let format = a.format.map(format_of);
    // One CSV with our own header streams: checked and written as it is read.
    if !a.dry_run
        && files.len() == 1
        && format.is_none_or(|f| f == Format::Table)
        && statement::streams(&files[0], &mapping)
    {
        let head = StatementWrite {
            account: match existing {
                Some(x) => AccountTarget::Existing(x.name.clone()),
                None => AccountTarget::Create {
                    name: a.account.trim().to_owned(),
                    currency: currency.clone(),
                    number: None,
                },
            },
            lines: Vec::new(),
            keys: Vec::new(),
            closing: None,
            source: clean(&files[0].display().to_string()),
            format: Format::Table.name().to_owned(),
        };
        let done = crate::import::source::stream_statement(store, company.id, head, files[0].clone()).await?;
        return finish_statement(store, &company, a, &mapping, Format::Table.name(), &done).await;
    }
    let m = mapping.clone();
    let cur = currency.clone();
    let checked = tokio::task::spawn_blocking(move || {
        statement::read_files(&files, format, &m).and_then(|read| statement::check(read, &cur))
    })
    .await
    .map_err(|e| eyre!("the reader stopped: {e}"))??;
    let lines = checked.lines.len();
    let closing = checked
        .closing
        .map(|(c, d)| format!("closing balance {} {} on {d}", clean(&currency), fixed(c, 2)))
        .unwrap_or_else(|| "no balance in the file".to_owned());
    let sources: Vec<String> = a.files.iter().map(|p| clean(&p.display().to_string())).collect();
    let format_name = format
        .map(Format::name)
        .unwrap_or_else(|| {
            let head = std::fs::read(&a.files[0])
                .map(|b| b[..b.len().min(4096)].to_vec())
                .unwrap_or_default();
            Format::of(&a.files[0], &head).name()
        })
        .to_owned();
    if a.dry_run {
        let batch = ImportBatch::Statement(checked.lines);
        let (header, rows) = crate::import::preview_table(&batch);
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|c| clean(&c)).collect())
            .collect();
        print(&table_text(&header, &rows))?;
        eprintln!("{lines} lines, {closing}; dry run: nothing written");
        return Ok(());
    }
    let account = match existing {
        Some(x) => AccountTarget::Existing(x.name.clone()),
        None => AccountTarget::Create {
            name: a.account.trim().to_owned(),
            currency: currency.clone(),
            number: checked.number.clone(),
        },
    };
    let write = StatementWrite {
        account,
        lines: checked.lines,
        keys: checked.keys,
        closing: checked.closing,
        source: sources.join(", "),
        format: format_name.clone(),
    };
    let done = store.import_statement(company.id, &write).await?;
    finish_statement(store, &company, a, &mapping, &format_name, &done).await
}

/// What an import says and records once written: lines added and already
/// there, the balance; the audit entry; the mapping saved when asked.
async fn finish_statement(
    store: &AnyStore,
    company: &crate::domain::Company,
    a: &StatementArgs,
    mapping: &crate::import::table::Mapping,
    format_name: &str,
    done: &crate::domain::StatementImported,
) -> Result<()> {
    let sources: Vec<String> = a.files.iter().map(|p| clean(&p.display().to_string())).collect();
    let acct = &done.account;
    let said = format!(
        "{} lines added to {:?}, {} already there; balance {} {}{}",
        done.added,
        clean(&acct.name),
        done.skipped,
        clean(&acct.currency),
        fixed(acct.balance, 2),
        acct.as_of.map(|d| format!(" as of {d}")).unwrap_or_default()
    );
    store
        .record_or_warn(&AuditEntry::new(
            company,
            "import",
            "statement",
            format!("{format_name} {}: {said}", sources.join(", ")),
        ))
        .await;
    eprintln!("{said}");
    if let Some(name) = &a.table.save_mapping {
        save_named_mapping(store, company, name, Kind::Statement, mapping).await?;
    }
    Ok(())
}

pub async fn run(store: &AnyStore, company: Option<&str>, cmd: &BankCommand) -> Result<()> {
    let company = pick_company(store, company).await?;
    match cmd {
        BankCommand::Accounts { format } => {
            let accounts = store.bank_accounts(company.id).await?;
            match format {
                OutputFormat::Json => print(&(json_pretty(&accounts)? + "\n")),
                OutputFormat::Text => print(&accounts_text(&accounts)),
            }
        }
        BankCommand::Lines {
            account,
            from,
            to,
            format,
        } => {
            let date = |s: &Option<String>, flag: &str| -> Result<Option<chrono::NaiveDate>> {
                s.as_deref()
                    .map(|d| crate::import::fields::date(d).map_err(|e| eyre!("{flag} {:?}: expected {e}", clean(d))))
                    .transpose()
            };
            let mut q = LineQuery {
                account: account.clone(),
                from: date(from, "--from")?,
                to: date(to, "--to")?,
                filter: String::new(),
                offset: 0,
                limit: 50_000,
                newest_first: false,
            };
            if let Some(name) = account
                && !store.bank_accounts(company.id).await?.iter().any(|x| &x.name == name)
            {
                bail!("no bank account named {:?} in {:?}", clean(name), clean(&company.name));
            }
            let mut all = Vec::new();
            loop {
                let (page, total) = store.bank_lines(company.id, &q).await?;
                let n = page.len();
                all.extend(page);
                q.offset += n;
                if n == 0 || q.offset >= total {
                    break;
                }
            }
            match format {
                LinesFormat::Json => print(&(json_pretty(&all)? + "\n")),
                LinesFormat::Csv => {
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record([
                        "id",
                        "account",
                        "date",
                        "amount",
                        "description",
                        "reference",
                        "bank_ref",
                        "balance",
                    ])?;
                    for l in &all {
                        w.write_record([
                            l.id.to_string(),
                            l.account.clone(),
                            l.date.to_string(),
                            money_text(l.amount),
                            l.description.clone(),
                            l.reference.clone(),
                            l.bank_ref.clone(),
                            l.balance.map(money_text).unwrap_or_default(),
                        ])?;
                    }
                    print(&String::from_utf8_lossy(&w.into_inner().map_err(|e| eyre!("{e}"))?))
                }
                LinesFormat::Text => {
                    let rows: Vec<Vec<String>> = all
                        .iter()
                        .map(|l| {
                            vec![
                                l.id.to_string(),
                                clean(&l.account),
                                l.date.to_string(),
                                fixed(l.amount, 2),
                                clean(&l.description),
                                clean(&l.reference),
                                l.balance.map(|b| fixed(b, 2)).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    print(&table_text(
                        &["id", "account", "date", "amount", "description", "reference", "balance"],
                        &rows,
                    ))
                }
            }
        }
    }
}

fn accounts_text(accounts: &[BankAccount]) -> String {
    if accounts.is_empty() {
        return "no bank accounts; import a statement with `katalis import statement FILE --account NAME --create-account`\n"
            .to_owned();
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|x| {
            vec![
                clean(&x.name),
                clean(&x.currency),
                fixed(x.balance, 2),
                x.as_of.map(|d| d.to_string()).unwrap_or_default(),
                x.lines.to_string(),
            ]
        })
        .collect();
    table_text(&["account", "currency", "balance", "as of", "lines"], &rows)
}
