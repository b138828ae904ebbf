//! P&L and balance sheet exports with months across and accounts down, and
//! spreadsheets with the user's own headers imported with no flags, through
//! the binary on SQLite and PostgreSQL: each gives exactly the months of the
//! equivalent one-row-per-month file; every refusal names where and writes
//! nothing.

mod common;

use katalis::domain::MonthlyFinancials;
use katalis::store::{AnyStore, Store};
use std::path::PathBuf;
use std::process::Output;

use common::{refused as err, stderr_ok as ok};

fn fixture(p: &str) -> String {
    common::book(p).display().to_string()
}

fn run(url: &str, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    common::katalis_in(url, home.path(), args)
}

fn import(url: &str, company: &str, files: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["import", "financials"];
    args.extend(files);
    args.extend(["--company", company, "--create", "--currency", "MXN"]);
    args.extend(extra);
    run(url, &args)
}

async fn months(store: &AnyStore, company: &str) -> Vec<MonthlyFinancials> {
    let id = store.company(company).await.unwrap().id;
    store.financials(id).await.unwrap()
}

const ACROSS: &[&str] = &["--layout", "months-across"];

#[tokio::test]
async fn quickbooks_and_spanish_statements_give_the_months_of_the_equivalent_rows() {
    let expected = fixture("months-across-expected.csv");
    for ts in common::stores().await {
        let url = ts.url.as_str();
        ok(&import(url, "Rows", &[&expected], &[]));
        let want = months(&ts.store, "Rows").await;
        assert_eq!(want.len(), 6);

        // QuickBooks "Profit and Loss by Month" and "Balance Sheet by Month", one import.
        let said = ok(&import(
            url,
            "QB",
            &[&fixture("pnl-by-month-qb.csv"), &fixture("balance-by-month-qb.csv")],
            ACROSS,
        ));
        assert!(said.contains("imported 6 months"), "{said}");
        assert_eq!(months(&ts.store, "QB").await, want, "{}", ts.name);

        // An accountant's Spanish workbook: both statements, one sheet each, date cells.
        ok(&import(
            url,
            "Libro",
            &[&fixture("estados-financieros-es.xlsx")],
            ACROSS,
        ));
        assert_eq!(months(&ts.store, "Libro").await, want, "{}", ts.name);

        // A P&L alone fills the months that exist and keeps their other fields.
        ok(&import(url, "Mixto", &[&fixture("financials-canonical.csv")], &[]));
        let before = months(&ts.store, "Mixto").await;
        ok(&import(
            url,
            "Mixto",
            &[&fixture("resultados-es.csv")],
            &["--layout", "months-across", "--decimal-comma"],
        ));
        let after = months(&ts.store, "Mixto").await;
        for ((a, w), b) in after.iter().zip(&want).zip(&before) {
            assert_eq!(
                (
                    a.revenue,
                    a.cogs,
                    a.opex,
                    a.sales_marketing,
                    a.depreciation,
                    a.other_income
                ),
                (
                    w.revenue,
                    w.cogs,
                    w.opex,
                    w.sales_marketing,
                    w.depreciation,
                    w.other_income
                ),
                "{}",
                a.month
            );
            assert_eq!(
                (a.cash_end, a.customers_end),
                (b.cash_end, b.customers_end),
                "{}",
                a.month
            );
        }
        // The report of the QuickBooks company equals the rows company's.
        let report = |c: &str| {
            let mut v: serde_json::Value = serde_json::from_str(&common::stdout_ok(&run(
                url,
                &["--company", c, "report", "--format", "json"],
            )))
            .unwrap();
            v.as_object_mut().unwrap().remove("company");
            v
        };
        assert_eq!(report("QB"), report("Rows"), "{}", ts.name);
    }
}

#[tokio::test]
async fn a_dry_run_lists_every_account_row_and_the_months() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let o = import(
            url,
            "D",
            &[&fixture("pnl-by-month-qb.csv"), &fixture("balance-by-month-qb.csv")],
            &["--layout", "months-across", "--dry-run"],
        );
        let out = common::stdout_ok(&o);
        for line in [
            "Advertising & Marketing → opex + sales_marketing",
            "Depreciation Expense → opex + depreciation",
            "Bank Charges → −other_income",
            "Checking → cash_end",
            "Accounts Receivable (A/R) → read past",
            "Total Income → subtotal (read past)",
            "2025-06  104400.00  36600.60  46250.25",
        ] {
            assert!(out.contains(line), "{line:?} in\n{out}");
        }
        assert!(ts.store.company("D").await.is_err(), "a dry run created the company");
    }
}

#[tokio::test]
async fn refusals_name_the_row_or_the_month_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stray: PathBuf = dir.path().join("stray.csv");
    std::fs::write(
        &stray,
        "P&L\n,Jan 2025,Feb 2025\nConsulting,100.00,200.00\nIncome,,\nSales,1.00,2.00\n",
    )
    .unwrap();
    let unknown: PathBuf = dir.path().join("mis-numeros.csv");
    std::fs::write(
        &unknown,
        "Mes,Ventas netas,Costo de ventas,Gastos operativos,Saldo según el contador\n2025-01,10,5,3,100\n",
    )
    .unwrap();
    for ts in common::stores().await {
        let url = ts.url.as_str();
        ok(&import(url, "T", &[&fixture("financials-canonical.csv")], &[]));
        let before = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
        let cases: Vec<(Vec<&str>, Vec<&str>, &str)> = vec![
            (
                vec![stray.to_str().unwrap()],
                ACROSS.to_vec(),
                "stray.csv: row 3, column A, value \"Consulting\": expected an account under a section",
            ),
            (vec![stray.to_str().unwrap()], vec![], "add: --map month=COLUMN"),
            (
                vec![unknown.to_str().unwrap()],
                vec![],
                "no column was found for cash_end (nothing imported)",
            ),
        ];
        for (files, extra, expected) in cases {
            let e = err(&import(url, "T", &files, &extra));
            assert!(e.contains(expected), "{}: {files:?}\n{e}", ts.name);
            let after = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
            assert_eq!(before, after, "{}: {files:?} changed the store", ts.name);
        }
        let e = err(&import(url, "T", &[unknown.to_str().unwrap()], &[]));
        assert!(e.contains("add: --map cash_end=COLUMN"), "{e}");
        assert!(
            e.contains("guessed: --map month=\"Mes\" --map revenue=\"Ventas netas\""),
            "{e}"
        );
        // A P&L alone for months the company does not have: refused, naming the month.
        let e = err(&import(url, "New", &[&fixture("pnl-by-month-qb.csv")], ACROSS));
        assert!(
            e.contains(
                "expected cash_end for 2025-01 to 2025-06 (6 months): not in the store yet and in no file given"
            ),
            "{e}"
        );
        assert!(ts.store.company("New").await.is_err(), "{}", ts.name);
    }
}

#[tokio::test]
async fn a_spanish_headed_workbook_imports_with_no_flags() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        ok(&import(url, "Canon", &[&fixture("financials-canonical.csv")], &[]));
        let said = ok(&import(url, "Libro", &[&fixture("financials-es.xlsx")], &[]));
        assert!(
            said.contains("the columns were guessed: --map month=\"Mes\" --map revenue=\"Ventas netas\""),
            "{said}"
        );
        assert!(said.contains("--save-mapping NAME"), "{said}");
        assert_eq!(months(&ts.store, "Libro").await, months(&ts.store, "Canon").await);
        // The same with the CSV of Spanish headers, decimal commas and DD/MM/YYYY dates.
        let said = ok(&run(
            url,
            &[
                "import",
                "invoices",
                &fixture("facturas-es.csv"),
                "--company",
                "Libro",
                "--decimal-comma",
                "--date-format",
                "DD/MM/YYYY",
            ],
        ));
        assert!(said.contains("the columns were guessed"), "{said}");
        let id = ts.store.company("Libro").await.unwrap().id;
        assert_eq!(ts.store.invoices(id).await.unwrap().len(), 3);
    }
}
