//! `katalis export VIEW`: a view's whole table, as the interface would
//! export it with `X` — the same state built the same way (the company's
//! data, the planner, the filter), then the same writer. It lives with the
//! interface because it is the interface's state, without a terminal.

use super::app::{Action, App};
use super::sheet::Table;
use crate::cli::ExportArgs;
use crate::config::Config;
use crate::export::Format;
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, eyre};

pub async fn export(store: &AnyStore, cfg: &Config, company: Option<&str>, args: &ExportArgs) -> Result<()> {
    let table = Table::parse(&args.view).ok_or_else(|| eyre!("unknown view {:?}", args.view))?;
    let format = Format::parse(&args.format).ok_or_else(|| eyre!("--format: csv or xlsx"))?;
    if format == Format::Xlsx && args.out.is_none() {
        return Err(eyre!(
            "--format xlsx needs --out FILE (a spreadsheet is not written to a terminal)"
        ));
    }
    let company = match company {
        Some(k) => store.company(k).await?,
        None => store.companies().await?.into_iter().next().ok_or_else(|| {
            eyre!("the store has no companies yet; run `katalis demo` or import a file with --create")
        })?,
    };
    let as_of = crate::company::parse_as_of(args.as_of.as_deref()).map_err(|e| eyre!(e))?;
    let data = super::data::load_as_of(store, company, as_of)
        .await
        .map_err(|e| eyre!(e))?;
    let app = state(cfg, data, table, args.scenario.as_deref(), args.filter.as_deref())?;
    let sheet = super::sheet::sheet(&app, table).ok_or_else(|| match table {
        Table::Budget => eyre!(
            "no locked budget to compare with: name one with --scenario (lock a scenario with `katalis scenario lock`)"
        ),
        Table::Compare => eyre!("no projection to compare: the company has no financials to project from"),
        _ => eyre!("{}: nothing to export", table.key()),
    })?;
    match &args.out {
        None => {
            let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
            match crate::export::csv_to(store, &sheet, stdout).await {
                Err(e) if e.contains("Broken pipe") => Ok(()),
                r => r.map(|_| ()).map_err(|e| eyre!(e)),
            }
        }
        Some(path) => {
            let n = crate::export::write(store, &sheet, format, path)
                .await
                .map_err(|e| eyre!(e))?;
            eprintln!(
                "wrote {n} rows to {}",
                crate::sanitize::clean(&path.display().to_string())
            );
            Ok(())
        }
    }
}

/// The interface's state for `table`: the company loaded, the scenario and
/// the filter chosen as a user would.
fn state(
    cfg: &Config,
    data: super::data::CompanyData,
    table: Table,
    scenario: Option<&str>,
    filter: Option<&str>,
) -> Result<App> {
    let theme = super::theme::Theme::monochrome("export");
    let mut app = App::new(cfg.lang, theme, super::keymap::Keymap::default(), None);
    app.cash_floor = cfg.cash_floor;
    app.reporting_currency = cfg.reporting_currency.clone();
    app.update(Action::Loaded(Box::new(Ok(data))));
    app.tab = super::sheet::tab_of(table);
    if let Some(name) = scenario {
        let known = || {
            app.planner
                .scenarios
                .iter()
                .map(|s| crate::sanitize::clean(&s.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let i = app
            .planner
            .scenarios
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| {
                eyre!(
                    "no scenario named {:?} (known: {})",
                    crate::sanitize::clean(name),
                    known()
                )
            })?;
        app.planner.current = i;
    } else if table == Table::Budget
        && let Some(i) = app.planner.scenarios.iter().position(|s| s.locked)
    {
        app.planner.current = i;
    }
    if table == Table::Budget && scenario.is_none() && !app.planner.scenarios.iter().any(|s| s.locked) {
        return Err(eyre!(
            "the company has no locked budget: lock a scenario first (`katalis scenario lock NAME`)"
        ));
    }
    if table == Table::Budget && app.planner.current().is_some_and(|s| !s.locked) {
        return Err(eyre!(
            "scenario {:?} is not a locked budget: lock it first (`katalis scenario lock`)",
            app.planner
                .current()
                .map(|s| crate::sanitize::clean(&s.name))
                .unwrap_or_default()
        ));
    }
    app.views.filter = filter.unwrap_or_default().to_owned();
    app.derive();
    Ok(app)
}
