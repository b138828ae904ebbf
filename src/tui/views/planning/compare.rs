//! The comparison of up to three scenarios: cash chart and outputs with the differences.

use super::*;

pub(super) fn compare_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let f = &d.fmt;
    let t = |en, es| app.lang.pick(en, es);
    let styles = [th.projection, th.accent, th.warn];
    let shown: Vec<(String, &Projection, Style)> = pl
        .compared()
        .into_iter()
        .zip(styles)
        .filter_map(|(i, style)| Some((clean(&pl.scenarios[i].name), pl.projection_of(i)?, style)))
        .collect();
    let table_h = 9u16.min(area.height / 2);
    let [chart, table] = Layout::vertical([Constraint::Min(0), Constraint::Length(table_h)]).areas(area);
    cash_chart(app, d, chart, buf, &shown);

    let month = |m: Option<Month>| m.map_or("—".to_owned(), |m| m.to_string());
    let months_between = |a: Option<Month>, b: Option<Month>| match (a, b) {
        (Some(a), Some(b)) => format!("{:+}", b.months_since(a)),
        (None, None) => String::new(),
        _ => "≠".to_owned(),
    };
    // Every amount of the table (and their differences) in one unit, named in the title.
    let tf = f.themed(th);
    let sc = tf.scale(
        shown
            .iter()
            .flat_map(|(_, p, _)| [p.min_cash, p.cash_at_horizon, p.npv])
            .chain(shown.iter().flat_map(|(_, p, _)| {
                let a = shown[0].1;
                [
                    p.min_cash - a.min_cash,
                    p.cash_at_horizon - a.cash_at_horizon,
                    p.npv - a.npv,
                ]
            })),
        9,
    );
    let money = |v: Decimal| tf.scaled(Some(v), sc);
    let money_diff = |a: Decimal, b: Decimal| money(b - a);
    type Metric<'a> = (
        &'a str,
        Box<dyn Fn(&Projection) -> String + 'a>,
        Box<dyn Fn(&Projection, &Projection) -> String + 'a>,
    );
    let metrics: Vec<Metric> = vec![
        (
            t("Cash zero", "Caja en cero"),
            Box::new(|p: &Projection| month(p.cash_zero_month)),
            Box::new(|a: &Projection, b: &Projection| months_between(a.cash_zero_month, b.cash_zero_month)),
        ),
        (
            t("Break-even", "Equilibrio"),
            Box::new(|p: &Projection| month(p.break_even_month)),
            Box::new(|a: &Projection, b: &Projection| months_between(a.break_even_month, b.break_even_month)),
        ),
        (
            t("Min cash", "Caja mínima"),
            Box::new(|p: &Projection| money(p.min_cash)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.min_cash, b.min_cash)),
        ),
        (
            t("Cash at end", "Caja al final"),
            Box::new(|p: &Projection| money(p.cash_at_horizon)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.cash_at_horizon, b.cash_at_horizon)),
        ),
        (
            t("Runway at end", "Meses al final"),
            Box::new(|p: &Projection| f.num(p.runway_at_horizon, 1)),
            Box::new(
                |a: &Projection, b: &Projection| match (a.runway_at_horizon, b.runway_at_horizon) {
                    (Some(x), Some(y)) => format!("{:+}", (y - x).round_dp(1)),
                    _ => String::new(),
                },
            ),
        ),
        (
            t("NPV", "VPN"),
            Box::new(|p: &Projection| money(p.npv)),
            Box::new(|a: &Projection, b: &Projection| money_diff(a.npv, b.npv)),
        ),
    ];
    let mut headers: Vec<String> = vec![String::new()];
    let mut widths = vec![Constraint::Length(14)];
    for (i, (name, _, _)) in shown.iter().enumerate() {
        headers.push(name.chars().take(14).collect());
        widths.push(Constraint::Min(10));
        if i > 0 {
            headers.push(format!("Δ {}", t("vs 1st", "vs 1º")));
            widths.push(Constraint::Min(8));
        }
    }
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let title = format!(
        "{} · {}",
        if pl.compare.is_empty() {
            t("Compare (Space marks up to 3)", "Comparar (Espacio marca hasta 3)")
        } else {
            t("Compare", "Comparar")
        },
        tf.unit(sc, app.lang)
    );
    LazyTable {
        title: &title,
        headers: header_refs,
        widths,
        total: metrics.len(),
        selected: 0,
    }
    .render(buf, table, th, |r| {
        let (label, value, diff) = &metrics[r];
        let mut cells = vec![left((*label).to_owned(), th.muted)];
        let first = shown.first().map(|s| s.1);
        for (i, (_, p, style)) in shown.iter().enumerate() {
            cells.push(right(value(p), *style));
            if i > 0
                && let Some(a) = first
            {
                cells.push(right(diff(a, p), th.muted));
            }
        }
        cells
    });
}
