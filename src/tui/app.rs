//! The application state and `update`: actions in, state changed, effects out.
//! Nothing here draws or waits; the runtime performs the effects and feeds
//! their results back as actions.

use super::ai_panel::{AiPanel, AnalyzeRequest, Status};
use super::component::Handled;
use super::data::{CompanyData, Series};
use super::form::{Record, RecordForm};
use super::import_dialog::{Ask, ImportDialog, ImportRequest, ReadRequest, ReadResult};
use super::keymap::{Intent, Keymap, Scope};
use super::planner::Planner;
use super::theme::Theme;
use crate::domain::{Company, Product};

use crate::locale::Lang;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The seven modules, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Dashboard,
    UnitEconomics,
    CashFlow,
    Pricing,
    Profitability,
    Planning,
    Collections,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Dashboard,
        Tab::UnitEconomics,
        Tab::CashFlow,
        Tab::Pricing,
        Tab::Profitability,
        Tab::Planning,
        Tab::Collections,
    ];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        self.view().title(lang)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    Idle,
    Loading,
    Failed(String),
}

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

/// A turn as the store keeps it.
fn stored_turn(agent: &str, t: &super::ai_panel::Turn) -> crate::store::conversations::StoredTurn {
    crate::store::conversations::StoredTurn {
        agent: agent.to_owned(),
        question: t.question.clone(),
        answer: t.answer.clone(),
        tool_calls: serde_json::to_string(&t.tool_calls).unwrap_or_else(|_| "[]".into()),
    }
}

/// What the views show that is computed rather than stored: the budget's
/// variances and the 13-week forecast with the current scenario's events.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// Actual − budget of the current scenario when it is a locked budget.
    pub variances: Vec<crate::finance::variance::Variance>,
    /// The 13-week forecast with the current scenario's cash events.
    pub forecast: Option<crate::finance::forecast::CashForecast>,
    /// Actual − budget of the budget the dashboard compares with: the current
    /// scenario when it is locked, else the first locked one.
    pub budget: Vec<crate::finance::variance::Variance>,
}

/// The what-if inputs of the pricing detail pane, kept as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingInputs {
    /// 0: markup %, 1: target margin %, 2: elasticity.
    pub focus: usize,
    pub editing: bool,
    pub values: [String; 3],
}

impl Default for PricingInputs {
    fn default() -> Self {
        PricingInputs {
            focus: 0,
            editing: false,
            values: ["50".into(), "40".into(), "-2".into()],
        }
    }
}

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Remember the company opened on this store for the next start.
    RememberCompany(String),
    LoadCompanies,
    LoadCompany(Company),
    LoadDso {
        company_id: i64,
        months: Vec<crate::domain::Month>,
    },
    LoadDemo,
    /// Read a window of the Collections table's open invoices.
    LoadOpenPage {
        company_id: i64,
        day: chrono::NaiveDate,
        filter: String,
        offset: usize,
    },
    Save(Box<SaveRecord>),
    /// Reload the current company (after a refused save).
    Reload,
    SaveScenario {
        company_id: i64,
        scenario: Box<crate::store::StoredScenario>,
    },
    RenameScenario {
        company_id: i64,
        from: String,
        to: String,
        version: i64,
    },
    DeleteScenario {
        company_id: i64,
        name: String,
        version: i64,
    },
    /// Start an analysis (the runtime keeps its task to cancel it).
    Analyze(Box<AnalyzeRequest>),
    /// A question for the configured model, with the engine as its tools.
    Ask(Box<super::ai_panel::AskRequest>),
    /// Keep a question and its answer in the company's conversation.
    SaveTurn {
        company_id: i64,
        turn: crate::store::conversations::StoredTurn,
    },
    /// Forget the company's conversation with an advisor.
    ClearConversation {
        company_id: i64,
        agent: &'static str,
    },
    /// Drop a running analysis (its connection with it).
    CancelAnalysis(u64),
    /// Read a company's audit trail.
    LoadAudit(i64),
    /// Read a file for the import dialog.
    ImportRead(Box<ReadRequest>),
    /// Import into the current company (one transaction).
    Import(Box<ImportRequest>),
    SaveMapping {
        company_id: i64,
        mapping: crate::store::SavedMapping,
    },
}

/// An edited record to write, with what it was when loaded (to detect stale edits).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveRecord {
    pub company: Company,
    pub original: Record,
    pub updated: Record,
}

/// Results and events, in.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    /// The terminal changed size: the next frame is drawn at the new one.
    Resize,
    Companies(Result<Vec<Company>, String>),
    Loaded(Box<Result<CompanyData, String>>),
    Dso {
        company_id: i64,
        series: Result<Series, String>,
    },
    DemoLoaded(Result<(), String>),
    /// A window of open invoices read for the Collections table.
    OpenPage {
        company_id: i64,
        filter: String,
        offset: usize,
        result: Result<(Vec<crate::domain::Invoice>, usize), String>,
    },
    Saved(Result<String, String>),
    ScenarioSaved {
        name: String,
        result: Result<i64, String>,
    },
    ScenarioRenamed {
        from: String,
        to: String,
        result: Result<i64, String>,
    },
    ScenarioDeleted {
        name: String,
        result: Result<(), String>,
    },
    Ai {
        run_id: u64,
        event: crate::ai::service::AiEvent,
    },
    AuditLoaded(Result<Vec<crate::store::team::AuditRow>, String>),
    /// Someone else wrote to a company (live refresh).
    Changed {
        company_id: i64,
        who: String,
        action: String,
    },
    /// The store stopped answering (the time it was noticed, HH:MM).
    StoreDown(String),
    /// The store answers again.
    StoreUp,
    ImportRead(Box<Result<ReadResult, String>>),
    /// Rows imported and skipped, or why nothing was.
    /// An import ended: the company it wrote (which then opens), rows imported and skipped.
    Imported(Result<(String, usize, usize), String>),
    MappingSaved(Result<String, String>),
    /// The model's answer to a question of the panel (or why there is none,
    /// with the tool calls made and the text that arrived).
    Asked {
        company_id: i64,
        agent: &'static str,
        result: Result<crate::ai::ask::Answer, (String, Vec<crate::ai::tools::ToolCall>, String)>,
    },
    /// Text of the model's answer to a panel question, as it arrives.
    AskText {
        company_id: i64,
        agent: &'static str,
        text: String,
    },
    /// A conversation write ended (an error is said; the turns on screen stay).
    ConversationSaved(Result<(), String>),
    /// A redraw while an import runs (its progress bar moves) or the
    /// diagnostics are open (they are drawn anew every second).
    Tick,
}

pub struct App {
    pub lang: Lang,
    pub theme: Theme,
    pub keymap: Keymap,
    pub tab: Tab,
    pub companies: Vec<Company>,
    pub wanted_company: Option<String>,
    pub data: Option<Box<CompanyData>>,
    pub load: Load,
    /// A one-line message for the status bar: (text, is_error).
    pub message: Option<(String, bool)>,
    pub overlay: Overlay,
    /// Selected row per tab.
    pub rows: [usize; Tab::ALL.len()],
    pub filter: String,
    pub filtering: bool,
    /// The window of open invoices asked of the store: (company, filter, offset).
    paging: Option<(i64, String, usize)>,
    pub pricing: PricingInputs,
    /// Computed in `update` from the data and the planner; read by the views.
    pub derived: Derived,
    /// First line of the help overlay shown (it scrolls when taller than the screen).
    pub help_scroll: usize,
    pub form: Option<RecordForm>,
    pub import: Option<ImportDialog>,
    pub planner: Planner,
    pub ai: AiPanel,
    /// The Cash flow tab shows the 13-week forecast instead of the months.
    pub weeks: bool,
    /// The forecast's cash floor (config `cash_floor`).
    pub cash_floor: rust_decimal::Decimal,
    /// `[targets]` of the config, held by every company.
    pub config_targets: Vec<crate::report::targets::Target>,
    /// The store is unreachable since this time (HH:MM): the data shown is stale
    /// and writes are refused until it is back.
    pub outage: Option<String>,
    /// Another person's write waits for the user to finish typing.
    pub reload_waiting: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    pub quit: bool,
}

impl App {
    pub fn new(lang: Lang, theme: Theme, keymap: Keymap, wanted_company: Option<String>) -> App {
        App {
            lang,
            theme,
            keymap,
            tab: Tab::Dashboard,
            companies: Vec::new(),
            wanted_company,
            data: None,
            load: Load::Loading,
            message: None,
            overlay: Overlay::None,
            rows: [0; Tab::ALL.len()],
            filter: String::new(),
            filtering: false,
            paging: None,
            pricing: PricingInputs::default(),
            derived: Derived::default(),
            help_scroll: 0,
            form: None,
            import: None,
            planner: Planner::empty(lang),
            ai: AiPanel::new("local".into(), true, false),
            weeks: false,
            cash_floor: rust_decimal::Decimal::ZERO,
            config_targets: Vec::new(),
            outage: None,
            reload_waiting: false,
            dirty: true,
            quit: false,
        }
    }

    /// The effects to start with.
    pub fn init() -> Vec<Effect> {
        vec![Effect::LoadCompanies]
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error));
    }

    /// Rows in the current tab's table, for moving the selection.
    pub fn row_count(&self) -> usize {
        self.data.as_ref().map_or(0, |d| self.tab.view().rows(self, d))
    }

    /// The selected row of the current tab.
    pub fn row(&self) -> usize {
        self.rows[self.tab.index()]
    }

    pub fn row_mut(&mut self) -> &mut usize {
        &mut self.rows[self.tab.index()]
    }

    /// Products matching the filter, in the table's order (by sku).
    pub fn filtered_products<'a>(&self, d: &'a CompanyData) -> Vec<&'a crate::finance::ProductEconomics> {
        let f = self.filter.to_lowercase();
        d.snapshot
            .pricing
            .iter()
            .filter(|p| f.is_empty() || p.sku.to_lowercase().contains(&f) || p.name.to_lowercase().contains(&f))
            .collect()
    }

    pub fn selected_product(&self) -> Option<Product> {
        let d = self.data.as_ref()?;
        let pe = *self.filtered_products(d).get(self.rows[self.tab.index()])?;
        d.products.iter().find(|p| p.sku == pe.sku).cloned()
    }

    /// The record under the selection of the current tab, for `e`.
    pub fn selected_record(&self) -> Option<Record> {
        self.data.as_ref().and_then(|d| self.tab.view().record(self, d))
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = self.step(action);
        self.derive();
        effects.extend(self.page());
        effects
    }

    /// The window of open invoices the Collections table needs around its
    /// selection and for its filter, when it is neither here nor asked for.
    fn page(&mut self) -> Option<Effect> {
        if self.tab != Tab::Collections {
            return None;
        }
        let d = self.data.as_deref()?;
        let offset = d.open.wanted(&self.filter, self.row())?;
        let want = (d.company.id, self.filter.clone(), offset);
        // One read at a time: while one is on its way (for text typed over
        // since, say), the next is asked for when it answers.
        if self.paging.is_some() {
            return None;
        }
        self.paging = Some(want.clone());
        Some(Effect::LoadOpenPage {
            company_id: want.0,
            day: d.snapshot.as_of.last_day(),
            filter: want.1,
            offset,
        })
    }

    /// What the views draw that is computed from the data and the planner,
    /// made here once per change rather than on every frame.
    fn derive(&mut self) {
        let Some(d) = &self.data else {
            self.derived = Derived::default();
            return;
        };
        let scenario = self.planner.current();
        self.derived.variances = match scenario {
            Some(s) if s.locked => crate::finance::variance::budget_vs_actual(&d.ledger, &s.projection),
            _ => Vec::new(),
        };
        let budget = scenario
            .filter(|s| s.locked)
            .or_else(|| self.planner.scenarios.iter().find(|s| s.locked));
        self.derived.budget = match budget {
            Some(s) if Some(s.name.as_str()) == scenario.map(|c| c.name.as_str()) => self.derived.variances.clone(),
            Some(s) => crate::finance::variance::budget_vs_actual(&d.ledger, &s.projection),
            None => Vec::new(),
        };
        self.derived.forecast = d.weeks.as_ref().map(|base| {
            let events = scenario
                .map(|s| crate::finance::forecast::shift_events(&s.drivers.cash_events, s.start.month, base.month))
                .unwrap_or_default();
            crate::finance::forecast::with_events(base, &events, self.cash_floor)
        });
    }

    fn step(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        match action {
            Action::Resize => vec![],
            Action::AskText {
                company_id,
                agent,
                text,
            } => {
                if let Some(turn) = self
                    .ai
                    .conversations
                    .get_mut(&(company_id, agent))
                    .and_then(|turns| turns.iter_mut().find(|t| t.pending))
                {
                    turn.answer.push_str(&text);
                }
                vec![]
            }
            Action::ConversationSaved(r) => {
                if let Err(e) = r {
                    let what = self
                        .lang
                        .pick("the conversation was not saved", "la conversación no se guardó");
                    self.say(format!("{what} ({e})"), true);
                }
                vec![]
            }
            Action::Asked {
                company_id,
                agent,
                result,
            } => {
                let turn = self
                    .ai
                    .conversations
                    .get_mut(&(company_id, agent))
                    .and_then(|turns| turns.iter_mut().find(|t| t.pending));
                let mut effects = vec![];
                if let Some(turn) = turn {
                    turn.pending = false;
                    match result {
                        Ok(a) => {
                            turn.tool_calls = a.tool_calls;
                            turn.answer = a.answer;
                            turn.unverified = a.unverified;
                            effects.push(Effect::SaveTurn {
                                company_id,
                                turn: stored_turn(agent, turn),
                            });
                        }
                        Err((error, calls, partial)) => {
                            turn.tool_calls = calls;
                            turn.answer = format!("{partial}\n\n✗ {error}");
                        }
                    }
                }
                self.ai.back = 0;
                effects
            }
            Action::Key(key) => self.on_key(key),
            Action::Companies(Ok(list)) => {
                self.companies = list;
                if self.companies.is_empty() {
                    self.load = Load::Idle;
                    self.overlay = Overlay::ConfirmDemo;
                    return vec![];
                }
                let pick = self
                    .wanted_company
                    .as_deref()
                    .and_then(|w| {
                        self.companies
                            .iter()
                            .find(|c| c.name == w || c.name.eq_ignore_ascii_case(w) || c.id.to_string() == w)
                    })
                    .or_else(|| {
                        let current = self.data.as_ref().map(|d| d.company.id);
                        self.companies.iter().find(|c| Some(c.id) == current)
                    })
                    .unwrap_or(&self.companies[0])
                    .clone();
                self.load = Load::Loading;
                vec![Effect::LoadCompany(pick)]
            }
            Action::Companies(Err(e)) => {
                self.load = Load::Failed(e);
                vec![]
            }
            Action::Loaded(result) => {
                match *result {
                    // A load that started before the one shown ended later: older data, dropped.
                    Ok(data)
                        if self
                            .data
                            .as_ref()
                            .is_some_and(|d| d.company.id == data.company.id && d.started > data.started) =>
                    {
                        vec![]
                    }
                    Ok(mut data) => {
                        let targets = crate::report::targets::merge(&self.config_targets, &data.stored_targets);
                        if !targets.is_empty() {
                            let report = crate::report::Report {
                                company: &data.company,
                                snapshot: &data.snapshot,
                            }
                            .to_json();
                            // A target on a key the report lacks is reported by `check`; here it is skipped.
                            data.target_checks = targets
                                .iter()
                                .filter_map(|t| crate::report::targets::evaluate(&report, std::slice::from_ref(t)).ok())
                                .flatten()
                                .collect();
                        }
                        let effect = Effect::LoadDso {
                            company_id: data.company.id,
                            months: data.trends.months.clone(),
                        };
                        self.wanted_company = Some(data.company.name.clone());
                        self.planner = Planner::load(self.lang, &data, Some(&self.planner));
                        let other_company = self.data.as_ref().is_none_or(|d| d.company.id != data.company.id);
                        let remember = Effect::RememberCompany(data.company.name.clone());
                        // The stored conversations, unless this session already holds
                        // the company's (a reload keeps what is on screen).
                        let id = data.company.id;
                        if !self.ai.conversations.keys().any(|(c, _)| *c == id) {
                            for t in &data.conversations {
                                let Some(agent) = crate::ai::Agent::parse(&t.agent) else {
                                    continue;
                                };
                                self.ai.conversations.entry((id, agent.key())).or_default().push(
                                    super::ai_panel::Turn {
                                        question: t.question.clone(),
                                        tool_calls: serde_json::from_str(&t.tool_calls).unwrap_or_default(),
                                        answer: t.answer.clone(),
                                        pending: false,
                                        unverified: Vec::new(),
                                    },
                                );
                            }
                        }
                        self.data = Some(Box::new(data));
                        self.load = Load::Idle;
                        let max = self.row_count();
                        let row = &mut self.rows[self.tab.index()];
                        *row = (*row).min(max.saturating_sub(1));
                        let mut effects = vec![effect];
                        if other_company {
                            effects.push(remember);
                        }
                        if other_company && self.ai.open {
                            effects.extend(self.ai_reset());
                        }
                        effects
                    }
                    Err(e) => {
                        self.load = Load::Failed(e);
                        vec![]
                    }
                }
            }
            Action::OpenPage {
                company_id,
                filter,
                offset,
                result,
            } => {
                if self.paging.as_ref() == Some(&(company_id, filter.clone(), offset)) {
                    self.paging = None;
                }
                let current = self.data.as_deref().is_some_and(|d| d.company.id == company_id);
                match result {
                    // An answer for a filter typed over since is dropped: the
                    // current one is asked for now (see `page`).
                    Ok((rows, total)) if current && filter == self.filter => {
                        if let Some(d) = self.data.as_mut() {
                            d.open = super::data::OpenInvoices::window(filter, offset, rows, total);
                        }
                        let row = &mut self.rows[Tab::Collections.index()];
                        *row = (*row).min(total.saturating_sub(1));
                    }
                    Ok(_) => {}
                    Err(e) => self.say(e, true),
                }
                vec![]
            }
            Action::Dso { company_id, series } => {
                match (series, self.data.as_mut()) {
                    // The last months of the window; the older ones stay unknown.
                    (Ok(s), Some(d)) if d.company.id == company_id => {
                        let n = d.trends.months.len();
                        d.trends.dso = std::iter::repeat_n(None, n.saturating_sub(s.len())).chain(s).collect();
                    }
                    (Err(e), _) => self.say(e, true),
                    _ => {}
                }
                vec![]
            }
            Action::DemoLoaded(r) => {
                match r {
                    Ok(()) => self.say(
                        self.lang
                            .pick("Demo companies loaded", "Empresas de demostración cargadas"),
                        false,
                    ),
                    Err(e) => self.say(e, true),
                }
                vec![Effect::LoadCompanies]
            }
            Action::Saved(r) => {
                let company = self.data.as_ref().map(|d| d.company.clone());
                match r {
                    Ok(what) => {
                        self.form = None;
                        self.say(format!("{} {what}", self.lang.pick("Saved", "Guardado")), false);
                    }
                    Err(e) => {
                        // Stale data: the form stays open with the user's text; the view refreshes.
                        if let Some(f) = self.form.as_mut() {
                            f.saving = false;
                        }
                        self.say(e, true);
                    }
                }
                company.map(Effect::LoadCompany).into_iter().collect()
            }
            Action::ScenarioSaved { name, result } => {
                let effects = self.planner.saved(&name, result);
                self.after_planner(effects)
            }
            Action::ScenarioRenamed { from, to, result } => {
                let effects = self.planner.renamed(&from, &to, result);
                self.after_planner(effects)
            }
            Action::ScenarioDeleted { name, result } => {
                let effects = self.planner.deleted(&name, result);
                self.after_planner(effects)
            }
            Action::Ai { run_id, event } => {
                if run_id == self.ai.run_id {
                    self.on_ai_event(event);
                }
                vec![]
            }
            Action::ImportRead(result) => {
                let again = self.import.as_mut().and_then(|d| d.on_read(*result));
                again.map(|r| Effect::ImportRead(Box::new(r))).into_iter().collect()
            }
            Action::Imported(result) => {
                let result = result.map_err(|e| {
                    if e == super::import_dialog::CANCELLED {
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
            Action::Tick => vec![],
            Action::AuditLoaded(rows) => {
                if let Overlay::Audit(v) = &mut self.overlay {
                    v.rows = Some(rows);
                }
                vec![]
            }
            Action::Changed {
                company_id,
                who,
                action,
            } => {
                let Some(d) = self.data.as_ref().filter(|d| d.company.id == company_id) else {
                    return vec![];
                };
                let company = d.company.clone();
                self.say(
                    format!(
                        "{} {} ({action})",
                        self.lang.pick("updated by", "actualizado por"),
                        crate::sanitize::clean(&who)
                    ),
                    false,
                );
                // A cell being typed in keeps its text: the reload waits for it.
                if self.tab == Tab::Planning && self.planner.capturing() {
                    self.reload_waiting = true;
                    return vec![];
                }
                self.load = Load::Loading;
                vec![Effect::LoadCompany(company)]
            }
            Action::StoreDown(since) => {
                self.outage = Some(since);
                vec![]
            }
            Action::StoreUp => {
                self.outage = None;
                self.say(self.lang.pick("The store is back", "La base respondió de nuevo"), false);
                match &self.data {
                    Some(d) => {
                        self.load = Load::Loading;
                        vec![Effect::LoadCompany(d.company.clone())]
                    }
                    None => vec![Effect::LoadCompanies],
                }
            }
        }
    }

    fn on_ai_event(&mut self, event: crate::ai::service::AiEvent) {
        if let Some(recommendations) = self.ai.on_event(event, self.lang)
            && let Some(d) = self.data.as_mut()
        {
            d.recommendations = recommendations;
        }
    }

    /// Asks the panel's advisor about the current company.
    pub fn ai_start(&mut self, no_cache: bool) -> Vec<Effect> {
        match self.data.as_deref() {
            Some(d) => self.ai.start(d, self.lang, no_cache),
            None => vec![],
        }
    }

    /// Answers a question in the panel with the engine's tools (the local
    /// advisor's question shapes), and keeps it in the company's conversation
    /// with the advisor.
    fn ask(&mut self, question: &str) -> Vec<Effect> {
        let Some(d) = self.data.as_deref() else { return vec![] };
        let Some(start) = d.start else {
            self.say(
                self.lang.pick(
                    "No financials to answer from yet.",
                    "Aún no hay estados financieros para responder.",
                ),
                true,
            );
            return vec![];
        };
        let report = crate::report::Report {
            company: &d.company,
            snapshot: &d.snapshot,
        }
        .to_json();
        let scenarios: Vec<(String, crate::domain::Drivers, crate::finance::planning::Start)> = self
            .planner
            .scenarios
            .iter()
            .filter(|s| !s.base)
            .map(|s| (s.name.clone(), s.drivers.clone(), s.start))
            .collect();
        let key = (d.company.id, self.ai.agent.key());
        {
            // The local advisor's shapes or the configured model answer, with
            // the engine's tools over the open invoices the runtime reads from
            // the store; the turn waits for it.
            let history = self
                .ai
                .conversations
                .get(&key)
                .map(|turns| {
                    turns
                        .iter()
                        .filter(|t| !t.pending)
                        .map(|t| (t.question.clone(), t.answer.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let request = super::ai_panel::AskRequest {
                company_id: d.company.id,
                agent: self.ai.agent.key(),
                question: question.to_owned(),
                history,
                report,
                start,
                drivers: d.drivers.clone(),
                scenarios,
                lang: self.lang,
                local: self.ai.local,
                sep: d.fmt.sep,
                currency: d.fmt.currency.clone(),
            };
            self.ai
                .conversations
                .entry(key)
                .or_default()
                .push(super::ai_panel::Turn {
                    question: question.to_owned(),
                    tool_calls: Vec::new(),
                    answer: String::new(),
                    pending: true,
                    unverified: Vec::new(),
                });
            self.ai.back = 0;
            vec![Effect::Ask(Box::new(request))]
        }
    }

    fn ai_reset(&mut self) -> Vec<Effect> {
        self.ai.reset(self.data.as_deref(), self.lang)
    }

    fn ai_cancel(&mut self) -> Vec<Effect> {
        self.ai.cancel()
    }

    /// Writes still on their way to the store (the runtime waits for them on quit).
    pub fn pending_writes(&self) -> bool {
        self.planner.pending()
            || self.form.as_ref().is_some_and(|f| f.saving)
            || self.import.as_ref().is_some_and(|i| i.running.is_some())
    }

    /// Takes the planner's message and turns its `Reload` into loading the company.
    pub(crate) fn after_planner(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        if let Some((text, error)) = self.planner.message.take() {
            self.say(text, error);
        }
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Reload => self.data.as_ref().map(|d| {
                    self.load = Load::Loading;
                    Effect::LoadCompany(d.company.clone())
                }),
                e => Some(e),
            })
            .collect()
    }

    /// Months of the current scenario's budget that have actuals (0 unless locked).
    pub fn budget_months(&self, d: &CompanyData) -> usize {
        match self.planner.current() {
            Some(s) if s.locked => s
                .projection
                .months
                .iter()
                .filter(|m| d.ledger.get(m.month).is_some())
                .count(),
            _ => 0,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // While the store is away a record form refuses to save at once (its text
        // stays); other writes go out and come back refused by the store itself,
        // through the same path as any failed save (the planner's, the import's).
        let mut effects = self.on_key_inner(key);
        // A reload that waited for the user to finish typing goes now.
        if self.reload_waiting
            && !(self.tab == Tab::Planning && self.planner.capturing())
            && let Some(d) = &self.data
        {
            self.reload_waiting = false;
            self.load = Load::Loading;
            effects.push(Effect::LoadCompany(d.company.clone()));
        }
        effects
    }

    fn on_key_inner(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return vec![];
        }
        // The innermost thing gets the key first: a form, an input, an overlay.
        if self.form.is_some() {
            return self.on_form_key(key);
        }
        if let Some(dialog) = self.import.as_mut() {
            return match dialog.on_key(key, self.lang) {
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
                Ask::SaveMapping { name, kind, mapping } => match (&self.data, serde_json::to_string(&mapping)) {
                    (Some(d), Ok(spec)) => vec![Effect::SaveMapping {
                        company_id: d.company.id,
                        mapping: crate::store::SavedMapping {
                            name,
                            kind: kind.name().to_owned(),
                            spec,
                        },
                    }],
                    _ => vec![],
                },
            };
        }
        if self.tab == Tab::Planning
            && self.planner.capturing()
            && let Some(d) = self.data.take()
        {
            let effects = self.planner.on_input(key, &d);
            self.data = Some(d);
            return self.after_planner(effects);
        }
        if self.filtering {
            match key.code {
                KeyCode::Esc => {
                    self.filter.clear();
                    self.filtering = false;
                }
                KeyCode::Enter => self.filtering = false,
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char(c) if !c.is_control() => self.filter.push(c),
                _ => {}
            }
            self.rows[self.tab.index()] = 0;
            return vec![];
        }
        if self.pricing.editing {
            let v = &mut self.pricing.values[self.pricing.focus];
            match key.code {
                KeyCode::Esc | KeyCode::Enter => self.pricing.editing = false,
                KeyCode::Backspace => {
                    v.pop();
                }
                KeyCode::Char(c) if (c.is_ascii_digit() || c == '.' || c == '-') && v.len() < 12 => v.push(c),
                _ => {}
            }
            return vec![];
        }
        // The AI panel's question line takes the keys while it is open.
        if let Some(q) = self.ai.asking.as_mut() {
            match key.code {
                KeyCode::Esc => self.ai.asking = None,
                KeyCode::Enter => {
                    let question = q.trim().to_owned();
                    self.ai.asking = None;
                    if !question.is_empty() {
                        return self.ask(&question);
                    }
                }
                KeyCode::Backspace => {
                    q.pop();
                }
                KeyCode::Char(c) if !c.is_control() && q.chars().count() < 500 => q.push(c),
                _ => {}
            }
            return vec![];
        }
        // Overlays read the keymap too: moving, filtering and closing follow `[keys]`.
        let intent = self.keymap.intent(&key);
        match &mut self.overlay {
            Overlay::Diagnostics => {
                if key.code == KeyCode::Esc || matches!(intent, Some(Intent::Diagnostics | Intent::Quit)) {
                    self.overlay = Overlay::None;
                }
                return vec![];
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
                return vec![];
            }
            Overlay::ConfirmDemo => {
                return match key.code {
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
                };
            }
            Overlay::Companies { selected } => {
                // The companies, then "+ new company".
                let n = self.companies.len() + 1;
                match (key.code, intent) {
                    (KeyCode::Esc, _) => self.overlay = Overlay::None,
                    (_, Some(Intent::Up)) => *selected = selected.saturating_sub(1),
                    (_, Some(Intent::Down)) => *selected = (*selected + 1).min(n - 1),
                    (KeyCode::Enter, _) => {
                        let pick = self.companies.get(*selected).cloned();
                        self.overlay = Overlay::None;
                        if pick.is_none() {
                            self.import = Some(ImportDialog::for_new_company(self.lang));
                        }
                        if let Some(c) = pick {
                            self.load = Load::Loading;
                            self.rows = [0; Tab::ALL.len()];
                            self.filter.clear();
                            return vec![Effect::LoadCompany(c)];
                        }
                    }
                    _ => {}
                }
                return vec![];
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
                        return self.ai_start(false);
                    }
                    _ => {}
                }
                return vec![];
            }
            Overlay::Audit(v) => {
                if v.filtering {
                    match key.code {
                        KeyCode::Esc => {
                            v.filter.clear();
                            v.filtering = false;
                        }
                        KeyCode::Enter => v.filtering = false,
                        KeyCode::Backspace => {
                            v.filter.pop();
                        }
                        KeyCode::Char(c) if !c.is_control() && v.filter.len() < 200 => v.filter.push(c),
                        _ => {}
                    }
                    v.back = 0;
                    return vec![];
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
                return vec![];
            }
            Overlay::None => {}
        }
        if key.code == KeyCode::Esc {
            if self.ai.running() {
                return self.ai_cancel();
            }
            if self.message.is_none() && self.ai.open {
                self.ai.open = false;
            }
            self.message = None;
            return vec![];
        }
        if let KeyCode::Char(c @ '1'..='9') = key.code
            && key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE
            && let Some(tab) = Tab::ALL.get(c as usize - '1' as usize)
        {
            return self.switch_tab(*tab);
        }
        if let Handled::Consumed(effects) = self.tab.view().handle_key(self, &key) {
            return effects;
        }
        // Enter in the open panel, where the view has no use for it, asks a question.
        if key.code == KeyCode::Enter && self.ai.open && self.overlay == Overlay::None {
            self.ai.asking = Some(String::new());
            return vec![];
        }
        match self.keymap.intent(&key) {
            Some(intent) => match self.run_intent(intent) {
                Handled::Consumed(effects) => effects,
                Handled::NotConsumed => vec![],
            },
            None => vec![],
        }
    }

    /// Carries out what a key asks: a view-scoped command only where the view
    /// offers it, a write only when the role allows it; the view first, then
    /// what every view shares.
    pub(crate) fn run_intent(&mut self, intent: Intent) -> Handled {
        let view = self.tab.view();
        if self.keymap.scope(intent) == Scope::View && !view.commands(self).contains(&intent) {
            return Handled::NotConsumed;
        }
        if let Some((need, what)) = self.needs(intent).or_else(|| view.needs(intent, self.lang))
            && let Some(d) = &self.data
            && let Err(why) = d.access.require(need, &d.company.name, what)
        {
            self.say(why, true);
            return Handled::done();
        }
        if let Handled::Consumed(effects) = view.handle(self, intent) {
            return Handled::Consumed(effects);
        }
        Handled::Consumed(self.common_intent(intent))
    }

    /// What a command does on every view.
    fn common_intent(&mut self, intent: Intent) -> Vec<Effect> {
        // Only moves down need the row count (for the Collections filter it is a scan).
        let rows = if matches!(intent, Intent::Down | Intent::PageDown | Intent::Bottom) {
            self.row_count()
        } else {
            0
        };
        let row = &mut self.rows[self.tab.index()];
        match intent {
            Intent::Quit => self.quit = true,
            Intent::Help => self.overlay = Overlay::Help,
            Intent::Diagnostics => self.overlay = Overlay::Diagnostics,
            Intent::NextTab => return self.switch_tab(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()]),
            Intent::PrevTab => {
                return self.switch_tab(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]);
            }
            Intent::Up => *row = row.saturating_sub(1),
            Intent::Down => *row = (*row + 1).min(rows.saturating_sub(1)),
            Intent::PageUp => *row = row.saturating_sub(10),
            Intent::PageDown => *row = (*row + 10).min(rows.saturating_sub(1)),
            Intent::Top => *row = 0,
            Intent::Bottom => *row = rows.saturating_sub(1),
            Intent::Filter => self.filtering = true,
            Intent::Company => {
                let current = self.data.as_ref().map(|d| d.company.id);
                let selected = self.companies.iter().position(|c| Some(c.id) == current).unwrap_or(0);
                self.overlay = Overlay::Companies { selected };
            }
            Intent::Reload => {
                self.load = Load::Loading;
                return vec![Effect::LoadCompanies];
            }
            Intent::Edit => {
                if let Some(r) = self.selected_record() {
                    self.form = Some(RecordForm::new(r));
                }
            }
            Intent::Import => {
                if let Some(d) = &self.data {
                    self.import = Some(ImportDialog::new(d.company.id, d.company.currency.clone()));
                }
            }
            Intent::AiPanel => {
                self.ai.open = !self.ai.open;
                if self.ai.open {
                    let agent = if self.ai.chosen {
                        self.ai.agent
                    } else {
                        self.tab.view().agent()
                    };
                    let stale = agent != self.ai.agent || matches!(self.ai.status, Status::Ready);
                    self.ai.agent = agent;
                    if stale || self.ai.text.is_empty() {
                        return self.ai_start(false);
                    }
                }
            }
            Intent::AiAgent => {
                let selected = crate::ai::Agent::ALL
                    .iter()
                    .position(|a| *a == self.ai.agent)
                    .unwrap_or(0);
                self.overlay = Overlay::Agents { selected };
            }
            Intent::AiRerun if self.ai.open => return self.ai_start(true),
            Intent::AiAsk => {
                self.ai.open = true;
                self.ai.asking = Some(String::new());
            }
            Intent::AiClear if self.ai.open => {
                if let Some(d) = &self.data {
                    let (company_id, agent) = (d.company.id, self.ai.agent.key());
                    if self.ai.conversations.remove(&(company_id, agent)).is_some() {
                        return vec![Effect::ClearConversation { company_id, agent }];
                    }
                }
            }
            Intent::AiScrollUp if self.ai.open => {
                self.ai.back = (self.ai.back + 8).min(self.ai.max_back.get());
            }
            Intent::AiScrollDown if self.ai.open => {
                self.ai.back = self.ai.back.saturating_sub(8);
            }
            _ => {}
        }
        vec![]
    }

    /// The role a global key's write needs (the database refuses it anyway;
    /// this says why before trying, and keeps what the user typed out of a
    /// doomed form). A view says what its own commands need.
    fn needs(&self, intent: Intent) -> Option<(crate::store::team::Role, &'static str)> {
        use crate::store::team::Role;
        let lang = self.lang;
        match intent {
            Intent::Import => Some((Role::Owner, lang.pick("importing", "importar"))),
            Intent::AiRerun if self.ai.open => {
                Some((Role::Analyst, lang.pick("asking the advisor", "consultar al asesor")))
            }
            _ => None,
        }
    }

    fn switch_tab(&mut self, tab: Tab) -> Vec<Effect> {
        if tab == self.tab {
            return vec![];
        }
        self.tab = tab;
        self.filter.clear();
        self.filtering = false;
        let agent = tab.view().agent();
        if self.ai.open && !self.ai.chosen && agent != self.ai.agent {
            self.ai.agent = agent;
            return self.ai_reset();
        }
        vec![]
    }

    fn on_form_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                self.form = None;
                vec![]
            }
            KeyCode::Enter if self.outage.is_some() => {
                let since = self.outage.clone().unwrap_or_default();
                let msg = match self.lang {
                    Lang::En => format!("Not saved: the store is unreachable since {since}; your text is kept"),
                    Lang::Es => format!("No se guardó: la base no responde desde las {since}; su texto se conserva"),
                };
                self.say(msg, true);
                vec![]
            }
            KeyCode::Enter => match (form.validated(), self.data.as_ref()) {
                (Ok(updated), Some(d)) if !form.saving => {
                    form.saving = true;
                    self.message = None;
                    vec![Effect::Save(Box::new(SaveRecord {
                        company: d.company.clone(),
                        original: form.original.clone(),
                        updated,
                    }))]
                }
                (Err(_), _) => {
                    let msg = self
                        .lang
                        .pick("Fix the marked fields first", "Corrija primero los campos marcados");
                    self.say(msg, true);
                    vec![]
                }
                _ => vec![],
            },
            _ => {
                form.input(key);
                vec![]
            }
        }
    }
}
