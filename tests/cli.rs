//! The binary end to end: commands, output contracts and exit codes.

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("k.db").display())
    }
    /// Runs katalis with a private HOME/XDG so no real config or data is touched.
    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().unwrap()
    }
    /// The binary with a private HOME/XDG and `env`, not yet started.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = common::command(None, &self.dir.path().join("home"));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A runtime for the scripted AI server while the binary runs beside it.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const KEYS: &[&str] = &[
    "company",
    "currency",
    "as_of",
    "profitability.revenue_ttm",
    "profitability.gross_margin",
    "profitability.operating_margin",
    "profitability.ebitda_margin",
    "profitability.net_margin",
    "profitability.break_even_revenue",
    "unit_economics.arpa",
    "unit_economics.customer_churn",
    "unit_economics.ltv",
    "unit_economics.cac",
    "unit_economics.ltv_to_cac",
    "unit_economics.cac_payback_months",
    "cash_flow.cash_end",
    "cash_flow.net_burn",
    "cash_flow.gross_burn",
    "cash_flow.runway_months",
    "cash_flow.cash_zero_month",
    "growth.revenue_mom",
    "growth.revenue_yoy",
    "growth.revenue_growth_ttm",
    "growth.cmgr_3",
    "growth.cmgr_12",
    "growth.burn_multiple",
    "growth.rule_of_40",
    "collections.ar_total",
    "collections.aging.current",
    "collections.aging.d1_30",
    "collections.aging.d31_60",
    "collections.aging.d61_90",
    "collections.aging.d90_plus",
    "collections.overdue_share",
    "collections.dso",
    "collections.cei",
    "collections.call_list",
    "pricing.products",
    "health.profitability",
    "health.unit_economics",
    "health.cash_flow",
    "health.growth_efficiency",
    "health.total_score",
    "health.focus_area",
    "monthly",
];

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

#[test]
fn report_json_has_every_key_in_its_number_format() {
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    for company in ["Tallo Analytics", "Sazón de Barrio", "Distribuidora Río Bravo"] {
        let out = ok(&e.run(&["report", "--format", "json", "--db", &e.url(), "--company", company]));
        let v: Value = serde_json::from_str(&out).unwrap();
        for k in KEYS {
            assert!(get(&v, k).is_some(), "{company}: missing {k}");
        }
        let money = |k: &str| get(&v, k).unwrap().as_str().map(|s| s.split('.').nth(1).map(str::len));
        assert_eq!(money("profitability.revenue_ttm"), Some(Some(2)));
        assert_eq!(money("profitability.gross_margin"), Some(Some(4)));
        assert_eq!(money("health.total_score"), Some(Some(2)));
        for p in get(&v, "pricing.products").unwrap().as_array().unwrap() {
            for k in [
                "sku",
                "unit_price",
                "unit_cost",
                "contribution_margin",
                "contribution_margin_ratio",
                "markup",
                "break_even_units",
                "break_even_revenue",
            ] {
                assert!(p.get(k).is_some(), "product key {k}");
            }
            assert!(p["break_even_units"].is_u64() || p["break_even_units"].is_null());
        }
        let list = get(&v, "collections.call_list").unwrap().as_array().unwrap();
        assert!(list.len() <= 10);
        for c in list {
            assert!(c["max_days_past_due"].is_i64());
        }
        let months = v["monthly"].as_array().unwrap();
        assert_eq!(months.len(), 30);
        assert_eq!(months[0]["month"], "2024-05");
        assert!(months[0]["net_cash_flow"].is_null(), "no previous month");
        assert_eq!(v["as_of"], "2026-10");
    }
    // The restaurant has no customer counts: unit economics are null, never 0.
    let out = ok(&e.run(&[
        "report",
        "--format",
        "json",
        "--db",
        &e.url(),
        "--company",
        "Sazón de Barrio",
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["unit_economics"]["arpa"].is_null());
    assert!(v["health"]["unit_economics"].is_null());
    // --as-of picks an earlier month.
    let out = ok(&e.run(&["report", "--format", "json", "--as-of", "2025-06", "--db", &e.url()]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["as_of"], "2025-06");
    assert_eq!(v["monthly"].as_array().unwrap().len(), 14);
}

#[test]
fn report_csv_and_markdown() {
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    let csv = ok(&e.run(&[
        "report",
        "--format",
        "csv",
        "--db",
        &e.url(),
        "--company",
        "Distribuidora Río Bravo",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,metric,value");
    assert!(lines.contains(&"report,as_of,2026-10"));
    assert!(lines.iter().any(|l| l.starts_with("collections,aging.d1_30,")));
    assert!(lines.iter().any(|l| l.starts_with("pricing,products.0.markup,0.")));
    assert!(lines.iter().any(|l| l.starts_with("monthly,0.month,2024-05")));
    assert!(lines.contains(&"monthly,0.net_cash_flow,"), "null is an empty cell");
    let md = ok(&e.run(&[
        "report",
        "--db",
        &e.url(),
        "--company",
        "Sazón de Barrio",
        "--lang",
        "es",
    ]));
    assert!(md.contains("# Sazón de Barrio — reporte al 2026-10"));
    assert!(md.contains("COP"), "amounts carry the currency");
    assert!(md.contains("Salud financiera"));
    assert!(md.contains("NM"), "a pillar without data shows NM");
    assert!(regex_like_colombian(&md), "es-CO amounts use 1.234,56");
}

fn regex_like_colombian(md: &str) -> bool {
    md.lines()
        .any(|l| l.contains("Caja al cierre") && l.contains('.') && l.contains(','))
}

#[test]
fn exit_codes_and_one_line_causes() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let o = e.run(&["report", "--db", &url, "--company", "Nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("no company named \"Nope\""));
    let o = e.run(&["report", "--db", &url, "--as-of", "1999-01"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no financials for 1999-01"), "{}", stderr(&o));
    let o = e.run(&["report", "--db", &url, "--as-of", "june"]);
    assert_eq!(o.status.code(), Some(1));
    let o = e.run(&["import", "financials", "x.csv", "--db", &url]);
    assert_eq!(o.status.code(), Some(2), "import requires --company");
    let o = e.run(&["report", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let bad = common::corpus("bad/financials-thousands.csv");
    let o = e.run(&[
        "import",
        "financials",
        bad.to_str().unwrap(),
        "--company",
        "Tallo Analytics",
        "--db",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("row 3, column revenue"), "{}", stderr(&o));
    let o = e.run(&["report", "--db", "mysql://x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unsupported database URL"));
}

#[test]
fn import_creates_a_company_and_refuses_unknown_ones_without_create() {
    let e = Env::new();
    let url = e.url();
    let good = common::corpus("good/financials-excel.csv");
    let f = good.to_str().unwrap();
    let o = e.run(&["import", "financials", f, "--company", "Nueva", "--db", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--create"), "{}", stderr(&o));
    let o = e.run(&[
        "import",
        "financials",
        f,
        "--company",
        "Nueva",
        "--create",
        "--db",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(2), "--create requires --currency");
    ok(&e.run(&[
        "import",
        "financials",
        f,
        "--company",
        "Nueva",
        "--create",
        "--currency",
        "mxn",
        "--db",
        &url,
    ]));
    let v: Value = serde_json::from_str(&ok(&e.run(&["report", "--format", "json", "--db", &url]))).unwrap();
    assert_eq!(v["company"], "Nueva");
    assert_eq!(v["currency"], "MXN");
    assert_eq!(v["cash_flow"]["cash_end"], "5380.50");
    assert!(v["growth"]["revenue_yoy"].is_null());
}

#[test]
fn the_default_store_is_a_file_in_the_data_dir_and_database_url_is_ignored() {
    let e = Env::new();
    let env = [("DATABASE_URL", "postgres://someone-else@127.0.0.1:1/other")];
    ok(&e.run_env(&["demo"], &env));
    let db = e.dir.path().join("home/data/katalis/katalis.db");
    assert!(db.exists(), "default SQLite file at {}", db.display());
    let out = ok(&e.run_env(&["report", "--format", "json"], &env));
    assert!(out.contains("\"company\": \"Tallo Analytics\""));
    // KATALIS_DATABASE_URL is honoured.
    let other = format!("sqlite://{}", e.dir.path().join("other.db").display());
    let o = e.run_env(&["report"], &[("KATALIS_DATABASE_URL", other.as_str())]);
    assert_eq!(o.status.code(), Some(1), "a new, empty store has no companies");
    assert!(Path::new(&e.dir.path().join("other.db")).exists());
}

#[test]
fn bare_katalis_in_a_pipe_never_fills_an_empty_store_and_shows_the_dashboard() {
    let e = Env::new();
    // An empty store: how to load the demo, exit 1, nothing written.
    let o = e.run(&["--db", &e.url()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("katalis demo"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let o = e.run(&["report", "--db", &e.url()]);
    assert!(stderr(&o).contains("no companies yet"), "{}", stderr(&o));
    ok(&e.run(&["demo", "--db", &e.url()]));
    let out = ok(&e.run(&["--db", &e.url()]));
    assert!(out.contains("Tallo Analytics"));
    assert!(out.contains("Health score"));
    // The store file alone holds the data once a command ends: no WAL left behind.
    let leftovers: Vec<_> = std::fs::read_dir(e.dir.path())
        .unwrap()
        .filter_map(|f| f.ok())
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("k.db-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn scenario_base_projects_from_actuals() {
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    let list = ok(&e.run(&["scenario", "list", "--db", &e.url()]));
    assert_eq!(list.trim(), "base");
    let v: Value = serde_json::from_str(&ok(&e.run(&[
        "scenario",
        "project",
        "base",
        "--format",
        "json",
        "--db",
        &e.url(),
    ])))
    .unwrap();
    for k in [
        "scenario",
        "base_month",
        "drivers",
        "months",
        "cash_zero_month",
        "break_even_month",
        "min_cash",
        "cash_at_horizon",
        "runway_at_horizon",
        "npv",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["base_month"], "2026-10");
    assert_eq!(v["months"].as_array().unwrap().len(), 24);
    assert_eq!(v["drivers"]["horizon_months"], 24);
    let g = v["drivers"]["revenue_growth"].as_str().unwrap();
    assert_eq!(g.split('.').nth(1).map(str::len), Some(6), "rates print at 6 decimals");
    assert_eq!(
        v["drivers"]["opex_base"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .map(str::len),
        Some(2)
    );
    assert_eq!(v["drivers"]["discount_rate"], "0.120000");
    let o = e.run(&["scenario", "show", "nope", "--db", &e.url()]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn doctor_reports_each_check() {
    let e = Env::new();
    let out = ok(&e.run(&["doctor", "--db", &e.url()]));
    for check in ["config", "store", "latency", "migrations", "ai", "terminal"] {
        assert!(
            out.lines().any(|l| l.split_whitespace().nth(1) == Some(check)),
            "{check}: {out}"
        );
    }
    let o = e.run(&["doctor", "--db", "postgres://u:secret@127.0.0.1:1/db"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("FAIL"));
    assert!(!text.contains("secret"), "the password is never printed: {text}");
}

#[test]
fn backup_and_restore_through_the_cli() {
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    let file = e.dir.path().join("snap.json");
    ok(&e.run(&["backup", file.to_str().unwrap(), "--db", &e.url()]));
    let report = ok(&e.run(&[
        "report",
        "--format",
        "json",
        "--db",
        &e.url(),
        "--company",
        "Distribuidora Río Bravo",
    ]));
    let target = format!("sqlite://{}", e.dir.path().join("restored.db").display());
    ok(&e.run(&["restore", file.to_str().unwrap(), "--db", &target]));
    let again = ok(&e.run(&[
        "report",
        "--format",
        "json",
        "--db",
        &target,
        "--company",
        "Distribuidora Río Bravo",
    ]));
    assert_eq!(report, again);
    let o = e.run(&["restore", file.to_str().unwrap(), "--db", &target]);
    assert_eq!(o.status.code(), Some(1), "restore refuses a store that is not empty");
    std::fs::write(e.dir.path().join("junk.json"), "{\"hello\": 1}").unwrap();
    let empty = format!("sqlite://{}", e.dir.path().join("e.db").display());
    let o = e.run(&[
        "restore",
        e.dir.path().join("junk.json").to_str().unwrap(),
        "--db",
        &empty,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a valid Katalis backup"));
}

#[test]
fn outside_text_is_sanitised_in_human_output() {
    let e = Env::new();
    let path = e.dir.path().join("evil.csv");
    std::fs::write(
        &path,
        "number,customer,issue_date,due_date,amount,paid_amount,paid_date\n\
         X1,\"Evil\u{1b}]52;c;aGk=\u{7}\u{1b}[31mCorp\u{202e}\",2026-01-01,2026-01-31,100,0,\n",
    )
    .unwrap();
    let fin = common::corpus("good/financials-excel.csv");
    ok(&e.run(&[
        "import",
        "financials",
        fin.to_str().unwrap(),
        "--company",
        "E",
        "--create",
        "--currency",
        "USD",
        "--db",
        &e.url(),
    ]));
    ok(&e.run(&[
        "import",
        "invoices",
        path.to_str().unwrap(),
        "--company",
        "E",
        "--db",
        &e.url(),
    ]));
    // Invoices issued after the as-of month do not count; report a later month too.
    for format in ["md", "csv"] {
        let out = ok(&e.run(&["report", "--format", format, "--db", &e.url()]));
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}') && !out.contains('\u{7}'),
            "{format}"
        );
    }
}

#[test]
fn postgres_through_the_cli_matches_sqlite() {
    let Some(pg) = tokio::runtime::Runtime::new().unwrap().block_on(common::fresh_pg_url()) else {
        return;
    };
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    ok(&e.run(&["demo", "--db", &pg]));
    for company in ["Tallo Analytics", "Sazón de Barrio", "Distribuidora Río Bravo"] {
        let a = ok(&e.run(&["report", "--format", "json", "--db", &e.url(), "--company", company]));
        let b = ok(&e.run(&["report", "--format", "json", "--db", &pg, "--company", company]));
        assert_eq!(a, b, "{company}: byte-identical JSON from both stores");
    }
    ok(&e.run(&["doctor", "--db", &pg]));
}

#[test]
fn scenarios_are_made_changed_sought_and_deleted_from_scripts() {
    let e = Env::new();
    let db = e.url();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", db.as_str()]);
        e.run(&all)
    };
    ok(&run(&["demo"]));
    ok(&run(&["scenario", "create", "lean", "--from", "base"]));
    assert_eq!(
        run(&["scenario", "create", "lean"]).status.code(),
        Some(1),
        "names are unique"
    );
    ok(&run(&[
        "scenario",
        "set",
        "lean",
        "revenue_growth=0.0812345",
        "opex_base=250000.555",
        "hire=3:2:4500",
        "cash_event=6:1500000:Serie A",
    ]));
    let v: Value = serde_json::from_str(&ok(&run(&["scenario", "project", "lean", "--format", "json"]))).unwrap();
    assert_eq!(v["drivers"]["revenue_growth"], "0.081234", "rates kept at 6 decimals");
    assert_eq!(v["drivers"]["opex_base"], "250000.56", "amounts at 2 (half-even)");
    assert_eq!(v["drivers"]["hires"][0]["monthly_cost"], "4500.00");
    assert_eq!(v["drivers"]["cash_events"][0]["label"], "Serie A");
    assert_eq!(v["months"][2]["opex"], "259000.56", "the hire counts from month 3");
    let g: Value = serde_json::from_str(&ok(&run(&[
        "scenario",
        "goal-seek",
        "lean",
        "--driver",
        "opex_base",
        "--target",
        "min_cash>=0",
        "--min",
        "0",
        "--max",
        "1000000",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(g["met"], true);
    assert_eq!(g["driver"], "opex_base");
    let none: Value = serde_json::from_str(&ok(&run(&[
        "scenario",
        "goal-seek",
        "lean",
        "--driver",
        "revenue_growth",
        "--target",
        "break_even_by=2",
        "--min",
        "0",
        "--max",
        "0.001",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(
        (none["met"].as_bool(), none["value"].is_null()),
        (Some(false), true),
        "not found is an answer, exit 0"
    );
    ok(&run(&[
        "scenario",
        "goal-seek",
        "lean",
        "--driver",
        "opex_base",
        "--target",
        "min_cash>=0",
        "--min",
        "0",
        "--max",
        "1000000",
        "--apply",
    ]));
    let applied: Value = serde_json::from_str(&ok(&run(&["scenario", "show", "lean", "--format", "json"]))).unwrap();
    assert_eq!(
        Some(applied["drivers"]["opex_base"].as_str().unwrap()),
        g["value"].as_str().map(|v| &v[..v.len() - 2])
    );
    for bad in [
        vec!["scenario", "set", "base", "revenue_growth=0.1"],
        vec!["scenario", "delete", "base"],
        vec!["scenario", "set", "lean", "bogus=1"],
        vec!["scenario", "set", "lean", "horizon_months=99"],
    ] {
        let o = run(&bad);
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
        assert_eq!(stderr(&o).lines().count(), 1, "{bad:?}: {}", stderr(&o));
    }
    ok(&run(&["scenario", "set", "lean", "hires=", "cash_events="]));
    let cleared: Value = serde_json::from_str(&ok(&run(&["scenario", "show", "lean", "--format", "json"]))).unwrap();
    assert_eq!(cleared["drivers"]["hires"].as_array().map(Vec::len), Some(0));
    ok(&run(&["scenario", "delete", "lean"]));
    assert_eq!(ok(&run(&["scenario", "list"])).trim(), "base");
}

#[test]
fn the_last_opened_company_is_the_default() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let state = e.dir.path().join("home/state/katalis");
    katalis::config::remember_company_in(&state, &url, "Sazón de Barrio");
    let v: Value = serde_json::from_str(&ok(&e.run(&["report", "--format", "json", "--db", &url]))).unwrap();
    assert_eq!(v["company"], "Sazón de Barrio");
    let v: Value = serde_json::from_str(&ok(&e.run(&[
        "report",
        "--format",
        "json",
        "--db",
        &url,
        "--company",
        "Tallo Analytics",
    ])))
    .unwrap();
    assert_eq!(v["company"], "Tallo Analytics", "--company wins");
    // A remembered company that no longer exists falls back to the first.
    katalis::config::remember_company_in(&state, &url, "Gone S.A.");
    let v: Value = serde_json::from_str(&ok(&e.run(&["report", "--format", "json", "--db", &url]))).unwrap();
    assert_eq!(v["company"], "Tallo Analytics");
}

#[test]
fn analyze_with_no_configuration_answers_offline_and_stores_the_run() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let o = e.run(&[
        "analyze",
        "--agent",
        "collections",
        "--db",
        &url,
        "--company",
        "Distribuidora Río Bravo",
    ]);
    let out = ok(&o);
    assert!(out.starts_with("# Collections"), "{out}");
    assert!(out.contains("Call Super Siete Linderos"), "{out}");
    assert!(out.contains("local · katalis-rules-1"), "{out}");
    assert!(!out.contains('\x1b'), "plain text on a pipe");
    assert!(!out.contains("```json"), "the result block is not shown as text");
    // In Spanish, and the second run comes from the cache.
    let o = e.run(&["analyze", "--agent", "cashflow", "--db", &url, "--lang", "es"]);
    assert!(ok(&o).contains("Recomendaciones"));
    let o = e.run(&["analyze", "--agent", "cashflow", "--db", &url, "--lang", "es"]);
    assert!(ok(&o).contains("desde la caché"));
    let o = e.run(&[
        "analyze",
        "--agent",
        "cashflow",
        "--db",
        &url,
        "--lang",
        "es",
        "--no-cache",
    ]);
    assert!(!ok(&o).contains("desde la caché"));
    // The runs are in the store: the backup carries them.
    let file = e.dir.path().join("b.json");
    ok(&e.run(&["backup", file.to_str().unwrap(), "--db", &url]));
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let runs: usize = b["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["analyses"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        runs, 3,
        "two fresh runs and the --no-cache one; the cached answer is not a new run"
    );
    let o = e.run(&["analyze", "--agent", "oracle", "--db", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("expected one of advisor, pricing, growth, cashflow, collections"));
}

#[test]
fn analyze_streams_from_an_endpoint_as_it_arrives() {
    use common::llm_server::{Reply, Server, delta, finish, usage};
    use std::io::Read;
    use std::time::{Duration, Instant};
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let rt = server_runtime();
    let answer = serde_json::json!({"assessment": "efficient", "recommendations": [
        {"category": "growth", "priority": 2, "title": "Keep going", "description": "CMGR holds.", "impact_score": 50}]});
    let server = rt.block_on(Server::start(vec![Reply::Stream(vec![
        (
            std::time::Duration::ZERO,
            delta("# Growth\n\nCMGR 5.33% \u{1b}[31mred\u{1b}[0m "),
        ),
        (Duration::from_millis(1500), delta("and 42.42% made up.\n")),
        (std::time::Duration::ZERO, delta(&format!("```json\n{answer}\n```"))),
        (std::time::Duration::ZERO, finish()),
        (std::time::Duration::ZERO, usage(900, 120)),
    ])]));
    let mut child = e
        .command(
            &[
                "analyze",
                "--agent",
                "growth",
                "--db",
                &url,
                "--company",
                "Tallo Analytics",
            ],
            &[
                ("KATALIS_AI_BASE_URL", &server.url),
                ("KATALIS_AI_API_KEY", "sk-cli-abcdefghijklmnop4321"),
                ("KATALIS_AI_MODEL", "scripted"),
            ],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    let first_at = start.elapsed();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let done_at = start.elapsed();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{err}");
    let out = format!("{}{rest}", first[0] as char);
    assert!(
        done_at - first_at >= Duration::from_millis(1000),
        "the first text came before the end: {first_at:?} vs {done_at:?}"
    );
    assert!(out.starts_with("# Growth"), "{out}");
    assert!(
        !out.contains('\x1b'),
        "escape sequences from the model never reach the terminal: {out:?}"
    );
    assert!(
        out.contains("Unverified figures (not in the metrics given): 42.42%"),
        "{out}"
    );
    assert!(out.contains("openai · scripted · 900 + 120 tokens"), "{out}");
    assert!(
        !out.contains("abcdefghijklmnop") && !err.contains("abcdefghijklmnop"),
        "the key is never printed"
    );
    let req = &server.requests()[0];
    assert_eq!(req.header("authorization"), Some("Bearer sk-cli-abcdefghijklmnop4321"));
    // A failure is one line on stderr and exit 1; what arrived is still printed.
    let server = rt.block_on(Server::start(vec![Reply::Stream(vec![(
        std::time::Duration::ZERO,
        delta("Partial answer"),
    )])]));
    let o = e.run_env(
        &["analyze", "--agent", "growth", "--db", &url, "--no-cache"],
        &[("KATALIS_AI_BASE_URL", &server.url)],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Partial answer"));
    assert!(
        stderr(&o).contains("the stream ended before it was complete"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_key_in_a_config_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let cfg = e.dir.path().join("katalis.toml");
    std::fs::write(
        &cfg,
        "[ai]\nprovider = \"local\"\napi_key = \"sk-file-abcdefghijklmnop1111\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = e.run_env(
        &["analyze", "--agent", "advisor", "--db", &url],
        &[("KATALIS_CONFIG", cfg.to_str().unwrap())],
    );
    ok(&o);
    assert!(
        stderr(&o).contains("other users can read it: chmod 600"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("abcdefghijklmnop"));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = e.run_env(
        &["analyze", "--agent", "advisor", "--db", &url],
        &[("KATALIS_CONFIG", cfg.to_str().unwrap())],
    );
    ok(&o);
    assert!(!stderr(&o).contains("chmod"));
    let bad = e.dir.path().join("bad.toml");
    std::fs::write(&bad, "[ai]\nmodle = \"x\"\n").unwrap();
    let o = e.run_env(
        &["analyze", "--agent", "advisor", "--db", &url],
        &[("KATALIS_CONFIG", bad.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("in [ai]") && stderr(&o).contains("`modle`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_key_bound_twice_is_refused_by_every_command_and_listed_by_doctor() {
    let e = Env::new();
    let url = e.url();
    let cfg = e.dir.path().join("keys.toml");
    std::fs::write(&cfg, "[keys]\nquit = \"j\"\n").unwrap();
    let env = [("KATALIS_CONFIG", cfg.to_str().unwrap())];
    let o = e.run_env(&["report", "--db", &url], &env);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("j is bound to both quit and down (move down)"), "{err}");
    let o = e.run_env(&["doctor", "--db", &url], &env);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("FAIL config") && out.contains("j is bound to both"),
        "{out}"
    );
    std::fs::write(&cfg, "[keys]\nquit = \"ctrl-q\"\n").unwrap();
    let o = e.run_env(&["doctor", "--db", &url], &env);
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok   config"));
}

#[test]
fn doctor_checks_the_endpoint_without_showing_the_key() {
    use common::llm_server::{Reply, Server};
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let rt = server_runtime();
    let status = |code: u16| Reply::Status {
        code,
        headers: vec![],
        body: r#"{"data":[]}"#.into(),
    };
    let server = rt.block_on(Server::start(vec![status(200), status(401)]));
    let env = [
        ("KATALIS_AI_BASE_URL", server.url.as_str()),
        ("KATALIS_AI_API_KEY", "sk-doc-abcdefghijklmnop7777"),
    ];
    let o = e.run_env(&["doctor", "--db", &url], &env);
    let out = ok(&o);
    assert!(
        out.contains("ai") && out.contains("answers") && out.contains("key sk-…7777"),
        "{out}"
    );
    assert!(!out.contains("abcdefghijklmnop"));
    assert_eq!(server.requests()[0].path, "/v1/models");
    let o = e.run_env(&["doctor", "--db", &url], &env);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("refuses the key (401)"));
}

#[test]
fn completions_and_the_manual_come_from_the_same_definitions() {
    let e = Env::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = ok(&e.run(&["completions", shell]));
        assert!(
            out.contains("katalis") && out.contains("forecast") && out.contains("import"),
            "{shell}"
        );
    }
    let man = ok(&e.run(&["man"]));
    assert!(man.contains(".TH katalis 1"), "{man}");
    assert!(man.contains("migrate") && man.contains("check"), "{man}");
    let o = e.run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "an unknown shell is bad usage");
}

fn json_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                json_keys(x, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                json_keys(x, out);
            }
        }
        _ => {}
    }
}

/// Every key the commands' `--format json` print is in docs/json.md, as a word.
#[test]
fn every_json_key_of_the_commands_is_documented() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let c = ["--db", url.as_str(), "--company", "Tallo Analytics"];
    let run = |args: &[&str]| -> Value {
        let all: Vec<&str> = args.iter().chain(c.iter()).copied().collect();
        let o = e.run(&all);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|err| panic!("{args:?}: {err}: {}", stderr(&o)))
    };
    ok(&e.run(&[
        "scenario",
        "create",
        "Budget",
        "--db",
        &url,
        "--company",
        "Tallo Analytics",
    ]));
    ok(&e.run(&[
        "scenario",
        "lock",
        "Budget",
        "--from",
        "2026-06",
        "--db",
        &url,
        "--company",
        "Tallo Analytics",
    ]));
    ok(&e.run(&[
        "target",
        "set",
        "runway_months",
        ">= 12",
        "--db",
        &url,
        "--company",
        "Tallo Analytics",
    ]));
    let outputs = [
        run(&["scenario", "project", "base", "--format", "json"]),
        run(&[
            "scenario",
            "goal-seek",
            "base",
            "--driver",
            "opex_base",
            "--target",
            "min_cash>=0",
            "--min",
            "0",
            "--max",
            "500000",
            "--format",
            "json",
        ]),
        run(&["scenario", "variance", "Budget", "--format", "json"]),
        run(&["forecast", "--format", "json"]),
        run(&["check", "--format", "json"]),
        run(&["target", "list", "--format", "json"]),
        run(&["audit", "--format", "json"]),
        run(&[
            "ask",
            "what if we hire 2 engineers at 6000 a month from 2027-01?",
            "--format",
            "json",
        ]),
        run(&["ask", "whom should I call first?", "--format", "json"]),
        run(&["ask", "compare base and Budget", "--format", "json"]),
        run(&[
            "ask",
            "how much must prices rise to break even by Q1?",
            "--format",
            "json",
        ]),
    ];
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md")).unwrap();
    let word = |k: &str| {
        doc.match_indices(k).any(|(i, _)| {
            let before = doc[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_');
            let after = doc[i + k.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric() && c != '_');
            before && after
        })
    };
    let mut all = Vec::new();
    for v in &outputs {
        json_keys(v, &mut all);
    }
    all.sort();
    all.dedup();
    let missing: Vec<&String> = all.iter().filter(|k| !word(k)).collect();
    assert!(missing.is_empty(), "keys missing from docs/json.md: {missing:?}");
}

/// Every key `report --format json` prints is documented in docs/metrics.md.
#[test]
fn every_report_key_is_documented() {
    let e = Env::new();
    ok(&e.run(&["demo", "--db", &e.url()]));
    let v: Value = serde_json::from_str(&ok(&e.run(&[
        "report",
        "--format",
        "json",
        "--db",
        &e.url(),
        "--company",
        "Tallo Analytics",
    ])))
    .unwrap();
    let mut all = Vec::new();
    json_keys(&v, &mut all);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/metrics.md")).unwrap();
    let missing: Vec<&String> = all.iter().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(
        missing.is_empty(),
        "keys of the report missing from docs/metrics.md: {missing:?}"
    );
}

/// Every link in the README and docs/ points to a file in the repository: a
/// fresh clone has nothing outside it, and a user's documentation never sends
/// them to another site.
#[test]
fn documentation_links_resolve_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            let path = target.split('#').next().unwrap();
            assert!(
                !target.contains("://") && !target.starts_with("mailto:"),
                "{}: a link out of the repository: {target}",
                file.display()
            );
            if path.is_empty() {
                continue;
            }
            let resolved = dir.join(path).canonicalize();
            assert!(
                resolved
                    .as_ref()
                    .is_ok_and(|p| p.starts_with(root.canonicalize().unwrap())),
                "{}: {target} does not resolve inside the repository",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} links checked");
}

/// `a` then `b`, as one argument list.
fn joined<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    a.iter().chain(b).copied().collect()
}

/// The `<data value="…" data-key="…">` figures of a board pack.
fn pack_figures(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<data value=\"") {
        rest = &rest[i + 13..];
        let value = &rest[..rest.find('"').unwrap()];
        let k = rest.find("data-key=\"").unwrap() + 10;
        let key = &rest[k..k + rest[k..].find('"').unwrap()];
        out.push((value.replace("&amp;", "&").replace("&quot;", "\""), key.to_owned()));
    }
    out
}

/// The board pack: one self-contained HTML file per company (no script, no
/// address outside it, print styles), in the company's language and
/// separators, whose every tagged figure equals `report --format json` (and the
/// base projection's and the budget's JSON for theirs). The demo companies'
/// packs are kept in `assets/` and compared on every run
/// (`KATALIS_WRITE_ASSETS=1` rewrites them).
#[test]
fn the_board_pack_is_self_contained_and_every_figure_equals_the_json_report() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let json = |args: &[&str]| -> Value { serde_json::from_str(&ok(&e.run(args))).unwrap() };
    let check = |name: &str, lang: &str, budget: bool| -> String {
        let base = ["--db", url.as_str(), "--company", name, "--lang", lang];
        let with = |a: &[&'static str]| joined(a, &base);
        let html = ok(&e.run(&with(&["report", "--format", "html"])));
        for bad in [
            "http://", "https://", "<script", " src=", "url(", "@import", "<link", "<iframe",
        ] {
            assert!(!html.contains(bad), "{name}: {bad:?} in the pack");
        }
        assert!(html.contains("@media print") && html.contains("break-before: page"));
        // The cash chart carries its axis: four values and the months it spans.
        assert_eq!(
            html.matches("<text class=\"tick\"").count(),
            4,
            "{name}: the value axis"
        );
        assert!(html.matches("<text class=\"month\"").count() >= 2, "{name}: the months");
        // Whom to call: names left, figures right; the advisor's headings under the sections'.
        assert!(html.contains("<th class=\"text\">"), "{name}: the customer column");
        let advisor = &html[html.find("<section class=\"page-break\"><h2>").unwrap_or(0)..];
        assert!(!html.contains("<h1>Financial") && !html.contains("<h1>Salud"), "{name}");
        assert!(advisor.contains("<h3>"), "{name}: the advisor's heading is an h3");
        let report = json(&with(&["report", "--format", "json"]));
        let projection = json(&with(&["scenario", "project", "base", "--format", "json"]));
        let variance = budget.then(|| json(&with(&["scenario", "variance", "Budget", "--format", "json"])));
        let figures = pack_figures(&html);
        assert!(figures.len() > 60, "{name}: only {} figures tagged", figures.len());
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let mut variances = 0;
        for (value, key) in &figures {
            let want = if let Some(k) = key.strip_prefix("scenario.") {
                text(katalis::report::html::at(&projection, k))
            } else if let Some(k) = key.strip_prefix("variance.") {
                variances += 1;
                let (month, rest) = k.split_once('.').unwrap();
                let v = variance.as_ref().expect("no budget, no variance figures");
                let row = v["months"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["month"] == month)
                    .unwrap();
                text(katalis::report::html::at(row, rest))
            } else {
                text(katalis::report::html::at(&report, key))
            };
            assert_eq!(
                value, &want,
                "{name}: {key} in the pack is {value:?}, the JSON says {want:?}"
            );
        }
        assert_eq!(variances > 0, budget, "{name}: the budget part");
        html
    };
    let companies = [
        ("Tallo Analytics", "en", "tallo-analytics"),
        ("Sazón de Barrio", "es", "sazon-de-barrio"),
        ("Distribuidora Río Bravo", "es", "distribuidora-rio-bravo"),
    ];
    for (name, lang, slug) in companies {
        let html = check(name, lang, false);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/board-pack-{slug}.html"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != html && std::env::var_os("KATALIS_WRITE_ASSETS").is_some() {
            std::fs::write(&path, &html).unwrap();
        }
        assert!(
            committed == html,
            "{} is out of date (KATALIS_WRITE_ASSETS=1 rewrites it)",
            path.display()
        );
        if lang == "es" {
            assert!(html.contains("<html lang=\"es\">") && html.contains("Salud financiera"));
        }
    }
    // With a locked budget the pack shows the latest month against it.
    let c = ["--db", url.as_str(), "--company", "Tallo Analytics"];
    let with = |a: &[&'static str]| joined(a, &c);
    ok(&e.run(&with(&["scenario", "create", "Budget"])));
    ok(&e.run(&with(&["scenario", "lock", "Budget", "--from", "2026-06"])));
    let html = check("Tallo Analytics", "en", true);
    assert!(html.contains("Budget vs actual"));
    // --out writes the file whole; a path that cannot be written says so and leaves nothing.
    let out = e.dir.path().join("pack.html");
    ok(&e.run(&joined(
        &["report", "--format", "html", "--out", out.to_str().unwrap()],
        &c,
    )));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), html);
    let o = e.run(&with(&[
        "report",
        "--format",
        "html",
        "--out",
        "/nonexistent-dir/pack.html",
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot write /nonexistent-dir/pack.html"),
        "{}",
        stderr(&o)
    );
}

/// `katalis ask` offline: the hire question (and its Spanish twin) is answered
/// by a what_if tool call whose outputs equal `scenario project` with that
/// hire; whom to call and goal seek call their tools; a question it does not
/// understand gets the shapes it does; a bad tool call is an error result.
#[test]
fn ask_answers_offline_with_the_engine_as_its_tools() {
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let c = ["--db", url.as_str(), "--company", "Tallo Analytics"];
    let ask = |q: &str, lang: &str| -> Value {
        let o = e.run(&joined(&["ask", q, "--format", "json", "--lang", lang], &c));
        serde_json::from_str(&ok(&o)).unwrap()
    };
    let en = ask("what if we hire 2 engineers at 6000 a month from 2027-01?", "en");
    let es = ask("¿y si contratamos 2 ingenieros a 6000 al mes desde 2027-01?", "es");
    for a in [&en, &es] {
        assert_eq!(a["tool_calls"][0]["name"], "what_if", "{a}");
        assert_eq!(a["tool_calls"][0]["arguments"]["settings"][0], "hire=3:2:6000", "{a}");
        assert_eq!(a["unverified"], serde_json::json!([]));
    }
    assert_eq!(en["tool_calls"][0]["result"], es["tool_calls"][0]["result"]);
    ok(&e.run(&joined(&["scenario", "create", "Hires"], &c)));
    ok(&e.run(&joined(&["scenario", "set", "Hires", "hire=3:2:6000"], &c)));
    let projected: Value = serde_json::from_str(&ok(
        &e.run(&joined(&["scenario", "project", "Hires", "--format", "json"], &c))
    ))
    .unwrap();
    let result = &en["tool_calls"][0]["result"];
    for key in [
        "runway_at_horizon",
        "cash_zero_month",
        "min_cash",
        "cash_at_horizon",
        "break_even_month",
        "npv",
    ] {
        assert_eq!(result[key], projected[key], "{key}");
    }
    let min_cash = result["min_cash"].as_str().unwrap();
    let shown = en["answer"].as_str().unwrap();
    let whole: rust_decimal::Decimal = min_cash.parse().unwrap();
    let whole = whole.round().to_string();
    let grouped = format!("{},{}", &whole[..whole.len() - 3], &whole[whole.len() - 3..]);
    assert!(
        shown.contains(&grouped),
        "the answer states the tool's min cash {grouped}: {shown}"
    );
    let cmp = ask("compare base and Hires", "en");
    assert_eq!(cmp["tool_calls"][0]["name"], "compare");
    assert_eq!(cmp["tool_calls"][0]["result"]["b"]["min_cash"], projected["min_cash"]);
    // Text output shows the tool call before the answer.
    let text = ok(&e.run(&joined(&["ask", "whom should I call first?"], &c)));
    assert!(text.starts_with("→ open_invoices("), "{text}");
    let seek = ask("how much must prices rise to break even by Q1?", "en");
    assert_eq!(seek["tool_calls"][0]["name"], "goal_seek");
    assert_eq!(seek["tool_calls"][0]["result"]["met"], true);
    let why = ask("¿por qué la salud financiera tiene ese puntaje?", "es");
    assert_eq!(why["tool_calls"][0]["name"], "metrics");
    let unknown = ask("what is the weather in Lima?", "en");
    assert_eq!(unknown["tool_calls"], serde_json::json!([]));
    assert!(unknown["answer"].as_str().unwrap().contains("I answer these questions"));
    let o = e.run(&joined(&["ask", "  "], &c));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the question is empty"));
}

/// A tool call streamed in pieces, as chat-completions sends it.
fn tool_call_chunks(calls: &[(&str, &str, &str)]) -> Vec<(std::time::Duration, String)> {
    use common::llm_server::DONE;
    let mut out = Vec::new();
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let (a, b) = args.split_at(args.len() / 2);
        for (k, piece) in [a, b].iter().enumerate() {
            let mut call = serde_json::json!({"index": i, "function": {"arguments": piece}});
            if k == 0 {
                call["id"] = serde_json::json!(id);
                call["type"] = serde_json::json!("function");
                call["function"]["name"] = serde_json::json!(name);
            }
            out.push((
                std::time::Duration::ZERO,
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
                ),
            ));
        }
    }
    out.push((
        std::time::Duration::ZERO,
        format!(
            "data: {}\n\n",
            serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
        ),
    ));
    out.push((std::time::Duration::ZERO, DONE.to_owned()));
    out
}

/// Against an endpoint that calls tools: one call, several in one turn, a
/// malformed arguments JSON and an unknown tool (each an error result sent
/// back), the final answer with a figure no tool gave marked, and a model that
/// never stops calling ending in one clear line with the calls kept.
#[test]
fn ask_runs_the_models_tool_calls_against_the_engine() {
    use common::llm_server::{DONE, Reply, Server, delta, finish};
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let answer = |text: &str| {
        Reply::Stream(vec![
            (std::time::Duration::ZERO, delta(text)),
            (std::time::Duration::ZERO, finish()),
            (std::time::Duration::ZERO, DONE.to_owned()),
        ])
    };
    let server = rt.block_on(Server::start(vec![
        Reply::Stream(tool_call_chunks(&[(
            "c1",
            "what_if",
            r#"{"settings": ["hire=3:2:6000"]}"#,
        )])),
        Reply::Stream(tool_call_chunks(&[
            ("c2", "metrics", r#"{"module": "cash_flow"}"#),
            ("c3", "open_invoices", r#"{"min_days_late": 1}"#),
            ("c4", "what_if", r#"{"settings": [hire=3"#),
            ("c5", "forecast_weather", "{}"),
        ])),
        answer("With the hires lowest cash is 431,778.51 and runway 8.28 months; costs rise 12,345.67."),
    ]));
    let env = [
        ("KATALIS_AI_BASE_URL", server.url.as_str()),
        ("KATALIS_AI_API_KEY", "sk-ask-abcdefghijklmnop4321"),
        ("KATALIS_AI_MODEL", "scripted"),
    ];
    let args = joined(
        &["ask", "what if we hire 2 engineers?", "--format", "json"],
        &["--db", url.as_str(), "--company", "Tallo Analytics"],
    );
    let a: Value = serde_json::from_str(&ok(&e.run_env(&args, &env))).unwrap();
    let names: Vec<&str> = a["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["what_if", "metrics", "open_invoices", "what_if", "forecast_weather"]
    );
    assert_eq!(a["tool_calls"][0]["result"]["min_cash"], "431778.51", "{a}");
    assert_eq!(a["tool_calls"][1]["result"]["runway_months"], "8.28");
    assert!(
        a["tool_calls"][3]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
    assert!(
        a["tool_calls"][4]["result"]["error"]
            .as_str()
            .unwrap()
            .contains("no tool")
    );
    assert_eq!(a["unverified"], serde_json::json!(["12,345.67"]), "{a}");
    // What the model was sent: the tools, and each call's result as a tool message.
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].body["tools"].as_array().unwrap().len(), 5);
    let last = requests[2].body["messages"].as_array().unwrap();
    let tools: Vec<&Value> = last.iter().filter(|m| m["role"] == "tool").collect();
    assert_eq!(tools.len(), 5);
    assert_eq!(tools[0]["tool_call_id"], "c1");
    assert!(tools[3]["content"].as_str().unwrap().contains("not JSON"));
    // A model that only ever calls tools: stopped after the limit, in one line, calls kept.
    let looping: Vec<Reply> = (0..10)
        .map(|i| Reply::Stream(tool_call_chunks(&[(&format!("l{i}"), "metrics", "{}")])))
        .collect();
    let server = rt.block_on(Server::start(looping));
    let env = [
        ("KATALIS_AI_BASE_URL", server.url.as_str()),
        ("KATALIS_AI_API_KEY", "sk-ask-abcdefghijklmnop4321"),
        ("KATALIS_AI_MODEL", "scripted"),
    ];
    let args = joined(
        &["ask", "tell me everything"],
        &["--db", url.as_str(), "--company", "Tallo Analytics"],
    );
    let o = e.run_env(&args, &env);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("kept calling tools") && err.lines().count() == 1, "{err}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).matches("→ metrics(").count(), 8);
    assert!(!err.contains("abcdefghijklmnop"));
}

/// `report --format html --ai`: the commentary is the configured model's, its
/// figures checked (one no metric gives is marked in the pack), its source named.
#[test]
fn the_board_pack_takes_the_models_commentary_with_ai() {
    use common::llm_server::{DONE, Reply, Server, delta, finish};
    let e = Env::new();
    let url = e.url();
    ok(&e.run(&["demo", "--db", &url]));
    let rt = server_runtime();
    let result = serde_json::json!({"profitability": 50, "unit_economics": 81, "cash_flow": 80,
        "growth_efficiency": 100, "total_score": 75,
        "recommendations": [{"category": "cash_flow", "priority": 1, "title": "Watch the runway",
            "description": "Runway is 8.28 months.", "impact_score": 80}]});
    let text = format!("Runway is 8.28 months; margins may reach 91.7%.\n```json\n{result}\n```");
    let server = rt.block_on(Server::start(vec![Reply::Stream(vec![
        (std::time::Duration::ZERO, delta(&text)),
        (std::time::Duration::ZERO, finish()),
        (std::time::Duration::ZERO, DONE.to_owned()),
    ])]));
    let html = ok(&e.run_env(
        &[
            "report",
            "--format",
            "html",
            "--ai",
            "--db",
            &url,
            "--company",
            "Tallo Analytics",
        ],
        &[
            ("KATALIS_AI_BASE_URL", server.url.as_str()),
            ("KATALIS_AI_API_KEY", "sk-pack-abcdefghijklmnop4321"),
            ("KATALIS_AI_MODEL", "scripted"),
        ],
    ));
    assert!(
        html.contains("Written by openai · scripted") || html.contains("scripted"),
        "{html}"
    );
    assert!(html.contains("Watch the runway"));
    assert!(
        html.contains("<span class=\"unverified\">91.7%</span>"),
        "the unmatched figure is marked"
    );
    assert!(
        !html.contains("<span class=\"unverified\">8.28"),
        "a figure the metrics give is not"
    );
    assert!(!html.contains("abcdefghijklmnop"));
}
