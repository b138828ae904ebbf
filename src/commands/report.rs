use super::pick_company;
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::report::{Report, to_markdown};
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, eyre};

pub async fn run(store: &AnyStore, cfg: &Config, company: Option<&str>, args: &ReportArgs) -> Result<()> {
    let company = pick_company(store, company).await?;
    let as_of = crate::company::parse_as_of(args.as_of.as_deref()).map_err(|e| eyre!(e))?;
    let currency = args.currency.as_deref().map(super::currency_code).transpose()?;
    let crate::company::Figures { books, snapshot } =
        crate::company::load_in(store, company, as_of, currency.as_deref()).await?;
    // Presented in another currency, the company's figures carry it.
    let company = books.company.clone();
    // A rate missing at the month end is said, never a figure left unconverted.
    if let Some(Err(e)) = &snapshot.fx {
        return Err(color_eyre::eyre::eyre!("{e}"));
    }
    let report = Report {
        company: &company,
        snapshot: &snapshot,
    };
    let out = match args.format {
        ReportFormat::Json => crate::sanitize::json_pretty(&report.to_json())? + "\n",
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Md => to_markdown(&company, &snapshot, cfg.lang),
        ReportFormat::Html => board_pack(store, cfg, &books, &snapshot, args.ai).await?,
    };
    match &args.out {
        Some(path) => {
            write_whole(path, &out)?;
            eprintln!("wrote {}", crate::sanitize::clean(&path.display().to_string()));
            Ok(())
        }
        None => super::print(&out),
    }
}

/// Writes `text` to `path` through a temporary file beside it, so a failed
/// write never leaves half a report where a whole one was.
pub(crate) fn write_whole(path: &std::path::Path, text: &str) -> Result<()> {
    let name = crate::sanitize::clean(&path.display().to_string());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.katalis-tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            eyre!("cannot write {name}: {e}")
        })
}

/// The board pack at the snapshot's month: the report, the base projection,
/// the locked budget (the first one) and the financial advisor's commentary.
pub(crate) async fn board_pack(
    store: &AnyStore,
    cfg: &Config,
    books: &crate::company::Books,
    snapshot: &crate::finance::Snapshot,
    ai: bool,
) -> Result<String> {
    use crate::ai::{Agent, context};
    use crate::finance::planning::{Start, base_drivers, project};
    let m = snapshot.as_of;
    // The books the snapshot was computed from: nothing is read twice.
    let (company, ledger, products) = (&books.company, &books.ledger, &books.products);
    let stored = store.scenarios(company.id).await?;
    let drivers = base_drivers(ledger, m);
    let projection = Start::from_ledger(ledger, m).map(|s| (s, project(s, &drivers)));
    let projection_json = projection
        .as_ref()
        .map(|(s, p)| crate::report::scenario::projection_json("base", s.month, &drivers, p));
    let budget = match stored.iter().find(|s| s.locked) {
        Some(s) => {
            let r = super::scenario::resolve(store, company.id, ledger, &s.name).await?;
            let plan = project(r.start, &r.drivers);
            Some((r.name, crate::finance::variance::budget_vs_actual(ledger, &plan)))
        }
        None => None,
    };
    let facts = context::Facts {
        company,
        ledger,
        snapshot,
        products,
        projection: projection.as_ref().map(|(_, p)| p),
    };
    let commentary = if ai {
        let input = context::build(Agent::Advisor, cfg.lang, &facts, cfg.ai.structured_first());
        super::require(store, company, crate::store::team::Role::Analyst, "asking an advisor").await?;
        let subject = crate::ai::service::Subject {
            company_id: company.id,
            company: &company.name,
            health: &snapshot.health,
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let done = crate::ai::service::analyze(store, &cfg.ai, &subject, &input, false, &tx)
            .await
            .map_err(|e| eyre!("the advisor's commentary: {}", crate::sanitize::clean(&e.to_string())))?;
        crate::report::html::Commentary {
            text: done.text.clone(),
            recommendations: done.result.recommendations().to_vec(),
            unverified: done.unverified.iter().map(|u| u.text.clone()).collect(),
            source: format!("{} · {}", done.provider, done.model),
        }
    } else {
        let input = context::build(Agent::Advisor, cfg.lang, &facts, false);
        let (text, result) = crate::ai::local::answer(&input);
        crate::report::html::Commentary {
            text,
            recommendations: result.recommendations().to_vec(),
            unverified: Vec::new(),
            source: cfg
                .lang
                .pick("the local advisor (rules)", "el asesor local (reglas)")
                .to_owned(),
        }
    };
    let report = Report { company, snapshot }.to_json();
    let pack = crate::report::html::Pack {
        report: &report,
        lang: cfg.lang,
        sep: crate::locale::Separators::for_locale(&company.locale),
        projection: projection
            .as_ref()
            .zip(projection_json.as_ref())
            .map(|((_, p), j)| (p, j)),
        budget: budget.as_ref().map(|(n, v)| (n.as_str(), v.as_slice())),
        overdrawn: (snapshot.cash_flow.cash_end <= rust_decimal::Decimal::ZERO)
            .then(|| {
                projection
                    .as_ref()
                    .map(|(s, _)| crate::finance::planning::back_above_zero(*s, &drivers))
            })
            .flatten(),
        commentary: Some(commentary),
    };
    Ok(crate::report::html::to_html(&pack))
}
