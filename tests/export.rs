//! `katalis export` and the interface's `X`: every view's table written as
//! CSV and XLSX, the XLSX read back (calamine) equal to the CSV and typed
//! (numbers as numbers, dates as dates), the figures equal to `report`'s,
//! text a spreadsheet would take for a formula kept as text, and a path that
//! cannot be written refused with nothing left behind. On SQLite and PostgreSQL.

mod common;

use calamine::{Data, Reader};
use common::{katalis_in, refused, stdout_ok};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A CSV of the export as rows of cells.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The first sheet of an XLSX file.
fn xlsx_rows(path: &std::path::Path) -> Vec<Vec<Data>> {
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// An XLSX cell against the CSV's text for it: numbers as number cells equal
/// to the decimal, dates and months as date cells, text as text.
fn same(x: &Data, csv: &str, header: &str, at: &str) {
    match x {
        Data::Empty => assert_eq!(csv, "", "{at}: empty in XLSX, {csv:?} in CSV"),
        Data::Float(f) => {
            let d = Decimal::from_str(csv).unwrap_or_else(|_| panic!("{at}: number {f} in XLSX, {csv:?} in CSV"));
            let f = Decimal::try_from(*f).unwrap();
            assert!((f - d).abs() < Decimal::new(1, 6), "{at}: {f} against {d}");
        }
        Data::Int(i) => assert_eq!(i.to_string(), csv, "{at}"),
        Data::DateTime(dt) => {
            let date = dt.as_datetime().unwrap().date();
            let shown = if csv.len() == 7 {
                date.format("%Y-%m").to_string()
            } else {
                date.to_string()
            };
            assert_eq!(shown, csv, "{at} ({header})");
        }
        Data::String(s) => {
            // CSV marks text that would be read as a formula with a leading quote.
            let csv = csv
                .strip_prefix('\'')
                .filter(|_| katalis::export::formula_like(s))
                .unwrap_or(csv);
            assert_eq!(s, csv, "{at} ({header})");
            assert!(
                Decimal::from_str(s).is_err() || header.contains("Customer") || header.contains("Number"),
                "{at}: the figure {s:?} was written as text"
            );
        }
        other => panic!("{at}: unexpected cell {other:?}"),
    }
}

#[tokio::test]
async fn every_view_exports_whole_typed_and_equal_to_the_report() {
    for s in common::stores().await.into_iter().filter(|s| s.name != "pgbouncer") {
        let home = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| katalis_in(&s.url, home.path(), args);
        stdout_ok(&run(&["demo"]));
        stdout_ok(&run(&["--company", "Tallo Analytics", "scenario", "create", "Plan B"]));
        stdout_ok(&run(&[
            "--company",
            "Tallo Analytics",
            "scenario",
            "lock",
            "Plan B",
            "--from",
            "2026-06",
        ]));
        for table in katalis::tui::sheet::Table::ALL {
            let view = table.key();
            let mut args = vec!["--company", "Tallo Analytics", "export", view];
            if matches!(view, "budget" | "compare") {
                args.extend(["--scenario", "Plan B"]);
            }
            let csv = stdout_ok(&run(&args));
            let rows = csv_rows(&csv);
            assert!(rows.len() > 1, "{}: {view} exported no rows:\n{csv}", s.name);
            let out = home.path().join(format!("{view}.xlsx"));
            let mut x_args = args.clone();
            let out_s = out.to_str().unwrap();
            x_args.extend(["--format", "xlsx", "--out", out_s]);
            let said = String::from_utf8_lossy(&run(&x_args).stderr).into_owned();
            assert!(
                said.contains(&format!("wrote {} rows", rows.len() - 1)),
                "{}: {view}: {said}",
                s.name
            );
            let x = xlsx_rows(&out);
            assert_eq!(x.len(), rows.len(), "{}: {view}: rows", s.name);
            for (i, (xr, cr)) in x.iter().zip(&rows).enumerate() {
                for (j, c) in cr.iter().enumerate() {
                    let cell = xr.get(j).unwrap_or(&Data::Empty);
                    let header = &rows[0][j];
                    if i == 0 {
                        // The unit once per column: a ratio is a percentage in XLSX.
                        let bare = |h: &str| h.replace(" (ratio)", "").replace(" (%)", "");
                        assert_eq!(bare(&cell.to_string()), bare(c), "{}: {view}: header {j}", s.name);
                        if c.ends_with("(ratio)") {
                            assert!(cell.to_string().contains('%'), "{}: {view}: {cell}", s.name);
                        }
                    } else {
                        same(cell, c, header, &format!("{}: {view} row {i} column {j}", s.name));
                    }
                }
            }
            // Tables of figures: at least one figure is a number cell.
            assert!(
                x.iter().skip(1).flatten().any(|c| matches!(c, Data::Float(_))),
                "{}: {view}: no number cells",
                s.name
            );
        }

        // The latest month's row equals `report` for the same month, here and at an earlier one.
        for as_of in [None, Some("2026-06")] {
            let at = |args: &[&str]| {
                let mut v = vec!["--company", "Tallo Analytics"];
                v.extend_from_slice(args);
                if let Some(m) = as_of {
                    v.extend(["--as-of", m]);
                }
                stdout_ok(&run(&v))
            };
            let report: serde_json::Value = serde_json::from_str(&at(&["report", "--format", "json"])).unwrap();
            let cash = csv_rows(&at(&["export", "cash-months"]));
            let units = csv_rows(&at(&["export", "unit-economics"]));
            let month = report["as_of"].as_str().unwrap();
            assert_eq!(cash[1][0], month, "{}: newest month first", s.name);
            let num = |v: &serde_json::Value| Decimal::from_str(v.as_str().unwrap_or(&v.to_string())).unwrap();
            let cell = |t: &[Vec<String>], j: usize| Decimal::from_str(&t[1][j]).unwrap();
            let cf = &report["cash_flow"];
            assert_eq!(
                cell(&cash, 2),
                num(&cf["cash_end"]),
                "{}: ending cash at {month}",
                s.name
            );
            assert_eq!(cell(&cash, 3), num(&cf["net_burn"]), "{}: net burn at {month}", s.name);
            assert_eq!(
                cell(&cash, 5),
                num(&cf["runway_months"]).round_dp(1),
                "{}: runway at {month}",
                s.name
            );
            let ue = &report["unit_economics"];
            assert_eq!(cell(&units, 4), num(&ue["customer_churn"]), "{}: churn", s.name);
            assert_eq!(cell(&units, 5), num(&ue["arpa"]), "{}: ARPA", s.name);
            assert_eq!(cell(&units, 6), num(&ue["ltv"]), "{}: LTV", s.name);
            assert_eq!(cell(&units, 7), num(&ue["cac"]), "{}: CAC", s.name);
        }
    }
}

#[tokio::test]
async fn text_a_spreadsheet_would_run_stays_text() {
    for s in common::stores().await.into_iter().filter(|s| s.name != "pgbouncer") {
        let home = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| katalis_in(&s.url, home.path(), args);
        let inv = home.path().join("inv.csv");
        std::fs::write(
            &inv,
            "number,customer,issue_date,due_date,amount,paid_amount,paid_date\n\
             I-1,\"=HYPERLINK(\"\"x\"\")\",2025-05-01,2025-05-30,100.50,0,\n\
             I-2,+1,2025-05-01,2025-06-30,5,0,\n\
             I-3,@SUM(A1),2025-05-02,2025-06-30,7,0,\n\
             -4,-2,2025-05-02,2025-06-30,8,0,\n",
        )
        .unwrap();
        let fin = common::book("financials-canonical.csv");
        stdout_ok(&run(&[
            "import",
            "financials",
            fin.to_str().unwrap(),
            "--company",
            "Inj",
            "--create",
            "--currency",
            "USD",
        ]));
        stdout_ok(&run(&["import", "invoices", inv.to_str().unwrap(), "--company", "Inj"]));
        let csv = stdout_ok(&run(&["--company", "Inj", "export", "collections"]));
        let rows = csv_rows(&csv);
        let customers: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
        for name in ["'=HYPERLINK(\"x\")", "'+1", "'@SUM(A1)", "'-2"] {
            assert!(customers.contains(&name), "{}: {name} in {customers:?}", s.name);
        }
        assert!(rows[1..].iter().any(|r| r[0] == "'-4"), "{}: an invoice number", s.name);
        let out = home.path().join("inj.xlsx");
        stdout_ok(&run(&[
            "--company",
            "Inj",
            "export",
            "collections",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
        ]));
        let x = xlsx_rows(&out);
        let cells: Vec<&Data> = x[1..].iter().map(|r| &r[1]).collect();
        assert!(cells.contains(&&Data::String("=HYPERLINK(\"x\")".into())), "{cells:?}");
        assert!(cells.contains(&&Data::String("-2".into())), "{cells:?}");
        // No formula anywhere in the sheet; the amounts stay numbers.
        let mut wb = calamine::open_workbook_auto(&out).unwrap();
        let name = wb.sheet_names()[0].clone();
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "a formula was written"
        );
        assert!(x[1..].iter().all(|r| matches!(r[4], Data::Float(_))), "{x:?}");
    }
}

#[test]
fn a_path_that_cannot_be_written_is_one_line_and_leaves_nothing() {
    let (_d, url) = common::fresh_sqlite();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| katalis_in(&url, home.path(), args);
    stdout_ok(&run(&["demo"]));
    // A file where a directory should be.
    let blocker = home.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let bad = blocker.join("out.xlsx");
    for format in ["xlsx", "csv"] {
        let err = refused(&run(&[
            "export",
            "profitability",
            "--format",
            format,
            "--out",
            bad.to_str().unwrap(),
        ]));
        assert!(err.contains("cannot write") && err.contains("out.xlsx"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // A directory given as the file.
    let err = refused(&run(&[
        "export",
        "profitability",
        "--out",
        home.path().to_str().unwrap(),
    ]));
    assert!(err.contains("is a directory"), "{err}");
    // The temporary file is gone; the only things in HOME are ours.
    let left: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // XLSX is not written to a terminal; a view that does not exist is named.
    let err = refused(&run(&["export", "pricing", "--format", "xlsx"]));
    assert!(err.contains("--out"), "{err}");
    let o = run(&["export", "balance"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("collections"));
}
