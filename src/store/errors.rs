//! Database errors said as one line a person can act on: what happened and
//! what to do. PostgreSQL's SQLSTATE classes and the driver's own failures
//! (TLS, I/O, an exhausted pool); SQLite's file errors name the file (see
//! `sqlite::explain`).

use crate::sanitize::clean;
use std::sync::atomic::{AtomicU64, Ordering};

/// The statement timeout of the PostgreSQL store this process opened, in
/// milliseconds, for the message of a statement that ran into it.
static STATEMENT_TIMEOUT_MS: AtomicU64 = AtomicU64::new(30_000);

pub(crate) fn set_statement_timeout(d: std::time::Duration) {
    STATEMENT_TIMEOUT_MS.store(d.as_millis() as u64, Ordering::Relaxed);
}

fn timeout_text() -> String {
    let ms = STATEMENT_TIMEOUT_MS.load(Ordering::Relaxed);
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// The innermost cause of an error chain, cleaned for the terminal.
pub(crate) fn innermost(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    clean(&cause.to_string())
}

/// A TLS failure in words: which check failed.
pub(crate) fn tls_failure(cause: &str) -> String {
    if cause.contains("UnknownIssuer") || cause.contains("unknown issuer") {
        format!(
            "TLS: the server's certificate is not signed by a CA you trust: check sslrootcert (the CA file your provider gives) ({cause})"
        )
    } else if cause.contains("NotValidForName") || cause.contains("not valid for name") {
        format!(
            "TLS: the server's certificate is not for this host name: use the name the certificate was issued to, as sslmode=verify-full checks it ({cause})"
        )
    } else if cause.contains("Expired") || cause.contains("expired") {
        format!("TLS: the server's certificate has expired: the server's administrator must renew it ({cause})")
    } else if cause.contains("No such file") || cause.contains("not found") {
        format!("TLS: the CA file named by sslrootcert cannot be read ({cause})")
    } else {
        format!("TLS failed ({cause})")
    }
}

/// What a database error means for the user, in one line.
pub fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            let msg = clean(db.message());
            match db.code().as_deref() {
                Some("57014") if msg.contains("statement timeout") => format!(
                    "the query took longer than {}, the statement timeout, and was stopped: nothing it was doing was saved \
                     (a larger [postgres] statement_timeout in the config allows more)",
                    timeout_text()
                ),
                Some("40001") => "another session changed the same data at the same moment (serialization failure): \
                                  nothing was saved; run it again"
                    .into(),
                Some("40P01") => "two sessions waited on each other (deadlock) and the server stopped this one: \
                                  nothing was saved; run it again"
                    .into(),
                Some("25006") => format!(
                    "the server accepts only reads ({msg}): it is a read-only replica or the database is set read-only; \
                     point database_url at the primary server to write"
                ),
                Some("53300") => format!(
                    "the server has no connection left for you ({msg}): close other sessions, or lower [postgres] \
                     max_connections (katalis doctor shows the budget)"
                ),
                Some("53100") => format!("the database server's disk is full ({msg}): nothing was written"),
                Some("42P05") | Some("26000") if msg.contains("prepared statement") => format!(
                    "a transaction-mode connection pooler stands between Katalis and the server, and the URL says there \
                     is none ({msg}): add ?pooler=transaction to the database URL"
                ),
                Some("08P01") if msg.contains("startup parameter") => format!(
                    "the connection pooler refused a startup parameter ({msg}): remove options= from the database URL \
                     (Katalis sets what it needs inside each transaction)"
                ),
                Some("42501") => format!(
                    "your role may not do this ({msg}): a company's owner or an admin can change your role (katalis members)"
                ),
                // PgBouncer says it with a protocol-violation code.
                Some("3D000") | Some("08P01") if msg.contains("does not exist") => {
                    format!("{msg}: check the database name in the URL, or create the database")
                }
                Some("28P01") | Some("28000") => format!(
                    "authentication failed ({msg}): check the user and password in the URL (or PGPASSWORD, ~/.pgpass)"
                ),
                _ => format!("database error: {msg}"),
            }
        }
        sqlx::Error::PoolTimedOut => "no database connection came free within 5 s: the server is slow or unreachable, \
                                      or every connection of the pool ([postgres] max_connections) is busy"
            .into(),
        sqlx::Error::Tls(t) => tls_failure(&innermost(t.as_ref())),
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the database refused the connection (is the server running?)".into()
        }
        sqlx::Error::Io(io) => format!("the connection to the database failed ({})", innermost(io)),
        other => format!("database error: {}", clean(&other.to_string())),
    }
}
