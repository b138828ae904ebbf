//! Routines from the shell, through the binary on SQLite and PostgreSQL: the
//! forecast equal to what the Cash flow tab computes, budget variances equal to
//! the Planning view's, targets that mark the dashboard and make `check` exit 3
//! while they miss and 0 once they hold.

mod common;

use katalis::finance::Ledger;
use katalis::finance::forecast::with_events;
use katalis::finance::planning::{Start, project};
use katalis::finance::variance::budget_vs_actual;
use katalis::numbers::fixed;
use katalis::store::{AnyStore, Store};
use serde_json::Value;
use std::process::Output;

use common::{katalis_in as katalis, stdout_ok as ok};

fn json(o: &Output) -> Value {
    serde_json::from_str(&ok(o)).unwrap()
}

async fn urls() -> Vec<(String, Option<tempfile::TempDir>)> {
    let (dir, sqlite) = common::fresh_sqlite();
    let mut out = vec![(sqlite, Some(dir))];
    if let Some(pg) = common::fresh_pg_url().await {
        out.push((pg, None));
    }
    out
}

#[tokio::test]
async fn the_forecast_is_what_the_cash_flow_tab_shows() {
    for (url, _keep) in urls().await {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        ok(&katalis(&url, h, &["demo"]));
        let store = AnyStore::connect(&url).await.unwrap();
        for name in ["Tallo Analytics", "Sazón de Barrio", "Distribuidora Río Bravo"] {
            let v = json(&katalis(&url, h, &["forecast", "--company", name, "--format", "json"]));
            // The tab: the loaded company's weekly base with the base scenario's (no) events.
            let c = store.company(name).await.unwrap();
            let d = katalis::tui::data::load(&store, c.clone()).await.unwrap();
            let fc = with_events(d.weeks.as_ref().unwrap(), &[], rust_decimal::Decimal::ZERO);
            assert_eq!(v["as_of"], d.snapshot.as_of.to_string());
            assert_eq!(v["currency"], c.currency);
            assert_eq!(v["opening_cash"], fixed(fc.opening, 2));
            let weeks = v["weeks"].as_array().unwrap();
            assert_eq!(weeks.len(), 13);
            for (w, t) in weeks.iter().zip(&fc.weeks) {
                assert_eq!(w["week"], t.index);
                assert_eq!(w["start"], t.start.to_string());
                assert_eq!(w["invoice_inflows"], fixed(t.collections, 2), "{url} {name}");
                assert_eq!(w["outflows"], fixed(t.outflows, 2));
                assert_eq!(w["closing_cash"], fixed(t.closing, 2), "{url} {name}");
            }
            assert_eq!(v["first_week_below_floor"], Value::Null);
        }
        // A floor, fewer weeks, and a scenario's funding round in the week of its month.
        let t = "Tallo Analytics";
        let v = json(&katalis(
            &url,
            h,
            &["forecast", "--company", t, "--floor", "700000", "--format", "json"],
        ));
        assert_eq!(v["first_week_below_floor"], 3);
        let v = json(&katalis(
            &url,
            h,
            &["forecast", "--company", t, "--weeks", "4", "--format", "json"],
        ));
        assert_eq!(v["weeks"].as_array().unwrap().len(), 4);
        ok(&katalis(&url, h, &["scenario", "create", "Seed", "--company", t]));
        ok(&katalis(
            &url,
            h,
            &[
                "scenario",
                "set",
                "Seed",
                "cash_event=1:250000:Seed round",
                "--company",
                t,
            ],
        ));
        let seeded = json(&katalis(
            &url,
            h,
            &["forecast", "--company", t, "--scenario", "Seed", "--format", "json"],
        ));
        let plain = json(&katalis(&url, h, &["forecast", "--company", t, "--format", "json"]));
        let events: Vec<&str> = seeded["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["events"].as_str().unwrap())
            .collect();
        assert_eq!(events.iter().filter(|e| **e == "250000.00").count(), 1, "{events:?}");
        let last = |v: &Value| {
            v["weeks"][12]["closing_cash"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        };
        assert_eq!(last(&seeded) - last(&plain), rust_decimal::Decimal::from(250000));
        // CSV and Markdown carry the same closing figures.
        let csv = ok(&katalis(&url, h, &["forecast", "--company", t, "--format", "csv"]));
        assert!(csv.starts_with("week,start,end,invoice_inflows,other_inflows,outflows,events,closing_cash\n"));
        assert!(csv.contains(plain["weeks"][0]["closing_cash"].as_str().unwrap()));
        let md = ok(&katalis(&url, h, &["forecast", "--company", t]));
        assert!(md.contains("13-week cash forecast — Tallo Analytics"), "{md}");
    }
}

#[tokio::test]
async fn budget_variances_are_what_the_planning_view_shows() {
    for (url, _keep) in urls().await {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        ok(&katalis(&url, h, &["demo"]));
        let t = "Tallo Analytics";
        ok(&katalis(&url, h, &["scenario", "create", "Budget", "--company", t]));
        // Not a budget yet: said, with how to make it one.
        let o = katalis(&url, h, &["scenario", "variance", "Budget", "--company", t]);
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("katalis scenario lock Budget --from YYYY-MM"));
        let o = katalis(
            &url,
            h,
            &["scenario", "lock", "Budget", "--from", "1999-01", "--company", t],
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("no actuals for that month"));
        ok(&katalis(
            &url,
            h,
            &["scenario", "lock", "Budget", "--from", "2025-12", "--company", t],
        ));
        let v = json(&katalis(
            &url,
            h,
            &["scenario", "variance", "Budget", "--company", t, "--format", "json"],
        ));
        assert_eq!(v["base_month"], "2025-12");
        // The engine as the Planning view calls it, from the stored, frozen start.
        let store = AnyStore::connect(&url).await.unwrap();
        let c = store.company(t).await.unwrap();
        let ledger = Ledger::new(store.financials(c.id).await.unwrap());
        let s = store
            .scenarios(c.id)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.name == "Budget")
            .unwrap();
        assert!(s.locked);
        let start = Start {
            month: "2025-12".parse().unwrap(),
            revenue: s.start_revenue.unwrap(),
            cash: s.start_cash.unwrap(),
        };
        let all = budget_vs_actual(&ledger, &project(start, &s.drivers));
        let months = v["months"].as_array().unwrap();
        assert_eq!(months.len(), 10, "2026-01 to 2026-10 have actuals");
        for var in &all {
            let row = months.iter().find(|m| m["month"] == var.month.to_string()).unwrap();
            let key = serde_json::to_value(var.line).unwrap();
            let cell = &row[key.as_str().unwrap()];
            assert_eq!(cell["budget"], fixed(var.budget, 2));
            assert_eq!(cell["actual"], fixed(var.actual, 2));
            assert_eq!(cell["variance"], fixed(var.variance, 2));
        }
        let worst = katalis::finance::variance::worst(&all, 5);
        let listed = v["worst"].as_array().unwrap();
        assert_eq!(listed.len(), worst.len());
        for (l, w) in listed.iter().zip(worst) {
            assert_eq!(l["month"], w.month.to_string());
            assert_eq!(l["variance"], fixed(w.variance, 2));
        }
        let csv = ok(&katalis(
            &url,
            h,
            &["scenario", "variance", "Budget", "--company", t, "--format", "csv"],
        ));
        assert_eq!(csv.lines().count(), 1 + all.len());
    }
}

#[tokio::test]
async fn a_target_marks_the_dashboard_and_check_exits_3_until_it_holds() {
    for (url, _keep) in urls().await {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        ok(&katalis(&url, h, &["demo"]));
        let c = "Sazón de Barrio"; // no alert crossed in the demo data
        let o = katalis(&url, h, &["check", "--company", c]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
        assert!(o.stdout.is_empty(), "silent when everything holds");
        // Bad input is said: an unknown key, a bad rule.
        let o = katalis(&url, h, &["target", "set", "nosuchkey", ">= 1", "--company", c]);
        assert!(String::from_utf8_lossy(&o.stderr).contains("is not a key of the report"));
        let o = katalis(&url, h, &["target", "set", "dso", "> 1", "--company", c]);
        assert!(String::from_utf8_lossy(&o.stderr).contains(r#"expected ">= N", "<= N" or "between A B""#));
        // A target that misses: one line, exit 3; JSON lists every check.
        ok(&katalis(&url, h, &["target", "set", "dso", "<= 5", "--company", c]));
        let o = katalis(&url, h, &["check", "--company", c]);
        assert_eq!(o.status.code(), Some(3));
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(
            out.starts_with("Sazón de Barrio: dso ") && out.contains(", target <= 5"),
            "{out}"
        );
        let o = katalis(&url, h, &["check", "--company", c, "--format", "json"]);
        assert_eq!(o.status.code(), Some(3));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["ok"], false);
        let checks = v["companies"][0]["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .all(|k| k.get("ok").is_some() && k.get("threshold").is_some())
        );
        assert!(
            checks
                .iter()
                .any(|k| k["name"] == "collections.dso" && k["ok"] == false)
        );
        // The dashboard marks the DSO tile and lists the miss.
        let store = AnyStore::connect(&url).await.unwrap();
        let company = store.company(c).await.unwrap();
        let data = katalis::tui::data::load(&store, company).await.unwrap();
        let mut app = katalis::tui::app::App::new(
            katalis::locale::Lang::En,
            katalis::tui::theme::Theme::monochrome("t"),
            katalis::tui::keymap::Keymap::default(),
            None,
        );
        app.update(katalis::tui::app::Action::Loaded(Box::new(Ok(data))));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        t.draw(|f| katalis::tui::render::draw(&app, f)).unwrap();
        let screen = t.backend().to_string();
        assert!(screen.contains("✗ DSO (days)"), "{screen}");
        assert!(screen.contains("✗ dso "), "{screen}");
        // Once it holds: exit 0. Removed: gone from the list.
        ok(&katalis(
            &url,
            h,
            &["target", "set", "collections.dso", "<= 500", "--company", c],
        ));
        assert_eq!(katalis(&url, h, &["check", "--company", c]).status.code(), Some(0));
        let list = ok(&katalis(&url, h, &["target", "list", "--company", c]));
        assert!(list.contains("collections.dso <= 500") && list.contains("✓"), "{list}");
        ok(&katalis(&url, h, &["target", "remove", "dso", "--company", c]));
        assert_eq!(ok(&katalis(&url, h, &["target", "list", "--company", c])), "");
        // Targets in the config hold for every company; --all checks them all.
        std::fs::create_dir_all(h.join("config/katalis")).unwrap();
        std::fs::write(
            h.join("config/katalis/config.toml"),
            "[targets]\nrevenue_ttm = \">= 1000000000000\"\n",
        )
        .unwrap();
        let o = katalis(&url, h, &["check", "--all"]);
        assert_eq!(o.status.code(), Some(3));
        let out = String::from_utf8_lossy(&o.stdout);
        for name in ["Tallo Analytics", "Sazón de Barrio", "Distribuidora Río Bravo"] {
            assert!(out.contains(&format!("{name}: revenue_ttm ")), "{out}");
        }
        std::fs::write(
            h.join("config/katalis/config.toml"),
            "[targets]\nrevenue_ttm = \"> 3\"\n",
        )
        .unwrap();
        let o = katalis(&url, h, &["check", "--all"]);
        assert_eq!(o.status.code(), Some(1), "a bad config is an error, not a miss");
    }
}
