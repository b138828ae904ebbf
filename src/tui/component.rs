//! What a tab is: a component that draws itself, lists the commands it offers
//! and handles them. The help overlay and the hint bar are made from
//! [`View::commands`] and the keymap, so a view's keys appear there by
//! themselves.
//!
//! Adding a tab: write `views/NAME.rs` with a unit struct implementing
//! [`View`], add a [`Tab`] variant and register it in [`Tab::ALL`] and
//! [`Tab::view`]. The app names tabs only where one is the destination (a
//! key that switches to Planning or Cash flow) or holds state of its own.

use super::app::{App, Effect};
use super::data::CompanyData;
use super::form::Record;
use super::keymap::Intent;
use crate::ai::Agent;
use crate::locale::Lang;
use crate::store::team::Role;
use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Whether a component used a key; when it did, the effects it asks for.
#[derive(Debug)]
pub enum Handled {
    Consumed(Vec<Effect>),
    NotConsumed,
}

impl Handled {
    pub fn done() -> Handled {
        Handled::Consumed(Vec::new())
    }
}

/// The modules, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Dashboard,
    UnitEconomics,
    CashFlow,
    Pricing,
    Profitability,
    Planning,
    Collections,
    Bank,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Dashboard,
        Tab::UnitEconomics,
        Tab::CashFlow,
        Tab::Pricing,
        Tab::Profitability,
        Tab::Planning,
        Tab::Collections,
        Tab::Bank,
    ];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        self.view().title(lang)
    }
}

/// What names a tab, in English and Spanish, and whom its AI panel asks.
#[derive(Debug, Clone, Copy)]
pub struct Info {
    /// The full title (tab bar at 120 columns and more, help overlay).
    pub title: [&'static str; 2],
    /// The title when the tab bar is narrow.
    pub short: [&'static str; 2],
    /// The advisor the AI panel asks here unless the user chose one.
    pub agent: Agent,
}

/// A tab of the interface.
pub trait View: Sync {
    fn info(&self) -> &Info;
    fn title(&self, lang: Lang) -> &'static str {
        let [en, es] = self.info().title;
        lang.pick(en, es)
    }
    fn short_title(&self, lang: Lang) -> &'static str {
        let [en, es] = self.info().short;
        lang.pick(en, es)
    }
    fn agent(&self) -> Agent {
        self.info().agent
    }
    /// The view-scoped commands this view offers: only these reach it, the help
    /// lists them, and the hint bar shows the first [`HINTS`] of them.
    fn commands(&self, app: &App) -> &'static [Intent];
    /// Rows of its table, for moving the selection (0: no table).
    fn rows(&self, _app: &App, _d: &CompanyData) -> usize {
        0
    }
    /// The record under the selection, which `e` edits.
    fn record(&self, _app: &App, _d: &CompanyData) -> Option<Record> {
        None
    }
    /// The role a command needs, and what it is called in a refusal: by
    /// default, editing a record needs the owner.
    fn needs(&self, intent: Intent, lang: Lang) -> Option<(Role, &'static str)> {
        (intent == Intent::Edit).then(|| (Role::Owner, lang.pick("editing records", "editar registros")))
    }
    /// A key before the keymap reads it (Enter to start typing a value).
    fn handle_key(&self, _app: &mut App, _key: &KeyEvent) -> Handled {
        Handled::NotConsumed
    }
    /// One of its commands; `NotConsumed` leaves it to what every table does
    /// (moving the selection, filtering, editing the record).
    fn handle(&self, _app: &mut App, _intent: Intent) -> Handled {
        Handled::NotConsumed
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer);
}

/// How many of a view's commands the hint bar shows after the global ones.
pub const HINTS: usize = 4;

/// Moving the selection in a table: what every view with rows offers.
pub const TABLE: [Intent; 6] = [
    Intent::Up,
    Intent::Down,
    Intent::PageUp,
    Intent::PageDown,
    Intent::Top,
    Intent::Bottom,
];

impl Tab {
    /// The registry: each tab's component.
    pub fn view(self) -> &'static dyn View {
        use super::views::*;
        match self {
            Tab::Dashboard => &dashboard::Dashboard,
            Tab::UnitEconomics => &unit_economics::VIEW,
            Tab::CashFlow => &cash_flow::CashFlow,
            Tab::Pricing => &pricing::Pricing,
            Tab::Profitability => &profitability::VIEW,
            Tab::Planning => &planning::Planning,
            Tab::Collections => &collections::Collections,
            Tab::Bank => &bank::Bank,
        }
    }
}
