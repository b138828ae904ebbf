//! One source reader for both front-ends: what a path is, reading it into a
//! preview, applying CFDI to what the store already holds, running the
//! import, and the one sentence said of each kind. `katalis import` and the
//! interface's import dialog both call these.

use super::cfdi::{self, CfdiData, CfdiSet};
use super::journal::{self, JournalData};
use super::pipeline::{CHUNK_ROWS, ImportProgress};
use super::table::{self, Mapping, Prepared, Sheet, SourceKind};
use super::{ImportError, ImportFailure, Kind, import_parsed, preview_table};
use crate::domain::{CfdiRecord, CfdiWrite, Company};
use crate::sanitize::clean;
use crate::store::{AnyStore, ImportBatch, ImportTarget, Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

/// The kinds a table may hold, in the order a tie is broken.
pub const KINDS: [Kind; 4] = [Kind::Financials, Kind::Products, Kind::Invoices, Kind::Statement];

/// What to read.
#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub path: PathBuf,
    pub source: SourceKind,
    pub sheet: Option<String>,
    /// CFDI: the company's RFC.
    pub rfc: String,
    /// The company's currency (journals keep its postings, CFDI convert to it).
    pub currency: String,
    /// The company imported into, when it exists (CFDI apply to its kept ones).
    pub company_id: Option<i64>,
    /// A table read as statements with months across (financials).
    pub across: bool,
}

impl PartialEq for ReadRequest {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.sheet == other.sheet && self.rfc == other.rfc && self.across == other.across
    }
}

/// What is ready to write once read whole.
#[derive(Debug, Clone)]
pub enum Plan {
    Batch(ImportBatch),
    /// A journal's months and its exchange rates (`P` directives).
    Journal(ImportBatch, Vec<crate::domain::fx::Rate>),
    Cfdi(CfdiWrite),
    /// Bank statements read whole (OFX, camt.053, MT940), not yet checked
    /// against the account they go to.
    Statement(super::statement::Read),
}

impl Plan {
    /// The rows written, for progress and messages.
    pub fn len(&self) -> usize {
        match self {
            Plan::Batch(b) | Plan::Journal(b, _) => b.len(),
            Plan::Cfdi(w) => w.invoices.len() + w.removed_invoices.len(),
            Plan::Statement(r) => r.lines(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What it writes, for the audit trail.
    pub fn target(&self) -> &'static str {
        match self {
            Plan::Batch(ImportBatch::Financials(_)) | Plan::Journal(..) => "financials",
            Plan::Batch(ImportBatch::Products(_)) => "products",
            Plan::Batch(ImportBatch::Invoices(_)) | Plan::Cfdi(_) => "invoices",
            Plan::Batch(ImportBatch::Statement(_)) | Plan::Statement(_) => "statement",
        }
    }
    /// Our column names and each row's text, for a preview.
    pub fn preview(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        match self {
            Plan::Batch(b) | Plan::Journal(b, _) => preview_table(b),
            Plan::Cfdi(w) => preview_table(&ImportBatch::Invoices(w.invoices.clone())),
            Plan::Statement(r) => preview_table(&ImportBatch::Statement(
                r.files
                    .iter()
                    .flat_map(|(_, s)| s.iter().flat_map(|s| s.lines.iter().cloned()))
                    .collect(),
            )),
        }
    }
}

/// What reading a path gave.
#[derive(Debug, Clone)]
pub enum ReadResult {
    /// A spreadsheet or CSV: its sheets and the one read (by name).
    Table {
        sheets: Vec<String>,
        name: Option<String>,
        sheet: Arc<Sheet>,
    },
    /// A journal, CFDI set or statements, read whole.
    Ready(Ready),
}

/// A source read whole: what it would write, its preview and its sentence
/// (what the dialog holds until the import runs).
#[derive(Debug, Clone)]
pub struct Ready {
    pub plan: Arc<Plan>,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub summary: String,
}

impl ReadResult {
    /// A source read whole, previewed.
    pub fn ready(plan: Plan, summary: String) -> ReadResult {
        let (header, rows) = plan.preview();
        ReadResult::Ready(Ready {
            plan: Arc::new(plan),
            header,
            rows,
            summary,
        })
    }
}

/// What to import, once the preview is good.
#[derive(Debug, Clone)]
pub enum ImportWhat {
    Table {
        kind: Kind,
        sheet: Arc<Sheet>,
        mapping: Mapping,
    },
    Ready(Arc<Plan>),
    /// Bank statement lines into the company's account `account` (made when new).
    Statement {
        input: StatementInput,
        account: String,
    },
}

/// A statement as the dialog read it: a table with its mapping, or files read whole.
#[derive(Debug, Clone)]
pub enum StatementInput {
    Table { sheet: Arc<Sheet>, mapping: Mapping },
    Read(Arc<Plan>),
}

/// The one sentence said of a journal's months.
pub fn journal_summary(data: &JournalData, currency: &str) -> String {
    let mut s = format!("{} months from {} transactions", data.months.len(), data.transactions);
    if !data.skipped.is_empty() {
        s += &format!(
            "; {} postings not in {currency} skipped (only the company's currency is imported)",
            data.skipped.len()
        );
    }
    if !data.rates.is_empty() {
        s += &format!("; {} exchange rates (P directives)", data.rates.len());
    }
    s
}

/// The kind whose fields a sheet's headers name best (financials on a tie),
/// with the headers read for it.
pub fn guess_kind(sheet: &Sheet) -> Option<(Kind, Vec<String>)> {
    KINDS
        .iter()
        .map(|k| (*k, table::likely_headers(*k, sheet)))
        .fold(None::<(Kind, Vec<String>, usize)>, |best, (k, h)| {
            let n = table::guess(k, &h).len();
            match best {
                Some(b) if b.2 >= n => Some(b),
                _ => Some((k, h, n)),
            }
        })
        .map(|(k, h, _)| (k, h))
}

/// A spreadsheet's sheet: the one named, the only one, or the one whose
/// headers we recognise best; with every sheet's name.
pub fn read_sheet(path: &std::path::Path, named: Option<&str>) -> Result<(Vec<String>, String, Sheet), ImportError> {
    let sheets = table::sheet_names(path)?;
    let read = |name: &str| table::read_spreadsheet(path, Some(name));
    let (name, sheet) = match (named, sheets.as_slice()) {
        (Some(name), _) => (name.to_owned(), read(name)?),
        (None, [only]) => (only.clone(), read(only)?),
        (None, _) => {
            let mut best: Option<(usize, String, Sheet)> = None;
            for name in &sheets {
                let sheet = read(name)?;
                let score = KINDS
                    .iter()
                    .map(|k| table::guess(*k, &table::likely_headers(*k, &sheet)).len())
                    .max()
                    .unwrap_or(0);
                if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                    best = Some((score, name.clone(), sheet));
                }
            }
            let (_, name, sheet) =
                best.ok_or_else(|| super::Collector::whole(&clean(&path.display().to_string()), "a sheet"))?;
            (name, sheet)
        }
    };
    Ok((sheets, name, sheet))
}

/// Reads a CFDI set off the async threads and applies it to what the store
/// keeps of the company (nothing when it does not exist yet).
pub async fn read_cfdi(
    store: &AnyStore,
    company_id: Option<i64>,
    paths: Vec<PathBuf>,
    metadata: Option<PathBuf>,
    options: cfdi::Options,
) -> Result<CfdiData, ReadError> {
    let set: CfdiSet = tokio::task::spawn_blocking(move || cfdi::read_set(&paths, metadata.as_deref()))
        .await
        .map_err(|e| ReadError::Other(format!("the reader stopped: {e}")))??;
    let mut prior: Vec<CfdiRecord> = Vec::new();
    if let Some(id) = company_id {
        prior = store.cfdi_records(id, &set.lookups()).await?;
        let more = set.second_lookups(&prior);
        if !more.is_empty() {
            prior.extend(store.cfdi_records(id, &more).await?);
        }
    }
    Ok(cfdi::plan(set, &prior, &options)?)
}

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    File(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

/// Reads what `req` names, as the dialog shows it.
pub async fn read(store: &AnyStore, req: ReadRequest) -> Result<ReadResult, String> {
    if req.across {
        return read_across_ready(store, req).await;
    }
    match req.source {
        SourceKind::Spreadsheet | SourceKind::Csv | SourceKind::Journal | SourceKind::Statement => {
            tokio::task::spawn_blocking(move || read_file(req))
                .await
                .unwrap_or_else(|e| Err(format!("the reader stopped: {e}")))
        }
        SourceKind::Cfdi => {
            let options = cfdi::Options {
                rfc: req.rfc.clone(),
                currency: req.currency.clone(),
                terms: cfdi::DEFAULT_TERMS_DAYS,
                skip_unknown: false,
            };
            let data = read_cfdi(store, req.company_id, vec![req.path.clone()], None, options)
                .await
                .map_err(|e| e.to_string())?;
            if data.write.invoices.is_empty() && data.write.removed_invoices.is_empty() {
                return Err(format!(
                    "no invoice issued by {} among {} files",
                    clean(&req.rfc),
                    data.files
                ));
            }
            let summary = data.summary();
            let plan = Plan::Cfdi(data.write);
            Ok(ReadResult::ready(plan, summary))
        }
    }
}

/// The blocking part of [`read`]: file I/O and parsing.
fn read_file(req: ReadRequest) -> Result<ReadResult, String> {
    match req.source {
        SourceKind::Spreadsheet => {
            let (sheets, name, sheet) = read_sheet(&req.path, req.sheet.as_deref()).map_err(|e| e.to_string())?;
            Ok(ReadResult::Table {
                sheets,
                name: Some(name),
                sheet: Arc::new(sheet),
            })
        }
        SourceKind::Journal => {
            let format = journal::JournalFormat::guess(&req.path);
            let data = journal::read_journal(&req.path, format, &journal::Accounts::default(), &req.currency)
                .map_err(|e| e.to_string())?;
            let summary = journal_summary(&data, &req.currency);
            let plan = Plan::Journal(ImportBatch::Financials(data.months), data.rates);
            Ok(ReadResult::ready(plan, summary))
        }
        SourceKind::Statement => {
            let read = super::statement::read_files(std::slice::from_ref(&req.path), None, &Mapping::default())
                .map_err(|e| e.to_string())?;
            let summary = read.summary();
            Ok(ReadResult::ready(Plan::Statement(read), summary))
        }
        _ => Ok(ReadResult::Table {
            sheets: Vec::new(),
            name: None,
            sheet: Arc::new(table::read_csv(&req.path).map_err(|e| e.to_string())?),
        }),
    }
}

/// Writes a plan read whole in one transaction (CFDI with their kept documents).
pub async fn write_plan(store: &AnyStore, target: &ImportTarget, plan: &Plan) -> Result<Company, StoreError> {
    match plan {
        Plan::Batch(b) => store.import(target, b).await,
        // The months, then the rates (shared by the store, kept even if the
        // same day's rate was there: the journal's word is the latest).
        Plan::Journal(b, rates) => {
            let company = store.import(target, b).await?;
            if !rates.is_empty() {
                store.save_rates(rates).await?;
            }
            Ok(company)
        }
        Plan::Cfdi(w) => store.import_cfdi(target, w).await,
        Plan::Statement(_) => Err(crate::store::statement_elsewhere()),
    }
}

/// Streams a statement CSV with our own header into company `company_id`'s
/// account that `head` names (its lines empty): the reader checks and keys
/// lines on a blocking thread while the store writes them, in one transaction
/// committed only when the whole file proved good.
pub async fn stream_statement(
    store: &AnyStore,
    company_id: i64,
    head: crate::domain::StatementWrite,
    path: PathBuf,
) -> Result<crate::domain::StatementImported, ImportFailure> {
    use crate::store::StatementFeed;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || {
        let read = super::statement::stream_csv(&path, &mut |lines, keys| {
            tx.blocking_send(StatementFeed::Lines(lines, keys)).is_ok()
        });
        if let Ok(done) = &read {
            // Only a good file says End; otherwise the channel just closes.
            let _ = tx.blocking_send(StatementFeed::End { closing: done.closing });
        }
        read
    });
    let written = store.import_statement_stream(company_id, &head, rx).await;
    let read = reader
        .await
        .map_err(|e| StoreError::Aborted(format!("the reader stopped: {e}")))?;
    // A file problem explains an abandoned write; it is said first.
    read?;
    Ok(written?)
}

/// Imports statement lines into `account` of an existing company: checked
/// against the account's currency (the company's for a new account), the
/// account made when new; (lines added, lines already there).
pub async fn run_statement(
    store: &AnyStore,
    target: &ImportTarget,
    input: StatementInput,
    account: &str,
    progress: Option<Arc<ImportProgress>>,
) -> Result<(Company, usize, usize), ImportFailure> {
    let ImportTarget::Existing(id) = target else {
        return Err(StoreError::Conflict(
            "a bank statement goes into a company that exists: import its books first".into(),
        )
        .into());
    };
    let account = account.trim();
    if account.is_empty() {
        return Err(StoreError::Conflict("type the bank account's name".into()).into());
    }
    let company = store.company(&id.to_string()).await?;
    let existing = store.bank_accounts(*id).await?.into_iter().find(|a| a.name == account);
    let currency = existing
        .as_ref()
        .map_or(company.currency.clone(), |a| a.currency.clone());
    let (source, format) = match &input {
        StatementInput::Table { sheet, .. } => (sheet.label.clone(), "table".to_owned()),
        StatementInput::Read(plan) => match plan.as_ref() {
            Plan::Statement(r) => (
                r.files.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>().join(", "),
                r.format.to_owned(),
            ),
            _ => (String::new(), String::new()),
        },
    };
    let cur = currency.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let read = match input {
            StatementInput::Table { sheet, mapping } => {
                let mut lines = Vec::new();
                Prepared::new(Kind::Statement, &sheet, &mapping)?.validate(usize::MAX, &mut |b| {
                    if let ImportBatch::Statement(mut l) = b {
                        lines.append(&mut l);
                    }
                    true
                })?;
                super::statement::Read::of_lines(&sheet.label, lines)
            }
            StatementInput::Read(plan) => match plan.as_ref() {
                Plan::Statement(r) => r.clone(),
                _ => super::statement::Read::default(),
            },
        };
        super::statement::check(read, &cur)
    })
    .await
    .map_err(|e| StoreError::Aborted(format!("the reader stopped: {e}")))??;
    if progress
        .as_ref()
        .is_some_and(|p| p.cancel.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Err(ImportFailure::Cancelled);
    }
    let write = crate::domain::StatementWrite {
        account: match existing {
            Some(a) => crate::domain::AccountTarget::Existing(a.name),
            None => crate::domain::AccountTarget::Create {
                name: account.to_owned(),
                currency,
                number: checked.number.clone(),
            },
        },
        lines: checked.lines,
        keys: checked.keys,
        closing: checked.closing,
        source,
        format,
    };
    let done = store.import_statement(*id, &write).await?;
    if let Some(p) = &progress {
        p.rows
            .store(write.lines.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    Ok((company, done.added, done.skipped))
}

/// Runs an import in one transaction: the rows imported and skipped.
pub async fn run(
    store: &AnyStore,
    target: &ImportTarget,
    what: ImportWhat,
    progress: Option<Arc<ImportProgress>>,
) -> Result<(Company, usize, usize), ImportFailure> {
    match what {
        ImportWhat::Table { kind, sheet, mapping } => {
            let (company, parsed) = import_parsed(store, target, progress, move |sink| {
                Prepared::new(kind, &sheet, &mapping)?.validate(CHUNK_ROWS, sink)
            })
            .await?;
            Ok((company, parsed.rows, parsed.skipped.len()))
        }
        ImportWhat::Statement { input, account } => run_statement(store, target, input, &account, progress).await,
        ImportWhat::Ready(plan) => {
            if let Some(p) = &progress
                && p.cancel.load(std::sync::atomic::Ordering::Relaxed)
            {
                return Err(ImportFailure::Cancelled);
            }
            let company = write_plan(store, target, &plan).await?;
            if let Some(p) = &progress {
                p.rows.store(plan.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
            Ok((company, plan.len(), 0))
        }
    }
}

/// The columns guessed for a kind on a sheet whose headers are not ours.
#[derive(Debug, Clone, Default)]
pub struct Guess {
    /// Our field → the sheet's header.
    pub columns: std::collections::BTreeMap<String, String>,
    /// Required fields no header was guessed for.
    pub missing: Vec<&'static str>,
    /// The headers read (for the message).
    pub headers: Vec<String>,
}

/// Guesses the mapping exactly as the import dialog does.
pub fn guess_mapping(kind: Kind, sheet: &Sheet) -> Guess {
    let headers = table::likely_headers(kind, sheet);
    let columns = table::guess(kind, &headers);
    let missing = kind
        .columns()
        .iter()
        .filter(|(k, required)| *required && !columns.contains_key(*k))
        .map(|(k, _)| *k)
        .collect();
    Guess {
        columns,
        missing,
        headers,
    }
}

/// `--map field="Header"` flags for a mapping, in our fields' order.
pub fn map_flags(kind: Kind, columns: &std::collections::BTreeMap<String, String>) -> String {
    kind.columns()
        .iter()
        .filter_map(|(k, _)| columns.get(*k).map(|h| format!("--map {k}={:?}", clean(h))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The header of a CSV file (its first record), to tell our own format from
/// a user's; `None` when it cannot be read (the import then says why).
pub fn csv_header(path: &std::path::Path) -> Option<Vec<String>> {
    let f = super::open_regular(path).ok()?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::Read::take(f, 1024 * 1024));
    let rec = r.records().next()?.ok()?;
    Some(
        rec.iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.trim_start_matches('\u{feff}') } else { c }.to_owned())
            .collect(),
    )
}

/// Every statement with months across in the files given: each CSV, and each
/// sheet of a workbook (the one named by `sheet`, else every sheet with a
/// months header; the others are listed in `passed`).
pub fn read_across(
    files: &[PathBuf],
    sheet: Option<&str>,
    accounts: Option<&journal::Accounts>,
    decimal_comma: bool,
) -> Result<(Vec<super::across::Across>, Vec<String>), ImportError> {
    use super::across;
    let mut out = Vec::new();
    let mut passed = Vec::new();
    for f in files {
        match SourceKind::of(f) {
            SourceKind::Spreadsheet => {
                let names = match sheet {
                    Some(s) => vec![s.to_owned()],
                    None => table::sheet_names(f)?,
                };
                let named = sheet.is_some();
                for name in names {
                    let s = table::read_spreadsheet(f, Some(&name))?;
                    if !named && across::find_header(&s).is_none() {
                        passed.push(s.label.clone());
                        continue;
                    }
                    out.push(across::read(&s, accounts, decimal_comma)?);
                }
            }
            SourceKind::Csv => {
                let s = table::read_csv(f)?;
                out.push(across::read(&s, accounts, decimal_comma)?);
            }
            _ => {
                return Err(super::Collector::whole(
                    &clean(&f.display().to_string()),
                    "a .csv, .xlsx, .xls or .ods statement with months across",
                ));
            }
        }
    }
    if out.is_empty() {
        let file = files
            .iter()
            .map(|f| clean(&f.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(super::Collector::whole(
            &file,
            "a sheet with months across (a header row of months such as Jan 2025 or ene-25)",
        ));
    }
    Ok((out, passed))
}

/// The one text said of statements with months across: each account row and
/// its field, then the months they give.
pub fn across_text(statements: &[super::across::Across]) -> String {
    let mut s = String::new();
    for a in statements {
        let kind = match a.statement {
            super::across::Statement::ProfitAndLoss => "P&L",
            super::across::Statement::BalanceSheet => "balance sheet",
        };
        s += &format!("{} ({kind}):\n", clean(&a.label));
        for (row, label, what) in super::across::describe(a) {
            if what == "group" || what == "section" {
                s += &format!("  row {row:>4}  {}  [{what}]\n", clean(&label));
            } else {
                s += &format!("  row {row:>4}    {} → {what}\n", clean(&label));
            }
        }
    }
    s
}

/// Statements with months across read whole (every sheet with months, as the
/// CLI reads them; decimal commas when the numbers are written so) and merged
/// into the company's months.
async fn read_across_ready(store: &AnyStore, req: ReadRequest) -> Result<ReadResult, String> {
    let path = req.path.clone();
    let (statements, _) = tokio::task::spawn_blocking(move || {
        let files = [path];
        read_across(&files, None, None, false).or_else(|e| {
            if e.to_string().contains("--decimal-comma") {
                read_across(&files, None, None, true)
            } else {
                Err(e)
            }
        })
    })
    .await
    .map_err(|e| format!("the reader stopped: {e}"))?
    .map_err(|e| e.to_string())?;
    let before = match req.company_id {
        Some(id) => store.financials(id).await.map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let months = super::across::merge(&before, &statements).map_err(|e| e.to_string())?;
    let summary = across_summary(months.len(), &statements);
    let plan = Plan::Batch(ImportBatch::Financials(months));
    Ok(ReadResult::ready(plan, summary))
}

/// The one sentence said of statements with months across: how many months,
/// from which statements (a workbook's sheets by name, files by their name).
pub fn across_summary(months: usize, statements: &[super::across::Across]) -> String {
    let names: Vec<String> = statements
        .iter()
        .map(|a| {
            let kind = match a.statement {
                super::across::Statement::ProfitAndLoss => "P&L",
                super::across::Statement::BalanceSheet => "balance sheet",
            };
            let name = match a.label.rsplit_once(", sheet ") {
                Some((_, sheet)) => format!("sheet {sheet}"),
                None => std::path::Path::new(&a.label)
                    .file_name()
                    .map_or_else(|| a.label.clone(), |f| f.to_string_lossy().into_owned()),
            };
            format!("{} ({kind})", clean(&name))
        })
        .collect();
    format!("{months} months from {}", names.join(" and "))
}
