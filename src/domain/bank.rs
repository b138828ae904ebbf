//! Bank accounts and the lines of their statements (docs/formats.md#bank-statements).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// One line of a statement as read from a file: money in is positive, out
/// negative, in the account's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLine {
    /// The booking date.
    pub date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub amount: Decimal,
    pub description: String,
    pub counterparty: String,
    /// The payer's or payee's reference (an invoice number, an end-to-end id).
    pub reference: String,
    /// The bank's own id of the line (`FITID`, `AcctSvcrRef`, the `:61:` bank
    /// reference); empty when the format has none.
    pub bank_ref: String,
    /// The running balance after this line, when the file gives it.
    pub balance: Option<Decimal>,
    /// Where the line is in its file, for messages: `row 12`, `STMTTRN 3 (line 40)`.
    pub at: Place,
}

/// Where a line is in its file: a table's row (no allocation for the million
/// rows of a large CSV), or an element of a statement format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Row(u64),
    Named(Box<str>),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Row(r) => write!(f, "row {r}"),
            Place::Named(n) => f.write_str(n),
        }
    }
}

/// A bank account of a company with what its lines say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankAccount {
    #[serde(skip)]
    pub id: i64,
    #[serde(rename = "account")]
    pub name: String,
    pub currency: String,
    /// IBAN, CLABE or the bank's account number, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The balance after the last line (as the last statement's closing
    /// balance says when it gave one).
    #[serde(serialize_with = "money")]
    pub balance: Decimal,
    /// The last line's date.
    pub as_of: Option<NaiveDate>,
    pub lines: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

/// A stored line, with its stable id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLine {
    pub id: i64,
    pub account: String,
    pub date: NaiveDate,
    #[serde(skip)]
    pub value_date: Option<NaiveDate>,
    #[serde(serialize_with = "money")]
    pub amount: Decimal,
    pub description: String,
    #[serde(skip)]
    pub counterparty: String,
    pub reference: String,
    pub bank_ref: String,
    #[serde(serialize_with = "money_opt")]
    pub balance: Option<Decimal>,
}

/// Money as a decimal string with its cents (`"1230850.35"`, `"-85.00"`),
/// and every further decimal it has (`"0.1250"` stays exact).
pub fn money_text(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n.to_string()
}

/// Serialises money as [`money_text`] does.
pub fn money_serde<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    money(d, s)
}

fn money<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&money_text(*d))
}

fn money_opt<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => money(d, s),
        None => s.serialize_none(),
    }
}

/// Which account a statement goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountTarget {
    Existing(String),
    Create {
        name: String,
        currency: String,
        number: Option<String>,
    },
}

impl AccountTarget {
    pub fn name(&self) -> &str {
        match self {
            AccountTarget::Existing(n) | AccountTarget::Create { name: n, .. } => n,
        }
    }
}

/// What a statement import writes, in one transaction: its lines each with
/// the key that finds it again (a line whose key the account holds is
/// skipped), and the closing balance the file states.
#[derive(Debug, Clone)]
pub struct StatementWrite {
    pub account: AccountTarget,
    pub lines: Vec<BankLine>,
    /// Each line's key (`import::statement`), in the same order.
    pub keys: Vec<[u8; 16]>,
    /// The file's closing balance and its date, when it gives one.
    pub closing: Option<(Decimal, NaiveDate)>,
    /// For the import's row: the file(s) and format.
    pub source: String,
    pub format: String,
}

/// What writing a statement's lines added: how many, the sum of those dated
/// after a given day (the account's balance moves by it), the last date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinesAdded {
    pub count: usize,
    pub sum_after: Decimal,
    pub last: Option<NaiveDate>,
}

impl std::ops::AddAssign for LinesAdded {
    fn add_assign(&mut self, more: LinesAdded) {
        self.count += more.count;
        self.sum_after += more.sum_after;
        self.last = self.last.max(more.last);
    }
}

/// What a statement import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementImported {
    pub account: BankAccount,
    pub added: usize,
    pub skipped: usize,
}
