//! Two interfaces on one store, driven through `update()` with the real change
//! watcher (LISTEN/NOTIFY on PostgreSQL, `data_version` on SQLite): an edit in
//! one shows in the other within a second; older loads never replace newer
//! data; while the store is away writes are refused and the text is kept.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use katalis::tui::app::{Action, App, Effect, SaveRecord};
use katalis::tui::form::Record;
use katalis::tui::keymap::Keymap;
use katalis::tui::theme::Theme;
use katalis::tui::{execute, live};
use std::sync::Arc;
use std::time::Duration;

async fn open(store: &AnyStore, name: &str) -> App {
    let c = store.company(name).await.unwrap();
    let data = katalis::tui::data::load(store, c).await.unwrap();
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    a.update(Action::Loaded(Box::new(Ok(data))));
    a.message = None;
    a
}

use common::tui::{code as key, settle};

#[tokio::test]
async fn an_edit_in_one_interface_shows_in_another_within_a_second() {
    let (_dir, sqlite) = common::fresh_sqlite();
    let none = katalis::store::PgSettings::default();
    let mut urls = vec![(sqlite, none.clone())];
    if let Some(pg) = common::fresh_pg_url().await {
        urls.push((pg, none.clone()));
    }
    // Behind PgBouncer: LISTEN over the direct URL, and without one the
    // audit trail polled (migrated first over the direct URL).
    for direct in [true, false] {
        if let Some((url, settings)) = common::fresh_pooled().await {
            AnyStore::connect_with(&url, &settings).await.unwrap();
            urls.push((url, if direct { settings } else { none.clone() }));
        }
    }
    for (url, settings) in urls {
        // Two people: two processes' worth of connections to one store.
        let ana_store = Arc::new(AnyStore::connect_with(&url, &settings).await.unwrap());
        let bruno_store = Arc::new(AnyStore::connect_with(&url, &settings).await.unwrap());
        katalis::demo::load(&ana_store).await.unwrap();
        let mut ana = open(&ana_store, "Tallo Analytics").await;
        let mut bruno = open(&bruno_store, "Tallo Analytics").await;
        let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let watcher = tokio::spawn(live::watch(bruno_store.clone(), tx));
        let (own_tx, mut own) = tokio::sync::mpsc::unbounded_channel();
        let own_watcher = tokio::spawn(live::watch(ana_store.clone(), own_tx));
        tokio::time::sleep(Duration::from_millis(800)).await; // both listening
        if let Some(direct) = settings.direct_url.as_deref().filter(|_| url.contains("pooler=")) {
            // Both listen over the direct URL, each connection named as the pool's are.
            let db = direct.rsplit('/').next().unwrap();
            let admin = common::pg_admin_url().unwrap();
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name = 'katalis' AND query LIKE 'LISTEN%'",
            )
            .bind(db)
            .fetch_one(&mut c)
            .await
            .unwrap();
            assert_eq!(n, 2, "{url}: listeners on the direct URL named katalis");
        }

        // Ana edits the latest month's revenue.
        let d = ana.data.as_ref().unwrap();
        let original = d.ledger.get(d.ledger.latest_month().unwrap()).unwrap().clone();
        let mut updated = original.clone();
        updated.revenue += rust_decimal::Decimal::new(12345, 2);
        let save = Effect::Save(Box::new(SaveRecord {
            company: d.company.clone(),
            original: Record::Month(original.clone()),
            updated: Record::Month(updated.clone()),
        }));
        settle(&mut ana, &ana_store, vec![save]).await;
        // Bruno hears of it by himself, and his screen reloads. (How fast — within a
        // second — is measured by scripts/bench, not timed here, where a busy
        // machine would make it flaky.)
        let action = tokio::time::timeout(Duration::from_secs(5), heard.recv())
            .await
            .unwrap_or_else(|_| panic!("{url}: nothing heard"))
            .unwrap();
        assert!(
            matches!(&action, Action::Changed { action, .. } if action == "edit"),
            "{action:?}"
        );
        let effects = bruno.update(action);
        assert!(
            bruno.message.as_ref().unwrap().0.starts_with("updated by"),
            "{:?}",
            bruno.message
        );
        settle(&mut bruno, &bruno_store, effects).await;
        let shown = bruno.data.as_ref().unwrap().ledger.get(original.month).unwrap().revenue;
        assert_eq!(shown, updated.revenue, "{url}");
        // Ana's own write is not announced to Ana (a poll of the audit trail
        // included: it comes every 2 s).
        let polls = url.contains("pooler=") && settings.direct_url.is_none();
        assert!(
            tokio::time::timeout(Duration::from_millis(if polls { 2500 } else { 900 }), own.recv())
                .await
                .is_err(),
            "{url}: an interface hears its own writes"
        );
        watcher.abort();
        own_watcher.abort();
    }
}

#[tokio::test]
async fn an_older_load_never_replaces_newer_data() {
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let c = store.company("Tallo Analytics").await.unwrap();
    let older = katalis::tui::data::load(&store, c.clone()).await.unwrap();
    let newer = katalis::tui::data::load(&store, c).await.unwrap();
    let newer_started = newer.started;
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    a.update(Action::Loaded(Box::new(Ok(newer))));
    a.update(Action::Loaded(Box::new(Ok(older))));
    assert_eq!(a.data.as_ref().unwrap().started, newer_started);
}

#[tokio::test]
async fn while_the_store_is_away_writes_are_refused_and_the_text_kept() {
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let mut a = open(&store, "Tallo Analytics").await;
    a.update(Action::StoreDown("10:42".into()));
    a.update(key(KeyCode::Char('3')));
    a.update(key(KeyCode::Char('e')));
    assert!(a.form.is_some());
    let before = format!(
        "{:?}",
        a.form
            .as_ref()
            .unwrap()
            .inputs
            .iter()
            .map(|i| i.lines().to_vec())
            .collect::<Vec<_>>()
    );
    let effects = a.update(key(KeyCode::Enter));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(a.form.is_some(), "the form and its text stay");
    let after = format!(
        "{:?}",
        a.form
            .as_ref()
            .unwrap()
            .inputs
            .iter()
            .map(|i| i.lines().to_vec())
            .collect::<Vec<_>>()
    );
    assert_eq!(before, after);
    assert!(
        a.message.as_ref().unwrap().0.contains("unreachable since 10:42"),
        "{:?}",
        a.message
    );
    let screen = {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
        t.draw(|f| katalis::tui::render::draw(&a, f)).unwrap();
        t.backend().to_string()
    };
    assert!(screen.contains("store unreachable since 10:42, retrying"), "{screen}");
    // Back: it says so and reloads.
    let effects = a.update(Action::StoreUp);
    assert!(matches!(effects.as_slice(), [Effect::LoadCompany(_)]), "{effects:?}");
    assert!(a.outage.is_none());
    let _ = store.ping().await;
}

#[tokio::test]
async fn the_audit_trail_opens_from_the_dashboard_and_filters() {
    use katalis::tui::app::Overlay;
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let c = store.company("Tallo Analytics").await.unwrap();
    for (action, target) in [("edit", "invoice TA-00001"), ("scenario", "scenario Seed")] {
        store
            .record(&katalis::store::team::AuditEntry::new(&c, action, target, "detail"))
            .await
            .unwrap();
    }
    let mut a = open(&store, "Tallo Analytics").await;
    let effects = a.update(key(KeyCode::Char('t')));
    settle(&mut a, &store, effects).await;
    let Overlay::Audit(v) = &a.overlay else {
        panic!("{:?}", a.overlay)
    };
    assert_eq!(v.shown().len(), 3, "the demo load and two writes");
    for c in "/scenario".chars() {
        a.update(key(KeyCode::Char(c)));
    }
    a.update(key(KeyCode::Enter));
    let Overlay::Audit(v) = &a.overlay else { panic!() };
    assert_eq!(v.shown().len(), 1);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| katalis::tui::render::draw(&a, f)).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("Audit trail — Tallo Analytics"), "{screen}");
    assert!(screen.contains("scenario  scenario Seed  detail"), "{screen}");
    a.update(key(KeyCode::Esc));
    assert_eq!(a.overlay, Overlay::None);
}

/// The interface refuses, in one line, what the login's role does not allow
/// (the database would refuse it too): a viewer cannot edit, import or plan.
#[tokio::test]
async fn a_viewer_is_told_what_its_role_does_not_allow() {
    use katalis::store::team::{Access, Role};
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let mut a = open(&store, "Tallo Analytics").await;
    a.data.as_mut().unwrap().access = Access::Role(Some(Role::Viewer));
    a.update(key(KeyCode::Char('3')));
    assert!(a.update(key(KeyCode::Char('e'))).is_empty());
    assert!(a.form.is_none());
    assert_eq!(
        a.message.as_ref().unwrap().0,
        "editing records needs the owner role; your role in \"Tallo Analytics\" is viewer"
    );
    a.update(key(KeyCode::Char('i')));
    assert!(a.import.is_none());
    a.update(key(KeyCode::Char('6')));
    assert!(a.update(key(KeyCode::Char('n'))).is_empty());
    assert!(
        a.message
            .as_ref()
            .unwrap()
            .0
            .starts_with("changing scenarios needs the analyst role")
    );
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
    t.draw(|f| katalis::tui::render::draw(&a, f)).unwrap();
    assert!(
        t.backend().to_string().contains("viewer · e edit · v view"),
        "the role in the status bar"
    );
    // An analyst plans but does not import.
    a.data.as_mut().unwrap().access = Access::Role(Some(Role::Analyst));
    a.message = None;
    a.update(key(KeyCode::Char('n')));
    assert!(a.message.is_none(), "{:?}", a.message);
}

/// F12 shows what the session has cost: frames, each store call with its
/// latency and rows (the load above made them), memory and AI use; F12 or
/// Esc closes it, and a tick redraws it only while it is open.
#[tokio::test]
async fn the_diagnostics_overlay_shows_store_calls_frames_and_memory() {
    use katalis::tui::app::Overlay;
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let mut a = open(&store, "Tallo Analytics").await;
    let draw = |a: &App| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        t.draw(|f| katalis::tui::render::draw(a, f)).unwrap();
        katalis::diagnostics::frame(Duration::from_micros(1500));
        t.backend().to_string()
    };
    draw(&a);
    a.update(key(KeyCode::F(12)));
    assert_eq!(a.overlay, Overlay::Diagnostics);
    let s = draw(&a);
    assert!(s.contains("Diagnostics since start"), "{s}");
    let line = |name: &str| s.lines().find(|l| l.contains(name)).unwrap_or_default().to_owned();
    let financials = line(" financials ");
    let count: u64 = financials
        .split(" financials ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(count >= 1, "the load's financials call is counted: {financials:?}\n{s}");
    // The frames this test drew (as the runtime records each) are counted,
    // and the resident memory is a real figure, not a placeholder.
    let number_after = |name: &str| -> f64 {
        let l = line(name);
        let rest = &l[l.find(name).unwrap() + name.len()..];
        rest.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(number_after("frames") >= 1.0, "{s}");
    assert!(line("memory").contains("MB") && number_after("memory") > 1.0, "{s}");
    a.dirty = false;
    a.update(Action::Tick);
    assert!(a.dirty, "a tick redraws the open overlay");
    a.update(key(KeyCode::F(12)));
    assert_eq!(a.overlay, Overlay::None);
}

/// A question asked in the panel is kept in the store and is there again the
/// next time the company opens; Ctrl-l forgets it there too.
#[tokio::test]
async fn panel_questions_survive_a_restart() {
    let (_dir, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let mut a = open(&store, "Tallo Analytics").await;
    a.update(key(KeyCode::Char('a')));
    a.update(key(KeyCode::Char(':')));
    for c in "whom should I call first?".chars() {
        a.update(key(KeyCode::Char(c)));
    }
    // The question goes to the runtime (which reads the open invoices for the
    // tools); its answer comes back and is kept.
    let effects = a.update(key(KeyCode::Enter));
    assert!(effects.iter().any(|e| matches!(e, Effect::Ask(_))));
    settle(&mut a, &store, effects).await;
    assert!(a.message.is_none(), "{:?}", a.message);
    let mut again = open(&store, "Tallo Analytics").await;
    let id = again.data.as_ref().unwrap().company.id;
    let turns = &again.ai.conversations[&(id, "advisor")];
    assert_eq!(turns[0].question, "whom should I call first?");
    assert_eq!(turns[0].tool_calls[0].name, "open_invoices");
    again.update(key(KeyCode::Char('a')));
    let effects = again.update(Action::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL)));
    for e in effects {
        if let Some(act) = execute(&store, e).await {
            again.update(act);
        }
    }
    assert!(store.conversations(id).await.unwrap().is_empty());
}

/// A company with more open invoices than the table reads at once: the
/// Collections table holds a window of them, reads the next one from the
/// store as the selection moves (End reaches the last invoice), and a filter
/// typed is applied by the store — the same rows, in the same order, as the
/// engine's list of open invoices.
#[tokio::test]
async fn the_collections_table_pages_its_invoices_from_the_store() {
    use katalis::domain::{Invoice, NewCompany};
    use katalis::store::{ImportBatch, ImportTarget};
    use katalis::tui::data::PAGE;
    use rust_decimal::Decimal;
    for s in common::stores().await {
        let target = ImportTarget::Create(NewCompany {
            name: "Many".into(),
            industry: String::new(),
            currency: "USD".into(),
            fiscal_year_start: 1,
            locale: "en-US".into(),
        });
        let start: chrono::NaiveDate = "2025-01-01".parse().unwrap();
        let n = 3 * PAGE + 17;
        let invoices: Vec<Invoice> = (0..n)
            .map(|i| Invoice {
                number: format!("F-{i:05}"),
                customer: format!("Cliente {}", i % 13),
                issue_date: start,
                due_date: start + chrono::Duration::days((i % 300) as i64),
                amount: Decimal::new(1000 + i as i64, 0),
                paid_amount: Decimal::ZERO,
                paid_date: None,
                fx: None,
            })
            .collect();
        s.store
            .import(&target, &ImportBatch::Invoices(invoices.clone()))
            .await
            .unwrap();
        let csv = "month,revenue,cogs,opex,cash_end\n2025-06,100000,40000,50000,500000\n";
        let ImportBatch::Financials(fin) =
            katalis::import::parse(katalis::import::Kind::Financials, "f", csv.as_bytes()).unwrap()
        else {
            panic!()
        };
        s.store.import(&target, &ImportBatch::Financials(fin)).await.unwrap();
        let mut want = invoices.clone();
        want.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.number.cmp(&b.number)));

        let mut a = open(&s.store, "Many").await;
        let d = a.data.as_ref().unwrap();
        assert!(!d.open.complete, "{}", s.name);
        assert_eq!((d.open.total, d.open.rows.len()), (n, PAGE), "{}", s.name);
        let effects = a.update(key(KeyCode::Char('7')));
        settle(&mut a, &s.store, effects).await;
        let screen = |a: &App| {
            let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
            t.draw(|f| katalis::tui::render::draw(a, f)).unwrap();
            t.backend().to_string()
        };
        let first = screen(&a);
        assert!(first.contains(&format!("Open invoices ({n})")), "{}: {first}", s.name);
        assert!(first.contains(&want[0].number), "{}: {first}", s.name);
        // The last row: a new window is read from the store.
        let effects = a.update(key(KeyCode::End));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::LoadOpenPage { .. })),
            "{}: End asks for the last window",
            s.name
        );
        settle(&mut a, &s.store, effects).await;
        let last = screen(&a);
        assert!(last.contains(&want[n - 1].number), "{}: {last}", s.name);
        assert_eq!(
            a.selected_record(),
            Some(Record::Invoice(want[n - 1].clone())),
            "{}",
            s.name
        );
        assert!(a.data.as_ref().unwrap().open.rows.len() <= PAGE);
        // Home, then a filter: every keystroke asks the store; the answer for
        // the text typed last is the one shown.
        let effects = a.update(key(KeyCode::Home));
        settle(&mut a, &s.store, effects).await;
        let mut effects = a.update(key(KeyCode::Char('/')));
        for c in "cliente 12".chars() {
            effects.extend(a.update(key(KeyCode::Char(c))));
        }
        settle(&mut a, &s.store, effects).await;
        let matching: Vec<&Invoice> = want.iter().filter(|i| i.customer == "Cliente 12").collect();
        let filtered = screen(&a);
        assert!(
            filtered.contains(&format!("Open invoices ({}) /cliente 12", matching.len())),
            "{}: {filtered}",
            s.name
        );
        assert!(filtered.contains(&matching[0].number), "{}: {filtered}", s.name);
        assert!(!filtered.contains(&want[0].number), "{}: {filtered}", s.name);
        assert_eq!(
            a.selected_record(),
            Some(Record::Invoice(matching[0].clone())),
            "{}",
            s.name
        );
    }
}
