//! A hostile but fair user, against the real binary: secrets echoed back,
//! endless inputs, mistyped paths, read-only and busy stores, prose for an
//! answer, names built to break terminals and tables. Every case ends in one
//! bounded line that names where, with nothing lost; on both stores where a
//! store is involved.

mod common;

use common::llm_server::{DONE, Reply, Server, answer, delta, finish};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const KEY: &str = "sk-hostile-abcdefghijklmnopqrstu7777";
const MASKED: &str = "sk-…7777";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn sqlite(&self) -> String {
        format!("sqlite://{}", self.path("k.db").display())
    }
    /// The binary with a private HOME, RUST_BACKTRACE set as many users have it.
    fn command(&self, url: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = common::command(Some(url), &self.path("home"));
        cmd.args(args).env("RUST_BACKTRACE", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }
    fn run(&self, url: &str, args: &[&str]) -> Output {
        self.command(url, args, &[]).output().unwrap()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exit 1 with exactly one line on stderr, no backtrace, no repeated cause.
fn one_line_failure(o: &Output) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(
        !e.contains("backtrace") && !e.contains("Location:") && !e.contains("Caused by"),
        "{e}"
    );
    let line = e.trim_start_matches("katalis: ");
    let parts: Vec<&str> = line.split(": ").collect();
    for w in parts.windows(2) {
        assert_ne!(w[0], w[1], "a cause said twice: {e}");
    }
    e
}

/// The URLs of a fresh SQLite file and, when PostgreSQL is available, a fresh database.
async fn urls(env: &Env) -> Vec<String> {
    let mut out = vec![env.sqlite()];
    if let Some(pg) = common::fresh_pg_url().await {
        out.push(pg);
    }
    out
}

fn demo(env: &Env, url: &str) {
    ok(&env.run(url, &["demo"]));
}

#[tokio::test]
async fn endless_and_special_files_are_refused_by_name_with_nothing_written() {
    let env = Env::new();
    for url in urls(&env).await {
        demo(&env, &url);
        let before = ok(&env.run(&url, &["report", "--format", "json", "--company", "Tallo Analytics"]));
        // A device that never ends, a pipe, a folder.
        let e = one_line_failure(&env.run(
            &url,
            &["import", "invoices", "/dev/zero", "--company", "Tallo Analytics"],
        ));
        assert!(
            e.contains("/dev/zero: expected a regular file; this is not a regular file"),
            "{e}"
        );
        let fifo = env.path("pipe.csv");
        if !fifo.exists() {
            assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        }
        let e = one_line_failure(&env.run(
            &url,
            &[
                "import",
                "invoices",
                fifo.to_str().unwrap(),
                "--company",
                "Tallo Analytics",
            ],
        ));
        assert!(e.contains("pipe.csv: expected a regular file"), "{e}");
        let e = one_line_failure(&env.run(
            &url,
            &[
                "import",
                "invoices",
                env.dir.path().to_str().unwrap(),
                "--company",
                "Tallo Analytics",
            ],
        ));
        assert!(e.contains("expected a .csv, .xlsx, .xls or .ods file"), "{e}");
        // A 20 MB line: refused at 1 MiB, not read whole.
        let long = env.path("long.csv");
        let mut text = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
        text.push_str(&"x".repeat(20 * 1024 * 1024));
        std::fs::write(&long, text).unwrap();
        let e = one_line_failure(&env.run(
            &url,
            &[
                "import",
                "invoices",
                long.to_str().unwrap(),
                "--company",
                "Tallo Analytics",
            ],
        ));
        assert!(e.contains("long.csv: row 2: expected lines of at most 1024 KiB"), "{e}");
        // A 5 MB customer name and a 100-digit number: refused, with the limit said.
        let big = env.path("big-name.csv");
        std::fs::write(
            &big,
            format!(
                "number,customer,issue_date,due_date,amount,paid_amount,paid_date\nA-1,{},2025-01-01,2025-01-31,10,0,\nA-2,B,2025-01-01,2025-01-31,{},0,\n",
                "N".repeat(500_000),
                "9".repeat(100)
            ),
        )
        .unwrap();
        let o = env.run(
            &url,
            &[
                "import",
                "invoices",
                big.to_str().unwrap(),
                "--company",
                "Tallo Analytics",
            ],
        );
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            e.contains("row 2, column customer") && e.contains("expected text of at most 4096 bytes"),
            "{e}"
        );
        assert!(
            e.contains("row 3, column amount") && e.contains("a number of at most 64 characters"),
            "{e}"
        );
        assert!(
            e.len() < 2000,
            "the values are shortened in the message: {} bytes",
            e.len()
        );
        let after = ok(&env.run(&url, &["report", "--format", "json", "--company", "Tallo Analytics"]));
        assert_eq!(before, after, "{url}: nothing written");
    }
}

#[tokio::test]
async fn bad_input_is_one_line_whatever_rust_backtrace_says() {
    let env = Env::new();
    let url = env.sqlite();
    demo(&env, &url);
    let bad = env.path("bad.csv");
    std::fs::write(
        &bad,
        "month,revenue,cogs,opex,cash_end\r\n2025-01,1,1,1,1\r\n2025-02,1.234,5,1,1,1\r\n",
    )
    .unwrap();
    let e = one_line_failure(&env.run(
        &url,
        &[
            "import",
            "financials",
            bad.to_str().unwrap(),
            "--company",
            "X",
            "--create",
            "--currency",
            "USD",
        ],
    ));
    assert!(
        e.contains("bad.csv: row 3: expected 5 fields like the header, found 6"),
        "{e}"
    );
    // Unknown company, bad --as-of, a missing backup file: one line each, the path named.
    one_line_failure(&env.run(&url, &["report", "--company", "Nobody"]));
    one_line_failure(&env.run(&url, &["report", "--as-of", "2099-13"]));
    let e = one_line_failure(&env.run(&url, &["restore", "/nonexistent/backup.json"]));
    assert!(e.contains("/nonexistent/backup.json"), "{e}");
}

#[test]
fn a_mistyped_store_path_is_an_error_and_creates_nothing() {
    let env = Env::new();
    let url = format!("sqlite://{}", env.path("tyop/k.db").display());
    let e = one_line_failure(&env.run(&url, &["report"]));
    assert!(
        e.contains("the directory") && e.contains("tyop of the store") && e.contains("does not exist"),
        "{e}"
    );
    assert!(!env.path("tyop").exists());
}

#[test]
fn a_pipe_on_an_empty_store_writes_nothing_and_commands_leave_no_wal() {
    let env = Env::new();
    let url = env.sqlite();
    let o = env.run(&url, &[]);
    one_line_failure(&o);
    assert!(stderr(&o).contains("katalis demo"));
    assert!(o.stdout.is_empty());
    let o = env.run(&url, &["report"]);
    assert!(stderr(&o).contains("no companies yet"), "{}", stderr(&o));
    demo(&env, &url);
    ok(&env.run(&url, &["report"]));
    let names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("k.db"))
        .collect();
    assert_eq!(names, ["k.db"], "the file alone holds the data");
}

#[test]
fn a_read_only_store_says_so_with_its_path() {
    let env = Env::new();
    let url = env.sqlite();
    demo(&env, &url);
    let ro = format!("{url}?mode=ro");
    ok(&env.run(&ro, &["report"]));
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/books/financials-canonical.csv");
    let e = one_line_failure(&env.run(
        &ro,
        &[
            "import",
            "financials",
            csv.to_str().unwrap(),
            "--company",
            "Tallo Analytics",
        ],
    ));
    assert!(
        e.contains(&format!("the store file {} is read-only", env.path("k.db").display())),
        "{e}"
    );
    let doctor = env.run(&ro, &["doctor"]);
    assert!(
        String::from_utf8_lossy(&doctor.stdout).contains("FAIL writable"),
        "{:?}",
        doctor
    );
}

/// A save while a long import holds the write lock waits for it instead of failing.
#[test]
fn a_write_during_an_import_waits_for_it() {
    let env = Env::new();
    let url = env.sqlite();
    demo(&env, &url);
    let big = env.path("big.csv");
    let mut text = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
    for i in 0..300_000 {
        text.push_str(&format!(
            "H-{i},Customer {},2025-03-01,2025-03-31,{}.25,0,\n",
            i % 300,
            100 + i % 900
        ));
    }
    std::fs::write(&big, text).unwrap();
    let mut import = env
        .command(
            &url,
            &[
                "import",
                "invoices",
                big.to_str().unwrap(),
                "--company",
                "Tallo Analytics",
            ],
            &[],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let save = env.run(&url, &["scenario", "create", "During", "--company", "Tallo Analytics"]);
    assert!(save.status.success(), "{}", stderr(&save));
    assert!(import.wait().unwrap().success());
    let list = ok(&env.run(&url, &["scenario", "list", "--company", "Tallo Analytics"]));
    assert!(list.contains("During"), "{list}");
}

/// The real binary against an endpoint (or a proxy) that echoes the key in its
/// error body, its headers and its stream: the key reaches neither the terminal
/// nor the log file nor the store.
#[test]
fn an_echoed_key_reaches_no_screen_log_or_store() {
    let env = Env::new();
    let url = env.sqlite();
    demo(&env, &url);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(vec![
        Reply::Status {
            code: 401,
            headers: vec![("x-echo", KEY.to_owned())],
            body: format!(r#"{{"error":{{"message":"bad key {KEY}"}}}}"#),
        },
        Reply::Stream(answer(
            &format!("The key you sent is {KEY}. Runway is fine."),
            7,
            Duration::ZERO,
        )),
    ]));
    let ai = [
        ("KATALIS_AI_BASE_URL", server.url.as_str()),
        ("KATALIS_AI_API_KEY", KEY),
        ("KATALIS_AI_MODEL", "echo"),
    ];
    let run = |args: &[&str]| env.command(&url, args, &ai).output().unwrap();
    let o = run(&["analyze", "--agent", "advisor", "--company", "Tallo Analytics"]);
    let e = one_line_failure(&o);
    assert!(e.contains(MASKED) && !e.contains(KEY), "{e}");
    let o = run(&[
        "analyze",
        "--agent",
        "advisor",
        "--company",
        "Tallo Analytics",
        "--no-cache",
    ]);
    let out = ok(&o);
    assert!(out.contains(MASKED) && !out.contains(KEY), "{out}");
    assert!(!stderr(&o).contains(KEY));
    let backup = env.path("b.json");
    ok(&env.run(&url, &["backup", backup.to_str().unwrap()]));
    assert!(!std::fs::read_to_string(&backup).unwrap().contains(KEY));
    for entry in walk(&env.path("home")) {
        let text = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(KEY),
            "{} holds the key",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A 3 MB event, a 10 MB error body, and a model that answers in prose — each
/// ends in what a person can use.
#[test]
fn endless_answers_are_bounded_and_prose_is_an_answer() {
    let env = Env::new();
    let url = env.sqlite();
    demo(&env, &url);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(vec![
        Reply::Stream(vec![
            (Duration::ZERO, delta("Partial text first. ")),
            (Duration::ZERO, delta(&"z".repeat(3 * 1024 * 1024))),
            (Duration::ZERO, finish()),
            (Duration::ZERO, DONE.to_owned()),
        ]),
        Reply::Status {
            code: 400,
            headers: vec![],
            body: "E".repeat(10 * 1024 * 1024),
        },
        Reply::Stream(answer(
            "Cash is tight: runway near 77.7 months and margin 12.34%. Collect faster.",
            9,
            Duration::ZERO,
        )),
    ]));
    let ai = [
        ("KATALIS_AI_BASE_URL", server.url.as_str()),
        ("KATALIS_AI_MODEL", "prose"),
    ];
    let run = |args: &[&str]| env.command(&url, args, &ai).output().unwrap();
    let args = [
        "analyze",
        "--agent",
        "advisor",
        "--company",
        "Tallo Analytics",
        "--no-cache",
    ];
    let o = run(&args);
    let e = one_line_failure(&o);
    assert!(
        e.contains("a stream event over 1024 KiB; the text so far is kept"),
        "{e}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("Partial text first."));
    let o = run(&args);
    let e = one_line_failure(&o);
    assert!(e.len() < 400, "the error body is cut: {} bytes", e.len());
    let o = run(&args);
    let out = ok(&o);
    assert!(out.contains("Cash is tight"), "{out}");
    assert!(
        out.contains("from Katalis' local rules: the model answered in text"),
        "{out}"
    );
    assert!(out.contains("77.7"), "{out}");
    let said = format!("{out}{}", stderr(&o));
    assert!(said.contains("unverified") || said.contains("Unverified"), "{said}");
}

/// Names built to break terminals, tables and JSON readers.
#[tokio::test]
async fn hostile_names_stay_in_their_columns_and_escaped_in_json() {
    let env = Env::new();
    for url in urls(&env).await {
        let csv = env.path("names.csv");
        let names = [
            "Familia 👨\u{200d}👩\u{200d}👧 SA",
            "Cafe\u{301} Ñandú",
            "evil\u{202e}gnp.exe",
            "zero\u{200b}width\u{feff}",
            "\u{1b}[31mRed\u{1b}[0m\u{85}C1",
        ];
        let mut text = String::from("number,customer,issue_date,due_date,amount,paid_amount,paid_date\n");
        for (i, n) in names.iter().enumerate() {
            text.push_str(&format!(
                "N-{i},\"{n}\",2025-01-0{},2025-02-01,{}.00,0,\n",
                i + 1,
                1000 * (i + 1)
            ));
        }
        std::fs::write(&csv, text).unwrap();
        let fin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/books/financials-canonical.csv");
        ok(&env.run(
            &url,
            &[
                "import",
                "financials",
                fin.to_str().unwrap(),
                "--company",
                "H",
                "--create",
                "--currency",
                "MXN",
            ],
        ));
        ok(&env.run(&url, &["import", "invoices", csv.to_str().unwrap(), "--company", "H"]));
        let json = ok(&env.run(&url, &["report", "--format", "json", "--company", "H"]));
        for raw in ['\u{202e}', '\u{85}', '\u{200b}', '\u{feff}', '\u{1b}'] {
            assert!(!json.contains(raw), "{url}: {raw:?} written raw in JSON");
        }
        assert!(json.contains("evil\\u202egnp.exe"), "{json}");
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        // Human output: no escape, C1 or bidi character reaches the terminal.
        let md = ok(&env.run(&url, &["report", "--company", "H"]));
        for raw in ['\u{202e}', '\u{85}', '\u{200b}', '\u{1b}'] {
            assert!(!md.contains(raw), "{url}: {raw:?} in the markdown report");
        }
        // A CFDI listing with such names keeps its columns by display width.
        let dir = env.path("cfdi");
        std::fs::create_dir_all(&dir).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/books/cfdi/ok/emitidas/2025-01");
        for (f, name) in [
            ("A-101.xml", "Familia 👨\u{200d}👩\u{200d}👧 北京"),
            ("A-102.xml", "Cafe\u{301} Ñandú"),
        ] {
            let xml = std::fs::read_to_string(src.join(f)).unwrap();
            let xml = xml
                .replace("Comercializadora del Norte", name)
                .replace("Restaurantes La Ceiba", name);
            std::fs::write(dir.join(f), xml).unwrap();
        }
        let table = ok(&env.run(
            &url,
            &[
                "import",
                "cfdi",
                dir.to_str().unwrap(),
                "--company",
                "H",
                "--rfc",
                "TLA010101AB1",
                "--dry-run",
            ],
        ));
        let widths: Vec<usize> = table.lines().map(unicode_width::UnicodeWidthStr::width).collect();
        assert_eq!(widths.len(), 3, "{table}");
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}\n{table}");
        assert!(!table.contains('\u{200d}'), "zero-width joiners removed: {table}");
    }
}

/// A PostgreSQL that is not there, does not answer, or refuses the login: one
/// line naming the host and the cause, within the connect timeout.
#[tokio::test]
async fn an_unreachable_store_names_the_host_and_the_cause() {
    let env = Env::new();
    let e = one_line_failure(&env.run("postgres://k@127.0.0.1:1/db", &["report"]));
    assert!(e.contains("127.0.0.1:1: connection refused"), "{e}");
    // Accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let t = std::time::Instant::now();
    let e = one_line_failure(&env.run(&format!("postgres://k@127.0.0.1:{port}/db"), &["report"]));
    assert!(
        e.contains(&format!("127.0.0.1:{port}: no answer within 5 s (timed out)")),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(9), "{:?}", t.elapsed());
    drop(silent);
    if let Some(admin) = common::pg_admin_url() {
        let (scheme, rest) = admin.split_once("://").unwrap();
        let (_, host) = rest.split_once('@').unwrap();
        let stranger = format!("{scheme}://nosuchlogin@{host}");
        let e = one_line_failure(&env.run(&stranger, &["report"]));
        assert!(e.contains("authentication failed for nosuchlogin"), "{e}");
    }
}
