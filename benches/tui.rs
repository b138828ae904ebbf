//! The interface's speed: time to the first frame with data (demo store and a
//! company with 1,000,000 invoices), render time per tab at 200x50, and bytes
//! written to the terminal for a frame, a tab switch and an unchanged redraw;
//! in Planning, the time from a keystroke to the updated frame with three
//! 60-month scenarios compared.
//! (Bytes written while idle in the real binary: scripts/bench measures them in tmux.)

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use katalis::domain::NewCompany;
use katalis::import::{Kind, import_file};
use katalis::locale::Lang;
use katalis::store::{AnyStore, ImportTarget, Store};
use katalis::tui::app::{Action, App, Tab};
use katalis::tui::keymap::Keymap;
use katalis::tui::render::draw;
use katalis::tui::theme::{Palette, Theme};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn new_app() -> App {
    let theme = Theme::load("dark", Palette::TrueColor).unwrap_or_else(|_| Theme::monochrome("dark"));
    App::new(Lang::En, theme, Keymap::default(), None)
}

/// From an opened store to the first frame that shows the company's numbers.
async fn first_frame(store: &AnyStore, name: &str) -> (Duration, App) {
    let t = Instant::now();
    let mut app = new_app();
    let companies = store.companies().await.expect("companies");
    app.update(Action::Companies(Ok(companies)));
    let c = store.company(name).await.expect("company");
    let data = katalis::tui::data::load(store, c).await;
    app.update(Action::Loaded(Box::new(data)));
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    term.draw(|f| draw(&app, f)).expect("draw");
    (t.elapsed(), app)
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn per_tab(app: &mut App, label: &str) {
    println!("  render per frame at 200x50 ({label}):");
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    for (i, tab) in Tab::ALL.iter().enumerate() {
        app.update(key(char::from(b'1' + i as u8)));
        let mut worst = Duration::ZERO;
        let mut total = Duration::ZERO;
        let n = 100;
        for k in 0..n {
            // Move the selection so each frame has something to draw.
            app.update(key(if k % 2 == 0 { 'j' } else { 'k' }));
            let t = Instant::now();
            term.draw(|f| draw(app, f)).expect("draw");
            let d = t.elapsed();
            worst = worst.max(d);
            total += d;
        }
        println!(
            "    {:<16} mean {:>6.2} ms   worst {:>6.2} ms   (aim: every frame < 16 ms)",
            format!("{tab:?}"),
            total.as_secs_f64() * 1000.0 / n as f64,
            worst.as_secs_f64() * 1000.0
        );
    }
}

/// A writer that counts what the terminal backend sends.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);
impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().map_err(|_| std::io::Error::other("lock"))? += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bytes(app: &mut App) {
    let counter = Counter::default();
    let mut term = Terminal::new(CrosstermBackend::new(counter.clone())).expect("terminal");
    let _ = term.resize(ratatui::layout::Rect::new(0, 0, 120, 40));
    let take = |c: &Counter| std::mem::take(&mut *c.0.lock().unwrap_or_else(|e| e.into_inner()));
    app.update(key('1'));
    term.draw(|f| draw(app, f)).expect("draw");
    println!("  bytes: first full frame 120x40      {:>7}", take(&counter));
    term.draw(|f| draw(app, f)).expect("draw");
    println!(
        "  bytes: redraw with nothing changed   {:>7}  (and the loop draws only when state changed: idle writes nothing)",
        take(&counter)
    );
    app.update(key('2'));
    term.draw(|f| draw(app, f)).expect("draw");
    println!("  bytes: one tab switch                {:>7}", take(&counter));
    app.update(key('j'));
    term.draw(|f| draw(app, f)).expect("draw");
    println!("  bytes: one row down                  {:>7}", take(&counter));
}

fn ack(app: &mut App) {
    // The store's answer to the save a change asked for, as the runtime feeds it back.
    let (name, version) = {
        let s = app.planner.current().expect("scenario");
        (s.name.clone(), s.version)
    };
    app.update(Action::ScenarioSaved {
        name,
        result: Ok(version + 1),
    });
}

fn timed(app: &mut App, term: &mut Terminal<TestBackend>, action: Action) -> Duration {
    let t = Instant::now();
    app.update(action);
    term.draw(|f| draw(app, f)).expect("draw");
    t.elapsed()
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "    {label:<44} median {:>5.2} ms   p99 {:>5.2} ms   worst {:>5.2} ms   (aim < 5 ms)",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 99 / 100]),
        ms(samples[samples.len() - 1])
    );
}

/// Keystroke to updated frame in Planning: three 60-month scenarios compared.
fn planning(app: &mut App) {
    println!("  planning, keystroke to updated frame (update + projection + draw), 60-month horizon:");
    app.update(key('6'));
    for name in ["Lean", "Growth", "Funded"] {
        app.update(key('n'));
        for _ in 0..20 {
            app.update(Action::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
        }
        for c in name.chars() {
            app.update(key(c));
        }
        app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        ack(app);
        app.update(key('g'));
        for _ in 0..48 {
            app.update(key('+'));
            ack(app);
        }
        app.update(key(' '));
    }
    assert_eq!(app.planner.compared().len(), 3);
    assert!(
        app.planner
            .compared()
            .iter()
            .all(|i| app.planner.projection_of(*i).expect("p").months.len() == 60)
    );
    app.update(key('j')); // revenue growth
    for (w, h) in [(120u16, 40u16), (200, 50)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        // Compare view: a nudge recomputes the current scenario and redraws three lines.
        app.update(key('v'));
        let mut samples = Vec::new();
        for k in 0..400 {
            samples.push(timed(app, &mut term, key(if k % 2 == 0 { '+' } else { '-' })));
            ack(app);
        }
        report(&format!("nudge, compare view of 3 at {w}x{h}"), &mut samples);
        // Drivers view: typing into the cell re-validates and re-projects on each key.
        app.update(key('v'));
        app.update(key('v'));
        let mut samples = Vec::new();
        for _ in 0..200 {
            app.update(Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
            for c in ['1', '.', '5'] {
                samples.push(timed(app, &mut term, key(c)));
            }
            app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        }
        report(&format!("typing a driver, editor view at {w}x{h}"), &mut samples);
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    println!("Demo store (SQLite)");
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let store = AnyStore::connect(&url).await.expect("store");
    katalis::demo::load(&store).await.expect("demo");
    let mut best = Duration::MAX;
    let mut app = new_app();
    for _ in 0..5 {
        let (d, a) = first_frame(&store, "Tallo Analytics").await;
        best = best.min(d);
        app = a;
    }
    println!(
        "  first frame with data: {:.1} ms (best of 5; aim < 100 ms)",
        best.as_secs_f64() * 1000.0
    );
    per_tab(&mut app, "demo");
    bytes(&mut app);
    planning(&mut app);

    let sizes: Vec<usize> = std::env::var("KATALIS_BENCH_TUI_SIZES")
        .unwrap_or_else(|_| "1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let keep = std::env::var_os("KATALIS_BENCH_KEEP_DIR").map(std::path::PathBuf::from);
    // Frames, typing and the edit are timed at 1,000,000 (or at the only size).
    for &n in &sizes {
        big_company(dir.path(), keep.as_deref(), n, n == 1_000_000 || sizes.len() == 1).await;
    }
}

/// A company with `n` invoices over ten years and 120 months: the first
/// screen, the work after it, and (with `frames`) the frames of every tab and
/// of typing a filter.
async fn big_company(dir: &std::path::Path, keep: Option<&std::path::Path>, n: usize, frames: bool) {
    println!("\nA company with {n} invoices and 120 months (SQLite)");
    common::generate_n(dir, n).expect("generate");
    // scripts/bench gives the same invoices to hledger-ui, as an anchor.
    if let Some(keep) = keep.filter(|_| n <= 1_000_000) {
        let _ = std::fs::copy(dir.join("invoices.csv"), keep.join(format!("invoices-{n}.csv")));
    }
    let path = keep.unwrap_or(dir).join(format!("big-{n}.db"));
    let _ = std::fs::remove_file(&path);
    let big = AnyStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("store");
    let target = ImportTarget::Create(NewCompany {
        name: "Bench".into(),
        industry: String::new(),
        currency: "USD".into(),
        fiscal_year_start: 1,
        locale: "en-US".into(),
    });
    import_file(&big, &target, Kind::Financials, &dir.join("financials.csv"))
        .await
        .expect("financials");
    import_file(&big, &target, Kind::Invoices, &dir.join("invoices.csv"))
        .await
        .expect("invoices");
    let mut runs = Vec::new();
    let mut app = new_app();
    for _ in 0..3 {
        let (d, a) = first_frame(&big, "Bench").await;
        runs.push(d);
        app = a;
    }
    runs.sort();
    let (open, held) = app.data.as_ref().map_or((0, 0), |d| (d.open.total, d.open.rows.len()));
    println!(
        "  first frame with data: {:.0} ms, median of 3 ({open} open invoices, {held} of them read for the table; goal ≤ {} ms)",
        runs[1].as_secs_f64() * 1000.0,
        if n > 5_000_000 { 500 } else { 300 }
    );
    // After the first frame the interface loads the DSO trend: the month
    // flows kept by writes and the engine, for every month of the cards' history.
    if let Some(data) = app.data.as_ref() {
        let t = Instant::now();
        let series = katalis::tui::data::dso_trend(&big, data.company.id, &data.trends.months)
            .await
            .expect("dso trend");
        println!(
            "  work after the first frame, DSO trend ({} months): {:.1} ms (goal: CPU after the first screen ≤ 1 s)",
            series.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    // An edit in the interface (an open invoice marked paid): the write with
    // its summaries moved, in one transaction.
    if let Some(data) = app.data.as_ref()
        && let Some(o) = data.open.rows.first()
    {
        let mut u = o.clone();
        u.paid_amount = u.amount;
        u.paid_date = Some(data.snapshot.as_of.last_day());
        let t = Instant::now();
        big.update_invoice(data.company.id, o, &u).await.expect("edit");
        println!(
            "  an invoice edited (marked paid), summaries kept in its transaction: {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    if !frames {
        return;
    }
    per_tab(&mut app, &format!("{n} invoices"));
    // Typing a filter: every frame, and each keystroke's query for the table.
    app.update(key('7'));
    app.update(key('/'));
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (mut worst, mut slowest) = (Duration::ZERO, Duration::ZERO);
    for c in "Cliente 12".chars() {
        let t = Instant::now();
        let effects = app.update(key(c));
        term.draw(|f| draw(&app, f)).expect("draw");
        worst = worst.max(t.elapsed());
        for e in effects {
            let t = Instant::now();
            if let Some(a) = katalis::tui::execute(&big, e).await {
                slowest = slowest.max(t.elapsed());
                let t = Instant::now();
                app.update(a);
                term.draw(|f| draw(&app, f)).expect("draw");
                worst = worst.max(t.elapsed());
            }
        }
    }
    let shown = app.data.as_ref().map_or(0, |d| d.open.total);
    println!(
        "    typing a filter: worst frame {:.2} ms (goal ≤ 16 ms); slowest keystroke's query {:.0} ms, off the event loop ({shown} invoices match)",
        worst.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0
    );
}
