//! Import and report at scale, each beside the databases' own tools run in
//! the same process on the same data, as ratios.
//!
//! For each size in `KATALIS_BENCH_SIZES` (default `1000000,3000000`):
//! synthetic invoices (5,000 customers, ten years) and 120 months, then
//! - import into SQLite (parse, validate, one transaction, summaries kept) vs
//!   the `sqlite3` CLI's `.import` of the same file into an equivalent table;
//! - `report` at the latest month (read from the summaries) and at an earlier
//!   one (one pass over the invoices) vs the floor: the one receivables
//!   aggregate run by `sqlite3` on the same database;
//! - at the first size, with KATALIS_TEST_PG_URL: the same against PostgreSQL,
//!   `psql \copy` and the aggregate run by `psql`.
//!
//! Imports: medians of 5, ours and the floor's taken in turns; the rest
//! medians of 3. Run with `scripts/bench` (it starts a throwaway PostgreSQL).

use katalis::commands::load_snapshot;
use katalis::domain::Month;
use katalis::import::{Kind, import_file, read_file};
use katalis::report::Report;
use katalis::store::{AnyStore, COLLECTIONS_SQL, ImportTarget, Store};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

fn secs(d: Duration) -> String {
    format!("{:>8.3} s", d.as_secs_f64())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `ours / floor`, with its goal.
fn ratio(label: &str, ours: Duration, floor: Duration, goal: f64) {
    let r = ours.as_secs_f64() / floor.as_secs_f64();
    println!(
        "  {label:<58} {:>6.2}x  (goal ≤ {goal}x: {})",
        r,
        if r <= goal { "met" } else { "NOT met" }
    );
}

fn target() -> ImportTarget {
    ImportTarget::Create(katalis::domain::NewCompany {
        name: "Bench".into(),
        industry: "bench".into(),
        currency: "USD".into(),
        fiscal_year_start: 1,
        locale: "en-US".into(),
    })
}

/// A company with its months, then its invoices as `katalis import` reads
/// them (validation and writing overlap; the summaries are kept in the same
/// transaction). Returns the time of the invoices.
async fn import_all(store: &AnyStore, dir: &Path) -> Duration {
    let fin = read_file(Kind::Financials, &dir.join("financials.csv")).expect("valid financials");
    store.import(&target(), &fin).await.expect("import financials");
    let t = Instant::now();
    import_file(store, &target(), Kind::Invoices, &dir.join("invoices.csv"))
        .await
        .expect("import invoices");
    t.elapsed()
}

/// `report --format json` as the command does it, at `as_of` (None: the latest month).
async fn report(store: &AnyStore, as_of: Option<&str>) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let c = store.company("Bench").await.expect("company");
        let loaded = load_snapshot(store, &c, as_of).await.expect("snapshot");
        let json = serde_json::to_string_pretty(
            &Report {
                company: &c,
                snapshot: &loaded,
            }
            .to_json(),
        )
        .unwrap_or_default();
        assert!(json.len() > 1000);
        runs.push(t.elapsed());
    }
    median(runs)
}

/// The receivables aggregate with its parameters written in, for a database's CLI.
fn floor_sql(company_id: i64, m: Month) -> String {
    let d = m.last_day();
    let back = |n: i64| d - chrono::Duration::days(n);
    let params = [
        company_id.to_string(),
        format!("'{d}'"),
        format!("'{}'", back(30)),
        format!("'{}'", back(60)),
        format!("'{}'", back(90)),
        format!("'{}'", m.plus(-1).last_day()),
        format!("'{}'", m.plus(-2).first_day()),
        format!("'{}'", m.first_day()),
    ];
    let mut sql = COLLECTIONS_SQL.to_owned();
    // $8 first, so $1 does not eat the start of $10-style names (there are none past $8).
    for (i, p) in params.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), p);
    }
    sql
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

/// Runs of each import, ours and the floor's in turns (medians taken).
const PAIRS: usize = 5;

/// The `sqlite3` CLI's `.import` of `csv` into a table with the same key, timed.
fn sqlite3_import(dir: &Path, csv: &Path) -> Option<Duration> {
    let db = dir.join("cli.db");
    let _ = std::fs::remove_file(&db);
    let schema = "CREATE TABLE invoices (number TEXT PRIMARY KEY, customer TEXT NOT NULL, issue_date TEXT NOT NULL, \
                  due_date TEXT NOT NULL, amount INTEGER NOT NULL, paid_amount INTEGER NOT NULL, paid_date TEXT);";
    run(Command::new("sqlite3").arg(&db).arg(schema))?;
    run(Command::new("sqlite3")
        .arg(&db)
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {} invoices", csv.display())))
}

fn median_of(mut f: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    let runs: Option<Vec<Duration>> = (0..3).map(|_| f()).collect();
    runs.map(median)
}

async fn sqlite(dir: &Path, n: usize, company_months: &[Month]) {
    println!("\nSQLite, {n} invoices");
    let db = dir.join(format!("bench{n}-0.db"));
    let url = format!("sqlite://{}", db.display());
    let csv = dir.join("invoices.csv");
    // Ours and the floor taken in turns: this machine's speed drifts by a
    // fifth over a minute, which two runs far apart would read as a ratio.
    let (mut imports, mut floors) = (Vec::new(), Vec::new());
    for k in 0..PAIRS {
        let path = dir.join(format!("bench{n}-{k}.db"));
        let _ = std::fs::remove_file(&path);
        let s = AnyStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("sqlite");
        imports.push(import_all(&s, dir).await);
        s.close().await;
        if k > 0 {
            // The first is kept for the reports.
            let _ = std::fs::remove_file(&path);
        }
        floors.extend(sqlite3_import(dir, &csv));
    }
    let pairs: Vec<f64> = imports
        .iter()
        .zip(&floors)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    let ours = median(imports);
    println!(
        "  katalis import invoices (validated, summaries kept)    {}",
        secs(ours)
    );
    if floors.len() == PAIRS {
        let cli = median(floors);
        println!(
            "  sqlite3 .import (same file, table with the same key)    {}",
            secs(cli)
        );
        ratio("import: katalis / sqlite3 .import", ours, cli, 1.2);
        let (lo, hi) = pairs.iter().fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
        println!("    each run beside the next .import: {lo:.2}x to {hi:.2}x");
    }
    let s = &AnyStore::connect(&url).await.expect("sqlite");
    let c = s.company("Bench").await.expect("company");
    let latest = report(s, None).await;
    let earlier_month = company_months[company_months.len() - 4];
    let earlier = report(s, Some(&earlier_month.to_string())).await;
    println!(
        "  report, latest month (from the summaries)              {}",
        secs(latest)
    );
    println!(
        "  report --as-of {earlier_month} (one pass over the invoices)   {}",
        secs(earlier)
    );
    for (label, m, ours) in [
        (
            "report latest / sqlite3 aggregate floor",
            company_months[company_months.len() - 1],
            latest,
        ),
        (
            "report --as-of earlier / sqlite3 aggregate floor",
            earlier_month,
            earlier,
        ),
    ] {
        let sql = floor_sql(c.id, m);
        if let Some(floor) = median_of(|| run(Command::new("sqlite3").arg(&db).arg(&sql))) {
            println!(
                "    floor: the aggregate in sqlite3 at {m}               {}",
                secs(floor)
            );
            ratio(label, ours, floor, 1.3);
        }
    }
}

async fn postgres(admin: &str, dir: &Path, n: usize, company_months: &[Month]) {
    println!("\nPostgreSQL, {n} invoices");
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_default();
    let psql = |db: &str, sql: &str| run(Command::new("psql").arg(db).arg("-qAtc").arg(sql));
    let mut imports = Vec::new();
    for _ in 0..3 {
        let _ = psql(admin, "DROP DATABASE IF EXISTS katalis_bench");
        let _ = psql(admin, "CREATE DATABASE katalis_bench");
        let pg = AnyStore::connect(&format!("{base}/katalis_bench"))
            .await
            .expect("postgres");
        imports.push(import_all(&pg, dir).await);
        if let AnyStore::Postgres(p) = &pg {
            p.close().await;
        }
    }
    let ours = median(imports);
    println!(
        "  katalis import invoices (validated, COPY, summaries)   {}",
        secs(ours)
    );
    // The same rows with their company first, for the database's own loader.
    let csv = dir.join("invoices.csv");
    let keyed = dir.join("invoices-with-company.csv");
    {
        let text = std::fs::read_to_string(&csv).expect("csv");
        let mut out = String::with_capacity(text.len() + 3 * n);
        for l in text.lines().skip(1) {
            out.push_str("1,");
            out.push_str(l);
            out.push('\n');
        }
        std::fs::write(&keyed, out).expect("write csv");
    }
    let columns = "(company_id, number, customer, issue_date, due_date, amount, paid_amount, paid_date)";
    let load = format!("\\copy invoices {columns} FROM '{}' WITH (FORMAT csv)", keyed.display());
    // Floor: psql \copy into a table with the same primary key (company, number).
    let copy_db = format!("{base}/katalis_bench_copy");
    let cli = median_of(|| {
        psql(admin, "DROP DATABASE IF EXISTS katalis_bench_copy")?;
        psql(admin, "CREATE DATABASE katalis_bench_copy")?;
        psql(
            &copy_db,
            "CREATE TABLE invoices (company_id BIGINT NOT NULL, number TEXT NOT NULL, customer TEXT NOT NULL, \
             issue_date DATE NOT NULL, due_date DATE NOT NULL, amount NUMERIC(18,4) NOT NULL, \
             paid_amount NUMERIC(18,4) NOT NULL, paid_date DATE, PRIMARY KEY (company_id, number))",
        )?;
        psql(&copy_db, &load)
    });
    if let Some(cli) = cli {
        println!("  psql \\copy, table with the same primary key           {}", secs(cli));
        ratio("import: katalis / psql \\copy", ours, cli, 1.5);
    }
    // And into Katalis's own table: also its foreign key, checks, defaults
    // and partial index.
    let same_db = format!("{base}/katalis_bench_same");
    let mut same = Vec::new();
    for _ in 0..3 {
        let _ = psql(admin, "DROP DATABASE IF EXISTS katalis_bench_same");
        let _ = psql(admin, "CREATE DATABASE katalis_bench_same");
        let pg = AnyStore::connect(&same_db).await.expect("postgres");
        let fin = read_file(Kind::Financials, &dir.join("financials.csv")).expect("valid financials");
        assert_eq!(pg.import(&target(), &fin).await.expect("company").id, 1);
        if let AnyStore::Postgres(p) = &pg {
            p.close().await;
        }
        match psql(&same_db, &load) {
            Some(d) => same.push(d),
            None => break,
        }
    }
    if same.len() == 3 {
        let same = median(same);
        println!(
            "  psql \\copy into Katalis's own invoices table           {}",
            secs(same)
        );
        ratio("import: katalis / psql \\copy into the same table", ours, same, 1.3);
    }
    let pg = AnyStore::connect(&format!("{base}/katalis_bench"))
        .await
        .expect("postgres");
    let c = pg.company("Bench").await.expect("company");
    let latest = report(&pg, None).await;
    let earlier_month = company_months[company_months.len() - 4];
    let earlier = report(&pg, Some(&earlier_month.to_string())).await;
    println!(
        "  report, latest month (from the summaries)              {}",
        secs(latest)
    );
    println!(
        "  report --as-of {earlier_month} (one pass over the invoices)   {}",
        secs(earlier)
    );
    let db = format!("{base}/katalis_bench");
    for (label, m, ours) in [
        (
            "report latest / psql aggregate floor",
            company_months[company_months.len() - 1],
            latest,
        ),
        ("report --as-of earlier / psql aggregate floor", earlier_month, earlier),
    ] {
        // The floor runs with the memory our sessions give the aggregate.
        let sql = format!("SET work_mem = '64MB'; {}", floor_sql(c.id, m));
        if let Some(floor) = median_of(|| psql(&db, &sql)) {
            println!(
                "    floor: the aggregate in psql at {m}                  {}",
                secs(floor)
            );
            ratio(label, ours, floor, 1.5);
        }
    }
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("KATALIS_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,3000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let months: Vec<Month> = {
        let first = Month::new(2016, 11).unwrap_or_else(|| unreachable!());
        (0..120).map(|k| first.plus(k)).collect()
    };
    for (i, &n) in sizes.iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        common::generate_n(dir.path(), n).expect("generate");
        println!(
            "\ngenerated {n} invoices and 120 months in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        sqlite(dir.path(), n, &months).await;
        if i == 0 {
            match std::env::var("KATALIS_TEST_PG_URL") {
                Ok(admin) if !admin.is_empty() => postgres(&admin, dir.path(), n, &months).await,
                _ => println!("\nPostgreSQL: KATALIS_TEST_PG_URL not set (scripts/bench starts one)"),
            }
        }
    }
}
