//! Configuration: flag, then Katalis' own environment variables (`KATALIS_*`),
//! then `config.toml` in the platform config directory, then defaults. A generic
//! `DATABASE_URL` is ignored on purpose: it may belong to another application.

use crate::cli::Global;
use crate::locale::Lang;
use directories::ProjectDirs;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file's keys. Sections for later features are accepted as tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    /// The server's own address when `database_url` goes through a pooler:
    /// migrations and live refresh (`LISTEN`) use it.
    pub database_direct_url: Option<String>,
    pub postgres: Option<PostgresFile>,
    pub language: Option<String>,
    pub theme: Option<String>,
    pub keys: Option<toml::Table>,
    pub ai: Option<AiFile>,
    pub alerts: Option<toml::Table>,
    /// KPI targets for every company: `runway_months = ">= 12"`.
    pub targets: Option<toml::Table>,
    /// An integer or a quoted decimal ("25000.50"): TOML floats are not exact.
    pub cash_floor: Option<toml::Value>,
    /// Clicks and the wheel in the interface (off: capturing the mouse takes
    /// the terminal's own text selection away).
    pub mouse: Option<bool>,
    /// The currency `$` offers after the company's own (ISO 4217).
    pub reporting_currency: Option<String>,
}

/// A setting written as text or as a number (`price_input_per_mtok = 0.15` or
/// `"0.15"`); read as its text, so amounts stay exact decimals.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Setting {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl Setting {
    fn text(&self) -> String {
        match self {
            Setting::Text(s) => s.clone(),
            Setting::Integer(n) => n.to_string(),
            Setting::Float(f) => f.to_string(),
            Setting::Bool(b) => b.to_string(),
        }
    }
}

/// `[postgres]` of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresFile {
    /// This process's connections at most (default: 3 for the interface, 2 for a command).
    pub max_connections: Option<u32>,
    /// Seconds a statement may run (default 30; 0: no limit).
    pub statement_timeout: Option<u64>,
}

/// `[ai]` of the config file; an unknown key is refused with its name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiFile {
    /// `local` or `openai`.
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
    /// The environment variable that holds the key.
    pub api_key_env: Option<String>,
    pub price_input_per_mtok: Option<Setting>,
    pub price_output_per_mtok: Option<Setting>,
    pub monthly_budget: Option<Setting>,
    pub cache_ttl_secs: Option<Setting>,
    pub connect_timeout_secs: Option<Setting>,
    pub first_byte_timeout_secs: Option<Setting>,
    pub idle_timeout_secs: Option<Setting>,
    pub max_attempts: Option<Setting>,
    /// `auto`, `json_schema` or `text`.
    pub structured: Option<String>,
    pub retry_base_ms: Option<Setting>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("{key}: {value:?} is not valid; expected {expected}")]
    Value {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("config: {0}")]
    Keys(String),
    #[error("cannot determine the platform data directory (is HOME set?)")]
    NoHome,
}

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// How a PostgreSQL store is used: direct URL, pool size, statement timeout.
    pub postgres: crate::store::PgSettings,
    /// The URL is the platform default (created on first run), not one the user named.
    pub database_is_default: bool,
    pub lang: Lang,
    pub theme: String,
    /// The config file consulted, whether or not it exists.
    pub file: Option<PathBuf>,
    /// `rules.toml` beside the config file, when there is one: (text, path).
    pub rules: Option<(String, String)>,
    /// The `[keys]` table as written: the interface builds its keymap from it
    /// (`tui::keymap::Keymap::from_config`), and every command checks it first.
    pub keys: Option<toml::Table>,
    /// The 13-week forecast reports the first week whose cash is below it (default 0).
    pub cash_floor: rust_decimal::Decimal,
    /// `[targets]`: held by every company unless it sets its own for the metric.
    pub targets: Vec<crate::report::targets::Target>,
    pub ai: crate::ai::service::AiSettings,
    /// Things to tell the user (e.g. a key in a config file others can read).
    pub warnings: Vec<String>,
    /// `mouse = true`: the interface takes clicks and the wheel.
    pub mouse: bool,
    /// `reporting_currency = "USD"`: offered by `$` after the company's own.
    pub reporting_currency: Option<String>,
}

fn floor_of(key: &str, value: &str) -> Result<rust_decimal::Decimal, ConfigError> {
    crate::finance::planning::driver_number(value.trim()).map_err(|_| ConfigError::Value {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: "an amount such as 25000 or \"25000.50\"",
    })
}

pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "katalis")
}

/// The default SQLite file: `<data dir>/katalis.db`.
pub fn default_database_url() -> Result<String, ConfigError> {
    let dirs = project_dirs().ok_or(ConfigError::NoHome)?;
    Ok(format!("sqlite://{}", dirs.data_dir().join("katalis.db").display()))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            message: match e.span() {
                Some(span) => format!("{}: {}", place(&text, span.start), e.message().trim_end()),
                None => e.message().trim_end().to_owned(),
            },
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(ConfigError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// `line 3 of [ai]`: where byte `at` of a TOML text is, and in which table.
fn place(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'));
    match table {
        Some(t) => format!("line {line}, in {t}"),
        None => format!("line {line}"),
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

fn lang_of(key: &str, value: &str) -> Result<Lang, ConfigError> {
    Lang::parse(value).ok_or_else(|| ConfigError::Value {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: "en or es",
    })
}

impl Config {
    pub fn load(flags: &Global) -> Result<Config, ConfigError> {
        let path = env("KATALIS_CONFIG")
            .map(PathBuf::from)
            .or_else(|| project_dirs().map(|d| d.config_dir().join("config.toml")));
        let file = match &path {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let named = flags
            .db
            .clone()
            .or_else(|| env("KATALIS_DATABASE_URL"))
            .or(file.database_url);
        let database_is_default = named.is_none();
        let database_url = match named {
            Some(u) => u,
            None => default_database_url()?,
        };
        let pg = file.postgres.clone().unwrap_or_default();
        if pg.max_connections == Some(0) {
            return Err(ConfigError::Value {
                key: "postgres.max_connections".into(),
                value: "0".into(),
                expected: "a number of connections, 1 or more",
            });
        }
        let postgres = crate::store::PgSettings {
            direct_url: env("KATALIS_DATABASE_DIRECT_URL").or(file.database_direct_url.clone()),
            max_connections: pg.max_connections.unwrap_or(0),
            statement_timeout: pg.statement_timeout.map(std::time::Duration::from_secs),
            listens: false,
        };
        let lang = if let Some(l) = &flags.lang {
            lang_of("--lang", l)?
        } else if let Some(l) = env("KATALIS_LANG") {
            lang_of("KATALIS_LANG", &l)?
        } else if let Some(l) = &file.language {
            lang_of("language", l)?
        } else {
            env("LANG").and_then(|l| Lang::parse(&l)).unwrap_or_default()
        };
        let theme = flags
            .theme
            .clone()
            .or(env("KATALIS_THEME"))
            .or(file.theme)
            .unwrap_or_else(|| "dark".to_owned());
        let mut targets = Vec::new();
        for (metric, rule) in file.targets.iter().flatten() {
            let text = rule.as_str().unwrap_or_default();
            let rule = text.parse().map_err(|_| ConfigError::Value {
                key: format!("targets.{metric}"),
                value: rule.to_string(),
                expected: "a rule in quotes: \">= 12\", \"<= 45\" or \"between 0.4 0.6\"",
            })?;
            targets.push(crate::report::targets::Target {
                metric: metric.clone(),
                rule,
            });
        }
        let cash_floor = match (env("KATALIS_CASH_FLOOR"), &file.cash_floor) {
            (Some(v), _) => floor_of("KATALIS_CASH_FLOOR", &v)?,
            (None, Some(toml::Value::Integer(n))) => rust_decimal::Decimal::from(*n),
            (None, Some(toml::Value::String(v))) => floor_of("cash_floor", v)?,
            (None, Some(other)) => floor_of("cash_floor", &other.to_string())?,
            (None, None) => rust_decimal::Decimal::ZERO,
        };
        let mut warnings = Vec::new();
        let ai = ai_settings(file.ai.as_ref(), path.as_deref(), &mut warnings)?;
        let rules = match path.as_deref().and_then(Path::parent).map(|d| d.join("rules.toml")) {
            Some(r) => match std::fs::read_to_string(&r) {
                Ok(text) => Some((text, r.display().to_string())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(ConfigError::File {
                        path: r.display().to_string(),
                        message: e.to_string(),
                    });
                }
            },
            None => None,
        };
        Ok(Config {
            database_url,
            postgres,
            database_is_default,
            lang,
            theme,
            rules,
            file: path,
            keys: file.keys.clone(),
            cash_floor,
            targets,
            ai,
            warnings,
            mouse: file.mouse.unwrap_or(false),
            reporting_currency: match &file.reporting_currency {
                None => None,
                Some(c) => {
                    let up = c.trim().to_ascii_uppercase();
                    if up.len() != 3 || !up.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(ConfigError::Value {
                            key: "reporting_currency".to_owned(),
                            value: c.clone(),
                            expected: "an ISO 4217 code such as USD",
                        });
                    }
                    Some(up)
                }
            },
        })
    }
}

fn bad(key: &str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::Value {
        key: format!("ai.{key}"),
        value: value.to_owned(),
        expected,
    }
}

fn secs(value: Option<&Setting>, key: &str, default: u64) -> Result<std::time::Duration, ConfigError> {
    match value.map(Setting::text) {
        None => Ok(std::time::Duration::from_secs(default)),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_secs)
            .map_err(|_| bad(key, &v, "a whole number of seconds")),
    }
}

fn amount(value: Option<&Setting>, key: &str) -> Result<Option<rust_decimal::Decimal>, ConfigError> {
    value
        .map(Setting::text)
        .map(|v| {
            crate::finance::planning::driver_number(v.trim())
                .ok()
                .filter(|d| *d >= rust_decimal::Decimal::ZERO)
                .ok_or_else(|| bad(key, &v, "an amount ≥ 0, e.g. 0.15 or \"10\""))
        })
        .transpose()
}

/// `[ai]` of the config file and `KATALIS_AI_*` (and `OPENAI_API_KEY` for the key).
/// The endpoint is used only when a base URL is configured (or provider = "openai"):
/// a key in the environment alone never sends data anywhere.
pub fn ai_settings(
    table: Option<&AiFile>,
    file: Option<&Path>,
    warnings: &mut Vec<String>,
) -> Result<crate::ai::service::AiSettings, ConfigError> {
    use crate::ai::openai::{Endpoint, Secret};
    use crate::ai::service::{AiSettings, Provider, Structured};
    let empty = AiFile::default();
    let t = table.unwrap_or(&empty);
    let provider = env("KATALIS_AI_PROVIDER").or_else(|| t.provider.clone());
    let base_url = env("KATALIS_AI_BASE_URL").or_else(|| t.base_url.clone());
    let model = env("KATALIS_AI_MODEL")
        .or_else(|| t.model.clone())
        .unwrap_or_else(|| "gpt-4o-mini".into());
    let key_env = t.api_key_env.clone();
    let file_key = t.api_key.clone();
    let api_key = env("KATALIS_AI_API_KEY")
        .or_else(|| key_env.as_deref().and_then(env))
        .or_else(|| env("OPENAI_API_KEY"))
        .or_else(|| file_key.clone())
        .map(Secret::new);
    #[cfg(unix)]
    if file_key.is_some()
        && let Some(path) = file
        && let Ok(meta) = std::fs::metadata(path)
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            warnings.push(format!(
                "{} holds an API key and other users can read it: chmod 600 {}",
                path.display(),
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, &warnings);
    let use_endpoint = match provider.as_deref().map(str::trim) {
        None | Some("") => base_url.is_some(),
        Some("local") => false,
        Some("openai") => true,
        Some(other) => return Err(bad("provider", other, "local or openai")),
    };
    let structured = match t.structured.as_deref().map(str::trim) {
        None | Some("auto") => Structured::Auto,
        Some("json_schema") => Structured::JsonSchema,
        Some("text") => Structured::Text,
        Some(other) => return Err(bad("structured", other, "auto, json_schema or text")),
    };
    let max_attempts = match t.max_attempts.as_ref().map(Setting::text) {
        None => 3,
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=3).contains(n))
            .ok_or_else(|| bad("max_attempts", &v, "1, 2 or 3"))?,
    };
    let retry_base = match t.retry_base_ms.as_ref().map(Setting::text) {
        None => std::time::Duration::from_millis(1000),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_millis)
            .map_err(|_| bad("retry_base_ms", &v, "milliseconds"))?,
    };
    let provider = if use_endpoint {
        let base_url = base_url.unwrap_or_else(|| "https://api.openai.com/v1".into());
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(bad("base_url", &base_url, "an http:// or https:// URL"));
        }
        Provider::OpenAi(Endpoint {
            base_url,
            model,
            api_key,
            connect_timeout: secs(t.connect_timeout_secs.as_ref(), "connect_timeout_secs", 10)?,
            first_byte_timeout: secs(t.first_byte_timeout_secs.as_ref(), "first_byte_timeout_secs", 60)?,
            idle_timeout: secs(t.idle_timeout_secs.as_ref(), "idle_timeout_secs", 30)?,
            max_attempts,
            retry_base,
        })
    } else {
        Provider::Local
    };
    Ok(AiSettings {
        provider,
        structured,
        price_input_per_mtok: amount(t.price_input_per_mtok.as_ref(), "price_input_per_mtok")?,
        price_output_per_mtok: amount(t.price_output_per_mtok.as_ref(), "price_output_per_mtok")?,
        monthly_budget: amount(t.monthly_budget.as_ref(), "monthly_budget")?,
        cache_ttl: secs(t.cache_ttl_secs.as_ref(), "cache_ttl_secs", 3600)?,
        ..AiSettings::default()
    })
}

/// The folder where the last opened company of each store is remembered.
pub fn state_dir() -> Option<PathBuf> {
    let dirs = project_dirs()?;
    Some(dirs.state_dir().unwrap_or(dirs.data_dir()).to_path_buf())
}

const LAST_COMPANY_FILE: &str = "last_company.toml";

/// A store's key in that file: a hash of its URL, so no password is written down.
fn store_key(database_url: &str) -> String {
    // BLAKE3: stable across runs and platforms; the URL (and its password) is not recoverable.
    format!("store_{}", &blake3::hash(database_url.as_bytes()).to_hex()[..16])
}

/// The company last opened in the interface on this store, if remembered in `dir`.
pub fn last_company_in(dir: &Path, database_url: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(LAST_COMPANY_FILE)).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table.get(&store_key(database_url))?.as_str().map(str::to_owned)
}

/// Remembers the company opened on this store in `dir` (best effort).
pub fn remember_company_in(dir: &Path, database_url: &str, name: &str) {
    let path = dir.join(LAST_COMPANY_FILE);
    let mut table: toml::Table = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default();
    table.insert(store_key(database_url), toml::Value::String(name.to_owned()));
    if let Ok(text) = toml::to_string(&table) {
        let _ = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, text));
    }
}

pub fn last_company(database_url: &str) -> Option<String> {
    last_company_in(&state_dir()?, database_url)
}

pub fn remember_company(database_url: &str, name: &str) {
    if let Some(dir) = state_dir() {
        remember_company_in(&dir, database_url, name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_store_without_writing_the_url() {
        let dir = std::env::temp_dir().join(format!("katalis-state-{}", std::process::id()));
        let secret = "postgres://u:hunter2@h/db";
        remember_company_in(&dir, secret, "Tallo Analytics");
        remember_company_in(&dir, "sqlite:///x.db", "Sazón de Barrio");
        assert_eq!(last_company_in(&dir, secret).as_deref(), Some("Tallo Analytics"));
        assert_eq!(
            last_company_in(&dir, "sqlite:///x.db").as_deref(),
            Some("Sazón de Barrio")
        );
        assert_eq!(last_company_in(&dir, "sqlite:///other.db"), None);
        let text = std::fs::read_to_string(dir.join(LAST_COMPANY_FILE)).unwrap_or_default();
        assert!(!text.contains("hunter2"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
