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
//! - The phrases a backend passes, once, to [`backend!`] (and reads back as
//!   [`Dialect`] constants): how a write transaction begins, how a consistent
//!   read begins, the clock, the byte-order collation, and the date arithmetic
//!   of the receivables summaries.
//!
//! The shared bodies are split by topic: `ledger.rs`, `receivables.rs`,
//! `plans.rs` (scenarios and mappings), `ai_cache.rs`, `snapshot.rs` (backup),
//! and the helpers they call in `helpers.rs`; what a backend does its own way
//! is the [`Backend`] trait (its pool and bulk writes).
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
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteValueRef};
use sqlx::{Database, Decode, Encode, Type};

/// Decimal → INTEGER in 10^-4 units; refuses what does not fit exactly (the
/// same rule as NUMERIC(18,4), so both stores accept the same values).
pub(crate) fn to_units(d: Decimal) -> StoreResult<i64> {
    // On the mantissa: d = m / 10^scale, so units = m * 10^(4 - scale),
    // exact only when the digits past the fourth decimal are zeros.
    let (m, scale) = (d.mantissa(), d.scale());
    let units = if scale <= 4 {
        m.checked_mul(10i128.pow(4 - scale))
    } else {
        let p = 10i128.pow(scale - 4);
        (m % p == 0).then_some(m / p)
    };
    units
        .and_then(|u| i64::try_from(u).ok())
        .ok_or_else(|| StoreError::OutOfRange(d.to_string()))
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

/// An exact decimal of any scale (an exchange rate): TEXT on SQLite,
/// NUMERIC on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exact(pub Decimal);

same_type_as!(Exact, Sqlite, str);

impl Encode<'_, Sqlite> for Exact {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.normalize().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Exact {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Exact(text.parse()?))
    }
}

same_type_as!(Exact, Postgres, Decimal);

impl Encode<'_, Postgres> for Exact {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0.normalize(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Exact {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Exact(<Decimal as Decode<Postgres>>::decode(value)?.normalize()))
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
            fx: None,
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

/// Binds the eight parameters of [`COLLECTIONS_SQL`] for as-of month `m`
/// (the company, D, D−30/60/90, the previous month's end, the first days of
/// M−2 and M), written once for every query that runs it.
macro_rules! bind_collections {
    ($query:expr, $company_id:expr, $m:expr) => {{
        let m: $crate::domain::Month = $m;
        let d = m.last_day();
        let back = |n: i64| d - chrono::Duration::days(n);
        $query
            .bind($company_id)
            .bind(d)
            .bind(back(30))
            .bind(back(60))
            .bind(back(90))
            .bind(m.plus(-1).last_day())
            .bind(m.plus(-2).first_day())
            .bind(m.first_day())
    }};
}

pub(crate) use bind_collections;

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

/// Every invoice open at $2 (not fully paid, or paid in full after $2) whose
/// number or customer matches $3, oldest due first: append the backend's
/// byte-order collation, then any LIMIT.
macro_rules! open_at_sorted {
    () => {
        concat!(
            "SELECT * FROM (",
            $crate::store::sql::unpaid_at!(),
            " UNION ALL \
               SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
               WHERE ",
            $crate::store::sql::open_at_where!(),
            " AND paid_amount = amount AND paid_date > $2 \
             ) o ORDER BY due_date, number"
        )
    };
}
pub(crate) use open_at_sorted;

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

/// The dialect phrases of a backend, written once in its [`backend!`] call;
/// here as constants so they can be read (and are documented) in one place.
/// The macro splices the same literals into the SQL (`concat!` takes no
/// constants), so most are read only by people.
#[allow(dead_code)]
pub(crate) trait Dialect {
    /// The statement that begins a write transaction.
    const WRITE: &'static str;
    /// The statement that begins a consistent read of several tables.
    const SNAPSHOT: &'static str;
    /// The database's clock as the `updated_at` columns hold it.
    const NOW: &'static str;
    /// The collation that orders text by bytes (`ORDER BY name` + it).
    const BYTES: &'static str;
    /// An invoice's whole days from due to paid, at least 0.
    const DAYS_LATE: &'static str;
    /// An invoice's issue month as `YYYY-MM`.
    const ISSUE_MONTH: &'static str;
    /// The month an invoice's payment counts in (the later of paid and issue date).
    const COUNTED_MONTH: &'static str;
    /// Days from the as-of day (`$6`) to an invoice's due date.
    const DUE_OFFSET: &'static str;
}

/// A connection for a few statements: the pool's, or a transaction of its
/// own (see [`Backend::session`]); [`Session::done`] commits the latter.
pub(crate) enum Session<DB: sqlx::Database> {
    Plain(sqlx::pool::PoolConnection<DB>),
    Tx(sqlx::Transaction<'static, DB>),
}

impl<DB: sqlx::Database> std::ops::Deref for Session<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Session::Plain(c) => c,
            Session::Tx(t) => t,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Session<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Session::Plain(c) => c,
            Session::Tx(t) => t,
        }
    }
}

impl<DB: sqlx::Database> Session<DB> {
    /// Ends the session: its transaction, if it has one, is committed.
    pub(crate) async fn done(self) -> StoreResult<()> {
        if let Session::Tx(t) = self {
            t.commit().await?;
        }
        Ok(())
    }
}

/// What the shared bodies call of a backend besides SQL: its pool and the
/// bulk writes each does its own way (SQLite's prepared statements,
/// PostgreSQL's COPY and arrays), inside the caller's transaction.
pub(crate) trait Backend: Dialect {
    type Db: sqlx::Database;
    type Conn;
    fn pool(&self) -> &sqlx::Pool<Self::Db>;
    /// Begins a write (`true`) or a consistent read (`false`) transaction the
    /// way this store's connection wants it (behind a transaction pooler, with
    /// the settings a session cannot keep).
    async fn begin_tx(&self, write: bool) -> StoreResult<sqlx::Transaction<'static, Self::Db>> {
        Ok(self
            .pool()
            .begin_with(if write { Self::WRITE } else { Self::SNAPSHOT })
            .await?)
    }
    /// A connection for statements outside a transaction of the caller's:
    /// the pool's own, or, behind a transaction pooler, a transaction (the
    /// pooler keeps a client on one server only within a transaction).
    async fn session(&self) -> StoreResult<Session<Self::Db>> {
        Ok(Session::Plain(self.pool().acquire().await?))
    }
    async fn write_financials(tx: &mut Self::Conn, company: i64, rows: &[MonthlyFinancials]) -> StoreResult<()>;
    async fn write_products(tx: &mut Self::Conn, company: i64, rows: &[Product]) -> StoreResult<()>;
    async fn write_invoices(tx: &mut Self::Conn, company: i64, rows: &[Invoice]) -> StoreResult<()>;
    async fn write_summaries(
        tx: &mut Self::Conn,
        company: i64,
        s: &crate::finance::receivables::Summaries,
    ) -> StoreResult<()>;
    /// Statement lines in the order given, those whose key the account holds
    /// skipped; how many were added.
    async fn write_bank_lines(
        tx: &mut Self::Conn,
        w: &mut BankWrite,
        lines: &[crate::domain::BankLine],
        keys: &[[u8; 16]],
    ) -> StoreResult<crate::domain::LinesAdded>;
    /// What the writes of one import left to do (PostgreSQL merges its
    /// staged lines here; SQLite wrote them already).
    async fn finish_bank_lines(tx: &mut Self::Conn, w: &mut BankWrite) -> StoreResult<crate::domain::LinesAdded>;
}

/// One statement import's writes, chunk after chunk.
#[derive(Debug)]
pub(crate) struct BankWrite {
    pub company: i64,
    pub account: i64,
    pub import: i64,
    /// The account's balance date before the import: lines after it move the balance.
    pub after: Option<chrono::NaiveDate>,
    /// PostgreSQL: the booking day of the account's newest line before the
    /// import (days from the common era), once looked up, and whether lines
    /// may still be copied straight into the table (see `pg_copy`).
    pub newest_day: Option<Option<u32>>,
    pub direct: bool,
}

impl BankWrite {
    pub fn new(company: i64, account: i64, import: i64, after: Option<chrono::NaiveDate>) -> BankWrite {
        BankWrite {
            company,
            account,
            import,
            after,
            newest_day: None,
            direct: true,
        }
    }

    /// What adding `lines` (all of them) did to the account.
    pub fn added(&self, lines: &[crate::domain::BankLine]) -> crate::domain::LinesAdded {
        let mut added = crate::domain::LinesAdded::default();
        for l in lines {
            self.count(&mut added, l);
        }
        added
    }

    /// Counts one line added.
    pub fn count(&self, added: &mut crate::domain::LinesAdded, l: &crate::domain::BankLine) {
        added.count += 1;
        if self.after.is_none_or(|a| l.date > a) {
            added.sum_after += l.amount;
        }
        added.last = added.last.max(Some(l.date));
    }
}

/// A backend's store, from its phrases written once: the [`Dialect`]
/// constants, the shared helpers and summaries in its inherent `impl`, and
/// `impl Store` from the shared bodies (ledger, receivables, scenarios and
/// mappings, the AI cache, the snapshot) plus the methods it writes itself
/// (`own`: its kind, migrations, streamed import, restore).
macro_rules! backend {
    (
        store = $store:ty,
        conn = $conn:ty,
        write = $write:literal,
        snapshot = $snapshot:literal,
        now = $now:literal,
        bytes = $bytes:literal,
        days_late = $late:literal,
        issue_month = $issue_month:literal,
        counted_month = $counted_month:literal,
        due_offset = $due_offset:literal,
        own = { $($own:tt)* } $(,)?
    ) => {
        impl $crate::store::sql::Dialect for $store {
            const WRITE: &'static str = $write;
            const SNAPSHOT: &'static str = $snapshot;
            const NOW: &'static str = $now;
            const BYTES: &'static str = $bytes;
            const DAYS_LATE: &'static str = $late;
            const ISSUE_MONTH: &'static str = $issue_month;
            const COUNTED_MONTH: &'static str = $counted_month;
            const DUE_OFFSET: &'static str = $due_offset;
        }

        impl $store {
            $crate::store::helpers::shared_helpers!(conn = $conn, bytes = $bytes);
            $crate::store::bank::bank_backup!(conn = $conn, write = $write);
            $crate::store::payments::reconcile_helpers!(conn = $conn);
            $crate::store::fx::fx_helpers!(conn = $conn);
            $crate::store::group::group_helpers!(conn = $conn);
            $crate::store::summaries::summary_helpers!(
                conn = $conn,
                issue_month = $issue_month,
                counted_month = $counted_month,
                due_offset = $due_offset,
                days_late = $late,
            );
        }

        impl Store for $store {
            $crate::store::ledger::ledger_store!(write = $write, snapshot = $snapshot, now = $now, bytes = $bytes);
            $crate::store::receivables::receivables_store!(snapshot = $snapshot, days_late = $late);
            $crate::store::plans::plans_store!(write = $write, now = $now);
            $crate::store::ai_cache::ai_store!(write = $write);
            $crate::store::snapshot::snapshot_store!(snapshot = $snapshot, bytes = $bytes);
            $crate::store::bank::bank_store!(write = $write, snapshot = $snapshot);
            $crate::store::payments::reconcile_store!(write = $write, snapshot = $snapshot);
            $crate::store::fx::fx_store!(write = $write, snapshot = $snapshot);
            $crate::store::group::group_store!(write = $write, snapshot = $snapshot);
            $($own)*
        }
    };
}

pub(crate) use backend;

/// `YYYY-MM-DD` into a stack buffer, without allocating (bulk writes format
/// millions of dates). Dates are validated to years 1..=9999.
pub(crate) fn iso_date(d: chrono::NaiveDate, buf: &mut [u8; 10]) -> &[u8] {
    use chrono::Datelike;
    let (y, m, day) = (d.year().clamp(0, 9999) as u32, d.month(), d.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        10,
        m / 10,
        m % 10,
        10,
        day / 10,
        day % 10,
    ];
    for (slot, v) in buf.iter_mut().zip(digits) {
        *slot = if v == 10 { b'-' } else { b'0' + v as u8 };
    }
    &buf[..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_iso_dates() {
        let mut buf = [0u8; 10];
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
        assert_eq!(super::iso_date(d, &mut buf), b"2025-03-09");
        let d = chrono::NaiveDate::from_ymd_opt(7, 12, 31).unwrap();
        assert_eq!(super::iso_date(d, &mut buf), b"0007-12-31");
    }

    /// Units of 1/10,000 from the mantissa agree with the arithmetic
    /// definition (d × 10,000, whole, within i64) at every scale.
    #[test]
    fn units_agree_with_the_arithmetic_definition() {
        use rust_decimal::Decimal;
        use rust_decimal::prelude::ToPrimitive;
        let oracle = |d: Decimal| -> Option<i64> {
            let scaled = d.checked_mul(Decimal::from(10_000))?;
            scaled.fract().is_zero().then(|| scaled.to_i64()).flatten()
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut checked = 0;
        for scale in 0..=28u32 {
            for _ in 0..2_000 {
                let r = next();
                // Mantissas of every size, with runs of trailing zeros.
                let digits = r % 28;
                let m = i128::from(next() % 1_000_000_007) * 10i128.pow((r >> 8) as u32 % 12)
                    % 10i128.pow(digits as u32 + 1);
                let m = if r & 1 == 1 { -m } else { m };
                let d = Decimal::from_i128_with_scale(m, scale);
                assert_eq!(super::to_units(d).ok(), oracle(d), "{d} (scale {scale})");
                checked += 1;
            }
        }
        for d in [
            "0",
            "-0.0001",
            "0.00001",
            "922337203685477.5807",
            "922337203685477.5808",
            "-922337203685477.5808",
        ] {
            let d: Decimal = d.parse().unwrap();
            assert_eq!(super::to_units(d).ok(), oracle(d), "{d}");
        }
        assert_eq!(checked, 29 * 2_000);
    }
}
