//! The one store layer: the SQL both backends share, written once.
//!
//! sqlx-sqlite reads PostgreSQL's `$N` placeholders, and where the two
//! dialects agree (nearly everywhere) a statement is written here once. What
//! truly differs is a value type or a phrase:
//!
//! - [`Money`] is INTEGER in 10^-4 units on SQLite and NUMERIC(18,4) on
//!   PostgreSQL; [`Stamp`] is ISO text on SQLite and TIMESTAMPTZ on
//!   PostgreSQL; dates are ISO text and DATE (sqlx's `NaiveDate` reads both);
//!   a [`Month`] is `YYYY-MM` text on both.
//! - The phrases a backend passes to [`shared_store!`]: how a write transaction
//!   begins, how a consistent read begins, the clock, and the byte-order
//!   collation.
//!
//! Rows are decoded by column name ([`sqlx::FromRow`]), never by position.
//! Each backend keeps only what is its own: bulk paths (COPY, prepared
//! statements), the aggregates that need date arithmetic, pragmas and
//! row-level security.

use super::backup::RecommendationRecord;
use super::{StoreError, StoreResult};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, Product};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteValueRef};
use sqlx::{Database, Decode, Encode, Type};

/// Decimal → INTEGER in 10^-4 units; refuses what does not fit exactly (the
/// same rule as NUMERIC(18,4), so both stores accept the same values).
pub(crate) fn to_units(d: Decimal) -> StoreResult<i64> {
    let scaled = d
        .checked_mul(Decimal::from(10_000))
        .ok_or_else(|| StoreError::OutOfRange(d.to_string()))?;
    if !scaled.fract().is_zero() {
        return Err(StoreError::OutOfRange(d.to_string()));
    }
    scaled.to_i64().ok_or_else(|| StoreError::OutOfRange(d.to_string()))
}

pub(crate) fn from_units(v: i64) -> Decimal {
    Decimal::new(v, 4)
}

/// `$t` is stored in `$db` as `$as` is (same type info, same compatible columns).
macro_rules! same_type_as {
    ($t:ty, $db:ty, $as:ty) => {
        impl Type<$db> for $t {
            fn type_info() -> <$db as Database>::TypeInfo {
                <$as as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <$as as Type<$db>>::compatible(ty)
            }
        }
    };
}

/// An amount of money as a column holds it: INTEGER 10^-4 units (SQLite) or
/// NUMERIC(18,4) (PostgreSQL). Make one with [`Money::new`] to have an
/// out-of-range value refused with a clear error before any SQL runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money(pub Decimal);

impl Money {
    pub fn new(d: Decimal) -> StoreResult<Money> {
        to_units(d).map(|_| Money(d))
    }

    pub fn opt(d: Option<Decimal>) -> StoreResult<Option<Money>> {
        d.map(Money::new).transpose()
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

same_type_as!(Money, Sqlite, i64);

impl Encode<'_, Sqlite> for Money {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(to_units(self.0)?, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Money {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Money(from_units(<i64 as Decode<Sqlite>>::decode(value)?)))
    }
}

same_type_as!(Money, Postgres, Decimal);

impl Encode<'_, Postgres> for Money {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Money {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Money(<Decimal as Decode<Postgres>>::decode(value)?))
    }
}

/// An instant as a column holds it: `2026-11-28T04:20:07.123Z` text (SQLite,
/// which then sorts and compares as time) or TIMESTAMPTZ (PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp(pub DateTime<Utc>);

impl Stamp {
    /// RFC 3339 (`2026-11-28T04:20:07.123Z`), or a date (its midnight, UTC).
    pub fn parse(s: &str) -> StoreResult<Stamp> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Stamp(t.with_timezone(&Utc)));
        }
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Stamp(t.and_utc()))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "bad time {:?}: expected RFC 3339 (2026-11-28T04:20:07Z) or a date (2026-11-28)",
                    crate::sanitize::clean(s)
                ))
            })
    }
}

impl From<Stamp> for String {
    fn from(s: Stamp) -> String {
        super::utc_text(s.0)
    }
}

same_type_as!(Stamp, Sqlite, str);

impl Encode<'_, Sqlite> for Stamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(super::utc_text(self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Stamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Stamp(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc)))
    }
}

same_type_as!(Stamp, Postgres, DateTime<Utc>);

impl Encode<'_, Postgres> for Stamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Stamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Stamp(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

/// A month is `YYYY-MM` text in both stores.
impl<DB: Database> Type<DB> for Month
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for Month
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<DB>::encode(self.to_string(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Month
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<DB>>::decode(value)?;
        text.trim_end()
            .parse()
            .map_err(|_| format!("bad month {text:?}").into())
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CompanyRow {
    id: i64,
    name: String,
    industry: String,
    currency: String,
    fiscal_year_start: i16,
    locale: String,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Company {
        Company {
            id: r.id,
            name: r.name,
            industry: r.industry,
            currency: r.currency.trim_end().to_owned(),
            fiscal_year_start: u32::try_from(r.fiscal_year_start).unwrap_or(1),
            locale: r.locale,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FinancialsRow {
    month: Month,
    revenue: Money,
    cogs: Money,
    opex: Money,
    sales_marketing: Option<Money>,
    depreciation: Option<Money>,
    other_income: Option<Money>,
    financing: Option<Money>,
    cash_end: Money,
    customers_new: Option<i64>,
    customers_churned: Option<i64>,
    customers_end: Option<i64>,
}

impl From<FinancialsRow> for MonthlyFinancials {
    fn from(r: FinancialsRow) -> MonthlyFinancials {
        MonthlyFinancials {
            month: r.month,
            revenue: r.revenue.0,
            cogs: r.cogs.0,
            opex: r.opex.0,
            sales_marketing: r.sales_marketing.map(Decimal::from),
            depreciation: r.depreciation.map(Decimal::from),
            other_income: r.other_income.map(Decimal::from),
            financing: r.financing.map(Decimal::from),
            cash_end: r.cash_end.0,
            customers_new: r.customers_new,
            customers_churned: r.customers_churned,
            customers_end: r.customers_end,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    sku: String,
    name: String,
    unit_price: Money,
    unit_cost: Money,
    monthly_units: Money,
    fixed_costs: Money,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Product {
        Product {
            sku: r.sku,
            name: r.name,
            unit_price: r.unit_price.0,
            unit_cost: r.unit_cost.0,
            monthly_units: r.monthly_units.0,
            fixed_costs: r.fixed_costs.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InvoiceRow {
    number: String,
    customer: String,
    issue_date: chrono::NaiveDate,
    due_date: chrono::NaiveDate,
    amount: Money,
    paid_amount: Money,
    paid_date: Option<chrono::NaiveDate>,
}

impl From<InvoiceRow> for Invoice {
    fn from(r: InvoiceRow) -> Invoice {
        Invoice {
            number: r.number,
            customer: r.customer,
            issue_date: r.issue_date,
            due_date: r.due_date,
            amount: r.amount.0,
            paid_amount: r.paid_amount.0,
            paid_date: r.paid_date,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScenarioRow {
    pub name: String,
    pub drivers: String,
    pub locked: bool,
    pub base_month: Option<String>,
    pub start_cash: Option<Money>,
    pub start_revenue: Option<Money>,
    pub version: i64,
}

impl TryFrom<ScenarioRow> for super::StoredScenario {
    type Error = StoreError;
    fn try_from(r: ScenarioRow) -> StoreResult<Self> {
        Ok(super::StoredScenario {
            drivers: serde_json::from_str(&r.drivers).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            name: r.name,
            locked: r.locked,
            base_month: r.base_month.map(|m| m.trim_end().to_owned()),
            start_cash: r.start_cash.map(Decimal::from),
            start_revenue: r.start_revenue.map(Decimal::from),
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AnalysisRow {
    pub id: i64,
    pub agent: String,
    pub provider: String,
    pub model: String,
    pub input_hash: String,
    pub input: String,
    pub output: String,
    pub result: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cost: Option<Money>,
    pub latency_ms: Option<i64>,
    pub status: String,
    pub created_at: Stamp,
}

impl AnalysisRow {
    pub fn into_record(self, recommendations: Vec<RecommendationRecord>) -> super::AnalysisRecord {
        super::AnalysisRecord {
            agent: self.agent,
            provider: self.provider,
            model: self.model,
            input_hash: self.input_hash,
            input: self.input,
            output: self.output,
            result: self.result,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cost: self.cost.map(Decimal::from),
            latency_ms: self.latency_ms,
            status: self.status,
            created_at: self.created_at.into(),
            recommendations,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecommendationRow {
    category: String,
    priority: i16,
    title: String,
    description: String,
    impact_score: i16,
}

impl From<RecommendationRow> for RecommendationRecord {
    fn from(r: RecommendationRow) -> RecommendationRecord {
        RecommendationRecord {
            category: r.category,
            priority: r.priority.into(),
            title: r.title,
            description: r.description,
            impact_score: r.impact_score.into(),
        }
    }
}

/// The receivables reduction at as-of day $2 in one pass (see
/// `collections_input`): $3-$5 the 30/60/90-day aging limits, $6 the previous
/// month's end, $7 the first day of M−2, $8 the first day of M.
pub const COLLECTIONS_SQL: &str = "SELECT customer, bucket, SUM(open), MIN(due_date), SUM(ar_begin), SUM(credit_3m), SUM(credit_m) \
                 FROM ( \
                   SELECT customer, due_date, \
                     CASE WHEN issue_date <= $2 THEN amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END \
                          ELSE 0 END AS open, \
                     CASE WHEN issue_date > $2 OR amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END <= 0 \
                          THEN -1 \
                          WHEN due_date >= $2 THEN 0 WHEN due_date >= $3 THEN 1 WHEN due_date >= $4 THEN 2 \
                          WHEN due_date >= $5 THEN 3 ELSE 4 END AS bucket, \
                     CASE WHEN issue_date <= $6 THEN amount - CASE WHEN paid_date <= $6 THEN paid_amount ELSE 0 END \
                          ELSE 0 END AS ar_begin, \
                     CASE WHEN issue_date >= $7 AND issue_date <= $2 THEN amount ELSE 0 END AS credit_3m, \
                     CASE WHEN issue_date >= $8 AND issue_date <= $2 THEN amount ELSE 0 END AS credit_m \
                   FROM invoices WHERE company_id = $1 \
                 ) o GROUP BY customer, bucket";

/// The invoices of company $1 issued by day $2 whose number or customer
/// matches the LIKE pattern $3 (see [`like_pattern`]); the open ones at $2
/// are those of them not fully paid, and those fully paid after $2.
macro_rules! open_at_where {
    () => {
        "company_id = $1 AND issue_date <= $2 AND lower(number || ' ' || customer) LIKE $3 ESCAPE '\\'"
    };
}
pub(crate) use open_at_where;

/// Those of them not fully paid (through their partial index): open at $2.
macro_rules! unpaid_at {
    () => {
        concat!(
            "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices WHERE ",
            $crate::store::sql::open_at_where!(),
            " AND paid_amount < amount"
        )
    };
}
pub(crate) use unpaid_at;

/// `filter` as a LIKE pattern matching text that contains it, lower-cased,
/// with `%`, `_` and the escape `\` taken literally.
pub(crate) fn like_pattern(filter: &str) -> String {
    let mut p = String::with_capacity(filter.len() + 2);
    p.push('%');
    for c in filter.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A JSON text bound to a JSON column (JSONB on PostgreSQL, TEXT on SQLite).
pub(crate) fn json_text(text: &Option<String>) -> StoreResult<Option<sqlx::types::Json<serde_json::Value>>> {
    text.as_deref()
        .map(|t| {
            serde_json::from_str(t)
                .map(sqlx::types::Json)
                .map_err(|e| StoreError::Corrupt(format!("analysis result is not JSON: {e}")))
        })
        .transpose()
}

/// The part of [`super::Store`] both backends share, written once. Invoked in
/// each backend's `impl Store` with the phrases that differ:
///
/// - `write`: the statement that begins a write transaction;
/// - `snapshot`: the one that begins a consistent read of several tables;
/// - `now`: the database's clock as the `updated_at` columns hold it;
/// - `bytes`: the collation that orders text by bytes (`ORDER BY name` + it);
/// - `days_late`: an invoice's whole days from due to paid, at least 0.
macro_rules! shared_store {
    (
        conn = $conn:ty,
        write = $write:literal,
        snapshot = $snapshot:literal,
        now = $now:literal,
        bytes = $bytes:literal,
        days_late = $late:literal $(,)?
    ) => {
        async fn ping(&self) -> StoreResult<std::time::Duration> {
            let t = std::time::Instant::now();
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(t.elapsed())
        }

        async fn companies(&self) -> StoreResult<Vec<Company>> {
            let mut conn = self.pool.acquire().await?;
            Self::read_companies(&mut conn).await
        }

        async fn upsert_company(&self, c: &NewCompany) -> StoreResult<Company> {
            let mut tx = self.pool.begin_with($write).await?;
            let row: $crate::store::sql::CompanyRow = sqlx::query_as(
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
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(row.into())
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

        async fn open_invoices(&self, company_id: i64, d: chrono::NaiveDate) -> StoreResult<Vec<Invoice>> {
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(concat!(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                 WHERE company_id = $1 AND issue_date <= $2 \
                   AND amount - CASE WHEN paid_date <= $2 THEN paid_amount ELSE 0 END > 0 \
                 ORDER BY due_date, number",
                $bytes
            ))
            .bind(company_id)
            .bind(d)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(Invoice::from).collect())
        }

        async fn open_invoice_page(
            &self,
            company_id: i64,
            d: chrono::NaiveDate,
            filter: &str,
            offset: usize,
            limit: usize,
        ) -> StoreResult<(Vec<Invoice>, usize)> {
            // Open at D is: not fully paid (issued by D), or fully paid after D;
            // each half reads its own partial index (migration 0005).
            let pattern = $crate::store::sql::like_pattern(filter);
            let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
            let mut tx = self.pool.begin_with($snapshot).await?;
            // Those paid in full after D: listed by the summaries when they
            // are at D, else found by reading the invoices.
            let kept = Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d));
            let (rows_sql, count_sql) = if kept {
                (
                    concat!(
                        "SELECT * FROM (",
                        $crate::store::sql::unpaid_at!(),
                        " UNION ALL \
                           SELECT i.number, i.customer, i.issue_date, i.due_date, i.amount, i.paid_amount, i.paid_date \
                           FROM receivable_paid_after p CROSS JOIN invoices i \
                           WHERE p.company_id = $1 AND i.company_id = p.company_id AND i.number = p.number \
                             AND lower(i.number || ' ' || i.customer) LIKE $3 ESCAPE '\\' \
                         ) o ORDER BY due_date, number",
                        $bytes,
                        " LIMIT $4 OFFSET $5"
                    ),
                    concat!(
                        "SELECT (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount < amount) + (SELECT COUNT(*) FROM receivable_paid_after p \
                           CROSS JOIN invoices i WHERE p.company_id = $1 AND i.company_id = p.company_id \
                             AND i.number = p.number AND lower(i.number || ' ' || i.customer) LIKE $3 ESCAPE '\\')"
                    ),
                )
            } else {
                (
                    concat!(
                        "SELECT * FROM (",
                        $crate::store::sql::unpaid_at!(),
                        " UNION ALL \
                           SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                           WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount = amount AND paid_date > $2 \
                         ) o ORDER BY due_date, number",
                        $bytes,
                        " LIMIT $4 OFFSET $5"
                    ),
                    concat!(
                        "SELECT (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount < amount) + (SELECT COUNT(*) FROM invoices WHERE ",
                        $crate::store::sql::open_at_where!(),
                        " AND paid_amount = amount AND paid_date > $2)"
                    ),
                )
            };
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(rows_sql)
                .bind(company_id)
                .bind(d)
                .bind(&pattern)
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(&mut *tx)
                .await?;
            // Unfiltered, the summaries count them (O(customers)); a filter is
            // counted over the open invoices it may match.
            let total: i64 = if kept && filter.is_empty() {
                sqlx::query_scalar("SELECT CAST(COALESCE(SUM(invoices), 0) AS BIGINT) FROM receivable_aging WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_one(&mut *tx)
                    .await?
            } else {
                sqlx::query_scalar(count_sql)
                    .bind(company_id)
                    .bind(d)
                    .bind(&pattern)
                    .fetch_one(&mut *tx)
                    .await?
            };
            tx.commit().await?;
            Ok((rows.into_iter().map(Invoice::from).collect(), usize::try_from(total).unwrap_or(0)))
        }

        async fn update_product(&self, company_id: i64, original: &Product, updated: &Product) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.pool.begin_with($write).await?;
            let done = sqlx::query(concat!(
                "UPDATE products SET name = $3, unit_price = $4, unit_cost = $5, monthly_units = $6, \
                 fixed_costs = $7, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND sku = $2 AND name = $8 AND unit_price = $9 AND unit_cost = $10 \
                   AND monthly_units = $11 AND fixed_costs = $12"
            ))
            .bind(company_id)
            .bind(&o.sku)
            .bind(&u.name)
            .bind(Money::new(u.unit_price)?)
            .bind(Money::new(u.unit_cost)?)
            .bind(Money::new(u.monthly_units)?)
            .bind(Money::new(u.fixed_costs)?)
            .bind(&o.name)
            .bind(Money(o.unit_price))
            .bind(Money(o.unit_cost))
            .bind(Money(o.monthly_units))
            .bind(Money(o.fixed_costs))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("product", &o.sku));
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
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.pool.begin_with($write).await?;
            let done = sqlx::query(concat!(
                "UPDATE financials SET revenue = $3, cogs = $4, opex = $5, sales_marketing = $6, depreciation = $7, \
                 other_income = $8, financing = $9, cash_end = $10, customers_new = $11, customers_churned = $12, \
                 customers_end = $13, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND month = $2 AND revenue = $14 AND cogs = $15 AND opex = $16 \
                   AND sales_marketing IS NOT DISTINCT FROM $17 AND depreciation IS NOT DISTINCT FROM $18 \
                   AND other_income IS NOT DISTINCT FROM $19 AND financing IS NOT DISTINCT FROM $20 \
                   AND cash_end = $21 AND customers_new IS NOT DISTINCT FROM $22 \
                   AND customers_churned IS NOT DISTINCT FROM $23 AND customers_end IS NOT DISTINCT FROM $24"
            ))
            .bind(company_id)
            .bind(o.month)
            .bind(Money::new(u.revenue)?)
            .bind(Money::new(u.cogs)?)
            .bind(Money::new(u.opex)?)
            .bind(Money::opt(u.sales_marketing)?)
            .bind(Money::opt(u.depreciation)?)
            .bind(Money::opt(u.other_income)?)
            .bind(Money::opt(u.financing)?)
            .bind(Money::new(u.cash_end)?)
            .bind(u.customers_new)
            .bind(u.customers_churned)
            .bind(u.customers_end)
            .bind(Money(o.revenue))
            .bind(Money(o.cogs))
            .bind(Money(o.opex))
            .bind(o.sales_marketing.map(Money))
            .bind(o.depreciation.map(Money))
            .bind(o.other_income.map(Money))
            .bind(o.financing.map(Money))
            .bind(Money(o.cash_end))
            .bind(o.customers_new)
            .bind(o.customers_churned)
            .bind(o.customers_end)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("month", &o.month.to_string()));
            }
            tx.commit().await?;
            Ok(())
        }

        async fn update_invoice(&self, company_id: i64, original: &Invoice, updated: &Invoice) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let (o, u) = (original, updated);
            let mut tx = self.pool.begin_with($write).await?;
            let done = sqlx::query(concat!(
                "UPDATE invoices SET customer = $3, issue_date = $4, due_date = $5, amount = $6, paid_amount = $7, \
                 paid_date = $8, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $1 AND number = $2 AND customer = $9 AND issue_date = $10 AND due_date = $11 \
                   AND amount = $12 AND paid_amount = $13 AND paid_date IS NOT DISTINCT FROM $14"
            ))
            .bind(company_id)
            .bind(&o.number)
            .bind(&u.customer)
            .bind(u.issue_date)
            .bind(u.due_date)
            .bind(Money::new(u.amount)?)
            .bind(Money::new(u.paid_amount)?)
            .bind(u.paid_date)
            .bind(&o.customer)
            .bind(o.issue_date)
            .bind(o.due_date)
            .bind(Money(o.amount))
            .bind(Money(o.paid_amount))
            .bind(o.paid_date)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("invoice", &o.number));
            }
            Self::summaries_after_edit(&mut tx, company_id, o, u).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn collections_input(&self, company_id: i64, m: Month) -> StoreResult<CollectionsInput> {
            use $crate::store::sql::Money;
            let d = m.last_day();
            let mut tx = self.pool.begin_with($snapshot).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d)) {
                // The summaries kept by writes: O(customers + months).
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                let rows: Vec<(String, i32, Money, chrono::NaiveDate)> = sqlx::query_as(
                    "SELECT customer, bucket, open, oldest_due FROM receivable_aging WHERE company_id = $1",
                )
                .bind(company_id)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let t = $crate::finance::collections::month_totals(&flows, m);
                return $crate::store::collections_from(
                    rows.into_iter().map(|(c, b, open, due)| (c, b, open.0, due)).collect(),
                    t.ar_begin,
                    t.credit_sales_3m,
                    t.credit_sales_m,
                );
            }
            let days = |n: i64| d - chrono::Duration::days(n);
            // Another month: one pass over the company's invoices: the open groups at D by
            // customer and aging bucket (bucket −1: not open at D), and in the
            // same groups the parts of the totals (AR at the previous month's
            // end, credit sales of M−2..M and of M).
            let rows: Vec<(String, i32, Money, Option<chrono::NaiveDate>, Money, Money, Money)> = sqlx::query_as(
                $crate::store::sql::COLLECTIONS_SQL,
            )
            .bind(company_id)
            .bind(d)
            .bind(days(30))
            .bind(days(60))
            .bind(days(90))
            .bind(m.plus(-1).last_day())
            .bind(m.plus(-2).first_day())
            .bind(m.first_day())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let (mut ar_begin, mut credit_sales_3m, mut credit_sales_m) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
            let mut groups = Vec::new();
            for (customer, bucket, open, oldest_due, begin, c3, c1) in rows {
                ar_begin += begin.0;
                credit_sales_3m += c3.0;
                credit_sales_m += c1.0;
                if bucket >= 0 {
                    groups.push((customer, bucket, open.0, oldest_due.ok_or_else(|| StoreError::Corrupt("due date".into()))?));
                }
            }
            $crate::store::collections_from(groups, ar_begin, credit_sales_3m, credit_sales_m)
        }

        async fn receivable_flows(
            &self,
            company_id: i64,
        ) -> StoreResult<$crate::finance::collections::ReceivableFlows> {
            use $crate::store::sql::Money;
            let mut tx = self.pool.begin_with($snapshot).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await?.is_some() {
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                tx.commit().await?;
                return Ok($crate::store::summaries::as_flows(&flows));
            }
            let issued: Vec<(chrono::NaiveDate, Money)> = sqlx::query_as(
                "SELECT issue_date, SUM(amount) FROM invoices WHERE company_id = $1 GROUP BY issue_date",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            let collected: Vec<(chrono::NaiveDate, Money)> = sqlx::query_as(
                "SELECT CASE WHEN paid_date > issue_date THEN paid_date ELSE issue_date END AS counted, \
                 SUM(paid_amount) FROM invoices WHERE company_id = $1 AND paid_date IS NOT NULL GROUP BY counted",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let plain = |rows: Vec<(chrono::NaiveDate, Money)>| rows.into_iter().map(|(d, m)| (d, m.0)).collect();
            Ok($crate::finance::collections::ReceivableFlows {
                issued: plain(issued),
                collected: plain(collected),
            })
        }

        async fn forecast_input(&self, company_id: i64, m: Month) -> StoreResult<ForecastInput> {
            let d = m.last_day();
            let mut tx = self.pool.begin_with($snapshot).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? == Some(Some(d)) {
                let flows = Self::read_month_flows(&mut tx, company_id).await?;
                let late: Vec<(String, i64, i64)> =
                    sqlx::query_as("SELECT customer, late_days, paid FROM receivable_late WHERE company_id = $1")
                        .bind(company_id)
                        .fetch_all(&mut *tx)
                        .await?;
                tx.commit().await?;
                return Ok(ForecastInput {
                    late: late.into_iter().map(|(c, days, n)| (c, (days, n))).collect(),
                    invoiced_t3m: $crate::finance::collections::month_totals(&flows, m).credit_sales_3m.normalize(),
                });
            }
            let late: Vec<(String, i64, i64)> = sqlx::query_as(concat!(
                "SELECT customer, CAST(SUM(",
                $late,
                ") AS BIGINT), COUNT(*) FROM invoices \
                 WHERE company_id = $1 AND paid_date IS NOT NULL AND paid_date <= $2 GROUP BY customer"
            ))
            .bind(company_id)
            .bind(d)
            .fetch_all(&mut *tx)
            .await?;
            let invoiced: $crate::store::sql::Money = sqlx::query_scalar(
                "SELECT COALESCE(SUM(amount), 0) FROM invoices \
                 WHERE company_id = $1 AND issue_date >= $2 AND issue_date <= $3",
            )
            .bind(company_id)
            .bind(m.plus(-2).first_day())
            .bind(d)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ForecastInput {
                late: late.into_iter().map(|(c, days, n)| (c, (days, n))).collect(),
                invoiced_t3m: invoiced.0.normalize(),
            })
        }

        async fn weekly_collections(&self, company_id: i64, m: Month) -> StoreResult<Option<Vec<rust_decimal::Decimal>>> {
            use $crate::store::sql::Money;
            let mut tx = self.pool.begin_with($snapshot).await?;
            if Self::read_summary_as_of(&mut tx, company_id).await? != Some(Some(m.last_day())) {
                tx.commit().await?;
                return Ok(None);
            }
            let rows: Vec<(i32, Money)> = sqlx::query_as(
                "SELECT week, SUM(amount) FROM receivable_weeks WHERE company_id = $1 GROUP BY week",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut weeks = vec![rust_decimal::Decimal::ZERO; $crate::finance::forecast::WEEKS as usize];
            for (w, amount) in rows {
                let slot = usize::try_from(w)
                    .ok()
                    .and_then(|w| weeks.get_mut(w))
                    .ok_or_else(|| StoreError::Corrupt(format!("forecast week {w}")))?;
                *slot = amount.0;
            }
            Ok(Some(weeks))
        }

        async fn import(&self, target: &ImportTarget, batch: &ImportBatch) -> StoreResult<Company> {
            let mut tx = self.pool.begin_with($write).await?;
            let company = Self::resolve(&mut tx, target).await?;
            match batch {
                ImportBatch::Financials(rows) => Self::write_financials(&mut tx, company.id, rows).await?,
                ImportBatch::Products(rows) => Self::write_products(&mut tx, company.id, rows).await?,
                ImportBatch::Invoices(rows) => {
                    let mut builder = Self::summary_builder(&mut tx, company.id).await?;
                    Self::write_invoices(&mut tx, company.id, rows).await?;
                    if let Some(b) = builder.as_mut() {
                        rows.iter().for_each(|r| b.add(r));
                    }
                    Self::summaries_after_invoices(&mut tx, company.id, builder).await?;
                }
            }
            if let ImportBatch::Financials(_) = batch {
                Self::refresh_after_financials(&mut tx, company.id).await?;
            }
            tx.commit().await?;
            Ok(company)
        }

        async fn cfdi_records(&self, company_id: i64, uuids: &[String]) -> StoreResult<Vec<$crate::domain::CfdiRecord>> {
            // One snapshot; a lookup per UUID through the key and the invoice index.
            let mut tx = self.pool.begin_with($snapshot).await?;
            let mut out: Vec<$crate::domain::CfdiRecord> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for u in uuids {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT uuid, invoice_uuid, kind, body FROM cfdi_documents \
                     WHERE company_id = $1 AND (invoice_uuid = $2 OR uuid = $2)",
                )
                .bind(company_id)
                .bind(u)
                .fetch_all(&mut *tx)
                .await?;
                for (uuid, invoice_uuid, kind, body) in rows {
                    if seen.insert((uuid.clone(), invoice_uuid.clone())) {
                        out.push($crate::domain::CfdiRecord { uuid, invoice_uuid, kind, body });
                    }
                }
            }
            tx.commit().await?;
            out.sort_by(|a, b| (&a.uuid, &a.invoice_uuid).cmp(&(&b.uuid, &b.invoice_uuid)));
            Ok(out)
        }

        async fn import_cfdi(&self, target: &ImportTarget, w: &$crate::domain::CfdiWrite) -> StoreResult<Company> {
            let mut tx = self.pool.begin_with($write).await?;
            let company = Self::resolve(&mut tx, target).await?;
            let mut builder = if w.removed_invoices.is_empty() {
                Self::summary_builder(&mut tx, company.id).await?
            } else {
                None
            };
            for number in &w.removed_invoices {
                sqlx::query("DELETE FROM invoices WHERE company_id = $1 AND number = $2")
                    .bind(company.id)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut replaced: Vec<&str> = w.removed_uuids.iter().map(String::as_str).collect();
            replaced.extend(w.records.iter().map(|r| r.uuid.as_str()));
            replaced.sort_unstable();
            replaced.dedup();
            for uuid in replaced {
                sqlx::query("DELETE FROM cfdi_documents WHERE company_id = $1 AND uuid = $2")
                    .bind(company.id)
                    .bind(uuid)
                    .execute(&mut *tx)
                    .await?;
            }
            for r in &w.records {
                sqlx::query(
                    "INSERT INTO cfdi_documents (company_id, uuid, invoice_uuid, kind, body) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(company.id)
                .bind(&r.uuid)
                .bind(&r.invoice_uuid)
                .bind(&r.kind)
                .bind(&r.body)
                .execute(&mut *tx)
                .await?;
            }
            Self::write_invoices(&mut tx, company.id, &w.invoices).await?;
            if let Some(b) = builder.as_mut() {
                w.invoices.iter().for_each(|r| b.add(r));
            }
            Self::summaries_after_invoices(&mut tx, company.id, builder).await?;
            tx.commit().await?;
            Ok(company)
        }

        async fn scenarios(&self, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
            let mut conn = self.pool.acquire().await?;
            Self::read_scenarios(&mut conn, company_id).await
        }

        async fn save_scenario(&self, company_id: i64, sc: &StoredScenario) -> StoreResult<i64> {
            use $crate::store::sql::Money;
            let drivers = sqlx::types::Json(&sc.drivers);
            let mut tx = self.pool.begin_with($write).await?;
            let version = if sc.version == 0 {
                let inserted = sqlx::query(
                    "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, \
                     start_revenue, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
                     ON CONFLICT (company_id, name) DO NOTHING",
                )
                .bind(company_id)
                .bind(&sc.name)
                .bind(drivers)
                .bind(sc.locked)
                .bind(&sc.base_month)
                .bind(Money::opt(sc.start_cash)?)
                .bind(Money::opt(sc.start_revenue)?)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() != 1 {
                    return Err($crate::store::scenario_taken(&sc.name));
                }
                1
            } else {
                let version: Option<i64> = sqlx::query_scalar(concat!(
                    "UPDATE scenarios SET drivers = $3, locked = $4, base_month = $5, start_cash = $6, \
                     start_revenue = $7, version = version + 1, updated_at = ",
                    $now,
                    " WHERE company_id = $1 AND name = $2 AND version = $8 RETURNING version"
                ))
                .bind(company_id)
                .bind(&sc.name)
                .bind(drivers)
                .bind(sc.locked)
                .bind(&sc.base_month)
                .bind(Money::opt(sc.start_cash)?)
                .bind(Money::opt(sc.start_revenue)?)
                .bind(sc.version)
                .fetch_optional(&mut *tx)
                .await?;
                version.ok_or_else(|| $crate::store::stale("scenario", &sc.name))?
            };
            tx.commit().await?;
            Ok(version)
        }

        async fn rename_scenario(&self, company_id: i64, name: &str, new_name: &str, version: i64) -> StoreResult<i64> {
            let mut tx = self.pool.begin_with($write).await?;
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT version FROM scenarios WHERE company_id = $1 AND name = $2")
                    .bind(company_id)
                    .bind(new_name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err($crate::store::scenario_taken(new_name));
            }
            let done = sqlx::query(concat!(
                "UPDATE scenarios SET name = $1, version = version + 1, updated_at = ",
                $now,
                " WHERE company_id = $2 AND name = $3 AND version = $4"
            ))
            .bind(new_name)
            .bind(company_id)
            .bind(name)
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => $crate::store::scenario_taken(new_name),
                _ => e.into(),
            })?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("scenario", name));
            }
            tx.commit().await?;
            Ok(version + 1)
        }

        async fn delete_scenario(&self, company_id: i64, name: &str, version: i64) -> StoreResult<()> {
            let done = sqlx::query("DELETE FROM scenarios WHERE company_id = $1 AND name = $2 AND version = $3")
                .bind(company_id)
                .bind(name)
                .bind(version)
                .execute(&self.pool)
                .await?;
            if done.rows_affected() != 1 {
                return Err($crate::store::stale("scenario", name));
            }
            Ok(())
        }

        async fn save_analysis(&self, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
            let mut tx = self.pool.begin_with($write).await?;
            let id = Self::insert_analysis(&mut tx, company_id, a).await?;
            tx.commit().await?;
            Ok(id)
        }

        async fn cached_analysis(&self, key: &$crate::store::CacheKey<'_>) -> StoreResult<Option<AnalysisRecord>> {
            let mut conn = self.pool.acquire().await?;
            let found = sqlx::query_as(
                "SELECT id, agent, provider, model, input_hash, input, output, CAST(result AS TEXT) AS result, \
                 prompt_tokens, completion_tokens, cost, latency_ms, status, created_at FROM ai_analysis \
                 WHERE company_id = $1 AND agent = $2 AND model = $3 AND input_hash = $4 AND status = 'ok' \
                   AND created_at >= $5 ORDER BY id DESC LIMIT 1",
            )
            .bind(key.company_id)
            .bind(key.agent)
            .bind(key.model)
            .bind(key.input_hash)
            .bind($crate::store::sql::Stamp(key.since))
            .fetch_all(&mut *conn)
            .await?;
            Ok(Self::with_recommendations(&mut conn, found).await?.pop())
        }

        async fn ai_spend_since(&self, since: chrono::DateTime<chrono::Utc>) -> StoreResult<rust_decimal::Decimal> {
            let spent: $crate::store::sql::Money =
                sqlx::query_scalar("SELECT COALESCE(SUM(cost), 0) FROM ai_analysis WHERE created_at >= $1")
                    .bind($crate::store::sql::Stamp(since))
                    .fetch_one(&self.pool)
                    .await?;
            Ok(spent.0.normalize())
        }

        async fn latest_recommendations(&self, company_id: i64, limit: i64) -> StoreResult<Vec<RecommendationRecord>> {
            let rows: Vec<$crate::store::sql::RecommendationRow> = sqlx::query_as(
                "SELECT category, priority, title, description, impact_score FROM recommendations \
                 WHERE analysis_id = (SELECT MAX(id) FROM ai_analysis WHERE company_id = $1 AND status = 'ok') \
                 ORDER BY priority, impact_score DESC, id LIMIT $2",
            )
            .bind(company_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        async fn save_mapping(&self, company_id: i64, m: &SavedMapping) -> StoreResult<()> {
            Self::insert_mapping(&self.pool, company_id, m).await
        }

        async fn mappings(&self, company_id: i64) -> StoreResult<Vec<SavedMapping>> {
            Ok(sqlx::query_as($crate::store::READ_MAPPINGS_SQL)
                .bind(company_id)
                .fetch_all(&self.pool)
                .await?)
        }

        async fn backup(&self) -> StoreResult<Backup> {
            // One read transaction: every table seen at the same instant.
            let mut tx = self.pool.begin_with($snapshot).await?;
            let mut companies = Vec::new();
            for c in Self::read_companies(&mut tx).await? {
                let analyses = sqlx::query_as(
                    "SELECT id, agent, provider, model, input_hash, input, output, CAST(result AS TEXT) AS result, \
                     prompt_tokens, completion_tokens, cost, latency_ms, status, created_at FROM ai_analysis \
                     WHERE company_id = $1 ORDER BY id",
                )
                .bind(c.id)
                .fetch_all(&mut *tx)
                .await?;
                companies.push($crate::store::CompanyBackup {
                    financials: Self::read_financials(&mut tx, c.id).await?,
                    products: Self::read_products(&mut tx, c.id).await?,
                    invoices: Self::read_invoices(&mut tx, c.id).await?,
                    scenarios: Self::read_scenarios(&mut tx, c.id).await?,
                    analyses: Self::with_recommendations(&mut tx, analyses).await?,
                    members: sqlx::query_as(concat!(
                        "SELECT member, role FROM company_members WHERE company_id = $1 ORDER BY member",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    mappings: sqlx::query_as($crate::store::READ_MAPPINGS_SQL)
                        .bind(c.id)
                        .fetch_all(&mut *tx)
                        .await?,
                    audit: sqlx::query_as(
                        "SELECT at, who, company, action, target, detail FROM audit WHERE company_id = $1 \
                         ORDER BY at, id",
                    )
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    targets: sqlx::query_as(concat!(
                        "SELECT metric, rule FROM targets WHERE company_id = $1 ORDER BY metric",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?,
                    conversations: sqlx::query_as(
                        "SELECT agent, question, answer, CAST(tool_calls AS TEXT) AS tool_calls \
                         FROM conversations WHERE company_id = $1 ORDER BY id",
                    )
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map($crate::store::conversations::canonical)
                    .collect(),
                    cfdi: sqlx::query_as::<_, (String, String, String, String)>(concat!(
                        "SELECT uuid, invoice_uuid, kind, body FROM cfdi_documents WHERE company_id = $1 \
                         ORDER BY uuid",
                        $bytes,
                        ", invoice_uuid",
                        $bytes
                    ))
                    .bind(c.id)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .map(|(uuid, invoice_uuid, kind, body)| $crate::domain::CfdiRecord {
                        uuid,
                        invoice_uuid,
                        kind,
                        body,
                    })
                    .collect(),
                    profile: c.into(),
                });
            }
            tx.commit().await?;
            Ok(Backup::new(companies))
        }
    };
}

/// The helpers of [`shared_store!`], in each backend's inherent `impl`.
macro_rules! shared_helpers {
    (conn = $conn:ty, bytes = $bytes:literal $(,)?) => {
        async fn read_companies(conn: &mut $conn) -> StoreResult<Vec<Company>> {
            let rows: Vec<$crate::store::sql::CompanyRow> = sqlx::query_as(
                "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Company::from).collect())
        }

        async fn read_company(conn: &mut $conn, id: Option<i64>, name: Option<&str>) -> StoreResult<Option<Company>> {
            let row: Option<$crate::store::sql::CompanyRow> = sqlx::query_as(
                "SELECT id, name, industry, currency, fiscal_year_start, locale FROM companies \
                 WHERE id = $1 OR name = $2",
            )
            .bind(id)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(row.map(Company::from))
        }

        async fn insert_company(conn: &mut $conn, c: &NewCompany) -> StoreResult<Company> {
            let row: $crate::store::sql::CompanyRow = sqlx::query_as(
                "INSERT INTO companies (name, industry, currency, fiscal_year_start, locale) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id, name, industry, currency, fiscal_year_start, locale",
            )
            .bind(&c.name)
            .bind(&c.industry)
            .bind(&c.currency)
            .bind(c.fiscal_year_start as i16)
            .bind(&c.locale)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row.into())
        }

        /// The company an import writes to: an existing one, or one created now.
        async fn resolve(conn: &mut $conn, target: &ImportTarget) -> StoreResult<Company> {
            match target {
                ImportTarget::Existing(id) => Self::read_company(conn, Some(*id), None)
                    .await?
                    .ok_or_else(|| StoreError::UnknownCompany(id.to_string())),
                ImportTarget::Create(c) => match Self::read_company(conn, None, Some(&c.name)).await? {
                    Some(found) => Ok(found),
                    None => Self::insert_company(conn, c).await,
                },
            }
        }

        async fn read_financials(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<MonthlyFinancials>> {
            let rows: Vec<$crate::store::sql::FinancialsRow> = sqlx::query_as(
                "SELECT month, revenue, cogs, opex, sales_marketing, depreciation, other_income, financing, \
                 cash_end, customers_new, customers_churned, customers_end FROM financials \
                 WHERE company_id = $1 ORDER BY month",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(MonthlyFinancials::from).collect())
        }

        async fn read_products(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<Product>> {
            let rows: Vec<$crate::store::sql::ProductRow> = sqlx::query_as(concat!(
                "SELECT sku, name, unit_price, unit_cost, monthly_units, fixed_costs FROM products \
                 WHERE company_id = $1 ORDER BY sku",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Product::from).collect())
        }

        async fn read_invoices(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<Invoice>> {
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(concat!(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
                 WHERE company_id = $1 ORDER BY number",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(Invoice::from).collect())
        }

        async fn read_scenarios(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<StoredScenario>> {
            let rows: Vec<$crate::store::sql::ScenarioRow> = sqlx::query_as(concat!(
                "SELECT name, CAST(drivers AS TEXT) AS drivers, locked, base_month, start_cash, start_revenue, \
                 version FROM scenarios WHERE company_id = $1 ORDER BY name",
                $bytes
            ))
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter().map(StoredScenario::try_from).collect()
        }

        async fn insert_mapping<'e, E: sqlx::Executor<'e, Database = <$conn as sqlx::Connection>::Database>>(
            ex: E,
            company_id: i64,
            m: &SavedMapping,
        ) -> StoreResult<()> {
            let q = sqlx::query($crate::store::SAVE_MAPPING_SQL)
                .bind(company_id)
                .bind(&m.name);
            q.bind(&m.kind).bind(&m.spec).execute(ex).await?;
            Ok(())
        }

        async fn insert_analysis(conn: &mut $conn, company_id: i64, a: &AnalysisRecord) -> StoreResult<i64> {
            use $crate::store::sql::{Money, Stamp, json_text};
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ai_analysis (company_id, agent, provider, model, input_hash, input, output, result, \
                 prompt_tokens, completion_tokens, cost, latency_ms, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(company_id)
            .bind(&a.agent)
            .bind(&a.provider)
            .bind(&a.model)
            .bind(&a.input_hash)
            .bind(&a.input)
            .bind(&a.output)
            .bind(json_text(&a.result)?)
            .bind(a.prompt_tokens)
            .bind(a.completion_tokens)
            .bind(Money::opt(a.cost)?)
            .bind(a.latency_ms)
            .bind(&a.status)
            .bind(Stamp::parse(&a.created_at)?)
            .fetch_one(&mut *conn)
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
                .execute(&mut *conn)
                .await?;
            }
            Ok(id)
        }

        /// Analyses as read, each with its recommendations.
        async fn with_recommendations(
            conn: &mut $conn,
            analyses: Vec<$crate::store::sql::AnalysisRow>,
        ) -> StoreResult<Vec<AnalysisRecord>> {
            let mut records = Vec::with_capacity(analyses.len());
            for a in analyses {
                let recs: Vec<$crate::store::sql::RecommendationRow> = sqlx::query_as(
                    "SELECT category, priority, title, description, impact_score FROM recommendations \
                     WHERE analysis_id = $1 ORDER BY id",
                )
                .bind(a.id)
                .fetch_all(&mut *conn)
                .await?;
                records.push(a.into_record(recs.into_iter().map(Into::into).collect()));
            }
            Ok(records)
        }

        /// Loads a snapshot's companies into an empty store, inside `conn`'s transaction.
        async fn restore_into(conn: &mut $conn, b: &Backup) -> StoreResult<()> {
            use $crate::store::sql::{Money, Stamp};
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM companies")
                .fetch_one(&mut *conn)
                .await?;
            if count > 0 {
                return Err(StoreError::NotEmpty);
            }
            for cb in &b.companies {
                let c = Self::insert_company(conn, &cb.profile).await?;
                Self::write_financials(conn, c.id, &cb.financials).await?;
                Self::write_products(conn, c.id, &cb.products).await?;
                Self::write_invoices(conn, c.id, &cb.invoices).await?;
                Self::refresh_receivables(conn, c.id, true, None).await?;
                for s in &cb.scenarios {
                    sqlx::query(
                        "INSERT INTO scenarios (company_id, name, drivers, locked, base_month, start_cash, \
                         start_revenue, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(c.id)
                    .bind(&s.name)
                    .bind(sqlx::types::Json(&s.drivers))
                    .bind(s.locked)
                    .bind(&s.base_month)
                    .bind(Money::opt(s.start_cash)?)
                    .bind(Money::opt(s.start_revenue)?)
                    .bind(s.version)
                    .execute(&mut *conn)
                    .await?;
                }
                for a in &cb.analyses {
                    Self::insert_analysis(conn, c.id, a).await?;
                }
                for m in &cb.members {
                    sqlx::query("INSERT INTO company_members (company_id, member, role) VALUES ($1, $2, $3)")
                        .bind(c.id)
                        .bind(&m.member)
                        .bind(&m.role)
                        .execute(&mut *conn)
                        .await?;
                }
                for m in &cb.mappings {
                    Self::insert_mapping(&mut *conn, c.id, m).await?;
                }
                for t in &cb.conversations {
                    let calls: serde_json::Value = serde_json::from_str(&t.tool_calls)
                        .map_err(|e| StoreError::Corrupt(format!("a conversation's tool calls: {e}")))?;
                    sqlx::query(
                        "INSERT INTO conversations (company_id, agent, question, answer, tool_calls) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(c.id)
                    .bind(&t.agent)
                    .bind(&t.question)
                    .bind(&t.answer)
                    .bind(sqlx::types::Json(&calls))
                    .execute(&mut *conn)
                    .await?;
                }
                for r in &cb.cfdi {
                    sqlx::query(
                        "INSERT INTO cfdi_documents (company_id, uuid, invoice_uuid, kind, body) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(c.id)
                    .bind(&r.uuid)
                    .bind(&r.invoice_uuid)
                    .bind(&r.kind)
                    .bind(&r.body)
                    .execute(&mut *conn)
                    .await?;
                }
                for (metric, rule) in &cb.targets {
                    sqlx::query("INSERT INTO targets (company_id, metric, rule) VALUES ($1, $2, $3)")
                        .bind(c.id)
                        .bind(metric)
                        .bind(rule)
                        .execute(&mut *conn)
                        .await?;
                }
                for a in &cb.audit {
                    sqlx::query(
                        "INSERT INTO audit (at, who, company_id, company, action, target, detail) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(Stamp::parse(&a.at)?)
                    .bind(&a.who)
                    .bind(c.id)
                    .bind(&a.company)
                    .bind(&a.action)
                    .bind(&a.target)
                    .bind(&a.detail)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(())
        }
    };
}

pub(crate) use {shared_helpers, shared_store};
