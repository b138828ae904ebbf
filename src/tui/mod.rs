//! The full-screen interface. Data flows one way: terminal events and task
//! results become actions; `App::update` changes the state and asks for
//! effects; the runtime runs effects in tasks; a frame is drawn only when the
//! state changed, inside synchronized output.

pub mod ai_panel;
pub mod app;
pub mod clipboard;
pub mod component;
pub mod data;
pub mod form;
pub mod format;
pub mod headless;
pub mod hits;
pub mod import_dialog;
pub mod keymap;
pub mod line_input;
pub mod live;
pub mod markdown;
pub mod message;
pub mod overlay;
pub mod planner;
pub mod power;
pub mod render;
pub mod sheet;
pub mod svg;
pub mod theme;
pub mod views;
pub mod widgets;

use crate::config::Config;
use crate::store::{AnyStore, Store};
use app::{Action, App, Effect};
use color_eyre::eyre::{Result, eyre};
use crossterm::event::{Event, EventStream, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Restores the terminal on every way out of the interface, panics included
/// (ratatui's init also installs a panic hook that restores before printing).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Harmless when it was never enabled.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        ratatui::restore();
    }
}

/// Logs go to a file in the platform state (or data) directory, never the screen.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dirs = crate::config::project_dirs()?;
    let dir = dirs.state_dir().unwrap_or(dirs.data_dir()).to_path_buf();
    std::fs::create_dir_all(&dir).ok()?;
    // A file a day (katalis.log.YYYY-MM-DD), the last seven kept.
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("katalis.log")
        .max_log_files(7)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("KATALIS_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        // With KATALIS_LOG=debug every store and AI call is logged with its duration.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

fn perform(store: &Arc<AnyStore>, tx: &UnboundedSender<Action>, effect: Effect) {
    let store = Arc::clone(store);
    let tx = tx.clone();
    tokio::spawn(async move {
        // An import's progress bar moves while it runs: a redraw every 150 ms until it ends.
        let ticker = matches!(effect, Effect::Import(_)).then(|| {
            let tx = tx.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                    if tx.send(Action::Tick).is_err() {
                        break;
                    }
                }
            })
        });
        let action = execute(&store, effect).await;
        if let Some(t) = ticker {
            t.abort();
        }
        if let Some(action) = action {
            if let Err(e) = &action_error(&action) {
                tracing::warn!("{e}");
            }
            let _ = tx.send(action);
        }
    });
}

/// Performs one effect against the store; its result comes back as an action.
pub async fn execute(store: &AnyStore, effect: Effect) -> Option<Action> {
    let action = match effect {
        Effect::LoadCompanies => Action::Companies(store.companies().await.map_err(|e| e.to_string())),
        Effect::LoadGroups => Action::Groups(store.groups().await.map_err(|e| e.to_string())),
        Effect::SaveTurn { company_id, turn } => {
            Action::ConversationSaved(store.save_turn(company_id, &turn).await.map_err(|e| e.to_string()))
        }
        Effect::ClearConversation { company_id, agent } => Action::ConversationSaved(
            store
                .clear_conversation(company_id, agent)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
        ),
        // A group's pseudo-company (its id negated) reloads as the group.
        Effect::LoadCompany(c) if c.id < 0 => Action::Loaded(Box::new(data::load_group(store, -c.id).await)),
        Effect::LoadCompany(c) => Action::Loaded(Box::new(data::load(store, c).await)),
        Effect::LoadPresented { company, currency } => {
            Action::Loaded(Box::new(data::load_in(store, company, None, Some(&currency)).await))
        }
        Effect::Export { sheet, format, path } => Action::Exported(
            crate::export::write(store, &sheet, format, &path)
                .await
                .map(|n| (n, path.display().to_string())),
        ),
        Effect::Copy(sheet) => Action::CopyReady(copy_text(store, &sheet, clipboard::OSC52_LIMIT / 4 * 3).await),
        // The runtime's own: nothing to do against the store.
        Effect::Clipboard { .. } => return None,
        Effect::LoadDso { company_id, months } => Action::Dso {
            company_id,
            series: data::dso_trend(store, company_id, &months).await,
        },
        Effect::LoadDemo => Action::DemoLoaded(crate::demo::load(store).await.map(drop).map_err(|e| e.to_string())),
        Effect::Save(save) => {
            use form::Record;
            let id = save.company.id;
            let result = match (&save.original, &save.updated) {
                (Record::Product(o), Record::Product(u)) => store.update_product(id, o, u).await.map(|_| o.sku.clone()),
                (Record::Month(o), Record::Month(u)) => store.update_month(id, o, u).await.map(|_| o.month.to_string()),
                (Record::Invoice(o), Record::Invoice(u)) => {
                    store.update_invoice(id, o, u).await.map(|_| o.number.clone())
                }
                _ => Err(crate::store::StoreError::Conflict("mismatched edit".into())),
            };
            if result.is_ok() {
                let (target, detail) = form::describe_edit(&save.original, &save.updated);
                audit(store, id, "edit", target, detail).await;
            }
            Action::Saved(result.map_err(|e| e.to_string()))
        }
        // The app turns Reload into LoadCompany before it gets here; analyses
        // are tasks the run loop keeps (see `spawn_analysis`).
        Effect::LoadOpenPage {
            company_id,
            day,
            filter,
            offset,
        } => Action::OpenPage {
            result: store
                .open_invoice_page(company_id, day, &filter, offset, data::PAGE)
                .await
                .map_err(|e| e.to_string()),
            company_id,
            filter,
            offset,
        },
        Effect::LoadBankPage {
            company_id,
            filter,
            offset,
        } => Action::BankPage {
            result: store
                .bank_lines(company_id, &data::line_page(filter.clone(), offset))
                .await
                .map_err(|e| e.to_string()),
            company_id,
            filter,
            offset,
        },
        // The local advisor answers here; a model's question is a task the
        // run loop starts (see `spawn_question`).
        Effect::Ask(req) if req.local => match store.open_invoices(req.company_id, req.start.month.last_day()).await {
            Ok(open) => req.answer_locally(&open),
            Err(e) => Action::Asked {
                company_id: req.company_id,
                agent: req.agent,
                result: Err((e.to_string(), Vec::new(), String::new())),
            },
        },
        Effect::Reload
        | Effect::Analyze(_)
        | Effect::Ask(_)
        | Effect::CancelAnalysis(_)
        | Effect::RememberCompany(_) => return None,
        Effect::LoadReconcile(company_id) => Action::ReconcileLoaded {
            company_id,
            // Boxed: a large future, kept off the stack of whoever awaits `execute`.
            result: Box::pin(crate::reconcile::Bench::load(store, company_id, None, None))
                .await
                .map(std::sync::Arc::new)
                .map_err(|e| e.to_string()),
        },
        Effect::Reconcile {
            company_id,
            actions,
            what,
            rule,
        } => {
            let mut result = Box::pin(store.reconcile(company_id, &actions))
                .await
                .map(|_| what.clone())
                .map_err(|e| e.to_string());
            if result.is_ok()
                && let Some(rule) = &rule
            {
                result = Box::pin(crate::reconcile::add_rule(store, company_id, rule))
                    .await
                    .map(|_| what.clone());
            }
            if result.is_ok() {
                audit(store, company_id, "reconcile", "bank".to_owned(), what).await;
            }
            Action::Reconciled(result)
        }
        Effect::LoadAudit(company_id) => {
            Action::AuditLoaded(store.audit(Some(company_id), None).await.map_err(|e| e.to_string()))
        }
        Effect::ImportRead(req) => Action::ImportRead(Box::new(crate::import::source::read(store, *req).await)),
        Effect::Import(req) => {
            let what = req.describe();
            let result = import_dialog::run_import(store, *req).await;
            if let Ok((company, rows, skipped)) = &result {
                audit(
                    store,
                    company.id,
                    "import",
                    what.0,
                    format!("{}, {rows} rows, {skipped} skipped", what.1),
                )
                .await;
            }
            Action::Imported(result.map(|(c, rows, skipped)| (c.name, rows, skipped)))
        }
        Effect::SaveMapping { company_id, mapping } => {
            let result = store.save_mapping(company_id, &mapping).await;
            if result.is_ok() {
                audit(
                    store,
                    company_id,
                    "mapping",
                    format!("mapping {}", mapping.name),
                    mapping.kind.clone(),
                )
                .await;
            }
            Action::MappingSaved(result.map(|_| mapping.name.clone()).map_err(|e| e.to_string()))
        }
        Effect::SaveScenario { company_id, scenario } => {
            let result = store.save_scenario(company_id, &scenario).await;
            if let Ok(v) = &result {
                let what = if scenario.locked { "locked as budget" } else { "saved" };
                audit(
                    store,
                    company_id,
                    "scenario",
                    format!("scenario {}", scenario.name),
                    format!("{what} (version {v})"),
                )
                .await;
            }
            Action::ScenarioSaved {
                name: scenario.name.clone(),
                result: result.map_err(|e| e.to_string()),
            }
        }
        Effect::RenameScenario {
            company_id,
            from,
            to,
            version,
        } => {
            let result = store.rename_scenario(company_id, &from, &to, version).await;
            if result.is_ok() {
                audit(
                    store,
                    company_id,
                    "scenario",
                    format!("scenario {from}"),
                    format!("renamed to {to}"),
                )
                .await;
            }
            Action::ScenarioRenamed {
                result: result.map_err(|e| e.to_string()),
                from,
                to,
            }
        }
        Effect::DeleteScenario {
            company_id,
            name,
            version,
        } => {
            let result = store.delete_scenario(company_id, &name, version).await;
            if result.is_ok() {
                audit(
                    store,
                    company_id,
                    "scenario",
                    format!("scenario {name}"),
                    "deleted".into(),
                )
                .await;
            }
            Action::ScenarioDeleted {
                result: result.map_err(|e| e.to_string()),
                name,
            }
        }
    };
    Some(action)
}

/// Records a write made from the interface in the audit trail (a failure to
/// record is logged: the write itself stands).
async fn audit(store: &AnyStore, company_id: i64, action: &str, target: String, detail: String) {
    let company = match store.companies().await {
        Ok(list) => list
            .into_iter()
            .find(|c| c.id == company_id)
            .map(|c| c.name)
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let entry = crate::store::team::AuditEntry {
        company_id,
        company,
        action: action.to_owned(),
        target,
        detail,
    };
    if let Err(e) = store.record(&entry).await {
        tracing::warn!("could not record a write in the audit trail: {e}");
    }
}

/// The clipboard text of a sheet, at most `limit` bytes, and its rows.
pub async fn copy_text(store: &AnyStore, sheet: &sheet::Sheet, limit: usize) -> Result<(String, usize), String> {
    let lang = sheet.lang;
    // A row is at least a line: never more rows than bytes.
    let rows = match crate::export::collect(store, sheet, limit.min(200_000)).await? {
        Some(rows) => rows,
        None => return Err(clipboard::too_large(lang)),
    };
    let text = power::clipboard_text(sheet, &rows, limit).ok_or_else(|| clipboard::too_large(lang))?;
    Ok((text, rows.len()))
}

fn action_error(a: &Action) -> Result<(), String> {
    match a {
        Action::Companies(Err(e))
        | Action::Saved(Err(e))
        | Action::DemoLoaded(Err(e))
        | Action::ScenarioSaved { result: Err(e), .. }
        | Action::ScenarioRenamed { result: Err(e), .. }
        | Action::ScenarioDeleted { result: Err(e), .. }
        | Action::Imported(Err(e))
        | Action::MappingSaved(Err(e)) => Err(e.clone()),
        _ => Ok(()),
    }
}

/// Runs one analysis in a task whose events come back as actions; aborting the
/// task drops the request and its connection.
/// Asks the configured model a question of the panel, with the engine as its
/// tools; the answer (or why there is none) comes back as an action.
fn spawn_question(
    store: &Arc<AnyStore>,
    settings: &Arc<crate::ai::service::AiSettings>,
    tx: &UnboundedSender<Action>,
    req: Box<ai_panel::AskRequest>,
) {
    let (store, settings, tx) = (Arc::clone(store), Arc::clone(settings), tx.clone());
    tokio::spawn(async move {
        let crate::ai::service::Provider::OpenAi(ep) = &settings.provider else {
            return;
        };
        // The open invoices for the tools, read for this question only.
        let open = match store.open_invoices(req.company_id, req.start.month.last_day()).await {
            Ok(open) => open,
            Err(e) => {
                let _ = tx.send(Action::Asked {
                    company_id: req.company_id,
                    agent: req.agent,
                    result: Err((e.to_string(), Vec::new(), String::new())),
                });
                return;
            }
        };
        let cx = req.tools(&open);
        // The answer's text reaches the panel as it arrives.
        let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel();
        let agent = crate::ai::Agent::parse(req.agent).unwrap_or(crate::ai::Agent::Advisor);
        let forward = {
            let tx = tx.clone();
            let (company_id, agent) = (req.company_id, req.agent);
            async move {
                while let Some(p) = prx.recv().await {
                    if let crate::ai::openai::Progress::Text(text) = p {
                        let _ = tx.send(Action::AskText {
                            company_id,
                            agent,
                            text,
                        });
                    }
                }
            }
        };
        let ask = async {
            let r = crate::ai::ask::ask_endpoint(ep, agent, &req.question, &req.history, &cx, req.lang, &ptx)
                .await
                .map_err(|u| (u.error, u.tool_calls, u.partial));
            drop(ptx);
            r
        };
        let (result, ()) = tokio::join!(ask, forward);
        let _ = tx.send(Action::Asked {
            company_id: req.company_id,
            agent: req.agent,
            result,
        });
    });
}

fn spawn_analysis(
    store: &Arc<AnyStore>,
    settings: &Arc<crate::ai::service::AiSettings>,
    tx: &UnboundedSender<Action>,
    req: Box<ai_panel::AnalyzeRequest>,
) -> tokio::task::AbortHandle {
    let (store, settings, tx) = (Arc::clone(store), Arc::clone(settings), tx.clone());
    tokio::spawn(async move {
        let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
        let run_id = req.run_id;
        let forward = async {
            while let Some(event) = erx.recv().await {
                let _ = tx.send(Action::Ai { run_id, event });
            }
        };
        let run = async {
            let subject = crate::ai::service::Subject {
                company_id: req.company_id,
                company: &req.company,
                health: &req.health,
            };
            if let Err(e) =
                crate::ai::service::analyze(&store, &settings, &subject, &req.input, req.no_cache, &etx).await
            {
                tracing::warn!("analysis: {e}");
            }
            drop(etx);
        };
        tokio::join!(run, forward);
    })
    .abort_handle()
}

/// Runs the interface until the user quits or the process is told to stop.
pub async fn run(store: Arc<AnyStore>, cfg: &Config, keymap: keymap::Keymap, company: Option<String>) -> Result<()> {
    let _log = init_logging();
    let theme = theme::Theme::load(&cfg.theme, theme::Palette::detect()).map_err(|e| eyre!(e))?;
    let mut app = App::new(cfg.lang, theme, keymap, company);
    app.cash_floor = cfg.cash_floor;
    app.reporting_currency = cfg.reporting_currency.clone();
    app.config_targets = cfg.targets.clone();
    let settings = Arc::new(cfg.ai.clone());
    app.ai = ai_panel::AiPanel::new(
        match &cfg.ai.provider {
            crate::ai::service::Provider::Local => "local".into(),
            crate::ai::service::Provider::OpenAi(e) => format!("{} · {}", e.base_url, e.model),
        },
        matches!(cfg.ai.provider, crate::ai::service::Provider::Local),
        cfg.ai.structured_first(),
    );
    if let Some(w) = cfg.warnings.first() {
        app.message = Some((w.clone(), true));
    }
    let mut clip = clipboard::Clip::from_env();
    let mut analyses: std::collections::HashMap<u64, tokio::task::AbortHandle> = std::collections::HashMap::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for e in App::init() {
        perform(&store, &tx, e);
    }
    // Others' writes and outages, as they happen.
    let watcher = tokio::spawn(live::watch(store.clone(), tx.clone()));
    #[cfg(unix)]
    let mut term_signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut terminal = ratatui::try_init()?;
    let _guard = TerminalGuard;
    if cfg.mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    tracing::info!("interface started");
    let mut events = EventStream::new();
    loop {
        if app.dirty {
            let started = std::time::Instant::now();
            let mut out = std::io::stdout();
            crossterm::queue!(out, BeginSynchronizedUpdate)?;
            terminal.draw(|f| render::draw(&app, f))?;
            app.hits = hits::take();
            crossterm::queue!(out, EndSynchronizedUpdate)?;
            out.flush()?;
            app.dirty = false;
            crate::diagnostics::frame(started.elapsed());
        }
        let diagnostics_open = app.overlay == app::Overlay::Diagnostics;
        if app.quit {
            break;
        }
        #[cfg(unix)]
        let stop = term_signal.recv();
        #[cfg(not(unix))]
        let stop = std::future::pending::<Option<()>>();
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => Action::Key(k),
                Some(Ok(Event::Resize(_, _))) => Action::Resize,
                Some(Ok(Event::Mouse(m))) if cfg.mouse => Action::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(a) = rx.recv() => a,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)), if diagnostics_open => Action::Tick,
            _ = stop => break,
        };
        for effect in app.update(action) {
            match effect {
                Effect::Analyze(req) => {
                    analyses.retain(|_, h| !h.is_finished());
                    analyses.insert(req.run_id, spawn_analysis(&store, &settings, &tx, req));
                }
                Effect::CancelAnalysis(id) => {
                    if let Some(h) = analyses.remove(&id) {
                        h.abort();
                    }
                }
                Effect::RememberCompany(name) => crate::config::remember_company(&cfg.database_url, &name),
                Effect::Copy(sheet) => {
                    let (store, tx, limit) = (store.clone(), tx.clone(), clip.limit());
                    tokio::spawn(async move {
                        let _ = tx.send(Action::CopyReady(copy_text(&store, &sheet, limit).await));
                    });
                }
                Effect::Clipboard { text, rows } => {
                    let mut out = std::io::stdout();
                    let how = clip.copy(&text, app.lang, &mut out);
                    app.copied(rows, how);
                    app.dirty = true;
                }
                Effect::Ask(req) if !req.local => spawn_question(&store, &settings, &tx, req),
                effect => perform(&store, &tx, effect),
            }
        }
    }
    // Quitting right after a change: let the saves in flight (and the ones queued
    // behind them) reach the store before the runtime drops their tasks.
    if app.pending_writes() {
        ratatui::restore();
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.pending_writes() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(action)) => {
                for effect in app.update(action) {
                    if !matches!(effect, Effect::LoadCompany(_) | Effect::LoadDso { .. }) {
                        perform(&store, &tx, effect);
                    }
                }
            }
            _ => {
                tracing::warn!("quit with a save unconfirmed");
                break;
            }
        }
    }
    watcher.abort();
    tracing::info!("interface stopped");
    Ok(())
}
