//! The import dialog (`i` on any tab): a path with completion, the detected
//! kind, for spreadsheets and CSV the sheet and a mapping of our fields to the
//! file's columns (guessed, changed with ←/→), a preview of the first rows as
//! they would be stored with errors at their row; `Enter` imports into the
//! current company, `s` saves the mapping, `Esc` cancels a running import
//! (nothing is written) or closes.

mod glue;
mod render;
pub use render::render;

use super::line_input;
use crate::import::Kind;
use crate::import::pipeline::ImportProgress;
use crate::import::source;
pub use crate::import::source::{ImportWhat, ReadRequest, ReadResult};
use crate::import::table::{self, Mapping, Prepared, PreviewRow, Sheet, SourceKind};
use crate::locale::Lang;
use crate::sanitize::clean;
use crossterm::event::{KeyCode, KeyEvent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// What a cancelled import reports (the app says it in the interface's language).
pub const CANCELLED: &str = "cancelled";

/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 10;

/// An import for the runtime to run; `progress` is shared with the dialog.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The company imported into: an existing one, or one made in the import's transaction.
    pub target: crate::store::ImportTarget,
    /// The file or folder, for the audit trail.
    pub source: String,
    pub what: ImportWhat,
    pub progress: Arc<ImportProgress>,
    /// Rows expected, for the progress bar.
    pub total: u64,
}

impl ImportRequest {
    /// What the audit trail says of it: the target and the source.
    pub fn describe(&self) -> (String, String) {
        match &self.what {
            ImportWhat::Table { kind, sheet, .. } => (kind.name().to_owned(), format!("file {}", sheet.label)),
            ImportWhat::Ready(plan) => (plan.target().to_owned(), self.source.clone()),
            ImportWhat::Statement { account, .. } => {
                ("statement".to_owned(), format!("{} into {account}", self.source))
            }
        }
    }
}

impl PartialEq for ImportRequest {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.progress, &other.progress)
    }
}

/// The dialog's rows, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// A new company's name, currency and language (when the dialog creates it).
    Name,
    Currency,
    Language,
    Path,
    Rfc,
    /// The bank account a statement goes to.
    Account,
    Kind,
    Sheet,
    Field(usize),
}

/// What a key asks of the app.
#[derive(Debug)]
pub enum Ask {
    Nothing,
    Close,
    Read(ReadRequest),
    Import(ImportRequest),
    SaveMapping { name: String, kind: Kind, mapping: Mapping },
}

#[derive(Debug, Default)]
pub enum Loaded {
    #[default]
    Nothing,
    Reading,
    Failed(String),
    Table {
        sheets: Vec<String>,
        sheet: Arc<Sheet>,
        headers: Vec<String>,
    },
    Ready(source::Ready),
}

pub struct ImportDialog {
    pub path: String,
    pub rfc: String,
    /// The bank account a statement goes to (made when new).
    pub account: String,
    pub focus: Focus,
    pub kind: Kind,
    pub completions: Vec<String>,
    pub loaded: Loaded,
    pub mapping: Mapping,
    /// The preview of a table, or why the file cannot be read as mapped.
    pub preview: Result<Vec<PreviewRow>, String>,
    pub running: Option<(Arc<ImportProgress>, u64)>,
    pub error: Option<String>,
    /// The company imported into.
    pub into: Destination,
    /// Financials read as a statement with months across (a P&L or balance sheet by month).
    pub across: bool,
    /// The user picked the layout: it is no longer detected.
    across_chosen: bool,
    /// What the path names, looked up when the path changes (not on every frame).
    detected: Option<SourceKind>,
}

/// Which company the dialog imports into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Existing {
        id: i64,
        currency: String,
    },
    /// A company made by the import (the first run, or `+ new company`).
    New {
        name: String,
        currency: String,
        lang: Lang,
    },
}

/// The choices of "Import as": our kinds, financials also as months across.
const CHOICES: [(Kind, bool); 5] = [
    (Kind::Financials, false),
    (Kind::Financials, true),
    (Kind::Products, false),
    (Kind::Invoices, false),
    (Kind::Statement, false),
];

/// `~/x` → `$HOME/x`.
pub(crate) fn expand(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map_or_else(|| PathBuf::from(p), |h| PathBuf::from(h).join(rest)),
        None => PathBuf::from(p),
    }
}

/// Completes `typed` against the file system: the longest common continuation
/// of the entries it starts, and those entries (at most 50).
pub fn complete(typed: &str) -> (String, Vec<String>) {
    let (dir_part, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (typed.to_owned(), Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let hidden = name.starts_with('.') && !prefix.starts_with('.');
            (name.starts_with(prefix) && !hidden).then(|| if e.path().is_dir() { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    names.truncate(50);
    let Some(first) = names.first() else {
        return (typed.to_owned(), names);
    };
    let mut common = first.clone();
    for n in &names[1..] {
        while !n.starts_with(&common) {
            common.pop();
        }
    }
    (
        format!("{dir_part}{common}"),
        if names.len() > 1 { names } else { Vec::new() },
    )
}

impl ImportDialog {
    pub fn new(company_id: i64, currency: String) -> ImportDialog {
        ImportDialog::with(Destination::Existing {
            id: company_id,
            currency,
        })
    }

    /// A dialog that creates the company it imports into.
    pub fn for_new_company(lang: Lang) -> ImportDialog {
        let currency = lang.pick("USD", "MXN").to_owned();
        let mut d = ImportDialog::with(Destination::New {
            name: String::new(),
            currency,
            lang,
        });
        d.focus = Focus::Name;
        d
    }

    fn with(into: Destination) -> ImportDialog {
        ImportDialog {
            path: String::new(),
            rfc: String::new(),
            account: String::new(),
            focus: Focus::Path,
            kind: Kind::Financials,
            completions: Vec::new(),
            loaded: Loaded::Nothing,
            mapping: Mapping::default(),
            preview: Ok(Vec::new()),
            running: None,
            error: None,
            into,
            across: false,
            across_chosen: false,
            detected: None,
        }
    }

    /// The currency of the company imported into.
    fn currency(&self) -> String {
        match &self.into {
            Destination::Existing { currency, .. } => currency.clone(),
            Destination::New { currency, .. } => currency.trim().to_ascii_uppercase(),
        }
    }

    /// Where the import writes, or why the new company's fields are not right.
    fn target(&self, lang: Lang) -> Result<crate::store::ImportTarget, String> {
        use crate::store::ImportTarget;
        match &self.into {
            Destination::Existing { id, .. } => Ok(ImportTarget::Existing(*id)),
            Destination::New { name, lang: l, .. } => {
                let currency = self.currency();
                if name.trim().is_empty() {
                    return Err(lang
                        .pick("Type the new company's name", "Escriba el nombre de la empresa")
                        .into());
                }
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(lang
                        .pick(
                            "Currency: an ISO 4217 code such as USD, MXN or COP",
                            "Moneda: un código ISO 4217 como USD, MXN o COP",
                        )
                        .into());
                }
                Ok(ImportTarget::Create(crate::domain::NewCompany {
                    name: name.trim().to_owned(),
                    industry: String::new(),
                    currency,
                    fiscal_year_start: 1,
                    locale: l.pick("en-US", "es-MX").to_owned(),
                }))
            }
        }
    }

    pub fn source(&self) -> Option<SourceKind> {
        self.detected
    }

    /// Looks at the file system for what the path names.
    fn detect(&mut self) {
        let p = expand(self.path.trim());
        self.detected = (!self.path.trim().is_empty() && p.exists()).then(|| SourceKind::of(&p));
    }

    fn is_table(&self) -> bool {
        matches!(self.source(), Some(SourceKind::Csv | SourceKind::Spreadsheet))
    }

    /// The rows the focus moves through.
    pub fn rows(&self) -> Vec<Focus> {
        let mut rows = Vec::new();
        if matches!(self.into, Destination::New { .. }) {
            rows.extend([Focus::Name, Focus::Currency, Focus::Language]);
        }
        rows.push(Focus::Path);
        match self.source() {
            Some(SourceKind::Cfdi) => rows.push(Focus::Rfc),
            Some(SourceKind::Statement) => rows.push(Focus::Account),
            Some(SourceKind::Csv) => rows.push(Focus::Kind),
            // Months across reads every sheet with months: no sheet to choose.
            Some(SourceKind::Spreadsheet) if self.across => rows.push(Focus::Kind),
            Some(SourceKind::Spreadsheet) => rows.extend([Focus::Kind, Focus::Sheet]),
            _ => {}
        }
        if self.is_table() && self.kind == Kind::Statement {
            rows.push(Focus::Account);
        }
        if matches!(self.loaded, Loaded::Table { .. }) && self.is_table() && !self.across {
            rows.extend((0..self.kind.columns().len()).map(Focus::Field));
        }
        rows
    }

    fn read_request(&self) -> Option<ReadRequest> {
        Some(ReadRequest {
            path: expand(self.path.trim()),
            source: self.source()?,
            sheet: self.mapping.sheet.clone(),
            rfc: self.rfc.trim().to_owned(),
            currency: self.currency(),
            company_id: match &self.into {
                Destination::Existing { id, .. } => Some(*id),
                Destination::New { .. } => None,
            },
            across: self.across && self.is_table(),
        })
    }

    /// The file was read. A table whose headers are not a kind of ours but
    /// whose columns are months is read again as statements with months
    /// across: the request for that is returned.
    pub fn on_read(&mut self, result: Result<ReadResult, String>) -> Option<ReadRequest> {
        self.error = None;
        match result {
            Err(e) => self.loaded = Loaded::Failed(e),
            Ok(ReadResult::Table { sheets, name, sheet }) => {
                // The kind whose fields the headers name best (financials on a tie).
                let (kind, headers) = source::guess_kind(&sheet).unwrap_or((self.kind, Vec::new()));
                if self.mapping.sheet.is_none() {
                    self.kind = kind;
                }
                let headers = if kind == self.kind {
                    headers
                } else {
                    table::likely_headers(self.kind, &sheet)
                };
                self.mapping.columns = table::guess(self.kind, &headers);
                let months_across = self.kind == Kind::Financials
                    && crate::import::across::find_header(&sheet).is_some()
                    && !source::guess_mapping(Kind::Financials, &sheet).missing.is_empty();
                self.mapping.sheet = if sheets.len() > 1 { name } else { None };
                self.loaded = Loaded::Table { sheets, sheet, headers };
                if self.focus == Focus::Path {
                    self.focus = Focus::Kind;
                }
                self.refresh();
                if months_across && !self.across && !self.across_chosen {
                    self.across = true;
                    self.loaded = Loaded::Reading;
                    return self.read_request();
                }
            }
            Ok(ReadResult::Ready(ready)) => {
                if let source::Plan::Statement(r) = ready.plan.as_ref() {
                    let named = r.files.iter().flat_map(|(_, s)| s).find_map(|s| s.account.clone());
                    self.default_account(named);
                }
                self.loaded = Loaded::Ready(ready);
            }
        }
        None
    }

    /// The account a statement goes to, when none is typed: the one the file
    /// names, else the file's name.
    fn default_account(&mut self, named: Option<String>) {
        if self.account.trim().is_empty() {
            self.account = named.unwrap_or_else(|| {
                Path::new(self.path.trim())
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        }
    }

    /// Recomputes the preview after the mapping or the kind changed.
    pub fn refresh(&mut self) {
        if self.kind == Kind::Statement && self.is_table() {
            self.default_account(None);
        }
        if let Loaded::Table { sheet, .. } = &self.loaded {
            // A statement's dates like 27/11/2026: the day first when a date
            // or the Spanish headers say so (as `import statement` reads them).
            if self.kind == Kind::Statement && self.mapping.date_format.is_none() {
                let fails = Prepared::new(self.kind, sheet, &self.mapping).is_ok_and(|p| {
                    p.preview(PREVIEW_ROWS).iter().any(|(_, r)| {
                        r.as_ref()
                            .is_err_and(|ps| ps.iter().any(|p| p.expected.contains("--date-format")))
                    })
                });
                if fails {
                    self.mapping.date_format = crate::import::statement::slashed_order(sheet).map(str::to_owned);
                }
            }
            self.preview = match Prepared::new(self.kind, sheet, &self.mapping) {
                Ok(p) => Ok(p.preview(PREVIEW_ROWS)),
                Err(e) => Err(e.to_string()),
            };
        }
    }

    /// The import finished (the app closes the dialog on success).
    pub fn on_imported<T>(&mut self, result: &Result<T, String>) {
        self.running = None;
        if let Err(e) = result {
            self.error = Some(e.clone());
        }
    }

    fn cycle_column(&mut self, field: usize, step: isize) {
        let Loaded::Table { headers, .. } = &self.loaded else {
            return;
        };
        let name = self.kind.columns()[field].0.to_owned();
        // The choices: none, then each non-empty header.
        let choices: Vec<Option<&String>> = std::iter::once(None)
            .chain(headers.iter().filter(|h| !h.trim().is_empty()).map(Some))
            .collect();
        let now = self.mapping.columns.get(&name);
        let at = choices
            .iter()
            .position(|c| c.map(|h| h.trim()) == now.map(|s| s.as_str()))
            .unwrap_or(0);
        let next = (at as isize + step).rem_euclid(choices.len() as isize) as usize;
        match choices[next] {
            Some(h) => {
                self.mapping.columns.insert(name, h.trim().to_owned());
            }
            None => {
                self.mapping.columns.remove(&name);
            }
        }
        self.refresh();
    }

    fn import_request(&self, lang: Lang) -> Result<ImportRequest, String> {
        let progress = Arc::new(ImportProgress::default());
        let target = self.target(lang)?;
        match &self.loaded {
            Loaded::Table { sheet, .. } if self.kind == Kind::Statement => {
                if let Err(e) = &self.preview {
                    return Err(e.clone());
                }
                Ok(ImportRequest {
                    target,
                    source: format!("file {}", clean(self.path.trim())),
                    what: ImportWhat::Statement {
                        input: source::StatementInput::Table {
                            sheet: sheet.clone(),
                            mapping: self.mapping.clone(),
                        },
                        account: self.account.trim().to_owned(),
                    },
                    progress,
                    total: Prepared::new(self.kind, sheet, &self.mapping).map_or(0, |p| p.data_len()) as u64,
                })
            }
            Loaded::Ready(source::Ready { plan, .. }) if matches!(plan.as_ref(), source::Plan::Statement(_)) => {
                Ok(ImportRequest {
                    target,
                    source: format!("{} {}", source_label(self.source(), Lang::En), clean(self.path.trim())),
                    what: ImportWhat::Statement {
                        input: source::StatementInput::Read(plan.clone()),
                        account: self.account.trim().to_owned(),
                    },
                    progress,
                    total: plan.len() as u64,
                })
            }
            Loaded::Table { sheet, .. } => {
                if let Err(e) = &self.preview {
                    return Err(e.clone());
                }
                Ok(ImportRequest {
                    target,
                    source: format!("file {}", clean(self.path.trim())),
                    what: ImportWhat::Table {
                        kind: self.kind,
                        sheet: sheet.clone(),
                        mapping: self.mapping.clone(),
                    },
                    progress,
                    total: Prepared::new(self.kind, sheet, &self.mapping).map_or(0, |p| p.data_len()) as u64,
                })
            }
            Loaded::Ready(source::Ready { plan, .. }) => Ok(ImportRequest {
                target,
                source: format!("{} {}", source_label(self.source(), Lang::En), clean(self.path.trim())),
                what: ImportWhat::Ready(plan.clone()),
                progress,
                total: plan.len() as u64,
            }),
            Loaded::Failed(e) => Err(e.clone()),
            _ => Err(String::new()),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, lang: Lang) -> Ask {
        if let Some((p, _)) = &self.running {
            if key.code == KeyCode::Esc {
                p.cancel.store(true, Ordering::Relaxed);
            }
            return Ask::Nothing;
        }
        let rows = self.rows();
        let at = rows.iter().position(|r| *r == self.focus).unwrap_or(0);
        let typing = matches!(
            self.focus,
            Focus::Path | Focus::Rfc | Focus::Account | Focus::Name | Focus::Currency
        );
        match key.code {
            KeyCode::Esc => return Ask::Close,
            KeyCode::Up => self.focus = rows[at.saturating_sub(1)],
            KeyCode::Down => self.focus = rows[(at + 1).min(rows.len() - 1)],
            KeyCode::Tab if self.focus == Focus::Path => {
                let (done, list) = complete(&self.path);
                self.path = done;
                self.completions = list;
                self.detect();
            }
            KeyCode::Tab => self.focus = rows[(at + 1) % rows.len()],
            KeyCode::BackTab => self.focus = rows[(at + rows.len() - 1) % rows.len()],
            KeyCode::Left | KeyCode::Right => {
                let step = if key.code == KeyCode::Left { -1 } else { 1 };
                match self.focus {
                    Focus::Language => {
                        if let Destination::New { lang: l, .. } = &mut self.into {
                            *l = if *l == Lang::En { Lang::Es } else { Lang::En };
                        }
                    }
                    Focus::Kind => {
                        let n = CHOICES.len() as isize;
                        let i = CHOICES.iter().position(|c| *c == (self.kind, self.across)).unwrap_or(0) as isize;
                        let was_across = self.across;
                        self.across_chosen = true;
                        (self.kind, self.across) = CHOICES[(i + step).rem_euclid(n) as usize];
                        if self.across != was_across && !matches!(self.loaded, Loaded::Nothing | Loaded::Reading) {
                            // Months across reads the file as statements (every sheet); back, as a table.
                            self.loaded = Loaded::Reading;
                            return self.read_request().map_or(Ask::Nothing, Ask::Read);
                        }
                        if let Loaded::Table { headers, .. } = &self.loaded {
                            self.mapping.columns = table::guess(self.kind, headers);
                        }
                        self.refresh();
                    }
                    Focus::Sheet => {
                        if let Loaded::Table { sheets, .. } = &self.loaded
                            && !sheets.is_empty()
                        {
                            let i = self
                                .mapping
                                .sheet
                                .as_ref()
                                .and_then(|s| sheets.iter().position(|n| n == s))
                                .unwrap_or(0) as isize;
                            self.mapping.sheet =
                                Some(sheets[(i + step).rem_euclid(sheets.len() as isize) as usize].clone());
                            self.loaded = Loaded::Reading;
                            return self.read_request().map_or(Ask::Nothing, Ask::Read);
                        }
                    }
                    Focus::Field(f) => self.cycle_column(f, step),
                    _ => {}
                }
            }
            KeyCode::Enter => {
                // Enter reads the file; once read, Enter imports it (on the path
                // row only a parsed journal or CFDI set imports: a table reads again).
                let read = match self.loaded {
                    Loaded::Ready(_) => false,
                    Loaded::Table { .. } => self.focus == Focus::Path,
                    _ => true,
                };
                if read && matches!(self.focus, Focus::Name | Focus::Currency | Focus::Language) {
                    self.focus = Focus::Path;
                    return Ask::Nothing;
                }
                if read {
                    self.detect(); // the file may have appeared since the path was typed
                    self.completions.clear();
                    let Some(req) = self.read_request() else {
                        self.error = Some(
                            lang.pick("No such file or folder", "No existe ese archivo o carpeta")
                                .into(),
                        );
                        return Ask::Nothing;
                    };
                    if req.source == SourceKind::Cfdi && req.rfc.is_empty() {
                        self.focus = Focus::Rfc;
                        self.error = Some(
                            lang.pick("Type the company's RFC", "Escriba el RFC de la empresa")
                                .into(),
                        );
                        return Ask::Nothing;
                    }
                    if req.source != SourceKind::Spreadsheet {
                        self.mapping.sheet = None;
                    }
                    self.error = None;
                    self.loaded = Loaded::Reading;
                    return Ask::Read(req);
                }
                return match self.import_request(lang) {
                    Ok(req) => {
                        self.error = None;
                        self.running = Some((req.progress.clone(), req.total));
                        Ask::Import(req)
                    }
                    Err(e) if e.is_empty() => Ask::Nothing,
                    Err(e) => {
                        self.error = Some(e);
                        Ask::Nothing
                    }
                };
            }
            KeyCode::Char('s') if !typing => {
                if matches!(self.loaded, Loaded::Table { .. }) {
                    let name = Path::new(self.path.trim())
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "mapping".into());
                    return Ask::SaveMapping {
                        name,
                        kind: self.kind,
                        mapping: self.mapping.clone(),
                    };
                }
            }
            KeyCode::Backspace | KeyCode::Char(_) if typing => {
                // The one line editor; a currency is three letters, kept upper case.
                let currency = self.focus == Focus::Currency;
                let limit = if currency { 3 } else { 4096 };
                let accept = |c: char| !currency || c.is_ascii_alphabetic();
                if line_input::edit(self.field(), &key, limit, accept) == line_input::Edit::Changed {
                    if currency {
                        let up = self.field().to_ascii_uppercase();
                        *self.field() = up;
                    }
                    self.on_edit();
                }
            }
            _ => {}
        }
        Ask::Nothing
    }

    /// The text the focus types into.
    fn field(&mut self) -> &mut String {
        match (&mut self.into, self.focus) {
            (Destination::New { name, .. }, Focus::Name) => name,
            (Destination::New { currency, .. }, Focus::Currency) => currency,
            (_, Focus::Rfc) => &mut self.rfc,
            (_, Focus::Account) => &mut self.account,
            _ => &mut self.path,
        }
    }

    /// The path or the RFC changed: what was read no longer applies.
    fn on_edit(&mut self) {
        if matches!(self.focus, Focus::Name | Focus::Currency) {
            // A new currency changes how journals and CFDI read: read again.
            if self.focus == Focus::Currency && matches!(self.loaded, Loaded::Ready(_) | Loaded::Failed(_)) {
                self.loaded = Loaded::Nothing;
            }
            self.error = None;
            return;
        }
        if self.focus == Focus::Path {
            self.detect();
            self.loaded = Loaded::Nothing;
            self.mapping = Mapping::default();
            self.across = false;
            self.across_chosen = false;
            self.preview = Ok(Vec::new());
            self.completions.clear();
        } else if matches!(self.loaded, Loaded::Ready(_) | Loaded::Failed(_)) {
            self.loaded = Loaded::Nothing;
        }
        self.error = None;
    }
}

pub(super) fn source_label(s: Option<SourceKind>, lang: Lang) -> &'static str {
    match s {
        None => lang.pick("(type a path; Tab completes)", "(escriba una ruta; Tab completa)"),
        Some(SourceKind::Csv) => "CSV",
        Some(SourceKind::Spreadsheet) => lang.pick("Spreadsheet", "Hoja de cálculo"),
        Some(SourceKind::Journal) => lang.pick("Accounting journal", "Diario contable"),
        Some(SourceKind::Cfdi) => "CFDI (XML)",
        Some(SourceKind::Statement) => lang.pick(
            "Bank statement (OFX, camt.053, MT940)",
            "Estado de cuenta (OFX, camt.053, MT940)",
        ),
    }
}

/// Runs an import in one transaction: the company, the rows imported and skipped.
pub async fn run_import(
    store: &crate::store::AnyStore,
    req: ImportRequest,
) -> Result<(crate::domain::Company, usize, usize), String> {
    use crate::import::ImportFailure;
    match source::run(store, &req.target, req.what, Some(req.progress.clone())).await {
        Ok(done) => Ok(done),
        Err(ImportFailure::Cancelled) => Err(CANCELLED.into()),
        Err(e) => Err(e.to_string()),
    }
}
