//! The messages of the Elm-style loop: [`Action`]s in (keys, results, events),
//! [`Effect`]s out (what the runtime performs against the store and the AI).

use super::ai_panel::AnalyzeRequest;
use super::data::{CompanyData, Series};
use super::form::Record;
use super::import_dialog::{ImportRequest, ReadRequest, ReadResult};
use crate::domain::Company;
use crossterm::event::KeyEvent;

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Remember the company opened on this store for the next start.
    RememberCompany(String),
    LoadCompanies,
    /// The groups of companies (for the company chooser).
    LoadGroups,
    LoadCompany(Company),
    /// The company with its figures presented in `currency` (`$`).
    LoadPresented {
        company: Company,
        currency: String,
    },
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
    /// Read a window of the Bank tab's lines.
    LoadBankPage {
        company_id: i64,
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
    /// Write a table to a file (`X`).
    Export {
        sheet: Box<crate::tui::sheet::Sheet>,
        format: crate::export::Format,
        path: std::path::PathBuf,
    },
    /// Make the clipboard text of a table (reading the store for open invoices).
    Copy(Box<crate::tui::sheet::Sheet>),
    /// Put text on a clipboard (the runtime's: the terminal's or the system's).
    Clipboard {
        text: String,
        rows: usize,
    },
    /// Import into the current company (one transaction).
    Import(Box<ImportRequest>),
    SaveMapping {
        company_id: i64,
        mapping: crate::store::SavedMapping,
    },
    /// Read the company's reconciliation (lines, proposals, rules).
    LoadReconcile(i64),
    /// Write reconciliation decisions (one transaction), and a rule before
    /// the company's rules when one is given.
    Reconcile {
        company_id: i64,
        actions: Vec<crate::store::ReconcileAction>,
        what: String,
        rule: Option<String>,
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
    /// A click or the wheel (with `mouse = true`).
    Mouse(crossterm::event::MouseEvent),
    /// The terminal changed size: the next frame is drawn at the new one.
    Resize,
    Companies(Result<Vec<Company>, String>),
    Groups(Result<Vec<crate::domain::fx::Group>, String>),
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
    /// A window of statement lines read for the Bank tab.
    BankPage {
        company_id: i64,
        filter: String,
        offset: usize,
        result: Result<(Vec<crate::domain::StoredLine>, usize), String>,
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
    /// The reconciliation read for a company.
    ReconcileLoaded {
        company_id: i64,
        result: Result<std::sync::Arc<crate::reconcile::Bench>, String>,
    },
    /// Reconciliation decisions written (what, said), or why not.
    Reconciled(Result<String, String>),
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
    /// A table was written: rows and the path, or why not.
    Exported(Result<(usize, String), String>),
    /// The clipboard text of a table and its rows, or why there is none.
    CopyReady(Result<(String, usize), String>),
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
