//! Exchange rates and the invoices in another currency than their company's,
//! both backends, written once.
//!
//! An invoice is booked (`finance::fx::book`) in the transaction that writes
//! it, with the rates the store holds at that moment: its functional amounts
//! go to `invoices` (what every metric reads), its own amount, rate and
//! payments to `invoice_fx` and `fx_payments`.

use crate::domain::Invoice;
use crate::domain::fx::Rate;
use crate::finance::fx::{Rates, book_rows};

/// What a write of invoices books them with.
pub(crate) struct FxBook {
    pub functional: String,
    /// Read only once a row in another currency needs them (a store may
    /// hold the ECB's whole history: not read for every import).
    pub rates: Option<Rates>,
    /// The company holds invoices in another currency already (then a row
    /// written without one drops what it had).
    pub has_fx: bool,
}

impl FxBook {
    /// `rows` booked, or `None` when none is in another currency.
    pub fn book(&self, rows: &[Invoice]) -> super::StoreResult<Option<Vec<Invoice>>> {
        if rows.iter().all(|r| r.fx.is_none()) {
            return Ok(None);
        }
        let Some(rates) = &self.rates else {
            return Err(super::StoreError::Aborted(
                "invoices in another currency reached the store before its rates were read".to_owned(),
            ));
        };
        book_rows(rows, &self.functional, rates).map_err(|e| {
            super::StoreError::Book(crate::finance::fx::BookError {
                number: crate::sanitize::clean(&e.number),
                why: e.why,
            })
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RateRow {
    base: String,
    quote: String,
    day: chrono::NaiveDate,
    rate: super::sql::Exact,
    source: String,
}

impl From<RateRow> for Rate {
    fn from(r: RateRow) -> Rate {
        Rate {
            source: r.source,
            day: r.day,
            base: r.base,
            quote: r.quote,
            rate: r.rate.0,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FxRow {
    pub number: String,
    pub currency: String,
    pub amount: super::sql::Money,
    pub rate: super::sql::Exact,
}

#[derive(sqlx::FromRow)]
pub(crate) struct FxPaymentRow {
    pub number: String,
    pub date: chrono::NaiveDate,
    pub amount: super::sql::Money,
    pub rate: super::sql::Exact,
}

/// Rows of a multi-row INSERT of rates (5 parameters each).
pub(crate) const RATES_PER_STATEMENT: usize = 500;

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! fx_store {
    (write = $write:literal, snapshot = $snapshot:literal $(,)?) => {
        async fn fx_rates(&self) -> StoreResult<Vec<$crate::domain::fx::Rate>> {
            let mut tx = self.begin_tx(false).await?;
            let rates = Self::load_rates(&mut tx).await?;
            tx.commit().await?;
            Ok(rates)
        }

        async fn save_rates(&self, rates: &[$crate::domain::fx::Rate]) -> StoreResult<usize> {
            let mut tx = self.begin_tx(true).await?;
            let changed = Self::insert_rates(&mut tx, rates).await?;
            tx.commit().await?;
            Ok(changed)
        }

        async fn fx_invoices(&self, company_id: i64) -> StoreResult<Vec<Invoice>> {
            let mut tx = self.begin_tx(false).await?;
            let rows: Vec<$crate::store::sql::InvoiceRow> = sqlx::query_as(
                "SELECT i.number, i.customer, i.issue_date, i.due_date, i.amount, i.paid_amount, i.paid_date \
                 FROM invoices i JOIN invoice_fx f ON f.company_id = i.company_id AND f.number = i.number \
                 WHERE i.company_id = $1 ORDER BY i.issue_date, i.number",
            )
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut invoices: Vec<Invoice> = rows.into_iter().map(Into::into).collect();
            Self::attach_fx(&mut tx, company_id, &mut invoices, true).await?;
            tx.commit().await?;
            Ok(invoices)
        }
    };
}
pub(crate) use fx_store;

/// The helpers of this part, in each backend's inherent `impl`.
macro_rules! fx_helpers {
    (conn = $conn:ty $(,)?) => {
        async fn load_rates(conn: &mut $conn) -> StoreResult<Vec<$crate::domain::fx::Rate>> {
            let rows: Vec<$crate::store::fx::RateRow> =
                sqlx::query_as("SELECT base, quote, day, rate, source FROM fx_rates ORDER BY base, quote, day")
                    .fetch_all(&mut *conn)
                    .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        /// Adds rates, a pair and day's replacing what it had: how many changed.
        async fn insert_rates(conn: &mut $conn, rates: &[$crate::domain::fx::Rate]) -> StoreResult<usize> {
            use $crate::store::sql::Exact;
            // One row a pair and day (the last given wins): a statement may
            // not touch a row twice.
            let unique: std::collections::BTreeMap<_, &$crate::domain::fx::Rate> =
                rates.iter().map(|r| ((&r.base, &r.quote, r.day), r)).collect();
            let rates: Vec<&$crate::domain::fx::Rate> = unique.into_values().collect();
            let mut changed = 0;
            for chunk in rates.chunks($crate::store::fx::RATES_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO fx_rates (base, quote, day, rate, source) ");
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(&r.base)
                        .push_bind(&r.quote)
                        .push_bind(r.day)
                        .push_bind(Exact(r.rate))
                        .push_bind(&r.source);
                });
                q.push(
                    " ON CONFLICT (base, quote, day) DO UPDATE SET rate = excluded.rate, source = excluded.source \
                     WHERE fx_rates.rate <> excluded.rate OR fx_rates.source <> excluded.source",
                );
                changed += q.build().execute(&mut *conn).await?.rows_affected() as usize;
            }
            Ok(changed)
        }

        /// Whether `company` holds invoices in another currency.
        async fn fx_book_has(conn: &mut $conn, company: i64) -> StoreResult<bool> {
            Ok(
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM invoice_fx WHERE company_id = $1)")
                    .bind(company)
                    .fetch_one(&mut *conn)
                    .await?,
            )
        }

        /// What invoices written into `company` are booked with; the rates
        /// read now when `rows` (the first rows, or `None`: every row to come,
        /// unseen) may need them, else left for [`Self::fx_rates_for`].
        async fn fx_book(
            conn: &mut $conn,
            company: &Company,
            rows: Option<&[Invoice]>,
        ) -> StoreResult<$crate::store::fx::FxBook> {
            let mut book = $crate::store::fx::FxBook {
                functional: company.currency.clone(),
                rates: None,
                has_fx: Self::fx_book_has(conn, company.id).await?,
            };
            match rows {
                None => book.rates = Some($crate::finance::fx::Rates::new(Self::load_rates(conn).await?)),
                Some(rows) => Self::fx_rates_for(conn, &mut book, rows).await?,
            }
            Ok(book)
        }

        /// Reads the rates into `book` the first time `rows` hold one in another currency.
        async fn fx_rates_for(
            conn: &mut $conn,
            book: &mut $crate::store::fx::FxBook,
            rows: &[Invoice],
        ) -> StoreResult<()> {
            if book.rates.is_none() && rows.iter().any(|r| r.fx.is_some()) {
                book.rates = Some($crate::finance::fx::Rates::new(Self::load_rates(conn).await?));
            }
            Ok(())
        }

        /// Keeps the currency side of booked rows just written to `invoices`:
        /// a row in another currency replaces what its number had, a row in
        /// the company's drops it (only looked for when `has_fx`).
        async fn write_invoice_fx(conn: &mut $conn, company: i64, rows: &[Invoice], has_fx: bool) -> StoreResult<()> {
            use $crate::store::sql::{Exact, Money};
            if has_fx {
                let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
                Self::drop_invoice_fx(conn, company, &numbers).await?;
            }
            for inv in rows {
                let Some(fx) = &inv.fx else { continue };
                let unbooked = || StoreError::Corrupt(format!("invoice {} was not booked", inv.number));
                sqlx::query(
                    "INSERT INTO invoice_fx (company_id, number, currency, amount, rate) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(company)
                .bind(&inv.number)
                .bind(&fx.currency)
                .bind(Money::new(fx.amount)?)
                .bind(Exact(fx.rate.ok_or_else(unbooked)?))
                .execute(&mut *conn)
                .await?;
                for (seq, p) in fx.payments.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO fx_payments (company_id, number, seq, date, amount, rate) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(company)
                    .bind(&inv.number)
                    .bind(seq as i32)
                    .bind(p.date)
                    .bind(Money::new(p.amount)?)
                    .bind(Exact(p.rate.ok_or_else(unbooked)?))
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(())
        }

        /// Drops the currency side of invoices `numbers` (written again in the
        /// company's currency, or about to be written in another).
        async fn drop_invoice_fx(conn: &mut $conn, company: i64, numbers: &[&str]) -> StoreResult<()> {
            for chunk in numbers.chunks(500) {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM invoice_fx WHERE company_id = ");
                q.push_bind(company).push(" AND number IN (");
                let mut list = q.separated(", ");
                for n in chunk {
                    list.push_bind(*n);
                }
                q.push(")");
                q.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Gives the invoices of `company` that are in another currency their
        /// `fx`: read for all of the company's (`every`, a backup), or for
        /// just these numbers (a page of a table).
        async fn attach_fx(conn: &mut $conn, company: i64, invoices: &mut [Invoice], every: bool) -> StoreResult<()> {
            let mut fx: Vec<$crate::store::fx::FxRow> = Vec::new();
            let mut payments: Vec<$crate::store::fx::FxPaymentRow> = Vec::new();
            let chunks: Vec<&[Invoice]> = if every {
                vec![&[]]
            } else {
                invoices.chunks(500).collect()
            };
            for chunk in chunks {
                let only = |q: &mut sqlx::QueryBuilder<_>| {
                    if !every {
                        q.push(" AND number IN (");
                        let mut list = q.separated(", ");
                        for inv in chunk {
                            list.push_bind(inv.number.clone());
                        }
                        q.push(")");
                    }
                };
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT number, currency, amount, rate FROM invoice_fx WHERE company_id = ",
                );
                q.push_bind(company);
                only(&mut q);
                fx.extend(
                    q.build_query_as::<$crate::store::fx::FxRow>()
                        .fetch_all(&mut *conn)
                        .await?,
                );
                let mut q =
                    sqlx::QueryBuilder::new("SELECT number, date, amount, rate FROM fx_payments WHERE company_id = ");
                q.push_bind(company);
                only(&mut q);
                q.push(" ORDER BY number, seq");
                payments.extend(
                    q.build_query_as::<$crate::store::fx::FxPaymentRow>()
                        .fetch_all(&mut *conn)
                        .await?,
                );
            }
            if fx.is_empty() {
                return Ok(());
            }
            let mut by_number: std::collections::HashMap<String, $crate::domain::fx::InvoiceFx> = fx
                .into_iter()
                .map(|r| {
                    (
                        r.number,
                        $crate::domain::fx::InvoiceFx {
                            currency: r.currency,
                            amount: r.amount.0,
                            rate: Some(r.rate.0),
                            payments: Vec::new(),
                        },
                    )
                })
                .collect();
            for p in payments {
                if let Some(f) = by_number.get_mut(&p.number) {
                    f.payments.push($crate::domain::fx::FxPayment {
                        date: p.date,
                        amount: p.amount.0,
                        rate: Some(p.rate.0),
                    });
                }
            }
            for inv in invoices {
                inv.fx = by_number.remove(&inv.number).map(Box::new);
            }
            Ok(())
        }

        /// The currency of invoice `number` when not the company's.
        async fn invoice_currency(conn: &mut $conn, company: i64, number: &str) -> StoreResult<Option<String>> {
            Ok(
                sqlx::query_scalar("SELECT currency FROM invoice_fx WHERE company_id = $1 AND number = $2")
                    .bind(company)
                    .bind(number)
                    .fetch_optional(&mut *conn)
                    .await?,
            )
        }
    };
}
pub(crate) use fx_helpers;
