//! `katalis`: parse arguments, settle the configuration, dispatch to a command.

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use color_eyre::eyre::{Result, eyre};
use katalis::cli::{Cli, Command};
use katalis::commands;
use katalis::config::Config;
use katalis::store::{AnyStore, Store};
use std::io::IsTerminal;
use std::process::ExitCode;

/// The interface's connections at most: its pool and, when it listens for
/// others' writes, the listening one.
const INTERFACE_CONNECTIONS: u32 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2 here
    if matches!(cli.command, Some(Command::Import(_))) && cli.global.company.is_none() {
        Cli::command()
            .error(
                ErrorKind::MissingRequiredArgument,
                "import requires --company NAME (the company to import into)",
            )
            .exit();
    }
    // Completions and the manual need no configuration and no store.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "katalis", &mut out);
            return print_bytes(&out);
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
                eprintln!("katalis: cannot write the manual: {e}");
                return ExitCode::from(1);
            }
            return print_bytes(&out);
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("katalis: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        tokio::select! {
            r = run(cli) => match r {
                Ok(code) => code,
                Err(e) => {
                    // The cause chain once, whatever RUST_BACKTRACE says: these are
                    // bad input, configuration or services, not bugs (panics keep
                    // their own report).
                    let mut chain: Vec<String> = Vec::new();
                    for c in e.chain().map(|c| c.to_string()) {
                        if !chain.last().is_some_and(|prev| prev.contains(&c)) {
                            chain.push(c);
                        }
                    }
                    eprintln!("katalis: {}", chain.join(": "));
                    ExitCode::from(1)
                }
            },
            _ = tokio::signal::ctrl_c() => {
                eprintln!("katalis: interrupted");
                ExitCode::from(130)
            }
        }
    })
}

/// Writes generated text to stdout; a closed pipe (`| head`) is not an error.
fn print_bytes(out: &[u8]) -> ExitCode {
    match commands::print(&String::from_utf8_lossy(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("katalis: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    // The configuration, its `[keys]` checked by every command.
    let loaded = Config::load(&cli.global).and_then(|cfg| {
        katalis::tui::keymap::Keymap::from_config(cfg.keys.as_ref())
            .map(|keymap| (cfg, keymap))
            .map_err(katalis::config::ConfigError::Keys)
    });
    let (cfg, keymap) = match loaded {
        Ok(both) => both,
        Err(e) if matches!(cli.command, Some(Command::Doctor)) => {
            commands::doctor::config_refused(&e);
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some((text, origin)) = &cfg.rules {
        katalis::company::set_config_rules(text.clone(), origin.clone());
    }
    let explicit = cli.global.company.clone();
    if let Some(Command::Doctor) = cli.command {
        return Ok(if commands::doctor::run(&cfg).await {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !cfg.database_is_default {
        check_store_dir(&cfg.database_url)?;
    }
    if let Some(Command::Migrate) = cli.command {
        commands::team::migrate(&cfg.database_url, &cfg.postgres).await?;
        return Ok(ExitCode::SUCCESS);
    }
    // The interface keeps up to 3 connections, the listening one included;
    // a command 2, unless the configuration says otherwise.
    let mut pg = cfg.postgres.clone();
    if cli.command.is_none() {
        pg.listens = true;
        if pg.max_connections == 0 {
            pg.max_connections = INTERFACE_CONNECTIONS;
        }
    }
    let store = std::sync::Arc::new(
        AnyStore::connect_with(&cfg.database_url, &pg)
            .await
            .map_err(|e| eyre!("cannot open the store: {e}"))?,
    );
    let result = dispatch(&cli, &cfg, keymap, &store, explicit).await;
    // Every connection closed: SQLite checkpoints and removes its WAL files.
    store.close().await;
    result
}

/// A SQLite file the user named must be in a directory that exists: a typo in
/// `--db` must not make a new empty store somewhere (the default one is made).
fn check_store_dir(url: &str) -> Result<()> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    if rest.contains(":memory:") || rest.contains("mode=memory") {
        return Ok(());
    }
    let path = rest.trim_start_matches("//");
    let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(eyre!(
            "the directory {} of the store {} does not exist; create it first (mkdir -p {}) or correct --db",
            katalis::sanitize::clean(&dir.display().to_string()),
            katalis::sanitize::clean(&path.display().to_string()),
            katalis::sanitize::clean(&dir.display().to_string())
        )),
        _ => Ok(()),
    }
}

async fn dispatch(
    cli: &Cli,
    cfg: &Config,
    keymap: katalis::tui::keymap::Keymap,
    shared: &std::sync::Arc<AnyStore>,
    explicit: Option<String>,
) -> Result<ExitCode> {
    let store: &AnyStore = shared;
    // --company, else the company last opened in the interface on this store (while
    // it still exists), else the first.
    let mut remembered = None;
    if explicit.is_none()
        && let Some(name) = katalis::config::last_company(&cfg.database_url)
        && store.company(&name).await.is_ok()
    {
        remembered = Some(name);
    }
    let company = explicit.as_deref().or(remembered.as_deref());
    match &cli.command {
        None if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() => {
            katalis::tui::run(shared.clone(), cfg, keymap, company.map(str::to_owned)).await?;
        }
        None => {
            // Not a terminal (a pipe, a script): print the dashboard report instead.
            // An empty store is not filled behind the user's back.
            if store.companies().await?.is_empty() {
                eprintln!(
                    "katalis: the store is empty; load the demo companies with `katalis demo`, or import your books with `katalis import ... --create`"
                );
                return Ok(ExitCode::from(1));
            }
            let args = katalis::cli::ReportArgs {
                format: katalis::cli::ReportFormat::Md,
                as_of: None,
                out: None,
                ai: false,
                currency: None,
            };
            commands::report::run(store, cfg, company, &args).await?;
        }
        Some(Command::Demo) => commands::demo::run(store).await?,
        Some(Command::Import(args)) => commands::import::run(store, company.unwrap_or_default(), args).await?,
        Some(Command::Report(args)) => commands::report::run(store, cfg, company, args).await?,
        // The interface's tables, built as the interface builds them (no terminal).
        Some(Command::Export(args)) => katalis::tui::headless::export(store, cfg, company, args).await?,
        Some(Command::Scenario(cmd)) => commands::scenario::run(store, company, cmd).await?,
        Some(Command::Bank(cmd)) => commands::bank::run(store, company, cmd).await?,
        Some(Command::Reconcile(args)) => commands::reconcile::run(store, company, args).await?,
        Some(Command::Rules(cmd)) => commands::reconcile::rules(store, company, cmd).await?,
        Some(Command::Fx(cmd)) => commands::fx::run(store, cfg, company, cmd).await?,
        Some(Command::Group(cmd)) => commands::group::run(store, cfg, cmd).await?,
        Some(Command::Backup { file }) => commands::backup::backup(store, file).await?,
        Some(Command::Restore { file }) => commands::backup::restore(store, file).await?,
        Some(Command::Analyze { agent, no_cache }) => {
            commands::analyze::run(store, cfg, company, agent, *no_cache).await?
        }
        Some(Command::Ask {
            question,
            agent,
            format,
        }) => commands::ask::run(store, cfg, company, question, agent, *format).await?,
        Some(Command::Doctor | Command::Migrate | Command::Completions { .. } | Command::Man) => {}
        Some(Command::Members(cmd)) => commands::team::members(store, cmd).await?,
        Some(Command::Forecast(args)) => commands::routines::forecast(store, cfg, company, args).await?,
        Some(Command::Target(cmd)) => commands::routines::target(store, cfg, company, cmd).await?,
        Some(Command::Check { all, format }) => {
            if !commands::routines::check(store, cfg, company, *all, *format).await? {
                // Something misses: 3, so `katalis check || notify` works (1 stays for errors).
                return Ok(ExitCode::from(3));
            }
        }
        Some(Command::Audit { since, format }) => {
            commands::team::audit(store, explicit.as_deref(), since.as_deref(), *format).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}
