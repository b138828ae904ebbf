//! Plain domain types shared by the engine, the stores, import and the report.

mod bank;
pub mod fx;
mod month;
mod scenario;

pub use bank::{
    AccountTarget, BankAccount, BankLine, LinesAdded, Place, StatementImported, StatementWrite, StoredLine,
    money_serde, money_text,
};

pub use month::{Month, MonthParseError, month_number};
pub use scenario::{CashEvent, Drivers, Hire};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A company's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub industry: String,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// 1..=12: the month the fiscal year starts.
    pub fiscal_year_start: u32,
    /// e.g. `es-MX`, `es-CO`, `en-US`; decides number separators.
    pub locale: String,
}

/// What is needed to create a company (the store assigns the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCompany {
    pub name: String,
    pub industry: String,
    pub currency: String,
    pub fiscal_year_start: u32,
    pub locale: String,
}

impl From<Company> for NewCompany {
    fn from(c: Company) -> NewCompany {
        NewCompany {
            name: c.name,
            industry: c.industry,
            currency: c.currency,
            fiscal_year_start: c.fiscal_year_start,
            locale: c.locale,
        }
    }
}

/// One month of financials. Optional columns follow docs/metrics.md#ground-rules: an absent
/// `depreciation` or `other_income` counts as 0; an absent `sales_marketing`,
/// `financing` or customer count is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyFinancials {
    pub month: Month,
    pub revenue: Decimal,
    pub cogs: Decimal,
    pub opex: Decimal,
    pub sales_marketing: Option<Decimal>,
    pub depreciation: Option<Decimal>,
    pub other_income: Option<Decimal>,
    pub financing: Option<Decimal>,
    pub cash_end: Decimal,
    pub customers_new: Option<i64>,
    pub customers_churned: Option<i64>,
    pub customers_end: Option<i64>,
}

impl MonthlyFinancials {
    pub fn depreciation_or_zero(&self) -> Decimal {
        self.depreciation.unwrap_or_default()
    }
    pub fn other_income_or_zero(&self) -> Decimal {
        self.other_income.unwrap_or_default()
    }
}

/// A product or service line for costs & pricing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub monthly_units: Decimal,
    pub fixed_costs: Decimal,
}

/// A customer invoice for collections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub customer: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: Decimal,
    pub paid_amount: Decimal,
    pub paid_date: Option<NaiveDate>,
    /// Its own currency, when not the company's (`amount` and `paid_amount`
    /// are then functional). Boxed: most invoices have none, and a million
    /// of them stream through an import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx: Option<Box<fx::InvoiceFx>>,
}

/// A validated file's rows.
#[derive(Debug, Clone)]
pub enum ImportBatch {
    Financials(Vec<MonthlyFinancials>),
    Products(Vec<Product>),
    Invoices(Vec<Invoice>),
    /// Bank statement lines (imported with `Store::import_statement`, never
    /// with the company's books).
    Statement(Vec<BankLine>),
}

impl ImportBatch {
    pub fn len(&self) -> usize {
        match self {
            ImportBatch::Financials(r) => r.len(),
            ImportBatch::Products(r) => r.len(),
            ImportBatch::Invoices(r) => r.len(),
            ImportBatch::Statement(r) => r.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One recommendation of an advisor: what the AI returns, the store keeps and
/// the board pack prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub category: String,
    pub priority: u8,
    pub title: String,
    pub description: String,
    pub impact_score: u8,
}

/// One imported CFDI as kept for later imports, once per invoice it bears on:
/// an invoice (`I`) bears on itself, a payment complement (`P`) or a credit
/// note (`E`) on each invoice it relates. `body` is the document's parts that
/// matter, as `import::cfdi` writes and reads them (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CfdiRecord {
    pub uuid: String,
    pub invoice_uuid: String,
    pub kind: String,
    pub body: String,
}

/// A row of `cfdi_documents` as read: (uuid, invoice_uuid, kind, body).
impl From<(String, String, String, String)> for CfdiRecord {
    fn from((uuid, invoice_uuid, kind, body): (String, String, String, String)) -> CfdiRecord {
        CfdiRecord {
            uuid,
            invoice_uuid,
            kind,
            body,
        }
    }
}

/// What a CFDI import writes, in one transaction: invoices upserted by number,
/// invoices removed (cancelled at the SAT), the documents kept for later
/// imports (each replaces the rows of its UUID), and documents dropped.
#[derive(Debug, Clone, Default)]
pub struct CfdiWrite {
    pub invoices: Vec<Invoice>,
    pub removed_invoices: Vec<String>,
    pub records: Vec<CfdiRecord>,
    pub removed_uuids: Vec<String>,
}

/// A stored, user-made scenario (the base scenario is derived, never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub drivers: Drivers,
    /// Optimistic-concurrency version; bumped on every save.
    pub version: i64,
}
