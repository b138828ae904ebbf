//! The command palette: every command entry does exactly what its key does
//! (on the tab that offers it), in English and Spanish; go-to entries switch
//! tabs, open a customer's invoices, a scenario, an advisor.

mod common;

use common::tui::{code, press, type_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use katalis::tui::app::{Action, App, Tab};
use katalis::tui::keymap::{Keymap, Scope};
use katalis::tui::power::Target;
use katalis::tui::theme::Theme;

async fn open(store: &AnyStore, lang: Lang) -> App {
    let c = store.company("Tallo Analytics").await.unwrap();
    let data = katalis::tui::data::load(store, c).await.unwrap();
    let mut a = App::new(lang, Theme::monochrome("t"), Keymap::default(), None);
    a.update(Action::Companies(Ok(store.companies().await.unwrap())));
    a.update(Action::Loaded(Box::new(Ok(data))));
    a.message = None;
    a
}

/// What a key can change, as text.
fn state(a: &App) -> String {
    format!(
        "{:?}|{:?}|{}|{}|{:?}|{}|{:?}|{:?}|{}|{:?}|{:?}|{}|{:?}|{}",
        a.tab,
        a.overlay,
        a.form.is_some(),
        a.import.is_some(),
        a.export,
        a.ai.open,
        a.ai.agent,
        a.views.rows,
        a.views.filtering,
        a.views.filter,
        a.planner,
        a.quit,
        a.message,
        a.views.weeks
    )
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[tokio::test]
async fn every_command_entry_leaves_the_state_its_key_leaves() {
    let (_d, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    for lang in [Lang::En, Lang::Es] {
        let entries = open(&store, lang).await.palette_entries();
        let mut checked = 0;
        for (i, e) in entries.iter().enumerate() {
            let Target::Intent(intent) = e.target else { continue };
            // Through the palette: Ctrl-p, down to the entry, Enter.
            let mut a = open(&store, lang).await;
            let mut via_palette = a.update(ctrl('p'));
            for _ in 0..i {
                via_palette.extend(a.update(code(KeyCode::Down)));
            }
            via_palette.extend(a.update(code(KeyCode::Enter)));
            // Through the key: on the first tab that offers the command.
            let mut b = open(&store, lang).await;
            let mut via_key = Vec::new();
            if b.keymap.scope(intent) == Scope::View
                && !b.tab.view().commands(&b).contains(&intent)
                && let Some(tab) = Tab::ALL.into_iter().find(|t| t.view().commands(&b).contains(&intent))
            {
                via_key.extend(b.update(code(KeyCode::Char(char::from(b'1' + tab.index() as u8)))));
            }
            let key = b.keymap.bindings.iter().find(|x| x.intent == intent).unwrap().keys[0];
            via_key.extend(b.update(Action::Key(key)));
            assert_eq!(state(&a), state(&b), "{lang:?}: {} ({intent:?})", e.label);
            assert_eq!(
                format!("{via_palette:?}"),
                format!("{via_key:?}"),
                "{lang:?}: {}",
                e.label
            );
            checked += 1;
        }
        assert!(checked >= 40, "{checked} command entries");
    }
}

#[tokio::test]
async fn typing_finds_the_entry_and_go_to_entries_go() {
    let (_d, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    // `goal`, Enter: goal seek on the Planning tab.
    let mut a = open(&store, Lang::En).await;
    press(&mut a, &store, ctrl('p')).await;
    type_text(&mut a, &store, "goal").await;
    assert_eq!(
        a.palette_matches("goal")[0].target,
        Target::Intent(katalis::tui::keymap::Intent::GoalSeek)
    );
    press(&mut a, &store, code(KeyCode::Enter)).await;
    assert_eq!(a.tab, Tab::Planning);
    assert!(common::tui::screen(&a, 80, 24).contains("Goal seek"));
    // In Spanish, without accents typed: "busqueda"/"buscar meta".
    let es = open(&store, Lang::Es).await;
    assert_eq!(
        es.palette_matches("buscar meta")[0].target,
        Target::Intent(katalis::tui::keymap::Intent::GoalSeek)
    );
    assert_eq!(es.palette_matches("cobranza")[0].target, Target::Tab(Tab::Collections));
    assert!(matches!(es.palette_matches("asesor flujo")[0].target, Target::Agent(_)));
    // A customer with open invoices: Collections, filtered to them.
    let mut c = open(&store, Lang::En).await;
    let customer = c
        .palette_entries()
        .into_iter()
        .find_map(|e| match e.target {
            Target::Customer(n) => Some(n),
            _ => None,
        })
        .unwrap();
    let effects = c.run_entry(&Target::Customer(customer.clone()));
    common::tui::settle(&mut c, &store, effects).await;
    assert_eq!((c.tab, c.views.filter.as_str()), (Tab::Collections, customer.as_str()));
    let screen = common::tui::screen(&c, 120, 40);
    assert!(screen.contains(&customer), "{screen}");
    // A scenario: Planning, that scenario current.
    let mut p = open(&store, Lang::En).await;
    let name = p.planner.scenarios.last().unwrap().name.clone();
    p.run_entry(&Target::Scenario(name.clone()));
    assert_eq!(p.tab, Tab::Planning);
    assert_eq!(p.planner.current().unwrap().name, name);
    // 80x24 and wide: the palette draws, its entries with their keys.
    let mut w = open(&store, Lang::Es).await;
    w.update(ctrl('p'));
    for (cols, rows) in [(80, 24), (200, 50)] {
        let s = common::tui::screen(&w, cols, rows);
        assert!(s.contains("Comandos") && s.contains("Ctrl-c"), "{s}");
    }
}

/// `X` in Collections: the dialog, the format switched, the whole table
/// written where asked; a path that cannot be written keeps the dialog, the
/// path and the reason. `Y` makes the table's text; one too large for the
/// terminal's clipboard is refused, pointing to `X`.
#[tokio::test]
async fn the_export_dialog_writes_the_whole_table_and_keeps_a_bad_path() {
    let (_d, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&store, Lang::En).await;
    press(&mut a, &store, common::tui::key('7')).await;
    press(&mut a, &store, common::tui::key('X')).await;
    let d = a.export.as_ref().expect("the dialog");
    assert!(d.path.starts_with("katalis-tallo-analytics-collections-") && d.path.ends_with(".xlsx"));
    for (cols, rows) in [(80, 24), (200, 50)] {
        let s = common::tui::screen(&a, cols, rows);
        assert!(s.contains("Open invoices") && s.contains("XLSX"), "{s}");
    }
    press(&mut a, &store, code(KeyCode::Right)).await;
    assert!(
        a.export.as_ref().unwrap().path.ends_with(".csv"),
        "the default follows the format"
    );
    press(&mut a, &store, code(KeyCode::Down)).await;
    assert!(a.export.as_ref().unwrap().path.contains("-call-list-"));
    press(&mut a, &store, code(KeyCode::Up)).await;
    // A path that cannot be written: the dialog stays, with the reason.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let bad = blocker.join("x.csv").display().to_string();
    a.export.as_mut().unwrap().path = bad.clone();
    press(&mut a, &store, code(KeyCode::Enter)).await;
    let d = a.export.as_ref().expect("still open");
    assert_eq!(d.path, bad);
    assert!(d.error.as_deref().unwrap_or_default().contains("cannot write"), "{d:?}");
    // Then a good one: written, the dialog closed, the rows said.
    let good = dir.path().join("open.csv");
    a.export.as_mut().unwrap().path = good.display().to_string();
    press(&mut a, &store, code(KeyCode::Enter)).await;
    assert!(a.export.is_none());
    let text = std::fs::read_to_string(&good).unwrap();
    let n = text.lines().count() - 1;
    assert_eq!(
        a.message.as_ref().unwrap().0,
        format!("{n} rows written to {}", good.display())
    );
    assert_eq!(n, a.data.as_ref().unwrap().open.count(""), "every open invoice");
    // Esc while it writes: the dialog goes, the writing goes on, its end is said.
    press(&mut a, &store, common::tui::key('X')).await;
    a.export.as_mut().unwrap().writing = true;
    press(&mut a, &store, code(KeyCode::Esc)).await;
    assert!(a.export.is_none());
    assert!(a.message.as_ref().unwrap().0.contains("background"));
    a.update(Action::Exported(Ok((7, "x.xlsx".into()))));
    assert_eq!(a.message.as_ref().unwrap().0, "7 rows written to x.xlsx");
    // Y hands the runtime the table's text for the clipboard.
    let effects = a.update(common::tui::key('Y'));
    let mut ready = None;
    for e in effects {
        if let Some(Action::CopyReady(r)) = katalis::tui::execute(&store, e).await {
            ready = Some(r);
        }
    }
    let (tsv, rows) = ready.expect("the text").unwrap();
    assert_eq!(rows, n);
    assert_eq!(tsv.lines().count(), n + 1);
    assert!(tsv.starts_with("Number\tCustomer\tDue\tDays\tOpen (USD)\n"), "{tsv}");
    // Beyond what the clipboard takes: refused, pointing to X.
    let sheet = katalis::tui::sheet::sheet(&a, katalis::tui::sheet::Table::Collections).unwrap();
    let err = katalis::tui::copy_text(&store, &sheet, 200).await.unwrap_err();
    assert!(err.contains("export it with X"), "{err}");
}

/// The mouse, hit-tested against the frame drawn: a click on a tab switches,
/// on a row selects, twice is Enter (Pricing: type the what-if value); the
/// wheel over the table moves the selection; nothing while a dialog is open.
#[tokio::test]
async fn clicks_and_the_wheel_act_on_what_the_last_frame_drew() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (_d, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    let mut a = open(&store, Lang::En).await;
    let mouse = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let draw = |a: &mut App| {
        let s = common::tui::screen(a, 120, 40);
        a.hits = katalis::tui::hits::take();
        s
    };
    let bar = draw(&mut a);
    let col = bar.lines().next().unwrap().find("4 Pricing").unwrap() as u16;
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), col, 0));
    assert_eq!(a.tab, Tab::Pricing);
    let screen = draw(&mut a);
    let sku = a.filtered_products(a.data.as_ref().unwrap())[2].sku.clone();
    let y = screen.lines().position(|l| l.contains(&sku)).unwrap() as u16;
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 3, y));
    assert_eq!(a.row(), 2);
    assert!(!a.views.pricing.editing);
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), 3, y));
    assert!(a.views.pricing.editing, "a double click is Enter");
    a.update(code(KeyCode::Esc));
    draw(&mut a);
    a.update(mouse(MouseEventKind::ScrollDown, 3, y));
    assert_eq!(a.row(), 3, "the wheel moves the selection");
    // A dialog open: the mouse waits.
    a.update(common::tui::key('X'));
    draw(&mut a);
    a.update(mouse(MouseEventKind::Down(MouseButton::Left), col, 0));
    assert!(a.export.is_some());
    assert_eq!(a.row(), 3);
}

#[test]
fn what_was_copied_is_said_in_the_status_bar_in_both_languages() {
    use katalis::tui::clipboard::Clipboard;
    let mut a = App::new(Lang::En, Theme::monochrome("t"), Keymap::default(), None);
    a.copied(12, Ok(Clipboard::Terminal));
    assert_eq!(a.message.as_ref().unwrap().0, "12 rows copied (terminal clipboard)");
    a.copied(1, Ok(Clipboard::System));
    assert_eq!(a.message.as_ref().unwrap().0, "1 row copied (system clipboard)");
    let mut e = App::new(Lang::Es, Theme::monochrome("t"), Keymap::default(), None);
    e.copied(3, Ok(Clipboard::Terminal));
    assert_eq!(
        e.message.as_ref().unwrap().0,
        "3 filas copiadas (portapapeles de la terminal)"
    );
    e.copied(2, Err("demasiado grande".into()));
    assert_eq!(e.message, Some(("demasiado grande".into(), true)));
}

/// The exported tables carry the screen's headers: every column label of each
/// table is in the header the tab draws (at 200x50, where every column shows),
/// in English and Spanish — the labels are written twice (the view, the
/// sheet), and this keeps them from drifting apart.
#[tokio::test]
async fn every_exported_column_is_named_as_the_screen_names_it() {
    use katalis::tui::planner::View as PlanView;
    use katalis::tui::sheet::{Table, sheet, tab_of};
    let (_d, url) = common::fresh_sqlite();
    let store = AnyStore::connect(&url).await.unwrap();
    katalis::demo::load(&store).await.unwrap();
    for lang in [Lang::En, Lang::Es] {
        let mut checked = 0;
        for table in Table::ALL {
            let mut a = open(&store, lang).await;
            a.tab = tab_of(table);
            a.views.weeks = table == Table::CashWeeks;
            a.planner.view = match table {
                Table::Budget => PlanView::Budget,
                _ => PlanView::Compare,
            };
            let Some(s) = sheet(&a, table) else {
                // No locked budget in the demo: nothing to export, nothing on screen.
                assert_eq!(table, Table::Budget);
                continue;
            };
            let screen = common::tui::screen(&a, 200, 50);
            for c in s.columns.iter().filter(|c| !c.label.is_empty() && c.label != "#") {
                // The compare table's difference columns are "Δ vs 1st" on screen, named after their scenario here.
                let label = c.label.split(" (").next().unwrap();
                assert!(
                    screen.contains(label),
                    "{lang:?} {table:?}: {label:?} not on screen:\n{screen}"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 8, "{lang:?}");
    }
}
