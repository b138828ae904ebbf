//! Exchange-rate files a user downloads, read offline: Banxico SIE's CSV
//! export and its API JSON, the ECB's `eurofxref-hist.csv`, and a generic
//! `date,base,quote,rate` CSV (Banco de la República's TRM, BCB's PTAX,
//! anything else). Days nothing was published (`N/E`, `N/A`, empty) are
//! skipped; any other bad value is refused naming the file, the line, the
//! column and the value.

use crate::domain::fx::Rate;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Which file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Banxico,
    Ecb,
    Csv,
}

/// Banxico's series Katalis knows, as (base, quote): pesos per unit.
const BANXICO_SERIES: [(&str, &str, &str); 4] = [
    ("SF43718", "USD", "MXN"), // FIX
    ("SF60653", "USD", "MXN"), // para solventar obligaciones
    ("SF46410", "EUR", "MXN"),
    ("SF46406", "JPY", "MXN"),
];

fn series(id: &str) -> Result<(&'static str, &'static str), String> {
    BANXICO_SERIES
        .iter()
        .find(|(s, _, _)| s.eq_ignore_ascii_case(id.trim()))
        .map(|(_, b, q)| (*b, *q))
        .ok_or_else(|| {
            format!(
                "Banxico series {:?} is not one Katalis knows ({}): export it as a generic date,base,quote,rate CSV",
                crate::sanitize::clean(id.trim()),
                BANXICO_SERIES.map(|(s, b, q)| format!("{s} {b}/{q}")).join(", ")
            )
        })
}

/// Nothing published that day.
fn gap(v: &str) -> bool {
    matches!(v.trim().to_ascii_uppercase().as_str(), "" | "N/E" | "N/A" | "NA" | "-")
}

/// A rate: a plain positive decimal (no sign, exponent or separators).
fn rate(v: &str) -> Result<Decimal, String> {
    let t = v.trim();
    let plain = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') && t.matches('.').count() <= 1;
    match Decimal::from_str(t) {
        Ok(d) if plain && d > Decimal::ZERO => Ok(d),
        _ => Err("a rate: a plain decimal above 0, e.g. 16.9220".to_owned()),
    }
}

fn code(v: &str) -> Result<String, String> {
    let t = v.trim();
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err("a three-letter currency code, e.g. USD".to_owned())
    }
}

/// `what` on line `line` of `file` refused: one line naming all of it.
fn refuse(file: &str, line: usize, column: &str, value: &str, expected: &str) -> String {
    format!(
        "{file}: line {line}, column {column}, value {:?}: expected {expected}",
        crate::sanitize::clean(value)
    )
}

/// Reads `text` (the file's contents; `file` names it in messages) as `source`.
pub fn read(source: Source, file: &str, text: &str) -> Result<Vec<Rate>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match source {
        Source::Banxico if text.trim_start().starts_with('{') => banxico_json(file, text),
        Source::Banxico => banxico_csv(file, text),
        Source::Ecb => ecb(file, text),
        Source::Csv => generic(file, text),
    }
}

/// Which reader a file needs, from its first lines.
pub fn detect(text: &str) -> Option<Source> {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    if t.starts_with('{') && t.contains("\"bmx\"") {
        return Some(Source::Banxico);
    }
    let first = t.lines().next().unwrap_or("").to_ascii_lowercase();
    if first.starts_with("date,") && !first.contains("base") {
        return Some(Source::Ecb);
    }
    if first.replace(' ', "").starts_with("date,base,quote,rate") {
        return Some(Source::Csv);
    }
    t.lines()
        .take(30)
        .any(|l| l.trim_start_matches('"').to_ascii_lowercase().starts_with("fecha"))
        .then_some(Source::Banxico)
}

fn records(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// Title lines, then `Fecha,SF43718[,…]`, then `dd/mm/yyyy,16.9220`.
fn banxico_csv(file: &str, text: &str) -> Result<Vec<Rate>, String> {
    let mut out = Vec::new();
    let mut columns: Option<Vec<(&str, &str)>> = None;
    for (i, rec) in records(text).records().enumerate() {
        let rec = rec.map_err(|e| format!("{file}: line {}: {e}", i + 1))?;
        // The file's own line (blank lines are not records).
        let line = rec.position().map_or(i + 1, |p| p.line() as usize);
        let first = rec.get(0).unwrap_or("").trim();
        match &columns {
            None if first.eq_ignore_ascii_case("fecha") => {
                columns = Some(
                    rec.iter()
                        .skip(1)
                        .map(series)
                        .collect::<Result<_, _>>()
                        .map_err(|e| format!("{file}: line {line}: {e}"))?,
                );
            }
            None => {} // a title line
            Some(cols) => {
                if first.is_empty() {
                    continue;
                }
                let day = NaiveDate::parse_from_str(first, "%d/%m/%Y")
                    .map_err(|_| refuse(file, line, "Fecha", first, "a date dd/mm/yyyy"))?;
                for (j, (base, quote)) in cols.iter().enumerate() {
                    let v = rec.get(j + 1).unwrap_or("");
                    if gap(v) {
                        continue;
                    }
                    let r = rate(v).map_err(|e| refuse(file, line, &format!("{base}/{quote}"), v, &e))?;
                    out.push(Rate {
                        source: "banxico".into(),
                        day,
                        base: (*base).into(),
                        quote: (*quote).into(),
                        rate: r,
                    });
                }
            }
        }
    }
    if columns.is_none() {
        return Err(format!(
            "{file}: no line starting with Fecha: is it a Banxico SIE export?"
        ));
    }
    Ok(out)
}

/// `{"bmx": {"series": [{"idSerie": "SF43718", "datos": [{"fecha": "02/01/2024", "dato": "16.9220"}]}]}}`.
fn banxico_json(file: &str, text: &str) -> Result<Vec<Rate>, String> {
    #[derive(serde::Deserialize)]
    struct Top {
        bmx: Bmx,
    }
    #[derive(serde::Deserialize)]
    struct Bmx {
        series: Vec<Series>,
    }
    #[derive(serde::Deserialize)]
    struct Series {
        #[serde(rename = "idSerie")]
        id: String,
        #[serde(default)]
        datos: Vec<Dato>,
    }
    #[derive(serde::Deserialize)]
    struct Dato {
        fecha: String,
        dato: String,
    }
    let top: Top = serde_json::from_str(text).map_err(|e| format!("{file}: not Banxico's JSON: {e}"))?;
    let mut out = Vec::new();
    for s in top.bmx.series {
        let (base, quote) = series(&s.id).map_err(|e| format!("{file}: {e}"))?;
        for (k, d) in s.datos.iter().enumerate() {
            let at = format!("series {}, entry {}", crate::sanitize::clean(&s.id), k + 1);
            let day = NaiveDate::parse_from_str(d.fecha.trim(), "%d/%m/%Y").map_err(|_| {
                format!(
                    "{file}: {at}, fecha {:?}: expected a date dd/mm/yyyy",
                    crate::sanitize::clean(&d.fecha)
                )
            })?;
            if gap(&d.dato) {
                continue;
            }
            let r = rate(&d.dato)
                .map_err(|e| format!("{file}: {at}, dato {:?}: expected {e}", crate::sanitize::clean(&d.dato)))?;
            out.push(Rate {
                source: "banxico".into(),
                day,
                base: base.into(),
                quote: quote.into(),
                rate: r,
            });
        }
    }
    Ok(out)
}

/// `Date,USD,JPY,…,` then `2024-01-02,1.0956,155.52,…,`: units per euro.
fn ecb(file: &str, text: &str) -> Result<Vec<Rate>, String> {
    let mut out = Vec::new();
    let mut quotes: Vec<String> = Vec::new();
    for (i, rec) in records(text).records().enumerate() {
        let rec = rec.map_err(|e| format!("{file}: line {}: {e}", i + 1))?;
        // The file's own line (blank lines are not records).
        let line = rec.position().map_or(i + 1, |p| p.line() as usize);
        if i == 0 {
            if !rec.get(0).unwrap_or("").trim().eq_ignore_ascii_case("date") {
                return Err(format!(
                    "{file}: line 1: expected the header Date,USD,JPY,… of the ECB's file"
                ));
            }
            // The trailing comma makes an empty last column.
            quotes = rec.iter().skip(1).map(|c| c.trim().to_owned()).collect();
            for (j, q) in quotes.iter().enumerate() {
                if !q.is_empty() {
                    code(q).map_err(|e| refuse(file, line, &format!("{}", j + 2), q, &e))?;
                }
            }
            continue;
        }
        let first = rec.get(0).unwrap_or("").trim();
        if first.is_empty() {
            continue;
        }
        let day = NaiveDate::parse_from_str(first, "%Y-%m-%d")
            .map_err(|_| refuse(file, line, "Date", first, "a date YYYY-MM-DD"))?;
        for (j, q) in quotes.iter().enumerate() {
            let v = rec.get(j + 1).unwrap_or("");
            if q.is_empty() || gap(v) {
                continue;
            }
            let r = rate(v).map_err(|e| refuse(file, line, q, v, &e))?;
            out.push(Rate {
                source: "ecb".into(),
                day,
                base: "EUR".into(),
                quote: q.to_ascii_uppercase(),
                rate: r,
            });
        }
    }
    Ok(out)
}

/// `date,base,quote,rate` with that header, ISO dates.
fn generic(file: &str, text: &str) -> Result<Vec<Rate>, String> {
    let mut out = Vec::new();
    for (i, rec) in records(text).records().enumerate() {
        let rec = rec.map_err(|e| format!("{file}: line {}: {e}", i + 1))?;
        // The file's own line (blank lines are not records).
        let line = rec.position().map_or(i + 1, |p| p.line() as usize);
        let cell = |j: usize| rec.get(j).unwrap_or("").trim();
        if i == 0 {
            let header: Vec<String> = rec.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
            if header != ["date", "base", "quote", "rate"] {
                return Err(format!("{file}: line 1: expected the header date,base,quote,rate"));
            }
            continue;
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let day = NaiveDate::parse_from_str(cell(0), "%Y-%m-%d")
            .map_err(|_| refuse(file, line, "date", cell(0), "a date YYYY-MM-DD"))?;
        let base = code(cell(1)).map_err(|e| refuse(file, line, "base", cell(1), &e))?;
        let quote = code(cell(2)).map_err(|e| refuse(file, line, "quote", cell(2), &e))?;
        if base == quote {
            return Err(refuse(file, line, "quote", cell(2), "a currency other than the base"));
        }
        let r = rate(cell(3)).map_err(|e| refuse(file, line, "rate", cell(3), &e))?;
        out.push(Rate {
            source: "csv".into(),
            day,
            base,
            quote,
            rate: r,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn banxico_sie_csv_with_its_title_lines_and_gaps() {
        let text = "\u{feff}\"Banco de México\"\n\"Tipos de cambio\"\n\"Fecha de consulta: 04/12/2026\"\n\n\
                    \"Título\",\"Tipo de cambio Pesos por dólar E.U.A. Para solventar obligaciones (FIX)\"\n\
                    \"Fecha\",\"SF43718\"\n\"02/01/2024\",\"16.9220\"\n\"03/01/2024\",\"N/E\"\n\"04/01/2024\",\"17.0508\"\n";
        assert_eq!(detect(text), Some(Source::Banxico));
        let r = read(Source::Banxico, "fix.csv", text).unwrap();
        assert_eq!(r.len(), 2, "N/E skipped");
        assert_eq!(
            (r[0].day, r[0].base.as_str(), r[0].quote.as_str()),
            (d("2024-01-02"), "USD", "MXN")
        );
        assert_eq!(r[1].rate, "17.0508".parse().unwrap());
        assert_eq!(r[0].source, "banxico");
        let bad = text.replace("17.0508", "17,0508");
        let e = read(Source::Banxico, "fix.csv", &bad).unwrap_err();
        assert!(e.contains("fix.csv: line 9") && e.contains("17,0508"), "{e}");
        let unknown = text.replace("SF43718", "SP1");
        assert!(read(Source::Banxico, "fix.csv", &unknown).unwrap_err().contains("SP1"));
    }

    #[test]
    fn banxico_api_json() {
        let text = r#"{"bmx":{"series":[{"idSerie":"SF43718","titulo":"FIX","datos":[
            {"fecha":"02/01/2024","dato":"16.9220"},{"fecha":"03/01/2024","dato":"N/E"},
            {"fecha":"04/01/2024","dato":"17.0508"}]}]}}"#;
        assert_eq!(detect(text), Some(Source::Banxico));
        let r = read(Source::Banxico, "fix.json", text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].day, d("2024-01-04"));
        let e = read(Source::Banxico, "fix.json", &text.replace("17.0508", "-1")).unwrap_err();
        assert!(e.contains("entry 3") && e.contains("-1"), "{e}");
    }

    #[test]
    fn the_ecbs_history_with_its_trailing_comma_and_gaps() {
        let text = "Date,USD,JPY,BGN,\n2024-01-03,1.0919,155.52,1.9558,\n2024-01-02,1.0956,N/A,1.9558,\n";
        assert_eq!(detect(text), Some(Source::Ecb));
        let r = read(Source::Ecb, "eurofxref-hist.csv", text).unwrap();
        assert_eq!(r.len(), 5, "N/A skipped, the empty last column ignored");
        assert!(r.iter().all(|x| x.base == "EUR" && x.source == "ecb"));
        assert_eq!(
            r.iter().find(|x| x.quote == "JPY").map(|x| (x.day, x.rate)),
            Some((d("2024-01-03"), "155.52".parse().unwrap()))
        );
        let e = read(Source::Ecb, "h.csv", &text.replace("155.52", "abc")).unwrap_err();
        assert!(e.contains("h.csv: line 2, column JPY"), "{e}");
    }

    #[test]
    fn the_generic_csv_names_what_is_wrong() {
        let text = "date,base,quote,rate\n2024-01-02,USD,COP,3872.45\n2024-01-03,usd,brl,4.8916\n";
        assert_eq!(detect(text), Some(Source::Csv));
        let r = read(Source::Csv, "trm.csv", text).unwrap();
        assert_eq!((r[1].base.as_str(), r[1].quote.as_str()), ("USD", "BRL"));
        for (bad, col) in [
            ("2024-13-02,USD,COP,1", "date"),
            ("2024-01-02,US,COP,1", "base"),
            ("2024-01-02,USD,USD,1", "quote"),
            ("2024-01-02,USD,COP,0", "rate"),
            ("2024-01-02,USD,COP,1e3", "rate"),
        ] {
            let e = read(Source::Csv, "trm.csv", &format!("date,base,quote,rate\n{bad}\n")).unwrap_err();
            assert!(e.starts_with(&format!("trm.csv: line 2, column {col}")), "{bad}: {e}");
        }
        assert!(
            read(Source::Csv, "x.csv", "fecha,tasa\n")
                .unwrap_err()
                .contains("header")
        );
    }
}
