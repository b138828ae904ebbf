//! The headless commands. Each returns `Ok` or an error whose message is the
//! one-line cause printed on stderr (exit 1).

pub mod analyze;
pub mod ask;
pub mod backup;
pub mod bank;
pub mod demo;
pub mod doctor;
pub mod fx;
pub mod group;
pub mod import;
pub mod reconcile;
pub mod report;
pub mod routines;
pub mod scenario;
pub mod team;

use crate::domain::Company;
use crate::finance::Snapshot;
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, bail, eyre};

/// The company named by `--company`, else the first.
pub async fn pick_company(store: &AnyStore, key: Option<&str>) -> Result<Company> {
    match key {
        Some(k) => Ok(store.company(k).await?),
        None => {
            store.companies().await?.into_iter().next().ok_or_else(|| {
                eyre!("the store has no companies yet; run `katalis demo` or import a file with --create")
            })
        }
    }
}

/// Refuses, in one line, what the current login's role in `company` does not
/// allow (the database would refuse it too; this says why, before trying).
pub async fn require(store: &AnyStore, company: &Company, need: crate::store::team::Role, what: &str) -> Result<()> {
    store
        .access(company.id)
        .await?
        .require(need, &company.name, what)
        .map_err(|e| eyre!(e))
}

/// The snapshot at `--as-of` (default: the latest month), through the one
/// company loader (`crate::company`).
pub async fn load_snapshot(store: &AnyStore, company: &Company, as_of: Option<&str>) -> Result<Snapshot> {
    let requested = crate::company::parse_as_of(as_of).map_err(|e| eyre!(e))?;
    Ok(crate::company::load(store, company.clone(), requested).await?.snapshot)
}

/// `--currency`, checked as an ISO 4217 code.
pub fn currency_code(c: &str) -> Result<String> {
    let up = c.trim().to_ascii_uppercase();
    if up.len() != 3 || !up.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!(
            "--currency {:?}: expected an ISO 4217 code such as USD, MXN or COP",
            crate::sanitize::clean(c)
        );
    }
    Ok(up)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
