//! What Katalis has cost since it started, for the diagnostics overlay (F12):
//! frame times, each store call's latency and rows, the AI runs' latency,
//! tokens and cost. Recording is a lock and a few additions; nothing is read
//! unless the overlay is open.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// The last this many samples of each kind are kept for percentiles.
const WINDOW: usize = 512;

/// Latencies of one kind: count, total, and a window for percentiles.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub count: u64,
    pub total: Duration,
    pub last: Duration,
    pub rows: u64,
    recent: Vec<Duration>,
    next: usize,
}

impl Timings {
    fn add(&mut self, d: Duration, rows: u64) {
        self.count += 1;
        self.total += d;
        self.last = d;
        self.rows += rows;
        if self.recent.len() < WINDOW {
            self.recent.push(d);
        } else {
            self.recent[self.next] = d;
            self.next = (self.next + 1) % WINDOW;
        }
    }

    /// The `p`-th percentile (0-100) of the recent samples.
    pub fn percentile(&self, p: u32) -> Duration {
        if self.recent.is_empty() {
            return Duration::ZERO;
        }
        let mut v = self.recent.clone();
        v.sort_unstable();
        let i = ((v.len() - 1) as u64 * u64::from(p.min(100)) / 100) as usize;
        v[i]
    }
}

/// The AI runs since start.
#[derive(Debug, Clone, Default)]
pub struct AiUse {
    pub runs: Timings,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost: Decimal,
}

#[derive(Debug, Default)]
struct State {
    frames: Timings,
    store: BTreeMap<&'static str, Timings>,
    ai: AiUse,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut guard = STATE.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(State::default))
}

/// One frame drawn in `d`.
pub fn frame(d: Duration) {
    with(|s| s.frames.add(d, 0));
}

/// One store call `name` that took `d` and returned `rows` rows.
pub fn store_call(name: &'static str, d: Duration, rows: u64) {
    with(|s| s.store.entry(name).or_default().add(d, rows));
}

/// One AI run: its latency, tokens and cost.
pub fn ai_run(d: Duration, prompt_tokens: Option<i64>, completion_tokens: Option<i64>, cost: Option<Decimal>) {
    with(|s| {
        s.ai.runs.add(d, 0);
        s.ai.prompt_tokens += prompt_tokens.unwrap_or(0);
        s.ai.completion_tokens += completion_tokens.unwrap_or(0);
        s.ai.cost += cost.unwrap_or_default();
    });
}

/// A copy of everything, for drawing.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub frames: Timings,
    pub store: Vec<(&'static str, Timings)>,
    pub ai: AiUse,
    /// Resident memory of the process, when the platform says it.
    pub rss_bytes: Option<u64>,
}

pub fn snapshot() -> Snapshot {
    let (frames, store, ai) = with(|s| {
        (
            s.frames.clone(),
            s.store.iter().map(|(k, v)| (*k, v.clone())).collect(),
            s.ai.clone(),
        )
    });
    Snapshot {
        frames,
        store,
        ai,
        rss_bytes: rss_bytes(),
    }
}

/// Resident set size from /proc (Linux); `None` elsewhere.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// How many rows a store call returned, for the overlay.
pub trait Rows {
    fn rows(&self) -> u64;
}

impl<T> Rows for Vec<T> {
    fn rows(&self) -> u64 {
        self.len() as u64
    }
}

/// A count of rows handed on as they were read.
impl Rows for usize {
    fn rows(&self) -> u64 {
        *self as u64
    }
}

impl<T> Rows for (Vec<T>, usize) {
    fn rows(&self) -> u64 {
        self.0.len() as u64
    }
}

impl<T: Rows, E> Rows for Result<T, E> {
    fn rows(&self) -> u64 {
        self.as_ref().map_or(0, Rows::rows)
    }
}

macro_rules! one_row {
    ($($t:ty),*) => {
        $(impl Rows for $t {
            fn rows(&self) -> u64 {
                1
            }
        })*
    };
}

one_row!(
    (),
    i64,
    Decimal,
    Duration,
    crate::domain::Company,
    crate::finance::forecast::ForecastInput
);

impl Rows for crate::domain::StatementImported {
    fn rows(&self) -> u64 {
        self.added as u64
    }
}

impl<T> Rows for Option<T> {
    fn rows(&self) -> u64 {
        u64::from(self.is_some())
    }
}

impl Rows for crate::finance::CollectionsInput {
    fn rows(&self) -> u64 {
        self.open_at_d.len() as u64
    }
}

impl Rows for crate::finance::collections::ReceivableFlows {
    fn rows(&self) -> u64 {
        (self.issued.len() + self.collected.len()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_the_recent_window() {
        let mut t = Timings::default();
        for ms in 1..=100 {
            t.add(Duration::from_millis(ms), 2);
        }
        assert_eq!(t.count, 100);
        assert_eq!(t.rows, 200);
        assert_eq!(t.percentile(50), Duration::from_millis(50));
        assert_eq!(t.percentile(99), Duration::from_millis(99));
        assert_eq!(t.last, Duration::from_millis(100));
        for _ in 0..WINDOW {
            t.add(Duration::from_millis(7), 0);
        }
        assert_eq!(
            t.percentile(99),
            Duration::from_millis(7),
            "old samples leave the window"
        );
    }
}
