//! Where things were on the last frame, for the mouse: the tabs, the
//! dashboard's cards, the selectable table and its visible rows, the AI
//! panel. Recorded while drawing (never a second layout pass) and read when
//! a click or the wheel comes.

use super::app::Tab;
use ratatui::layout::{Position, Rect};
use std::cell::RefCell;

/// The rows of the selectable table on screen: row `start` is drawn at `rows.y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableHit {
    pub rows: Rect,
    pub start: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    pub tabs: Vec<(Rect, Tab)>,
    pub cards: Vec<(Rect, Tab)>,
    pub table: Option<TableHit>,
    pub ai: Option<Rect>,
    /// The hint bar's entries: where each is and the key it stands for.
    pub hints: Vec<(Rect, crossterm::event::KeyEvent)>,
}

thread_local! {
    static FRAME: RefCell<Hits> = RefCell::new(Hits::default());
}

/// A frame begins: nothing recorded yet.
pub fn begin() {
    FRAME.with(|f| *f.borrow_mut() = Hits::default());
}

/// What the frame drawn recorded.
pub fn take() -> Hits {
    FRAME.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

pub fn record(f: impl FnOnce(&mut Hits)) {
    FRAME.with(|h| f(&mut h.borrow_mut()));
}

/// What is under the pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Tab(Tab),
    Card(Tab),
    Row(usize),
    Table,
    Ai,
    Hint(crossterm::event::KeyEvent),
}

impl Hits {
    pub fn at(&self, column: u16, row: u16) -> Option<Hit> {
        let p = Position::new(column, row);
        if let Some((_, t)) = self.tabs.iter().find(|(r, _)| r.contains(p)) {
            return Some(Hit::Tab(*t));
        }
        if let Some((_, k)) = self.hints.iter().find(|(r, _)| r.contains(p)) {
            return Some(Hit::Hint(*k));
        }
        if self.ai.is_some_and(|r| r.contains(p)) {
            return Some(Hit::Ai);
        }
        if let Some((_, t)) = self.cards.iter().find(|(r, _)| r.contains(p)) {
            return Some(Hit::Card(*t));
        }
        if let Some(t) = self.table {
            if t.rows.contains(p) {
                let i = t.start + (row - t.rows.y) as usize;
                return Some(if i < t.total { Hit::Row(i) } else { Hit::Table });
            }
            // The header and the borders: the table, no row.
            let outer = Rect {
                x: t.rows.x.saturating_sub(1),
                y: t.rows.y.saturating_sub(2),
                width: t.rows.width + 2,
                height: t.rows.height + 3,
            };
            if outer.contains(p) {
                return Some(Hit::Table);
            }
        }
        None
    }
}
