use super::{load_snapshot, pick_company};
use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::report::{Report, to_markdown};
use crate::store::AnyStore;
use color_eyre::eyre::Result;

pub async fn run(store: &AnyStore, cfg: &Config, company: Option<&str>, args: &ReportArgs) -> Result<()> {
    let company = pick_company(store, company).await?;
    let snapshot = load_snapshot(store, &company, args.as_of.as_deref()).await?;
    let report = Report {
        company: &company,
        snapshot: &snapshot,
    };
    let out = match args.format {
        ReportFormat::Json => crate::sanitize::json_pretty(&report.to_json())? + "\n",
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Md => to_markdown(&company, &snapshot, cfg.lang),
    };
    super::print(&out)
}
