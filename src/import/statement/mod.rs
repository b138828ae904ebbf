//! Bank statements (docs/formats.md#bank-statements): spreadsheets and CSV through the mapping
//! reader (`Kind::Statement`), OFX/QFX 1.x and 2.x, camt.053 and MT940, each
//! read by a small reader of its own into [`Statement`]s; then checked
//! (currencies, running and closing balances) and keyed so that a line
//! imported twice is found again.

mod camt;
mod mt940;
mod ofx;

use super::table::{Mapping, Prepared, SourceKind};
use super::{ImportError, Kind, Problem};
use crate::domain::BankLine;
use crate::sanitize::clean;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;

/// The formats a statement comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV or a spreadsheet, with the user's headers.
    Table,
    Ofx,
    Camt053,
    Mt940,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Ofx => "ofx",
            Format::Camt053 => "camt053",
            Format::Mt940 => "mt940",
        }
    }

    /// The format of a file: by its first bytes, then its extension.
    pub fn of(path: &Path, head: &[u8]) -> Format {
        let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with("OFXHEADER") || text.contains("<OFX>") || text.contains("OFXHEADER=") {
            return Format::Ofx;
        }
        if text.contains("camt.053") {
            return Format::Camt053;
        }
        if trimmed.starts_with(":20:") || trimmed.starts_with("{1:") || text.contains("\n:20:") {
            return Format::Mt940;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "ofx" | "qfx" => Format::Ofx,
            "xml" | "camt" => Format::Camt053,
            "sta" | "mt940" | "940" | "swi" => Format::Mt940,
            _ => Format::Table,
        }
    }
}

/// One statement as a file gives it (a camt or MT940 file may hold several).
#[derive(Debug, Clone, Default)]
pub struct Statement {
    /// The account the file names (IBAN, account id), when it does.
    pub account: Option<String>,
    pub currency: Option<String>,
    /// The balance before the first line, and where the file says it.
    pub opening: Option<(Decimal, String)>,
    /// The balance after the last line, its date, and where the file says it.
    pub closing: Option<(Decimal, Option<NaiveDate>, String)>,
    pub lines: Vec<BankLine>,
    /// Lines in a currency of their own: (where, currency).
    pub currencies: Vec<(String, String)>,
}

/// What reading statement files gives: their statements, each file's name.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub files: Vec<(String, Vec<Statement>)>,
    /// The format of the (first) file.
    pub format: &'static str,
}

impl Read {
    /// One file's lines read from a table.
    pub fn of_lines(file: &str, lines: Vec<BankLine>) -> Read {
        Read {
            files: vec![(
                file.to_owned(),
                vec![Statement {
                    lines,
                    ..Statement::default()
                }],
            )],
            format: Format::Table.name(),
        }
    }

    /// How many lines the files hold.
    pub fn lines(&self) -> usize {
        self.files.iter().flat_map(|(_, s)| s).map(|s| s.lines.len()).sum()
    }

    /// One sentence for people: the lines, the account the file names, its closing balance.
    pub fn summary(&self) -> String {
        let statements: Vec<&Statement> = self.files.iter().flat_map(|(_, s)| s).collect();
        let mut out = format!("{} lines ({})", self.lines(), self.format);
        if let Some(a) = statements.iter().find_map(|s| s.account.as_deref()) {
            out += &format!(", account {}", clean(a));
        }
        if let Some((c, d, _)) = statements.iter().rev().find_map(|s| s.closing.as_ref()) {
            let cur = statements.iter().find_map(|s| s.currency.as_deref()).unwrap_or("");
            out += &format!(", closing balance {} {}", clean(cur), crate::numbers::fixed(*c, 2));
            if let Some(d) = d {
                out += &format!(" on {d}");
            }
        }
        out
    }
}

/// The largest statement file read (a CSV is streamed by the mapping reader's own limits).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

fn whole(file: &str, expected: impl Into<String>) -> ImportError {
    super::Collector::whole(file, expected)
}

/// A problem at a place of a file (`STMTTRN 3 (line 40)`, `:61: (line 12)`).
pub(crate) fn at(file: &str, place: &str, value: Option<String>, expected: impl Into<String>) -> ImportError {
    ImportError {
        file: file.to_owned(),
        problems: vec![Problem {
            row: None,
            file: Some(file.to_owned()),
            column: Some(place.to_owned()),
            value: value.map(|v| clean(&v)),
            expected: expected.into(),
        }],
        more: 0,
    }
}

/// Reads one statement file of `format` (or the format its content shows).
pub fn read_file(path: &Path, format: Option<Format>, mapping: &Mapping) -> Result<Vec<Statement>, ImportError> {
    let name = clean(&path.display().to_string());
    let file = super::open_regular(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = vec![0u8; 4096];
    let n = {
        use std::io::Read;
        let mut f = &file;
        f.read(&mut head)
            .map_err(|e| whole(&name, format!("a readable file ({e})")))?
    };
    head.truncate(n);
    if size == 0 {
        return Err(whole(&name, "a bank statement; the file is empty"));
    }
    let format = format.unwrap_or_else(|| Format::of(path, &head));
    if format == Format::Table {
        return read_table(path, mapping);
    }
    if size > MAX_FILE_BYTES {
        return Err(whole(
            &name,
            format!("a statement of at most {} MiB", MAX_FILE_BYTES >> 20),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| whole(&name, format!("a readable file ({e})")))?;
    let text = decode(&bytes);
    let statements = match format {
        Format::Ofx => ofx::read(&name, &text)?,
        Format::Camt053 => camt::read(&name, &text)?,
        Format::Mt940 => mt940::read(&name, &text)?,
        Format::Table => unreachable!("read above"),
    };
    if statements.iter().all(|s| s.lines.is_empty()) && statements.iter().all(|s| s.closing.is_none()) {
        return Err(whole(
            &name,
            format!("statement lines; the file has none ({} read)", format.name()),
        ));
    }
    Ok(statements)
}

/// UTF-8, or Latin-1 as older bank exports (OFX 1.x, MT940) are written.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// Reads statement files (`format` or each file's own), the first problem refusing all.
pub fn read_files(
    paths: &[std::path::PathBuf],
    format: Option<Format>,
    mapping: &Mapping,
) -> Result<Read, ImportError> {
    let mut read = Read::default();
    for p in paths {
        if read.files.is_empty() {
            let head = std::fs::read(p)
                .map(|b| b[..b.len().min(4096)].to_vec())
                .unwrap_or_default();
            read.format = format.unwrap_or_else(|| Format::of(p, &head)).name();
        }
        read.files
            .push((clean(&p.display().to_string()), read_file(p, format, mapping)?));
    }
    Ok(read)
}

/// A CSV or spreadsheet with the statement fields (our names, a mapping, or guessed).
fn read_table(path: &Path, mapping: &Mapping) -> Result<Vec<Statement>, ImportError> {
    // Our own CSV (its header names our fields) is read as it streams.
    if streams(path, mapping) {
        let name = clean(&path.display().to_string());
        let input = std::io::BufReader::with_capacity(256 * 1024, super::open_regular(path)?);
        let mut lines = Vec::new();
        super::parse_reader(Kind::Statement, &name, input, super::pipeline::CHUNK_ROWS, &mut |b| {
            if let crate::domain::ImportBatch::Statement(mut l) = b {
                lines.append(&mut l);
            }
            true
        })?;
        return Ok(vec![Statement {
            lines,
            ..Statement::default()
        }]);
    }
    let sheet = match SourceKind::of(path) {
        SourceKind::Spreadsheet => super::source::read_sheet(path, mapping.sheet.as_deref())?.2,
        _ => super::table::read_csv(path)?,
    };
    let mut mapping = mapping.clone();
    if mapping.columns.is_empty() && Prepared::new(Kind::Statement, &sheet, &mapping).is_err() {
        let g = super::source::guess_mapping(Kind::Statement, &sheet);
        mapping.columns = g.columns;
    }
    let collect = |mapping: &Mapping| -> Result<Vec<BankLine>, ImportError> {
        let prepared = Prepared::new(Kind::Statement, &sheet, mapping)?;
        let mut lines = Vec::new();
        prepared.validate(usize::MAX, &mut |b| {
            if let crate::domain::ImportBatch::Statement(mut l) = b {
                lines.append(&mut l);
            }
            true
        })?;
        Ok(lines)
    };
    let lines = match collect(&mapping) {
        // Dates such as 27/11/2026 and no --date-format: the day first when a
        // date shows it (a first part over 12) or the headers are Spanish.
        Err(e) if mapping.date_format.is_none() && e.problems.iter().any(|p| p.expected.contains("--date-format")) => {
            match slashed_order(&sheet) {
                Some(pattern) => {
                    mapping.date_format = Some(pattern.to_owned());
                    collect(&mapping)?
                }
                None => return Err(e),
            }
        }
        other => other?,
    };
    Ok(vec![Statement {
        lines,
        ..Statement::default()
    }])
}

/// `DD/MM/YYYY` or `MM/DD/YYYY` from a sheet's slashed dates: the one a date
/// proves (a part over 12), else the day first when the headers are Spanish.
pub fn slashed_order(sheet: &super::table::Sheet) -> Option<&'static str> {
    let (mut day_first, mut month_first, mut spanish) = (false, false, false);
    for (_, cells) in &sheet.rows {
        for c in cells {
            let super::table::Cell::Text(t) = c else { continue };
            let parts: Vec<&str> = t.trim().split('/').collect();
            if parts.len() == 3 && parts[2].len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                let (a, b) = (
                    parts[0].parse::<u32>().unwrap_or(0),
                    parts[1].parse::<u32>().unwrap_or(0),
                );
                day_first |= a > 12;
                month_first |= b > 12;
            } else if super::table::fold(t) == "fecha" || super::table::fold(t).starts_with("fecha ") {
                spanish = true;
            }
        }
    }
    match (day_first, month_first) {
        (true, false) => Some("DD/MM/YYYY"),
        (false, true) => Some("MM/DD/YYYY"),
        (false, false) if spanish => Some("DD/MM/YYYY"),
        _ => None,
    }
}

/// The checked lines of a set of files, keyed, and the closing balance they state.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub lines: Vec<BankLine>,
    /// Each line's key, in the same order.
    pub keys: Vec<[u8; 16]>,
    pub closing: Option<(Decimal, NaiveDate)>,
    /// The account number the files name (the first that does).
    pub number: Option<String>,
    pub currency: Option<String>,
}

/// Checks every statement of every file against `currency` (the account's)
/// and their balances, orders lines oldest first, and keys them.
pub fn check(read: Read, currency: &str) -> Result<Checked, ImportError> {
    let mut out = Checked::default();
    for (file, statements) in read.files {
        let mut occurrences: HashMap<[u8; 16], u32> = HashMap::new();
        for mut s in statements {
            if let Some(c) = &s.currency
                && !c.eq_ignore_ascii_case(currency)
            {
                return Err(whole(
                    &file,
                    format!(
                        "a statement in {currency}, the account's currency; this one is in {} (accounts in another currency come with multi-currency support)",
                        clean(c)
                    ),
                ));
            }
            if let Some((place, c)) = s.currencies.iter().find(|(_, c)| !c.eq_ignore_ascii_case(currency)) {
                return Err(at(
                    &file,
                    place,
                    Some(c.clone()),
                    format!(
                        "a line in {currency}, the account's currency (lines in another currency come with multi-currency support)"
                    ),
                ));
            }
            // Newest first (as many portals export): read oldest first.
            if s.lines.first().map(|l| l.date) > s.lines.last().map(|l| l.date) {
                s.lines.reverse();
            }
            balances(&file, &s)?;
            if out.number.is_none() {
                out.number = s.account.clone();
            }
            if out.currency.is_none() {
                out.currency = s.currency.clone();
            }
            let last_date = s.lines.last().map(|l| l.date);
            let closing = match &s.closing {
                Some((c, d, _)) => d.max(&last_date).map(|d| (*c, d)),
                None => s
                    .lines
                    .iter()
                    .rev()
                    .find_map(|l| l.balance.map(|b| (l, b)))
                    .filter(|(l, _)| Some(l.date) == last_date)
                    .map(|(l, b)| (b, l.date)),
            };
            if let Some((c, d)) = closing
                && out.closing.is_none_or(|(_, od)| d >= od)
            {
                out.closing = Some((c, d));
            }
            out.keys.extend(s.lines.iter().map(|l| key(l, &mut occurrences)));
            if out.lines.is_empty() {
                out.lines = std::mem::take(&mut s.lines);
            } else {
                out.lines.append(&mut s.lines);
            }
        }
    }
    Ok(out)
}

/// Running balances follow one from the other, and opening + lines = closing.
fn balances(file: &str, s: &Statement) -> Result<(), ImportError> {
    let money = crate::numbers::fixed;
    let mut running = Running(s.opening.as_ref().map(|(o, _)| *o));
    for l in &s.lines {
        running.line(file, l)?;
    }
    let prev = running.0;
    if let (Some(p), Some((c, _, place))) = (prev, &s.closing)
        && p != *c
    {
        let opening = s
            .opening
            .as_ref()
            .map(|(o, place)| format!("{place} {}", money(*o, 2)))
            .unwrap_or_else(|| "the balances".to_owned());
        let sum: Decimal = s.lines.iter().map(|l| l.amount).sum();
        return Err(at(
            file,
            place,
            Some(money(*c, 2)),
            format!(
                "the closing balance to equal {opening} plus the lines ({}) = {} (the balance does not add up)",
                money(sum, 2),
                money(p, 2)
            ),
        ));
    }
    Ok(())
}

/// The balance after the lines read so far, when known: each running
/// balance a line gives must follow from it.
struct Running(Option<Decimal>);

impl Running {
    fn line(&mut self, file: &str, l: &BankLine) -> Result<(), ImportError> {
        let money = crate::numbers::fixed;
        match (self.0, l.balance) {
            (Some(p), Some(b)) if p + l.amount != b => {
                return Err(at(
                    file,
                    &l.at.to_string(),
                    Some(money(b, 2)),
                    format!(
                        "the running balance to follow from the one before: {} {} {} = {} (the balance does not add up)",
                        money(p, 2),
                        if l.amount.is_sign_negative() { "−" } else { "+" },
                        money(l.amount.abs(), 2),
                        money(p + l.amount, 2)
                    ),
                ));
            }
            (_, Some(b)) => self.0 = Some(b),
            (Some(p), None) => self.0 = Some(p + l.amount),
            (None, None) => {}
        }
        Ok(())
    }
}

/// What streaming a statement handed on.
#[derive(Debug, Clone, Default)]
pub struct Streamed {
    pub lines: usize,
    /// The last line's running balance and date, when it gives one.
    pub closing: Option<(Decimal, NaiveDate)>,
}

/// Checks, keys and hands on lines as they come, oldest first.
struct Streamer<'a> {
    file: String,
    running: Running,
    occurrences: HashMap<[u8; 16], u32>,
    done: Streamed,
    send: &'a mut dyn FnMut(Vec<BankLine>, Vec<[u8; 16]>) -> bool,
}

impl Streamer<'_> {
    /// Checks and sends `lines`; false when the receiver stopped.
    fn flush(&mut self, lines: Vec<BankLine>) -> Result<bool, ImportError> {
        if lines.is_empty() {
            return Ok(true);
        }
        let mut keys = Vec::with_capacity(lines.len());
        for l in &lines {
            self.running.line(&self.file, l)?;
            keys.push(key(l, &mut self.occurrences));
        }
        self.done.lines += lines.len();
        let last = lines.last().expect("not empty");
        self.done.closing = last.balance.map(|b| (b, last.date));
        Ok((self.send)(lines, keys))
    }
}

/// A CSV with our own header (`date,description,amount,balance…`), read as it
/// streams: a file oldest first is checked, keyed and handed to `send` chunk
/// by chunk (memory holds a chunk and the keys of the lines seen); a file
/// newest first is held whole and read backwards. Problems refuse the whole
/// file (the receiver then writes nothing).
pub fn stream_csv(
    path: &Path,
    send: &mut dyn FnMut(Vec<BankLine>, Vec<[u8; 16]>) -> bool,
) -> Result<Streamed, ImportError> {
    let name = clean(&path.display().to_string());
    let input = std::io::BufReader::with_capacity(256 * 1024, super::open_regular(path)?);
    let mut s = Streamer {
        file: name.clone(),
        running: Running(None),
        occurrences: HashMap::new(),
        done: Streamed::default(),
        send,
    };
    let mut held: Vec<BankLine> = Vec::new();
    let mut ascending: Option<bool> = None;
    let mut failed: Option<ImportError> = None;
    super::parse_reader(Kind::Statement, &name, input, super::pipeline::CHUNK_ROWS, &mut |b| {
        let crate::domain::ImportBatch::Statement(mut lines) = b else {
            return true;
        };
        held.append(&mut lines);
        if ascending.is_none()
            && let Some(first) = held.first()
        {
            ascending = held.iter().find(|l| l.date != first.date).map(|l| l.date > first.date);
        }
        if ascending != Some(true) {
            return true; // newest first, or not known yet: held
        }
        match s.flush(std::mem::take(&mut held)) {
            Ok(go_on) => go_on,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if ascending == Some(false) {
        held.reverse();
    }
    while !held.is_empty() {
        let rest = held.split_off(held.len().min(super::pipeline::CHUNK_ROWS));
        let chunk = std::mem::replace(&mut held, rest);
        if !s.flush(chunk)? {
            break;
        }
    }
    Ok(s.done)
}

/// Whether `path` is a CSV whose header names our statement fields (it can stream).
pub fn streams(path: &Path, mapping: &Mapping) -> bool {
    SourceKind::of(path) == SourceKind::Csv
        && mapping.is_plain()
        && super::source::csv_header(path)
            .is_some_and(|h| super::table::resolve(Kind::Statement, &h, &Mapping::default(), 1).is_ok())
}

/// 16 bytes that find a line again: its booking day (4 bytes, so that a
/// statement's keys follow one another in the index as its dates do), then 12
/// bytes of a hash of the bank's reference when the format has one; else of
/// its date, amount, description and running balance and its occurrence among
/// identical lines of that day in the file.
fn key(l: &BankLine, occurrences: &mut HashMap<[u8; 16], u32>) -> [u8; 16] {
    use chrono::Datelike;
    let mut h = blake3::Hasher::new();
    if !l.bank_ref.is_empty() {
        h.update(b"r\0");
        h.update(l.bank_ref.as_bytes());
    } else {
        // A decimal by its normalised mantissa and scale (1.50 and 1.5 alike), without text.
        let number = |h: &mut blake3::Hasher, d: Decimal| {
            let n = d.normalize();
            h.update(&n.mantissa().to_le_bytes());
            h.update(&n.scale().to_le_bytes());
        };
        let mut same = blake3::Hasher::new();
        same.update(&l.date.num_days_from_ce().to_le_bytes());
        number(&mut same, l.amount);
        same.update(&(l.description.len() as u64).to_le_bytes());
        same.update(l.description.as_bytes());
        same.update(&[u8::from(l.balance.is_some())]);
        if let Some(b) = l.balance {
            number(&mut same, b);
        }
        let mut print = [0u8; 16];
        print.copy_from_slice(&same.finalize().as_bytes()[..16]);
        let n = occurrences.entry(print).or_insert(0);
        *n += 1;
        h.update(b"h\0");
        h.update(&print);
        h.update(&n.to_le_bytes());
    }
    let mut key = [0u8; 16];
    key[..4].copy_from_slice(&(l.date.num_days_from_ce() as u32).to_be_bytes());
    key[4..].copy_from_slice(&h.finalize().as_bytes()[..12]);
    key
}

/// Text of an element or tag as a line field: entities already decoded,
/// whitespace folded, at most `MAX_TEXT_BYTES`.
pub(crate) fn text(s: &str) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.len() > super::MAX_TEXT_BYTES {
        let mut end = super::MAX_TEXT_BYTES;
        while !folded.is_char_boundary(end) {
            end -= 1;
        }
        folded[..end].to_owned()
    } else {
        folded
    }
}

/// A decimal as statement formats write it: `-50.00`, `50,00` (MT940, some OFX).
pub(crate) fn amount(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let t = if !t.contains('.') && t.matches(',').count() == 1 {
        t.replace(',', ".")
    } else {
        t.to_owned()
    };
    let t = t.strip_prefix('+').unwrap_or(&t);
    let t = t.strip_suffix('.').unwrap_or(t);
    super::fields::decimal(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(date: &str, amount: &str, desc: &str, balance: Option<&str>) -> BankLine {
        BankLine {
            date: date.parse().unwrap(),
            value_date: None,
            amount: amount.parse().unwrap(),
            description: desc.to_owned(),
            counterparty: String::new(),
            reference: String::new(),
            bank_ref: String::new(),
            balance: balance.map(|b| b.parse().unwrap()),
            at: crate::domain::Place::Named(format!("row {desc}").into()),
        }
    }

    #[test]
    fn identical_lines_of_a_day_are_two_lines_and_a_second_read_finds_them() {
        let mut occ = HashMap::new();
        let a = key(&line("2026-11-02", "-3.50", "coffee", None), &mut occ);
        let b = key(&line("2026-11-02", "-3.5", "coffee", None), &mut occ);
        assert_ne!(a, b, "two identical coffees are two lines");
        let mut again = HashMap::new();
        assert_eq!(a, key(&line("2026-11-02", "-3.50", "coffee", None), &mut again));
        let mut r = line("2026-11-02", "-3.50", "coffee", None);
        r.bank_ref = "FIT1".into();
        let mut other = line("2026-11-02", "-9", "tea", None);
        other.bank_ref = "FIT1".into();
        assert_eq!(key(&r, &mut occ), key(&other, &mut occ), "the bank's id decides");
        other.date = "2026-11-03".parse().unwrap();
        assert_ne!(key(&r, &mut occ), key(&other, &mut occ), "on its booking day");
    }

    #[test]
    fn a_running_balance_that_breaks_is_named() {
        let s = Statement {
            opening: Some(("100".parse().unwrap(), ":60F:".into())),
            lines: vec![
                line("2026-11-01", "50", "a", Some("150")),
                line("2026-11-02", "-20", "b", Some("131")),
            ],
            ..Statement::default()
        };
        let e = balances("s.csv", &s).unwrap_err().to_string();
        assert!(
            e.starts_with("s.csv: row b \"131.00\": expected the running balance"),
            "{e}"
        );
        assert!(e.contains("150.00 − 20.00 = 130.00"), "{e}");
        let s = Statement {
            opening: Some(("100".parse().unwrap(), ":60F:".into())),
            closing: Some(("140".parse().unwrap(), None, ":62F:".into())),
            lines: vec![line("2026-11-01", "50", "a", None)],
            ..Statement::default()
        };
        let e = balances("s.sta", &s).unwrap_err().to_string();
        assert!(e.contains(":62F: \"140.00\""), "{e}");
        assert!(e.contains(":60F: 100.00 plus the lines (50.00) = 150.00"), "{e}");
    }
}
