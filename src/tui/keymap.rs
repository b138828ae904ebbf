//! Key bindings: one table of what each key does, from which the help overlay
//! and the hint bar are generated, so they can never drift from the bindings.
//! The config file's `[keys]` overrides any of them: `quit = "ctrl-q"`.

use crate::locale::Lang;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    Quit,
    Help,
    NextTab,
    PrevTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Company,
    Edit,
    Reload,
    NudgeUp,
    NudgeDown,
    Undo,
    Redo,
    NewScenario,
    RenameScenario,
    DeleteScenario,
    RemoveItem,
    CompareMark,
    PlanView,
    GoalSeek,
    LockBudget,
    Weeks,
    Audit,
    Import,
    AiPanel,
    AiAgent,
    AiRerun,
    AiScrollUp,
    AiScrollDown,
    AiAsk,
    AiClear,
    Diagnostics,
    Export,
    CopyRow,
    CopyTable,
    Palette,
    Currency,
}

/// Where a binding applies: everywhere, or on the tabs that list it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// Only where the view offers it (tables, editable records).
    View,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub intent: Intent,
    /// Config key that overrides it.
    pub name: &'static str,
    pub keys: Vec<KeyEvent>,
    pub scope: Scope,
    pub en: &'static str,
    pub es: &'static str,
}

impl Binding {
    pub fn help(&self, lang: Lang) -> &'static str {
        lang.pick(self.en, self.es)
    }

    /// The keys as shown in the help: `q`, `Ctrl-c`, `Tab`.
    pub fn keys_label(&self) -> String {
        self.keys.iter().map(key_label).collect::<Vec<_>>().join(" ")
    }
}

fn k(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    k(KeyCode::Char(c))
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        use Intent::*;
        use Scope::*;
        let b = |intent, name, keys: Vec<KeyEvent>, scope, en, es| Binding {
            intent,
            name,
            keys,
            scope,
            en,
            es,
        };
        Keymap {
            bindings: vec![
                b(
                    Quit,
                    "quit",
                    vec![ch('q'), KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)],
                    Global,
                    "quit",
                    "salir",
                ),
                b(
                    Help,
                    "help",
                    vec![ch('?')],
                    Global,
                    "show or hide this help",
                    "mostrar u ocultar esta ayuda",
                ),
                b(
                    NextTab,
                    "next_tab",
                    vec![k(KeyCode::Tab)],
                    Global,
                    "next tab",
                    "pestaña siguiente",
                ),
                b(
                    PrevTab,
                    "prev_tab",
                    vec![k(KeyCode::BackTab)],
                    Global,
                    "previous tab",
                    "pestaña anterior",
                ),
                b(
                    Company,
                    "company",
                    vec![ch('c')],
                    Global,
                    "switch company",
                    "cambiar de empresa",
                ),
                b(
                    AiPanel,
                    "ai_panel",
                    vec![ch('a')],
                    Global,
                    "open or close the AI panel (the tab picks the advisor)",
                    "abrir o cerrar el panel de IA (la pestaña elige el asesor)",
                ),
                b(
                    AiAgent,
                    "ai_agent",
                    vec![ch('A')],
                    Global,
                    "choose the advisor",
                    "elegir el asesor",
                ),
                b(
                    AiRerun,
                    "ai_rerun",
                    vec![ch('r')],
                    Global,
                    "ask the advisor again (skips the cache)",
                    "consultar de nuevo al asesor (sin caché)",
                ),
                b(
                    AiScrollUp,
                    "ai_scroll_up",
                    vec![ch('[')],
                    Global,
                    "scroll the AI panel up",
                    "desplazar el panel de IA hacia arriba",
                ),
                b(
                    AiScrollDown,
                    "ai_scroll_down",
                    vec![ch(']')],
                    Global,
                    "scroll the AI panel down",
                    "desplazar el panel de IA hacia abajo",
                ),
                b(
                    Import,
                    "import",
                    vec![ch('i')],
                    Global,
                    "import books: CSV, spreadsheet, journal or CFDI",
                    "importar libros: CSV, hoja de cálculo, diario o CFDI",
                ),
                b(
                    AiAsk,
                    "ai_ask",
                    vec![ch(':')],
                    Global,
                    "ask the advisor a question (also Enter in the panel)",
                    "hacer una pregunta al asesor (también Enter en el panel)",
                ),
                b(
                    AiClear,
                    "ai_clear",
                    vec![KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL)],
                    Global,
                    "clear the questions asked to this advisor",
                    "borrar las preguntas hechas a este asesor",
                ),
                b(
                    Diagnostics,
                    "diagnostics",
                    vec![k(KeyCode::F(12))],
                    Global,
                    "diagnostics: frame times, store calls, memory, AI use",
                    "diagnóstico: tiempos de cuadro, consultas, memoria, uso de IA",
                ),
                b(
                    Palette,
                    "palette",
                    vec![KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)],
                    Global,
                    "command palette: commands, tabs, companies, customers",
                    "paleta: comandos, pestañas, empresas, clientes, asesores",
                ),
                b(
                    Export,
                    "export",
                    vec![ch('X')],
                    Global,
                    "export the whole table as filtered: XLSX or CSV",
                    "exportar la tabla completa y filtrada: XLSX o CSV",
                ),
                b(
                    CopyRow,
                    "copy_row",
                    vec![ch('y')],
                    Global,
                    "copy the selected row, with the header",
                    "copiar la fila seleccionada, con encabezado",
                ),
                b(
                    CopyTable,
                    "copy_table",
                    vec![ch('Y')],
                    Global,
                    "copy the whole table as filtered",
                    "copiar la tabla completa, filtrada",
                ),
                b(
                    Currency,
                    "currency",
                    vec![ch('$')],
                    Global,
                    "the figures in another currency, in turn (read-only)",
                    "las cifras en otra moneda, por turno (solo lectura)",
                ),
                b(
                    Reload,
                    "reload",
                    vec![ch('R')],
                    Global,
                    "reload from the store",
                    "recargar desde la base",
                ),
                b(Up, "up", vec![k(KeyCode::Up), ch('k')], View, "move up", "subir"),
                b(
                    Down,
                    "down",
                    vec![k(KeyCode::Down), ch('j')],
                    View,
                    "move down",
                    "bajar",
                ),
                b(
                    Left,
                    "left",
                    vec![k(KeyCode::Left), ch('h')],
                    View,
                    "previous field",
                    "campo anterior",
                ),
                b(
                    Right,
                    "right",
                    vec![k(KeyCode::Right), ch('l')],
                    View,
                    "next field",
                    "campo siguiente",
                ),
                b(
                    PageUp,
                    "page_up",
                    vec![k(KeyCode::PageUp)],
                    View,
                    "page up",
                    "página arriba",
                ),
                b(
                    PageDown,
                    "page_down",
                    vec![k(KeyCode::PageDown)],
                    View,
                    "page down",
                    "página abajo",
                ),
                b(
                    Top,
                    "top",
                    vec![k(KeyCode::Home), ch('g')],
                    View,
                    "first row",
                    "primera fila",
                ),
                b(
                    Bottom,
                    "bottom",
                    vec![k(KeyCode::End), ch('G')],
                    View,
                    "last row",
                    "última fila",
                ),
                b(
                    Filter,
                    "filter",
                    vec![ch('/')],
                    View,
                    "filter the table",
                    "filtrar la tabla",
                ),
                b(
                    Edit,
                    "edit",
                    vec![ch('e')],
                    View,
                    "edit the selected record or driver",
                    "editar el registro o supuesto seleccionado",
                ),
                b(
                    NudgeUp,
                    "nudge_up",
                    vec![ch('+'), ch('=')],
                    View,
                    "raise the driver by a step",
                    "subir el supuesto un paso",
                ),
                b(
                    NudgeDown,
                    "nudge_down",
                    vec![ch('-')],
                    View,
                    "lower the driver by a step",
                    "bajar el supuesto un paso",
                ),
                b(Undo, "undo", vec![ch('u')], View, "undo", "deshacer"),
                b(
                    Redo,
                    "redo",
                    vec![KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)],
                    View,
                    "redo",
                    "rehacer",
                ),
                b(
                    NewScenario,
                    "new_scenario",
                    vec![ch('n')],
                    View,
                    "new scenario, a copy of this one",
                    "nuevo escenario, copia de este",
                ),
                b(
                    RenameScenario,
                    "rename_scenario",
                    vec![ch('N')],
                    View,
                    "rename the scenario",
                    "renombrar el escenario",
                ),
                b(
                    DeleteScenario,
                    "delete_scenario",
                    vec![ch('d')],
                    View,
                    "delete the scenario (asks first)",
                    "eliminar el escenario (pregunta antes)",
                ),
                b(
                    RemoveItem,
                    "remove_item",
                    vec![ch('x'), k(KeyCode::Delete)],
                    View,
                    "remove the selected hire or cash event",
                    "quitar la contratación o el evento de caja",
                ),
                b(
                    CompareMark,
                    "compare",
                    vec![ch(' ')],
                    View,
                    "mark or unmark the scenario for comparison (up to 3)",
                    "marcar o desmarcar el escenario para comparar (hasta 3)",
                ),
                b(
                    PlanView,
                    "plan_view",
                    vec![ch('v')],
                    View,
                    "next view: drivers, compare, budget; Bank: reconcile",
                    "vista: supuestos, comparar, presup.; Banco: conciliar",
                ),
                b(
                    GoalSeek,
                    "goal_seek",
                    vec![ch('s')],
                    View,
                    "goal seek: find the driver value that meets a target",
                    "buscar objetivo: el valor del supuesto que cumple una meta",
                ),
                b(
                    LockBudget,
                    "lock_budget",
                    vec![ch('L')],
                    View,
                    "lock the scenario as the budget, or unlock it",
                    "fijar el escenario como presupuesto, o liberarlo",
                ),
                b(
                    Audit,
                    "audit",
                    vec![ch('t')],
                    View,
                    "the audit trail: who changed what, when (/ filters)",
                    "la bitácora: quién cambió qué y cuándo (/ filtra)",
                ),
                b(
                    Weeks,
                    "weeks",
                    vec![ch('w')],
                    View,
                    "months or the 13-week cash forecast",
                    "meses o el pronóstico de caja de 13 semanas",
                ),
            ],
        }
    }
}

impl Keymap {
    /// The intent of a key press, if any binding has it.
    pub fn intent(&self, key: &KeyEvent) -> Option<Intent> {
        let norm = normalize(key);
        self.bindings
            .iter()
            .find(|b| b.keys.iter().any(|k| normalize(k) == norm))
            .map(|b| b.intent)
    }

    /// Where an intent applies.
    pub fn scope(&self, intent: Intent) -> Scope {
        self.bindings
            .iter()
            .find(|b| b.intent == intent)
            .map_or(Scope::Global, |b| b.scope)
    }

    /// The keys of an intent as the hints show them: `/`, `Ctrl-q`.
    pub fn label(&self, intent: Intent) -> Option<String> {
        let b = self.bindings.iter().find(|b| b.intent == intent)?;
        b.keys.first().map(key_label)
    }

    /// `key word` for a hint bar: `/ filter`, `Ctrl-q quit` (empty when unbound).
    pub fn hint(&self, intent: Intent, lang: Lang) -> String {
        self.label(intent)
            .map(|k| format!("{k} {}", short(intent, lang)))
            .unwrap_or_default()
    }

    /// Hints joined with ` · `, those of unbound intents left out; neighbours
    /// that say the same word share it: `↑↓ move`.
    pub fn hints(&self, intents: &[Intent], lang: Lang) -> String {
        self.hint_parts(intents, lang)
            .into_iter()
            .map(|(text, _)| text)
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The hints one by one, each with the intent its click stands for (the first of a shared word).
    pub fn hint_parts(&self, intents: &[Intent], lang: Lang) -> Vec<(String, Intent)> {
        let mut out: Vec<(String, &str, Intent)> = Vec::new();
        for i in intents {
            let Some(key) = self.label(*i) else { continue };
            let word = short(*i, lang);
            match out.last_mut() {
                Some((keys, w, _)) if *w == word => keys.push_str(&key),
                _ => out.push((key, word, *i)),
            }
        }
        out.into_iter().map(|(k, w, i)| (format!("{k} {w}"), i)).collect()
    }

    /// The first key bound to an intent.
    pub fn key_of(&self, intent: Intent) -> Option<KeyEvent> {
        self.bindings.iter().find(|b| b.intent == intent)?.keys.first().copied()
    }

    /// Applies `[keys]` overrides from the config: `name = "key"` or a list of keys.
    /// The defaults with a config's `[keys]` applied; an error names a key
    /// bound to two actions, or a name that is not an action.
    pub fn from_config(keys: Option<&toml::Table>) -> Result<Keymap, String> {
        match keys {
            Some(t) => Keymap::default().with_overrides(t),
            None => Ok(Keymap::default()),
        }
    }

    pub fn with_overrides(mut self, table: &toml::Table) -> Result<Keymap, String> {
        let known: Vec<&str> = self.bindings.iter().map(|b| b.name).collect();
        for (name, value) in table {
            let binding = self
                .bindings
                .iter_mut()
                .find(|b| b.name == name)
                .ok_or_else(|| format!("keys.{name}: not a binding (known: {})", known.join(", ")))?;
            let specs: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                _ => {
                    return Err(format!(
                        "keys.{name}: expected a key such as \"ctrl-q\" or a list of keys"
                    ));
                }
            };
            binding.keys = specs
                .iter()
                .map(|s| {
                    parse_key(s)
                        .ok_or_else(|| format!("keys.{name}: {s:?} is not a key (e.g. \"q\", \"ctrl-q\", \"f1\")"))
                })
                .collect::<Result<_, _>>()?;
        }
        self.check()?;
        Ok(self)
    }

    /// Refuses a key bound to two actions, or to one the views reserve
    /// (`1`-`7`, `Esc`, `Enter`, `Backspace`), naming the key and both actions.
    pub fn check(&self) -> Result<(), String> {
        for (i, a) in self.bindings.iter().enumerate() {
            for key in &a.keys {
                let label = key_label(key);
                if let Some(what) = reserved(key) {
                    return Err(format!(
                        "keys.{}: {label} is reserved for {what}; choose another key",
                        a.name
                    ));
                }
                if let Some(b) = self.bindings[i + 1..]
                    .iter()
                    .find(|b| b.keys.iter().any(|k| normalize(k) == normalize(key)))
                {
                    let what = |b: &Binding| {
                        if b.name == b.en {
                            b.name.to_owned()
                        } else {
                            format!("{} ({})", b.name, b.en)
                        }
                    };
                    return Err(format!(
                        "keys: {label} is bound to both {} and {}; change one of them in [keys]",
                        what(a),
                        what(b)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An intent in a word or two, for the hint bars.
pub fn short(intent: Intent, lang: Lang) -> &'static str {
    use Intent::*;
    let (en, es) = match intent {
        Quit => ("quit", "salir"),
        Help => ("help", "ayuda"),
        NextTab => ("next tab", "pestaña sig."),
        PrevTab => ("prev. tab", "pestaña ant."),
        Up | Down => ("move", "mover"),
        Left | Right => ("field", "campo"),
        PageUp | PageDown => ("page", "página"),
        Top => ("first", "primera"),
        Bottom => ("last", "última"),
        Filter => ("filter", "filtrar"),
        Company => ("company", "empresa"),
        Edit => ("edit", "editar"),
        Reload => ("reload", "recargar"),
        NudgeUp => ("raise", "subir"),
        NudgeDown => ("lower", "bajar"),
        Undo => ("undo", "deshacer"),
        Redo => ("redo", "rehacer"),
        NewScenario => ("new", "nuevo"),
        RenameScenario => ("rename", "renombrar"),
        DeleteScenario => ("delete", "eliminar"),
        RemoveItem => ("remove", "quitar"),
        CompareMark => ("mark", "marcar"),
        PlanView => ("view", "vista"),
        GoalSeek => ("goal seek", "buscar meta"),
        LockBudget => ("lock budget", "fijar presupuesto"),
        Weeks => ("weeks", "semanas"),
        Audit => ("audit trail", "bitácora"),
        Import => ("import", "importar"),
        AiPanel => ("advisor", "asesor"),
        AiAgent => ("advisor", "asesor"),
        AiRerun => ("ask again", "preguntar de nuevo"),
        AiScrollUp | AiScrollDown => ("scroll", "desplazar"),
        Diagnostics => ("diagnostics", "diagnóstico"),
        Export => ("export", "exportar"),
        CopyRow => ("copy row", "copiar fila"),
        CopyTable => ("copy table", "copiar tabla"),
        Palette => ("palette", "paleta"),
        Currency => ("currency", "moneda"),
        AiAsk => ("ask", "preguntar"),
        AiClear => ("clear", "borrar"),
    };
    lang.pick(en, es)
}

/// Keys the interface handles itself, which no binding may take.
fn reserved(k: &KeyEvent) -> Option<&'static str> {
    let plain = k.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE;
    match k.code {
        KeyCode::Char('1'..='8') if plain => Some("going to a tab"),
        KeyCode::Esc => Some("closing the innermost thing"),
        KeyCode::Enter => Some("confirming"),
        KeyCode::Backspace => Some("deleting typed text"),
        _ => None,
    }
}

/// Keys the views handle directly, listed in the help with the bindings.
/// (The tab digits are listed too, as many as there are tabs: see `render::help_lines`.)
pub const FIXED: [(&str, &str, &str); 3] = [
    (
        "Esc",
        "close the innermost: edit, overlay, AI request, panel",
        "cerrar lo más interno: edición, ventana, consulta IA, panel",
    ),
    (
        "Enter",
        "confirm; in Pricing and Planning, type the value",
        "confirmar; en Precios y Planeación, escribir el valor",
    ),
    (
        "mouse",
        "mouse = true in the config: clicks; loses text selection",
        "mouse = true en la config.: clics; pierde la selección",
    ),
];

/// Shift is implied by upper-case letters and symbols; compare without it.
fn normalize(k: &KeyEvent) -> (KeyCode, KeyModifiers) {
    let mods = match k.code {
        KeyCode::Char(_) | KeyCode::BackTab => k.modifiers - KeyModifiers::SHIFT,
        _ => k.modifiers,
    };
    (k.code, mods)
}

/// `q`, `ctrl-q`, `alt-x`, `f1`, `enter`, `esc`, `tab`, `shift-tab`, `up`, `pgdn`, `space`.
pub fn parse_key(s: &str) -> Option<KeyEvent> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = s.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("ctrl-") {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt-") {
            mods |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else if lower == "shift-tab" || lower == "backtab" {
            return Some(KeyEvent::new(KeyCode::BackTab, mods));
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        f if f.len() >= 2 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => KeyCode::F(f[1..].parse().ok()?),
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(c)
        }
    };
    Some(KeyEvent::new(code, mods))
}

pub fn key_label(k: &KeyEvent) -> String {
    let base = match k.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    let mut out = String::new();
    if k.modifiers.contains(KeyModifiers::CONTROL) {
        out.push_str("Ctrl-");
    }
    if k.modifiers.contains(KeyModifiers::ALT) {
        out.push_str("Alt-");
    }
    out + &base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let km = Keymap::default();
        assert_eq!(km.intent(&ch('q')), Some(Intent::Quit));
        assert_eq!(
            km.intent(&KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Intent::Bottom)
        );
        let table: toml::Table = toml::from_str("quit = \"ctrl-q\"\nfilter = [\"/\", \"f\"]").unwrap();
        let km = km.with_overrides(&table).unwrap();
        assert_eq!(km.intent(&ch('q')), None);
        assert_eq!(
            km.intent(&KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Intent::Quit)
        );
        assert_eq!(km.intent(&ch('f')), Some(Intent::Filter));
        let bad: toml::Table = toml::from_str("quitt = \"q\"").unwrap();
        assert!(
            Keymap::default()
                .with_overrides(&bad)
                .unwrap_err()
                .contains("keys.quitt")
        );
        let bad: toml::Table = toml::from_str("quit = \"ctrl-\"").unwrap();
        assert!(Keymap::default().with_overrides(&bad).is_err());
    }

    #[test]
    fn colliding_overrides_are_refused_naming_the_key_and_both_actions() {
        assert_eq!(Keymap::default().check(), Ok(()), "the defaults collide");
        let table: toml::Table = toml::from_str("quit = \"j\"").unwrap();
        let err = Keymap::default().with_overrides(&table).unwrap_err();
        assert!(err.contains("j is bound to both quit") && err.contains("down"), "{err}");
        let table: toml::Table = toml::from_str("help = \"3\"").unwrap();
        let err = Keymap::default().with_overrides(&table).unwrap_err();
        assert!(err.contains("keys.help: 3 is reserved"), "{err}");
        // Moving a key away first frees it.
        let table: toml::Table = toml::from_str("down = \"ctrl-n\"\nquit = [\"j\", \"q\"]").unwrap();
        assert!(Keymap::default().with_overrides(&table).is_ok());
    }
}
