//! The health score and its four pillars (docs/metrics.md#health-score-0100).

use super::cash_flow::CashFlow;
use super::collections::Collections;
use super::dec;
use super::growth::{BurnMultiple, Growth};
use super::profitability::Profitability;
use super::unit_economics::UnitEconomics;
use rust_decimal::Decimal;
use serde::Serialize;

/// The four pillars, in tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pillar {
    Profitability,
    UnitEconomics,
    CashFlow,
    GrowthEfficiency,
}

impl Pillar {
    pub const ALL: [Pillar; 4] = [
        Pillar::Profitability,
        Pillar::UnitEconomics,
        Pillar::CashFlow,
        Pillar::GrowthEfficiency,
    ];

    pub fn from_key(key: &str) -> Option<Pillar> {
        Pillar::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn key(self) -> &'static str {
        match self {
            Pillar::Profitability => "profitability",
            Pillar::UnitEconomics => "unit_economics",
            Pillar::CashFlow => "cash_flow",
            Pillar::GrowthEfficiency => "growth_efficiency",
        }
    }

    pub fn weight(self) -> Decimal {
        match self {
            Pillar::Profitability | Pillar::CashFlow => dec(30, 2),
            Pillar::UnitEconomics | Pillar::GrowthEfficiency => dec(20, 2),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub profitability: Option<Decimal>,
    pub unit_economics: Option<Decimal>,
    pub cash_flow: Option<Decimal>,
    pub growth_efficiency: Option<Decimal>,
    pub total_score: Option<Decimal>,
    pub focus_area: Option<Pillar>,
}

impl Health {
    pub fn pillar(&self, p: Pillar) -> Option<Decimal> {
        match p {
            Pillar::Profitability => self.profitability,
            Pillar::UnitEconomics => self.unit_economics,
            Pillar::CashFlow => self.cash_flow,
            Pillar::GrowthEfficiency => self.growth_efficiency,
        }
    }
}

/// Maps `x` to a score by straight lines between `points` (metric, score), clamped at
/// the ends. The points may run in either direction ("lower is better").
pub fn piecewise(x: Decimal, points: &[(Decimal, Decimal)]) -> Decimal {
    let mut pts = points.to_vec();
    pts.sort_by_key(|p| p.0);
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    last.1
}

fn pts(raw: &[(i64, u32, i64)]) -> Vec<(Decimal, Decimal)> {
    raw.iter()
        .map(|&(m, s, score)| (dec(m, s), Decimal::from(score)))
        .collect()
}

fn mean_of(components: &[Option<Decimal>]) -> Option<Decimal> {
    let present: Vec<Decimal> = components.iter().flatten().copied().collect();
    if present.is_empty() {
        return None;
    }
    Some(present.iter().copied().sum::<Decimal>() / Decimal::from(present.len()))
}

/// The inputs of the score, each from its own module.
pub struct HealthInputs<'a> {
    pub profitability: &'a Profitability,
    pub unit_economics: &'a UnitEconomics,
    pub cash_flow: &'a CashFlow,
    pub collections: &'a Collections,
    pub growth: &'a Growth,
    pub burn_multiple: BurnMultiple,
}

pub fn health(i: &HealthInputs<'_>) -> Health {
    let gross = i
        .profitability
        .gross_margin
        .map(|v| piecewise(v, &pts(&[(0, 0, 0), (25, 2, 50), (50, 2, 100)])));
    let net = i
        .profitability
        .net_margin
        .map(|v| piecewise(v, &pts(&[(-20, 2, 0), (0, 0, 50), (15, 2, 100)])));
    let ltv_cac = i
        .unit_economics
        .ltv_to_cac
        .map(|v| piecewise(v, &pts(&[(1, 0, 0), (3, 0, 75), (5, 0, 100)])));
    let payback = i
        .unit_economics
        .cac_payback_months
        .map(|v| piecewise(v, &pts(&[(36, 0, 0), (12, 0, 75), (6, 0, 100)])));
    let runway = if i.cash_flow.cash_end <= Decimal::ZERO {
        Some(Decimal::ZERO)
    } else {
        match i.cash_flow.net_burn {
            None => None,
            Some(b) if b.is_zero() => Some(Decimal::ONE_HUNDRED),
            Some(_) => i
                .cash_flow
                .runway_months
                .map(|v| piecewise(v, &pts(&[(0, 0, 0), (6, 0, 50), (18, 0, 100)]))),
        }
    };
    let dso = i
        .collections
        .dso
        .map(|v| piecewise(v, &pts(&[(90, 0, 0), (45, 0, 50), (30, 0, 100)])));
    let growth = i
        .growth
        .revenue_growth_ttm
        .map(|v| piecewise(v, &pts(&[(-10, 2, 0), (0, 0, 40), (50, 2, 100)])));
    let burn = match i.burn_multiple {
        BurnMultiple::Unknown => None,
        BurnMultiple::NotBurning => Some(Decimal::ONE_HUNDRED),
        BurnMultiple::NoNewArr => Some(Decimal::ZERO),
        BurnMultiple::Value(v) => Some(piecewise(v, &pts(&[(3, 0, 0), (2, 0, 50), (1, 0, 100)]))),
    };
    let mut h = Health {
        profitability: mean_of(&[gross, net]),
        unit_economics: mean_of(&[ltv_cac, payback]),
        cash_flow: mean_of(&[runway, dso]),
        growth_efficiency: mean_of(&[growth, burn]),
        total_score: None,
        focus_area: None,
    };
    let present: Vec<(Pillar, Decimal)> = Pillar::ALL
        .iter()
        .filter_map(|p| h.pillar(*p).map(|s| (*p, s)))
        .collect();
    let weight: Decimal = present.iter().map(|(p, _)| p.weight()).sum();
    if !weight.is_zero() {
        h.total_score = Some(present.iter().map(|(p, s)| p.weight() * s).sum::<Decimal>() / weight);
    }
    // min_by keeps the first of equal minima: ties go to the earlier pillar.
    h.focus_area = present.iter().min_by(|a, b| a.1.cmp(&b.1)).map(|(p, _)| *p);
    h
}
