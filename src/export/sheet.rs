//! A view's table as data: the columns the screen shows and typed values
//! (an amount, a ratio, a date), made by the interface (`tui::sheet`) and
//! written here (CSV, XLSX, the clipboard's text).

use crate::domain::Month;
use crate::locale::Lang;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A table of a view that can leave the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Profitability,
    UnitEconomics,
    CashMonths,
    CashWeeks,
    Pricing,
    Collections,
    CallList,
    Compare,
    Budget,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Profitability,
        Table::UnitEconomics,
        Table::CashMonths,
        Table::CashWeeks,
        Table::Pricing,
        Table::Collections,
        Table::CallList,
        Table::Compare,
        Table::Budget,
    ];

    /// The name `katalis export` takes, and the file name's VIEW.
    pub fn key(self) -> &'static str {
        match self {
            Table::Profitability => "profitability",
            Table::UnitEconomics => "unit-economics",
            Table::CashMonths => "cash-months",
            Table::CashWeeks => "cash-weeks",
            Table::Pricing => "pricing",
            Table::Collections => "collections",
            Table::CallList => "call-list",
            Table::Compare => "compare",
            Table::Budget => "budget",
        }
    }

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.key() == s)
    }

    /// The table's name as the dialog shows it.
    pub fn title(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Table::Profitability => ("Profitability by month", "Rentabilidad por mes"),
            Table::UnitEconomics => ("Unit economics by month", "Economía unitaria por mes"),
            Table::CashMonths => ("Cash flow by month", "Flujo de caja por mes"),
            Table::CashWeeks => ("13-week cash forecast", "Caja a 13 semanas"),
            Table::Pricing => ("Products", "Productos"),
            Table::Collections => ("Open invoices", "Facturas abiertas"),
            Table::CallList => ("Call first", "Llamar primero"),
            Table::Compare => ("Scenario comparison", "Comparación de escenarios"),
            Table::Budget => ("Budget vs actual", "Presupuesto vs real"),
        };
        lang.pick(en, es)
    }
}

/// A value as the table holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// An amount of the company's currency.
    Money(Decimal),
    /// A ratio, shown as a percentage (0.423 is 42.3%).
    Ratio(Decimal),
    /// Months, days, multiples: shown with this many decimals.
    Number(Decimal, u32),
    Int(i64),
    Date(NaiveDate),
    Month(Month),
    /// A value that cannot be computed (`—` on screen): an empty cell.
    Empty,
}

impl Value {
    pub(crate) fn money(v: Option<Decimal>) -> Value {
        v.map_or(Value::Empty, Value::Money)
    }
    pub(crate) fn ratio(v: Option<Decimal>) -> Value {
        v.map_or(Value::Empty, Value::Ratio)
    }
    pub(crate) fn num(v: Option<Decimal>, dp: u32) -> Value {
        v.map_or(Value::Empty, |v| Value::Number(v, dp))
    }
    pub(crate) fn int(v: Option<i64>) -> Value {
        v.map_or(Value::Empty, Value::Int)
    }
    pub(crate) fn month(v: Option<Month>) -> Value {
        v.map_or(Value::Empty, Value::Month)
    }

    /// Plain text: decimals with a dot, no grouping, a ratio as a ratio
    /// (`0.4231`, four decimals as `report` writes it); empty when missing.
    pub fn plain(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Money(d) => d.round_dp(2).to_string(),
            Value::Ratio(d) => d.round_dp(4).to_string(),
            Value::Number(d, dp) => d.round_dp(*dp).to_string(),
            Value::Int(i) => i.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Month(m) => m.to_string(),
            Value::Empty => String::new(),
        }
    }

    /// For the clipboard: as `plain`, a ratio as a percentage (`42.31%`),
    /// which a spreadsheet pasted into reads as one.
    pub fn copied(&self) -> String {
        match self {
            Value::Ratio(d) => format!("{}%", (d * Decimal::ONE_HUNDRED).round_dp(2)),
            v => v.plain(),
        }
    }
}

/// What a column's figures are counted in, said once in its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    None,
    /// The company's currency, whole amounts with cents (never scaled to k or M).
    Money(String),
    Ratio,
    Days,
    Months,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// As the screen's header says it, without the unit.
    pub label: String,
    pub unit: Unit,
}

impl Column {
    pub(crate) fn new(label: impl Into<String>, unit: Unit) -> Column {
        Column {
            label: label.into(),
            unit,
        }
    }

    /// The header with its unit: `Revenue (USD)`, `Gross (%)` (`(ratio)` in
    /// CSV, where the value is the ratio), `Days (days)` is just `Days`.
    pub fn header(&self, lang: Lang, ratio_as_percent: bool) -> String {
        let unit = match &self.unit {
            Unit::None => return self.label.clone(),
            Unit::Money(c) => c.clone(),
            Unit::Ratio if ratio_as_percent => "%".to_owned(),
            Unit::Ratio => lang.pick("ratio", "razón").to_owned(),
            Unit::Days => lang.pick("days", "días").to_owned(),
            Unit::Months => lang.pick("months", "meses").to_owned(),
        };
        if self.label.is_empty() || self.label.to_lowercase().contains(&unit) {
            return self.label.clone();
        }
        format!("{} ({unit})", self.label)
    }
}

/// Where the rows are: here, or (Collections' open invoices, a million of
/// them perhaps) in the store, read as they are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    Here(Vec<Vec<Value>>),
    OpenInvoices {
        company_id: i64,
        day: NaiveDate,
        filter: String,
        /// The rate the amounts are shown at (presented in another currency).
        rate: Option<Decimal>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub table: Table,
    pub lang: Lang,
    pub company: String,
    pub columns: Vec<Column>,
    pub rows: Rows,
}

impl Sheet {
    pub fn headers(&self, ratio_as_percent: bool) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| c.header(self.lang, ratio_as_percent))
            .collect()
    }
}

/// The default file name of `table` of `company`: `katalis-COMPANY-VIEW-YYYYMMDD.EXT`,
/// the company's name reduced to letters, digits and dashes.
pub fn file_name(company: &str, table: Table, today: NaiveDate, ext: &str) -> String {
    let mut name = String::new();
    for c in crate::finance::reconcile::fold(company).chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    format!(
        "katalis-{}-{}-{}.{ext}",
        if name.is_empty() { "company" } else { name },
        table.key(),
        today.format("%Y%m%d")
    )
}

/// The row of an open invoice, as Collections shows it.
pub fn invoice_row(inv: &crate::domain::Invoice, day: NaiveDate, rate: Option<Decimal>) -> Vec<Value> {
    let late = crate::finance::collections::days_past_due(inv, day);
    let open = crate::finance::collections::open_at(inv, day);
    vec![
        Value::Text(inv.number.clone()),
        Value::Text(inv.customer.clone()),
        Value::Date(inv.due_date),
        Value::Int(late.max(0)),
        Value::Money(rate.map_or(open, |r| crate::finance::fx::cents(open * r))),
    ]
}
