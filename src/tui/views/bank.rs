//! The bank: each account's balance as its last statement says, the cash the
//! bank shows beside the books' month end, and every statement line, newest
//! first (`/` filters by description, counterparty, reference or account).
//!
//! A tab of its own rather than a view of Cash flow: its table is of lines
//! (thousands to millions, paged from the store like Collections' invoices),
//! not of months or weeks, and it is where a founder looks first each day.

use super::{LazyTable, left, right};
use crate::sanitize::clean;
use crate::tui::app::{App, Effect, Tab};
use crate::tui::data::CompanyData;
use crate::tui::widgets::{block, card, columns};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use rust_decimal::Decimal;

pub fn render(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let th = &app.theme;
    let f = &d.fmt;
    if d.bank.is_empty() {
        let text = vec![
            Line::from(Span::styled(
                t("No bank statements yet.", "Aún no hay estados de cuenta bancarios."),
                th.base,
            )),
            Line::from(""),
            Line::from(Span::styled(
                t(
                    "Import one from the shell; CSV and spreadsheets from the bank's portal, OFX/QFX, camt.053 and MT940 are read:",
                    "Impórtalo desde la terminal; se leen CSV y hojas del portal del banco, OFX/QFX, camt.053 y MT940:",
                ),
                th.muted,
            )),
            Line::from(Span::styled(
                format!(
                    "  katalis import statement FILE --company \"{}\" --account NAME --create-account",
                    clean(&d.company.name)
                ),
                th.base,
            )),
        ];
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(block(t("Bank", "Banco"), th))
            .render(area, buf);
        return;
    }
    let mine: Vec<_> = d
        .bank
        .iter()
        .filter(|a| a.currency.eq_ignore_ascii_case(&d.company.currency))
        .collect();
    let bank_total: Decimal = mine.iter().map(|a| a.balance).sum();
    let last = mine.iter().filter_map(|a| a.as_of).max();
    // Reconciling: the lines of one status, the selected line's pane, the balances.
    if app.views.recon.active() {
        let [cards, rest] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
        month_cards(app, d, cards, buf);
        super::reconcile::render(app, d, rest, buf);
        return;
    }
    let accounts_h = (d.bank.len() as u16 + 3).min(if area.height >= 30 { 8 } else { 5 });
    let [cards, accounts, lines] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(accounts_h),
        Constraint::Min(0),
    ])
    .areas(area);
    let cols = columns(cards, 3);
    card(
        buf,
        cols[0],
        th,
        &match last {
            Some(day) => format!("{} {day}", t("Bank ·", "Banco ·")),
            None => t("Bank", "Banco").to_owned(),
        },
        &f.money(Some(bank_total), true),
        super::signed(th, Some(bank_total)),
    );
    let month_end = d.snapshot.cash_flow.cash_end;
    card(
        buf,
        cols[1],
        th,
        &format!("{} {}", t("Books ·", "Libros ·"), d.snapshot.as_of),
        &f.money(Some(month_end), true),
        super::signed(th, Some(month_end)),
    );
    let moved = d.snapshot.cash_flow.bank_cash.as_ref().map(|b| b.cash - month_end);
    card(
        buf,
        cols[2],
        th,
        t("Since the month end", "Desde el cierre"),
        &moved.map_or_else(
            || t("statements not newer", "estados no más recientes").to_owned(),
            |m| {
                let s = f.money(Some(m), true);
                if m > Decimal::ZERO { format!("+{s}") } else { s }
            },
        ),
        match moved {
            Some(m) if m < Decimal::ZERO => th.bad,
            Some(_) => th.good,
            None => th.muted,
        },
    );

    // The accounts, each as its last line says.
    let accounts_title = format!("{} ({})", t("Accounts", "Cuentas"), d.bank.len());
    LazyTable {
        title: &accounts_title,
        headers: vec![
            t("Account", "Cuenta"),
            t("Cur.", "Mon."),
            t("Balance", "Saldo"),
            t("As of", "Al"),
            t("Lines", "Movs."),
        ],
        widths: vec![
            Constraint::Min(12),
            Constraint::Length(4),
            Constraint::Length(18),
            Constraint::Length(10),
            Constraint::Length(9),
        ],
        total: d.bank.len(),
        selected: usize::MAX,
    }
    .render_plain(buf, accounts, th, |i| {
        let a = &d.bank[i];
        vec![
            left(clean(&a.name), th.base),
            left(clean(&a.currency), th.muted),
            right(f.amount(a.balance), super::signed(th, Some(a.balance))),
            left(a.as_of.map(|x| x.to_string()).unwrap_or_default(), th.base),
            right(f.int(Some(a.lines)), th.muted),
        ]
    });

    let view = d.lines.view(&app.views.filter);
    let total = view.total;
    let reading = if view.stale { " …" } else { "" };
    let title = if app.views.filter.is_empty() && !app.views.filtering {
        format!(
            "{} ({total})",
            t("Lines, newest first", "Movimientos, recientes primero")
        )
    } else {
        format!(
            "{} ({total}{reading}) /{}{}",
            t("Lines", "Movimientos"),
            clean(&app.views.filter),
            if app.views.filtering { "▏" } else { "" }
        )
    };
    let h_amount = format!("{} ({})", t("Amount", "Importe"), clean(&d.company.currency));
    let h_balance = t("Balance", "Saldo");
    let narrow = lines.width < 100;
    let mut headers = vec![t("Date", "Fecha"), t("Description", "Concepto")];
    let mut widths = vec![Constraint::Length(10), Constraint::Min(16)];
    if !narrow {
        headers.insert(1, t("Account", "Cuenta"));
        widths.insert(1, Constraint::Length(14));
        headers.push(t("Reference", "Referencia"));
        widths.push(Constraint::Length(12));
    }
    headers.push(&h_amount);
    widths.push(Constraint::Length(16));
    headers.push(h_balance);
    widths.push(Constraint::Length(16));
    LazyTable {
        title: &title,
        headers,
        widths,
        total,
        selected: app.views.rows[Tab::Bank.index()].min(total.saturating_sub(1)),
    }
    .render(buf, lines, th, |i| {
        let Some(l) = view.get(i).filter(|_| !view.stale) else {
            return vec![left("…".to_owned(), th.muted)];
        };
        let mut row = line_cells(th, narrow, l.date, &l.description, &l.counterparty, &l.account);
        if !narrow {
            row.push(left(clean(&l.reference), th.muted));
        }
        row.push(right(
            f.amount(l.amount),
            if l.amount < Decimal::ZERO { th.bad } else { th.good },
        ));
        row.push(right(l.balance.map(|b| f.amount(b)).unwrap_or_default(), th.muted));
        row
    });
}

/// Accounts and statement lines; `/` filters the lines.
pub struct Bank;

impl crate::tui::component::View for Bank {
    fn info(&self) -> &crate::tui::component::Info {
        &crate::tui::component::Info {
            title: ["Bank", "Banco"],
            short: ["Bank", "Banco"],
            agent: crate::ai::Agent::CashFlow,
        }
    }
    fn render(&self, app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
        render(app, d, area, buf)
    }
    fn commands(&self, app: &App) -> &'static [crate::tui::keymap::Intent] {
        use crate::tui::keymap::Intent::*;
        if app.views.recon.active() {
            &[
                PlanView, RemoveItem, Undo, Filter, Up, Down, PageUp, PageDown, Top, Bottom,
            ]
        } else {
            &[PlanView, Filter, Up, Down, PageUp, PageDown, Top, Bottom]
        }
    }
    fn rows(&self, app: &App, d: &CompanyData) -> usize {
        if app.views.recon.active() {
            return app.views.recon.lines(d.company.id, &app.views.filter).len();
        }
        d.lines.count(&app.views.filter)
    }
    fn handle_key(&self, app: &mut App, key: &crossterm::event::KeyEvent) -> crate::tui::component::Handled {
        if app.data.as_ref().is_none_or(|d| d.bank.is_empty()) {
            return crate::tui::component::Handled::NotConsumed;
        }
        app.recon_key(key)
    }
    fn handle(&self, app: &mut App, intent: crate::tui::keymap::Intent) -> crate::tui::component::Handled {
        use crate::tui::component::Handled;
        use crate::tui::keymap::Intent::*;
        match intent {
            PlanView if app.data.as_ref().is_some_and(|d| !d.bank.is_empty()) => {
                Handled::Consumed(app.recon_next_view())
            }
            RemoveItem => Handled::Consumed(app.recon_intent(true)),
            Undo => Handled::Consumed(app.recon_intent(false)),
            _ => Handled::NotConsumed,
        }
    }
}

/// The Bank tab's paging of lines, as the app drives it.
impl App {
    /// The window of lines the Bank table needs around its selection and for
    /// its filter, when it is neither here nor asked for.
    pub(crate) fn bank_page(&mut self) -> Option<Effect> {
        if self.tab != Tab::Bank || self.views.recon.active() {
            return None;
        }
        let d = self.data.as_deref()?;
        let offset = d.lines.wanted(&self.views.filter, self.row())?;
        let want = (d.company.id, self.views.filter.clone(), offset);
        if self.views.paging.is_some() {
            return None;
        }
        self.views.paging = Some(want.clone());
        Some(Effect::LoadBankPage {
            company_id: want.0,
            filter: want.1,
            offset,
        })
    }
}

/// The cards over the reconciliation: the bank's balance, last month's net
/// cash flow from the books, and the month so far from the bank (provisional).
fn month_cards(app: &App, d: &CompanyData, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let th = &app.theme;
    let f = &d.fmt;
    let cols = columns(area, 3);
    let bank = d.snapshot.cash_flow.bank_cash.as_ref().map(|b| b.cash);
    card(
        buf,
        cols[0],
        th,
        t("Bank", "Banco"),
        &f.money(bank, true),
        super::signed(th, bank),
    );
    let last = d.snapshot.monthly.last();
    card(
        buf,
        cols[1],
        th,
        &format!("{} · {}", t("Net cash flow", "Flujo neto"), d.snapshot.as_of),
        &f.money(last.and_then(|m| m.net_cash_flow), true),
        super::signed(th, last.and_then(|m| m.net_cash_flow)),
    );
    let mtd = d.snapshot.month_to_date.as_ref();
    card(
        buf,
        cols[2],
        th,
        &match mtd {
            Some(m) if cols[2].width >= 34 => format!(
                "{} {}–{} ({})",
                t("So far", "En curso"),
                m.from.format("%d"),
                m.to.format("%d/%m"),
                t("provisional", "provisional")
            ),
            Some(m) => format!("{} {} · prov.", t("So far to", "En curso al"), m.to.format("%d/%m")),
            None => t("Month so far", "Mes en curso").to_owned(),
        },
        &f.money(mtd.map(|m| m.net_cash_flow), true),
        super::signed(th, mtd.map(|m| m.net_cash_flow)),
    );
}

/// A statement line's first cells: its date, its description (else its
/// counterparty) and, when there is room, its account after the date.
pub(super) fn line_cells(
    th: &crate::tui::theme::Theme,
    narrow: bool,
    date: chrono::NaiveDate,
    description: &str,
    counterparty: &str,
    account: &str,
) -> Vec<super::Styled> {
    let text = if description.is_empty() {
        counterparty
    } else {
        description
    };
    let mut row = vec![left(date.to_string(), th.base), left(clean(text), th.base)];
    if !narrow {
        row.insert(1, left(clean(account), th.muted));
    }
    row
}
