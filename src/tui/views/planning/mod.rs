//! Planning: the scenario bar, then one of three views — the drivers editor
//! beside the projection (outputs, chart, months), the comparison of up to
//! three scenarios, or the locked budget against the actuals — and the
//! planner's dialogs on top. One file a view: drivers.rs, compare.rs,
//! budget.rs, and dialogs.rs.

use super::{LazyTable, left, pairs, right, signed};
use crate::domain::{Drivers, Month};
use crate::finance::planning::{DriverKey, Projection};
use crate::finance::variance::{Line as VarLine, Variance, worst};
use crate::sanitize::clean;
use crate::tui::app::App;
use crate::tui::data::CompanyData;
use crate::tui::format::Fmt;
use crate::tui::planner::{Dialog, Planner, Row, SeekOutcome, View, target_label};
use crate::tui::render::popup;
use crate::tui::widgets::{block, money_chart};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Dataset, GraphType, Paragraph, Widget, Wrap};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

pub mod budget;
mod compare;
mod dialogs;
mod drivers;

use budget::budget_view;
use compare::compare_view;
use dialogs::dialog;
use drivers::drivers_view;

/// Months of history drawn before the projection.
const HISTORY: usize = 24;
/// Width of the drivers table.
const DRIVERS_W: u16 = 35;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let pl = &app.planner;
    if pl.scenarios.is_empty() {
        Paragraph::new(t("No financials to project from.", "Sin datos para proyectar."))
            .style(app.theme.muted)
            .render(area, buf);
        return;
    }
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    scenario_bar(app, bar, buf);
    match pl.view {
        View::Drivers => drivers_view(app, d, body, buf),
        View::Compare => compare_view(app, d, body, buf),
        View::Budget => budget_view(app, d, body, buf),
    }
    if pl.dialog.is_some() {
        dialog(app, d, area, buf);
    }
}

pub(super) fn scenario_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let pl = &app.planner;
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let mut spans = vec![Span::styled(t("Scenarios ", "Escenarios "), th.muted)];
    for (i, s) in pl.scenarios.iter().enumerate() {
        let marked = pl.compare.contains(&s.name);
        spans.push(Span::styled(if marked { "●" } else { " " }, th.accent));
        let mut label = clean(&s.name);
        if s.locked {
            label.push_str(&format!(" [{} {}]", t("budget", "presupuesto"), s.start.month));
        }
        let style = if i == pl.current { th.selected } else { th.base };
        spans.push(Span::styled(format!(" {label} "), style));
    }
    let views = [
        (View::Drivers, t("drivers", "supuestos")),
        (View::Compare, t("compare", "comparar")),
        (View::Budget, t("budget vs actual", "presupuesto vs real")),
    ];
    spans.push(Span::styled("  v:", th.muted));
    for (v, label) in views {
        if area.width < 110 && v != pl.view {
            continue;
        }
        let style = if v == pl.view {
            th.accent.add_modifier(Modifier::BOLD)
        } else {
            th.muted
        };
        spans.push(Span::styled(format!(" {label}"), style));
    }
    Paragraph::new(Line::from(spans)).style(th.base).render(area, buf);
}

/// Actual cash for the last months, then each projection; x is the month index.
/// Plotting positions of one line.
type Points = Vec<(f64, f64)>;

pub(super) fn cash_points(d: &CompanyData, projections: &[&Projection]) -> (Points, Vec<Points>, usize) {
    let monthly = &d.snapshot.monthly;
    let hist: Vec<_> = monthly.iter().rev().take(HISTORY).rev().collect();
    let n = hist.len();
    let history: Vec<(f64, f64)> = hist
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64, m.cash_end.to_f64().unwrap_or(0.0)))
        .collect();
    let projected = projections
        .iter()
        .map(|p| {
            let mut pts: Vec<(f64, f64)> = history.last().copied().into_iter().collect();
            pts.extend(
                p.months
                    .iter()
                    .enumerate()
                    .map(|(k, m)| ((n + k) as f64, m.cash.to_f64().unwrap_or(0.0))),
            );
            pts
        })
        .collect();
    (history, projected, n)
}

pub(super) fn cash_chart(
    app: &App,
    d: &CompanyData,
    area: Rect,
    buf: &mut Buffer,
    shown: &[(String, &Projection, Style)],
) {
    let th = &app.theme;
    let t = |en, es| app.lang.pick(en, es);
    let projections: Vec<&Projection> = shown.iter().map(|s| s.1).collect();
    let (history, projected, n) = cash_points(d, &projections);
    let mut datasets = vec![
        Dataset::default()
            .name(t("actual", "real"))
            .marker(symbols::Marker::Braille)
            .graph_type(GraphType::Line)
            .style(th.history)
            .data(&history),
    ];
    let single = shown.len() == 1;
    for ((name, _, style), pts) in shown.iter().zip(&projected) {
        datasets.push(
            Dataset::default()
                .name(name.clone())
                .marker(if single {
                    symbols::Marker::Dot
                } else {
                    symbols::Marker::Braille
                })
                .graph_type(if single { GraphType::Scatter } else { GraphType::Line })
                .style(*style)
                .data(pts),
        );
    }
    let longest = projections.iter().map(|p| p.months.len()).max().unwrap_or(0);
    let monthly = &d.snapshot.monthly;
    let first = monthly
        .get(monthly.len().saturating_sub(HISTORY))
        .map(|m| m.month.to_string())
        .unwrap_or_default();
    let last = projections
        .iter()
        .filter_map(|p| p.months.last())
        .map(|m| m.month)
        .max()
        .map(|m| m.to_string())
        .unwrap_or_default();
    let hist = d.snapshot.monthly.iter().rev().take(HISTORY).map(|m| m.cash_end);
    let values = hist.chain(projections.iter().flat_map(|p| p.months.iter().map(|m| m.cash)));
    let title = if single {
        t("Cash: actual ─ and projected ·", "Caja: real ─ y proyectada ·")
    } else {
        t("Cash by scenario", "Caja por escenario")
    };
    money_chart(
        buf,
        area,
        th,
        &d.fmt,
        title,
        datasets,
        n + longest,
        (first, last),
        values.collect::<Vec<_>>().into_iter(),
    );
}

/// Scenarios: the drivers editor, the comparison, the budget against the actuals.
pub struct Planning;

impl crate::tui::component::View for Planning {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Planning", "Planeación"],
            short: ["Plan", "Plan"],
            agent: crate::ai::Agent::CashFlow,
        }
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
    fn commands(&self, app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        match app.planner.view {
            View::Drivers => &[
                Edit,
                PlanView,
                GoalSeek,
                NudgeUp,
                NudgeDown,
                Undo,
                Redo,
                NewScenario,
                RenameScenario,
                DeleteScenario,
                RemoveItem,
                CompareMark,
                LockBudget,
                Left,
                Right,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
            ],
            View::Compare | View::Budget => &[
                PlanView,
                CompareMark,
                NewScenario,
                RenameScenario,
                DeleteScenario,
                LockBudget,
                Left,
                Right,
                Up,
                Down,
                PageUp,
                PageDown,
                Top,
                Bottom,
            ],
        }
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        match app.planner.view {
            View::Drivers => app
                .planner
                .projection_of(app.planner.current)
                .map_or(0, |p| p.months.len()),
            View::Budget => app.budget_months(d),
            View::Compare => 0,
        }
    }
    fn needs(
        &self,
        intent: crate::tui::keymap::Intent,
        lang: crate::locale::Lang,
    ) -> Option<(crate::store::team::Role, &'static str)> {
        use crate::tui::keymap::Intent::*;
        matches!(
            intent,
            Edit | NudgeUp
                | NudgeDown
                | Undo
                | Redo
                | NewScenario
                | RenameScenario
                | DeleteScenario
                | RemoveItem
                | GoalSeek
                | LockBudget
        )
        .then(|| {
            (
                crate::store::team::Role::Analyst,
                lang.pick("changing scenarios", "cambiar escenarios"),
            )
        })
    }
    fn handle_key(&self, app: &mut App, key: &crossterm::event::KeyEvent) -> crate::tui::component::Handled {
        // Enter edits the driver under the cursor, like `e`.
        if key.code != crossterm::event::KeyCode::Enter {
            return crate::tui::component::Handled::NotConsumed;
        }
        app.run_intent(crate::tui::keymap::Intent::Edit)
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        use crate::tui::keymap::Intent::*;
        // Moves up and down go to the budget table outside the drivers view.
        let planner_takes = match intent {
            Up | Down | Top | Bottom => app.planner.view == View::Drivers,
            Left | Right | Edit | NudgeUp | NudgeDown | Undo | Redo | NewScenario | RenameScenario | DeleteScenario
            | RemoveItem | CompareMark | PlanView | GoalSeek | LockBudget => true,
            _ => false,
        };
        if !planner_takes {
            return crate::tui::component::Handled::NotConsumed;
        }
        let Some(d) = app.data.take() else {
            return crate::tui::component::Handled::done();
        };
        let effects = app.planner.on_intent(intent, &d);
        app.data = Some(d);
        crate::tui::component::Handled::Consumed(app.after_planner(effects))
    }
}
