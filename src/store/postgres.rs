//! The shared store: any PostgreSQL 13+ by URL (TLS via rustls for
//! `sslmode=require|verify-full`). Money is NUMERIC(18,4). Bulk imports go
//! through COPY into a staging table and one merge.

use super::backup::{AnalysisRecord, Backup, CompanyBackup, Member, RecommendationRecord, StoredScenario};
use super::pg_copy::{self, check_money};
use super::{
    Feed, FeedRx, ImportBatch, ImportTarget, MigrationStatus, SavedMapping, Store, StoreError, StoreResult, sort_groups,
};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, NewCompany, Product};
use crate::finance::collections::{Bucket, CollectionsInput, OpenGroup};
use crate::finance::forecast::ForecastInput;
use chrono::NaiveDate;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Row};
use std::str::FromStr;
use std::time::{Duration, Instant};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    /// This process's mark on the writes it records.
    pub(crate) session: String,
}

fn company_of(r: &PgRow) -> StoreResult<Company> {
    Ok(Company {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        industry: r.try_get(2)?,
        currency: r.try_get(3)?,
        fiscal_year_start: r.try_get::<i16, _>(4)? as u32,
        locale: r.try_get(5)?,
    })
}

fn month_of(s: &str) -> StoreResult<Month> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("bad month {s:?}")))
}

/// number, customer, issue_date, due_date, amount, paid_amount, paid_date
fn invoice_of(r: &PgRow) -> StoreResult<Invoice> {
    Ok(Invoice {
        number: r.try_get(0)?,
        customer: r.try_get(1)?,
        issue_date: r.try_get(2)?,
        due_date: r.try_get(3)?,
        amount: r.try_get(4)?,
        paid_amount: r.try_get(5)?,
        paid_date: r.try_get(6)?,
    })
}

/// A row of `SELECT category, priority, title, description, impact_score FROM recommendations`.
fn recommendation(r: &PgRow) -> StoreResult<RecommendationRecord> {
    Ok(RecommendationRecord {
        category: r.try_get(0)?,
        priority: r.try_get::<i16, _>(1)?.into(),
        title: r.try_get(2)?,
        description: r.try_get(3)?,
        impact_score: r.try_get::<i16, _>(4)?.into(),
    })
}

/// How long opening a PostgreSQL store waits for the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One line for a failed connection: the place and the cause, in words.
fn why_unreachable(place: &str, user: &str, e: &sqlx::Error) -> String {
    let user = crate::sanitize::clean(user);
    let innermost = |e: &dyn std::error::Error| {
        let mut cause = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        crate::sanitize::clean(&cause.to_string())
    };
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("{place}: connection refused (is PostgreSQL running there?)")
        }
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => format!("{place}: timed out"),
        sqlx::Error::Io(io) => format!("{place}: {}", innermost(io)),
        sqlx::Error::Tls(t) => format!("{place}: TLS failed ({})", innermost(t.as_ref())),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") | Some("28000") => {
                format!(
                    "{place}: authentication failed for {user} ({})",
                    crate::sanitize::clean(db.message())
                )
            }
            Some("3D000") => format!("{place}: {}", crate::sanitize::clean(db.message())),
            _ => format!("{place}: {}", crate::sanitize::clean(db.message())),
        },
        other => format!("{place}: {}", innermost(other)),
    }
}

/// A write refused by privileges or row-level security, said as such.
pub(super) fn explain(e: StoreError) -> StoreError {
    if let StoreError::Database(sqlx::Error::Database(db)) = &e
        && db.code().as_deref() == Some("42501")
    {
        return StoreError::Forbidden(format!(
            "your role does not allow this write ({})",
            crate::sanitize::clean(db.message())
        ));
    }
    e
}

impl PgStore {
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the migrations this binary carries (`katalis migrate`).
    pub async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = self.applied().await?;
        MIGRATOR.run(&self.pool).await?;
        let after = self.applied().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    async fn applied(&self) -> StoreResult<Vec<i64>> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        if !exists {
            return Ok(Vec::new());
        }
        Ok(
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Opening needs only a viewer's rights: a current store is used as it is; an
    /// outdated one is migrated only by a role that may change the schema (a
    /// superuser, the tables' owner, or anyone with CREATE on a schema that has
    /// no Katalis tables yet); anyone else is told which migration is missing.
    async fn migrate_if_allowed(&self) -> StoreResult<()> {
        let applied = self.applied().await?;
        let missing: Vec<String> = MIGRATOR
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} ({})", m.version, m.description))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let may: bool = sqlx::query_scalar(
            "SELECT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)              OR (to_regclass('public.companies') IS NULL AND has_schema_privilege('public', 'CREATE'))              OR (to_regclass('public.companies') IS NOT NULL AND pg_has_role(current_user,                  (SELECT relowner FROM pg_class WHERE oid = to_regclass('public.companies')), 'MEMBER'))",
        )
        .fetch_one(&self.pool)
        .await?;
        if !may {
            return Err(StoreError::Outdated(missing.join(", ")));
        }
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub async fn writable(&self) -> StoreResult<()> {
        let ro: String = sqlx::query_scalar("SHOW transaction_read_only")
            .fetch_one(&self.pool)
            .await?;
        if ro == "on" {
            return Err(StoreError::ReadOnly(
                "the PostgreSQL session (a read-only replica or role)".into(),
            ));
        }
        Ok(())
    }

    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Self::open(url, true).await
    }

    /// Opens the pool; with `migrate`, applies what is missing when the role may.
    pub async fn open(url: &str, migrate: bool) -> StoreResult<PgStore> {
        let opts = PgConnectOptions::from_str(url)?.application_name("katalis");
        // One connection first, so a failure names the host and the cause
        // (refused, timed out, TLS, authentication) rather than "pool timed out".
        let place = format!("{}:{}", crate::sanitize::clean(opts.get_host()), opts.get_port());
        match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect_with(&opts)).await {
            Err(_) => {
                return Err(StoreError::Unreachable(format!(
                    "{place}: no answer within {} s (timed out)",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
            Ok(Err(e)) => {
                return Err(StoreError::Unreachable(why_unreachable(
                    &place,
                    opts.get_username(),
                    &e,
                )));
            }
            Ok(Ok(c)) => {
                let _ = sqlx::Connection::close(c).await;
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await?;
        let store = PgStore {
            pool,
            session: super::team::new_session(),
        };
        if migrate {
            store.migrate_if_allowed().await?;
        }
        Ok(store)
    }

    async fn insert_mapping<'e, E: sqlx::Executor<'e, Database = sqlx::Postgres>>(
        ex: E,
        company_id: i64,
        m: &SavedMapping,
    ) -> StoreResult<()> {
        let q = sqlx::query(super::SAVE_MAPPING_SQL).bind(company_id).bind(&m.name);
        q.bind(&m.kind).bind(&m.spec).execute(ex).await?;
        Ok(())
    }

    async fn insert_company(tx: &mut PgConnection, c: &NewCompany) -> StoreResult<Company> {
        let row = sqlx::query(
            "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, industry, currency, fiscal_year_start, locale",
        )
        .bind(&c.name)
        .bind(&c.industry)
        .bind(&c.currency)
        .bind(c.fiscal_year_start as i16)
        .bind(&c.locale)
        .fetch_one(&mut *tx)
        .await?;
        company_of(&row)
    }

    async fn resolve(tx: &mut PgConnection, target: &ImportTarget) -> StoreResult<Company> {
        match target {
            ImportTarget::Existing(id) => {
                let row = sqlx::query(
                    "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies WHERE id = $1",
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
                let row = sqlx::query(
                    "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies WHERE name = $1",
                )
                .bind(&c.name)
                .fetch_optional(&mut *tx)
                .await?;
                match row {
                    Some(r) => company_of(&r),
                    None => Self::insert_company(tx, c).await,
                }
            }
        }
    }

    async fn write_financials(tx: &mut PgConnection, company: i64, rows: &[MonthlyFinancials]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::FINANCIALS, company, rows, None, pg_copy::financials)
            .await
            .map(drop)
    }

    async fn write_products(tx: &mut PgConnection, company: i64, rows: &[Product]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::PRODUCTS, company, rows, None, pg_copy::products)
            .await
            .map(drop)
    }

    async fn write_invoices(tx: &mut PgConnection, company: i64, rows: &[Invoice]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::INVOICES, company, rows, None, pg_copy::invoices)
            .await
            .map(drop)
    }

    async fn read_companies(conn: &mut PgConnection) -> StoreResult<Vec<Company>> {
        let rows =
            sqlx::query("SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies ORDER BY id")
                .fetch_all(&mut *conn)
                .await?;
        rows.iter().map(company_of).collect()
    }

    async fn read_financials(conn: &mut PgConnection, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
        let rows = sqlx::query(
            "SELECT month, revenue, cogs, opex, sales_marketing, depreciation, other_income, financing, cash_end, \
             customers_new, customers_churned, customers_end FROM financials WHERE company_id = $1 ORDER BY month",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MonthlyFinancials {
                    month: month_of(r.try_get(0)?)?,
                    revenue: r.try_get(1)?,
                    cogs: r.try_get(2)?,
                    opex: r.try_get(3)?,
                    sales_marketing: r.try_get(4)?,
                    depreciation: r.try_get(5)?,
                    other_income: r.try_get(6)?,
                    financing: r.try_get(7)?,
                    cash_end: r.try_get(8)?,
                    customers_new: r.try_get(9)?,
                    customers_churned: r.try_get(10)?,
                    customers_end: r.try_get(11)?,
                })
            })
            .collect()
    }

    async fn read_products(conn: &mut PgConnection, company_id: i64) -> StoreResult<Vec<Product>> {
        let rows = sqlx::query(
            "SELECT sku, name, unit_price, unit_cost, monthly_units, fixed_costs FROM products \
             WHERE company_id = $1 ORDER BY sku COLLATE \"C\"",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Product {
                    sku: r.try_get(0)?,
                    name: r.try_get(1)?,
                    unit_price: r.try_get(2)?,
                    unit_cost: r.try_get(3)?,
                    monthly_units: r.try_get(4)?,
                    fixed_costs: r.try_get(5)?,
                })
            })
            .collect()
    }

    async fn read_invoices(conn: &mut PgConnection, company_id: i64) -> StoreResult<Vec<Invoice>> {
        let rows = sqlx::query(
            "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
             WHERE company_id = $1 ORDER BY number COLLATE \"C\"",
        )
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(invoice_of).collect()
    }

    async fn read_scenarios(conn: &mut PgConnection, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
        let rows = sqlx::query(
            "SELECT name, drivers::text, locked, base_month, start_cash, start_revenue, version FROM scenarios \
             WHERE company_id = $1 ORDER BY name COLLATE \"C\"",
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
                    locked: r.try_get(2)?,
                    base_month: r.try_get(3)?,
                    start_cash: r.try_get(4)?,
                    start_revenue: r.try_get(5)?,
                    version: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn insert_analysis(tx: &mut PgConnection, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ai_analysis (company_id, agent, provider, model, input_hash, input, output, result, \
             prompt_tokens, completion_tokens, cost, latency_ms, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14::timestamptz) RETURNING id",
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
        .bind(a.cost.map(check_money).transpose()?)
        .bind(a.latency_ms)
        .bind(&a.status)
        .bind(&a.created_at)
        .fetch_one(&mut *tx)
        .await?;
        for r in &a.recommendations {
            sqlx::query(
                "INSERT INTO recommendations (analysis_id, company_id, category, priority, title, description, \
                 impact_score) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(company_id)
            .bind(&r.category)
            .bind(r.priority as i16)
            .bind(&r.title)
            .bind(&r.description)
            .bind(r.impact_score as i16)
            .execute(&mut *tx)
            .await?;
        }
        Ok(id)
    }

    /// Analyses of a company matching `filter` (SQL after `WHERE company_id = $1`).
    async fn read_analyses(
        tx: &mut PgConnection,
        company_id: i64,
        filter: &str,
        binds: &[&str],
    ) -> StoreResult<Vec<AnalysisRecord>> {
        let sql = format!(
            "SELECT id, agent, provider, model, input_hash, input, output, result::text, prompt_tokens, \
             completion_tokens, cost, latency_ms, status, \
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') \
             FROM ai_analysis WHERE company_id = $1 {filter}"
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
                 WHERE analysis_id = $1 ORDER BY id",
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
                cost: a.try_get(10)?,
                latency_ms: a.try_get(11)?,
                status: a.try_get(12)?,
                created_at: a.try_get(13)?,
                recommendations: recs.iter().map(recommendation).collect::<StoreResult<_>>()?,
            });
        }
        Ok(records)
    }
}

impl Store for PgStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<Duration> {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(t.elapsed())
    }

    async fn migration_status(&self) -> StoreResult<MigrationStatus> {
        Ok(MigrationStatus {
            applied: self.applied().await?,
            known: MIGRATOR.iter().map(|m| m.version).collect(),
        })
    }

    async fn companies(&self) -> StoreResult<Vec<Company>> {
        let mut conn = self.pool.acquire().await?;
        Self::read_companies(&mut conn).await
    }

    async fn upsert_company(&self, c: &NewCompany) -> StoreResult<Company> {
        let row = sqlx::query(
            "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET industry = excluded.industry, currency = excluded.currency, \
             fiscal_year_start = excluded.fiscal_year_start, locale = excluded.locale \
             RETURNING id, name, industry, currency, fiscal_year_start, locale",
        )
        .bind(&c.name)
        .bind(&c.industry)
        .bind(&c.currency)
        .bind(c.fiscal_year_start as i16)
        .bind(&c.locale)
        .fetch_one(&self.pool)
        .await?;
        company_of(&row)
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
        let rows = sqlx::query(
            "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
             WHERE company_id = $1 AND issue_date <= $2 \
               AND amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END > 0 \
             ORDER BY due_date, number COLLATE \"C\"",
        )
        .bind(company_id)
        .bind(d)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invoice_of).collect()
    }

    async fn update_product(&self, company_id: i64, original: &Product, updated: &Product) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE products SET name = $3, unit_price = $4, unit_cost = $5, monthly_units = $6, fixed_costs = $7, \
             version = version + 1, updated_at = now() \
             WHERE company_id = $1 AND sku = $2 AND name = $8 AND unit_price = $9 AND unit_cost = $10 \
               AND monthly_units = $11 AND fixed_costs = $12",
        )
        .bind(company_id)
        .bind(&original.sku)
        .bind(&updated.name)
        .bind(check_money(updated.unit_price)?)
        .bind(check_money(updated.unit_cost)?)
        .bind(check_money(updated.monthly_units)?)
        .bind(check_money(updated.fixed_costs)?)
        .bind(&original.name)
        .bind(original.unit_price)
        .bind(original.unit_cost)
        .bind(original.monthly_units)
        .bind(original.fixed_costs)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("product", &original.sku));
        }
        Ok(())
    }

    async fn update_month(
        &self,
        company_id: i64,
        original: &MonthlyFinancials,
        updated: &MonthlyFinancials,
    ) -> StoreResult<()> {
        let (o, u) = (original, updated);
        let opt = |d: Option<rust_decimal::Decimal>| d.map(check_money).transpose();
        let done = sqlx::query(
            "UPDATE financials SET revenue = $3, cogs = $4, opex = $5, sales_marketing = $6, depreciation = $7, \
             other_income = $8, financing = $9, cash_end = $10, customers_new = $11, customers_churned = $12, \
             customers_end = $13, version = version + 1, updated_at = now() \
             WHERE company_id = $1 AND month = $2 AND revenue = $14 AND cogs = $15 AND opex = $16 \
               AND sales_marketing IS NOT DISTINCT FROM $17 AND depreciation IS NOT DISTINCT FROM $18 \
               AND other_income IS NOT DISTINCT FROM $19 AND financing IS NOT DISTINCT FROM $20 \
               AND cash_end = $21 AND customers_new IS NOT DISTINCT FROM $22 \
               AND customers_churned IS NOT DISTINCT FROM $23 AND customers_end IS NOT DISTINCT FROM $24",
        )
        .bind(company_id)
        .bind(o.month.to_string())
        .bind(check_money(u.revenue)?)
        .bind(check_money(u.cogs)?)
        .bind(check_money(u.opex)?)
        .bind(opt(u.sales_marketing)?)
        .bind(opt(u.depreciation)?)
        .bind(opt(u.other_income)?)
        .bind(opt(u.financing)?)
        .bind(check_money(u.cash_end)?)
        .bind(u.customers_new)
        .bind(u.customers_churned)
        .bind(u.customers_end)
        .bind(o.revenue)
        .bind(o.cogs)
        .bind(o.opex)
        .bind(o.sales_marketing)
        .bind(o.depreciation)
        .bind(o.other_income)
        .bind(o.financing)
        .bind(o.cash_end)
        .bind(o.customers_new)
        .bind(o.customers_churned)
        .bind(o.customers_end)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("month", &o.month.to_string()));
        }
        Ok(())
    }

    async fn update_invoice(&self, company_id: i64, original: &Invoice, updated: &Invoice) -> StoreResult<()> {
        let (o, u) = (original, updated);
        let done = sqlx::query(
            "UPDATE invoices SET customer = $3, issue_date = $4, due_date = $5, amount = $6, paid_amount = $7, \
             paid_date = $8, version = version + 1, updated_at = now() \
             WHERE company_id = $1 AND number = $2 AND customer = $9 AND issue_date = $10 AND due_date = $11 \
               AND amount = $12 AND paid_amount = $13 AND paid_date IS NOT DISTINCT FROM $14",
        )
        .bind(company_id)
        .bind(&o.number)
        .bind(&u.customer)
        .bind(u.issue_date)
        .bind(u.due_date)
        .bind(check_money(u.amount)?)
        .bind(check_money(u.paid_amount)?)
        .bind(u.paid_date)
        .bind(&o.customer)
        .bind(o.issue_date)
        .bind(o.due_date)
        .bind(o.amount)
        .bind(o.paid_amount)
        .bind(o.paid_date)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(super::stale("invoice", &o.number));
        }
        Ok(())
    }

    async fn collections_input(&self, company_id: i64, m: Month) -> StoreResult<CollectionsInput> {
        let d = m.last_day();
        let days = |n: i64| d - chrono::Duration::days(n);
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let groups = sqlx::query(
            "SELECT customer, bucket, SUM(open), MIN(due_date) FROM ( \
               SELECT customer, due_date, \
                 amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END AS open, \
                 CASE WHEN due_date >= $2 THEN 0 WHEN due_date >= $3 THEN 1 WHEN due_date >= $4 THEN 2 \
                      WHEN due_date >= $5 THEN 3 ELSE 4 END AS bucket \
               FROM invoices WHERE company_id = $1 AND issue_date <= $2 \
             ) o WHERE open > 0 GROUP BY customer, bucket",
        )
        .bind(company_id)
        .bind(d)
        .bind(days(30))
        .bind(days(60))
        .bind(days(90))
        .fetch_all(&mut *tx)
        .await?;
        let totals = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN issue_date <= $2 THEN amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END END), 0), \
               COALESCE(SUM(CASE WHEN issue_date >= $3 AND issue_date <= $5 THEN amount END), 0), \
               COALESCE(SUM(CASE WHEN issue_date >= $4 AND issue_date <= $5 THEN amount END), 0) \
             FROM invoices WHERE company_id = $1",
        )
        .bind(company_id)
        .bind(m.plus(-1).last_day())
        .bind(m.plus(-2).first_day())
        .bind(m.first_day())
        .bind(d)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut input = CollectionsInput {
            open_at_d: groups
                .iter()
                .map(|r| {
                    Ok(OpenGroup {
                        customer: r.try_get(0)?,
                        bucket: Bucket::from_index(r.try_get::<i32, _>(1)?.into())
                            .ok_or_else(|| StoreError::Corrupt("aging bucket".into()))?,
                        open: r.try_get(2)?,
                        oldest_due: r.try_get(3)?,
                    })
                })
                .collect::<StoreResult<_>>()?,
            ar_begin: totals.try_get(0)?,
            credit_sales_3m: totals.try_get(1)?,
            credit_sales_m: totals.try_get(2)?,
        };
        sort_groups(&mut input);
        Ok(input)
    }

    async fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> StoreResult<Company> {
        let mut tx = self.pool.begin().await?;
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
        let mut tx = self.pool.begin().await?;
        let company = Self::resolve(&mut tx, target).await?;
        let (id, feed) = (company.id, &mut feed);
        let (rows, spec) = match feed.recv().await {
            Some(Feed::Rows(ImportBatch::Financials(r))) => {
                let spec = &pg_copy::FINANCIALS;
                (
                    pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), pg_copy::financials).await?,
                    spec,
                )
            }
            Some(Feed::Rows(ImportBatch::Products(r))) => {
                let spec = &pg_copy::PRODUCTS;
                (
                    pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), pg_copy::products).await?,
                    spec,
                )
            }
            Some(Feed::Rows(ImportBatch::Invoices(r))) => {
                let spec = &pg_copy::INVOICES;
                (
                    pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), pg_copy::invoices).await?,
                    spec,
                )
            }
            Some(Feed::End) => (0, &pg_copy::INVOICES),
            None => return Err(super::abandoned()),
        };
        tx.commit().await?;
        if rows >= pg_copy::ANALYZE_FROM_ROWS {
            sqlx::query(spec.analyze).execute(&self.pool).await?;
        }
        Ok(company)
    }

    async fn save_scenario(&self, company_id: i64, sc: &StoredScenario) -> StoreResult<i64> {
        let drivers = serde_json::to_string(&sc.drivers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let opt = |d: Option<rust_decimal::Decimal>| d.map(check_money).transpose();
        if sc.version == 0 {
            let inserted = sqlx::query(
                "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, start_revenue, version) \
                 VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, 1) ON CONFLICT (company_id, name) DO NOTHING",
            )
            .bind(company_id)
            .bind(&sc.name)
            .bind(&drivers)
            .bind(sc.locked)
            .bind(&sc.base_month)
            .bind(opt(sc.start_cash)?)
            .bind(opt(sc.start_revenue)?)
            .execute(&self.pool)
            .await?;
            if inserted.rows_affected() != 1 {
                return Err(super::scenario_taken(&sc.name));
            }
            return Ok(1);
        }
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE scenarios SET drivers = $3::jsonb, locked = $4, base_month = $5, start_cash = $6, start_revenue = $7, \
             version = version + 1, updated_at = now() \
             WHERE company_id = $1 AND name = $2 AND version = $8 RETURNING version",
        )
        .bind(company_id)
        .bind(&sc.name)
        .bind(&drivers)
        .bind(sc.locked)
        .bind(&sc.base_month)
        .bind(opt(sc.start_cash)?)
        .bind(opt(sc.start_revenue)?)
        .bind(sc.version)
        .fetch_optional(&self.pool)
        .await?;
        version.ok_or_else(|| super::stale("scenario", &sc.name))
    }

    async fn rename_scenario(&self, company_id: i64, name: &str, new_name: &str, version: i64) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let taken: Option<i32> = sqlx::query_scalar("SELECT 1 FROM scenarios WHERE company_id = $1 AND name = $2")
            .bind(company_id)
            .bind(new_name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(super::scenario_taken(new_name));
        }
        let done = sqlx::query(
            "UPDATE scenarios SET name = $1, version = version + 1, updated_at = now() \
             WHERE company_id = $2 AND name = $3 AND version = $4",
        )
        .bind(new_name)
        .bind(company_id)
        .bind(name)
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => super::scenario_taken(new_name),
            _ => e.into(),
        })?;
        if done.rows_affected() != 1 {
            return Err(super::stale("scenario", name));
        }
        tx.commit().await?;
        Ok(version + 1)
    }

    async fn forecast_input(&self, company_id: i64, m: Month) -> StoreResult<ForecastInput> {
        let d = m.last_day();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "SELECT customer, SUM(GREATEST(0, paid_date - due_date))::BIGINT, COUNT(*) \
             FROM invoices WHERE company_id = $1 AND paid_date IS NOT NULL AND paid_date <= $2 GROUP BY customer",
        )
        .bind(company_id)
        .bind(d)
        .fetch_all(&mut *tx)
        .await?;
        let invoiced: rust_decimal::Decimal = sqlx::query_scalar(
            "SELECT COALESCE(SUM(amount), 0) FROM invoices WHERE company_id = $1 AND issue_date >= $2 AND issue_date <= $3",
        )
        .bind(company_id)
        .bind(m.plus(-2).first_day())
        .bind(d)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ForecastInput {
            late: rows
                .iter()
                .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
                .collect::<StoreResult<_>>()?,
            invoiced_t3m: invoiced.normalize(),
        })
    }

    async fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await?;
        let id = Self::insert_analysis(&mut tx, company_id, a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn cached_analysis(&self, key: &super::CacheKey<'_>) -> StoreResult<Option<AnalysisRecord>> {
        let mut conn = self.pool.acquire().await?;
        let mut found = Self::read_analyses(
            &mut conn,
            key.company_id,
            "AND agent = $2 AND model = $3 AND input_hash = $4 AND status = 'ok' AND created_at >= $5::timestamptz \
             ORDER BY id DESC LIMIT 1",
            &[key.agent, key.model, key.input_hash, &super::utc_text(key.since)],
        )
        .await?;
        Ok(found.pop())
    }

    async fn ai_spend_since(&self, since: chrono::DateTime<chrono::Utc>) -> StoreResult<rust_decimal::Decimal> {
        let spent: rust_decimal::Decimal =
            sqlx::query_scalar("SELECT COALESCE(SUM(cost), 0) FROM ai_analysis WHERE created_at >= $1::timestamptz")
                .bind(super::utc_text(since))
                .fetch_one(&self.pool)
                .await?;
        Ok(spent.normalize())
    }

    async fn delete_scenario(&self, company_id: i64, name: &str, version: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM scenarios WHERE company_id = $1 AND name = $2 AND version = $3")
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
             WHERE analysis_id = (SELECT MAX(id) FROM ai_analysis WHERE company_id = $1 AND status = 'ok') \
             ORDER BY priority, impact_score DESC, id LIMIT $2",
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let mut companies = Vec::new();
        for c in Self::read_companies(&mut tx).await? {
            let records = Self::read_analyses(&mut tx, c.id, "ORDER BY id", &[]).await?;
            let members = sqlx::query(
                "SELECT member, role FROM company_members WHERE company_id = $1 ORDER BY member COLLATE \"C\"",
            )
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
                audit: sqlx::query_as("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, who, company, action, target, detail FROM audit WHERE company_id = $1 ORDER BY audit.at, id")
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
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("LOCK TABLE companies IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
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
                     VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)",
                )
                .bind(c.id)
                .bind(&s.name)
                .bind(drivers)
                .bind(s.locked)
                .bind(&s.base_month)
                .bind(s.start_cash.map(check_money).transpose()?)
                .bind(s.start_revenue.map(check_money).transpose()?)
                .bind(s.version)
                .execute(&mut *tx)
                .await?;
            }
            for a in &cb.analyses {
                Self::insert_analysis(&mut tx, c.id, a).await?;
            }
            for m in &cb.members {
                sqlx::query("INSERT INTO company_members (company_id, member, role) VALUES ($1, $2, $3)")
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
                sqlx::query("INSERT INTO audit (at, who, company_id, company, action, target, detail) VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7)")
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
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
}
