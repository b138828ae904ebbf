//! One company's books read from the store and its figures computed by the
//! engine: the one loader `report`, `ask`, `check`, `forecast`, the AI context
//! and the interface all use, so each reads the same rows the same way.

use crate::domain::{Company, Month, Product};
use crate::finance::planning::{Projection, Start, base_drivers, project};
use crate::finance::{CollectionsInput, EngineError, Ledger, Snapshot, as_of_month};
use crate::store::{AnyStore, Store, StoreError};

/// Why a company's figures could not be had: the store, or the engine (no
/// financials, or none at the month asked for).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// What is read of a company: its ledger, the as-of month, its products and
/// its receivables reduced at that month.
#[derive(Debug, Clone)]
pub struct Books {
    pub company: Company,
    pub ledger: Ledger,
    /// The month the figures are as of: the one asked for (it must have a row), else the latest.
    pub as_of: Month,
    pub products: Vec<Product>,
    pub receivables: CollectionsInput,
    /// The company's bank accounts (statements imported).
    pub bank: Vec<crate::domain::BankAccount>,
}

impl Books {
    /// Reads the company's books at `as_of` (default: its latest month).
    pub async fn read(store: &AnyStore, company: Company, as_of: Option<Month>) -> Result<Books, LoadError> {
        let (financials, products, bank) = tokio::try_join!(
            store.financials(company.id),
            store.products(company.id),
            store.bank_accounts(company.id)
        )?;
        let ledger = Ledger::new(financials);
        let m = as_of_month(&ledger, as_of)?;
        let receivables = store.collections_input(company.id, m).await?;
        Ok(Books {
            company,
            ledger,
            as_of: m,
            products,
            receivables,
            bank,
        })
    }

    /// Every metric at the as-of month (the engine's work: off the async threads
    /// where a screen waits on it).
    pub fn snapshot(&self) -> Snapshot {
        let mut s = crate::finance::snapshot(&self.ledger, self.as_of, &self.products, &self.receivables);
        s.cash_flow.bank_cash = crate::finance::bank::bank_cash(&self.bank, &self.company.currency, self.as_of);
        s
    }

    /// The base scenario's projection from the as-of month.
    pub fn projection(&self) -> Option<Projection> {
        Start::from_ledger(&self.ledger, self.as_of).map(|s| project(s, &base_drivers(&self.ledger, self.as_of)))
    }
}

/// A company's books and its snapshot.
#[derive(Debug, Clone)]
pub struct Figures {
    pub books: Books,
    pub snapshot: Snapshot,
}

/// Reads a company and computes its snapshot at `as_of` (default: the latest
/// month), the engine's work on the blocking pool.
pub async fn load(store: &AnyStore, company: Company, as_of: Option<Month>) -> Result<Figures, LoadError> {
    let books = Books::read(store, company, as_of).await?;
    tokio::task::spawn_blocking(move || {
        let snapshot = books.snapshot();
        Figures { books, snapshot }
    })
    .await
    .map_err(|e| {
        LoadError::Store(StoreError::Aborted(format!(
            "computing the company's figures failed: {e}"
        )))
    })
}

/// `--as-of YYYY-MM` read, or what was expected.
pub fn parse_as_of(s: Option<&str>) -> Result<Option<Month>, String> {
    s.map(|s| {
        s.parse::<Month>()
            .map_err(|_| format!("--as-of {:?}: expected a month as YYYY-MM", crate::sanitize::clean(s)))
    })
    .transpose()
}
