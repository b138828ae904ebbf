//! A team on one store: roles (PostgreSQL enforces them with row-level
//! security; see migrations/postgres/0003_team.sql), members, and the audit
//! trail of every write (both stores).

use super::sql::Backend as _;
use super::{AnyStore, StoreError, StoreResult};
use serde::Serialize;
use sqlx::Row;

/// What a login may do in a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Analyst,
    Owner,
    /// Owns the schema (or is a superuser): everything, in every company.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "analyst" => Some(Role::Analyst),
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Owner => "owner",
            Role::Admin => "admin",
        }
    }
}

/// What the current login may do in a company: `None` on SQLite (one person's
/// file: everything), else its role (`None` inside: not a member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Local,
    Role(Option<Role>),
    /// A group's consolidated figures: read, never written.
    Group,
    /// A company's figures presented in another currency (`$`): read only.
    Presented,
}

impl Access {
    /// Whether this access allows what needs `need`.
    pub fn allows(self, need: Role) -> bool {
        match self {
            Access::Local => true,
            Access::Role(r) => r.is_some_and(|r| r >= need),
            Access::Group | Access::Presented => need == Role::Viewer,
        }
    }

    /// The refusal, in one line, when it does not.
    pub fn require(self, need: Role, company: &str, what: &str) -> Result<(), String> {
        if self.allows(need) {
            return Ok(());
        }
        if self == Access::Presented {
            return Err(format!(
                "{what}: the figures are shown in another currency; press $ back to {:?}'s own to change them",
                crate::sanitize::clean(company)
            ));
        }
        if self == Access::Group {
            return Err(format!(
                "{what}: {:?} is a group, read-only; open one of its companies to change it",
                crate::sanitize::clean(company)
            ));
        }
        let yours = match self {
            Access::Role(Some(r)) => format!("your role in {:?} is {}", crate::sanitize::clean(company), r.name()),
            _ => format!("you are not a member of {:?}", crate::sanitize::clean(company)),
        };
        Err(format!("{what} needs the {} role; {yours}", need.name()))
    }
}

/// One write, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub company_id: i64,
    pub company: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        company: &crate::domain::Company,
        action: &str,
        target: impl Into<String>,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            company_id: company.id,
            company: company.name.clone(),
            action: action.to_owned(),
            target: target.into(),
            detail: detail.into(),
        }
    }
}

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct AuditRow {
    /// RFC 3339, UTC.
    #[sqlx(try_from = "super::sql::Stamp")]
    pub at: String,
    pub who: String,
    pub company: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// A company member as `members list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    pub login: String,
    pub role: String,
}

/// A mark for one opened store: an interface ignores the changes it made itself.
pub fn new_session() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{nanos:x}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A write someone else made, as an open interface learns of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Change {
    pub company_id: i64,
    pub who: String,
    pub action: String,
    pub session: String,
}

/// The OS user, who writes to a SQLite store.
pub fn os_user() -> String {
    static USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    USER.get_or_init(|| {
        std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                // No variable (a service, a bare container): ask the system.
                let out = std::process::Command::new("id").arg("-un").output().ok()?;
                let name = String::from_utf8(out.stdout).ok()?.trim().to_owned();
                (!name.is_empty()).then_some(name)
            })
            .unwrap_or_else(|| "unknown".into())
    })
    .clone()
}

/// A PostgreSQL identifier a login may have: letters, digits, `_`, `-`, `.`, `@`.
fn check_login(login: &str) -> StoreResult<()> {
    let ok = !login.is_empty()
        && login.len() <= 63
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "{:?} is not a login name Katalis manages (letters, digits, _ - . @; at most 63)",
            crate::sanitize::clean(login)
        )))
    }
}

fn needs_postgres() -> StoreError {
    StoreError::Conflict(
        "members and roles need a PostgreSQL store: a SQLite file is one person's, guarded by its file permissions"
            .into(),
    )
}

impl AnyStore {
    /// Who writes: the PostgreSQL login, or the OS user with SQLite.
    pub async fn login(&self) -> StoreResult<String> {
        match self {
            AnyStore::Sqlite(_) => Ok(os_user()),
            AnyStore::Postgres(p) => {
                let mut s = p.session().await?;
                let login = sqlx::query_scalar("SELECT current_user::text")
                    .fetch_one(&mut *s)
                    .await?;
                s.done().await?;
                Ok(login)
            }
        }
    }

    /// How a PostgreSQL store is reached and what it costs the server, for
    /// `doctor`: (check, ok, detail) for the link, live refresh and the
    /// connection budget. Nothing for SQLite.
    pub async fn describe_link(&self) -> StoreResult<Vec<(&'static str, bool, String)>> {
        use super::postgres::{AUDIT_POLL, IDLE_TIMEOUT, Link, Listen};
        let AnyStore::Postgres(p) = self else {
            return Ok(Vec::new());
        };
        let link = match p.link() {
            Link::Direct => "direct to the server (statements prepared once per connection)".to_owned(),
            Link::Pooled { why } => format!(
                "through a transaction pooler ({}): every statement inside a transaction, none kept prepared",
                crate::sanitize::clean(why)
            ),
        };
        let live = match p.listen_url() {
            Listen::Pool => "LISTEN on the store's own connection".to_owned(),
            Listen::Direct(_) => "LISTEN over database_direct_url".to_owned(),
            Listen::Poll => format!(
                "the audit trail read every {} s (a transaction pooler cannot carry LISTEN; set database_direct_url to listen instead)",
                AUDIT_POLL.as_secs()
            ),
        };
        let mut s = p.session().await?;
        let (max, used, ours): (String, i64, i64) = sqlx::query_as(
            "SELECT current_setting('max_connections'), \
             (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), \
             (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'katalis')",
        )
        .fetch_one(&mut *s)
        .await?;
        s.done().await?;
        let set = p.settings();
        let timeout = set.statement_timeout();
        let budget = format!(
            "this process: at most {} connections, idle ones closed after {} s; statement_timeout {}; \
             the server: {used} of {max} connections in use, {ours} by katalis",
            set.total(),
            IDLE_TIMEOUT.as_secs(),
            if timeout.is_zero() {
                "none".to_owned()
            } else {
                format!("{} s", timeout.as_secs())
            },
        );
        Ok(vec![
            ("link", true, link),
            ("live", true, live),
            ("budget", true, budget),
        ])
    }

    /// The connection's encryption, for `doctor` (PostgreSQL only): `(true, …)`
    /// when the link is encrypted or was asked to be plain.
    pub async fn describe_tls(&self, url: &str) -> StoreResult<Option<(bool, String)>> {
        let AnyStore::Postgres(p) = self else {
            return Ok(None);
        };
        let mut s = p.session().await?;
        let row = sqlx::query(
            "SELECT COALESCE(ssl, false), COALESCE(version, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
        .fetch_optional(&mut *s)
        .await?;
        s.done().await?;
        let (ssl, version): (bool, String) = match row {
            Some(r) => (r.try_get(0)?, r.try_get(1)?),
            None => (false, String::new()),
        };
        let mode = url
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("sslmode="))
            .unwrap_or("prefer");
        Ok(Some(if ssl {
            (true, format!("encrypted ({version}, sslmode={mode})"))
        } else if mode == "disable" {
            (true, "plaintext, as sslmode=disable asks".into())
        } else {
            (
                false,
                format!("plaintext: sslmode={mode} fell back to an unencrypted connection (use sslmode=verify-full)"),
            )
        }))
    }

    /// A company's KPI targets: (metric, rule), by metric.
    pub async fn targets(&self, company_id: i64) -> StoreResult<Vec<(String, String)>> {
        const SQL: &str = "SELECT metric, rule FROM targets WHERE company_id = $1 ORDER BY metric";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).bind(company_id).fetch_all(pool).await?))
    }

    /// Sets (or replaces) a company's target for a metric.
    pub async fn set_target(&self, company_id: i64, metric: &str, rule: &str) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO targets (company_id, metric, rule) VALUES ($1, $2, $3) \
                           ON CONFLICT (company_id, metric) DO UPDATE SET rule = excluded.rule";
        with_pool!(self, pool => sqlx::query(SQL).bind(company_id).bind(metric).bind(rule).execute(pool).await.map(drop))
            .map_err(|e| self.explain_refusal(e.into()))
    }

    /// Removes a company's target; false when it had none for that metric.
    pub async fn remove_target(&self, company_id: i64, metric: &str) -> StoreResult<bool> {
        const SQL: &str = "DELETE FROM targets WHERE company_id = $1 AND metric = $2";
        let n = with_pool!(self, pool => sqlx::query(SQL).bind(company_id).bind(metric).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(|e| self.explain_refusal(e.into()))?;
        Ok(n > 0)
    }

    /// This opened store's mark on the writes it records.
    pub fn session(&self) -> &str {
        match self {
            AnyStore::Sqlite(s) => &s.session,
            AnyStore::Postgres(p) => &p.session,
        }
    }

    /// Writes recorded after audit row `after` that this login may see (the
    /// change feed of SQLite, and of PostgreSQL behind a pooler that cannot
    /// carry `LISTEN`), and the last row id seen. One indexed range read.
    pub async fn changes_after(&self, after: i64) -> StoreResult<(Vec<Change>, i64)> {
        const SQL: &str = "SELECT id, company_id, who, action, session FROM audit WHERE id > $1 ORDER BY id LIMIT 1000";
        let rows: Vec<(i64, i64, String, String, String)> =
            with_pool!(self, pool => sqlx::query_as(SQL).bind(after).fetch_all(pool).await?);
        let last = rows.last().map_or(after, |r| r.0);
        let out = rows
            .into_iter()
            .map(|(_, company_id, who, action, session)| Change {
                company_id,
                who,
                action,
                session,
            })
            .collect();
        Ok((out, last))
    }

    /// The newest audit row this login may see: where a change feed starts.
    pub async fn last_change(&self) -> StoreResult<i64> {
        const SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM audit";
        Ok(with_pool!(self, pool => sqlx::query_scalar::<_, i64>(SQL).fetch_one(pool).await?))
    }

    /// Who the current login is and what it may do, for `doctor`.
    pub async fn describe_login(&self) -> StoreResult<String> {
        match self {
            AnyStore::Sqlite(_) => Ok(format!(
                "{} (a SQLite file: whoever may write the file may do everything)",
                os_user()
            )),
            AnyStore::Postgres(p) => {
                let mut s = p.session().await?;
                let row = sqlx::query(
                    "SELECT current_user::text, katalis_is_admin(current_user::text), \
                     (SELECT string_agg(role || ' of ' || company_id, ', ' ORDER BY company_id) \
                      FROM company_members WHERE member = current_user::text)",
                )
                .fetch_one(&mut *s)
                .await?;
                s.done().await?;
                let (login, admin, roles): (String, bool, Option<String>) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                Ok(if admin {
                    format!("{login}: admin (owns the schema: every company, members, migrations)")
                } else {
                    format!(
                        "{login}: {}",
                        roles.unwrap_or_else(|| "member of no company (sees nothing)".into())
                    )
                })
            }
        }
    }

    /// What the current login may do in `company_id`.
    pub async fn access(&self, company_id: i64) -> StoreResult<Access> {
        match self {
            AnyStore::Sqlite(_) => Ok(Access::Local),
            AnyStore::Postgres(p) => {
                let mut s = p.session().await?;
                let row =
                    sqlx::query("SELECT katalis_is_admin(current_user::text), katalis_rank($1, current_user::text)")
                        .bind(company_id)
                        .fetch_one(&mut *s)
                        .await?;
                s.done().await?;
                let admin: bool = row.try_get(0)?;
                let rank: i32 = row.try_get(1)?;
                Ok(Access::Role(if admin {
                    Some(Role::Admin)
                } else {
                    match rank {
                        3 => Some(Role::Owner),
                        2 => Some(Role::Analyst),
                        1 => Some(Role::Viewer),
                        _ => None,
                    }
                }))
            }
        }
    }

    /// Adds (or changes) a member and brings its table rights in line.
    /// Returns the rights the login now has across companies.
    pub async fn add_member(
        &self,
        company_id: i64,
        login: &str,
        role: Role,
        create_login: bool,
    ) -> StoreResult<String> {
        let AnyStore::Postgres(p) = self else {
            return Err(needs_postgres());
        };
        check_login(login)?;
        if role == Role::Admin {
            return Err(StoreError::Conflict(
                "admin is not a company role: it is whoever owns the schema".into(),
            ));
        }
        let mut tx = p.begin_tx(true).await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(login)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            if !create_login {
                return Err(StoreError::Conflict(format!(
                    "no login named {login:?} on this server; create it (CREATE ROLE {login} LOGIN) or add --create-login"
                )));
            }
            // Identifiers cannot be bound: the name was checked above.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE \"{login}\" LOGIN")))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO company_members (company_id, member, role) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, member) DO UPDATE SET role = excluded.role",
        )
        .bind(company_id)
        .bind(login)
        .bind(role.name())
        .execute(&mut *tx)
        .await?;
        let rights: String = sqlx::query_scalar("SELECT katalis_grant($1)")
            .bind(login)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rights)
    }

    /// Removes a member; its table rights shrink to what its other memberships need.
    pub async fn remove_member(&self, company_id: i64, login: &str) -> StoreResult<String> {
        let AnyStore::Postgres(p) = self else {
            return Err(needs_postgres());
        };
        check_login(login)?;
        let mut tx = p.begin_tx(true).await?;
        let gone = sqlx::query("DELETE FROM company_members WHERE company_id = $1 AND member = $2")
            .bind(company_id)
            .bind(login)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::Conflict(format!(
                "{login:?} is not a member of this company"
            )));
        }
        let rights: String = sqlx::query_scalar("SELECT katalis_grant($1)")
            .bind(login)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rights)
    }

    /// The members of a company (owners and admins see them all).
    pub async fn members(&self, company_id: i64) -> StoreResult<Vec<MemberRow>> {
        let AnyStore::Postgres(p) = self else {
            return Err(needs_postgres());
        };
        let mut s = p.session().await?;
        let rows = sqlx::query("SELECT member, role FROM company_members WHERE company_id = $1 ORDER BY member")
            .bind(company_id)
            .fetch_all(&mut *s)
            .await?;
        s.done().await?;
        rows.iter()
            .map(|r| {
                Ok(MemberRow {
                    login: r.try_get(0)?,
                    role: r.try_get(1)?,
                })
            })
            .collect()
    }

    /// Records one write in the audit trail (who: the login, or the OS user).
    pub async fn record(&self, e: &AuditEntry) -> StoreResult<()> {
        match self {
            AnyStore::Sqlite(s) => {
                sqlx::query(
                    "INSERT INTO audit (who, company_id, company, action, target, detail, session) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(os_user())
                .bind(e.company_id)
                .bind(&e.company)
                .bind(&e.action)
                .bind(&e.target)
                .bind(&e.detail)
                .bind(&s.session)
                .execute(s.pool())
                .await
                .map_err(|err| s.explain(err.into()))?;
            }
            AnyStore::Postgres(p) => {
                // One statement: the row, and the notification every open
                // interface listens for (sent when it commits).
                let mut s = p.session().await?;
                sqlx::query(
                    "WITH ins AS (INSERT INTO audit (company_id, company, action, target, detail, session) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING company_id, who, action, session) \
                     SELECT pg_notify('katalis', json_build_object('company_id', company_id, 'who', who, \
                     'action', action, 'session', session)::text) FROM ins",
                )
                .bind(e.company_id)
                .bind(&e.company)
                .bind(&e.action)
                .bind(&e.target)
                .bind(&e.detail)
                .bind(&p.session)
                .execute(&mut *s)
                .await?;
                s.done().await?;
            }
        }
        Ok(())
    }

    /// [`AnyStore::record`] after a write that already succeeded: a failure to
    /// record is said on stderr (the write itself stands), not turned into an error.
    pub async fn record_or_warn(&self, e: &AuditEntry) {
        if let Err(err) = self.record(e).await {
            tracing::warn!("audit: {err}");
            eprintln!(
                "katalis: warning: the change was saved but not recorded in the audit trail ({})",
                crate::sanitize::clean(&err.to_string())
            );
        }
    }

    /// The audit trail, oldest first: of one company or all, from `since` (RFC 3339 or a date).
    pub async fn audit(&self, company_id: Option<i64>, since: Option<&str>) -> StoreResult<Vec<AuditRow>> {
        const SQL: &str = "SELECT at, who, company, action, target, detail FROM audit \
                           WHERE (CAST($1 AS BIGINT) IS NULL OR company_id = $1) AND at >= $2 ORDER BY at, id";
        let since = super::sql::Stamp::parse(since.unwrap_or("1970-01-01"))?;
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).bind(company_id).bind(since).fetch_all(pool).await?))
    }
}
