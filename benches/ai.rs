//! The AI layer's figures: prompt size per agent (estimated tokens, aim under
//! 1,500), local-advisor analyses per minute, and the interface's frame time
//! while an endpoint streams 200 tokens a second into the panel (aim: no frame
//! over 16 ms).

#[path = "../tests/common/llm_server.rs"]
#[allow(dead_code)]
mod llm_server;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use katalis::ai::Agent;
use katalis::ai::context::{self, Loaded};
use katalis::ai::service::{AiSettings, Provider, Structured, Subject, analyze};
use katalis::locale::Lang;
use katalis::store::{AnyStore, Store};
use katalis::tui::app::{Action, App, Effect};
use katalis::tui::keymap::Keymap;
use katalis::tui::render::draw;
use katalis::tui::theme::{Palette, Theme};
use llm_server::{Reply, Server, delta, finish, usage};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("ai.db").display());
    let store = AnyStore::connect(&url).await.expect("store");
    katalis::demo::load(&store).await.expect("demo");

    println!("Prompt size per analysis (system + metrics, 4 characters a token; aim < 1,500)");
    println!(
        "  {:<24} {:>9} {:>9} {:>9} {:>9} {:>11}",
        "company", "advisor", "pricing", "growth", "cashflow", "collections"
    );
    let mut worst = 0;
    for c in store.companies().await.expect("companies") {
        let loaded = Loaded::load(&store, c).await.expect("load");
        let sizes: Vec<usize> = Agent::ALL
            .iter()
            .map(|a| {
                let structured = context::build(*a, Lang::En, &loaded.facts(), true).estimated_tokens();
                let text = context::build(*a, Lang::Es, &loaded.facts(), false).estimated_tokens();
                structured.max(text)
            })
            .collect();
        worst = worst.max(*sizes.iter().max().unwrap_or(&0));
        println!(
            "  {:<24} {:>9} {:>9} {:>9} {:>9} {:>11}",
            loaded.company.name, sizes[0], sizes[1], sizes[2], sizes[3], sizes[4]
        );
    }
    println!("  largest: {worst} tokens");

    // Local advisor: the rules alone, and whole analyses recorded in SQLite.
    let c = store.company("Distribuidora Río Bravo").await.expect("company");
    let loaded = Loaded::load(&store, c).await.expect("load");
    let inputs: Vec<_> = Agent::ALL
        .iter()
        .map(|a| context::build(*a, Lang::En, &loaded.facts(), false))
        .collect();
    let n = 2000;
    let t = Instant::now();
    for i in 0..n {
        std::hint::black_box(katalis::ai::local::output(&inputs[i % inputs.len()]));
    }
    let rules = n as f64 / t.elapsed().as_secs_f64() * 60.0;
    let settings = AiSettings {
        local_pace: Duration::ZERO,
        ..AiSettings::default()
    };
    let subject = Subject {
        company_id: loaded.company.id,
        company: &loaded.company.name,
        health: &loaded.snapshot.health,
    };
    let n = 300;
    let t = Instant::now();
    for i in 0..n {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        analyze(&store, &settings, &subject, &inputs[i % inputs.len()], true, &tx)
            .await
            .expect("local analysis");
    }
    let whole = n as f64 / t.elapsed().as_secs_f64() * 60.0;
    println!("\nLocal advisor (no pacing)");
    println!("  rules only:                         {rules:>10.0} analyses/minute");
    println!("  analysis recorded in SQLite:        {whole:>10.0} analyses/minute");

    // An endpoint streaming 200 tokens a second into the panel.
    let tokens = 600;
    let result = serde_json::json!({"assessment": "efficient", "recommendations": []});
    // Two tokens a piece; 10 ms pieces deliver only ~180 a second (each sleep and
    // write overruns), so pieces go every 8 ms and the rate delivered is printed.
    let script = || -> Vec<(Duration, String)> {
        (0..tokens / 2)
            .map(|i| {
                let words = if i % 6 == 5 { "cash runway.\n\n" } else { "cash flow " };
                (Duration::from_millis(8), delta(words))
            })
            .chain([
                (Duration::ZERO, delta(&format!("\n```json\n{result}\n```"))),
                (Duration::ZERO, finish()),
                (Duration::ZERO, usage(700, tokens as i64)),
            ])
            .collect()
    };
    let settings = AiSettings {
        provider: Provider::OpenAi(katalis::ai::openai::Endpoint {
            base_url: String::new(),
            model: "bench".into(),
            api_key: None,
            connect_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            max_attempts: 1,
            retry_base: Duration::from_millis(10),
        }),
        structured: Structured::Text,
        ..AiSettings::default()
    };
    let theme = Theme::load("dark", Palette::TrueColor).unwrap_or_else(|_| Theme::monochrome("dark"));
    let data = katalis::tui::data::load(&store, loaded.company.clone())
        .await
        .expect("data");
    for (w, h) in [(120u16, 40u16), (200, 50)] {
        let mut app = App::new(Lang::En, theme.clone(), Keymap::default(), None);
        app.ai = katalis::tui::ai_panel::AiPanel::new("bench".into(), false, false);
        app.update(Action::Loaded(Box::new(Ok(data.clone()))));
        app.update(Action::Key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::NONE)));
        let effects = app.update(Action::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE)));
        let Some(Effect::Analyze(req)) = effects.into_iter().find(|e| matches!(e, Effect::Analyze(_))) else {
            panic!("no analysis")
        };
        let server = Server::start(vec![Reply::Stream(script())]).await;
        let mut s = settings.clone();
        if let Provider::OpenAi(ep) = &mut s.provider {
            ep.base_url = server.url.clone();
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let store2 = AnyStore::connect(&url).await.expect("store");
        let run_id = req.run_id;
        let task = tokio::spawn(async move {
            let subject = Subject {
                company_id: req.company_id,
                company: &req.company,
                health: &req.health,
            };
            analyze(&store2, &s, &subject, &req.input, true, &tx).await
        });
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let mut frames = Vec::new();
        let t = Instant::now();
        while let Some(event) = rx.recv().await {
            let f = Instant::now();
            app.update(Action::Ai { run_id, event });
            // A key now and then, as a user reading along would press.
            if frames.len() % 10 == 5 {
                app.update(Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)));
            }
            term.draw(|fr| draw(&app, fr)).expect("draw");
            frames.push(f.elapsed());
        }
        let took = t.elapsed();
        task.await.expect("task").expect("analysis");
        frames.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "\nStreaming {tokens} tokens into the panel at {w}x{h}: {:.0} tokens/s delivered, {} frames in {:.1} s ({:.0} a second)",
            tokens as f64 / took.as_secs_f64(),
            frames.len(),
            took.as_secs_f64(),
            frames.len() as f64 / took.as_secs_f64()
        );
        println!(
            "  frame (update + draw): median {:.2} ms, p99 {:.2} ms, worst {:.2} ms (aim: none over 16 ms)",
            ms(frames[frames.len() / 2]),
            ms(frames[frames.len() * 99 / 100]),
            ms(frames[frames.len() - 1])
        );
    }
}
