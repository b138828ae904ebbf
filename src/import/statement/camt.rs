//! camt.053 (ISO 20022 bank-to-customer statements, versions .001.02 to
//! .001.08) on quick-xml, by namespace and local names: `Stmt` per statement,
//! `Bal` `OPBD`/`CLBD` (or `PRCD`) its opening and closing balances, `Ntry`
//! its lines. Only the five predefined entities and character references are
//! read; a DOCTYPE (and with it any DTD or entity) is refused.

use super::{Statement, amount, at, text};
use crate::domain::BankLine;
use crate::import::ImportError;
use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use rust_decimal::Decimal;

const NS: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.";

#[derive(Default)]
struct Bal {
    code: String,
    amount: String,
    ccy: String,
    credit: String,
    date: String,
    line: usize,
}

#[derive(Default)]
struct Entry {
    amount: String,
    ccy: String,
    credit: String,
    status: String,
    booked: String,
    value: String,
    svcr_ref: String,
    tx_svcr_ref: String,
    end_to_end: String,
    ustrd: Vec<String>,
    addtl: String,
    tx_addtl: String,
    debtor: String,
    creditor: String,
    line: usize,
}

pub fn read(file: &str, src: &str) -> Result<Vec<Statement>, ImportError> {
    let mut reader = quick_xml::NsReader::from_str(src);
    let mut path: Vec<String> = Vec::new();
    let mut textbuf = String::new();
    let mut out = Vec::new();
    let mut stmt: Option<Statement> = None;
    let mut bal: Option<Bal> = None;
    let mut entry: Option<Entry> = None;
    let mut entries = 0usize;
    let mut root = false;
    let line_at = |pos: u64| src[..(pos as usize).min(src.len())].matches('\n').count() + 1;
    loop {
        let pos = reader.buffer_position();
        let (ns, ev) = reader.read_resolved_event().map_err(|e| {
            at(
                file,
                &format!("line {}", line_at(pos)),
                None,
                format!("well-formed XML ({})", crate::sanitize::clean(&e.to_string())),
            )
        })?;
        let bound = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            _ => String::new(),
        };
        match ev {
            Event::DocType(_) => {
                return Err(at(
                    file,
                    "DOCTYPE",
                    None,
                    "no DOCTYPE declaration (a camt.053 has none; DTDs and entities are never loaded)",
                ));
            }
            Event::Start(e) => {
                let local = e.local_name().as_ref().to_owned();
                if !root {
                    root = true;
                    check_ns(file, &bound)?;
                }
                let line = line_at(pos);
                match (local.as_str(), path.last().map(String::as_str)) {
                    ("Stmt", _) => stmt = Some(Statement::default()),
                    ("Bal", Some("Stmt")) => bal = Some(Bal { line, ..Bal::default() }),
                    ("Ntry", Some("Stmt")) => {
                        entries += 1;
                        entry = Some(Entry {
                            line,
                            ..Entry::default()
                        })
                    }
                    ("Amt", Some("Ntry" | "Bal")) => {
                        let ccy = e
                            .try_get_attribute("Ccy")
                            .ok()
                            .flatten()
                            .map(|a| a.value.to_string())
                            .unwrap_or_default();
                        if let Some(en) = entry.as_mut().filter(|_| path.last().is_some_and(|p| p == "Ntry")) {
                            en.ccy = ccy;
                        } else if let Some(b) = bal.as_mut() {
                            b.ccy = ccy;
                        }
                    }
                    _ => {}
                }
                path.push(local);
                textbuf.clear();
            }
            Event::Empty(_) => {}
            Event::Text(t) => textbuf.push_str(&t.xml10_content()),
            Event::CData(t) => textbuf.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned),
                };
                match c {
                    Some(c) => textbuf.push_str(&c),
                    None => {
                        return Err(at(
                            file,
                            &format!("line {}", line_at(pos)),
                            Some(format!("&{name};")),
                            "only the predefined entities (&amp; &lt; &gt; &quot; &apos;) and character references",
                        ));
                    }
                }
            }
            Event::End(_) => {
                let value = text(&textbuf);
                textbuf.clear();
                let local = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let grand = path.len().checked_sub(2).map(|i| path[i].as_str()).unwrap_or("");
                if let Some(en) = entry.as_mut() {
                    match (grand, parent, local.as_str()) {
                        (_, "Ntry", "Amt") => en.amount = value,
                        (_, "Ntry", "CdtDbtInd") => en.credit = value,
                        (_, "Ntry", "Sts") | (_, "Sts", "Cd") if en.status.is_empty() => en.status = value,
                        (_, "BookgDt", "Dt" | "DtTm") => en.booked = value,
                        (_, "ValDt", "Dt" | "DtTm") => en.value = value,
                        (_, "Ntry", "AcctSvcrRef") => en.svcr_ref = value,
                        (_, "Refs", "AcctSvcrRef") if en.tx_svcr_ref.is_empty() => en.tx_svcr_ref = value,
                        (_, "Refs", "EndToEndId") if en.end_to_end.is_empty() && value != "NOTPROVIDED" => {
                            en.end_to_end = value
                        }
                        (_, "RmtInf", "Ustrd") => en.ustrd.push(value),
                        (_, "Ntry", "AddtlNtryInf") => en.addtl = value,
                        (_, "TxDtls", "AddtlTxInf") if en.tx_addtl.is_empty() => en.tx_addtl = value,
                        ("Dbtr", _, "Nm") | (_, "Dbtr", "Nm") if en.debtor.is_empty() => en.debtor = value,
                        ("Cdtr", _, "Nm") | (_, "Cdtr", "Nm") if en.creditor.is_empty() => en.creditor = value,
                        (_, "Stmt", "Ntry") => {
                            let done = entry.take().expect("in an entry");
                            if let (Some(s), Some(line)) = (stmt.as_mut(), to_line(file, done, entries)?) {
                                s.lines.push(line.0);
                                if !line.1.is_empty() {
                                    s.currencies
                                        .push((s.lines.last().expect("pushed").at.to_string(), line.1));
                                }
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                if let Some(b) = bal.as_mut() {
                    match (parent, local.as_str()) {
                        ("CdOrPrtry", "Cd") => b.code = value,
                        ("Bal", "Amt") => b.amount = value,
                        ("Bal", "CdtDbtInd") => b.credit = value,
                        ("Dt", "Dt" | "DtTm") => b.date = value,
                        ("Stmt", "Bal") => {
                            let done = bal.take().expect("in a balance");
                            if let Some(s) = stmt.as_mut() {
                                balance(file, done, s)?;
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match (parent, local.as_str()) {
                    ("Id", "IBAN") | ("Othr", "Id") if grand == "Id" || parent == "Id" => {
                        if let Some(s) = stmt.as_mut().filter(|_| path.iter().any(|p| p == "Acct")) {
                            s.account.get_or_insert(value);
                        }
                    }
                    ("Acct", "Ccy") => {
                        if let Some(s) = stmt.as_mut() {
                            s.currency = Some(value.to_ascii_uppercase());
                        }
                    }
                    (_, "Stmt") => {
                        if let Some(s) = stmt.take() {
                            out.push(s);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root {
        return Err(at(file, "file", None, "a camt.053 document (no XML element found)"));
    }
    if !path.is_empty() {
        return Err(at(
            file,
            "end of file",
            None,
            "well-formed XML (the document ends before its elements are closed)",
        ));
    }
    if out.is_empty() {
        return Err(at(file, "BkToCstmrStmt", None, "a statement (Stmt) in the document"));
    }
    Ok(out)
}

fn check_ns(file: &str, ns: &str) -> Result<(), ImportError> {
    let version = ns.strip_prefix(NS).and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(2..=8) => Ok(()),
        Some(v) => Err(at(
            file,
            "Document",
            Some(ns.to_owned()),
            format!("camt.053 versions .001.02 to .001.08 (this is .001.{v:02})"),
        )),
        None => Err(at(
            file,
            "Document",
            Some(ns.to_owned()),
            format!("a camt.053 document in the namespace {NS}NN"),
        )),
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn signed(file: &str, place: &str, raw: &str, credit: &str) -> Result<Decimal, ImportError> {
    let v = amount(raw).map_err(|e| at(file, &format!("{place} Amt"), Some(raw.to_owned()), e))?;
    match credit {
        "CRDT" => Ok(v),
        "DBIT" => Ok(-v),
        other => Err(at(
            file,
            &format!("{place} CdtDbtInd"),
            Some(other.to_owned()),
            "CRDT or DBIT",
        )),
    }
}

fn balance(file: &str, b: Bal, s: &mut Statement) -> Result<(), ImportError> {
    let place = format!("Bal {} (line {})", b.code, b.line);
    let v = signed(file, &place, &b.amount, &b.credit)?;
    if !b.ccy.is_empty() {
        s.currencies.push((place.clone(), b.ccy.clone()));
    }
    match b.code.as_str() {
        "OPBD" | "PRCD" if s.opening.is_none() => s.opening = Some((v, place)),
        "CLBD" => s.closing = Some((v, date(&b.date), place)),
        _ => {}
    }
    Ok(())
}

/// An entry as a line (with its own currency), or none when not booked.
fn to_line(file: &str, e: Entry, n: usize) -> Result<Option<(BankLine, String)>, ImportError> {
    let place = format!("Ntry {n} (line {})", e.line);
    if !e.status.is_empty() && e.status != "BOOK" {
        return Ok(None); // pending or informational: not yet on the account
    }
    let amount = signed(file, &place, &e.amount, &e.credit)?;
    let booked = date(&e.booked).or_else(|| date(&e.value)).ok_or_else(|| {
        at(
            file,
            &format!("{place} BookgDt"),
            Some(e.booked.clone()),
            "a date as YYYY-MM-DD",
        )
    })?;
    let counterparty = if amount.is_sign_negative() {
        e.creditor
    } else {
        e.debtor
    };
    let description = [e.ustrd.join(" "), e.addtl, e.tx_addtl]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| counterparty.clone());
    let bank_ref = if e.svcr_ref.is_empty() {
        e.tx_svcr_ref
    } else {
        e.svcr_ref
    };
    Ok(Some((
        BankLine {
            date: booked,
            value_date: date(&e.value),
            amount,
            description,
            counterparty,
            reference: e.end_to_end,
            bank_ref,
            balance: None,
            at: crate::domain::Place::Named(place.into()),
        },
        e.ccy,
    )))
}
