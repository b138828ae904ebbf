//! `katalis ask "QUESTION"`: the advisor answers with the engine's tools; the
//! calls it made are shown (text) or listed (JSON).

use super::pick_company;
use crate::ai::Agent;
use crate::ai::ask::answer;
use crate::ai::tools::ToolContext;
use crate::cli::OutputFormat;
use crate::config::Config;
use crate::finance::planning::{Start, base_drivers};
use crate::sanitize::clean;
use crate::store::{AnyStore, Store};
use color_eyre::eyre::{Result, eyre};

pub async fn run(
    store: &AnyStore,
    cfg: &Config,
    company: Option<&str>,
    question: &str,
    agent: &str,
    format: OutputFormat,
) -> Result<()> {
    let agent = Agent::parse(agent).ok_or_else(|| {
        eyre!(
            "--agent {:?}: expected one of advisor, pricing, growth, cashflow, collections",
            clean(agent)
        )
    })?;
    if question.trim().is_empty() {
        return Err(eyre!(
            "the question is empty: katalis ask \"what if we hire 2 engineers at 6000 a month?\""
        ));
    }
    let company = pick_company(store, company).await?;
    let crate::company::Figures { books, snapshot } = crate::company::load(store, company.clone(), None).await?;
    let (ledger, m) = (books.ledger, books.as_of);
    let open = store.open_invoices(company.id, m.last_day()).await?;
    let report = crate::report::Report {
        company: &company,
        snapshot: &snapshot,
    }
    .to_json();
    let start = Start::from_ledger(&ledger, m).ok_or_else(|| eyre!("no financials for {m}"))?;
    let base = base_drivers(&ledger, m);
    let mut scenarios = Vec::new();
    for s in store.scenarios(company.id).await? {
        let r = super::scenario::resolve(store, company.id, &ledger, &s.name).await?;
        scenarios.push((r.name, r.drivers, r.start));
    }
    let cx = ToolContext {
        report: &report,
        start,
        base: &base,
        open_invoices: &open,
        scenarios: &scenarios,
    };
    let sep = crate::locale::Separators::for_locale(&company.locale);
    let a = match &cfg.ai.provider {
        crate::ai::service::Provider::Local => answer(question, &cx, cfg.lang, sep, &clean(&company.currency)),
        crate::ai::service::Provider::OpenAi(ep) => {
            super::require(store, &company, crate::store::team::Role::Analyst, "asking an advisor").await?;
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            // Earlier turns with this advisor go along: a follow-up sees them.
            let history: Vec<(String, String)> = store
                .conversations(company.id)
                .await?
                .into_iter()
                .filter(|t| t.agent == agent.key())
                .map(|t| (t.question, t.answer))
                .collect();
            match crate::ai::ask::ask_endpoint(ep, agent, question, &history, &cx, cfg.lang, &tx).await {
                Ok(a) => a,
                Err(u) => {
                    // What happened before the failure stays on screen.
                    let mut shown = calls_text(&u.tool_calls);
                    if !u.partial.is_empty() {
                        shown.push_str(&crate::sanitize::clean_text(&u.partial, true));
                        shown.push('\n');
                    }
                    super::print(&shown)?;
                    return Err(eyre!("{}", clean(&u.error)));
                }
            }
        }
    };
    // Kept in the company's conversation with the advisor (the interface shows
    // it); a login that may not write it still gets its answer.
    let turn = crate::store::conversations::StoredTurn {
        agent: agent.key().to_owned(),
        question: a.question.clone(),
        answer: a.answer.clone(),
        tool_calls: serde_json::to_string(&a.tool_calls)?,
    };
    if let Err(e) = store.save_turn(company.id, &turn).await {
        eprintln!(
            "katalis: warning: the answer was not kept in the conversation ({})",
            clean(&e.to_string())
        );
    }
    let out = match format {
        OutputFormat::Json => crate::sanitize::json_pretty(&serde_json::to_value(&a)?)? + "\n",
        OutputFormat::Text => {
            let mut s = calls_text(&a.tool_calls);
            if !s.is_empty() {
                s.push('\n');
            }
            s += &crate::sanitize::clean_text(&a.answer, true);
            s.push('\n');
            if !a.unverified.is_empty() {
                s.push_str(&format!(
                    "? {}: {}\n",
                    cfg.lang.pick(
                        "figures no tool or metric gave",
                        "cifras que ninguna herramienta ni métrica dio"
                    ),
                    a.unverified.iter().map(|u| clean(u)).collect::<Vec<_>>().join(", ")
                ));
            }
            s
        }
    };
    super::print(&out)
}

/// The tool calls, a line each: `→ what_if({…}) → min_cash 431778.51, …`.
fn calls_text(calls: &[crate::ai::tools::ToolCall]) -> String {
    calls
        .iter()
        .map(|c| {
            format!(
                "→ {}({}) → {}\n",
                clean(&c.name),
                clean(&c.arguments.to_string()),
                clean(&summary(&c.result))
            )
        })
        .collect()
}

/// A tool result in one line: its scalar values (at most eight).
fn summary(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(_, x)| !x.is_object() && !x.is_array())
            .take(8)
            .map(|(k, x)| format!("{k} {}", x.as_str().map_or_else(|| x.to_string(), str::to_owned)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
