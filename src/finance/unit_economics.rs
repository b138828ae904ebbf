//! Unit economics over T3M (docs/metrics.md#unit-economics-t3m).

use super::ledger::{Ledger, ratio};
use crate::domain::Month;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UnitEconomics {
    /// Σ revenue / Σ avg_customers over the counting months (monthly).
    pub arpa: Option<Decimal>,
    /// Σ customers_churned / Σ start (pooled monthly rate).
    pub customer_churn: Option<Decimal>,
    /// arpa × gross_margin_3m × min(1/churn, 60); lifetime 60 when churn is 0.
    pub ltv: Option<Decimal>,
    /// Σ sales_marketing / Σ customers_new; `None` if a counting month lacks sales_marketing.
    pub cac: Option<Decimal>,
    pub ltv_to_cac: Option<Decimal>,
    /// cac / (arpa × gross_margin_3m); `None` when the denominator ≤ 0.
    pub cac_payback_months: Option<Decimal>,
    /// arpa × gross_margin_3m (monthly).
    pub contribution_per_customer: Option<Decimal>,
}

const MAX_LIFETIME_MONTHS: i64 = 60;

/// A month of T3M counts if it has all three customer columns and m−1 has customers_end.
pub fn unit_economics(ledger: &Ledger, m: Month) -> UnitEconomics {
    let mut any = false;
    let mut churned = Decimal::ZERO;
    let mut start = Decimal::ZERO;
    let mut new = Decimal::ZERO;
    let mut revenue = Decimal::ZERO;
    let mut avg_customers = Decimal::ZERO;
    let mut sales_marketing = Some(Decimal::ZERO);
    for row in ledger.t3m(m) {
        let (Some(n), Some(c), Some(end)) = (row.customers_new, row.customers_churned, row.customers_end) else {
            continue;
        };
        let Some(prev_end) = ledger.get(row.month.plus(-1)).and_then(|p| p.customers_end) else {
            continue;
        };
        any = true;
        churned += Decimal::from(c);
        start += Decimal::from(prev_end);
        new += Decimal::from(n);
        revenue += row.revenue;
        avg_customers += Decimal::from(prev_end + end) / Decimal::TWO;
        sales_marketing = match (sales_marketing, row.sales_marketing) {
            (Some(total), Some(sm)) => Some(total + sm),
            _ => None,
        };
    }
    if !any {
        return UnitEconomics::default();
    }
    let gm3 = ledger.gross_margin_3m(m);
    let customer_churn = ratio(churned, start);
    let arpa = ratio(revenue, avg_customers);
    let contribution = match (arpa, gm3) {
        (Some(a), Some(g)) => Some(a * g),
        _ => None,
    };
    let lifetime = customer_churn.map(|c| {
        let cap = Decimal::from(MAX_LIFETIME_MONTHS);
        if c.is_zero() { cap } else { (Decimal::ONE / c).min(cap) }
    });
    let ltv = match (contribution, lifetime) {
        (Some(cm), Some(l)) => Some(cm * l),
        _ => None,
    };
    let cac = sales_marketing.and_then(|sm| ratio(sm, new));
    let ltv_to_cac = match (ltv, cac) {
        (Some(l), Some(c)) => ratio(l, c),
        _ => None,
    };
    let cac_payback_months = match (cac, contribution) {
        (Some(c), Some(cm)) if cm > Decimal::ZERO => ratio(c, cm),
        _ => None,
    };
    UnitEconomics {
        arpa,
        customer_churn,
        ltv,
        cac,
        ltv_to_cac,
        cac_payback_months,
        contribution_per_customer: contribution,
    }
}
