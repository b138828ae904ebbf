//! The 13-week forecast and budget vs actual, against hand-computed values.

mod common;

use katalis::domain::{CashEvent, Drivers, MonthlyFinancials};
use katalis::finance::Ledger;
use katalis::finance::forecast::{average_days_late, thirteen_weeks};
use katalis::finance::planning::Start;
use katalis::finance::variance::{Line, budget_vs_actual, worst};
use katalis::numbers::{money, ratio};
use rust_decimal::Decimal;

use common::fixtures::{day, inv, m};

fn dec(v: i64) -> Decimal {
    Decimal::from(v)
}

fn row(month: &str, revenue: i64, cogs: i64, opex: i64, cash: i64) -> MonthlyFinancials {
    MonthlyFinancials {
        month: m(month),
        revenue: dec(revenue),
        cogs: dec(cogs),
        opex: dec(opex),
        sales_marketing: None,
        depreciation: None,
        other_income: None,
        financing: None,
        cash_end: dec(cash),
        customers_new: None,
        customers_churned: None,
        customers_end: None,
    }
}

#[test]
fn thirteen_week_forecast() {
    let ledger = Ledger::new([
        row("2025-01", 1000, 400, 300, 4000),
        row("2025-02", 1000, 400, 300, 4500),
        row("2025-03", 1000, 400, 300, 5000),
    ]);
    let invoices = vec![
        inv("X1", "X", "2025-01-05", "2025-01-20", 100, 100, Some("2025-01-25")), // 5 days late
        inv("X2", "X", "2025-01-10", "2025-01-31", 100, 100, Some("2025-02-10")), // 10 days late
        inv("A", "X", "2025-03-11", "2025-04-10", 520, 0, None),                  // + 7.5 → 8 days: 04-18, week 3
        inv("B", "Y", "2025-02-13", "2025-03-15", 260, 0, None),                  // overdue: week 1
        inv("C", "Y", "2025-03-20", "2025-07-15", 999, 0, None),                  // after week 13: left out
    ];
    let late = average_days_late(&invoices, day("2025-03-31"));
    assert_eq!(late.get("X").copied(), Some(Decimal::new(75, 1)));
    let events = vec![CashEvent {
        month: 1,
        amount: dec(1000),
        label: "loan".into(),
    }];
    let f = thirteen_weeks(&ledger, m("2025-03"), &invoices, &events, dec(6250));
    assert_eq!(f.weeks.len(), 13);
    assert_eq!(f.weeks[0].start, day("2025-04-01"));
    assert_eq!(f.weeks[12].end, day("2025-06-30"));
    // invoiced Jan–Mar: 100 + 100 + 520 + 260 + 999 = 1979, a mean of 659.67 a month
    assert_eq!(money(f.weeks[0].other_inflows), "78.54"); // (1000 − 1979/3) × 12/52 = 78.538
    assert_eq!(money(f.weeks[0].outflows), "161.54"); // 700 × 12/52
    assert_eq!(money(f.weeks[0].collections), "260.00");
    assert_eq!(money(f.weeks[2].collections), "520.00");
    assert_eq!(money(f.weeks[0].events), "1000.00");
    // week 1: 5000 + 260 + 78.538 − 161.538 + 1000
    assert_eq!(money(f.weeks[0].closing), "6177.00");
    assert_eq!(f.below_floor, Some(1));
    let none = thirteen_weeks(&ledger, m("2025-03"), &invoices, &events, dec(-1_000_000));
    assert_eq!(none.below_floor, None);
    let total: Decimal = f.weeks.iter().map(|w| w.collections).sum();
    assert_eq!(total, dec(780), "C falls after week 13");
}

#[test]
fn budget_against_actuals() {
    let ledger = Ledger::new([
        row("2025-01", 1000, 400, 300, 5000),
        row("2025-02", 900, 380, 320, 5250),
        row("2025-03", 1100, 420, 300, 5700),
    ]);
    let budget = Drivers {
        horizon_months: 12,
        revenue_growth: Decimal::ZERO,
        gross_margin: Decimal::new(6, 1),
        opex_base: dec(300),
        opex_growth: Decimal::ZERO,
        other_income: Decimal::ZERO,
        depreciation: Decimal::ZERO,
        price_change: Decimal::ZERO,
        price_change_month: 1,
        hires: vec![],
        cash_events: vec![],
        discount_rate: Decimal::new(12, 2),
    };
    let start = Start {
        month: m("2025-01"),
        revenue: dec(1000),
        cash: dec(5000),
    };
    let v = budget_vs_actual(&ledger, &katalis::finance::planning::project(start, &budget));
    assert_eq!(v.len(), 10, "Feb and Mar, five lines each");
    let get = |month: &str, line: Line| v.iter().find(|x| x.month == m(month) && x.line == line).unwrap();
    let rev = get("2025-02", Line::Revenue);
    assert_eq!(
        (money(rev.budget), money(rev.variance)),
        ("1000.00".into(), "-100.00".into())
    );
    assert_eq!(rev.variance_pct.map(ratio), Some("-0.1000".into()));
    assert!(rev.unfavourable);
    assert!(
        !get("2025-02", Line::Cogs).unfavourable,
        "costs below budget are favourable"
    );
    assert!(get("2025-02", Line::Opex).unfavourable);
    assert_eq!(
        get("2025-02", Line::NetIncome).variance_pct.map(ratio),
        Some("-0.3333".into())
    );
    assert_eq!(money(get("2025-02", Line::Cash).variance), "-50.00");
    assert_eq!(money(get("2025-03", Line::Cash).budget), "5600.00");
    assert!(!get("2025-03", Line::Cash).unfavourable);
    let w: Vec<(String, Line)> = worst(&v, 3).iter().map(|x| (x.month.to_string(), x.line)).collect();
    assert_eq!(
        w,
        vec![
            ("2025-02".into(), Line::Revenue),
            ("2025-02".into(), Line::NetIncome),
            ("2025-02".into(), Line::Cash)
        ]
    );
}

/// Cash at or below zero: the funding now, or the opex, that keeps cash at zero
/// or above over the horizon — both checked by projecting them.
#[test]
fn what_it_takes_to_be_back_above_zero() {
    use katalis::domain::CashEvent;
    use katalis::finance::planning::{back_above_zero, project};
    let drivers = Drivers {
        horizon_months: 12,
        revenue_growth: Decimal::ZERO,
        gross_margin: Decimal::new(5, 1),
        opex_base: dec(800),
        opex_growth: Decimal::ZERO,
        other_income: Decimal::ZERO,
        depreciation: Decimal::ZERO,
        price_change: Decimal::ZERO,
        price_change_month: 1,
        hires: vec![],
        cash_events: vec![],
        discount_rate: Decimal::ZERO,
    };
    // −100 now and −300 a month: 3,700 of funding, or opex down to 400 (+100 in month 1).
    let start = Start {
        month: m("2025-01"),
        revenue: dec(1000),
        cash: dec(-100),
    };
    let b = back_above_zero(start, &drivers);
    assert_eq!(b.funding, dec(3700));
    assert_eq!(b.opex_base, Some(dec(400)));
    assert_eq!((b.opex_base_now, b.horizon), (dec(800), 12));
    let mut funded = drivers.clone();
    funded.cash_events.push(CashEvent {
        month: 1,
        amount: b.funding,
        label: "funding".into(),
    });
    assert_eq!(project(start, &funded).min_cash, Decimal::ZERO);
    // Deep in overdraft: no opex cut alone is enough by month 1.
    let deep = Start {
        cash: dec(-5000),
        ..start
    };
    let b = back_above_zero(deep, &drivers);
    assert_eq!((b.funding, b.opex_base), (dec(8600), None));
}
