//! The locked budget against the actuals, month by month, the worst variances highlighted.

use super::*;

pub(super) fn line_label(app: &App, l: VarLine) -> &'static str {
    line_label_in(app.lang, l)
}

/// A budget line's name, as the table's header says it.
pub fn line_label_in(lang: crate::locale::Lang, l: VarLine) -> &'static str {
    let t = |en, es| lang.pick(en, es);
    match l {
        VarLine::Revenue => t("Revenue", "Ingresos"),
        VarLine::Cogs => t("COGS", "Costo ventas"),
        VarLine::Opex => t("Opex", "Gastos"),
        VarLine::NetIncome => t("Net income", "Utilidad"),
        VarLine::Cash => t("Cash", "Caja"),
    }
}

pub(super) fn budget_view(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let f = &d.fmt;
    let t = |en, es| app.lang.pick(en, es);
    let Some(s) = pl.current() else { return };
    if !s.locked {
        Paragraph::new(vec![
            Line::from(Span::styled(
                t(
                    "This scenario is not a budget.",
                    "Este escenario no es un presupuesto.",
                ),
                th.base,
            )),
            Line::from(Span::styled(
                t(
                    "L locks it as the budget from a month you choose; then each month with actuals shows here against it.",
                    "L lo fija como presupuesto desde el mes que elija; luego cada mes con datos reales se compara aquí.",
                ),
                th.muted,
            )),
        ])
        .wrap(Wrap { trim: true })
        .block(block(t("Budget vs actual", "Presupuesto vs real"), th))
        .render(area, buf);
        return;
    }
    let variances = &app.derived.variances;
    let months: Vec<Month> = {
        let mut m: Vec<Month> = variances.iter().map(|v| v.month).collect();
        m.dedup();
        m
    };
    let bad = worst(variances, 5);
    let is_worst = |v: &Variance| bad.iter().any(|w| std::ptr::eq(*w, v));
    let get = |m: Month, l: VarLine| variances.iter().find(|v| v.month == m && v.line == l);
    // Narrow screens: the table, then the worst variances under it.
    let narrow = area.width < 100;
    let [table_area, side] = if narrow {
        Layout::vertical([Constraint::Min(0), Constraint::Length(7)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    };
    let total = months.len();
    let selected = app.views.rows[app.tab.index()].min(total.saturating_sub(1));
    // Every variance in one unit, chosen over all of them.
    let tf = f.themed(th);
    let sc = tf.scale(variances.iter().map(|v| v.variance), 8);
    let title = format!(
        "{} ({}) · {} · {} {}",
        t("Actual − budget", "Real − presupuesto"),
        tf.unit(sc, app.lang),
        clean(&s.name),
        t("from", "desde"),
        s.start.month
    );
    let cell = |v: Option<&Variance>| match v {
        Some(v) => {
            let style = if is_worst(v) {
                th.bad.add_modifier(Modifier::BOLD | Modifier::REVERSED)
            } else if v.unfavourable {
                th.bad
            } else {
                th.good
            };
            right(tf.scaled(Some(v.variance), sc), style)
        }
        None => right("—".into(), th.muted),
    };
    LazyTable {
        title: &title,
        headers: vec![
            t("Month", "Mes"),
            line_label(app, VarLine::Revenue),
            line_label(app, VarLine::Cogs),
            line_label(app, VarLine::Opex),
            line_label(app, VarLine::NetIncome),
            line_label(app, VarLine::Cash),
        ],
        widths: vec![
            Constraint::Length(7),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(8),
        ],
        total,
        selected,
    }
    .render(buf, table_area, th, |i| {
        let m = months[i];
        let mut cells = vec![left(m.to_string(), th.base)];
        cells.extend(VarLine::ALL.iter().map(|l| cell(get(m, *l))));
        cells
    });

    let [detail, worst_area] = if narrow {
        [Rect::default(), side]
    } else {
        Layout::vertical([Constraint::Length(8), Constraint::Min(0)]).areas(side)
    };
    let mut lines = Vec::new();
    let mut month_unit = String::new();
    if let Some(m) = months.get(selected) {
        // The month's budget and actual figures share one unit, named in the title.
        let msc = tf.scale(
            VarLine::ALL
                .iter()
                .filter_map(|l| get(*m, *l))
                .flat_map(|v| [v.budget, v.actual]),
            11,
        );
        month_unit = format!(" · {}", tf.unit(msc, app.lang));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", m.to_string()), th.accent),
            Span::styled(
                format!("{:>11} {:>11} {:>7}", t("budget", "presup."), t("actual", "real"), "%"),
                th.muted,
            ),
        ]));
        for l in VarLine::ALL {
            if let Some(v) = get(*m, l) {
                let style = if v.unfavourable { th.bad } else { th.good };
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<12}", line_label(app, l)), th.base),
                    Span::styled(
                        format!(
                            "{:>11} {:>11} ",
                            tf.scaled(Some(v.budget), msc),
                            tf.scaled(Some(v.actual), msc)
                        ),
                        th.base,
                    ),
                    Span::styled(format!("{:>7}", f.pct(v.variance_pct)), style),
                ]));
            }
        }
    } else {
        lines.push(Line::from(Span::styled(
            t(
                "No month has both a budget and actuals yet.",
                "Aún no hay meses con presupuesto y datos reales.",
            ),
            th.muted,
        )));
    }
    Paragraph::new(lines)
        .block(block(
            &format!("{}{month_unit}", t("Selected month", "Mes seleccionado")),
            th,
        ))
        .render(detail, buf);
    let worst_lines: Vec<Line> = bad
        .iter()
        .map(|v| {
            Line::from(vec![
                Span::styled(format!("{} ", v.month), th.muted),
                Span::styled(format!("{:<12}", line_label(app, v.line)), th.base),
                Span::styled(
                    format!("{} ({})", tf.scaled(Some(v.variance), sc), f.pct(v.variance_pct)),
                    th.bad,
                ),
            ])
        })
        .collect();
    Paragraph::new(worst_lines)
        .block(block(
            &format!(
                "{} · {}",
                t("Worst variances", "Peores variaciones"),
                tf.unit(sc, app.lang)
            ),
            th,
        ))
        .render(worst_area, buf);
}
