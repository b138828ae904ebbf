//! The AI panel beside any tab: which advisor, what it has said so far, how the
//! run stands (streaming, retrying, done with tokens, cost and latency,
//! cancelled, failed), the recommendations with priority and impact, and the
//! engine's scores against the model's.

use super::app::{Action, App, Effect};
use super::data::CompanyData;
use super::keymap::Intent;
use super::markdown;
use super::widgets::block;
use crate::ai::Agent;
use crate::ai::context::AgentInput;
use crate::ai::service::AiEvent;
use crate::ai::service::Finished;
use crate::finance::Health;
use crate::locale::Lang;
use crate::sanitize::{clean, clean_text};
use crate::store::RecommendationRecord;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// An analysis for the runtime to run.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeRequest {
    pub run_id: u64,
    pub company_id: i64,
    pub company: String,
    pub health: Health,
    pub input: AgentInput,
    pub no_cache: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Nothing asked yet for this advisor (an endpoint costs money: `r` asks).
    Ready,
    Running {
        retry: Option<String>,
    },
    Done,
    Cancelled,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AiPanel {
    pub open: bool,
    pub agent: Agent,
    /// Picked by the user (else it follows the tab).
    pub chosen: bool,
    pub status: Status,
    /// What has arrived, as sent (sanitised when drawn).
    pub text: String,
    pub finished: Option<Box<Finished>>,
    /// Lines scrolled back from the end (0 keeps the end in view while text arrives).
    pub back: usize,
    /// How far back the text can scroll, as last drawn: the drawing knows the
    /// panel's size, and `update` clamps `back` with it (no layout copied there).
    pub max_back: std::cell::Cell<usize>,
    pub run_id: u64,
    /// "local" or "openai · model", for the title.
    pub label: String,
    /// The provider is the local rules (free: runs when the tab changes).
    pub local: bool,
    /// Requests are built for a JSON-schema answer.
    pub structured: bool,
    /// The question being typed, while the question line is open.
    pub asking: Option<String>,
    /// The questions asked and their answers, by company and advisor.
    pub conversations: std::collections::BTreeMap<(i64, &'static str), Vec<Turn>>,
}

/// One question, the tools it called, and the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub question: String,
    pub tool_calls: Vec<crate::ai::tools::ToolCall>,
    pub answer: String,
    /// Asked of the endpoint and not answered yet.
    pub pending: bool,
    /// Figures of the answer no metric or tool gave.
    pub unverified: Vec<String>,
}

/// A question for the configured model, with what its tools compute from.
#[derive(Debug, Clone, PartialEq)]
pub struct AskRequest {
    pub company_id: i64,
    pub agent: &'static str,
    pub question: String,
    /// Earlier questions and answers with this advisor.
    pub history: Vec<(String, String)>,
    pub report: serde_json::Value,
    pub start: crate::finance::planning::Start,
    pub drivers: crate::domain::Drivers,
    /// The stored scenarios, for `compare`.
    pub scenarios: Vec<(String, crate::domain::Drivers, crate::finance::planning::Start)>,
    pub lang: crate::locale::Lang,
    /// Answered by the local advisor's question shapes, not a model.
    pub local: bool,
    pub sep: crate::locale::Separators,
    pub currency: String,
}

impl AskRequest {
    /// The tools' view of the company, with `open` the invoices open at its
    /// as-of day (read from the store for this question).
    pub fn tools<'a>(&'a self, open: &'a [crate::domain::Invoice]) -> crate::ai::tools::ToolContext<'a> {
        crate::ai::tools::ToolContext {
            report: &self.report,
            start: self.start,
            base: &self.drivers,
            open_invoices: open,
            scenarios: &self.scenarios,
        }
    }

    /// The local advisor's answer, as the panel takes it.
    pub fn answer_locally(&self, open: &[crate::domain::Invoice]) -> super::app::Action {
        let a = crate::ai::ask::answer(&self.question, &self.tools(open), self.lang, self.sep, &self.currency);
        super::app::Action::Asked {
            company_id: self.company_id,
            agent: self.agent,
            result: Ok(a),
        }
    }
}

impl AiPanel {
    pub fn new(label: String, local: bool, structured: bool) -> AiPanel {
        AiPanel {
            open: false,
            agent: Agent::Advisor,
            chosen: false,
            status: Status::Ready,
            text: String::new(),
            finished: None,
            back: 0,
            max_back: std::cell::Cell::new(0),
            run_id: 0,
            label,
            local,
            structured,
            asking: None,
            conversations: std::collections::BTreeMap::new(),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.status, Status::Running { .. })
    }
}

impl AiPanel {
    /// Takes one event of the running analysis; when it finishes, returns the
    /// recommendations the dashboard shows (the five first by priority, then impact).
    pub fn on_event(&mut self, event: AiEvent, lang: Lang) -> Option<Vec<RecommendationRecord>> {
        match event {
            AiEvent::Text(t) => {
                self.text.push_str(&t);
                if let Status::Running { retry } = &mut self.status {
                    *retry = None;
                }
            }
            AiEvent::Retry { attempt, wait, why } => {
                self.status = Status::Running {
                    retry: Some(format!(
                        "{} {attempt} ({why}); {} {:.1} s",
                        lang.pick("attempt", "intento"),
                        lang.pick("retrying in", "reintento en"),
                        wait.as_secs_f64()
                    )),
                };
            }
            AiEvent::Done(done) => {
                if !done.cached {
                    crate::diagnostics::ai_run(
                        std::time::Duration::from_millis(done.latency_ms.max(0) as u64),
                        done.prompt_tokens,
                        done.completion_tokens,
                        done.cost,
                    );
                }
                self.text = done.text.clone();
                let mut recs: Vec<RecommendationRecord> = done
                    .result
                    .recommendations()
                    .iter()
                    .map(RecommendationRecord::from)
                    .collect();
                recs.sort_by(|a, b| a.priority.cmp(&b.priority).then(b.impact_score.cmp(&a.impact_score)));
                recs.truncate(5);
                self.finished = Some(done);
                self.status = Status::Done;
                return Some(recs);
            }
            AiEvent::Failed { error, partial } => {
                if self.text.is_empty() {
                    self.text = partial;
                }
                self.status = Status::Failed(error);
            }
        }
        None
    }

    /// Asks the panel's advisor about `d`, cancelling a run in flight.
    pub fn start(&mut self, d: &CompanyData, lang: Lang, no_cache: bool) -> Vec<Effect> {
        let input = crate::ai::context::build(self.agent, lang, &d.facts(), self.structured);
        let mut effects = Vec::new();
        if self.running() {
            effects.push(Effect::CancelAnalysis(self.run_id));
        }
        self.run_id += 1;
        self.status = Status::Running { retry: None };
        self.text.clear();
        self.finished = None;
        self.back = 0;
        effects.push(Effect::Analyze(Box::new(AnalyzeRequest {
            run_id: self.run_id,
            company_id: d.company.id,
            company: d.company.name.clone(),
            health: d.snapshot.health.clone(),
            input,
            no_cache,
        })));
        effects
    }

    /// The panel after the advisor or the company changed: the local rules run at
    /// once (free); an endpoint waits for `r`.
    pub fn reset(&mut self, d: Option<&CompanyData>, lang: Lang) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.running() {
            effects.push(Effect::CancelAnalysis(self.run_id));
            self.run_id += 1;
        }
        self.text.clear();
        self.finished = None;
        self.status = Status::Ready;
        if self.local
            && let Some(d) = d
        {
            effects.extend(self.start(d, lang, false));
        }
        effects
    }

    /// Stops the run in flight; what arrived stays.
    pub fn cancel(&mut self) -> Vec<Effect> {
        let id = self.run_id;
        self.run_id += 1;
        self.status = Status::Cancelled;
        vec![Effect::CancelAnalysis(id)]
    }
}

/// Where the panel goes: beside the tab when there is room, else below it.
pub fn split(area: Rect) -> (Rect, Rect) {
    if area.width >= 100 {
        let [main, panel] = Layout::horizontal([Constraint::Min(50), Constraint::Percentage(42)]).areas(area);
        (main, panel)
    } else {
        let [main, panel] = Layout::vertical([Constraint::Percentage(45), Constraint::Min(8)]).areas(area);
        (main, panel)
    }
}

/// The body lines at `width`, for drawing and for scrolling.
pub fn body_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let p = &app.ai;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let unverified: Vec<String> = p
        .finished
        .as_ref()
        .map(|f| f.unverified.iter().map(|u| clean(&u.text)).collect())
        .unwrap_or_default();
    let mut lines = if p.text.is_empty() {
        let hint = match &p.status {
            Status::Ready => match app.keymap.label(Intent::AiRerun) {
                Some(k) => format!("{k} {}", t("asks this advisor.", "consulta a este asesor.")),
                None => String::new(),
            },
            Status::Running { .. } => t("Waiting for the first words…", "Esperando las primeras palabras…").to_owned(),
            _ => String::new(),
        };
        vec![Line::from(Span::styled(hint, th.muted))]
    } else {
        markdown::render(&clean_text(&p.text, true), width, th, &unverified)
    };
    if let Some(f) = &p.finished {
        if !f.unverified.is_empty() {
            lines.push(Line::from(""));
            lines.extend(markdown::paragraph(
                &format!(
                    "{} {}",
                    t(
                        "? unverified: these figures match nothing Katalis computed:",
                        "? sin verificar: estas cifras no coinciden con nada que Katalis calculó:"
                    ),
                    unverified.join(", ")
                ),
                width,
                th.warn,
            ));
        }
        let diffs: Vec<String> = f
            .scores
            .iter()
            .filter(|c| c.model != c.engine)
            .map(|c| {
                format!(
                    "{} {} ({} {})",
                    c.name,
                    c.engine,
                    t("model said", "el modelo dijo"),
                    c.model
                )
            })
            .collect();
        if !diffs.is_empty() {
            lines.extend(markdown::paragraph(
                &format!(
                    "{} {}",
                    t("Engine scores kept:", "Se usan los puntajes del motor:"),
                    diffs.join("; ")
                ),
                width,
                th.muted,
            ));
        }
        let recs = f.result.recommendations();
        if !recs.is_empty() {
            lines.push(Line::from(""));
            let title = if f.from_rules {
                t(
                    "Recommendations (Katalis' local rules; the model answered in text)",
                    "Recomendaciones (reglas locales de Katalis; el modelo respondió en texto)",
                )
            } else {
                t("Recommendations", "Recomendaciones")
            };
            lines.push(Line::from(Span::styled(title, th.title)));
            let mut md = String::new();
            for (i, r) in recs.iter().enumerate() {
                md.push_str(&format!(
                    "{}. **{}** (P{} · {} {}) — {}\n",
                    i + 1,
                    clean(&r.title),
                    r.priority,
                    t("impact", "impacto"),
                    r.impact_score,
                    clean(&r.description)
                ));
            }
            lines.extend(markdown::render(&md, width, th, &unverified));
        }
    }
    // The questions asked of this advisor about this company, oldest first.
    let turns = app
        .data
        .as_ref()
        .and_then(|d| p.conversations.get(&(d.company.id, p.agent.key())));
    for turn in turns.into_iter().flatten() {
        lines.push(Line::from(""));
        lines.extend(markdown::paragraph(
            &format!("› {}", clean(&turn.question)),
            width,
            th.accent,
        ));
        for c in &turn.tool_calls {
            let args = clean(&c.arguments.to_string());
            lines.extend(markdown::paragraph(&format!("→ {}({args})", c.name), width, th.muted));
        }
        if turn.pending {
            // What has arrived so far, then the sign that more is coming.
            if !turn.answer.is_empty() {
                let partial = crate::sanitize::clean_text(&turn.answer, true);
                lines.extend(markdown::render(&partial, width, th, &[]));
            }
            lines.push(Line::from(Span::styled(
                t("● the advisor is working it out…", "● el asesor lo está calculando…"),
                th.muted,
            )));
            continue;
        }
        let answer = crate::sanitize::clean_text(&turn.answer, true);
        lines.extend(markdown::render(&answer, width, th, &turn.unverified));
    }
    lines
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let p = &app.ai;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let title = format!("{} · {} · {}", t("AI", "IA"), p.agent.title(app.lang), clean(&p.label));
    let b = block(&title, th);
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height < 2 || inner.width < 10 {
        return;
    }
    let [status_area, body_area, keys_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    let (status, style) = match &p.status {
        Status::Ready => (t("ready", "listo").to_owned(), th.muted),
        Status::Running { retry: None } => (
            t("● streaming… Esc cancels", "● recibiendo… Esc cancela").to_owned(),
            th.accent,
        ),
        Status::Running { retry: Some(r) } => (clean(r), th.warn),
        Status::Cancelled => (
            t(
                "■ cancelled — the partial text is kept",
                "■ cancelado — se conserva el texto parcial",
            )
            .to_owned(),
            th.warn,
        ),
        Status::Failed(e) => (format!("✗ {}", clean(e)), th.bad),
        Status::Done => {
            let f = p.finished.as_deref();
            let tokens = f.map_or_else(String::new, |f| match (f.prompt_tokens, f.completion_tokens) {
                (Some(a), Some(b)) => format!("{a}+{b} tok{}", if f.estimated { "≈" } else { "" }),
                _ => "tok —".into(),
            });
            let cost = f.and_then(|f| f.cost).map_or_else(
                || t("no cost", "sin costo").to_owned(),
                |c| format!("{} {}", t("cost", "costo"), c.normalize()),
            );
            let when = f.map_or(0, |f| f.latency_ms);
            let cached = if f.is_some_and(|f| f.cached) {
                t(" · cache", " · caché")
            } else {
                ""
            };
            (format!("✓ {tokens} · {when} ms · {cost}{cached}"), th.good)
        }
    };
    let status: String = status.chars().take(status_area.width as usize).collect();
    Paragraph::new(status).style(style).render(status_area, buf);
    let lines = body_lines(app, body_area.width as usize);
    let h = body_area.height as usize;
    let max_start = lines.len().saturating_sub(h);
    p.max_back.set(max_start);
    let start = max_start.saturating_sub(p.back);
    let shown: Vec<Line> = lines.into_iter().skip(start).take(h).collect();
    Paragraph::new(shown).style(th.base).render(body_area, buf);
    let rest = app.keymap.hints(
        &[
            Intent::AiAgent,
            Intent::AiRerun,
            Intent::AiScrollUp,
            Intent::AiScrollDown,
        ],
        app.lang,
    );
    if let Some(q) = &p.asking {
        // The question line: what is typed, and how to send or leave it.
        let line = format!(
            "{} {}▏  {}",
            t("Ask:", "Pregunta:"),
            clean(q),
            t("Enter asks · Esc closes", "Enter pregunta · Esc cierra")
        );
        Paragraph::new(line).style(th.accent).render(keys_area, buf);
        return;
    }
    let rest = format!(
        "{rest} · {}",
        app.keymap.hints(&[Intent::AiAsk, Intent::AiClear], app.lang)
    );
    let keys = match app.keymap.label(Intent::AiPanel) {
        Some(k) => format!("{k} {} · {rest}", t("close", "cerrar")),
        None => rest,
    };
    Paragraph::new(keys).style(th.muted).render(keys_area, buf);
}

/// The agent chooser.
pub fn chooser(app: &App, area: Rect, buf: &mut Buffer, selected: usize) {
    let r = super::render::popup(area, 40, Agent::ALL.len() as u16 + 2);
    ratatui::widgets::Clear.render(r, buf);
    let lines: Vec<Line> = Agent::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let style = if i == selected {
                app.theme.selected
            } else {
                app.theme.base
            };
            Line::from(Span::styled(format!(" {} ", a.title(app.lang)), style))
        })
        .collect();
    Paragraph::new(lines)
        .block(block(app.lang.pick("Advisor", "Asesor"), &app.theme))
        .render(r, buf);
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

/// The AI conversation, as the app's actions and keys drive it.
impl App {
    /// A streamed piece of an answer, a saved conversation, a finished answer.
    pub(super) fn on_ai_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
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
            _ => vec![],
        }
    }

    /// A key on the question line: the one line editor; Enter asks.
    pub(super) fn on_question_key(&mut self, key: &crossterm::event::KeyEvent) -> Vec<Effect> {
        use super::line_input::{self, Edit};
        let Some(q) = self.ai.asking.as_mut() else {
            return vec![];
        };
        match line_input::edit(q, key, 500, line_input::any) {
            Edit::Cancel => self.ai.asking = None,
            Edit::Submit => {
                let question = q.trim().to_owned();
                self.ai.asking = None;
                if !question.is_empty() {
                    return self.ask(&question);
                }
            }
            Edit::Changed | Edit::Ignored => {}
        }
        vec![]
    }

    pub(super) fn on_ai_event(&mut self, event: crate::ai::service::AiEvent) {
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
    pub(super) fn ask(&mut self, question: &str) -> Vec<Effect> {
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

    pub(super) fn ai_reset(&mut self) -> Vec<Effect> {
        self.ai.reset(self.data.as_deref(), self.lang)
    }

    pub(super) fn ai_cancel(&mut self) -> Vec<Effect> {
        self.ai.cancel()
    }
}
