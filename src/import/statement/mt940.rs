//! SWIFT MT940: `:20:` reference, `:25:` account, `:60F:`/`:60M:` opening,
//! `:61:` a line with its `:86:` details, `:62F:`/`:62M:` closing. A file may
//! hold several statements, and the SWIFT blocks `{1:…}{4:` … `-}` around them.

use super::{Statement, amount, at, text};
use crate::domain::BankLine;
use crate::import::ImportError;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

pub fn read(file: &str, src: &str) -> Result<Vec<Statement>, ImportError> {
    // Fields: a tag at the start of a line, its value the rest of the line and
    // every following line that does not start a tag.
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let body = line.trim_start_matches(['{', '}']);
        let body = body
            .strip_prefix("4:")
            .filter(|_| line.starts_with('{'))
            .unwrap_or(body);
        if let Some(rest) = body.strip_prefix(':')
            && let Some(end) = rest.find(':')
            && end <= 4
            && rest[..end].bytes().all(|b| b.is_ascii_alphanumeric())
        {
            fields.push((rest[..end].to_owned(), rest[end + 1..].to_owned(), i + 1));
        } else if line.starts_with('-') || line.starts_with('{') || line.trim().is_empty() {
            continue;
        } else if let Some(last) = fields.last_mut() {
            last.1.push('\n');
            last.1.push_str(line);
        }
    }
    if fields.is_empty() {
        return Err(at(file, "file", None, "an MT940 statement (no :20: field found)"));
    }
    let mut out = Vec::new();
    let mut s: Option<Statement> = None;
    let mut n = 0usize;
    for (tag, value, line) in fields {
        let place = format!(":{tag}: (line {line})");
        match tag.as_str() {
            "20" => {
                if let Some(done) = s.take() {
                    out.push(done);
                }
                s = Some(Statement::default());
            }
            "25" => {
                statement(&mut s, file, &place)?.account = Some(text(&value));
            }
            "60F" | "60M" => {
                let (v, _, ccy) = balance(file, &place, &value)?;
                let st = statement(&mut s, file, &place)?;
                st.currency = Some(ccy);
                if st.opening.is_none() {
                    st.opening = Some((v, place.clone()));
                }
            }
            "62F" | "62M" => {
                let (v, d, ccy) = balance(file, &place, &value)?;
                let st = statement(&mut s, file, &place)?;
                st.currencies.push((place.clone(), ccy));
                st.closing = Some((v, Some(d), place.clone()));
            }
            "61" => {
                n += 1;
                let l = entry(file, &format!(":61: {n} (line {line})"), &value)?;
                statement(&mut s, file, &place)?.lines.push(l);
            }
            "86" => {
                let st = statement(&mut s, file, &place)?;
                if let Some(l) = st.lines.last_mut() {
                    let info = details(&value);
                    if !info.is_empty() {
                        l.description = info;
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(done) = s.take() {
        out.push(done);
    }
    Ok(out)
}

fn statement<'a>(s: &'a mut Option<Statement>, file: &str, place: &str) -> Result<&'a mut Statement, ImportError> {
    s.as_mut()
        .ok_or_else(|| at(file, place, None, "a :20: field before it (the statement's start)"))
}

/// `C260101MXN1234,56` → (signed amount, date, currency).
fn balance(file: &str, place: &str, v: &str) -> Result<(Decimal, NaiveDate, String), ImportError> {
    let v = v.trim();
    let bad = || {
        at(
            file,
            place,
            Some(v.to_owned()),
            "C or D, a date YYMMDD, a currency and an amount, e.g. C260101MXN1234,56",
        )
    };
    if v.len() < 11 || !v.is_char_boundary(10) {
        return Err(bad());
    }
    let sign = &v[..1];
    let d = yymmdd(&v[1..7]).ok_or_else(bad)?;
    let ccy = v[7..10].to_ascii_uppercase();
    let a = amount(&v[10..]).map_err(|_| bad())?;
    match sign {
        "C" => Ok((a, d, ccy)),
        "D" => Ok((-a, d, ccy)),
        _ => Err(bad()),
    }
}

fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = s[..2].parse().ok()?;
    let year = if y >= 80 { 1900 + y } else { 2000 + y };
    NaiveDate::from_ymd_opt(year, s[2..4].parse().ok()?, s[4..6].parse().ok()?)
}

/// `:61:` — value date YYMMDD, entry date MMDD (optional), C/D/RC/RD, a funds
/// code letter (optional), the amount, the type (N/F/S + 3), the customer's
/// reference, `//` the bank's reference, and supplementary details on the next line.
fn entry(file: &str, place: &str, v: &str) -> Result<BankLine, ImportError> {
    let (first, supplementary) = v.split_once('\n').unwrap_or((v, ""));
    let bad = |what: &str| at(file, place, Some(first.to_owned()), what.to_owned());
    let b = first.as_bytes();
    if b.len() < 6 || !first.is_ascii() {
        return Err(bad("a value date YYMMDD, C or D, and an amount"));
    }
    let value = yymmdd(&first[..6]).ok_or_else(|| bad("a value date as YYMMDD"))?;
    let mut i = 6;
    let mut booked = value;
    if b.len() >= 10 && b[6..10].iter().all(u8::is_ascii_digit) {
        let (m, d): (u32, u32) = (first[6..8].parse().unwrap_or(0), first[8..10].parse().unwrap_or(0));
        // The entry date's year is the value date's, or the one beside it across New Year.
        booked = [value.year(), value.year() - 1, value.year() + 1]
            .into_iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
            .min_by_key(|d| (*d - value).num_days().abs())
            .ok_or_else(|| bad("an entry date as MMDD"))?;
        i = 10;
    }
    let rest = &first[i..];
    let (sign, rest) = if let Some(r) = rest.strip_prefix("RC") {
        (-1, r)
    } else if let Some(r) = rest.strip_prefix("RD") {
        (1, r)
    } else if let Some(r) = rest.strip_prefix('C') {
        (1, r)
    } else if let Some(r) = rest.strip_prefix('D') {
        (-1, r)
    } else {
        return Err(bad("C, D, RC or RD after the dates"));
    };
    let rest = match rest.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => &rest[1..],
        _ => rest,
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    let a = amount(&rest[..end]).map_err(|_| bad("an amount such as 1234,56"))?;
    let rest = &rest[end..];
    // Type: N, F or S and three characters.
    let rest = if rest.len() >= 4 && matches!(&rest[..1], "N" | "F" | "S") {
        &rest[4..]
    } else {
        rest
    };
    let (customer, bank) = match rest.split_once("//") {
        Some((c, b)) => (c, b),
        None => (rest, ""),
    };
    let customer = if customer == "NONREF" { "" } else { customer };
    let amount = if sign < 0 { -a } else { a };
    Ok(BankLine {
        date: booked,
        value_date: Some(value),
        amount,
        description: text(supplementary),
        counterparty: String::new(),
        reference: text(customer),
        bank_ref: text(bank),
        balance: None,
        at: crate::domain::Place::Named(place.into()),
    })
}

/// `:86:` details: structured ones (`?20…?29` purpose, `?32`/`?33` name) read
/// as their text, others as they are.
fn details(v: &str) -> String {
    let joined: String = v.lines().collect::<Vec<_>>().join("");
    if !joined.contains('?') {
        return text(&v.replace('\n', " "));
    }
    let mut parts = Vec::new();
    for seg in joined.split('?').skip(1) {
        if seg.len() >= 2 && seg[..2].bytes().all(|b| b.is_ascii_digit()) {
            let code: u32 = seg[..2].parse().unwrap_or(0);
            if (20..=29).contains(&code) || (32..=33).contains(&code) || (60..=63).contains(&code) {
                parts.push(seg[2..].to_owned());
            }
        }
    }
    if parts.is_empty() {
        text(&joined)
    } else {
        text(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_statement_with_its_balances() {
        let src = "{1:F01BANKMXMMAXXX0000000000}{2:O9401200260102BANKMXMMAXXX00000000002601021200N}{4:\n\
            :20:STMT-0001\n:25:012180001234567897\n:28C:1/1\n:60F:C261101MXN10000,00\n\
            :61:2611021102C1500,00NTRFF-001//BR0001\nSPEI RECIBIDO\n:86:Pago factura F-001 Cliente Uno\n\
            :61:261103D250,50NTRFNONREF//BR0002\n:86:CFE SUMINISTRADOR\n:62F:C261103MXN11249,50\n-}";
        let s = read("a.sta", src).unwrap();
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.account.as_deref(), Some("012180001234567897"));
        assert_eq!(s.currency.as_deref(), Some("MXN"));
        assert_eq!(s.opening.as_ref().unwrap().0.to_string(), "10000.00");
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].reference, "F-001");
        assert_eq!(s.lines[0].bank_ref, "BR0001");
        assert_eq!(s.lines[0].description, "Pago factura F-001 Cliente Uno");
        assert_eq!(s.lines[1].amount.to_string(), "-250.50");
        assert_eq!(s.lines[1].reference, "");
        assert_eq!(s.closing.as_ref().unwrap().0.to_string(), "11249.50");
    }
}
