//! `cargo run --release --example xlsx_readback -- FILE.xlsx FILE.csv`: reads
//! an exported XLSX back (calamine) and compares it, cell by cell, with the
//! CSV export of the same table; scripts/bench runs it on a million rows.
//! Prints how many rows are equal, or the first difference (exit 1).

use calamine::{Data, Reader};
use std::process::ExitCode;

fn same(x: &Data, c: &str) -> bool {
    match x {
        Data::Empty => c.is_empty(),
        Data::Float(f) => c.parse::<f64>().is_ok_and(|v| (v - f).abs() <= 1e-9 * v.abs().max(1.0)),
        Data::Int(i) => c == i.to_string(),
        Data::DateTime(d) => d.as_datetime().is_some_and(|d| {
            let day = d.date();
            if c.len() == 7 {
                day.format("%Y-%m").to_string() == c
            } else {
                day.to_string() == c
            }
        }),
        Data::String(s) => s == c || (katalis::export::formula_like(s) && c.strip_prefix('\'') == Some(s)),
        _ => false,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, xlsx, csv] = args.as_slice() else {
        eprintln!("usage: xlsx_readback FILE.xlsx FILE.csv");
        return ExitCode::from(2);
    };
    let mut wb = calamine::open_workbook_auto(xlsx).expect("open the XLSX");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("read the sheet");
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(csv)
        .expect("open the CSV");
    let mut rows = range.rows();
    let mut n = 0usize;
    for (i, record) in csv.records().enumerate() {
        let record = record.expect("a CSV record");
        let Some(row) = rows.next() else {
            eprintln!("row {i}: in the CSV, not in the XLSX");
            return ExitCode::FAILURE;
        };
        for (j, c) in record.iter().enumerate() {
            let x = row.get(j).unwrap_or(&Data::Empty);
            // The header: the XLSX says a ratio in %, the CSV as a ratio.
            let ok = if i == 0 {
                x.to_string().replace(" (%)", "") == c.replace(" (ratio)", "")
            } else {
                same(x, c)
            };
            if !ok {
                eprintln!("row {i}, column {j}: XLSX {x:?}, CSV {c:?}");
                return ExitCode::FAILURE;
            }
        }
        n += 1;
    }
    if rows.next().is_some() {
        eprintln!("the XLSX has more rows than the CSV ({n})");
        return ExitCode::FAILURE;
    }
    println!("{} rows read back equal to the CSV", n.saturating_sub(1));
    ExitCode::SUCCESS
}
