//! A founder's own books, end to end through the binary on SQLite and
//! PostgreSQL: spreadsheets with Spanish headers, hledger and beancount
//! journals (checked against `hledger balance -M` itself), CFDI 4.0 folders,
//! and every bad file refused with the store unchanged.

mod common;

use katalis::store::{AnyStore, Store};
use rust_decimal::Decimal;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use common::{book as fixture, katalis, refused as err, report_json as report, stdout_ok as ok};

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

async fn company_id(store: &AnyStore, name: &str) -> i64 {
    store.company(name).await.unwrap().id
}

const MAP: &[&str] = &[
    "--map",
    "month=Mes",
    "--map",
    "revenue=ventas NETAS",
    "--map",
    "cogs=Costo de ventas",
    "--map",
    "opex=Gastos operativos",
    "--map",
    "cash_end=caja al cierre",
    "--map",
    "customers_end=Clientes activos",
];

#[tokio::test]
async fn spreadsheets_with_spanish_headers_import_like_their_canonical_csv() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let canon = fixture("financials-canonical.csv");
        ok(&katalis(
            url,
            &[
                "import",
                "financials",
                path(&canon),
                "--company",
                "Canon",
                "--create",
                "--currency",
                "MXN",
            ],
        ));
        // .xlsx: a title row above the header, date cells, a totals row, an extra column.
        let xlsx = fixture("financials-es.xlsx");
        let mut args = vec![
            "import",
            "financials",
            path(&xlsx),
            "--company",
            "Libro",
            "--create",
            "--currency",
            "MXN",
        ];
        args.extend(["--sheet", "RESUMEN", "--save-mapping", "libro"]);
        args.extend(MAP);
        let out = katalis(url, &args);
        ok(&out);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("skipped row 11: totals row (TOTAL 2025)"),
            "{}: {said}",
            ts.name
        );
        assert!(said.contains("imported 6 financials rows"), "{said}");
        assert_eq!(report(url, "Libro"), report(url, "Canon"), "{}: xlsx", ts.name);

        // .ods with the saved mapping, into a third company made for it.
        let ods = fixture("financials-es.ods");
        let store = &ts.store;
        let libro = company_id(store, "Libro").await;
        let saved = store.mappings(libro).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].kind, "financials");
        let out = katalis(
            url,
            &[
                "import",
                "financials",
                path(&ods),
                "--company",
                "Libro",
                "--mapping",
                "libro",
            ],
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("skipped row 8: totals row (Total)"));
        ok(&out);
        assert_eq!(report(url, "Libro"), report(url, "Canon"), "{}: ods", ts.name);
        // The mapping is kept in backups.
        let backup = store.backup().await.unwrap();
        let b = backup.companies.iter().find(|c| c.profile.name == "Libro").unwrap();
        assert_eq!(b.mappings, saved);

        // A mapping of another kind, or an unknown one, is refused by name.
        let e = err(&katalis(
            url,
            &[
                "import",
                "invoices",
                path(&ods),
                "--company",
                "Libro",
                "--mapping",
                "libro",
            ],
        ));
        assert!(
            e.contains("mapping \"libro\" is for financials files, not invoices"),
            "{e}"
        );
        let e = err(&katalis(
            url,
            &[
                "import",
                "financials",
                path(&ods),
                "--company",
                "Libro",
                "--mapping",
                "nope",
            ],
        ));
        assert!(
            e.contains("no saved mapping named \"nope\"") && e.contains("libro"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn csv_with_spanish_headers_dates_and_decimal_commas() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let canon = fixture("facturas-canonical.csv");
        ok(&katalis(
            url,
            &[
                "import",
                "invoices",
                path(&canon),
                "--company",
                "A",
                "--create",
                "--currency",
                "COP",
            ],
        ));
        let es = fixture("facturas-es.csv");
        let mut args = vec![
            "import",
            "invoices",
            path(&es),
            "--company",
            "B",
            "--create",
            "--currency",
            "COP",
        ];
        args.extend([
            "--map",
            "number=Factura",
            "--map",
            "customer=cliente",
            "--map",
            "issue_date=Fecha",
            "--map",
            "due_date=Vencimiento",
            "--map",
            "amount=Importe",
            "--map",
            "paid_amount=Pagado",
            "--map",
            "paid_date=Fecha de pago",
        ]);
        // Without the date format the error says what to add, at the row.
        let e = err(&katalis(url, &args));
        assert!(
            e.contains("facturas-es.csv: row 2, column Fecha (issue_date), value \"15/01/2025\""),
            "{e}"
        );
        assert!(e.contains("--date-format DD/MM/YYYY"), "{e}");
        args.extend(["--date-format", "DD/MM/YYYY", "--decimal-comma"]);
        ok(&katalis(url, &args));
        let (a, b) = (company_id(&ts.store, "A").await, company_id(&ts.store, "B").await);
        assert_eq!(
            ts.store.invoices(a).await.unwrap(),
            ts.store.invoices(b).await.unwrap(),
            "{}",
            ts.name
        );
    }
}

/// Per month, the total of `hledger balance -M` for a query, in dollars.
fn hledger_monthly(journal: &Path, query: &[&str], historical: bool) -> Vec<(String, Decimal)> {
    let mut cmd = Command::new("hledger");
    cmd.arg("-f")
        .arg(journal)
        .args(["bal", "-M", "-E", "-O", "csv", "-b", "2025-01-01", "-e", "2025-05-01"]);
    if historical {
        cmd.arg("-H");
    }
    cmd.args(query).arg("cur:\\$");
    let out = cmd
        .output()
        .expect("hledger is needed for this test (scripts/test installs it: apt-get install hledger)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let months: Vec<String> = rdr.headers().unwrap().iter().skip(1).map(str::to_owned).collect();
    let total = rdr
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == "total")
        .map(|r| {
            r.iter()
                .skip(1)
                .map(|v| Decimal::from_str(&v.replace('$', "")).unwrap())
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|| vec![Decimal::ZERO; months.len()]);
    months.into_iter().zip(total).collect()
}

#[tokio::test]
async fn journals_equal_hledger_balance_per_month() {
    let journal = fixture("company.journal");
    let rev = hledger_monthly(
        &journal,
        &["^(income|revenues):", "not:^(income|revenues):other"],
        false,
    );
    let other = hledger_monthly(&journal, &["^(income|revenues):other"], false);
    let cogs = hledger_monthly(&journal, &["^expenses:(cogs|cost of )"], false);
    let opex = hledger_monthly(&journal, &["^expenses:", "not:^expenses:(cogs|cost of )"], false);
    let sm = hledger_monthly(&journal, &["^expenses:(marketing|sales)"], false);
    let dep = hledger_monthly(&journal, &["^expenses:(depreciation|amortization)"], false);
    let fin = hledger_monthly(&journal, &["^(equity|liabilities:loans)", "not:^equity:opening"], false);
    let cash = hledger_monthly(&journal, &["^assets:(bank|cash|checking)"], true);
    assert_eq!(rev.len(), 4);
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let out = katalis(
            url,
            &[
                "import",
                "journal",
                path(&journal),
                "--company",
                "Books",
                "--create",
                "--currency",
                "USD",
            ],
        );
        ok(&out);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("skipped 2 postings not in USD"), "{said}");
        assert!(said.contains("assets:bank:eur 900.00 EUR"), "{said}");
        let id = company_id(&ts.store, "Books").await;
        let months = ts.store.financials(id).await.unwrap();
        assert_eq!(months.len(), 4, "{}", ts.name);
        for (i, m) in months.iter().enumerate() {
            assert_eq!(m.month.to_string(), rev[i].0);
            assert_eq!(m.revenue, -rev[i].1, "{} revenue", m.month);
            assert_eq!(m.other_income, Some(-other[i].1), "{} other", m.month);
            assert_eq!(m.cogs, cogs[i].1, "{} cogs", m.month);
            assert_eq!(m.opex, opex[i].1, "{} opex", m.month);
            assert_eq!(m.sales_marketing, Some(sm[i].1), "{} s&m", m.month);
            assert_eq!(m.depreciation, Some(dep[i].1), "{} dep", m.month);
            assert_eq!(m.financing, Some(-fin[i].1), "{} financing", m.month);
            assert_eq!(m.cash_end, cash[i].1, "{} cash", m.month);
            assert_eq!(m.customers_end, None);
        }
        // March has no postings at all: zeros, cash carried.
        assert_eq!(months[2].revenue, Decimal::ZERO);
        assert_eq!(months[2].cash_end, months[1].cash_end);

        // The same books in beancount (bean-check accepts them) import the same.
        let bean = fixture("company.beancount");
        ok(&katalis(
            url,
            &[
                "import",
                "journal",
                path(&bean),
                "--company",
                "Bean",
                "--create",
                "--currency",
                "USD",
            ],
        ));
        let bid = company_id(&ts.store, "Bean").await;
        assert_eq!(
            ts.store.financials(bid).await.unwrap(),
            months,
            "{}: beancount",
            ts.name
        );

        // A dry run prints the months and writes nothing.
        let out = katalis(
            url,
            &[
                "import",
                "journal",
                path(&journal),
                "--company",
                "Dry",
                "--create",
                "--currency",
                "USD",
                "--dry-run",
            ],
        );
        let table = ok(&out);
        assert!(table.contains("2025-04  18200.00  2050.30  28910.00"), "{table}");
        assert!(ts.store.company("Dry").await.is_err(), "a dry run created the company");
    }
}

#[tokio::test]
async fn cfdi_folder_becomes_invoices_payments_and_credit_notes() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let fin = fixture("financials-canonical.csv");
        for c in ["Tallo", "Canon"] {
            ok(&katalis(
                url,
                &[
                    "import",
                    "financials",
                    path(&fin),
                    "--company",
                    c,
                    "--create",
                    "--currency",
                    "MXN",
                ],
            ));
        }
        let out = katalis(
            url,
            &[
                "import",
                "cfdi",
                path(&fixture("cfdi/ok")),
                "--company",
                "Tallo",
                "--rfc",
                "tla010101ab1",
            ],
        );
        ok(&out);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("6 invoices from 10 files (3 payments applied, 1 credit notes; skipped: 1 received"),
            "{said}"
        );
        let id = company_id(&ts.store, "Tallo").await;
        let inv = ts.store.invoices(id).await.unwrap();
        let by = |n: &str| {
            inv.iter()
                .find(|i| i.number == n)
                .unwrap_or_else(|| panic!("no invoice {n}"))
        };
        let d = |s: &str| chrono::NaiveDate::from_str(s).unwrap();
        let dec = |s: &str| Decimal::from_str(s).unwrap();
        // Paid in full by one payment; due after "30 días".
        assert_eq!(
            (by("A-101").paid_amount, by("A-101").paid_date),
            (dec("11600.00"), Some(d("2025-02-11")))
        );
        assert_eq!(by("A-101").due_date, d("2025-02-09"));
        // Credit note 5,800 off 58,000; two partial payments, dated by the last.
        assert_eq!(by("A-102").amount, dec("52200.00"));
        assert_eq!(
            (by("A-102").paid_amount, by("A-102").paid_date),
            (dec("32200.00"), Some(d("2025-03-15")))
        );
        assert_eq!(by("A-102").due_date, d("2025-03-06"));
        // "Contado" is no number of days: the default 30.
        assert_eq!(by("A-103").due_date, d("2025-03-05"));
        assert_eq!(by("A-103").paid_amount, Decimal::ZERO);
        // PUE: paid on its issue date.
        assert_eq!(by("A-104").paid_date, Some(d("2025-02-14")));
        // USD at its TipoCambio, rounded to cents; Folio alone is the number.
        assert_eq!(by("7").amount, dec("19992.02"));
        // No Serie nor Folio: its UUID; no receptor name: its RFC.
        let u = by("5E2D6A0B-1C1F-4C1A-9D3E-0A1B2C3D4E0A");
        assert_eq!(u.customer, "GEN990909DDD");

        // The collections metrics follow from these payments exactly as from the same invoices in our CSV.
        let csv = tempfile::NamedTempFile::with_suffix(".csv").unwrap();
        let mut text = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
        for i in &inv {
            text += &format!(
                "{},{},{},{},{},{},{}\n",
                i.number,
                i.customer,
                i.issue_date,
                i.due_date,
                i.amount,
                i.paid_amount,
                i.paid_date.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        std::fs::write(csv.path(), text).unwrap();
        ok(&katalis(
            url,
            &["import", "invoices", path(csv.path()), "--company", "Canon"],
        ));
        // The dollar invoice (7, still open in June) is revalued at June's end:
        // without a rate the report names the pair and the day.
        let said = common::refused(&katalis(url, &["--company", "Tallo", "report", "--format", "json"]));
        assert!(
            said.contains("no USD/MXN rate published on or before 2025-06-30"),
            "{said}"
        );
        ok(&katalis(url, &["fx", "set", "2025-06-27", "USD/MXN", "18.5"]));
        let (a, b) = (report(url, "Tallo"), report(url, "Canon"));
        assert_eq!(a["collections"], b["collections"], "{}", ts.name);
        // 1,160 USD booked at its TipoCambio (19,992.02 MXN), worth 21,460.00 at June's end.
        let usd = &a["fx"]["currencies"][0];
        assert_eq!(
            (&usd["currency"], &usd["open"], &usd["booked"], &usd["unrealised"]),
            (&"USD".into(), &"1160.00".into(), &"19992.02".into(), &"1467.98".into()),
            "{}",
            ts.name
        );
        assert!(b.get("fx").is_none());
        // A-103 (23,200, due 2025-03-05) is open at the end of June: the call list names its customer.
        let calls = a["collections"]["call_list"].to_string();
        assert!(calls.contains("Comercializadora del Norte"), "{calls}");

        // Importing the same folder again changes nothing.
        ok(&katalis(
            url,
            &[
                "import",
                "cfdi",
                path(&fixture("cfdi/ok")),
                "--company",
                "Tallo",
                "--rfc",
                "TLA010101AB1",
            ],
        ));
        assert_eq!(ts.store.invoices(id).await.unwrap(), inv);
    }
}

#[tokio::test]
async fn every_bad_file_is_refused_with_where_and_nothing_written() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        let fin = fixture("financials-canonical.csv");
        ok(&katalis(
            url,
            &[
                "import",
                "financials",
                path(&fin),
                "--company",
                "T",
                "--create",
                "--currency",
                "MXN",
            ],
        ));
        let before = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
        let cases: Vec<(Vec<String>, &str)> = vec![
            (
                vec!["financials".into(), path(&fixture("bad/broken.xlsx")).into()],
                "broken.xlsx: expected a readable spreadsheet",
            ),
            (
                [&["financials", path(&fixture("bad/merged-cells.xlsx"))], MAP]
                    .concat()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                "merged-cells.xlsx, sheet Resumen: row 3, column B3:B4: expected no merged cells",
            ),
            (
                vec!["financials".into(), path(&fixture("bad/too-many-decimals.xlsx")).into()],
                "row 2, column revenue, value \"1234.56789\": expected at most 4 decimals",
            ),
            (
                vec!["journal".into(), path(&fixture("bad/unbalanced.journal")).into()],
                "unbalanced.journal: row 1, value \"2025-01-10 Sale\": expected a balanced transaction (its postings add up to 10.00 $",
            ),
            (
                cfdi("no-uuid"),
                "no-uuid/bad.xml: tfd:TimbreFiscalDigital/@UUID: expected a stamped CFDI",
            ),
            (
                cfdi("external-entity"),
                "external-entity/bad.xml: DOCTYPE: expected no DOCTYPE",
            ),
            (
                cfdi("overpaid"),
                "expected payments no larger than the invoice (they add up to 12000.00)",
            ),
            (
                cfdi("unknown-payment"),
                "unknown-payment/bad.xml: pago20:DoctoRelacionado/@IdDocumento \"00000000-0000-0000-0000-000000000000\": expected an invoice with this UUID in the import or the store",
            ),
            (cfdi("duplicate-uuid"), "expected a UUID seen once (also in"),
            (
                cfdi("malformed"),
                "malformed/bad.xml: end of file: expected well-formed XML",
            ),
            (
                cfdi("no-exchange-rate"),
                "no-exchange-rate/bad.xml: cfdi:Comprobante/@TipoCambio",
            ),
        ];
        for (args, expected) in cases {
            let mut full: Vec<&str> = vec!["import"];
            full.extend(args.iter().map(String::as_str));
            full.extend(["--company", "T"]);
            let e = err(&katalis(url, &full));
            assert!(e.contains(expected), "{}: {args:?}\n{e}", ts.name);
            assert!(e.contains("(nothing imported)"), "{e}");
            assert!(!e.contains("Stack backtrace") && !e.contains("Caused by"), "{e}");
            assert_eq!(
                e.lines().next().map(|l| l.matches(expected).count()),
                Some(1),
                "said once: {e}"
            );
            let after = serde_json::to_string(&ts.store.backup().await.unwrap()).unwrap();
            assert_eq!(before, after, "{}: {args:?} changed the store", ts.name);
        }
    }
}

fn cfdi(case: &str) -> Vec<String> {
    vec![
        "cfdi".into(),
        path(&fixture(&format!("cfdi/bad/{case}"))).into(),
        "--rfc".into(),
        "TLA010101AB1".into(),
    ]
}
