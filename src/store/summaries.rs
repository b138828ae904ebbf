//! Receivables summaries kept by writes: what the screens and `report` read
//! of the invoices, so opening a company costs O(months + customers) however
//! many invoices it has.
//!
//! - `receivable_months`: amounts issued (by issue month) and collected (by the
//!   month of the later of paid and issue date) — AR at every month end, credit
//!   sales and the DSO trend, for any as-of month;
//! - at `receivable_state.as_of` (the company's latest month end of financials,
//!   the month the interface and `report` open on): open amounts by customer
//!   and aging bucket (`receivable_aging`), each customer's days late and
//!   invoices paid (`receivable_late`), open amounts by the week of the
//!   13-week forecast they are expected in (`receivable_weeks`), and the
//!   invoices open only because paid after that day (`receivable_paid_after`).
//!
//! Every write of invoices or financials keeps them in its own transaction
//! ([`summary_helpers!`]): a company's first load of invoices reduces them as
//! the rows pass (`finance::receivables`), an edit moves them by the
//! difference, any other write refreshes them in SQL. The SQL is the engine's
//! reductions written again, not new definitions: `tests/store.rs` proves on
//! random data, on both stores, that every path equals the engine computed
//! from the raw rows. A read for another as-of month falls back to the
//! one-pass aggregates over the invoices.

use crate::finance::collections::{MonthFlows, ReceivableFlows};

/// The month flows as the DSO trend reads them (each month on its first day).
pub fn as_flows(months: &MonthFlows) -> ReceivableFlows {
    ReceivableFlows {
        issued: months.iter().map(|(m, i, _)| (m.first_day(), *i)).collect(),
        collected: months.iter().map(|(m, _, c)| (m.first_day(), *c)).collect(),
    }
}

/// Reduces a first load's invoices on a thread of its own while the store
/// writes them (SQLite writes on the task that feeds it).
pub(crate) struct Reducer {
    tx: std::sync::mpsc::Sender<std::sync::Arc<Vec<crate::domain::Invoice>>>,
    done: tokio::task::JoinHandle<crate::finance::receivables::Builder>,
}

impl Reducer {
    pub fn start(mut b: crate::finance::receivables::Builder) -> Reducer {
        let (tx, rx) = std::sync::mpsc::channel::<std::sync::Arc<Vec<crate::domain::Invoice>>>();
        let done = tokio::task::spawn_blocking(move || {
            for rows in rx {
                rows.iter().for_each(|r| b.add(r));
            }
            b
        });
        Reducer { tx, done }
    }

    pub fn feed(&self, rows: std::sync::Arc<Vec<crate::domain::Invoice>>) {
        let _ = self.tx.send(rows);
    }

    pub async fn finish(self) -> super::StoreResult<crate::finance::receivables::Builder> {
        drop(self.tx);
        self.done
            .await
            .map_err(|e| super::StoreError::Aborted(format!("reducing the invoices stopped: {e}")))
    }
}

/// The invoices of company $1 open at day $5 — the not fully paid issued by
/// then (their partial index) and those paid in full after it (their table) —
/// of every customer ($2) or of customers $3 and $4.
macro_rules! open_candidates {
    () => {
        "SELECT customer, issue_date, due_date, amount, paid_amount, paid_date FROM invoices \
         WHERE company_id = $1 AND paid_amount < amount AND issue_date <= $5 AND ($2 OR customer IN ($3, $4)) \
         UNION ALL \
         SELECT i.customer, i.issue_date, i.due_date, i.amount, i.paid_amount, i.paid_date \
         FROM receivable_paid_after p CROSS JOIN invoices i \
         WHERE p.company_id = $1 AND ($2 OR p.customer IN ($3, $4)) \
           AND i.company_id = p.company_id AND i.number = p.number"
    };
}
pub(crate) use open_candidates;

/// The refresh and the reads, written once for both backends. The phrases:
/// `issue_month` and `counted_month` (an invoice's month as `YYYY-MM` text),
/// `due_offset` (days from `$6` to an invoice `i`'s due date) and `days_late`.
macro_rules! summary_helpers {
    (
        conn = $conn:ty,
        issue_month = $issue_month:literal,
        counted_month = $counted_month:literal,
        due_offset = $due_offset:literal,
        days_late = $late:literal $(,)?
    ) => {
        /// Recomputes the month flows (with `months`) and the per-customer
        /// summaries at the company's latest month end from the invoices,
        /// inside `conn`'s transaction: of every customer, or — after an edit,
        /// whose days late and paid-after rows [`Self::summaries_after_edit`]
        /// has already moved — the aging and forecast weeks of `customers` only.
        async fn refresh_receivables(
            conn: &mut $conn,
            company_id: i64,
            months: bool,
            customers: Option<[&str; 2]>,
        ) -> StoreResult<()> {
            // First, the company's state row: its lock queues concurrent writers
            // of these summaries (PostgreSQL), so each reads the other's rows.
            let d = Self::latest_month_end(conn, company_id).await?;
            Self::set_summary_as_of(conn, company_id, d).await?;
            if months {
                sqlx::query("DELETE FROM receivable_months WHERE company_id = $1")
                    .bind(company_id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(concat!(
                    "INSERT INTO receivable_months (company_id, month, issued, collected) \
                     SELECT $1, month, SUM(issued), SUM(collected) FROM ( \
                       SELECT ",
                    $issue_month,
                    " AS month, amount AS issued, 0 AS collected FROM invoices WHERE company_id = $1 \
                       UNION ALL SELECT ",
                    $counted_month,
                    " AS month, 0 AS issued, paid_amount AS collected FROM invoices \
                       WHERE company_id = $1 AND paid_date IS NOT NULL \
                     ) f GROUP BY month"
                ))
                .bind(company_id)
                .execute(&mut *conn)
                .await?;
            }
            let (all, [a, b]) = match customers {
                Some(c) => (false, c),
                None => (true, ["", ""]),
            };
            let tables: &[&str] = if all {
                &[
                    "receivable_aging",
                    "receivable_weeks",
                    "receivable_late",
                    "receivable_paid_after",
                ]
            } else {
                &["receivable_aging", "receivable_weeks"]
            };
            for table in tables {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE company_id = $1 AND ($2 OR customer IN ($3, $4))"
                )))
                .bind(company_id)
                .bind(all)
                .bind(a)
                .bind(b)
                .execute(&mut *conn)
                .await?;
            }
            let Some(d) = d else { return Ok(()) };
            if all {
                // Open at D only because paid in full after it, and days late
                // and invoices paid by D (forecast_input's late): one read each.
                for sql in [
                    "INSERT INTO receivable_paid_after (company_id, customer, number) \
                     SELECT $1, customer, number FROM invoices \
                     WHERE company_id = $1 AND issue_date <= $2 AND paid_amount = amount AND paid_date > $2",
                    concat!(
                        "INSERT INTO receivable_late (company_id, customer, late_days, paid) \
                         SELECT $1, customer, CAST(SUM(",
                        $late,
                        ") AS BIGINT), COUNT(*) FROM invoices \
                         WHERE company_id = $1 AND paid_date IS NOT NULL AND paid_date <= $2 GROUP BY customer"
                    ),
                ] {
                    sqlx::query(sql)
                        .bind(company_id)
                        .bind(d)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            let days = |n: i64| d - chrono::Duration::days(n);
            // Open at D by customer and bucket (collections_input's groups),
            // read from the open ones only: the unpaid (their index) and the
            // paid after D.
            sqlx::query(concat!(
                "INSERT INTO receivable_aging (company_id, customer, bucket, open, oldest_due, invoices) \
                 SELECT $1, customer, bucket, SUM(open), MIN(due_date), COUNT(*) FROM ( \
                   SELECT customer, due_date, \
                     amount - CASE WHEN paid_date <= $5 THEN paid_amount ELSE 0 END AS open, \
                     CASE WHEN due_date >= $5 THEN 0 WHEN due_date >= $6 THEN 1 WHEN due_date >= $7 THEN 2 \
                          WHEN due_date >= $8 THEN 3 ELSE 4 END AS bucket \
                   FROM (",
                $crate::store::summaries::open_candidates!(),
                ") c) o WHERE open > 0 GROUP BY customer, bucket"
            ))
            .bind(company_id)
            .bind(all)
            .bind(a)
            .bind(b)
            .bind(d)
            .bind(days(30))
            .bind(days(60))
            .bind(days(90))
            .execute(&mut *conn)
            .await?;
            // Open at D by the forecast week each is expected in: due date plus
            // the customer's mean days late rounded half to even (weekly_base_from_invoices).
            sqlx::query(concat!(
                "INSERT INTO receivable_weeks (company_id, customer, week, amount) \
                 SELECT $1, customer, CASE WHEN off < 0 THEN 0 ELSE off / 7 END AS week, SUM(open) FROM ( \
                   SELECT i.customer, ",
                $due_offset,
                " + COALESCE(l.late_days / l.paid + CASE \
                       WHEN 2 * (l.late_days % l.paid) > l.paid THEN 1 \
                       WHEN 2 * (l.late_days % l.paid) = l.paid THEN (l.late_days / l.paid) % 2 \
                       ELSE 0 END, 0) AS off, \
                     i.amount - CASE WHEN i.paid_date <= $5 THEN i.paid_amount ELSE 0 END AS open \
                   FROM (",
                $crate::store::summaries::open_candidates!(),
                ") i LEFT JOIN receivable_late l ON l.company_id = $1 AND l.customer = i.customer \
                 ) o WHERE open > 0 AND off < $7 GROUP BY customer, week"
            ))
            .bind(company_id)
            .bind(all)
            .bind(a)
            .bind(b)
            .bind(d)
            .bind(d + chrono::Duration::days(1))
            .bind(7 * $crate::finance::forecast::WEEKS)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// After invoice `o` became `u` (same number): the month flows, days
        /// late and paid-after rows move by the difference; the aging and
        /// forecast weeks of the customer(s) are read again from their open
        /// invoices. A company without summaries gets them whole.
        async fn summaries_after_edit(conn: &mut $conn, company_id: i64, o: &Invoice, u: &Invoice) -> StoreResult<()> {
            let Some(as_of) = Self::read_summary_as_of(conn, company_id).await? else {
                return Self::refresh_receivables(conn, company_id, true, None).await;
            };
            Self::shift_months(conn, company_id, o, -rust_decimal::Decimal::ONE).await?;
            Self::shift_months(conn, company_id, u, rust_decimal::Decimal::ONE).await?;
            let Some(d) = as_of else { return Ok(()) };
            for (inv, sign) in [(o, -1i64), (u, 1)] {
                if let Some(p) = inv.paid_date.filter(|p| *p <= d) {
                    sqlx::query(
                        "INSERT INTO receivable_late AS r (company_id, customer, late_days, paid) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, customer) DO UPDATE \
                         SET late_days = r.late_days + excluded.late_days, paid = r.paid + excluded.paid",
                    )
                    .bind(company_id)
                    .bind(&inv.customer)
                    .bind(sign * (p - inv.due_date).num_days().max(0))
                    .bind(sign)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            sqlx::query("DELETE FROM receivable_late WHERE company_id = $1 AND paid = 0")
                .bind(company_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM receivable_paid_after WHERE company_id = $1 AND number = $2")
                .bind(company_id)
                .bind(&o.number)
                .execute(&mut *conn)
                .await?;
            if u.issue_date <= d && u.paid_amount == u.amount && u.paid_date.is_some_and(|p| p > d) {
                sqlx::query("INSERT INTO receivable_paid_after (company_id, customer, number) VALUES ($1, $2, $3)")
                    .bind(company_id)
                    .bind(&u.customer)
                    .bind(&u.number)
                    .execute(&mut *conn)
                    .await?;
            }
            Self::refresh_receivables(conn, company_id, false, Some([&o.customer, &u.customer])).await
        }

        /// Before an import of invoices: a builder when the company has none
        /// yet (its summaries are then reduced from the rows as they pass, see
        /// `finance::receivables`); `None` when rows may be replaced (the
        /// summaries are then refreshed in SQL afterwards).
        async fn summary_builder(
            conn: &mut $conn,
            company_id: i64,
        ) -> StoreResult<Option<$crate::finance::receivables::Builder>> {
            let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM invoices WHERE company_id = $1)")
                .bind(company_id)
                .fetch_one(&mut *conn)
                .await?;
            if any {
                return Ok(None);
            }
            Ok(Some($crate::finance::receivables::Builder::new(
                Self::latest_month_end(conn, company_id).await?,
            )))
        }

        /// After an import of invoices, in its transaction: the summaries the
        /// builder reduced, or refreshed from the table.
        async fn summaries_after_invoices(
            conn: &mut $conn,
            company_id: i64,
            builder: Option<$crate::finance::receivables::Builder>,
        ) -> StoreResult<()> {
            // Invoices with payments from the bank: the import's word settled
            // against them (none on a company's first load: a payment needs
            // its invoice).
            let moved = Self::settle_after_import(conn, company_id).await?;
            let Some(b) = builder.filter(|_| moved == 0) else {
                return Self::refresh_receivables(conn, company_id, true, None).await;
            };
            let d = b.as_of();
            let s = b.finish();
            Self::set_summary_as_of(conn, company_id, d).await?;
            for table in [
                "receivable_months",
                "receivable_aging",
                "receivable_late",
                "receivable_weeks",
                "receivable_paid_after",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE company_id = $1"
                )))
                .bind(company_id)
                .execute(&mut *conn)
                .await?;
            }
            Self::write_summaries(conn, company_id, &s).await?;
            Ok(())
        }

        /// Records the day the per-customer summaries are at. Every write of
        /// the summaries does this first: the state row's lock then queues
        /// concurrent writers of one company's summaries on PostgreSQL, so
        /// each recomputation reads the rows the other committed (the deltas
        /// an edit applies before it add up in any order).
        async fn set_summary_as_of(conn: &mut $conn, company_id: i64, d: Option<chrono::NaiveDate>) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO receivable_state (company_id, as_of) VALUES ($1, $2) \
                 ON CONFLICT (company_id) DO UPDATE SET as_of = excluded.as_of",
            )
            .bind(company_id)
            .bind(d)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// The last day of the company's latest month of financials: the day
        /// the per-customer summaries are kept at.
        async fn latest_month_end(conn: &mut $conn, company_id: i64) -> StoreResult<Option<chrono::NaiveDate>> {
            let latest: Option<Month> = sqlx::query_scalar("SELECT MAX(month) FROM financials WHERE company_id = $1")
                .bind(company_id)
                .fetch_one(&mut *conn)
                .await?;
            Ok(latest.map(Month::last_day))
        }

        /// Moves one invoice's amounts in or out of the month flows (`sign` ±1).
        async fn shift_months(
            conn: &mut $conn,
            company_id: i64,
            inv: &Invoice,
            sign: rust_decimal::Decimal,
        ) -> StoreResult<()> {
            use $crate::store::sql::Money;
            let mut moves = vec![(
                Month::of_date(inv.issue_date),
                inv.amount * sign,
                rust_decimal::Decimal::ZERO,
            )];
            if let Some(p) = inv.paid_date {
                moves.push((
                    Month::of_date(p.max(inv.issue_date)),
                    rust_decimal::Decimal::ZERO,
                    inv.paid_amount * sign,
                ));
            }
            for (month, issued, collected) in moves {
                sqlx::query(
                    "INSERT INTO receivable_months AS r (company_id, month, issued, collected) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, month) DO UPDATE \
                     SET issued = r.issued + excluded.issued, collected = r.collected + excluded.collected",
                )
                .bind(company_id)
                .bind(month)
                .bind(Money(issued))
                .bind(Money(collected))
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("DELETE FROM receivable_months WHERE company_id = $1 AND issued = 0 AND collected = 0")
                .bind(company_id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// After financials were written: the per-customer summaries follow the
        /// latest month when it moved (or were never made).
        async fn refresh_after_financials(conn: &mut $conn, company_id: i64) -> StoreResult<()> {
            let state = Self::read_summary_as_of(conn, company_id).await?;
            let latest = Self::latest_month_end(conn, company_id).await?;
            match state {
                Some(as_of) if as_of == latest => Ok(()),
                Some(_) => Self::refresh_receivables(conn, company_id, false, None).await,
                None => Self::refresh_receivables(conn, company_id, true, None).await,
            }
        }

        /// Summaries for every company that has none (a store migrated to them).
        async fn backfill_summaries(conn: &mut $conn) -> StoreResult<()> {
            let missing: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM companies c WHERE NOT EXISTS \
                 (SELECT 1 FROM receivable_state s WHERE s.company_id = c.id) ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?;
            for id in missing {
                Self::refresh_receivables(conn, id, true, None).await?;
            }
            Ok(())
        }

        /// The month the per-customer summaries are at: `None` when the
        /// company has no summaries, `Some(None)` without financials.
        async fn read_summary_as_of(
            conn: &mut $conn,
            company_id: i64,
        ) -> StoreResult<Option<Option<chrono::NaiveDate>>> {
            Ok(
                sqlx::query_scalar("SELECT as_of FROM receivable_state WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_optional(&mut *conn)
                    .await?,
            )
        }

        async fn read_month_flows(
            conn: &mut $conn,
            company_id: i64,
        ) -> StoreResult<$crate::finance::collections::MonthFlows> {
            use $crate::store::sql::Money;
            let rows: Vec<(Month, Money, Money)> = sqlx::query_as(
                "SELECT month, issued, collected FROM receivable_months WHERE company_id = $1 ORDER BY month",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows.into_iter().map(|(m, i, c)| (m, i.0, c.0)).collect())
        }
    };
}

pub(crate) use summary_helpers;
