//! Command-line definitions (clap) only; the commands live in `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "katalis", version, about = "A CFO's view of your company, in the terminal")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// Store URL: sqlite:///path/file.db, sqlite::memory: or postgres://user:pass@host:port/db
    #[arg(long, global = true, value_name = "URL")]
    pub db: Option<String>,
    /// Company to open (name or id); default: the first
    #[arg(long, global = true, value_name = "NAME")]
    pub company: Option<String>,
    /// Interface language
    #[arg(long, global = true, value_name = "en|es")]
    pub lang: Option<String>,
    /// Theme name (from themes/ or the config directory)
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the demo companies (idempotent)
    Demo,
    /// Import a CSV file (one transaction: a bad row imports nothing)
    Import(ImportArgs),
    /// Every module's metrics and the health score
    Report(ReportArgs),
    /// Planning scenarios
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Ask an advisor: advisor, pricing, growth, cashflow or collections (streams to stdout)
    Analyze {
        /// advisor, pricing, growth, cashflow or collections
        #[arg(long, value_name = "NAME")]
        agent: String,
        /// Ask again even when the same input was answered within the cache TTL
        #[arg(long)]
        no_cache: bool,
    },
    /// Check the store, migrations, AI endpoint, config and terminal
    Doctor,
    /// Write a consistent snapshot of the store to FILE
    Backup { file: PathBuf },
    /// Load a snapshot into an empty store
    Restore { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    Financials,
    Products,
    Invoices,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub kind: ImportKind,
    pub file: PathBuf,
    /// Create the company when it does not exist
    #[arg(long, requires = "currency")]
    pub create: bool,
    /// ISO 4217 currency of a new company, e.g. USD, MXN, COP
    #[arg(long, value_name = "XXX")]
    pub currency: Option<String>,
    /// Industry of a new company
    #[arg(long, default_value = "")]
    pub industry: String,
    /// Locale of a new company (decides number separators), e.g. es-MX, es-CO
    #[arg(long, default_value = "en-US")]
    pub locale: String,
    /// First month of the fiscal year of a new company (1-12)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub fiscal_year_start: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    Json,
    #[default]
    Md,
    Csv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// As-of month (must have financials); default: the latest
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// List the scenarios of the company
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Show a scenario's drivers
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Project a scenario month by month
    Project {
        name: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Make a scenario, a copy of another (default: base)
    Create {
        name: String,
        #[arg(long, default_value = "base")]
        from: String,
    },
    /// Change drivers: KEY=VALUE... (hire=M:N:COST and cash_event=M:AMOUNT:LABEL append; hires= and cash_events= clear)
    Set {
        name: String,
        #[arg(required = true, value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
    /// Delete a scenario
    Delete { name: String },
    /// Find the value of one driver that meets a target
    GoalSeek {
        name: String,
        #[arg(long)]
        driver: String,
        /// min_cash>=0 | runway_at_horizon>=N | break_even_by=K
        #[arg(long)]
        target: String,
        #[arg(long, allow_hyphen_values = true)]
        min: String,
        #[arg(long, allow_hyphen_values = true)]
        max: String,
        /// Save the value found into the scenario
        #[arg(long)]
        apply: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}
