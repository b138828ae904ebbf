//! Invariants of the engine and the import parser, over generated inputs.

use chrono::NaiveDate;
use katalis::domain::{Drivers, Invoice, Month, Product};
use katalis::finance::collections::{Bucket, collections, collections_input};
use katalis::finance::planning::{Start, project};
use katalis::finance::pricing::{margin_from_markup, markup_from_margin, product_economics};
use katalis::import::fields;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn money() -> impl Strategy<Value = Decimal> {
    (1i64..1_000_000_000).prop_map(|c| Decimal::new(c, 2))
}

prop_compose! {
    fn invoice()(n in 0u32..1000, customer in 0u8..6, issue in 0i64..400, terms in 0i64..90,
                 amount in money(), paid_pct in 0u32..=100, paid_after in -10i64..200)
        -> Invoice {
        let issue_date = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap() + chrono::Duration::days(issue);
        let paid_amount = (amount * Decimal::from(paid_pct) / Decimal::from(100)).round_dp(2);
        Invoice {
            number: format!("N{n}"),
            customer: format!("C{customer}"),
            issue_date,
            due_date: issue_date + chrono::Duration::days(terms),
            amount,
            paid_amount,
            paid_date: (paid_amount > Decimal::ZERO).then(|| issue_date + chrono::Duration::days(paid_after.max(0))),
            fx: None,
        }
    }
}

fn drivers(growth: Decimal, gm: Decimal) -> Drivers {
    Drivers {
        horizon_months: 36,
        revenue_growth: growth,
        gross_margin: gm,
        opex_base: Decimal::from(800),
        opex_growth: Decimal::ZERO,
        other_income: Decimal::ZERO,
        depreciation: Decimal::ZERO,
        price_change: Decimal::ZERO,
        price_change_month: 1,
        hires: vec![],
        cash_events: vec![],
        discount_rate: Decimal::new(12, 2),
    }
}

proptest! {
    #[test]
    fn aging_buckets_and_call_list_sum_to_ar(invoices in prop::collection::vec(invoice(), 0..60), month in 0i32..18) {
        let m = "2024-06".parse::<Month>().unwrap().plus(month);
        let c = collections(&collections_input(&invoices, m), m);
        let buckets: Decimal = Bucket::ALL.iter().map(|b| c.aging.get(*b)).sum();
        prop_assert_eq!(buckets, c.ar_total);
        let listed: Decimal = c.call_list.iter().map(|e| e.open).sum();
        prop_assert_eq!(listed, c.ar_total);
        prop_assert!(c.ar_total >= Decimal::ZERO);
        if let Some(share) = c.overdue_share {
            prop_assert!(share >= Decimal::ZERO && share <= Decimal::ONE);
        }
        for w in c.call_list.windows(2) {
            prop_assert!(w[0].score >= w[1].score);
        }
    }

    #[test]
    fn zero_growth_and_no_events_keep_revenue_flat(rev in money(), cash in money(), gm in 0u32..100, h in 12u32..=60) {
        let mut d = drivers(Decimal::ZERO, Decimal::new(gm.into(), 2));
        d.horizon_months = h;
        let p = project(Start { month: "2025-01".parse().unwrap(), revenue: rev, cash }, &d);
        prop_assert_eq!(p.months.len(), h as usize);
        for row in &p.months {
            prop_assert_eq!(row.revenue, rev);
        }
    }

    #[test]
    fn higher_growth_never_lowers_min_cash(g1 in 0i64..500, dg in 0i64..500, gm in 1i64..100, rev in money()) {
        let start = Start { month: "2025-01".parse().unwrap(), revenue: rev, cash: Decimal::from(10_000) };
        let gm = Decimal::new(gm, 2);
        let low = project(start, &drivers(Decimal::new(g1, 4), gm));
        let high = project(start, &drivers(Decimal::new(g1 + dg, 4), gm));
        prop_assert!(high.min_cash >= low.min_cash);
    }

    #[test]
    fn a_zero_cost_product_has_a_full_margin(price in money(), units in money()) {
        let e = product_economics(&Product {
            sku: "S".into(), name: String::new(), unit_price: price, unit_cost: Decimal::ZERO,
            monthly_units: units, fixed_costs: Decimal::ZERO,
        });
        prop_assert_eq!(e.contribution_margin_ratio, Some(Decimal::ONE));
        prop_assert_eq!(e.markup, None);
    }

    #[test]
    fn margin_and_markup_are_inverse(margin in 0i64..9999) {
        let g = Decimal::new(margin, 4);
        let back = margin_from_markup(markup_from_margin(g).unwrap()).unwrap();
        prop_assert!((back - g).abs() < Decimal::new(1, 20));
    }

    #[test]
    fn import_decimals_round_trip(mantissa in -999_999_999_999_999_999_i64..=999_999_999_999_999_999_i64, scale in 0u32..=4) {
        let d = Decimal::new(mantissa, scale);
        let text = d.to_string();
        let back = fields::decimal(&text);
        if text.trim_start_matches('-').split('.').next().unwrap().trim_start_matches('0').len() <= 14 {
            prop_assert_eq!(back, Ok(d));
        } else {
            prop_assert!(back.is_err());
        }
    }
}

mod allocation {
    use katalis::finance::reconcile::{LineText, Matcher, OpenInvoice, Tier, check_allocation};
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use std::collections::HashMap;

    const NAMES: [&str; 4] = ["Acme Industrial S.A. de C.V.", "Beta Logística", "Café Ñandú", "Delta"];

    prop_compose! {
        fn open_invoice()(n in 0u32..60, customer in 0usize..4, issue in 0i64..60, terms in 0i64..45,
                          cents in prop::sample::select(vec![50_000i64, 120_000, 99_999, 250_050, 7_500, 50_000]))
            -> OpenInvoice {
            let issue_date = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Duration::days(issue);
            OpenInvoice {
                number: format!("F-{n:04}"),
                customer: NAMES[customer].to_owned(),
                issue_date,
                due_date: issue_date + chrono::Duration::days(terms),
                open: Decimal::new(cents, 2),
                uuid: None,
            }
        }
    }

    prop_compose! {
        fn line()(id in 1i64..10_000, day in 0i64..90, cents in prop::sample::select(vec![50_000i64, 120_000, 170_000,
                  100_000, 7_500, 25_000, -5_000, 370_050]), who in 0usize..6, number in 0u32..60, named in any::<bool>())
            -> LineText {
            LineText {
                id,
                date: chrono::NaiveDate::from_ymd_opt(2026, 9, 15).unwrap() + chrono::Duration::days(day),
                amount: Decimal::new(cents, 2),
                description: if named { format!("SPEI PAGO F-{number:04}") } else { "SPEI RECIBIDO".to_owned() },
                counterparty: NAMES.get(who).map(|n| n.to_uppercase()).unwrap_or_default(),
                reference: String::new(),
            }
        }
    }

    proptest! {
        /// Whatever the lines and invoices: no proposal allocates more than its
        /// line, no invoice gets more than its balance across all proposals,
        /// every part is positive, and the tiers keep their word.
        #[test]
        fn proposals_never_allocate_twice(invoices in prop::collection::vec(open_invoice(), 0..25),
                                          lines in prop::collection::vec(line(), 0..25)) {
            let mut seen = std::collections::HashSet::new();
            let invoices: Vec<OpenInvoice> = invoices.into_iter().filter(|i| seen.insert(i.number.clone())).collect();
            let mut ids = std::collections::HashSet::new();
            let lines: Vec<LineText> = lines.into_iter().filter(|l| ids.insert(l.id)).collect();
            let start: HashMap<String, Decimal> = invoices.iter().map(|i| (i.number.clone(), i.open)).collect();
            let mut m = Matcher::new(invoices.clone(), HashMap::new(), vec![]);
            let proposals = m.propose_all(&lines);
            let mut taken: HashMap<String, Decimal> = HashMap::new();
            for p in &proposals {
                let line = lines.iter().find(|l| l.id == p.line_id).unwrap();
                prop_assert!(line.amount > Decimal::ZERO);
                prop_assert!(p.total() <= line.amount, "{p:?} over {line:?}");
                prop_assert!(!p.allocations.is_empty());
                for a in &p.allocations {
                    prop_assert!(a.amount > Decimal::ZERO);
                    *taken.entry(a.number.clone()).or_default() += a.amount;
                }
                match p.tier {
                    Tier::Payer | Tier::Amount => prop_assert_eq!(p.total(), line.amount),
                    Tier::Partial => prop_assert!(p.total() == line.amount && p.allocations.len() == 1),
                    Tier::Reference => {}
                }
                // Each proposal passes the store's own check against the balances before it.
                let before: HashMap<String, Decimal> = start.iter()
                    .map(|(n, o)| (n.clone(), *o - taken.get(n).copied().unwrap_or_default()
                        + p.allocations.iter().filter(|a| &a.number == n).map(|a| a.amount).sum::<Decimal>()))
                    .collect();
                prop_assert!(check_allocation(p.line_id, line.amount, Decimal::ZERO, &p.allocations,
                    |n| before.get(n).copied()).is_ok());
            }
            for (n, t) in &taken {
                prop_assert!(*t <= start[n], "{n}: {t} taken of {}", start[n]);
                prop_assert_eq!(m.open_of(n), Some(start[n] - *t));
            }
        }
    }
}
