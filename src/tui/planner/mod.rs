//! The Planning tab's state: the scenarios of the company (base, derived from
//! the actuals, and the stored ones), the drivers editor with undo/redo, the
//! comparison, goal seek and the budget lock. Keys in, state and effects out:
//! every projection is recomputed here, on the keystroke, by the engine.

mod cells;
mod dialogs;
mod edits;
mod seek;

use super::app::Effect;
use super::data::CompanyData;
use super::keymap::Intent;
use crate::domain::{Drivers, Month};
use crate::finance::planning::{
    DriverKey, Projection, Start, Target, apply_setting, check_range, driver_number, goal_seek, project,
};
use crate::locale::Lang;
use crate::sanitize::clean;
use crate::store::StoredScenario;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui_textarea::TextArea;
use rust_decimal::Decimal;
pub use seek::target_label;

pub const BASE: &str = "base";
pub const MAX_COMPARE: usize = 3;
const UNDO_DEPTH: usize = 200;

/// What the Planning tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Drivers,
    Compare,
    Budget,
}

/// A line of the drivers table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Horizon,
    Driver(DriverKey),
    PriceMonth,
    Hire(usize),
    AddHire,
    Event(usize),
    AddEvent,
}

/// The drivers in the order of docs/metrics.md#planning, then the hires and the cash events, each list
/// followed by a line that adds to it.
pub fn rows(d: &Drivers) -> Vec<Row> {
    use DriverKey::*;
    let mut v = vec![Row::Horizon];
    v.extend(
        [
            RevenueGrowth,
            GrossMargin,
            OpexBase,
            OpexGrowth,
            OtherIncome,
            Depreciation,
            PriceChange,
        ]
        .map(Row::Driver),
    );
    v.push(Row::PriceMonth);
    v.push(Row::Driver(DiscountRate));
    v.extend((0..d.hires.len()).map(Row::Hire));
    v.push(Row::AddHire);
    v.extend((0..d.cash_events.len()).map(Row::Event));
    v.push(Row::AddEvent);
    v
}

/// One scenario as the editor holds it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub drivers: Drivers,
    pub start: Start,
    pub locked: bool,
    /// The stored version (0: never stored, or base).
    pub version: i64,
    pub base: bool,
    pub projection: Projection,
    undo: Vec<Drivers>,
    redo: Vec<Drivers>,
    /// Changed since the last save was sent.
    unsaved: bool,
    /// A save is in flight; the next one waits for its version.
    saving: bool,
}

impl Scenario {
    fn new(name: String, drivers: Drivers, start: Start, locked: bool, version: i64, base: bool) -> Scenario {
        Scenario {
            projection: project(start, &drivers),
            name,
            drivers,
            start,
            locked,
            version,
            base,
            undo: Vec::new(),
            redo: Vec::new(),
            unsaved: false,
            saving: false,
        }
    }

    pub fn stored(&self) -> StoredScenario {
        StoredScenario {
            name: self.name.clone(),
            drivers: self.drivers.clone(),
            locked: self.locked,
            base_month: self.locked.then(|| self.start.month.to_string()),
            start_cash: self.locked.then_some(self.start.cash),
            start_revenue: self.locked.then_some(self.start.revenue),
            version: self.version,
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// The cell being edited: its text as typed, and the projection it gives when valid.
pub struct CellEdit {
    pub row: Row,
    pub input: TextArea<'static>,
    pub error: Option<String>,
    pub preview: Option<Projection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekOutcome {
    Found(Decimal),
    NotFound,
}

/// The goal-seek dialog: which driver, which target, its parameter and the bounds,
/// as typed (rates in percent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seek {
    /// 0 driver, 1 target, 2 target parameter, 3 min, 4 max.
    pub field: usize,
    pub driver: DriverKey,
    /// 0 min cash ≥ 0, 1 runway at horizon ≥ N, 2 break-even by month K.
    pub target: usize,
    pub values: [String; 3],
    pub outcome: Option<Result<SeekOutcome, String>>,
}

pub enum Dialog {
    /// A name for a new scenario (a copy of the current) or for the current one.
    Name {
        rename: bool,
        input: TextArea<'static>,
        error: Option<String>,
    },
    ConfirmDelete,
    /// The month the budget starts from.
    Lock {
        input: TextArea<'static>,
        error: Option<String>,
    },
    Seek(Seek),
}

pub struct Planner {
    pub company_id: i64,
    pub lang: Lang,
    pub decimal_comma: bool,
    pub scenarios: Vec<Scenario>,
    pub current: usize,
    /// Selected line of the drivers table.
    pub row: usize,
    pub cell: Option<CellEdit>,
    pub dialog: Option<Dialog>,
    /// Names marked for comparison, in marking order.
    pub compare: Vec<String>,
    pub view: View,
    /// A line for the status bar, taken by the app after each call.
    pub message: Option<(String, bool)>,
}

impl std::fmt::Debug for Planner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planner")
            .field("scenarios", &self.scenarios.iter().map(|s| &s.name).collect::<Vec<_>>())
            .field("current", &self.current)
            .field("row", &self.row)
            .field("editing", &self.cell.as_ref().map(|c| c.row))
            .field("view", &self.view)
            .field("compare", &self.compare)
            .finish()
    }
}

/// A one-line input holding `text` all selected, so typing replaces it (as in a
/// spreadsheet cell) and an arrow key starts editing it in place.
pub(super) fn text_area(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_owned()]);
    t.set_placeholder_text(placeholder.to_owned());
    t.select_all();
    t
}

pub(super) fn text_of(t: &TextArea<'_>) -> String {
    t.lines().first().cloned().unwrap_or_default()
}

/// A nudge for an amount: a tenth of its order of magnitude, at least 100.
pub(super) fn amount_step(v: Decimal) -> Decimal {
    let digits = v.abs().trunc().to_string().trim_start_matches('0').len() as u32;
    Decimal::from(10u64.pow(digits.saturating_sub(2).max(2)))
}

pub(super) fn rate_step(k: DriverKey) -> Decimal {
    match k {
        DriverKey::RevenueGrowth => Decimal::new(5, 3),
        DriverKey::OpexGrowth => Decimal::new(1, 3),
        _ => Decimal::new(1, 2),
    }
}

impl Planner {
    /// An empty planner (no company loaded, or nothing to project from).
    pub fn empty(lang: Lang) -> Planner {
        Planner {
            company_id: 0,
            lang,
            decimal_comma: false,
            scenarios: Vec::new(),
            current: 0,
            row: 0,
            cell: None,
            dialog: None,
            compare: Vec::new(),
            view: View::Drivers,
            message: None,
        }
    }

    /// The scenarios of a freshly loaded company; the selection, the view, the
    /// marks and the undo history of unchanged scenarios carry over.
    pub fn load(lang: Lang, data: &CompanyData, previous: Option<&Planner>) -> Planner {
        let mut p = Planner::empty(lang);
        p.company_id = data.company.id;
        p.decimal_comma = data.fmt.sep.decimal == ',';
        let Some(start) = data.start else { return p };
        p.scenarios
            .push(Scenario::new(BASE.into(), data.drivers.clone(), start, false, 0, true));
        for s in &data.scenarios {
            let frozen = s.base_month.as_deref().and_then(|m| m.parse::<Month>().ok());
            let start = match (s.locked, frozen) {
                (true, Some(month)) => Start {
                    month,
                    revenue: s.start_revenue.unwrap_or(start.revenue),
                    cash: s.start_cash.unwrap_or(start.cash),
                },
                _ => start,
            };
            p.scenarios.push(Scenario::new(
                s.name.clone(),
                s.drivers.clone(),
                start,
                s.locked,
                s.version,
                false,
            ));
        }
        if let Some(prev) = previous.filter(|q| q.company_id == p.company_id) {
            for s in &mut p.scenarios {
                if let Some(old) = prev
                    .scenarios
                    .iter()
                    .find(|o| o.name == s.name && o.version == s.version)
                {
                    s.undo = old.undo.clone();
                    s.redo = old.redo.clone();
                }
            }
            let name = prev.scenarios.get(prev.current).map(|s| s.name.as_str());
            p.current = p
                .scenarios
                .iter()
                .position(|s| Some(s.name.as_str()) == name)
                .unwrap_or(0);
            p.compare = prev
                .compare
                .iter()
                .filter(|n| p.scenarios.iter().any(|s| &s.name == *n))
                .cloned()
                .collect();
            p.view = prev.view;
            p.row = prev.row;
        }
        p.clamp_row();
        p
    }

    fn t(&self, en: &'static str, es: &'static str) -> &'static str {
        self.lang.pick(en, es)
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error));
    }

    pub fn current(&self) -> Option<&Scenario> {
        self.scenarios.get(self.current)
    }

    pub fn rows(&self) -> Vec<Row> {
        self.current().map(|s| rows(&s.drivers)).unwrap_or_default()
    }

    fn clamp_row(&mut self) {
        let n = self.rows().len();
        self.row = self.row.min(n.saturating_sub(1));
    }

    /// The projection to draw for scenario `i`: the live preview of the cell being
    /// typed when it is valid, else the committed drivers'.
    pub fn projection_of(&self, i: usize) -> Option<&Projection> {
        if i == self.current
            && let Some(p) = self.cell.as_ref().and_then(|c| c.preview.as_ref())
        {
            return Some(p);
        }
        self.scenarios.get(i).map(|s| &s.projection)
    }

    /// The scenarios compared: those marked, else base and the current one.
    pub fn compared(&self) -> Vec<usize> {
        let marked: Vec<usize> = self
            .compare
            .iter()
            .filter_map(|n| self.scenarios.iter().position(|s| &s.name == n))
            .collect();
        if !marked.is_empty() {
            return marked;
        }
        let mut v = vec![0];
        if self.current != 0 {
            v.push(self.current);
        }
        v.retain(|i| *i < self.scenarios.len());
        v
    }

    /// Whether a change is still on its way to the store.
    pub fn pending(&self) -> bool {
        self.scenarios.iter().any(|s| s.saving || s.unsaved)
    }

    /// Whether keys go to the planner first (a cell or a dialog is open).
    pub fn capturing(&self) -> bool {
        self.cell.is_some() || self.dialog.is_some()
    }

    /// Keys outside a cell or dialog, already mapped to an intent.
    pub fn on_intent(&mut self, intent: Intent, data: &CompanyData) -> Vec<Effect> {
        if self.scenarios.is_empty() {
            return vec![];
        }
        let n = self.scenarios.len();
        match intent {
            Intent::Up => self.row = self.row.saturating_sub(1),
            Intent::Down => self.row = (self.row + 1).min(self.rows().len().saturating_sub(1)),
            Intent::Top => self.row = 0,
            Intent::Bottom => self.row = self.rows().len().saturating_sub(1),
            Intent::Left => self.switch((self.current + n - 1) % n),
            Intent::Right => self.switch((self.current + 1) % n),
            Intent::Edit => self.start_edit(),
            Intent::NudgeUp => return self.nudge(true),
            Intent::NudgeDown => return self.nudge(false),
            Intent::Undo => return self.undo(false),
            Intent::Redo => return self.undo(true),
            Intent::NewScenario => self.name_dialog(false),
            Intent::RenameScenario => self.name_dialog(true),
            Intent::DeleteScenario => {
                if self.current().is_some_and(|s| s.base) {
                    let msg = self.t("base cannot be deleted", "base no se puede eliminar");
                    self.say(msg, true);
                } else {
                    self.dialog = Some(Dialog::ConfirmDelete);
                }
            }
            Intent::RemoveItem => return self.remove_item(),
            Intent::CompareMark => {
                let name = self.scenarios[self.current].name.clone();
                if let Some(i) = self.compare.iter().position(|c| *c == name) {
                    self.compare.remove(i);
                } else if self.compare.len() >= MAX_COMPARE {
                    let msg = self.t(
                        "up to 3 scenarios are compared: Space on a marked one unmarks it",
                        "se comparan hasta 3 escenarios: Espacio sobre uno marcado lo desmarca",
                    );
                    self.say(msg, true);
                } else {
                    self.compare.push(name);
                }
            }
            Intent::PlanView => {
                self.view = match self.view {
                    View::Drivers => View::Compare,
                    View::Compare => View::Budget,
                    View::Budget => View::Drivers,
                }
            }
            Intent::GoalSeek => self.seek_dialog(),
            Intent::LockBudget => return self.lock_dialog(data),
            _ => {}
        }
        vec![]
    }

    fn switch(&mut self, i: usize) {
        self.current = i;
        self.cell = None;
        self.clamp_row();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_magnitude() {
        assert_eq!(amount_step(Decimal::ZERO), Decimal::from(100));
        assert_eq!(amount_step(Decimal::from(800)), Decimal::from(100));
        assert_eq!(amount_step(Decimal::from(45_300)), Decimal::from(1_000));
        assert_eq!(amount_step(Decimal::from(-120_000)), Decimal::from(10_000));
    }
}
