//! Products: price, cost, contribution margin, markup vs margin, break-even;
//! a detail pane with cost-plus, target-margin and profit-maximising prices
//! for values the user types.

use super::{LazyTable, left, right, signed};
use crate::finance::pricing::{cost_plus_price, profit_max_price, target_margin_price, what_if};
use crate::import::fields;
use crate::sanitize::clean;
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::widgets::block;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The what-if inputs of the pricing detail pane, kept as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingInputs {
    /// 0: markup %, 1: target margin %, 2: elasticity.
    pub focus: usize,
    pub editing: bool,
    pub values: [String; 3],
}

impl Default for PricingInputs {
    fn default() -> Self {
        PricingInputs {
            focus: 0,
            editing: false,
            values: ["50".into(), "40".into(), "-2".into()],
        }
    }
}

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let f = &d.fmt;
    let th = &app.theme;
    // The table as tall as its rows; the room left over (when there is some)
    // shows each product's monthly contribution as bars.
    let products = app.filtered_products(d);
    let rows_h = products.len() as u16 + 3;
    let chart_h = area.height.saturating_sub(8 + rows_h.max(5));
    let [table, chart, detail] = if chart_h >= 5 {
        Layout::vertical([
            Constraint::Length(rows_h.max(5)),
            Constraint::Min(0),
            Constraint::Length(8),
        ])
        .areas(area)
    } else {
        let [t, d] = Layout::vertical([Constraint::Min(5), Constraint::Length(8)]).areas(area);
        [t, Rect::default(), d]
    };
    let total = products.len();
    let selected = app.views.rows[app.tab.index()].min(total.saturating_sub(1));
    let wide = area.width >= 110;
    let mut headers = vec![
        "SKU",
        t("Product", "Producto"),
        t("Price", "Precio"),
        t("Cost", "Costo"),
        t("CM", "MC"),
        t("CM %", "MC %"),
        "Markup",
        t("BE units", "Eq. uds"),
    ];
    let mut widths = vec![
        Constraint::Length(13),
        Constraint::Min(8),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(7),
        // "BE units" whole.
        Constraint::Length(8),
    ];
    // Prices and costs in the currency with cents; the two monthly totals in
    // one unit chosen over every product (the header names it unless it is
    // the title's).
    let tf = f.themed(th);
    let all = &d.snapshot.pricing;
    let be_sc = tf.scale(all.iter().filter_map(|p| p.break_even_revenue), 12);
    let profit_sc = tf.scale(all.iter().map(|p| p.monthly_profit), 12);
    let label = |text: &str, sc| {
        if sc == crate::tui::format::Scale::Units {
            text.to_owned()
        } else {
            tf.header(text, sc, app.lang)
        }
    };
    let (h_be, h_profit) = (
        label(t("BE revenue", "Eq. ingresos"), be_sc),
        label(t("Profit / month", "Utilidad / mes"), profit_sc),
    );
    if wide {
        headers.push(&h_be);
        widths.push(Constraint::Length(13));
        headers.push(&h_profit);
        widths.push(Constraint::Length(14));
    }
    let title = if app.views.filter.is_empty() {
        format!("{} · {}", t("Products", "Productos"), tf.currency)
    } else {
        format!(
            "{} · {} /{}",
            t("Products", "Productos"),
            tf.currency,
            clean(&app.views.filter)
        )
    };
    LazyTable {
        title: &title,
        headers,
        widths,
        total,
        selected,
    }
    .render(buf, table, th, |i| {
        let p = products[i];
        let mut row = vec![
            left(clean(&p.sku), th.base),
            left(clean(&p.name), th.base),
            right(f.amount(p.unit_price), th.base),
            right(f.amount(p.unit_cost), th.base),
            right(f.amount(p.contribution_margin), signed(th, Some(p.contribution_margin))),
            right(
                f.pct(p.contribution_margin_ratio),
                signed(th, p.contribution_margin_ratio),
            ),
            right(f.pct(p.markup), th.base),
            right(f.int(p.break_even_units), th.base),
        ];
        if wide {
            row.push(right(tf.scaled(p.break_even_revenue, be_sc), th.base));
            row.push(right(
                tf.scaled(Some(p.monthly_profit), profit_sc),
                signed(th, Some(p.monthly_profit)),
            ));
        }
        row
    });

    if chart.height > 0 {
        contribution_chart(app, d, chart, buf);
    }

    // Detail: the typed what-if values and the prices they give.
    let Some(p) = products.get(selected) else {
        Paragraph::new(t(
            "No products: import a products CSV.",
            "Sin productos: importe un CSV de productos.",
        ))
        .block(block(t("Prices", "Precios"), th))
        .style(th.muted)
        .render(detail, buf);
        return;
    };
    let labels = [
        t("markup %", "margen s/costo %"),
        t("target margin %", "margen objetivo %"),
        t("elasticity", "elasticidad"),
    ];
    let values: Vec<Result<Decimal, String>> = app
        .views
        .pricing
        .values
        .iter()
        .map(|v| fields::decimal(v.trim()))
        .collect();
    let mut inputs = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let focused = app.views.pricing.focus == i;
        let style = if focused && app.views.pricing.editing {
            th.selected
        } else if focused {
            th.accent
        } else {
            th.base
        };
        let bad = values[i].is_err();
        inputs.push(Span::styled(format!("{label}: "), th.muted));
        inputs.push(Span::styled(
            format!(
                "[{}{}]",
                app.views.pricing.values[i],
                if focused && app.views.pricing.editing {
                    "▏"
                } else {
                    ""
                }
            ),
            if bad { th.bad } else { style },
        ));
        inputs.push(Span::raw("  "));
    }
    let pct = |i: usize| values[i].clone().ok().map(|v| v / Decimal::ONE_HUNDRED);
    let cost_plus = pct(0).map(|m| cost_plus_price(p.unit_cost, m));
    let target = pct(1).and_then(|g| target_margin_price(p.unit_cost, g));
    let elasticity = values[2].clone().ok();
    let profit_max = elasticity.and_then(|e| profit_max_price(p.unit_cost, e));
    let product = d.products.iter().find(|x| x.sku == p.sku);
    let up = product.zip(elasticity).map(|(x, e)| what_if(x, Decimal::new(10, 2), e));
    let price = |v: Option<Decimal>| v.map_or("—".to_owned(), |v| f.amount(v));
    let lines = vec![
        Line::from(inputs),
        Line::from(vec![
            Span::styled(
                format!("{}: ", t("Cost-plus price", "Precio costo más margen")),
                th.muted,
            ),
            Span::styled(price(cost_plus), th.accent),
            Span::styled(
                format!("   {}: ", t("Target-margin price", "Precio por margen objetivo")),
                th.muted,
            ),
            Span::styled(price(target), th.accent),
        ]),
        Line::from(vec![
            Span::styled(
                format!("{}: ", t("Profit-maximising price", "Precio que maximiza la utilidad")),
                th.muted,
            ),
            Span::styled(
                if elasticity.is_some() && profit_max.is_none() {
                    t("needs elasticity < -1", "requiere elasticidad < -1").to_owned()
                } else {
                    price(profit_max)
                },
                th.accent,
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("{} ", t("Price +10%:", "Precio +10%:")), th.muted),
            Span::styled(
                up.map_or("—".to_owned(), |w| {
                    format!(
                        "{} {} {}, {} {}",
                        f.amount(w.units),
                        t("units", "unidades"),
                        t("a month", "al mes"),
                        t("profit", "utilidad"),
                        f.money(Some(w.profit), true)
                    )
                }),
                th.base,
            ),
        ]),
        Line::from(Span::styled(
            t(
                "←/→ choose a value · Enter types it · e edits the product",
                "←/→ elige un valor · Enter lo escribe · e edita el producto",
            ),
            th.muted,
        )),
    ];
    let title = format!("{} — {}", t("Prices", "Precios"), clean(&p.sku));
    Paragraph::new(lines)
        .block(block(&title, th))
        .style(th.base)
        .render(detail, buf);
}

/// Each product's monthly contribution (margin × units) as a horizontal bar,
/// largest first, its fixed costs and profit beside it; one unit for every
/// figure, named in the title. A product sold below cost shows its loss in the
/// alert colour.
fn contribution_chart(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let th = &app.theme;
    let tf = d.fmt.themed(th);
    let mut items: Vec<&crate::finance::ProductEconomics> = d.snapshot.pricing.iter().collect();
    items.sort_by_key(|p| std::cmp::Reverse(p.monthly_contribution));
    let sc = tf.scale(
        items
            .iter()
            .flat_map(|p| [p.monthly_contribution, p.fixed_costs, p.monthly_profit]),
        11,
    );
    let title = format!(
        "{} · {}",
        t(
            "Contribution a month (margin × units) · fixed costs · profit",
            "Contribución al mes (margen × unidades) · costos fijos · utilidad"
        ),
        tf.unit(sc, app.lang)
    );
    let b = crate::tui::widgets::block(&title, th);
    let inner = b.inner(area);
    b.render(area, buf);
    let label_w = items
        .iter()
        .map(|p| crate::sanitize::width(&clean(&p.sku)))
        .max()
        .unwrap_or(0)
        .min(14);
    let figures = |p: &crate::finance::ProductEconomics| {
        format!(
            " {:>12} {:>12} {:>12}",
            tf.scaled(Some(p.monthly_contribution), sc),
            tf.scaled(Some(p.fixed_costs), sc),
            tf.scaled(Some(p.monthly_profit), sc)
        )
    };
    let fig_w = 39;
    let bar_w = (inner.width as usize).saturating_sub(label_w + 1 + fig_w);
    let most = items
        .iter()
        .map(|p| p.monthly_contribution.abs())
        .max()
        .unwrap_or_default();
    // Column titles, then each product with a bar one to three rows thick,
    // as the room allows.
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "{}{} {:>12} {:>12} {:>12}",
            " ".repeat(label_w + 1),
            " ".repeat(bar_w),
            t("contribution", "contribución"),
            t("fixed", "fijos"),
            t("profit", "utilidad")
        ),
        th.muted,
    ))];
    let thick = ((inner.height as usize).saturating_sub(1) / items.len().max(1)).clamp(1, 3);
    let bars: Vec<Vec<Line>> = items
        .iter()
        .take((inner.height as usize).saturating_sub(1))
        .map(|p| {
            let len = if most.is_zero() {
                0
            } else {
                (p.monthly_contribution.abs() * Decimal::from(bar_w as u64) / most)
                    .round()
                    .to_u64()
                    .map_or(0, |v| v as usize)
            };
            let style = if p.monthly_contribution < Decimal::ZERO {
                th.bad
            } else {
                th.accent
            };
            (0..thick)
                .map(|row| {
                    let (label, figs) = if row == 0 {
                        (crate::sanitize::fit(&clean(&p.sku), label_w), figures(p))
                    } else {
                        (String::new(), String::new())
                    };
                    Line::from(vec![
                        Span::styled(crate::sanitize::pad_right(&label, label_w + 1), th.base),
                        Span::styled("█".repeat(len), style),
                        Span::raw(" ".repeat(bar_w.saturating_sub(len))),
                        Span::styled(figs, signed(th, Some(p.monthly_profit))),
                    ])
                })
                .collect()
        })
        .collect();
    lines.extend(bars.into_iter().flatten());
    Paragraph::new(lines).style(th.base).render(inner, buf);
}

/// Products: margins, break-even and what-if prices (Enter types a value).
pub struct Pricing;

impl crate::tui::component::View for Pricing {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Costs & pricing", "Costos y precios"],
            short: ["Pricing", "Precios"],
            agent: crate::ai::Agent::Pricing,
        }
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
    fn commands(&self, _app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        &[Filter, Edit, Left, Right, Up, Down, PageUp, PageDown, Top, Bottom]
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        app.filtered_products(d).len()
    }
    fn record(&self, app: &App, _d: &CompanyData) -> Option<crate::tui::form::Record> {
        app.selected_product().map(crate::tui::form::Record::Product)
    }
    fn handle_key(&self, app: &mut App, key: &crossterm::event::KeyEvent) -> crate::tui::component::Handled {
        if key.code != crossterm::event::KeyCode::Enter {
            return crate::tui::component::Handled::NotConsumed;
        }
        app.views.pricing.editing = true;
        crate::tui::component::Handled::done()
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        use crate::tui::keymap::Intent;
        match intent {
            Intent::Left => app.views.pricing.focus = app.views.pricing.focus.saturating_sub(1),
            Intent::Right => app.views.pricing.focus = (app.views.pricing.focus + 1).min(2),
            _ => return crate::tui::component::Handled::NotConsumed,
        }
        crate::tui::component::Handled::done()
    }
}
