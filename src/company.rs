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
    /// A rules file that does not read (its name, the rule and the line said),
    /// or a group that cannot be consolidated (why).
    #[error("{0}")]
    Rules(String),
    /// A rate the presentation currency needs and the store lacks.
    #[error("{0}")]
    Fx(#[from] crate::finance::fx::FxError),
}

/// The rules of the configuration directory's `rules.toml` (text, path), set once at start.
static CONFIG_RULES: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// Sets the configuration directory's rules (`main`, once).
pub fn set_config_rules(text: String, origin: String) {
    let _ = CONFIG_RULES.set((text, origin));
}

/// A company's categorisation rules: `explicit` (`--rules FILE`: text and
/// name), else those stored with `katalis rules import`, else the
/// configuration directory's `rules.toml`, else none.
pub async fn rules(
    store: &AnyStore,
    company_id: i64,
    explicit: Option<&(String, String)>,
) -> Result<crate::finance::rules::Rules, LoadError> {
    let (text, origin) = match explicit {
        Some(e) => e.clone(),
        None => match store.bank_rules(company_id).await? {
            Some(t) => (t, "the company's rules (katalis rules import)".to_owned()),
            None => match CONFIG_RULES.get() {
                Some(c) => c.clone(),
                None => return Ok(crate::finance::rules::Rules::default()),
            },
        },
    };
    crate::finance::rules::Rules::parse(&text, &origin).map_err(LoadError::Rules)
}

/// The text of the company's rules as `rules` would read them without `--rules`.
pub async fn rules_text(store: &AnyStore, company_id: i64) -> Result<Option<String>, StoreError> {
    Ok(match store.bank_rules(company_id).await? {
        Some(t) => Some(t),
        None => CONFIG_RULES.get().map(|c| c.0.clone()),
    })
}

/// A line's rule (the first that catches it) and its category: set by hand,
/// else the rule's (none when the rule sends it to matching).
pub fn categorise<'r>(
    rules: &'r crate::finance::rules::Rules,
    l: &crate::store::ReconLine,
) -> (
    Option<&'r crate::finance::rules::Rule>,
    Option<crate::finance::rules::Category>,
) {
    use crate::finance::rules::Action;
    let rule = rules.first(&l.account, &l.description, &l.counterparty, l.amount);
    let by_rule = rule.and_then(|r| match r.action {
        Action::Categorise(c) => Some(c),
        Action::MatchInvoices => None,
    });
    (rule, l.category.or(by_rule))
}

/// The month after the latest closed one, from the bank: its dates and lines
/// as counted, when the bank has lines in it.
async fn month_so_far(
    store: &AnyStore,
    company_id: i64,
    ledger: &Ledger,
    bank: &[crate::domain::BankAccount],
) -> Result<
    Option<(
        chrono::NaiveDate,
        chrono::NaiveDate,
        Vec<crate::finance::reconcile::CountedLine>,
    )>,
    LoadError,
> {
    let Some(closed) = ledger.latest_month() else {
        return Ok(None);
    };
    let month = closed.plus(1);
    let (from, end) = (month.first_day(), month.last_day());
    let Some(last) = bank.iter().filter_map(|a| a.last_date).max().filter(|d| *d >= from) else {
        return Ok(None);
    };
    let rules = rules(store, company_id, None).await?;
    let f = crate::store::LineFilter {
        from: Some(from),
        to: Some(end),
        lines_only: true,
        ..Default::default()
    };
    let input = store.reconcile_input(company_id, &f).await?;
    let lines = input
        .lines
        .iter()
        .map(|l| crate::finance::reconcile::CountedLine {
            amount: l.amount,
            allocated: l.allocated,
            category: categorise(&rules, l).1,
        })
        .collect();
    Ok(Some((from, last.min(end), lines)))
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
    /// The invoices in another currency and the rates, when there are any.
    pub fx: Option<(Vec<crate::domain::Invoice>, crate::finance::fx::Rates)>,
    /// The figures presented in another currency: from the company's, at these rates.
    pub translation: Option<crate::finance::translate::Translation>,
    /// The month so far from the bank: its first day, its latest line's day, its lines.
    pub month: Option<(
        chrono::NaiveDate,
        chrono::NaiveDate,
        Vec<crate::finance::reconcile::CountedLine>,
    )>,
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
        let month = month_so_far(store, company.id, &ledger, &bank).await?;
        let foreign = store.fx_invoices(company.id).await?;
        let fx = if foreign.is_empty() {
            None
        } else {
            Some((foreign, crate::finance::fx::Rates::new(store.fx_rates().await?)))
        };
        Ok(Books {
            fx,
            translation: None,
            month,
            company,
            ledger,
            as_of: m,
            products,
            receivables,
            bank,
        })
    }

    /// As [`Books::read`], presented in currency `to` (the company's own when
    /// `None`): translated with the store's rates ([`Books::translated`]).
    pub async fn read_in(
        store: &AnyStore,
        company: Company,
        as_of: Option<Month>,
        to: Option<&str>,
    ) -> Result<Books, LoadError> {
        let books = Books::read(store, company, as_of).await?;
        match to.filter(|t| *t != books.company.currency) {
            None => Ok(books),
            Some(to) => {
                let rates = crate::finance::fx::Rates::new(store.fx_rates().await?);
                let flows = store.receivable_flows(books.company.id).await?;
                Ok(books.translated(to, &rates, &flows)?)
            }
        }
    }

    /// Every metric at the as-of month (the engine's work: off the async threads
    /// where a screen waits on it).
    pub fn snapshot(&self) -> Snapshot {
        let mut s = crate::finance::snapshot(&self.ledger, self.as_of, &self.products, &self.receivables);
        self.complete(&mut s);
        s
    }

    /// What the books add to the engine's snapshot beyond the ledger: cash as
    /// the bank shows it, the month so far, the exposure to other currencies.
    pub fn complete(&self, s: &mut Snapshot) {
        // Cash in the bank and the month so far are the bank's, in its
        // accounts' currencies: not shown in another currency.
        if self.translation.is_none() {
            s.cash_flow.bank_cash = crate::finance::bank::bank_cash(&self.bank, &self.company.currency, self.as_of);
            s.month_to_date = self.month_to_date();
        }
        let functional = self.translation.as_ref().map_or(&self.company.currency, |t| &t.from);
        s.fx = self
            .fx
            .as_ref()
            .map(|(invoices, rates)| crate::finance::fx::exposure(invoices, functional, rates, self.as_of));
        s.translation = self.translation.clone();
    }

    /// The books presented in currency `to`: every month of the ledger at its
    /// average and close, the receivables and products with them (`flows`: the
    /// amounts issued by day). Cash in the bank and the month so far are left
    /// out of the snapshot (they are the bank's, in its accounts' currencies);
    /// the exposure to other currencies stays in the company's own.
    pub fn translated(
        mut self,
        to: &str,
        rates: &crate::finance::fx::Rates,
        flows: &crate::finance::collections::ReceivableFlows,
    ) -> Result<Books, crate::finance::fx::FxError> {
        use crate::finance::translate;
        if to == self.company.currency {
            return Ok(self);
        }
        let mut t =
            translate::Translation::new(rates, &self.company.currency, to, self.ledger.rows().map(|r| r.month))?;
        // The two months before the as-of month the receivables' credit sales
        // and opening balance reach back to, when they hold anything.
        for (k, held) in [
            (
                -1,
                !self.receivables.ar_begin.is_zero() || translate::issued_in(flows, self.as_of.plus(-1)),
            ),
            (-2, translate::issued_in(flows, self.as_of.plus(-2))),
        ] {
            let m = self.as_of.plus(k);
            if held && !t.months.contains_key(&m) {
                let r = translate::month_rates(rates, &self.company.currency, to, m)?;
                t.months.insert(m, r);
            }
        }
        self.ledger = translate::ledger(&self.ledger, &t);
        self.receivables = translate::collections(&self.receivables, flows, self.as_of, &t);
        self.products = translate::products(&self.products, self.as_of, &t);
        self.company.currency = to.to_owned();
        self.translation = Some(t);
        Ok(self)
    }

    /// The month so far from the bank (the engine's sums of the lines read).
    pub fn month_to_date(&self) -> Option<crate::finance::reconcile::MonthToDate> {
        self.month
            .as_ref()
            .map(|(from, to, lines)| crate::finance::reconcile::month_to_date(*from, *to, lines))
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
    load_in(store, company, as_of, None).await
}

/// As [`load`], the figures presented in currency `to` (the company's own
/// when `None`).
pub async fn load_in(
    store: &AnyStore,
    company: Company,
    as_of: Option<Month>,
    to: Option<&str>,
) -> Result<Figures, LoadError> {
    let books = Books::read_in(store, company, as_of, to).await?;
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

/// A group's consolidated figures (`katalis group report`, the interface's
/// group dashboard).
#[derive(Debug, Clone)]
pub struct GroupFigures {
    pub group: crate::domain::fx::Group,
    /// The members, in the group's order (by id).
    pub members: Vec<Company>,
    pub consolidated: crate::finance::group::Consolidated,
    pub snapshot: Snapshot,
}

/// Reads every member of `group` at the group's as-of month (`as_of`, else the
/// latest month every member has) and consolidates them in its currency.
pub async fn load_group(
    store: &AnyStore,
    group: crate::domain::fx::Group,
    as_of: Option<Month>,
    cost: crate::finance::group::IntercompanyCost,
) -> Result<GroupFigures, LoadError> {
    use crate::finance::group::{Member, consolidate, intercompany_names};
    let members: Vec<Company> = store
        .companies()
        .await?
        .into_iter()
        .filter(|c| group.members.contains(&c.id))
        .collect();
    if members.is_empty() {
        return Err(LoadError::Rules(format!(
            "group {:?} has no member this login may read",
            crate::sanitize::clean(&group.name)
        )));
    }
    // The as-of month every member has: asked for, else the latest in common.
    let mut common: Option<std::collections::BTreeSet<Month>> = None;
    let mut lacking = Vec::new();
    for c in &members {
        let months: std::collections::BTreeSet<Month> =
            store.financials(c.id).await?.into_iter().map(|f| f.month).collect();
        if as_of.is_some_and(|m| !months.contains(&m)) {
            lacking.push(crate::sanitize::clean(&c.name));
        }
        common = Some(match common {
            None => months,
            Some(x) => x.intersection(&months).copied().collect(),
        });
    }
    let m = match as_of {
        Some(m) if !lacking.is_empty() => {
            return Err(LoadError::Rules(format!(
                "--as-of {m}: not every member of {:?} has financials for it ({} lacks it)",
                crate::sanitize::clean(&group.name),
                lacking.join(", ")
            )));
        }
        Some(m) => m,
        None => *common.unwrap_or_default().last().ok_or_else(|| {
            LoadError::Rules(format!(
                "the members of {:?} have no month of financials in common",
                crate::sanitize::clean(&group.name)
            ))
        })?,
    };
    let names = intercompany_names(members.iter().map(|c| c.name.as_str()), &group.intercompany);
    let mut books = Vec::new();
    for c in &members {
        let b = Books::read(store, c.clone(), Some(m)).await?;
        let flows = store.receivable_flows(c.id).await?;
        let ic = store.invoices_to(c.id, &names).await?;
        books.push((b, flows, ic));
    }
    let rates = crate::finance::fx::Rates::new(store.fx_rates().await?);
    let parts: Vec<Member<'_>> = books
        .iter()
        .map(|(b, flows, ic)| Member {
            company: &b.company,
            ledger: &b.ledger,
            receivables: &b.receivables,
            flows,
            products: &b.products,
            intercompany: ic,
        })
        .collect();
    let consolidated = consolidate(&parts, &group.currency, &rates, Some(m), cost)
        .map_err(|e| LoadError::Rules(crate::sanitize::clean(&e.to_string())))?;
    let snapshot = crate::finance::snapshot(
        &consolidated.ledger,
        consolidated.as_of,
        &consolidated.products,
        &consolidated.receivables,
    );
    Ok(GroupFigures {
        group,
        members,
        consolidated,
        snapshot,
    })
}

/// The group as a company for the report's writers: its name, its currency,
/// its first member's locale.
pub fn group_company(f: &GroupFigures) -> Company {
    Company {
        // Below zero: not a company's id (the interface reloads it as the group).
        id: -f.group.id,
        name: f.group.name.clone(),
        industry: String::new(),
        currency: f.group.currency.clone(),
        fiscal_year_start: f.members.first().map_or(1, |c| c.fiscal_year_start),
        locale: f
            .members
            .first()
            .map_or_else(|| "en-US".to_owned(), |c| c.locale.clone()),
    }
}
