//! Changes to a scenario and their saves: each change is committed with undo
//! history and saved at once, one save in flight per scenario, versions checked
//! by the store; the store's answers come back here.

use super::*;

impl Planner {
    /// Why the current scenario cannot be changed, if it cannot.
    pub(super) fn refuse_change(&mut self) -> bool {
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
    pub(super) fn commit(&mut self, new: Drivers) -> Vec<Effect> {
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
    pub(super) fn save(&mut self, i: usize) -> Vec<Effect> {
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

    pub(super) fn undo(&mut self, redo: bool) -> Vec<Effect> {
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

    pub(super) fn remove_item(&mut self) -> Vec<Effect> {
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
}
