//! A team on one PostgreSQL with real login roles: every role against the
//! operations it may and may not do, through Katalis and through raw SQL as
//! that login; migrations apart from use; the audit trail of a scripted
//! sequence of commands on both stores; backups that carry members and audit.

mod common;

use serde_json::Value;
use sqlx::Connection;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{katalis_in as katalis, stdout_ok as ok};

fn refused(o: &Output) -> String {
    let e = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/books")
        .join(p)
}

/// The same database as `url`, logged in as `login` (the test server trusts local logins).
fn as_login(url: &str, login: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (_, host) = rest.split_once('@').unwrap();
    format!("{scheme}://{login}@{host}")
}

/// A raw connection as a pooler accepts it (no extra_float_digits).
async fn raw(url: &str) -> Result<sqlx::PgConnection, sqlx::Error> {
    use std::str::FromStr;
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.extra_float_digits(None);
    sqlx::PgConnection::connect_with(&opts).await
}

async fn sql(url: &str, q: &str) -> Result<u64, String> {
    let mut c = raw(url).await.map_err(|e| e.to_string())?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(q.to_owned()))
        .execute(&mut c)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string())
}

/// One number, by the simple protocol (no prepared statement: the URL may
/// be a transaction pooler's, whose server another client uses next).
async fn count(url: &str, q: &str) -> i64 {
    use sqlx::Row;
    let mut c = raw(url).await.unwrap();
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(q.to_owned()))
        .fetch_one(&mut c)
        .await
        .unwrap();
    // Text from the simple protocol: count(*) and min(id) are int8.
    row.try_get::<i64, _>(0).unwrap()
}

#[tokio::test]
async fn roles_are_enforced_by_the_database_through_katalis_and_raw_sql() {
    let Some(admin) = common::fresh_pg_url().await else {
        return;
    };
    roles_enforced(&admin, "d").await;
    // The same through PgBouncer in transaction mode: the pooler logs in as
    // each login, so row-level security holds for raw SQL through it too.
    let Some((pooled, settings)) = common::fresh_pooled().await else {
        return;
    };
    let direct = settings.direct_url.unwrap();
    ok(&katalis(&direct, tempfile::tempdir().unwrap().path(), &["migrate"]));
    roles_enforced(&pooled, "p").await;
}

async fn roles_enforced(admin: &str, run: &str) {
    let admin = admin.to_owned();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    ok(&katalis(&admin, h, &["demo"]));
    let tallo = "Tallo Analytics";
    // Logins: created by members add (admin), or bare CREATE ROLE x LOGIN.
    let tag = format!("{}{run}", std::process::id());
    let (vera, ana, olga, nadie) = (
        format!("vera{tag}"),
        format!("ana{tag}"),
        format!("olga{tag}"),
        format!("nadie{tag}"),
    );
    ok(&katalis(
        &admin,
        h,
        &["members", "add", tallo, &vera, "--role", "viewer", "--create-login"],
    ));
    sql(
        &admin,
        &format!("CREATE ROLE \"{ana}\" LOGIN; CREATE ROLE \"{olga}\" LOGIN; CREATE ROLE \"{nadie}\" LOGIN"),
    )
    .await
    .unwrap();
    ok(&katalis(
        &admin,
        h,
        &["members", "add", tallo, &ana, "--role", "analyst"],
    ));
    ok(&katalis(
        &admin,
        h,
        &["members", "add", tallo, &olga, "--role", "owner"],
    ));
    let listed = ok(&katalis(&admin, h, &["members", "list", tallo, "--format", "json"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");

    let (v, a, o, n) = (
        as_login(&admin, &vera),
        as_login(&admin, &ana),
        as_login(&admin, &olga),
        as_login(&admin, &nadie),
    );
    let fin = fixture("financials-canonical.csv");
    let fin = fin.to_str().unwrap();

    // A viewer opens the current store (no DDL), reads its company only.
    let report = ok(&katalis(&v, h, &["report", "--company", tallo, "--format", "json"]));
    assert!(report.contains("\"company\": \"Tallo Analytics\""));
    let e = refused(&katalis(&v, h, &["report", "--company", "Sazón de Barrio"]));
    assert!(e.contains("no company named"), "{e}");
    let e = refused(&katalis(&v, h, &["import", "financials", fin, "--company", tallo]));
    assert!(
        e.contains("importing needs the owner role; your role in \"Tallo Analytics\" is viewer"),
        "{e}"
    );
    let e = refused(&katalis(&v, h, &["scenario", "create", "X", "--company", tallo]));
    assert!(e.contains("needs the analyst role"), "{e}");
    let e = refused(&katalis(&v, h, &["members", "list", tallo]));
    assert!(e.contains("needs the owner role"), "{e}");
    // …and through psql with its own login: reads, and raw writes are refused by the database.
    assert_eq!(count(&v, "SELECT count(*) FROM companies").await, 1);
    assert_eq!(
        count(&v, "SELECT count(*) FROM invoices WHERE company_id <> 1").await,
        0
    );
    for q in [
        "UPDATE financials SET revenue = 0",
        "DELETE FROM invoices",
        "INSERT INTO scenarios (company_id, name, drivers) VALUES (1, 'x', '{}')",
        "UPDATE audit SET action = 'x'",
        "DELETE FROM audit",
        "INSERT INTO conversations (company_id, agent, question, answer) VALUES (1, 'advisor', 'q', 'a')",
    ] {
        let e = sql(&v, q).await.unwrap_err();
        assert!(e.contains("permission denied"), "viewer {q}: {e}");
    }

    // A viewer's question is answered; keeping it is refused by the database, said as a warning.
    let asked = katalis(&v, h, &["ask", "whom should I call first?", "--company", tallo]);
    assert!(asked.status.success(), "{}", String::from_utf8_lossy(&asked.stderr));
    assert!(String::from_utf8_lossy(&asked.stderr).contains("not kept in the conversation"));
    // An analyst writes scenarios (and only in its company), not the books; its questions are kept.
    ok(&katalis(
        &a,
        h,
        &["ask", "whom should I call first?", "--company", tallo],
    ));
    assert_eq!(count(&a, "SELECT count(*) FROM conversations").await, 1);
    ok(&katalis(&a, h, &["scenario", "create", "Plan A", "--company", tallo]));
    let e = refused(&katalis(&a, h, &["import", "financials", fin, "--company", tallo]));
    assert!(e.contains("your role in \"Tallo Analytics\" is analyst"), "{e}");
    let e = sql(&a, "UPDATE financials SET revenue = 0").await.unwrap_err();
    assert!(e.contains("permission denied"), "{e}");
    let e = sql(
        &a,
        "INSERT INTO scenarios (company_id, name, drivers) VALUES (2, 'sneak', '{}')",
    )
    .await
    .unwrap_err();
    assert!(e.contains("row-level security"), "{e}");
    assert_eq!(
        sql(&a, "UPDATE scenarios SET locked = locked WHERE company_id = 2").await,
        Ok(0)
    );

    // An owner imports (through the staging table: COPY refuses tables with
    // policies) and manages members; the other companies stay invisible.
    ok(&katalis(&o, h, &["import", "financials", fin, "--company", tallo]));
    // Invoices too: the receivables summaries are written under the same
    // policies (owners write them), and a viewer reads the report from them.
    let inv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/good/invoices-excel.csv");
    ok(&katalis(
        &o,
        h,
        &["import", "invoices", inv.to_str().unwrap(), "--company", tallo],
    ));
    let seen: Value = serde_json::from_str(&ok(&katalis(
        &v,
        h,
        &["report", "--company", tallo, "--format", "json"],
    )))
    .unwrap();
    let owner: Value = serde_json::from_str(&ok(&katalis(
        &o,
        h,
        &["report", "--company", tallo, "--format", "json"],
    )))
    .unwrap();
    assert_eq!(seen["collections"], owner["collections"]);
    // A bank statement: the owner's lines go through the staging table (COPY
    // straight into a table with policies is refused); a viewer reads the
    // account and can neither import nor touch its lines.
    let st = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank/movimientos-es.csv");
    let st = st.to_str().unwrap();
    let said = String::from_utf8_lossy(
        &katalis(
            &o,
            h,
            &[
                "import",
                "statement",
                st,
                "--company",
                tallo,
                "--account",
                "BBVA",
                "--create-account",
            ],
        )
        .stderr,
    )
    .into_owned();
    assert!(said.contains("11 lines added"), "{said}");
    let said = String::from_utf8_lossy(
        &katalis(
            &o,
            h,
            &["import", "statement", st, "--company", tallo, "--account", "BBVA"],
        )
        .stderr,
    )
    .into_owned();
    assert!(
        said.contains("0 lines added") && said.contains("11 already there"),
        "{said}"
    );
    let accounts: Value = serde_json::from_str(&ok(&katalis(
        &v,
        h,
        &["bank", "accounts", "--company", tallo, "--format", "json"],
    )))
    .unwrap();
    assert_eq!(accounts[0]["lines"], 11, "{accounts}");
    let e = refused(&katalis(
        &v,
        h,
        &["import", "statement", st, "--company", tallo, "--account", "BBVA"],
    ));
    assert!(e.contains("your role in \"Tallo Analytics\" is viewer"), "{e}");
    // The row policies: a viewer's writes reach no row, or are refused.
    for q in ["DELETE FROM bank_lines", "UPDATE bank_accounts SET balance = 0"] {
        assert_eq!(sql(&v, q).await, Ok(0), "viewer {q}");
    }
    let e = sql(
        &v,
        "INSERT INTO bank_accounts (company_id, name, currency) SELECT id, 'sneak', 'MXN' FROM companies",
    )
    .await
    .unwrap_err();
    assert!(e.contains("row-level security"), "{e}");
    assert_eq!(count(&v, "SELECT count(*) FROM bank_lines").await, 11);
    // Reconciliation: the owner categorises a line and stores rules; a viewer
    // reads them and is refused both, by the command and by the row policies.
    let line = count(&v, "SELECT min(id) FROM bank_lines").await.to_string();
    ok(&katalis(
        &o,
        h,
        &["reconcile", "category", &line, "opex", "--company", tallo],
    ));
    let e = refused(&katalis(
        &v,
        h,
        &["reconcile", "category", &line, "revenue", "--company", tallo],
    ));
    assert!(e.contains("your role in \"Tallo Analytics\" is viewer"), "{e}");
    for q in [
        "DELETE FROM bank_line_marks",
        "UPDATE bank_line_marks SET category = 'revenue'",
        "DELETE FROM payments",
    ] {
        assert_eq!(sql(&v, q).await, Ok(0), "viewer {q}");
    }
    let e = sql(
        &v,
        "INSERT INTO bank_rules (company_id, source) SELECT id, '' FROM companies",
    )
    .await
    .unwrap_err();
    assert!(e.contains("row-level security"), "{e}");
    assert_eq!(
        count(&v, "SELECT count(*) FROM bank_line_marks WHERE category = 'opex'").await,
        1
    );
    assert_eq!(
        count(&v, "SELECT count(*) FROM receivable_aging WHERE company_id <> 1").await,
        0
    );
    // Exchange rates: an owner sets them, anyone reads them, a viewer may not
    // (the command says who may; the row policy refuses the raw write).
    ok(&katalis(&o, h, &["fx", "set", "2024-01-02", "USD/MXN", "16.92"]));
    assert!(ok(&katalis(&v, h, &["fx", "list"])).contains("16.92"));
    let e = refused(&katalis(&v, h, &["fx", "set", "2024-01-02", "USD/MXN", "1"]));
    assert!(
        e.contains("setting exchange rates needs an owner of some company"),
        "{e}"
    );
    let e = sql(
        &v,
        "INSERT INTO fx_rates (base, quote, day, rate, source) VALUES ('EUR', 'MXN', '2024-01-02', 1, 'x')",
    )
    .await
    .unwrap_err();
    assert!(e.contains("row-level security"), "{e}");
    assert_eq!(sql(&v, "UPDATE fx_rates SET rate = 1").await, Ok(0));
    // Groups: shown to a member of every company in them, changed by the owner of every one.
    ok(&katalis(
        &admin,
        h,
        &[
            "group",
            "create",
            "Todo",
            "--currency",
            "USD",
            "--member",
            tallo,
            "--member",
            "Sazón de Barrio",
        ],
    ));
    assert!(!ok(&katalis(&o, h, &["group", "list"])).contains("Todo"));
    ok(&katalis(
        &o,
        h,
        &["group", "create", "Solo", "--currency", "USD", "--member", tallo],
    ));
    assert!(ok(&katalis(&v, h, &["group", "list"])).contains("Solo"));
    let e = refused(&katalis(&v, h, &["group", "delete", "Solo"]));
    assert!(e.contains("needs the owner role in every company"), "{e}");
    // A company the owner cannot see is no company to her; by raw SQL, the policy refuses it.
    let e = refused(&katalis(
        &o,
        h,
        &["group", "add", "Solo", "--member", "Sazón de Barrio"],
    ));
    assert!(e.contains("no company named"), "{e}");
    let sazon = count(&admin, "SELECT id FROM companies WHERE name = 'Sazón de Barrio'").await;
    let e = sql(
        &o,
        &format!(
            "INSERT INTO group_members (group_id, company_id) SELECT g.id, {sazon} FROM company_groups g WHERE g.name = 'Solo'"
        ),
    )
    .await
    .unwrap_err();
    assert!(e.contains("row-level security"), "{e}");
    let e = refused(&katalis(&o, h, &["group", "report", "Todo"]));
    assert!(e.contains("no group named \"Todo\""), "{e}");
    assert!(ok(&katalis(&v, h, &["group", "report", "Solo", "--format", "json"])).contains("\"members\""));
    ok(&katalis(&o, h, &["members", "add", tallo, &nadie, "--role", "viewer"]));
    ok(&katalis(&o, h, &["members", "remove", tallo, &nadie]));
    let e = refused(&katalis(
        &o,
        h,
        &[
            "members",
            "add",
            tallo,
            "brandnew",
            "--role",
            "viewer",
            "--create-login",
        ],
    ));
    assert!(
        e.contains("permission denied to create role") || e.contains("refused"),
        "{e}"
    );
    assert_eq!(
        sql(&o, "UPDATE financials SET revenue = revenue WHERE company_id = 2").await,
        Ok(0)
    );
    assert!(
        sql(&o, "UPDATE financials SET revenue = revenue WHERE company_id = 1")
            .await
            .unwrap()
            > 0
    );

    // Not a member: nothing at all, through Katalis or psql.
    let e = refused(&katalis(&n, h, &["report"]));
    assert!(e.contains("no companies yet"), "{e}");
    assert_eq!(count(&n, "SELECT count(*) FROM companies").await, 0);
    assert_eq!(count(&n, "SELECT count(*) FROM invoices").await, 0);

    // The admin sees every write with who made it.
    let audit: Value = serde_json::from_str(&ok(&katalis(
        &admin,
        h,
        &["audit", "--company", tallo, "--format", "json"],
    )))
    .unwrap();
    let who: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["who"].as_str().unwrap())
        .collect();
    assert!(who.contains(&ana.as_str()) && who.contains(&olga.as_str()), "{who:?}");
    // A viewer reads the trail of its company and cannot change it.
    let seen: Value = serde_json::from_str(&ok(&katalis(&v, h, &["audit", "--format", "json"]))).unwrap();
    assert!(seen.as_array().unwrap().iter().all(|r| r["company"] == tallo));
}

#[tokio::test]
async fn migrations_are_applied_apart_from_use() {
    let Some(admin) = common::fresh_pg_url().await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let tag = std::process::id();
    let viewer = format!("early{tag}");
    sql(&admin, &format!("CREATE ROLE \"{viewer}\" LOGIN")).await.unwrap();
    let v = as_login(&admin, &viewer);
    // An empty database, and a role that may not create in it: told what to do, no DDL tried.
    let e = refused(&katalis(&v, h, &["report"]));
    assert!(
        e.contains(
            "missing migration 1 (schema), 2 (import mappings), 3 (team), 4 (conversations), 5 (receivable summaries), 6 (cfdi documents), 7 (bank), 8 (reconciliation)"
        ),
        "{e}"
    );
    assert!(e.contains("katalis migrate"), "{e}");
    let e = refused(&katalis(&v, h, &["migrate"]));
    assert!(e.contains("permission denied"), "{e}");
    // The admin migrates; running it again says the store is current.
    let out = katalis(&admin, h, &["migrate"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("applied migration 1, 2, 3, 4, 5, 6, 7"));
    let out = katalis(&admin, h, &["migrate"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the store is current: 9 of 9"));
    ok(&katalis(&admin, h, &["demo"]));
    ok(&katalis(
        &admin,
        h,
        &["members", "add", "Tallo Analytics", &viewer, "--role", "viewer"],
    ));
    ok(&katalis(&v, h, &["report", "--company", "Tallo Analytics"]));
    // An outdated store (a migration this binary carries is not recorded as applied).
    sql(&admin, "UPDATE _sqlx_migrations SET success = false WHERE version = 3")
        .await
        .unwrap();
    let e = refused(&katalis(&v, h, &["report"]));
    assert!(e.contains("missing migration 3 (team)"), "{e}");
    // doctor names the role's rights.
    sql(&admin, "UPDATE _sqlx_migrations SET success = true WHERE version = 3")
        .await
        .unwrap();
    let doctor = String::from_utf8_lossy(&katalis(&v, h, &["doctor"]).stdout).into_owned();
    assert!(doctor.contains(&format!("{viewer}: viewer of ")), "{doctor}");
    assert!(doctor.contains("writable"), "{doctor}");
}

/// Every write of a scripted sequence is in `katalis audit`, oldest first, with
/// who, when and what — on SQLite (the OS user) and PostgreSQL (the login).
#[tokio::test]
async fn every_write_of_a_scripted_sequence_is_audited() {
    let mut urls = vec![];
    let dir = tempfile::tempdir().unwrap();
    urls.push(format!("sqlite://{}", dir.path().join("k.db").display()));
    if let Some(pg) = common::fresh_pg_url().await {
        urls.push(pg);
    }
    for url in urls {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let c = "Tallo";
        let fin = fixture("financials-canonical.csv");
        let xlsx = fixture("financials-es.xlsx");
        let steps: Vec<Vec<String>> = vec![
            vec![
                "import",
                "financials",
                fin.to_str().unwrap(),
                "--company",
                c,
                "--create",
                "--currency",
                "MXN",
            ],
            vec![
                "import",
                "financials",
                xlsx.to_str().unwrap(),
                "--company",
                c,
                "--sheet",
                "Resumen",
                "--map",
                "month=Mes",
                "--map",
                "revenue=Ventas netas",
                "--map",
                "cogs=Costo de ventas",
                "--map",
                "opex=Gastos operativos",
                "--map",
                "cash_end=Caja al cierre",
                "--save-mapping",
                "libro",
            ],
            vec![
                "import",
                "cfdi",
                fixture("cfdi/ok").to_str().unwrap(),
                "--company",
                c,
                "--rfc",
                "TLA010101AB1",
            ],
            vec!["scenario", "create", "Plan", "--company", c],
            vec!["scenario", "set", "Plan", "revenue_growth=0.05", "--company", c],
            vec!["scenario", "delete", "Plan", "--company", c],
            vec!["analyze", "--agent", "advisor", "--company", c],
        ]
        .into_iter()
        .map(|s| s.into_iter().map(str::to_owned).collect())
        .collect();
        for s in &steps {
            let args: Vec<&str> = s.iter().map(String::as_str).collect();
            ok(&katalis(&url, h, &args));
        }
        let audit: Value = serde_json::from_str(&ok(&katalis(&url, h, &["audit", "--format", "json"]))).unwrap();
        let rows = audit.as_array().unwrap();
        let what: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["action"].as_str().unwrap().to_owned(),
                    r["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("import", "financials"),
            ("import", "financials"),
            ("mapping", "mapping libro"),
            ("import", "invoices"),
            ("scenario", "scenario Plan"),
            ("scenario", "scenario Plan"),
            ("scenario", "scenario Plan"),
            ("analysis", "agent advisor"),
        ];
        let got: Vec<(&str, &str)> = what.iter().map(|(a, t)| (a.as_str(), t.as_str())).collect();
        assert_eq!(got, expected, "{url}: {audit}");
        for r in rows {
            for k in ["at", "who", "company", "action", "target", "detail"] {
                assert!(r.get(k).is_some(), "{k} missing: {r}");
            }
            assert!(
                chrono::DateTime::parse_from_rfc3339(r["at"].as_str().unwrap()).is_ok(),
                "{r}"
            );
            assert_eq!(r["company"], c);
        }
        let who = rows[0]["who"].as_str().unwrap();
        if url.starts_with("sqlite") {
            assert_eq!(who, "founder", "the OS user");
        } else {
            assert_eq!(who, "postgres", "the login");
        }
        assert!(
            rows[0]["detail"]
                .as_str()
                .unwrap()
                .contains("financials-canonical.csv, 6 rows"),
            "{}",
            rows[0]
        );
        assert!(rows[4]["detail"].as_str().unwrap().contains("created from base"));
        assert!(rows[5]["detail"].as_str().unwrap().contains("revenue_growth=0.05"));
        // Since a date in the future: nothing.
        let later: Value = serde_json::from_str(&ok(&katalis(
            &url,
            h,
            &["audit", "--since", "2999-01-01", "--format", "json"],
        )))
        .unwrap();
        assert_eq!(later, Value::Array(vec![]));
        // The trail is append-only (SQLite by trigger; PostgreSQL by privileges and policy, tested above).
        if url.starts_with("sqlite") {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let e = sqlx::query("DELETE FROM audit").execute(&mut conn).await.unwrap_err();
            assert!(e.to_string().contains("append-only"), "{e}");
        }
        // A backup carries the trail and the members; a restore brings them back.
        let b = h.join("b.json");
        ok(&katalis(&url, h, &["backup", b.to_str().unwrap()]));
        let restored = tempfile::tempdir().unwrap();
        let target = format!("sqlite://{}", restored.path().join("r.db").display());
        ok(&katalis(&target, h, &["restore", b.to_str().unwrap()]));
        let again: Value = serde_json::from_str(&ok(&katalis(&target, h, &["audit", "--format", "json"]))).unwrap();
        assert_eq!(again, audit, "{url}: the trail survives backup and restore");
    }
}
