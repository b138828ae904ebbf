//! Bulk writes to PostgreSQL: rows encoded as CSV straight into the COPY
//! buffer. A company's first load goes directly into the table; later loads go
//! through a temporary table and one merge that upserts by key.

use super::sql::BankWrite;
use super::{Feed, FeedRx, ImportBatch, StoreError, StoreResult};
use crate::domain::{Invoice, MonthlyFinancials, Product};
use rust_decimal::Decimal;
use sqlx::postgres::{PgArgumentBuffer, PgConnection};

/// Bytes buffered before each COPY send.
const COPY_BUFFER: usize = 1 << 20;

/// A key the table (or the staging table) already holds, named: the file
/// repeats it. The rows are the database's to check (a PRIMARY KEY on both),
/// so the client keeps no set of the keys it sent.
fn repeated(e: sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error()
        && db.code().as_deref() == Some("23505")
        && let Some(detail) = db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .and_then(|p| p.detail())
    {
        // "Key (company_id, number)=(7, INV-1) already exists." or "Key (number)=(INV-1) …".
        let values = detail
            .split_once(")=(")
            .and_then(|(cols, rest)| Some((cols, rest.rsplit_once(") already exists")?.0)));
        if let Some((cols, values)) = values {
            let key = if cols.contains(',') {
                values.split_once(", ").map_or(values, |(_, k)| k)
            } else {
                values
            };
            return StoreError::DuplicateKey(crate::sanitize::clean(key));
        }
    }
    StoreError::Database(e)
}

/// Refuses values NUMERIC(18,4) would round or reject, before the server sees them.
pub(super) fn check_money(d: Decimal) -> StoreResult<Decimal> {
    super::sql::to_units(d).map(|_| d)
}

/// The send buffer of a binary COPY: each value in the server's own binary
/// form, written by sqlx's encoders, so the server parses no text (reading
/// numbers and dates from text was a third of its work on a million invoices).
pub(super) struct CopyBuf(PgArgumentBuffer);

/// A binary COPY's signature, flags and header extension.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl CopyBuf {
    fn new() -> Self {
        let mut b = PgArgumentBuffer::default();
        b.reserve(COPY_BUFFER + 4096);
        b.extend_from_slice(BINARY_HEADER);
        CopyBuf(b)
    }

    /// The bytes so far, leaving the buffer empty (with its capacity).
    fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut *self.0, Vec::with_capacity(COPY_BUFFER + 4096))
    }

    /// The last bytes to send, the end of the data after them.
    fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&(-1i16).to_be_bytes());
        std::mem::take(&mut *self.0)
    }

    /// A tuple, its values written by `f`; the field count is set after.
    fn row<E>(&mut self, f: impl FnOnce(&mut CopyRow<'_>) -> Result<(), E>) -> Result<(), E> {
        let at = self.0.len();
        self.0.extend_from_slice(&[0, 0]);
        let mut row = CopyRow {
            buf: &mut self.0,
            fields: 0,
        };
        let r = f(&mut row);
        let fields = row.fields;
        if r.is_err() {
            self.0.truncate(at);
        } else {
            self.0[at..at + 2].copy_from_slice(&fields.to_be_bytes());
        }
        r
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// One tuple of a binary COPY: each value its length and its bytes, NULL as -1.
pub(super) struct CopyRow<'a> {
    buf: &'a mut PgArgumentBuffer,
    fields: i16,
}

impl CopyRow<'_> {
    fn value<'q, T: sqlx::Encode<'q, sqlx::Postgres>>(&mut self, v: &T) -> StoreResult<()> {
        self.fields += 1;
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        let written = v
            .encode_by_ref(self.buf)
            .map_err(|e| StoreError::Aborted(format!("a value the store cannot hold: {e}")))?;
        let len = match written {
            sqlx::encode::IsNull::No => i32::try_from(self.buf.len() - at - 4)
                .map_err(|_| StoreError::Aborted("a value too long for the store".into()))?,
            sqlx::encode::IsNull::Yes => -1,
        };
        self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    fn text(&mut self, s: &str) -> StoreResult<()> {
        self.value(&s)
    }

    fn money(&mut self, d: Option<Decimal>) -> StoreResult<()> {
        let d = d.map(check_money).transpose()?;
        self.value(&d)
    }

    fn int(&mut self, v: Option<i64>) -> StoreResult<()> {
        self.value(&v)
    }

    fn date(&mut self, d: Option<chrono::NaiveDate>) -> StoreResult<()> {
        self.value(&d)
    }

    fn bytes(&mut self, b: &[u8]) -> StoreResult<()> {
        self.value(&b)
    }
}

/// The statements of one table's bulk load, and how a row is written.
pub(super) struct CopySpec<T> {
    /// Whether the company already has rows (then the load merges).
    exists: &'static str,
    /// COPY straight into the table, company id first.
    direct: &'static str,
    create_stage: &'static str,
    copy: &'static str,
    /// Upserts the staged rows for company $1.
    merge: &'static str,
    /// Refreshes the planner's statistics after a large load.
    pub analyze: &'static str,
    /// Whether the table checks its rows' company by a statement trigger
    /// over the statement's new rows (which a direct load by a superuser
    /// does itself, see [`copy_feed`]).
    company_trigger: bool,
    encode: fn(&T, &mut CopyRow<'_>) -> StoreResult<()>,
}

/// Rows from which a load refreshes the table's statistics: without them the
/// first reports after a big import scan without parallel workers.
pub(super) const ANALYZE_FROM_ROWS: usize = 10_000;

pub(super) const FINANCIALS: CopySpec<MonthlyFinancials> = CopySpec {
    encode: financials,
    analyze: "ANALYZE financials",
    company_trigger: false,
    exists: "SELECT EXISTS (SELECT 1 FROM financials WHERE company_id = $1)",
    direct: "COPY financials (company_id, month, revenue, cogs, opex, sales_marketing, depreciation, other_income, \
        financing, cash_end, customers_new, customers_churned, customers_end) FROM STDIN WITH (FORMAT binary)",
    create_stage: "CREATE TEMP TABLE katalis_stage (month CHAR(7) PRIMARY KEY, revenue NUMERIC(18,4), cogs NUMERIC(18,4), \
        opex NUMERIC(18,4), sales_marketing NUMERIC(18,4), depreciation NUMERIC(18,4), \
        other_income NUMERIC(18,4), financing NUMERIC(18,4), cash_end NUMERIC(18,4), customers_new BIGINT, \
        customers_churned BIGINT, customers_end BIGINT) ON COMMIT DROP",
    copy: "COPY katalis_stage FROM STDIN WITH (FORMAT binary)",
    merge: "INSERT INTO financials AS f (company_id, month, revenue, cogs, opex, sales_marketing, depreciation, \
        other_income, financing, cash_end, customers_new, customers_churned, customers_end) \
        SELECT $1, month, revenue, cogs, opex, sales_marketing, depreciation, other_income, financing, \
        cash_end, customers_new, customers_churned, customers_end FROM katalis_stage \
        ON CONFLICT (company_id, month) DO UPDATE SET revenue = excluded.revenue, cogs = excluded.cogs, \
        opex = excluded.opex, sales_marketing = excluded.sales_marketing, depreciation = excluded.depreciation, \
        other_income = excluded.other_income, financing = excluded.financing, cash_end = excluded.cash_end, \
        customers_new = excluded.customers_new, customers_churned = excluded.customers_churned, \
        customers_end = excluded.customers_end, version = f.version + 1, updated_at = now() \
        WHERE (f.revenue, f.cogs, f.opex, f.sales_marketing, f.depreciation, f.other_income, f.financing, \
        f.cash_end, f.customers_new, f.customers_churned, f.customers_end) IS DISTINCT FROM \
        (excluded.revenue, excluded.cogs, excluded.opex, excluded.sales_marketing, excluded.depreciation, \
        excluded.other_income, excluded.financing, excluded.cash_end, excluded.customers_new, \
        excluded.customers_churned, excluded.customers_end)",
};

pub(super) const PRODUCTS: CopySpec<Product> = CopySpec {
    encode: products,
    analyze: "ANALYZE products",
    company_trigger: false,
    exists: "SELECT EXISTS (SELECT 1 FROM products WHERE company_id = $1)",
    direct: "COPY products (company_id, sku, name, unit_price, unit_cost, monthly_units, fixed_costs) \
        FROM STDIN WITH (FORMAT binary)",
    create_stage: "CREATE TEMP TABLE katalis_stage (sku TEXT PRIMARY KEY, name TEXT, unit_price NUMERIC(18,4), \
        unit_cost NUMERIC(18,4), monthly_units NUMERIC(18,4), fixed_costs NUMERIC(18,4)) ON COMMIT DROP",
    copy: "COPY katalis_stage FROM STDIN WITH (FORMAT binary)",
    merge: "INSERT INTO products AS p (company_id, sku, name, unit_price, unit_cost, monthly_units, fixed_costs) \
        SELECT $1, sku, name, unit_price, unit_cost, monthly_units, fixed_costs FROM katalis_stage \
        ON CONFLICT (company_id, sku) DO UPDATE SET name = excluded.name, unit_price = excluded.unit_price, \
        unit_cost = excluded.unit_cost, monthly_units = excluded.monthly_units, \
        fixed_costs = excluded.fixed_costs, version = p.version + 1, updated_at = now() \
        WHERE (p.name, p.unit_price, p.unit_cost, p.monthly_units, p.fixed_costs) IS DISTINCT FROM \
        (excluded.name, excluded.unit_price, excluded.unit_cost, excluded.monthly_units, excluded.fixed_costs)",
};

pub(super) const INVOICES: CopySpec<Invoice> = CopySpec {
    encode: invoices,
    analyze: "ANALYZE invoices",
    company_trigger: true,
    exists: "SELECT EXISTS (SELECT 1 FROM invoices WHERE company_id = $1)",
    direct: "COPY invoices (company_id, number, customer, issue_date, due_date, amount, paid_amount, paid_date) \
        FROM STDIN WITH (FORMAT binary)",
    create_stage: "CREATE TEMP TABLE katalis_stage (number TEXT PRIMARY KEY, customer TEXT, issue_date DATE, due_date DATE, \
        amount NUMERIC(18,4), paid_amount NUMERIC(18,4), paid_date DATE) ON COMMIT DROP",
    copy: "COPY katalis_stage FROM STDIN WITH (FORMAT binary)",
    merge: "INSERT INTO invoices AS i (company_id, number, customer, issue_date, due_date, amount, paid_amount, \
        paid_date) SELECT $1, number, customer, issue_date, due_date, amount, paid_amount, paid_date \
        FROM katalis_stage \
        ON CONFLICT (company_id, number) DO UPDATE SET customer = excluded.customer, \
        issue_date = excluded.issue_date, due_date = excluded.due_date, amount = excluded.amount, \
        paid_amount = excluded.paid_amount, paid_date = excluded.paid_date, version = i.version + 1, \
        updated_at = now() \
        WHERE (i.customer, i.issue_date, i.due_date, i.amount, i.paid_amount, i.paid_date) IS DISTINCT FROM \
        (excluded.customer, excluded.issue_date, excluded.due_date, excluded.amount, excluded.paid_amount, \
        excluded.paid_date)",
};

fn financials(r: &MonthlyFinancials, e: &mut CopyRow<'_>) -> StoreResult<()> {
    e.text(&r.month.to_string())?;
    for v in [r.revenue, r.cogs, r.opex] {
        e.money(Some(v))?;
    }
    for v in [r.sales_marketing, r.depreciation, r.other_income, r.financing] {
        e.money(v)?;
    }
    e.money(Some(r.cash_end))?;
    for v in [r.customers_new, r.customers_churned, r.customers_end] {
        e.int(v)?;
    }
    Ok(())
}

fn products(p: &Product, e: &mut CopyRow<'_>) -> StoreResult<()> {
    e.text(&p.sku)?;
    e.text(&p.name)?;
    for v in [p.unit_price, p.unit_cost, p.monthly_units, p.fixed_costs] {
        e.money(Some(v))?;
    }
    Ok(())
}

fn invoices(i: &Invoice, e: &mut CopyRow<'_>) -> StoreResult<()> {
    e.text(&i.number)?;
    e.text(&i.customer)?;
    e.date(Some(i.issue_date))?;
    e.date(Some(i.due_date))?;
    e.money(Some(i.amount))?;
    e.money(Some(i.paid_amount))?;
    e.date(i.paid_date)
}

/// The rows of type `T` in a batch of a streamed import.
pub(super) trait FromBatch: Sized {
    fn take(b: ImportBatch) -> Option<Vec<Self>>;
}

impl FromBatch for MonthlyFinancials {
    fn take(b: ImportBatch) -> Option<Vec<Self>> {
        if let ImportBatch::Financials(r) = b {
            Some(r)
        } else {
            None
        }
    }
}

impl FromBatch for Product {
    fn take(b: ImportBatch) -> Option<Vec<Self>> {
        if let ImportBatch::Products(r) = b {
            Some(r)
        } else {
            None
        }
    }
}

impl FromBatch for Invoice {
    fn take(b: ImportBatch) -> Option<Vec<Self>> {
        if let ImportBatch::Invoices(r) = b {
            Some(r)
        } else {
            None
        }
    }
}

/// What sees each batch of a COPY first and may hand back the rows to write instead.
pub(super) type Prepare<'a, T> = dyn FnMut(&[T]) -> StoreResult<Option<Vec<T>>> + Send + 'a;

/// COPYs `first`, then every batch that arrives on `feed` until its `End`
/// (a feed that closes without `End` aborts the COPY and fails). `prepare`
/// sees each batch first and may hand back the rows to write instead (the
/// invoices booked in the company's currency); its error aborts the COPY.
///
/// A direct load that turned triggers off (see below) turns them on again
/// after the COPY, unless `held` is given: then it is set, and the caller,
/// which writes only rows of this company next, calls [`triggers_on`].
pub(super) async fn copy_feed<T: FromBatch>(
    tx: &mut PgConnection,
    spec: &CopySpec<T>,
    company: i64,
    first: &[T],
    mut feed: Option<&mut FeedRx>,
    prepare: &mut Prepare<'_, T>,
    held: Option<&mut bool>,
) -> StoreResult<usize> {
    // COPY straight into a table is for a company's first load by a role that
    // row-level security does not apply to (COPY FROM refuses tables with
    // policies otherwise); every other load goes through the staging table.
    let role = role(tx).await?;
    let fresh = role.bypasses_rls
        && !sqlx::query_scalar::<_, bool>(spec.exists)
            .bind(company)
            .fetch_one(&mut *tx)
            .await?;
    // The invoices' company trigger keeps every new row of the statement to
    // look their companies up at its end: a third of a million-row load. A
    // direct load names one company, so a superuser's (who may set the
    // replication role) locks that company's row against deletion until
    // commit instead, and the load runs with triggers off: checks, unique
    // keys and the unpaid index still hold; foreign keys and the company
    // triggers are what the lock and the single company stand for.
    let own_check = fresh && spec.company_trigger && role.superuser;
    if own_check {
        let locked: Option<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE id = $1 FOR KEY SHARE")
            .bind(company)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Err(StoreError::Conflict(format!(
                "the company (id {company}) was deleted meanwhile; nothing was imported"
            )));
        }
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    let mut copy_in = if fresh {
        tx.copy_in_raw(spec.direct).await?
    } else {
        sqlx::query(spec.create_stage).execute(&mut *tx).await?;
        tx.copy_in_raw(spec.copy).await?
    };
    let mut buf = CopyBuf::new();
    let mut pending: Option<Vec<T>> = None;
    let mut count = 0;
    loop {
        let rows: &[T] = match &pending {
            Some(v) => v,
            None => first,
        };
        count += rows.len();
        let replaced = match prepare(rows) {
            Ok(r) => r,
            Err(e) => {
                copy_in.abort("a row the store cannot book").await?;
                return Err(e);
            }
        };
        for row in replaced.as_deref().unwrap_or(rows) {
            let written = buf.row(|enc| {
                if fresh {
                    enc.int(Some(company))?;
                }
                (spec.encode)(row, enc)
            });
            if let Err(e) = written {
                // Ended here, so the connection goes back to the pool clean.
                copy_in.abort("a value the store cannot hold").await?;
                return Err(e);
            }
            if buf.len() >= COPY_BUFFER {
                copy_in.send(buf.take()).await.map_err(repeated)?;
            }
        }
        let Some(rx) = feed.as_deref_mut() else { break };
        match rx.recv().await {
            Some(Feed::Rows(b)) => {
                pending =
                    Some(T::take(b).ok_or_else(|| StoreError::Aborted("mixed kinds of rows in one import".into()))?)
            }
            Some(Feed::End) => break,
            None => {
                copy_in.abort("import abandoned").await?;
                return Err(super::abandoned());
            }
        }
    }
    copy_in.send(buf.finish()).await.map_err(repeated)?;
    copy_in.finish().await.map_err(repeated)?;
    match held {
        Some(flag) => *flag = own_check,
        None => triggers_on(tx, own_check).await?,
    }
    if !fresh {
        sqlx::query(spec.merge).bind(company).execute(&mut *tx).await?;
        sqlx::query("DROP TABLE katalis_stage").execute(&mut *tx).await?;
    }
    Ok(count)
}

/// Turns triggers on again after a direct load that [`copy_feed`] left them
/// off for (`off`); before anything but the load's own rows is written.
pub(super) async fn triggers_on(tx: &mut PgConnection, off: bool) -> StoreResult<()> {
    if off {
        sqlx::query("SET LOCAL session_replication_role = origin")
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Writes statement lines. Straight into `bank_lines` by COPY while that
/// cannot meet a line the account holds — a role row-level security does not
/// apply to (COPY FROM refuses tables with policies otherwise), and no line
/// of this chunk booked on or before the account's newest day before the
/// import (a key begins with its day) — each chunk under a savepoint, so that
/// a line repeated within the file (the same bank reference twice) sends that
/// chunk and the rest to the staging table instead. Staged lines are merged,
/// skipping keys already held, by [`merge_bank_lines`].
pub(super) async fn copy_bank_lines(
    tx: &mut PgConnection,
    w: &mut BankWrite,
    lines: &[crate::domain::BankLine],
    keys: &[[u8; 16]],
) -> StoreResult<crate::domain::LinesAdded> {
    if lines.is_empty() {
        return Ok(crate::domain::LinesAdded::default());
    }
    if w.direct && w.newest_day.is_none() {
        w.direct = role(tx).await?.bypasses_rls;
        let newest: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT key FROM bank_lines WHERE account_id = $1 ORDER BY key DESC LIMIT 1")
                .bind(w.account)
                .fetch_optional(&mut *tx)
                .await?;
        w.newest_day = Some(newest.and_then(|k| Some(u32::from_be_bytes(k.get(..4)?.try_into().ok()?))));
    }
    let day = |k: &[u8; 16]| u32::from_be_bytes([k[0], k[1], k[2], k[3]]);
    let earliest = keys.iter().map(day).min();
    if w.direct && w.newest_day.flatten().is_some_and(|n| earliest.is_some_and(|e| e <= n)) {
        w.direct = false;
    }
    if w.direct {
        sqlx::query("SAVEPOINT katalis_bank_chunk").execute(&mut *tx).await?;
        match copy_lines(tx, Some(w), lines, keys).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT katalis_bank_chunk")
                    .execute(&mut *tx)
                    .await?;
                return Ok(w.added(lines));
            }
            Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                sqlx::query("ROLLBACK TO SAVEPOINT katalis_bank_chunk")
                    .execute(&mut *tx)
                    .await?;
                w.direct = false;
            }
            Err(e) => return Err(e),
        }
    }
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS katalis_bank_stage (seq BIGINT GENERATED ALWAYS AS IDENTITY, date DATE, \
         value_date DATE, amount NUMERIC(18,4), description TEXT, counterparty TEXT, reference TEXT, \
         bank_ref TEXT, balance NUMERIC(18,4), key BYTEA) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    copy_lines(tx, None, lines, keys).await?;
    Ok(crate::domain::LinesAdded::default())
}

/// What the current role may do that bears on a bulk load.
struct Role {
    /// Row-level security does not apply to it.
    bypasses_rls: bool,
    superuser: bool,
}

async fn role(tx: &mut PgConnection) -> StoreResult<Role> {
    let (bypasses_rls, superuser) =
        sqlx::query_as("SELECT rolsuper OR rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((false, false));
    Ok(Role {
        bypasses_rls,
        superuser,
    })
}

/// COPYs lines into `bank_lines` (with the import's ids from `w`) or, without
/// `w`, into the staging table.
async fn copy_lines(
    tx: &mut PgConnection,
    w: Option<&BankWrite>,
    lines: &[crate::domain::BankLine],
    keys: &[[u8; 16]],
) -> StoreResult<()> {
    let mut copy_in = tx
        .copy_in_raw(match w {
            Some(_) => {
                "COPY bank_lines (company_id, account_id, import_id, date, value_date, amount, description, \
                 counterparty, reference, bank_ref, balance, key) FROM STDIN WITH (FORMAT binary)"
            }
            None => {
                "COPY katalis_bank_stage (date, value_date, amount, description, counterparty, reference, bank_ref, \
                 balance, key) FROM STDIN WITH (FORMAT binary)"
            }
        })
        .await?;
    let mut buf = CopyBuf::new();
    for (key, l) in keys.iter().zip(lines) {
        let written = buf.row(|e| {
            if let Some(w) = w {
                e.int(Some(w.company))?;
                e.int(Some(w.account))?;
                e.int(Some(w.import))?;
            }
            e.date(Some(l.date))?;
            e.date(l.value_date)?;
            e.money(Some(l.amount))?;
            e.text(&l.description)?;
            e.text(&l.counterparty)?;
            e.text(&l.reference)?;
            e.text(&l.bank_ref)?;
            e.money(l.balance)?;
            e.bytes(key)
        });
        if let Err(e) = written {
            copy_in.abort("a value the store cannot hold").await?;
            return Err(e);
        }
        if buf.len() >= COPY_BUFFER {
            copy_in.send(buf.take()).await?;
        }
    }
    copy_in.send(buf.finish()).await?;
    copy_in.finish().await?;
    Ok(())
}

/// Inserts the staged lines into the account in the order staged, skipping
/// those whose key the account already holds (or the import held before);
/// what it added.
pub(super) async fn merge_bank_lines(
    tx: &mut PgConnection,
    w: &mut BankWrite,
) -> StoreResult<crate::domain::LinesAdded> {
    let staged: bool = sqlx::query_scalar("SELECT to_regclass('pg_temp.katalis_bank_stage') IS NOT NULL")
        .fetch_one(&mut *tx)
        .await?;
    if !staged {
        return Ok(crate::domain::LinesAdded::default());
    }
    let (count, sum_after, last): (i64, Option<Decimal>, Option<chrono::NaiveDate>) = sqlx::query_as(
        "WITH added AS (INSERT INTO bank_lines (company_id, account_id, import_id, date, value_date, amount, \
         description, counterparty, reference, bank_ref, balance, key) \
         SELECT $1, $2, $3, date, value_date, amount, description, counterparty, reference, bank_ref, balance, key \
         FROM katalis_bank_stage ORDER BY seq ON CONFLICT (account_id, key) DO NOTHING RETURNING date, amount) \
         SELECT COUNT(*), SUM(CASE WHEN CAST($4 AS DATE) IS NULL OR date > $4 THEN amount ELSE 0 END), MAX(date) \
         FROM added",
    )
    .bind(w.company)
    .bind(w.account)
    .bind(w.import)
    .bind(w.after)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("DROP TABLE katalis_bank_stage").execute(&mut *tx).await?;
    Ok(crate::domain::LinesAdded {
        count: count as usize,
        sum_after: sum_after.unwrap_or_default(),
        last,
    })
}
