//! The team's PostgreSQL where teams keep it: through a real PgBouncer in
//! transaction mode with default settings (detected, not told), over TLS
//! verified against a private CA, and every way a connection or a statement
//! can fail said in one line; SQLite's file errors name the file.

mod common;

use common::{command, refused, stderr_ok, stdout_ok};
use katalis::store::{AnyStore, PgSettings, Store};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// The binary on `url`, with the direct URL in the environment when given.
fn run(url: &str, direct: Option<&str>, home: &Path, args: &[&str]) -> Output {
    let mut cmd = command(Some(url), home);
    if let Some(d) = direct {
        cmd.env("KATALIS_DATABASE_DIRECT_URL", d);
    }
    cmd.args(args).output().expect("run katalis")
}

/// What `doctor` printed: it exits 1 when a check fails (here: the test
/// server's plaintext link), which these tests do not look at.
fn said(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A URL's database swapped for `db`.
fn with_db(url: &str, db: &str) -> String {
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap();
    format!("{base}/{db}")
}

/// Through PgBouncer, the pooler found by itself: a fresh database is
/// migrated over the direct URL (and refused without one, saying what to
/// set), then the demo, an import, the audit trail, members, a backup and
/// its restore all work, and the report is byte for byte the direct one's.
#[tokio::test]
async fn every_command_works_through_a_transaction_pooler_it_detects() {
    let Some((pooled, settings)) = common::fresh_pooled().await else {
        return;
    };
    // Not told: no ?pooler= in the URL.
    let url = pooled.split('?').next().unwrap().to_owned();
    let direct = settings.direct_url.unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    let e = refused(&run(&url, None, h, &["demo"]));
    assert!(
        e.contains("needs a direct connection") && e.contains("database_direct_url"),
        "{e}"
    );
    stderr_ok(&run(&url, Some(&direct), h, &["demo"]));
    let doctor = said(&run(&url, None, h, &["doctor"]));
    assert!(
        doctor.contains("through a transaction pooler (two connections were served by one server process)"),
        "{doctor}"
    );
    assert!(doctor.contains("the audit trail read every 2 s"), "{doctor}");
    let doctor = said(&run(&url, Some(&direct), h, &["doctor"]));
    assert!(doctor.contains("LISTEN over database_direct_url"), "{doctor}");
    let straight = said(&run(&direct, None, h, &["doctor"]));
    assert!(straight.contains("direct to the server"), "{straight}");

    let tallo = "Tallo Analytics";
    let invoices = common::book("facturas-canonical.csv");
    stderr_ok(&run(
        &url,
        None,
        h,
        &["import", "invoices", invoices.to_str().unwrap(), "--company", tallo],
    ));
    let through = stdout_ok(&run(&url, None, h, &["--company", tallo, "report", "--format", "json"]));
    let straight = stdout_ok(&run(
        &direct,
        None,
        h,
        &["--company", tallo, "report", "--format", "json"],
    ));
    assert_eq!(through, straight, "the report through the pooler is the direct one's");
    let audit = stdout_ok(&run(&url, None, h, &["audit", "--company", tallo, "--format", "json"]));
    assert!(audit.contains("\"import\""), "{audit}");
    let login = format!("pooled{}", std::process::id());
    stdout_ok(&run(
        &url,
        None,
        h,
        &["members", "add", tallo, &login, "--role", "viewer", "--create-login"],
    ));
    let members = stdout_ok(&run(&url, None, h, &["members", "list", tallo]));
    assert!(members.contains(&login), "{members}");

    // Backup through the pooler, restore into another database through it.
    let file = h.join("backup.json");
    stderr_ok(&run(&url, None, h, &["backup", file.to_str().unwrap()]));
    let target_direct = common::fresh_pg_url().await.unwrap();
    let target = with_db(&url, target_direct.rsplit('/').next().unwrap());
    stderr_ok(&run(
        &target,
        Some(&target_direct),
        h,
        &["restore", file.to_str().unwrap()],
    ));
    let restored = stdout_ok(&run(
        &target,
        None,
        h,
        &["--company", tallo, "report", "--format", "json"],
    ));
    assert_eq!(restored, straight, "restored through the pooler");
}

/// What the pooler refuses, and a pooler the URL denies, each in one line.
#[tokio::test]
async fn a_pooler_refusal_is_one_line_that_says_what_to_change() {
    let Some((pooled, settings)) = common::fresh_pooled().await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    stdout_ok(&run(&settings.direct_url.unwrap(), None, h, &["migrate"]));
    let url = pooled.split('?').next().unwrap().to_owned();
    let e = refused(&run(
        &format!("{url}?options=-c%20work_mem%3D1MB"),
        None,
        h,
        &["report"],
    ));
    assert!(
        e.contains("the connection pooler refused a startup parameter (unsupported startup parameter: options)")
            && e.contains("remove options="),
        "{e}"
    );
    // Said to be direct, it prepares statements the pooler hands to the next
    // client: the second command meets the first's.
    let denied = format!("{url}?pooler=none");
    let first = run(&denied, None, h, &["demo"]);
    let second = run(&denied, None, h, &["report"]);
    let e = [first, second]
        .iter()
        .find(|o| !o.status.success())
        .map(refused)
        .expect("a prepared statement met another client's");
    assert!(
        e.contains("a transaction-mode connection pooler stands between") && e.contains("?pooler=transaction"),
        "{e}"
    );
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// verify-full against the private CA connects and doctor shows the
/// certificate (and warns: the test CA's certificate lasts 2 days); another
/// CA, another host name and a missing CA file are each refused in a line
/// that says which.
#[tokio::test]
async fn tls_is_verified_and_each_failure_says_which_check() {
    let Some(admin) = common::pg_admin_url() else { return };
    let Ok(ca) = std::env::var("KATALIS_TEST_PG_CA") else {
        assert!(
            std::env::var_os("KATALIS_REQUIRE_PG").is_none(),
            "KATALIS_TEST_PG_CA not set: scripts/test provides it"
        );
        return;
    };
    let other = Path::new(&ca).with_file_name("other-ca.crt");
    let port = port_of(&admin);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let good = format!("postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}");
    let doctor = stdout_ok(&run(&good, None, h, &["doctor"]));
    assert!(doctor.contains("sslmode=verify-full"), "{doctor}");
    let cert = doctor.lines().find(|l| l.contains("certificate")).unwrap();
    assert!(
        cert.contains("subject CN=localhost; issuer CN=Katalis test CA; expires"),
        "{cert}"
    );
    assert!(
        doctor.contains("the server's certificate expires in") && doctor.contains("renew"),
        "a certificate of 2 days is warned of: {doctor}"
    );

    let cases = [
        (
            format!(
                "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
                other.display()
            ),
            "not signed by a CA you trust",
        ),
        (
            format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"),
            "not for this host name",
        ),
        (
            format!(
                "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"
            ),
            "the CA file sslrootcert=/nonexistent/ca.crt cannot be read",
        ),
    ];
    for (url, said) in cases {
        let e = refused(&run(&url, None, h, &["report"]));
        assert!(e.contains("TLS: ") && e.contains(said), "{url}: {e}");
    }
}

/// Each way a connection fails, as the user sees it: one line, what
/// happened and what to do.
#[tokio::test]
async fn every_connection_failure_is_one_line_that_says_what_to_do() {
    let Some(admin) = common::pg_admin_url() else { return };
    let port = port_of(&admin);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let mut raw = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    let tag = std::process::id();

    // Refused: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = refused(&run(
        &format!("postgres://x@127.0.0.1:{closed_port}/db"),
        None,
        h,
        &["report"],
    ));
    assert!(e.contains("connection refused (is PostgreSQL running there?)"), "{e}");

    // Timed out: a port that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(8));
        drop(held);
    });
    let e = refused(&run(
        &format!("postgres://x@127.0.0.1:{silent_port}/db"),
        None,
        h,
        &["report"],
    ));
    assert!(e.contains("no answer within 5 s (timed out)"), "{e}");
    drop(hold);

    // Unknown database, on the server and through PgBouncer (which says it
    // with another code).
    let mut servers = vec![admin.clone()];
    servers.extend(common::pgbouncer_url());
    for server in servers {
        let e = refused(&run(&with_db(&server, "no_such_db"), None, h, &["report"]));
        assert!(
            e.contains("database \"no_such_db\" does not exist: check the database name in the URL"),
            "{server}: {e}"
        );
    }

    // Authentication: the one login the test server asks a password of.
    sqlx::raw_sql("DROP ROLE IF EXISTS katalis_password; CREATE ROLE katalis_password LOGIN PASSWORD 'right'")
        .execute(&mut raw)
        .await
        .unwrap();
    let e = refused(&run(
        &format!("postgres://katalis_password:wrong@127.0.0.1:{port}/postgres"),
        None,
        h,
        &["report"],
    ));
    assert!(
        e.contains("authentication failed for katalis_password") && e.contains("check the user and password"),
        "{e}"
    );

    // Too many connections: a login allowed none.
    let full = format!("full{tag}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE \"{full}\" LOGIN CONNECTION LIMIT 0"
    )))
    .execute(&mut raw)
    .await
    .unwrap();
    let e = refused(&run(
        &format!("postgres://{full}@127.0.0.1:{port}/postgres"),
        None,
        h,
        &["report"],
    ));
    assert!(
        e.contains("the server has no connection left for you") && e.contains("max_connections"),
        "{e}"
    );
}

/// Each way a statement fails on a working connection, in one line.
#[tokio::test]
async fn every_statement_failure_is_one_line_that_says_what_to_do() {
    let Some(url) = common::fresh_pg_url().await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    stderr_ok(&run(&url, None, h, &["demo"]));
    let tallo = "Tallo Analytics";
    let invoices = common::book("facturas-canonical.csv");
    let import = ["import", "invoices", invoices.to_str().unwrap(), "--company", tallo];

    // Statement timeout: 1 ms is shorter than any import.
    let store = AnyStore::connect_with(
        &url,
        &PgSettings {
            statement_timeout: Some(Duration::from_millis(1)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let c = store.company(tallo).await.unwrap();
    let many: Vec<_> = (0..20_000)
        .map(|i| {
            common::fixtures::inv(
                &format!("T-{i}"),
                &format!("Cliente {}", i % 97),
                "2025-01-10",
                "2025-02-10",
                1000 + i,
                0,
                None,
            )
        })
        .collect();
    let e = store
        .import(
            &katalis::store::ImportTarget::Existing(c.id),
            &katalis::store::ImportBatch::Invoices(many),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("the query took longer than 1 ms, the statement timeout, and was stopped"),
        "{e}"
    );
    store.close().await;

    // Serialization failure: two serializable transactions that each read
    // what the other writes; the second to commit is refused by the server.
    use sqlx::Connection;
    let mut a = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut b = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("CREATE TABLE ser (k int, v int); INSERT INTO ser VALUES (1, 0), (2, 0)")
        .execute(&mut a)
        .await
        .unwrap();
    let begin = "BEGIN ISOLATION LEVEL SERIALIZABLE";
    sqlx::raw_sql(begin).execute(&mut a).await.unwrap();
    sqlx::raw_sql(begin).execute(&mut b).await.unwrap();
    sqlx::raw_sql("SELECT sum(v) FROM ser WHERE k = 2")
        .execute(&mut a)
        .await
        .unwrap();
    sqlx::raw_sql("SELECT sum(v) FROM ser WHERE k = 1")
        .execute(&mut b)
        .await
        .unwrap();
    sqlx::raw_sql("UPDATE ser SET v = 1 WHERE k = 1")
        .execute(&mut a)
        .await
        .unwrap();
    sqlx::raw_sql("UPDATE ser SET v = 1 WHERE k = 2")
        .execute(&mut b)
        .await
        .unwrap();
    sqlx::raw_sql("COMMIT").execute(&mut a).await.unwrap();
    let err = sqlx::raw_sql("COMMIT").execute(&mut b).await.unwrap_err();
    let said = katalis::store::StoreError::from(err).to_string();
    assert!(
        said.starts_with("another session changed the same data at the same moment (serialization failure): nothing was saved; run it again"),
        "{said}"
    );

    // Permission: a viewer's write.
    let viewer = format!("look{}", std::process::id());
    stdout_ok(&run(
        &url,
        None,
        h,
        &["members", "add", tallo, &viewer, "--role", "viewer", "--create-login"],
    ));
    // Katalis refuses it first; the database refuses it anyway (raw SQL as
    // the viewer), and that refusal reads the same way.
    let as_viewer = url.replacen("postgres@", &format!("{viewer}@"), 1);
    let e = refused(&run(
        &as_viewer,
        None,
        h,
        &["--company", tallo, "target", "set", "runway_months", ">= 12"],
    ));
    assert!(
        e.contains("needs the analyst role; your role in \"Tallo Analytics\" is viewer"),
        "{e}"
    );
    let mut v = sqlx::PgConnection::connect(&as_viewer).await.unwrap();
    let err =
        sqlx::raw_sql("DELETE FROM targets; INSERT INTO targets (company_id, metric, rule) VALUES (1, 'x', '>= 1')")
            .execute(&mut v)
            .await
            .unwrap_err();
    let said = katalis::store::StoreError::from(err).to_string();
    assert!(
        said.starts_with("your role may not do this (") && said.contains("katalis members"),
        "{said}"
    );

    // A read-only server (as a replica is): writes refused, saying where to write.
    let db = url.rsplit('/').next().unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {db} SET default_transaction_read_only = on"
    )))
    .execute(&mut a)
    .await
    .unwrap();
    let e = refused(&run(&url, None, h, &import));
    assert!(
        e.contains("the server accepts only reads") && e.contains("point database_url at the primary"),
        "{e}"
    );
    let report = stdout_ok(&run(&url, None, h, &["--company", tallo, "report", "--format", "json"]));
    assert!(report.contains("\"company\""), "reads still work");
}

/// SQLite's file errors name the file and say what to do.
#[tokio::test]
async fn a_broken_sqlite_file_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();

    // Not a database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a_u8; 8192]).unwrap();
    let url = format!("sqlite://{}", junk.display());
    let e = refused(&run(&url, None, h, &["report"]));
    assert!(
        e.contains(&format!(
            "{} is not a Katalis store (file is not a database)",
            junk.display()
        )) && e.contains("katalis restore"),
        "{e}"
    );

    // A store whose schema page is damaged.
    let damaged = dir.path().join("damaged.db");
    let url = format!("sqlite://{}", damaged.display());
    stderr_ok(&run(&url, None, h, &["demo"]));
    let mut bytes = std::fs::read(&damaged).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xff;
    }
    std::fs::write(&damaged, bytes).unwrap();
    let e = refused(&run(&url, None, h, &["report"]));
    assert!(
        e.contains(&format!("the store file {} is damaged", damaged.display())) && e.contains("katalis restore"),
        "{e}"
    );

    // A full disk: SQLite's own error (a file held to its size by
    // max_page_count), said by the store with the file named.
    let full = dir.path().join("full.db");
    let url = format!("sqlite://{}", full.display());
    let store = AnyStore::connect(&url).await.unwrap();
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut c).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
        .execute(&mut c)
        .await
        .unwrap();
    let err = sqlx::raw_sql("CREATE TABLE filler (x BLOB); INSERT INTO filler VALUES (zeroblob(1000000))")
        .execute(&mut c)
        .await
        .unwrap_err();
    let said = store.explain_refusal(err.into()).to_string();
    assert_eq!(
        said,
        format!(
            "the disk that holds {} is full: nothing was written; free some space and try again",
            full.display()
        )
    );
}
