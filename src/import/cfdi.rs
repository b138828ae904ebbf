//! Mexican CFDI 4.0 e-invoices (with Pagos 2.0 payment complements) into
//! invoices. Every file is read and checked before anything is written; the
//! whole set is one import, so one bad file refuses it all.
//!
//! - Issued `I` → an invoice: number `Serie-Folio` (`Folio` alone, else the
//!   TFD UUID), customer `Receptor/@Nombre` (its RFC when empty), issued on
//!   `@Fecha`, amount `@Total` (converted with `@TipoCambio` when in another
//!   currency, rounded to cents), due after `CondicionesDePago` days when it
//!   reads as a number, else after the default terms. `MetodoPago="PUE"`:
//!   paid in full on its issue date.
//! - Issued `P` (Pagos 2.0): each `DoctoRelacionado` adds `ImpPagado` to the
//!   invoice whose UUID is `IdDocumento`; paid date = the last `FechaPago`.
//! - Issued `E` with `TipoRelacion="01"`: reduces the related invoices.
//! - Received CFDIs (the company is the receptor) are skipped and counted.

use super::{ImportError, Problem, shorten};
use crate::domain::fx::{FxPayment, InvoiceFx};
use crate::domain::{CfdiRecord, CfdiWrite, Invoice};
use crate::sanitize;
use chrono::NaiveDate;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

const NS_CFDI: &str = "http://www.sat.gob.mx/cfd/4";
const NS_CFDI33: &str = "http://www.sat.gob.mx/cfd/3";
const NS_PAGOS: &str = "http://www.sat.gob.mx/Pagos20";
const NS_TFD: &str = "http://www.sat.gob.mx/TimbreFiscalDigital";

/// A CFDI larger than this is refused (real ones are a few KiB).
pub const MAX_CFDI_BYTES: u64 = 16 * 1024 * 1024;
/// At most this many CFDI files in one import (years of a company's e-invoices
/// are tens of thousands); more are imported a folder at a time.
pub const MAX_CFDI_FILES: usize = 200_000;
/// Default payment terms when `CondicionesDePago` gives no number of days.
pub const DEFAULT_TERMS_DAYS: u32 = 30;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Docto {
    id: String,
    paid: Decimal,
    currency: String,
    /// `EquivalenciaDR`: units of the invoice's currency per unit of the
    /// payment's (absent: 1).
    #[serde(default)]
    equivalence: Option<Decimal>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Pago {
    date: Option<NaiveDate>,
    doctos: Vec<Docto>,
    /// `MonedaP` and `TipoCambioP` (pesos per unit of it; absent: 1).
    #[serde(default)]
    currency: String,
    #[serde(default)]
    rate: Option<Decimal>,
}

/// The parts of one CFDI that matter here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Doc {
    file: String,
    kind: String,
    serie: String,
    folio: String,
    date: Option<NaiveDate>,
    total: Decimal,
    currency: String,
    rate: Option<Decimal>,
    method: String,
    terms: String,
    issuer: String,
    receiver_rfc: String,
    receiver_name: String,
    /// (TipoRelacion, UUID)
    related: Vec<(String, String)>,
    pagos: Vec<Pago>,
    uuid: String,
}

/// What a set of CFDI does to the company's invoices, and what was left out.
#[derive(Debug, Clone, Default)]
pub struct CfdiData {
    /// What to write: invoices upserted, removed, documents kept.
    pub write: CfdiWrite,
    pub files: usize,
    /// Invoices issued in this set (new or imported before).
    pub invoices: usize,
    /// Payments (`DoctoRelacionado`) applied from this set.
    pub payments: usize,
    /// Of them, to invoices imported before.
    pub payments_to_stored: usize,
    pub credit_notes: usize,
    pub received: usize,
    /// Issued CFDIs of other types (T, N) and credit notes without an `01` relation.
    pub other: usize,
    /// Invoices fully cancelled by credit notes: not imported (or removed).
    pub fully_credited: usize,
    /// CFDI of this set imported before: applied once, not again.
    pub already: usize,
    /// CFDI the metadata marks cancelled: not imported.
    pub cancelled: usize,
    /// Invoices imported before and now removed (cancelled or fully credited).
    pub removed: usize,
    /// Payments and credit notes for invoices neither in the set nor stored,
    /// skipped with `skip_unknown`: (file, UUID of the invoice).
    pub skipped: Vec<(String, String)>,
}

impl CfdiData {
    /// The one sentence every front-end says of a CFDI import.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} invoices from {} files ({} payments applied",
            self.write.invoices.len(),
            self.files,
            self.payments
        );
        if self.payments_to_stored > 0 {
            s += &format!(", {} to invoices imported before", self.payments_to_stored);
        }
        s += &format!(", {} credit notes", self.credit_notes);
        // What was left out, the counts that are not zero.
        let skipped: Vec<String> = [
            (self.received, "received"),
            (self.other, "of other types"),
            (self.fully_credited, "fully credited"),
            (self.cancelled, "cancelled"),
            (self.skipped.len(), "for unknown invoices"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !skipped.is_empty() {
            s += &format!("; skipped: {}", skipped.join(", "));
        }
        s.push(')');
        if self.already > 0 {
            s += &format!("; {} CFDI were imported before and are applied once", self.already);
        }
        if self.removed > 0 {
            s += &format!(
                "; {} invoices imported before are no longer owed (cancelled or fully credited): removed",
                self.removed
            );
        }
        s
    }
}

/// How to read a set for a company.
#[derive(Debug, Clone)]
pub struct Options {
    /// The company's RFC: what it issued is its invoices.
    pub rfc: String,
    /// The company's currency.
    pub currency: String,
    /// Payment terms when `CondicionesDePago` gives no number of days.
    pub terms: u32,
    /// Skip payments and credit notes for invoices not found, instead of refusing.
    pub skip_unknown: bool,
}

/// Problems, each naming its file; the first ones are listed, the rest counted.
struct Problems {
    list: Vec<(String, Problem)>,
}

impl Problems {
    fn add(&mut self, file: &str, element: &str, value: Option<&str>, expected: impl Into<String>) {
        self.list.push((
            file.to_owned(),
            Problem {
                row: None,
                file: Some(file.to_owned()),
                column: Some(element.to_owned()),
                value: value.map(shorten),
                expected: expected.into(),
            },
        ));
    }

    fn into_result<T>(self, set: &str, v: T) -> Result<T, ImportError> {
        if self.list.is_empty() {
            return Ok(v);
        }
        let total = self.list.len();
        let problems: Vec<Problem> = self.list.into_iter().map(|(_, p)| p).take(super::MAX_LISTED).collect();
        Err(ImportError {
            file: set.to_owned(),
            more: total - problems.len(),
            problems,
        })
    }
}

/// A zip of CFDI larger than this is refused (a month of a busy company's
/// downloads is a few MiB).
pub const MAX_ZIP_BYTES: u64 = 512 * 1024 * 1024;
/// A zip entry that unpacks to more than this many times its packed size (and
/// past 1 MiB) is refused: a zip bomb, not a CFDI.
pub const MAX_ZIP_RATIO: u64 = 100;

/// The SAT's metadata of a bulk download: each CFDI's UUID and whether it is
/// in force (`Estatus` 1) or cancelled (0).
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// UUID → cancelled.
    pub status: HashMap<String, bool>,
    /// The files it was read from.
    pub files: Vec<String>,
}

impl Metadata {
    /// The cancelled UUIDs, sorted.
    pub fn cancelled(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .status
            .iter()
            .filter(|(_, c)| **c)
            .map(|(u, _)| u.clone())
            .collect();
        v.sort();
        v
    }
}

/// Every CFDI read from the paths of an import, before anything is decided.
#[derive(Debug, Clone, Default)]
pub struct CfdiSet {
    docs: Vec<Doc>,
    /// How many XML files were read.
    pub files: usize,
    pub metadata: Metadata,
    /// The paths as given, for messages.
    pub name: String,
}

impl CfdiSet {
    /// What the store must be asked for: the kept rows bearing on any invoice
    /// this set touches, or on any document it cancels.
    pub fn lookups(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in &self.docs {
            out.push(d.uuid.clone());
            out.extend(d.related.iter().map(|(_, u)| u.clone()));
            out.extend(d.pagos.iter().flat_map(|p| p.doctos.iter().map(|dr| dr.id.clone())));
        }
        out.extend(self.metadata.cancelled());
        out.sort();
        out.dedup();
        out
    }

    /// After a first lookup: the invoices that kept documents being cancelled
    /// bear on, which must be read too (their other payments).
    pub fn second_lookups(&self, prior: &[CfdiRecord]) -> Vec<String> {
        let first = self.lookups();
        let mut out: Vec<String> = prior
            .iter()
            .filter(|r| self.metadata.status.get(&r.uuid) == Some(&true))
            .map(|r| r.invoice_uuid.clone())
            .filter(|u| first.binary_search(u).is_err())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A name for messages: the paths given, comma separated.
fn set_name(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| sanitize::clean(&p.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// Whether `text` is a SAT metadata file (its header line starts with `Uuid~`).
fn is_metadata(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .get(..5)
        .is_some_and(|h| h.eq_ignore_ascii_case("uuid~"))
}

/// Reads a SAT metadata file into `m`; problems go to `p`.
fn read_metadata(file: &str, text: &str, m: &mut Metadata, p: &mut Problems) {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        p.add(
            file,
            "line 1",
            None,
            "the metadata header Uuid~RfcEmisor~…~Estatus~FechaCancelacion",
        );
        return;
    };
    let cols: Vec<String> = header.split('~').map(|c| c.trim().to_ascii_lowercase()).collect();
    let (Some(iu), Some(is)) = (
        cols.iter().position(|c| c == "uuid"),
        cols.iter().position(|c| c == "estatus"),
    ) else {
        p.add(
            file,
            "line 1",
            Some(header),
            "the metadata header Uuid~RfcEmisor~…~Estatus~FechaCancelacion (columns Uuid and Estatus)",
        );
        return;
    };
    m.files.push(file.to_owned());
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('~').map(str::trim).collect();
        let (Some(uuid), Some(status)) = (cells.get(iu), cells.get(is)) else {
            p.add(
                file,
                &format!("line {}", i + 1),
                Some(line),
                format!("{} fields separated by ~", cols.len()),
            );
            continue;
        };
        let cancelled = match *status {
            "0" => true,
            "1" => false,
            other => {
                p.add(
                    file,
                    &format!("line {}, Estatus", i + 1),
                    Some(other),
                    "1 (in force) or 0 (cancelled)",
                );
                continue;
            }
        };
        let uuid = uuid.to_ascii_uppercase();
        // Cancelled wins when a CFDI is listed twice (two downloads).
        let e = m.status.entry(uuid).or_insert(false);
        *e |= cancelled;
    }
}

/// One file's text: UTF-8 without its byte order mark, or a problem.
fn utf8<'a>(file: &str, bytes: &'a [u8], p: &mut Problems) -> Option<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Some(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(_) => {
            p.add(
                file,
                "file",
                None,
                "UTF-8 text, as the SAT issues CFDI and their metadata",
            );
            None
        }
    }
}

/// The entries of a zip: XML read as CFDI, SAT metadata text read as such,
/// anything else counted and left. Sizes are checked before unpacking, and
/// again while reading (a header may lie).
fn read_zip(path: &Path, set: &mut CfdiSet, p: &mut Problems) {
    use std::io::Read;
    let zname = sanitize::clean(&path.display().to_string());
    let f = match super::open_regular(path) {
        Ok(f) => f,
        Err(e) => {
            let why = e.problems.first().map(|p| p.expected.clone()).unwrap_or_default();
            p.add(&zname, "file", None, why);
            return;
        }
    };
    if f.metadata().map(|m| m.len()).unwrap_or(0) > MAX_ZIP_BYTES {
        p.add(
            &zname,
            "file",
            None,
            format!("a zip of at most {} MiB", MAX_ZIP_BYTES / 1024 / 1024),
        );
        return;
    }
    let mut zip = match zip::ZipArchive::new(std::io::BufReader::new(f)) {
        Ok(z) => z,
        Err(e) => {
            p.add(
                &zname,
                "file",
                None,
                format!("a zip file ({})", sanitize::clean(&e.to_string())),
            );
            return;
        }
    };
    if zip.len() > MAX_CFDI_FILES {
        p.add(
            &zname,
            "file",
            None,
            format!("at most {MAX_CFDI_FILES} entries (this zip has {})", zip.len()),
        );
        return;
    }
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                p.add(
                    &zname,
                    &format!("entry {}", i + 1),
                    None,
                    format!("a readable entry ({})", sanitize::clean(&e.to_string())),
                );
                return;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let ename = match entry.name() {
            Ok(n) => sanitize::clean(&n),
            Err(_) => sanitize::clean(&String::from_utf8_lossy(entry.name_raw())),
        };
        let file = format!("{zname}/{ename}");
        let (xml, txt) = (has_ext(Path::new(&ename), "xml"), has_ext(Path::new(&ename), "txt"));
        if !xml && !txt {
            continue;
        }
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        if size > MAX_CFDI_BYTES || (size > 1024 * 1024 && size / packed > MAX_ZIP_RATIO) {
            p.add(
                &file,
                "file",
                None,
                format!(
                    "an entry under {} MiB that unpacks to at most {MAX_ZIP_RATIO} times its size",
                    MAX_CFDI_BYTES / 1024 / 1024
                ),
            );
            return;
        }
        unpacked += size;
        if unpacked > super::table::MAX_UNPACKED_BYTES {
            p.add(
                &zname,
                "file",
                None,
                format!(
                    "a zip whose entries unpack to at most {} MiB",
                    super::table::MAX_UNPACKED_BYTES / 1024 / 1024
                ),
            );
            return;
        }
        let mut bytes = Vec::with_capacity(size as usize);
        if let Err(e) = (&mut entry).take(MAX_CFDI_BYTES + 1).read_to_end(&mut bytes) {
            p.add(
                &file,
                "file",
                None,
                format!("a readable entry ({})", sanitize::clean(&e.to_string())),
            );
            return;
        }
        if bytes.len() as u64 > MAX_CFDI_BYTES {
            p.add(
                &file,
                "file",
                None,
                format!("a CFDI under {} MiB", MAX_CFDI_BYTES / 1024 / 1024),
            );
            return;
        }
        read_bytes(&file, &bytes, xml, set, p);
    }
}

/// One file's bytes: a CFDI when `xml`, else SAT metadata when it reads as such.
fn read_bytes(file: &str, bytes: &[u8], xml: bool, set: &mut CfdiSet, p: &mut Problems) {
    if xml {
        set.files += 1;
        if let Some(text) = utf8(file, bytes, p)
            && let Some(d) = read_doc(file, text, p)
        {
            set.docs.push(d);
        }
    } else if let Ok(text) = std::str::from_utf8(bytes)
        && is_metadata(text)
    {
        read_metadata(file, text, &mut set.metadata, p);
    }
}

/// Reads every CFDI under `paths`: `.xml` files, folders (recursively) and
/// `.zip` files (read in memory, never unpacked to disk); SAT metadata files
/// found among them (`.txt` whose header starts `Uuid~`) or given as
/// `metadata` mark cancelled CFDI. One bad file refuses the set.
pub fn read_set(paths: &[PathBuf], metadata: Option<&Path>) -> Result<CfdiSet, ImportError> {
    let name = set_name(paths);
    let mut p = Problems { list: Vec::new() };
    let mut set = CfdiSet {
        name: name.clone(),
        ..CfdiSet::default()
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        let shown = sanitize::clean(&path.display().to_string());
        let meta =
            std::fs::metadata(&path).map_err(|e| super::Collector::whole(&shown, format!("a readable path ({e})")))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(&path)
                .map_err(|e| super::Collector::whole(&shown, format!("a readable folder ({e})")))?;
            for entry in entries {
                let entry = entry.map_err(|e| super::Collector::whole(&shown, format!("a readable folder ({e})")))?;
                let path = entry.path();
                if path.is_dir() || has_ext(&path, "xml") || has_ext(&path, "zip") || has_ext(&path, "txt") {
                    stack.push(path);
                }
            }
        } else {
            files.push(path);
        }
        if files.len() > MAX_CFDI_FILES {
            return Err(super::Collector::whole(
                &name,
                format!("at most {MAX_CFDI_FILES} CFDI files in one import; import a year or a month at a time"),
            ));
        }
    }
    files.sort();
    files.dedup();
    for path in &files {
        let shown = sanitize::clean(&path.display().to_string());
        if has_ext(path, "zip") {
            read_zip(path, &mut set, &mut p);
            continue;
        }
        let txt = has_ext(path, "txt");
        match read_file(path) {
            Ok(bytes) => read_bytes(&shown, &bytes, !txt, &mut set, &mut p),
            Err(why) => p.add(&shown, "file", None, why),
        }
    }
    if let Some(m) = metadata {
        let shown = sanitize::clean(&m.display().to_string());
        match read_file(m) {
            Ok(bytes) => {
                if let Some(text) = utf8(&shown, &bytes, &mut p) {
                    read_metadata(&shown, text, &mut set.metadata, &mut p);
                }
            }
            Err(why) => p.add(&shown, "file", None, why),
        }
    }
    if set.docs.len() > MAX_CFDI_FILES {
        p.add(
            &name,
            "file",
            None,
            format!("at most {MAX_CFDI_FILES} CFDI files in one import; import a year or a month at a time"),
        );
    }
    if p.list.is_empty() && set.files == 0 {
        return Err(super::Collector::whole(
            &name,
            "at least one CFDI .xml file (alone, in a folder or in a .zip)",
        ));
    }
    p.into_result(&name, set)
}

/// A regular file of at most [`MAX_CFDI_BYTES`], or why not.
fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f =
        super::open_regular(path).map_err(|e| e.problems.first().map(|p| p.expected.clone()).unwrap_or_default())?;
    let mut bytes = Vec::new();
    f.take(MAX_CFDI_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("a readable file ({e})"))?;
    if bytes.len() as u64 > MAX_CFDI_BYTES {
        return Err(format!("a file under {} MiB", MAX_CFDI_BYTES / 1024 / 1024));
    }
    Ok(bytes)
}

/// An element's attributes by local name, unescaped; problems go to `p`.
fn attrs(e: &BytesStart<'_>, file: &str, el: &str, p: &mut Problems) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for a in e.attributes().with_checks(true) {
        match a {
            Ok(a) => {
                let key = a.key.local_name().as_ref().to_owned();
                match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                    Ok(v) => {
                        out.insert(key, v.trim().to_owned());
                    }
                    Err(err) => p.add(
                        file,
                        &format!("{el}/@{key}"),
                        None,
                        format!("a plain attribute value ({})", sanitize::clean(&err.to_string())),
                    ),
                }
            }
            Err(err) => {
                p.add(
                    file,
                    el,
                    None,
                    format!("well-formed attributes ({})", sanitize::clean(&err.to_string())),
                );
                break;
            }
        }
    }
    out
}

fn date_of(s: &str) -> Option<NaiveDate> {
    s.get(..10).and_then(|d| super::fields::date(d).ok())
}

fn amount_of(s: &str) -> Option<Decimal> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Decimal::from_str_exact(s).ok()
}

/// Reads one CFDI's text; problems go to `p`.
fn read_doc(file: &str, text: &str, p: &mut Problems) -> Option<Doc> {
    let file = file.to_owned();
    let before = p.list.len();
    let mut doc = Doc {
        file: file.clone(),
        ..Doc::default()
    };
    let mut reader = quick_xml::NsReader::from_str(text);
    let mut root_seen = false;
    let mut pago: Option<Pago> = None;
    let mut relation = String::new();
    let mut depth = 0usize;
    loop {
        let (ns, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let line = text[..(reader.buffer_position() as usize).min(text.len())]
                    .lines()
                    .count();
                p.add(
                    &file,
                    &format!("line {line}"),
                    None,
                    format!("well-formed XML ({})", sanitize::clean(&e.to_string())),
                );
                return None;
            }
        };
        let ns: String = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            _ => String::new(),
        };
        match ev {
            Event::DocType(_) => {
                p.add(
                    &file,
                    "DOCTYPE",
                    None,
                    "no DOCTYPE declaration (a CFDI has none; DTDs and external entities are never loaded)",
                );
                return None;
            }
            Event::Eof => {
                if depth > 0 {
                    p.add(
                        &file,
                        "end of file",
                        None,
                        "well-formed XML (the document ends before its elements are closed)",
                    );
                    return None;
                }
                break;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let local = e.local_name();
                if ns == NS_PAGOS
                    && local.as_ref() == "Pago"
                    && let Some(pg) = pago.take()
                {
                    doc.pagos.push(pg);
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(ev, Event::Start(_));
                let local = e.local_name();
                let local = local.as_ref();
                if !root_seen {
                    root_seen = true;
                    if ns == NS_CFDI33 {
                        p.add(
                            &file,
                            "cfdi:Comprobante",
                            Some("3.3"),
                            "a CFDI 4.0 (version 3.3 is not read)",
                        );
                        return None;
                    }
                    if ns != NS_CFDI || local != "Comprobante" {
                        p.add(
                            &file,
                            e.name().as_ref(),
                            None,
                            "a CFDI 4.0: the root element cfdi:Comprobante in http://www.sat.gob.mx/cfd/4",
                        );
                        return None;
                    }
                }
                let el = e.name().as_ref().to_owned();
                let found = attrs(e, &file, &el, p);
                let get = |name: &str| found.get(name).cloned().unwrap_or_default();
                if ns == NS_CFDI {
                    match local {
                        "Comprobante" if depth == 0 => {
                            doc.kind = get("TipoDeComprobante");
                            doc.serie = get("Serie");
                            doc.folio = get("Folio");
                            let fecha = get("Fecha");
                            doc.date = date_of(&fecha);
                            if doc.date.is_none() {
                                p.add(
                                    &file,
                                    "cfdi:Comprobante/@Fecha",
                                    Some(&fecha),
                                    "a date and time as YYYY-MM-DDThh:mm:ss",
                                );
                            }
                            let total = get("Total");
                            match amount_of(&total) {
                                Some(t) => doc.total = t,
                                None => p.add(&file, "cfdi:Comprobante/@Total", Some(&total), "a decimal amount ≥ 0"),
                            }
                            doc.currency = get("Moneda").trim().to_ascii_uppercase();
                            // An ISO 4217 code (XXX: no currency, as payments say).
                            if !(doc.currency.len() == 3 && doc.currency.bytes().all(|b| b.is_ascii_uppercase())) {
                                p.add(
                                    &file,
                                    "cfdi:Comprobante/@Moneda",
                                    Some(&doc.currency),
                                    "an ISO 4217 currency code such as MXN or USD",
                                );
                            }
                            doc.rate = positive(p, &file, "cfdi:Comprobante/@TipoCambio", &get("TipoCambio"));
                            doc.method = get("MetodoPago").to_ascii_uppercase();
                            doc.terms = get("CondicionesDePago");
                        }
                        "Emisor" => doc.issuer = get("Rfc").to_ascii_uppercase(),
                        "Receptor" => {
                            doc.receiver_rfc = get("Rfc").to_ascii_uppercase();
                            doc.receiver_name = get("Nombre");
                        }
                        "CfdiRelacionados" => relation = get("TipoRelacion"),
                        "CfdiRelacionado" => {
                            let uuid = get("UUID").to_ascii_uppercase();
                            doc.related.push((relation.clone(), uuid));
                        }
                        _ => {}
                    }
                } else if ns == NS_PAGOS {
                    match local {
                        "Pago" => {
                            let f = get("FechaPago");
                            let date = date_of(&f);
                            if date.is_none() {
                                p.add(
                                    &file,
                                    "pago20:Pago/@FechaPago",
                                    Some(&f),
                                    "a date and time as YYYY-MM-DDThh:mm:ss",
                                );
                            }
                            let pg = Pago {
                                date,
                                doctos: Vec::new(),
                                currency: get("MonedaP").to_ascii_uppercase(),
                                rate: positive(p, &file, "pago20:Pago/@TipoCambioP", &get("TipoCambioP")),
                            };
                            if is_start {
                                pago = Some(pg);
                            } else {
                                doc.pagos.push(pg);
                            }
                        }
                        "DoctoRelacionado" => {
                            let id = get("IdDocumento").to_ascii_uppercase();
                            let raw = get("ImpPagado");
                            let paid = amount_of(&raw);
                            if paid.is_none() {
                                p.add(
                                    &file,
                                    "pago20:DoctoRelacionado/@ImpPagado",
                                    Some(&raw),
                                    "a decimal amount ≥ 0",
                                );
                            }
                            let currency = get("MonedaDR").to_ascii_uppercase();
                            let equivalence = positive(
                                p,
                                &file,
                                "pago20:DoctoRelacionado/@EquivalenciaDR",
                                &get("EquivalenciaDR"),
                            );
                            match pago.as_mut() {
                                Some(pg) => pg.doctos.push(Docto {
                                    id,
                                    paid: paid.unwrap_or_default(),
                                    currency,
                                    equivalence,
                                }),
                                None => p.add(&file, "pago20:DoctoRelacionado", None, "to be inside a pago20:Pago"),
                            }
                        }
                        _ => {}
                    }
                } else if ns == NS_TFD && local == "TimbreFiscalDigital" {
                    doc.uuid = get("UUID").to_ascii_uppercase();
                }
                if is_start {
                    depth += 1;
                }
            }
            _ => {}
        }
    }
    if !root_seen {
        p.add(&file, "file", None, "a CFDI 4.0 XML document (the file is empty)");
        return None;
    }
    if doc.uuid.is_empty() {
        p.add(
            &file,
            "tfd:TimbreFiscalDigital/@UUID",
            None,
            "a stamped CFDI (the TimbreFiscalDigital complement with its UUID)",
        );
    }
    (p.list.len() == before).then_some(doc)
}

/// The CFDI of `set` applied to the company's kept ones (`prior`, read with
/// [`CfdiSet::lookups`]): every invoice it touches computed over both, exactly
/// as if all had come in one import; each document applied once.
pub fn plan(set: CfdiSet, prior: &[CfdiRecord], o: &Options) -> Result<CfdiData, ImportError> {
    let rfc = o.rfc.trim().to_ascii_uppercase();
    let currency = o.currency.to_ascii_uppercase();
    let mut p = Problems { list: Vec::new() };
    let mut data = CfdiData {
        files: set.files,
        ..CfdiData::default()
    };
    let cancelled: HashSet<&str> = set
        .metadata
        .status
        .iter()
        .filter(|(_, c)| **c)
        .map(|(u, _)| u.as_str())
        .collect();
    // The kept documents, once each.
    let mut stored: BTreeMap<String, Doc> = BTreeMap::new();
    let mut stored_links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in prior {
        if !stored.contains_key(&r.uuid) {
            match serde_json::from_str::<Doc>(&r.body) {
                Ok(d) => {
                    stored.insert(r.uuid.clone(), d);
                }
                Err(e) => p.add(
                    &format!("the stored CFDI {}", r.uuid),
                    "body",
                    None,
                    format!("a document as Katalis keeps it ({e})"),
                ),
            }
        }
        stored_links
            .entry(r.uuid.clone())
            .or_default()
            .push(r.invoice_uuid.clone());
    }
    // UUIDs are unique across the set.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for d in &set.docs {
        if let Some(prev) = seen.insert(d.uuid.as_str(), d.file.as_str()) {
            p.add(
                &d.file,
                "tfd:TimbreFiscalDigital/@UUID",
                Some(&d.uuid),
                format!("a UUID seen once (also in {prev})"),
            );
        }
    }
    // Which invoices this import bears on, and the documents it brings.
    let mut touched: HashSet<String> = HashSet::new();
    let mut new_docs: HashSet<String> = HashSet::new();
    for d in &set.docs {
        if d.issuer != rfc {
            if d.receiver_rfc == rfc {
                data.received += 1;
            } else {
                p.add(
                    &d.file,
                    "cfdi:Emisor/@Rfc",
                    Some(&d.issuer),
                    format!(
                        "a CFDI issued or received by {rfc} (its receptor is {})",
                        d.receiver_rfc
                    ),
                );
            }
            continue;
        }
        if cancelled.contains(d.uuid.as_str()) {
            data.cancelled += 1;
            continue;
        }
        if stored.contains_key(&d.uuid) {
            data.already += 1;
        }
        new_docs.insert(d.uuid.clone());
        match d.kind.as_str() {
            "I" => {
                touched.insert(d.uuid.clone());
            }
            "E" => touched.extend(d.related.iter().filter(|(t, _)| t == "01").map(|(_, u)| u.clone())),
            "P" => touched.extend(d.pagos.iter().flat_map(|pg| pg.doctos.iter().map(|dr| dr.id.clone()))),
            _ => {}
        }
    }
    // Kept documents now cancelled: dropped, and the invoices they bear on redone.
    for (uuid, links) in &stored_links {
        if cancelled.contains(uuid.as_str()) {
            data.write.removed_uuids.push(uuid.clone());
            touched.extend(links.iter().cloned());
        }
    }
    // Every document to apply: the kept ones, then this set's (the same
    // UUID is the same document, applied once), less the cancelled.
    let mut all: BTreeMap<&str, &Doc> = BTreeMap::new();
    for (u, d) in &stored {
        all.insert(u.as_str(), d);
    }
    for d in set.docs.iter().filter(|d| new_docs.contains(&d.uuid)) {
        all.insert(d.uuid.as_str(), d);
    }
    all.retain(|u, _| !cancelled.contains(u));
    let is_new = |d: &Doc| new_docs.contains(&d.uuid);

    // Issued invoices, in document currency until the end.
    struct Open<'a> {
        doc: &'a Doc,
        amount: Decimal,
        paid: Decimal,
        paid_date: Option<NaiveDate>,
        /// Each payment: its date, amount and rate (functional per unit).
        payments: Vec<FxPayment>,
    }
    let mut invoices: BTreeMap<&str, Open<'_>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for d in all.values().filter(|d| d.kind == "I") {
        if is_new(d) {
            data.invoices += 1;
            if d.currency != currency && d.currency != "MXN" && d.rate.is_none() {
                p.add(
                    &d.file,
                    "cfdi:Comprobante/@TipoCambio",
                    None,
                    format!("an exchange rate, since the CFDI is in {}", d.currency),
                );
            }
            if d.total.is_zero() {
                p.add(&d.file, "cfdi:Comprobante/@Total", Some("0"), "an invoice total > 0");
            }
        }
        invoices.insert(
            d.uuid.as_str(),
            Open {
                doc: d,
                amount: d.total,
                paid: Decimal::ZERO,
                paid_date: None,
                payments: Vec::new(),
            },
        );
    }
    // The order of the files read, then the invoices imported before.
    let mut placed: HashSet<&str> = HashSet::new();
    for d in set.docs.iter().chain(stored.values()) {
        if invoices.contains_key(d.uuid.as_str()) && placed.insert(d.uuid.as_str()) {
            order.push(d.uuid.as_str());
        }
    }
    // Documents kept: each new one, once per invoice it was applied to.
    let keep = |d: &Doc, invoice: &str, w: &mut CfdiWrite| {
        if let Ok(body) = serde_json::to_string(d) {
            w.records.push(CfdiRecord {
                uuid: d.uuid.clone(),
                invoice_uuid: invoice.to_owned(),
                kind: d.kind.clone(),
                body,
            });
        }
    };
    let unknown = |d: &Doc, el: &str, uuid: &str, p: &mut Problems, data: &mut CfdiData| {
        if o.skip_unknown {
            data.skipped.push((d.file.clone(), uuid.to_owned()));
        } else {
            p.add(
                &d.file,
                el,
                Some(uuid),
                "an invoice with this UUID in the import or the store (--skip-unknown imports the rest)",
            );
        }
    };
    for d in all.values() {
        let new = is_new(d);
        match d.kind.as_str() {
            "I" => {
                if new {
                    keep(d, &d.uuid, &mut data.write);
                }
            }
            "E" => {
                let related: Vec<&str> = d
                    .related
                    .iter()
                    .filter(|(t, _)| t == "01")
                    .map(|(_, u)| u.as_str())
                    .collect();
                if related.is_empty() {
                    if new {
                        data.other += 1;
                    }
                    continue;
                }
                if new {
                    data.credit_notes += 1;
                }
                let mut left = d.total;
                let mut complete = true;
                for uuid in related {
                    match invoices.get_mut(uuid) {
                        None => {
                            // A kept credit note's other invoices are not read here.
                            complete = false;
                            if new {
                                unknown(d, "cfdi:CfdiRelacionado/@UUID", uuid, &mut p, &mut data);
                            }
                        }
                        Some(inv) if inv.doc.currency != d.currency => p.add(
                            &d.file,
                            "cfdi:Comprobante/@Moneda",
                            Some(&d.currency),
                            format!("the currency of the invoice it credits ({})", inv.doc.currency),
                        ),
                        Some(inv) => {
                            let take = left.min(inv.amount);
                            inv.amount -= take;
                            left -= take;
                            if new {
                                keep(d, uuid, &mut data.write);
                            }
                        }
                    }
                }
                if new && complete && !left.is_zero() {
                    p.add(
                        &d.file,
                        "cfdi:Comprobante/@Total",
                        Some(&d.total.to_string()),
                        "a credit note no larger than what is left of the invoices it relates",
                    );
                }
            }
            "P" => {
                let mut kept: Vec<&str> = Vec::new();
                for pg in &d.pagos {
                    for dr in &pg.doctos {
                        match invoices.get_mut(dr.id.as_str()) {
                            None if !new => {}
                            None => unknown(d, "pago20:DoctoRelacionado/@IdDocumento", &dr.id, &mut p, &mut data),
                            Some(inv) if inv.doc.method == "PUE" => p.add(
                                &d.file,
                                "pago20:DoctoRelacionado/@IdDocumento",
                                Some(&dr.id),
                                "a payment for an invoice paid in installments (MetodoPago PPD); this one was paid at once (PUE)",
                            ),
                            Some(inv) if !dr.currency.is_empty() && dr.currency != inv.doc.currency => p.add(
                                &d.file,
                                "pago20:DoctoRelacionado/@MonedaDR",
                                Some(&dr.currency),
                                format!("the currency of the invoice it pays ({})", inv.doc.currency),
                            ),
                            Some(inv) => {
                                inv.paid += dr.paid;
                                inv.paid_date = inv.paid_date.max(pg.date);
                                if let Some(date) = pg.date {
                                    inv.payments.push(FxPayment {
                                        date,
                                        amount: dr.paid,
                                        rate: payment_rate(pg, dr, &inv.doc.currency, &currency),
                                    });
                                }
                                if new {
                                    data.payments += 1;
                                    if !is_new(inv.doc) {
                                        data.payments_to_stored += 1;
                                    }
                                    if !kept.contains(&dr.id.as_str()) {
                                        kept.push(dr.id.as_str());
                                    }
                                }
                            }
                        }
                    }
                }
                for uuid in kept {
                    keep(d, uuid, &mut data.write);
                }
            }
            _ => {
                if new {
                    data.other += 1;
                }
            }
        }
    }
    // Kept invoices now cancelled: removed.
    for (uuid, d) in &stored {
        if d.kind == "I" && cancelled.contains(uuid.as_str()) {
            data.write.removed_invoices.push(number_of(d));
            data.removed += 1;
        }
    }
    let mut numbers: HashMap<String, &str> = HashMap::new();
    for uuid in order {
        if !touched.contains(uuid) {
            continue;
        }
        let Some(inv) = invoices.get(uuid) else { continue };
        let d = inv.doc;
        let Some(issue) = d.date else { continue };
        if inv.amount.is_zero() {
            data.fully_credited += 1;
            if stored.contains_key(uuid) {
                data.write.removed_invoices.push(number_of(d));
                data.removed += 1;
            }
            continue;
        }
        let (paid, paid_date) = if d.method == "PUE" {
            (inv.amount, Some(issue))
        } else {
            (inv.paid, inv.paid_date)
        };
        if paid > inv.amount {
            p.add(
                &d.file,
                "cfdi:Comprobante/@Total",
                Some(&inv.amount.to_string()),
                format!("payments no larger than the invoice (they add up to {paid})"),
            );
            continue;
        }
        // In another currency: kept in it, with the CFDI's rates (pesos per
        // unit, so only for a company in pesos), booked before it is written.
        let fx = (d.currency != currency).then(|| {
            Box::new(InvoiceFx {
                currency: d.currency.clone(),
                amount: inv.amount,
                rate: d.rate.filter(|_| currency == "MXN"),
                payments: if d.method == "PUE" {
                    vec![FxPayment {
                        date: issue,
                        amount: inv.amount,
                        rate: d.rate.filter(|_| currency == "MXN"),
                    }]
                } else {
                    inv.payments.clone()
                },
            })
        });
        let amount = inv.amount;
        if amount.scale() > 4 {
            p.add(
                &d.file,
                "cfdi:Comprobante/@Total",
                Some(&amount.to_string()),
                "an amount with at most 4 decimals",
            );
        }
        let number = number_of(d);
        if let Some(other) = numbers.insert(number.clone(), d.file.as_str()) {
            p.add(
                &d.file,
                "cfdi:Comprobante/@Folio",
                Some(&number),
                format!("an invoice number used once (also in {other})"),
            );
        }
        let days = terms_days(&d.terms).unwrap_or(o.terms);
        let due = issue + chrono::Days::new(u64::from(days));
        if d.receiver_name.len() > super::MAX_TEXT_BYTES {
            p.add(
                &d.file,
                "cfdi:Receptor/@Nombre",
                Some(&d.receiver_name),
                format!("a name of at most {} bytes", super::MAX_TEXT_BYTES),
            );
            continue;
        }
        let customer = if d.receiver_name.trim().is_empty() {
            d.receiver_rfc.clone()
        } else {
            d.receiver_name.clone()
        };
        data.write.invoices.push(Invoice {
            number,
            customer,
            issue_date: issue,
            due_date: due,
            amount,
            paid_amount: paid,
            paid_date: if paid.is_zero() { None } else { paid_date },
            fx,
        });
    }
    data.write.removed_invoices.sort();
    data.write.removed_invoices.dedup();
    p.into_result(&set.name, data)
}

/// The pesos per unit of the invoice's currency a payment was received at:
/// `TipoCambioP` (pesos per unit of the payment's currency) ÷ `EquivalenciaDR`
/// (units of the invoice's currency per unit of the payment's). `None` (the
/// published rate of the day) for a company not in pesos, or when the
/// complement does not say.
fn payment_rate(pg: &Pago, dr: &Docto, invoice_currency: &str, company: &str) -> Option<Decimal> {
    if company != "MXN" || invoice_currency == company {
        return None;
    }
    let per_payment_unit = if pg.currency == "MXN" {
        Some(Decimal::ONE)
    } else {
        pg.rate
    }?;
    let equivalence = match dr.equivalence {
        Some(e) => e,
        None if pg.currency == invoice_currency => Decimal::ONE,
        None => return None,
    };
    per_payment_unit.checked_div(equivalence)
}

/// An optional exchange rate or equivalence: absent is `None`; present, it
/// must be a decimal above zero.
fn positive(p: &mut Problems, file: &str, at: &str, raw: &str) -> Option<Decimal> {
    if raw.is_empty() {
        return None;
    }
    let r = amount_of(raw).filter(|r| !r.is_zero());
    if r.is_none() {
        p.add(file, at, Some(raw), "an exchange rate > 0");
    }
    r
}

/// An invoice's number: `Serie-Folio`, `Folio` alone, else its UUID.
fn number_of(d: &Doc) -> String {
    match (d.serie.is_empty(), d.folio.is_empty()) {
        (false, false) => format!("{}-{}", d.serie, d.folio),
        (true, false) => d.folio.clone(),
        _ => d.uuid.clone(),
    }
}

/// `CondicionesDePago` as a number of days: the text's only number, when it has
/// exactly one ("30", "30 días", "Crédito a 45 días", "NET 60").
fn terms_days(s: &str) -> Option<u32> {
    let runs: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    match runs.as_slice() {
        [one] => one.parse().ok().filter(|d| *d <= 3650),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_terms() {
        assert_eq!(terms_days("30"), Some(30));
        assert_eq!(terms_days("Crédito a 45 días"), Some(45));
        assert_eq!(terms_days("NET 60"), Some(60));
        assert_eq!(terms_days("Contado"), None);
        assert_eq!(terms_days("30/60/90"), None);
    }
}

/// A payment a kept payment complement applied to a kept invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPayment {
    /// The complement's UUID.
    pub uuid: String,
    pub number: String,
    pub customer: String,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// From a company's kept CFDI (`I` and `P` rows): each invoice's UUID by its
/// number, and the payments the complements applied (for reconciliation: a
/// receipt that equals one confirms it instead of paying twice).
pub fn kept_payments(records: &[CfdiRecord]) -> (HashMap<String, String>, Vec<KeptPayment>) {
    let mut invoices: HashMap<String, (String, String)> = HashMap::new();
    let mut uuids = HashMap::new();
    let mut complements: Vec<Doc> = Vec::new();
    let mut seen = HashSet::new();
    for r in records {
        let Ok(d) = serde_json::from_str::<Doc>(&r.body) else {
            continue;
        };
        match r.kind.as_str() {
            "I" if r.uuid == r.invoice_uuid => {
                let number = number_of(&d);
                let customer = if d.receiver_name.trim().is_empty() {
                    d.receiver_rfc.clone()
                } else {
                    d.receiver_name.clone()
                };
                uuids.insert(number.clone(), r.uuid.clone());
                invoices.insert(r.uuid.to_uppercase(), (number, customer));
            }
            "P" if seen.insert(r.uuid.clone()) => complements.push(d),
            _ => {}
        }
    }
    let mut payments = Vec::new();
    for d in complements {
        for pago in &d.pagos {
            let Some(date) = pago.date.or(d.date) else { continue };
            for docto in &pago.doctos {
                if let Some((number, customer)) = invoices.get(&docto.id.to_uppercase()) {
                    payments.push(KeptPayment {
                        uuid: d.uuid.clone(),
                        number: number.clone(),
                        customer: customer.clone(),
                        date,
                        amount: docto.paid,
                    });
                }
            }
        }
    }
    (uuids, payments)
}
