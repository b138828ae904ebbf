//! What analysts reach for over SSH: `X` exports the table on screen (whole,
//! as filtered) to XLSX or CSV, `y`/`Y` copy the selected row or the table as
//! tab-separated text, and `Ctrl-p` opens a palette over every command, tab,
//! company, scenario, customer with open invoices and advisor.

use super::app::{App, Effect, Load, Tab};
use super::keymap::{Intent, Scope};
use super::sheet::{Rows, Sheet, Table, Value};
use super::widgets::block;
use crate::export::Format;
use crate::sanitize::{clean, fit, width};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

/// The export dialog: which table, which format, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportDialog {
    pub tables: Vec<Table>,
    pub table: usize,
    pub format: Format,
    pub path: String,
    /// The path is still the default (it follows the table and the format).
    pub default_path: bool,
    /// Entries Tab found, when more than one continues the path.
    pub choices: Vec<String>,
    pub error: Option<String>,
    pub writing: bool,
}

/// The palette's query, the entries matching it (made when it opens and
/// when the query changes, not on every frame) and the selection among them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Palette {
    pub query: String,
    pub matches: Vec<Entry>,
    pub selected: usize,
}

/// What a palette entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Intent(Intent),
    Tab(Tab),
    Company(usize),
    Scenario(String),
    Customer(String),
    Agent(crate::ai::Agent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub key: String,
    /// What the query is matched against: the name, the description, the key.
    pub haystack: String,
    pub target: Target,
}

impl App {
    /// From the company's name: the table itself is built only when written.
    fn default_export_path(&self, table: Table, format: Format) -> String {
        let company = self.data.as_deref().map_or("", |d| d.company.name.as_str());
        crate::export::sheet::file_name(company, table, chrono::Local::now().date_naive(), format.ext())
    }

    /// `X`: the dialog for the tables of the tab on screen.
    pub(crate) fn open_export(&mut self) -> Vec<Effect> {
        let tables = super::sheet::on_screen(self);
        if self.data.is_none() || tables.is_empty() {
            self.say(
                self.lang.pick(
                    "No table to export here: X works on Units, Cash flow, Pricing, Profitability, Planning and Collections",
                    "No hay tabla que exportar aquí: X funciona en Unidad, Caja, Precios, Rentabilidad, Planeación y Cobranza",
                ),
                true,
            );
            return vec![];
        }
        let path = self.default_export_path(tables[0], Format::Xlsx);
        self.export = Some(ExportDialog {
            tables,
            table: 0,
            format: Format::Xlsx,
            path,
            default_path: true,
            choices: Vec::new(),
            error: None,
            writing: false,
        });
        vec![]
    }

    pub(crate) fn on_export_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(mut d) = self.export.take() else { return vec![] };
        if d.writing {
            // Esc leaves it writing in the background; the status bar says when it is done.
            if key.code == KeyCode::Esc {
                self.say(
                    self.lang
                        .pick("Writing in the background…", "Escribiendo en segundo plano…"),
                    false,
                );
            } else {
                self.export = Some(d);
            }
            return vec![];
        }
        let mut refresh = false;
        match key.code {
            KeyCode::Esc => return vec![],
            KeyCode::Up | KeyCode::Down if d.tables.len() > 1 => {
                d.table = (d.table + 1) % d.tables.len();
                refresh = true;
            }
            KeyCode::Left | KeyCode::Right => {
                d.format = match d.format {
                    Format::Xlsx => Format::Csv,
                    Format::Csv => Format::Xlsx,
                };
                if !d.default_path {
                    // The typed name keeps its stem and takes the new extension.
                    let other = match d.format {
                        Format::Xlsx => ".csv",
                        Format::Csv => ".xlsx",
                    };
                    if let Some(stem) = d.path.strip_suffix(other) {
                        d.path = format!("{stem}.{}", d.format.ext());
                    }
                }
                refresh = true;
            }
            KeyCode::Tab => {
                let (done, choices) = super::import_dialog::complete(&d.path);
                d.path = done;
                d.choices = choices;
                d.default_path = false;
            }
            KeyCode::Enter => {
                let table = d.tables[d.table];
                let Some(sheet) = super::sheet::sheet(self, table) else {
                    d.error = Some(self.lang.pick("Nothing to export", "Nada que exportar").to_owned());
                    self.export = Some(d);
                    return vec![];
                };
                if d.path.trim().is_empty() {
                    d.error = Some(
                        self.lang
                            .pick("Give a file name", "Indique un nombre de archivo")
                            .to_owned(),
                    );
                    self.export = Some(d);
                    return vec![];
                }
                d.writing = true;
                d.error = None;
                let path = super::import_dialog::expand(d.path.trim());
                let format = d.format;
                self.export = Some(d);
                return vec![Effect::Export {
                    sheet: Box::new(sheet),
                    format,
                    path,
                }];
            }
            _ => {
                if let super::line_input::Edit::Changed =
                    super::line_input::edit(&mut d.path, &key, 400, super::line_input::any)
                {
                    d.default_path = false;
                    d.choices.clear();
                    d.error = None;
                }
            }
        }
        if refresh && d.default_path {
            d.path = self.default_export_path(d.tables[d.table], d.format);
        }
        self.export = Some(d);
        vec![]
    }

    /// The export ended: the dialog closes and says so, or stays with the error.
    pub(crate) fn on_exported(&mut self, result: Result<(usize, String), String>) {
        match result {
            Ok((n, path)) => {
                self.export = None;
                let text = match self.lang {
                    crate::locale::Lang::En => format!("{n} rows written to {}", clean(&path)),
                    crate::locale::Lang::Es => format!("{n} filas escritas en {}", clean(&path)),
                };
                self.say(text, false);
            }
            Err(e) => match self.export.as_mut() {
                Some(d) => {
                    d.writing = false;
                    d.error = Some(e);
                }
                None => self.say(e, true),
            },
        }
    }

    /// `y` (the selected row) or `Y` (the whole table as filtered), with a header line.
    pub(crate) fn copy(&mut self, whole: bool) -> Vec<Effect> {
        let Some(table) = super::sheet::on_screen(self).first().copied() else {
            self.say(
                self.lang.pick("No table to copy here", "No hay tabla que copiar aquí"),
                true,
            );
            return vec![];
        };
        let Some(sheet) = super::sheet::sheet(self, table) else {
            return vec![];
        };
        if whole {
            return vec![Effect::Copy(Box::new(sheet))];
        }
        let row = match &sheet.rows {
            Rows::Here(rows) => rows.get(self.row()).cloned(),
            Rows::OpenInvoices { day, rate, .. } => self.data.as_deref().and_then(|d| {
                let view = d.open.view(&self.views.filter);
                view.get(self.row())
                    .filter(|_| !view.stale)
                    .map(|inv| super::sheet::invoice_row(inv, *day, *rate))
            }),
        };
        match row {
            Some(r) => vec![Effect::Copy(Box::new(Sheet {
                rows: Rows::Here(vec![r]),
                ..sheet
            }))],
            None => {
                self.say(self.lang.pick("No row selected", "Ninguna fila seleccionada"), true);
                vec![]
            }
        }
    }

    /// The text to copy is ready (or too large): the runtime puts it on a clipboard.
    pub(crate) fn on_copy_ready(&mut self, result: Result<(String, usize), String>) -> Vec<Effect> {
        match result {
            Ok((text, rows)) => vec![Effect::Clipboard { text, rows }],
            Err(e) => {
                self.say(e, true);
                vec![]
            }
        }
    }

    /// What the clipboard did with `rows` rows: said in the status bar.
    pub fn copied(&mut self, rows: usize, how: Result<crate::tui::clipboard::Clipboard, String>) {
        let t = |en, es| self.lang.pick(en, es);
        match how {
            Ok(via) => {
                let via = match via {
                    crate::tui::clipboard::Clipboard::Terminal => {
                        t("terminal clipboard", "portapapeles de la terminal")
                    }
                    crate::tui::clipboard::Clipboard::System => t("system clipboard", "portapapeles del sistema"),
                };
                let what = if rows == 1 {
                    t("row copied", "fila copiada")
                } else {
                    t("rows copied", "filas copiadas")
                };
                let text = format!("{rows} {what} ({via})");
                self.say(text, false);
            }
            Err(e) => self.say(e, true),
        }
    }

    /// Every entry of the palette, in its order when nothing is typed.
    pub fn palette_entries(&self) -> Vec<Entry> {
        let lang = self.lang;
        let t = |en, es| lang.pick(en, es);
        let mut out = Vec::new();
        for b in &self.keymap.bindings {
            if b.intent == Intent::Palette {
                continue;
            }
            let name = super::keymap::short(b.intent, lang);
            let key = b.keys_label();
            out.push(Entry {
                label: b.help(lang).to_owned(),
                haystack: format!("{name} {} {} {key}", b.name.replace('_', " "), b.help(lang)),
                key,
                target: Target::Intent(b.intent),
            });
        }
        for (i, tab) in Tab::ALL.iter().enumerate() {
            let title = tab.title(lang);
            out.push(Entry {
                label: format!("{} {title}", t("Go to", "Ir a")),
                key: (i + 1).to_string(),
                haystack: format!(
                    "{} {title} {}",
                    t("go to tab", "ir a pestaña"),
                    tab.view().short_title(lang)
                ),
                target: Target::Tab(*tab),
            });
        }
        for (i, c) in self.companies.iter().enumerate() {
            let name = clean(&c.name);
            out.push(Entry {
                label: format!("{} {name}", t("Company:", "Empresa:")),
                key: String::new(),
                haystack: format!("{} {name}", t("company", "empresa")),
                target: Target::Company(i),
            });
        }
        for s in &self.planner.scenarios {
            let name = clean(&s.name);
            out.push(Entry {
                label: format!("{} {name}", t("Scenario:", "Escenario:")),
                key: String::new(),
                haystack: format!("{} {name}", t("scenario", "escenario")),
                target: Target::Scenario(s.name.clone()),
            });
        }
        if let Some(d) = &self.data {
            for e in &d.snapshot.collections.call_list {
                let name = clean(&e.customer);
                out.push(Entry {
                    label: format!(
                        "{} {name} ({})",
                        t("Customer:", "Cliente:"),
                        d.fmt.money(Some(e.open), true)
                    ),
                    key: String::new(),
                    haystack: format!("{} {name}", t("customer", "cliente")),
                    target: Target::Customer(e.customer.clone()),
                });
            }
        }
        for a in crate::ai::Agent::ALL {
            let title = a.title(lang);
            out.push(Entry {
                label: format!("{} {title}", t("Advisor:", "Asesor:")),
                key: String::new(),
                haystack: format!("{} {title} ai ia", t("advisor", "asesor")),
                target: Target::Agent(a),
            });
        }
        out
    }

    /// The entries matching the palette's query, best first (nucleo's score;
    /// ties keep the registry's order).
    pub fn palette_matches(&self, query: &str) -> Vec<Entry> {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        let entries = self.palette_entries();
        if query.trim().is_empty() {
            return entries;
        }
        let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize, Entry)> = entries
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let s = pattern.score(nucleo_matcher::Utf32Str::new(&e.haystack, &mut buf), &mut matcher)?;
                Some((s, i, e))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, e)| e).collect()
    }

    /// `Ctrl-p`: every entry, nothing typed yet.
    pub(crate) fn open_palette(&self) -> Palette {
        Palette {
            matches: self.palette_entries(),
            ..Palette::default()
        }
    }

    pub(crate) fn on_palette_key(&mut self, key: KeyEvent, p: &mut Palette) -> Option<Vec<Effect>> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Some(vec![]),
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Char('p') if ctrl => p.selected = p.selected.saturating_sub(1),
            KeyCode::Down => p.selected += 1,
            KeyCode::Char('n') if ctrl => p.selected += 1,
            KeyCode::Enter => {
                let m = &p.matches;
                return Some(match m.get(p.selected.min(m.len().saturating_sub(1))) {
                    Some(e) => self.run_entry(&e.target.clone()),
                    None => vec![],
                });
            }
            _ => {
                if let super::line_input::Edit::Changed =
                    super::line_input::edit(&mut p.query, &key, 80, super::line_input::any)
                {
                    p.matches = self.palette_matches(&p.query);
                    p.selected = 0;
                }
            }
        }
        p.selected = p.selected.min(p.matches.len().saturating_sub(1));
        None
    }

    /// What an entry does: exactly what its key does, on the tab that offers it.
    pub fn run_entry(&mut self, target: &Target) -> Vec<Effect> {
        match target {
            Target::Intent(intent) => {
                let mut effects = Vec::new();
                if self.keymap.scope(*intent) == Scope::View
                    && !self.tab.view().commands(self).contains(intent)
                    && let Some(tab) = Tab::ALL.into_iter().find(|t| t.view().commands(self).contains(intent))
                {
                    effects.extend(self.goto(tab));
                }
                if let super::component::Handled::Consumed(e) = self.run_intent(*intent) {
                    effects.extend(e);
                }
                effects
            }
            Target::Tab(tab) => self.goto(*tab),
            Target::Company(i) => {
                let Some(c) = self.companies.get(*i).cloned() else {
                    return vec![];
                };
                self.load = Load::Loading;
                self.views.rows = [0; Tab::ALL.len()];
                self.views.filter.clear();
                vec![Effect::LoadCompany(c)]
            }
            Target::Scenario(name) => {
                let mut effects = self.goto(Tab::Planning);
                if let Some(i) = self.planner.scenarios.iter().position(|s| &s.name == name) {
                    self.planner.current = i;
                    self.planner.row = 0;
                }
                effects.extend(self.after_planner(Vec::new()));
                effects
            }
            Target::Customer(name) => {
                let effects = self.goto(Tab::Collections);
                self.views.filter = name.clone();
                self.views.rows[Tab::Collections.index()] = 0;
                effects
            }
            Target::Agent(agent) => {
                self.ai.agent = *agent;
                self.ai.chosen = true;
                self.ai.open = true;
                self.ai_start(false)
            }
        }
    }

    /// The same as pressing the tab's number.
    fn goto(&mut self, tab: Tab) -> Vec<Effect> {
        self.switch_tab(tab)
    }
}

/// The export dialog, centred.
pub fn render_export(app: &App, d: &ExportDialog, area: Rect, buf: &mut Buffer) {
    let t = |en, es| app.lang.pick(en, es);
    let th = &app.theme;
    let h = 8 + d.choices.len().min(6) as u16;
    let r = super::render::popup(area, 76, h);
    Clear.render(r, buf);
    let inner_w = r.width.saturating_sub(2) as usize;
    let label = |s: &str| Span::styled(format!("{:<8}", s), th.muted);
    let table = d.tables[d.table];
    let more = if d.tables.len() > 1 { "  ↑↓" } else { "" };
    let fmt = |f: Format, name: &'static str| {
        if f == d.format {
            Span::styled(format!("[{name}]"), th.selected)
        } else {
            Span::styled(format!(" {name} "), th.muted)
        }
    };
    let path_w = inner_w.saturating_sub(9);
    let shown = clean(&d.path);
    // The end of a long path is what the user is typing: keep it in view.
    let tail: String = {
        let chars: Vec<char> = shown.chars().collect();
        let mut start = 0;
        while start < chars.len() && width(&chars[start..].iter().collect::<String>()) + 1 > path_w {
            start += 1;
        }
        chars[start..].iter().collect()
    };
    let mut lines = vec![
        Line::from(vec![
            label(t("Table", "Tabla")),
            Span::styled(table.title(app.lang), th.base),
            Span::styled(more, th.muted),
        ]),
        Line::from(vec![
            label(t("Format", "Formato")),
            fmt(Format::Xlsx, "XLSX"),
            Span::raw(" "),
            fmt(Format::Csv, "CSV"),
            Span::styled("  ←→", th.muted),
        ]),
        Line::from(vec![
            label(t("Path", "Archivo")),
            Span::styled(tail, th.base),
            Span::styled("▏", th.accent),
        ]),
    ];
    for c in d.choices.iter().take(6) {
        lines.push(Line::from(Span::styled(
            format!("        {}", fit(&clean(c), path_w)),
            th.muted,
        )));
    }
    lines.push(Line::from(""));
    if d.writing {
        lines.push(Line::from(Span::styled(
            t(
                "Writing… · Esc: on in the background",
                "Escribiendo… · Esc: sigue en segundo plano",
            ),
            th.accent,
        )));
    } else if let Some(e) = &d.error {
        lines.push(Line::from(Span::styled(fit(&clean(e), inner_w), th.bad)));
    } else {
        lines.push(Line::from(Span::styled(
            fit(
                t(
                    "The whole table as filtered. Enter write · Tab complete · Esc cancel",
                    "La tabla completa, filtrada. Enter escribir · Tab completar · Esc cancelar",
                ),
                inner_w,
            ),
            th.muted,
        )));
    }
    Paragraph::new(lines)
        .block(block(t("Export", "Exportar"), th))
        .style(th.base)
        .render(r, buf);
}

/// The palette: the query, then the entries that match, each with its key.
pub fn render_palette(app: &App, p: &Palette, area: Rect, buf: &mut Buffer) {
    let th = &app.theme;
    let w = area.width.saturating_sub(4).min(90);
    let h = area.height.saturating_sub(4).min(22);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let inner_w = r.width.saturating_sub(2) as usize;
    let matches = &p.matches;
    let room = h.saturating_sub(3) as usize;
    let selected = p.selected.min(matches.len().saturating_sub(1));
    let start = super::widgets::window_start(selected, room, matches.len());
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", th.accent),
        Span::styled(fit(&clean(&p.query), inner_w.saturating_sub(3)), th.base),
        Span::styled("▏", th.accent),
    ])];
    for (i, e) in matches.iter().enumerate().skip(start).take(room) {
        let key = clean(&e.key);
        let key_w = width(&key);
        let label_w = inner_w.saturating_sub(key_w + 2);
        let label = crate::sanitize::pad_right(&fit(&e.label, label_w), label_w);
        let style = if i == selected { th.selected } else { th.base };
        lines.push(Line::from(vec![
            Span::styled(format!("{label}  "), style),
            Span::styled(key, if i == selected { th.selected } else { th.muted }),
        ]));
    }
    if matches.is_empty() {
        lines.push(Line::from(Span::styled(
            app.lang.pick("Nothing matches", "Nada coincide"),
            th.muted,
        )));
    }
    let title = format!(
        "{} · {} {}",
        app.lang.pick("Commands", "Comandos"),
        matches.len(),
        app.lang
            .pick("· Enter run · Esc close", "· Enter ejecutar · Esc cerrar")
    );
    Paragraph::new(lines)
        .block(block(&title, th))
        .style(th.base)
        .render(r, buf);
}

/// Rows of a sheet as the clipboard takes them: `None` when over `limit` bytes.
pub fn clipboard_text(sheet: &Sheet, rows: &[Vec<Value>], limit: usize) -> Option<String> {
    crate::export::tsv(&sheet.headers(true), rows, limit)
}

/// Two clicks at one place within this are a double click.
const DOUBLE_CLICK: std::time::Duration = std::time::Duration::from_millis(400);

impl App {
    /// A click or the wheel, hit-tested against the last frame: a tab or a
    /// card switches to its tab, a row is selected (twice: Enter), a hint
    /// presses its key, the wheel scrolls the table or the AI panel under it.
    pub(crate) fn on_mouse(&mut self, m: crossterm::event::MouseEvent) -> Vec<Effect> {
        use super::hits::Hit;
        use crossterm::event::{MouseButton, MouseEventKind};
        // A dialog or an overlay owns the keys: the mouse waits for it to close.
        if self.form.is_some()
            || self.import.is_some()
            || self.export.is_some()
            || self.overlay != super::app::Overlay::None
            || self.ai.asking.is_some()
        {
            return vec![];
        }
        let hit = self.hits.at(m.column, m.row);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let now = std::time::Instant::now();
                let double = self
                    .last_click
                    .is_some_and(|(t, c, r)| c == m.column && r == m.row && now.duration_since(t) < DOUBLE_CLICK);
                self.last_click = (!double).then_some((now, m.column, m.row));
                match hit {
                    Some(Hit::Tab(t) | Hit::Card(t)) => self.switch_tab(t),
                    // A row of the table the selection drives (not a pane beside it).
                    Some(Hit::Row(i)) if self.hits.table.is_some_and(|t| t.total == self.row_count()) => {
                        *self.row_mut() = i;
                        if double {
                            self.update(super::message::Action::Key(KeyEvent::new(
                                KeyCode::Enter,
                                KeyModifiers::NONE,
                            )))
                        } else {
                            vec![]
                        }
                    }
                    Some(Hit::Hint(key)) => self.update(super::message::Action::Key(key)),
                    _ => vec![],
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                let intent = match hit {
                    Some(Hit::Ai) if down => Intent::AiScrollDown,
                    Some(Hit::Ai) => Intent::AiScrollUp,
                    Some(Hit::Row(_) | Hit::Table) if down => Intent::Down,
                    Some(Hit::Row(_) | Hit::Table) => Intent::Up,
                    _ => return vec![],
                };
                match self.run_intent(intent) {
                    super::component::Handled::Consumed(e) => e,
                    super::component::Handled::NotConsumed => vec![],
                }
            }
            _ => vec![],
        }
    }
}
