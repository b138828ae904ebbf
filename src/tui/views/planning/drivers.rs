//! The drivers view: the editable drivers beside the projection (outputs, chart, months).

use super::*;

pub(super) fn driver_label(app: &App, d: &Drivers, row: Row) -> String {
    let t = |en, es| app.lang.pick(en, es);
    match row {
        Row::Horizon => t("Horizon (months)", "Horizonte (meses)").into(),
        Row::PriceMonth => t("Price change month", "Mes cambio precio").into(),
        Row::Driver(k) => match k {
            DriverKey::RevenueGrowth => t("Revenue growth %/mo", "Crecimiento %/mes"),
            DriverKey::GrossMargin => t("Gross margin %", "Margen bruto %"),
            DriverKey::OpexBase => t("Opex / month", "Gastos / mes"),
            DriverKey::OpexGrowth => t("Opex growth %/mo", "Crec. gastos %/mes"),
            DriverKey::OtherIncome => t("Other income / mo", "Otros ingr. / mes"),
            DriverKey::Depreciation => t("Depreciation / mo", "Depreciación / mes"),
            DriverKey::PriceChange => t("Price change %", "Cambio de precio %"),
            DriverKey::DiscountRate => t("Discount rate %/yr", "Descuento %/año"),
        }
        .into(),
        Row::Hire(i) => format!("{} {}", t("Hire", "Contratación"), i + 1),
        Row::Event(i) if d.cash_events.get(i).is_some_and(|e| !e.label.trim().is_empty()) => {
            clean(&d.cash_events[i].label)
        }
        Row::AddHire => t("+ add a hire", "+ contratación").into(),
        Row::Event(i) => format!("{} {}", t("Cash event", "Evento de caja"), i + 1),
        Row::AddEvent => t("+ add a cash event", "+ evento de caja").into(),
    }
}

pub(super) fn driver_value(app: &App, f: &Fmt, d: &Drivers, row: Row) -> String {
    let t = |en, es| app.lang.pick(en, es);
    match row {
        Row::Horizon => d.horizon_months.to_string(),
        Row::PriceMonth => d.price_change_month.to_string(),
        Row::Driver(k) if k.is_rate() => f.num(Some(k.get(d) * Decimal::ONE_HUNDRED), 2) + "%",
        // Large amounts without cents, so they fit the column.
        Row::Driver(k) if k.get(d).abs() >= Decimal::from(100_000) => f.num(Some(k.get(d)), 0),
        Row::Driver(k) => f.amount(k.get(d)),
        Row::Hire(i) => d.hires.get(i).map_or_else(String::new, |h| {
            format!(
                "{}{} {}×{}",
                t("m", "m"),
                h.month,
                h.count,
                f.num(Some(h.monthly_cost), 0)
            )
        }),
        Row::Event(i) => d.cash_events.get(i).map_or_else(String::new, |e| {
            format!("{}{} {}", t("m", "m"), e.month, f.num(Some(e.amount), 0))
        }),
        Row::AddHire | Row::AddEvent => String::new(),
    }
}

pub(super) fn drivers_table(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    let title = match (&pl.cell, s.base, s.locked) {
        (Some(_), _, _) => t(
            "Drivers · Enter keep · Esc drop",
            "Supuestos · Enter guarda · Esc descarta",
        ),
        (None, true, _) => t("Drivers (base: read-only)", "Supuestos (base: solo lectura)"),
        (None, _, true) => t("Drivers (locked budget)", "Supuestos (presupuesto fijo)"),
        (None, false, false) => t("Drivers · Enter edit · +/- · u", "Supuestos · Enter editar · +/- · u"),
    };
    let b = block(title, th);
    let inner = b.inner(area);
    b.render(area, buf);
    let rows = pl.rows();
    let error_h = if pl.cell.as_ref().is_some_and(|c| c.error.is_some()) {
        3
    } else {
        0
    };
    let height = inner.height.saturating_sub(error_h) as usize;
    let start = crate::tui::widgets::window_start(pl.row, height, rows.len());
    let label_w = inner.width.saturating_sub(14);
    for (line, (i, row)) in rows.iter().enumerate().skip(start).take(height).enumerate() {
        let y = inner.y + line as u16;
        let selected = i == pl.row;
        let label_style = if matches!(row, Row::AddHire | Row::AddEvent) {
            th.muted
        } else {
            th.base
        };
        let style = if selected { th.selected } else { label_style };
        let label_area = Rect::new(inner.x, y, label_w, 1);
        let value_area = Rect::new(inner.x + label_w + 1, y, inner.width.saturating_sub(label_w + 1), 1);
        Paragraph::new(driver_label(app, &s.drivers, *row))
            .style(style)
            .render(label_area, buf);
        match &pl.cell {
            Some(c) if selected => {
                let mut input = c.input.clone();
                let style = if c.error.is_some() { th.bad } else { th.accent };
                input.set_style(style.add_modifier(Modifier::UNDERLINED));
                input.render(value_area, buf);
            }
            _ => {
                Paragraph::new(driver_value(app, &d.fmt, &s.drivers, *row))
                    .style(style)
                    .alignment(ratatui::layout::Alignment::Right)
                    .render(value_area, buf);
            }
        }
    }
    if let Some(e) = pl.cell.as_ref().and_then(|c| c.error.as_ref()) {
        let h = error_h.min(inner.height);
        Paragraph::new(format!("✗ {}", clean(e)))
            .style(th.bad)
            .wrap(Wrap { trim: true })
            .render(Rect::new(inner.x, inner.y + inner.height - h, inner.width, h), buf);
    }
}

pub(super) fn outputs(app: &App, f: &Fmt, p: &Projection, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let month = |m: Option<Month>| m.map_or("—".to_owned(), |m| m.to_string());
    let runway = p
        .runway_at_horizon
        .map_or_else(|| t("not burning", "sin quema").to_owned(), |r| f.num(Some(r), 1));
    let lines = vec![
        pairs(
            th,
            &[
                (
                    t("Cash zero:", "Caja en cero:"),
                    month(p.cash_zero_month),
                    if p.cash_zero_month.is_some() { th.bad } else { th.good },
                ),
                (t("Break-even:", "Equilibrio:"), month(p.break_even_month), th.base),
            ],
        ),
        pairs(
            th,
            &[
                (
                    t("Min cash:", "Caja mínima:"),
                    f.money(Some(p.min_cash), true),
                    signed(th, Some(p.min_cash)),
                ),
                (t("NPV:", "VPN:"), f.money(Some(p.npv), true), signed(th, Some(p.npv))),
            ],
        ),
        pairs(
            th,
            &[(
                t("Runway at the horizon:", "Meses de caja al horizonte:"),
                runway,
                th.base,
            )],
        ),
    ];
    Paragraph::new(lines)
        .block(block(t("Outputs", "Resultados"), th))
        .render(area, buf);
}

pub(super) fn drivers_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    let Some(p) = pl.projection_of(pl.current) else { return };
    let drivers_w = if area.width >= 110 { DRIVERS_W + 6 } else { DRIVERS_W };
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(drivers_w.min(area.width / 2)), Constraint::Min(0)]).areas(area);
    drivers_table(app, d, left_area, buf);
    let chart_h = if right_area.height >= 30 { 16 } else { 8 };
    let [out_area, chart, table] =
        Layout::vertical([Constraint::Length(5), Constraint::Length(chart_h), Constraint::Min(0)]).areas(right_area);
    outputs(app, &d.fmt, p, out_area, buf);
    cash_chart(app, d, chart, buf, &[(clean(&s.name), p, th.projection)]);
    let f = &d.fmt;
    let total = p.months.len();
    // One unit for the whole projection (its columns add up), named in the title.
    let tf = f.themed(th);
    let sc = tf.scale(p.months.iter().flat_map(|m| [m.revenue, m.net_income, m.cash]), 9);
    let title = format!(
        "{} · {} ({})",
        t("Projection", "Proyección"),
        tf.unit(sc, app.lang),
        t("PgUp/PgDn", "RePág/AvPág")
    );
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            t("Revenue", "Ingresos"),
            t("Net income", "Utilidad"),
            t("Cash", "Caja"),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(9),
            Constraint::Min(9),
            Constraint::Min(9),
        ],
        total,
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        let m = &p.months[i];
        vec![
            left(m.month.to_string(), th.projection),
            right(tf.scaled(Some(m.revenue), sc), th.base),
            right(tf.scaled(Some(m.net_income), sc), signed(th, Some(m.net_income))),
            right(tf.scaled(Some(m.cash), sc), signed(th, Some(m.cash))),
        ]
    });
}
