//! Persistence: one [`Store`] trait, a SQLite and a PostgreSQL implementation,
//! chosen from the URL scheme. Money is exact in both (see the migrations).

/// Runs `$e` with `$pool` bound to an executor of whichever backend `$self`
/// is: for statements written once for both (sqlx-sqlite reads `$N`). On
/// PostgreSQL it is a session (a transaction of its own behind a pooler).
macro_rules! with_pool {
    ($self:expr, $pool:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite(s) => {
                let $pool = $crate::store::sql::Backend::pool(s);
                $e
            }
            AnyStore::Postgres(p) => {
                let mut session = $crate::store::sql::Backend::session(p).await?;
                let r = {
                    let $pool = &mut *session;
                    $e
                };
                session.done().await?;
                r
            }
        }
    };
}

mod ai_cache;
mod backup;
mod bank;
pub mod certificate;
pub mod conversations;
pub mod errors;
pub(crate) mod fx;
mod group;
mod helpers;
mod ledger;
mod payments;
mod pg_copy;
mod plans;
pub mod postgres;
mod receivables;
mod snapshot;
pub(crate) mod sql;
mod sqlite;
mod sqlite_bulk;
pub mod summaries;
pub mod team;

pub use backup::{
    AnalysisRecord, Backup, BankAccountBackup, BankImportBackup, BankLineBackup, CompanyBackup, Member,
    RecommendationRecord, SavedMapping, StoredScenario,
};
pub use postgres::{Link, PgSettings, PgStore};
pub use sql::COLLECTIONS_SQL;
pub(crate) use sql::iso_date;
pub use sqlite::SqliteStore;

use crate::domain::{
    BankAccount, Company, Invoice, Month, MonthlyFinancials, NewCompany, Product, StatementImported, StatementWrite,
    StoredLine,
};
use crate::finance::CollectionsInput;
use crate::finance::forecast::ForecastInput;
pub use bank::LineQuery;
use chrono::NaiveDate;
pub use payments::{LineFilter, Payment, ReconLine, ReconcileAction, ReconcileBackup, ReconcileInput};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Said in words by [`errors::describe`], which includes what the
    /// driver said when it matters: no source, so it is said once.
    #[error("{}", errors::describe(.0))]
    Database(sqlx::Error),
    #[error(
        "the store file {0} is read-only: nothing can be saved (check the permissions of the file and of its directory)"
    )]
    ReadOnly(String),
    #[error("another katalis is writing to the store {0} (an import?); retry when it ends")]
    Busy(String),
    #[error(
        "the store is missing migration {0}; apply it with `katalis migrate` as the role that owns the schema (your role may only use it)"
    )]
    Outdated(String),
    #[error("the database refused: {0}")]
    Forbidden(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite:///path/file.db, sqlite::memory: or postgres://user@host/db")]
    BadUrl(String),
    #[error("no company named {0:?}")]
    UnknownCompany(String),
    #[error("a company named {0:?} already exists")]
    CompanyExists(String),
    #[error("{0} is out of range for the store (at most 14 digits before the point and 4 after)")]
    OutOfRange(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("the target store is not empty: restore only loads into an empty store")]
    NotEmpty,
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Native(String),
    #[error("{0}")]
    Aborted(String),
    /// A key (month, sku, invoice number) the database found twice in one
    /// import; the import names the rows (see `import::pipeline`).
    #[error("{0:?} appears more than once in the file")]
    DuplicateKey(String),
    #[error(
        "{0} is not a Katalis store (file is not a database): check the path, or restore a backup into a new file with `katalis restore`"
    )]
    NotADatabase(String),
    #[error(
        "the store file {0} is damaged (database disk image is malformed): restore your latest backup with `katalis restore` into a new file"
    )]
    Damaged(String),
    #[error("the disk that holds {0} is full: nothing was written; free some space and try again")]
    Full(String),
    /// An invoice in another currency that could not be booked (no rate).
    #[error("{0}")]
    Book(#[from] crate::finance::fx::BookError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which company an import writes to: an existing one, or one to create in the
/// same transaction (so a failed import creates nothing either).
#[derive(Debug, Clone)]
pub enum ImportTarget {
    Existing(i64),
    Create(NewCompany),
}

pub use crate::domain::ImportBatch;

/// What a parser sends the writer of a streamed import: rows as they are
/// validated, then `End` once the whole file is known to be good. A feed that
/// closes without `End` rolls the import back.
#[derive(Debug)]
pub enum Feed {
    Rows(ImportBatch),
    End,
}

pub type FeedRx = tokio::sync::mpsc::Receiver<Feed>;

/// What a statement's reader sends its writer: lines with their keys as they
/// are checked, then `End` with the closing balance once the whole file is.
#[derive(Debug)]
pub enum StatementFeed {
    Lines(Vec<crate::domain::BankLine>, Vec<[u8; 16]>),
    End {
        closing: Option<(rust_decimal::Decimal, NaiveDate)>,
    },
}

pub type StatementRx = tokio::sync::mpsc::Receiver<StatementFeed>;

/// Migrations applied versus those this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub applied: Vec<i64>,
    pub known: Vec<i64>,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.known.iter().all(|v| self.applied.contains(v))
    }
}

/// Everything Katalis reads and writes. Each method is one consistent operation;
/// writes are one transaction each.
pub trait Store: Send + Sync {
    fn kind(&self) -> &'static str;
    fn ping(&self) -> impl Future<Output = StoreResult<Duration>> + Send;
    fn migration_status(&self) -> impl Future<Output = StoreResult<MigrationStatus>> + Send;
    fn companies(&self) -> impl Future<Output = StoreResult<Vec<Company>>> + Send;
    /// Updates a company's profile (demo reloads); creates it when missing.
    fn upsert_company(&self, c: &NewCompany) -> impl Future<Output = StoreResult<Company>> + Send;
    fn financials(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<MonthlyFinancials>>> + Send;
    fn products(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<Product>>> + Send;
    fn invoices(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<Invoice>>> + Send;
    /// Invoices open at `d` (issued by then, not fully paid by then), oldest due first.
    fn open_invoices(&self, company_id: i64, d: NaiveDate) -> impl Future<Output = StoreResult<Vec<Invoice>>> + Send;
    /// Every invoice open at `d` whose number or customer contains `filter`,
    /// oldest due first, handed to `sink` as it is read (a million of them
    /// never held at once); an error of the sink ends the read. How many.
    fn each_open_invoice(
        &self,
        company_id: i64,
        d: NaiveDate,
        filter: &str,
        sink: &mut (dyn FnMut(Invoice) -> Result<(), String> + Send),
    ) -> impl Future<Output = StoreResult<usize>> + Send;
    /// Rows `offset..offset + limit` of the invoices open at `d` whose number
    /// or customer contains `filter` (case-insensitive; empty: all), oldest
    /// due first, and how many match.
    fn open_invoice_page(
        &self,
        company_id: i64,
        d: NaiveDate,
        filter: &str,
        offset: usize,
        limit: usize,
    ) -> impl Future<Output = StoreResult<(Vec<Invoice>, usize)>> + Send;
    /// Replaces one product if it still holds `original` (no one changed it
    /// meanwhile); `Conflict` when it does not. Bumps its version.
    fn update_product(
        &self,
        company_id: i64,
        original: &Product,
        updated: &Product,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Replaces one month if it still holds `original`; `Conflict` otherwise.
    fn update_month(
        &self,
        company_id: i64,
        original: &MonthlyFinancials,
        updated: &MonthlyFinancials,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Replaces one invoice if it still holds `original`; `Conflict` otherwise.
    fn update_invoice(
        &self,
        company_id: i64,
        original: &Invoice,
        updated: &Invoice,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The invoices reduced for as-of month `m`, in SQL (see `finance::collections`).
    fn collections_input(
        &self,
        company_id: i64,
        m: Month,
    ) -> impl Future<Output = StoreResult<CollectionsInput>> + Send;
    /// Amounts issued and collected per day, for receivables trends in one pass
    /// (see `finance::collections::dso_series`).
    fn receivable_flows(
        &self,
        company_id: i64,
    ) -> impl Future<Output = StoreResult<crate::finance::collections::ReceivableFlows>> + Send;
    /// The invoice history reduced for the 13-week forecast at as-of month `m`, in SQL
    /// (see `finance::forecast::forecast_input`).
    fn forecast_input(&self, company_id: i64, m: Month) -> impl Future<Output = StoreResult<ForecastInput>> + Send;
    /// Open amounts at the end of `m` by the week of the 13-week forecast they
    /// are expected in (see `finance::forecast::weekly_base_from_invoices`), from the
    /// summaries kept by writes; `None` when they are not at `m` (then the
    /// caller places the open invoices itself).
    fn weekly_collections(
        &self,
        company_id: i64,
        m: Month,
    ) -> impl Future<Output = StoreResult<Option<Vec<rust_decimal::Decimal>>>> + Send;
    /// Upserts every row of `batch` by key in one transaction; returns the company.
    fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> impl Future<Output = StoreResult<Company>> + Send;
    /// Like `import`, with rows arriving while the file is still being read; one
    /// transaction, committed only on `Feed::End`.
    fn import_stream(&self, target: &ImportTarget, feed: FeedRx) -> impl Future<Output = StoreResult<Company>> + Send;
    /// The kept CFDI rows whose document or invoice UUID is one of `uuids`.
    fn cfdi_records(
        &self,
        company_id: i64,
        uuids: &[String],
    ) -> impl Future<Output = StoreResult<Vec<crate::domain::CfdiRecord>>> + Send;
    /// Writes a CFDI import (invoices, removals, kept documents) in one transaction.
    fn import_cfdi(
        &self,
        target: &ImportTarget,
        w: &crate::domain::CfdiWrite,
    ) -> impl Future<Output = StoreResult<Company>> + Send;
    /// A company's bank accounts with their balances and line counts.
    fn bank_accounts(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<BankAccount>>> + Send;
    /// A page of statement lines in booking order (date, then as imported),
    /// of one account or all, between two dates, whose description,
    /// counterparty or reference contains `filter`; and how many match.
    fn bank_lines(
        &self,
        company_id: i64,
        q: &LineQuery,
    ) -> impl Future<Output = StoreResult<(Vec<StoredLine>, usize)>> + Send;
    /// Money in and out of the company's accounts in `currency`, per day after `after`.
    fn bank_days(
        &self,
        company_id: i64,
        currency: &str,
        after: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<crate::finance::bank::BankDay>>> + Send;
    /// A statement's lines into an account (made in the same transaction when
    /// asked), those already stored skipped, and the account's balance moved
    /// to the statement's closing balance.
    fn import_statement(
        &self,
        company_id: i64,
        w: &StatementWrite,
    ) -> impl Future<Output = StoreResult<StatementImported>> + Send;
    /// [`Store::import_statement`] with `head`'s lines and then those that
    /// come on `feed` (one transaction, committed on its `End`).
    fn import_statement_stream(
        &self,
        company_id: i64,
        head: &StatementWrite,
        feed: StatementRx,
    ) -> impl Future<Output = StoreResult<StatementImported>> + Send;
    /// The lines reconciliation reads (with what is allocated of each and
    /// their marks), every open invoice, the learned payer texts and the
    /// company's kept CFDI, in one snapshot.
    fn reconcile_input(
        &self,
        company_id: i64,
        f: &LineFilter,
    ) -> impl Future<Output = StoreResult<ReconcileInput>> + Send;
    /// Writes reconciliation decisions in one transaction: an allocation is
    /// checked against the line's amount and each invoice's open balance,
    /// the invoices' paid amounts and the receivables summaries move with it.
    fn reconcile(&self, company_id: i64, actions: &[ReconcileAction]) -> impl Future<Output = StoreResult<()>> + Send;
    /// An invoice's payments: its import's (when it states one), then its
    /// rows (bank, manual) by date.
    fn payments(&self, company_id: i64, number: &str) -> impl Future<Output = StoreResult<Vec<Payment>>> + Send;
    /// The categorisation rules stored for the company (TOML), if any.
    fn bank_rules(&self, company_id: i64) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Stores (or, with `None`, removes) the company's rules.
    fn save_bank_rules(&self, company_id: i64, source: Option<&str>) -> impl Future<Output = StoreResult<()>> + Send;
    fn scenarios(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<StoredScenario>>> + Send;
    /// Every exchange rate the store holds, by pair and day.
    fn fx_rates(&self) -> impl Future<Output = StoreResult<Vec<crate::domain::fx::Rate>>> + Send;
    /// Adds rates, replacing those of the same pair and day; how many were
    /// added or changed.
    fn save_rates(&self, rates: &[crate::domain::fx::Rate]) -> impl Future<Output = StoreResult<usize>> + Send;
    /// The company's invoices in another currency, with their `fx`, by issue date.
    fn fx_invoices(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<Invoice>>> + Send;
    /// The company's invoices made out to one of `names` (compared folded:
    /// `finance::group::folded`).
    fn invoices_to(
        &self,
        company_id: i64,
        names: &std::collections::BTreeSet<String>,
    ) -> impl Future<Output = StoreResult<Vec<Invoice>>> + Send;
    /// The groups of companies this login may read, by name.
    fn groups(&self) -> impl Future<Output = StoreResult<Vec<crate::domain::fx::Group>>> + Send;
    /// Creates, changes or deletes group `name` (the group after; `None` once deleted).
    fn change_group(
        &self,
        name: &str,
        change: &crate::domain::fx::GroupChange,
    ) -> impl Future<Output = StoreResult<Option<crate::domain::fx::Group>>> + Send;
    /// The recommendations of the company's latest successful analysis, by priority.
    fn latest_recommendations(
        &self,
        company_id: i64,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<RecommendationRecord>>> + Send;
    /// Inserts `s` (when `s.version` is 0) or replaces it if its stored version is
    /// still `s.version`; returns the new version. `Conflict` on a name taken or a
    /// stale version: another user changed the scenario meanwhile.
    fn save_scenario(&self, company_id: i64, s: &StoredScenario) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Records one AI run and its recommendations; returns its id.
    fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> impl Future<Output = StoreResult<i64>> + Send;
    /// The newest successful run with this key made at or after `key.since`.
    fn cached_analysis(&self, key: &CacheKey<'_>) -> impl Future<Output = StoreResult<Option<AnalysisRecord>>> + Send;
    /// What the AI runs made at or after `since` cost, every company together.
    fn ai_spend_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = StoreResult<rust_decimal::Decimal>> + Send;
    /// Renames a scenario if its stored version is still `version`; returns the new version.
    fn rename_scenario(
        &self,
        company_id: i64,
        name: &str,
        new_name: &str,
        version: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Deletes a scenario if its stored version is still `version`.
    fn delete_scenario(
        &self,
        company_id: i64,
        name: &str,
        version: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Saves (or replaces) a named import mapping of a company.
    fn save_mapping(&self, company_id: i64, m: &SavedMapping) -> impl Future<Output = StoreResult<()>> + Send;
    /// A company's saved import mappings, by name.
    fn mappings(&self, company_id: i64) -> impl Future<Output = StoreResult<Vec<SavedMapping>>> + Send;
    /// A consistent snapshot of every company.
    fn backup(&self) -> impl Future<Output = StoreResult<Backup>> + Send;
    /// Loads a snapshot into an empty store, in one transaction.
    fn restore(&self, b: &Backup) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Saving an import mapping: the same SQL on both stores (sqlx-sqlite reads `$N`).
pub(crate) const SAVE_MAPPING_SQL: &str = "INSERT INTO import_mappings (company_id, name, kind, spec) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec";
/// A company's saved import mappings, by name.
pub(crate) const READ_MAPPINGS_SQL: &str =
    "SELECT name, kind, spec FROM import_mappings WHERE company_id = $1 ORDER BY name";

/// The store chosen from a URL.
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// `katalis migrate`: opens the store at `url` and applies every migration
    /// this binary carries; returns the versions applied now.
    pub async fn migrate(url: &str, pg: &PgSettings) -> StoreResult<(AnyStore, Vec<i64>)> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PgStore::open_with(url, pg, false).await?;
            let applied = store.migrate().await.map_err(postgres::explain)?;
            Ok((AnyStore::Postgres(store), applied))
        } else {
            // SQLite migrates on open; report what it holds.
            let store = AnyStore::connect(url).await?;
            Ok((store, Vec::new()))
        }
    }

    /// Opens (creating when needed) and migrates the store at `url`.
    pub async fn connect(url: &str) -> StoreResult<AnyStore> {
        Self::connect_with(url, &PgSettings::default()).await
    }

    /// [`AnyStore::connect`] with the configuration's PostgreSQL settings.
    pub async fn connect_with(url: &str, pg: &PgSettings) -> StoreResult<AnyStore> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(AnyStore::Postgres(PgStore::open_with(url, pg, true).await?))
        } else {
            Err(StoreError::BadUrl(crate::sanitize::clean(url)))
        }
    }

    /// Finds a company by name, or by id when `key` is a number.
    pub async fn company(&self, key: &str) -> StoreResult<Company> {
        let all = self.companies().await?;
        all.iter()
            .find(|c| c.name == key)
            .or_else(|| all.iter().find(|c| c.name.eq_ignore_ascii_case(key)))
            .or_else(|| key.parse::<i64>().ok().and_then(|id| all.iter().find(|c| c.id == id)))
            .cloned()
            .ok_or_else(|| StoreError::UnknownCompany(crate::sanitize::clean(key)))
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

/// [`dispatch!`] for what can fail: a refused write, and a file error,
/// explain themselves.
macro_rules! dispatch_write {
    ($self:ident, $s:ident => $e:expr) => {
        dispatch!($self, $s => $e).map_err(|e| $self.explain_refusal(e))
    };
}

impl AnyStore {
    /// A refused write said in words: SQLite's read-only or busy file named,
    /// PostgreSQL's privilege or row-level-security refusal said as such.
    pub fn explain_refusal(&self, e: StoreError) -> StoreError {
        match self {
            AnyStore::Sqlite(s) => s.explain(e),
            AnyStore::Postgres(_) => postgres::explain(e),
        }
    }

    /// Closes every connection: SQLite checkpoints and removes its WAL files,
    /// so the store file alone holds the data once a command ends.
    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }

    /// The month end the company's per-customer receivables summaries are at
    /// (its latest month of financials): `None` when it has no summaries,
    /// `Some(None)` while it has no financials. Reads at another month scan.
    pub async fn receivables_as_of(&self, company_id: i64) -> StoreResult<Option<Option<NaiveDate>>> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT as_of FROM receivable_state WHERE company_id = $1")
            .bind(company_id)
            .fetch_optional(pool)
            .await?))
    }

    /// The plan of the receivables aggregate at as-of month `m`, as this
    /// store's own sessions run it: `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL,
    /// `EXPLAIN QUERY PLAN` on SQLite. For the scale test and for a slow report.
    pub async fn explain_collections(&self, company_id: i64, m: Month) -> StoreResult<String> {
        Ok(match self {
            AnyStore::Sqlite(s) => {
                let query = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {COLLECTIONS_SQL}")));
                let rows: Vec<(i64, i64, i64, String)> = sql::bind_collections!(query, company_id, m)
                    .fetch_all(sql::Backend::pool(s))
                    .await?;
                rows.into_iter().map(|r| r.3 + "\n").collect()
            }
            AnyStore::Postgres(p) => {
                let query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "EXPLAIN (ANALYZE, BUFFERS) {COLLECTIONS_SQL}"
                )));
                // In a read transaction as the reports run it (its work_mem).
                let mut tx = sql::Backend::begin_tx(p, false).await?;
                let rows: Vec<(String,)> = sql::bind_collections!(query, company_id, m).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows.into_iter().map(|r| r.0 + "\n").collect()
            }
        })
    }

    /// Whether a write would be accepted: a write transaction begun and rolled
    /// back (SQLite), or a session that is not read-only (PostgreSQL).
    pub async fn writable(&self) -> StoreResult<()> {
        dispatch_write!(self, s => s.writable().await)
    }
}

/// A store call timed and its rows counted, for the diagnostics overlay.
macro_rules! timed {
    ($name:literal, $e:expr) => {{
        let started = std::time::Instant::now();
        let result = $e;
        crate::diagnostics::store_call($name, started.elapsed(), crate::diagnostics::Rows::rows(&result));
        result
    }};
}

impl Store for AnyStore {
    fn kind(&self) -> &'static str {
        dispatch!(self, s => s.kind())
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "ping"))]
    async fn ping(&self) -> StoreResult<Duration> {
        timed!("ping", dispatch_write!(self, s => s.ping().await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "migration_status"))]
    async fn migration_status(&self) -> StoreResult<MigrationStatus> {
        timed!(
            "migration_status",
            dispatch_write!(self, s => s.migration_status().await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "companies"))]
    async fn companies(&self) -> StoreResult<Vec<Company>> {
        timed!("companies", dispatch_write!(self, s => s.companies().await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "upsert_company"))]
    async fn upsert_company(&self, c: &NewCompany) -> StoreResult<Company> {
        timed!("upsert_company", dispatch_write!(self, s => s.upsert_company(c).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "financials"))]
    async fn financials(&self, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
        timed!("financials", dispatch_write!(self, s => s.financials(company_id).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "products"))]
    async fn products(&self, company_id: i64) -> StoreResult<Vec<Product>> {
        timed!("products", dispatch_write!(self, s => s.products(company_id).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "invoices"))]
    async fn invoices(&self, company_id: i64) -> StoreResult<Vec<Invoice>> {
        timed!("invoices", dispatch_write!(self, s => s.invoices(company_id).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "open_invoices"))]
    async fn open_invoices(&self, company_id: i64, d: NaiveDate) -> StoreResult<Vec<Invoice>> {
        timed!(
            "open_invoices",
            dispatch_write!(self, s => s.open_invoices(company_id, d).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "each_open_invoice"))]
    async fn each_open_invoice(
        &self,
        company_id: i64,
        d: NaiveDate,
        filter: &str,
        sink: &mut (dyn FnMut(Invoice) -> Result<(), String> + Send),
    ) -> StoreResult<usize> {
        timed!(
            "each_open_invoice",
            dispatch_write!(self, s => s.each_open_invoice(company_id, d, filter, &mut *sink).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "open_invoice_page"))]
    async fn open_invoice_page(
        &self,
        company_id: i64,
        d: NaiveDate,
        filter: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<(Vec<Invoice>, usize)> {
        timed!(
            "open_invoice_page",
            dispatch_write!(self, s => s.open_invoice_page(company_id, d, filter, offset, limit).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "update_product"))]
    async fn update_product(&self, company_id: i64, original: &Product, updated: &Product) -> StoreResult<()> {
        timed!(
            "update_product",
            dispatch_write!(self, s => s.update_product(company_id, original, updated).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "update_month"))]
    async fn update_month(
        &self,
        company_id: i64,
        original: &MonthlyFinancials,
        updated: &MonthlyFinancials,
    ) -> StoreResult<()> {
        timed!(
            "update_month",
            dispatch_write!(self, s => s.update_month(company_id, original, updated).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "update_invoice"))]
    async fn update_invoice(&self, company_id: i64, original: &Invoice, updated: &Invoice) -> StoreResult<()> {
        timed!(
            "update_invoice",
            dispatch_write!(self, s => s.update_invoice(company_id, original, updated).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "collections_input"))]
    async fn collections_input(&self, company_id: i64, m: Month) -> StoreResult<CollectionsInput> {
        timed!(
            "collections_input",
            dispatch_write!(self, s => s.collections_input(company_id, m).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "import"))]
    async fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> StoreResult<Company> {
        timed!("import", dispatch_write!(self, s => s.import(target, batch).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "import_stream"))]
    async fn import_stream(&self, target: &ImportTarget, feed: FeedRx) -> StoreResult<Company> {
        timed!(
            "import_stream",
            dispatch_write!(self, s => s.import_stream(target, feed).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "cfdi_records"))]
    async fn cfdi_records(&self, company_id: i64, uuids: &[String]) -> StoreResult<Vec<crate::domain::CfdiRecord>> {
        timed!(
            "cfdi_records",
            dispatch_write!(self, s => s.cfdi_records(company_id, uuids).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "import_cfdi"))]
    async fn import_cfdi(&self, target: &ImportTarget, w: &crate::domain::CfdiWrite) -> StoreResult<Company> {
        timed!(
            "import_cfdi",
            dispatch_write!(self, s => s.import_cfdi(target, w).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "bank_accounts"))]
    async fn bank_accounts(&self, company_id: i64) -> StoreResult<Vec<BankAccount>> {
        timed!(
            "bank_accounts",
            dispatch_write!(self, s => s.bank_accounts(company_id).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "bank_lines"))]
    async fn bank_lines(&self, company_id: i64, q: &LineQuery) -> StoreResult<(Vec<StoredLine>, usize)> {
        timed!(
            "bank_lines",
            dispatch_write!(self, s => s.bank_lines(company_id, q).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "bank_days"))]
    async fn bank_days(
        &self,
        company_id: i64,
        currency: &str,
        after: NaiveDate,
    ) -> StoreResult<Vec<crate::finance::bank::BankDay>> {
        timed!(
            "bank_days",
            dispatch_write!(self, s => s.bank_days(company_id, currency, after).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "import_statement"))]
    async fn import_statement(&self, company_id: i64, w: &StatementWrite) -> StoreResult<StatementImported> {
        timed!(
            "import_statement",
            dispatch_write!(self, s => s.import_statement(company_id, w).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "import_statement_stream"))]
    async fn import_statement_stream(
        &self,
        company_id: i64,
        head: &StatementWrite,
        feed: StatementRx,
    ) -> StoreResult<StatementImported> {
        timed!(
            "import_statement_stream",
            dispatch_write!(self, s => s.import_statement_stream(company_id, head, feed).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "scenarios"))]
    async fn reconcile_input(&self, company_id: i64, f: &LineFilter) -> StoreResult<ReconcileInput> {
        let started = std::time::Instant::now();
        let result = dispatch_write!(self, s => s.reconcile_input(company_id, f).await);
        let rows = result.as_ref().map_or(0, |r| (r.lines.len() + r.open.len()) as u64);
        crate::diagnostics::store_call("reconcile_input", started.elapsed(), rows);
        result
    }
    async fn reconcile(&self, company_id: i64, actions: &[ReconcileAction]) -> StoreResult<()> {
        timed!(
            "reconcile",
            dispatch_write!(self, s => s.reconcile(company_id, actions).await)
        )
    }
    async fn payments(&self, company_id: i64, number: &str) -> StoreResult<Vec<Payment>> {
        timed!(
            "payments",
            dispatch_write!(self, s => s.payments(company_id, number).await)
        )
    }
    async fn bank_rules(&self, company_id: i64) -> StoreResult<Option<String>> {
        timed!("bank_rules", dispatch_write!(self, s => s.bank_rules(company_id).await))
    }
    async fn save_bank_rules(&self, company_id: i64, source: Option<&str>) -> StoreResult<()> {
        timed!(
            "save_bank_rules",
            dispatch_write!(self, s => s.save_bank_rules(company_id, source).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "fx_rates"))]
    async fn fx_rates(&self) -> StoreResult<Vec<crate::domain::fx::Rate>> {
        timed!("fx_rates", dispatch_write!(self, s => s.fx_rates().await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "save_rates"))]
    async fn save_rates(&self, rates: &[crate::domain::fx::Rate]) -> StoreResult<usize> {
        timed!("save_rates", dispatch_write!(self, s => s.save_rates(rates).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "fx_invoices"))]
    async fn fx_invoices(&self, company_id: i64) -> StoreResult<Vec<Invoice>> {
        timed!(
            "fx_invoices",
            dispatch_write!(self, s => s.fx_invoices(company_id).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "invoices_to"))]
    async fn invoices_to(
        &self,
        company_id: i64,
        names: &std::collections::BTreeSet<String>,
    ) -> StoreResult<Vec<Invoice>> {
        timed!(
            "invoices_to",
            dispatch_write!(self, s => s.invoices_to(company_id, names).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "groups"))]
    async fn groups(&self) -> StoreResult<Vec<crate::domain::fx::Group>> {
        timed!("groups", dispatch_write!(self, s => s.groups().await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "change_group"))]
    async fn change_group(
        &self,
        name: &str,
        change: &crate::domain::fx::GroupChange,
    ) -> StoreResult<Option<crate::domain::fx::Group>> {
        timed!(
            "change_group",
            dispatch_write!(self, s => s.change_group(name, change).await)
        )
    }
    async fn scenarios(&self, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
        timed!("scenarios", dispatch_write!(self, s => s.scenarios(company_id).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "save_mapping"))]
    async fn save_mapping(&self, company_id: i64, m: &SavedMapping) -> StoreResult<()> {
        timed!(
            "save_mapping",
            dispatch_write!(self, s => s.save_mapping(company_id, m).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "mappings"))]
    async fn mappings(&self, company_id: i64) -> StoreResult<Vec<SavedMapping>> {
        timed!("mappings", dispatch_write!(self, s => s.mappings(company_id).await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "latest_recommendations"))]
    async fn latest_recommendations(&self, company_id: i64, limit: i64) -> StoreResult<Vec<RecommendationRecord>> {
        timed!(
            "latest_recommendations",
            dispatch_write!(self, s => s.latest_recommendations(company_id, limit).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "save_scenario"))]
    async fn save_scenario(&self, company_id: i64, sc: &StoredScenario) -> StoreResult<i64> {
        timed!(
            "save_scenario",
            dispatch_write!(self, s => s.save_scenario(company_id, sc).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "save_analysis"))]
    async fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
        timed!(
            "save_analysis",
            dispatch_write!(self, s => s.save_analysis(company_id, a).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "cached_analysis"))]
    async fn cached_analysis(&self, key: &CacheKey<'_>) -> StoreResult<Option<AnalysisRecord>> {
        timed!(
            "cached_analysis",
            dispatch_write!(self, s => s.cached_analysis(key).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "ai_spend_since"))]
    async fn ai_spend_since(&self, since: chrono::DateTime<chrono::Utc>) -> StoreResult<rust_decimal::Decimal> {
        timed!(
            "ai_spend_since",
            dispatch_write!(self, s => s.ai_spend_since(since).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "rename_scenario"))]
    async fn rename_scenario(&self, company_id: i64, name: &str, new_name: &str, version: i64) -> StoreResult<i64> {
        timed!(
            "rename_scenario",
            dispatch_write!(self, s => s.rename_scenario(company_id, name, new_name, version).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "receivable_flows"))]
    async fn receivable_flows(&self, company_id: i64) -> StoreResult<crate::finance::collections::ReceivableFlows> {
        timed!(
            "receivable_flows",
            dispatch_write!(self, s => s.receivable_flows(company_id).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "forecast_input"))]
    async fn forecast_input(&self, company_id: i64, m: Month) -> StoreResult<ForecastInput> {
        timed!(
            "forecast_input",
            dispatch_write!(self, s => s.forecast_input(company_id, m).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "weekly_collections"))]
    async fn weekly_collections(&self, company_id: i64, m: Month) -> StoreResult<Option<Vec<rust_decimal::Decimal>>> {
        timed!(
            "weekly_collections",
            dispatch_write!(self, s => s.weekly_collections(company_id, m).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "delete_scenario"))]
    async fn delete_scenario(&self, company_id: i64, name: &str, version: i64) -> StoreResult<()> {
        timed!(
            "delete_scenario",
            dispatch_write!(self, s => s.delete_scenario(company_id, name, version).await)
        )
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "backup"))]
    async fn backup(&self) -> StoreResult<Backup> {
        timed!("backup", dispatch_write!(self, s => s.backup().await))
    }
    #[tracing::instrument(level = "debug", name = "store", skip_all, fields(call = "restore"))]
    async fn restore(&self, b: &Backup) -> StoreResult<()> {
        timed!("restore", dispatch_write!(self, s => s.restore(b).await))
    }
}

/// What identifies a cached AI answer.
#[derive(Debug, Clone, Copy)]
pub struct CacheKey<'a> {
    pub company_id: i64,
    pub agent: &'a str,
    pub model: &'a str,
    pub input_hash: &'a str,
    pub since: chrono::DateTime<chrono::Utc>,
}

/// A UTC instant as both stores write `created_at`: `2026-11-28T04:20:07.123Z`.
pub fn utc_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn stale(what: &str, key: &str) -> StoreError {
    StoreError::Conflict(format!(
        "{what} {:?} was changed or removed by someone else since it was loaded; reloaded, nothing saved",
        crate::sanitize::clean(key)
    ))
}

pub(crate) fn scenario_taken(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "a scenario named {:?} already exists",
        crate::sanitize::clean(name)
    ))
}

/// Statement lines go to `import_statement`, never with the company's books.
pub(crate) fn statement_elsewhere() -> StoreError {
    StoreError::Aborted("bank statement lines are imported with `katalis import statement`".to_owned())
}

pub(crate) fn abandoned() -> StoreError {
    StoreError::Aborted("the import was abandoned; nothing was written".into())
}

/// Groups of the collections reduction arrive unordered from SQL; the engine's
/// order is customer (byte order), then bucket.
/// The collections input from the grouped rows a store read — (customer,
/// bucket index, open amount, oldest due date) — and the totals, in the
/// engine's order.
pub(crate) fn collections_from(
    rows: Vec<(String, i32, rust_decimal::Decimal, NaiveDate)>,
    ar_begin: rust_decimal::Decimal,
    credit_sales_3m: rust_decimal::Decimal,
    credit_sales_m: rust_decimal::Decimal,
) -> StoreResult<CollectionsInput> {
    use crate::finance::collections::{Bucket, OpenGroup};
    let mut input = CollectionsInput {
        open_at_d: rows
            .into_iter()
            .map(|(customer, bucket, open, oldest_due)| {
                Ok(OpenGroup {
                    customer,
                    bucket: Bucket::from_index(bucket.into())
                        .ok_or_else(|| StoreError::Corrupt("aging bucket".into()))?,
                    open,
                    oldest_due,
                })
            })
            .collect::<StoreResult<_>>()?,
        ar_begin,
        credit_sales_3m,
        credit_sales_m,
    };
    input.open_at_d.sort_by(|a, b| {
        a.customer
            .as_bytes()
            .cmp(b.customer.as_bytes())
            .then(a.bucket.cmp(&b.bucket))
    });
    Ok(input)
}

// The store's own results, counted for the diagnostics overlay as one row.
impl crate::diagnostics::Rows for MigrationStatus {
    fn rows(&self) -> u64 {
        1
    }
}

impl crate::diagnostics::Rows for Backup {
    fn rows(&self) -> u64 {
        1
    }
}
