//! Payments as rows and the reconciliation's writes, both backends, written
//! once (docs/reconcile.md).
//!
//! An invoice's `paid_amount`/`paid_date` are what every metric reads: the
//! sum of its payments and the latest one's date. Its payments are the one
//! its imports state (source `import`: the columns themselves while it has no
//! other, else `stated_paid`/`stated_date`) and the rows of `payments` (from
//! the bank, or entered by hand). A later import states the total paid so
//! far: what the bank already paid counts toward it
//! ([`crate::finance::reconcile::restate`]). So a company that never
//! reconciles writes and reads its invoices exactly as before, and an import
//! of a million of them costs what it did.

use crate::finance::reconcile::Allocation;
use crate::finance::rules::Category;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which lines to read for reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFilter {
    pub account: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// One line.
    pub line: Option<i64>,
    /// The lines alone (no open invoices, payers or CFDI): the month so far.
    pub lines_only: bool,
}

/// A bank line with what reconciliation decided about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconLine {
    pub id: i64,
    pub account: String,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub description: String,
    pub counterparty: String,
    pub reference: String,
    /// What payments take of it (confirmations included).
    pub allocated: Decimal,
    /// Its proposal was rejected: not proposed again until undone.
    pub rejected: bool,
    /// Set by hand: wins over the rules.
    pub category: Option<Category>,
}

impl ReconLine {
    pub fn text(&self) -> crate::finance::reconcile::LineText {
        crate::finance::reconcile::LineText {
            id: self.id,
            date: self.date,
            amount: self.amount,
            description: self.description.clone(),
            counterparty: self.counterparty.clone(),
            reference: self.reference.clone(),
        }
    }
}

/// One payment of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub number: String,
    /// The bank line it came from (source `bank`).
    pub line_id: Option<i64>,
    pub date: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// `import`, `bank` or `manual`.
    pub source: String,
    /// The CFDI payment complement a receipt confirms (not counted again).
    pub confirms: Option<String>,
}

/// What reconciliation reads.
#[derive(Debug, Clone, Default)]
pub struct ReconcileInput {
    pub lines: Vec<ReconLine>,
    /// Every invoice with a balance (`uuid` filled by the caller from `cfdi`).
    pub open: Vec<crate::finance::reconcile::OpenInvoice>,
    /// Folded payer text → customer.
    pub aliases: std::collections::HashMap<String, String>,
    /// The payments of `lines`.
    pub payments: Vec<Payment>,
    /// The CFDI payment complements a receipt already confirmed.
    pub confirmed: Vec<String>,
    /// The company's kept CFDI invoices (`I`) and payment complements (`P`).
    pub cfdi: Vec<crate::domain::CfdiRecord>,
}

/// One decision, written with the others of a call in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconcileAction {
    /// The line pays these invoices; `payer` (folded text) is learned as the customer's.
    Accept {
        line_id: i64,
        allocations: Vec<Allocation>,
        payer: Option<(String, String)>,
    },
    Reject(i64),
    /// The line's payments and marks removed: as before they were made.
    Undo(i64),
    Categorise(i64, Option<Category>),
}

/// The reconciliation's part of a backup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileBackup {
    pub payments: Vec<Payment>,
    /// (invoice, the import's part, its date) of the invoices that have other payments.
    pub stated: Vec<(String, String, Option<NaiveDate>)>,
    /// (line, rejected, category)
    pub marks: Vec<(i64, bool, Option<String>)>,
    /// (folded payer text, customer)
    pub aliases: Vec<(String, String)>,
    pub rules: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct LineRow {
    pub id: i64,
    pub account: String,
    pub date: NaiveDate,
    pub amount: super::sql::Money,
    pub description: String,
    pub counterparty: String,
    pub reference: String,
    pub allocated: super::sql::Money,
    pub rejected: bool,
    pub category: Option<String>,
}

/// A payment as its table holds it.
#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub number: String,
    pub line_id: Option<i64>,
    pub date: NaiveDate,
    pub amount: super::sql::Money,
    pub source: String,
    pub confirms: Option<String>,
}

impl From<PaymentRow> for Payment {
    fn from(r: PaymentRow) -> Payment {
        Payment {
            number: r.number,
            line_id: r.line_id,
            date: r.date,
            amount: r.amount.0,
            source: r.source,
            confirms: r.confirms,
        }
    }
}

/// An invoice as settling reads it.
#[derive(sqlx::FromRow, Clone)]
pub(crate) struct InvoiceRow {
    pub number: String,
    pub customer: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: super::sql::Money,
    pub paid_amount: super::sql::Money,
    pub paid_date: Option<NaiveDate>,
    pub stated_paid: Option<super::sql::Money>,
    pub stated_date: Option<NaiveDate>,
}

impl InvoiceRow {
    pub fn invoice(&self) -> crate::domain::Invoice {
        crate::domain::Invoice {
            number: self.number.clone(),
            customer: self.customer.clone(),
            issue_date: self.issue_date,
            due_date: self.due_date,
            amount: self.amount.0,
            paid_amount: self.paid_amount.0,
            paid_date: self.paid_date,
            fx: None,
        }
    }
}

/// Up to this many decisions in one write move the summaries invoice by
/// invoice; more have them recomputed once (cheaper past a few dozen).
pub(crate) const EDITS_ONE_BY_ONE: usize = 20;

/// What a store refuses about a reconciliation, in words.
pub(crate) fn refused(msg: impl std::fmt::Display) -> super::StoreError {
    super::StoreError::Conflict(crate::sanitize::clean(&msg.to_string()))
}

/// The [`super::Store`] methods of this part, for [`super::sql::backend!`].
macro_rules! reconcile_store {
    (write = $write:literal, snapshot = $snapshot:literal $(,)?) => {
        async fn reconcile_input(
            &self,
            company_id: i64,
            f: &$crate::store::LineFilter,
        ) -> StoreResult<$crate::store::ReconcileInput> {
            let mut tx = self.begin_tx(false).await?;
            // Each part its own function: small poll frames (a test thread's
            // stack holds a debug build's whole chain of them).
            let lines = Box::pin(Self::recon_lines(&mut tx, company_id, f)).await?;
            let payments = Box::pin(Self::recon_payments(&mut tx, company_id, f)).await?;
            let mut input = if f.lines_only {
                $crate::store::ReconcileInput::default()
            } else {
                Box::pin(Self::recon_books(&mut tx, company_id)).await?
            };
            tx.commit().await?;
            input.lines = lines;
            input.payments = payments;
            Ok(input)
        }

        async fn reconcile(&self, company_id: i64, actions: &[$crate::store::ReconcileAction]) -> StoreResult<()> {
            let mut tx = self.begin_tx(true).await?;
            // The company's summary row first: its lock queues this company's
            // writers of invoices (PostgreSQL), so the balances read below are
            // the latest committed.
            let d = Self::latest_month_end(&mut tx, company_id).await?;
            Self::set_summary_as_of(&mut tx, company_id, d).await?;
            // A few decisions move the summaries invoice by invoice; many (an
            // `--auto` of thousands) have them worked out once at the end.
            let each = actions.len() <= $crate::store::payments::EDITS_ONE_BY_ONE;
            let mut moved = false;
            for a in actions {
                moved |= Box::pin(Self::reconcile_one(&mut tx, company_id, a, each)).await?;
            }
            if moved && !each {
                Self::refresh_receivables(&mut tx, company_id, true, None).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn payments(&self, company_id: i64, number: &str) -> StoreResult<Vec<$crate::store::Payment>> {
            let mut tx = self.begin_tx(false).await?;
            let p = Self::payments_of(&mut tx, company_id, number).await?;
            tx.commit().await?;
            Ok(p)
        }

        async fn bank_rules(&self, company_id: i64) -> StoreResult<Option<String>> {
            let mut s = self.session().await?;
            let source = sqlx::query_scalar("SELECT source FROM bank_rules WHERE company_id = $1")
                .bind(company_id)
                .fetch_optional(&mut *s)
                .await?;
            s.done().await?;
            Ok(source)
        }

        async fn save_bank_rules(&self, company_id: i64, source: Option<&str>) -> StoreResult<()> {
            let mut tx = self.begin_tx(true).await?;
            sqlx::query("DELETE FROM bank_rules WHERE company_id = $1")
                .bind(company_id)
                .execute(&mut *tx)
                .await?;
            if let Some(s) = source {
                sqlx::query("INSERT INTO bank_rules (company_id, source) VALUES ($1, $2)")
                    .bind(company_id)
                    .bind(s)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }
    };
}
pub(crate) use reconcile_store;

/// The helpers of this part, in each backend's inherent `impl`.
macro_rules! reconcile_helpers {
    (conn = $conn:ty $(,)?) => {

        async fn recon_lines(
            conn: &mut $conn,
            company_id: i64,
            f: &$crate::store::LineFilter,
        ) -> StoreResult<Vec<$crate::store::ReconLine>> {
            let rows: Vec<$crate::store::payments::LineRow> = sqlx::query_as(
                "SELECT l.id, a.name AS account, l.date, l.amount, l.description, l.counterparty, l.reference, \
                 COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.line_id = l.id), 0) AS allocated, \
                 COALESCE(m.rejected, false) AS rejected, m.category \
                 FROM bank_lines l JOIN bank_accounts a ON a.id = l.account_id \
                 LEFT JOIN bank_line_marks m ON m.line_id = l.id \
                 WHERE l.company_id = $1 AND (CAST($2 AS TEXT) IS NULL OR a.name = $2) \
                 AND (CAST($3 AS DATE) IS NULL OR l.date >= $3) AND (CAST($4 AS DATE) IS NULL OR l.date <= $4) \
                 AND (CAST($5 AS BIGINT) IS NULL OR l.id = $5) ORDER BY l.date, l.id",
            )
            .bind(company_id)
            .bind(&f.account)
            .bind(f.from)
            .bind(f.to)
            .bind(f.line)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter()
                .map(|r| {
                    let category = match r.category {
                        Some(c) => Some($crate::finance::rules::Category::parse(&c).ok_or_else(|| {
                            StoreError::Corrupt(format!("bank line {}: unknown category {c:?}", r.id))
                        })?),
                        None => None,
                    };
                    Ok($crate::store::ReconLine {
                        id: r.id,
                        account: r.account,
                        date: r.date,
                        amount: r.amount.0,
                        description: r.description,
                        counterparty: r.counterparty,
                        reference: r.reference,
                        allocated: r.allocated.0,
                        rejected: r.rejected,
                        category,
                    })
                })
                .collect()
        }

        async fn recon_payments(
            conn: &mut $conn,
            company_id: i64,
            f: &$crate::store::LineFilter,
        ) -> StoreResult<Vec<$crate::store::Payment>> {
            let rows: Vec<$crate::store::payments::PaymentRow> = sqlx::query_as(
                "SELECT p.number, p.line_id, p.date, p.amount, p.source, p.confirms FROM payments p \
                 JOIN bank_lines l ON l.id = p.line_id JOIN bank_accounts a ON a.id = l.account_id \
                 WHERE p.company_id = $1 AND (CAST($2 AS TEXT) IS NULL OR a.name = $2) \
                 AND (CAST($3 AS DATE) IS NULL OR l.date >= $3) AND (CAST($4 AS DATE) IS NULL OR l.date <= $4) \
                 AND (CAST($5 AS BIGINT) IS NULL OR l.id = $5) ORDER BY p.id",
            )
            .bind(company_id)
            .bind(&f.account)
            .bind(f.from)
            .bind(f.to)
            .bind(f.line)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(Into::into)
                .collect())
        }

        /// The open invoices, learned payers, confirmed complements and kept CFDI.
        async fn recon_books(conn: &mut $conn, company_id: i64) -> StoreResult<$crate::store::ReconcileInput> {
            use $crate::store::sql::Money;
            let open: Vec<(String, String, chrono::NaiveDate, chrono::NaiveDate, Money, Money)> = sqlx::query_as(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount FROM invoices i \
                 WHERE company_id = $1 AND paid_amount < amount \
                 AND NOT EXISTS (SELECT 1 FROM invoice_fx f WHERE f.company_id = i.company_id AND f.number = i.number)",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            let aliases: Vec<(String, String)> =
                sqlx::query_as("SELECT alias, customer FROM payer_aliases WHERE company_id = $1")
                    .bind(company_id)
                    .fetch_all(&mut *conn)
                    .await?;
            let confirmed: Vec<String> =
                sqlx::query_scalar("SELECT confirms FROM payments WHERE company_id = $1 AND confirms IS NOT NULL")
                    .bind(company_id)
                    .fetch_all(&mut *conn)
                    .await?;
            let cfdi: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT uuid, invoice_uuid, kind, body FROM cfdi_documents WHERE company_id = $1 AND kind IN ('I', 'P')",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            Ok($crate::store::ReconcileInput {
                open: open
                    .into_iter()
                    .map(|(number, customer, issue_date, due_date, amount, paid)| {
                        $crate::finance::reconcile::OpenInvoice {
                            number,
                            customer,
                            issue_date,
                            due_date,
                            open: amount.0 - paid.0,
                            uuid: None,
                        }
                    })
                    .collect(),
                aliases: aliases.into_iter().collect(),
                confirmed,
                cfdi: cfdi
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                ..Default::default()
            })
        }
        async fn invoice_row(
            conn: &mut $conn,
            company_id: i64,
            number: &str,
        ) -> StoreResult<Option<$crate::store::payments::InvoiceRow>> {
            Ok(sqlx::query_as(
                "SELECT number, customer, issue_date, due_date, amount, paid_amount, paid_date, stated_paid, \
                 stated_date FROM invoices WHERE company_id = $1 AND number = $2",
            )
            .bind(company_id)
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?)
        }

        /// The payments counted of an invoice: their sum and latest date.
        async fn counted(conn: &mut $conn, company_id: i64, number: &str) -> StoreResult<(rust_decimal::Decimal, Option<chrono::NaiveDate>)> {
            use $crate::store::sql::Money;
            let (s, d): (Option<Money>, Option<chrono::NaiveDate>) = sqlx::query_as(
                "SELECT SUM(amount), MAX(date) FROM payments WHERE company_id = $1 AND number = $2 AND confirms IS NULL",
            )
            .bind(company_id)
            .bind(number)
            .fetch_one(&mut *conn)
            .await?;
            Ok((s.map_or(rust_decimal::Decimal::ZERO, |m| m.0), d))
        }

        /// An invoice's paid amount and date made its parts' again. `restate`:
        /// its columns were just written by an import or an edit (they are
        /// then its import's word when they differ from what its parts make);
        /// else only its payments changed. Returns (before, after) when it moved.
        async fn settle(
            conn: &mut $conn,
            company_id: i64,
            number: &str,
            restate: bool,
        ) -> StoreResult<Option<($crate::domain::Invoice, $crate::domain::Invoice)>> {
            use $crate::finance::reconcile::{combine, restate as restated};
            use $crate::store::sql::Money;
            let Some(r) = Self::invoice_row(conn, company_id, number).await? else {
                return Ok(None);
            };
            let counted = Self::counted(conn, company_id, number).await?;
            // A receipt in the company's currency is not applied to an invoice
            // in another (its rate at payment would be unknown).
            if counted.0 > rust_decimal::Decimal::ZERO
                && let Some(currency) = Self::invoice_currency(conn, company_id, number).await?
            {
                return Err($crate::store::payments::refused(format!(
                    "invoice {} is in {currency}: a bank receipt is not matched to it; import its payment with \
                     the invoices (paid_amount, paid_date, paid_fx_rate) or its CFDI payment complement",
                    $crate::sanitize::clean(&r.number)
                )));
            }
            let current = (r.paid_amount.0, r.paid_date);
            let stated = match r.stated_paid {
                // No other payment yet: the columns are the import's word.
                None if !restate => restated(current, rust_decimal::Decimal::ZERO),
                Some(s) if !restate || combine((s.0, r.stated_date), counted) == current => (s.0, r.stated_date),
                // Rewritten by an import or an edit: its word, the bank's part counted toward it.
                _ => restated(current, counted.0),
            };
            if counted.0 > r.amount.0 {
                return Err($crate::store::payments::refused(format!(
                    "invoice {}: its payments from the bank ({}) are more than its amount ({}); undo a match first \
                     (katalis reconcile undo LINE_ID)",
                    r.number,
                    counted.0.round_dp(2),
                    r.amount.0.round_dp(2)
                )));
            }
            let (paid, date) = combine(stated, counted);
            let keep = counted.0 > rust_decimal::Decimal::ZERO;
            let new_stated = keep.then_some(stated);
            let old_stated = r.stated_paid.map(|s| (s.0, r.stated_date));
            if (paid, date) == current && new_stated == old_stated {
                return Ok(None);
            }
            sqlx::query(
                "UPDATE invoices SET paid_amount = $3, paid_date = $4, stated_paid = $5, stated_date = $6, \
                 version = version + 1 WHERE company_id = $1 AND number = $2",
            )
            .bind(company_id)
            .bind(number)
            .bind(Money::new(paid)?)
            .bind(date)
            .bind(new_stated.map(|s| Money(s.0)))
            .bind(new_stated.and_then(|s| s.1))
            .execute(&mut *conn)
            .await?;
            let before = r.invoice();
            let mut after = before.clone();
            after.paid_amount = paid;
            after.paid_date = date;
            Ok(Some((before, after)))
        }

        /// After an import of invoices: every invoice with payments settled
        /// against what the import wrote. Returns how many moved.
        async fn settle_after_import(conn: &mut $conn, company_id: i64) -> StoreResult<usize> {
            let numbers: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT number FROM payments WHERE company_id = $1 AND confirms IS NULL",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            let mut moved = 0;
            for n in numbers {
                if Self::settle(conn, company_id, &n, true).await?.is_some() {
                    moved += 1;
                }
            }
            Ok(moved)
        }

        async fn payments_of(conn: &mut $conn, company_id: i64, number: &str) -> StoreResult<Vec<$crate::store::Payment>> {
            let Some(r) = Self::invoice_row(conn, company_id, number).await? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            let (s, d) = match r.stated_paid {
                Some(s) => (s.0, r.stated_date),
                None => (r.paid_amount.0, r.paid_date),
            };
            if s > rust_decimal::Decimal::ZERO
                && let Some(d) = d
            {
                out.push($crate::store::Payment {
                    number: r.number.clone(),
                    line_id: None,
                    date: d,
                    amount: s,
                    source: "import".into(),
                    confirms: None,
                });
            }
            let rows: Vec<$crate::store::payments::PaymentRow> = sqlx::query_as(
                "SELECT number, line_id, date, amount, source, confirms FROM payments \
                 WHERE company_id = $1 AND number = $2 ORDER BY date, id",
            )
            .bind(company_id)
            .bind(number)
            .fetch_all(&mut *conn)
            .await?;
            out.extend(rows.into_iter().map($crate::store::Payment::from));
            Ok(out)
        }

        /// One decision, in the caller's transaction; `each`: the summaries
        /// move with every invoice it changes (else the caller refreshes them).
        /// Whether any invoice changed.
        async fn reconcile_one(
            conn: &mut $conn,
            company_id: i64,
            a: &$crate::store::ReconcileAction,
            each: bool,
        ) -> StoreResult<bool> {
            let mut moved = false;
            use $crate::store::ReconcileAction as A;
            use $crate::store::sql::Money;
            let line_id = match a {
                A::Accept { line_id, .. } | A::Reject(line_id) | A::Undo(line_id) | A::Categorise(line_id, _) => {
                    *line_id
                }
            };
            let line: Option<(Money, chrono::NaiveDate)> =
                sqlx::query_as("SELECT amount, date FROM bank_lines WHERE id = $1 AND company_id = $2")
                    .bind(line_id)
                    .bind(company_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            let Some((amount, date)) = line else {
                return Err($crate::store::payments::refused(format!(
                    "no bank line {line_id} in this company (see katalis bank lines)"
                )));
            };
            let mark = |rejected: bool, category: Option<&str>| {
                sqlx::query(
                    "INSERT INTO bank_line_marks (line_id, company_id, rejected, category) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (line_id) DO UPDATE SET rejected = excluded.rejected, category = excluded.category",
                )
                .bind(line_id)
                .bind(company_id)
                .bind(rejected)
                .bind(category.map(str::to_owned))
            };
            match a {
                A::Accept { allocations, payer, .. } => {
                    let already: Option<Money> = sqlx::query_scalar("SELECT SUM(amount) FROM payments WHERE line_id = $1")
                        .bind(line_id)
                        .fetch_one(&mut *conn)
                        .await?;
                    let mut open = std::collections::HashMap::new();
                    for al in allocations {
                        if let Some(r) = Self::invoice_row(conn, company_id, &al.number).await? {
                            open.insert(al.number.clone(), r.amount.0 - r.paid_amount.0);
                        }
                    }
                    $crate::finance::reconcile::check_allocation(
                        line_id,
                        amount.0,
                        already.map_or(rust_decimal::Decimal::ZERO, |m| m.0),
                        allocations,
                        |n| open.get(n).copied(),
                    )
                    .map_err($crate::store::payments::refused)?;
                    for al in allocations {
                        sqlx::query(
                            "INSERT INTO payments (company_id, number, line_id, date, amount, source, confirms) \
                             VALUES ($1, $2, $3, $4, $5, 'bank', $6)",
                        )
                        .bind(company_id)
                        .bind(&al.number)
                        .bind(line_id)
                        .bind(date)
                        .bind(Money::new(al.amount)?)
                        .bind(&al.confirms)
                        .execute(&mut *conn)
                        .await?;
                    }
                    let mut numbers: Vec<&str> = allocations.iter().map(|a| a.number.as_str()).collect();
                    numbers.sort_unstable();
                    numbers.dedup();
                    for n in numbers {
                        if let Some((o, u)) = Self::settle(conn, company_id, n, false).await? {
                            moved = true;
                            if each {
                                Self::summaries_after_edit(conn, company_id, &o, &u).await?;
                            }
                        }
                    }
                    sqlx::query("DELETE FROM bank_line_marks WHERE line_id = $1 AND category IS NULL")
                        .bind(line_id)
                        .execute(&mut *conn)
                        .await?;
                    if let Some((alias, customer)) = payer.as_ref().filter(|(a, _)| !a.is_empty()) {
                        sqlx::query(
                            "INSERT INTO payer_aliases (company_id, alias, customer) VALUES ($1, $2, $3) \
                             ON CONFLICT (company_id, alias) DO UPDATE SET customer = excluded.customer",
                        )
                        .bind(company_id)
                        .bind(alias)
                        .bind(customer)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                A::Reject(_) => {
                    let category: Option<Option<String>> =
                        sqlx::query_scalar("SELECT category FROM bank_line_marks WHERE line_id = $1")
                            .bind(line_id)
                            .fetch_optional(&mut *conn)
                            .await?;
                    mark(true, category.flatten().as_deref()).execute(&mut *conn).await?;
                }
                A::Categorise(_, c) => {
                    let rejected: Option<bool> =
                        sqlx::query_scalar("SELECT rejected FROM bank_line_marks WHERE line_id = $1")
                            .bind(line_id)
                            .fetch_optional(&mut *conn)
                            .await?;
                    mark(rejected.unwrap_or(false), c.map(|c| c.as_str())).execute(&mut *conn).await?;
                }
                A::Undo(_) => {
                    let numbers: Vec<String> =
                        sqlx::query_scalar("SELECT DISTINCT number FROM payments WHERE line_id = $1 AND company_id = $2")
                            .bind(line_id)
                            .bind(company_id)
                            .fetch_all(&mut *conn)
                            .await?;
                    sqlx::query("DELETE FROM payments WHERE line_id = $1 AND company_id = $2")
                        .bind(line_id)
                        .bind(company_id)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("DELETE FROM bank_line_marks WHERE line_id = $1")
                        .bind(line_id)
                        .execute(&mut *conn)
                        .await?;
                    for n in numbers {
                        if let Some((o, u)) = Self::settle(conn, company_id, &n, false).await? {
                            moved = true;
                            if each {
                                Self::summaries_after_edit(conn, company_id, &o, &u).await?;
                            }
                        }
                    }
                }
            }
            Ok(moved)
        }

        async fn read_reconciliation(conn: &mut $conn, company_id: i64) -> StoreResult<$crate::store::ReconcileBackup> {
            use $crate::store::sql::Money;
            let payments: Vec<$crate::store::payments::PaymentRow> = sqlx::query_as(
                "SELECT number, line_id, date, amount, source, confirms FROM payments WHERE company_id = $1 ORDER BY id",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            let stated: Vec<(String, Money, Option<chrono::NaiveDate>)> = sqlx::query_as(
                "SELECT number, stated_paid, stated_date FROM invoices WHERE company_id = $1 AND stated_paid IS NOT NULL \
                 ORDER BY number",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            let marks: Vec<(i64, bool, Option<String>)> = sqlx::query_as(
                "SELECT line_id, rejected, category FROM bank_line_marks WHERE company_id = $1 ORDER BY line_id",
            )
            .bind(company_id)
            .fetch_all(&mut *conn)
            .await?;
            let aliases: Vec<(String, String)> =
                sqlx::query_as("SELECT alias, customer FROM payer_aliases WHERE company_id = $1 ORDER BY alias")
                    .bind(company_id)
                    .fetch_all(&mut *conn)
                    .await?;
            let rules: Option<String> = sqlx::query_scalar("SELECT source FROM bank_rules WHERE company_id = $1")
                .bind(company_id)
                .fetch_optional(&mut *conn)
                .await?;
            Ok($crate::store::ReconcileBackup {
                payments: payments
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                stated: stated.into_iter().map(|(n, s, d)| (n, $crate::domain::money_text(s.0), d)).collect(),
                marks,
                aliases,
                rules,
            })
        }

        /// After the company's invoices and bank lines are restored.
        async fn restore_reconciliation(
            conn: &mut $conn,
            company_id: i64,
            b: &$crate::store::ReconcileBackup,
        ) -> StoreResult<()> {
            use $crate::store::sql::Money;
            for p in &b.payments {
                sqlx::query(
                    "INSERT INTO payments (company_id, number, line_id, date, amount, source, confirms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(company_id)
                .bind(&p.number)
                .bind(p.line_id)
                .bind(p.date)
                .bind(Money::new(p.amount)?)
                .bind(&p.source)
                .bind(&p.confirms)
                .execute(&mut *conn)
                .await?;
            }
            for (n, s, d) in &b.stated {
                let s: rust_decimal::Decimal = s
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("invoice {n}: stated payment {s:?}")))?;
                sqlx::query("UPDATE invoices SET stated_paid = $3, stated_date = $4 WHERE company_id = $1 AND number = $2")
                    .bind(company_id)
                    .bind(n)
                    .bind(Money::new(s)?)
                    .bind(d)
                    .execute(&mut *conn)
                    .await?;
            }
            for (line, rejected, category) in &b.marks {
                sqlx::query(
                    "INSERT INTO bank_line_marks (line_id, company_id, rejected, category) VALUES ($1, $2, $3, $4)",
                )
                .bind(line)
                .bind(company_id)
                .bind(rejected)
                .bind(category)
                .execute(&mut *conn)
                .await?;
            }
            for (alias, customer) in &b.aliases {
                sqlx::query("INSERT INTO payer_aliases (company_id, alias, customer) VALUES ($1, $2, $3)")
                    .bind(company_id)
                    .bind(alias)
                    .bind(customer)
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some(r) = &b.rules {
                sqlx::query("INSERT INTO bank_rules (company_id, source) VALUES ($1, $2)")
                    .bind(company_id)
                    .bind(r)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }
    };
}
pub(crate) use reconcile_helpers;
