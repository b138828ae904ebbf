//! Reconciliation assembled for the command line and the interface alike:
//! the store's lines and open invoices, the company's rules, the kept CFDI
//! payment complements, and the engine's proposals over them
//! (`finance::reconcile`; docs/reconcile.md).

use crate::company::{LoadError, categorise};
use crate::finance::reconcile::{Allocation, CfdiPayment, Matcher, Proposal, payer_text};
use crate::finance::rules::{Action, Rules};
use crate::store::{AnyStore, LineFilter, ReconLine, ReconcileAction, ReconcileInput, Store};

/// Where a line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Money in that pays invoices.
    Matched,
    /// A proposal waits for it.
    Proposed,
    /// A category, by hand or by a rule.
    Categorised,
    /// Nothing covers it.
    Unmatched,
}

/// What reconciliation sees of a company (or of one account).
#[derive(Debug, Clone)]
pub struct Bench {
    pub input: ReconcileInput,
    pub rules: Rules,
    /// The proposals, each taking from the balances the next one sees.
    pub proposals: Vec<Proposal>,
    /// Each line's proposal (an index into `proposals`) and status, worked out once.
    by_line: std::collections::HashMap<i64, usize>,
    statuses: std::collections::HashMap<i64, Status>,
    /// The lines of each status, newest first (indexes into `input.lines`).
    by_status: std::collections::HashMap<Status, Vec<usize>>,
    /// What is not yet matched or categorised: proposed and unmatched lines, summed.
    pub outstanding: rust_decimal::Decimal,
}

/// Whether a line is matching's to propose for: money in, nothing applied,
/// not rejected, no category by hand, and no rule that categorises it.
fn wants_match(rules: &Rules, l: &ReconLine) -> bool {
    l.amount > rust_decimal::Decimal::ZERO
        && l.allocated.is_zero()
        && !l.rejected
        && l.category.is_none()
        && rules
            .first(&l.account, &l.description, &l.counterparty, l.amount)
            .is_none_or(|r| r.action == Action::MatchInvoices)
}

impl Bench {
    /// Reads and proposes. `explicit`: `--rules FILE` (text, name).
    pub async fn load(
        store: &AnyStore,
        company_id: i64,
        account: Option<&str>,
        explicit: Option<&(String, String)>,
    ) -> Result<Bench, LoadError> {
        let f = LineFilter {
            account: account.map(str::to_owned),
            ..Default::default()
        };
        let (input, rules) = tokio::try_join!(
            async { Ok::<_, LoadError>(store.reconcile_input(company_id, &f).await?) },
            crate::company::rules(store, company_id, explicit)
        )?;
        let proposals = Self::propose(&input, &rules, false);
        Ok(Bench::new(input, rules, proposals))
    }

    /// What was read, with `proposals` over it.
    pub fn new(input: ReconcileInput, rules: Rules, proposals: Vec<Proposal>) -> Bench {
        let by_line = proposals.iter().enumerate().map(|(i, p)| (p.line_id, i)).collect();
        let mut b = Bench {
            input,
            rules,
            proposals,
            by_line,
            statuses: std::collections::HashMap::new(),
            by_status: std::collections::HashMap::new(),
            outstanding: rust_decimal::Decimal::ZERO,
        };
        for (i, l) in b.input.lines.iter().enumerate().rev() {
            let status = b.work_out(l);
            b.statuses.insert(l.id, status);
            b.by_status.entry(status).or_default().push(i);
            if matches!(status, Status::Proposed | Status::Unmatched) {
                b.outstanding += l.amount;
            }
        }
        b
    }

    /// The lines of `status`, newest first.
    pub fn lines_of(&self, status: Status) -> impl Iterator<Item = &ReconLine> {
        self.by_status
            .get(&status)
            .into_iter()
            .flatten()
            .map(|&i| &self.input.lines[i])
    }

    /// Invoice parts named by hand (`NUMBER=AMOUNT`), each with its customer.
    pub fn allocations(&self, parts: Vec<(String, rust_decimal::Decimal)>) -> Vec<Allocation> {
        parts
            .into_iter()
            .map(|(number, amount)| Allocation {
                customer: self
                    .input
                    .open
                    .iter()
                    .find(|o| o.number == number)
                    .map(|o| o.customer.clone())
                    .unwrap_or_default(),
                number,
                amount,
                confirms: None,
            })
            .collect()
    }

    /// The engine's matcher over the open invoices (their UUIDs from the kept
    /// CFDI), the learned payers and the complements not yet confirmed.
    fn matcher(input: &ReconcileInput) -> Matcher {
        let (uuids, kept) = crate::import::cfdi::kept_payments(&input.cfdi);
        let mut open = input.open.clone();
        for o in &mut open {
            o.uuid = uuids.get(&o.number).cloned();
        }
        let cfdi = kept
            .into_iter()
            .filter(|k| !input.confirmed.contains(&k.uuid))
            .map(|k| CfdiPayment {
                uuid: k.uuid,
                number: k.number,
                customer: k.customer,
                date: k.date,
                amount: k.amount,
            })
            .collect();
        Matcher::new(open, input.aliases.clone(), cfdi)
    }

    /// Proposals for the lines matching is for, in booking order. With
    /// `automatic_only`, only the tiers `--auto` accepts take from the
    /// balances (the others are still proposed, and left out by the caller).
    pub fn propose(input: &ReconcileInput, rules: &Rules, automatic_only: bool) -> Vec<Proposal> {
        let mut m = Self::matcher(input);
        let mut out = Vec::new();
        for l in input.lines.iter().filter(|l| wants_match(rules, l)) {
            if let Some(p) = m.propose(&l.text()) {
                if !automatic_only || p.tier.automatic() {
                    m.take(&p.allocations);
                }
                out.push(p);
            }
        }
        out
    }

    pub fn line(&self, id: i64) -> Option<&ReconLine> {
        self.input.lines.iter().find(|l| l.id == id)
    }

    pub fn proposal(&self, line_id: i64) -> Option<&Proposal> {
        self.by_line.get(&line_id).map(|&i| &self.proposals[i])
    }

    /// Where a line stands.
    pub fn status(&self, l: &ReconLine) -> Status {
        self.statuses.get(&l.id).copied().unwrap_or_else(|| self.work_out(l))
    }

    fn work_out(&self, l: &ReconLine) -> Status {
        if !l.allocated.is_zero() {
            Status::Matched
        } else if self.proposal(l.id).is_some() {
            Status::Proposed
        } else if categorise(&self.rules, l).1.is_some() {
            Status::Categorised
        } else {
            Status::Unmatched
        }
    }
}

/// Line `l` paying `allocations` (a proposal's, or parts named by hand), and
/// the payer's text learned when they are all one customer's.
pub fn accept(allocations: &[Allocation], l: &ReconLine) -> ReconcileAction {
    let customer = allocations.first().map(|a| a.customer.clone());
    let one = customer
        .as_ref()
        .filter(|c| !c.is_empty() && allocations.iter().all(|a| &a.customer == *c));
    ReconcileAction::Accept {
        line_id: l.id,
        allocations: allocations.to_vec(),
        payer: one.map(|c| (payer_text(&l.text()), c.clone())),
    }
}

/// `reconcile --auto`: accepts every `reference` and `payer` proposal, again
/// until none is left (so running it twice changes nothing). Returns what it
/// accepted, in order, and the reconciliation as it is after (its proposals
/// the ones left).
pub async fn auto(
    store: &AnyStore,
    company_id: i64,
    account: Option<&str>,
    explicit: Option<&(String, String)>,
) -> Result<(Vec<Proposal>, Bench), LoadError> {
    let mut accepted = Vec::new();
    // Each round accepts at least one line, so this ends; the bound is a guard.
    for _ in 0..64 {
        let b = Bench::load(store, company_id, account, explicit).await?;
        let chosen: Vec<Proposal> = Bench::propose(&b.input, &b.rules, true)
            .into_iter()
            .filter(|p| p.tier.automatic())
            .collect();
        if chosen.is_empty() {
            return Ok((accepted, b));
        }
        let actions: Vec<ReconcileAction> = chosen
            .iter()
            .filter_map(|p| b.line(p.line_id).map(|l| accept(&p.allocations, l)))
            .collect();
        store.reconcile(company_id, &actions).await?;
        accepted.extend(chosen);
    }
    let b = Bench::load(store, company_id, account, explicit).await?;
    Ok((accepted, b))
}

/// `NUMBER=AMOUNT` parts of a receipt, separated by commas or given one by
/// one (`--invoice`, the interface's split), each checked.
pub fn parse_parts<'a>(
    parts: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<(String, rust_decimal::Decimal)>, String> {
    let mut out = Vec::new();
    for s in parts
        .into_iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let shown = crate::sanitize::clean(s);
        let (n, v) = s
            .rsplit_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| format!("{shown:?}: expected NUMBER=AMOUNT, e.g. F-0012=800"))?;
        let amount =
            crate::import::fields::money(v.trim()).map_err(|e| format!("{shown:?}: the amount: expected {e}"))?;
        out.push((n.trim().to_owned(), amount));
    }
    if out.is_empty() {
        return Err("expected NUMBER=AMOUNT, e.g. F-0012=800 (several separated by commas)".to_owned());
    }
    Ok(out)
}

/// A rule for lines like `l` (its description's first words, its sign) in
/// category `c`, as TOML to put before the company's rules.
pub fn rule_for(l: &ReconLine, c: crate::finance::rules::Category) -> String {
    let words: Vec<&str> = l.description.split_whitespace().take(3).collect();
    let pattern = format!("(?i)^{}", regex::escape(&words.join(" ")));
    let name = if words.is_empty() {
        c.as_str().to_owned()
    } else {
        words.join(" ")
    };
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    format!(
        "[[rule]]\nname = {}\ndescription = {}\namount = {}\ncategory = {}\n",
        q(&name),
        q(&pattern),
        q(if l.amount < rust_decimal::Decimal::ZERO {
            "< 0"
        } else {
            "> 0"
        }),
        q(c.as_str())
    )
}

/// Puts `rule` before the company's rules (the stored ones, else the
/// configuration's) and stores them: a rule made from one line wins over the
/// general ones. Checked before it is stored.
pub async fn add_rule(store: &AnyStore, company_id: i64, rule: &str) -> Result<usize, String> {
    let base = crate::company::rules_text(store, company_id)
        .await
        .map_err(|e| e.to_string())?;
    let text = match base {
        Some(b) => format!("{rule}\n{b}"),
        None => rule.to_owned(),
    };
    let r = Rules::parse(&text, "the company's rules").map_err(|e| e.to_string())?;
    store
        .save_bank_rules(company_id, Some(&text))
        .await
        .map_err(|e| e.to_string())?;
    Ok(r.rules.len())
}
