//! The Bank tab's reconciliation: `v` shows the lines unmatched, proposed,
//! matched or categorised (read whole on demand; the plain list of every line
//! stays paged from the store); the selected line's proposal with its tier
//! and reason; `Enter` accepts, `x` rejects, `u` undoes, `c` sets a category
//! (and offers to keep it as a rule), `s` splits a receipt over invoices. The
//! footer says the cleared balance against the statement's.

use super::{LazyTable, left, right};
use crate::finance::reconcile::Allocation;
use crate::finance::rules::Category;
use crate::reconcile::{Bench, Status};
use crate::sanitize::clean;
use crate::store::{ReconLine, ReconcileAction};
use crate::tui::app::{App, Effect, Tab};
use crate::tui::component::Handled;
use crate::tui::data::CompanyData;
use crate::tui::widgets::block;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Which lines the Bank table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    /// Every line, paged from the store.
    #[default]
    All,
    Unmatched,
    Proposed,
    Matched,
    Categorised,
}

impl Show {
    const ORDER: [Show; 5] = [
        Show::All,
        Show::Proposed,
        Show::Unmatched,
        Show::Matched,
        Show::Categorised,
    ];

    fn next(self) -> Show {
        let i = Show::ORDER.iter().position(|s| *s == self).unwrap_or(0);
        Show::ORDER[(i + 1) % Show::ORDER.len()]
    }

    pub fn label(self, es: bool) -> &'static str {
        match (self, es) {
            (Show::All, false) => "all lines",
            (Show::All, true) => "todos los movimientos",
            (Show::Unmatched, false) => "unmatched",
            (Show::Unmatched, true) => "sin conciliar",
            (Show::Proposed, false) => "proposed",
            (Show::Proposed, true) => "propuestos",
            (Show::Matched, false) => "matched",
            (Show::Matched, true) => "conciliados",
            (Show::Categorised, false) => "categorised",
            (Show::Categorised, true) => "categorizados",
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            Show::All => None,
            Show::Unmatched => Some(Status::Unmatched),
            Show::Proposed => Some(Status::Proposed),
            Show::Matched => Some(Status::Matched),
            Show::Categorised => Some(Status::Categorised),
        }
    }
}

/// What the pane under the table is doing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Browse,
    /// Choosing a category (the index in [`CHOICES`]).
    Picking(usize),
    /// Asking whether to keep the category as a rule for lines like this one.
    OfferRule { line_id: i64, category: Category },
    /// Typing `NUMBER=AMOUNT, …` for a split.
    Splitting(String),
}

/// A category, or none (back to the rules).
const CHOICES: [Option<Category>; 9] = [
    Some(Category::Revenue),
    Some(Category::Cogs),
    Some(Category::Opex),
    Some(Category::SalesMarketing),
    Some(Category::OtherIncome),
    Some(Category::Financing),
    Some(Category::Transfer),
    Some(Category::Ignore),
    None,
];

fn category_label(c: Option<Category>, es: bool) -> &'static str {
    match (c, es) {
        (Some(Category::Revenue), false) => "revenue",
        (Some(Category::Revenue), true) => "ingresos",
        (Some(Category::Cogs), false) => "cost of sales",
        (Some(Category::Cogs), true) => "costo de ventas",
        (Some(Category::Opex), false) => "operating expenses",
        (Some(Category::Opex), true) => "gastos de operación",
        (Some(Category::SalesMarketing), false) => "sales and marketing",
        (Some(Category::SalesMarketing), true) => "ventas y mercadotecnia",
        (Some(Category::OtherIncome), false) => "other income",
        (Some(Category::OtherIncome), true) => "otros ingresos",
        (Some(Category::Financing), false) => "financing",
        (Some(Category::Financing), true) => "financiamiento",
        (Some(Category::Transfer), false) => "transfer between accounts",
        (Some(Category::Transfer), true) => "traspaso entre cuentas",
        (Some(Category::Ignore), false) => "ignore",
        (Some(Category::Ignore), true) => "ignorar",
        (None, false) => "none (the rules decide)",
        (None, true) => "ninguna (deciden las reglas)",
    }
}

/// The reconciliation's state in the app.
#[derive(Debug, Clone, Default)]
pub struct Recon {
    pub show: Show,
    /// The company it was read for, and what it read.
    pub bench: Option<(i64, Arc<Bench>)>,
    pub loading: bool,
    pub mode: Mode,
    /// A write in flight (keys that write wait for it).
    pub writing: bool,
}

impl Recon {
    /// The lines of the status shown, newest first, matching `filter`.
    pub fn lines<'a>(&'a self, company_id: i64, filter: &str) -> Vec<&'a ReconLine> {
        let (Some(status), Some((id, b))) = (self.show.status(), &self.bench) else {
            return Vec::new();
        };
        if *id != company_id {
            return Vec::new();
        }
        let f = filter.to_lowercase();
        b.lines_of(status)
            .filter(|l| {
                f.is_empty()
                    || [&l.description, &l.counterparty, &l.reference, &l.account]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&f))
            })
            .collect()
    }

    pub fn active(&self) -> bool {
        self.show != Show::All
    }
}

impl App {
    /// `v`: the next set of lines; the first time, the reconciliation is read.
    pub(crate) fn recon_next_view(&mut self) -> Vec<Effect> {
        let r = &mut self.views.recon;
        r.show = r.show.next();
        r.mode = Mode::Browse;
        *self.row_mut() = 0;
        let Some(d) = self.data.as_ref() else { return vec![] };
        let id = d.company.id;
        if self.views.recon.show != Show::All && self.views.recon.bench.as_ref().is_none_or(|(c, _)| *c != id) {
            return self.recon_reload();
        }
        vec![]
    }

    /// Reads the reconciliation again (after a write, a teammate's change, a reload).
    pub(crate) fn recon_reload(&mut self) -> Vec<Effect> {
        match self.data.as_ref() {
            Some(d) if self.views.recon.active() && !self.views.recon.loading => {
                self.views.recon.loading = true;
                vec![Effect::LoadReconcile(d.company.id)]
            }
            _ => vec![],
        }
    }

    pub(crate) fn on_recon_loaded(&mut self, company_id: i64, result: Result<Arc<Bench>, String>) -> Vec<Effect> {
        self.views.recon.loading = false;
        match result {
            Ok(b) => {
                self.views.recon.bench = Some((company_id, b));
                let n = self.row_count();
                *self.row_mut() = self.row().min(n.saturating_sub(1));
            }
            Err(e) => self.say(e, true),
        }
        vec![]
    }

    pub(crate) fn on_reconciled(&mut self, result: Result<String, String>) -> Vec<Effect> {
        self.views.recon.writing = false;
        match result {
            Ok(what) => self.say(what, false),
            Err(e) => self.say(e, true),
        }
        // Collections, the call list and the month so far move with it; the
        // reconciliation is read again when the company's data arrives.
        self.data
            .as_ref()
            .map(|d| Effect::LoadCompany(d.company.clone()))
            .into_iter()
            .collect()
    }

    /// The selected line of the table shown, and the bench it is from.
    fn recon_selected(&self) -> Option<(ReconLine, Arc<Bench>)> {
        let d = self.data.as_ref()?;
        let lines = self.views.recon.lines(d.company.id, &self.views.filter);
        let l = lines.get(self.row())?;
        let b = self.views.recon.bench.as_ref()?.1.clone();
        Some(((*l).clone(), b))
    }

    /// A write, when the role allows it.
    fn recon_write(&mut self, actions: Vec<ReconcileAction>, what: String, rule: Option<String>) -> Vec<Effect> {
        let Some(d) = self.data.as_ref() else { return vec![] };
        if let Err(why) = d.access.require(
            crate::store::team::Role::Owner,
            &d.company.name,
            self.lang.pick("reconciling", "conciliar"),
        ) {
            self.say(why, true);
            return vec![];
        }
        if self.views.recon.writing {
            return vec![];
        }
        self.views.recon.writing = true;
        vec![Effect::Reconcile {
            company_id: d.company.id,
            actions,
            what,
            rule,
        }]
    }

    /// The Bank view's own keys while reconciling: `Enter`, `c`, `s`.
    pub(crate) fn recon_key(&mut self, key: &KeyEvent) -> Handled {
        if !self.views.recon.active() || self.views.recon.mode != Mode::Browse {
            return Handled::NotConsumed;
        }
        let es = self.lang == crate::locale::Lang::Es;
        match key.code {
            KeyCode::Enter => {
                let Some((l, b)) = self.recon_selected() else {
                    return Handled::done();
                };
                match b.proposal(l.id) {
                    Some(p) => {
                        let what = format!(
                            "{} {}: {}",
                            self.lang.pick("Accepted line", "Aceptado el movimiento"),
                            l.id,
                            parts(&p.allocations)
                        );
                        let a = crate::reconcile::accept(&p.allocations, &l);
                        Handled::Consumed(self.recon_write(vec![a], what, None))
                    }
                    None => {
                        self.say(
                            self.lang.pick(
                                "No proposal for this line: s splits it over invoices you name",
                                "Sin propuesta para este movimiento: s lo reparte entre las facturas que indiques",
                            ),
                            false,
                        );
                        Handled::done()
                    }
                }
            }
            KeyCode::Char('c') => {
                if self.recon_selected().is_some() {
                    self.views.recon.mode = Mode::Picking(0);
                }
                Handled::done()
            }
            KeyCode::Char('s') => {
                if let Some((l, _)) = self.recon_selected() {
                    if l.amount <= Decimal::ZERO {
                        self.say(
                            if es {
                                "Solo los cobros pagan facturas"
                            } else {
                                "Only receipts pay invoices"
                            },
                            true,
                        );
                    } else {
                        self.views.recon.mode = Mode::Splitting(String::new());
                    }
                }
                Handled::done()
            }
            _ => Handled::NotConsumed,
        }
    }

    /// `x` rejects, `u` undoes (the Bank view's intents while reconciling).
    pub(crate) fn recon_intent(&mut self, reject: bool) -> Vec<Effect> {
        let Some((l, _)) = self.recon_selected() else {
            return vec![];
        };
        let (action, what) = if reject {
            (
                ReconcileAction::Reject(l.id),
                format!(
                    "{} {}",
                    self.lang
                        .pick("Rejected the proposal of line", "Rechazada la propuesta del movimiento"),
                    l.id
                ),
            )
        } else {
            (
                ReconcileAction::Undo(l.id),
                format!("{} {}", self.lang.pick("Undone: line", "Deshecho: movimiento"), l.id),
            )
        };
        self.recon_write(vec![action], what, None)
    }

    /// Keys while the pane picks a category, offers a rule or takes a split:
    /// before everything else (Esc closes the pane, digits are typed).
    pub(crate) fn recon_modal_key(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        if self.tab != Tab::Bank {
            return None;
        }
        let mode = self.views.recon.mode.clone();
        let es = self.lang == crate::locale::Lang::Es;
        match mode {
            Mode::Browse => None,
            Mode::Picking(i) => {
                match key.code {
                    KeyCode::Esc => self.views.recon.mode = Mode::Browse,
                    KeyCode::Up | KeyCode::Char('k') => self.views.recon.mode = Mode::Picking(i.saturating_sub(1)),
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.views.recon.mode = Mode::Picking((i + 1).min(CHOICES.len() - 1))
                    }
                    KeyCode::Enter => {
                        let Some((l, _)) = self.recon_selected() else {
                            self.views.recon.mode = Mode::Browse;
                            return Some(vec![]);
                        };
                        let c = CHOICES[i];
                        self.views.recon.mode = match c {
                            Some(category) => Mode::OfferRule {
                                line_id: l.id,
                                category,
                            },
                            None => Mode::Browse,
                        };
                        let what = format!(
                            "{} {}: {}",
                            self.lang.pick("Line", "Movimiento"),
                            l.id,
                            category_label(c, es)
                        );
                        return Some(self.recon_write(vec![ReconcileAction::Categorise(l.id, c)], what, None));
                    }
                    _ => {}
                }
                Some(vec![])
            }
            Mode::OfferRule { line_id, category } => {
                match key.code {
                    KeyCode::Char('y' | 's' | 'Y' | 'S') => {
                        self.views.recon.mode = Mode::Browse;
                        let line = self
                            .views
                            .recon
                            .bench
                            .as_ref()
                            .and_then(|(_, b)| b.line(line_id).cloned());
                        if let Some(l) = line {
                            let rule = crate::reconcile::rule_for(&l, category);
                            let what = self.lang.pick("Rule saved", "Regla guardada").to_owned();
                            return Some(self.recon_write(vec![], what, Some(rule)));
                        }
                    }
                    KeyCode::Char('n' | 'N') | KeyCode::Esc => self.views.recon.mode = Mode::Browse,
                    _ => {}
                }
                Some(vec![])
            }
            Mode::Splitting(mut text) => {
                use crate::tui::line_input::{self, Edit};
                match line_input::edit(&mut text, key, 200, line_input::any) {
                    Edit::Cancel => self.views.recon.mode = Mode::Browse,
                    Edit::Submit => {
                        let Some((l, b)) = self.recon_selected() else {
                            self.views.recon.mode = Mode::Browse;
                            return Some(vec![]);
                        };
                        match crate::reconcile::parse_parts([text.as_str()]) {
                            Ok(named) => {
                                let allocations = b.allocations(named);
                                let what = format!(
                                    "{} {}: {}",
                                    self.lang.pick("Split line", "Repartido el movimiento"),
                                    l.id,
                                    parts(&allocations)
                                );
                                self.views.recon.mode = Mode::Browse;
                                let a = crate::reconcile::accept(&allocations, &l);
                                return Some(self.recon_write(vec![a], what, None));
                            }
                            // The text stays for the user to mend.
                            Err(e) => {
                                self.say(e, true);
                                self.views.recon.mode = Mode::Splitting(text);
                            }
                        }
                    }
                    Edit::Changed | Edit::Ignored => self.views.recon.mode = Mode::Splitting(text),
                }
                Some(vec![])
            }
        }
    }
}

fn parts(a: &[Allocation]) -> String {
    a.iter()
        .map(|a| format!("{} {}", clean(&a.number), crate::numbers::fixed(a.amount, 2)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table of the status shown, the pane of the selected line, the balances.
pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let es = app.lang == crate::locale::Lang::Es;
    let t = |en, es| app.lang.pick(en, es);
    let th = &app.theme;
    let f = &d.fmt;
    let r = &app.views.recon;
    let pane_h = if area.height >= 24 { 8 } else { 6 };
    let [table, pane, footer] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(pane_h), Constraint::Length(1)]).areas(area);
    let Some((_, bench)) = r.bench.as_ref().filter(|(id, _)| *id == d.company.id) else {
        Paragraph::new(Line::from(Span::styled(
            t("Reading the reconciliation…", "Leyendo la conciliación…"),
            th.muted,
        )))
        .block(block(t("Reconciliation", "Conciliación"), th))
        .render(area, buf);
        return;
    };
    let lines = r.lines(d.company.id, &app.views.filter);
    let total = lines.len();
    let reading = if r.loading { " …" } else { "" };
    let title = format!(
        "{} · {} ({total}{reading}){}  v {}",
        t("Lines", "Movimientos"),
        r.show.label(es),
        if app.views.filter.is_empty() && !app.views.filtering {
            String::new()
        } else {
            format!(
                " /{}{}",
                clean(&app.views.filter),
                if app.views.filtering { "▏" } else { "" }
            )
        },
        t("next", "siguiente")
    );
    let narrow = table.width < 100;
    let h_amount = format!("{} ({})", t("Amount", "Importe"), clean(&d.company.currency));
    let mut headers = vec![t("Date", "Fecha"), t("Description", "Concepto")];
    let mut widths = vec![Constraint::Length(10), Constraint::Min(16)];
    if !narrow {
        headers.insert(1, t("Account", "Cuenta"));
        widths.insert(1, Constraint::Length(14));
    }
    headers.push(&h_amount);
    widths.push(Constraint::Length(14));
    headers.push(t("Match", "Conciliación"));
    widths.push(Constraint::Length(if narrow { 12 } else { 24 }));
    let selected = app.row().min(total.saturating_sub(1));
    LazyTable {
        title: &title,
        headers,
        widths,
        total,
        selected,
    }
    .render(buf, table, th, |i| {
        let l = lines[i];
        let mut row = super::bank::line_cells(th, narrow, l.date, &l.description, &l.counterparty, &l.account);
        row.push(right(
            f.amount(l.amount),
            if l.amount < Decimal::ZERO { th.bad } else { th.good },
        ));
        let state = match bench.status(l) {
            Status::Matched => t("matched", "conciliado").to_owned(),
            Status::Proposed => bench.proposal(l.id).map_or(String::new(), |p| p.tier.name().to_owned()),
            Status::Categorised => crate::company::categorise(&bench.rules, l)
                .1
                .map_or(String::new(), |c| category_label(Some(c), es).to_owned()),
            Status::Unmatched => t("—", "—").to_owned(),
        };
        row.push(left(state, th.muted));
        row
    });

    // The pane: what the selected line is, and what can be done with it.
    let mut text: Vec<Line> = Vec::new();
    let l = lines.get(selected).copied();
    match (&r.mode, l) {
        (Mode::Picking(i), Some(l)) => {
            text.push(Line::from(Span::styled(
                format!(
                    "{} {} — ↑↓ Enter · Esc",
                    t("Category of line", "Categoría del movimiento"),
                    l.id
                ),
                th.accent,
            )));
            let room = pane_h.saturating_sub(3) as usize;
            let start = i.saturating_sub(room.saturating_sub(1));
            for (k, c) in CHOICES.iter().enumerate().skip(start).take(room) {
                let style = if k == *i { th.selected } else { th.base };
                text.push(Line::from(Span::styled(format!("  {}", category_label(*c, es)), style)));
            }
        }
        // The line has left the list it was in (it is categorised now): named by its id.
        (Mode::OfferRule { category, line_id }, _) if bench.line(*line_id).is_some() => {
            let words: Vec<&str> = bench
                .line(*line_id)
                .map(|l| l.description.split_whitespace().take(3).collect())
                .unwrap_or_default();
            text.push(Line::from(Span::styled(
                format!(
                    "{} “{}” → {}? y / n",
                    t(
                        "Keep a rule for lines starting",
                        "¿Guardar una regla para los movimientos que empiezan con"
                    ),
                    clean(&words.join(" ")),
                    category_label(Some(*category), es)
                ),
                th.accent,
            )));
        }
        (Mode::Splitting(s), Some(l)) => {
            text.push(Line::from(Span::styled(
                format!(
                    "{} {} ({}) — {}",
                    t("Split line", "Repartir el movimiento"),
                    l.id,
                    f.amount(l.amount),
                    t("NUMBER=AMOUNT, … then Enter · Esc", "FACTURA=IMPORTE, … y Enter · Esc")
                ),
                th.accent,
            )));
            text.push(Line::from(Span::styled(format!("> {}▏", clean(s)), th.base)));
        }
        (_, Some(l)) => {
            text.push(Line::from(Span::styled(
                [l.description.as_str(), l.counterparty.as_str()]
                    .iter()
                    .filter(|x| !x.is_empty())
                    .fold(format!("{} {}", t("Line", "Movimiento"), l.id), |acc, x| {
                        format!("{acc} · {}", clean(x))
                    }),
                th.base,
            )));
            match bench.status(l) {
                Status::Proposed => {
                    if let Some(p) = bench.proposal(l.id) {
                        text.push(Line::from(Span::styled(
                            format!(
                                "{}: {} — {}",
                                t("Proposal", "Propuesta"),
                                p.tier.name(),
                                clean(&p.reason.text(es))
                            ),
                            th.accent,
                        )));
                        for a in &p.allocations {
                            text.push(Line::from(Span::styled(
                                format!(
                                    "  {} · {} · {}",
                                    clean(&a.number),
                                    clean(&a.customer),
                                    f.amount(a.amount)
                                ),
                                th.base,
                            )));
                        }
                    }
                }
                Status::Matched => {
                    for p in bench.input.payments.iter().filter(|p| p.line_id == Some(l.id)) {
                        text.push(Line::from(Span::styled(
                            format!(
                                "  {} {} · {}{}",
                                t("pays", "paga"),
                                clean(&p.number),
                                f.amount(p.amount),
                                if p.confirms.is_some() {
                                    t(" (confirms the CFDI)", " (confirma el CFDI)")
                                } else {
                                    ""
                                }
                            ),
                            th.good,
                        )));
                    }
                }
                Status::Categorised => {
                    let (rule, c) = crate::company::categorise(&bench.rules, l);
                    let by = if l.category.is_some() {
                        t("set by hand", "puesta a mano").to_owned()
                    } else {
                        format!(
                            "{} “{}”",
                            t("rule", "regla"),
                            clean(rule.map_or("", |r| r.name.as_str()))
                        )
                    };
                    text.push(Line::from(Span::styled(
                        format!("  {} ({by})", category_label(c, es)),
                        th.base,
                    )));
                }
                Status::Unmatched => text.push(Line::from(Span::styled(
                    t(
                        "  Nothing fits: s splits it over invoices, c gives it a category",
                        "  Nada coincide: s lo reparte entre facturas, c le da una categoría",
                    ),
                    th.muted,
                ))),
            }
        }
        (_, None) => text.push(Line::from(Span::styled(
            t("No lines here.", "No hay movimientos aquí."),
            th.muted,
        ))),
    }
    let keys = t(
        "Enter accept · x reject · u undo · c category · s split · v view",
        "Enter acepta · x rechaza · u deshace · c categoría · s reparte · v vista",
    );
    Paragraph::new(text)
        .wrap(Wrap { trim: false })
        .block(block(keys, th))
        .render(pane, buf);

    // Cleared against the statement: what is still outstanding is the difference.
    let statement: Decimal = d
        .bank
        .iter()
        .filter(|a| a.currency.eq_ignore_ascii_case(&d.company.currency))
        .map(|a| a.balance)
        .sum();
    let outstanding = bench.outstanding;
    let line = format!(
        " {} {} · {} {} · {} {}",
        t("Cleared", "Conciliado"),
        f.amount(statement - outstanding),
        t("Statement", "Estado de cuenta"),
        f.amount(statement),
        t("Difference", "Diferencia"),
        f.amount(outstanding)
    );
    Paragraph::new(Line::from(Span::styled(
        crate::sanitize::fit(&line, footer.width as usize),
        if outstanding.is_zero() { th.good } else { th.muted },
    )))
    .render(footer, buf);
}
