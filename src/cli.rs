//! Command-line definitions (clap) only; the commands live in `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "katalis",
    version,
    about = "A CFO's view of your company, in the terminal",
    long_about = "A CFO's view of your company, in the terminal.\n\nWithout a command, opens the full-screen interface (on an empty store it offers the demo companies first); when stdout is not a terminal it prints the dashboard report instead.",
    after_help = "Defaults: the store is --db, else KATALIS_DATABASE_URL, else database_url in config.toml, else katalis.db in the platform data directory (created on first run; DATABASE_URL is ignored on purpose). The language is --lang, else KATALIS_LANG, else the config, else LANG.\n\nExamples:\n  katalis                                  the interface, on the embedded store\n  katalis demo                             load three demo companies\n  katalis report --company \"Tallo Analytics\" --format json\n  katalis import invoices books.xlsx --company Tallo --map number=Folio --date-format DD/MM/YYYY\n  katalis --db postgres://ana@127.0.0.1/katalis doctor\n\nDocumentation: README.md and docs/ in the repository; `katalis man` writes the manual page."
)]
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
    /// Company to open (name or id); default: the one last opened in the interface on this store, else the first
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
    /// Import books: CSV, spreadsheets, journals or CFDI (one transaction: a bad row imports nothing)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Every module's metrics and the health score
    Report(ReportArgs),
    /// A view's whole table (as filtered) as CSV or XLSX, with the columns the screen shows
    #[command(
        after_help = "Examples:\n  katalis export collections --format xlsx --out receivables.xlsx\n  katalis export profitability --as-of 2026-06 > margins.csv\n  katalis export compare --scenario \"Hire 2\" --format xlsx --out compare.xlsx"
    )]
    Export(ExportArgs),
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
    /// Ask the advisors a question; the engine answers it (what-if, goal seek, whom to call, why the score)
    #[command(
        after_help = "Examples:\n  katalis ask \"what if we hire 2 engineers at 6000 a month from 2027-01?\"\n  katalis ask \"¿a quién cobro primero?\" --format json\n  katalis ask \"how much must prices rise to break even by Q3?\""
    )]
    Ask {
        /// The question, in English or Spanish
        question: String,
        /// advisor, pricing, growth, cashflow or collections (the local advisor answers for all)
        #[arg(long, value_name = "NAME", default_value = "advisor")]
        agent: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// The weekly cash forecast (13 weeks by default), as the Cash flow tab shows it
    #[command(after_help = "Example:\n  katalis forecast --floor 25000 --format json > forecast-$(date +%F).json")]
    Forecast(ForecastArgs),
    /// KPI targets of the company: any key of `report --format json`
    #[command(subcommand)]
    Target(TargetCommand),
    /// Alerts, targets and the forecast's floor: one line per miss; exit 3 when something misses
    #[command(
        after_help = "Example (cron):\n  katalis check --all || notify-send \"Katalis\" \"a target or alert needs you\""
    )]
    Check {
        /// Every company of the store
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Check the store, migrations, AI endpoint, config and terminal
    Doctor,
    /// Shell completions on stdout: bash, zsh, fish, powershell or elvish
    #[command(
        after_help = "Install (bash):\n  katalis completions bash > ~/.local/share/bash-completion/completions/katalis"
    )]
    Completions { shell: clap_complete::Shell },
    /// The manual page (roff) on stdout
    #[command(after_help = "Install:\n  katalis man > ~/.local/share/man/man1/katalis.1")]
    Man,
    /// Apply the store's migrations (with PostgreSQL: as the role that owns the schema)
    Migrate,
    /// Company members and their roles (PostgreSQL): owner, analyst, viewer
    #[command(subcommand)]
    Members(MembersCommand),
    /// Who changed what and when, oldest first (of --company, else every company you see)
    Audit {
        /// From this date or instant (YYYY-MM-DD or RFC 3339)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Bank accounts and their statement lines (imported with `import statement`)
    #[command(subcommand)]
    Bank(BankCommand),
    /// Match bank receipts to open invoices: proposals, --auto, accept, reject, undo
    #[command(args_conflicts_with_subcommands = true, after_help = RECONCILE_EXAMPLES)]
    Reconcile(ReconcileArgs),
    /// Rules that categorise bank lines: store them, test them on the lines
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Groups of companies consolidated in one currency: create, add, remove, delete, list, report
    #[command(subcommand, after_help = GROUP_EXAMPLES)]
    Group(GroupCommand),
    /// Exchange rates (import, set, list, missing) and the exposure to the invoices' currencies
    #[command(subcommand, after_help = FX_EXAMPLES)]
    Fx(FxCommand),
    /// Write a consistent snapshot of the store to FILE
    Backup { file: PathBuf },
    /// Load a snapshot into an empty store
    Restore { file: PathBuf },
}

/// What `import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Monthly financials from a CSV, .xlsx or .ods file
    #[command(after_help = TABLE_EXAMPLES)]
    Financials(TableArgs),
    /// Products from a CSV, .xlsx or .ods file
    #[command(after_help = TABLE_EXAMPLES)]
    Products(TableArgs),
    /// Invoices from a CSV, .xlsx or .ods file
    #[command(after_help = TABLE_EXAMPLES)]
    Invoices(TableArgs),
    /// Monthly financials from an hledger, ledger or beancount journal
    #[command(
        after_help = "Example:\n  katalis import journal books.journal --company Acme --dry-run\n  \
        katalis import journal books.beancount --company Acme --accounts accounts.toml"
    )]
    Journal(JournalArgs),
    /// Invoices, payments and credit notes from Mexican CFDI 4.0: XML files, folders, the SAT's zips
    #[command(after_help = "Example:\n  katalis import cfdi ~/sat/2025 --company \"Tallo\" --rfc TAL010101AB1")]
    Cfdi(CfdiArgs),
    /// Bank statement lines: CSV, .xlsx/.ods, OFX/QFX, camt.053 or MT940
    #[command(after_help = STATEMENT_EXAMPLES)]
    Statement(StatementArgs),
}

const STATEMENT_EXAMPLES: &str = "Examples:\n  \
    katalis import statement movimientos.csv --company Acme --account \"BBVA 1234\" --create-account\n  \
    katalis import statement estado.xlsx --company Acme --account \"BBVA 1234\" --date-format DD/MM/YYYY\n  \
    katalis import statement nov.ofx dic.ofx --company Acme --account \"Chase\"\n  \
    katalis import statement camt053.xml --company Acme --account \"Santander\" --dry-run";

/// `import statement`.
#[derive(Debug, Args)]
pub struct StatementArgs {
    /// Statement files of one account (overlapping downloads are fine: a line is stored once)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The bank account, by the name you give it
    #[arg(long, value_name = "ACCOUNT")]
    pub account: String,
    /// Create the account when it does not exist
    #[arg(long)]
    pub create_account: bool,
    /// The new account's currency (default: the company's, or the file's)
    #[arg(long, value_name = "XXX", requires = "create_account")]
    pub currency: Option<String>,
    /// The file's format (default: from its content and extension)
    #[arg(long, value_enum)]
    pub format: Option<StatementFormat>,
    #[command(flatten)]
    pub table: MapOptions,
    /// Print the lines it would import and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatementFormat {
    Csv,
    Xlsx,
    Ods,
    Ofx,
    Camt053,
    Mt940,
}

/// `katalis bank`.
#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// The company's bank accounts: balance, as-of date, lines
    Accounts {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Statement lines in booking order
    Lines {
        /// One account (default: all)
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
        /// From this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// To this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = LinesFormat::Text)]
        format: LinesFormat,
    },
}

const FX_EXAMPLES: &str = "Examples:\n  \
    katalis fx import tipo-de-cambio.csv                  Banxico SIE's CSV (or its API JSON)\n  \
    katalis fx import eurofxref-hist.csv --dry-run        the ECB's history: what would be added\n  \
    katalis fx set 2024-03-29 USD/MXN 16.5497             one rate by hand\n  \
    katalis fx list --pair USD/MXN --from 2024-01-01\n  \
    katalis fx missing --company Acme                     the rates Acme's figures lack\n  \
    katalis fx exposure --company Acme --as-of 2024-06 --format json";

const GROUP_EXAMPLES: &str = "Examples:\n  \
    katalis group create Holding --currency USD --member \"Acme Inc\" --member \"Acme México\"\n  \
    katalis group add Holding --intercompany \"ACME HOLDING INC\"\n  \
    katalis group list\n  \
    katalis group report Holding --as-of 2024-06 --format json\n  \
    katalis group report Holding --intercompany-cost cogs --format html --out pack.html";

/// Where an intercompany purchase sat in the buyer's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum IntercompanyCostArg {
    #[default]
    Opex,
    Cogs,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group: its currency and its member companies
    Create {
        name: String,
        /// The currency the members are consolidated in (ISO 4217)
        #[arg(long, value_name = "XXX")]
        currency: String,
        /// A member company, by name or id (repeat)
        #[arg(long = "member", value_name = "COMPANY", required = true)]
        members: Vec<String>,
        /// A customer name (or RFC) that is the group's own besides its members' names (repeat)
        #[arg(long, value_name = "NAME")]
        intercompany: Vec<String>,
    },
    /// Add members or intercompany names to a group
    Add {
        name: String,
        #[arg(long = "member", value_name = "COMPANY")]
        members: Vec<String>,
        #[arg(long, value_name = "NAME")]
        intercompany: Vec<String>,
    },
    /// Remove members or intercompany names from a group
    Remove {
        name: String,
        #[arg(long = "member", value_name = "COMPANY")]
        members: Vec<String>,
        #[arg(long, value_name = "NAME")]
        intercompany: Vec<String>,
    },
    /// Delete a group (its companies stay)
    Delete { name: String },
    /// The groups this login may read
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// The group's consolidated report: the keys of `report`, plus members, rates and eliminations
    Report {
        name: String,
        /// As-of month every member has (default: the latest they all have)
        #[arg(long, value_name = "YYYY-MM")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
        /// Where intercompany purchases sat in the buyers' books
        #[arg(long, value_enum, default_value_t = IntercompanyCostArg::Opex)]
        intercompany_cost: IntercompanyCostArg,
        /// Write to FILE instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Which reader `fx import` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateSource {
    /// Banxico SIE: its CSV export or its API JSON
    Banxico,
    /// The ECB's eurofxref-hist.csv (units per euro)
    Ecb,
    /// date,base,quote,rate
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum FxCommand {
    /// Read a rates file (offline): Banxico SIE CSV or JSON, the ECB's history, or date,base,quote,rate
    Import {
        file: PathBuf,
        /// The file's kind (default: told from its first lines)
        #[arg(long, value_enum)]
        source: Option<RateSource>,
        /// Read and check only: say what would be added, write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Set one rate: on DATE one BASE is worth RATE QUOTE
    Set {
        /// YYYY-MM-DD
        date: String,
        /// BASE/QUOTE, e.g. USD/MXN
        pair: String,
        /// A decimal above 0
        rate: String,
    },
    /// The rates held, by pair and day
    List {
        /// One pair, e.g. USD/MXN (its inverse is listed too)
        #[arg(long, value_name = "BASE/QUOTE")]
        pair: Option<String>,
        /// From this day (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// To this day (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// The rates the company's figures need and the store lacks: month ends of open foreign invoices
    Missing {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// What the invoices in other currencies are worth at a month end, and the gains realised
    Exposure {
        /// The month end (default: the latest month of financials)
        #[arg(long, value_name = "YYYY-MM")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

const RECONCILE_EXAMPLES: &str = "Examples:\n  \
    katalis reconcile --company Acme                      proposals for the unmatched receipts\n  \
    katalis reconcile --company Acme --auto               accept the reference and payer matches\n  \
    katalis reconcile accept 1734 --company Acme          accept line 1734's proposal\n  \
    katalis reconcile accept 1734 --invoice F-0012=800 --invoice F-0013=200\n  \
    katalis reconcile undo 1734 --company Acme";

/// `katalis reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub action: Option<ReconcileCommand>,
    /// One account's lines (default: every account's)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Accept the `reference` and `payer` proposals (`partial` and `amount` stay proposals)
    #[arg(long)]
    pub auto: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Categorisation rules (TOML) instead of the company's stored or the configuration's
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReconcileCommand {
    /// Apply a receipt to invoices: its proposal, or the --invoice parts given
    Accept {
        line_id: i64,
        /// An invoice and the part of the receipt it gets (repeat to split)
        #[arg(long = "invoice", value_name = "NUMBER=AMOUNT")]
        invoices: Vec<String>,
    },
    /// Reject a line's proposal: it is not proposed again (until undone)
    Reject { line_id: i64 },
    /// Remove what was decided for a line: its payments, rejection and category
    Undo { line_id: i64 },
    /// Set a line's category by hand (wins over the rules); `none` removes it
    Category {
        line_id: i64,
        /// revenue, cogs, opex, sales_marketing, other_income, financing, transfer, ignore or none
        category: String,
    },
}

/// `katalis rules`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Store FILE as the company's rules (they then win over the configuration's rules.toml)
    Import { file: PathBuf },
    /// Print the company's stored rules
    Show,
    /// Remove the company's stored rules
    Clear,
    /// Print each line with the rule that catches it and its category
    Test {
        /// One account's lines (default: every account's)
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
        /// Rules (TOML) to test instead of the company's
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinesFormat {
    Text,
    Json,
    Csv,
}

const TABLE_EXAMPLES: &str = "Examples:\n  katalis import financials financials.csv --company Acme\n  \
    katalis import financials libro.xlsx --company Acme --sheet Resumen --map month=Mes \\\n      \
    --map revenue=\"Ventas netas\" --map cogs=\"Costo de ventas\" --map opex=Gastos \\\n      \
    --map cash_end=\"Caja al cierre\" --save-mapping libro\n  \
    katalis import financials libro-2026.xlsx --company Acme --mapping libro\n  \
    katalis import financials pnl-by-month.csv balance-by-month.csv --layout months-across --company Acme --dry-run";

/// How a new company is made when `--create` is given.
#[derive(Debug, Args, Clone)]
pub struct CreateArgs {
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

#[derive(Debug, Args)]
pub struct TableArgs {
    /// A .csv, .xlsx, .xls or .ods file
    pub file: PathBuf,
    /// More files of the same import, with --layout months-across: the balance sheet beside the P&L
    #[arg(value_name = "MORE")]
    pub more: Vec<PathBuf>,
    /// rows: one row per month (or product, or invoice); months-across: a P&L or balance
    /// sheet with months as columns and accounts as rows (financials only)
    #[arg(long, value_enum, default_value_t = Layout::Rows)]
    pub layout: Layout,
    /// With --layout months-across: a TOML file of account patterns (the same as `import journal`)
    #[arg(long, value_name = "FILE.toml")]
    pub accounts: Option<PathBuf>,
    /// Print what would be imported (and, months across, every account row and its field); write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub table: MapOptions,
    #[command(flatten)]
    pub new: CreateArgs,
}

/// How a spreadsheet or CSV's columns are read (every table import).
#[derive(Debug, Args)]
pub struct MapOptions {
    /// The sheet to read (default: the first)
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Our field = your column header (case- and accent-insensitive); repeatable
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Dates written like this pattern, e.g. DD/MM/YYYY (ISO dates and date cells are always read)
    #[arg(long, value_name = "PATTERN")]
    pub date_format: Option<String>,
    /// Text numbers use a decimal comma and dots for thousands: 1.234,56
    #[arg(long)]
    pub decimal_comma: bool,
    /// Save this mapping for the company under NAME after a successful import
    #[arg(long, value_name = "NAME", conflicts_with = "mapping")]
    pub save_mapping: Option<String>,
    /// Use the mapping saved under NAME (--map and the other options override it)
    #[arg(long, value_name = "NAME")]
    pub mapping: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    Rows,
    MonthsAcross,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JournalFormatArg {
    Hledger,
    Ledger,
    Beancount,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    pub file: PathBuf,
    /// The journal's syntax (default: from the extension; .beancount/.bean, .ledger, else hledger)
    #[arg(long, value_enum)]
    pub format: Option<JournalFormatArg>,
    /// A TOML file mapping account patterns to fields (default: the common charts)
    #[arg(long, value_name = "FILE.toml")]
    pub accounts: Option<PathBuf>,
    /// Print the months it would import and write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub new: CreateArgs,
}

#[derive(Debug, Args)]
pub struct CfdiArgs {
    /// CFDI .xml files, .zip files of them (the SAT's bulk download) or folders (read recursively)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The SAT's metadata file of the download (Uuid~…~Estatus~…): cancelled CFDI are not
    /// imported, and those imported before are removed (also found inside the zip or folder)
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Import the rest when a payment or credit note is for an invoice in neither the
    /// import nor the store, and list what was skipped (default: refuse the import)
    #[arg(long)]
    pub skip_unknown: bool,
    /// The company's RFC: CFDIs it issued become invoices and payments
    #[arg(long, value_name = "RFC")]
    pub rfc: String,
    /// Payment terms in days when CondicionesDePago gives none
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub terms: u32,
    /// Print the invoices it would import and write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub new: CreateArgs,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// How many weeks (1-52)
    #[arg(long, default_value_t = 13, value_parser = clap::value_parser!(u32).range(1..=52))]
    pub weeks: u32,
    /// The scenario whose cash events are added (base has none)
    #[arg(long, default_value = "base")]
    pub scenario: String,
    /// The cash floor (default: cash_floor in the config, else 0)
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub floor: Option<String>,
    /// As-of month (must have financials); default: the latest
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Hold METRIC to RULE: ">= 12", "<= 45" or "between 0.4 0.6"
    #[command(
        after_help = "Example:\n  katalis target set runway_months \">= 12\"\n  katalis target set collections.dso \"<= 45\""
    )]
    Set {
        metric: String,
        #[arg(allow_hyphen_values = true)]
        rule: String,
    },
    /// The targets in force (the config's and the company's) and whether they hold
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Remove the company's target for METRIC
    Remove { metric: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Owner,
    Analyst,
    Viewer,
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Give LOGIN a role in COMPANY (and the table rights it needs)
    #[command(
        after_help = "Example:\n  katalis --db postgres://admin@db/katalis members add \"Tallo\" ana --role owner\n  \
        katalis members add \"Tallo\" bruno --role viewer --create-login"
    )]
    Add {
        company: String,
        login: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Create the login role when it does not exist (needs an admin)
        #[arg(long)]
        create_login: bool,
    },
    /// Take LOGIN out of COMPANY
    Remove { company: String, login: String },
    /// The members of COMPANY and their roles
    List {
        company: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

/// The report's formats are the report's own (`report::Format`).
pub use crate::report::Format as ReportFormat;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// profitability, unit-economics, cash-months, cash-weeks, pricing, collections, call-list, compare or budget
    #[arg(value_name = "VIEW", value_parser = clap::builder::PossibleValuesParser::new(
        crate::export::sheet::Table::ALL.map(|t| t.key())))]
    pub view: String,
    /// As-of month (must have financials); default: the latest
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<String>,
    /// The Planning scenario (cash-weeks: its cash events; compare: beside base; budget: the locked one)
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Only the rows the view's `/` filter keeps (pricing, collections)
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    #[arg(long, value_name = "csv|xlsx", default_value = "csv", value_parser = ["csv", "xlsx"])]
    pub format: String,
    /// Write to FILE (through a temporary file); CSV goes to stdout without it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// As-of month (must have financials); default: the latest
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<String>,
    /// Write to FILE instead of stdout (the board pack: `--format html --out pack.html`)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Board pack: ask the configured model for the commentary (default: the local advisor)
    #[arg(long)]
    pub ai: bool,
    /// Present every figure in this currency: each month's flows at its average rate, balances at
    /// the month-end rate (see docs/currencies.md)
    #[arg(long, value_name = "XXX")]
    pub currency: Option<String>,
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
    /// Lock a scenario as the budget from a month with actuals (as L does in Planning)
    Lock {
        name: String,
        #[arg(long, value_name = "YYYY-MM")]
        from: String,
    },
    /// Budget vs actual of a locked scenario, per month, and the five worst variances
    Variance {
        name: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
    },
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
