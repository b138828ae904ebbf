//! The real binary, twice, in tmux: an edit typed in one interface shows in
//! the other by itself, on SQLite and PostgreSQL (scripts/bench measures how fast).

mod common;

use std::time::Duration;

use common::tmux::{Tmux, interface};

fn katalis(url: &str, home: &std::path::Path, args: &[&str]) {
    let out = common::katalis_in(url, home, args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn an_edit_typed_in_one_terminal_shows_in_another() {
    let (_dir, sqlite) = common::fresh_sqlite();
    let mut urls = vec![sqlite];
    if let Some(pg) = common::fresh_pg_url().await {
        urls.push(pg);
    }
    // Through PgBouncer with no direct URL: the interfaces poll the audit trail.
    if let Some((pooled, settings)) = common::fresh_pooled().await {
        let home = tempfile::tempdir().unwrap();
        katalis(&settings.direct_url.unwrap(), home.path(), &["migrate"]);
        urls.push(pooled);
    }
    for url in urls {
        let home = tempfile::tempdir().unwrap();
        katalis(&url, home.path(), &["demo"]);
        let tmux = Tmux::new();
        let cmd = interface(&url, home.path());
        tmux.open("ana", &cmd);
        tmux.open("bruno", &cmd);
        std::thread::sleep(Duration::from_millis(800));
        tmux.keys("ana", &["3"]);
        tmux.keys("bruno", &["3"]);
        assert!(
            tmux.wait_for("bruno", "Ending cash", Duration::from_secs(10)).is_some(),
            "{}",
            tmux.screen("bruno")
        );
        assert!(tmux.wait_for("ana", "Ending cash", Duration::from_secs(10)).is_some());
        std::thread::sleep(Duration::from_millis(500)); // both listening
        // Ana edits the latest month's ending cash in the form and saves.
        tmux.keys("ana", &["e"]);
        assert!(
            tmux.wait_for("ana", "Edit month", Duration::from_secs(5)).is_some(),
            "{}",
            tmux.screen("ana")
        );
        tmux.keys("ana", &["Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "End"]);
        for _ in 0..12 {
            tmux.keys("ana", &["BSpace"]);
        }
        tmux.keys("ana", &["800000"]);
        tmux.keys("ana", &["Enter"]);
        assert!(
            tmux.wait_for("ana", "Saved 2026-10", Duration::from_secs(5)).is_some(),
            "{}",
            tmux.screen("ana")
        );
        let took = tmux.wait_for("bruno", "USD 800.0k", Duration::from_secs(5));
        assert!(took.is_some(), "{url}: bruno's screen:\n{}", tmux.screen("bruno"));
        assert!(tmux.screen("bruno").contains("updated by"), "{}", tmux.screen("bruno"));
    }
}

/// An idle interface on PostgreSQL keeps at most 3 connections to the server
/// (its pool and the one that listens), so 20 teammates fit in a server's 100
/// with room for the rest: counted in pg_stat_activity.
#[tokio::test]
async fn an_idle_interface_keeps_at_most_three_connections() {
    let Some(url) = common::fresh_pg_url().await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    katalis(&url, home.path(), &["demo"]);
    let tmux = Tmux::new();
    let cmd = interface(&url, home.path());
    tmux.open("solo", &cmd);
    // Through every tab once, then idle.
    for tab in ["2", "3", "4", "5", "6", "7", "1"] {
        tmux.keys("solo", &[tab]);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(tmux.wait_for("solo", "Tallo", Duration::from_secs(10)).is_some());
    std::thread::sleep(Duration::from_secs(3));
    let db = url.rsplit('/').next().unwrap();
    let admin = common::pg_admin_url().unwrap();
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'katalis'")
            .bind(db)
            .fetch_one(&mut c)
            .await
            .unwrap();
    eprintln!("measured: an idle interface holds {n} connections");
    assert!((1..=3).contains(&n), "an idle interface holds {n} connections");
}
