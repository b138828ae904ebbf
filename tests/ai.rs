//! The AI layer against a real HTTP server on 127.0.0.1 that streams scripted
//! replies and injects every fault, and against real SQLite and PostgreSQL for
//! the record, the cache and the budget.

mod common;

use common::llm_server::{Reply, Server, answer, delta, finish, usage};
use katalis::ai::Agent;
use katalis::ai::context::{self, AgentInput, Loaded};
use katalis::ai::openai::{Endpoint, Secret};
use katalis::ai::result::AgentResult;
use katalis::ai::service::{AiEvent, AiSettings, Finished, Provider, Structured, Subject, analyze};
use katalis::ai::{AiError, local};
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use rust_decimal::Decimal;
use serde_json::json;
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-abcdefghijklmnop9876";

fn endpoint(url: &str) -> AiSettings {
    AiSettings {
        provider: Provider::OpenAi(Endpoint {
            base_url: url.to_owned(),
            model: "test-model".into(),
            api_key: Some(Secret::new(KEY)),
            connect_timeout: Duration::from_secs(1),
            first_byte_timeout: Duration::from_millis(800),
            idle_timeout: Duration::from_millis(800),
            max_attempts: 3,
            retry_base: Duration::from_millis(20),
        }),
        structured: Structured::Auto,
        price_input_per_mtok: Some(Decimal::new(15, 2)),
        price_output_per_mtok: Some(Decimal::new(60, 2)),
        monthly_budget: None,
        cache_ttl: Duration::from_secs(3600),
        local_pace: Duration::ZERO,
        batch: Duration::from_millis(5),
    }
}

async fn demo_store() -> (common::TestStore, Loaded) {
    let s = common::stores().await.into_iter().next().expect("sqlite");
    katalis::demo::load(&s.store).await.expect("demo");
    let c = s.store.company("Tallo Analytics").await.expect("company");
    let loaded = Loaded::load(&s.store, c).await.expect("load");
    (s, loaded)
}

struct Run {
    result: Result<Finished, AiError>,
    text: String,
    events: Vec<AiEvent>,
}

async fn run(store: &AnyStore, settings: &AiSettings, loaded: &Loaded, input: &AgentInput, no_cache: bool) -> Run {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let subject = Subject {
        company_id: loaded.company.id,
        company: &loaded.company.name,
        health: &loaded.snapshot.health,
    };
    let result = analyze(store, settings, &subject, input, no_cache, &tx).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    let text = events
        .iter()
        .filter_map(|e| match e {
            AiEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    Run { result, text, events }
}

fn input(loaded: &Loaded, agent: Agent, structured: bool) -> AgentInput {
    context::build(agent, Lang::En, &loaded.facts(), structured)
}

/// A structured advisor answer whose figures come from the input but for one.
fn advisor_json() -> String {
    json!({
        "analysis": "# Health\n\nRunway is **8.28 months** (cash zero 2027-07); gross margin 78.92%. Churn may reach 9.9%.\n\n- Cut opex\n- Collect USD 23,386.35",
        "profitability": 40,
        "unit_economics": 80,
        "cash_flow": 79.74,
        "growth_efficiency": 100,
        "total_score": 70,
        "recommendations": [
            {"category": "cash_flow", "priority": 1, "title": "Extend runway", "description": "Cut opex 10%.", "impact_score": 90},
            {"category": "collections", "priority": 3, "title": "Collect", "description": "Call customers.", "impact_score": 40}
        ]
    })
    .to_string()
}

#[tokio::test]
async fn a_streamed_structured_answer_is_shown_grounded_and_stored() {
    let (s, loaded) = demo_store().await;
    let server = Server::start(vec![Reply::Stream(answer(
        &advisor_json(),
        7,
        Duration::from_millis(2),
    ))])
    .await;
    let settings = endpoint(&server.url);
    let input = input(&loaded, Agent::Advisor, true);
    let r = run(&s.store, &settings, &loaded, &input, false).await;
    let done = r.result.expect("answer");
    // The request: streamed, usage asked for, the schema sent, the key as a bearer token.
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.body["stream"], true);
    assert_eq!(req.body["stream_options"]["include_usage"], true);
    assert_eq!(req.body["response_format"]["type"], "json_schema");
    assert_eq!(req.body["model"], "test-model");
    assert_eq!(req.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    // The text arrived in pieces (batched), and is the analysis without the JSON around it.
    assert!(r.events.iter().filter(|e| matches!(e, AiEvent::Text(_))).count() > 1);
    assert_eq!(r.text, done.text);
    assert!(
        done.text.starts_with("# Health\n\nRunway is **8.28 months**"),
        "{}",
        done.text
    );
    // Grounding: 9.9% is in no input; the rest are.
    let flagged: Vec<&str> = done.unverified.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(flagged, vec!["9.9%"]);
    // The engine's scores replace the model's, and the difference is kept.
    let AgentResult::Advisor(a) = &done.result else {
        panic!()
    };
    let engine = loaded.snapshot.health.total_score.unwrap().round_dp(2);
    assert_eq!(a.total_score, engine);
    let total = done.scores.iter().find(|c| c.name == "total_score").unwrap();
    assert_eq!((total.model, total.engine), (Decimal::from(70), engine));
    // Usage and cost: 812 × 0.15 + 240 × 0.60 per million.
    assert_eq!((done.prompt_tokens, done.completion_tokens), (Some(812), Some(240)));
    assert_eq!(
        done.cost,
        Some(Decimal::new(2658, 7).round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero))
    );
    // Stored, with its recommendations.
    let recs = s.store.latest_recommendations(loaded.company.id, 5).await.unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].title, "Extend runway");
    let backup = s.store.backup().await.unwrap();
    let stored = &backup
        .companies
        .iter()
        .find(|c| c.profile.name == "Tallo Analytics")
        .unwrap()
        .analyses;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].input, input.user);
    assert_eq!(stored[0].output, advisor_json());
    assert!(
        !stored[0].output.contains(KEY) && !stored[0].input.contains(KEY),
        "the key is never stored"
    );
}

#[tokio::test]
async fn an_unchanged_input_reopens_the_stored_answer_and_r_asks_again() {
    for s in common::stores().await {
        katalis::demo::load(&s.store).await.unwrap();
        let c = s.store.company("Tallo Analytics").await.unwrap();
        let loaded = Loaded::load(&s.store, c).await.unwrap();
        let server = Server::start(vec![
            Reply::Stream(answer(&advisor_json(), 50, Duration::ZERO)),
            Reply::Stream(answer(&advisor_json(), 50, Duration::ZERO)),
        ])
        .await;
        let settings = endpoint(&server.url);
        let input = input(&loaded, Agent::Advisor, true);
        let first = run(&s.store, &settings, &loaded, &input, false).await.result.unwrap();
        assert!(!first.cached);
        let again = run(&s.store, &settings, &loaded, &input, false).await;
        let again_done = again.result.unwrap();
        assert!(again_done.cached, "{}", s.name);
        assert_eq!(again_done.text, first.text);
        assert_eq!(again_done.result, first.result);
        assert_eq!(server.requests().len(), 1, "{}: the cache answered", s.name);
        // Bypassing the cache asks the endpoint again.
        let fresh = run(&s.store, &settings, &loaded, &input, true).await.result.unwrap();
        assert!(!fresh.cached);
        assert_eq!(server.requests().len(), 2);
        // A TTL of zero makes every stored answer stale.
        let mut short = settings.clone();
        short.cache_ttl = Duration::ZERO;
        let r = run(&s.store, &short, &loaded, &input, false).await;
        assert!(r.result.is_err(), "{}: no third scripted reply, so it did ask", s.name);
        // The monthly budget: what was spent this month is counted across runs.
        let spent = s
            .store
            .ai_spend_since(chrono::Utc::now() - chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(
            spent,
            Decimal::new(2658, 7).round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero)
                * Decimal::TWO,
            "{}",
            s.name
        );
        let mut capped = settings.clone();
        capped.monthly_budget = Some(Decimal::new(1, 4));
        let before = server.requests().len();
        let r = run(&s.store, &capped, &loaded, &input, true).await;
        assert!(
            matches!(r.result, Err(AiError::Budget { .. })),
            "{}: {:?}",
            s.name,
            r.result
        );
        assert_eq!(server.requests().len(), before, "no call beyond the budget");
    }
}

#[tokio::test]
async fn an_endpoint_without_json_schema_gets_the_text_form() {
    let (s, loaded) = demo_store().await;
    let text_answer = format!(
        "# Cash\n\nRunway 8.28 months.\n\n```json\n{}\n```\n",
        json!({"runway_actions": [{"action": "cut opex 10%", "monthly_effect": 27540.73}],
               "recommendations": [{"category": "cash", "priority": 2, "title": "Cut", "description": "Cut opex.", "impact_score": 70}]})
    );
    let server = Server::start(vec![
        Reply::Status {
            code: 400,
            headers: vec![],
            body: r#"{"error":{"message":"response_format json_schema is not supported by this model"}}"#.into(),
        },
        Reply::Stream(answer(&text_answer, 5, Duration::ZERO)),
    ])
    .await;
    let input = input(&loaded, Agent::CashFlow, true);
    let done = run(&s.store, &endpoint(&server.url), &loaded, &input, false)
        .await
        .result
        .expect("answer");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].body.get("response_format").is_some());
    assert!(
        reqs[1].body.get("response_format").is_none(),
        "the fallback asks for text"
    );
    assert!(
        reqs[1].body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("```json")
    );
    assert_eq!(done.text, "# Cash\n\nRunway 8.28 months.");
    assert!(matches!(done.result, AgentResult::CashFlow(ref c) if c.runway_actions.len() == 1));
}

/// Runs `replies` and returns the error line and the partial text kept.
async fn fault(replies: Vec<Reply>, tune: impl FnOnce(&mut AiSettings)) -> (AiError, String, Vec<AiEvent>, Duration) {
    let (s, loaded) = demo_store().await;
    let server = Server::start(replies).await;
    let mut settings = endpoint(&server.url);
    tune(&mut settings);
    let input = input(&loaded, Agent::Collections, false);
    let t = Instant::now();
    let r = run(&s.store, &settings, &loaded, &input, true).await;
    let elapsed = t.elapsed();
    let err = r.result.expect_err("a fault");
    let Some(AiEvent::Failed { error, partial }) = r.events.last().cloned() else {
        panic!("no failure event: {:?}", r.events)
    };
    assert_eq!(error, err.to_string(), "one line, the same everywhere");
    assert!(!error.contains('\n'));
    assert_eq!(partial, r.text, "the partial text is what was shown");
    // Failed runs are recorded too (status error), never as recommendations.
    let b = s.store.backup().await.unwrap();
    let runs: Vec<_> = b.companies.iter().flat_map(|c| c.analyses.iter()).collect();
    assert!(runs.iter().all(|a| a.status != "ok"));
    (err, partial, r.events, elapsed)
}

fn status(code: u16, body: &str) -> Reply {
    Reply::Status {
        code,
        headers: vec![],
        body: body.into(),
    }
}

#[tokio::test]
async fn http_errors_end_in_one_clear_line() {
    let (e, ..) = fault(
        vec![status(401, r#"{"error":{"message":"Incorrect API key provided"}}"#)],
        |_| {},
    )
    .await;
    assert!(
        matches!(e, AiError::Unauthorized(ref m) if m == "Incorrect API key provided"),
        "{e}"
    );
    let (e, ..) = fault(vec![status(404, r#"{"error":"model 'nope' not found"}"#)], |_| {}).await;
    assert!(
        e.to_string().contains("model 'nope' not found") && e.to_string().contains("base_url"),
        "{e}"
    );
    // 429 three times: bounded retries, then the server's message.
    let (e, _, events, _) = fault(
        (0..3)
            .map(|_| status(429, r#"{"error":{"message":"slow down"}}"#))
            .collect(),
        |_| {},
    )
    .await;
    assert!(matches!(e, AiError::RateLimited { attempts: 3, .. }), "{e}");
    assert_eq!(events.iter().filter(|e| matches!(e, AiEvent::Retry { .. })).count(), 2);
    let (e, ..) = fault((0..3).map(|_| status(503, "upstream overloaded")).collect(), |_| {}).await;
    assert!(
        matches!(e, AiError::Server { status: 503, attempts: 3, ref message } if message == "upstream overloaded"),
        "{e}"
    );
}

#[tokio::test]
async fn retries_honour_retry_after_then_succeed() {
    let (s, loaded) = demo_store().await;
    let text = format!(
        "Call Constructora Sierra Madre.\n```json\n{}\n```",
        json!({"calls": [{"customer": "Constructora Sierra Madre", "amount": "6517.28", "reason": "61 days"}], "recommendations": []})
    );
    let server = Server::start(vec![
        Reply::Status {
            code: 429,
            headers: vec![("Retry-After", "1".into())],
            body: "{}".into(),
        },
        status(502, "bad gateway"),
        Reply::Stream(answer(&text, 9, Duration::ZERO)),
    ])
    .await;
    let input = input(&loaded, Agent::Collections, false);
    let t = Instant::now();
    let r = run(&s.store, &endpoint(&server.url), &loaded, &input, false).await;
    let done = r.result.expect("third attempt answers");
    assert!(t.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    let waits: Vec<Duration> = r
        .events
        .iter()
        .filter_map(|e| match e {
            AiEvent::Retry { wait, .. } => Some(*wait),
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![Duration::from_secs(1), Duration::from_millis(40)]);
    assert!(matches!(done.result, AgentResult::Collections(ref c) if c.calls[0].amount == Decimal::new(651728, 2)));
}

#[tokio::test]
async fn broken_streams_keep_what_arrived() {
    // Ends without [DONE] or a finish reason.
    let (e, partial, ..) = fault(
        vec![Reply::Stream(vec![
            (Duration::ZERO, delta("Call Hoteles ")),
            (Duration::ZERO, delta("Brisa")),
        ])],
        |_| {},
    )
    .await;
    assert!(matches!(e, AiError::Truncated), "{e}");
    assert_eq!(partial, "Call Hoteles Brisa");
    // A malformed chunk.
    let (e, partial, ..) = fault(
        vec![Reply::Stream(vec![
            (Duration::ZERO, delta("Before ")),
            (Duration::ZERO, "data: {\"choices\": [nonsense\n\n".into()),
        ])],
        |_| {},
    )
    .await;
    assert!(matches!(e, AiError::Malformed(_)), "{e}");
    assert_eq!(partial, "Before ");
    // A stream that stalls after some text: the idle timeout.
    let (e, partial, _, took) = fault(
        vec![Reply::Stream(vec![
            (Duration::ZERO, delta("Half an")),
            (Duration::from_secs(30), delta(" answer")),
        ])],
        |_| {},
    )
    .await;
    assert!(matches!(e, AiError::IdleTimeout(_)), "{e}");
    assert_eq!(partial, "Half an");
    assert!(took < Duration::from_secs(5));
    // A server that accepts and never answers: the first-byte timeout.
    let (e, partial, _, took) = fault(vec![Reply::Hang], |_| {}).await;
    assert!(matches!(e, AiError::FirstByteTimeout(_)), "{e}");
    assert!(partial.is_empty());
    assert!(took < Duration::from_secs(5));
    // Nothing listening.
    let (e, ..) = fault(vec![], |s| {
        if let Provider::OpenAi(ep) = &mut s.provider {
            ep.base_url = "http://127.0.0.1:9/v1".into();
        }
    })
    .await;
    assert!(matches!(e, AiError::Connect { .. }), "{e}");
}

/// Many local models ignore JSON schemas and answer in prose: that is an
/// answer, shown and stored, its figures grounded, with the engine's scores and
/// the local rules' recommendations beside it (marked as theirs).
#[tokio::test]
async fn a_plain_text_answer_is_an_answer() {
    let (s, loaded) = demo_store().await;
    let prose = "Your runway looks short: about 99.9 months of burn left, and gross margin is 12.34%. Cut costs.";
    let server = Server::start(vec![Reply::Stream(answer(prose, 5, Duration::ZERO))]).await;
    let settings = endpoint(&server.url);
    let input = input(&loaded, Agent::Advisor, true);
    let r = run(&s.store, &settings, &loaded, &input, false).await;
    let done = r.result.expect("a text answer is an answer");
    assert!(done.from_rules);
    assert_eq!(done.text, prose);
    let flagged: Vec<&str> = done.unverified.iter().map(|u| u.text.as_str()).collect();
    assert!(flagged.contains(&"99.9") && flagged.contains(&"12.34%"), "{flagged:?}");
    // The recommendations are the local rules' for the same input; the scores the engine's.
    let (_, rules) = katalis::ai::local::answer(&input);
    assert_eq!(done.result.recommendations(), rules.recommendations());
    let AgentResult::Advisor(a) = &done.result else {
        panic!()
    };
    assert_eq!(a.total_score, loaded.snapshot.health.total_score.unwrap().round_dp(2));
    // Stored as an answer, and reopened from the cache the same way.
    let backup = s.store.backup().await.unwrap();
    let stored = &backup
        .companies
        .iter()
        .find(|c| c.profile.name == "Tallo Analytics")
        .unwrap()
        .analyses;
    assert_eq!((stored[0].status.as_str(), stored[0].output.as_str()), ("ok", prose));
    let again = run(&s.store, &settings, &loaded, &input, false).await.result.unwrap();
    assert!(again.cached && again.from_rules);
    assert_eq!(again.text, prose);
}

/// A local server's placeholder key (`k`, `x`, `ollama`, `lm-studio`) is sent
/// as given and never scrubbed from the answer; a real-looking key echoed by
/// the server is.
#[tokio::test]
async fn a_short_api_key_leaves_the_answer_whole() {
    let (s, loaded) = demo_store().await;
    let prose = "Raise prices 7% to break even; keep churn under control with x-sell and lm-studio ollama notes.";
    for key in ["k", "x", "ollama", "lm-studio"] {
        let server = Server::start(vec![Reply::Stream(answer(prose, 4, Duration::ZERO))]).await;
        let mut settings = endpoint(&server.url);
        if let Provider::OpenAi(ep) = &mut settings.provider {
            ep.api_key = Some(Secret::new(key));
        }
        let input = input(&loaded, Agent::Advisor, true);
        let done = run(&s.store, &settings, &loaded, &input, true)
            .await
            .result
            .expect("an answer");
        assert_eq!(done.text, prose, "key {key:?}");
        let sent = server.requests();
        assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {key}").as_str()));
    }
    let echoed = format!("{prose} {KEY}");
    let server = Server::start(vec![Reply::Stream(answer(&echoed, 4, Duration::ZERO))]).await;
    let settings = endpoint(&server.url);
    let input = input(&loaded, Agent::Advisor, true);
    let done = run(&s.store, &settings, &loaded, &input, true)
        .await
        .result
        .expect("an answer");
    assert!(
        !done.text.contains(KEY) && done.text.starts_with(prose),
        "{}",
        done.text
    );
}

#[tokio::test]
async fn usage_only_chunks_and_a_finish_reason_without_done_are_fine() {
    let (s, loaded) = demo_store().await;
    let body = format!(
        "Fine.\n```json\n{}\n```",
        json!({"assessment": "efficient", "recommendations": []})
    );
    let server = Server::start(vec![Reply::Stream(vec![
        (Duration::ZERO, usage(10, 0)),
        (Duration::ZERO, delta(&body)),
        (Duration::ZERO, finish()),
        (Duration::ZERO, usage(300, 20)),
    ])])
    .await;
    let input = input(&loaded, Agent::Growth, false);
    let done = run(&s.store, &endpoint(&server.url), &loaded, &input, false)
        .await
        .result
        .expect("answer");
    assert_eq!((done.prompt_tokens, done.completion_tokens), (Some(300), Some(20)));
    assert_eq!(done.text, "Fine.");
}

/// With no configuration every agent answers offline, with specific figures that
/// all come from its input, in English and in Spanish.
#[tokio::test]
async fn the_local_advisor_answers_every_agent_in_both_languages() {
    let (s, loaded) = demo_store().await;
    let settings = AiSettings::default();
    for lang in [Lang::En, Lang::Es] {
        for agent in Agent::ALL {
            let input = context::build(agent, lang, &loaded.facts(), false);
            assert!(
                input.estimated_tokens() < 1500,
                "{agent:?}: {} tokens",
                input.estimated_tokens()
            );
            let mut fast = settings.clone();
            fast.local_pace = Duration::ZERO;
            let r = run(&s.store, &fast, &loaded, &input, true).await;
            let done = r.result.expect("local answer");
            assert_eq!(r.text, done.text);
            assert!(!done.result.recommendations().is_empty(), "{agent:?} {lang:?}");
            assert!(done.unverified.is_empty(), "{agent:?} {lang:?}: {:?}", done.unverified);
            assert_eq!(done.model, local::MODEL);
            let spanish = [
                "Salud financiera",
                "# Precios",
                "# Crecimiento",
                "# Caja para",
                "# Cobranza",
            ]
            .iter()
            .any(|w| done.text.contains(w));
            assert_eq!(spanish, lang == Lang::Es, "{agent:?}: {}", done.text);
        }
    }
    // Specific: the collections advisor names whom to call and how much.
    let input = context::build(Agent::Collections, Lang::En, &loaded.facts(), false);
    let (_, result) = local::answer(&input);
    let first = &result.recommendations()[0];
    assert_eq!(first.title, "Call Constructora Sierra Madre");
    assert!(
        first.description.contains("6,517.28") && first.description.contains("61 days"),
        "{first:?}"
    );
    // The cash-flow advisor says how many months a cut buys.
    let input = context::build(Agent::CashFlow, Lang::En, &loaded.facts(), false);
    let (_, result) = local::answer(&input);
    let d = &result.recommendations()[0].description;
    assert!(
        d.contains("Cutting opex 10% saves USD 27,540.73") && d.contains("(+3.52 months)"),
        "{d}"
    );
}

/// An endpoint (or a proxy before it) that echoes the key in its error body, its
/// headers and the streamed answer: the key is masked everywhere it could reach
/// a person or a file — the error line, the streamed events, the stored rows.
#[tokio::test]
async fn an_endpoint_echoing_the_key_never_gets_it_shown_or_stored() {
    let masked = "sk-…9876";
    // In an error body and its headers.
    let (e, _, events, _) = fault(
        vec![Reply::Status {
            code: 401,
            headers: vec![
                ("x-echo-key", KEY.to_owned()),
                ("www-authenticate", format!("Bearer {KEY}")),
            ],
            body: format!(r#"{{"error":{{"message":"Invalid key {KEY} for this proxy"}}}}"#),
        }],
        |_| {},
    )
    .await;
    assert!(!e.to_string().contains(KEY), "{e}");
    assert!(e.to_string().contains(masked), "{e}");
    assert!(!format!("{events:?}").contains(KEY));
    // In the stream, split across two pieces and inside a mid-stream error.
    let (half1, half2) = KEY.split_at(10);
    let (s, loaded) = demo_store().await;
    let server = Server::start(vec![Reply::Stream(vec![
        (Duration::ZERO, delta(&format!("Your key is {half1}"))),
        (Duration::ZERO, delta(&format!("{half2}, and again {KEY}."))),
        (
            Duration::ZERO,
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".to_owned(),
        ),
        (Duration::ZERO, "data: [DONE]\n\n".to_owned()),
    ])])
    .await;
    let settings = endpoint(&server.url);
    let input = input(&loaded, Agent::Advisor, false);
    let r = run(&s.store, &settings, &loaded, &input, true).await;
    let done = r.result.expect("a text answer");
    assert_eq!(done.text, format!("Your key is {masked}, and again {masked}."));
    assert!(
        !format!("{:?}", r.events).contains(half2),
        "no piece of the key was shown"
    );
    let backup = serde_json::to_string(&s.store.backup().await.unwrap()).unwrap();
    assert!(
        !backup.contains(KEY) && !backup.contains(half2),
        "stored rows and backups hold no key"
    );
    let server = Server::start(vec![Reply::Stream(vec![(
        Duration::ZERO,
        format!("data: {{\"error\":{{\"message\":\"quota for {KEY} exceeded\"}}}}\n\n"),
    )])])
    .await;
    let r = run(&s.store, &endpoint(&server.url), &loaded, &input, true).await;
    let e = r.result.expect_err("a mid-stream error");
    assert!(!e.to_string().contains(KEY) && e.to_string().contains(masked), "{e}");
}

/// An answer that never ends is cut at the bound, with what arrived kept.
#[tokio::test]
async fn an_endless_answer_is_cut_with_the_text_kept() {
    let piece = "word ".repeat(2000); // 10 KB a chunk
    let mut stream: Vec<(Duration, String)> = (0..40).map(|_| (Duration::ZERO, delta(&piece))).collect();
    stream.push((Duration::ZERO, "data: [DONE]\n\n".to_owned()));
    let (e, partial, ..) = fault(vec![Reply::Stream(stream)], |_| {}).await;
    assert!(matches!(e, AiError::TooLong(256)), "{e}");
    assert!(e.to_string().contains("answer too long"), "{e}");
    assert!(
        partial.len() <= 256 * 1024 && partial.len() > 240 * 1024,
        "{}",
        partial.len()
    );
}

/// A company in overdraft: the local advisors say so and what it takes to be
/// back above zero (the engine's goal seek), not "covers 0.00 months", in both
/// languages; the figures they state are grounded.
#[tokio::test]
async fn advice_for_a_company_in_overdraft_says_what_it_takes() {
    use katalis::domain::NewCompany;
    use katalis::import::{Kind, import_file};
    use katalis::store::ImportTarget;
    for s in common::stores().await {
        let csv = tempfile::NamedTempFile::with_suffix(".csv").unwrap();
        std::fs::write(
            csv.path(),
            "month,revenue,cogs,opex,cash_end\n2025-01,10000,4000,9000,-20000\n2025-02,10000,4000,9000,-23000\n2025-03,10000,4000,9000,-26000\n",
        )
        .unwrap();
        let target = ImportTarget::Create(NewCompany {
            name: "Sobregiro".into(),
            industry: String::new(),
            currency: "COP".into(),
            fiscal_year_start: 1,
            locale: "es-CO".into(),
        });
        import_file(&s.store, &target, Kind::Financials, csv.path())
            .await
            .unwrap();
        let c = s.store.company("Sobregiro").await.unwrap();
        let loaded = Loaded::load(&s.store, c).await.unwrap();
        for (lang, says, not) in [
            (Lang::En, "the company is overdrawn", "covers"),
            (Lang::Es, "la empresa está en sobregiro", "cubre"),
        ] {
            for agent in [Agent::Advisor, Agent::CashFlow] {
                let input = context::build(agent, lang, &loaded.facts(), true);
                let funding = input.metrics["overdrawn"]["funding_needed"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let (text, result) = katalis::ai::local::answer(&input);
                let recs = result.recommendations();
                let first = &recs[0];
                assert!(
                    first.description.contains(says),
                    "{}: {agent:?} {lang:?}: {}",
                    s.name,
                    first.description
                );
                assert!(!first.description.contains(not), "{}", first.description);
                let grouped: Decimal = funding.parse().unwrap();
                assert!(grouped > Decimal::ZERO, "{funding}");
                // The figures stated are the engine's.
                let inputs = katalis::ai::grounding::Inputs::of(&input.metrics);
                let unverified = katalis::ai::grounding::unverified(&first.description, &inputs);
                assert!(unverified.is_empty(), "{unverified:?} in {}", first.description);
                assert!(!text.is_empty());
            }
        }
        // The board pack says the same, with the engine's figure in the company's separators (es-CO).
        let html = common::stdout_ok(&common::katalis(
            &s.url,
            &["--company", "Sobregiro", "report", "--format", "html"],
        ));
        assert!(
            html.contains("the company is overdrawn") && html.contains("98.000 of funding now"),
            "{}: {}",
            s.name,
            &html[html.find("Cash and runway").unwrap_or(0)..][..600.min(html.len())]
        );
        assert!(html.contains("no opex cut alone does it"));
        // And `ask`: no runway counted in months, and the funding that keeps cash at zero or above.
        let said = common::stdout_ok(&common::katalis(
            &s.url,
            &["--company", "Sobregiro", "ask", "what if we cut opex 10%?"],
        ));
        assert!(said.contains("none (cash at or below zero)"), "{said}");
        assert!(
            said.contains("takes COP 76.400 of funding in the first month"),
            "{said}"
        );
        assert!(!said.contains("0.0 months"), "{said}");
    }
}
