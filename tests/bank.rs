//! Bank statements through the binary, on SQLite and PostgreSQL: the same
//! account's November as a Spanish bank CSV, a spreadsheet, OFX 1.x and 2.x,
//! camt.053 and MT940 import to the same lines and the file's closing
//! balance; again adds nothing; overlapping halves give the whole; broken
//! files are refused at their place with nothing written; the forecast opens
//! from the bank.

mod common;

use common::{book, katalis, refused, stderr_ok, stdout_ok};
use serde_json::Value;
use std::path::PathBuf;

const COMPANY: &str = "Río Bravo";

fn bank(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bank")
        .join(name)
}

/// A company in MXN with the canonical financials (as of a month before the statements).
fn company(url: &str) {
    let fin = book("financials-canonical.csv");
    stderr_ok(&katalis(
        url,
        &[
            "import",
            "financials",
            fin.to_str().unwrap(),
            "--company",
            COMPANY,
            "--create",
            "--currency",
            "MXN",
        ],
    ));
}

fn statement(url: &str, account: &str, files: &[&str], extra: &[&str]) -> std::process::Output {
    let paths: Vec<String> = files.iter().map(|f| bank(f).display().to_string()).collect();
    let mut args: Vec<&str> = vec!["import", "statement"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--company", COMPANY, "--account", account]);
    args.extend(extra);
    katalis(url, &args)
}

fn json(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--company", COMPANY];
    all.extend(args);
    serde_json::from_str(&stdout_ok(&katalis(url, &all))).unwrap()
}

fn account(url: &str, name: &str) -> Value {
    json(url, &["bank", "accounts", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// (date, amount, balance) of an account's lines, in booking order.
fn lines(url: &str, name: &str) -> Vec<(String, String, String)> {
    json(url, &["bank", "lines", "--account", name, "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["date"].as_str().unwrap().to_owned(),
                l["amount"].as_str().unwrap().to_owned(),
                l["balance"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn expected() -> Vec<(String, String)> {
    std::fs::read_to_string(bank("expected.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect()
}

const CLOSING: &str = "1230850.35";

#[tokio::test]
async fn every_format_of_one_account_gives_the_same_lines_and_the_closing_balance() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let formats = [
            "movimientos-es.csv",
            "estado-es.xlsx",
            "statement-v1.ofx",
            "statement-v2.ofx",
            "camt053.xml",
            "statement.sta",
        ];
        for f in formats {
            let said = stderr_ok(&statement(url, f, &[f], &["--create-account"]));
            assert!(said.contains("11 lines added"), "{}: {f}: {said}", ts.name);
            assert!(
                said.contains(&format!("balance MXN {CLOSING} as of 2026-11-27")),
                "{said}"
            );
            let a = account(url, f);
            assert_eq!(a["balance"], CLOSING, "{}: {f}", ts.name);
            assert_eq!(a["as_of"], "2026-11-27");
            assert_eq!(a["lines"], 11);
            assert_eq!(a["currency"], "MXN");
            let got: Vec<(String, String)> = lines(url, f).into_iter().map(|(d, a, _)| (d, a)).collect();
            assert_eq!(got, expected(), "{}: {f}", ts.name);
            // Again: nothing added, the balance unchanged.
            let again = stderr_ok(&statement(url, f, &[f], &[]));
            assert!(
                again.contains("0 lines added") && again.contains("11 already there"),
                "{again}"
            );
            assert_eq!(account(url, f)["balance"], CLOSING);
        }
        // The CSV's running balances are kept, and follow the file's.
        let with_balances = lines(url, "movimientos-es.csv");
        assert_eq!(with_balances.last().unwrap().2, CLOSING);
        // Every import is in the audit trail.
        let audit = stdout_ok(&katalis(url, &["--company", COMPANY, "audit"]));
        let imports = audit.lines().filter(|l| l.contains("  import  statement  ")).count();
        assert_eq!(imports, 12, "{audit}");
    }
}

#[tokio::test]
async fn overlapping_downloads_give_their_union_once() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let first = stderr_ok(&statement(url, "csv", &["first-half.csv"], &["--create-account"]));
        assert!(first.contains("7 lines added"), "{first}");
        let second = stderr_ok(&statement(url, "csv", &["second-half.csv"], &[]));
        assert!(
            second.contains("4 lines added") && second.contains("3 already there"),
            "{second}"
        );
        let got: Vec<(String, String)> = lines(url, "csv").into_iter().map(|(d, a, _)| (d, a)).collect();
        assert_eq!(got, expected(), "{}", ts.name);
        assert_eq!(account(url, "csv")["balance"], CLOSING);
        // Both halves in one import, in either order.
        let both = stderr_ok(&statement(
            url,
            "ofx",
            &["second-half.ofx", "first-half.ofx"],
            &["--create-account"],
        ));
        assert!(
            both.contains("11 lines added") && both.contains("3 already there"),
            "{both}"
        );
        assert_eq!(account(url, "ofx")["balance"], CLOSING, "{}", ts.name);
        let got: Vec<(String, String)> = lines(url, "ofx").into_iter().map(|(d, a, _)| (d, a)).collect();
        assert_eq!(got, expected());
        // An account removed takes its lines, and only its own, with it.
        assert_eq!(raw(&ts.raw, "SELECT count(*) FROM bank_lines").await, 22);
        raw(&ts.raw, "DELETE FROM bank_accounts WHERE name = 'csv'").await;
        assert_eq!(raw(&ts.raw, "SELECT count(*) FROM bank_lines").await, 11, "{}", ts.name);
        assert_eq!(lines(url, "ofx").len(), 11);
        // A line of no account is refused; on PostgreSQL, one of another
        // company's account too (SQLite keeps the account's foreign key and
        // the code that writes a line gives it its account's company: a
        // trigger per row would double an import's time).
        let line = |company: &str, account: &str| {
            format!(
                "INSERT INTO bank_lines (company_id, account_id, import_id, date, amount, description, counterparty, \
                 reference, bank_ref, key) VALUES ({company}, {account}, 1, '2026-12-01', 1, 'x', '', '', '', X'00')"
            )
        };
        let no_account = line(
            "(SELECT max(id) FROM companies)",
            "(SELECT max(id) + 1 FROM bank_accounts)",
        );
        assert!(try_raw(&ts.raw, &no_account).await.is_err(), "{}", ts.name);
        if ts.name != "sqlite" {
            let elsewhere = line(
                "(SELECT max(id) + 1 FROM companies)",
                "(SELECT max(id) FROM bank_accounts)",
            );
            assert!(try_raw(&ts.raw, &elsewhere).await.is_err(), "{}", ts.name);
        }
        raw(&ts.raw, "DELETE FROM companies").await;
        assert_eq!(raw(&ts.raw, "SELECT count(*) FROM bank_lines").await, 0, "{}", ts.name);
    }
}

/// Runs `q` on the store at `url` with its own connection: the count a
/// query selects, or 0 for a statement.
async fn raw(url: &str, q: &str) -> i64 {
    try_raw(url, q).await.unwrap()
}

async fn try_raw(url: &str, q: &str) -> Result<i64, sqlx::Error> {
    use sqlx::Connection;
    let q = sqlx::AssertSqlSafe(q.to_owned());
    Ok(if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query_scalar(q).fetch_optional(&mut c).await?.unwrap_or(0)
    } else {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::query_scalar(q).fetch_optional(&mut c).await?.unwrap_or(0)
    })
}

#[tokio::test]
async fn broken_statements_are_refused_at_their_place_and_write_nothing() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        for (file, said) in [
            (
                "bad-balance.csv",
                "bad-balance.csv: row 5 \"1411940.75\": expected the running balance to follow from the one before: 1157930.75 + 254000.00 = 1411930.75",
            ),
            (
                "missing-close.ofx",
                "missing-close.ofx: STMTTRN (line 39): expected </STMTTRN> before the next <STMTTRN> on line 48",
            ),
            ("camt-xxe.xml", "camt-xxe.xml: DOCTYPE: expected no DOCTYPE declaration"),
            (
                "foreign-line.xml",
                "foreign-line.xml: Ntry 3 (line 2) \"USD\": expected a line in MXN, the account's currency",
            ),
            ("empty.csv", "empty.csv: expected a bank statement; the file is empty"),
        ] {
            let err = refused(&statement(url, "bad", &[file], &["--create-account"]));
            assert!(err.contains(said), "{}: {file}: {err}", ts.name);
            assert!(err.contains("nothing imported"), "{err}");
            assert!(!err.contains("RUST_BACKTRACE") && !err.contains("panicked"), "{err}");
        }
        // Nothing written: not even the account.
        assert_eq!(
            json(url, &["bank", "accounts", "--format", "json"]),
            Value::Array(vec![])
        );
        // An account that does not exist is named with a way out.
        let err = refused(&statement(url, "Nope", &["statement.sta"], &[]));
        assert!(
            err.contains("no bank account named \"Nope\"") && err.contains("--create-account"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn the_forecast_and_the_report_open_from_the_bank() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let before = json(url, &["forecast", "--format", "json"]);
        assert_eq!(before["opening"]["source"], "financials", "{before}");
        let as_of = before["as_of"].as_str().unwrap().to_owned();
        assert_eq!(before["opening"]["date"].as_str().unwrap()[..7], as_of);
        // Statements dated after the books' month end: move the fixture's
        // dates to the month after the as-of month.
        let dir = tempfile::tempdir().unwrap();
        let (y, m): (i32, u32) = (as_of[..4].parse().unwrap(), as_of[5..].parse().unwrap());
        let next = if m == 12 {
            format!("{}-01", y + 1)
        } else {
            format!("{y}-{:02}", m + 1)
        };
        let (yy, mm) = (&next[2..4], &next[5..7]);
        let text: String = std::fs::read_to_string(bank("statement.sta"))
            .unwrap()
            .lines()
            .map(|l| match l.strip_prefix(":61:2611") {
                // :61: YYMMDD value date, then the MMDD entry date.
                Some(rest) => format!(":61:{yy}{mm}{}{mm}{}\r\n", &rest[..2], &rest[4..]),
                None => format!("{}\r\n", l.replace("C2611", &format!("C{yy}{mm}"))),
            })
            .collect();
        let moved = dir.path().join("moved.sta");
        std::fs::write(&moved, text).unwrap();
        stderr_ok(&katalis(
            url,
            &[
                "import",
                "statement",
                moved.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Banorte",
                "--create-account",
            ],
        ));
        let after = json(url, &["forecast", "--format", "json"]);
        assert_eq!(after["opening"]["source"], "bank", "{}: {after}", ts.name);
        assert_eq!(after["opening"]["cash"], CLOSING);
        assert_eq!(after["opening"]["date"], format!("{next}-27"));
        // Weeks the statement covers show what the bank saw.
        let w1 = &after["weeks"][0];
        assert!(w1["bank_inflows"].is_string(), "{w1}");
        let report = json(url, &["report", "--format", "json"]);
        assert_eq!(report["cash_flow"]["bank_cash"]["cash"], CLOSING, "{report}");
        assert_eq!(report["cash_flow"]["bank_cash"]["as_of"], format!("{next}-27"));
    }
}

#[tokio::test]
async fn without_balances_the_account_sums_its_lines_and_amounts_in_a_debit_column_are_money_out() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.csv");
        std::fs::write(
            &first,
            "date,description,debit,credit\n2026-11-02,Rent,\"$12,000.00\",\n2026-11-03,Customer pays,,5000.50\n\
             2026-11-03,Coffee,(3.50),\n2026-11-03,Coffee,3.50,\n",
        )
        .unwrap();
        let said = stderr_ok(&katalis(
            url,
            &[
                "import",
                "statement",
                first.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Cash box",
                "--create-account",
            ],
        ));
        assert!(said.contains("4 lines added"), "{}: {said}", ts.name);
        assert_eq!(account(url, "Cash box")["balance"], "-7006.50", "{}", ts.name);
        // The next file overlaps the last day: its two coffees are the same two.
        let second = dir.path().join("second.csv");
        std::fs::write(
            &second,
            "date,description,amount\n2026-11-03,Coffee,-3.50\n2026-11-03,Coffee,-3.50\n2026-11-04,Customer pays,7007\n",
        )
        .unwrap();
        let said = stderr_ok(&katalis(
            url,
            &[
                "import",
                "statement",
                second.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Cash box",
            ],
        ));
        assert!(
            said.contains("1 lines added") && said.contains("2 already there"),
            "{said}"
        );
        let a = account(url, "Cash box");
        assert_eq!(
            (a["balance"].as_str(), a["lines"].as_i64()),
            (Some("0.50"), Some(5)),
            "{a}"
        );
        // A line with money in both columns is refused at its row.
        let both = dir.path().join("both.csv");
        std::fs::write(&both, "date,description,debit,credit\n2026-11-05,Odd,1,2\n").unwrap();
        let err = refused(&katalis(
            url,
            &[
                "import",
                "statement",
                both.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Cash box",
            ],
        ));
        assert!(err.contains("row 2, column credit"), "{err}");
    }
}

/// A long statement with our own header streams into the store as it is read:
/// a balance that breaks after whole chunks were written still writes
/// nothing, and the same file newest first gives the same lines.
#[tokio::test]
async fn a_long_statement_streams_and_a_late_break_writes_nothing() {
    fn write(path: &std::path::Path, n: usize, break_at: Option<usize>, newest_first: bool) {
        let mut rows = Vec::new();
        let mut bal: i64 = 1_000_000;
        for i in 0..n {
            let amount: i64 = if i % 3 == 0 {
                125_050
            } else {
                -(1_025 + (i as i64 % 90) * 100)
            };
            bal += amount;
            let shown = if Some(i) == break_at { bal + 1 } else { bal };
            let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days((i / 100) as i64);
            let m = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
            rows.push(format!("{day},Line {},{},{}", i % 7, m(amount), m(shown)));
        }
        if newest_first {
            rows.reverse();
        }
        std::fs::write(path, format!("date,description,amount,balance\n{}\n", rows.join("\n"))).unwrap();
    }
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken.csv");
        write(&broken, 25_000, Some(20_000), false);
        let err = refused(&katalis(
            url,
            &[
                "import",
                "statement",
                broken.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Long",
                "--create-account",
            ],
        ));
        assert!(err.contains("row 20002"), "{}: {err}", ts.name);
        assert_eq!(
            json(url, &["bank", "accounts", "--format", "json"]),
            Value::Array(vec![]),
            "{}",
            ts.name
        );
        let newest = dir.path().join("newest.csv");
        write(&newest, 25_000, None, true);
        let said = stderr_ok(&katalis(
            url,
            &[
                "import",
                "statement",
                newest.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Long",
                "--create-account",
            ],
        ));
        assert!(said.contains("25000 lines added"), "{said}");
        let oldest = dir.path().join("oldest.csv");
        write(&oldest, 25_000, None, false);
        let said = stderr_ok(&katalis(
            url,
            &[
                "import",
                "statement",
                oldest.to_str().unwrap(),
                "--company",
                COMPANY,
                "--account",
                "Long",
            ],
        ));
        assert!(
            said.contains("0 lines added") && said.contains("25000 already there"),
            "{}: {said}",
            ts.name
        );
        let a = account(url, "Long");
        let last = std::fs::read_to_string(&oldest).unwrap();
        let closing = last.lines().last().unwrap().rsplit(',').next().unwrap().to_owned();
        assert_eq!(a["balance"], closing.as_str(), "{}", ts.name);
    }
}

/// A bank reference repeated within one file is one line, wherever in a long
/// file it comes: PostgreSQL copies the first chunks straight into the table
/// and sends the chunk with the repeat, and the rest, through the staging
/// table; SQLite skips it as it inserts.
#[tokio::test]
async fn a_bank_reference_repeated_within_a_long_file_is_one_line() {
    for ts in common::stores().await {
        let url = ts.url.as_str();
        company(url);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refs.csv");
        let mut rows = vec!["date,description,amount,bank_ref".to_owned()];
        let mut total = 0i64;
        for i in 0..25_000usize {
            let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days((i / 100) as i64);
            let cents = 100 + i as i64;
            // Line 15,001 repeats the bank's reference of line 15,000 (the same day).
            let r = if i == 15_001 { 15_000 } else { i };
            if i != 15_001 {
                total += cents;
            }
            rows.push(format!("{day},Line {i},{}.{:02},R{r}", cents / 100, cents % 100));
        }
        std::fs::write(&path, rows.join("\n") + "\n").unwrap();
        let args = [
            "import",
            "statement",
            path.to_str().unwrap(),
            "--company",
            COMPANY,
            "--account",
            "Refs",
            "--create-account",
        ];
        let said = stderr_ok(&katalis(url, &args));
        assert!(
            said.contains("24999 lines added") && said.contains(", 1 already there"),
            "{}: {said}",
            ts.name
        );
        let a = account(url, "Refs");
        assert_eq!(a["lines"], 24_999, "{}", ts.name);
        assert_eq!(
            a["balance"],
            format!("{}.{:02}", total / 100, total % 100).as_str(),
            "{}",
            ts.name
        );
        // The lines keep the file's order: the repeat is not among them.
        let got = lines(url, "Refs");
        assert_eq!(got.len(), 24_999);
        assert_eq!(got[15_001].1, "151.02", "{}", ts.name);
        let said = stderr_ok(&katalis(url, &args[..7]));
        assert!(
            said.contains("0 lines added") && said.contains("25000 already there"),
            "{}: {said}",
            ts.name
        );
    }
}
