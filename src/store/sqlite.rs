//! The embedded store: one SQLite file (WAL, foreign keys, busy timeout). Money is
//! INTEGER in 10^-4 units; dates and months are ISO text.

use super::backup::{AnalysisRecord, Backup, CompanyBackup, Member, RecommendationRecord, StoredScenario};
use super::{
    Feed, FeedRx, ImportBatch, ImportTarget, MigrationStatus, SavedMapping, Store, StoreError, StoreResult, sort_groups,
};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, NewCompany, Product};
use crate::finance::collections::{Bucket, CollectionsInput, OpenGroup};
use crate::finance::forecast::ForecastInput;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::str::FromStr;
use std::time::{Duration, Instant};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Rows per multi-row INSERT: 8 columns × 1000 stays well under SQLite's 32766 variables.
const CHUNK: usize = 1000;

pub struct SqliteStore {
    pool: SqlitePool,
    /// The file, for messages.
    path: String,
    /// This process's mark on the writes it records.
    pub(crate) session: String,
}

/// Decimal → INTEGER in 10^-4 units; refuses what does not fit exactly.
pub(crate) fn to_units(d: Decimal) -> StoreResult<i64> {
    let scaled = d
        .checked_mul(Decimal::from(10_000))
        .ok_or_else(|| StoreError::OutOfRange(d.to_string()))?;
    if !scaled.fract().is_zero() {
        return Err(StoreError::OutOfRange(d.to_string()));
    }
    scaled.to_i64().ok_or_else(|| StoreError::OutOfRange(d.to_string()))
}

fn opt_units(d: Option<Decimal>) -> StoreResult<Option<i64>> {
    d.map(to_units).transpose()
}

pub(crate) fn from_units(v: i64) -> Decimal {
    Decimal::new(v, 4)
}

fn month_of(s: &str) -> StoreResult<Month> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("bad month {s:?}")))
}

fn date_of(s: &str) -> StoreResult<NaiveDate> {
    crate::import::fields::date(s).map_err(|_| StoreError::Corrupt(format!("bad date {s:?}")))
}

/// `YYYY-MM-DD` (NaiveDate's Display; much cheaper than a `format` string per row).
fn iso(d: NaiveDate) -> String {
    d.to_string()
}

fn company_of(r: &SqliteRow) -> StoreResult<Company> {
    Ok(Company {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        industry: r.try_get(2)?,
        currency: r.try_get(3)?,
        fiscal_year_start: r.try_get::<i64, _>(4)? as u32,
        locale: r.try_get(5)?,
    })
}

/// number, customer, issue_date, due_date, amount, paid_amount, paid_date
fn invoice_of(r: &SqliteRow) -> StoreResult<Invoice> {
    Ok(Invoice {
        number: r.try_get(0)?,
        customer: r.try_get(1)?,
        issue_date: date_of(r.try_get(2)?)?,
        due_date: date_of(r.try_get(3)?)?,
        amount: from_units(r.try_get(4)?),
        paid_amount: from_units(r.try_get(5)?),
        paid_date: r.try_get::<Option<&str>, _>(6)?.map(date_of).transpose()?,
    })
}

/// A row of `SELECT category, priority, title, description, impact_score FROM recommendations`.
fn recommendation(r: &SqliteRow) -> StoreResult<RecommendationRecord> {
    Ok(RecommendationRecord {
        category: r.try_get(0)?,
        priority: r.try_get(1)?,
        title: r.try_get(2)?,
        description: r.try_get(3)?,
        impact_score: r.try_get(4)?,
    })
}

/// SQLite's read-only and busy errors, said in words with the file named.
fn explain(path: &str, e: StoreError) -> StoreError {
    if let StoreError::Database(sqlx::Error::Database(db)) = &e {
        // Extended result codes carry the primary code in their low byte.
        let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
        match code {
            8 => return StoreError::ReadOnly(path.to_owned()),
            5 | 6 => return StoreError::Busy(path.to_owned()),
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
        Ok(store)
    }

    /// SQLite's read-only and busy errors, said in words with the file named.
    pub fn explain(&self, e: StoreError) -> StoreError {
        explain(&self.path, e)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// An in-memory store: one connection, and no other process can write to it.
    pub(crate) fn is_memory(&self) -> bool {
        self.path == ":memory:"
    }

    pub async fn writable(&self) -> StoreResult<()> {
        // A write statement that changes no row still needs the write lock and a
        // writable file; the transaction is rolled back.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM companies WHERE 0").execute(&mut *tx).await?;
        tx.rollback().await?;
        Ok(())
    }

    async fn resolve(tx: &mut SqliteConnection, target: &ImportTarget) -> StoreResult<Company> {
        match target {
            ImportTarget::Existing(id) => {
                let row = sqlx::query(
                    "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies WHERE id = ?",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                row.as_ref()
                    .map(company_of)
                    .transpose()?
                    .ok_or_else(|| StoreError::UnknownCompany(id.to_string()))
            }
            ImportTarget::Create(c) => {
                let existing = sqlx::query(
                    "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies WHERE name = ?",
                )
                .bind(&c.name)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some(r) => company_of(&r),
                    None => Self::insert_company(tx, c).await,
                }
            }
        }
    }

    async fn insert_mapping<'e, E: sqlx::Executor<'e, Database = sqlx::Sqlite>>(
        ex: E,
        company_id: i64,
        m: &SavedMapping,
    ) -> StoreResult<()> {
        let q = sqlx::query(super::SAVE_MAPPING_SQL).bind(company_id).bind(&m.name);
        q.bind(&m.kind).bind(&m.spec).execute(ex).await?;
        Ok(())
    }

    async fn insert_company(tx: &mut SqliteConnection, c: &NewCompany) -> StoreResult<Company> {
        let row = sqlx::query(
            "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) VALUES (?, ?, ?, ?, ?) \
             RETURNING id, name, industry, currency, fiscal_year_start, locale",
        )
        .bind(&c.name)
        .bind(&c.industry)
        .bind(&c.currency)
        .bind(i64::from(c.fiscal_year_start))
        .bind(&c.locale)
        .fetch_one(&mut *tx)
        .await?;
        company_of(&row)
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

    async fn read_financials(conn: &mut SqliteConnection, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
        let rows = sqlx::query(
            "SELECT month, revenue, cogs, opex, sales_marketing, depreciation, other_income, financing, cash_end, \
             customers_new, customers_churned, customers_end FROM financials WHERE company_id = ? ORDER BY month",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let opt =
                    |i: usize| -> StoreResult<Option<Decimal>> { Ok(r.try_get::<Option<i64>, _>(i)?.map(from_units)) };
                Ok(MonthlyFinancials {
                    month: month_of(r.try_get(0)?)?,
                    revenue: from_units(r.try_get(1)?),
                    cogs: from_units(r.try_get(2)?),
                    opex: from_units(r.try_get(3)?),
                    sales_marketing: opt(4)?,
                    depreciation: opt(5)?,
                    other_income: opt(6)?,
                    financing: opt(7)?,
                    cash_end: from_units(r.try_get(8)?),
                    customers_new: r.try_get(9)?,
                    customers_churned: r.try_get(10)?,
                    customers_end: r.try_get(11)?,
                })
            })
            .collect()
    }

    async fn read_products(conn: &mut SqliteConnection, company_id: i64) -> StoreResult<Vec<Product>> {
        let rows = sqlx::query(
            "SELECT sku, name, unit_price, unit_cost, monthly_units, fixed_costs FROM products \
             WHERE company_id = ? ORDER BY sku",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Product {
                    sku: r.try_get(0)?,
                    name: r.try_get(1)?,
                    unit_price: from_units(r.try_get(2)?),
                    unit_cost: from_units(r.try_get(3)?),
                    monthly_units: from_units(r.try_get(4)?),
                    fixed_costs: from_units(r.try_get(5)?),
                })
            })
            .collect()
    }

    async fn read_invoices(conn: &mut SqliteConnection, company_id: i64) -> StoreResult<Vec<Invoice>> {
        let rows = sqlx::query(
            "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
             WHERE company_id = ? ORDER BY number",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(invoice_of).collect()
    }

    async fn read_scenarios(conn: &mut SqliteConnection, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
        let rows = sqlx::query(
            "SELECT name, drivers, locked, base_month, start_cash, start_revenue, version FROM scenarios \
             WHERE company_id = ? ORDER BY name",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let drivers: &str = r.try_get(1)?;
                Ok(StoredScenario {
                    name: r.try_get(0)?,
                    drivers: serde_json::from_str(drivers).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    locked: r.try_get::<i64, _>(2)? != 0,
                    base_month: r.try_get(3)?,
                    start_cash: r.try_get::<Option<i64>, _>(4)?.map(from_units),
                    start_revenue: r.try_get::<Option<i64>, _>(5)?.map(from_units),
                    version: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn read_companies(conn: &mut SqliteConnection) -> StoreResult<Vec<Company>> {
        let rows =
            sqlx::query("SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies ORDER BY id")
                .fetch_all(&mut *conn)
                .await?;
        rows.iter().map(company_of).collect()
    }

    async fn insert_analysis(tx: &mut SqliteConnection, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ai_analysis (company_id, agent, provider, model, input_hash, input, output, result, \
             prompt_tokens, completion_tokens, cost, latency_ms, status, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(company_id)
        .bind(&a.agent)
        .bind(&a.provider)
        .bind(&a.model)
        .bind(&a.input_hash)
        .bind(&a.input)
        .bind(&a.output)
        .bind(&a.result)
        .bind(a.prompt_tokens)
        .bind(a.completion_tokens)
        .bind(opt_units(a.cost)?)
        .bind(a.latency_ms)
        .bind(&a.status)
        .bind(&a.created_at)
        .fetch_one(&mut *tx)
        .await?;
        for r in &a.recommendations {
            sqlx::query(
                "INSERT INTO recommendations (analysis_id, company_id, category, priority, title, description, \
                 impact_score) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(company_id)
            .bind(&r.category)
            .bind(r.priority)
            .bind(&r.title)
            .bind(&r.description)
            .bind(r.impact_score)
            .execute(&mut *tx)
            .await?;
        }
        Ok(id)
    }

    /// Analyses of a company matching `filter` (SQL after `WHERE company_id = ?1`), oldest first.
    async fn read_analyses(
        tx: &mut SqliteConnection,
        company_id: i64,
        filter: &str,
        binds: &[&str],
    ) -> StoreResult<Vec<AnalysisRecord>> {
        let sql = format!(
            "SELECT id, agent, provider, model, input_hash, input, output, result, prompt_tokens, \
             completion_tokens, cost, latency_ms, status, created_at FROM ai_analysis WHERE company_id = ?1 {filter}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(company_id);
        for b in binds {
            q = q.bind(*b);
        }
        let analyses = q.fetch_all(&mut *tx).await?;
        let mut records = Vec::with_capacity(analyses.len());
        for a in &analyses {
            let recs = sqlx::query(
                "SELECT category, priority, title, description, impact_score FROM recommendations \
                 WHERE analysis_id = ? ORDER BY id",
            )
            .bind(a.try_get::<i64, _>(0)?)
            .fetch_all(&mut *tx)
            .await?;
            records.push(AnalysisRecord {
                agent: a.try_get(1)?,
                provider: a.try_get(2)?,
                model: a.try_get(3)?,
                input_hash: a.try_get(4)?,
                input: a.try_get(5)?,
                output: a.try_get(6)?,
                result: a.try_get(7)?,
                prompt_tokens: a.try_get(8)?,
                completion_tokens: a.try_get(9)?,
                cost: a.try_get::<Option<i64>, _>(10)?.map(from_units),
                latency_ms: a.try_get(11)?,
                status: a.try_get(12)?,
                created_at: a.try_get(13)?,
                recommendations: recs.iter().map(recommendation).collect::<StoreResult<_>>()?,
            });
        }
        Ok(records)
    }
}

impl Store for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<Duration> {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(t.elapsed())
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

    async fn companies(&self) -> StoreResult<Vec<Company>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_companies(&mut conn).await
    }

    async fn upsert_company(&self, c: &NewCompany) -> StoreResult<Company> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET industry = excluded.industry, currency = excluded.currency, \
             fiscal_year_start = excluded.fiscal_year_start, locale = excluded.locale \
             RETURNING id, name, industry, currency, fiscal_year_start, locale",
        )
        .bind(&c.name)
        .bind(&c.industry)
        .bind(&c.currency)
        .bind(i64::from(c.fiscal_year_start))
        .bind(&c.locale)
        .fetch_one(&mut *tx)
        .await?;
        let company = company_of(&row)?;
        tx.commit().await?;
        Ok(company)
    }

    async fn financials(&self, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_financials(&mut conn, company_id).await
    }

    async fn products(&self, company_id: i64) -> StoreResult<Vec<Product>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_products(&mut conn, company_id).await
    }

    async fn invoices(&self, company_id: i64) -> StoreResult<Vec<Invoice>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_invoices(&mut conn, company_id).await
    }

    async fn open_invoices(&self, company_id: i64, d: NaiveDate) -> StoreResult<Vec<Invoice>> {
        let d = iso(d);
        let rows = sqlx::query(
            "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
             WHERE company_id = ?1 AND issue_date <= ?2 \
               AND amount - CASE WHEN paid_date <= ?2 THEN paid_amount ELSE 0 END > 0 \
             ORDER BY due_date, number",
        )
        .bind(company_id)
        .bind(&d)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invoice_of).collect()
    }

    async fn update_product(&self, company_id: i64, original: &Product, updated: &Product) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE products SET name = ?3, unit_price = ?4, unit_cost = ?5, monthly_units = ?6, fixed_costs = ?7, \
             version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE company_id = ?1 AND sku = ?2 AND name = ?8 AND unit_price = ?9 AND unit_cost = ?10 \
               AND monthly_units = ?11 AND fixed_costs = ?12",
        )
        .bind(company_id)
        .bind(&original.sku)
        .bind(&updated.name)
        .bind(to_units(updated.unit_price)?)
        .bind(to_units(updated.unit_cost)?)
        .bind(to_units(updated.monthly_units)?)
        .bind(to_units(updated.fixed_costs)?)
        .bind(&original.name)
        .bind(to_units(original.unit_price)?)
        .bind(to_units(original.unit_cost)?)
        .bind(to_units(original.monthly_units)?)
        .bind(to_units(original.fixed_costs)?)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("product", &original.sku));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update_month(
        &self,
        company_id: i64,
        original: &MonthlyFinancials,
        updated: &MonthlyFinancials,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (o, u) = (original, updated);
        let done = sqlx::query(
            "UPDATE financials SET revenue = ?3, cogs = ?4, opex = ?5, sales_marketing = ?6, depreciation = ?7, \
             other_income = ?8, financing = ?9, cash_end = ?10, customers_new = ?11, customers_churned = ?12, \
             customers_end = ?13, version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE company_id = ?1 AND month = ?2 AND revenue IS ?14 AND cogs IS ?15 AND opex IS ?16 \
               AND sales_marketing IS ?17 AND depreciation IS ?18 AND other_income IS ?19 AND financing IS ?20 \
               AND cash_end IS ?21 AND customers_new IS ?22 AND customers_churned IS ?23 AND customers_end IS ?24",
        )
        .bind(company_id)
        .bind(o.month.to_string())
        .bind(to_units(u.revenue)?)
        .bind(to_units(u.cogs)?)
        .bind(to_units(u.opex)?)
        .bind(opt_units(u.sales_marketing)?)
        .bind(opt_units(u.depreciation)?)
        .bind(opt_units(u.other_income)?)
        .bind(opt_units(u.financing)?)
        .bind(to_units(u.cash_end)?)
        .bind(u.customers_new)
        .bind(u.customers_churned)
        .bind(u.customers_end)
        .bind(to_units(o.revenue)?)
        .bind(to_units(o.cogs)?)
        .bind(to_units(o.opex)?)
        .bind(opt_units(o.sales_marketing)?)
        .bind(opt_units(o.depreciation)?)
        .bind(opt_units(o.other_income)?)
        .bind(opt_units(o.financing)?)
        .bind(to_units(o.cash_end)?)
        .bind(o.customers_new)
        .bind(o.customers_churned)
        .bind(o.customers_end)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("month", &o.month.to_string()));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update_invoice(&self, company_id: i64, original: &Invoice, updated: &Invoice) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (o, u) = (original, updated);
        let done = sqlx::query(
            "UPDATE invoices SET customer = ?3, issue_date = ?4, due_date = ?5, amount = ?6, paid_amount = ?7, \
             paid_date = ?8, version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE company_id = ?1 AND number = ?2 AND customer IS ?9 AND issue_date IS ?10 AND due_date IS ?11 \
               AND amount IS ?12 AND paid_amount IS ?13 AND paid_date IS ?14",
        )
        .bind(company_id)
        .bind(&o.number)
        .bind(&u.customer)
        .bind(iso(u.issue_date))
        .bind(iso(u.due_date))
        .bind(to_units(u.amount)?)
        .bind(to_units(u.paid_amount)?)
        .bind(u.paid_date.map(iso))
        .bind(&o.customer)
        .bind(iso(o.issue_date))
        .bind(iso(o.due_date))
        .bind(to_units(o.amount)?)
        .bind(to_units(o.paid_amount)?)
        .bind(o.paid_date.map(iso))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("invoice", &o.number));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn collections_input(&self, company_id: i64, m: Month) -> StoreResult<CollectionsInput> {
        let d = m.last_day();
        let threshold = |days: i64| iso(d - chrono::Duration::days(days));
        let mut tx = self.pool.begin().await?;
        let groups = sqlx::query(
            "SELECT customer, bucket, SUM(open), MIN(due_date) FROM ( \
               SELECT customer, due_date, \
                 amount - CASE WHEN paid_date <= ?2 THEN paid_amount ELSE 0 END AS open, \
                 CASE WHEN due_date >= ?2 THEN 0 WHEN due_date >= ?3 THEN 1 WHEN due_date >= ?4 THEN 2 \
                      WHEN due_date >= ?5 THEN 3 ELSE 4 END AS bucket \
               FROM invoices WHERE company_id = ?1 AND issue_date <= ?2 \
             ) WHERE open > 0 GROUP BY customer, bucket",
        )
        .bind(company_id)
        .bind(iso(d))
        .bind(threshold(30))
        .bind(threshold(60))
        .bind(threshold(90))
        .fetch_all(&mut *tx)
        .await?;
        let d_prev = iso(m.plus(-1).last_day());
        let totals = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN issue_date <= ?2 THEN amount - CASE WHEN paid_date <= ?2 THEN paid_amount ELSE 0 END END), 0), \
               COALESCE(SUM(CASE WHEN issue_date >= ?3 AND issue_date <= ?5 THEN amount END), 0), \
               COALESCE(SUM(CASE WHEN issue_date >= ?4 AND issue_date <= ?5 THEN amount END), 0) \
             FROM invoices WHERE company_id = ?1",
        )
        .bind(company_id)
        .bind(&d_prev)
        .bind(iso(m.plus(-2).first_day()))
        .bind(iso(m.first_day()))
        .bind(iso(d))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut input = CollectionsInput {
            open_at_d: groups
                .iter()
                .map(|r| {
                    Ok(OpenGroup {
                        customer: r.try_get(0)?,
                        bucket: Bucket::from_index(r.try_get(1)?)
                            .ok_or_else(|| StoreError::Corrupt("aging bucket".into()))?,
                        open: from_units(r.try_get(2)?),
                        oldest_due: date_of(r.try_get(3)?)?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            ar_begin: from_units(totals.try_get(0)?),
            credit_sales_3m: from_units(totals.try_get(1)?),
            credit_sales_m: from_units(totals.try_get(2)?),
        };
        sort_groups(&mut input);
        Ok(input)
    }

    async fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> StoreResult<Company> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let company = Self::resolve(&mut tx, target).await?;
        match batch {
            ImportBatch::Financials(rows) => Self::write_financials(&mut tx, company.id, rows).await?,
            ImportBatch::Products(rows) => Self::write_products(&mut tx, company.id, rows).await?,
            ImportBatch::Invoices(rows) => Self::write_invoices(&mut tx, company.id, rows).await?,
        }
        tx.commit().await?;
        Ok(company)
    }

    async fn import_stream(&self, target: &ImportTarget, mut feed: FeedRx) -> StoreResult<Company> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let company = Self::resolve(&mut tx, target).await?;
        loop {
            match feed.recv().await {
                Some(Feed::Rows(ImportBatch::Financials(rows))) => {
                    Self::write_financials(&mut tx, company.id, &rows).await?
                }
                Some(Feed::Rows(ImportBatch::Products(rows))) => {
                    Self::write_products(&mut tx, company.id, &rows).await?
                }
                Some(Feed::Rows(ImportBatch::Invoices(rows))) => {
                    Self::write_invoices(&mut tx, company.id, &rows).await?
                }
                Some(Feed::End) => break,
                // Dropping the transaction rolls everything back.
                None => return Err(super::abandoned()),
            }
        }
        tx.commit().await?;
        Ok(company)
    }

    async fn save_scenario(&self, company_id: i64, sc: &StoredScenario) -> StoreResult<i64> {
        let drivers = serde_json::to_string(&sc.drivers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM scenarios WHERE company_id = ? AND name = ?")
            .bind(company_id)
            .bind(&sc.name)
            .fetch_optional(&mut *tx)
            .await?;
        let version = match (stored, sc.version) {
            (Some(_), 0) => return Err(super::scenario_taken(&sc.name)),
            (None, 0) => {
                sqlx::query(
                    "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, start_revenue, version) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                )
                .bind(company_id)
                .bind(&sc.name)
                .bind(&drivers)
                .bind(i64::from(sc.locked))
                .bind(&sc.base_month)
                .bind(opt_units(sc.start_cash)?)
                .bind(opt_units(sc.start_revenue)?)
                .execute(&mut *tx)
                .await?;
                1
            }
            (Some(v), expected) if v == expected => {
                sqlx::query(
                    "UPDATE scenarios SET drivers = ?, locked = ?, base_month = ?, start_cash = ?, start_revenue = ?, \
                     version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                     WHERE company_id = ? AND name = ?",
                )
                .bind(&drivers)
                .bind(i64::from(sc.locked))
                .bind(&sc.base_month)
                .bind(opt_units(sc.start_cash)?)
                .bind(opt_units(sc.start_revenue)?)
                .bind(company_id)
                .bind(&sc.name)
                .execute(&mut *tx)
                .await?;
                v + 1
            }
            _ => return Err(super::stale("scenario", &sc.name)),
        };
        tx.commit().await?;
        Ok(version)
    }

    async fn rename_scenario(&self, company_id: i64, name: &str, new_name: &str, version: i64) -> StoreResult<i64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM scenarios WHERE company_id = ? AND name = ?")
            .bind(company_id)
            .bind(new_name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(super::scenario_taken(new_name));
        }
        let done = sqlx::query(
            "UPDATE scenarios SET name = ?, version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE company_id = ? AND name = ? AND version = ?",
        )
        .bind(new_name)
        .bind(company_id)
        .bind(name)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("scenario", name));
        }
        tx.commit().await?;
        Ok(version + 1)
    }

    async fn forecast_input(&self, company_id: i64, m: Month) -> StoreResult<ForecastInput> {
        let d = iso(m.last_day());
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT customer, \
               SUM(MAX(0, CAST(julianday(paid_date) - julianday(due_date) AS INTEGER))), COUNT(*) \
             FROM invoices WHERE company_id = ?1 AND paid_date IS NOT NULL AND paid_date <= ?2 GROUP BY customer",
        )
        .bind(company_id)
        .bind(&d)
        .fetch_all(&mut *tx)
        .await?;
        let invoiced: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM invoices WHERE company_id = ?1 AND issue_date >= ?2 AND issue_date <= ?3",
        )
        .bind(company_id)
        .bind(iso(m.plus(-2).first_day()))
        .bind(&d)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ForecastInput {
            late: rows
                .iter()
                .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
                .collect::<StoreResult<_>>()?,
            invoiced_t3m: from_units(invoiced),
        })
    }

    async fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let id = Self::insert_analysis(&mut tx, company_id, a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn cached_analysis(&self, key: &super::CacheKey<'_>) -> StoreResult<Option<AnalysisRecord>> {
        let mut conn = self.pool.acquire().await?;
        let mut found = Self::read_analyses(
            &mut conn,
            key.company_id,
            "AND agent = ?2 AND model = ?3 AND input_hash = ?4 AND status = 'ok' AND created_at >= ?5 \
             ORDER BY id DESC LIMIT 1",
            &[key.agent, key.model, key.input_hash, &super::utc_text(key.since)],
        )
        .await?;
        Ok(found.pop())
    }

    async fn ai_spend_since(&self, since: chrono::DateTime<chrono::Utc>) -> StoreResult<rust_decimal::Decimal> {
        let units: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(cost), 0) FROM ai_analysis WHERE created_at >= ?")
            .bind(super::utc_text(since))
            .fetch_one(&self.pool)
            .await?;
        Ok(from_units(units))
    }

    async fn delete_scenario(&self, company_id: i64, name: &str, version: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM scenarios WHERE company_id = ? AND name = ? AND version = ?")
            .bind(company_id)
            .bind(name)
            .bind(version)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("scenario", name));
        }
        Ok(())
    }

    async fn latest_recommendations(&self, company_id: i64, limit: i64) -> StoreResult<Vec<RecommendationRecord>> {
        let rows = sqlx::query(
            "SELECT category, priority, title, description, impact_score FROM recommendations \
             WHERE analysis_id = (SELECT MAX(id) FROM ai_analysis WHERE company_id = ? AND status = 'ok') \
             ORDER BY priority, impact_score DESC, id LIMIT ?",
        )
        .bind(company_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(recommendation).collect()
    }

    async fn scenarios(&self, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_scenarios(&mut conn, company_id).await
    }

    async fn save_mapping(&self, company_id: i64, m: &SavedMapping) -> StoreResult<()> {
        Self::insert_mapping(&self.pool, company_id, m).await
    }

    async fn mappings(&self, company_id: i64) -> StoreResult<Vec<SavedMapping>> {
        Ok(sqlx::query_as(super::READ_MAPPINGS_SQL)
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn backup(&self) -> StoreResult<Backup> {
        // One read transaction: every table seen at the same instant (WAL snapshot).
        let mut tx = self.pool.begin().await?;
        let mut companies = Vec::new();
        for c in Self::read_companies(&mut tx).await? {
            let records = Self::read_analyses(&mut tx, c.id, "ORDER BY id", &[]).await?;
            let members = sqlx::query("SELECT member, role FROM company_members WHERE company_id = ? ORDER BY member")
                .bind(c.id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| {
                    Ok(Member {
                        member: r.try_get(0)?,
                        role: r.try_get(1)?,
                    })
                })
                .collect::<StoreResult<_>>()?;
            companies.push(CompanyBackup {
                financials: Self::read_financials(&mut tx, c.id).await?,
                products: Self::read_products(&mut tx, c.id).await?,
                invoices: Self::read_invoices(&mut tx, c.id).await?,
                scenarios: Self::read_scenarios(&mut tx, c.id).await?,
                analyses: records,
                members,
                mappings: sqlx::query_as(super::READ_MAPPINGS_SQL)
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                audit: sqlx::query_as(
                    "SELECT at, who, company, action, target, detail FROM audit WHERE company_id = $1 ORDER BY at, id",
                )
                .bind(c.id)
                .fetch_all(&mut *tx)
                .await?,
                targets: sqlx::query_as("SELECT metric, rule FROM targets WHERE company_id = $1 ORDER BY metric")
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                profile: c.into(),
            });
        }
        tx.commit().await?;
        Ok(Backup::new(companies))
    }

    async fn restore(&self, b: &Backup) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
            .fetch_one(&mut *tx)
            .await?;
        if count > 0 {
            return Err(StoreError::NotEmpty);
        }
        for cb in &b.companies {
            let c = Self::insert_company(&mut tx, &cb.profile).await?;
            Self::write_financials(&mut tx, c.id, &cb.financials).await?;
            Self::write_products(&mut tx, c.id, &cb.products).await?;
            Self::write_invoices(&mut tx, c.id, &cb.invoices).await?;
            for s in &cb.scenarios {
                let drivers = serde_json::to_string(&s.drivers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, start_revenue, version) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(c.id)
                .bind(&s.name)
                .bind(drivers)
                .bind(i64::from(s.locked))
                .bind(&s.base_month)
                .bind(opt_units(s.start_cash)?)
                .bind(opt_units(s.start_revenue)?)
                .bind(s.version)
                .execute(&mut *tx)
                .await?;
            }
            for a in &cb.analyses {
                Self::insert_analysis(&mut tx, c.id, a).await?;
            }
            for m in &cb.members {
                sqlx::query("INSERT INTO company_members (company_id, member, role) VALUES (?, ?, ?)")
                    .bind(c.id)
                    .bind(&m.member)
                    .bind(&m.role)
                    .execute(&mut *tx)
                    .await?;
            }
            for m in &cb.mappings {
                Self::insert_mapping(&mut *tx, c.id, m).await?;
            }
            for (metric, rule) in &cb.targets {
                sqlx::query("INSERT INTO targets (company_id, metric, rule) VALUES ($1, $2, $3)")
                    .bind(c.id)
                    .bind(metric)
                    .bind(rule)
                    .execute(&mut *tx)
                    .await?;
            }
            for a in &cb.audit {
                sqlx::query("INSERT INTO audit (at, who, company_id, company, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&a.at)
                    .bind(&a.who)
                    .bind(c.id)
                    .bind(&a.company)
                    .bind(&a.action)
                    .bind(&a.target)
                    .bind(&a.detail)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
