//! Per-product costs and prices (docs/metrics.md#pricing-per-product).

use super::ledger::ratio;
use crate::domain::Product;
use rust_decimal::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductEconomics {
    pub sku: String,
    pub name: String,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub monthly_units: Decimal,
    pub fixed_costs: Decimal,
    /// unit_price − unit_cost.
    pub contribution_margin: Decimal,
    /// contribution_margin / unit_price.
    pub contribution_margin_ratio: Option<Decimal>,
    /// contribution_margin / unit_cost; `None` if unit_cost = 0.
    pub markup: Option<Decimal>,
    /// ceil(fixed_costs / contribution_margin); 0 without fixed costs; `None` if CM ≤ 0.
    pub break_even_units: Option<i64>,
    /// fixed_costs / contribution_margin_ratio; `None` if CM ≤ 0.
    pub break_even_revenue: Option<Decimal>,
    /// contribution_margin × monthly_units: what the product adds each month
    /// before its own fixed costs.
    pub monthly_contribution: Decimal,
    /// contribution_margin × monthly_units − fixed_costs.
    pub monthly_profit: Decimal,
}

/// Every product, listed by sku in byte order.
pub fn pricing(products: &[Product]) -> Vec<ProductEconomics> {
    let mut out: Vec<ProductEconomics> = products.iter().map(product_economics).collect();
    out.sort_by(|a, b| a.sku.as_bytes().cmp(b.sku.as_bytes()));
    out
}

pub fn product_economics(p: &Product) -> ProductEconomics {
    let cm = p.unit_price - p.unit_cost;
    let cm_ratio = ratio(cm, p.unit_price);
    let positive = cm > Decimal::ZERO;
    let break_even_units = if !positive {
        None
    } else if p.fixed_costs.is_zero() {
        Some(0)
    } else {
        ratio(p.fixed_costs, cm).and_then(|u| u.ceil().to_i64())
    };
    let break_even_revenue = if positive {
        cm_ratio.and_then(|r| ratio(p.fixed_costs, r))
    } else {
        None
    };
    ProductEconomics {
        sku: p.sku.clone(),
        name: p.name.clone(),
        unit_price: p.unit_price,
        unit_cost: p.unit_cost,
        monthly_units: p.monthly_units,
        fixed_costs: p.fixed_costs,
        contribution_margin: cm,
        contribution_margin_ratio: cm_ratio,
        markup: ratio(cm, p.unit_cost),
        break_even_units,
        break_even_revenue,
        monthly_contribution: cm * p.monthly_units,
        monthly_profit: cm * p.monthly_units - p.fixed_costs,
    }
}

/// unit_cost × (1 + markup).
pub fn cost_plus_price(unit_cost: Decimal, markup: Decimal) -> Decimal {
    unit_cost * (Decimal::ONE + markup)
}

/// unit_cost / (1 − margin); `None` unless margin < 1.
pub fn target_margin_price(unit_cost: Decimal, margin: Decimal) -> Option<Decimal> {
    if margin >= Decimal::ONE {
        return None;
    }
    ratio(unit_cost, Decimal::ONE - margin)
}

/// unit_cost × ε / (1 + ε) for a constant elasticity ε < −1; `None` otherwise.
pub fn profit_max_price(unit_cost: Decimal, elasticity: Decimal) -> Option<Decimal> {
    if elasticity >= -Decimal::ONE {
        return None;
    }
    ratio(unit_cost * elasticity, Decimal::ONE + elasticity)
}

/// The outcome of changing a price by Δ with elasticity ε.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub price: Decimal,
    pub units: Decimal,
    pub profit: Decimal,
}

/// units' = monthly_units × (1 + ε × Δ) floored at 0; price' = unit_price × (1 + Δ);
/// profit' = (price' − unit_cost) × units' − fixed_costs.
pub fn what_if(p: &Product, change: Decimal, elasticity: Decimal) -> WhatIf {
    let units = (p.monthly_units * (Decimal::ONE + elasticity * change)).max(Decimal::ZERO);
    let price = p.unit_price * (Decimal::ONE + change);
    WhatIf {
        price,
        units,
        profit: (price - p.unit_cost) * units - p.fixed_costs,
    }
}

/// margin = markup / (1 + markup).
pub fn margin_from_markup(markup: Decimal) -> Option<Decimal> {
    ratio(markup, Decimal::ONE + markup)
}

/// markup = margin / (1 − margin).
pub fn markup_from_margin(margin: Decimal) -> Option<Decimal> {
    ratio(margin, Decimal::ONE - margin)
}
