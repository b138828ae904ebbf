//! The tables of the views as data: the same columns and rows as on screen,
//! each value typed (an amount, a ratio, a date) rather than formatted, for
//! `X` (export), `y`/`Y` (copy) and `katalis export`. Every figure comes from
//! the same state the screen draws from (the company's data, the planner,
//! what `derive` computed); only the formatting differs.

use super::app::App;
use crate::domain::Month;
pub use crate::export::sheet::{Column, Rows, Sheet, Table, Unit, Value, invoice_row};
use crate::finance::variance::Line as VarLine;
use crate::locale::Lang;
use rust_decimal::Decimal;

/// The tab that shows it, and what sets the tab to show it.
pub fn tab_of(table: Table) -> super::app::Tab {
    use super::app::Tab;
    match table {
        Table::Profitability => Tab::Profitability,
        Table::UnitEconomics => Tab::UnitEconomics,
        Table::CashMonths | Table::CashWeeks => Tab::CashFlow,
        Table::Pricing => Tab::Pricing,
        Table::Collections | Table::CallList => Tab::Collections,
        Table::Compare | Table::Budget => Tab::Planning,
    }
}

/// The tables of the tab on screen, the one shown first.
pub fn on_screen(app: &App) -> Vec<Table> {
    use super::app::Tab;
    use super::planner::View as PlanView;
    match app.tab {
        Tab::Profitability => vec![Table::Profitability],
        Tab::UnitEconomics => vec![Table::UnitEconomics],
        Tab::CashFlow if app.views.weeks => vec![Table::CashWeeks, Table::CashMonths],
        Tab::CashFlow => vec![Table::CashMonths, Table::CashWeeks],
        Tab::Pricing => vec![Table::Pricing],
        Tab::Collections => vec![Table::Collections, Table::CallList],
        Tab::Planning if app.planner.view == PlanView::Budget => vec![Table::Budget, Table::Compare],
        Tab::Planning => vec![Table::Compare, Table::Budget],
        Tab::Dashboard | Tab::Bank => Vec::new(),
    }
}

/// The table as the app holds it now (its filter, its scenario, its marks);
/// `None` without a company loaded.
pub fn sheet(app: &App, table: Table) -> Option<Sheet> {
    let d = app.data.as_deref()?;
    let lang = app.lang;
    let t = |en, es| lang.pick(en, es);
    let cur = || Unit::Money(d.company.currency.clone());
    let by = &d.by_month;
    let n = by.len();
    let (columns, rows): (Vec<Column>, Rows) = match table {
        Table::Profitability => (
            vec![
                Column::new(t("Month", "Mes"), Unit::None),
                Column::new(t("Revenue", "Ingresos"), cur()),
                Column::new(t("vs prev.", "vs ant."), Unit::Ratio),
                Column::new(t("Gross", "Bruto"), Unit::Ratio),
                Column::new(t("Operating", "Operativo"), Unit::Ratio),
                Column::new("EBITDA", Unit::Ratio),
                Column::new(t("Net", "Neto"), Unit::Ratio),
                Column::new(t("Net income", "Utilidad neta"), cur()),
            ],
            Rows::Here(
                (0..n)
                    .rev()
                    .map(|i| {
                        let m = &by[i].totals;
                        let before = i.checked_sub(1).map(|j| by[j].totals.revenue);
                        vec![
                            Value::Month(by[i].month),
                            Value::Money(m.revenue),
                            Value::ratio(change(Some(m.revenue), before)),
                            Value::ratio(m.gross_margin()),
                            Value::ratio(m.operating_margin()),
                            Value::ratio(m.ebitda_margin()),
                            Value::ratio(m.net_margin()),
                            Value::Money(m.net_income()),
                        ]
                    })
                    .collect(),
            ),
        ),
        Table::UnitEconomics => (
            vec![
                Column::new(t("Month", "Mes"), Unit::None),
                Column::new(t("New", "Nuevos"), Unit::None),
                Column::new(t("Lost", "Bajas"), Unit::None),
                Column::new(t("Customers", "Clientes"), Unit::None),
                Column::new("Churn", Unit::Ratio),
                Column::new("ARPA", cur()),
                Column::new("LTV", cur()),
                Column::new("CAC", cur()),
                Column::new("LTV:CAC", Unit::None),
            ],
            Rows::Here(
                by.iter()
                    .rev()
                    .map(|m| {
                        vec![
                            Value::Month(m.month),
                            Value::int(m.customers_new),
                            Value::int(m.customers_churned),
                            Value::int(m.customers_end),
                            Value::ratio(m.unit.customer_churn),
                            Value::money(m.unit.arpa),
                            Value::money(m.unit.ltv),
                            Value::money(m.unit.cac),
                            Value::num(m.unit.ltv_to_cac, 2),
                        ]
                    })
                    .collect(),
            ),
        ),
        Table::CashMonths => {
            let monthly = &d.snapshot.monthly;
            let total = monthly.len();
            (
                vec![
                    Column::new(t("Month", "Mes"), Unit::None),
                    Column::new(t("Net cash flow", "Flujo neto"), cur()),
                    Column::new(t("Ending cash", "Caja al cierre"), cur()),
                    Column::new(t("Net burn (3m)", "Quema neta (3m)"), cur()),
                    Column::new(t("vs prev.", "vs ant."), Unit::Ratio),
                    Column::new(t("Runway", "Meses"), Unit::Months),
                ],
                Rows::Here(
                    (0..total.min(by.len()))
                        .rev()
                        .map(|i| {
                            let m = &monthly[i];
                            let cf = &by[i].cash;
                            let before = i.checked_sub(1).and_then(|j| by[j].cash.net_burn);
                            vec![
                                Value::Month(m.month),
                                Value::money(m.net_cash_flow),
                                Value::Money(m.cash_end),
                                Value::money(cf.net_burn),
                                Value::ratio(change(cf.net_burn, before)),
                                Value::num(cf.runway_months, 1),
                            ]
                        })
                        .collect(),
                ),
            )
        }
        Table::CashWeeks => {
            let fc = app.derived.forecast.as_ref()?;
            let bank = fc.opening_date.is_some();
            let mut columns = vec![
                Column::new(t("Week of", "Semana del"), Unit::None),
                Column::new(t("Collections", "Cobros"), cur()),
                Column::new(t("Other in", "Otros ingr."), cur()),
                Column::new(t("Outflows", "Egresos"), cur()),
                Column::new(t("Events", "Eventos"), cur()),
                Column::new(t("Closing", "Cierre"), cur()),
            ];
            if bank {
                columns.insert(5, Column::new(t("Bank net", "Banco neto"), cur()));
            }
            let rows = fc
                .weeks
                .iter()
                .map(|w| {
                    let mut r = vec![
                        Value::Date(w.start),
                        Value::Money(w.collections),
                        Value::Money(w.other_inflows),
                        Value::Money(-w.outflows),
                        Value::Money(w.events),
                        Value::Money(w.closing),
                    ];
                    if bank {
                        let net = w.actual_inflows.zip(w.actual_outflows).map(|(i, o)| i - o);
                        r.insert(5, Value::money(net));
                    }
                    r
                })
                .collect();
            (columns, Rows::Here(rows))
        }
        Table::Pricing => (
            vec![
                Column::new("SKU", Unit::None),
                Column::new(t("Product", "Producto"), Unit::None),
                Column::new(t("Price", "Precio"), cur()),
                Column::new(t("Cost", "Costo"), cur()),
                Column::new(t("CM", "MC"), cur()),
                Column::new(t("CM %", "MC %"), Unit::Ratio),
                Column::new("Markup", Unit::Ratio),
                Column::new(t("BE units", "Eq. uds"), Unit::None),
                Column::new(t("BE revenue", "Eq. ingresos"), cur()),
                Column::new(t("Profit / month", "Utilidad / mes"), cur()),
            ],
            Rows::Here(
                app.filtered_products(d)
                    .into_iter()
                    .map(|p| {
                        vec![
                            Value::Text(p.sku.clone()),
                            Value::Text(p.name.clone()),
                            Value::Money(p.unit_price),
                            Value::Money(p.unit_cost),
                            Value::Money(p.contribution_margin),
                            Value::ratio(p.contribution_margin_ratio),
                            Value::ratio(p.markup),
                            Value::int(p.break_even_units),
                            Value::money(p.break_even_revenue),
                            Value::Money(p.monthly_profit),
                        ]
                    })
                    .collect(),
            ),
        ),
        Table::Collections => (
            vec![
                Column::new(t("Number", "Número"), Unit::None),
                Column::new(t("Customer", "Cliente"), Unit::None),
                Column::new(t("Due", "Vence"), Unit::None),
                Column::new(t("Days", "Días"), Unit::Days),
                Column::new(t("Open", "Saldo"), cur()),
            ],
            Rows::OpenInvoices {
                company_id: d.company.id,
                day: d.snapshot.as_of.last_day(),
                filter: if app.tab == super::app::Tab::Collections {
                    app.views.filter.clone()
                } else {
                    String::new()
                },
                rate: d.open_rate(),
            },
        ),
        Table::CallList => (
            vec![
                Column::new("#", Unit::None),
                Column::new(t("Customer", "Cliente"), Unit::None),
                Column::new(t("Open", "Saldo"), cur()),
                Column::new(t("Days", "Días"), Unit::Days),
            ],
            Rows::Here(
                d.snapshot
                    .collections
                    .call_list
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        vec![
                            Value::Int(i as i64 + 1),
                            Value::Text(e.customer.clone()),
                            Value::Money(e.open),
                            Value::Int(e.max_days_past_due),
                        ]
                    })
                    .collect(),
            ),
        ),
        Table::Compare => compare(app, d, lang)?,
        Table::Budget => {
            app.planner.current().filter(|s| s.locked)?;
            let v = &app.derived.variances;
            let mut months: Vec<Month> = v.iter().map(|v| v.month).collect();
            months.dedup();
            let label = |l| super::views::planning::budget::line_label_in(lang, l);
            let mut columns = vec![Column::new(t("Month", "Mes"), Unit::None)];
            columns.extend(VarLine::ALL.iter().map(|l| Column::new(label(*l), cur())));
            let rows = months
                .iter()
                .map(|m| {
                    let mut r = vec![Value::Month(*m)];
                    r.extend(VarLine::ALL.iter().map(|l| {
                        v.iter()
                            .find(|x| x.month == *m && x.line == *l)
                            .map_or(Value::Empty, |x| Value::Money(x.variance))
                    }));
                    r
                })
                .collect();
            (columns, Rows::Here(rows))
        }
    };
    Some(Sheet {
        table,
        lang,
        company: d.company.name.clone(),
        columns,
        rows,
    })
}

/// The relative change of `now` against `before`, as the "vs prev." columns show it.
fn change(now: Option<Decimal>, before: Option<Decimal>) -> Option<Decimal> {
    match (now, before) {
        (Some(now), Some(b)) if !b.is_zero() => Some((now - b) / b.abs()),
        _ => None,
    }
}

/// The comparison: a row per output, a column per scenario compared and the
/// difference of each after the first; the unit of each row in its label.
fn compare(app: &App, d: &super::data::CompanyData, lang: Lang) -> Option<(Vec<Column>, Rows)> {
    use crate::finance::planning::Projection;
    let t = |en, es| lang.pick(en, es);
    let pl = &app.planner;
    let shown: Vec<(String, &Projection)> = pl
        .compared()
        .into_iter()
        .filter_map(|i| Some((pl.scenarios[i].name.clone(), pl.projection_of(i)?)))
        .collect();
    let first = shown.first()?.1;
    let mut columns = vec![Column::new("", Unit::None)];
    for (i, (name, _)) in shown.iter().enumerate() {
        columns.push(Column::new(name.clone(), Unit::None));
        if i > 0 {
            columns.push(Column::new(format!("Δ {} ({name})", t("vs 1st", "vs 1º")), Unit::None));
        }
    }
    let c = &d.company.currency;
    type Get = fn(&Projection) -> Value;
    type Diff = fn(&Projection, &Projection) -> Value;
    let metrics: [(String, Get, Diff); 6] = [
        (
            t("Cash zero", "Caja en cero").to_owned(),
            |p| Value::month(p.cash_zero_month),
            |a, b| between(a.cash_zero_month, b.cash_zero_month),
        ),
        (
            t("Break-even", "Equilibrio").to_owned(),
            |p| Value::month(p.break_even_month),
            |a, b| between(a.break_even_month, b.break_even_month),
        ),
        (
            format!("{} ({c})", t("Min cash", "Caja mínima")),
            |p| Value::Money(p.min_cash),
            |a, b| Value::Money(b.min_cash - a.min_cash),
        ),
        (
            format!("{} ({c})", t("Cash at end", "Caja al final")),
            |p| Value::Money(p.cash_at_horizon),
            |a, b| Value::Money(b.cash_at_horizon - a.cash_at_horizon),
        ),
        (
            t("Runway at end (months)", "Meses al final").to_owned(),
            |p| Value::num(p.runway_at_horizon, 1),
            |a, b| Value::num(a.runway_at_horizon.zip(b.runway_at_horizon).map(|(x, y)| y - x), 1),
        ),
        (
            format!("{} ({c})", t("NPV", "VPN")),
            |p| Value::Money(p.npv),
            |a, b| Value::Money(b.npv - a.npv),
        ),
    ];
    let rows = metrics
        .iter()
        .map(|(label, get, diff)| {
            let mut r = vec![Value::Text(label.clone())];
            for (i, (_, p)) in shown.iter().enumerate() {
                r.push(get(p));
                if i > 0 {
                    r.push(diff(first, p));
                }
            }
            r
        })
        .collect();
    Some((columns, Rows::Here(rows)))
}

/// Months from `a` to `b` (compare's difference of two months).
fn between(a: Option<Month>, b: Option<Month>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) => Value::Int(i64::from(b.months_since(a))),
        _ => Value::Empty,
    }
}
