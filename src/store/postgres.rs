//! The shared store: any PostgreSQL 13+ by URL (TLS via rustls for
//! `sslmode=require|verify-full`). Money is NUMERIC(18,4). What it shares with
//! SQLite is in `sql.rs`; here is what is its own: connecting (and saying why
//! not), migrating only when the role may, and bulk imports through COPY into
//! a staging table and one merge.

use super::backup::{AnalysisRecord, Backup, RecommendationRecord, StoredScenario};
use super::pg_copy;
use super::sql::Backend;
use super::{Feed, FeedRx, ImportBatch, ImportTarget, MigrationStatus, SavedMapping, Store, StoreError, StoreResult};
use crate::domain::{Company, Invoice, Month, MonthlyFinancials, NewCompany, Product};
use crate::finance::collections::CollectionsInput;
use crate::finance::forecast::ForecastInput;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    /// This process's mark on the writes it records.
    pub(crate) session: String,
    /// How this store reaches the server (direct, or through a pooler).
    link: Link,
    /// What begins a write and a read transaction on this link.
    begin_write: String,
    begin_snapshot: String,
    settings: PgSettings,
}

/// How Katalis uses a PostgreSQL, from the configuration (`[postgres]`,
/// `database_direct_url`) and the URL (`?pooler=`).
#[derive(Debug, Clone, Default)]
pub struct PgSettings {
    /// A URL that reaches the server itself, not through the pooler: for
    /// migrations and for `LISTEN` (live refresh).
    pub direct_url: Option<String>,
    /// At most this many connections of this process (0: the default, 2).
    pub max_connections: u32,
    /// The longest a statement may run (`None`: 30 s; zero: no limit).
    pub statement_timeout: Option<Duration>,
    /// This process listens for others' writes (the interface): the
    /// listening connection counts within `max_connections`.
    pub listens: bool,
}

/// A store's connection, as found or as the URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Straight to the server (or through a session-mode pooler or a tunnel:
    /// one client, one server session).
    Direct,
    /// Through a transaction-mode pooler: no session state outside a
    /// transaction, no prepared statement kept between transactions.
    Pooled { why: String },
}

/// How long opening a PostgreSQL store waits for the server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Where live refresh learns of others' writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `LISTEN` on a connection like the pool's.
    Pool,
    /// `LISTEN` on the configured direct URL.
    Direct(String),
    /// The audit trail, read every 2 s.
    Poll,
}

/// The default pool size of a command; the interface asks for 3.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 2;
/// The default `statement_timeout`.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often live refresh reads the audit trail when it cannot listen
/// (behind a transaction pooler without a direct URL).
pub const AUDIT_POLL: Duration = Duration::from_secs(2);
/// An idle connection is closed after this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl PgSettings {
    pub fn statement_timeout(&self) -> Duration {
        self.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT)
    }

    /// This process's connections at most.
    pub fn total(&self) -> u32 {
        if self.max_connections == 0 {
            DEFAULT_MAX_CONNECTIONS
        } else {
            self.max_connections
        }
    }

    /// The pool's part of [`PgSettings::total`]: all of it, but the one a
    /// listener keeps (at least one for the pool).
    fn pool_size_for(&self, listener: bool) -> u32 {
        if listener && self.listens {
            self.total().saturating_sub(1).max(1)
        } else {
            self.total()
        }
    }
}

/// Whether live refresh keeps a connection of its own (`LISTEN`) on this
/// link: not behind a pooler without a direct URL (it polls the pool).
fn pooled_listen(link: &Link, settings: &PgSettings) -> bool {
    !matches!(link, Link::Pooled { .. }) || settings.direct_url.is_some()
}

/// What the URL's own `pooler=` says (`transaction`, `session`, `none`,
/// `auto`), and the URL without it (the driver does not know it).
fn pooler_param(url: &str) -> StoreResult<(Option<bool>, String)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((None, url.to_owned()));
    };
    let mut said = None;
    let mut kept = Vec::new();
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("pooler", v)) => {
                said = match v {
                    "transaction" | "true" => Some(true),
                    "session" | "none" | "false" => Some(false),
                    "auto" => None,
                    other => {
                        return Err(StoreError::Conflict(format!(
                            "pooler={} in the database URL: use pooler=transaction, session, none or auto",
                            crate::sanitize::clean(other)
                        )));
                    }
                }
            }
            _ => kept.push(kv),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((said, url))
}

/// The host and port a PostgreSQL URL connects to (for `doctor`'s look at
/// the server's certificate); `None` for a Unix socket or a bad URL.
pub fn host_port(url: &str) -> Option<(String, u16)> {
    let (_, url) = pooler_param(url).ok()?;
    let opts = PgConnectOptions::from_str(&url).ok()?;
    let host = opts.get_host();
    if host.starts_with('/') {
        return None;
    }
    Some((host.to_owned(), opts.get_port()))
}

/// The CA file the URL names, readable before any connection tries it.
fn check_root_cert(url: &str) -> StoreResult<()> {
    let Some(query) = url.split_once('?').map(|(_, q)| q) else {
        return Ok(());
    };
    for kv in query.split('&') {
        if let Some(("sslrootcert" | "ssl-root-cert" | "ssl-ca", file)) = kv.split_once('=')
            && let Err(e) = std::fs::metadata(file)
        {
            return Err(StoreError::Unreachable(format!(
                "TLS: the CA file sslrootcert={} cannot be read ({e})",
                crate::sanitize::clean(file)
            )));
        }
    }
    Ok(())
}

/// Connection options no pooler refuses: no `extra_float_digits`, no
/// `options`; what a session would set travels in each transaction instead.
fn connect_options(url: &str) -> StoreResult<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)?
        .application_name("katalis")
        .extra_float_digits(None))
}

/// One line for a failed connection: the place and the cause, in words.
fn why_unreachable(place: &str, user: &str, e: &sqlx::Error) -> String {
    let user = crate::sanitize::clean(user);
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("{place}: connection refused (is PostgreSQL running there?)")
        }
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => format!("{place}: timed out"),
        sqlx::Error::Io(io) => {
            let cause = super::errors::innermost(io);
            if cause.contains("certificate") {
                format!("{place}: {}", super::errors::tls_failure(&cause))
            } else {
                format!("{place}: {cause}")
            }
        }
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("28P01") | Some("28000")) => format!(
            "{place}: authentication failed for {user} ({}): check the user and password in the URL (or PGPASSWORD, ~/.pgpass)",
            crate::sanitize::clean(db.message())
        ),
        other => format!("{place}: {}", super::errors::describe(other)),
    }
}

/// A write refused by privileges or row-level security, said as such.
pub(super) fn explain(e: StoreError) -> StoreError {
    if let StoreError::Database(sqlx::Error::Database(db)) = &e
        && db.code().as_deref() == Some("42501")
    {
        return StoreError::Forbidden(format!(
            "your role does not allow this write ({})",
            crate::sanitize::clean(db.message())
        ));
    }
    e
}

impl PgStore {
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies the migrations this binary carries (`katalis migrate`).
    pub async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = self.applied().await?;
        self.run_migrations("migrating").await?;
        self.backfill().await?;
        let after = self.applied().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    async fn applied(&self) -> StoreResult<Vec<i64>> {
        let mut s = self.session().await?;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *s)
            .await?;
        let applied = if exists {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&mut *s)
                .await?
        } else {
            Vec::new()
        };
        s.done().await?;
        Ok(applied)
    }

    /// Opening needs only a viewer's rights: a current store is used as it is; an
    /// outdated one is migrated only by a role that may change the schema (a
    /// superuser, the tables' owner, or anyone with CREATE on a schema that has
    /// no Katalis tables yet); anyone else is told which migration is missing.
    async fn migrate_if_allowed(&self) -> StoreResult<()> {
        let applied = self.applied().await?;
        let missing: Vec<String> = MIGRATOR
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| format!("{} ({})", m.version, m.description))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut s = self.session().await?;
        let may: bool = sqlx::query_scalar(
            "SELECT COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)              OR (to_regclass('public.companies') IS NULL AND has_schema_privilege('public', 'CREATE'))              OR (to_regclass('public.companies') IS NOT NULL AND pg_has_role(current_user,                  (SELECT relowner FROM pg_class WHERE oid = to_regclass('public.companies')), 'MEMBER'))",
        )
        .fetch_one(&mut *s)
        .await?;
        s.done().await?;
        if !may {
            return Err(StoreError::Outdated(missing.join(", ")));
        }
        self.run_migrations(&format!("applying migration {}", missing.join(", ")))
            .await?;
        self.backfill().await
    }

    /// Receivables summaries for the companies of a store made before them
    /// (by the role that migrated it, which may write every company).
    async fn backfill(&self) -> StoreResult<()> {
        let mut tx = self.begin_tx(true).await?;
        Self::backfill_summaries(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn writable(&self) -> StoreResult<()> {
        let mut s = self.session().await?;
        let ro: String = sqlx::query_scalar("SHOW transaction_read_only")
            .fetch_one(&mut *s)
            .await?;
        s.done().await?;
        if ro == "on" {
            return Err(StoreError::ReadOnly(
                "the PostgreSQL session (a read-only replica or role)".into(),
            ));
        }
        Ok(())
    }

    /// Opens the pool; with `migrate`, applies what is missing when the role may.
    pub async fn open_with(url: &str, settings: &PgSettings, migrate: bool) -> StoreResult<PgStore> {
        let (said, url) = pooler_param(url)?;
        let opts = connect_options(&url)?;
        check_root_cert(&url)?;
        // One connection first, so a failure names the host and the cause
        // (refused, timed out, TLS, authentication) rather than "pool timed out".
        let place = format!("{}:{}", crate::sanitize::clean(opts.get_host()), opts.get_port());
        let probe_opts = opts.clone().statement_cache_capacity(0);
        let first = Self::probe(&place, &probe_opts).await?;
        let link = match said {
            None => Self::detect(first, &place, &probe_opts).await?,
            Some(pooled) => {
                let _ = first.close().await;
                if pooled {
                    Link::Pooled {
                        why: "pooler=transaction in the database URL".into(),
                    }
                } else {
                    Link::Direct
                }
            }
        };
        let pooled = matches!(link, Link::Pooled { .. });
        super::errors::set_statement_timeout(settings.statement_timeout());
        // The receivables aggregate groups a company's invoices by customer and
        // aging bucket in one hash table: room for it in memory, so it never
        // spills to disk (a test checks the plan at a million invoices).
        let limit = settings.statement_timeout().as_millis();
        let mut local = format!("SET LOCAL statement_timeout = {limit}; SET LOCAL work_mem = '64MB'");
        if pooled {
            // Statements another client of the pooler left on this server.
            local.push_str("; DEALLOCATE ALL");
        }
        let opts = if pooled { opts.statement_cache_capacity(0) } else { opts };
        let pool = PgPoolOptions::new()
            .max_connections(settings.pool_size_for(pooled_listen(&link, settings)))
            .min_connections(0)
            .idle_timeout(IDLE_TIMEOUT)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(opts);
        let store = PgStore {
            pool,
            session: super::team::new_session(),
            begin_write: format!("BEGIN; {local}"),
            begin_snapshot: format!("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; {local}"),
            link,
            settings: settings.clone(),
        };
        if migrate {
            store.migrate_if_allowed().await?;
        }
        Ok(store)
    }

    /// The first connection, or why there is none, in one line.
    async fn probe(place: &str, opts: &PgConnectOptions) -> StoreResult<PgConnection> {
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(opts)).await {
            Err(_) => Err(StoreError::Unreachable(format!(
                "{place}: no answer within {} s (timed out)",
                CONNECT_TIMEOUT.as_secs()
            ))),
            Ok(Err(e)) => Err(StoreError::Unreachable(why_unreachable(place, opts.get_username(), &e))),
            Ok(Ok(c)) => Ok(c),
        }
    }

    /// Whether a transaction pooler stands between us and the server: the
    /// host says so (managed poolers' names), or two connections of ours,
    /// one after the other, are served by one server process, which never
    /// happens to direct connections.
    async fn detect(mut first: PgConnection, place: &str, opts: &PgConnectOptions) -> StoreResult<Link> {
        let host = opts.get_host().to_ascii_lowercase();
        if host.contains("pooler") {
            let _ = first.close().await;
            return Ok(Link::Pooled {
                why: format!("the host name {} names a pooler", crate::sanitize::clean(&host)),
            });
        }
        // The simple protocol: a prepared statement would stay on the server
        // and collide with the second connection's, were they the same.
        async fn pid(c: &mut PgConnection) -> StoreResult<i32> {
            use sqlx::Row;
            Ok(sqlx::raw_sql("SELECT pg_backend_pid()")
                .fetch_one(c)
                .await?
                .try_get(0)?)
        }
        let a = pid(&mut first).await?;
        let again = pid(&mut first).await?;
        let mut second = Self::probe(place, opts).await?;
        let b = pid(&mut second).await?;
        let _ = first.close().await;
        let _ = second.close().await;
        Ok(if a == b {
            Link::Pooled {
                why: "two connections were served by one server process".into(),
            }
        } else if a != again {
            Link::Pooled {
                why: "one connection was served by two server processes".into(),
            }
        } else {
            Link::Direct
        })
    }

    /// How this store reaches its server.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Where live refresh listens: the pool's server, the direct URL, or
    /// nowhere (a transaction pooler cannot carry `LISTEN`: poll instead).
    pub fn listen_url(&self) -> Listen {
        match (&self.link, &self.settings.direct_url) {
            (Link::Direct, _) => Listen::Pool,
            (Link::Pooled { .. }, Some(url)) => match pooler_param(url) {
                Ok((_, url)) => Listen::Direct(url),
                Err(_) => Listen::Poll,
            },
            (Link::Pooled { .. }, None) => Listen::Poll,
        }
    }

    /// A listener for live refresh on the direct URL: one connection, with
    /// the options every other connection has (`application_name` katalis).
    pub async fn direct_listener(url: &str) -> sqlx::Result<sqlx::postgres::PgListener> {
        let opts = connect_options(url).map_err(|e| sqlx::Error::Configuration(e.to_string().into()))?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_lazy_with(opts);
        sqlx::postgres::PgListener::connect_with(&pool).await
    }

    /// The pool's size: at most this many connections at once.
    pub fn pool_size(&self) -> u32 {
        self.settings.pool_size_for(pooled_listen(&self.link, &self.settings))
    }

    pub fn settings(&self) -> &PgSettings {
        &self.settings
    }

    /// A connection straight to the server, for what needs a session
    /// (migrations): the pool's own link when it is direct, else the
    /// configured direct URL, else a message that says what to set.
    async fn direct(&self, what: &str) -> StoreResult<Option<PgConnection>> {
        if self.link == Link::Direct {
            return Ok(None);
        }
        let Some(url) = &self.settings.direct_url else {
            return Err(StoreError::Conflict(format!(
                "{what} needs a direct connection to PostgreSQL, and this one goes through a transaction pooler: \
                 set database_direct_url in the config (or KATALIS_DATABASE_DIRECT_URL) to the server's own address"
            )));
        };
        let (_, url) = pooler_param(url)?;
        let opts = connect_options(&url)?;
        let place = format!("{}:{}", crate::sanitize::clean(opts.get_host()), opts.get_port());
        Self::probe(&place, &opts).await.map(Some)
    }

    /// Runs the migrations, over a direct connection.
    async fn run_migrations(&self, what: &str) -> StoreResult<()> {
        match self.direct(what).await? {
            None => MIGRATOR.run(&self.pool).await?,
            Some(mut c) => {
                MIGRATOR.run(&mut c).await?;
                let _ = c.close().await;
            }
        }
        Ok(())
    }
}

impl super::sql::Backend for PgStore {
    type Db = sqlx::Postgres;
    type Conn = PgConnection;

    async fn write_bank_lines(
        tx: &mut PgConnection,
        w: &mut super::sql::BankWrite,
        lines: &[crate::domain::BankLine],
        keys: &[[u8; 16]],
    ) -> StoreResult<crate::domain::LinesAdded> {
        pg_copy::copy_bank_lines(tx, w, lines, keys).await
    }

    async fn finish_bank_lines(
        tx: &mut PgConnection,
        w: &mut super::sql::BankWrite,
    ) -> StoreResult<crate::domain::LinesAdded> {
        pg_copy::merge_bank_lines(tx, w).await
    }

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_tx(&self, write: bool) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        let sql = if write { &self.begin_write } else { &self.begin_snapshot };
        Ok(self.pool.begin_with(sqlx::AssertSqlSafe(sql.clone())).await?)
    }

    async fn session(&self) -> StoreResult<super::sql::Session<sqlx::Postgres>> {
        Ok(match self.link {
            Link::Direct => super::sql::Session::Plain(self.pool.acquire().await?),
            Link::Pooled { .. } => super::sql::Session::Tx(self.begin_tx(true).await?),
        })
    }

    async fn write_financials(tx: &mut PgConnection, company: i64, rows: &[MonthlyFinancials]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::FINANCIALS, company, rows, None, &mut |_| Ok(None), None)
            .await
            .map(drop)
    }

    async fn write_products(tx: &mut PgConnection, company: i64, rows: &[Product]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::PRODUCTS, company, rows, None, &mut |_| Ok(None), None)
            .await
            .map(drop)
    }

    /// A company's receivables summaries, reduced while its invoices were
    /// imported: one statement per table, the rows as arrays.
    async fn write_summaries(
        tx: &mut PgConnection,
        company: i64,
        s: &crate::finance::receivables::Summaries,
    ) -> StoreResult<()> {
        fn cols<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
        let m = &s.months;
        sqlx::query(
            "INSERT INTO receivable_months (company_id, month, issued, collected) \
             SELECT $1, * FROM UNNEST($2::text[], $3::numeric[], $4::numeric[])",
        )
        .bind(company)
        .bind(cols(m, |r| r.0.to_string()))
        .bind(cols(m, |r| r.1))
        .bind(cols(m, |r| r.2))
        .execute(&mut *tx)
        .await?;
        let a = &s.aging;
        sqlx::query(
            "INSERT INTO receivable_aging (company_id, customer, bucket, open, oldest_due, invoices) \
             SELECT $1, * FROM UNNEST($2::text[], $3::int[], $4::numeric[], $5::date[], $6::bigint[])",
        )
        .bind(company)
        .bind(cols(a, |r| r.0.clone()))
        .bind(cols(a, |r| r.1 as i32))
        .bind(cols(a, |r| r.2))
        .bind(cols(a, |r| r.3))
        .bind(cols(a, |r| r.4))
        .execute(&mut *tx)
        .await?;
        let l = &s.late;
        sqlx::query(
            "INSERT INTO receivable_late (company_id, customer, late_days, paid) \
             SELECT $1, * FROM UNNEST($2::text[], $3::bigint[], $4::bigint[])",
        )
        .bind(company)
        .bind(cols(l, |r| r.0.clone()))
        .bind(cols(l, |r| r.1))
        .bind(cols(l, |r| r.2))
        .execute(&mut *tx)
        .await?;
        let w = &s.weeks;
        sqlx::query(
            "INSERT INTO receivable_weeks (company_id, customer, week, amount) \
             SELECT $1, * FROM UNNEST($2::text[], $3::int[], $4::numeric[])",
        )
        .bind(company)
        .bind(cols(w, |r| r.0.clone()))
        .bind(cols(w, |r| i32::try_from(r.1).unwrap_or(i32::MAX)))
        .bind(cols(w, |r| r.2))
        .execute(&mut *tx)
        .await?;
        let p = &s.paid_after;
        sqlx::query(
            "INSERT INTO receivable_paid_after (company_id, customer, number) \
             SELECT $1, * FROM UNNEST($2::text[], $3::text[])",
        )
        .bind(company)
        .bind(cols(p, |r| r.0.clone()))
        .bind(cols(p, |r| r.1.clone()))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn write_invoices(tx: &mut PgConnection, company: i64, rows: &[Invoice]) -> StoreResult<()> {
        pg_copy::copy_feed(tx, &pg_copy::INVOICES, company, rows, None, &mut |_| Ok(None), None)
            .await
            .map(drop)
    }
}

super::sql::backend!(
    store = PgStore,
    conn = PgConnection,
    write = "BEGIN",
    snapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    now = "now()",
    bytes = " COLLATE \"C\"",
    days_late = "GREATEST(0, paid_date - due_date)",
    issue_month = "to_char(issue_date, 'YYYY-MM')",
    counted_month = "to_char(GREATEST(paid_date, issue_date), 'YYYY-MM')",
    due_offset = "(i.due_date - CAST($6 AS DATE))",
    own = {
        fn kind(&self) -> &'static str {
            "postgres"
        }

        async fn migration_status(&self) -> StoreResult<MigrationStatus> {
            Ok(MigrationStatus {
                applied: self.applied().await?,
                known: MIGRATOR.iter().map(|m| m.version).collect(),
            })
        }

        async fn import_stream(&self, target: &ImportTarget, mut feed: FeedRx) -> StoreResult<Company> {
            let mut tx = self.begin_tx(true).await?;
            let company = Self::resolve(&mut tx, target).await?;
            let (id, feed) = (company.id, &mut feed);
            let (rows, analyze) = match feed.recv().await {
                Some(Feed::Rows(ImportBatch::Financials(r))) => {
                    let spec = &pg_copy::FINANCIALS;
                    let n = pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), &mut |_| Ok(None), None).await?;
                    Self::refresh_after_financials(&mut tx, id).await?;
                    (n, spec.analyze)
                }
                Some(Feed::Rows(ImportBatch::Products(r))) => {
                    let spec = &pg_copy::PRODUCTS;
                    let n = pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), &mut |_| Ok(None), None).await?;
                    (n, spec.analyze)
                }
                Some(Feed::Rows(ImportBatch::Invoices(r))) => {
                    let spec = &pg_copy::INVOICES;
                    let mut builder = Self::summary_builder(&mut tx, id).await?;
                    // Rows are booked inside the COPY, where nothing else can be read.
                    let fx = Self::fx_book(&mut tx, &company, None).await?;
                    // The currency side is written once the COPY is done: the
                    // foreign rows whole, of the others (when the company holds
                    // foreign invoices) only the numbers whose side goes.
                    let mut foreign: Vec<Invoice> = Vec::new();
                    let mut plain: Vec<String> = Vec::new();
                    let mut prepare = |rows: &[Invoice]| {
                        let booked = fx.book(rows)?;
                        let written = booked.as_deref().unwrap_or(rows);
                        if let Some(b) = builder.as_mut() {
                            written.iter().for_each(|r| b.add(r));
                        }
                        foreign.extend(written.iter().filter(|r| r.fx.is_some()).cloned());
                        if fx.has_fx {
                            plain.extend(written.iter().filter(|r| r.fx.is_none()).map(|r| r.number.clone()));
                        }
                        Ok(booked)
                    };
                    // Triggers stay off, if the load turned them off, while the
                    // rows' currency side and summaries are written.
                    let mut off = false;
                    let n = pg_copy::copy_feed(&mut tx, spec, id, &r, Some(feed), &mut prepare, Some(&mut off)).await?;
                    let plain: Vec<&str> = plain.iter().map(String::as_str).collect();
                    Self::drop_invoice_fx(&mut tx, id, &plain).await?;
                    Self::write_invoice_fx(&mut tx, id, &foreign, fx.has_fx).await?;
                    Self::summaries_after_invoices(&mut tx, id, builder).await?;
                    pg_copy::triggers_on(&mut tx, off).await?;
                    (n, spec.analyze)
                }
                Some(Feed::Rows(ImportBatch::Statement(_))) => return Err(super::statement_elsewhere()),
                Some(Feed::End) => (0, ""),
                None => return Err(super::abandoned()),
            };
            tx.commit().await?;
            if rows >= pg_copy::ANALYZE_FROM_ROWS {
                sqlx::raw_sql(analyze).execute(&self.pool).await?;
            }
            Ok(company)
        }

        async fn restore(&self, b: &Backup) -> StoreResult<()> {
            let mut tx = self.begin_tx(true).await?;
            sqlx::query("LOCK TABLE companies IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            Self::restore_into(&mut tx, b).await?;
            // Line ids were kept: the sequence moves on past them.
            sqlx::query("SELECT setval('bank_lines_id_seq', GREATEST((SELECT MAX(id) FROM bank_lines), 1))")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            sqlx::raw_sql("ANALYZE").execute(&self.pool).await?;
            Ok(())
        }
    },
);
