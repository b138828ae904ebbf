//! One file per tab. A view draws from the app state; the handlers of its
//! commands (`View::handle`) may change it.

pub mod bank;
pub mod cash_flow;
pub mod collections;
pub mod dashboard;
pub mod planning;
pub mod pricing;
pub mod profitability;
pub mod reconcile;
pub mod unit_economics;

use super::keymap::Intent;
use super::theme::Theme;
use super::widgets::{block, window_start};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState};
use rust_decimal::Decimal;

/// What the tabs keep of their own, held by the app in one value: the
/// selected row of each tab, the table filter, the pricing what-if inputs,
/// the cash-flow tab's weekly view, and the window of open invoices
/// Collections has asked the store for.
#[derive(Debug, Clone, Default)]
pub struct Views {
    /// Selected row per tab.
    pub rows: [usize; super::component::Tab::ALL.len()],
    pub filter: String,
    pub filtering: bool,
    pub pricing: pricing::PricingInputs,
    /// The Cash flow tab shows the 13-week forecast instead of the months.
    pub weeks: bool,
    /// The window of open invoices asked of the store: (company, filter, offset).
    pub(crate) paging: Option<(i64, String, usize)>,
    /// The Bank tab's reconciliation.
    pub recon: reconcile::Recon,
}

/// A cell's text, style, and whether it is right-aligned (figures are).
pub type Styled = (String, Style, bool);

/// A table of `total` rows of which only the visible ones are built.
pub struct LazyTable<'a> {
    pub title: &'a str,
    pub headers: Vec<&'a str>,
    pub widths: Vec<Constraint>,
    pub total: usize,
    pub selected: usize,
}

impl LazyTable<'_> {
    /// A table without a selection (every row in the base style).
    pub fn render_plain(&self, buf: &mut Buffer, area: Rect, theme: &Theme, row: impl Fn(usize) -> Vec<Styled>) {
        let plain = LazyTable {
            title: self.title,
            headers: self.headers.clone(),
            widths: self.widths.clone(),
            total: self.total,
            selected: usize::MAX,
        };
        plain.render(buf, area, theme, row)
    }

    pub fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, row: impl Fn(usize) -> Vec<Styled>) {
        let b = block(self.title, theme);
        let inner = b.inner(area);
        let inner_h = inner.height.saturating_sub(1) as usize; // header line
        let start = window_start(self.selected.min(self.total.saturating_sub(1)), inner_h, self.total);
        let end = (start + inner_h).min(self.total);
        let cells: Vec<Vec<Styled>> = (start..end).map(&row).collect();
        // A header sits over its column's figures: right-aligned where they are.
        let right_aligned: Vec<bool> = cells
            .iter()
            .find(|r| r.len() == self.headers.len())
            .map(|r| r.iter().map(|(_, _, right)| *right).collect())
            .unwrap_or_default();
        let rows: Vec<Row> = cells
            .into_iter()
            .map(|r| {
                Row::new(r.into_iter().map(|(t, s, r)| {
                    let line = Line::from(Span::styled(t, s));
                    Cell::from(if r { line.alignment(Alignment::Right) } else { line })
                }))
            })
            .collect();
        let header = Row::new(self.headers.iter().enumerate().map(|(i, h)| {
            let line = Line::from(Span::styled(*h, theme.muted));
            Cell::from(if right_aligned.get(i) == Some(&true) {
                line.alignment(Alignment::Right)
            } else {
                line
            })
        }));
        let table = Table::new(rows, self.widths.clone())
            .header(header)
            .block(b)
            .style(theme.base)
            .row_highlight_style(theme.selected)
            .column_spacing(1);
        if self.selected != usize::MAX {
            let rows = ratatui::layout::Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            };
            let (start, total) = (start, self.total);
            crate::tui::hits::record(|h| h.table = Some(crate::tui::hits::TableHit { rows, start, total }));
        }
        let mut state = TableState::default().with_selected(if self.total == 0 || self.selected == usize::MAX {
            None
        } else {
            Some(self.selected - start)
        });
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

/// A figure: right-aligned.
pub fn right(s: String, style: Style) -> Styled {
    (s, style, true)
}

/// Text: left-aligned.
pub fn left(s: String, style: Style) -> Styled {
    (s, style, false)
}

/// A month against the one before, as a table cell: the relative change
/// signed (`+6.0%`), coloured by whether that direction is good.
pub fn vs_previous(
    theme: &Theme,
    f: &crate::tui::format::Fmt,
    now: Option<Decimal>,
    before: Option<Decimal>,
    good_up: bool,
) -> Styled {
    let r = match (now, before) {
        (Some(now), Some(b)) if !b.is_zero() => Some((now - b) / b.abs()),
        _ => None,
    };
    let style = match r {
        Some(r) if r.is_zero() => theme.muted,
        Some(r) if (r > Decimal::ZERO) == good_up => theme.good,
        Some(_) => theme.bad,
        None => theme.muted,
    };
    let text = r.map_or("—".into(), |r| {
        let p = f.pct(Some(r));
        if r > Decimal::ZERO { format!("+{p}") } else { p }
    });
    right(text, style)
}

/// The style of an amount: negative figures in the "bad" colour (they also keep their minus sign).
pub fn signed(theme: &Theme, v: Option<Decimal>) -> Style {
    match v {
        Some(v) if v < Decimal::ZERO => theme.bad,
        _ => theme.base,
    }
}

/// A line of `label: value` pairs.
pub fn pairs<'a>(theme: &Theme, items: &[(&'a str, String, Style)]) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (label, value, style)) in items.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", theme.muted));
        }
        spans.push(Span::styled(format!("{label} "), theme.muted));
        spans.push(Span::styled(value.clone(), *style));
    }
    Line::from(spans)
}

/// Month tables list the newest month first: the month under the selection, for `e`.
pub fn month_record(app: &crate::tui::app::App, d: &crate::tui::data::CompanyData) -> Option<crate::tui::form::Record> {
    let months = &d.snapshot.monthly;
    let m = months.get(months.len().checked_sub(1 + app.row())?)?.month;
    d.ledger.get(m).cloned().map(crate::tui::form::Record::Month)
}

/// What a month table offers: edit the month, move the selection.
pub const MONTH_TABLE: [Intent; 7] = [
    Intent::Edit,
    Intent::Up,
    Intent::Down,
    Intent::PageUp,
    Intent::PageDown,
    Intent::Top,
    Intent::Bottom,
];

/// A table of the months, newest first, whose rows are edited with `e`:
/// unit economics and profitability differ only in what they draw.
pub struct MonthTable {
    pub info: crate::tui::component::Info,
    pub render: fn(&crate::tui::app::App, &crate::tui::data::CompanyData, Rect, &mut Buffer),
}

impl crate::tui::component::View for MonthTable {
    fn info(&self) -> &crate::tui::component::Info {
        &self.info
    }
    fn commands(&self, _app: &crate::tui::app::App) -> &'static [Intent] {
        &MONTH_TABLE
    }
    fn rows(&self, _app: &crate::tui::app::App, d: &crate::tui::data::CompanyData) -> usize {
        d.snapshot.monthly.len()
    }
    fn record(
        &self,
        app: &crate::tui::app::App,
        d: &crate::tui::data::CompanyData,
    ) -> Option<crate::tui::form::Record> {
        month_record(app, d)
    }
    fn render(&self, app: &crate::tui::app::App, d: &crate::tui::data::CompanyData, area: Rect, buf: &mut Buffer) {
        (self.render)(app, d, area, buf)
    }
}

/// What the views show that is computed rather than stored: the budget's
/// variances and the 13-week forecast with the current scenario's events.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// Actual − budget of the current scenario when it is a locked budget.
    pub variances: Vec<crate::finance::variance::Variance>,
    /// The 13-week forecast with the current scenario's cash events.
    pub forecast: Option<crate::finance::forecast::CashForecast>,
    /// Actual − budget of the budget the dashboard compares with: the current
    /// scenario when it is locked, else the first locked one.
    pub budget: Vec<crate::finance::variance::Variance>,
}

impl crate::tui::app::App {
    /// What the views draw that is computed from the data and the planner,
    /// made here once per change rather than on every frame.
    pub(crate) fn derive(&mut self) {
        self.derive_runs += 1;
        let Some(d) = &self.data else {
            self.derived = Derived::default();
            return;
        };
        let scenario = self.planner.current();
        self.derived.variances = match scenario {
            Some(s) if s.locked => crate::finance::variance::budget_vs_actual(&d.ledger, &s.projection),
            _ => Vec::new(),
        };
        let budget = scenario
            .filter(|s| s.locked)
            .or_else(|| self.planner.scenarios.iter().find(|s| s.locked));
        self.derived.budget = match budget {
            Some(s) if Some(s.name.as_str()) == scenario.map(|c| c.name.as_str()) => self.derived.variances.clone(),
            Some(s) => crate::finance::variance::budget_vs_actual(&d.ledger, &s.projection),
            None => Vec::new(),
        };
        self.derived.forecast = d.weeks.as_ref().map(|base| {
            let events = scenario
                .map(|s| crate::finance::forecast::shift_events(&s.drivers.cash_events, s.start.month, base.month))
                .unwrap_or_default();
            let fc = crate::finance::forecast::with_events(base, &events, self.cash_floor);
            // Statements newer than the month end: the forecast opens from the bank.
            match &d.snapshot.cash_flow.bank_cash {
                Some(bank) => crate::finance::bank::open_from_bank(&fc, bank, &d.bank_days),
                None => fc,
            }
        });
    }
}
