//! Driving the interface in tests as the runtime does: keys in, every effect
//! run against a real store and its result fed back, the screen drawn into a
//! test buffer.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use katalis::store::AnyStore;
use katalis::tui::app::{Action, App, Effect};
use katalis::tui::execute;
use katalis::tui::render::draw;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A character key.
pub fn key(c: char) -> Action {
    code(KeyCode::Char(c))
}

/// Any key, without modifiers.
pub fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The app drawn at `w`×`h`, as text.
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(app, f)).unwrap();
    t.backend().to_string()
}

/// Runs every effect against the store and feeds the result back, as the runtime does.
pub async fn settle(a: &mut App, store: &AnyStore, mut effects: Vec<Effect>) {
    while let Some(e) = effects.pop() {
        // On the heap, as the interface's spawned tasks have it: one effect's
        // future holds any store call's, too big for a test thread's stack.
        if let Some(action) = Box::pin(execute(store, e)).await {
            effects.extend(a.update(action));
        }
    }
}

/// One action and everything it sets off.
pub async fn press(a: &mut App, store: &AnyStore, action: Action) {
    let effects = a.update(action);
    settle(a, store, effects).await;
}

/// Types `text` one key at a time.
pub async fn type_text(a: &mut App, store: &AnyStore, text: &str) {
    for c in text.chars() {
        press(a, store, key(c)).await;
    }
}
