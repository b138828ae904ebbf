//! Katalis: a CFO's view of a small company, in the terminal.
//!
//! `finance` is the pure metric engine; `store` persists to SQLite or
//! PostgreSQL; `import` reads the CSV formats; `report` writes JSON, CSV and
//! Markdown; `commands` are the headless subcommands.

pub mod ai;
pub mod cli;
pub mod commands;
pub mod company;
pub mod config;
pub mod demo;
pub mod diagnostics;
pub mod domain;
pub mod export;
pub mod finance;
pub mod import;
pub mod locale;
pub mod numbers;
pub mod reconcile;
pub mod report;
pub mod sanitize;
pub mod store;
pub mod tui;
