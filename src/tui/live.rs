//! Live refresh and outages: an open interface learns within a second of a
//! write someone else made (PostgreSQL: LISTEN/NOTIFY on one channel, or,
//! behind a transaction pooler with no direct URL, the audit trail read every
//! 2 s; SQLite: `PRAGMA data_version` polled on one connection, then the audit
//! rows since),
//! and of the store going away and coming back. Nothing is drawn unless
//! something changed: idle, this writes nothing to the terminal.

use super::app::Action;
use crate::store::AnyStore;
use crate::store::postgres::AUDIT_POLL;
use crate::store::sql::Backend as _;
use crate::store::team::Change;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How often SQLite's change counter is read.
pub const POLL: Duration = Duration::from_millis(400);
/// How often the store is checked for an outage (PostgreSQL).
pub const PING: Duration = Duration::from_secs(2);

/// Runs until `tx` closes: sends `Action::Changed` for others' writes and
/// `StoreDown` / `StoreUp` as the store goes and comes back.
pub async fn watch(store: Arc<AnyStore>, tx: UnboundedSender<Action>) {
    match &*store {
        AnyStore::Sqlite(_) => poll_sqlite(store.clone(), tx).await,
        AnyStore::Postgres(_) => {
            tokio::join!(listen_postgres(store.clone(), tx.clone()), ping(store.clone(), tx));
        }
    }
}

fn forward(store: &AnyStore, tx: &UnboundedSender<Action>, c: Change) -> bool {
    if c.session == store.session() {
        return true;
    }
    tx.send(Action::Changed {
        company_id: c.company_id,
        who: c.who,
        action: c.action,
    })
    .is_ok()
}

async fn poll_sqlite(store: Arc<AnyStore>, tx: UnboundedSender<Action>) {
    let AnyStore::Sqlite(s) = &*store else { return };
    if s.is_memory() {
        return; // its one connection is the interface's, and nobody else writes there
    }
    // A connection of its own, out of the pool: data_version counts the
    // commits of every other connection.
    let Ok(conn) = s.pool().acquire().await else { return };
    let mut conn = conn.detach();
    let mut seen = data_version(&mut conn).await;
    let mut last = store.last_change().await.unwrap_or(0);
    loop {
        tokio::time::sleep(POLL).await;
        if tx.is_closed() {
            return;
        }
        let now = data_version(&mut conn).await;
        if now == seen {
            continue;
        }
        seen = now;
        if let Ok((changes, to)) = store.changes_after(last).await {
            last = to;
            for c in changes {
                if !forward(&store, &tx, c) {
                    return;
                }
            }
        }
    }
}

async fn data_version(conn: &mut sqlx::SqliteConnection) -> Option<i64> {
    sqlx::query_scalar::<_, i64>("PRAGMA data_version")
        .fetch_one(conn)
        .await
        .ok()
}

async fn listen_postgres(store: Arc<AnyStore>, tx: UnboundedSender<Action>) {
    let AnyStore::Postgres(p) = &*store else { return };
    let direct = match p.listen_url() {
        crate::store::postgres::Listen::Pool => None,
        crate::store::postgres::Listen::Direct(url) => Some(url),
        crate::store::postgres::Listen::Poll => return poll_audit(store.clone(), tx).await,
    };
    loop {
        let listener = async {
            let mut l = match &direct {
                None => sqlx::postgres::PgListener::connect_with(p.pool()).await?,
                Some(url) => crate::store::PgStore::direct_listener(url).await?,
            };
            l.listen("katalis").await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut l = match listener.await {
            Ok(l) => l,
            Err(_) => {
                tokio::time::sleep(PING).await;
                if tx.is_closed() {
                    return;
                }
                continue;
            }
        };
        // Until the connection drops (the pinger says so); then listen again.
        while let Ok(Some(n)) = l.try_recv().await {
            if let Ok(c) = serde_json::from_str::<Change>(n.payload())
                && !forward(&store, &tx, c)
            {
                return;
            }
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Behind a transaction pooler with no direct URL: the audit trail, read
/// every [`AUDIT_POLL`] (one indexed query), stands in for `LISTEN`.
async fn poll_audit(store: Arc<AnyStore>, tx: UnboundedSender<Action>) {
    let mut last = None;
    loop {
        if last.is_none() {
            last = store.last_change().await.ok();
        }
        tokio::time::sleep(AUDIT_POLL).await;
        if tx.is_closed() {
            return;
        }
        let Some(after) = last else { continue };
        if let Ok((changes, to)) = store.changes_after(after).await {
            last = Some(to);
            for c in changes {
                if !forward(&store, &tx, c) {
                    return;
                }
            }
        }
    }
}

async fn ping(store: Arc<AnyStore>, tx: UnboundedSender<Action>) {
    use crate::store::Store;
    let mut down = false;
    loop {
        tokio::time::sleep(PING).await;
        if tx.is_closed() {
            return;
        }
        let ok = matches!(tokio::time::timeout(PING, store.ping()).await, Ok(Ok(_)));
        if ok == down {
            down = !ok;
            let action = if down {
                Action::StoreDown(chrono::Local::now().format("%H:%M").to_string())
            } else {
                Action::StoreUp
            };
            if tx.send(action).is_err() {
                return;
            }
        }
    }
}
