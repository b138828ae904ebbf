//! The embedded store: one SQLite file (WAL, foreign keys, busy timeout). Money is
//! INTEGER in 10^-4 units; dates and months are ISO text. What it shares with
//! PostgreSQL is in `sql.rs`; here is what is its own: opening the file, the
//! bulk writes, and the errors of a file (read-only, busy).

use super::backup::{AnalysisRecord, Backup, RecommendationRecord, StoredScenario};
use super::sql::{Backend, to_units};
use super::{Feed, FeedRx, ImportBatch, ImportTarget, MigrationStatus, SavedMapping, Store, StoreError, StoreResult};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, NewCompany, Product};
use crate::finance::collections::CollectionsInput;
use crate::finance::forecast::ForecastInput;
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Rows per multi-row INSERT: 13 columns × 1000 stays well under SQLite's 32766 variables.
const CHUNK: usize = 1000;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The file, for messages.
    path: String,
    /// This process's mark on the writes it records.
    pub(crate) session: String,
}

fn opt_units(d: Option<Decimal>) -> StoreResult<Option<i64>> {
    d.map(to_units).transpose()
}

/// SQLite's file errors (read-only, busy, not a database, damaged, full),
/// said in words with the file named.
fn explain(path: &str, e: StoreError) -> StoreError {
    if let StoreError::Database(sqlx::Error::Database(db)) = &e {
        // Extended result codes carry the primary code in their low byte.
        let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
        match code {
            8 => return StoreError::ReadOnly(path.to_owned()),
            5 | 6 => return StoreError::Busy(path.to_owned()),
            26 => return StoreError::NotADatabase(path.to_owned()),
            11 => return StoreError::Damaged(path.to_owned()),
            13 => return StoreError::Full(path.to_owned()),
            _ => {}
        }
    }
    e
}

/// How long a write waits for another writer (an import) before giving up:
/// long enough that an ordinary save during a large import waits instead of failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        if !memory {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }
        let path = if memory {
            ":memory:".to_owned()
        } else {
            let p = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            crate::sanitize::clean(p.split('?').next().unwrap_or(p))
        };
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // Each connection to `:memory:` is its own database: keep exactly one.
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory { None } else { Some(Duration::from_secs(600)) })
            .max_lifetime(if memory { None } else { Some(Duration::from_secs(3600)) })
            .connect_with(opts)
            .await
            .map_err(|e| explain(&path, e.into()))?;
        let store = SqliteStore {
            pool,
            path,
            session: super::team::new_session(),
        };
        MIGRATOR.run(&store.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => store.explain(StoreError::Database(e)),
            e => StoreError::Migrate(e),
        })?;
        store.backfill().await.map_err(|e| store.explain(e))?;
        Ok(store)
    }

    /// Receivables summaries for the companies of a store made before them.
    async fn backfill(&self) -> StoreResult<()> {
        let missing: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM companies c WHERE NOT EXISTS \
             (SELECT 1 FROM receivable_state s WHERE s.company_id = c.id))",
        )
        .fetch_one(&self.pool)
        .await?;
        if missing {
            let mut tx = self.pool.begin_with(<Self as super::sql::Dialect>::WRITE).await?;
            Self::backfill_summaries(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// SQLite's read-only and busy errors, said in words with the file named.
    pub fn explain(&self, e: StoreError) -> StoreError {
        explain(&self.path, e)
    }

    pub async fn close(&self) {
        self.pool.close().await;
        // Connections closing at the same moment may each leave the WAL to
        // the other; one last connection, alone, checkpoints and removes it.
        if !self.is_memory() {
            use sqlx::Connection;
            let opts = self.pool.connect_options();
            if let Ok(c) = SqliteConnection::connect_with(&opts).await {
                let _ = c.close().await;
            }
        }
    }

    /// An in-memory store: one connection, and no other process can write to it.
    pub(crate) fn is_memory(&self) -> bool {
        self.path == ":memory:"
    }

    /// A load alone on the file writes its pages once, with a rollback
    /// journal: in WAL mode every page goes to the log first and is copied
    /// into the file again by the checkpoint after the commit (about 0.4 s of
    /// a million invoices' 3 s on a 2-core machine). Leaving WAL needs every
    /// other connection to the file closed (the interface's change watcher
    /// keeps one open, so does another process): then it fails at once and
    /// the load stays in WAL, where readers are never blocked. A process that
    /// opens the file during a load alone waits for it (the busy timeout) as
    /// for any writer. Returns whether the journal changed; the connection is
    /// then closed after the load, so it never goes back to the pool in
    /// another mode (a cancelled load included). Rollback journals are synced
    /// in full, as SQLite requires of them to survive a power cut.
    async fn rollback_journal(&self, conn: &mut sqlx::pool::PoolConnection<Sqlite>) -> bool {
        if self.is_memory() {
            return false;
        }
        // This process's idle connections to the file would keep it in WAL:
        // closed, with a moment for those on their way back to the pool
        // (others, still at work, keep it in WAL).
        for _ in 0..20 {
            while let Some(idle) = self.pool.try_acquire() {
                let _ = idle.close().await;
            }
            if self.pool.size() <= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mode = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = DELETE")
            .fetch_one(&mut **conn)
            .await;
        if !mode.is_ok_and(|m| m.eq_ignore_ascii_case("delete")) {
            return false;
        }
        conn.close_on_drop();
        if sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut **conn)
            .await
            .is_err()
        {
            // Not synced in full: no load in this journal.
            let _ = Self::back_to_wal(conn).await;
            return false;
        }
        true
    }

    /// WAL again after a load in a rollback journal (the mode every connection
    /// to the file opens in).
    async fn back_to_wal(conn: &mut SqliteConnection) -> StoreResult<()> {
        sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
        Ok(())
    }

    /// One load inside one write transaction on `conn`: the rows as they come,
    /// then the summaries they change.
    async fn load(conn: &mut SqliteConnection, target: &ImportTarget, mut feed: FeedRx) -> StoreResult<Company> {
        use sqlx::Connection;
        let mut tx = conn.begin_with(<Self as super::sql::Dialect>::WRITE).await?;
        let company = Self::resolve(&mut tx, target).await?;
        let (mut financials, mut invoices) = (false, false);
        let mut reducer = None;
        let mut fx = None;
        loop {
            match feed.recv().await {
                Some(Feed::Rows(ImportBatch::Financials(rows))) => {
                    financials = true;
                    Self::write_financials(&mut tx, company.id, &rows).await?
                }
                Some(Feed::Rows(ImportBatch::Products(rows))) => {
                    Self::write_products(&mut tx, company.id, &rows).await?
                }
                Some(Feed::Rows(ImportBatch::Invoices(rows))) => {
                    let fx = match fx {
                        Some(ref mut f) => {
                            Self::fx_rates_for(&mut tx, f, &rows).await?;
                            f
                        }
                        None => {
                            let builder = Self::summary_builder(&mut tx, company.id).await?;
                            reducer = builder.map(super::summaries::Reducer::start);
                            invoices = true;
                            fx.insert(Self::fx_book(&mut tx, &company, Some(&rows)).await?)
                        }
                    };
                    let booked = fx.book(&rows)?;
                    let keep = booked.is_some() || fx.has_fx;
                    let rows = std::sync::Arc::new(booked.unwrap_or(rows));
                    if let Some(r) = &reducer {
                        r.feed(rows.clone());
                    }
                    Self::write_invoices(&mut tx, company.id, &rows).await?;
                    if keep {
                        Self::write_invoice_fx(&mut tx, company.id, &rows, fx.has_fx).await?;
                    }
                }
                Some(Feed::Rows(ImportBatch::Statement(_))) => return Err(super::statement_elsewhere()),
                Some(Feed::End) => break,
                // Dropping the transaction rolls everything back.
                None => return Err(super::abandoned()),
            }
        }
        if invoices {
            let builder = match reducer {
                Some(r) => Some(r.finish().await?),
                None => None,
            };
            Self::summaries_after_invoices(&mut tx, company.id, builder).await?;
        }
        if financials {
            Self::refresh_after_financials(&mut tx, company.id).await?;
        }
        tx.commit().await?;
        Ok(company)
    }

    pub async fn writable(&self) -> StoreResult<()> {
        // A write statement that changes no row still needs the write lock and a
        // writable file; the transaction is rolled back.
        let mut tx = self.pool.begin_with(<Self as super::sql::Dialect>::WRITE).await?;
        sqlx::query("DELETE FROM companies WHERE 0").execute(&mut *tx).await?;
        tx.rollback().await?;
        Ok(())
    }
}

impl super::sql::Backend for SqliteStore {
    type Db = sqlx::Sqlite;
    type Conn = SqliteConnection;

    async fn write_bank_lines(
        tx: &mut SqliteConnection,
        w: &mut super::sql::BankWrite,
        lines: &[crate::domain::BankLine],
        keys: &[[u8; 16]],
    ) -> StoreResult<crate::domain::LinesAdded> {
        super::sqlite_bulk::write_bank_lines(tx, w, lines, keys).await
    }

    async fn finish_bank_lines(
        _tx: &mut SqliteConnection,
        _w: &mut super::sql::BankWrite,
    ) -> StoreResult<crate::domain::LinesAdded> {
        Ok(crate::domain::LinesAdded::default())
    }

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn write_financials(tx: &mut SqliteConnection, company: i64, rows: &[MonthlyFinancials]) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO financials (company_id, month, revenue, cogs, opex, sales_marketing, depreciation, \
                 other_income, financing, cash_end, customers_new, customers_churned, customers_end) ",
            );
            let mut converted = Vec::with_capacity(chunk.len());
            for r in chunk {
                converted.push((
                    r.month.to_string(),
                    [
                        to_units(r.revenue)?,
                        to_units(r.cogs)?,
                        to_units(r.opex)?,
                        to_units(r.cash_end)?,
                    ],
                    [
                        opt_units(r.sales_marketing)?,
                        opt_units(r.depreciation)?,
                        opt_units(r.other_income)?,
                        opt_units(r.financing)?,
                    ],
                    [r.customers_new, r.customers_churned, r.customers_end],
                ));
            }
            q.push_values(&converted, |mut b, (month, m, o, c)| {
                b.push_bind(company)
                    .push_bind(month)
                    .push_bind(m[0])
                    .push_bind(m[1])
                    .push_bind(m[2])
                    .push_bind(o[0])
                    .push_bind(o[1])
                    .push_bind(o[2])
                    .push_bind(o[3])
                    .push_bind(m[3])
                    .push_bind(c[0])
                    .push_bind(c[1])
                    .push_bind(c[2]);
            });
            q.push(
                " ON CONFLICT (company_id, month) DO UPDATE SET revenue = excluded.revenue, cogs = excluded.cogs, \
                 opex = excluded.opex, sales_marketing = excluded.sales_marketing, depreciation = excluded.depreciation, \
                 other_income = excluded.other_income, financing = excluded.financing, cash_end = excluded.cash_end, \
                 customers_new = excluded.customers_new, customers_churned = excluded.customers_churned, \
                 customers_end = excluded.customers_end, version = financials.version + 1, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE (financials.revenue, financials.cogs, financials.opex, financials.sales_marketing, \
                 financials.depreciation, financials.other_income, financials.financing, financials.cash_end, \
                 financials.customers_new, financials.customers_churned, financials.customers_end) IS NOT \
                 (excluded.revenue, excluded.cogs, excluded.opex, excluded.sales_marketing, excluded.depreciation, \
                 excluded.other_income, excluded.financing, excluded.cash_end, excluded.customers_new, \
                 excluded.customers_churned, excluded.customers_end)",
            );
            q.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    async fn write_products(tx: &mut SqliteConnection, company: i64, rows: &[Product]) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let mut converted = Vec::with_capacity(chunk.len());
            for p in chunk {
                converted.push((
                    p,
                    [
                        to_units(p.unit_price)?,
                        to_units(p.unit_cost)?,
                        to_units(p.monthly_units)?,
                        to_units(p.fixed_costs)?,
                    ],
                ));
            }
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO products (company_id, sku, name, unit_price, unit_cost, monthly_units, fixed_costs) ",
            );
            q.push_values(&converted, |mut b, (p, m)| {
                b.push_bind(company)
                    .push_bind(&p.sku)
                    .push_bind(&p.name)
                    .push_bind(m[0])
                    .push_bind(m[1])
                    .push_bind(m[2])
                    .push_bind(m[3]);
            });
            q.push(
                " ON CONFLICT (company_id, sku) DO UPDATE SET name = excluded.name, unit_price = excluded.unit_price, \
                 unit_cost = excluded.unit_cost, monthly_units = excluded.monthly_units, \
                 fixed_costs = excluded.fixed_costs, version = products.version + 1, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE (products.name, products.unit_price, products.unit_cost, products.monthly_units, \
                 products.fixed_costs) IS NOT (excluded.name, excluded.unit_price, excluded.unit_cost, \
                 excluded.monthly_units, excluded.fixed_costs)",
            );
            q.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    async fn write_invoices(tx: &mut SqliteConnection, company: i64, rows: &[Invoice]) -> StoreResult<()> {
        super::sqlite_bulk::write_invoices(tx, company, rows).await
    }

    async fn write_summaries(
        tx: &mut SqliteConnection,
        company: i64,
        s: &crate::finance::receivables::Summaries,
    ) -> StoreResult<()> {
        super::sqlite_bulk::write_summaries(tx, company, s).await
    }
}

super::sql::backend!(
    store = SqliteStore,
    conn = SqliteConnection,
    write = "BEGIN IMMEDIATE",
    snapshot = "BEGIN",
    now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    bytes = "",
    days_late = "MAX(0, CAST(julianday(paid_date) - julianday(due_date) AS INTEGER))",
    issue_month = "substr(issue_date, 1, 7)",
    counted_month = "substr(CASE WHEN paid_date > issue_date THEN paid_date ELSE issue_date END, 1, 7)",
    due_offset = "CAST(julianday(i.due_date) - julianday($6) AS INTEGER)",
    own = {
        fn kind(&self) -> &'static str {
            "sqlite"
        }

        async fn migration_status(&self) -> StoreResult<MigrationStatus> {
            let applied: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                    .fetch_all(&self.pool)
                    .await?;
            Ok(MigrationStatus {
                applied,
                known: MIGRATOR.iter().map(|m| m.version).collect(),
            })
        }

        async fn import_stream(&self, target: &ImportTarget, feed: FeedRx) -> StoreResult<Company> {
            let mut conn = self.pool.acquire().await?;
            let alone = self.rollback_journal(&mut conn).await;
            let loaded = Self::load(&mut conn, target, feed).await;
            if alone {
                // Should WAL not come back here (another process opening the
                // file holds it past the busy timeout), the next connection
                // sets it; the load's outcome stands either way.
                let _ = Self::back_to_wal(&mut conn).await;
            }
            loaded
        }

        async fn restore(&self, b: &Backup) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(<Self as super::sql::Dialect>::WRITE).await?;
            Self::restore_into(&mut tx, b).await?;
            tx.commit().await?;
            Ok(())
        }
    },
);
