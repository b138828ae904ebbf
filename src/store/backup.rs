//! The snapshot format of `katalis backup` / `restore`: plain JSON, decimals as
//! strings, independent of the store kind, so a SQLite backup restores into
//! PostgreSQL and back.

use crate::domain::{Drivers, Invoice, MonthlyFinancials, NewCompany, Product};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const BACKUP_FORMAT: &str = "katalis-backup";
pub const BACKUP_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    pub companies: Vec<CompanyBackup>,
    /// The exchange rates the store holds (absent in backups made before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<crate::domain::fx::Rate>,
    /// The groups of companies (absent in backups made before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<crate::domain::fx::GroupBackup>,
}

impl Backup {
    pub fn new(companies: Vec<CompanyBackup>) -> Backup {
        Backup {
            format: BACKUP_FORMAT.to_owned(),
            version: BACKUP_VERSION,
            companies,
            rates: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Refuses a file that is not a backup of a version this binary reads.
    pub fn check(&self) -> Result<(), String> {
        if self.format != BACKUP_FORMAT {
            return Err(format!("not a Katalis backup (format {:?})", self.format));
        }
        if self.version != BACKUP_VERSION {
            return Err(format!(
                "backup version {} is not supported (expected {BACKUP_VERSION})",
                self.version
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyBackup {
    pub profile: NewCompany,
    pub financials: Vec<MonthlyFinancials>,
    pub products: Vec<Product>,
    pub invoices: Vec<Invoice>,
    pub scenarios: Vec<StoredScenario>,
    pub analyses: Vec<AnalysisRecord>,
    pub members: Vec<Member>,
    /// Saved import mappings (absent in backups made before they existed).
    #[serde(default)]
    pub mappings: Vec<SavedMapping>,
    /// The audit trail, oldest first (absent in backups made before it existed).
    #[serde(default)]
    pub audit: Vec<super::team::AuditRow>,
    /// KPI targets: (metric, rule).
    #[serde(default)]
    pub targets: Vec<(String, String)>,
    /// The questions asked of the advisors, oldest first.
    #[serde(default)]
    pub conversations: Vec<super::conversations::StoredTurn>,
    /// The CFDI kept for later imports (absent in backups made before them).
    #[serde(default)]
    pub cfdi: Vec<crate::domain::CfdiRecord>,
    /// Bank accounts, their statement imports and lines (absent in backups made before them).
    #[serde(default)]
    pub bank: Vec<BankAccountBackup>,
    /// Payments from the bank, line marks, learned payers and rules (absent in backups made before them).
    #[serde(default)]
    pub reconciliation: super::ReconcileBackup,
}

/// A bank account as backed up: its balance and its imports with their lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountBackup {
    pub name: String,
    pub currency: String,
    pub number: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    pub balance_date: Option<chrono::NaiveDate>,
    pub imports: Vec<BankImportBackup>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankImportBackup {
    pub source: String,
    pub format: String,
    pub added: i64,
    pub skipped: i64,
    /// RFC 3339, UTC.
    pub imported_at: String,
    pub lines: Vec<BankLineBackup>,
}

/// A statement line with its id (kept on restore: other rows refer to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLineBackup {
    pub id: i64,
    pub date: chrono::NaiveDate,
    pub value_date: Option<chrono::NaiveDate>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub description: String,
    pub counterparty: String,
    pub reference: String,
    pub bank_ref: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub balance: Option<Decimal>,
    /// The line's key, hex.
    pub key: String,
}

/// A saved import mapping: `spec` is the JSON of `import::table::Mapping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SavedMapping {
    pub name: String,
    pub kind: String,
    pub spec: String,
}

/// A user-made scenario as stored; a locked one is a budget with its start frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScenario {
    pub name: String,
    pub drivers: Drivers,
    pub locked: bool,
    pub base_month: Option<String>,
    pub start_cash: Option<Decimal>,
    pub start_revenue: Option<Decimal>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Member {
    pub member: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    pub agent: String,
    pub provider: String,
    pub model: String,
    pub input_hash: String,
    pub input: String,
    pub output: String,
    pub result: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cost: Option<Decimal>,
    pub latency_ms: Option<i64>,
    pub status: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub recommendations: Vec<RecommendationRecord>,
}

/// A stored recommendation, as both stores read it (SMALLINT on PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecommendationRecord {
    pub category: String,
    #[sqlx(try_from = "i16")]
    pub priority: i64,
    pub title: String,
    pub description: String,
    #[sqlx(try_from = "i16")]
    pub impact_score: i64,
}

impl From<&crate::domain::Recommendation> for RecommendationRecord {
    fn from(r: &crate::domain::Recommendation) -> RecommendationRecord {
        RecommendationRecord {
            category: r.category.clone(),
            priority: r.priority.into(),
            title: r.title.clone(),
            description: r.description.clone(),
            impact_score: r.impact_score.into(),
        }
    }
}
