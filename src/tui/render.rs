//! Drawing a frame from the app state: tab bar, the current view, the status
//! bar, overlays. Reads state only.

use super::app::{App, Load, Overlay, Tab};
use super::component::{HINTS, TABLE};
use super::keymap::{FIXED, Intent, Scope};
use super::widgets::block;
use crate::sanitize::clean;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

/// Below this the views cannot be read; a notice is drawn instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    super::hits::begin();
    Paragraph::new("").style(app.theme.base).render(area, buf);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, area, buf);
        return;
    }
    let [tabs, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    tab_bar(app, tabs, buf);
    let body = if app.ai.open {
        let (main, panel) = super::ai_panel::split(body);
        super::ai_panel::render(app, panel, buf);
        super::hits::record(|h| h.ai = Some(panel));
        main
    } else {
        body
    };
    match (&app.data, &app.load) {
        (Some(d), _) => app.tab.view().render(app, d, body, buf),
        (None, Load::Failed(e)) => centered_text(body, buf, &clean(e), app.theme.bad),
        (None, _) => centered_text(body, buf, app.lang.pick("Loading…", "Cargando…"), app.theme.muted),
    }
    status_bar(app, status, buf);
    match &app.overlay {
        Overlay::Help => help(app, area, buf),
        Overlay::Companies { selected } => companies(app, area, buf, *selected),
        Overlay::ConfirmDemo => confirm_demo(app, area, buf),
        Overlay::Agents { selected } => super::ai_panel::chooser(app, area, buf, *selected),
        Overlay::Audit(v) => audit(app, v, area, buf),
        Overlay::Diagnostics => diagnostics(app, area, buf),
        Overlay::Palette(p) => super::power::render_palette(app, p, area, buf),
        Overlay::None => {}
    }
    if app.form.is_some() {
        form(app, area, buf);
    }
    if let Some(dialog) = &app.import {
        super::import_dialog::render(dialog, app, area, buf);
    }
    if let Some(dialog) = &app.export {
        super::power::render_export(app, dialog, area, buf);
    }
}

fn too_small(app: &App, area: Rect, buf: &mut Buffer) {
    let text = format!(
        "{} {}x{} ({} {MIN_WIDTH}x{MIN_HEIGHT})",
        app.lang.pick("Terminal too small:", "Terminal muy pequeña:"),
        area.width,
        area.height,
        app.lang.pick("needs", "necesita")
    );
    Paragraph::new(text)
        .wrap(Wrap { trim: true })
        .style(app.theme.warn)
        .render(area, buf);
}

fn centered_text(area: Rect, buf: &mut Buffer, text: &str, style: ratatui::style::Style) {
    let y = area.y + area.height / 2;
    Paragraph::new(text.to_owned())
        .alignment(Alignment::Center)
        .style(style)
        .wrap(Wrap { trim: true })
        .render(
            Rect {
                y,
                height: area.height - (y - area.y),
                ..area
            },
            buf,
        );
}

fn tab_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let label = app
        .data
        .as_ref()
        .map(|d| format!(" {} · {} ", clean(&d.company.name), d.snapshot.as_of));
    let need = label.as_deref().map_or(0, crate::sanitize::width);
    // Tab names shorten before the company's name is cut: full names, then the
    // other tabs short, then every tab short (then the name is cut).
    let title = |tab: Tab, level: usize| -> String {
        let current = tab == app.tab;
        match level {
            0 => tab.title(app.lang).to_owned(),
            1 if current => tab.title(app.lang).to_owned(),
            _ => tab.view().short_title(app.lang).to_owned(),
        }
    };
    let bar = |level: usize| -> Vec<String> {
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, tab)| format!(" {} {} ", i + 1, title(*tab, level)))
            .collect()
    };
    let width = |b: &[String]| b.iter().map(|s| crate::sanitize::width(s)).sum::<usize>();
    let texts = (0..3)
        .map(bar)
        .find(|b| width(b) + need <= area.width as usize)
        .unwrap_or_else(|| bar(2));
    {
        let mut x = area.x;
        let mut spots = Vec::new();
        for (text, tab) in texts.iter().zip(Tab::ALL) {
            let w = crate::sanitize::width(text) as u16;
            spots.push((Rect::new(x, area.y, w.min(area.right().saturating_sub(x)), 1), tab));
            x = x.saturating_add(w);
        }
        super::hits::record(|h| h.tabs = spots);
    }
    let mut spans: Vec<Span> = texts
        .into_iter()
        .zip(Tab::ALL)
        .map(|(text, tab)| {
            let style = if tab == app.tab {
                app.theme.selected
            } else {
                app.theme.muted
            };
            Span::styled(text, style)
        })
        .collect();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if let Some(label) = label {
        let room = (area.width as usize).saturating_sub(used);
        if room > 8 {
            let label = crate::sanitize::fit(&label, room);
            let pad = room.saturating_sub(crate::sanitize::width(&label));
            spans.push(Span::raw(" ".repeat(pad)));
            spans.push(Span::styled(label, app.theme.accent));
        }
    }
    Paragraph::new(Line::from(spans))
        .style(app.theme.base)
        .render(area, buf);
}

fn status_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let outage = app.outage.as_ref().map(|since| match app.lang {
        crate::locale::Lang::En => format!("store unreachable since {since}, retrying · showing the last data"),
        crate::locale::Lang::Es => format!("la base no responde desde las {since}, reintentando · datos anteriores"),
    });
    let left = match (&app.message, &app.load) {
        _ if outage.is_some() => Span::styled(outage.unwrap_or_default(), app.theme.bad),
        (Some((m, err)), _) => Span::styled(clean(m), if *err { app.theme.bad } else { app.theme.good }),
        (None, Load::Loading) if app.data.is_some() => Span::styled(t("Refreshing…", "Actualizando…"), app.theme.muted),
        (None, Load::Failed(e)) => Span::styled(clean(e), app.theme.bad),
        _ if app.views.filtering => Span::styled(
            t(
                "Filter: type, Enter keeps, Esc clears",
                "Filtro: escriba, Enter conserva, Esc borra",
            ),
            app.theme.accent,
        ),
        _ => Span::raw(""),
    };
    let role = match app.data.as_ref().map(|d| d.access) {
        Some(crate::store::team::Access::Role(Some(r))) => format!("{} · ", role_label(r, app.lang)),
        Some(crate::store::team::Access::Role(None)) => format!("{} · ", t("not a member", "sin acceso")),
        Some(crate::store::team::Access::Group) => format!("{} · ", t("group, read-only", "grupo, solo lectura")),
        Some(crate::store::team::Access::Presented) => {
            match app.data.as_ref().and_then(|d| d.snapshot.translation.as_ref()) {
                Some(tr) => format!("{} {} {} · ", tr.to, t("from", "desde"), tr.from),
                None => String::new(),
            }
        }
        _ => String::new(),
    };
    // The view's first commands, then the global ones; the view's are dropped
    // from the end while the bar would leave the message less than a third.
    // Reconciling, the Bank's pane names its own keys (`c` is its category there).
    let reconciling = app.tab == Tab::Bank && app.views.recon.active();
    let global: &[Intent] = if reconciling {
        &[Intent::Help, Intent::AiPanel, Intent::Quit]
    } else {
        &[Intent::Help, Intent::AiPanel, Intent::Company, Intent::Quit]
    };
    let view: Vec<Intent> = app
        .tab
        .view()
        .commands(app)
        .iter()
        .copied()
        .filter(|i| !(TABLE.contains(i) || reconciling && matches!(i, Intent::RemoveItem | Intent::Undo)))
        .take(HINTS)
        .collect();
    let mut take = view.len();
    let (hints, parts) = loop {
        let intents: Vec<Intent> = view[..take].iter().chain(global).copied().collect();
        let parts = app.keymap.hint_parts(&intents, app.lang);
        let joined: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
        let hints = format!("{role}{}", joined.join(" · "));
        if take == 0 || crate::sanitize::width(&hints) * 3 <= area.width as usize * 2 {
            break (hints, parts);
        }
        take -= 1;
    };
    let room = (area.width as usize).saturating_sub(crate::sanitize::width(&hints) + 1);
    // Each hint is a button for the mouse: where it is, the key it stands for.
    let mut x = area.x + (room + 1 + crate::sanitize::width(&role)) as u16;
    let mut spots = Vec::new();
    for (text, intent) in &parts {
        let w = crate::sanitize::width(text) as u16;
        if let Some(key) = app.keymap.key_of(*intent) {
            spots.push((Rect::new(x, area.y, w, 1), key));
        }
        x += w + 3;
    }
    super::hits::record(|h| h.hints = spots);
    let text = crate::sanitize::fit(&left.content, room);
    let pad = room.saturating_sub(crate::sanitize::width(&text));
    Paragraph::new(Line::from(vec![
        Span::styled(text, left.style),
        Span::raw(" ".repeat(pad + 1)),
        Span::styled(hints, app.theme.muted),
    ]))
    .style(app.theme.base)
    .render(area, buf);
}

pub fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Every binding of the current view, from the keymap itself.
pub fn help_lines(app: &App) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = app
        .keymap
        .bindings
        .iter()
        .filter(|b| b.scope == Scope::Global || app.tab.view().commands(app).contains(&b.intent))
        .map(|b| (b.keys_label(), b.help(app.lang)))
        .collect();
    // The tab digits follow the registry (1-8).
    out.push((
        format!("1-{}", Tab::ALL.len()),
        app.lang.pick("go to a tab", "ir a una pestaña"),
    ));
    out.extend(FIXED.iter().map(|(k, en, es)| ((*k).to_owned(), app.lang.pick(en, es))));
    out
}

fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = help_lines(app);
    let r = popup(area, 72, lines.len() as u16 + 3);
    let room = r.height.saturating_sub(2) as usize;
    let total = lines.len() + 1;
    let start = app.help_scroll.min(total.saturating_sub(room));
    let more = if total > room {
        app.lang.pick(" (↑↓ more)", " (↑↓ más)")
    } else {
        ""
    };
    let title = format!(
        "{} — {}{more}",
        app.lang.pick("Keys", "Teclas"),
        app.tab.title(app.lang)
    );
    Clear.render(r, buf);
    let text: Vec<Line> = lines
        .iter()
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(format!("{k:>12}  "), app.theme.accent),
                Span::styled(*h, app.theme.base),
            ])
        })
        .chain(std::iter::once(Line::from(Span::styled(
            app.lang.pick(
                "LTV lifetime value · CAC acquisition cost · DSO days sales outstanding",
                "LTV valor de vida · CAC costo de adquisición · DSO días de cobro",
            ),
            app.theme.muted,
        ))))
        .skip(start)
        .collect();
    Paragraph::new(text)
        .block(block(&title, &app.theme))
        .style(app.theme.base)
        .render(r, buf);
}

fn companies(app: &App, area: Rect, buf: &mut Buffer, selected: usize) {
    let entries = app.chooser_entries();
    let r = popup(area, 50, entries.len() as u16 + 3);
    Clear.render(r, buf);
    let group = app.lang.pick("group", "grupo");
    let mut lines: Vec<Line> = entries
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let style = if i == selected {
                app.theme.selected
            } else {
                app.theme.base
            };
            let text = if c.id < 0 {
                format!(" {} ({group}, {}) ", clean(&c.name), clean(&c.currency))
            } else {
                format!(" {} ({}) ", clean(&c.name), clean(&c.currency))
            };
            Line::from(Span::styled(text, style))
        })
        .collect();
    let style = if selected == entries.len() {
        app.theme.selected
    } else {
        app.theme.accent
    };
    lines.push(Line::from(Span::styled(
        app.lang.pick(
            " + new company (import your books) ",
            " + empresa nueva (importar sus libros) ",
        ),
        style,
    )));
    Paragraph::new(lines)
        .block(block(app.lang.pick("Company", "Empresa"), &app.theme))
        .style(app.theme.base)
        .render(r, buf);
}

fn audit(app: &App, v: &super::app::AuditView, area: Rect, buf: &mut Buffer) {
    use crate::sanitize::{fit, pad_right};
    let t = |en, es| app.lang.pick(en, es);
    let r = popup(area, area.width.saturating_sub(4), area.height.saturating_sub(2));
    Clear.render(r, buf);
    let name = app.data.as_ref().map(|d| clean(&d.company.name)).unwrap_or_default();
    let title = format!(" {} — {name} ", t("Audit trail", "Bitácora"));
    let b = block(&title, &app.theme);
    let inner = b.inner(r);
    b.render(r, buf);
    let mut lines: Vec<Line> = Vec::new();
    let body_h = inner.height.saturating_sub(2) as usize;
    match &v.rows {
        None => lines.push(Line::from(Span::styled(t("Loading…", "Cargando…"), app.theme.muted))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(clean(e), app.theme.bad))),
        Some(Ok(_)) => {
            let shown = v.shown();
            if shown.is_empty() {
                lines.push(Line::from(Span::styled(
                    t("No writes recorded yet", "Aún no hay cambios registrados"),
                    app.theme.muted,
                )));
            }
            // Newest at the bottom; `back` rows up from the end.
            let end = shown.len().saturating_sub(v.back);
            let start = end.saturating_sub(body_h);
            let who_w = shown
                .iter()
                .map(|r| crate::sanitize::width(&clean(&r.who)))
                .max()
                .unwrap_or(3)
                .min(16);
            for row in &shown[start..end] {
                let at = row.at.get(..16).unwrap_or(&row.at).replace('T', " ");
                let text = format!(
                    "{at}  {}  {:<8}  {}  {}",
                    pad_right(&fit(&clean(&row.who), 16), who_w),
                    clean(&row.action),
                    clean(&row.target),
                    clean(&row.detail)
                );
                lines.push(Line::from(Span::styled(
                    fit(&text, inner.width as usize),
                    app.theme.base,
                )));
            }
        }
    }
    Paragraph::new(lines).render(
        Rect {
            height: inner.height.saturating_sub(1),
            ..inner
        },
        buf,
    );
    let hint = if v.filtering {
        format!(
            "/{}▏  {}",
            clean(&v.filter),
            t("Enter keeps · Esc clears", "Enter conserva · Esc borra")
        )
    } else if !v.filter.is_empty() {
        format!(
            "/{}  · {} · Esc {}",
            clean(&v.filter),
            app.keymap.hints(&[Intent::Up, Intent::Down], app.lang),
            t("close", "cerrar")
        )
    } else {
        format!(
            "{} · Esc {}",
            app.keymap.hints(&[Intent::Filter, Intent::Up, Intent::Down], app.lang),
            t("close", "cerrar")
        )
    };
    Paragraph::new(hint).style(app.theme.muted).render(
        Rect {
            y: inner.y + inner.height.saturating_sub(1),
            height: 1,
            ..inner
        },
        buf,
    );
}

fn confirm_demo(app: &App, area: Rect, buf: &mut Buffer) {
    let r = popup(area, 64, 8);
    Clear.render(r, buf);
    let t = |en, es| app.lang.pick(en, es);
    let lines = vec![
        Line::from(Span::styled(
            t("The store has no companies yet.", "La base aún no tiene empresas."),
            app.theme.base,
        )),
        Line::from(""),
        Line::from(Span::styled(
            t(
                "[i] import your books (spreadsheet, journal, CFDI)",
                "[i] importar sus libros (hoja de cálculo, diario, CFDI)",
            ),
            app.theme.accent,
        )),
        Line::from(Span::styled(
            t(
                "[d] load the three demo companies",
                "[d] cargar las tres empresas de demostración",
            ),
            app.theme.accent,
        )),
        Line::from(Span::styled(t("[q] quit", "[q] salir"), app.theme.muted)),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(block("Katalis", &app.theme))
        .render(r, buf);
}

fn form(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(f) = &app.form else { return };
    let t = |en, es| app.lang.pick(en, es);
    let r = popup(area, 76, f.len() as u16 + 4);
    Clear.render(r, buf);
    let title = f.title(app.lang);
    let b = block(&title, &app.theme);
    let inner = b.inner(r);
    b.render(r, buf);
    let label_w = 20u16.min(inner.width / 3);
    let input_w = 22u16.min(inner.width.saturating_sub(label_w) / 2);
    for i in 0..f.len() {
        let y = inner.y + i as u16;
        if y + 2 > inner.y + inner.height {
            break;
        }
        let style = if i == f.focus {
            app.theme.accent
        } else {
            app.theme.muted
        };
        Paragraph::new(f.label(i, app.lang)).style(style).render(
            Rect {
                x: inner.x,
                y,
                width: label_w,
                height: 1,
            },
            buf,
        );
        let field = Rect {
            x: inner.x + label_w,
            y,
            width: input_w,
            height: 1,
        };
        if i == f.focus {
            f.inputs[i].render(field, buf);
        } else {
            Paragraph::new(clean(&f.text(i)))
                .style(app.theme.base)
                .render(field, buf);
        }
        if let Some(e) = f.error(i, app.lang) {
            let x = field.x + input_w + 1;
            let w = (inner.x + inner.width).saturating_sub(x);
            Paragraph::new(format!("✗ {e}")).style(app.theme.bad).render(
                Rect {
                    x,
                    y,
                    width: w,
                    height: 1,
                },
                buf,
            );
        }
    }
    let hint = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    let text = if f.saving {
        t("Saving…", "Guardando…")
    } else {
        t(
            "Tab/↑↓ field · Enter save · Esc cancel",
            "Tab/↑↓ campo · Enter guardar · Esc cancelar",
        )
    };
    Paragraph::new(text).style(app.theme.muted).render(hint, buf);
}

/// Milliseconds with one decimal: `1.2 ms`.
fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The diagnostics overlay: what Katalis has cost since it started.
fn diagnostics(app: &App, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let d = crate::diagnostics::snapshot();
    let th = &app.theme;
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "{:<24}{:>7} {:>10} {:>10} {:>10}",
                "",
                t("count", "veces"),
                t("last", "última"),
                "p50",
                "p99"
            ),
            th.muted,
        )),
        Line::from(format!(
            "{:<24}{:>7} {:>10} {:>10} {:>10}",
            t("frames", "cuadros"),
            d.frames.count,
            ms(d.frames.last),
            ms(d.frames.percentile(50)),
            ms(d.frames.percentile(99))
        )),
        Line::from(format!(
            "{:<18}{}",
            t("memory", "memoria"),
            d.rss_bytes
                .map_or("—".to_owned(), |b| format!("{:.1} MB", b as f64 / 1_048_576.0))
        )),
        Line::from(""),
        Line::from(Span::styled(
            format!(
                "{:<24}{:>7} {:>10} {:>10} {:>10} {:>9}",
                t("store calls", "consultas"),
                "",
                "",
                "",
                "",
                t("rows", "filas")
            ),
            th.muted,
        )),
    ];
    for (name, s) in &d.store {
        lines.push(Line::from(format!(
            "  {:<22}{:>7} {:>10} {:>10} {:>10} {:>9}",
            name,
            s.count,
            ms(s.last),
            ms(s.percentile(50)),
            ms(s.percentile(99)),
            s.rows
        )));
    }
    lines.push(Line::from(""));
    let ai = &d.ai;
    lines.push(Line::from(format!(
        "{:<24}{:>7} {:>10} {:>10} {:>10}",
        t("AI runs", "consultas IA"),
        ai.runs.count,
        ms(ai.runs.last),
        ms(ai.runs.percentile(50)),
        ms(ai.runs.percentile(99))
    )));
    lines.push(Line::from(format!(
        "  {} {} · {} {} · {} {}",
        t("tokens in", "tokens entrada"),
        ai.prompt_tokens,
        t("out", "salida"),
        ai.completion_tokens,
        t("cost", "costo"),
        ai.cost.normalize()
    )));
    let r = popup(area, 80, lines.len() as u16 + 2);
    Clear.render(r, buf);
    let title = format!(
        "{} · {} ({})",
        t("Diagnostics since start", "Diagnóstico desde el inicio"),
        t("F12 or Esc closes", "F12 o Esc cierra"),
        t("updated every second", "cada segundo")
    );
    Paragraph::new(lines)
        .block(block(&title, th))
        .style(th.base)
        .render(r, buf);
}

/// A team role as the interface names it.
fn role_label(r: crate::store::team::Role, lang: crate::locale::Lang) -> &'static str {
    use crate::store::team::Role;
    match r {
        Role::Viewer => lang.pick("viewer", "lector"),
        Role::Analyst => lang.pick("analyst", "analista"),
        Role::Owner => lang.pick("owner", "dueño"),
        Role::Admin => lang.pick("admin", "administrador"),
    }
}
