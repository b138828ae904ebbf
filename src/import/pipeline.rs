//! A file import as two overlapping halves: the parser validates on a blocking
//! thread and hands on chunks of rows; the store writes them inside one
//! transaction that is committed only when the whole file proved valid.

use super::table::Parsed;
use super::{ImportError, Kind, parse_chunked};
use crate::domain::Company;
use crate::store::{AnyStore, Feed, ImportBatch, ImportTarget, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Rows per chunk handed from the parser to the writer.
pub const CHUNK_ROWS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    File(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("import cancelled; nothing was written")]
    Cancelled,
}

/// Shared with whoever shows an import's progress: rows validated so far, and a
/// flag that cancels it (then nothing is written).
#[derive(Debug, Default)]
pub struct ImportProgress {
    pub rows: AtomicU64,
    pub cancel: AtomicBool,
}

/// Runs `parse` on a blocking thread, writing the chunks it hands on inside one
/// transaction that commits only when it returns `Ok` (and was not cancelled).
pub async fn import_parsed<F>(
    store: &AnyStore,
    target: &ImportTarget,
    progress: Option<Arc<ImportProgress>>,
    parse: F,
) -> Result<(Company, Parsed), ImportFailure>
where
    F: FnOnce(&mut dyn FnMut(ImportBatch) -> bool) -> Result<Parsed, ImportError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let watch = progress.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let cancelled = || watch.as_ref().is_some_and(|p| p.cancel.load(Ordering::Relaxed));
        let result = parse(&mut |batch| {
            if let Some(p) = &watch {
                p.rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            !cancelled() && tx.blocking_send(Feed::Rows(batch)).is_ok()
        });
        if result.is_ok() && !cancelled() {
            // Only a valid file says End; otherwise the channel just closes.
            let _ = tx.blocking_send(Feed::End);
        }
        result
    });
    let written = store.import_stream(target, rx).await;
    let parsed = parser
        .await
        .map_err(|e| StoreError::Aborted(format!("the parser stopped: {e}")))?;
    if progress.is_some_and(|p| p.cancel.load(Ordering::Relaxed)) {
        return Err(ImportFailure::Cancelled);
    }
    // A file problem explains an abandoned write; report it first.
    let parsed = parsed?;
    Ok((written?, parsed))
}

/// Imports `bytes` (the content of `file`, our own CSV format) into `target`.
/// Nothing is written unless every row is valid; returns the company and the
/// number of rows.
pub async fn import_bytes(
    store: &AnyStore,
    target: &ImportTarget,
    kind: Kind,
    file: String,
    bytes: Vec<u8>,
) -> Result<(Company, usize), ImportFailure> {
    let (company, parsed) = import_parsed(store, target, None, move |sink| {
        parse_chunked(kind, &file, &bytes, CHUNK_ROWS, sink).map(|rows| Parsed {
            rows,
            skipped: Vec::new(),
        })
    })
    .await?;
    Ok((company, parsed.rows))
}

/// Imports the file at `path` (our own CSV format), reading it as it goes:
/// memory holds a chunk of rows, whatever the size of the file.
pub async fn import_file(
    store: &AnyStore,
    target: &ImportTarget,
    kind: Kind,
    path: &std::path::Path,
) -> Result<(Company, usize), ImportFailure> {
    let name = crate::sanitize::clean(&path.display().to_string());
    let file = super::open_regular(path)?;
    // PostgreSQL checks that each key appears once (a PRIMARY KEY on the table
    // the rows are copied into): the parser then keeps no set of them, and
    // memory stays flat however long the file.
    let keys = match store {
        AnyStore::Postgres(_) => super::Keys::ByStore,
        AnyStore::Sqlite(_) => super::Keys::Checked,
    };
    let reading = name.clone();
    let result = import_parsed(store, target, None, move |sink| {
        let input = std::io::BufReader::with_capacity(256 * 1024, file);
        super::parse_reader_keys(kind, &reading, input, CHUNK_ROWS, sink, keys).map(|rows| Parsed {
            rows,
            skipped: Vec::new(),
        })
    })
    .await;
    match result {
        Ok((company, parsed)) => Ok((company, parsed.rows)),
        // The database found a key twice: read the file again, checking keys
        // here, for the message that names both rows (nothing was written).
        Err(ImportFailure::Store(StoreError::DuplicateKey(key))) => {
            let file = super::open_regular(path)?;
            let input = std::io::BufReader::with_capacity(256 * 1024, file);
            match super::parse_reader_keys(kind, &name, input, CHUNK_ROWS, &mut |_| true, super::Keys::Checked) {
                Err(e) => Err(ImportFailure::File(e)),
                Ok(_) => Err(ImportFailure::Store(StoreError::DuplicateKey(key))),
            }
        }
        Err(e) => Err(e),
    }
}
