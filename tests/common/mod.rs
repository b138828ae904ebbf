//! Test stores: a fresh SQLite file, and a fresh database on the PostgreSQL
//! named by KATALIS_TEST_PG_URL (started by scripts/test). With CI=true or
//! KATALIS_REQUIRE_PG set, a missing PostgreSQL fails the test instead of
//! leaving it out.
#![allow(dead_code)]

pub mod fixtures;
pub mod llm_server;
pub mod tmux;
pub mod tui;

use katalis::store::AnyStore;
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TestStore {
    pub name: &'static str,
    pub url: String,
    /// The server's own URL (SQLite: the file's), for raw SQL a test checks
    /// the database with: a pooler in between would mix up its prepared
    /// statements with other clients'.
    pub raw: String,
    /// The settings the store was opened with (the direct URL behind a pooler).
    pub pg: katalis::store::PgSettings,
    pub store: AnyStore,
    _dir: Option<tempfile::TempDir>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL the tests use. Without one the tests fail — unless
/// `KATALIS_SKIP_PG=1` says, explicitly, to leave the PostgreSQL half out.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("KATALIS_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let skip = std::env::var("KATALIS_SKIP_PG").is_ok_and(|v| v == "1");
            let required = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
                || std::env::var_os("KATALIS_REQUIRE_PG").is_some();
            assert!(
                skip && !required,
                "KATALIS_TEST_PG_URL is not set: run scripts/test (it starts a PostgreSQL), \
                 or set KATALIS_SKIP_PG=1 to leave the PostgreSQL half out knowingly"
            );
            eprintln!("note: KATALIS_SKIP_PG=1: the PostgreSQL half of this test is left out");
            None
        }
    }
}

/// A URL of a new, empty PostgreSQL database.
pub async fn fresh_pg_url() -> Option<String> {
    let admin = pg_admin_url()?;
    let name = format!("katalis_t{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst));
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).expect("url with a database");
    Some(format!("{base}/{name}"))
}

pub fn fresh_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    (dir, url)
}

/// One fresh store of each kind available.
pub async fn stores() -> Vec<TestStore> {
    let (dir, url) = fresh_sqlite();
    let mut out = vec![TestStore {
        name: "sqlite",
        store: AnyStore::connect(&url).await.expect("open sqlite"),
        raw: url.clone(),
        pg: Default::default(),
        url,
        _dir: Some(dir),
    }];
    if let Some(url) = fresh_pg_url().await {
        out.push(TestStore {
            name: "postgres",
            store: AnyStore::connect(&url).await.expect("open postgres"),
            raw: url.clone(),
            pg: Default::default(),
            url,
            _dir: None,
        });
    }
    if let Some((url, settings)) = fresh_pooled().await {
        out.push(TestStore {
            name: "pgbouncer",
            store: AnyStore::connect_with(&url, &settings)
                .await
                .expect("open postgres through pgbouncer"),
            raw: settings.direct_url.clone().expect("direct url"),
            pg: settings,
            url,
            _dir: None,
        });
    }
    out
}

/// The PgBouncer in front of the test server (transaction pooling, default
/// settings; `scripts/pg-throwaway pgbouncer` starts it): its URL, when the
/// PostgreSQL tests run. Required with them under CI.
pub fn pgbouncer_url() -> Option<String> {
    pg_admin_url()?;
    match std::env::var("KATALIS_TEST_PGBOUNCER_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
                || std::env::var_os("KATALIS_REQUIRE_PG").is_some();
            assert!(
                !required,
                "KATALIS_TEST_PGBOUNCER_URL is not set: run scripts/test (it starts PgBouncer in front of the test PostgreSQL)"
            );
            None
        }
    }
}

/// A new database reached through PgBouncer: its URL there, and the settings
/// that name the server's own URL for it (migrations over a session).
pub async fn fresh_pooled() -> Option<(String, katalis::store::PgSettings)> {
    let bouncer = pgbouncer_url()?;
    let direct = fresh_pg_url().await?;
    let name = direct.rsplit_once('/').map(|(_, n)| n).expect("database name");
    let base = bouncer.rsplit_once('/').map(|(b, _)| b).expect("url with a database");
    let settings = katalis::store::PgSettings {
        direct_url: Some(direct.clone()),
        ..Default::default()
    };
    // Said in the URL: detection (tested on its own) looks at which server
    // process serves two connections, which a busy pooler may vary.
    Some((format!("{base}/{name}?pooler=transaction"), settings))
}

pub fn corpus(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(path)
}

/// The environment every launch of the binary gets: a private HOME (no real
/// config or data is touched), the OS user "founder", the C locale, and
/// `RUST_BACKTRACE=1` as many users have it (what a user sees must not depend
/// on it). The tmux tests pass the same through `env -i`.
pub fn private_env(home: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.display().to_string()),
        ("XDG_CONFIG_HOME".into(), home.join("config").display().to_string()),
        ("XDG_STATE_HOME".into(), home.join("state").display().to_string()),
        ("XDG_DATA_HOME".into(), home.join("data").display().to_string()),
        ("USER".into(), "founder".into()),
        ("LANG".into(), "C".into()),
        ("RUST_BACKTRACE".into(), "1".into()),
    ]
}

/// The one launcher: the binary with [`private_env`] and nothing else of the
/// shell's, no terminal on stdin; `--db url` first when a store is named.
pub fn command(url: Option<&str>, home: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_katalis"));
    if let Some(u) = url {
        cmd.arg("--db").arg(u);
    }
    cmd.env_clear()
        .envs(private_env(home))
        .stdin(std::process::Stdio::null());
    cmd
}

/// The binary on store `url` with a private HOME, run to the end.
pub fn katalis_in(url: &str, home: &std::path::Path, args: &[&str]) -> std::process::Output {
    command(Some(url), home).args(args).output().expect("run katalis")
}

/// The binary on store `url` in a HOME of its own, removed after.
pub fn katalis(url: &str, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    katalis_in(url, home.path(), args)
}

/// The stdout of a command that must succeed (its stderr shown when it did not).
pub fn stdout_ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A file of `tests/fixtures/books`.
pub fn book(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/books")
        .join(p)
}

/// The stderr of a command that must succeed (what an import says it did).
pub fn stderr_ok(o: &std::process::Output) -> String {
    stdout_ok(o);
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The stderr of a command that must be refused (exit 1, a one-line cause).
pub fn refused(o: &std::process::Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `report --format json` of a company without its name, for comparing two companies.
pub fn report_json(url: &str, company: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&stdout_ok(&katalis(
        url,
        &["--company", company, "report", "--format", "json"],
    )))
    .unwrap();
    v.as_object_mut().unwrap().remove("company");
    v
}
