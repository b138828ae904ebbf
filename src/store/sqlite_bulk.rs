//! Bulk invoice writes for SQLite through the C API on sqlx's own connection:
//! one prepared statement, bound and stepped per row, inside the caller's
//! transaction. sqlx's per-query path costs several microseconds a row; this is
//! what the `sqlite3` shell's `.import` does.

use super::sql::to_units;
use super::{StoreError, StoreResult, iso_date};
use crate::domain::Invoice;
use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;
use std::ffi::{CStr, c_int};
use std::ptr::{self, NonNull};

/// Upserts by (company_id, number), replacing a row only when it differs;
/// `updated_at` (?9) is bound once per load rather than computed per row.
const UPSERT: &CStr = c"INSERT INTO invoices (company_id, number, customer, issue_date, due_date, amount, \
     paid_amount, paid_date, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (company_id, number) DO UPDATE SET customer = excluded.customer, \
     issue_date = excluded.issue_date, due_date = excluded.due_date, amount = excluded.amount, \
     paid_amount = excluded.paid_amount, paid_date = excluded.paid_date, \
     version = invoices.version + 1, updated_at = excluded.updated_at \
     WHERE (invoices.customer, invoices.issue_date, invoices.due_date, invoices.amount, \
     invoices.paid_amount, invoices.paid_date) IS NOT (excluded.customer, excluded.issue_date, \
     excluded.due_date, excluded.amount, excluded.paid_amount, excluded.paid_date)";

/// A prepared statement, finalised on every exit path.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
}

fn last_error(db: NonNull<ffi::sqlite3>) -> StoreError {
    // SAFETY: `db` is a live connection handle; sqlite3_errmsg returns a
    // NUL-terminated string owned by SQLite, valid until the next call on it.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) };
    StoreError::Native(msg.to_string_lossy().into_owned())
}

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &CStr) -> StoreResult<Statement> {
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is live and locked for us; `sql` is NUL-terminated; `stmt`
        // receives a statement we own and finalise in Drop.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db.as_ptr(), sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
        match NonNull::new(stmt) {
            Some(stmt) if rc == ffi::SQLITE_OK => Ok(Statement { db, stmt }),
            _ => Err(last_error(db)),
        }
    }

    fn check(&self, rc: c_int) -> StoreResult<()> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(last_error(self.db))
        }
    }

    fn int(&self, i: c_int, v: i64) -> StoreResult<()> {
        // SAFETY: the statement is live; `i` is a parameter index of it.
        self.check(unsafe { ffi::sqlite3_bind_int64(self.stmt.as_ptr(), i, v) })
    }

    fn text(&self, i: c_int, v: &[u8]) -> StoreResult<()> {
        let len = c_int::try_from(v.len()).map_err(|_| StoreError::OutOfRange("text field".into()))?;
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the bytes before returning,
        // so `v` need not outlive the call.
        self.check(unsafe {
            ffi::sqlite3_bind_text(self.stmt.as_ptr(), i, v.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT())
        })
    }

    fn blob(&self, i: c_int, v: &[u8]) -> StoreResult<()> {
        let len = c_int::try_from(v.len()).map_err(|_| StoreError::OutOfRange("blob field".into()))?;
        // SAFETY: as for `text`: SQLite copies the bytes before returning.
        self.check(unsafe {
            ffi::sqlite3_bind_blob(self.stmt.as_ptr(), i, v.as_ptr().cast(), len, ffi::SQLITE_TRANSIENT())
        })
    }

    fn null(&self, i: c_int) -> StoreResult<()> {
        // SAFETY: as for `int`.
        self.check(unsafe { ffi::sqlite3_bind_null(self.stmt.as_ptr(), i) })
    }

    /// Runs the bound statement once and readies it for the next row.
    fn step(&self) -> StoreResult<()> {
        // SAFETY: the statement is live and fully bound.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        // SAFETY: resetting a live statement keeps it prepared for rebinding.
        unsafe { ffi::sqlite3_reset(self.stmt.as_ptr()) };
        if rc == ffi::SQLITE_DONE {
            Ok(())
        } else {
            Err(last_error(self.db))
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalising the statement we prepared, exactly once.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

/// Writes `rows` for `company` on `conn`, which must be inside a write transaction.
pub(crate) async fn write_invoices(conn: &mut SqliteConnection, company: i64, rows: &[Invoice]) -> StoreResult<()> {
    let mut handle = conn.lock_handle().await?;
    let stmt = Statement::prepare(handle.as_raw_handle(), UPSERT)?;
    let mut buf = [0u8; 10];
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    for inv in rows {
        stmt.int(1, company)?;
        stmt.text(2, inv.number.as_bytes())?;
        stmt.text(3, inv.customer.as_bytes())?;
        stmt.text(4, iso_date(inv.issue_date, &mut buf))?;
        stmt.text(5, iso_date(inv.due_date, &mut buf))?;
        stmt.int(6, to_units(inv.amount)?)?;
        stmt.int(7, to_units(inv.paid_amount)?)?;
        match inv.paid_date {
            Some(d) => stmt.text(8, iso_date(d, &mut buf))?,
            None => stmt.null(8)?,
        }
        stmt.text(9, now.as_bytes())?;
        stmt.step()?;
    }
    Ok(())
}

/// Writes a company's receivables summaries (reduced while its invoices were
/// imported) with one prepared statement per table, inside the caller's
/// transaction; the tables hold none of the company's rows yet.
pub(crate) async fn write_summaries(
    conn: &mut SqliteConnection,
    company: i64,
    s: &crate::finance::receivables::Summaries,
) -> StoreResult<()> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    let mut buf = [0u8; 10];
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO receivable_months (company_id, month, issued, collected) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (m, issued, collected) in &s.months {
        stmt.int(1, company)?;
        stmt.text(2, m.to_string().as_bytes())?;
        stmt.int(3, to_units(*issued)?)?;
        stmt.int(4, to_units(*collected)?)?;
        stmt.step()?;
    }
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO receivable_aging (company_id, customer, bucket, open, oldest_due, invoices) \
          VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (customer, bucket, open, oldest, n) in &s.aging {
        stmt.int(1, company)?;
        stmt.text(2, customer.as_bytes())?;
        stmt.int(3, *bucket as i64)?;
        stmt.int(4, to_units(*open)?)?;
        stmt.text(5, iso_date(*oldest, &mut buf))?;
        stmt.int(6, *n)?;
        stmt.step()?;
    }
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO receivable_late (company_id, customer, late_days, paid) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (customer, days, paid) in &s.late {
        stmt.int(1, company)?;
        stmt.text(2, customer.as_bytes())?;
        stmt.int(3, *days)?;
        stmt.int(4, *paid)?;
        stmt.step()?;
    }
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO receivable_weeks (company_id, customer, week, amount) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (customer, week, amount) in &s.weeks {
        stmt.int(1, company)?;
        stmt.text(2, customer.as_bytes())?;
        stmt.int(3, i64::try_from(*week).unwrap_or(i64::MAX))?;
        stmt.int(4, to_units(*amount)?)?;
        stmt.step()?;
    }
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO receivable_paid_after (company_id, customer, number) VALUES (?1, ?2, ?3)",
    )?;
    for (customer, number) in &s.paid_after {
        stmt.int(1, company)?;
        stmt.text(2, customer.as_bytes())?;
        stmt.text(3, number.as_bytes())?;
        stmt.step()?;
    }
    Ok(())
}

/// Inserts statement lines of `account` in the order given, skipping those
/// whose key the account already holds; returns how many were added.
pub(crate) async fn write_bank_lines(
    conn: &mut SqliteConnection,
    w: &super::sql::BankWrite,
    lines: &[crate::domain::BankLine],
    keys: &[[u8; 16]],
) -> StoreResult<crate::domain::LinesAdded> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    let stmt = Statement::prepare(
        db,
        c"INSERT INTO bank_lines (company_id, account_id, import_id, date, value_date, amount, description, \
          counterparty, reference, bank_ref, balance, key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
          ON CONFLICT (account_id, key) DO NOTHING",
    )?;
    let mut buf = [0u8; 10];
    let mut added = crate::domain::LinesAdded::default();
    for (key, l) in keys.iter().zip(lines) {
        stmt.int(1, w.company)?;
        stmt.int(2, w.account)?;
        stmt.int(3, w.import)?;
        stmt.text(4, iso_date(l.date, &mut buf))?;
        match l.value_date {
            Some(d) => stmt.text(5, iso_date(d, &mut buf))?,
            None => stmt.null(5)?,
        }
        stmt.int(6, to_units(l.amount)?)?;
        stmt.text(7, l.description.as_bytes())?;
        stmt.text(8, l.counterparty.as_bytes())?;
        stmt.text(9, l.reference.as_bytes())?;
        stmt.text(10, l.bank_ref.as_bytes())?;
        match l.balance {
            Some(b) => stmt.int(11, to_units(b)?)?,
            None => stmt.null(11)?,
        }
        stmt.blob(12, key)?;
        stmt.step()?;
        // SAFETY: `db` is the live connection the statement ran on.
        if unsafe { ffi::sqlite3_changes(db.as_ptr()) } > 0 {
            w.count(&mut added, l);
        }
    }
    Ok(added)
}
