//! Import and report at scale, against the databases' own bulk loaders.
//!
//! Generates 1,000,000 invoices (5,000 customers, ten years) and 120 months of
//! financials, then prints:
//! - import into SQLite (parse + validate + one transaction) vs the `sqlite3`
//!   CLI's `.import` of the same file into an equivalent table;
//! - import into PostgreSQL vs `psql \copy` (when KATALIS_TEST_PG_URL is set);
//! - `report` (load, SQL aggregation, engine, JSON) on that company, both stores.
//!
//! Run with `scripts/bench` (it starts a throwaway PostgreSQL).

use katalis::commands::load_snapshot;
use katalis::import::{Kind, import_file, read_file};
use katalis::report::Report;
use katalis::store::{AnyStore, ImportTarget, Store};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::{INVOICES, generate};

fn per_sec(rows: usize, d: Duration) -> String {
    format!("{:>10.0} rows/s", rows as f64 / d.as_secs_f64())
}

fn line(label: &str, d: Duration, rows: usize) {
    println!("  {label:<44} {:>8.2} s  {}", d.as_secs_f64(), per_sec(rows, d));
}

async fn import_all(store: &AnyStore, dir: &Path) -> Duration {
    let t = Instant::now();
    let target = ImportTarget::Create(katalis::domain::NewCompany {
        name: "Bench".into(),
        industry: "bench".into(),
        currency: "USD".into(),
        fiscal_year_start: 1,
        locale: "en-US".into(),
    });
    // The path of `katalis import`: validation and writing overlap.
    import_file(store, &target, Kind::Invoices, &dir.join("invoices.csv"))
        .await
        .expect("import invoices");
    let took = t.elapsed();
    let fin = read_file(Kind::Financials, &dir.join("financials.csv")).expect("valid financials");
    store.import(&target, &fin).await.expect("import financials");
    took
}

async fn report(store: &AnyStore) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let c = store.company("Bench").await.expect("company");
        let loaded = load_snapshot(store, &c, None).await.expect("snapshot");
        let json = serde_json::to_string_pretty(
            &Report {
                company: &c,
                snapshot: &loaded,
            }
            .to_json(),
        )
        .unwrap_or_default();
        best = best.min(t.elapsed());
        size = json.len();
    }
    (best, size)
}

fn run(cmd: &mut Command) -> Option<Duration> {
    let t = Instant::now();
    match cmd.output() {
        Ok(o) if o.status.success() => Some(t.elapsed()),
        Ok(o) => {
            eprintln!(
                "  {:?} failed: {}",
                cmd.get_program(),
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("  {:?} not available: {e}", cmd.get_program());
            None
        }
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    generate(dir.path()).expect("generate");
    let size = std::fs::metadata(dir.path().join("invoices.csv"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "generated {INVOICES} invoices ({:.1} MB) and 120 months in {:.1} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    println!("\nSQLite");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = AnyStore::connect(&url).await.expect("sqlite");
    let ours = import_all(&store, dir.path()).await;
    line("katalis import invoices (parse+validate+write)", ours, INVOICES);
    let again = import_all(&store, dir.path()).await;
    line("katalis re-import, same file (upsert by key)", again, INVOICES);
    let db = dir.path().join("cli.db");
    let schema = "CREATE TABLE invoices (number TEXT PRIMARY KEY, customer TEXT NOT NULL, issue_date TEXT NOT NULL, \
                  due_date TEXT NOT NULL, amount INTEGER NOT NULL, paid_amount INTEGER NOT NULL, paid_date TEXT);";
    let _ = run(Command::new("sqlite3").arg(&db).arg(schema));
    let csv = dir.path().join("invoices.csv");
    if let Some(cli) = run(Command::new("sqlite3")
        .arg(&db)
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {} invoices", csv.display())))
    {
        line("sqlite3 .import (same file, equivalent table)", cli, INVOICES);
        println!(
            "  ratio katalis / sqlite3: {:.2}x (aim: ≤ 1.5x)",
            ours.as_secs_f64() / cli.as_secs_f64()
        );
    }
    let (rt, bytes) = report(&store).await;
    println!(
        "  report, 1,000,000 invoices + 120 months:     {:>8.3} s  ({bytes} bytes of JSON; aim < 1 s)",
        rt.as_secs_f64()
    );

    match std::env::var("KATALIS_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => {
            println!("\nPostgreSQL");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_default();
            let _ = run(Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg("DROP DATABASE IF EXISTS katalis_bench"));
            let _ = run(Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg("CREATE DATABASE katalis_bench"));
            let _ = run(Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg("DROP DATABASE IF EXISTS katalis_bench_copy"));
            let _ = run(Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg("CREATE DATABASE katalis_bench_copy"));
            let pg = AnyStore::connect(&format!("{base}/katalis_bench"))
                .await
                .expect("postgres");
            let ours = import_all(&pg, dir.path()).await;
            line("katalis import invoices (parse+validate+COPY)", ours, INVOICES);
            let again = import_all(&pg, dir.path()).await;
            line("katalis re-import, same file (COPY+merge)", again, INVOICES);
            let copy_db = format!("{base}/katalis_bench_copy");
            let pg_schema = "CREATE TABLE invoices (number TEXT PRIMARY KEY, customer TEXT NOT NULL, issue_date DATE NOT NULL, \
                             due_date DATE NOT NULL, amount NUMERIC(18,4) NOT NULL, paid_amount NUMERIC(18,4) NOT NULL, paid_date DATE)";
            let _ = run(Command::new("psql").arg(&copy_db).arg("-qc").arg(pg_schema));
            if let Some(cli) = run(Command::new("psql").arg(&copy_db).arg("-qc").arg(format!(
                "\\copy invoices FROM '{}' WITH (FORMAT csv, HEADER true)",
                csv.display()
            ))) {
                line("psql \\copy (same file, equivalent table)", cli, INVOICES);
                println!(
                    "  ratio katalis / psql: {:.2}x (aim: ≤ 2x)",
                    ours.as_secs_f64() / cli.as_secs_f64()
                );
            }
            let (rt, bytes) = report(&pg).await;
            println!(
                "  report, 1,000,000 invoices + 120 months:     {:>8.3} s  ({bytes} bytes of JSON; aim < 1 s)",
                rt.as_secs_f64()
            );
        }
        _ => println!("\nPostgreSQL: KATALIS_TEST_PG_URL not set (scripts/bench starts one)"),
    }
}
