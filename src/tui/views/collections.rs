//! Receivables: aging buckets, DSO, CEI, whom to call first, open invoices.

use super::{LazyTable, left, right};
use crate::finance::collections::{Bucket, days_past_due};
use crate::sanitize::clean;
use crate::tui::app::{App, Effect, Tab};
use crate::tui::data::CompanyData;
use crate::tui::widgets::{block, card, columns};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Widget};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let c = &d.snapshot.collections;
    let f = &d.fmt;
    let th = &app.theme;
    let mid_h = if area.height >= 30 { 12 } else { 8 };
    let [cards, mid, table] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(mid_h), Constraint::Min(0)]).areas(area);
    let cols = columns(cards, 4);
    card(
        buf,
        cols[0],
        th,
        t("Receivables", "Por cobrar"),
        &f.money(Some(c.ar_total), true),
        th.base,
    );
    let overdue_style = match c.overdue_share {
        Some(o) if o > Decimal::new(30, 2) => th.bad,
        _ => th.base,
    };
    card(
        buf,
        cols[1],
        th,
        t("Overdue", "Vencido"),
        &f.pct(c.overdue_share),
        overdue_style,
    );
    card(
        buf,
        cols[2],
        th,
        t("DSO (days)", "Días de cobro"),
        &f.num(c.dso, 1),
        th.base,
    );
    card(buf, cols[3], th, "CEI", &f.pct(c.cei), th.base);

    let [aging, calls] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(mid);
    let names = [t("current", "vigente"), "1-30", "31-60", "61-90", "90+"];
    // Bar heights are screen units (whole currency units); labels carry the
    // figures, all in one unit, said once in the title.
    let tf = f.themed(th);
    let width = (aging.width.saturating_sub(2) / 5).saturating_sub(1).max(1);
    let aging_sc = tf.scale(Bucket::ALL.iter().map(|b| c.aging.get(*b)), width as usize);
    let bars: Vec<Bar> = Bucket::ALL
        .iter()
        .zip(names)
        .map(|(b, name)| {
            let v = c.aging.get(*b);
            Bar::default()
                .value(v.round().to_u64().unwrap_or(0))
                .label(Line::from(name))
                .text_value(tf.scaled(Some(v), aging_sc))
                .style(if *b == Bucket::Current {
                    th.good
                } else if *b == Bucket::D90Plus {
                    th.bad
                } else {
                    th.warn
                })
        })
        .collect();
    BarChart::default()
        .block(block(
            &format!(
                "{} · {}",
                t("Aging (days past due)", "Antigüedad (días vencido)"),
                tf.unit(aging_sc, app.lang)
            ),
            th,
        ))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1)
        .value_style(th.base)
        .label_style(th.muted)
        .render(aging, buf);

    // Whom to call first, as a table: names left, amounts and days right.
    let mut lines = Vec::new();
    let call_sc = tf.scale(c.call_list.iter().map(|e| e.open), 9);
    let shown: Vec<_> = c.call_list.iter().take(mid_h as usize - 2).collect();
    let amounts: Vec<String> = shown.iter().map(|e| tf.scaled(Some(e.open), call_sc)).collect();
    let days: Vec<String> = shown.iter().map(|e| e.max_days_past_due.to_string()).collect();
    let amount_w = amounts.iter().map(|a| crate::sanitize::width(a)).max().unwrap_or(0);
    let days_w = days
        .iter()
        .map(|d| d.len())
        .max()
        .unwrap_or(0)
        .max(t("days", "días").len());
    let inner_w = calls.width.saturating_sub(2) as usize;
    let name_w = inner_w.saturating_sub(4 + 2 + amount_w + 2 + days_w).max(4);
    for (i, e) in shown.iter().enumerate() {
        let late_style = if e.max_days_past_due > 60 {
            th.bad
        } else if e.max_days_past_due > 0 {
            th.warn
        } else {
            th.muted
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2}. ", i + 1), th.muted),
            Span::styled(
                crate::sanitize::pad_right(&crate::sanitize::fit(&clean(&e.customer), name_w), name_w),
                th.base,
            ),
            Span::styled(
                format!("  {}", crate::sanitize::pad_left(&amounts[i], amount_w)),
                th.base,
            ),
            Span::styled(format!("  {}", crate::sanitize::pad_left(&days[i], days_w)), late_style),
        ]));
    }
    if !shown.is_empty() {
        let head = format!(
            "    {}  {}  {}",
            crate::sanitize::pad_right(t("customer", "cliente"), name_w),
            crate::sanitize::pad_left("", amount_w),
            crate::sanitize::pad_left(t("days", "días"), days_w)
        );
        lines.insert(0, Line::from(Span::styled(head, th.muted)));
        lines.truncate(mid_h as usize - 2);
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            t("Nothing to collect.", "Nada por cobrar."),
            th.good,
        )));
    }
    Paragraph::new(lines)
        .block(block(
            &format!("{} · {}", t("Call first", "Llamar primero"), tf.unit(call_sc, app.lang)),
            th,
        ))
        .render(calls, buf);

    let invoices = d.open.view(&app.views.filter);
    let total = invoices.total;
    let reading = if invoices.stale { " …" } else { "" };
    let day = d.snapshot.as_of.last_day();
    let title = if app.views.filter.is_empty() && !app.views.filtering {
        format!("{} ({total})", t("Open invoices", "Facturas abiertas"))
    } else {
        format!(
            "{} ({total}{reading}) /{}{}",
            t("Open invoices", "Facturas abiertas"),
            clean(&app.views.filter),
            if app.views.filtering { "▏" } else { "" }
        )
    };
    // The receivables total bounds every open amount: one unit for the column
    // without reading every invoice.
    let open_sc = tf.scale([d.snapshot.collections.ar_total], crate::tui::format::COLUMN_WIDTH);
    let h_open = tf.header(t("Open", "Saldo"), open_sc, app.lang);
    // Invoices in other currencies: what is open in theirs, beside it.
    let foreign = d.snapshot.fx.is_some();
    let mut headers = vec![
        t("Number", "Número"),
        t("Customer", "Cliente"),
        t("Due", "Vence"),
        t("Days", "Días"),
        &h_open,
    ];
    let mut widths = vec![
        Constraint::Length(14),
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Length(5),
        Constraint::Length(16),
    ];
    if foreign {
        headers.push(t("In currency", "En divisa"));
        widths.push(Constraint::Length(16));
    }
    LazyTable {
        title: &title,
        headers,
        widths,
        total,
        selected: app.views.rows[app.tab.index()].min(total.saturating_sub(1)),
    }
    .render(buf, table, th, |i| {
        // A row outside the window read so far: its place, until the store answers.
        let Some(inv) = invoices.get(i).filter(|_| !invoices.stale) else {
            return vec![left("…".to_owned(), th.muted)];
        };
        let late = days_past_due(inv, day);
        let mut cells = vec![
            left(clean(&inv.number), th.base),
            left(clean(&inv.customer), th.base),
            left(inv.due_date.to_string(), th.base),
            right(
                late.max(0).to_string(),
                if late > 60 {
                    th.bad
                } else if late > 0 {
                    th.warn
                } else {
                    th.muted
                },
            ),
            right(tf.scaled(Some(d.open_amount(inv)), open_sc), th.base),
        ];
        if foreign {
            let own = crate::finance::fx::open_in_currency(inv, day)
                .map(|(c, v)| format!("{} {}", clean(c), tf.num(Some(v), 2)))
                .unwrap_or_default();
            cells.push(right(own, th.muted));
        }
        cells
    });
}

/// Open invoices, aging and whom to call first; `/` filters by customer or number.
pub struct Collections;

impl crate::tui::component::View for Collections {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Collections", "Cobranza"],
            short: ["Collect", "Cobros"],
            agent: crate::ai::Agent::Collections,
        }
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
    fn commands(&self, _app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        &[Filter, Edit, Up, Down, PageUp, PageDown, Top, Bottom]
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        d.open.count(&app.views.filter)
    }
    fn record(&self, app: &App, d: &CompanyData) -> Option<crate::tui::form::Record> {
        let view = d.open.view(&app.views.filter);
        view.get(app.row())
            .filter(|_| !view.stale)
            .map(|i| crate::tui::form::Record::Invoice(i.clone()))
    }
}

/// Collections' paging of open invoices, as the app drives it.
impl App {
    /// The window of open invoices the Collections table needs around its
    /// selection and for its filter, when it is neither here nor asked for.
    pub(crate) fn page(&mut self) -> Option<Effect> {
        if self.tab != Tab::Collections {
            return None;
        }
        let d = self.data.as_deref()?;
        let offset = d.open.wanted(&self.views.filter, self.row())?;
        let want = (d.company.id, self.views.filter.clone(), offset);
        // One read at a time: while one is on its way (for text typed over
        // since, say), the next is asked for when it answers.
        if self.views.paging.is_some() {
            return None;
        }
        self.views.paging = Some(want.clone());
        Some(Effect::LoadOpenPage {
            company_id: want.0,
            day: d.snapshot.as_of.last_day(),
            filter: want.1,
            offset,
        })
    }

    /// The store answered a page of the table `tab` pages (Collections'
    /// open invoices, the bank's lines), kept at `place` in the company's data.
    pub(crate) fn on_page<T: crate::tui::data::Searchable>(
        &mut self,
        tab: Tab,
        place: fn(&mut CompanyData) -> &mut crate::tui::data::Paged<T>,
        company_id: i64,
        filter: String,
        offset: usize,
        result: Result<(Vec<T>, usize), String>,
    ) -> Vec<Effect> {
        if self.views.paging.as_ref() == Some(&(company_id, filter.clone(), offset)) {
            self.views.paging = None;
        }
        let current = self.data.as_deref().is_some_and(|d| d.company.id == company_id);
        match result {
            // An answer for a filter typed over since is dropped: the
            // current one is asked for now (see `page`).
            Ok((rows, total)) if current && filter == self.views.filter => {
                if let Some(d) = self.data.as_mut() {
                    *place(d) = crate::tui::data::Paged::window(filter, offset, rows, total);
                }
                let row = &mut self.views.rows[tab.index()];
                *row = (*row).min(total.saturating_sub(1));
            }
            Ok(_) => {}
            Err(e) => self.say(e, true),
        }
        vec![]
    }
}
