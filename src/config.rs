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
    pub language: Option<String>,
    pub theme: Option<String>,
    pub keys: Option<toml::Table>,
    pub ai: Option<toml::Table>,
    pub alerts: Option<toml::Table>,
    pub cash_floor: Option<String>,
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
    #[error("cannot determine the platform data directory (is HOME set?)")]
    NoHome,
}

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub lang: Lang,
    pub theme: String,
    /// The config file consulted, whether or not it exists.
    pub file: Option<PathBuf>,
    /// `[keys]` overrides of the key bindings.
    pub keys: Option<toml::Table>,
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
            message: e.message().to_owned() + &e.span().map(|s| format!(" (at byte {})", s.start)).unwrap_or_default(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(ConfigError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
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
        let database_url = match flags
            .db
            .clone()
            .or_else(|| env("KATALIS_DATABASE_URL"))
            .or(file.database_url)
        {
            Some(u) => u,
            None => default_database_url()?,
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
        Ok(Config {
            database_url,
            lang,
            theme,
            file: path,
            keys: file.keys,
        })
    }
}
