//! The import dialog as the app drives it: its keys, and the runtime's answers
//! (a file read, an import finished, a mapping saved).

use super::{Ask, Destination};
use crate::locale::Lang;
use crate::tui::app::{Action, App, Effect, Load, Overlay};
use crossterm::event::KeyEvent;

impl App {
    /// A key while the dialog is open: the dialog's, and what it asks for.
    pub(crate) fn on_import_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.import.as_mut() else {
            return vec![];
        };
        match dialog.on_key(key, self.lang) {
            Ask::Nothing => vec![],
            Ask::Close => {
                self.import = None;
                if self.companies.is_empty() && self.data.is_none() {
                    // Back to the first-run choice.
                    self.overlay = Overlay::ConfirmDemo;
                }
                vec![]
            }
            Ask::Read(req) => vec![Effect::ImportRead(Box::new(req))],
            Ask::Import(req) => vec![Effect::Import(Box::new(req))],
            Ask::SaveMapping { name, kind, mapping } => {
                // The mapping belongs to the company imported into; a new one exists only after the import.
                let into = self.import.as_ref().map(|d| d.into.clone());
                match (into, serde_json::to_string(&mapping)) {
                    (Some(Destination::Existing { id, .. }), Ok(spec)) => vec![Effect::SaveMapping {
                        company_id: id,
                        mapping: crate::store::SavedMapping {
                            name,
                            kind: kind.name().to_owned(),
                            spec,
                        },
                    }],
                    (Some(Destination::New { .. }), _) => {
                        let msg = self.lang.pick(
                            "The new company is made by the import: save the mapping after it",
                            "La empresa nueva se crea con la importación: guarde el mapeo después",
                        );
                        self.say(msg, true);
                        vec![]
                    }
                    _ => vec![],
                }
            }
        }
    }

    /// A file read, an import finished, a mapping saved.
    pub(crate) fn on_import_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ImportRead(result) => {
                let again = self.import.as_mut().and_then(|d| d.on_read(*result));
                again.map(|r| Effect::ImportRead(Box::new(r))).into_iter().collect()
            }
            Action::Imported(result) => {
                let result = result.map_err(|e| {
                    if e == super::CANCELLED {
                        self.lang
                            .pick(
                                "Import cancelled; nothing was written",
                                "Importación cancelada; no se escribió nada",
                            )
                            .to_owned()
                    } else {
                        e
                    }
                });
                if let Some(dialog) = self.import.as_mut() {
                    dialog.on_imported(&result);
                }
                match result {
                    Ok((company, rows, skipped)) => {
                        self.import = None;
                        let text = match self.lang {
                            Lang::En => format!("Imported {rows} rows ({skipped} skipped)"),
                            Lang::Es => format!("Importadas {rows} filas ({skipped} omitidas)"),
                        };
                        self.say(text, false);
                        self.load = Load::Loading;
                        // The company imported into opens (a new one is in the list only now).
                        self.wanted_company = Some(company);
                        vec![Effect::LoadCompanies]
                    }
                    Err(_) => vec![],
                }
            }
            Action::MappingSaved(result) => {
                match result {
                    Ok(name) => self.say(
                        format!("{} {name:?}", self.lang.pick("Mapping saved as", "Mapeo guardado como")),
                        false,
                    ),
                    Err(e) => self.say(e, true),
                }
                vec![]
            }
            _ => vec![],
        }
    }
}
