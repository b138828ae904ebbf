use crate::store::{AnyStore, Backup, Store};
use color_eyre::eyre::{Result, WrapErr, eyre};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

/// Writes the snapshot next to `file` and renames it into place, so a failed
/// backup never leaves a truncated file behind.
pub async fn backup(store: &AnyStore, file: &Path) -> Result<()> {
    let snapshot = store.backup().await?;
    let tmp = file.with_extension("katalis-tmp");
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut w, &snapshot)?;
        w.write_all(b"\n")?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, file)
    };
    write().wrap_err_with(|| format!("cannot write {}", file.display()))?;
    let rows: usize = snapshot
        .companies
        .iter()
        .map(|c| c.financials.len() + c.products.len() + c.invoices.len())
        .sum();
    eprintln!(
        "backed up {} companies ({rows} rows) to {}",
        snapshot.companies.len(),
        file.display()
    );
    Ok(())
}

pub async fn restore(store: &AnyStore, file: &Path) -> Result<()> {
    let f = std::fs::File::open(file).wrap_err_with(|| format!("cannot open {}", file.display()))?;
    let snapshot: Backup = serde_json::from_reader(BufReader::new(f))
        .map_err(|e| eyre!("{}: not a valid Katalis backup ({e})", file.display()))?;
    snapshot.check().map_err(|e| eyre!("{}: {e}", file.display()))?;
    store.restore(&snapshot).await?;
    eprintln!(
        "restored {} companies from {}",
        snapshot.companies.len(),
        file.display()
    );
    Ok(())
}
