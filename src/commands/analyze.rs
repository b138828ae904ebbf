//! `katalis analyze --agent NAME [--no-cache]`: one advisor's answer streamed to
//! stdout as it arrives (markdown as plain text when stdout is not a terminal;
//! headings in bold when it is), then its recommendations, the figures that
//! could not be verified, tokens, cost and latency. The run is stored.

use super::pick_company;
use crate::ai::Agent;
use crate::ai::context::{self, Loaded};
use crate::ai::service::{self, AiEvent, Finished, Subject};
use crate::config::Config;
use crate::sanitize::{clean, clean_text};
use crate::store::AnyStore;
use color_eyre::eyre::{Result, eyre};
use std::io::{IsTerminal, Write};

fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes()).and_then(|_| o.flush());
}

/// Writes streamed text: as it comes on a pipe; line by line with bold headings on a terminal.
struct Printer {
    tty: bool,
    line: String,
}

impl Printer {
    fn push(&mut self, text: &str) {
        let text = clean_text(text, true);
        if !self.tty {
            out(&text);
            return;
        }
        self.line.push_str(&text);
        while let Some(i) = self.line.find('\n') {
            let line: String = self.line.drain(..=i).collect();
            out(&Self::styled(&line));
        }
    }

    fn styled(line: &str) -> String {
        if line.starts_with('#') {
            format!("\x1b[1m{}\x1b[0m\n", line.trim_end_matches('\n'))
        } else {
            line.to_owned()
        }
    }

    fn finish(&mut self) {
        if !self.line.is_empty() {
            let rest = std::mem::take(&mut self.line);
            out(&Self::styled(&rest));
        }
    }
}

fn footer(d: &Finished, lang: crate::locale::Lang) -> String {
    let t = |en, es| lang.pick(en, es);
    let title = if d.from_rules {
        t(
            "Recommendations (from Katalis' local rules: the model answered in text):",
            "Recomendaciones (de las reglas locales de Katalis: el modelo respondió en texto):",
        )
    } else {
        t("Recommendations:", "Recomendaciones:")
    };
    let mut s = format!("\n\n{title}\n");
    for r in d.result.recommendations() {
        s.push_str(&format!(
            "  P{} · {} {:>3} · {} — {}\n",
            r.priority,
            t("impact", "impacto"),
            r.impact_score,
            clean(&r.title),
            clean(&r.description)
        ));
    }
    for c in &d.scores {
        if c.model != c.engine {
            s.push_str(&format!(
                "{} {}: {} {}, {} {}\n",
                t("score", "puntaje"),
                c.name,
                t("the engine's", "el del motor"),
                c.engine,
                t("the model said", "el modelo dijo"),
                c.model
            ));
        }
    }
    if !d.unverified.is_empty() {
        let list: Vec<String> = d.unverified.iter().map(|u| clean(&u.text)).collect();
        s.push_str(&format!(
            "{} {}\n",
            t(
                "Unverified figures (not in the metrics given):",
                "Cifras no verificadas (no están en las métricas dadas):"
            ),
            list.join(", ")
        ));
    }
    let tokens = match (d.prompt_tokens, d.completion_tokens) {
        (Some(p), Some(c)) => format!("{p} + {c} tokens{}", if d.estimated { " (est.)" } else { "" }),
        _ => "tokens —".into(),
    };
    s.push_str(&format!(
        "{} · {} · {tokens} · {} {} · {} ms{}\n",
        d.provider,
        clean(&d.model),
        t("cost", "costo"),
        d.cost.map_or("—".into(), |c| c.normalize().to_string()),
        d.latency_ms,
        if d.cached {
            t(" · from the cache", " · desde la caché")
        } else {
            ""
        }
    ));
    s
}

pub async fn run(store: &AnyStore, cfg: &Config, company: Option<&str>, agent: &str, no_cache: bool) -> Result<()> {
    let agent = Agent::parse(agent).ok_or_else(|| {
        eyre!(
            "--agent {:?}: expected one of advisor, pricing, growth, cashflow, collections",
            clean(agent)
        )
    })?;
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    let company = pick_company(store, company).await?;
    let loaded = Loaded::load(store, company).await.map_err(|e| eyre!("{e}"))?;
    let facts = loaded.facts();
    let input = context::build(agent, cfg.lang, &facts, cfg.ai.structured_first());
    super::require(
        store,
        &loaded.company,
        crate::store::team::Role::Analyst,
        "asking an advisor",
    )
    .await?;
    let subject = Subject {
        company_id: loaded.company.id,
        company: &loaded.company.name,
        health: &loaded.snapshot.health,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut printer = Printer {
        tty: std::io::stdout().is_terminal(),
        line: String::new(),
    };
    let call = async {
        let r = service::analyze(store, &cfg.ai, &subject, &input, no_cache, &tx).await;
        drop(tx);
        r
    };
    let show = async {
        while let Some(ev) = rx.recv().await {
            match ev {
                AiEvent::Text(t) => printer.push(&t),
                AiEvent::Retry { attempt, wait, why } => eprintln!(
                    "attempt {attempt} refused ({}); retrying in {:.1} s",
                    clean(&why),
                    wait.as_secs_f64()
                ),
                AiEvent::Done(_) | AiEvent::Failed { .. } => {}
            }
        }
        printer.finish();
    };
    let (result, ()) = tokio::join!(call, show);
    match result {
        Ok(done) => {
            out(&footer(&done, cfg.lang));
            Ok(())
        }
        Err(e) => Err(eyre!("{}", clean(&e.to_string()))),
    }
}
