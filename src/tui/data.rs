//! What the screens show of one company, computed by the engine off the render
//! path (in a task) and handed to the app as one value.

use super::format::Fmt;
use crate::domain::{Company, Drivers, Invoice, Month, Product};
use crate::finance::cash_flow::CashFlow;
use crate::finance::collections::open_at;
use crate::finance::forecast::{WEEKS, WeeklyBase, expected_collections, weekly_base_from_collections};
use crate::finance::planning::{Projection, Start, base_drivers, project};
use crate::finance::profitability::{PeriodTotals, year_to_date};
use crate::finance::unit_economics::{UnitEconomics, unit_economics};
use crate::finance::{Ledger, Snapshot, cash_flow, snapshot};
use crate::store::{AnyStore, RecommendationRecord, Store, StoredScenario};
use rust_decimal::Decimal;

/// Months of a metric, oldest first (`None` where it cannot be computed).
pub type Series = Vec<Option<Decimal>>;

#[derive(Debug, Clone)]
pub struct Trends {
    pub months: Vec<Month>,
    pub revenue: Series,
    pub gross_margin: Series,
    pub net_burn: Series,
    pub runway: Series,
    pub customers: Series,
    /// Filled in a second step: it needs one receivables reduction per month.
    pub dso: Series,
}

/// One company, ready to draw.
#[derive(Debug, Clone)]
pub struct CompanyData {
    pub company: Company,
    pub fmt: Fmt,
    pub ledger: Ledger,
    pub snapshot: Snapshot,
    pub products: Vec<Product>,
    /// Open at D, oldest due first: all of them, or the window of the table.
    pub open: OpenInvoices,
    /// The company's bank accounts, and their lines newest first (all, or the
    /// window of the Bank tab's table).
    pub bank: Vec<crate::domain::BankAccount>,
    pub lines: Paged<crate::domain::StoredLine>,
    /// The bank's days after the month end (when statements are newer), for the forecast.
    pub bank_days: Vec<crate::finance::bank::BankDay>,
    pub drivers: Drivers,
    pub start: Option<Start>,
    pub projection: Option<Projection>,
    pub trends: Trends,
    /// The engine's values for each month of `snapshot.monthly`, in the same order.
    pub by_month: Vec<MonthMetrics>,
    /// Year to date at M.
    pub ytd: PeriodTotals,
    /// The latest stored advisor recommendations, by priority.
    pub recommendations: Vec<RecommendationRecord>,
    /// The user's scenarios as stored.
    pub scenarios: Vec<StoredScenario>,
    /// The scenario-free part of the 13-week forecast.
    pub weeks: Option<WeeklyBase>,
    /// What the current login may do here (PostgreSQL roles; all on SQLite).
    pub access: crate::store::team::Access,
    /// When the load that made this began: a slower, older load never replaces it.
    pub started: std::time::Instant,
    /// The company's own KPI targets, as stored.
    pub stored_targets: Vec<crate::report::targets::Target>,
    /// Every target in force (the config's and the company's), evaluated on the
    /// report (filled in by `App::update` when the data arrives).
    pub target_checks: Vec<crate::report::targets::TargetCheck>,
    /// The questions asked of the advisors about this company, as stored.
    pub conversations: Vec<crate::store::conversations::StoredTurn>,
}

/// The engine's metrics as of one month (T3M windows end there).
#[derive(Debug, Clone)]
pub struct MonthMetrics {
    pub month: Month,
    pub totals: PeriodTotals,
    pub unit: UnitEconomics,
    pub cash: CashFlow,
    pub customers_new: Option<i64>,
    pub customers_churned: Option<i64>,
    pub customers_end: Option<i64>,
}

/// Months of history the KPI cards can draw (as many as fit).
pub const TREND_MONTHS: i32 = 36;

impl CompanyData {
    /// Everything but the DSO trend, from data already read.
    pub fn build(
        company: Company,
        ledger: Ledger,
        products: Vec<Product>,
        receivables: &crate::finance::CollectionsInput,
        open: OpenInvoices,
        m: Month,
    ) -> CompanyData {
        let snapshot = snapshot(&ledger, m, &products, receivables);
        let drivers = base_drivers(&ledger, m);
        let start = Start::from_ledger(&ledger, m);
        let projection = start.map(|s| project(s, &drivers));
        let by_month: Vec<MonthMetrics> = ledger
            .up_to(m)
            .map(|r| MonthMetrics {
                month: r.month,
                totals: PeriodTotals::of(std::iter::once(r)),
                unit: unit_economics(&ledger, r.month),
                cash: cash_flow::cash_flow(&ledger, r.month),
                customers_new: r.customers_new,
                customers_churned: r.customers_churned,
                customers_end: r.customers_end,
            })
            .collect();
        // The trends read the per-month metrics already computed; a month without a row is None.
        let months: Vec<Month> = (0..TREND_MONTHS).rev().map(|k| m.plus(-k)).collect();
        let at = |mm: &Month| by_month.iter().rev().find(|x| x.month == *mm);
        let series =
            |f: &dyn Fn(&MonthMetrics) -> Option<Decimal>| months.iter().map(|mm| at(mm).and_then(f)).collect();
        let trends = Trends {
            revenue: series(&|x| Some(x.totals.revenue)),
            gross_margin: series(&|x| x.totals.gross_margin()),
            net_burn: series(&|x| x.cash.net_burn),
            runway: series(&|x| x.cash.runway_months),
            customers: series(&|x| x.customers_end.map(Decimal::from)),
            dso: vec![None; months.len()],
            months,
        };
        let ytd = year_to_date(&ledger, m, company.fiscal_year_start);
        CompanyData {
            bank: Vec::new(),
            lines: Paged::default(),
            bank_days: Vec::new(),
            recommendations: Vec::new(),
            scenarios: Vec::new(),
            weeks: None,
            access: crate::store::team::Access::Local,
            started: std::time::Instant::now(),
            stored_targets: Vec::new(),
            target_checks: Vec::new(),
            conversations: Vec::new(),
            by_month,
            ytd,
            fmt: Fmt::for_company(&company),
            company,
            ledger,
            snapshot,
            products,
            open,
            drivers,
            start,
            projection,
            trends,
        }
    }

    /// What the AI advisors are told about this company.
    pub fn facts(&self) -> crate::ai::context::Facts<'_> {
        crate::ai::context::Facts {
            company: &self.company,
            ledger: &self.ledger,
            snapshot: &self.snapshot,
            products: &self.products,
            projection: self.projection.as_ref(),
        }
    }

    /// Open amount at D of an invoice in the table.
    pub fn open_amount(&self, inv: &Invoice) -> Decimal {
        let open = open_at(inv, self.snapshot.as_of.last_day());
        // Presented in another currency: at the month-end rate.
        match &self.snapshot.translation {
            Some(t) => t.balance(self.snapshot.as_of, open),
            None => open,
        }
    }

    /// The rate the open invoices are shown at (presented in another currency).
    pub fn open_rate(&self) -> Option<Decimal> {
        let t = self.snapshot.translation.as_ref()?;
        t.months.get(&self.snapshot.as_of).map(|r| r.close)
    }
}

/// Rows of the Collections table read at a time: a window around the
/// selection, so memory does not grow with the number of open invoices.
pub const PAGE: usize = 400;
/// Rows kept loaded on each side of the selection before the next window is read.
const MARGIN: usize = 100;

/// What a paged table's rows are searched by when all of them are here.
pub trait Searchable {
    /// Lower-cased text the filter is looked for in.
    fn search_text(&self) -> String;
}

impl Searchable for Invoice {
    fn search_text(&self) -> String {
        format!("{} {}", self.number, self.customer).to_lowercase()
    }
}

impl Searchable for crate::domain::StoredLine {
    fn search_text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.description, self.counterparty, self.reference, self.account
        )
        .to_lowercase()
    }
}

/// The rows of a table paged from the store (Collections' open invoices, the
/// Bank tab's lines). A table of at most [`PAGE`] rows has them all here and
/// filters them as you type; a larger one has a window of the list filtered
/// and ordered by the store, read again when the selection nears its edge or
/// the filter changes.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// All rows (`complete`), or those at `offset..` of the list matching `filter`.
    pub rows: Vec<T>,
    /// Each row's search text, for filtering here.
    search: Vec<String>,
    pub offset: usize,
    /// How many match `filter` (all of them when `complete`).
    pub total: usize,
    pub filter: String,
    pub complete: bool,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            rows: Vec::new(),
            search: Vec::new(),
            offset: 0,
            total: 0,
            filter: String::new(),
            complete: false,
        }
    }
}

/// The open invoices the Collections table shows, oldest due first.
pub type OpenInvoices = Paged<Invoice>;

/// What the table draws: how many rows match, and those loaded from `offset`.
pub struct PageView<'a, T> {
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<&'a T>,
    /// The rows are for an earlier filter (the store is reading the new one).
    pub stale: bool,
}

pub type OpenView<'a> = PageView<'a, Invoice>;

impl<'a, T> PageView<'a, T> {
    /// The `i`-th matching row, when it is loaded.
    pub fn get(&self, i: usize) -> Option<&'a T> {
        i.checked_sub(self.offset).and_then(|k| self.rows.get(k)).copied()
    }
}

impl<T: Searchable> Paged<T> {
    /// Every row, held here.
    pub fn complete(rows: Vec<T>) -> Paged<T> {
        Paged {
            search: rows.iter().map(Searchable::search_text).collect(),
            total: rows.len(),
            rows,
            offset: 0,
            filter: String::new(),
            complete: true,
        }
    }

    /// Rows `offset..` of those matching `filter`, of `total`; all of them
    /// when they are all here.
    pub fn window(filter: String, offset: usize, rows: Vec<T>, total: usize) -> Paged<T> {
        Paged {
            rows,
            search: Vec::new(),
            offset,
            total,
            filter,
            complete: false,
        }
    }

    /// A first page of `total`: complete when it holds them all.
    pub fn first(rows: Vec<T>, total: usize) -> Paged<T> {
        if total <= rows.len() {
            Paged::complete(rows)
        } else {
            Paged::window(String::new(), 0, rows, total)
        }
    }

    /// The rows matching `filter` (case-insensitive).
    pub fn view(&self, filter: &str) -> PageView<'_, T> {
        if !self.complete {
            return PageView {
                total: self.total,
                offset: self.offset,
                rows: self.rows.iter().collect(),
                stale: filter != self.filter,
            };
        }
        let f = filter.to_lowercase();
        let rows: Vec<&T> = if f.is_empty() {
            self.rows.iter().collect()
        } else {
            self.rows
                .iter()
                .zip(&self.search)
                .filter(|(_, s)| s.contains(&f))
                .map(|(i, _)| i)
                .collect()
        };
        PageView {
            total: rows.len(),
            offset: 0,
            rows,
            stale: false,
        }
    }

    /// How many rows match `filter` (for an unread filter: the last count).
    pub fn count(&self, filter: &str) -> usize {
        if self.complete {
            self.view(filter).total
        } else {
            self.total
        }
    }

    /// The window to read for `filter` with row `selected` chosen: `None` when
    /// the rows here already cover it.
    pub fn wanted(&self, filter: &str, selected: usize) -> Option<usize> {
        if self.complete {
            return None;
        }
        let start = selected.saturating_sub(PAGE / 2);
        if filter != self.filter {
            return Some(start);
        }
        let end = self.offset + self.rows.len();
        let low_ok = self.offset == 0 || selected >= self.offset + MARGIN;
        let high_ok = end >= self.total || selected + MARGIN < end;
        (!(low_ok && high_ok)).then_some(start)
    }
}

/// The Bank tab's window of lines at `offset` matching `filter`, newest first.
pub fn line_page(filter: String, offset: usize) -> crate::store::LineQuery {
    crate::store::LineQuery {
        filter,
        offset,
        limit: PAGE,
        newest_first: true,
        ..Default::default()
    }
}

/// Reads and computes one company; errors are one line for the status bar.
pub async fn load(store: &AnyStore, company: Company) -> Result<CompanyData, String> {
    load_as_of(store, company, None).await
}

/// As [`load`], at the month `as_of` (default: the latest with financials).
pub async fn load_as_of(store: &AnyStore, company: Company, as_of: Option<Month>) -> Result<CompanyData, String> {
    load_in(store, company, as_of, None).await
}

/// As [`load_as_of`], the figures presented in currency `to` (`$`): the
/// months, receivables and products translated (`Books::translated`), the
/// open invoices and the weeks' collections shown at the month-end rate;
/// read-only.
pub async fn load_in(
    store: &AnyStore,
    company: Company,
    as_of: Option<Month>,
    to: Option<&str>,
) -> Result<CompanyData, String> {
    let started = std::time::Instant::now();
    let id = company.id;
    let books = crate::company::Books::read_in(store, company, as_of, to)
        .await
        .map_err(|e| e.to_string())?;
    let m = books.as_of;
    let first_lines = line_page(String::new(), 0);
    let (
        (first, total),
        (lines, lines_total),
        weeks,
        recommendations,
        scenarios,
        history,
        access,
        targets,
        conversations,
    ) = tokio::try_join!(
        store.open_invoice_page(id, m.last_day(), "", 0, PAGE),
        store.bank_lines(id, &first_lines),
        store.weekly_collections(id, m),
        store.latest_recommendations(id, 5),
        store.scenarios(id),
        store.forecast_input(id, m),
        store.access(id),
        store.targets(id),
        store.conversations(id),
    )
    .map_err(|e| e.to_string())?;
    // The engine's work runs on the blocking pool, never on a runtime worker
    // that serves keys and frames.
    let open = OpenInvoices::first(first, total);
    // The forecast's weeks come from the summaries kept by writes; without
    // them (a month they are not at), from every open invoice.
    let mut weeks = match weeks {
        Some(w) => w,
        None => {
            let all = store.open_invoices(id, m.last_day()).await.map_err(|e| e.to_string())?;
            expected_collections(m, &all, &history, WEEKS as usize)
        }
    };
    let mut history = history;
    // Presented in another currency: what is expected of the open invoices
    // at the month-end rate, the invoicing of three months as translated.
    if let Some(t) = &books.translation {
        weeks = weeks.into_iter().map(|w| t.balance(m, w)).collect();
        history.invoiced_t3m = books.receivables.credit_sales_3m;
    }
    let mut data = tokio::task::spawn_blocking(move || {
        let weeks = weekly_base_from_collections(&books.ledger, m, weeks, &history);
        let mut data = CompanyData::build(
            books.company.clone(),
            books.ledger.clone(),
            books.products.clone(),
            &books.receivables,
            open,
            m,
        );
        books.complete(&mut data.snapshot);
        data.weeks = Some(weeks);
        data.bank = books.bank;
        data
    })
    .await
    .map_err(|e| format!("computing the company's figures failed: {e}"))?;
    data.lines = Paged::first(lines, lines_total);
    if data.snapshot.cash_flow.bank_cash.is_some() {
        data.bank_days = store
            .bank_days(id, &data.company.currency, m.last_day())
            .await
            .map_err(|e| e.to_string())?;
    }
    data.recommendations = recommendations;
    data.scenarios = scenarios;
    data.conversations = conversations;
    data.access = if data.snapshot.translation.is_some() {
        crate::store::team::Access::Presented
    } else {
        access
    };
    data.started = started;
    data.stored_targets = targets
        .into_iter()
        .filter_map(|(metric, rule)| {
            rule.parse()
                .ok()
                .map(|rule| crate::report::targets::Target { metric, rule })
        })
        .collect();
    Ok(data)
}

/// A group's consolidated figures as a company's: its members translated
/// into its currency and summed (`company::load_group`), read-only. Its
/// company id is the group's negated, so a reload finds the group again.
pub async fn load_group(store: &AnyStore, group_id: i64) -> Result<CompanyData, String> {
    let started = std::time::Instant::now();
    let group = store
        .groups()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|g| g.id == group_id)
        .ok_or_else(|| "the group is gone (or no longer readable by this login)".to_owned())?;
    let f = crate::company::load_group(store, group, None, Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let company = crate::company::group_company(&f);
    let c = f.consolidated;
    let m = c.as_of;
    let mut data = tokio::task::spawn_blocking(move || {
        CompanyData::build(
            company,
            c.ledger,
            c.products,
            &c.receivables,
            OpenInvoices::first(Vec::new(), 0),
            m,
        )
    })
    .await
    .map_err(|e| format!("consolidating the group failed: {e}"))?;
    data.access = crate::store::team::Access::Group;
    data.started = started;
    Ok(data)
}

/// DSO for each month of the trend window: two grouped reads of the
/// invoices, then the engine (not one receivables reduction per month).
pub async fn dso_trend(store: &AnyStore, company_id: i64, months: &[Month]) -> Result<Series, String> {
    let flows = store.receivable_flows(company_id).await.map_err(|e| e.to_string())?;
    let months = months.to_vec();
    tokio::task::spawn_blocking(move || crate::finance::collections::dso_series(&flows, &months))
        .await
        .map_err(|e| e.to_string())
}
