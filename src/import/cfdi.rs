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
use crate::domain::Invoice;
use crate::sanitize;
use chrono::NaiveDate;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use rust_decimal::{Decimal, RoundingStrategy};
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

#[derive(Debug, Clone, Default)]
struct Docto {
    id: String,
    paid: Decimal,
    currency: String,
}

#[derive(Debug, Clone, Default)]
struct Pago {
    date: Option<NaiveDate>,
    doctos: Vec<Docto>,
}

/// The parts of one CFDI that matter here.
#[derive(Debug, Clone, Default)]
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

/// What a set of CFDI yields, and what was left out.
#[derive(Debug, Clone, Default)]
pub struct CfdiData {
    pub invoices: Vec<Invoice>,
    pub files: usize,
    pub payments: usize,
    pub credit_notes: usize,
    pub received: usize,
    /// Issued CFDIs of other types (T, N) and credit notes without an `01` relation.
    pub other: usize,
    /// Invoices fully cancelled by credit notes: not imported.
    pub fully_credited: usize,
}

/// Problems per file; the first file's are listed, the rest counted.
struct Problems {
    list: Vec<(String, Problem)>,
}

impl Problems {
    fn add(&mut self, file: &str, element: &str, value: Option<&str>, expected: impl Into<String>) {
        self.list.push((
            file.to_owned(),
            Problem {
                row: None,
                column: Some(element.to_owned()),
                value: value.map(shorten),
                expected: expected.into(),
            },
        ));
    }

    fn into_result<T>(self, v: T) -> Result<T, ImportError> {
        let Some((first, _)) = self.list.first().cloned() else {
            return Ok(v);
        };
        let total = self.list.len();
        let problems: Vec<Problem> = self
            .list
            .into_iter()
            .map(|(f, mut p)| {
                if f != first {
                    p.column = Some(format!("{f}: {}", p.column.unwrap_or_default()));
                }
                p
            })
            .take(super::MAX_LISTED)
            .collect();
        Err(ImportError {
            file: first,
            more: total - problems.len(),
            problems,
        })
    }
}

/// Every `.xml` under `paths` (folders recursively), sorted.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        let name = sanitize::clean(&p.display().to_string());
        let meta =
            std::fs::metadata(&p).map_err(|e| super::Collector::whole(&name, format!("a readable path ({e})")))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(&p)
                .map_err(|e| super::Collector::whole(&name, format!("a readable folder ({e})")))?;
            for entry in entries {
                let entry = entry.map_err(|e| super::Collector::whole(&name, format!("a readable folder ({e})")))?;
                let path = entry.path();
                let is_xml = path
                    .extension()
                    .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("xml"));
                if path.is_dir() || is_xml {
                    stack.push(path);
                }
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_CFDI_FILES {
        let name = paths
            .iter()
            .map(|p| sanitize::clean(&p.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(super::Collector::whole(
            &name,
            format!(
                "at most {MAX_CFDI_FILES} CFDI files in one import (found {}); import a year or a month at a time",
                out.len()
            ),
        ));
    }
    if out.is_empty() {
        let name = paths
            .iter()
            .map(|p| sanitize::clean(&p.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(super::Collector::whole(&name, "at least one CFDI .xml file"));
    }
    Ok(out)
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

/// Reads one CFDI file; problems go to `p`.
fn read_doc(path: &Path, p: &mut Problems) -> Option<Doc> {
    let file = sanitize::clean(&path.display().to_string());
    let meta = match super::open_regular(path).and_then(|f| {
        f.metadata()
            .map_err(|e| super::Collector::whole(&file, format!("a readable file ({e})")))
    }) {
        Ok(m) => m,
        Err(e) => {
            let why = e.problems.first().map(|p| p.expected.clone()).unwrap_or_default();
            p.add(&file, "file", None, why);
            return None;
        }
    };
    if meta.len() > MAX_CFDI_BYTES {
        p.add(
            &file,
            "file",
            None,
            format!("a CFDI under {} MiB", MAX_CFDI_BYTES / 1024 / 1024),
        );
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            p.add(&file, "file", None, format!("a readable file ({e})"));
            return None;
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(_) => {
            p.add(&file, "file", None, "UTF-8 XML, as the SAT issues CFDI");
            return None;
        }
    };
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
                            doc.currency = get("Moneda").to_ascii_uppercase();
                            let rate = get("TipoCambio");
                            if !rate.is_empty() {
                                match amount_of(&rate).filter(|r| !r.is_zero()) {
                                    Some(r) => doc.rate = Some(r),
                                    None => p.add(
                                        &file,
                                        "cfdi:Comprobante/@TipoCambio",
                                        Some(&rate),
                                        "an exchange rate > 0",
                                    ),
                                }
                            }
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
                            match pago.as_mut() {
                                Some(pg) => pg.doctos.push(Docto {
                                    id,
                                    paid: paid.unwrap_or_default(),
                                    currency,
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

/// Reads every CFDI in `files` and builds the company's invoices.
pub fn read_cfdi(files: &[PathBuf], rfc: &str, currency: &str, default_terms: u32) -> Result<CfdiData, ImportError> {
    let rfc = rfc.trim().to_ascii_uppercase();
    let currency = currency.to_ascii_uppercase();
    let mut p = Problems { list: Vec::new() };
    let docs: Vec<Doc> = files.iter().filter_map(|f| read_doc(f, &mut p)).collect();
    let mut data = CfdiData {
        files: files.len(),
        ..CfdiData::default()
    };
    // UUIDs are unique across the set.
    let mut by_uuid: HashMap<&str, &Doc> = HashMap::new();
    for d in &docs {
        if let Some(prev) = by_uuid.insert(d.uuid.as_str(), d) {
            p.add(
                &d.file,
                "tfd:TimbreFiscalDigital/@UUID",
                Some(&d.uuid),
                format!("a UUID seen once (also in {})", prev.file),
            );
        }
    }
    // Issued invoices, in document currency until the end.
    struct Open<'a> {
        doc: &'a Doc,
        amount: Decimal,
        paid: Decimal,
        paid_date: Option<NaiveDate>,
    }
    let mut invoices: BTreeMap<&str, Open<'_>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for d in &docs {
        let issued = d.issuer == rfc;
        if !issued {
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
        if d.kind == "I" {
            if d.currency != currency && d.rate.is_none() {
                p.add(
                    &d.file,
                    "cfdi:Comprobante/@TipoCambio",
                    None,
                    format!(
                        "an exchange rate, since the CFDI is in {} and the company in {currency}",
                        d.currency
                    ),
                );
            }
            if d.total.is_zero() {
                p.add(&d.file, "cfdi:Comprobante/@Total", Some("0"), "an invoice total > 0");
            }
            invoices.insert(
                d.uuid.as_str(),
                Open {
                    doc: d,
                    amount: d.total,
                    paid: Decimal::ZERO,
                    paid_date: None,
                },
            );
            if !order.contains(&d.uuid.as_str()) {
                order.push(d.uuid.as_str());
            }
        }
    }
    for d in docs.iter().filter(|d| d.issuer == rfc) {
        match d.kind.as_str() {
            "I" => {}
            "E" => {
                let related: Vec<&str> = d
                    .related
                    .iter()
                    .filter(|(t, _)| t == "01")
                    .map(|(_, u)| u.as_str())
                    .collect();
                if related.is_empty() {
                    data.other += 1;
                    continue;
                }
                data.credit_notes += 1;
                let mut left = d.total;
                for uuid in related {
                    match invoices.get_mut(uuid) {
                        None => p.add(
                            &d.file,
                            "cfdi:CfdiRelacionado/@UUID",
                            Some(uuid),
                            "the UUID of an invoice in this import",
                        ),
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
                        }
                    }
                }
                if !left.is_zero() {
                    p.add(
                        &d.file,
                        "cfdi:Comprobante/@Total",
                        Some(&d.total.to_string()),
                        "a credit note no larger than what is left of the invoices it relates",
                    );
                }
            }
            "P" => {
                for pg in &d.pagos {
                    for dr in &pg.doctos {
                        data.payments += 1;
                        match invoices.get_mut(dr.id.as_str()) {
                            None => p.add(
                                &d.file,
                                "pago20:DoctoRelacionado/@IdDocumento",
                                Some(&dr.id),
                                "the UUID of an invoice in this import",
                            ),
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
                            }
                        }
                    }
                }
            }
            _ => data.other += 1,
        }
    }
    let mut numbers: HashMap<String, &str> = HashMap::new();
    for uuid in order {
        let Some(inv) = invoices.get(uuid) else { continue };
        let d = inv.doc;
        let Some(issue) = d.date else { continue };
        if inv.amount.is_zero() {
            data.fully_credited += 1;
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
        let rate = if d.currency == currency {
            Decimal::ONE
        } else {
            d.rate.unwrap_or(Decimal::ONE)
        };
        let convert = |v: Decimal| {
            if rate == Decimal::ONE {
                v
            } else {
                (v * rate).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            }
        };
        let amount = convert(inv.amount);
        let paid = if paid == inv.amount { amount } else { convert(paid) };
        if amount.scale() > 4 {
            p.add(
                &d.file,
                "cfdi:Comprobante/@Total",
                Some(&amount.to_string()),
                "an amount with at most 4 decimals",
            );
        }
        let number = match (d.serie.is_empty(), d.folio.is_empty()) {
            (false, false) => format!("{}-{}", d.serie, d.folio),
            (true, false) => d.folio.clone(),
            _ => d.uuid.clone(),
        };
        if let Some(other) = numbers.insert(number.clone(), d.file.as_str()) {
            p.add(
                &d.file,
                "cfdi:Comprobante/@Folio",
                Some(&number),
                format!("an invoice number used once (also in {other})"),
            );
        }
        let days = terms_days(&d.terms).unwrap_or(default_terms);
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
        data.invoices.push(Invoice {
            number,
            customer,
            issue_date: issue,
            due_date: due,
            amount,
            paid_amount: paid,
            paid_date: if paid.is_zero() { None } else { paid_date },
        });
    }
    p.into_result(data)
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
