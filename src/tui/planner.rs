//! The Planning tab's state: the scenarios of the company (base, derived from
//! the actuals, and the stored ones), the drivers editor with undo/redo, the
//! comparison, goal seek and the budget lock. Keys in, state and effects out:
//! every projection is recomputed here, on the keystroke, by the engine.

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

/// The drivers in METRICS.md order, then the hires and the cash events, each list
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
fn text_area(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_owned()]);
    t.set_placeholder_text(placeholder.to_owned());
    t.select_all();
    t
}

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().first().cloned().unwrap_or_default()
}

/// A nudge for an amount: a tenth of its order of magnitude, at least 100.
fn amount_step(v: Decimal) -> Decimal {
    let digits = v.abs().trunc().to_string().trim_start_matches('0').len() as u32;
    Decimal::from(10u64.pow(digits.saturating_sub(2).max(2)))
}

fn rate_step(k: DriverKey) -> Decimal {
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

    /// The text of a cell as it is edited: rates in percent, amounts plain.
    pub fn cell_text(&self, d: &Drivers, row: Row) -> String {
        let dec = |v: Decimal| {
            let s = v.normalize().to_string();
            if self.decimal_comma { s.replace('.', ",") } else { s }
        };
        match row {
            Row::Horizon => d.horizon_months.to_string(),
            Row::PriceMonth => d.price_change_month.to_string(),
            Row::Driver(k) if k.is_rate() => dec(k.get(d) * Decimal::ONE_HUNDRED),
            Row::Driver(k) => dec(k.get(d)),
            Row::Hire(i) => d
                .hires
                .get(i)
                .map(|h| format!("{}:{}:{}", h.month, h.count, h.monthly_cost.normalize()))
                .unwrap_or_default(),
            Row::Event(i) => d
                .cash_events
                .get(i)
                .map(|e| format!("{}:{}:{}", e.month, e.amount.normalize(), e.label))
                .unwrap_or_default(),
            Row::AddHire | Row::AddEvent => String::new(),
        }
    }

    fn number(&self, text: &str) -> Result<Decimal, String> {
        let mut t = text.trim().trim_end_matches('%').trim().to_owned();
        if self.decimal_comma {
            t = t.replace(',', ".");
        }
        driver_number(&t).map_err(|_| {
            format!(
                "{:?} {}",
                clean(text),
                self.t("is not a number, e.g. 3.5", "no es un número, p. ej. 3,5")
            )
        })
    }

    /// The drivers with `row` set from `text`, or why the text is refused.
    pub fn apply_cell(&self, d: &Drivers, row: Row, text: &str) -> Result<Drivers, String> {
        let mut out = d.clone();
        let whole = |text: &str, range: std::ops::RangeInclusive<u32>| {
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    format!(
                        "{:?}: {} {}–{}",
                        clean(text),
                        self.t("a whole number of months from", "un número entero de meses de"),
                        range.start(),
                        range.end()
                    )
                })
        };
        match row {
            Row::Horizon => out.horizon_months = whole(text, 12..=60)?,
            Row::PriceMonth => out.price_change_month = whole(text, 1..=60)?,
            Row::Driver(k) => {
                let mut v = self.number(text)?;
                if k.is_rate() {
                    v /= Decimal::ONE_HUNDRED;
                }
                check_range(k, v).map_err(|_| {
                    if k == DriverKey::GrossMargin {
                        self.t("a margin cannot exceed 100%", "un margen no puede pasar de 100%")
                    } else {
                        self.t("must be above -100%", "debe ser mayor que -100%")
                    }
                    .to_owned()
                })?;
                apply_setting(&mut out, k.key(), &v.to_string()).map_err(|e| clean(&e))?;
            }
            Row::Hire(_) | Row::AddHire => {
                let at = if let Row::Hire(i) = row { Some(i) } else { None };
                if let Some(i) = at.filter(|i| *i < out.hires.len()) {
                    out.hires.remove(i);
                }
                apply_setting(&mut out, "hire", text).map_err(|e| {
                    format!(
                        "{} ({})",
                        self.t(
                            "type MONTH:PEOPLE:MONTHLY_COST, e.g. 3:2:4500",
                            "escriba MES:PERSONAS:COSTO_MENSUAL, p. ej. 3:2:4500"
                        ),
                        clean(&e)
                    )
                })?;
                if let Some(i) = at.filter(|i| *i < out.hires.len()) {
                    let h = out.hires.pop().expect("just pushed");
                    out.hires.insert(i, h);
                }
            }
            Row::Event(_) | Row::AddEvent => {
                let at = if let Row::Event(i) = row { Some(i) } else { None };
                if let Some(i) = at.filter(|i| *i < out.cash_events.len()) {
                    out.cash_events.remove(i);
                }
                apply_setting(&mut out, "cash_event", text).map_err(|e| {
                    format!(
                        "{} ({})",
                        self.t(
                            "type MONTH:AMOUNT:LABEL, e.g. 6:250000:Seed round",
                            "escriba MES:MONTO:ETIQUETA, p. ej. 6:250000:Ronda semilla"
                        ),
                        clean(&e)
                    )
                })?;
                if let Some(i) = at.filter(|i| *i < out.cash_events.len()) {
                    let e = out.cash_events.pop().expect("just pushed");
                    out.cash_events.insert(i, e);
                }
            }
        }
        Ok(out)
    }

    /// Why the current scenario cannot be changed, if it cannot.
    fn refuse_change(&mut self) -> bool {
        let Some(s) = self.current() else { return true };
        let why = if s.base {
            self.t(
                "base follows the actuals: n makes an editable copy",
                "base sigue a los datos reales: n crea una copia editable",
            )
        } else if s.locked {
            self.t(
                "this scenario is the locked budget: L unlocks it",
                "este escenario es el presupuesto fijado: L lo libera",
            )
        } else {
            return false;
        };
        self.say(why, true);
        true
    }

    /// Replaces the current drivers (one undo step) and saves.
    fn commit(&mut self, new: Drivers) -> Vec<Effect> {
        let i = self.current;
        let Some(s) = self.scenarios.get_mut(i) else {
            return vec![];
        };
        if s.drivers == new {
            return vec![];
        }
        let old = std::mem::replace(&mut s.drivers, new);
        s.undo.push(old);
        if s.undo.len() > UNDO_DEPTH {
            s.undo.remove(0);
        }
        s.redo.clear();
        s.projection = project(s.start, &s.drivers);
        self.clamp_row();
        self.save(i)
    }

    /// Sends the scenario to the store, or marks it to be sent when the save in
    /// flight returns (each save carries the version the previous one produced).
    fn save(&mut self, i: usize) -> Vec<Effect> {
        let Some(s) = self.scenarios.get_mut(i) else {
            return vec![];
        };
        if s.base {
            return vec![];
        }
        s.unsaved = true;
        if s.saving {
            return vec![];
        }
        s.saving = true;
        s.unsaved = false;
        vec![Effect::SaveScenario {
            company_id: self.company_id,
            scenario: Box::new(s.stored()),
        }]
    }

    /// A save came back.
    pub fn saved(&mut self, name: &str, result: Result<i64, String>) -> Vec<Effect> {
        let Some(i) = self.scenarios.iter().position(|s| s.name == name) else {
            return vec![];
        };
        match result {
            Ok(version) => {
                let s = &mut self.scenarios[i];
                s.version = version;
                s.saving = false;
                if s.unsaved { self.save(i) } else { vec![] }
            }
            Err(e) => {
                self.scenarios[i].saving = false;
                self.say(e, true);
                vec![Effect::Reload]
            }
        }
    }

    pub fn renamed(&mut self, from: &str, to: &str, result: Result<i64, String>) -> Vec<Effect> {
        match result {
            Ok(version) => {
                if let Some(s) = self.scenarios.iter_mut().find(|s| s.name == from) {
                    s.name = to.to_owned();
                    s.version = version;
                }
                for n in &mut self.compare {
                    if n == from {
                        *n = to.to_owned();
                    }
                }
                vec![]
            }
            Err(e) => {
                self.say(e, true);
                vec![Effect::Reload]
            }
        }
    }

    pub fn deleted(&mut self, name: &str, result: Result<(), String>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                if let Some(i) = self.scenarios.iter().position(|s| s.name == name) {
                    self.scenarios.remove(i);
                    if self.current >= i {
                        self.current = self.current.saturating_sub(1);
                    }
                }
                self.compare.retain(|n| n != name);
                self.clamp_row();
                vec![]
            }
            Err(e) => {
                self.say(e, true);
                vec![Effect::Reload]
            }
        }
    }

    /// Keys while a cell or a dialog is open.
    pub fn on_input(&mut self, key: KeyEvent, data: &CompanyData) -> Vec<Effect> {
        if self.dialog.is_some() {
            return self.on_dialog_key(key, data);
        }
        let Some(cell) = self.cell.as_mut() else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                self.cell = None;
                vec![]
            }
            KeyCode::Enter => {
                let row = cell.row;
                let text = text_of(&cell.input);
                let Some(s) = self.current() else { return vec![] };
                match self.apply_cell(&s.drivers, row, &text) {
                    Ok(d) => {
                        self.cell = None;
                        self.commit(d)
                    }
                    Err(e) => {
                        if let Some(c) = self.cell.as_mut() {
                            c.error = Some(e.clone());
                        }
                        self.say(e, true);
                        vec![]
                    }
                }
            }
            _ => {
                cell.input.input(key);
                self.refresh_preview();
                vec![]
            }
        }
    }

    /// Re-validates the cell's text and projects it: called on every keystroke.
    fn refresh_preview(&mut self) {
        let Some(cell) = self.cell.as_ref() else { return };
        let (row, text) = (cell.row, text_of(&cell.input));
        let Some(s) = self.current() else { return };
        let result = if text.trim().is_empty() && matches!(row, Row::AddHire | Row::AddEvent) {
            Err(String::new())
        } else {
            self.apply_cell(&s.drivers, row, &text)
        };
        let start = s.start;
        if let Some(c) = self.cell.as_mut() {
            match result {
                Ok(d) => {
                    c.error = None;
                    c.preview = Some(project(start, &d));
                }
                Err(e) => {
                    c.error = (!e.is_empty()).then_some(e);
                    c.preview = None;
                }
            }
        }
    }

    fn start_edit(&mut self) {
        if self.refuse_change() {
            return;
        }
        let Some(row) = self.rows().get(self.row).copied() else {
            return;
        };
        let Some(s) = self.current() else { return };
        let placeholder = match row {
            Row::AddHire | Row::Hire(_) => "3:2:4500",
            Row::AddEvent | Row::Event(_) => self.t("6:250000:Seed round", "6:250000:Ronda semilla"),
            _ => "",
        };
        let text = self.cell_text(&s.drivers, row);
        self.cell = Some(CellEdit {
            row,
            input: text_area(&text, placeholder),
            error: None,
            preview: None,
        });
        self.refresh_preview();
    }

    fn nudge(&mut self, up: bool) -> Vec<Effect> {
        if self.refuse_change() {
            return vec![];
        }
        let Some(row) = self.rows().get(self.row).copied() else {
            return vec![];
        };
        let Some(s) = self.current() else { return vec![] };
        let (sign, delta) = if up { (Decimal::ONE, 1) } else { (-Decimal::ONE, -1) };
        let mut d = s.drivers.clone();
        match row {
            Row::Horizon => d.horizon_months = (i64::from(d.horizon_months) + delta).clamp(12, 60) as u32,
            Row::PriceMonth => d.price_change_month = (i64::from(d.price_change_month) + delta).clamp(1, 60) as u32,
            Row::Driver(k) => {
                let v = k.get(&d);
                let step = if k.is_rate() { rate_step(k) } else { amount_step(v) };
                let next = v + sign * step;
                if check_range(k, next).is_err() {
                    let msg = self.t(
                        "that step leaves the allowed range",
                        "ese paso sale del rango permitido",
                    );
                    self.say(msg, true);
                    return vec![];
                }
                k.set(&mut d, next);
            }
            Row::Hire(i) => {
                if let Some(h) = d.hires.get_mut(i) {
                    h.count = (i64::from(h.count) + delta).max(1) as u32;
                }
            }
            Row::Event(i) => {
                if let Some(e) = d.cash_events.get_mut(i) {
                    e.amount += sign * amount_step(e.amount);
                }
            }
            Row::AddHire | Row::AddEvent => return vec![],
        }
        self.commit(d)
    }

    fn undo(&mut self, redo: bool) -> Vec<Effect> {
        if self.refuse_change() {
            return vec![];
        }
        let i = self.current;
        let Some(s) = self.scenarios.get_mut(i) else {
            return vec![];
        };
        let (from, to) = if redo {
            (&mut s.redo, &mut s.undo)
        } else {
            (&mut s.undo, &mut s.redo)
        };
        let Some(prev) = from.pop() else {
            let msg = if redo {
                self.t("nothing to redo", "nada que rehacer")
            } else {
                self.t("nothing to undo", "nada que deshacer")
            };
            self.say(msg, false);
            return vec![];
        };
        to.push(std::mem::replace(&mut s.drivers, prev));
        s.projection = project(s.start, &s.drivers);
        self.clamp_row();
        self.save(i)
    }

    fn remove_item(&mut self) -> Vec<Effect> {
        let Some(row) = self.rows().get(self.row).copied() else {
            return vec![];
        };
        if !matches!(row, Row::Hire(_) | Row::Event(_)) || self.refuse_change() {
            return vec![];
        }
        let Some(s) = self.current() else { return vec![] };
        let mut d = s.drivers.clone();
        match row {
            Row::Hire(i) if i < d.hires.len() => drop(d.hires.remove(i)),
            Row::Event(i) if i < d.cash_events.len() => drop(d.cash_events.remove(i)),
            _ => return vec![],
        }
        self.commit(d)
    }

    fn name_dialog(&mut self, rename: bool) {
        let Some(s) = self.current() else { return };
        if rename && s.base {
            let msg = self.t("base cannot be renamed", "base no se puede renombrar");
            self.say(msg, true);
            return;
        }
        let text = if rename {
            s.name.clone()
        } else {
            let stem = if s.base {
                self.t("plan", "plan").to_owned()
            } else {
                s.name.clone()
            };
            (2..)
                .map(|k| format!("{stem} {k}"))
                .find(|n| !self.scenarios.iter().any(|s| &s.name == n))
                .unwrap_or(stem)
        };
        self.dialog = Some(Dialog::Name {
            rename,
            input: text_area(&text, ""),
            error: None,
        });
    }

    fn check_name(&self, name: &str, rename_from: Option<&str>) -> Result<(), String> {
        if name.is_empty() {
            return Err(self
                .t("a scenario needs a name", "un escenario necesita un nombre")
                .into());
        }
        if name.chars().any(char::is_control) || name.chars().count() > 60 {
            return Err(self
                .t(
                    "use up to 60 printable characters",
                    "use hasta 60 caracteres imprimibles",
                )
                .into());
        }
        if name == BASE || (self.scenarios.iter().any(|s| s.name == name) && Some(name) != rename_from) {
            return Err(format!("{:?} {}", clean(name), self.t("is taken", "ya existe")));
        }
        Ok(())
    }

    fn lock_dialog(&mut self, data: &CompanyData) -> Vec<Effect> {
        let Some(s) = self.current() else { return vec![] };
        if s.base {
            let msg = self.t(
                "base follows the actuals: n makes a copy to lock as the budget",
                "base sigue a los datos reales: n crea una copia para fijarla como presupuesto",
            );
            self.say(msg, true);
            return vec![];
        }
        if s.locked {
            // Unlocking: the scenario starts again from the latest actuals.
            let i = self.current;
            if let Some(start) = data.start {
                let s = &mut self.scenarios[i];
                s.locked = false;
                s.start = start;
                s.projection = project(start, &s.drivers);
            }
            let msg = self.t(
                "unlocked: the scenario starts from the latest actuals again",
                "liberado: el escenario parte otra vez de los últimos datos reales",
            );
            self.say(msg, false);
            return self.save(i);
        }
        // Default: the month before the fiscal year that holds the as-of month, if recorded.
        let m = data.snapshot.as_of;
        let fy = data.company.fiscal_year_start as i32;
        let back = (m.month() as i32 - fy).rem_euclid(12) + 1;
        let default = Some(m.plus(-back))
            .filter(|b| data.ledger.get(*b).is_some())
            .unwrap_or(m);
        self.dialog = Some(Dialog::Lock {
            input: text_area(&default.to_string(), "YYYY-MM"),
            error: None,
        });
        vec![]
    }

    fn seek_dialog(&mut self) {
        let Some(s) = self.current() else { return };
        let driver = DriverKey::RevenueGrowth;
        self.dialog = Some(Dialog::Seek(Seek {
            field: 1,
            driver,
            target: 0,
            values: seek_defaults(driver, &s.drivers),
            outcome: None,
        }));
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

    fn on_dialog_key(&mut self, key: KeyEvent, data: &CompanyData) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_mut() else {
            return vec![];
        };
        if key.code == KeyCode::Esc {
            self.dialog = None;
            return vec![];
        }
        match dialog {
            Dialog::ConfirmDelete => match key.code {
                KeyCode::Char('y') | KeyCode::Char('s') | KeyCode::Enter => {
                    self.dialog = None;
                    let Some(s) = self.current() else { return vec![] };
                    vec![Effect::DeleteScenario {
                        company_id: self.company_id,
                        name: s.name.clone(),
                        version: s.version,
                    }]
                }
                KeyCode::Char('n') => {
                    self.dialog = None;
                    vec![]
                }
                _ => vec![],
            },
            Dialog::Name { rename, input, error } => {
                if key.code != KeyCode::Enter {
                    input.input(key);
                    *error = None;
                    return vec![];
                }
                let rename = *rename;
                let name = text_of(input).trim().to_owned();
                let Some(s) = self.current().cloned() else {
                    return vec![];
                };
                let from = s.name.clone();
                if let Err(e) = self.check_name(&name, rename.then_some(from.as_str())) {
                    if let Some(Dialog::Name { error, .. }) = self.dialog.as_mut() {
                        *error = Some(e);
                    }
                    return vec![];
                }
                self.dialog = None;
                if rename {
                    if name == from {
                        return vec![];
                    }
                    if s.saving || s.unsaved {
                        let msg = self.t(
                            "still saving: try again in a moment",
                            "aún guardando: intente en un momento",
                        );
                        self.say(msg, true);
                        return vec![];
                    }
                    return vec![Effect::RenameScenario {
                        company_id: self.company_id,
                        from,
                        to: name,
                        version: s.version,
                    }];
                }
                // A new scenario: a copy of the current drivers, starting from the latest actuals.
                let Some(start) = data.start else { return vec![] };
                let copy = Scenario::new(name, s.drivers, start, false, 0, false);
                self.scenarios.push(copy);
                self.switch(self.scenarios.len() - 1);
                self.view = View::Drivers;
                self.save(self.current)
            }
            Dialog::Lock { input, error } => {
                if key.code != KeyCode::Enter {
                    input.input(key);
                    *error = None;
                    return vec![];
                }
                let text = text_of(input).trim().to_owned();
                let start = text
                    .parse::<Month>()
                    .ok()
                    .and_then(|m| Start::from_ledger(&data.ledger, m));
                let Some(start) = start else {
                    let msg = format!(
                        "{:?}: {}",
                        clean(&text),
                        self.lang.pick(
                            "no actuals for that month (YYYY-MM)",
                            "no hay datos reales de ese mes (AAAA-MM)"
                        )
                    );
                    if let Some(Dialog::Lock { error, .. }) = self.dialog.as_mut() {
                        *error = Some(msg);
                    }
                    return vec![];
                };
                self.dialog = None;
                let i = self.current;
                let s = &mut self.scenarios[i];
                s.locked = true;
                s.start = start;
                s.projection = project(start, &s.drivers);
                self.view = View::Budget;
                self.save(i)
            }
            Dialog::Seek(seek) => {
                let Some(s) = self.scenarios.get(self.current) else {
                    return vec![];
                };
                match key.code {
                    KeyCode::Tab | KeyCode::Down => seek.field = (seek.field + 1) % 5,
                    KeyCode::BackTab | KeyCode::Up => seek.field = (seek.field + 4) % 5,
                    KeyCode::Left | KeyCode::Right if seek.field < 2 => {
                        let fwd = key.code == KeyCode::Right;
                        if seek.field == 0 {
                            let all = DriverKey::ALL;
                            let i = all.iter().position(|k| *k == seek.driver).unwrap_or(0);
                            seek.driver = all[if fwd {
                                (i + 1) % all.len()
                            } else {
                                (i + all.len() - 1) % all.len()
                            }];
                            let keep = seek.values[0].clone();
                            seek.values = seek_defaults(seek.driver, &s.drivers);
                            seek.values[0] = keep;
                        } else {
                            seek.target = if fwd {
                                (seek.target + 1) % 3
                            } else {
                                (seek.target + 2) % 3
                            };
                            let half = (s.drivers.horizon_months / 2).max(1);
                            seek.values[0] = if seek.target == 2 {
                                half.to_string()
                            } else {
                                "18".into()
                            };
                        }
                        seek.outcome = None;
                    }
                    KeyCode::Backspace if seek.field >= 2 => {
                        seek.values[seek.field - 2].pop();
                        seek.outcome = None;
                    }
                    KeyCode::Char(c)
                        if seek.field >= 2
                            && (c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
                            && seek.values[seek.field - 2].len() < 16 =>
                    {
                        seek.values[seek.field - 2].push(c);
                        seek.outcome = None;
                    }
                    KeyCode::Enter => {
                        if let Some(Ok(SeekOutcome::Found(v))) = seek.outcome {
                            let key = seek.driver;
                            self.dialog = None;
                            return self.apply_found(key, v);
                        }
                        let seek = seek.clone();
                        let outcome = self.run_seek(&seek);
                        if let Some(Dialog::Seek(s)) = self.dialog.as_mut() {
                            s.outcome = Some(outcome);
                        }
                    }
                    _ => {}
                }
                vec![]
            }
        }
    }

    /// Runs goal seek on the current scenario as the dialog reads.
    pub fn run_seek(&self, seek: &Seek) -> Result<SeekOutcome, String> {
        let s = self.current().ok_or_else(String::new)?;
        let scale = |v: Decimal| {
            if seek.driver.is_rate() {
                v / Decimal::ONE_HUNDRED
            } else {
                v
            }
        };
        let min = scale(self.number(&seek.values[1])?);
        let max = scale(self.number(&seek.values[2])?);
        let target = match seek.target {
            0 => Target::MinCashNonNegative,
            1 => Target::RunwayAtHorizonAtLeast(self.number(&seek.values[0])?),
            _ => {
                let k = seek.values[0]
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|k| (1..=60).contains(k));
                Target::BreakEvenBy(k.ok_or_else(|| {
                    self.t(
                        "the month must be a whole number from 1 to 60",
                        "el mes debe ser un entero de 1 a 60",
                    )
                    .to_owned()
                })?)
            }
        };
        Ok(
            match goal_seek(s.start, &s.drivers, seek.driver, target, min, max).value {
                Some(v) => SeekOutcome::Found(v),
                None => SeekOutcome::NotFound,
            },
        )
    }

    fn apply_found(&mut self, key: DriverKey, v: Decimal) -> Vec<Effect> {
        if self.refuse_change() {
            return vec![];
        }
        let Some(s) = self.current() else { return vec![] };
        let mut d = s.drivers.clone();
        if let Err(e) = apply_setting(&mut d, key.key(), &v.to_string()) {
            self.say(clean(&e), true);
            return vec![];
        }
        if let Some(r) = self.rows().iter().position(|r| *r == Row::Driver(key)) {
            self.row = r;
        }
        self.commit(d)
    }
}

/// The dialog's starting values for `driver`: the target parameter, min and max
/// (rates in percent; amounts from zero to three times the current value).
fn seek_defaults(driver: DriverKey, d: &Drivers) -> [String; 3] {
    let param = "18".to_owned();
    let (min, max) = match driver {
        DriverKey::GrossMargin => ("0".to_owned(), "100".to_owned()),
        DriverKey::DiscountRate => ("0".to_owned(), "50".to_owned()),
        DriverKey::OpexGrowth => ("-10".to_owned(), "10".to_owned()),
        k if k.is_rate() => ("-50".to_owned(), "50".to_owned()),
        k => {
            let v = k.get(d).abs().max(Decimal::from(1000)) * Decimal::from(3);
            ("0".to_owned(), v.round().to_string())
        }
    };
    [param, min, max]
}

/// The label of a goal-seek target choice.
pub fn target_label(lang: Lang, target: usize) -> &'static str {
    match target {
        0 => lang.pick("min cash ≥ 0", "caja mínima ≥ 0"),
        1 => lang.pick("runway at horizon ≥ N months", "meses de caja al horizonte ≥ N"),
        _ => lang.pick("break-even by month K", "equilibrio a más tardar en el mes K"),
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
