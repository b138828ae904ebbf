//! OFX/QFX statements, 1.x (SGML: leaf elements are never closed) and 2.x
//! (XML), read by one small tokenizer: aggregates must be closed, leaves may
//! be. `STMTTRN` lines, `LEDGERBAL` the closing balance, `CURDEF` the
//! currency. No DTD or entity declaration is ever read (one is refused).

use super::{Statement, amount, at, text};
use crate::domain::BankLine;
use crate::import::ImportError;
use chrono::NaiveDate;
use std::collections::HashMap;

/// An aggregate being read: its tag, the line it opened on, its leaves.
struct Open {
    tag: String,
    line: usize,
    leaves: HashMap<String, String>,
}

pub fn read(file: &str, src: &str) -> Result<Vec<Statement>, ImportError> {
    let upper_start = src.find("<OFX>").or_else(|| src.find("<ofx>"));
    let Some(start) = upper_start else {
        return Err(at(file, "file", None, "an OFX statement (no <OFX> element found)"));
    };
    if let Some(p) = src.find("<!DOCTYPE").or_else(|| src.find("<!ENTITY")) {
        let line = src[..p].matches('\n').count() + 1;
        return Err(at(
            file,
            &format!("line {line}"),
            None,
            "no DTD or entity declaration (they are never read)",
        ));
    }
    let mut line = src[..start].matches('\n').count() + 1;
    let mut stack: Vec<Open> = Vec::new();
    let mut out: Vec<Statement> = Vec::new();
    let mut current = Statement::default();
    let mut trn = 0usize;
    let mut last_leaf: Option<String> = None;
    let mut rest = &src[start..];
    while let Some(lt) = rest.find('<') {
        line += rest[..lt].matches('\n').count();
        rest = &rest[lt + 1..];
        let Some(gt) = rest.find('>') else {
            return Err(at(file, &format!("line {line}"), None, "a tag closed with >"));
        };
        let tag = rest[..gt].trim().to_ascii_uppercase();
        line += rest[..gt].matches('\n').count();
        rest = &rest[gt + 1..];
        let next = rest.find('<').unwrap_or(rest.len());
        let value = decode_entities(rest[..next].trim());
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if last_leaf.as_deref() == Some(name) {
                last_leaf = None;
                continue;
            }
            last_leaf = None;
            match stack.iter().rposition(|o| o.tag == name) {
                Some(i) if i + 1 == stack.len() => {
                    let done = stack.pop().expect("checked");
                    close(file, done, &mut current, &mut out, &mut trn, &mut stack)?;
                }
                Some(_) => {
                    let open = stack.last().expect("deeper than one");
                    return Err(at(
                        file,
                        &format!("{} (line {})", open.tag, open.line),
                        None,
                        format!(
                            "</{}> before </{name}> on line {line} (the element is not closed)",
                            open.tag
                        ),
                    ));
                }
                None => {
                    return Err(at(
                        file,
                        &format!("line {line}"),
                        Some(format!("</{name}>")),
                        "a closing tag of an open element",
                    ));
                }
            }
            continue;
        }
        if value.is_empty() {
            if let Some(open) = stack
                .iter()
                .find(|o| o.tag == tag && AGGREGATES_NOT_NESTED.contains(&tag.as_str()))
            {
                return Err(at(
                    file,
                    &format!("{} (line {})", open.tag, open.line),
                    None,
                    format!("</{tag}> before the next <{tag}> on line {line} (the element is not closed)"),
                ));
            }
            stack.push(Open {
                tag,
                line,
                leaves: HashMap::new(),
            });
            last_leaf = None;
        } else {
            if let Some(open) = stack.last_mut() {
                open.leaves.insert(tag.clone(), value);
            }
            last_leaf = Some(tag);
        }
    }
    if let Some(open) = stack.last() {
        return Err(at(
            file,
            &format!("{} (line {})", open.tag, open.line),
            None,
            format!("</{}> (the file ends before the element is closed)", open.tag),
        ));
    }
    if !current.lines.is_empty() || current.closing.is_some() {
        out.push(current);
    }
    if out.is_empty() {
        return Err(at(
            file,
            "file",
            None,
            "a bank statement (STMTRS or CCSTMTRS) in the OFX",
        ));
    }
    Ok(out)
}

/// Aggregates that never hold one of their own kind (a second one opening
/// means the first was not closed).
const AGGREGATES_NOT_NESTED: [&str; 6] = [
    "STMTTRN",
    "STMTRS",
    "CCSTMTRS",
    "BANKTRANLIST",
    "LEDGERBAL",
    "STMTTRNRS",
];

fn close(
    file: &str,
    done: Open,
    current: &mut Statement,
    out: &mut Vec<Statement>,
    trn: &mut usize,
    stack: &mut [Open],
) -> Result<(), ImportError> {
    let l = &done.leaves;
    match done.tag.as_str() {
        "STMTTRN" => {
            *trn += 1;
            let place = format!("STMTTRN {} (line {})", trn, done.line);
            let need = |k: &str| {
                l.get(k)
                    .cloned()
                    .ok_or_else(|| at(file, &place, None, format!("<{k}> in the transaction")))
            };
            let posted = need("DTPOSTED")?;
            let date = date(&posted).ok_or_else(|| {
                at(
                    file,
                    &format!("{place} DTPOSTED"),
                    Some(posted.clone()),
                    "a date as YYYYMMDD",
                )
            })?;
            let raw = need("TRNAMT")?;
            let amount = amount(&raw).map_err(|e| at(file, &format!("{place} TRNAMT"), Some(raw.clone()), e))?;
            let name = l.get("NAME").map(|s| text(s)).unwrap_or_default();
            let memo = l.get("MEMO").map(|s| text(s)).unwrap_or_default();
            let description = match (name.is_empty(), memo.is_empty()) {
                (false, false) if name != memo => format!("{name} {memo}"),
                (false, _) => name.clone(),
                (true, _) => memo,
            };
            let reference = l
                .get("CHECKNUM")
                .or_else(|| l.get("REFNUM"))
                .map(|s| text(s))
                .unwrap_or_default();
            if let Some(c) = l.get("CURSYM") {
                current.currencies.push((place.clone(), c.trim().to_owned()));
            }
            current.lines.push(BankLine {
                date,
                value_date: l.get("DTAVAIL").and_then(|d| date_of(d)),
                amount,
                description: if description.is_empty() {
                    l.get("TRNTYPE").map(|s| text(s)).unwrap_or_default()
                } else {
                    description
                },
                counterparty: name,
                reference,
                bank_ref: l.get("FITID").map(|s| text(s)).unwrap_or_default(),
                balance: None,
                at: crate::domain::Place::Named(place.into()),
            });
        }
        // A transaction's other currency: its symbol is the line's.
        "CURRENCY" | "ORIGCURRENCY" => {
            if let (Some(c), Some(parent)) = (l.get("CURSYM"), stack.last_mut()) {
                parent.leaves.insert("CURSYM".to_owned(), c.clone());
            }
        }
        "LEDGERBAL" => {
            let place = format!("LEDGERBAL (line {})", done.line);
            if let Some(raw) = l.get("BALAMT") {
                let v = amount(raw).map_err(|e| at(file, &format!("{place} BALAMT"), Some(raw.clone()), e))?;
                current.closing = Some((v, l.get("DTASOF").and_then(|d| date_of(d)), place));
            }
        }
        "BANKACCTFROM" | "CCACCTFROM" => {
            current.account = l.get("ACCTID").map(|s| text(s));
        }
        "STMTRS" | "CCSTMTRS" => {
            current.currency = l.get("CURDEF").map(|s| s.trim().to_ascii_uppercase());
            out.push(std::mem::take(current));
        }
        _ => {}
    }
    Ok(())
}

fn date_of(s: &str) -> Option<NaiveDate> {
    date(s)
}

/// `YYYYMMDD[HHMMSS[.XXX]][[gmt offset:tz name]]` → the day.
fn date(s: &str) -> Option<NaiveDate> {
    let d = s.trim().get(..8)?;
    NaiveDate::parse_from_str(d, "%Y%m%d").ok()
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SGML: &str = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n<BANKMSGSRSV1><STMTTRNRS><STMTRS>\n<CURDEF>MXN\n\
        <BANKACCTFROM><BANKID>002<ACCTID>0123456789<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST>\n\
        <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261102120000[-6:CST]<TRNAMT>1500.00<FITID>A1<NAME>Cliente &amp; Hijos<MEMO>F-001</STMTTRN>\n\
        <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261103<TRNAMT>-250,50<FITID>A2<NAME>CFE</STMTTRN>\n\
        </BANKTRANLIST>\n<LEDGERBAL><BALAMT>11249.50<DTASOF>20261103</LEDGERBAL>\n</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";

    #[test]
    fn reads_sgml_with_unclosed_leaves() {
        let s = read("a.ofx", SGML).unwrap();
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.currency.as_deref(), Some("MXN"));
        assert_eq!(s.account.as_deref(), Some("0123456789"));
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].description, "Cliente & Hijos F-001");
        assert_eq!(s.lines[0].counterparty, "Cliente & Hijos");
        assert_eq!(s.lines[1].amount.to_string(), "-250.50");
        assert_eq!(s.lines[1].bank_ref, "A2");
        assert_eq!(s.closing.as_ref().unwrap().0.to_string(), "11249.50");
    }

    #[test]
    fn a_missing_close_is_named_where_it_opened() {
        let broken = SGML.replacen("<MEMO>F-001</STMTTRN>", "<MEMO>F-001", 1);
        let e = read("b.ofx", &broken).unwrap_err().to_string();
        assert!(
            e.starts_with("b.ofx: STMTTRN (line 10): expected </STMTTRN> before the next <STMTTRN> on line 11"),
            "{e}"
        );
    }

    #[test]
    fn a_dtd_is_refused() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><OFX></OFX>";
        let e = read("c.ofx", xml).unwrap_err().to_string();
        assert!(e.contains("no DTD"), "{e}");
    }
}
