//! Katalis: a CFO's view of a small company, in the terminal.

pub mod domain;
pub mod finance;
