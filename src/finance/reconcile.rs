//! Reconciliation: which open invoices a bank receipt pays (docs/reconcile.md).
//! Pure: the store reads the unmatched lines, the open balances, the learned
//! payer texts and the CFDI payment complements; this proposes, line by line
//! in booking order, each proposal taking what it allocates from the balances
//! the next one sees — so no two proposals ever pay the same money.
//!
//! Tiers, strongest first:
//! - `reference`: the description or reference names open invoices (their
//!   number, CFDI UUID or its first 8 characters);
//! - `payer`: the counterparty or description names one customer (its name,
//!   accent- and case-insensitive, or a payer text an accepted match taught)
//!   and the amount is one of its open balances, or the sum of two or three of
//!   them (oldest first);
//! - `partial`: a known payer, less than its oldest open balance: to the oldest;
//! - `amount`: no payer, one open invoice in the whole company with exactly
//!   that balance, due within 15 days of the receipt.
//!
//! A receipt equal to a payment a CFDI payment complement already applied
//! (same invoice, same amount, within 5 days) confirms it instead of paying
//! twice.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// Days either side of an invoice's due date an `amount` match accepts.
pub const AMOUNT_DAYS: i64 = 15;
/// Days between a CFDI payment complement and the receipt that confirms it.
pub const CONFIRM_DAYS: i64 = 5;
/// How many of a customer's oldest open invoices a sum of two or three is sought among.
const SUM_WINDOW: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Reference,
    Payer,
    Partial,
    Amount,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Reference => "reference",
            Tier::Payer => "payer",
            Tier::Partial => "partial",
            Tier::Amount => "amount",
        }
    }

    /// Whether `reconcile --auto` accepts it.
    pub fn automatic(self) -> bool {
        matches!(self, Tier::Reference | Tier::Payer)
    }
}

/// An invoice with money still to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub number: String,
    pub customer: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Amount less what is paid.
    pub open: Decimal,
    /// Its CFDI UUID, when it came from one.
    pub uuid: Option<String>,
}

/// A payment a CFDI payment complement applied to an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CfdiPayment {
    /// The complement's UUID.
    pub uuid: String,
    pub number: String,
    pub customer: String,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// A bank line as matching reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineText {
    pub id: i64,
    pub date: NaiveDate,
    pub amount: Decimal,
    pub description: String,
    pub counterparty: String,
    pub reference: String,
}

/// Part of a line applied to one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub number: String,
    pub customer: String,
    #[serde(serialize_with = "crate::domain::money_serde")]
    pub amount: Decimal,
    /// The CFDI payment complement this receipt confirms (not counted again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirms: Option<String>,
}

/// Why a proposal was made, said in either language by [`Reason::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The text names these invoice numbers or UUIDs.
    Names(Vec<String>),
    /// The payer is this customer (learned from an accepted match when `alias`).
    Payer {
        customer: String,
        alias: bool,
        invoices: usize,
    },
    /// A known payer paying less than its oldest open balance.
    Partial { customer: String, open: Decimal },
    /// The only open invoice with this balance, due `days` from the receipt.
    Amount { days: i64 },
    /// Confirms the CFDI payment complement `uuid` dated `date`.
    Confirms { uuid: String, date: NaiveDate },
}

impl Reason {
    /// In Spanish when `es`, else English.
    pub fn text(&self, es: bool) -> String {
        match self {
            Reason::Names(n) if es => format!("el texto nombra {}", n.join(", ")),
            Reason::Names(n) => format!("the text names {}", n.join(", ")),
            Reason::Payer {
                customer,
                alias,
                invoices,
            } => {
                let how = match (alias, es) {
                    (true, true) => "pagador aprendido",
                    (true, false) => "learned payer",
                    (false, true) => "pagador",
                    (false, false) => "payer",
                };
                match (invoices, es) {
                    (1, true) => format!("{how} {customer}, el importe es un saldo abierto"),
                    (1, false) => format!("{how} {customer}, the amount is an open balance"),
                    (n, true) => format!("{how} {customer}, el importe suma {n} saldos abiertos"),
                    (n, false) => format!("{how} {customer}, the amount sums {n} open balances"),
                }
            }
            Reason::Partial { customer, open } if es => {
                format!("pago parcial de {customer} (saldo más antiguo {})", two(*open))
            }
            Reason::Partial { customer, open } => {
                format!("partial payment from {customer} (oldest balance {})", two(*open))
            }
            Reason::Amount { days } => {
                let n = days.abs();
                match (es, *days < 0) {
                    (true, true) => format!("único saldo abierto con ese importe, vencido {n} días antes del cobro"),
                    (true, false) => format!("único saldo abierto con ese importe, vence {n} días después del cobro"),
                    (false, true) => format!("the only open balance of that amount, due {n} days before the receipt"),
                    (false, false) => format!("the only open balance of that amount, due {n} days after the receipt"),
                }
            }
            Reason::Confirms { uuid, date } if es => {
                format!("confirma el complemento de pago {uuid} del {date}")
            }
            Reason::Confirms { uuid, date } => format!("confirms CFDI payment complement {uuid} of {date}"),
        }
    }
}

/// Money with exactly two decimals, for reasons and messages.
fn two(d: Decimal) -> Decimal {
    let mut x = d.round_dp(2);
    x.rescale(2);
    x
}

/// What one receipt pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub line_id: i64,
    pub tier: Tier,
    pub reason: Reason,
    pub allocations: Vec<Allocation>,
}

impl Proposal {
    pub fn total(&self) -> Decimal {
        self.allocations.iter().map(|a| a.amount).sum()
    }
}

/// Text folded for comparison: lower case, accents removed, `.` and `,`
/// dropped (`S.A. de C.V.` → `sa de cv`), any other non-alphanumeric a
/// space, spaces collapsed.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
        if c == '.' || c == ',' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The payer's text an accepted match remembers: the counterparty folded,
/// else the description folded.
pub fn payer_text(line: &LineText) -> String {
    let c = fold(&line.counterparty);
    if c.is_empty() { fold(&line.description) } else { c }
}

/// Legal forms dropped from a customer's name for a second, shorter match
/// (`Acme Industrial S.A. de C.V.` is also found as `acme industrial`).
const LEGAL_FORMS: &[&str] = &[
    " s de rl de cv",
    " sapi de cv",
    " sab de cv",
    " sa de cv",
    " sc",
    " sas",
    " sa",
    " ltda",
    " llc",
    " inc",
    " ltd",
    " srl",
];

fn core_name(folded: &str) -> Option<&str> {
    LEGAL_FORMS
        .iter()
        .find_map(|f| folded.strip_suffix(f))
        .filter(|c| c.chars().count() >= 4)
}

/// Whether folded `needle` is in folded `hay` as whole words.
fn has_words(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, _)| {
        let before = i == 0 || hay.as_bytes()[i - 1] == b' ';
        let end = i + needle.len();
        let after = end == hay.len() || hay.as_bytes()[end] == b' ';
        before && after
    })
}

/// The tokens of a line's text that may be an invoice number or a UUID:
/// split on whitespace and punctuation other than `-`, `/`, `_` and `.`,
/// trailing `.`/`-`/`/` trimmed, upper case.
fn tokens(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '/' | '_' | '.')))
        .map(|t| t.trim_end_matches(['.', '-', '/']).trim_start_matches(['.', '-', '/']))
        .filter(|t| !t.is_empty())
        .map(str::to_uppercase)
}

/// The open invoices, the payers known and the CFDI payments, as one line
/// after another takes from them.
pub struct Matcher {
    open: Vec<OpenInvoice>,
    by_number: HashMap<String, usize>,
    by_uuid: HashMap<String, usize>,
    by_uuid8: HashMap<String, Vec<usize>>,
    by_customer: HashMap<String, Vec<usize>>,
    by_amount: HashMap<Decimal, Vec<usize>>,
    /// (folded name, its core without the legal form, customer)
    names: Vec<(String, Option<String>, String)>,
    aliases: HashMap<String, String>,
    cfdi: Vec<(CfdiPayment, bool)>,
}

impl Matcher {
    /// `open`: every invoice with a balance; `aliases`: folded payer text →
    /// customer; `cfdi`: the complements' payments not yet confirmed by a receipt.
    pub fn new(mut open: Vec<OpenInvoice>, aliases: HashMap<String, String>, cfdi: Vec<CfdiPayment>) -> Matcher {
        open.sort_by(|a, b| (a.issue_date, a.due_date, &a.number).cmp(&(b.issue_date, b.due_date, &b.number)));
        let mut m = Matcher {
            by_number: HashMap::new(),
            by_uuid: HashMap::new(),
            by_uuid8: HashMap::new(),
            by_customer: HashMap::new(),
            by_amount: HashMap::new(),
            names: Vec::new(),
            aliases,
            cfdi: cfdi.into_iter().map(|c| (c, false)).collect(),
            open: Vec::new(),
        };
        let mut customers: Vec<&str> = Vec::new();
        for (i, inv) in open.iter().enumerate() {
            m.by_number.insert(inv.number.to_uppercase(), i);
            if let Some(u) = &inv.uuid {
                let u = u.to_uppercase();
                if u.len() >= 8 {
                    m.by_uuid8.entry(u[..8].to_owned()).or_default().push(i);
                }
                m.by_uuid.insert(u, i);
            }
            m.by_customer.entry(inv.customer.clone()).or_default().push(i);
            m.by_amount.entry(inv.open.normalize()).or_default().push(i);
            customers.push(&inv.customer);
        }
        let mut all: Vec<String> = customers.into_iter().map(str::to_owned).collect();
        all.extend(m.cfdi.iter().map(|(c, _)| c.customer.clone()));
        all.extend(m.aliases.values().cloned());
        all.sort();
        all.dedup();
        m.names = all
            .into_iter()
            .map(|c| {
                let f = fold(&c);
                let core = core_name(&f).map(str::to_owned);
                (f, core, c)
            })
            .filter(|(f, _, _)| !f.is_empty())
            .collect();
        m.open = open;
        m
    }

    /// The open balance of invoice `number` as proposals so far left it.
    pub fn open_of(&self, number: &str) -> Option<Decimal> {
        self.by_number.get(&number.to_uppercase()).map(|&i| self.open[i].open)
    }

    /// The customer a line's text names: a learned payer text first, else the
    /// longest customer name (or its core) found in counterparty and
    /// description; none when two customers tie.
    pub fn payer(&self, line: &LineText) -> Option<(String, bool)> {
        if let Some(c) = self.aliases.get(&payer_text(line)) {
            return Some((c.clone(), true));
        }
        let hay = fold(&format!("{} {}", line.counterparty, line.description));
        let mut best: Option<(usize, &str)> = None;
        let mut tie = false;
        for (full, core, customer) in &self.names {
            let len = if has_words(&hay, full) {
                full.len()
            } else if core.as_deref().is_some_and(|c| has_words(&hay, c)) {
                core.as_deref().map_or(0, str::len)
            } else {
                continue;
            };
            match best {
                Some((l, c)) if l == len && c != customer => tie = true,
                Some((l, _)) if l >= len => {}
                _ => {
                    best = Some((len, customer));
                    tie = false;
                }
            }
        }
        if tie {
            return None;
        }
        best.map(|(_, c)| (c.to_owned(), false))
    }

    /// The open invoices the line's description or reference names, oldest first.
    fn named(&self, line: &LineText) -> Vec<usize> {
        let mut found = Vec::new();
        for t in tokens(&line.description).chain(tokens(&line.reference)) {
            if let Some(&i) = self.by_number.get(&t).or_else(|| self.by_uuid.get(&t)) {
                found.push(i);
            } else if t.len() == 8
                && t.bytes().all(|b| b.is_ascii_hexdigit())
                && let Some(v) = self.by_uuid8.get(&t)
                && v.len() == 1
            {
                found.push(v[0]);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The invoice numbers (upper case) a line's text names, paid or not.
    fn names_numbers(&self, line: &LineText) -> Vec<String> {
        tokens(&line.description).chain(tokens(&line.reference)).collect()
    }

    fn alloc(&self, i: usize, amount: Decimal) -> Allocation {
        Allocation {
            number: self.open[i].number.clone(),
            customer: self.open[i].customer.clone(),
            amount,
            confirms: None,
        }
    }

    /// What `line` pays, against the balances as earlier proposals left them;
    /// `None` for money out, or when nothing fits.
    pub fn propose(&self, line: &LineText) -> Option<Proposal> {
        if line.amount <= Decimal::ZERO {
            return None;
        }
        let payer = self.payer(line);
        // A receipt that a CFDI payment complement already accounted for.
        let named = self.names_numbers(line);
        let confirm = self.cfdi.iter().find(|(c, used)| {
            !used
                && c.amount == line.amount
                && (c.date - line.date).num_days().abs() <= CONFIRM_DAYS
                && (named.contains(&c.number.to_uppercase()) || payer.as_ref().is_some_and(|(p, _)| *p == c.customer))
        });
        if let Some((c, _)) = confirm {
            let by_name = named.contains(&c.number.to_uppercase());
            return Some(Proposal {
                line_id: line.id,
                tier: if by_name { Tier::Reference } else { Tier::Payer },
                reason: Reason::Confirms {
                    uuid: c.uuid.clone(),
                    date: c.date,
                },
                allocations: vec![Allocation {
                    number: c.number.clone(),
                    customer: c.customer.clone(),
                    amount: c.amount,
                    confirms: Some(c.uuid.clone()),
                }],
            });
        }
        // Named invoices: the receipt over them, oldest first.
        let named: Vec<usize> = self
            .named(line)
            .into_iter()
            .filter(|&i| self.open[i].open > Decimal::ZERO)
            .collect();
        if !named.is_empty() {
            let mut left = line.amount;
            let mut allocations = Vec::new();
            for &i in &named {
                let take = left.min(self.open[i].open);
                if take > Decimal::ZERO {
                    allocations.push(self.alloc(i, take));
                    left -= take;
                }
            }
            return Some(Proposal {
                line_id: line.id,
                tier: Tier::Reference,
                reason: Reason::Names(named.iter().map(|&i| self.open[i].number.clone()).collect()),
                allocations,
            });
        }
        if let Some((customer, alias)) = payer {
            let mine: Vec<usize> = self
                .by_customer
                .get(&customer)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| self.open[i].open > Decimal::ZERO)
                        .collect()
                })
                .unwrap_or_default();
            let first = *mine.first()?;
            // One open balance equal to the receipt (the oldest such), else two or three of them.
            let set = match mine.iter().find(|&&i| self.open[i].open == line.amount) {
                Some(&i) => Some(vec![i]),
                None => self.sum_of(&mine[..mine.len().min(SUM_WINDOW)], line.amount),
            };
            if let Some(set) = set {
                return Some(Proposal {
                    line_id: line.id,
                    tier: Tier::Payer,
                    reason: Reason::Payer {
                        customer,
                        alias,
                        invoices: set.len(),
                    },
                    allocations: set.iter().map(|&i| self.alloc(i, self.open[i].open)).collect(),
                });
            }
            if line.amount < self.open[first].open {
                return Some(Proposal {
                    line_id: line.id,
                    tier: Tier::Partial,
                    reason: Reason::Partial {
                        customer,
                        open: self.open[first].open,
                    },
                    allocations: vec![self.alloc(first, line.amount)],
                });
            }
            return None;
        }
        let same: Vec<usize> = self
            .by_amount
            .get(&line.amount.normalize())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| {
                        self.open[i].open == line.amount
                            && (self.open[i].due_date - line.date).num_days().abs() <= AMOUNT_DAYS
                    })
                    .collect()
            })
            .unwrap_or_default();
        match same.as_slice() {
            [i] => Some(Proposal {
                line_id: line.id,
                tier: Tier::Amount,
                reason: Reason::Amount {
                    days: (self.open[*i].due_date - line.date).num_days(),
                },
                allocations: vec![self.alloc(*i, line.amount)],
            }),
            _ => None,
        }
    }

    /// The first two or three of `set` (oldest first, lexicographically) whose open balances sum to `amount`.
    fn sum_of(&self, set: &[usize], amount: Decimal) -> Option<Vec<usize>> {
        let open = |i: usize| self.open[set[i]].open;
        let n = set.len();
        for a in 0..n {
            for b in a + 1..n {
                if open(a) + open(b) == amount {
                    return Some(vec![set[a], set[b]]);
                }
            }
        }
        for a in 0..n {
            for b in a + 1..n {
                let ab = open(a) + open(b);
                if ab >= amount {
                    continue;
                }
                for c in b + 1..n {
                    if ab + open(c) == amount {
                        return Some(vec![set[a], set[b], set[c]]);
                    }
                }
            }
        }
        None
    }

    /// Takes what `allocations` pay from the balances (and marks a confirmed
    /// complement used), so the next line sees what is left.
    pub fn take(&mut self, allocations: &[Allocation]) {
        for a in allocations {
            if let Some(uuid) = &a.confirms {
                if let Some(c) = self
                    .cfdi
                    .iter_mut()
                    .find(|(c, _)| &c.uuid == uuid && c.number == a.number)
                {
                    c.1 = true;
                }
                continue;
            }
            if let Some(&i) = self.by_number.get(&a.number.to_uppercase()) {
                self.open[i].open -= a.amount;
            }
        }
    }

    /// Proposals for `lines` in booking order (date, then id), each taking
    /// from the balances the next one sees.
    pub fn propose_all(&mut self, lines: &[LineText]) -> Vec<Proposal> {
        let mut order: Vec<&LineText> = lines.iter().collect();
        order.sort_by_key(|l| (l.date, l.id));
        let mut out = Vec::new();
        for l in order {
            if let Some(p) = self.propose(l) {
                self.take(&p.allocations);
                out.push(p);
            }
        }
        out
    }
}

/// Why an allocation cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("line {line} is money out ({amount}): only receipts pay invoices")]
    NotReceipt { line: i64, amount: Decimal },
    #[error("{number}: an amount must be more than 0 (got {amount})")]
    NotPositive { number: String, amount: Decimal },
    #[error("no invoice {0} in this company")]
    UnknownInvoice(String),
    #[error(
        "line {line} ({line_amount}) cannot pay {allocated} in all: {already} of it is already applied, {left} is left"
    )]
    OverLine {
        line: i64,
        line_amount: Decimal,
        allocated: Decimal,
        already: Decimal,
        left: Decimal,
    },
    #[error("line {line} would overpay invoice {number}: {amount} is more than its open balance {open}")]
    OverInvoice {
        line: i64,
        number: String,
        amount: Decimal,
        open: Decimal,
    },
}

/// Checks an allocation of line `line` (its `amount`, `already` applied)
/// against each invoice's open balance (`open`: `None` for an unknown
/// invoice). An invoice named twice counts both parts against its balance.
pub fn check_allocation(
    line: i64,
    amount: Decimal,
    already: Decimal,
    allocations: &[Allocation],
    open: impl Fn(&str) -> Option<Decimal>,
) -> Result<(), AllocationError> {
    let r2 = two;
    if amount <= Decimal::ZERO {
        return Err(AllocationError::NotReceipt {
            line,
            amount: r2(amount),
        });
    }
    let mut per: Vec<(&str, Decimal)> = Vec::new();
    for a in allocations {
        if a.amount <= Decimal::ZERO {
            return Err(AllocationError::NotPositive {
                number: a.number.clone(),
                amount: a.amount,
            });
        }
        if a.confirms.is_some() {
            continue;
        }
        match per.iter_mut().find(|(n, _)| *n == a.number) {
            Some((_, s)) => *s += a.amount,
            None => per.push((&a.number, a.amount)),
        }
    }
    let total: Decimal = allocations.iter().map(|a| a.amount).sum();
    if already + total > amount {
        return Err(AllocationError::OverLine {
            line,
            line_amount: r2(amount),
            allocated: r2(total),
            already: r2(already),
            left: r2(amount - already),
        });
    }
    for (number, s) in per {
        let o = open(number).ok_or_else(|| AllocationError::UnknownInvoice(number.to_owned()))?;
        if s > o {
            return Err(AllocationError::OverInvoice {
                line,
                number: number.to_owned(),
                amount: r2(s),
                open: r2(o),
            });
        }
    }
    Ok(())
}

/// An invoice's paid amount and date from its parts: what its imports state
/// (`stated`) and the payments counted (`paid`: their sum and latest date).
pub fn combine(
    stated: (Decimal, Option<NaiveDate>),
    paid: (Decimal, Option<NaiveDate>),
) -> (Decimal, Option<NaiveDate>) {
    let total = stated.0 + paid.0;
    let date = if total > Decimal::ZERO {
        let s = stated.1.filter(|_| stated.0 > Decimal::ZERO);
        let p = paid.1.filter(|_| paid.0 > Decimal::ZERO);
        s.max(p)
    } else {
        None
    };
    (total, date)
}

/// What an import (or an edit) saying `word` leaves as the import's part,
/// when the invoice's other payments already sum `paid`: the word is the
/// total paid so far, and what the bank already paid counts toward it.
pub fn restate(word: (Decimal, Option<NaiveDate>), paid: Decimal) -> (Decimal, Option<NaiveDate>) {
    let part = (word.0 - paid).max(Decimal::ZERO);
    (part, if part > Decimal::ZERO { word.1 } else { None })
}

/// A bank line as the month so far counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedLine {
    pub amount: Decimal,
    /// What payments of invoices take of it.
    pub allocated: Decimal,
    /// Its category: set by hand, else the first rule's (none for a rule that sends it to matching).
    pub category: Option<crate::finance::rules::Category>,
}

/// The month after the latest closed month, from the bank: provisional
/// figures signed as the monthly financials (costs positive).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonthToDate {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Receipts matched to invoices plus lines categorised `revenue`.
    pub revenue: Decimal,
    pub cogs: Decimal,
    /// Every operating cost, `sales_marketing` included (as in the financials).
    pub opex: Decimal,
    pub sales_marketing: Decimal,
    pub other_income: Decimal,
    pub financing: Decimal,
    /// Every line but `transfer` and `ignore`, signed.
    pub net_cash_flow: Decimal,
    /// What no match or rule covers, signed.
    pub uncategorised: Decimal,
    pub lines: usize,
}

/// Sums the month's lines (docs/reconcile.md#the-month-so-far): a matched
/// receipt's allocated part is revenue, the rest of it goes by its category
/// like any other line; `transfer` and `ignore` count nowhere.
pub fn month_to_date(from: NaiveDate, to: NaiveDate, lines: &[CountedLine]) -> MonthToDate {
    use crate::finance::rules::Category as C;
    let mut m = MonthToDate {
        from,
        to,
        lines: lines.len(),
        ..MonthToDate::default()
    };
    for l in lines {
        if matches!(l.category, Some(C::Transfer | C::Ignore)) {
            continue;
        }
        m.net_cash_flow += l.amount;
        let allocated = if l.amount > Decimal::ZERO {
            l.allocated.min(l.amount)
        } else {
            Decimal::ZERO
        };
        m.revenue += allocated;
        let rest = l.amount - allocated;
        if rest.is_zero() {
            continue;
        }
        match l.category {
            Some(C::Revenue) => m.revenue += rest,
            Some(C::Cogs) => m.cogs -= rest,
            Some(C::Opex) => m.opex -= rest,
            Some(C::SalesMarketing) => {
                m.opex -= rest;
                m.sales_marketing -= rest;
            }
            Some(C::OtherIncome) => m.other_income += rest,
            Some(C::Financing) => m.financing += rest,
            Some(C::Transfer | C::Ignore) => {}
            None => m.uncategorised += rest,
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn inv(n: &str, c: &str, issue: &str, due: &str, open: i64) -> OpenInvoice {
        OpenInvoice {
            number: n.into(),
            customer: c.into(),
            issue_date: d(issue),
            due_date: d(due),
            open: Decimal::from(open),
            uuid: None,
        }
    }
    fn line(id: i64, date: &str, amount: i64, desc: &str, cp: &str) -> LineText {
        LineText {
            id,
            date: d(date),
            amount: Decimal::from(amount),
            description: desc.into(),
            counterparty: cp.into(),
            reference: String::new(),
        }
    }

    #[test]
    fn folds_accents_case_and_legal_punctuation() {
        assert_eq!(
            fold("  Comercializadora Ñandú, S.A. de C.V. "),
            "comercializadora nandu sa de cv"
        );
        assert_eq!(core_name("acme industrial sa de cv"), Some("acme industrial"));
        assert!(has_words("spei recibido acme industrial", "acme industrial"));
        assert!(!has_words("spei recibido acmex", "acme"));
    }

    #[test]
    fn tiers_in_order_and_balances_taken() {
        let open = vec![
            inv("F-001", "Acme S.A. de C.V.", "2026-01-01", "2026-01-31", 1000),
            inv("F-002", "Acme S.A. de C.V.", "2026-01-05", "2026-02-04", 500),
            inv("F-003", "Beta", "2026-01-06", "2026-02-05", 700),
            inv("F-004", "Gamma", "2026-01-07", "2026-02-06", 700),
            inv("F-0010", "Delta", "2026-01-08", "2026-02-07", 300),
        ];
        let mut m = Matcher::new(open, HashMap::new(), vec![]);
        let lines = vec![
            line(1, "2026-02-01", 300, "SPEI PAGO FACT F-0010.", ""),
            line(2, "2026-02-02", 1500, "SPEI RECIBIDO", "ACME SA DE CV"),
            line(3, "2026-02-03", 700, "DEPOSITO", ""),
        ];
        let ps = m.propose_all(&lines);
        assert_eq!(ps.len(), 2, "{ps:?}");
        assert_eq!(ps[0].tier, Tier::Reference);
        assert_eq!(ps[0].allocations[0].number, "F-0010");
        assert_eq!(ps[1].tier, Tier::Payer);
        assert_eq!(ps[1].allocations.len(), 2);
        // Two open invoices of 700 (Beta and Gamma): no amount match.
        assert_eq!(m.open_of("F-001"), Some(Decimal::ZERO));
        let partial = m.propose(&line(4, "2026-02-03", 200, "Pago Beta", ""));
        assert_eq!(partial.map(|p| p.tier), Some(Tier::Partial));
    }

    #[test]
    fn allocation_limits_name_both_sides() {
        let open = |n: &str| (n == "F-1").then_some(Decimal::from(100));
        let a = |n: &str, x: i64| Allocation {
            number: n.into(),
            customer: "C".into(),
            amount: Decimal::from(x),
            confirms: None,
        };
        assert!(check_allocation(7, Decimal::from(150), Decimal::ZERO, &[a("F-1", 100)], open).is_ok());
        let e = check_allocation(7, Decimal::from(150), Decimal::ZERO, &[a("F-1", 120)], open).unwrap_err();
        assert!(e.to_string().contains("F-1") && e.to_string().contains("line 7"), "{e}");
        let e = check_allocation(7, Decimal::from(150), Decimal::from(100), &[a("F-1", 60)], open).unwrap_err();
        assert!(matches!(e, AllocationError::OverLine { .. }), "{e}");
        let e = check_allocation(7, Decimal::from(150), Decimal::ZERO, &[a("F-9", 10)], open).unwrap_err();
        assert_eq!(e, AllocationError::UnknownInvoice("F-9".into()));
    }

    #[test]
    fn the_month_so_far_signs_costs_positive_and_skips_transfers() {
        use crate::finance::rules::Category as C;
        let n = Decimal::from;
        let l = |amount: i64, allocated: i64, category: Option<C>| CountedLine {
            amount: n(amount),
            allocated: n(allocated),
            category,
        };
        let m = month_to_date(
            d("2026-11-01"),
            d("2026-11-20"),
            &[
                l(1000, 1000, None),
                l(500, 300, Some(C::Revenue)),
                l(250, 0, None),
                l(-100, 0, Some(C::Opex)),
                l(-40, 0, Some(C::SalesMarketing)),
                l(-60, 0, Some(C::Cogs)),
                l(-5000, 0, Some(C::Transfer)),
                l(2000, 0, Some(C::Financing)),
                l(-7, 0, None),
            ],
        );
        assert_eq!(
            (m.revenue, m.cogs, m.opex, m.sales_marketing),
            (n(1500), n(60), n(140), n(40))
        );
        assert_eq!((m.financing, m.uncategorised), (n(2000), n(243)));
        assert_eq!(m.net_cash_flow, n(1000 + 500 + 250 - 100 - 40 - 60 + 2000 - 7));
        assert_eq!(
            m.net_cash_flow,
            m.revenue - m.cogs - m.opex + m.other_income + m.financing + m.uncategorised
        );
    }

    #[test]
    fn an_import_states_the_total_the_bank_counts_toward() {
        let day = |s: &str| Some(d(s));
        let z = Decimal::ZERO;
        let n = Decimal::from;
        // Imported 400 paid; the bank paid 600 more.
        assert_eq!(
            combine((n(400), day("2026-01-10")), (n(600), day("2026-02-01"))),
            (n(1000), day("2026-02-01"))
        );
        // A later export says 1000: the import's part is 400 again.
        assert_eq!(
            restate((n(1000), day("2026-02-03")), n(600)),
            (n(400), day("2026-02-03"))
        );
        // A stale export says 0: the bank's 600 stands.
        assert_eq!(restate((z, None), n(600)), (z, None));
        assert_eq!(combine((z, None), (z, None)), (z, None));
    }
}
