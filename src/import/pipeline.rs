//! A file import as two overlapping halves: the parser validates on a blocking
//! thread and hands on chunks of rows; the store writes them inside one
//! transaction that is committed only when the whole file proved valid.

use super::{ImportError, Kind, parse_chunked};
use crate::domain::Company;
use crate::store::{AnyStore, Feed, ImportTarget, Store, StoreError};

/// Rows per chunk handed from the parser to the writer.
const CHUNK_ROWS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    File(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Imports `bytes` (the content of `file`) into `target`. Nothing is written
/// unless every row is valid; returns the company and the number of rows.
pub async fn import_bytes(
    store: &AnyStore,
    target: &ImportTarget,
    kind: Kind,
    file: String,
    bytes: Vec<u8>,
) -> Result<(Company, usize), ImportFailure> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let parser = tokio::task::spawn_blocking(move || {
        let result = parse_chunked(kind, &file, &bytes, CHUNK_ROWS, &mut |batch| {
            tx.blocking_send(Feed::Rows(batch)).is_ok()
        });
        if result.is_ok() {
            // Only a valid file says End; otherwise the channel just closes.
            let _ = tx.blocking_send(Feed::End);
        }
        result
    });
    let written = store.import_stream(target, rx).await;
    let parsed = parser
        .await
        .map_err(|e| StoreError::Aborted(format!("the parser stopped: {e}")))?;
    // A file problem explains an abandoned write; report it first.
    let rows = parsed?;
    Ok((written?, rows))
}

/// Reads `path` and imports it with [`import_bytes`].
pub async fn import_file(
    store: &AnyStore,
    target: &ImportTarget,
    kind: Kind,
    path: &std::path::Path,
) -> Result<(Company, usize), ImportFailure> {
    let name = crate::sanitize::clean(&path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| ImportError {
        file: name.clone(),
        problems: vec![super::Problem {
            row: None,
            column: None,
            value: None,
            expected: format!("a readable file ({e})"),
        }],
        more: 0,
    })?;
    import_bytes(store, target, kind, name, bytes).await
}
