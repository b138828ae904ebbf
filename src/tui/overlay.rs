//! The overlays over the tabs (help, the company chooser, the first run, the
//! advisor chooser, the audit trail, diagnostics): their state and their keys.
//! They are drawn by `render`.

use super::app::{App, Effect, Load, Tab};
use super::import_dialog::ImportDialog;
use super::keymap::Intent;
use super::line_input::{self, Edit};
use crossterm::event::{KeyCode, KeyEvent};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Companies {
        selected: usize,
    },
    ConfirmDemo,
    Agents {
        selected: usize,
    },
    /// The company's audit trail (newest at the bottom): `/` filters it.
    Audit(AuditView),
    /// Frame times, store calls, memory and AI use since start (F12).
    Diagnostics,
    /// The command palette (Ctrl-p).
    Palette(super::power::Palette),
}

/// The audit overlay's state: the rows as loaded, a filter, and how far up
/// from the newest the view is scrolled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditView {
    pub rows: Option<Result<Vec<crate::store::team::AuditRow>, String>>,
    pub filter: String,
    pub filtering: bool,
    pub back: usize,
}

impl AuditView {
    /// The rows matching the filter (any field, case-insensitive).
    pub fn shown(&self) -> Vec<&crate::store::team::AuditRow> {
        let f = self.filter.to_lowercase();
        match &self.rows {
            Some(Ok(rows)) => rows
                .iter()
                .filter(|r| {
                    f.is_empty()
                        || [&r.at, &r.who, &r.action, &r.target, &r.detail]
                            .iter()
                            .any(|t| t.to_lowercase().contains(&f))
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl App {
    /// The key for the open overlay, if one is open (`None`: no overlay took it).
    pub(super) fn on_overlay_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        // Overlays read the keymap too: moving, filtering and closing follow `[keys]`.
        let intent = self.keymap.intent(&key);
        if let Overlay::Palette(p) = &mut self.overlay {
            let mut p = std::mem::take(p);
            // Closed before the entry runs: what it opens stays open.
            self.overlay = Overlay::None;
            let done = self.on_palette_key(key, &mut p);
            return Some(match done {
                // Closed (Esc) or run (Enter): the entry's own effects.
                Some(effects) => effects,
                None => {
                    self.overlay = Overlay::Palette(p);
                    vec![]
                }
            });
        }
        // The chooser's entries, before the overlay is borrowed to change it.
        let entries = match self.overlay {
            Overlay::Companies { .. } => self.chooser_entries(),
            _ => Vec::new(),
        };
        match &mut self.overlay {
            Overlay::Diagnostics => {
                if key.code == KeyCode::Esc || matches!(intent, Some(Intent::Diagnostics | Intent::Quit)) {
                    self.overlay = Overlay::None;
                }
                return Some(vec![]);
            }
            Overlay::Help => {
                match (key.code, intent) {
                    (KeyCode::Esc, _) | (_, Some(Intent::Help | Intent::Quit)) => {
                        self.overlay = Overlay::None;
                        self.help_scroll = 0;
                    }
                    (_, Some(Intent::Down)) => self.help_scroll += 1,
                    (_, Some(Intent::Up)) => self.help_scroll = self.help_scroll.saturating_sub(1),
                    _ => {}
                }
                return Some(vec![]);
            }
            Overlay::ConfirmDemo => {
                return Some(match key.code {
                    KeyCode::Char('d') | KeyCode::Char('y') | KeyCode::Char('s') | KeyCode::Enter => {
                        self.overlay = Overlay::None;
                        self.load = Load::Loading;
                        vec![Effect::LoadDemo]
                    }
                    KeyCode::Char('i') => {
                        self.overlay = Overlay::None;
                        self.import = Some(ImportDialog::for_new_company(self.lang));
                        vec![]
                    }
                    KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                        self.quit = true;
                        vec![]
                    }
                    _ => vec![],
                });
            }
            Overlay::Companies { selected } => {
                // The companies, the groups, then "+ new company".
                let n = entries.len() + 1;
                match (key.code, intent) {
                    (KeyCode::Esc, _) => self.overlay = Overlay::None,
                    (_, Some(Intent::Up)) => *selected = selected.saturating_sub(1),
                    (_, Some(Intent::Down)) => *selected = (*selected + 1).min(n - 1),
                    (KeyCode::Enter, _) => {
                        let pick = entries.get(*selected).cloned();
                        self.overlay = Overlay::None;
                        if pick.is_none() {
                            self.import = Some(ImportDialog::for_new_company(self.lang));
                        }
                        if let Some(c) = pick {
                            self.presentation = None;
                            self.load = Load::Loading;
                            self.views.rows = [0; Tab::ALL.len()];
                            self.views.filter.clear();
                            return Some(vec![Effect::LoadCompany(c)]);
                        }
                    }
                    _ => {}
                }
                return Some(vec![]);
            }
            Overlay::Agents { selected } => {
                let n = crate::ai::Agent::ALL.len();
                match (key.code, intent) {
                    (KeyCode::Esc, _) => self.overlay = Overlay::None,
                    (_, Some(Intent::Up)) => *selected = selected.saturating_sub(1),
                    (_, Some(Intent::Down)) => *selected = (*selected + 1).min(n - 1),
                    (KeyCode::Enter, _) => {
                        let agent = crate::ai::Agent::ALL[*selected];
                        self.overlay = Overlay::None;
                        self.ai.agent = agent;
                        self.ai.chosen = true;
                        self.ai.open = true;
                        return Some(self.ai_start(false));
                    }
                    _ => {}
                }
                return Some(vec![]);
            }
            Overlay::Audit(v) => {
                if v.filtering {
                    match line_input::edit(&mut v.filter, &key, 200, line_input::any) {
                        Edit::Cancel => {
                            v.filter.clear();
                            v.filtering = false;
                        }
                        Edit::Submit => v.filtering = false,
                        Edit::Changed | Edit::Ignored => {}
                    }
                    v.back = 0;
                    return Some(vec![]);
                }
                let n = v.shown().len();
                match (key.code, intent) {
                    (KeyCode::Esc, _) | (_, Some(Intent::Quit | Intent::Audit)) => self.overlay = Overlay::None,
                    (_, Some(Intent::Filter)) => v.filtering = true,
                    (_, Some(Intent::Up)) => v.back = (v.back + 1).min(n.saturating_sub(1)),
                    (_, Some(Intent::Down)) => v.back = v.back.saturating_sub(1),
                    (_, Some(Intent::PageUp)) => v.back = (v.back + 10).min(n.saturating_sub(1)),
                    (_, Some(Intent::PageDown)) => v.back = v.back.saturating_sub(10),
                    _ => {}
                }
                return Some(vec![]);
            }
            Overlay::None | Overlay::Palette(_) => {}
        }
        None
    }
}
