//! The engine against hand-computed values (docs/metrics.md), with the edge cases.
//! Expected figures were worked out with exact fractions, then rounded half-even.

mod common;

use katalis::domain::{CashEvent, Drivers, Hire, Invoice, MonthlyFinancials, Product};
use katalis::finance::collections::{collections, collections_input};
use katalis::finance::growth::{BurnMultiple, burn_multiple, cmgr, growth, nth_root};
use katalis::finance::health::{HealthInputs, health, piecewise};
use katalis::finance::planning::{DriverKey, Start, Target, base_drivers, goal_seek, project};
use katalis::finance::pricing::{cost_plus_price, product_economics, profit_max_price, target_margin_price, what_if};
use katalis::finance::{Ledger, Pillar, as_of_month, cash_flow, profitability, unit_economics};
use katalis::numbers::{fixed, money, ratio, two};
use rust_decimal::Decimal;

use common::fixtures::{dec, inv, m};

fn r4(v: Option<Decimal>) -> Option<String> {
    v.map(ratio)
}
fn r2(v: Option<Decimal>) -> Option<String> {
    v.map(money)
}
fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn row(month: &str, revenue: i64, cogs: i64, opex: i64, cash: i64) -> MonthlyFinancials {
    MonthlyFinancials {
        month: m(month),
        revenue: Decimal::from(revenue),
        cogs: Decimal::from(cogs),
        opex: Decimal::from(opex),
        sales_marketing: None,
        depreciation: None,
        other_income: None,
        financing: None,
        cash_end: Decimal::from(cash),
        customers_new: None,
        customers_churned: None,
        customers_end: None,
    }
}

/// Three months; depreciation 50 and other income −20 each.
fn quarter() -> Ledger {
    let mut rows = vec![
        row("2025-01", 1000, 400, 500, 10000),
        row("2025-02", 1200, 500, 500, 10100),
        row("2025-03", 1400, 560, 600, 10300),
    ];
    for r in &mut rows {
        r.depreciation = Some(dec("50"));
        r.other_income = Some(dec("-20"));
    }
    Ledger::new(rows)
}

#[test]
fn profitability_over_the_months_of_ttm_that_exist() {
    let p = profitability::profitability(&quarter(), m("2025-03"));
    assert_eq!(money(p.revenue_ttm), "3600.00");
    assert_eq!(r4(p.gross_margin), s("0.5944")); // 2140 / 3600
    assert_eq!(r4(p.operating_margin), s("0.1500")); // 540 / 3600
    assert_eq!(r4(p.ebitda_margin), s("0.1917")); // 690 / 3600
    assert_eq!(r4(p.net_margin), s("0.1333")); // 480 / 3600
    assert_eq!(r2(p.break_even_revenue), s("897.20")); // (1600/3) / (2140/3600)
}

#[test]
fn profitability_edge_cases() {
    let zero = Ledger::new([row("2025-01", 0, 0, 100, 0)]);
    let p = profitability::profitability(&zero, m("2025-01"));
    assert_eq!(p.gross_margin, None);
    assert_eq!(p.net_margin, None);
    assert_eq!(p.break_even_revenue, None);
    let negative = Ledger::new([row("2025-01", 100, 150, 10, 0)]);
    let p = profitability::profitability(&negative, m("2025-01"));
    assert_eq!(r4(p.gross_margin), s("-0.5000"));
    assert_eq!(p.break_even_revenue, None, "gross margin ≤ 0 has no break-even");
    // Year to date with a fiscal year starting in February: Feb and Mar only.
    let ytd = profitability::year_to_date(&quarter(), m("2025-03"), 2);
    assert_eq!(ytd.revenue, dec("2600"));
    assert_eq!(ytd.months, 2);
}

#[test]
fn cash_flow_not_burning() {
    let c = cash_flow::cash_flow(&quarter(), m("2025-03"));
    assert_eq!(money(c.cash_end), "10300.00");
    assert_eq!(r2(c.net_burn), s("0.00"));
    assert_eq!(r2(c.gross_burn), s("970.00")); // (850 + 950 + 1110) / 3
    assert_eq!(c.runway_months, None);
    assert_eq!(c.cash_zero_month, None);
}

#[test]
fn cash_flow_burning_with_a_funding_round_excluded() {
    let mut rows = vec![
        row("2025-01", 100, 0, 0, 10000),
        row("2025-02", 100, 0, 0, 9000),
        row("2025-03", 100, 0, 0, 8500),
    ];
    rows[2].financing = Some(dec("500"));
    let ledger = Ledger::new(rows);
    let c = cash_flow::cash_flow(&ledger, m("2025-03"));
    assert_eq!(r2(c.net_burn), s("1000.00")); // ocf: −1000, −1000 (Jan undefined)
    assert_eq!(c.runway_months.map(two), s("8.50"));
    assert_eq!(c.cash_zero_month, Some(m("2025-12"))); // M + ceil(8.5)
    // Cash already gone: runway 0 and the cash-zero month is M.
    let gone = Ledger::new([row("2025-01", 0, 0, 0, 100), row("2025-02", 0, 0, 0, -50)]);
    let c = cash_flow::cash_flow(&gone, m("2025-02"));
    assert_eq!(c.runway_months.map(two), s("0.00"));
    assert_eq!(c.cash_zero_month, Some(m("2025-02")));
    // A single month: no cash flow defined, so no burn.
    let single = Ledger::new([row("2025-01", 0, 0, 0, 100)]);
    let c = cash_flow::cash_flow(&single, m("2025-01"));
    assert_eq!(c.net_burn, None);
    assert_eq!(c.runway_months, None);
}

fn customers_ledger() -> Ledger {
    let mut rows = vec![row("2024-12", 900, 400, 500, 9000)];
    rows[0].customers_end = Some(100);
    for (r, (n, c, e)) in quarter()
        .up_to(m("2025-03"))
        .cloned()
        .zip([(10, 5, 105), (12, 3, 114), (8, 6, 116)])
    {
        let mut r = r;
        r.customers_new = Some(n);
        r.customers_churned = Some(c);
        r.customers_end = Some(e);
        r.sales_marketing = Some(dec("300"));
        rows.push(r);
    }
    Ledger::new(rows)
}

#[test]
fn unit_economics_pooled_over_counting_months() {
    let u = unit_economics::unit_economics(&customers_ledger(), m("2025-03"));
    assert_eq!(r4(u.customer_churn), s("0.0439")); // 14 / 319
    assert_eq!(r2(u.arpa), s("11.01")); // 3600 / 327
    assert_eq!(r2(u.contribution_per_customer), s("6.54")); // 2140 / 327
    assert_eq!(r2(u.ltv), s("149.12")); // 2140/327 × 319/14
    assert_eq!(r2(u.cac), s("30.00")); // 900 / 30
    assert_eq!(r4(u.ltv_to_cac), s("4.9706"));
    assert_eq!(u.cac_payback_months.map(two), s("4.58"));
}

#[test]
fn unit_economics_edge_cases() {
    // No customer columns: every metric is None.
    let u = unit_economics::unit_economics(&quarter(), m("2025-03"));
    assert_eq!(u, Default::default());
    // One counting month without sales_marketing makes CAC unknown.
    let mut l: Vec<MonthlyFinancials> = customers_ledger().up_to(m("2025-03")).cloned().collect();
    l[2].sales_marketing = None;
    let u = unit_economics::unit_economics(&Ledger::new(l.clone()), m("2025-03"));
    assert_eq!(u.cac, None);
    assert_eq!(u.ltv_to_cac, None);
    assert!(u.ltv.is_some());
    // Zero churn caps the lifetime at 60 months.
    for r in &mut l {
        if r.customers_churned.is_some() {
            r.customers_churned = Some(0);
        }
    }
    let u = unit_economics::unit_economics(&Ledger::new(l.clone()), m("2025-03"));
    assert_eq!(r4(u.customer_churn), s("0.0000"));
    assert_eq!(u.ltv, u.contribution_per_customer.map(|c| c * Decimal::from(60)));
    // No customers at the start: churn None makes LTV None.
    for r in &mut l {
        r.customers_end = Some(0);
    }
    let u = unit_economics::unit_economics(&Ledger::new(l), m("2025-03"));
    assert_eq!(u.customer_churn, None);
    assert_eq!(u.ltv, None);
    assert_eq!(u.ltv_to_cac, None);
}

/// 24 months, revenue 1000 + 10k, cogs 30 %, opex 500, cash falling by 100 a month.
fn growth_ledger() -> Ledger {
    Ledger::new((0..24).map(|k| {
        let rev = 1000 + 10 * k;
        row(
            &m("2024-01").plus(k as i32).to_string(),
            rev,
            rev * 3 / 10,
            500,
            100_000 - 100 * k,
        )
    }))
}

#[test]
fn growth_metrics() {
    let l = growth_ledger();
    let at = m("2025-12");
    let p = profitability::profitability(&l, at);
    let g = growth(&l, at, p.ebitda_margin);
    assert_eq!(r4(g.revenue_mom), s("0.0082")); // 1230/1220 − 1
    assert_eq!(r4(g.revenue_yoy), s("0.1081")); // 1230/1110 − 1
    assert_eq!(r4(g.revenue_growth_ttm), s("0.1137")); // 14100/12660 − 1
    assert_eq!(r4(g.cmgr_3), s("0.0083")); // (1230/1200)^(1/3) − 1 = 0.008264…
    assert_eq!(r4(g.cmgr_12), s("0.0086")); // (1230/1110)^(1/12) − 1 = 0.008591…
    assert_eq!(r4(g.burn_multiple), s("0.8333")); // 300 / ((1230 − 1200) × 12)
    assert_eq!(r4(g.rule_of_40), s("0.3882")); // 0.113744 + 3870/14100
}

#[test]
fn growth_edge_cases() {
    let l = growth_ledger();
    // Fewer than 24 months: no TTM growth, no rule of 40.
    let g = growth(&l, m("2025-06"), Some(Decimal::ONE));
    assert_eq!(g.revenue_growth_ttm, None);
    assert_eq!(g.rule_of_40, None);
    // A missing month is None, never the nearest earlier row.
    let gap = Ledger::new([row("2025-01", 100, 0, 0, 0), row("2025-03", 110, 0, 0, 0)]);
    assert_eq!(growth(&gap, m("2025-03"), None).revenue_mom, None);
    // revenue(M) = 0 gives cmgr −1; a non-positive base gives None.
    let z = Ledger::new([row("2025-01", 100, 0, 0, 0), row("2025-04", 0, 0, 0, 0)]);
    assert_eq!(r4(cmgr(&z, m("2025-04"), 3)), s("-1.0000"));
    let neg = Ledger::new([row("2025-01", -5, 0, 0, 0), row("2025-04", 10, 0, 0, 0)]);
    assert_eq!(cmgr(&neg, m("2025-04"), 3), None);
    // Burn multiple cases.
    let flat = Ledger::new((0..4).map(|k| row(&m("2025-01").plus(k).to_string(), 100, 0, 0, 1000 - 10 * k as i64)));
    assert_eq!(burn_multiple(&flat, m("2025-04")), BurnMultiple::NoNewArr);
    let up = Ledger::new((0..4).map(|k| row(&m("2025-01").plus(k).to_string(), 100, 0, 0, 1000 + 10 * k as i64)));
    assert_eq!(burn_multiple(&up, m("2025-04")), BurnMultiple::NotBurning);
    assert_eq!(
        burn_multiple(&up, m("2025-03")),
        BurnMultiple::Unknown,
        "revenue(M−3) missing"
    );
}

#[test]
fn nth_root_is_exact_to_the_last_digits() {
    let r = nth_root(dec("1.025"), 3).unwrap();
    assert!(r.to_string().starts_with("1.008264837609052198894536432"), "{r}");
    let cube = r * r * r;
    assert!((cube - dec("1.025")).abs() < dec("0.000000000000000000000001"));
    assert_eq!(nth_root(dec("16"), 4), Some(dec("2")));
    assert_eq!(nth_root(dec("-1"), 3), None);
    assert_eq!(nth_root(Decimal::ZERO, 12), Some(Decimal::ZERO));
}

fn receivables() -> Vec<Invoice> {
    vec![
        inv("A", "Acme", "2025-01-15", "2025-02-14", 1000, 200, Some("2025-03-20")),
        inv("B", "Acme", "2025-03-05", "2025-04-04", 500, 0, None),
        inv("C", "Beta", "2024-11-01", "2024-12-01", 800, 300, Some("2025-01-10")),
        inv("D", "Gamma", "2025-02-01", "2025-03-03", 400, 400, Some("2025-04-02")),
        inv("E", "Delta", "2025-01-01", "2025-01-31", 600, 600, Some("2025-02-15")),
        inv("F", "Beta", "2025-04-05", "2025-05-05", 900, 0, None),
    ]
}

#[test]
fn collections_at_the_end_of_march() {
    let at = m("2025-03");
    let c = collections(&collections_input(&receivables(), at), at);
    assert_eq!(money(c.ar_total), "2200.00"); // 800 + 500 + 500 + 400
    assert_eq!(money(c.aging.current), "500.00");
    assert_eq!(money(c.aging.d1_30), "400.00"); // D: 28 days
    assert_eq!(money(c.aging.d31_60), "800.00"); // A: 45 days
    assert_eq!(money(c.aging.d61_90), "0.00");
    assert_eq!(money(c.aging.d90_plus), "500.00"); // C: 120 days
    assert_eq!(r4(c.overdue_share), s("0.7727")); // 1700 / 2200
    assert_eq!(c.dso.map(two), s("79.20")); // 2200 / 2500 × 90
    assert_eq!(r4(c.cei), s("0.1053")); // (1900 + 500 − 2200) / (1900 + 500 − 500)
    let list: Vec<(&str, String, i64, String)> = c
        .call_list
        .iter()
        .map(|e| (e.customer.as_str(), money(e.open), e.max_days_past_due, two(e.score)))
        .collect();
    assert_eq!(
        list,
        vec![
            ("Acme", "1300.00".into(), 45, "3250.00".into()),
            ("Beta", "500.00".into(), 120, "2500.00".into()),
            ("Gamma", "400.00".into(), 28, "773.33".into()),
        ]
    );
}

#[test]
fn collections_edge_cases() {
    let at = m("2025-03");
    let none = collections(&collections_input(&[], at), at);
    assert_eq!(none.ar_total, Decimal::ZERO);
    assert!(none.call_list.is_empty());
    assert_eq!((none.overdue_share, none.dso, none.cei), (None, None, None));
    // Ties: equal score, then larger open, then customer name in byte order.
    let tie = vec![
        inv("1", "b", "2025-03-01", "2025-04-01", 100, 0, None),
        inv("2", "a", "2025-03-01", "2025-04-01", 100, 0, None),
        inv("3", "Z", "2025-03-01", "2025-04-01", 100, 0, None),
    ];
    let c = collections(&collections_input(&tie, at), at);
    let order: Vec<&str> = c.call_list.iter().map(|e| e.customer.as_str()).collect();
    assert_eq!(order, ["Z", "a", "b"]);
}

#[test]
fn pricing_per_product() {
    let p = Product {
        sku: "X".into(),
        name: "x".into(),
        unit_price: dec("100"),
        unit_cost: dec("60"),
        monthly_units: dec("50"),
        fixed_costs: dec("1000"),
    };
    let e = product_economics(&p);
    assert_eq!(money(e.contribution_margin), "40.00");
    assert_eq!(r4(e.contribution_margin_ratio), s("0.4000"));
    assert_eq!(r4(e.markup), s("0.6667"));
    assert_eq!(e.break_even_units, Some(25));
    assert_eq!(r2(e.break_even_revenue), s("2500.00"));
    assert_eq!(money(e.monthly_profit), "1000.00");
    assert_eq!(cost_plus_price(dec("60"), dec("0.5")), dec("90"));
    assert_eq!(target_margin_price(dec("60"), dec("0.4")), Some(dec("100")));
    assert_eq!(target_margin_price(dec("60"), dec("1")), None);
    assert_eq!(profit_max_price(dec("60"), dec("-3")), Some(dec("90")));
    assert_eq!(profit_max_price(dec("60"), dec("-1")), None);
    let w = what_if(&p, dec("0.1"), dec("-2"));
    assert_eq!(
        (w.price, w.units, w.profit),
        (dec("110.0"), dec("40.0"), dec("1000.00"))
    );
    let w = what_if(&p, dec("1"), dec("-2"));
    assert_eq!(w.units, Decimal::ZERO, "units floor at 0");

    let free = product_economics(&Product {
        unit_cost: Decimal::ZERO,
        fixed_costs: Decimal::ZERO,
        ..p.clone()
    });
    assert_eq!(free.markup, None);
    assert_eq!(r4(free.contribution_margin_ratio), s("1.0000"));
    assert_eq!(free.break_even_units, Some(0));
    let losing = product_economics(&Product {
        unit_cost: dec("120"),
        ..p.clone()
    });
    assert_eq!((losing.break_even_units, losing.break_even_revenue), (None, None));
    let even = product_economics(&Product {
        unit_cost: dec("100"),
        fixed_costs: Decimal::ZERO,
        ..p
    });
    assert_eq!(even.break_even_units, None, "CM = 0 is None whatever the fixed costs");
}

#[test]
fn health_interpolates_and_picks_the_focus_area() {
    let pts = [
        (dec("0"), dec("0")),
        (dec("0.25"), dec("50")),
        (dec("0.50"), dec("100")),
    ];
    assert_eq!(piecewise(dec("0.30"), &pts), dec("60"));
    assert_eq!(piecewise(dec("-1"), &pts), dec("0"));
    assert_eq!(piecewise(dec("9"), &pts), dec("100"));
    let lower = [(dec("36"), dec("0")), (dec("12"), dec("75")), (dec("6"), dec("100"))];
    assert_eq!(piecewise(dec("9"), &lower), dec("87.5"));

    let l = customers_ledger();
    let at = m("2025-03");
    let p = profitability::profitability(&l, at);
    let u = unit_economics::unit_economics(&l, at);
    let cf = cash_flow::cash_flow(&l, at);
    let col = collections(&collections_input(&receivables(), at), at);
    let g = growth(&l, at, p.ebitda_margin);
    let h = health(&HealthInputs {
        profitability: &p,
        unit_economics: &u,
        cash_flow: &cf,
        collections: &col,
        growth: &g,
        burn_multiple: burn_multiple(&l, at),
    });
    // TTM holds Dec–Mar here: gross 2640/4500 → 100; net 480/4500 → 50 + 0.10667/0.15 × 50 = 85.56
    assert_eq!(h.profitability.map(two), s("92.78"));
    // LTV:CAC 4.9706 → 75 + 1.9706/2 × 25 = 99.63; payback 4.58 → 100
    assert_eq!(h.unit_economics.map(two), s("99.82"));
    // not burning → 100; DSO 79.2 → (90 − 79.2)/45 × 50 = 12
    assert_eq!(h.cash_flow.map(two), s("56.00"));
    // no TTM growth; burn multiple: not burning → 100
    assert_eq!(h.growth_efficiency.map(two), s("100.00"));
    assert_eq!(h.focus_area, Some(Pillar::CashFlow));
    // 0.3 × 92.7778 + 0.2 × 99.8162 + 0.3 × 56 + 0.2 × 100 = 84.597
    assert_eq!(h.total_score.map(two), s("84.60"));
}

fn drivers() -> Drivers {
    Drivers {
        horizon_months: 12,
        revenue_growth: dec("0.1"),
        gross_margin: dec("0.5"),
        opex_base: dec("800"),
        opex_growth: Decimal::ZERO,
        other_income: dec("-10"),
        depreciation: dec("20"),
        price_change: dec("0.2"),
        price_change_month: 2,
        hires: vec![Hire {
            month: 3,
            count: 1,
            monthly_cost: dec("100"),
        }],
        cash_events: vec![CashEvent {
            month: 2,
            amount: dec("1000"),
            label: "seed".into(),
        }],
        discount_rate: Decimal::ZERO,
    }
}

#[test]
fn projection_month_by_month() {
    let start = Start {
        month: m("2025-12"),
        revenue: dec("1000"),
        cash: dec("5000"),
    };
    let p = project(start, &drivers());
    let first: Vec<(String, String, String, String, String)> = p.months[..3]
        .iter()
        .map(|r| {
            (
                r.month.to_string(),
                money(r.revenue),
                money(r.net_income),
                money(r.net_cash_flow),
                money(r.cash),
            )
        })
        .collect();
    assert_eq!(
        first,
        vec![
            (
                "2026-01".into(),
                "1100.00".into(),
                "-260.00".into(),
                "-240.00".into(),
                "4760.00".into()
            ),
            (
                "2026-02".into(),
                "1452.00".into(),
                "37.00".into(),
                "1057.00".into(),
                "5817.00".into()
            ),
            (
                "2026-03".into(),
                "1597.20".into(),
                "21.70".into(),
                "41.70".into(),
                "5858.70".into()
            ),
        ]
    );
    assert_eq!(p.break_even_month, Some(m("2026-02")));
    assert_eq!(money(p.min_cash), "4760.00");
    assert_eq!(p.cash_zero_month, None);
    assert_eq!(p.runway_at_horizon, None, "not burning at the horizon");
    assert_eq!(
        p.npv,
        p.cash_at_horizon - dec("5000"),
        "a zero discount rate sums the cash flows"
    );
}

fn burning() -> (Start, Drivers) {
    let start = Start {
        month: m("2025-12"),
        revenue: dec("1000"),
        cash: dec("3000"),
    };
    let d = Drivers {
        revenue_growth: Decimal::ZERO,
        other_income: Decimal::ZERO,
        depreciation: Decimal::ZERO,
        price_change: Decimal::ZERO,
        opex_base: dec("1000"),
        hires: vec![],
        cash_events: vec![],
        discount_rate: dec("0.12"),
        ..drivers()
    };
    (start, d)
}

#[test]
fn projection_that_runs_out_of_cash() {
    let (start, d) = burning();
    let p = project(start, &d);
    assert_eq!(p.cash_zero_month, Some(m("2026-06"))); // 3000 / 500
    assert_eq!(money(p.min_cash), "-3000.00");
    assert_eq!(p.break_even_month, None);
    assert_eq!(p.runway_at_horizon.map(two), s("0.00"));
    // NPV of −500 a month for 12 months at 12 % a year: −500 × Σ 1.12^(−k/12) = −5645.758
    assert_eq!(money(p.npv), "-5645.76");
}

#[test]
fn goal_seek_found_not_found_and_already_met() {
    let (start, d) = burning();
    let found = goal_seek(
        start,
        &d,
        DriverKey::GrossMargin,
        Target::MinCashNonNegative,
        dec("0"),
        dec("1"),
    );
    assert_eq!(found.value.map(ratio), s("0.7500")); // 3000 + 12 (1000 g − 1000) ≥ 0
    let none = goal_seek(
        start,
        &d,
        DriverKey::GrossMargin,
        Target::MinCashNonNegative,
        dec("0"),
        dec("0.5"),
    );
    assert_eq!(none.value, None);
    let both = goal_seek(
        start,
        &d,
        DriverKey::GrossMargin,
        Target::MinCashNonNegative,
        dec("0.8"),
        dec("0.9"),
    );
    assert_eq!(both.value, Some(dec("0.8")), "current 0.5 clamped into the bounds");
    // A value between grid points is rounded away from the failing end.
    let up = goal_seek(
        start,
        &d,
        DriverKey::OpexBase,
        Target::BreakEvenBy(1),
        dec("0"),
        dec("777.77777"),
    );
    // opex ≤ 500 meets; the bisection stops just under 500 and rounds down, away from the failing end.
    assert_eq!(up.value.map(|v| fixed(v, 4)), s("499.9999"));
    let runway = goal_seek(
        start,
        &d,
        DriverKey::OpexBase,
        Target::RunwayAtHorizonAtLeast(dec("12")),
        dec("0"),
        dec("2000"),
    );
    assert!(runway.value.is_some());
}

#[test]
fn base_drivers_from_actuals_are_rounded_when_derived() {
    let l = quarter();
    let d = base_drivers(&l, m("2025-03"));
    assert_eq!(d.horizon_months, 24);
    assert_eq!(d.revenue_growth, Decimal::ZERO, "no cmgr_3 without revenue(M−3)");
    assert_eq!(d.gross_margin, dec("0.594444")); // 2140/3600 at 6 decimals
    assert_eq!(d.opex_base, dec("533.33"));
    assert_eq!(d.other_income, dec("-20"));
    assert_eq!(d.depreciation, dec("50"));
    assert_eq!(d.discount_rate, dec("0.12"));
    let g = base_drivers(&growth_ledger(), m("2025-12"));
    assert_eq!(g.revenue_growth, dec("0.008265"));
}

#[test]
fn as_of_month_must_have_a_row() {
    let l = quarter();
    assert_eq!(as_of_month(&l, None), Ok(m("2025-03")));
    assert_eq!(as_of_month(&l, Some(m("2025-02"))), Ok(m("2025-02")));
    assert!(as_of_month(&l, Some(m("2024-02"))).is_err());
    assert!(as_of_month(&Ledger::default(), None).is_err());
}
