//! The planner's dialogs: new or renamed scenario, delete, budget lock and
//! goal seek, and the keys inside them.

use super::seek::seek_defaults;
use super::*;

impl Planner {
    pub(super) fn name_dialog(&mut self, rename: bool) {
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

    pub(super) fn check_name(&self, name: &str, rename_from: Option<&str>) -> Result<(), String> {
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

    pub(super) fn lock_dialog(&mut self, data: &CompanyData) -> Vec<Effect> {
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

    pub(super) fn seek_dialog(&mut self) {
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

    pub(super) fn on_dialog_key(&mut self, key: KeyEvent, data: &CompanyData) -> Vec<Effect> {
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
                    KeyCode::Backspace | KeyCode::Char(_) if seek.field >= 2 => {
                        let number = |c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | '-');
                        let value = &mut seek.values[seek.field - 2];
                        if crate::tui::line_input::edit(value, &key, 16, number)
                            == crate::tui::line_input::Edit::Changed
                        {
                            seek.outcome = None;
                        }
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
}
