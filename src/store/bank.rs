//! Bank accounts and statement lines, both backends, written once: the
//! accounts with their balances, pages of lines, a statement's import (one
//! transaction, lines already stored skipped), and the days the forecast
//! reads.

use chrono::NaiveDate;

/// Which lines to read (`Store::bank_lines`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineQuery {
    /// One account by name, or all.
    pub account: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Text the description, counterparty or reference contains.
    pub filter: String,
    pub offset: usize,
    pub limit: usize,
    /// Newest first (the interface) instead of booking order.
    pub newest_first: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub number: Option<String>,
    pub balance: super::sql::Money,
    pub lines: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

impl From<AccountRow> for crate::domain::BankAccount {
    fn from(r: AccountRow) -> Self {
        crate::domain::BankAccount {
            id: r.id,
            name: r.name,
            currency: r.currency,
            number: r.number,
            balance: r.balance.0,
            as_of: r.last_date,
            lines: r.lines,
            first_date: r.first_date,
            last_date: r.last_date,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LineRow {
    pub id: i64,
    pub account: String,
    pub date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub amount: super::sql::Money,
    pub description: String,
    pub counterparty: String,
    pub reference: String,
    pub bank_ref: String,
    pub balance: Option<super::sql::Money>,
}

impl From<LineRow> for crate::domain::StoredLine {
    fn from(r: LineRow) -> Self {
        crate::domain::StoredLine {
            id: r.id,
            account: r.account,
            date: r.date,
            value_date: r.value_date,
            amount: r.amount.0,
            description: r.description,
            counterparty: r.counterparty,
            reference: r.reference,
            bank_ref: r.bank_ref,
            balance: r.balance.map(|b| b.0),
        }
    }
}

/// The accounts of company $1 (and, with `AND a.id = $2`, one of them).
macro_rules! accounts_sql {
    () => {
        "SELECT a.id, a.name, a.currency, a.number, a.balance, \
     (SELECT COUNT(*) FROM bank_lines l WHERE l.account_id = a.id) AS lines, \
     (SELECT l.date FROM bank_lines l WHERE l.account_id = a.id ORDER BY l.key LIMIT 1) AS first_date, \
     (SELECT l.date FROM bank_lines l WHERE l.account_id = a.id ORDER BY l.key DESC LIMIT 1) AS last_date \
     FROM bank_accounts a WHERE a.company_id = $1"
    };
}
pub(crate) use accounts_sql;

/// The lines of company $1 matching account $2 (NULL: all), dates $3..$4
/// (NULL: open) and the LIKE pattern $5.
macro_rules! lines_where {
    () => {
        "FROM bank_lines l JOIN bank_accounts a ON a.id = l.account_id \
         WHERE l.company_id = $1 AND (CAST($2 AS TEXT) IS NULL OR a.name = $2) \
         AND (CAST($3 AS DATE) IS NULL OR l.date >= $3) AND (CAST($4 AS DATE) IS NULL OR l.date <= $4) \
         AND ($5 = '%%' OR lower(l.description || ' ' || l.counterparty || ' ' || l.reference || ' ' || a.name) \
         LIKE $5 ESCAPE '\\')"
    };
}
pub(crate) use lines_where;

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! bank_store {
    (write = $write:literal, snapshot = $snapshot:literal $(,)?) => {
        async fn bank_accounts(&self, company_id: i64) -> StoreResult<Vec<$crate::domain::BankAccount>> {
            let mut s = self.session().await?;
            let rows: Vec<$crate::store::bank::AccountRow> =
                sqlx::query_as(concat!($crate::store::bank::accounts_sql!(), " ORDER BY a.name"))
                    .bind(company_id)
                    .fetch_all(&mut *s)
                    .await?;
            s.done().await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        async fn bank_lines(
            &self,
            company_id: i64,
            q: &$crate::store::LineQuery,
        ) -> StoreResult<(Vec<$crate::domain::StoredLine>, usize)> {
            let pattern = $crate::store::sql::like_pattern(&q.filter);
            let mut tx = self.begin_tx(false).await?;
            let total: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*) ", $crate::store::bank::lines_where!()))
                .bind(company_id)
                .bind(&q.account)
                .bind(q.from)
                .bind(q.to)
                .bind(&pattern)
                .fetch_one(&mut *tx)
                .await?;
            let query = if q.newest_first {
                sqlx::query_as(concat!(
                    "SELECT l.id, a.name AS account, l.date, l.value_date, l.amount, l.description, l.counterparty, \
                     l.reference, l.bank_ref, l.balance ",
                    $crate::store::bank::lines_where!(),
                    " ORDER BY l.date DESC, l.id DESC LIMIT $6 OFFSET $7"
                ))
            } else {
                sqlx::query_as(concat!(
                    "SELECT l.id, a.name AS account, l.date, l.value_date, l.amount, l.description, l.counterparty, \
                     l.reference, l.bank_ref, l.balance ",
                    $crate::store::bank::lines_where!(),
                    " ORDER BY l.date, l.id LIMIT $6 OFFSET $7"
                ))
            };
            let rows: Vec<$crate::store::bank::LineRow> = query
                .bind(company_id)
                .bind(&q.account)
                .bind(q.from)
                .bind(q.to)
                .bind(&pattern)
                .bind(i64::try_from(q.limit).unwrap_or(i64::MAX))
                .bind(i64::try_from(q.offset).unwrap_or(i64::MAX))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok((rows.into_iter().map(Into::into).collect(), total as usize))
        }

        async fn bank_days(
            &self,
            company_id: i64,
            currency: &str,
            after: chrono::NaiveDate,
        ) -> StoreResult<Vec<$crate::finance::bank::BankDay>> {
            use $crate::store::sql::Money;
            let mut s = self.session().await?;
            let rows: Vec<(chrono::NaiveDate, Money, Money)> = sqlx::query_as(
                "SELECT l.date, SUM(CASE WHEN l.amount > 0 THEN l.amount ELSE 0 END), \
                 SUM(CASE WHEN l.amount < 0 THEN -l.amount ELSE 0 END) \
                 FROM bank_lines l JOIN bank_accounts a ON a.id = l.account_id \
                 WHERE l.company_id = $1 AND a.currency = $2 AND l.date > $3 GROUP BY l.date ORDER BY l.date",
            )
            .bind(company_id)
            .bind(currency)
            .bind(after)
            .fetch_all(&mut *s)
            .await?;
            s.done().await?;
            Ok(rows
                .into_iter()
                .map(|(date, i, o)| $crate::finance::bank::BankDay {
                    date,
                    inflows: i.0,
                    outflows: o.0,
                })
                .collect())
        }

        async fn import_statement(
            &self,
            company_id: i64,
            w: &$crate::domain::StatementWrite,
        ) -> StoreResult<$crate::domain::StatementImported> {
            self.write_statement(company_id, w, None).await
        }

        async fn import_statement_stream(
            &self,
            company_id: i64,
            head: &$crate::domain::StatementWrite,
            mut feed: $crate::store::StatementRx,
        ) -> StoreResult<$crate::domain::StatementImported> {
            self.write_statement(company_id, head, Some(&mut feed)).await
        }
    };
}

pub(crate) use bank_store;

/// A key as hex (backups) and back.
pub(crate) fn hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The bank part of a company's backup and restore, for `snapshot_store!`
/// and `shared_helpers!`.
macro_rules! bank_backup {
    (conn = $conn:ty, write = $write:literal) => {
        /// A statement's import in one transaction: `w`'s lines, then (streamed)
        /// those of `feed` until its `End`, which may bring the closing balance;
        /// a feed that closes without `End` writes nothing.
        async fn write_statement(
            &self,
            company_id: i64,
            w: &$crate::domain::StatementWrite,
            mut feed: Option<&mut $crate::store::StatementRx>,
        ) -> StoreResult<$crate::domain::StatementImported> {
            use $crate::domain::AccountTarget;
            use $crate::store::sql::Money;
            let mut tx = $crate::store::sql::Backend::begin_tx(self, true).await?;
            let found: Option<(i64, Money, Option<chrono::NaiveDate>)> = sqlx::query_as(
                "SELECT id, balance, balance_date FROM bank_accounts WHERE company_id = $1 AND name = $2",
            )
            .bind(company_id)
            .bind(w.account.name())
            .fetch_optional(&mut *tx)
            .await?;
            let (account, balance, balance_date) = match (found, &w.account) {
                (Some(f), _) => f,
                (
                    None,
                    AccountTarget::Create {
                        name,
                        currency,
                        number,
                    },
                ) => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO bank_accounts (company_id, name, currency, number) VALUES ($1, $2, $3, $4) \
                         RETURNING id",
                    )
                    .bind(company_id)
                    .bind(name)
                    .bind(currency)
                    .bind(number)
                    .fetch_one(&mut *tx)
                    .await?;
                    (id, Money(rust_decimal::Decimal::ZERO), None)
                }
                (None, AccountTarget::Existing(name)) => {
                    return Err(StoreError::Conflict(format!(
                        "no bank account named {:?}; add --create-account to create it",
                        $crate::sanitize::clean(name)
                    )));
                }
            };
            let import: i64 = sqlx::query_scalar(
                "INSERT INTO bank_imports (company_id, account_id, source, format, added, skipped) \
                 VALUES ($1, $2, $3, $4, 0, 0) RETURNING id",
            )
            .bind(company_id)
            .bind(account)
            .bind(&w.source)
            .bind(&w.format)
            .fetch_one(&mut *tx)
            .await?;
            if w.keys.len() != w.lines.len() {
                return Err(StoreError::Aborted("a statement line without its key".into()));
            }
            let mut bw = $crate::store::sql::BankWrite::new(company_id, account, import, balance_date);
            let mut written = Self::write_bank_lines(&mut tx, &mut bw, &w.lines, &w.keys).await?;
            let mut total = w.lines.len();
            let mut closing = w.closing;
            if let Some(rx) = feed.as_deref_mut() {
                loop {
                    match rx.recv().await {
                        Some($crate::store::StatementFeed::Lines(lines, keys)) => {
                            if keys.len() != lines.len() {
                                return Err(StoreError::Aborted("a statement line without its key".into()));
                            }
                            let more = Self::write_bank_lines(&mut tx, &mut bw, &lines, &keys).await?;
                            total += lines.len();
                            written += more;
                        }
                        Some($crate::store::StatementFeed::End { closing: c }) => {
                            closing = c.or(closing);
                            break;
                        }
                        // Dropping the transaction rolls everything back.
                        None => return Err($crate::store::abandoned()),
                    }
                }
            }
            written += Self::finish_bank_lines(&mut tx, &mut bw).await?;
            let added = written.count;
            let skipped = total - added;
            sqlx::query("UPDATE bank_imports SET added = $1, skipped = $2 WHERE id = $3")
                .bind(added as i64)
                .bind(skipped as i64)
                .bind(import)
                .execute(&mut *tx)
                .await?;
            // The balance: the statement's closing balance when it is the
            // latest known; else the lines added after the last one summed on.
            let (balance, balance_date) = match closing {
                Some((c, d)) if balance_date.is_none_or(|bd| d >= bd) => (c, Some(d)),
                _ => (balance.0 + written.sum_after, balance_date.max(written.last)),
            };
            sqlx::query("UPDATE bank_accounts SET balance = $1, balance_date = $2 WHERE id = $3")
                .bind(Money::new(balance)?)
                .bind(balance_date)
                .bind(account)
                .execute(&mut *tx)
                .await?;
            let row: $crate::store::bank::AccountRow =
                sqlx::query_as(concat!($crate::store::bank::accounts_sql!(), " AND a.id = $2"))
                    .bind(company_id)
                    .bind(account)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            Ok($crate::domain::StatementImported {
                account: row.into(),
                added,
                skipped,
            })
        }


        async fn read_bank(conn: &mut $conn, company_id: i64) -> StoreResult<Vec<$crate::store::BankAccountBackup>> {
            use $crate::store::sql::{Money, Stamp};
            let accounts: Vec<(i64, String, String, Option<String>, Money, Option<chrono::NaiveDate>)> =
                sqlx::query_as(
                    "SELECT id, name, currency, number, balance, balance_date FROM bank_accounts \
                     WHERE company_id = $1 ORDER BY id",
                )
                .bind(company_id)
                .fetch_all(&mut *conn)
                .await?;
            let mut out = Vec::new();
            for (id, name, currency, number, balance, balance_date) in accounts {
                let imports: Vec<(i64, String, String, i64, i64, Stamp)> = sqlx::query_as(
                    "SELECT id, source, format, added, skipped, imported_at FROM bank_imports \
                     WHERE account_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
                let mut backups = Vec::new();
                for (import, source, format, added, skipped, at) in imports {
                    type Row = (
                        i64,
                        chrono::NaiveDate,
                        Option<chrono::NaiveDate>,
                        Money,
                        String,
                        String,
                        String,
                        String,
                        Option<Money>,
                        Vec<u8>,
                    );
                    let lines: Vec<Row> = sqlx::query_as(
                        "SELECT id, date, value_date, amount, description, counterparty, reference, bank_ref, \
                         balance, key FROM bank_lines WHERE import_id = $1 ORDER BY id",
                    )
                    .bind(import)
                    .fetch_all(&mut *conn)
                    .await?;
                    backups.push($crate::store::BankImportBackup {
                        source,
                        format,
                        added,
                        skipped,
                        imported_at: at.into(),
                        lines: lines
                            .into_iter()
                            .map(|(id, date, value_date, amount, description, counterparty, reference, bank_ref, balance, key)| {
                                $crate::store::BankLineBackup {
                                    id,
                                    date,
                                    value_date,
                                    amount: amount.0,
                                    description,
                                    counterparty,
                                    reference,
                                    bank_ref,
                                    balance: balance.map(|b| b.0),
                                    key: $crate::store::bank::hex(&key),
                                }
                            })
                            .collect(),
                    });
                }
                out.push($crate::store::BankAccountBackup {
                    name,
                    currency,
                    number,
                    balance: balance.0,
                    balance_date,
                    imports: backups,
                });
            }
            Ok(out)
        }

        async fn restore_bank(
            conn: &mut $conn,
            company_id: i64,
            accounts: &[$crate::store::BankAccountBackup],
        ) -> StoreResult<()> {
            use $crate::store::sql::{Money, Stamp};
            for a in accounts {
                let account: i64 = sqlx::query_scalar(
                    "INSERT INTO bank_accounts (company_id, name, currency, number, balance, balance_date) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(company_id)
                .bind(&a.name)
                .bind(&a.currency)
                .bind(&a.number)
                .bind(Money::new(a.balance)?)
                .bind(a.balance_date)
                .fetch_one(&mut *conn)
                .await?;
                for i in &a.imports {
                    let import: i64 = sqlx::query_scalar(
                        "INSERT INTO bank_imports (company_id, account_id, source, format, added, skipped, imported_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(company_id)
                    .bind(account)
                    .bind(&i.source)
                    .bind(&i.format)
                    .bind(i.added)
                    .bind(i.skipped)
                    .bind(Stamp::parse(&i.imported_at)?)
                    .fetch_one(&mut *conn)
                    .await?;
                    for chunk in i.lines.chunks(500) {
                        let mut q = sqlx::QueryBuilder::new(
                            "INSERT INTO bank_lines (id, company_id, account_id, import_id, date, value_date, amount, \
                             description, counterparty, reference, bank_ref, balance, key) ",
                        );
                        let mut rows = Vec::with_capacity(chunk.len());
                        for l in chunk {
                            let key = $crate::store::bank::unhex(&l.key)
                                .ok_or_else(|| StoreError::Corrupt(format!("bank line {}: a bad key", l.id)))?;
                            rows.push((l, Money::new(l.amount)?, Money::opt(l.balance)?, key));
                        }
                        q.push_values(rows, |mut b, (l, amount, balance, key)| {
                            b.push_bind(l.id)
                                .push_bind(company_id)
                                .push_bind(account)
                                .push_bind(import)
                                .push_bind(l.date)
                                .push_bind(l.value_date)
                                .push_bind(amount)
                                .push_bind(l.description.clone())
                                .push_bind(l.counterparty.clone())
                                .push_bind(l.reference.clone())
                                .push_bind(l.bank_ref.clone())
                                .push_bind(balance)
                                .push_bind(key);
                        });
                        q.build().execute(&mut *conn).await?;
                    }
                }
            }
            Ok(())
        }
    };
}

pub(crate) use bank_backup;
