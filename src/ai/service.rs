//! One analysis from end to end: the cache, the monthly budget, the provider
//! (local rules or an endpoint), text batched to the interface, the result
//! parsed and grounded, and the run recorded in `ai_analysis`.

use super::context::AgentInput;
use super::grounding::{Inputs, Unverified, unverified};
use super::openai::{self, Endpoint, Progress};
use super::result::{self, AgentResult, AnalysisField, ScoreCheck, extract_json, ground_scores};
use super::{AiError, local};
use crate::finance::Health;
use crate::store::{AnalysisRecord, AnyStore, CacheKey, RecommendationRecord, Store};
use chrono::{Datelike, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

#[derive(Debug, Clone)]
pub enum Provider {
    Local,
    OpenAi(Endpoint),
}

/// Whether to ask an endpoint for a JSON-schema answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structured {
    /// JSON schema first; plain text with a final JSON block if the endpoint refuses it.
    Auto,
    JsonSchema,
    Text,
}

#[derive(Debug, Clone)]
pub struct AiSettings {
    pub provider: Provider,
    pub structured: Structured,
    /// Prices per million tokens, in the budget's currency.
    pub price_input_per_mtok: Option<Decimal>,
    pub price_output_per_mtok: Option<Decimal>,
    pub monthly_budget: Option<Decimal>,
    pub cache_ttl: Duration,
    /// Pause between the local advisor's chunks, so its text arrives like a model's.
    pub local_pace: Duration,
    /// The shortest gap between two text updates sent on (batching for the interface).
    pub batch: Duration,
}

impl Default for AiSettings {
    fn default() -> AiSettings {
        AiSettings {
            provider: Provider::Local,
            structured: Structured::Auto,
            price_input_per_mtok: None,
            price_output_per_mtok: None,
            monthly_budget: None,
            cache_ttl: Duration::from_secs(3600),
            local_pace: Duration::from_millis(12),
            batch: Duration::from_millis(33),
        }
    }
}

impl AiSettings {
    pub fn provider_name(&self) -> &'static str {
        match self.provider {
            Provider::Local => "local",
            Provider::OpenAi(_) => "openai",
        }
    }

    pub fn model(&self) -> &str {
        match &self.provider {
            Provider::Local => local::MODEL,
            Provider::OpenAi(e) => &e.model,
        }
    }

    /// Whether requests are built for a JSON-schema answer.
    pub fn structured_first(&self) -> bool {
        matches!(self.provider, Provider::OpenAi(_)) && self.structured != Structured::Text
    }
}

/// What the interface hears while an analysis runs.
#[derive(Debug, Clone, PartialEq)]
pub enum AiEvent {
    /// More of the text to show.
    Text(String),
    Retry {
        attempt: u32,
        wait: Duration,
        why: String,
    },
    Done(Box<Finished>),
    Failed {
        error: String,
        partial: String,
    },
}

/// A finished analysis, as shown and as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub provider: String,
    pub model: String,
    /// The raw answer.
    pub output: String,
    /// The text a person reads (without the JSON).
    pub text: String,
    pub result: AgentResult,
    /// The advisor's scores as the model gave them, against the engine's (which replace them).
    pub scores: Vec<ScoreCheck>,
    pub unverified: Vec<Unverified>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Token counts estimated (4 characters a token) rather than reported.
    pub estimated: bool,
    pub cost: Option<Decimal>,
    pub latency_ms: i64,
    pub cached: bool,
    /// The model answered in text (no valid result JSON): `result` holds the
    /// local rules' recommendations, shown as theirs, beside its text.
    pub from_rules: bool,
}

/// Reads an answer: its text and structured result, or — when the model
/// answered in plain text, as many local models do — the whole text with the
/// local rules' result beside it (`true`).
fn interpret(output: &str, input: &AgentInput) -> (String, AgentResult, bool) {
    match split_answer(output).and_then(|(text, v)| Ok((text, result::parse(input.agent, &v)?))) {
        Ok((text, r)) => (text, r, false),
        Err(why) => {
            tracing::info!("the answer has no valid result JSON ({why}); shown as text with the local rules beside it");
            let (_, rules) = local::answer(input);
            (result::display_text(output).to_owned(), rules, true)
        }
    }
}

/// What grounding reads: the text and the recommendations' titles and descriptions.
fn checked_text(text: &str, result: &AgentResult) -> String {
    let mut all = text.to_owned();
    for r in result.recommendations() {
        all.push('\n');
        all.push_str(&r.title);
        all.push('\n');
        all.push_str(&r.description);
    }
    all
}

/// The raw answer split into the readable text and the result JSON.
fn split_answer(output: &str) -> Result<(String, Value), String> {
    if let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(output.trim()) {
        let text = match o.remove("analysis") {
            Some(Value::String(t)) => t,
            _ => String::new(),
        };
        return Ok((text, Value::Object(o)));
    }
    let (start, mut v) = extract_json(output).ok_or_else(|| "no JSON object found".to_owned())?;
    let text = result::display_text(output[..start].trim_end()).to_owned();
    // A structured answer wrapped in a fence: its text is in `analysis`.
    if let Some(Value::String(analysis)) = v.as_object_mut().and_then(|o| o.remove("analysis"))
        && text.trim().is_empty()
    {
        return Ok((analysis, v));
    }
    Ok((text, v))
}

fn start_of_month(now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

fn cost(s: &AiSettings, prompt: Option<i64>, completion: Option<i64>) -> Option<Decimal> {
    let (pi, po) = (s.price_input_per_mtok?, s.price_output_per_mtok?);
    let m = Decimal::from(1_000_000);
    let c = Decimal::from(prompt.unwrap_or(0)) * pi / m + Decimal::from(completion.unwrap_or(0)) * po / m;
    // Stored at the stores' scale of 4 decimals.
    Some(c.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero))
}

/// Sends text on at most every `batch`, so a fast stream costs the interface a
/// few frames a second, not one per token.
struct Batcher<'a> {
    events: &'a UnboundedSender<AiEvent>,
    pending: String,
    last: Instant,
    every: Duration,
}

impl Batcher<'_> {
    fn push(&mut self, text: &str) {
        self.pending.push_str(text);
        if self.last.elapsed() >= self.every {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.events.send(AiEvent::Text(std::mem::take(&mut self.pending)));
        }
        self.last = Instant::now();
    }
}

/// The company and its computed health, for the record and for grounding.
pub struct Subject<'a> {
    pub company_id: i64,
    /// The company's name, for the audit trail.
    pub company: &'a str,
    pub health: &'a Health,
}

/// Runs one analysis; events go to `events` as they happen, and the same
/// outcome is returned. Every finished or failed run is recorded (a cancelled
/// one is not: its task is dropped).
#[tracing::instrument(level = "debug", name = "ai", skip_all, fields(agent = input.agent.key(), provider = settings.provider_name()))]
pub async fn analyze(
    store: &AnyStore,
    settings: &AiSettings,
    subject: &Subject<'_>,
    input: &AgentInput,
    no_cache: bool,
    events: &UnboundedSender<AiEvent>,
) -> Result<Finished, AiError> {
    let model = settings.model().to_owned();
    let hash = input.hash(&model);
    let started = Instant::now();
    let now = Utc::now();
    // A TTL of zero makes every stored answer stale (not "fresh within this millisecond").
    if !no_cache && !settings.cache_ttl.is_zero() {
        let key = CacheKey {
            company_id: subject.company_id,
            agent: input.agent.key(),
            model: &model,
            input_hash: &hash,
            since: now - chrono::Duration::from_std(settings.cache_ttl).unwrap_or_default(),
        };
        if let Some(hit) = store
            .cached_analysis(&key)
            .await
            .map_err(|e| AiError::Other(e.to_string()))?
            && hit.input == input.user
            && let Ok(done) = reopen(subject, input, &hit, started)
        {
            let _ = events.send(AiEvent::Text(done.text.clone()));
            let _ = events.send(AiEvent::Done(Box::new(done.clone())));
            return Ok(done);
        }
    }
    if let (Some(budget), Provider::OpenAi(_)) = (settings.monthly_budget, &settings.provider) {
        let spent = store
            .ai_spend_since(start_of_month(now))
            .await
            .map_err(|e| AiError::Other(e.to_string()))?;
        if spent >= budget {
            let e = AiError::Budget {
                budget: budget.normalize().to_string(),
                spent: spent.normalize().to_string(),
            };
            let _ = events.send(AiEvent::Failed {
                error: e.to_string(),
                partial: String::new(),
            });
            return Err(e);
        }
    }
    let run = match &settings.provider {
        Provider::Local => run_local(settings, input, events).await,
        Provider::OpenAi(ep) => run_endpoint(settings, ep, input, events).await,
    };
    let latency_ms = started.elapsed().as_millis() as i64;
    let (output, usage, estimated) = match run {
        Ok(r) => r,
        Err(f) => {
            record_failure(store, settings, subject, input, &hash, &f.partial, latency_ms, "error").await;
            let _ = events.send(AiEvent::Failed {
                error: f.error.to_string(),
                partial: f.partial,
            });
            return Err(f.error);
        }
    };
    let (text, mut result, from_rules) = interpret(&output, input);
    let scores = ground_scores(&mut result, subject.health);
    let (prompt_tokens, completion_tokens) = usage;
    let done = Finished {
        provider: settings.provider_name().to_owned(),
        model: model.clone(),
        unverified: unverified(&checked_text(&text, &result), &Inputs::of(&input.metrics)),
        text,
        result,
        scores,
        prompt_tokens,
        completion_tokens,
        estimated,
        cost: cost(settings, prompt_tokens, completion_tokens),
        latency_ms,
        cached: false,
        from_rules,
        output,
    };
    let record = AnalysisRecord {
        agent: input.agent.key().to_owned(),
        provider: done.provider.clone(),
        model,
        input_hash: hash,
        input: input.user.clone(),
        output: done.output.clone(),
        result: serde_json::to_string(&done.result).ok(),
        prompt_tokens,
        completion_tokens,
        cost: done.cost,
        latency_ms: Some(latency_ms),
        status: "ok".into(),
        created_at: crate::store::utc_text(Utc::now()),
        recommendations: done
            .result
            .recommendations()
            .iter()
            .map(RecommendationRecord::from)
            .collect(),
    };
    match store.save_analysis(subject.company_id, &record).await {
        Err(e) => tracing::warn!("could not record the analysis: {e}"),
        Ok(_) => {
            let entry = crate::store::team::AuditEntry {
                company_id: subject.company_id,
                company: subject.company.to_owned(),
                action: "analysis".into(),
                target: format!("agent {}", input.agent.key()),
                detail: format!("{} · {}", record.provider, record.model),
            };
            if let Err(e) = store.record(&entry).await {
                tracing::warn!("could not record the analysis in the audit trail: {e}");
            }
        }
    }
    let _ = events.send(AiEvent::Done(Box::new(done.clone())));
    Ok(done)
}

/// A stored answer, shown again.
fn reopen(
    subject: &Subject<'_>,
    input: &AgentInput,
    hit: &AnalysisRecord,
    started: Instant,
) -> Result<Finished, String> {
    let (text, mut result, from_rules) = interpret(&hit.output, input);
    let scores = ground_scores(&mut result, subject.health);
    Ok(Finished {
        provider: hit.provider.clone(),
        model: hit.model.clone(),
        output: hit.output.clone(),
        unverified: unverified(&checked_text(&text, &result), &Inputs::of(&input.metrics)),
        text,
        result,
        scores,
        prompt_tokens: hit.prompt_tokens,
        completion_tokens: hit.completion_tokens,
        estimated: hit.provider == "local",
        cost: hit.cost,
        latency_ms: started.elapsed().as_millis() as i64,
        cached: true,
        from_rules,
    })
}

#[allow(clippy::too_many_arguments)]
async fn record_failure(
    store: &AnyStore,
    settings: &AiSettings,
    subject: &Subject<'_>,
    input: &AgentInput,
    hash: &str,
    output: &str,
    latency_ms: i64,
    status: &str,
) {
    let record = AnalysisRecord {
        agent: input.agent.key().to_owned(),
        provider: settings.provider_name().to_owned(),
        model: settings.model().to_owned(),
        input_hash: hash.to_owned(),
        input: input.user.clone(),
        output: output.to_owned(),
        result: None,
        prompt_tokens: None,
        completion_tokens: None,
        cost: None,
        latency_ms: Some(latency_ms),
        status: status.to_owned(),
        created_at: crate::store::utc_text(Utc::now()),
        recommendations: Vec::new(),
    };
    if let Err(e) = store.save_analysis(subject.company_id, &record).await {
        tracing::warn!("could not record the failed analysis: {e}");
    }
}

type Usage = (Option<i64>, Option<i64>);

/// The local rules, streamed in small pieces like a model's tokens.
async fn run_local(
    settings: &AiSettings,
    input: &AgentInput,
    events: &UnboundedSender<AiEvent>,
) -> Result<(String, Usage, bool), openai::Failure> {
    let (output, _) = local::output(input);
    let text = result::display_text(&output).to_owned();
    let mut batch = Batcher {
        events,
        pending: String::new(),
        last: Instant::now(),
        every: settings.batch,
    };
    let mut rest = text.as_str();
    while !rest.is_empty() {
        // About one word a piece, cut at a character boundary.
        let cut = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_whitespace())
            .map_or(rest.len(), |(i, _)| i);
        batch.push(&rest[..cut]);
        rest = &rest[cut..];
        if !settings.local_pace.is_zero() {
            tokio::time::sleep(settings.local_pace).await;
        }
    }
    batch.flush();
    let prompt = input.estimated_tokens() as i64;
    let completion = output.chars().count().div_ceil(4) as i64;
    Ok((output, (Some(prompt), Some(completion)), true))
}

/// An endpoint's answer, JSON schema first when asked, plain text as the fallback.
async fn run_endpoint(
    settings: &AiSettings,
    ep: &Endpoint,
    input: &AgentInput,
    events: &UnboundedSender<AiEvent>,
) -> Result<(String, Usage, bool), openai::Failure> {
    let http = ep.client().map_err(|error| openai::Failure {
        error,
        partial: String::new(),
    })?;
    let mut structured = input.structured;
    loop {
        let (system, rf) = if structured {
            (input.system.clone(), Some(result::response_format(input.agent)))
        } else if input.structured {
            // The endpoint refused the schema: the same brief in its text form.
            (super::context::system_prompt(input.agent, input.lang, false), None)
        } else {
            (input.system.clone(), None)
        };
        let body = openai::body(&ep.model, &system, &input.user, rf.as_ref());
        let (ptx, mut prx) = unbounded_channel();
        let call = async {
            let r = openai::complete(ep, &http, &body, &ptx).await;
            drop(ptx);
            r
        };
        let forward = async {
            let mut field = AnalysisField::default();
            let mut batch = Batcher {
                events,
                pending: String::new(),
                last: Instant::now(),
                every: settings.batch,
            };
            let mut tick = tokio::time::interval(settings.batch.max(Duration::from_millis(1)));
            loop {
                tokio::select! {
                    p = prx.recv() => match p {
                        Some(Progress::Text(t)) => {
                            let shown = if structured { field.push(&t) } else { t };
                            batch.push(&shown);
                        }
                        Some(Progress::Retry { attempt, wait, why }) => {
                            batch.flush();
                            let _ = events.send(AiEvent::Retry { attempt, wait, why });
                        }
                        None => break,
                    },
                    _ = tick.tick() => batch.flush(),
                }
            }
            batch.flush();
        };
        let (outcome, ()) = tokio::join!(call, forward);
        match outcome {
            Ok(c) => {
                let usage = c
                    .usage
                    .map_or((None, None), |u| (Some(u.prompt_tokens), Some(u.completion_tokens)));
                return Ok((c.content, usage, false));
            }
            Err(f) if structured && settings.structured == Structured::Auto && refuses_schema(&f.error) => {
                tracing::info!("the endpoint refused response_format; asking for text with a JSON block");
                structured = false;
            }
            Err(f) => return Err(f),
        }
    }
}

/// A 400/422 that names the structured-output parameters.
fn refuses_schema(e: &AiError) -> bool {
    match e {
        AiError::Http { status, message } if *status == 400 || *status == 422 => {
            let m = message.to_ascii_lowercase();
            m.contains("response_format") || m.contains("json_schema") || m.contains("schema")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_split_into_text_and_result_in_every_form() {
        let (t, v) = split_answer(r#"{"analysis":"Hi","total_score":5}"#).unwrap();
        assert_eq!((t.as_str(), v), ("Hi", serde_json::json!({"total_score": 5})));
        let (t, v) = split_answer("Text first.\n```json\n{\"a\":1}\n```").unwrap();
        assert_eq!((t.as_str(), v), ("Text first.", serde_json::json!({"a": 1})));
        let (t, v) = split_answer("```json\n{\"analysis\":\"Fenced\",\"a\":1}\n```").unwrap();
        assert_eq!((t.as_str(), v), ("Fenced", serde_json::json!({"a": 1})));
        assert!(split_answer("no json").is_err());
    }
}
