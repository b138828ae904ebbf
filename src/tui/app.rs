//! The application state and `update`: actions in, state changed, effects out.
//! Nothing here draws or waits; the runtime performs the effects and feeds
//! their results back as actions.

use super::ai_panel::{AiPanel, Status};
use super::component::Handled;
pub use super::component::Tab;
use super::data::CompanyData;
use super::form::{Record, RecordForm};
use super::import_dialog::ImportDialog;
use super::keymap::{Intent, Keymap, Scope};
use super::line_input::{self, Edit};
pub use super::message::{Action, Effect, SaveRecord};
pub use super::overlay::{AuditView, Overlay};
use super::planner::Planner;
use super::theme::Theme;
pub use super::views::Derived;
pub use super::views::pricing::PricingInputs;
use crate::domain::{Company, Product};

use crate::locale::Lang;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    Idle,
    Loading,
    Failed(String),
}

pub struct App {
    pub lang: Lang,
    pub theme: Theme,
    pub keymap: Keymap,
    pub tab: Tab,
    pub companies: Vec<Company>,
    /// The groups of companies, listed in the company chooser after them.
    pub groups: Vec<crate::domain::fx::Group>,
    pub wanted_company: Option<String>,
    pub data: Option<Box<CompanyData>>,
    pub load: Load,
    /// A one-line message for the status bar: (text, is_error).
    pub message: Option<(String, bool)>,
    pub overlay: Overlay,
    /// Selected row per tab.
    /// What each tab keeps of its own: selections, the filter, the pricing
    /// inputs, the cash-flow view, Collections' paging.
    pub views: super::views::Views,
    /// Computed in `update` from the data and the planner; read by the views.
    pub derived: Derived,
    /// First line of the help overlay shown (it scrolls when taller than the screen).
    pub help_scroll: usize,
    pub form: Option<RecordForm>,
    pub import: Option<ImportDialog>,
    /// The export dialog (`X`).
    pub export: Option<super::power::ExportDialog>,
    pub planner: Planner,
    pub ai: AiPanel,
    /// The forecast's cash floor (config `cash_floor`).
    pub cash_floor: rust_decimal::Decimal,
    /// Config `reporting_currency`: offered by `$` after the company's own.
    pub reporting_currency: Option<String>,
    /// The currency the figures are presented in (`$`), when not the company's.
    pub presentation: Option<String>,
    /// `[targets]` of the config, held by every company.
    pub config_targets: Vec<crate::report::targets::Target>,
    /// The store is unreachable since this time (HH:MM): the data shown is stale
    /// and writes are refused until it is back.
    pub outage: Option<String>,
    /// Another person's write waits for the user to finish typing.
    pub reload_waiting: bool,
    /// Reloads for teammates' writes: the company one is in flight for, and
    /// whether another write came meanwhile (one more reload, the newest wins).
    reloading: Option<i64>,
    reload_queued: bool,
    /// How many times the derived values were computed (for diagnostics and tests).
    pub derive_runs: u64,
    /// Where things were on the last frame (for the mouse).
    pub hits: super::hits::Hits,
    /// The last left click: when and where (a second one soon at the same place is a double click).
    pub last_click: Option<(std::time::Instant, u16, u16)>,
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
            groups: Vec::new(),
            wanted_company,
            data: None,
            load: Load::Loading,
            message: None,
            overlay: Overlay::None,
            derived: Derived::default(),
            views: super::views::Views::default(),
            help_scroll: 0,
            form: None,
            import: None,
            export: None,
            planner: Planner::empty(lang),
            ai: AiPanel::new("local".into(), true, false),
            cash_floor: rust_decimal::Decimal::ZERO,
            reporting_currency: None,
            presentation: None,
            config_targets: Vec::new(),
            outage: None,
            reload_waiting: false,
            reloading: None,
            reload_queued: false,
            derive_runs: 0,
            hits: Default::default(),
            last_click: None,
            dirty: true,
            quit: false,
        }
    }

    /// What the company chooser lists: the companies, then the groups (as
    /// pseudo-companies whose id is the group's negated).
    pub fn chooser_entries(&self) -> Vec<Company> {
        self.companies
            .iter()
            .cloned()
            .chain(self.groups.iter().map(|g| Company {
                id: -g.id,
                name: g.name.clone(),
                industry: String::new(),
                currency: g.currency.clone(),
                fiscal_year_start: 1,
                locale: String::new(),
            }))
            .collect()
    }

    /// `$`: the figures in the next currency of the company's own, the
    /// configured reporting currency and its invoices' currencies.
    fn next_currency(&mut self) -> Vec<Effect> {
        let Some(d) = self.data.as_deref() else { return vec![] };
        let Some(company) = self.companies.iter().find(|c| c.id == d.company.id).cloned() else {
            let why = self.lang.pick(
                "a group is shown in its own currency",
                "un grupo se ve en su propia moneda",
            );
            self.say(why, false);
            return vec![];
        };
        let mut choices = vec![company.currency.clone()];
        let invoices = d
            .snapshot
            .fx
            .iter()
            .flatten()
            .flat_map(|e| e.currencies.iter().map(|c| c.currency.clone()));
        for c in self.reporting_currency.iter().cloned().chain(invoices) {
            if !choices.contains(&c) {
                choices.push(c);
            }
        }
        if choices.len() == 1 {
            let why = self.lang.pick(
                "no other currency to show: set reporting_currency in config.toml, or import invoices in other currencies",
                "no hay otra moneda: configure reporting_currency en config.toml, o importe facturas en otras monedas",
            );
            self.say(why, false);
            return vec![];
        }
        let now = choices.iter().position(|c| *c == d.company.currency).unwrap_or(0);
        let next = choices[(now + 1) % choices.len()].clone();
        self.load = Load::Loading;
        if next == company.currency {
            self.presentation = None;
            vec![Effect::LoadCompany(company)]
        } else {
            self.presentation = Some(next.clone());
            vec![Effect::LoadPresented {
                company,
                currency: next,
            }]
        }
    }

    /// The effects to start with.
    pub fn init() -> Vec<Effect> {
        vec![Effect::LoadCompanies]
    }

    pub(super) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error));
    }

    /// Rows in the current tab's table, for moving the selection.
    pub fn row_count(&self) -> usize {
        self.data.as_ref().map_or(0, |d| self.tab.view().rows(self, d))
    }

    /// The selected row of the current tab.
    pub fn row(&self) -> usize {
        self.views.rows[self.tab.index()]
    }

    pub fn row_mut(&mut self) -> &mut usize {
        &mut self.views.rows[self.tab.index()]
    }

    /// Products matching the filter, in the table's order (by sku).
    pub fn filtered_products<'a>(&self, d: &'a CompanyData) -> Vec<&'a crate::finance::ProductEconomics> {
        let f = self.views.filter.to_lowercase();
        d.snapshot
            .pricing
            .iter()
            .filter(|p| f.is_empty() || p.sku.to_lowercase().contains(&f) || p.name.to_lowercase().contains(&f))
            .collect()
    }

    pub fn selected_product(&self) -> Option<Product> {
        let d = self.data.as_ref()?;
        let pe = *self.filtered_products(d).get(self.views.rows[self.tab.index()])?;
        d.products.iter().find(|p| p.sku == pe.sku).cloned()
    }

    /// The record under the selection of the current tab, for `e`.
    pub fn selected_record(&self) -> Option<Record> {
        self.data.as_ref().and_then(|d| self.tab.view().record(self, d))
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // A streamed word, a redraw tick or a saved turn changes neither the
        // data nor the planner: nothing derived from them is computed again.
        let derives = !matches!(
            action,
            Action::AskText { .. }
                | Action::Ai { .. }
                | Action::Tick
                | Action::Resize
                | Action::ConversationSaved(_)
                | Action::AuditLoaded(_)
                | Action::MappingSaved(_)
                | Action::ImportRead(_)
                | Action::Exported(_)
                | Action::CopyReady(_)
        );
        let mut effects = self.step(action);
        if derives {
            self.derive();
        }
        effects.extend(self.page());
        effects.extend(self.bank_page());
        effects
    }

    /// A company's figures arrived (or could not be had).
    fn on_loaded(&mut self, result: Result<CompanyData, String>) -> Vec<Effect> {
        match result {
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
                        self.ai
                            .conversations
                            .entry((id, agent.key()))
                            .or_default()
                            .push(super::ai_panel::Turn {
                                question: t.question.clone(),
                                tool_calls: serde_json::from_str(&t.tool_calls).unwrap_or_default(),
                                answer: t.answer.clone(),
                                pending: false,
                                unverified: Vec::new(),
                            });
                    }
                }
                self.data = Some(Box::new(data));
                self.load = Load::Idle;
                let max = self.row_count();
                let row = &mut self.views.rows[self.tab.index()];
                *row = (*row).min(max.saturating_sub(1));
                let mut effects = vec![effect];
                // A group is not remembered as the company to open next time.
                if other_company && id >= 0 {
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

    fn step(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        match action {
            Action::Resize => vec![],
            a @ (Action::AskText { .. } | Action::ConversationSaved(_) | Action::Asked { .. }) => self.on_ai_action(a),
            Action::Key(key) => self.on_key(key),
            Action::Mouse(m) => self.on_mouse(m),
            Action::Companies(Ok(list)) => {
                self.companies = list;
                if self.companies.is_empty() {
                    self.load = Load::Idle;
                    self.overlay = Overlay::ConfirmDemo;
                    return vec![];
                }
                // A group on screen reloads as itself.
                if let Some(d) = self
                    .data
                    .as_ref()
                    .filter(|d| d.company.id < 0 && self.wanted_company.as_deref() == Some(d.company.name.as_str()))
                {
                    let group = d.company.clone();
                    self.load = Load::Loading;
                    return vec![Effect::LoadCompany(group)];
                }
                // A company presented in another currency reloads so.
                if let (Some(currency), Some(d)) = (self.presentation.clone(), self.data.as_ref())
                    && let Some(company) = self.companies.iter().find(|c| c.id == d.company.id).cloned()
                    && self.wanted_company.as_deref() == Some(company.name.as_str())
                {
                    self.load = Load::Loading;
                    return vec![Effect::LoadPresented { company, currency }];
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
            Action::Groups(Ok(groups)) => {
                self.groups = groups;
                vec![]
            }
            Action::Groups(Err(e)) => {
                self.say(e, true);
                vec![]
            }
            Action::Loaded(result) => {
                // The reload in flight ended: the queued one (the newest writes) goes now.
                let queued = self.reloading.take().is_some() && std::mem::take(&mut self.reload_queued);
                let mut effects = self.on_loaded(*result);
                // The reconciliation shown follows the books (a teammate's match, an import).
                if self.tab == Tab::Bank {
                    effects.extend(self.recon_reload());
                }
                if queued && let Some(d) = self.data.as_ref() {
                    let company = d.company.clone();
                    self.reloading = Some(company.id);
                    self.load = Load::Loading;
                    effects.push(Effect::LoadCompany(company));
                }
                effects
            }
            Action::OpenPage {
                company_id,
                filter,
                offset,
                result,
            } => self.on_page(Tab::Collections, |d| &mut d.open, company_id, filter, offset, result),
            Action::BankPage {
                company_id,
                filter,
                offset,
                result,
            } => self.on_page(Tab::Bank, |d| &mut d.lines, company_id, filter, offset, result),
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
            Action::Saved(r) => self.on_saved(r),
            Action::ReconcileLoaded { company_id, result } => self.on_recon_loaded(company_id, result),
            Action::Reconciled(r) => self.on_reconciled(r),
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
            a @ (Action::ImportRead(_) | Action::Imported(_) | Action::MappingSaved(_)) => self.on_import_action(a),
            Action::Tick => vec![],
            Action::Exported(r) => {
                self.on_exported(r);
                vec![]
            }
            Action::CopyReady(r) => self.on_copy_ready(r),
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
                // A burst of writes: one reload in flight, one more queued after it.
                if self.reloading == Some(company.id) {
                    self.reload_queued = true;
                    return vec![];
                }
                self.reloading = Some(company.id);
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
        if self.import.is_some() {
            return self.on_import_key(key);
        }
        if self.export.is_some() {
            return self.on_export_key(key);
        }
        if self.tab == Tab::Planning
            && self.planner.capturing()
            && let Some(d) = self.data.take()
        {
            let effects = self.planner.on_input(key, &d);
            self.data = Some(d);
            return self.after_planner(effects);
        }
        if self.views.filtering {
            match line_input::edit(&mut self.views.filter, &key, 200, line_input::any) {
                Edit::Cancel => {
                    self.views.filter.clear();
                    self.views.filtering = false;
                }
                Edit::Submit => self.views.filtering = false,
                Edit::Changed | Edit::Ignored => {}
            }
            self.views.rows[self.tab.index()] = 0;
            return vec![];
        }
        if self.views.pricing.editing {
            let v = &mut self.views.pricing.values[self.views.pricing.focus];
            let number = |c: char| c.is_ascii_digit() || c == '.' || c == '-';
            if let Edit::Cancel | Edit::Submit = line_input::edit(v, &key, 12, number) {
                self.views.pricing.editing = false;
            }
            return vec![];
        }
        // The Bank pane's category list, rule offer or split line.
        if let Some(effects) = self.recon_modal_key(&key) {
            return effects;
        }
        // The AI panel's question line takes the keys while it is open.
        if self.ai.asking.is_some() {
            return self.on_question_key(&key);
        }
        if let Some(effects) = self.on_overlay_key(key) {
            return effects;
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
        let row = &mut self.views.rows[self.tab.index()];
        match intent {
            Intent::Quit => self.quit = true,
            Intent::Help => self.overlay = Overlay::Help,
            Intent::Diagnostics => self.overlay = Overlay::Diagnostics,
            Intent::Palette => self.overlay = Overlay::Palette(self.open_palette()),
            Intent::Export => return self.open_export(),
            Intent::CopyRow => return self.copy(false),
            Intent::CopyTable => return self.copy(true),
            Intent::Currency => return self.next_currency(),
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
            Intent::Filter => self.views.filtering = true,
            Intent::Company => {
                let current = self.data.as_ref().map(|d| d.company.id);
                let selected = self
                    .chooser_entries()
                    .iter()
                    .position(|c| Some(c.id) == current)
                    .unwrap_or(0);
                self.overlay = Overlay::Companies { selected };
                return vec![Effect::LoadGroups];
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

    pub(crate) fn switch_tab(&mut self, tab: Tab) -> Vec<Effect> {
        if tab == self.tab {
            return vec![];
        }
        self.tab = tab;
        self.views.filter.clear();
        self.views.filtering = false;
        let agent = tab.view().agent();
        if self.ai.open && !self.ai.chosen && agent != self.ai.agent {
            self.ai.agent = agent;
            return self.ai_reset();
        }
        vec![]
    }
}
