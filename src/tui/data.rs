//! What the screens show of one company, computed by the engine off the render
//! path (in a task) and handed to the app as one value.

use super::format::Fmt;
use crate::domain::{Company, Drivers, Invoice, Month, Product};
use crate::finance::cash_flow::CashFlow;
use crate::finance::collections::open_at;
use crate::finance::forecast::{WeeklyBase, weekly_base};
use crate::finance::planning::{Projection, Start, base_drivers, project};
use crate::finance::profitability::{PeriodTotals, year_to_date};
use crate::finance::unit_economics::{UnitEconomics, unit_economics};
use crate::finance::{Ledger, Snapshot, as_of_month, cash_flow, snapshot};
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
    /// Open at D, oldest due first.
    pub open_invoices: Vec<Invoice>,
    /// Lower-cased "number customer" of each open invoice, for filtering.
    search: Vec<String>,
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
        open_invoices: Vec<Invoice>,
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
        let search = open_invoices
            .iter()
            .map(|i| format!("{} {}", i.number, i.customer).to_lowercase())
            .collect();
        CompanyData {
            recommendations: Vec::new(),
            scenarios: Vec::new(),
            weeks: None,
            access: crate::store::team::Access::Local,
            started: std::time::Instant::now(),
            stored_targets: Vec::new(),
            target_checks: Vec::new(),
            conversations: Vec::new(),
            search,
            by_month,
            ytd,
            fmt: Fmt::for_company(&company),
            company,
            ledger,
            snapshot,
            products,
            open_invoices,
            drivers,
            start,
            projection,
            trends,
        }
    }

    /// The open invoices whose customer or number contains `filter` (case-insensitive).
    pub fn filtered_invoices(&self, filter: &str) -> Vec<&Invoice> {
        let f = filter.to_lowercase();
        if f.is_empty() {
            return self.open_invoices.iter().collect();
        }
        self.open_invoices
            .iter()
            .zip(&self.search)
            .filter(|(_, s)| s.contains(&f))
            .map(|(i, _)| i)
            .collect()
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
        open_at(inv, self.snapshot.as_of.last_day())
    }
}

/// Reads and computes one company; errors are one line for the status bar.
pub async fn load(store: &AnyStore, company: Company) -> Result<CompanyData, String> {
    let started = std::time::Instant::now();
    let id = company.id;
    let (financials, products) =
        tokio::try_join!(store.financials(id), store.products(id)).map_err(|e| e.to_string())?;
    let ledger = Ledger::new(financials);
    let m = as_of_month(&ledger, None).map_err(|e| e.to_string())?;
    let (receivables, open, recommendations, scenarios, history, access, targets, conversations) = tokio::try_join!(
        store.collections_input(id, m),
        store.open_invoices(id, m.last_day()),
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
    let mut data = tokio::task::spawn_blocking(move || {
        let weeks = weekly_base(&ledger, m, &open, &history);
        let mut data = CompanyData::build(company, ledger, products, &receivables, open, m);
        data.weeks = Some(weeks);
        data
    })
    .await
    .map_err(|e| format!("computing the company's figures failed: {e}"))?;
    data.recommendations = recommendations;
    data.scenarios = scenarios;
    data.conversations = conversations;
    data.access = access;
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

/// DSO for each month of the trend window: two grouped reads of the
/// invoices, then the engine (not one receivables reduction per month).
pub async fn dso_trend(store: &AnyStore, company_id: i64, months: &[Month]) -> Result<Series, String> {
    let flows = store.receivable_flows(company_id).await.map_err(|e| e.to_string())?;
    let months = months.to_vec();
    tokio::task::spawn_blocking(move || crate::finance::collections::dso_series(&flows, &months))
        .await
        .map_err(|e| e.to_string())
}
