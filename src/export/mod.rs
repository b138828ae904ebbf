//! A view's table written out: XLSX (numbers as numbers, dates as dates, a
//! frozen header, widths set) or CSV (RFC 4180, UTF-8, plain decimals with a
//! dot), through a temporary file renamed into place; and as tab-separated
//! text for the clipboard. A text cell a spreadsheet would take for a formula
//! (`=`, `+`, `-`, `@`, tab, carriage return first) stays text.

use crate::store::{AnyStore, Store};
pub mod sheet;

use rust_decimal::prelude::ToPrimitive;
use sheet::{Rows, Sheet, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// The most rows an XLSX worksheet holds, its header included.
pub const XLSX_MAX_ROWS: usize = 1_048_576;

/// Whether a spreadsheet would read this text as a formula.
pub fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// One row sink, whichever the format.
trait Out {
    fn row(&mut self, values: &[Value]) -> Result<(), String>;
}

struct CsvOut<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> Out for CsvOut<W> {
    fn row(&mut self, values: &[Value]) -> Result<(), String> {
        let cells = values.iter().map(|v| match v {
            Value::Text(s) if formula_like(s) => format!("'{s}"),
            v => v.plain(),
        });
        self.w.write_record(cells).map_err(|e| e.to_string())
    }
}

struct XlsxOut<'a> {
    ws: &'a mut rust_xlsxwriter::Worksheet,
    row: u32,
    formats: Formats,
}

struct Formats {
    money: rust_xlsxwriter::Format,
    ratio: rust_xlsxwriter::Format,
    int: rust_xlsxwriter::Format,
    date: rust_xlsxwriter::Format,
    month: rust_xlsxwriter::Format,
    numbers: [rust_xlsxwriter::Format; 5],
}

impl Formats {
    fn new() -> Formats {
        use rust_xlsxwriter::Format as F;
        Formats {
            money: F::new().set_num_format("#,##0.00"),
            ratio: F::new().set_num_format("0.0%"),
            int: F::new().set_num_format("#,##0"),
            date: F::new().set_num_format("yyyy-mm-dd"),
            month: F::new().set_num_format("yyyy-mm"),
            numbers: [
                F::new().set_num_format("#,##0"),
                F::new().set_num_format("#,##0.0"),
                F::new().set_num_format("#,##0.00"),
                F::new().set_num_format("#,##0.000"),
                F::new().set_num_format("#,##0.0000"),
            ],
        }
    }
}

impl Out for XlsxOut<'_> {
    fn row(&mut self, values: &[Value]) -> Result<(), String> {
        if self.row as usize >= XLSX_MAX_ROWS {
            return Err(format!(
                "more than {} rows: an XLSX sheet holds no more; export as CSV (--format csv)",
                XLSX_MAX_ROWS - 1
            ));
        }
        let f = &self.formats;
        for (c, v) in values.iter().enumerate() {
            let (r, c) = (self.row, c as u16);
            let num = |d: &rust_decimal::Decimal| d.to_f64().unwrap_or(0.0);
            let done = match v {
                // A string cell, whatever it starts with: never a formula.
                Value::Text(s) => self.ws.write_string(r, c, s).map(|_| ()),
                // The same rounding as the CSV's (cents, ratios to four places).
                Value::Money(d) => self
                    .ws
                    .write_number_with_format(r, c, num(&d.round_dp(2)), &f.money)
                    .map(|_| ()),
                Value::Ratio(d) => self
                    .ws
                    .write_number_with_format(r, c, num(&d.round_dp(4)), &f.ratio)
                    .map(|_| ()),
                Value::Number(d, dp) => self
                    .ws
                    .write_number_with_format(r, c, num(&d.round_dp(*dp)), &f.numbers[(*dp as usize).min(4)])
                    .map(|_| ()),
                Value::Int(i) => self.ws.write_number_with_format(r, c, *i as f64, &f.int).map(|_| ()),
                Value::Date(d) => self.ws.write_date_with_format(r, c, d, &f.date).map(|_| ()),
                Value::Month(m) => self
                    .ws
                    .write_date_with_format(r, c, m.first_day(), &f.month)
                    .map(|_| ()),
                Value::Empty => Ok(()),
            };
            done.map_err(|e| e.to_string())?;
        }
        self.row += 1;
        Ok(())
    }
}

/// Hands every row of the sheet to `out`, reading the store when the rows are there.
async fn rows(store: &AnyStore, sheet: &Sheet, out: &mut (dyn Out + Send)) -> Result<usize, String> {
    match &sheet.rows {
        Rows::Here(rows) => {
            for r in rows {
                out.row(r)?;
            }
            Ok(rows.len())
        }
        Rows::OpenInvoices {
            company_id,
            day,
            filter,
            rate,
        } => {
            let (day, rate) = (*day, *rate);
            store
                .each_open_invoice(*company_id, day, filter, &mut |inv| {
                    out.row(&sheet::invoice_row(&inv, day, rate))
                })
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// The CSV of the sheet on `w` (stdout for `katalis export` without `--out`).
pub async fn csv_to(store: &AnyStore, sheet: &Sheet, w: impl Write + Send) -> Result<usize, String> {
    let mut out = CsvOut {
        w: csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(w),
    };
    out.w.write_record(sheet.headers(false)).map_err(|e| e.to_string())?;
    let n = rows(store, sheet, &mut out).await?;
    out.w.flush().map_err(|e| e.to_string())?;
    Ok(n)
}

/// Writes the sheet to `path` in `format`: into a temporary file beside it,
/// renamed over it when complete; on any failure nothing is left behind.
/// How many rows.
pub async fn write(store: &AnyStore, sheet: &Sheet, format: Format, path: &Path) -> Result<usize, String> {
    let shown = crate::sanitize::clean(&path.display().to_string());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(format!("{shown} is a directory: give a file name"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = match format {
        Format::Csv => write_csv(store, sheet, &tmp).await,
        Format::Xlsx => write_xlsx(store, sheet, &tmp).await,
    };
    let result = result.and_then(|n| std::fs::rename(&tmp, path).map(|_| n).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("cannot write {shown}: {e}"))
}

async fn write_csv(store: &AnyStore, sheet: &Sheet, tmp: &Path) -> Result<usize, String> {
    let file = std::fs::File::create(tmp).map_err(|e| e.to_string())?;
    let mut w = std::io::BufWriter::new(file);
    let n = csv_to(store, sheet, &mut w).await?;
    let file = w.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    Ok(n)
}

async fn write_xlsx(store: &AnyStore, sheet: &Sheet, tmp: &Path) -> Result<usize, String> {
    // Checked first: the workbook is only saved at the end.
    std::fs::File::create(tmp).map_err(|e| e.to_string())?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory().map_err(|e| e.to_string())?;
    let title: String = sheet
        .table
        .title(sheet.lang)
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    ws.set_name(&title).map_err(|e| e.to_string())?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let headers = sheet.headers(true);
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(|e| e.to_string())?;
        let width = widths(sheet).get(c).copied().unwrap_or(10).max(h.chars().count() + 2);
        ws.set_column_width(c as u16, width.min(60) as f64)
            .map_err(|e| e.to_string())?;
    }
    ws.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    let mut out = XlsxOut {
        ws,
        row: 1,
        formats: Formats::new(),
    };
    let n = rows(store, sheet, &mut out).await?;
    wb.save(tmp).map_err(|e| e.to_string())?;
    Ok(n)
}

/// Each column's width in characters: its widest value (over the rows held),
/// or a width for the open invoices, which are read as they are written.
fn widths(sheet: &Sheet) -> Vec<usize> {
    match &sheet.rows {
        Rows::Here(rows) => (0..sheet.columns.len())
            .map(|c| {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .map(|v| match v {
                        Value::Text(s) => s.chars().count(),
                        v => v.plain().len() + 3,
                    })
                    .max()
                    .unwrap_or(8)
                    + 1
            })
            .collect(),
        Rows::OpenInvoices { .. } => vec![16, 32, 12, 6, 16],
    }
}

/// Tab-separated text with a header line, as a spreadsheet or a chat takes
/// it; a tab or line break inside a value becomes a space. `None` when it
/// grows beyond `limit` bytes.
pub fn tsv(headers: &[String], rows: &[Vec<Value>], limit: usize) -> Option<String> {
    let mut out = String::new();
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    out.push_str(&headers.iter().map(|h| clean(h)).collect::<Vec<_>>().join("\t"));
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(|v| clean(&v.copied())).collect::<Vec<_>>().join("\t"));
        out.push('\n');
        if out.len() > limit {
            return None;
        }
    }
    Some(out)
}

/// What the row sink of [`collect`] answers once it holds its limit: the read stops there.
const FULL: &str = "\u{0}the rows asked for are read";

/// The sheet's rows, reading the store for the open invoices; `None` once
/// they pass `limit` rows (the clipboard's bound), read no further.
pub async fn collect(store: &AnyStore, sheet: &Sheet, limit: usize) -> Result<Option<Vec<Vec<Value>>>, String> {
    struct Take {
        rows: Vec<Vec<Value>>,
        limit: usize,
    }
    impl Out for Take {
        fn row(&mut self, values: &[Value]) -> Result<(), String> {
            if self.rows.len() >= self.limit {
                return Err(FULL.to_owned());
            }
            self.rows.push(values.to_vec());
            Ok(())
        }
    }
    let mut take = Take {
        rows: Vec::new(),
        limit,
    };
    match rows(store, sheet, &mut take).await {
        Ok(_) => Ok(Some(take.rows)),
        Err(e) if e == FULL => Ok(None),
        Err(e) => Err(e),
    }
}
