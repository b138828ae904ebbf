//! Imports (docs/formats.md): our CSV (parsed here, streamed to the store),
//! spreadsheets and CSV with the user's headers (`table`), statements with
//! months across (`across`), journals (`journal`) and CFDI (`cfdi`); one
//! source reader for the CLI and the interface (`source`). Every source is
//! validated whole: a bad row commits nothing. Errors name the file, the row
//! (the line in the file; the header is row 1) or element, the column, the
//! value and what was expected.

pub mod across;
pub mod cfdi;
pub mod fields;
pub mod fx;
pub mod journal;
pub mod pipeline;
pub mod source;
pub mod statement;
pub mod table;

pub use pipeline::{ImportFailure, ImportProgress, import_bytes, import_file, import_parsed};

use crate::domain::ImportBatch;
use crate::domain::{Invoice, MonthlyFinancials, Product};
use crate::sanitize;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// Which file format is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Financials,
    Products,
    Invoices,
    /// Bank statement lines (a spreadsheet or CSV a bank portal exports).
    Statement,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Financials => "financials",
            Kind::Products => "products",
            Kind::Invoices => "invoices",
            Kind::Statement => "statement",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Financials, Kind::Products, Kind::Invoices, Kind::Statement]
            .into_iter()
            .find(|k| k.name() == s)
    }

    /// Our field names, comma separated (for messages).
    pub fn field_list(self) -> String {
        self.columns().iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
    }

    /// (column, required) in the documented order.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Kind::Financials => &[
                ("month", true),
                ("revenue", true),
                ("cogs", true),
                ("opex", true),
                ("sales_marketing", false),
                ("depreciation", false),
                ("other_income", false),
                ("financing", false),
                ("cash_end", true),
                ("customers_new", false),
                ("customers_churned", false),
                ("customers_end", false),
            ],
            Kind::Products => &[
                ("sku", true),
                ("name", true),
                ("unit_price", true),
                ("unit_cost", true),
                ("monthly_units", true),
                ("fixed_costs", true),
            ],
            Kind::Invoices => &[
                ("number", true),
                ("customer", true),
                ("issue_date", true),
                ("due_date", true),
                ("amount", true),
                ("paid_amount", true),
                ("paid_date", true),
                // The invoice's currency when not the company's, the rate it
                // was booked at (functional per unit; empty: the published
                // rate of the issue date) and the rate it was paid at (empty:
                // the published rate of the paid date).
                ("currency", false),
                ("fx_rate", false),
                ("paid_fx_rate", false),
            ],
            // `amount` (signed) or `debit` and `credit`: checked in `table::resolve`
            // and `Layout::new`.
            Kind::Statement => &[
                ("date", true),
                ("description", true),
                ("amount", false),
                ("debit", false),
                ("credit", false),
                ("reference", false),
                ("balance", false),
                ("bank_ref", false),
                ("value_date", false),
                ("counterparty", false),
            ],
        }
    }

    /// A statement's amount columns, when none of them is there: what to say.
    pub fn missing_amount(self, present: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        (self == Kind::Statement && !present("amount") && !present("debit") && !present("credit"))
            .then_some("a column for amount (signed), or debit and credit (add --map amount=COLUMN or --map debit=COLUMN --map credit=COLUMN)")
    }
}

/// One thing wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file (the header is row 1); `None` for the file as a whole.
    pub row: Option<u64>,
    /// The file of a set (a CFDI among many) this problem is in; then `column`
    /// names the element and the problem reads `FILE: ELEMENT "VALUE": expected …`.
    pub file: Option<String>,
    pub column: Option<String>,
    /// The offending value, sanitised and shortened for display.
    pub value: Option<String>,
    pub expected: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: {}", self.column.as_deref().unwrap_or("file"))?;
            if let Some(v) = &self.value {
                write!(f, " {v:?}")?;
            }
            return write!(f, ": expected {}", self.expected);
        }
        let mut sep = "";
        if let Some(r) = self.row {
            write!(f, "row {r}")?;
            sep = ", ";
        }
        if let Some(c) = &self.column {
            write!(f, "{sep}column {c}")?;
            sep = ", ";
        }
        if let Some(v) = &self.value {
            write!(f, "{sep}value {v:?}")?;
            sep = ", ";
        }
        let lead = if sep.is_empty() { "expected " } else { ": expected " };
        write!(f, "{lead}{}", self.expected)
    }
}

/// A refused file: nothing of it was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub problems: Vec<Problem>,
    /// Problems beyond those listed.
    pub more: usize,
}

impl fmt::Display for ImportError {
    /// The first line names the first problem (a one-line cause); the others follow.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A problem that names its own file (one of a set) is not prefixed
        // with the set's name.
        let lead = |p: &Problem| {
            if p.file.is_some() {
                String::new()
            } else {
                format!("{}: ", self.file)
            }
        };
        let mut problems = self.problems.iter();
        match problems.next() {
            Some(p) => write!(f, "{}{p} (nothing imported)", lead(p))?,
            None => write!(f, "{}: nothing imported", self.file)?,
        }
        for p in problems {
            write!(f, "\n  {}{p}", lead(p))?;
        }
        if self.more > 0 {
            write!(f, "\n  ... and {} more problems", self.more)?;
        }
        Ok(())
    }
}

/// A batch as a table for people (dry runs, the import dialog): our column
/// names and each row's canonical text; financials without the customer counts
/// when no row has them (journals never do).
pub fn preview_table(batch: &ImportBatch) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let kind = match batch {
        ImportBatch::Financials(_) => Kind::Financials,
        ImportBatch::Products(_) => Kind::Products,
        ImportBatch::Invoices(_) => Kind::Invoices,
        ImportBatch::Statement(_) => {
            // Our columns in `Kind::Statement` order, the amount signed (no debit and credit).
            const SHOWN: [usize; 7] = [0, 2, 1, 9, 5, 7, 6];
            let names = Kind::Statement.columns();
            let header = SHOWN.iter().map(|i| names[*i].0).collect();
            let rows = display_rows(batch)
                .into_iter()
                .map(|r| SHOWN.iter().map(|i| r[*i].clone()).collect())
                .collect();
            return (header, rows);
        }
    };
    let mut header: Vec<&'static str> = kind.columns().iter().map(|(k, _)| *k).collect();
    let mut rows = display_rows(batch);
    if let ImportBatch::Financials(f) = batch
        && f.iter()
            .all(|m| m.customers_new.is_none() && m.customers_churned.is_none() && m.customers_end.is_none())
    {
        header.truncate(9);
        rows.iter_mut().for_each(|r| r.truncate(9));
    }
    // Invoices without the currency columns when all are the company's.
    if let ImportBatch::Invoices(i) = batch
        && i.iter().all(|r| r.fx.is_none())
    {
        header.truncate(7);
        rows.iter_mut().for_each(|r| r.truncate(7));
    }
    (header, rows)
}

/// Each row of a batch as our columns' canonical text (for previews).
pub fn display_rows(batch: &ImportBatch) -> Vec<Vec<String>> {
    let opt = |v: &Option<Decimal>| v.map(|d| d.to_string()).unwrap_or_default();
    let cnt = |v: &Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
    match batch {
        ImportBatch::Financials(rows) => rows
            .iter()
            .map(|r| {
                vec![
                    r.month.to_string(),
                    r.revenue.to_string(),
                    r.cogs.to_string(),
                    r.opex.to_string(),
                    opt(&r.sales_marketing),
                    opt(&r.depreciation),
                    opt(&r.other_income),
                    opt(&r.financing),
                    r.cash_end.to_string(),
                    cnt(&r.customers_new),
                    cnt(&r.customers_churned),
                    cnt(&r.customers_end),
                ]
            })
            .collect(),
        ImportBatch::Products(rows) => rows
            .iter()
            .map(|r| {
                vec![
                    r.sku.clone(),
                    r.name.clone(),
                    r.unit_price.to_string(),
                    r.unit_cost.to_string(),
                    r.monthly_units.to_string(),
                    r.fixed_costs.to_string(),
                ]
            })
            .collect(),
        ImportBatch::Invoices(rows) => rows
            .iter()
            .map(|r| {
                let fx = r.fx.as_ref();
                vec![
                    r.number.clone(),
                    r.customer.clone(),
                    r.issue_date.to_string(),
                    r.due_date.to_string(),
                    fx.map_or(r.amount, |f| f.amount).to_string(),
                    fx.map_or(r.paid_amount, |f| f.paid()).to_string(),
                    r.paid_date.map(|d| d.to_string()).unwrap_or_default(),
                    fx.map(|f| f.currency.clone()).unwrap_or_default(),
                    opt(&fx.and_then(|f| f.rate)),
                    opt(&fx.and_then(|f| f.payments.last().and_then(|p| p.rate))),
                ]
            })
            .collect(),
        // In `Kind::Statement`'s column order; debit and credit are read into the signed amount.
        ImportBatch::Statement(rows) => rows
            .iter()
            .map(|r| {
                vec![
                    r.date.to_string(),
                    r.description.clone(),
                    r.amount.to_string(),
                    String::new(),
                    String::new(),
                    r.reference.clone(),
                    opt(&r.balance),
                    r.bank_ref.clone(),
                    r.value_date.map(|d| d.to_string()).unwrap_or_default(),
                    r.counterparty.clone(),
                ]
            })
            .collect(),
    }
}

/// At most this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 10;

fn shorten(v: &str) -> String {
    let clean = sanitize::clean(v);
    if clean.chars().count() > 40 {
        format!("{}…", clean.chars().take(40).collect::<String>())
    } else {
        clean
    }
}

struct Collector {
    file: String,
    problems: Vec<Problem>,
    more: usize,
}

impl Collector {
    fn push(&mut self, p: Problem) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push(p);
        } else {
            self.more += 1;
        }
    }
    fn whole(file: &str, expected: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_owned(),
            problems: vec![Problem {
                row: None,
                file: None,
                column: None,
                value: None,
                expected: expected.into(),
            }],
            more: 0,
        }
    }
    fn finish<T>(self, v: T) -> Result<T, ImportError> {
        if self.problems.is_empty() {
            Ok(v)
        } else {
            Err(ImportError {
                file: self.file,
                problems: self.problems,
                more: self.more,
            })
        }
    }
}

/// Reads and validates a file of the given kind.
pub fn read_file(kind: Kind, path: &Path) -> Result<ImportBatch, ImportError> {
    let name = sanitize::clean(&path.display().to_string());
    let input = std::io::BufReader::new(open_regular(path)?);
    let mut whole: Option<ImportBatch> = None;
    parse_reader(kind, &name, input, usize::MAX, &mut |batch| {
        whole = Some(batch);
        true
    })?;
    whole.ok_or_else(|| Collector::whole(&name, "at least one data row"))
}

/// Opens a file to import: a regular file (a FIFO, a device like /dev/zero or a
/// folder is refused: they can be endless), named in every error.
pub fn open_regular(path: &Path) -> Result<std::fs::File, ImportError> {
    let name = sanitize::clean(&path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|e| Collector::whole(&name, format!("a readable file ({e})")))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a pipe or a device)"
        };
        return Err(Collector::whole(&name, format!("a regular file; this is {what}")));
    }
    std::fs::File::open(path).map_err(|e| Collector::whole(&name, format!("a readable file ({e})")))
}

/// Parses and validates `bytes` as a file of `kind`; `file` names it in errors.
pub fn parse(kind: Kind, file: &str, bytes: &[u8]) -> Result<ImportBatch, ImportError> {
    let mut whole = None;
    parse_chunked(kind, file, bytes, usize::MAX, &mut |batch| {
        whole = Some(batch);
        true
    })?;
    whole.ok_or_else(|| Collector::whole(file, "at least one data row"))
}

/// Parses and validates `bytes`, handing valid rows to `sink` in chunks of
/// `chunk` rows while no problem has been found, so a writer can work while the
/// rest is read. Returns the number of rows, or every problem found (then the
/// writer must discard what it received). `sink` returns false to stop early.
pub fn parse_chunked(
    kind: Kind,
    file: &str,
    bytes: &[u8],
    chunk: usize,
    sink: &mut dyn FnMut(ImportBatch) -> bool,
) -> Result<usize, ImportError> {
    parse_reader(kind, file, bytes, chunk, sink)
}

/// Whether the parser checks that each key (month, sku, invoice number)
/// appears once in the file, or leaves it to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Checked here, in bounded memory (see [`Seen`]).
    Checked,
    /// The store refuses a repeated key (PostgreSQL's key on the table the
    /// rows are copied into); the file is read again to name the rows then.
    ByStore,
}

/// [`parse_chunked`] reading as it goes: memory holds one chunk of rows and
/// one line, whatever the size of the input.
pub fn parse_reader(
    kind: Kind,
    file: &str,
    input: impl std::io::Read,
    chunk: usize,
    sink: &mut dyn FnMut(ImportBatch) -> bool,
) -> Result<usize, ImportError> {
    parse_reader_keys(kind, file, input, chunk, sink, Keys::Checked)
}

/// [`parse_reader`], with the key check where `keys` says.
pub fn parse_reader_keys(
    kind: Kind,
    file: &str,
    input: impl std::io::Read,
    chunk: usize,
    sink: &mut dyn FnMut(ImportBatch) -> bool,
    keys: Keys,
) -> Result<usize, ImportError> {
    let (tracked, lines) = Tracked::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        // Fields are trimmed where they are read (`Cells::raw`): trimming
        // the whole record copies it, for every row.
        .trim(csv::Trim::Headers)
        .from_reader(tracked);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(ImportError {
                file: file.to_owned(),
                problems: vec![lines.problem(&e)],
                more: 0,
            });
        }
    };
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Collector::whole(file, "a header row; the file is empty"));
    }
    // Past the header: the first record's line and the line bound start there.
    lines.line_of(reader.position().byte());
    let layout = Layout::new(kind, file, &headers)?;
    let mut c = Collector {
        file: file.to_owned(),
        problems: Vec::new(),
        more: 0,
    };
    let mut record = csv::StringRecord::new();
    let mut rows = Rows::new(kind);
    let mut seen = Seen {
        off: keys == Keys::ByStore,
        ..Seen::default()
    };
    let mut total = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                c.push(lines.problem(&e));
                break;
            }
        }
        let line = lines.line_of(record.position().map_or(0, |p| p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank lines, as spreadsheets leave at the end
        }
        if record.len() != headers.len() {
            c.push(Problem {
                row: Some(line),
                file: None,
                column: None,
                value: None,
                expected: format!("{} fields like the header, found {}", headers.len(), record.len()),
            });
            continue;
        }
        if rows.push(&layout, &record, line, &mut c, &mut seen) {
            total += 1;
        }
        if c.problems.is_empty() && rows.len() >= chunk && !sink(rows.take()) {
            return c.finish(total);
        }
    }
    if total == 0 && c.problems.is_empty() {
        return Err(Collector::whole(
            file,
            "at least one data row; the file has only a header",
        ));
    }
    if c.problems.is_empty() && rows.len() > 0 {
        sink(rows.take());
    }
    c.finish(total)
}

/// One line (one record) longer than this is refused before it is buffered.
pub const MAX_LINE_BYTES: u64 = 1024 * 1024;
/// A text field (a name, a number of an invoice) longer than this is refused.
pub const MAX_TEXT_BYTES: usize = 4096;
/// A number field longer than this is refused.
pub const MAX_NUMBER_CHARS: usize = 64;

/// The bytes read but not yet passed by the line count, shared between the
/// reader the CSV parser owns and the loop that numbers its records.
#[derive(Default)]
struct Window {
    bytes: std::collections::VecDeque<u8>,
    /// Offset of `bytes[0]` in the input (after a BOM).
    base: u64,
    /// The line `base` is on.
    line: u64,
    /// Bytes read so far.
    read: u64,
    /// Where the record being read starts.
    record_start: u64,
    bom_checked: bool,
}

/// Reads the input for the CSV parser, keeps what it has not yet numbered,
/// drops a UTF-8 BOM, and refuses a line past [`MAX_LINE_BYTES`].
struct Tracked<R> {
    inner: R,
    window: std::rc::Rc<std::cell::RefCell<Window>>,
}

/// Numbers records by the lines they start on (counting every LF, so CRLF,
/// blank lines and quoted newlines all count as a person sees them).
struct LineTracker {
    window: std::rc::Rc<std::cell::RefCell<Window>>,
}

impl<R: std::io::Read> Tracked<R> {
    fn new(inner: R) -> (Tracked<R>, LineTracker) {
        let window = std::rc::Rc::new(std::cell::RefCell::new(Window {
            line: 1,
            ..Window::default()
        }));
        (
            Tracked {
                inner,
                window: window.clone(),
            },
            LineTracker { window },
        )
    }
}

impl<R: std::io::Read> std::io::Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut w = self.window.borrow_mut();
        if w.read - w.record_start > MAX_LINE_BYTES {
            return Err(std::io::Error::other(format!(
                "lines of at most {} KiB (this one is longer; is it a CSV file?)",
                MAX_LINE_BYTES / 1024
            )));
        }
        let mut n = self.inner.read(buf)?;
        if !w.bom_checked && n > 0 {
            // A BOM may arrive in pieces only on pathological readers; files give it whole.
            w.bom_checked = true;
            if buf[..n].starts_with(b"\xef\xbb\xbf") {
                buf.copy_within(3..n, 0);
                n -= 3;
            }
        }
        w.bytes.extend(&buf[..n]);
        w.read += n as u64;
        Ok(n)
    }
}

impl LineTracker {
    /// The line of a record starting at byte `pos`: newlines before it, and the
    /// line breaks the parser left at its start, are counted.
    fn line_of(&self, pos: u64) -> u64 {
        let mut w = self.window.borrow_mut();
        // The bytes before `pos` (as many as are kept), counted in the
        // deque's two halves.
        let k = usize::try_from(pos.saturating_sub(w.base))
            .unwrap_or(usize::MAX)
            .min(w.bytes.len());
        let (front, back) = w.bytes.as_slices();
        let in_front = k.min(front.len());
        let newlines = |s: &[u8]| s.iter().filter(|&&b| b == b'\n').count() as u64;
        let lines = newlines(&front[..in_front]) + newlines(&back[..k - in_front]);
        w.bytes.drain(..k);
        w.line += lines;
        w.base += k as u64;
        while let Some(&b) = w.bytes.front()
            && (b == b'\r' || b == b'\n')
        {
            w.bytes.pop_front();
            w.base += 1;
            if b == b'\n' {
                w.line += 1;
            }
        }
        w.record_start = w.base;
        w.line
    }

    /// A CSV reader's error as a problem at its line.
    fn problem(&self, e: &csv::Error) -> Problem {
        let row = Some(
            e.position()
                .map_or_else(|| self.pending_line(), |p| self.line_at(p.byte())),
        );
        let expected = match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "UTF-8 text (save the file as UTF-8)".to_owned(),
            csv::ErrorKind::Io(io) => io.to_string(),
            _ => format!("well-formed CSV ({e})"),
        };
        Problem {
            row,
            file: None,
            column: None,
            value: None,
            expected,
        }
    }

    /// The line the record being read starts on (for errors without a position).
    fn pending_line(&self) -> u64 {
        let w = self.window.borrow();
        let newlines = w
            .bytes
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .filter(|b| **b == b'\n')
            .count();
        w.line + newlines as u64
    }

    /// The line of a byte position (for errors), without moving on.
    fn line_at(&self, pos: u64) -> u64 {
        let w = self.window.borrow();
        let ahead = pos.saturating_sub(w.base) as usize;
        w.line + w.bytes.iter().take(ahead).filter(|b| **b == b'\n').count() as u64
    }
}

/// Where each known column sits in this file.
struct Layout {
    /// (column, position in this file) for the columns present.
    index: Vec<(&'static str, usize)>,
    /// How errors name a column when the file calls it something else.
    labels: Vec<(&'static str, String)>,
}

impl Layout {
    fn label<'a>(&'a self, col: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|(k, _)| *k == col)
            .map_or(col, |(_, l)| l.as_str())
    }
}

impl Layout {
    fn new(kind: Kind, file: &str, headers: &csv::StringRecord) -> Result<Layout, ImportError> {
        let mut c = Collector {
            file: file.to_owned(),
            problems: Vec::new(),
            more: 0,
        };
        let mut index: Vec<(&'static str, usize)> = Vec::new();
        let known = kind.columns();
        for (i, h) in headers.iter().enumerate() {
            let name = h.to_ascii_lowercase();
            match known.iter().find(|(k, _)| *k == name) {
                Some((k, _)) => {
                    if index.iter().any(|(seen, _)| seen == k) {
                        c.push(Problem {
                            row: Some(1),
                            file: None,
                            column: Some(shorten(h)),
                            value: None,
                            expected: "each column once (this one appears twice)".to_owned(),
                        });
                    } else {
                        index.push((*k, i));
                    }
                }
                None => c.push(Problem {
                    row: Some(1),
                    file: None,
                    column: Some(shorten(h)),
                    value: None,
                    expected: format!(
                        "a known column ({})",
                        known.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                }),
            }
        }
        for (k, required) in known {
            if *required && !index.iter().any(|(seen, _)| seen == k) {
                c.push(Problem {
                    row: Some(1),
                    file: None,
                    column: Some((*k).to_owned()),
                    value: None,
                    expected: "this required column in the header".to_owned(),
                });
            }
        }
        if let Some(expected) = kind.missing_amount(&|k| index.iter().any(|(seen, _)| *seen == k)) {
            c.push(Problem {
                row: Some(1),
                file: None,
                column: Some("amount".to_owned()),
                value: None,
                expected: expected.to_owned(),
            });
        }
        c.finish(Layout {
            index,
            labels: Vec::new(),
        })
    }
}

/// The keys of a file seen so far (a month, a sku, an invoice number once).
/// The first [`EXACT_KEYS`] are kept whole with their row, for the message;
/// past that only a 128-bit fingerprint of each (16 bytes, whatever the key's
/// length), so a file of millions of rows is checked in bounded memory (two
/// distinct keys colliding: about 2⁻⁸⁰ at ten million rows).
#[derive(Default)]
pub(crate) struct Seen {
    exact: HashMap<String, u64>,
    prints: std::collections::HashSet<u128, std::hash::BuildHasherDefault<PrintHasher>>,
    /// The store checks the keys itself (a PostgreSQL key on the table the
    /// rows are copied into): nothing is kept here.
    off: bool,
}

/// Hashes a fingerprint, already a hash, by taking its bits (hashing it
/// again cost as much as the fingerprint itself).
#[derive(Default)]
pub(crate) struct PrintHasher(u64);

impl std::hash::Hasher for PrintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64);
    }
}

/// Keys kept whole (with the row they were on) before fingerprints take over.
const EXACT_KEYS: usize = 100_000;

impl Seen {
    fn print(key: &str) -> u128 {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            let mut h = std::hash::DefaultHasher::new();
            salt.hash(&mut h);
            key.hash(&mut h);
            h.finish()
        };
        (u128::from(half(1)) << 64) | u128::from(half(2))
    }

    /// Notes `key`, on `row`, and says where it was seen before: `Some(row)`,
    /// `Some(0)` when only known to be earlier in the file, `None` when new.
    fn check(&mut self, key: &str, row: u64) -> Option<u64> {
        if self.off {
            return None;
        }
        if let Some(&first) = self.exact.get(key) {
            return Some(first);
        }
        if self.exact.len() < EXACT_KEYS {
            self.exact.insert(key.to_owned(), row);
            None
        } else {
            (!self.prints.insert(Self::print(key))).then_some(0)
        }
    }
}

/// The valid rows read since the last chunk was handed on.
enum Rows {
    Financials(Vec<MonthlyFinancials>),
    Products(Vec<Product>),
    Invoices(Vec<Invoice>),
    Statement(Vec<crate::domain::BankLine>),
}

/// Reads one record's cells by column name, recording every problem.
struct Cells<'a> {
    layout: &'a Layout,
    record: &'a csv::StringRecord,
    line: u64,
    ok: bool,
}

impl<'a> Cells<'a> {
    fn raw(&self, col: &str) -> &'a str {
        let record: &'a csv::StringRecord = self.record;
        self.layout
            .index
            .iter()
            .find(|(k, _)| *k == col)
            .and_then(|(_, i)| record.get(*i))
            .map_or("", str::trim)
    }

    fn fail(&mut self, c: &mut Collector, col: &str, value: &str, expected: impl Into<String>) {
        self.ok = false;
        c.push(Problem {
            row: Some(self.line),
            file: None,
            column: Some(self.layout.label(col).to_owned()),
            value: Some(shorten(value)),
            expected: expected.into(),
        });
    }

    fn parse<T>(&mut self, c: &mut Collector, col: &str, f: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.raw(col);
        match f(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(c, col, raw, e);
                None
            }
        }
    }

    fn optional<T>(&mut self, c: &mut Collector, col: &str, f: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        if self.raw(col).is_empty() {
            None
        } else {
            self.parse(c, col, f)
        }
    }

    fn text(&mut self, c: &mut Collector, col: &str, required: bool) -> String {
        let raw = self.raw(col);
        if required && raw.is_empty() {
            self.fail(c, col, raw, "a non-empty value");
        }
        if raw.len() > MAX_TEXT_BYTES {
            let expected = format!("text of at most {MAX_TEXT_BYTES} bytes (this has {})", raw.len());
            self.fail(c, col, raw, expected);
        }
        raw.to_owned()
    }

    /// Records a problem when `cond` is false; the value is only formatted then.
    fn check(&mut self, c: &mut Collector, cond: bool, col: &str, value: &dyn fmt::Display, expected: &str) {
        if !cond {
            self.fail(c, col, &value.to_string(), expected);
        }
    }
}

impl Rows {
    fn new(kind: Kind) -> Rows {
        match kind {
            Kind::Financials => Rows::Financials(Vec::new()),
            Kind::Products => Rows::Products(Vec::new()),
            Kind::Invoices => Rows::Invoices(Vec::new()),
            Kind::Statement => Rows::Statement(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Rows::Financials(r) => r.len(),
            Rows::Products(r) => r.len(),
            Rows::Invoices(r) => r.len(),
            Rows::Statement(r) => r.len(),
        }
    }

    /// Keys are unique within a file: a month, a sku, an invoice number once.
    fn unique(cells: &mut Cells<'_>, c: &mut Collector, seen: &mut Seen, col: &str, key: &str) {
        if let Some(first) = seen.check(key, cells.line) {
            let expected = match first {
                0 => format!("a unique {col} (it appears earlier in the file)"),
                row => format!("a unique {col} (already on row {row})"),
            };
            cells.fail(c, col, key, expected);
        }
    }

    /// Reads one record; returns whether it was valid and kept.
    fn push(
        &mut self,
        layout: &Layout,
        record: &csv::StringRecord,
        line: u64,
        c: &mut Collector,
        seen: &mut Seen,
    ) -> bool {
        let mut cells = Cells {
            layout,
            record,
            line,
            ok: true,
        };
        let zero = Decimal::ZERO;
        match self {
            Rows::Financials(rows) => {
                let month = cells.parse(c, "month", fields::month);
                let revenue = cells.parse(c, "revenue", fields::decimal);
                let cogs = cells.parse(c, "cogs", fields::decimal);
                let opex = cells.parse(c, "opex", fields::decimal);
                let sales_marketing = cells.optional(c, "sales_marketing", fields::decimal);
                let depreciation = cells.optional(c, "depreciation", fields::decimal);
                let other_income = cells.optional(c, "other_income", fields::decimal);
                let financing = cells.optional(c, "financing", fields::decimal);
                let cash_end = cells.parse(c, "cash_end", fields::decimal);
                let customers_new = cells.optional(c, "customers_new", fields::count);
                let customers_churned = cells.optional(c, "customers_churned", fields::count);
                let customers_end = cells.optional(c, "customers_end", fields::count);
                if let Some(m) = month {
                    Rows::unique(&mut cells, c, seen, "month", &m.to_string());
                }
                if let (Some(m), Some(r), Some(g), Some(o), Some(cash)) = (month, revenue, cogs, opex, cash_end)
                    && cells.ok
                {
                    rows.push(MonthlyFinancials {
                        month: m,
                        revenue: r,
                        cogs: g,
                        opex: o,
                        sales_marketing,
                        depreciation,
                        other_income,
                        financing,
                        cash_end: cash,
                        customers_new,
                        customers_churned,
                        customers_end,
                    });
                }
            }
            Rows::Products(rows) => {
                let sku = cells.text(c, "sku", true);
                let name = cells.text(c, "name", false);
                let unit_price = cells.parse(c, "unit_price", fields::decimal);
                let unit_cost = cells.parse(c, "unit_cost", fields::decimal);
                let monthly_units = cells.parse(c, "monthly_units", fields::decimal);
                let fixed_costs = cells.parse(c, "fixed_costs", fields::decimal);
                if let Some(p) = unit_price {
                    cells.check(c, p > zero, "unit_price", &p, "a price > 0");
                }
                for (col, v) in [
                    ("unit_cost", unit_cost),
                    ("monthly_units", monthly_units),
                    ("fixed_costs", fixed_costs),
                ] {
                    if let Some(v) = v {
                        cells.check(c, v >= zero, col, &v, "a value ≥ 0");
                    }
                }
                if !sku.is_empty() {
                    Rows::unique(&mut cells, c, seen, "sku", &sku);
                }
                if let (Some(p), Some(uc), Some(u), Some(f)) = (unit_price, unit_cost, monthly_units, fixed_costs)
                    && cells.ok
                {
                    rows.push(Product {
                        sku,
                        name,
                        unit_price: p,
                        unit_cost: uc,
                        monthly_units: u,
                        fixed_costs: f,
                    });
                }
            }
            Rows::Invoices(rows) => {
                let number = cells.text(c, "number", true);
                let customer = cells.text(c, "customer", true);
                let issue = cells.parse(c, "issue_date", fields::date);
                let due = cells.parse(c, "due_date", fields::date);
                let amount = cells.parse(c, "amount", fields::decimal);
                let paid = if cells.raw("paid_amount").is_empty() {
                    Some(zero)
                } else {
                    cells.parse(c, "paid_amount", fields::decimal)
                };
                let paid_date = cells.optional(c, "paid_date", fields::date);
                let paid_date_raw = cells.raw("paid_date");
                if let (Some(i), Some(d)) = (issue, due) {
                    cells.check(
                        c,
                        d >= i,
                        "due_date",
                        &d.to_string(),
                        "a due date on or after issue_date",
                    );
                }
                if let Some(a) = amount {
                    cells.check(c, a > zero, "amount", &a, "an amount > 0");
                }
                if let Some(p) = paid {
                    cells.check(c, p >= zero, "paid_amount", &p, "a paid amount ≥ 0");
                    if let Some(a) = amount {
                        cells.check(c, p <= a, "paid_amount", &p, "a paid amount ≤ amount");
                    }
                    if p > zero && paid_date_raw.is_empty() {
                        cells.fail(c, "paid_date", "", "the payment date, since paid_amount > 0");
                    }
                    if p.is_zero() && !paid_date_raw.is_empty() {
                        cells.fail(c, "paid_date", paid_date_raw, "no date while paid_amount is 0");
                    }
                }
                if !number.is_empty() {
                    Rows::unique(&mut cells, c, seen, "number", &number);
                }
                let currency = cells.text(c, "currency", false).trim().to_ascii_uppercase();
                let rate = cells.optional(c, "fx_rate", fields::decimal);
                let paid_rate = cells.optional(c, "paid_fx_rate", fields::decimal);
                if !currency.is_empty() {
                    cells.check(
                        c,
                        currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()),
                        "currency",
                        &currency,
                        "an ISO 4217 code such as USD or MXN",
                    );
                }
                for (col, r) in [("fx_rate", rate), ("paid_fx_rate", paid_rate)] {
                    if let Some(r) = r {
                        cells.check(c, r > zero, col, &r, "an exchange rate > 0");
                        if currency.is_empty() {
                            cells.fail(c, col, &r.to_string(), "no rate while currency is empty");
                        }
                    }
                }
                if let (Some(r), Some(p)) = (paid_rate, paid)
                    && p.is_zero()
                {
                    cells.fail(c, "paid_fx_rate", &r.to_string(), "no rate while paid_amount is 0");
                }
                if let (Some(i), Some(d), Some(a), Some(p)) = (issue, due, amount, paid)
                    && cells.ok
                {
                    let fx = (!currency.is_empty()).then(|| {
                        Box::new(crate::domain::fx::InvoiceFx {
                            currency,
                            amount: a,
                            rate,
                            payments: paid_date
                                .filter(|_| p > zero)
                                .map(|date| crate::domain::fx::FxPayment {
                                    date,
                                    amount: p,
                                    rate: paid_rate,
                                })
                                .into_iter()
                                .collect(),
                        })
                    });
                    rows.push(Invoice {
                        number,
                        customer,
                        issue_date: i,
                        due_date: d,
                        amount: a,
                        paid_amount: p,
                        paid_date,
                        fx,
                    });
                }
            }
            Rows::Statement(rows) => {
                let date = cells.parse(c, "date", fields::date);
                let value_date = cells.optional(c, "value_date", fields::date);
                let description = cells.text(c, "description", false);
                let counterparty = cells.text(c, "counterparty", false);
                let reference = cells.text(c, "reference", false);
                let bank_ref = cells.text(c, "bank_ref", false);
                let balance = cells.optional(c, "balance", fields::money);
                let amount = if layout.index.iter().any(|(k, _)| *k == "amount") {
                    cells.parse(c, "amount", fields::money)
                } else {
                    // Debit and credit: either may be empty; money out is the
                    // debit (written positive or negative), in the credit.
                    let debit = cells.optional(c, "debit", fields::money).filter(|d| !d.is_zero());
                    let credit = cells.optional(c, "credit", fields::money).filter(|d| !d.is_zero());
                    match (debit, credit) {
                        (Some(d), None) => Some(-d.abs()),
                        (None, Some(k)) => Some(k.abs()),
                        (None, None) if cells.ok => {
                            let raw = cells.raw("debit");
                            cells.fail(c, "debit", raw, "an amount in debit or credit (both are empty or zero)");
                            None
                        }
                        (Some(_), Some(k)) => {
                            cells.fail(
                                c,
                                "credit",
                                &k.to_string(),
                                "an amount in debit or credit, not both on one line",
                            );
                            None
                        }
                        (None, None) => None,
                    }
                };
                if description.is_empty() && counterparty.is_empty() && reference.is_empty() {
                    cells.fail(c, "description", "", "a description of the line (it is empty)");
                }
                if let (Some(date), Some(amount)) = (date, amount)
                    && cells.ok
                {
                    rows.push(crate::domain::BankLine {
                        date,
                        value_date,
                        amount,
                        description,
                        counterparty,
                        reference,
                        bank_ref,
                        balance,
                        at: crate::domain::Place::Row(line),
                    });
                }
            }
        }
        cells.ok
    }

    /// Hands on the rows read so far and starts a new chunk.
    fn take(&mut self) -> ImportBatch {
        match self {
            Rows::Financials(r) => ImportBatch::Financials(std::mem::take(r)),
            Rows::Products(r) => ImportBatch::Products(std::mem::take(r)),
            Rows::Invoices(r) => ImportBatch::Invoices(std::mem::take(r)),
            Rows::Statement(r) => ImportBatch::Statement(std::mem::take(r)),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Past the keys kept whole, repeats are found by fingerprint; before,
    /// with the row of the first.
    #[test]
    fn repeated_keys_are_found_past_the_exact_ones() {
        let mut csv = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
        let row = |csv: &mut String, n: usize| {
            csv.push_str(&format!("N{n:06},C,2025-01-01,2025-01-31,10,0,\n"));
        };
        for n in 0..super::EXACT_KEYS + 5 {
            row(&mut csv, n);
        }
        row(&mut csv, super::EXACT_KEYS + 2);
        row(&mut csv, 5);
        let err = super::parse(super::Kind::Invoices, "f.csv", csv.as_bytes()).unwrap_err();
        let lines: Vec<String> = err
            .problems
            .iter()
            .map(|p| format!("{:?} {}", p.row, p.expected))
            .collect();
        let past = super::EXACT_KEYS as u64 + 7;
        assert_eq!(
            lines,
            [
                format!("Some({past}) a unique number (it appears earlier in the file)"),
                format!("Some({}) a unique number (already on row 7)", past + 1),
            ]
        );
    }
}
