//! Financial statements with months across and accounts down: a P&L "by
//! month" (QuickBooks, Xero, CONTPAQi, Alegra, Siigo, an accountant's
//! "Estado de resultados") and a balance sheet in the same shape.
//!
//! - Title lines above the header are skipped; the header is the first row
//!   whose cells after the first read as months (`Jan 2025`, `January 2025`,
//!   `ene-25`, `Enero 2025`, `2025-01`, `01/2025`, date cells); a `Total`
//!   column is left out.
//! - Section rows (`Income`/`Ingresos`, `Cost of Goods Sold`/`Costo de
//!   ventas`, `Expenses`/`Gastos de operación`, `Other Income`/`Otros
//!   ingresos`, `Other Expenses`/`Otros gastos`) set the field of the account
//!   rows below them; `Total …`, `Gross Profit`/`Utilidad bruta`, `Net …`/
//!   `Utilidad …` rows are subtotals and read past.
//! - Account rows add to their section's field: revenue, cogs, opex, other
//!   income (other expenses subtract from it). Advertising and marketing
//!   accounts are also sales & marketing, depreciation and amortization also
//!   depreciation (both parts of opex, as in our CSV); an accounts file's
//!   patterns move an account to another field.
//! - A balance sheet (an `Assets`/`Activo` section) gives `cash_end`: the
//!   accounts of its bank and cash group (`Bank Accounts`, `Checking`,
//!   `Savings`, `Bancos`, `Caja`, …) and the accounts the cash patterns name;
//!   every other row is read past.
//!
//! Nothing here knows the store: the result is merged into the company's
//! months by [`merge`], which keeps every field a file did not give.

use super::journal::{Accounts, matches};
use super::table::{Cell, Sheet, col_letter, fold};
use super::{ImportError, MAX_LISTED, Problem, shorten};
use crate::domain::{Month, MonthlyFinancials};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Rows searched for the months header.
const HEADER_SCAN_ROWS: usize = 30;

/// A field a statement can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Revenue,
    Cogs,
    Opex,
    SalesMarketing,
    Depreciation,
    OtherIncome,
    CashEnd,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Revenue => "revenue",
            Field::Cogs => "cogs",
            Field::Opex => "opex",
            Field::SalesMarketing => "sales_marketing",
            Field::Depreciation => "depreciation",
            Field::OtherIncome => "other_income",
            Field::CashEnd => "cash_end",
        }
    }
}

/// Which statement a sheet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statement {
    ProfitAndLoss,
    BalanceSheet,
}

/// What one row of the statement became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowUse {
    /// An account added (or, with `-`, subtracted) to these fields.
    Account(Vec<(Field, bool)>),
    Section,
    Subtotal,
    /// A row read past (a balance sheet's receivables, liabilities, equity).
    ReadPast,
    /// A group heading without numbers.
    Group,
}

/// One row of the statement, for `--dry-run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub row: u64,
    pub label: String,
    pub used: RowUse,
}

/// A statement read: the months, per month the fields found, and each row.
#[derive(Debug, Clone)]
pub struct Across {
    pub label: String,
    pub statement: Statement,
    pub months: Vec<Month>,
    /// Month → field → amount; a field is here for every month once any row set it.
    pub values: BTreeMap<Month, BTreeMap<Field, Decimal>>,
    pub lines: Vec<Line>,
}

/// The fields a P&L always sets (a section it lacks is zero).
const PNL_FIELDS: [Field; 3] = [Field::Revenue, Field::Cogs, Field::Opex];

use crate::domain::month_number;

fn year_of(s: &str) -> Option<i32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        2 => s.parse::<i32>().ok().map(|y| 2000 + y),
        4 => s.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)),
        _ => None,
    }
}

/// A month header: `Jan 2025`, `January 2025`, `ene-25`, `Enero de 2025`,
/// `31 Jan 2025`, `2025-01`, `01/2025`, `2025-01-31`, or a date cell.
pub fn month_of(cell: &Cell) -> Option<Month> {
    let text = match cell {
        Cell::Date(d) => return Some(Month::of_date(*d)),
        Cell::Text(t) => fold(t),
        _ => return None,
    };
    if let Ok(m) = text.parse::<Month>() {
        return Some(m);
    }
    if let Ok(d) = super::fields::date(&text) {
        return Some(Month::of_date(d));
    }
    let tokens: Vec<&str> = text
        .split([' ', '-', '/', '.', ','])
        .filter(|t| !t.is_empty() && *t != "de" && *t != "del")
        .collect();
    match tokens.as_slice() {
        // 01/2025, 2025/01
        [a, b] if a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()) => {
            let (m, y) = if a.len() == 4 { (b, a) } else { (a, b) };
            let m: u32 = m.parse().ok()?;
            Month::new(year_of(y).filter(|_| y.len() == 4)?, m)
        }
        [name, y] => Month::new(year_of(y)?, month_number(name)?),
        // 31 Jan 2025
        [d, name, y] if d.len() <= 2 && d.bytes().all(|c| c.is_ascii_digit()) => {
            Month::new(year_of(y)?, month_number(name)?)
        }
        _ => None,
    }
}

fn is_total_header(cell: &Cell) -> bool {
    matches!(cell, Cell::Text(t) if {
        let f = fold(t);
        f == "total" || f == "totales" || f.starts_with("total ")
    })
}

/// The header row: its index in the sheet and the month of each column.
pub fn find_header(sheet: &Sheet) -> Option<(usize, Vec<(usize, Month)>)> {
    for (i, (_, cells)) in sheet.rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        let mut months: Vec<(usize, Month)> = Vec::new();
        let mut ok = true;
        for (c, cell) in cells.iter().enumerate().skip(1) {
            if cell.is_empty() || is_total_header(cell) {
                continue;
            }
            match month_of(cell) {
                Some(m) if !months.iter().any(|(_, x)| *x == m) => months.push((c, m)),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && !months.is_empty() {
            return Some((i, months));
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Revenue,
    Cogs,
    Opex,
    OtherIncome,
    OtherExpenses,
    Assets,
    /// Liabilities and equity: read past.
    Claims,
}

fn section_of(label: &str) -> Option<Section> {
    let l = label.trim_end_matches(':').trim();
    Some(match l {
        "income"
        | "revenue"
        | "revenues"
        | "sales"
        | "operating income"
        | "ingresos"
        | "ventas"
        | "ingresos de operacion"
        | "ingresos operativos" => Section::Revenue,
        "cost of goods sold"
        | "cost of sales"
        | "cost of revenue"
        | "cogs"
        | "costo de ventas"
        | "costos de ventas"
        | "costo de lo vendido"
        | "costos" => Section::Cogs,
        "expenses"
        | "expense"
        | "operating expenses"
        | "gastos"
        | "gastos de operacion"
        | "gastos operativos"
        | "gastos generales"
        | "gastos de administracion y venta" => Section::Opex,
        "other income" | "otros ingresos" | "otros productos" | "ingresos no operativos" => Section::OtherIncome,
        "other expenses" | "other expense" | "otros gastos" | "gastos no operativos" | "gastos financieros" => {
            Section::OtherExpenses
        }
        "assets" | "activo" | "activos" => Section::Assets,
        "liabilities"
        | "pasivo"
        | "pasivos"
        | "equity"
        | "capital"
        | "capital contable"
        | "patrimonio"
        | "liabilities and equity"
        | "liabilities & equity"
        | "pasivo y capital"
        | "pasivo y capital contable"
        | "liabilities and shareholders equity"
        | "liabilities & shareholders equity" => Section::Claims,
        _ => return None,
    })
}

fn is_subtotal(label: &str) -> bool {
    // Whole subtotal phrases, not bare words: "Utilidad cambiaria", "Pérdida
    // cambiaria" or "Net sales" are accounts, and must never be read past.
    let phrases = [
        "total",
        "suma",
        "gross profit",
        "gross margin",
        "gross loss",
        "operating profit",
        "ebitda",
        "net income",
        "net operating income",
        "net other income",
        "net ordinary income",
        "net profit",
        "net loss",
        "net earnings",
        "utilidad bruta",
        "utilidad de operacion",
        "utilidad operativa",
        "utilidad neta",
        "utilidad antes",
        "utilidad del ejercicio",
        "utilidad (perdida)",
        "utilidad o perdida",
        "utilidad/perdida",
        "perdida bruta",
        "perdida de operacion",
        "perdida neta",
        "perdida antes",
        "perdida del ejercicio",
        "resultado neto",
        "resultado del ejercicio",
        "resultado de operacion",
        "resultado antes",
        "margen bruto",
        "margen de operacion",
        "margen operativo",
        "margen neto",
        "margen de contribucion",
    ];
    phrases.iter().any(|p| {
        label
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':', '(', ',']))
    })
}

/// Groups of bank and cash accounts in a balance sheet.
fn is_cash_group(label: &str) -> bool {
    [
        "bank accounts",
        "bank",
        "banks",
        "cash",
        "cash and cash equivalents",
        "cash and equivalents",
        "checking",
        "savings",
        "bancos",
        "caja",
        "caja y bancos",
        "efectivo",
        "efectivo y equivalentes",
        "efectivo y equivalentes de efectivo",
        "disponible",
    ]
    .contains(&label.trim_end_matches(':').trim())
}

/// The name patterns that refine accounts when no accounts file says otherwise.
fn default_patterns() -> (Vec<String>, Vec<String>, Vec<String>) {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    (
        s(&[
            "*advertis*",
            "*marketing*",
            "*publicidad*",
            "*mercadotecnia*",
            "*mercadeo*",
        ]),
        s(&[
            "*depreciation*",
            "*amortization*",
            "*amortisation*",
            "*depreciacion*",
            "*amortizacion*",
        ]),
        s(&[
            "*bank*",
            "*banco*",
            "*checking*",
            "*savings*",
            "*caja*",
            "cash*",
            "petty cash*",
            "*efectivo*",
        ]),
    )
}

fn number(cell: &Cell, decimal_comma: bool) -> Result<Option<Decimal>, String> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Int(i) => i.to_string(),
        Cell::Number(f) if f.is_finite() => format!("{f}"),
        Cell::Number(_) => return Err("a finite number".into()),
        Cell::Text(t) => t.trim().to_owned(),
        Cell::Error(e) => return Err(format!("a number (the cell holds the error {e})")),
        Cell::Bool(_) | Cell::Date(_) => return Err("a number".into()),
    };
    if text.is_empty() || text == "-" || text == "—" {
        return Ok(None);
    }
    let (neg, body) = match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, text.as_str()),
    };
    let body = body.trim_start_matches(['$', '€']).replace(['$', ' ', '\u{a0}'], "");
    let comma_style = body
        .rfind(',')
        .is_some_and(|c| body.rfind('.').is_none_or(|d| d < c) && (1..=2).contains(&(body.len() - c - 1)));
    if !decimal_comma && comma_style {
        return Err("a number written 1,234.56 or (1,234.56); this one reads 1.234,56: add --decimal-comma".into());
    }
    let plain = if decimal_comma {
        let (sign, rest) = body.strip_prefix('-').map_or(("", body.as_str()), |r| ("-", r));
        format!("{sign}{}", rest.replace('.', "").replace(',', "."))
    } else {
        body.replace(',', "")
    };
    let d = super::fields::decimal(&plain).map_err(|why| {
        if decimal_comma {
            format!("a number written 1.234,56 or (1.234,56) ({why})")
        } else {
            format!("a number written 1,234.56 or (1,234.56) ({why}; for 1.234,56 add --decimal-comma)")
        }
    })?;
    Ok(Some(if neg { -d } else { d }))
}

/// Reads a statement with months across. `accounts` refines account rows by
/// their names (its patterns are tried against the folded account name).
pub fn read(sheet: &Sheet, accounts: Option<&Accounts>, decimal_comma: bool) -> Result<Across, ImportError> {
    let label = sheet.label.clone();
    let whole = |expected: String| super::Collector::whole(&label, expected);
    let Some((header_at, columns)) = find_header(sheet) else {
        return Err(whole(
            "a header row of months across (Jan 2025, ene-25, 2025-01, 01/2025 or date cells) in the first 30 rows"
                .into(),
        ));
    };
    let (marketing, depreciation, cash) = default_patterns();
    let (marketing, depreciation, cash) = match accounts {
        Some(a) => (
            [marketing, a.sales_marketing.clone()].concat(),
            [depreciation, a.depreciation.clone()].concat(),
            [cash, a.cash.clone()].concat(),
        ),
        None => (marketing, depreciation, cash),
    };
    let mut problems: Vec<Problem> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut values: BTreeMap<Month, BTreeMap<Field, Decimal>> = BTreeMap::new();
    let mut found: Vec<Field> = Vec::new();
    let mut section: Option<Section> = None;
    let mut statement = Statement::ProfitAndLoss;
    let mut cash_group: Option<String> = None;
    for (row, cells) in sheet.rows.iter().skip(header_at + 1) {
        let raw_label = cells.first().map(Cell::display).unwrap_or_default();
        let label = fold(&raw_label);
        // Which month cells hold something; read as numbers only for rows that count.
        let filled: Vec<(usize, Month)> = columns
            .iter()
            .filter(|(c, _)| {
                cells
                    .get(*c)
                    .is_some_and(|x| !x.is_empty() && x.display().trim() != "-")
            })
            .copied()
            .collect();
        if label.is_empty() {
            continue;
        }
        let mut line = |used: RowUse| {
            lines.push(Line {
                row: *row,
                label: raw_label.trim().to_owned(),
                used,
            })
        };
        if let Some(s) = section_of(&label)
            && filled.is_empty()
        {
            section = Some(s);
            cash_group = None;
            if s == Section::Assets {
                statement = Statement::BalanceSheet;
            }
            line(RowUse::Section);
            continue;
        }
        if is_subtotal(&label) {
            if cash_group
                .as_deref()
                .is_some_and(|g| label.trim_start_matches("total").trim() == g)
            {
                cash_group = None;
            }
            line(RowUse::Subtotal);
            continue;
        }
        if filled.is_empty() {
            if section == Some(Section::Assets) && is_cash_group(&label) {
                cash_group = Some(label.trim_end_matches(':').trim().to_owned());
            }
            line(RowUse::Group);
            continue;
        }
        // An account row: where it goes.
        let mut fields: Vec<(Field, bool)> = Vec::new();
        match section {
            None => {
                problems.push(Problem {
                    row: Some(*row),
                    file: None,
                    column: Some("A".into()),
                    value: Some(shorten(&raw_label)),
                    expected: "an account under a section (Income/Ingresos, Cost of Goods Sold/Costo de ventas, \
                               Expenses/Gastos de operación, Other Income/Otros ingresos, Other Expenses/Otros \
                               gastos, or a balance sheet's Assets/Activo), or a Total row"
                        .into(),
                });
                continue;
            }
            Some(Section::Assets) => {
                if cash_group.is_some() || matches(&cash, &label) {
                    fields.push((Field::CashEnd, false));
                }
            }
            Some(Section::Claims) => {}
            Some(s) => {
                let class = accounts.and_then(|a| {
                    [
                        (&a.other_income, Section::OtherIncome),
                        (&a.revenue, Section::Revenue),
                        (&a.cogs, Section::Cogs),
                        (&a.opex, Section::Opex),
                    ]
                    .into_iter()
                    .find(|(p, _)| matches(p, &label))
                    .map(|(_, s)| s)
                });
                let s = class.unwrap_or(s);
                match s {
                    Section::Revenue => fields.push((Field::Revenue, false)),
                    Section::Cogs | Section::Opex => {
                        fields.push((if s == Section::Cogs { Field::Cogs } else { Field::Opex }, false));
                        if matches(&marketing, &label) {
                            fields.push((Field::SalesMarketing, false));
                        } else if matches(&depreciation, &label) {
                            fields.push((Field::Depreciation, false));
                        }
                    }
                    Section::OtherIncome => fields.push((Field::OtherIncome, false)),
                    Section::OtherExpenses => fields.push((Field::OtherIncome, true)),
                    Section::Assets | Section::Claims => {}
                }
            }
        }
        if fields.is_empty() {
            line(RowUse::ReadPast);
            continue;
        }
        let mut amounts: Vec<(Month, Decimal)> = Vec::new();
        for (c, m) in &filled {
            let cell = &cells[*c];
            match number(cell, decimal_comma) {
                Ok(Some(v)) => amounts.push((*m, v)),
                Ok(None) => {}
                Err(expected) => problems.push(Problem {
                    row: Some(*row),
                    file: None,
                    column: Some(format!("{} ({m})", col_letter(*c as u32))),
                    value: Some(shorten(&cell.display())),
                    expected,
                }),
            }
        }
        for (f, _) in &fields {
            if !found.contains(f) {
                found.push(*f);
            }
        }
        for (m, v) in &amounts {
            for (f, minus) in &fields {
                let slot = values.entry(*m).or_default().entry(*f).or_default();
                *slot += if *minus { -*v } else { *v };
            }
        }
        line(RowUse::Account(fields));
    }
    if statement == Statement::ProfitAndLoss {
        for f in PNL_FIELDS {
            if !found.contains(&f) {
                found.push(f);
            }
        }
        if !lines.iter().any(|l| l.used == RowUse::Section) {
            problems.push(Problem {
                row: None,
                file: None,
                column: None,
                value: None,
                expected: "a P&L's sections (Income/Ingresos, Expenses/Gastos…) or a balance sheet's \
                           Assets/Activo below the months"
                    .into(),
            });
        }
    } else if !found.contains(&Field::CashEnd) {
        problems.push(Problem {
            row: None,
            file: None,
            column: None,
            value: None,
            expected: "bank or cash accounts under Assets/Activo (a group such as Bank Accounts or Bancos, \
                       or accounts the cash patterns name)"
                .into(),
        });
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(MAX_LISTED);
        problems.truncate(MAX_LISTED);
        return Err(ImportError {
            file: label,
            problems,
            more,
        });
    }
    let months: Vec<Month> = {
        let mut v: Vec<Month> = columns.iter().map(|(_, m)| *m).collect();
        v.sort();
        v
    };
    // Every field found is set in every month (zero where the month's cells were empty).
    for m in &months {
        let e = values.entry(*m).or_default();
        for f in &found {
            e.entry(*f).or_default();
        }
    }
    Ok(Across {
        label,
        statement,
        months,
        values,
        lines,
    })
}

/// The company's months with what the statements found set over them: each
/// month keeps every field no statement gave. A month that would end up
/// without a required field is refused, naming it.
pub fn merge(existing: &[MonthlyFinancials], statements: &[Across]) -> Result<Vec<MonthlyFinancials>, ImportError> {
    let mut by_month: BTreeMap<Month, BTreeMap<Field, Decimal>> = BTreeMap::new();
    for s in statements {
        for (m, fields) in &s.values {
            let e = by_month.entry(*m).or_default();
            for (f, v) in fields {
                *e.entry(*f).or_default() += *v;
            }
        }
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut gaps: Vec<(String, Vec<Month>)> = Vec::new();
    for (m, fields) in by_month {
        let old = existing.iter().find(|x| x.month == m);
        let get = |f: Field| fields.get(&f).copied();
        let required = |f: Field, old: Option<Decimal>| get(f).or(old);
        let (revenue, cogs, opex, cash_end) = (
            required(Field::Revenue, old.map(|o| o.revenue)),
            required(Field::Cogs, old.map(|o| o.cogs)),
            required(Field::Opex, old.map(|o| o.opex)),
            required(Field::CashEnd, old.map(|o| o.cash_end)),
        );
        let missing: Vec<&str> = [
            (Field::Revenue, revenue),
            (Field::Cogs, cogs),
            (Field::Opex, opex),
            (Field::CashEnd, cash_end),
        ]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(f, _)| f.name())
        .collect();
        if !missing.is_empty() {
            // Months missing the same fields are one problem.
            let what = missing.join(", ");
            match gaps.iter_mut().find(|(w, _)| *w == what) {
                Some((_, months)) => months.push(m),
                None => gaps.push((what, vec![m])),
            }
            continue;
        }
        let opt = |f: Field, old: Option<Decimal>| get(f).or(old);
        out.push(MonthlyFinancials {
            month: m,
            revenue: revenue.unwrap_or_default(),
            cogs: cogs.unwrap_or_default(),
            opex: opex.unwrap_or_default(),
            sales_marketing: opt(Field::SalesMarketing, old.and_then(|o| o.sales_marketing)),
            depreciation: opt(Field::Depreciation, old.and_then(|o| o.depreciation)),
            other_income: opt(Field::OtherIncome, old.and_then(|o| o.other_income)),
            financing: old.and_then(|o| o.financing),
            cash_end: cash_end.unwrap_or_default(),
            customers_new: old.and_then(|o| o.customers_new),
            customers_churned: old.and_then(|o| o.customers_churned),
            customers_end: old.and_then(|o| o.customers_end),
        });
    }
    for (what, months) in gaps {
        let when = match months.as_slice() {
            [one] => one.to_string(),
            [first, .., last] => format!("{first} to {last} ({} months)", months.len()),
            [] => continue,
        };
        problems.push(Problem {
            row: None,
            file: None,
            column: None,
            value: None,
            expected: format!(
                "{what} for {when}: not in the store yet and in no file given (a P&L gives revenue, cogs \
                 and opex, a balance sheet cash_end: import both together)"
            ),
        });
    }
    if !problems.is_empty() {
        let file = statements
            .iter()
            .map(|s| s.label.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let more = problems.len().saturating_sub(MAX_LISTED);
        problems.truncate(MAX_LISTED);
        return Err(ImportError { file, problems, more });
    }
    Ok(out)
}

/// Each row and what it became, for `--dry-run`.
pub fn describe(a: &Across) -> Vec<(u64, String, String)> {
    a.lines
        .iter()
        .map(|l| {
            let what = match &l.used {
                RowUse::Account(fields) => fields
                    .iter()
                    .map(|(f, minus)| format!("{}{}", if *minus { "−" } else { "" }, f.name()))
                    .collect::<Vec<_>>()
                    .join(" + "),
                RowUse::Section => "section".into(),
                RowUse::Subtotal => "subtotal (read past)".into(),
                RowUse::ReadPast => "read past".into(),
                RowUse::Group => "group".into(),
            };
            (l.row, l.label.clone(), what)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn month_headers_in_every_spelling() {
        let jan = Month::new(2025, 1);
        for s in [
            "Jan 2025",
            "January 2025",
            "ene-25",
            "Enero 2025",
            "enero de 2025",
            "2025-01",
            "01/2025",
            "1/2025",
            "31 Jan 2025",
            "Jan-25",
            "ENE 2025",
            "2025-01-31",
        ] {
            assert_eq!(month_of(&t(s)), jan, "{s}");
        }
        assert_eq!(month_of(&t("Sept 2025")), Month::new(2025, 9));
        assert_eq!(month_of(&t("dic-24")), Month::new(2024, 12));
        for s in ["Total", "Notes", "2025", "13/2025", "Q1 2025", "Jan"] {
            assert_eq!(month_of(&t(s)), None, "{s}");
        }
    }

    #[test]
    fn subtotals_are_whole_phrases_and_accounts_named_alike_are_kept() {
        for sub in [
            "total income",
            "gross profit",
            "net income",
            "net other income",
            "utilidad bruta",
            "utilidad neta",
            "perdida neta",
            "utilidad (perdida) neta",
            "margen bruto",
            "total",
        ] {
            assert!(is_subtotal(sub), "{sub}");
        }
        for account in [
            "net sales",
            "utilidad cambiaria",
            "perdida cambiaria",
            "totalplay servicios",
            "margenes",
        ] {
            assert!(!is_subtotal(account), "{account}");
        }
        // In a statement: foreign-exchange gain and loss are accounts of their sections.
        let cell = |s: &str| Cell::Text(s.into());
        let sheet = Sheet {
            label: "fx.csv".into(),
            rows: [
                vec![cell(""), cell("Jan 2025")],
                vec![cell("Ingresos")],
                vec![cell("Ventas netas"), cell("1000")],
                vec![cell("Otros ingresos")],
                vec![cell("Utilidad cambiaria"), cell("50")],
                vec![cell("Otros gastos")],
                vec![cell("Pérdida cambiaria"), cell("20")],
                vec![cell("Utilidad neta"), cell("1030")],
            ]
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i as u64 + 1, r))
            .collect(),
            merged: Vec::new(),
        };
        let a = read(&sheet, None, false).unwrap();
        let jan = &a.values[&Month::new(2025, 1).unwrap()];
        assert_eq!(jan[&Field::Revenue], Decimal::from(1000));
        assert_eq!(jan[&Field::OtherIncome], Decimal::from(30));
    }

    #[test]
    fn numbers_as_statements_write_them() {
        let n = |s: &str, dc: bool| number(&t(s), dc).unwrap();
        let d = |s: &str| Some(s.parse::<Decimal>().unwrap());
        assert_eq!(n("1,234.56", false), d("1234.56"));
        assert_eq!(n("(1,234.56)", false), d("-1234.56"));
        assert_eq!(n("$ 80.00", false), d("80.00"));
        assert_eq!(n("1.234,56", true), d("1234.56"));
        assert_eq!(n("(1.234,56)", true), d("-1234.56"));
        assert_eq!(n("", false), None);
        assert!(number(&t("12 apples"), false).is_err());
    }
}
