//! A PostgreSQL server that goes away and comes back under an open interface:
//! a server of the test's own (scripts/pg-throwaway), stopped and started on
//! the same port and data, with the real change watcher.

mod common;

use crossterm::event::KeyCode;
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use katalis::tui::app::{Action, App, Effect, SaveRecord};
use katalis::tui::form::Record;
use katalis::tui::keymap::Keymap;
use katalis::tui::live;
use katalis::tui::theme::Theme;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

struct Server {
    url: String,
    dir: String,
}

impl Server {
    fn start() -> Server {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        let out = Command::new(script).env_remove("KATALIS_PG_PORT").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let get = |k: &str| {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_owned()
        };
        Server {
            url: get("KATALIS_TEST_PG_URL"),
            dir: get("KATALIS_PG_DIR"),
        }
    }
    fn run(&self, what: &str) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        assert!(
            Command::new(script).args([what, &self.dir]).status().unwrap().success(),
            "{what}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.run("stop");
    }
}

use common::tui::{code as key, settle};

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>, within: Duration, what: &str) -> Action {
    tokio::time::timeout(within, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {within:?}"))
        .unwrap()
}

#[tokio::test]
async fn the_interface_survives_a_server_restart() {
    // Only where PostgreSQL is there (and then always, under scripts/test and CI).
    if common::pg_admin_url().is_none() {
        return;
    }
    let server = Server::start();
    let store = Arc::new(AnyStore::connect(&server.url).await.unwrap());
    katalis::demo::load(&store).await.unwrap();
    let c = store.company("Tallo Analytics").await.unwrap();
    let data = katalis::tui::data::load(&store, c.clone()).await.unwrap();
    let mut app = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    app.update(Action::Loaded(Box::new(Ok(data))));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(live::watch(store.clone(), tx));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Down: the interface is told, keeps its data, and refuses a save keeping the text.
    server.run("pause");
    let down = next(&mut rx, Duration::from_secs(8), "StoreDown").await;
    assert!(matches!(down, Action::StoreDown(_)), "{down:?}");
    app.update(down);
    app.update(key(KeyCode::Char('3')));
    app.update(key(KeyCode::Char('e')));
    let effects = app.update(key(KeyCode::Enter));
    assert!(effects.is_empty() && app.form.is_some());
    assert!(app.data.is_some(), "the last data stays on screen");

    // Back: it says so by itself and reloads.
    server.run("resume");
    let up = loop {
        match next(&mut rx, Duration::from_secs(10), "StoreUp").await {
            Action::StoreUp => break Action::StoreUp,
            _ => continue,
        }
    };
    let effects = app.update(up);
    settle(&mut app, &store, effects).await;
    assert!(app.outage.is_none());

    // Saving works again without a restart…
    let d = app.data.as_ref().unwrap();
    let month = d.ledger.latest_month().unwrap();
    let original = d.ledger.get(month).unwrap().clone();
    let mut mine = original.clone();
    mine.cogs += rust_decimal::Decimal::ONE;
    app.form = None;
    let save = Effect::Save(Box::new(SaveRecord {
        company: c.clone(),
        original: Record::Month(original),
        updated: Record::Month(mine.clone()),
    }));
    settle(&mut app, &store, vec![save]).await;
    assert!(
        app.message.as_ref().unwrap().0.starts_with("Saved"),
        "{:?}",
        app.message
    );
    // …and someone else's later save reaches the screen: the latest value, not an older one.
    let other = AnyStore::connect(&server.url).await.unwrap();
    let mut theirs = mine.clone();
    theirs.cogs += rust_decimal::Decimal::ONE;
    other.update_month(c.id, &mine, &theirs).await.unwrap();
    other
        .record(&katalis::store::team::AuditEntry::new(&c, "edit", "financials", "cogs"))
        .await
        .unwrap();
    let changed = loop {
        match next(&mut rx, Duration::from_secs(8), "Changed").await {
            a @ Action::Changed { .. } => break a,
            _ => continue,
        }
    };
    let effects = app.update(changed);
    settle(&mut app, &store, effects).await;
    assert_eq!(app.data.as_ref().unwrap().ledger.get(month).unwrap().cogs, theirs.cogs);
    watcher.abort();
}
