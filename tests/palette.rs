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
