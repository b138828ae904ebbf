//! `katalis import`: our CSV, spreadsheets with the user's headers, journals
//! and CFDI. Every source is validated whole and written in one transaction.

use crate::cli::{CfdiArgs, CreateArgs, ImportCommand, JournalArgs, JournalFormatArg, Layout, TableArgs};
use crate::domain::{Company, NewCompany};
use crate::import::cfdi;
use crate::import::journal::{self, Accounts, JournalFormat};
use crate::import::pipeline::CHUNK_ROWS;
use crate::import::source;
use crate::import::table::{self, Mapping, Prepared, SourceKind};
use crate::import::{Kind, import_file, import_parsed};
use crate::sanitize::clean;
use crate::store::team::{AuditEntry, Role};
use crate::store::{AnyStore, ImportBatch, ImportTarget, SavedMapping, Store, StoreError};
use color_eyre::eyre::{Result, bail, eyre};

/// `company` is the global `--company`, which `import` requires (checked by main).
pub async fn run(store: &AnyStore, company_name: &str, cmd: &ImportCommand) -> Result<()> {
    match cmd {
        ImportCommand::Financials(a) => run_table(store, company_name, Kind::Financials, a).await,
        ImportCommand::Products(a) => run_table(store, company_name, Kind::Products, a).await,
        ImportCommand::Invoices(a) => run_table(store, company_name, Kind::Invoices, a).await,
        ImportCommand::Journal(a) => run_journal(store, company_name, a).await,
        ImportCommand::Cfdi(a) => run_cfdi(store, company_name, a).await,
        ImportCommand::Statement(a) => super::bank::import_statement(store, company_name, a).await,
    }
}

/// The company to import into (made in the import's transaction with `--create`),
/// and its currency.
pub async fn target(store: &AnyStore, company_name: &str, new: &CreateArgs) -> Result<(ImportTarget, String)> {
    match store.company(company_name).await {
        Ok(c) => Ok((ImportTarget::Existing(c.id), c.currency)),
        Err(StoreError::UnknownCompany(_)) if new.create => {
            let currency = new.currency.clone().unwrap_or_default().to_ascii_uppercase();
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                bail!(
                    "--currency {:?}: expected an ISO 4217 code such as USD, MXN or COP",
                    clean(&currency)
                );
            }
            Ok((
                ImportTarget::Create(NewCompany {
                    name: company_name.to_owned(),
                    industry: new.industry.clone(),
                    currency: currency.clone(),
                    fiscal_year_start: new.fiscal_year_start,
                    locale: new.locale.clone(),
                }),
                currency,
            ))
        }
        Err(StoreError::UnknownCompany(name)) => {
            bail!("no company named {name:?}; add --create --currency XXX to create it")
        }
        Err(e) => Err(e.into()),
    }
}

/// The mapping a table import uses: the saved one named by `--mapping`, with
/// `--map`, `--sheet`, `--date-format` and `--decimal-comma` applied over it.
pub async fn mapping_for(store: &AnyStore, company: Option<&Company>, kind: Kind, a: &TableArgs) -> Result<Mapping> {
    mapping_from(store, company, kind, &a.table).await
}

/// [`mapping_for`] from the options alone (a statement's too).
pub async fn mapping_from(
    store: &AnyStore,
    company: Option<&Company>,
    kind: Kind,
    a: &crate::cli::MapOptions,
) -> Result<Mapping> {
    let mut m = match a.mapping.as_deref() {
        Some(name) => {
            let Some(c) = company else {
                bail!(
                    "--mapping {:?}: the company does not exist yet, so it has no saved mappings",
                    clean(name)
                );
            };
            let saved = store.mappings(c.id).await?;
            let Some(found) = saved.iter().find(|s| s.name == name) else {
                let names: Vec<String> = saved.iter().map(|s| clean(&s.name)).collect();
                bail!(
                    "no saved mapping named {:?} for {:?} (saved: {})",
                    clean(name),
                    clean(&c.name),
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                );
            };
            if found.kind != kind.name() {
                bail!(
                    "mapping {:?} is for {} files, not {}",
                    clean(name),
                    clean(&found.kind),
                    kind.name()
                );
            }
            serde_json::from_str::<Mapping>(&found.spec)
                .map_err(|e| eyre!("saved mapping {:?} cannot be read ({e})", clean(name)))?
        }
        None => Mapping::default(),
    };
    m.apply_args(kind, &a.map).map_err(|e| eyre!(e))?;
    if let Some(sheet) = &a.sheet {
        m.sheet = Some(sheet.clone());
    }
    if let Some(f) = &a.date_format {
        m.date_format = Some(f.clone());
    }
    m.decimal_comma |= a.decimal_comma;
    m.check().map_err(|e| eyre!(e))?;
    Ok(m)
}

async fn run_table(store: &AnyStore, company_name: &str, kind: Kind, a: &TableArgs) -> Result<()> {
    let (target, _) = target(store, company_name, &a.new).await?;
    let existing = match &target {
        ImportTarget::Existing(_) => Some(store.company(company_name).await?),
        ImportTarget::Create(_) => None,
    };
    if let Some(c) = &existing
        && !a.dry_run
    {
        super::require(store, c, Role::Owner, "importing").await?;
    }
    if a.layout == Layout::MonthsAcross {
        return run_across(store, &target, existing.as_ref(), kind, a).await;
    }
    if !a.more.is_empty() {
        bail!("one file at a time (several files are for --layout months-across: a P&L and its balance sheet)");
    }
    if a.accounts.is_some() {
        bail!("--accounts applies to --layout months-across (and to `import journal`)");
    }
    let mut mapping = mapping_for(store, existing.as_ref(), kind, a).await?;
    let source = SourceKind::of(&a.file);
    if !matches!(source, SourceKind::Csv | SourceKind::Spreadsheet) {
        bail!(
            "{}: expected a .csv, .xlsx, .xls or .ods file (for journals use `import journal`, for CFDI `import cfdi`)",
            clean(&a.file.display().to_string())
        );
    }
    if source == SourceKind::Csv && mapping.sheet.is_some() {
        bail!("--sheet applies to spreadsheets (.xlsx, .xls, .ods), not to a CSV file");
    }
    // Our own CSV (its header names our fields) streams: validation and writing overlap.
    let ours = source == SourceKind::Csv
        && mapping.is_plain()
        && source::csv_header(&a.file).is_none_or(|h| table::resolve(kind, &h, &Mapping::default(), 1).is_ok());
    let (company, parsed) = if ours && !a.dry_run {
        let (company, rows) = import_file(store, &target, kind, &a.file).await?;
        (
            company,
            table::Parsed {
                rows,
                skipped: Vec::new(),
            },
        )
    } else {
        let path = a.file.clone();
        let named = mapping.sheet.clone();
        let sheet = tokio::task::spawn_blocking(move || match source {
            SourceKind::Spreadsheet => source::read_sheet(&path, named.as_deref()).map(|(_, _, s)| s),
            _ => table::read_csv(&path),
        })
        .await
        .map_err(|e| eyre!("the reader stopped: {e}"))??;
        // Headers that are not ours and no mapping given: guessed as the dialog guesses.
        if mapping.columns.is_empty() && a.table.mapping.is_none() && Prepared::new(kind, &sheet, &mapping).is_err() {
            let g = source::guess_mapping(kind, &sheet);
            if !g.missing.is_empty() {
                let mut msg = format!(
                    "{}: the columns are not Katalis's and no column was found for {} (nothing imported)",
                    clean(&sheet.label),
                    g.missing.join(", ")
                );
                if !g.columns.is_empty() {
                    msg += &format!("\n  guessed: {}", source::map_flags(kind, &g.columns));
                }
                msg += &format!(
                    "\n  add: {}",
                    g.missing
                        .iter()
                        .map(|k| format!("--map {k}=COLUMN"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let headers: Vec<String> = g
                    .headers
                    .iter()
                    .filter(|h| !h.trim().is_empty())
                    .map(|h| clean(h))
                    .collect();
                if !headers.is_empty() {
                    msg += &format!("\n  the columns are: {}", headers.join(", "));
                }
                if kind == Kind::Financials && crate::import::across::find_header(&sheet).is_some() {
                    msg += "\n  the months are across (one column per month): add --layout months-across";
                }
                bail!(msg);
            }
            eprintln!("the columns were guessed: {}", source::map_flags(kind, &g.columns));
            if a.table.save_mapping.is_none() {
                eprintln!("to reuse them, add --save-mapping NAME once and --mapping NAME after");
            }
            mapping.columns = g.columns;
        }
        if a.dry_run {
            let prepared = Prepared::new(kind, &sheet, &mapping)?;
            let mut rows = Vec::new();
            let parsed = prepared.validate(usize::MAX, &mut |b| {
                rows.push(b);
                true
            })?;
            let batch = match rows.pop() {
                Some(b) => b,
                None => bail!("{}: no data row to import", clean(&sheet.label)),
            };
            let (header, rows) = crate::import::preview_table(&batch);
            let rows: Vec<Vec<String>> = rows
                .into_iter()
                .map(|r| r.into_iter().map(|c| clean(&c)).collect())
                .collect();
            super::print(&table_text(&header, &rows))?;
            eprintln!(
                "{} {} rows{}; dry run: nothing written",
                parsed.rows,
                kind.name(),
                if parsed.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} skipped", parsed.skipped.len())
                }
            );
            return Ok(());
        }
        let m = mapping.clone();
        import_parsed(store, &target, None, move |sink| {
            Prepared::new(kind, &sheet, &m)?.validate(CHUNK_ROWS, sink)
        })
        .await?
    };
    for s in &parsed.skipped {
        eprintln!("skipped row {}: {}", s.row, clean(&s.why));
    }
    store
        .record_or_warn(&AuditEntry::new(
            &company,
            "import",
            kind.name(),
            format!(
                "file {}, {} rows{}",
                a.file.display(),
                parsed.rows,
                if parsed.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} skipped", parsed.skipped.len())
                }
            ),
        ))
        .await;
    eprintln!(
        "imported {} {} rows into {:?}",
        parsed.rows,
        kind.name(),
        clean(&company.name)
    );
    if let Some(name) = &a.table.save_mapping {
        save_named_mapping(store, &company, name, kind, &mapping).await?;
    }
    Ok(())
}

/// Saves `mapping` for `company` under `name` (`--save-mapping`), audited.
pub(crate) async fn save_named_mapping(
    store: &AnyStore,
    company: &Company,
    name: &str,
    kind: Kind,
    mapping: &Mapping,
) -> Result<()> {
    if name.trim().is_empty() {
        bail!("--save-mapping: expected a name");
    }
    let spec = serde_json::to_string(mapping)?;
    store
        .save_mapping(
            company.id,
            &SavedMapping {
                name: name.trim().to_owned(),
                kind: kind.name().to_owned(),
                spec,
            },
        )
        .await?;
    store
        .record_or_warn(&AuditEntry::new(
            company,
            "mapping",
            format!("mapping {}", name.trim()),
            kind.name(),
        ))
        .await;
    eprintln!(
        "saved the mapping as {:?}; reuse it with --mapping {:?}",
        clean(name.trim()),
        clean(name.trim())
    );
    Ok(())
}

/// Right-aligned columns under a header, for dry runs.
pub(crate) fn table_text(header: &[&str], rows: &[Vec<String>]) -> String {
    use crate::sanitize::{pad_left, width};
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width(c));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .zip(&widths)
            .map(|(c, w)| pad_left(c, *w))
            .collect::<Vec<_>>()
            .join("  ")
            + "\n"
    };
    let mut out = line(&mut header.iter().copied());
    for r in rows {
        out.push_str(&line(&mut r.iter().map(|s| s.as_str())));
    }
    out
}

async fn run_journal(store: &AnyStore, company_name: &str, a: &JournalArgs) -> Result<()> {
    let format = match a.format {
        Some(JournalFormatArg::Hledger) => JournalFormat::Hledger,
        Some(JournalFormatArg::Ledger) => JournalFormat::Ledger,
        Some(JournalFormatArg::Beancount) => JournalFormat::Beancount,
        None => JournalFormat::guess(&a.file),
    };
    let accounts = match &a.accounts {
        Some(p) => Accounts::load(p).map_err(|e| eyre!("{e}"))?,
        None => Accounts::default(),
    };
    let (target, currency) = target(store, company_name, &a.new).await?;
    let path = a.file.clone();
    let cur = currency.clone();
    let data = tokio::task::spawn_blocking(move || journal::read_journal(&path, format, &accounts, &cur))
        .await
        .map_err(|e| eyre!("the reader stopped: {e}"))??;
    if !data.skipped.is_empty() {
        eprintln!(
            "skipped {} postings not in {currency} (only the company's currency is imported):",
            data.skipped.len()
        );
        for s in data.skipped.iter().take(10) {
            eprintln!("  {s}");
        }
        if data.skipped.len() > 10 {
            eprintln!("  ... and {} more", data.skipped.len() - 10);
        }
    }
    let summary = source::journal_summary(&data, &currency);
    let rates = data.rates;
    let batch = ImportBatch::Financials(data.months);
    if a.dry_run {
        let (header, rows) = crate::import::preview_table(&batch);
        super::print(&table_text(&header, &rows))?;
        eprintln!("{summary}; dry run: nothing written");
        return Ok(());
    }
    if let ImportTarget::Existing(_) = &target {
        super::require(store, &store.company(company_name).await?, Role::Owner, "importing").await?;
    }
    let company = store.import(&target, &batch).await?;
    store
        .record_or_warn(&AuditEntry::new(
            &company,
            "import",
            "financials",
            format!("journal {}, {summary}", a.file.display()),
        ))
        .await;
    // The journal's rates, shared by the store (the months are in already).
    if !rates.is_empty() {
        store
            .save_rates(&rates)
            .await
            .map_err(|e| eyre!("the months were imported; its exchange rates were not: {e}"))?;
    }
    eprintln!("imported {summary} into {:?}", clean(&company.name));
    Ok(())
}

/// An RFC: 12 characters for companies, 13 for people (letters, &, Ñ, digits).
fn check_rfc(rfc: &str) -> Result<String> {
    let r = rfc.trim().to_uppercase();
    let n = r.chars().count();
    if !(12..=13).contains(&n) || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '&' || c == 'Ñ') {
        bail!(
            "--rfc {:?}: expected an RFC of 12 or 13 letters and digits, e.g. TAL010101AB1",
            clean(rfc)
        );
    }
    Ok(r)
}

async fn run_cfdi(store: &AnyStore, company_name: &str, a: &CfdiArgs) -> Result<()> {
    use crate::import::source::{self, Plan};
    let rfc = check_rfc(&a.rfc)?;
    let (target, currency) = target(store, company_name, &a.new).await?;
    let company_id = match &target {
        ImportTarget::Existing(id) => Some(*id),
        ImportTarget::Create(_) => None,
    };
    let options = cfdi::Options {
        rfc: rfc.clone(),
        currency,
        terms: a.terms,
        skip_unknown: a.skip_unknown,
    };
    let data = source::read_cfdi(store, company_id, a.paths.clone(), a.metadata.clone(), options)
        .await
        .map_err(|e| eyre!("{e}"))?;
    let summary = data.summary();
    if data.write.invoices.is_empty() && data.write.removed_invoices.is_empty() {
        bail!("no invoice issued by {rfc} to import: {summary}");
    }
    for (file, uuid) in &data.skipped {
        eprintln!("skipped {file}: no invoice {uuid} in the import or the store");
    }
    let removed = data.write.removed_invoices.clone();
    let plan = Plan::Cfdi(data.write);
    if a.dry_run {
        let (header, rows) = plan.preview();
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|c| clean(&c)).collect())
            .collect();
        super::print(&table_text(&header, &rows))?;
        for n in &removed {
            eprintln!("would remove invoice {}", clean(n));
        }
        eprintln!("{summary}; dry run: nothing written");
        return Ok(());
    }
    if let ImportTarget::Existing(_) = &target {
        super::require(store, &store.company(company_name).await?, Role::Owner, "importing").await?;
    }
    let company = source::write_plan(store, &target, &plan).await?;
    let files: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
    let mut detail = format!("cfdi {}: {summary}", files.join(", "));
    if !removed.is_empty() {
        detail += &format!("; removed {}", removed.join(", "));
    }
    store
        .record_or_warn(&AuditEntry::new(&company, "import", "invoices", detail))
        .await;
    for n in &removed {
        eprintln!("removed invoice {} (cancelled at the SAT or fully credited)", clean(n));
    }
    eprintln!("imported {summary} into {:?}", clean(&company.name));
    Ok(())
}

/// `--layout months-across`: statements with months as columns, merged into
/// the company's months (every field a statement does not give is kept).
async fn run_across(
    store: &AnyStore,
    target: &ImportTarget,
    existing: Option<&Company>,
    kind: Kind,
    a: &TableArgs,
) -> Result<()> {
    if kind != Kind::Financials {
        bail!("--layout months-across is for financials (a P&L or a balance sheet by month)");
    }
    if !a.table.map.is_empty()
        || a.table.mapping.is_some()
        || a.table.save_mapping.is_some()
        || a.table.date_format.is_some()
    {
        bail!("--map, --mapping, --save-mapping and --date-format apply to one row per month, not to months across");
    }
    let accounts = match &a.accounts {
        Some(p) => Some(Accounts::load(p).map_err(|e| eyre!("{e}"))?),
        None => None,
    };
    let mut files = vec![a.file.clone()];
    files.extend(a.more.iter().cloned());
    let sheet = a.table.sheet.clone();
    let decimal_comma = a.table.decimal_comma;
    let (statements, passed) = tokio::task::spawn_blocking(move || {
        source::read_across(&files, sheet.as_deref(), accounts.as_ref(), decimal_comma)
    })
    .await
    .map_err(|e| eyre!("the reader stopped: {e}"))??;
    let before = match existing {
        Some(c) => store.financials(c.id).await?,
        None => Vec::new(),
    };
    let months = crate::import::across::merge(&before, &statements)?;
    for p in &passed {
        eprintln!("read past {} (no months across)", clean(p));
    }
    let batch = ImportBatch::Financials(months);
    let what = format!(
        "{} months from {}",
        batch.len(),
        statements
            .iter()
            .map(|s| clean(&s.label))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    if a.dry_run {
        let (header, rows) = crate::import::preview_table(&batch);
        let mut out = source::across_text(&statements);
        out.push('\n');
        out += &table_text(&header, &rows);
        super::print(&out)?;
        eprintln!("{what}; dry run: nothing written");
        return Ok(());
    }
    let company = store.import(target, &batch).await?;
    store
        .record_or_warn(&AuditEntry::new(
            &company,
            "import",
            "financials",
            format!("months across: {what}"),
        ))
        .await;
    eprintln!("imported {what} into {:?}", clean(&company.name));
    Ok(())
}
