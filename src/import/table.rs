//! Spreadsheets (.xlsx, .xls, .ods) and CSV files with the user's own headers.
//!
//! A source is read into a [`Sheet`] of typed cells; a [`Mapping`] says which of
//! the user's columns holds each of our fields; every cell is then turned into
//! the canonical text of docs/formats.md#our-csv-format (date cells and serial numbers into
//! ISO dates, number cells into the shortest decimal that round-trips, text in
//! the company's locale into plain decimals) and validated by the same rules as
//! our own CSV format, so a file imports exactly as its canonical CSV would.

use super::{Collector, ImportError, Kind, Layout, Problem, Rows, shorten};
use crate::domain::ImportBatch;
use crate::domain::Month;
use crate::sanitize;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Rows scanned from the top for the header row (title rows may sit above it).
const HEADER_SCAN_ROWS: usize = 20;

/// One spreadsheet cell, as the file typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Int(i64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it (for headers and error messages).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(f) => format!("{f}"),
            Cell::Int(i) => i.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A sheet read whole: `label` names the file (and the sheet) in errors; each
/// row carries its 1-based row number as the spreadsheet shows it.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub label: String,
    pub rows: Vec<(u64, Vec<Cell>)>,
    /// Merged regions (first row, first col, last row, last col; 0-based), xlsx/xls only.
    pub merged: Vec<(u32, u32, u32, u32)>,
}

/// What kind of source a path is, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Csv,
    Spreadsheet,
    Journal,
    Cfdi,
    /// A bank statement: OFX/QFX, camt.053 or MT940.
    Statement,
}

impl SourceKind {
    pub fn of(path: &Path) -> SourceKind {
        if path.is_dir() {
            return SourceKind::Cfdi;
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => SourceKind::Spreadsheet,
            "journal" | "hledger" | "ledger" | "dat" | "beancount" | "bean" => SourceKind::Journal,
            "ofx" | "qfx" | "sta" | "mt940" | "940" => SourceKind::Statement,
            // An XML is a CFDI unless its first bytes name camt.053.
            "xml" if head(path).contains("camt.053") => SourceKind::Statement,
            "xml" | "zip" => SourceKind::Cfdi,
            _ => SourceKind::Csv,
        }
    }
}

/// The first 4 KiB of a file as text (empty when it cannot be read).
fn head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// How the user's columns map onto ours, and how their cells are written.
/// Saved per company under a name (`--save-mapping`) and reused (`--mapping`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Our field → the user's header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// e.g. `DD/MM/YYYY`; ISO dates and date cells are read regardless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// Text numbers are written `1.234,56`.
    #[serde(default)]
    pub decimal_comma: bool,
}

impl Mapping {
    /// Whether anything changes how the file is read (else the strict CSV path applies).
    pub fn is_plain(&self) -> bool {
        self.columns.is_empty() && self.date_format.is_none() && !self.decimal_comma
    }

    /// Parses `FIELD=COLUMN` arguments onto this mapping.
    pub fn apply_args(&mut self, kind: Kind, args: &[String]) -> Result<(), String> {
        for a in args {
            let Some((field, column)) = a.split_once('=') else {
                return Err(format!(
                    "--map {:?}: expected FIELD=COLUMN, e.g. --map revenue=\"Ventas netas\"",
                    sanitize::clean(a)
                ));
            };
            let field = field.trim().to_ascii_lowercase();
            if !kind.columns().iter().any(|(k, _)| *k == field) {
                return Err(format!(
                    "--map {:?}: {field:?} is not a field of {} (fields: {})",
                    sanitize::clean(a),
                    kind.name(),
                    kind.field_list()
                ));
            }
            self.columns.insert(field, column.trim().to_owned());
        }
        Ok(())
    }

    /// Checks the date format, if any.
    pub fn check(&self) -> Result<(), String> {
        if let Some(f) = &self.date_format {
            DatePattern::new(f)?;
        }
        Ok(())
    }
}

/// A `DD/MM/YYYY`-style pattern turned into chrono formats for dates and months.
#[derive(Debug, Clone)]
struct DatePattern {
    date: String,
    month: String,
}

impl DatePattern {
    fn new(p: &str) -> Result<DatePattern, String> {
        let up = p.trim().to_ascii_uppercase();
        let ok = up.matches("YYYY").count() == 1
            && up.matches("MM").count() == 1
            && up.matches("DD").count() == 1
            && up
                .replace("YYYY", "")
                .replace("MM", "")
                .replace("DD", "")
                .chars()
                .all(|c| matches!(c, '/' | '-' | '.' | ' '));
        if !ok {
            return Err(format!(
                "--date-format {:?}: expected a pattern of DD, MM and YYYY with / - or . between them, e.g. DD/MM/YYYY",
                sanitize::clean(p)
            ));
        }
        let date = up.replace("YYYY", "%Y").replace("MM", "%m").replace("DD", "%d");
        // The month form drops the day and one separator beside it.
        let month = {
            let i = up.find("DD").unwrap_or(0);
            let mut m = up.clone();
            let after = m[i + 2..].chars().next();
            if after.is_some_and(|c| !c.is_ascii_alphanumeric()) {
                m.replace_range(i..i + 3, "");
            } else if i > 0 {
                m.replace_range(i - 1..i + 2, "");
            } else {
                m.replace_range(i..i + 2, "");
            }
            m.replace("YYYY", "%Y").replace("MM", "%m")
        };
        Ok(DatePattern { date, month })
    }

    fn date(&self, s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, &self.date).ok()
    }

    fn month(&self, s: &str) -> Option<Month> {
        if let Some(d) = self.date(s) {
            return Some(Month::of_date(d));
        }
        // chrono needs a day: parse the month form with day 1 appended.
        NaiveDate::parse_from_str(&format!("{s}|01"), &format!("{}|%d", self.month))
            .ok()
            .map(Month::of_date)
    }
}

/// Lowercase, accents removed, spaces folded: how headers are compared.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(s.len());
    for c in s.trim().nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() || c == '_' {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim_end().to_owned()
}

/// The type of one of our fields, which decides how a cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldType {
    Month,
    Date,
    Decimal,
    Count,
    Text,
}

fn field_type(field: &str) -> FieldType {
    match field {
        "month" => FieldType::Month,
        "issue_date" | "due_date" | "paid_date" | "date" | "value_date" => FieldType::Date,
        "customers_new" | "customers_churned" | "customers_end" => FieldType::Count,
        "sku" | "name" | "number" | "customer" | "description" | "reference" | "bank_ref" | "counterparty" => {
            FieldType::Text
        }
        _ => FieldType::Decimal,
    }
}

/// Excel's 1900 date system: serial 1 is 1900-01-01, with its phantom 1900-02-29.
fn serial_date(f: f64) -> Option<NaiveDate> {
    if f.fract() != 0.0 || !(61.0..=2_958_465.0).contains(&f) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(f as u64))
}

/// `1.234,56` → `1234.56`; `None` when the text is not a number in that style.
fn decimal_comma(s: &str) -> Option<String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match body.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let groups: Vec<&str> = int.split(['.', ' ', '\u{a0}', '\u{202f}']).collect();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let grouped_ok = groups.len() == 1
        || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)) && groups.iter().all(|g| digits(g));
    if !groups.iter().all(|g| digits(g)) || !grouped_ok || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let mut out = format!("{neg}{}", groups.concat());
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    Some(out)
}

/// Reading options resolved once per file.
struct Reading {
    pattern: Option<DatePattern>,
    decimal_comma: bool,
}

impl Reading {
    fn new(m: &Mapping) -> Result<Reading, String> {
        Ok(Reading {
            pattern: m.date_format.as_deref().map(DatePattern::new).transpose()?,
            decimal_comma: m.decimal_comma,
        })
    }

    fn date_hint(&self, s: &str) -> String {
        if self.pattern.is_none() && s.contains('/') {
            format!(
                "a date as YYYY-MM-DD or a date cell (for {} add --date-format DD/MM/YYYY or MM/DD/YYYY)",
                shorten(s)
            )
        } else {
            "a date as YYYY-MM-DD, a date cell or the --date-format given".to_owned()
        }
    }

    /// The canonical text of a cell for a field of type `t`, or what was expected.
    fn canonical(&self, cell: &Cell, t: FieldType) -> Result<String, String> {
        let what = match t {
            FieldType::Month => "a month",
            FieldType::Date => "a date",
            FieldType::Decimal => "a number",
            FieldType::Count => "a whole number",
            FieldType::Text => "text",
        };
        match cell {
            Cell::Empty => Ok(String::new()),
            Cell::Error(e) => Err(format!("{what} (the cell holds the error {e})")),
            Cell::Bool(_) => Err(format!("{what}, not TRUE/FALSE")),
            Cell::Date(d) => match t {
                FieldType::Month => Ok(Month::of_date(*d).to_string()),
                FieldType::Date | FieldType::Text => Ok(d.to_string()),
                _ => Err(format!("{what}, not a date")),
            },
            Cell::Int(i) => match t {
                FieldType::Month | FieldType::Date => self.canonical(&Cell::Number(*i as f64), t),
                _ => Ok(i.to_string()),
            },
            Cell::Number(f) => {
                if !f.is_finite() {
                    return Err(format!("{what} (the cell is not finite)"));
                }
                match t {
                    FieldType::Month | FieldType::Date => match serial_date(*f) {
                        Some(d) => self.canonical(&Cell::Date(d), t),
                        None => Err(format!("{what}; {f} is not a spreadsheet date")),
                    },
                    // Rust prints a double as the shortest decimal that reads back
                    // as the same double: 1234.56, never 1234.5599999.
                    _ => Ok(format!("{f}")),
                }
            }
            Cell::Text(raw) => {
                let s = raw.trim();
                match t {
                    FieldType::Month => {
                        if s.parse::<Month>().is_ok() {
                            return Ok(s.to_owned());
                        }
                        if let Ok(d) = super::fields::date(s) {
                            return Ok(Month::of_date(d).to_string());
                        }
                        if let Some(m) = self.pattern.as_ref().and_then(|p| p.month(s)) {
                            return Ok(m.to_string());
                        }
                        if self.pattern.is_none() && s.contains('/') {
                            return Err(self.date_hint(s).replace("a date as YYYY-MM-DD", "a month as YYYY-MM"));
                        }
                        Ok(s.to_owned())
                    }
                    FieldType::Date => {
                        if s.is_empty() || super::fields::date(s).is_ok() {
                            return Ok(s.to_owned());
                        }
                        match self.pattern.as_ref().and_then(|p| p.date(s)) {
                            Some(d) => Ok(d.to_string()),
                            None => Err(self.date_hint(s)),
                        }
                    }
                    FieldType::Decimal | FieldType::Count if self.decimal_comma && !s.is_empty() => decimal_comma(s)
                        .ok_or_else(|| "a number written 1.234,56 (dot for thousands, comma for decimals)".to_owned()),
                    _ => Ok(s.to_owned()),
                }
            }
        }
    }
}

/// Which of the sheet's columns feeds each of our fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// (our field, column index in the sheet, the user's header)
    pub columns: Vec<(&'static str, usize, String)>,
}

/// Matches headers to fields: the mapping's choices first, then our own names.
/// Without a mapping every non-empty header must be one of ours (as in our CSV).
pub fn resolve(kind: Kind, headers: &[String], mapping: &Mapping, row: u64) -> Result<Resolved, Vec<Problem>> {
    let problem = |column: &str, expected: String| Problem {
        row: Some(row),
        file: None,
        column: Some(shorten(column)),
        value: None,
        expected,
    };
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut problems = Vec::new();
    let mut columns: Vec<(&'static str, usize, String)> = Vec::new();
    let listing = || {
        headers
            .iter()
            .filter(|h| !h.trim().is_empty())
            .map(|h| shorten(h))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (field, header) in &mapping.columns {
        let Some((k, _)) = kind.columns().iter().find(|(k, _)| k == field) else {
            problems.push(problem(
                field,
                format!("a field of {} ({})", kind.name(), kind.field_list()),
            ));
            continue;
        };
        match folded.iter().position(|h| *h == fold(header)) {
            Some(i) => columns.push((k, i, headers[i].trim().to_owned())),
            None => problems.push(problem(
                header,
                format!(
                    "this column (mapped to {k}) in the header; the columns are: {}",
                    listing()
                ),
            )),
        }
    }
    for (i, h) in folded.iter().enumerate() {
        if h.is_empty() || columns.iter().any(|(_, j, _)| *j == i) {
            continue;
        }
        let own = kind
            .columns()
            .iter()
            .find(|(k, _)| fold(k) == *h && !mapping.columns.contains_key(*k));
        match own {
            Some((k, _)) if columns.iter().any(|(f, _, _)| f == k) => problems.push(problem(
                &headers[i],
                "each column once (this one appears twice)".to_owned(),
            )),
            Some((k, _)) => columns.push((k, i, headers[i].trim().to_owned())),
            None if mapping.columns.is_empty() => problems.push(problem(
                &headers[i],
                format!(
                    "a known column ({}); or map your columns with --map FIELD=COLUMN",
                    kind.field_list()
                ),
            )),
            None => {} // not mapped and not ours: ignored once a mapping is given
        }
    }
    for (k, required) in kind.columns() {
        if *required && !columns.iter().any(|(f, _, _)| f == k) {
            problems.push(problem(
                k,
                format!("a column for the required field {k} (add --map {k}=COLUMN)"),
            ));
        }
    }
    if let Some(expected) = kind.missing_amount(&|k| columns.iter().any(|(f, _, _)| *f == k)) {
        problems.push(problem("amount", expected.to_owned()));
    }
    if problems.is_empty() {
        columns.sort_by_key(|(f, _, _)| kind.columns().iter().position(|(k, _)| k == f));
        Ok(Resolved { columns })
    } else {
        Err(problems)
    }
}

/// The words a totals row starts with, folded.
const TOTAL_WORDS: [&str; 5] = ["total", "subtotal", "suma", "sum", "gran total"];

fn is_totals(cell: &Cell) -> bool {
    let Cell::Text(t) = cell else { return false };
    let f = fold(t);
    TOTAL_WORDS
        .iter()
        .any(|w| f == *w || f.starts_with(&format!("{w} ")) || f.starts_with(&format!("{w}:")))
}

/// A row that was not imported and why (totals rows at the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub row: u64,
    pub why: String,
}

/// What validating a sheet found.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub rows: usize,
    pub skipped: Vec<Skipped>,
}

/// One row of a preview: its row number, and its values as stored or its problems.
pub type PreviewRow = (u64, Result<Vec<String>, Vec<Problem>>);

/// A sheet with its header found and resolved.
pub struct Prepared<'a> {
    kind: Kind,
    sheet: &'a Sheet,
    header_at: usize,
    pub resolved: Resolved,
    pub headers: Vec<String>,
    reading: Reading,
    layout: Layout,
}

impl<'a> Prepared<'a> {
    /// Finds the header row (the first of the top rows that resolves, else the
    /// first non-empty row) and checks merged cells below it.
    pub fn new(kind: Kind, sheet: &'a Sheet, mapping: &Mapping) -> Result<Prepared<'a>, ImportError> {
        let whole = |expected: String| ImportError {
            file: sheet.label.clone(),
            problems: vec![Problem {
                row: None,
                file: None,
                column: None,
                value: None,
                expected,
            }],
            more: 0,
        };
        let reading = Reading::new(mapping).map_err(whole)?;
        let candidates: Vec<usize> = sheet
            .rows
            .iter()
            .enumerate()
            .filter(|(_, (_, cells))| cells.iter().any(|c| !c.is_empty()))
            .map(|(i, _)| i)
            .take(HEADER_SCAN_ROWS)
            .collect();
        if candidates.is_empty() {
            return Err(whole("a header row; the sheet is empty".to_owned()));
        }
        let headers_at = |i: usize| -> Vec<String> { sheet.rows[i].1.iter().map(Cell::display).collect() };
        let mut found = None;
        for &i in &candidates {
            if let Ok(r) = resolve(kind, &headers_at(i), mapping, sheet.rows[i].0) {
                found = Some((i, r));
                break;
            }
        }
        let (header_at, resolved) = match found {
            Some(f) => f,
            None => {
                // Report the row that came closest to a header: the most cells
                // that name one of our fields or a mapped column (the first on a tie).
                let known: Vec<String> = kind
                    .columns()
                    .iter()
                    .map(|(k, _)| fold(k))
                    .chain(mapping.columns.values().map(|h| fold(h)))
                    .collect();
                let score = |i: usize| headers_at(i).iter().filter(|h| known.contains(&fold(h))).count();
                let best = candidates
                    .iter()
                    .copied()
                    .rev()
                    .max_by_key(|&i| score(i))
                    .unwrap_or(candidates[0]);
                let problems = resolve(kind, &headers_at(best), mapping, sheet.rows[best].0)
                    .err()
                    .unwrap_or_default();
                return Err(ImportError {
                    file: sheet.label.clone(),
                    more: problems.len().saturating_sub(super::MAX_LISTED),
                    problems: problems.into_iter().take(super::MAX_LISTED).collect(),
                });
            }
        };
        let header_row0 = (sheet.rows[header_at].0 - 1) as u32;
        let used: Vec<u32> = resolved.columns.iter().map(|(_, c, _)| *c as u32).collect();
        if let Some((r1, c1, r2, c2)) = sheet
            .merged
            .iter()
            .copied()
            .find(|(_, c1, r2, c2)| *r2 > header_row0 && used.iter().any(|c| (*c1..=*c2).contains(c)))
        {
            return Err(ImportError {
                file: sheet.label.clone(),
                problems: vec![Problem {
                    row: Some(u64::from(r1) + 1),
                    file: None,
                    column: Some(format!("{}{}:{}{}", col_letter(c1), r1 + 1, col_letter(c2), r2 + 1)),
                    value: None,
                    expected: "no merged cells among the data (unmerge them so every row has its own values)"
                        .to_owned(),
                }],
                more: 0,
            });
        }
        let layout = Layout {
            index: resolved
                .columns
                .iter()
                .enumerate()
                .map(|(i, (f, _, _))| (*f, i))
                .collect(),
            labels: resolved
                .columns
                .iter()
                .map(|(f, _, h)| {
                    (
                        *f,
                        if fold(h) == fold(f) {
                            (*f).to_owned()
                        } else {
                            format!("{h} ({f})")
                        },
                    )
                })
                .collect(),
        };
        Ok(Prepared {
            kind,
            sheet,
            header_at,
            headers: headers_at(header_at),
            resolved,
            reading,
            layout,
        })
    }

    /// How many rows lie below the header (blank and totals rows included).
    pub fn data_len(&self) -> usize {
        self.sheet.rows.len() - self.header_at - 1
    }

    /// The data rows below the header.
    fn data(&self) -> impl Iterator<Item = &'a (u64, Vec<Cell>)> + 'a {
        let sheet: &'a Sheet = self.sheet;
        sheet.rows[self.header_at + 1..].iter()
    }

    /// The canonical record of one row, or its problems.
    fn record(&self, row: u64, cells: &[Cell], c: &mut Collector) -> Option<csv::StringRecord> {
        let mut rec = csv::StringRecord::new();
        let mut ok = true;
        for (field, col, _) in &self.resolved.columns {
            let cell = cells.get(*col).unwrap_or(&Cell::Empty);
            match self.reading.canonical(cell, field_type(field)) {
                Ok(s) => rec.push_field(&s),
                Err(expected) => {
                    ok = false;
                    rec.push_field("");
                    c.push(Problem {
                        row: Some(row),
                        file: None,
                        column: Some(self.layout.label(field).to_owned()),
                        value: Some(shorten(&cell.display())),
                        expected,
                    });
                }
            }
        }
        ok.then_some(rec)
    }

    fn key_cell<'c>(&self, cells: &'c [Cell]) -> &'c Cell {
        let key = self.kind.columns()[0].0;
        self.resolved
            .columns
            .iter()
            .find(|(f, _, _)| *f == key)
            .and_then(|(_, col, _)| cells.get(*col))
            .unwrap_or(&Cell::Empty)
    }

    fn is_blank(&self, cells: &[Cell]) -> bool {
        self.resolved
            .columns
            .iter()
            .all(|(_, col, _)| cells.get(*col).is_none_or(Cell::is_empty))
    }

    /// Validates every row, handing valid rows on in chunks while none failed.
    pub fn validate(&self, chunk: usize, sink: &mut dyn FnMut(ImportBatch) -> bool) -> Result<Parsed, ImportError> {
        let mut c = Collector {
            file: self.sheet.label.clone(),
            problems: Vec::new(),
            more: 0,
        };
        let mut rows = Rows::new(self.kind);
        let mut seen = super::Seen::default();
        let mut parsed = Parsed::default();
        let mut totals: Vec<(u64, String)> = Vec::new();
        for (row, cells) in self.data() {
            if self.is_blank(cells) {
                continue;
            }
            let key = self.key_cell(cells);
            if is_totals(key) {
                totals.push((*row, key.display()));
                continue;
            }
            // A totals row with data after it is not at the end: it is an error.
            for (r, v) in totals.drain(..) {
                c.push(Problem {
                    row: Some(r),
                    file: None,
                    column: Some(self.layout.label(self.kind.columns()[0].0).to_owned()),
                    value: Some(shorten(&v)),
                    expected: "a data row (a totals row is skipped only after the last data row)".to_owned(),
                });
            }
            if let Some(rec) = self.record(*row, cells, &mut c)
                && rows.push(&self.layout, &rec, *row, &mut c, &mut seen)
            {
                parsed.rows += 1;
            }
            if c.problems.is_empty() && rows.len() >= chunk && !sink(rows.take()) {
                return c.finish(parsed);
            }
        }
        parsed.skipped = totals
            .into_iter()
            .map(|(row, v)| Skipped {
                row,
                why: format!("totals row ({})", shorten(&v)),
            })
            .collect();
        if parsed.rows == 0 && c.problems.is_empty() {
            return Err(Collector::whole(
                &self.sheet.label,
                "at least one data row below the header",
            ));
        }
        if c.problems.is_empty() && rows.len() > 0 {
            sink(rows.take());
        }
        c.finish(parsed)
    }

    /// The first `n` data rows as they would be stored (our fields, canonical
    /// text), or the problems of each.
    pub fn preview(&self, n: usize) -> Vec<PreviewRow> {
        let mut out = Vec::new();
        let mut seen = super::Seen::default();
        for (row, cells) in self.data() {
            if out.len() >= n {
                break;
            }
            if self.is_blank(cells) {
                continue;
            }
            let mut c = Collector {
                file: String::new(),
                problems: Vec::new(),
                more: 0,
            };
            let key = self.key_cell(cells);
            if is_totals(key) {
                out.push((
                    *row,
                    Ok(vec![format!("(skipped: totals row {})", shorten(&key.display()))]),
                ));
                continue;
            }
            let mut rows = Rows::new(self.kind);
            let kept = self
                .record(*row, cells, &mut c)
                .is_some_and(|rec| rows.push(&self.layout, &rec, *row, &mut c, &mut seen));
            if kept {
                out.push((*row, Ok(super::display_rows(&rows.take()).remove(0))));
            } else {
                out.push((*row, Err(c.problems)));
            }
        }
        out
    }
}

/// Spreadsheet column letters: 0 → A, 26 → AA.
pub fn col_letter(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn refuse(file: &str, expected: String) -> ImportError {
    Collector::whole(file, expected)
}

/// A spreadsheet larger than this (as stored) is refused.
pub const MAX_SPREADSHEET_BYTES: u64 = 64 * 1024 * 1024;
/// What its parts may unpack to: a zip bomb is refused before it is opened.
pub const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;

/// A regular file of a sane size whose zip parts (xlsx, ods) do not unpack to
/// more than [`MAX_UNPACKED_BYTES`].
fn check_spreadsheet(path: &Path) -> Result<(), ImportError> {
    let file = sanitize::clean(&path.display().to_string());
    let f = super::open_regular(path)?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_SPREADSHEET_BYTES {
        return Err(refuse(
            &file,
            format!("a spreadsheet of at most {} MiB", MAX_SPREADSHEET_BYTES / 1024 / 1024),
        ));
    }
    // xlsx and ods are zip files; xls is not (and is read as it is).
    if let Ok(mut zip) = zip::ZipArchive::new(f) {
        let mut unpacked = 0u64;
        for i in 0..zip.len() {
            if let Ok(entry) = zip.by_index_raw(i) {
                unpacked = unpacked.saturating_add(entry.size());
            }
        }
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(refuse(
                &file,
                format!(
                    "a spreadsheet that unpacks to at most {} MiB (this one claims {} MiB)",
                    MAX_UNPACKED_BYTES / 1024 / 1024,
                    unpacked / 1024 / 1024
                ),
            ));
        }
    }
    Ok(())
}

/// The sheets of a spreadsheet file, in order.
pub fn sheet_names(path: &Path) -> Result<Vec<String>, ImportError> {
    use calamine::Reader;
    let file = sanitize::clean(&path.display().to_string());
    check_spreadsheet(path)?;
    let wb = calamine::open_workbook_auto(path).map_err(|e| {
        refuse(
            &file,
            format!("a readable spreadsheet ({})", sanitize::clean(&e.to_string())),
        )
    })?;
    Ok(wb.sheet_names())
}

/// Reads one sheet (by name, accent- and case-insensitively; default: the first).
pub fn read_spreadsheet(path: &Path, sheet: Option<&str>) -> Result<Sheet, ImportError> {
    use calamine::{Data, Reader, Sheets};
    let file = sanitize::clean(&path.display().to_string());
    check_spreadsheet(path)?;
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| {
        refuse(
            &file,
            format!("a readable spreadsheet ({})", sanitize::clean(&e.to_string())),
        )
    })?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names.iter().find(|n| fold(n) == fold(s)).cloned().ok_or_else(|| {
            refuse(
                &file,
                format!(
                    "a sheet named {:?} (the sheets are: {})",
                    sanitize::clean(s),
                    names.iter().map(|n| sanitize::clean(n)).collect::<Vec<_>>().join(", ")
                ),
            )
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| refuse(&file, "a spreadsheet with a sheet".to_owned()))?,
    };
    let label = format!("{file}, sheet {}", sanitize::clean(&name));
    let range = wb.worksheet_range(&name).map_err(|e| {
        refuse(
            &label,
            format!("a readable sheet ({})", sanitize::clean(&e.to_string())),
        )
    })?;
    let merged_dims = match &mut wb {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
        _ => Vec::new(),
    };
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let merged = merged_dims
        .iter()
        .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
        // Positions relative to the range's first column, as the rows are.
        .map(|(a, b, c, d)| (a, b.saturating_sub(c0), c, d.saturating_sub(c0)))
        .collect();
    if range.get_size().0.saturating_mul(range.get_size().1) > MAX_SHEET_CELLS {
        return Err(too_many_cells(&label));
    }
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(i) => Cell::Int(*i),
                    Data::Bool(b) => Cell::Bool(*b),
                    Data::DateTime(dt) => match dt.as_datetime() {
                        Some(t) if dt.is_datetime() => Cell::Date(t.date()),
                        _ => Cell::Number(dt.as_f64()),
                    },
                    Data::DateTimeIso(s) => s
                        .get(..10)
                        .and_then(|d| super::fields::date(d).ok())
                        .map_or_else(|| Cell::Text(s.clone()), Cell::Date),
                    Data::DurationIso(s) => Cell::Text(s.clone()),
                    Data::Error(e) => Cell::Error(e.to_string()),
                })
                .collect();
            (u64::from(r0) + i as u64 + 1, cells)
        })
        .collect();
    Ok(Sheet { label, rows, merged })
}

/// Reads a CSV file as a sheet of text cells (for files with the user's own headers).
pub fn read_csv(path: &Path) -> Result<Sheet, ImportError> {
    let file = sanitize::clean(&path.display().to_string());
    let input = super::open_regular(path)?;
    csv_sheet(&file, std::io::BufReader::new(input))
}

/// At most this many cells are read from one sheet (or a CSV read as one);
/// larger books import with our own headers, streamed, or in parts.
pub const MAX_SHEET_CELLS: usize = 2_000_000;

fn too_many_cells(file: &str) -> ImportError {
    refuse(
        file,
        format!(
            "a sheet of at most {MAX_SHEET_CELLS} cells (this one is larger: import it as a CSV with our column names, which streams, or in parts)"
        ),
    )
}

/// Parses CSV as a sheet of text cells; `file` names it in errors.
pub fn csv_sheet(file: &str, input: impl std::io::Read) -> Result<Sheet, ImportError> {
    let (tracked, lines) = super::Tracked::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(tracked);
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut cells = 0usize;
    loop {
        match reader.read_record(&mut rec) {
            Ok(true) => {
                let line = lines.line_of(rec.position().map_or(0, |p| p.byte()));
                cells += rec.len();
                if cells > MAX_SHEET_CELLS {
                    return Err(too_many_cells(file));
                }
                rows.push((line, rec.iter().map(|s| Cell::Text(s.to_owned())).collect()))
            }
            Ok(false) => break,
            Err(e) => {
                return Err(ImportError {
                    file: file.to_owned(),
                    problems: vec![lines.problem(&e)],
                    more: 0,
                });
            }
        }
    }
    Ok(Sheet {
        label: file.to_owned(),
        rows,
        merged: Vec::new(),
    })
}

/// Synonyms of our fields in the headers founders write (English and Spanish),
/// folded; used to guess a mapping in the import dialog.
fn synonyms(field: &str) -> &'static [&'static str] {
    match field {
        "month" => &["month", "mes", "periodo", "period", "fecha", "date"],
        "revenue" => &[
            "revenue",
            "ingresos",
            "ventas",
            "ventas netas",
            "ingresos netos",
            "sales",
            "net sales",
            "income",
        ],
        "cogs" => &[
            "cogs",
            "costo de ventas",
            "costo de lo vendido",
            "cost of sales",
            "cost of goods sold",
            "costos",
        ],
        "opex" => &[
            "opex",
            "gastos operativos",
            "gastos de operacion",
            "operating expenses",
            "gastos",
        ],
        "sales_marketing" => &[
            "sales marketing",
            "sales and marketing",
            "ventas y marketing",
            "marketing",
            "sales & marketing",
            "mercadeo",
            "mercadotecnia",
            "publicidad",
            "publicidad y mercadotecnia",
            "gastos de venta",
            "gastos de ventas",
            "advertising",
            "selling expenses",
        ],
        "depreciation" => &[
            "depreciation",
            "depreciacion",
            "depreciacion y amortizacion",
            "d&a",
            "amortizacion",
            "amortization",
            "depreciation and amortization",
        ],
        "other_income" => &[
            "other income",
            "otros ingresos",
            "otros ingresos y gastos",
            "resultado no operativo",
        ],
        "financing" => &[
            "financing",
            "financiamiento",
            "financiacion",
            "flujo de financiamiento",
            "flujo de financiacion",
            "flujo de efectivo de financiamiento",
            "financing cash flow",
            "cash from financing",
        ],
        "cash_end" => &[
            "cash end",
            "caja al cierre",
            "caja final",
            "saldo de caja",
            "efectivo",
            "ending cash",
            "cash",
            "caja",
        ],
        "customers_new" => &["customers new", "clientes nuevos", "new customers", "altas"],
        "customers_churned" => &[
            "customers churned",
            "clientes perdidos",
            "bajas",
            "churned",
            "cancelaciones",
        ],
        "customers_end" => &[
            "customers end",
            "clientes activos",
            "clientes al cierre",
            "clientes",
            "customers",
        ],
        "sku" => &["sku", "codigo", "clave", "code", "item"],
        "name" => &["name", "nombre", "producto", "descripcion", "product"],
        "unit_price" => &["unit price", "precio", "precio unitario", "price"],
        "unit_cost" => &["unit cost", "costo", "costo unitario", "cost"],
        "monthly_units" => &["monthly units", "unidades", "unidades mensuales", "units", "volumen"],
        "fixed_costs" => &["fixed costs", "costos fijos", "gastos fijos"],
        "number" => &[
            "number",
            "factura",
            "folio",
            "numero",
            "no factura",
            "invoice",
            "invoice number",
        ],
        "customer" => &["customer", "cliente", "razon social", "client"],
        "issue_date" => &[
            "issue date",
            "fecha",
            "fecha de emision",
            "emision",
            "date",
            "invoice date",
        ],
        "due_date" => &["due date", "vencimiento", "fecha de vencimiento", "due"],
        "amount" => &["amount", "monto", "importe", "total", "valor"],
        "paid_amount" => &[
            "paid amount",
            "pagado",
            "monto pagado",
            "importe pagado",
            "cobrado",
            "paid",
        ],
        "paid_date" => &["paid date", "fecha de pago", "fecha pago", "fecha de cobro", "paid on"],
        // Bank statements, as Mexican, Colombian and US portals export them.
        "date" => &[
            "fecha",
            "fecha operacion",
            "fecha de operacion",
            "fecha movimiento",
            "fecha de movimiento",
            "fecha contable",
            "posting date",
            "transaction date",
            "booking date",
            "posted",
        ],
        "value_date" => &["fecha valor", "fecha de valor", "value date"],
        "description" => &[
            "concepto",
            "descripcion",
            "descripcion del movimiento",
            "detalle",
            "movimiento",
            "description",
            "details",
            "memo",
            "narrative",
        ],
        "debit" => &[
            "cargo",
            "cargos",
            "retiro",
            "retiros",
            "debito",
            "debitos",
            "debit",
            "debits",
            "withdrawal",
            "withdrawals",
            "egreso",
            "egresos",
        ],
        "credit" => &[
            "abono",
            "abonos",
            "deposito",
            "depositos",
            "credito",
            "creditos",
            "credit",
            "credits",
            "deposit",
            "deposits",
            "ingreso",
        ],
        "balance" => &["saldo", "saldo final", "balance", "running balance"],
        "reference" => &[
            "referencia",
            "reference",
            "ref",
            "referencia numerica",
            "numero de referencia",
        ],
        "bank_ref" => &["folio", "clave de rastreo", "rastreo", "transaction id", "id"],
        "counterparty" => &[
            "beneficiario",
            "ordenante",
            "contraparte",
            "payee",
            "payer",
            "counterparty",
        ],
        _ => &[],
    }
}

/// Guesses a column for each field: exact and accent-insensitive matches of our
/// names first, then the synonyms, each column used once.
pub fn guess(kind: Kind, headers: &[String]) -> BTreeMap<String, String> {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut used = vec![false; headers.len()];
    let mut out = BTreeMap::new();
    let mut take = |field: &str, pred: &dyn Fn(&str) -> bool, out: &mut BTreeMap<String, String>| {
        if out.contains_key(field) {
            return;
        }
        if let Some(i) = (0..headers.len()).find(|i| !used[*i] && !folded[*i].is_empty() && pred(&folded[*i])) {
            used[i] = true;
            out.insert(field.to_owned(), headers[i].trim().to_owned());
        }
    };
    for (k, _) in kind.columns() {
        take(k, &|h| h == fold(k), &mut out);
    }
    for (k, _) in kind.columns() {
        take(k, &|h| synonyms(k).contains(&h), &mut out);
    }
    out
}

/// The top row that looks most like a header for `kind` (most guessable
/// columns), as text: what the import dialog offers in its mapping table.
pub fn likely_headers(kind: Kind, sheet: &Sheet) -> Vec<String> {
    sheet
        .rows
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .take(HEADER_SCAN_ROWS)
        .map(|(_, cells)| cells.iter().map(Cell::display).collect::<Vec<_>>())
        .fold((0, None), |(best, row), h| {
            let n = guess(kind, &h).len();
            // The first row with the most guesses wins.
            if row.is_none() || n > best {
                (n, Some(h))
            } else {
                (best, row)
            }
        })
        .1
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_headers() {
        assert_eq!(fold("  Utilidad  Neta "), "utilidad neta");
        assert_eq!(fold("DEPRECIACIÓN"), "depreciacion");
        assert_eq!(fold("cash_end"), "cash end");
        assert_eq!(fold("Año"), "ano");
    }

    #[test]
    fn decimal_comma_numbers() {
        assert_eq!(decimal_comma("1.234,56").as_deref(), Some("1234.56"));
        assert_eq!(decimal_comma("-1.234.567,5").as_deref(), Some("-1234567.5"));
        assert_eq!(decimal_comma("1234,56").as_deref(), Some("1234.56"));
        assert_eq!(decimal_comma("1 234,56").as_deref(), Some("1234.56"));
        assert_eq!(decimal_comma("12.34,5"), None);
        assert_eq!(decimal_comma("1,2,3"), None);
        assert_eq!(decimal_comma("abc"), None);
    }

    #[test]
    fn doubles_read_as_their_shortest_decimal() {
        let r = Reading {
            pattern: None,
            decimal_comma: false,
        };
        assert_eq!(
            r.canonical(&Cell::Number(1234.56), FieldType::Decimal).unwrap(),
            "1234.56"
        );
        assert_eq!(
            r.canonical(&Cell::Number(0.1 + 0.2), FieldType::Decimal).unwrap(),
            "0.30000000000000004"
        );
        assert_eq!(
            r.canonical(&Cell::Number(45292.0), FieldType::Date).unwrap(),
            "2024-01-01"
        );
        assert_eq!(
            r.canonical(&Cell::Number(45292.0), FieldType::Month).unwrap(),
            "2024-01"
        );
        assert!(
            r.canonical(&Cell::Text("15/03/2025".into()), FieldType::Date)
                .unwrap_err()
                .contains("--date-format")
        );
    }

    #[test]
    fn date_patterns() {
        let p = DatePattern::new("DD/MM/YYYY").unwrap();
        assert_eq!(p.date("15/03/2025"), NaiveDate::from_ymd_opt(2025, 3, 15));
        assert_eq!(p.month("03/2025").map(|m| m.to_string()).as_deref(), Some("2025-03"));
        assert_eq!(p.month("01/03/2025").map(|m| m.to_string()).as_deref(), Some("2025-03"));
        let q = DatePattern::new("YYYY.MM.DD").unwrap();
        assert_eq!(q.month("2025.04").map(|m| m.to_string()).as_deref(), Some("2025-04"));
        assert!(DatePattern::new("DD/MM").is_err());
        assert!(DatePattern::new("%d").is_err());
    }

    #[test]
    fn totals_rows() {
        assert!(is_totals(&Cell::Text("TOTAL 2025".into())));
        assert!(is_totals(&Cell::Text("Total".into())));
        assert!(is_totals(&Cell::Text("Gran total".into())));
        assert!(!is_totals(&Cell::Text("Totalplay SA".into())));
        assert!(!is_totals(&Cell::Number(1.0)));
    }

    #[test]
    fn guesses_spanish_headers() {
        let h: Vec<String> = [
            "Mes",
            "Ventas netas",
            "Costo de ventas",
            "Gastos operativos",
            "Caja al cierre",
            "Notas",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let g = guess(Kind::Financials, &h);
        assert_eq!(g.get("month").map(String::as_str), Some("Mes"));
        assert_eq!(g.get("revenue").map(String::as_str), Some("Ventas netas"));
        assert_eq!(g.get("cogs").map(String::as_str), Some("Costo de ventas"));
        assert_eq!(g.get("opex").map(String::as_str), Some("Gastos operativos"));
        assert_eq!(g.get("cash_end").map(String::as_str), Some("Caja al cierre"));
        assert_eq!(g.len(), 5);
    }

    #[test]
    fn the_synonyms_users_write_for_the_optional_fields() {
        let guessed = |header: &str| {
            let g = guess(Kind::Financials, &["Mes".to_owned(), header.to_owned()]);
            g.iter().find(|(_, h)| h.as_str() == header).map(|(k, _)| k.clone())
        };
        for (header, field) in [
            ("Mercadotecnia", "sales_marketing"),
            ("Publicidad", "sales_marketing"),
            ("Gastos de venta", "sales_marketing"),
            ("Advertising", "sales_marketing"),
            ("Amortización", "depreciation"),
            ("Depreciation and amortization", "depreciation"),
            ("Flujo de financiamiento", "financing"),
            ("Cash from financing", "financing"),
        ] {
            assert_eq!(guessed(header).as_deref(), Some(field), "{header}");
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(25), "Z");
        assert_eq!(col_letter(26), "AA");
        assert_eq!(col_letter(27), "AB");
    }
}
#[cfg(test)]
mod csv_lines {
    #[test]
    fn lines() {
        let s = super::csv_sheet("f", &b"a,b\r\n1,2\r\n3,4\r\n"[..]).unwrap();
        let lines: Vec<u64> = s.rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 3]);
    }
}
