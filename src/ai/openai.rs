//! Any OpenAI-compatible `POST {base_url}/chat/completions`, streamed: OpenAI,
//! Ollama, llama.cpp, vLLM, LM Studio, OpenRouter. Timeouts for the connection,
//! the first byte and the gaps between chunks; 429 and 5xx retried with backoff
//! (at most `max_attempts`, Retry-After honoured); every other fault ends the
//! request with one line and the text received so far.

use super::AiError;
use super::sse::{self, Item, Usage};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// An API key: never printed in full, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk-…a1b2`: enough to tell keys apart.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 12 {
            return "****".into();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl Secret {
    /// `text` with every occurrence of the key replaced by its masked form: the
    /// one masking applied wherever an endpoint's text enters (error bodies,
    /// streamed answers, mid-stream errors), so the key reaches no screen, log,
    /// stored analysis or backup even when a proxy echoes it.
    ///
    /// Only a key that can be a secret ([`MIN_SECRET_CHARS`] or more) is
    /// scrubbed: local servers take any key (`x`, `ollama`, `lm-studio`), and
    /// masking every `x` of an answer would destroy it. Katalis itself never
    /// prints a key, short or long.
    pub fn scrub(&self, text: &str) -> String {
        if !self.is_secret() || !text.contains(self.0.as_str()) {
            return text.to_owned();
        }
        text.replace(self.0.as_str(), &self.masked())
    }

    /// Whether the key is long enough to be a secret worth scrubbing from text.
    pub fn is_secret(&self) -> bool {
        self.0.chars().count() >= MIN_SECRET_CHARS
    }
}

/// A key shorter than this is a placeholder a local server accepts, not a secret.
pub const MIN_SECRET_CHARS: usize = 12;

/// [`Secret::scrub`] for text arriving in pieces: a key split across two pieces
/// is still masked, because the tail that could begin a key is held back
/// until the next piece (or the end) shows what it is.
pub struct Scrubber<'a> {
    key: Option<&'a Secret>,
    pending: String,
}

impl<'a> Scrubber<'a> {
    pub fn new(key: Option<&'a Secret>) -> Scrubber<'a> {
        Scrubber {
            key: key.filter(|k| k.is_secret()),
            pending: String::new(),
        }
    }

    /// The text that is safe to pass on now.
    pub fn push(&mut self, piece: &str) -> String {
        let Some(key) = self.key else {
            return piece.to_owned();
        };
        self.pending.push_str(piece);
        let clean = key.scrub(&self.pending);
        // Hold back the longest tail that is a start of the key.
        let k = key.0.as_str();
        let hold = (1..k.len().min(clean.len() + 1))
            .rev()
            .find(|n| clean.is_char_boundary(clean.len() - n) && k.starts_with(&clean[clean.len() - n..]))
            .unwrap_or(0);
        let cut = clean.len() - hold;
        self.pending = clean[cut..].to_owned();
        clean[..cut].to_owned()
    }

    /// What was held back, at the end of the stream.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<Secret>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_attempts: u32,
    /// The first backoff; it doubles each attempt (Retry-After wins when given).
    pub retry_base: Duration,
}

/// A whole answer longer than this is cut (the text so far is kept).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Of an error body, only this much is read.
pub const MAX_ERROR_BODY_BYTES: usize = 4 * 1024;

/// The first [`MAX_ERROR_BODY_BYTES`] of an error response (the rest is never read).
async fn error_body(resp: reqwest::Response) -> String {
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk[..chunk.len().min(MAX_ERROR_BODY_BYTES - body.len())]);
        if body.len() >= MAX_ERROR_BODY_BYTES {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

impl Endpoint {
    /// [`Secret::scrub`] with this endpoint's key, if any.
    pub fn scrub(&self, text: &str) -> String {
        match &self.api_key {
            Some(k) => k.scrub(text),
            None => text.to_owned(),
        }
    }

    /// An error whose text came from the endpoint, with the key masked.
    pub fn scrub_error(&self, e: AiError) -> AiError {
        match e {
            AiError::Malformed(m) => AiError::Malformed(self.scrub(&m)),
            AiError::Other(m) => AiError::Other(self.scrub(&m)),
            e => e,
        }
    }

    pub fn url(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }

    pub fn client(&self) -> Result<reqwest::Client, AiError> {
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| AiError::Other(format!("HTTP client: {e}")))
    }
}

/// What happens while the request runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Text(String),
    Retry { attempt: u32, wait: Duration, why: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub content: String,
    pub usage: Option<Usage>,
    /// The tool calls the model asked for, assembled from their pieces: (id, name, arguments).
    pub tool_calls: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: AiError,
    pub partial: String,
}

fn fail(error: AiError, partial: &str) -> Failure {
    Failure {
        error,
        partial: partial.to_owned(),
    }
}

/// The innermost cause of a transport error ("Connection refused (os error 111)").
pub fn describe(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's own message from an error body (OpenAI, Ollama and llama.cpp shapes).
fn server_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str().map(str::to_owned))
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    let short: String = text.chars().take(200).collect();
    if short.is_empty() { "(no message)".into() } else { short }
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The request body: the brief, the metrics, streaming with usage, and the
/// JSON schema when `response_format` is given.
pub fn body(model: &str, system: &str, user: &str, response_format: Option<&Value>) -> Value {
    let mut b = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ],
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.2,
    });
    if let Some(rf) = response_format {
        b["response_format"] = rf.clone();
    }
    b
}

/// Runs one completion, sending text to `progress` as it arrives.
pub async fn complete(
    ep: &Endpoint,
    http: &reqwest::Client,
    body: &Value,
    progress: &UnboundedSender<Progress>,
) -> Result<Completion, Failure> {
    let url = ep.url();
    let secs = |d: Duration| d.as_secs().max(1);
    let mut attempt = 0;
    let resp = loop {
        attempt += 1;
        let mut req = http.post(&url).json(body);
        if let Some(k) = &ep.api_key {
            req = req.bearer_auth(k.expose());
        }
        let resp = match tokio::time::timeout(ep.first_byte_timeout, req.send()).await {
            Err(_) => return Err(fail(AiError::FirstByteTimeout(secs(ep.first_byte_timeout)), "")),
            Ok(Err(e)) if e.is_connect() || e.is_timeout() => {
                let detail = if e.is_timeout() {
                    format!("no connection within {} s", secs(ep.connect_timeout))
                } else {
                    describe(&e)
                };
                return Err(fail(AiError::Connect { url, detail }, ""));
            }
            Ok(Err(e)) => return Err(fail(AiError::Other(e.without_url().to_string()), "")),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            break resp;
        }
        let wait_hint = retry_after(&resp);
        let message = match tokio::time::timeout(ep.idle_timeout, error_body(resp)).await {
            Ok(t) => ep.scrub(&server_message(&t)),
            _ => "(no message)".into(),
        };
        let retryable = status == 429 || (500..600).contains(&status);
        if retryable && attempt < ep.max_attempts {
            let backoff = ep.retry_base * 2u32.pow(attempt - 1);
            let wait = wait_hint.unwrap_or(backoff).min(Duration::from_secs(60));
            let _ = progress.send(Progress::Retry {
                attempt,
                wait,
                why: format!("{status}: {message}"),
            });
            tokio::time::sleep(wait).await;
            continue;
        }
        let error = match status {
            401 | 403 => AiError::Unauthorized(message),
            404 => AiError::NotFound(message),
            429 => AiError::RateLimited {
                attempts: attempt,
                message,
            },
            500..=599 => AiError::Server {
                status,
                attempts: attempt,
                message,
            },
            _ => AiError::Http { status, message },
        };
        return Err(fail(error, ""));
    };

    let mut items = Box::pin(sse::items(resp.bytes_stream()));
    let mut scrubber = Scrubber::new(ep.api_key.as_ref());
    let mut content = String::new();
    let mut usage = None;
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut finished = false;
    let mut first = true;
    loop {
        let limit = if first { ep.first_byte_timeout } else { ep.idle_timeout };
        let next = match tokio::time::timeout(limit, items.next()).await {
            Err(_) if first => return Err(fail(AiError::FirstByteTimeout(secs(limit)), &content)),
            Err(_) => return Err(fail(AiError::IdleTimeout(secs(limit)), &content)),
            Ok(next) => next,
        };
        first = false;
        match next {
            None => break,
            Some(Err(e)) => {
                content.push_str(&scrubber.finish());
                return Err(fail(ep.scrub_error(e), &content));
            }
            Some(Ok(Item::Done)) => {
                finished = true;
                break;
            }
            Some(Ok(Item::Chunk {
                text,
                finish_reason,
                usage: u,
                tool_calls: pieces,
            })) => {
                for piece in pieces {
                    if calls.len() <= piece.index {
                        calls.resize(piece.index + 1, (String::new(), String::new(), String::new()));
                    }
                    let c = &mut calls[piece.index];
                    if let Some(id) = piece.id {
                        c.0 = id;
                    }
                    if let Some(name) = piece.name {
                        c.1.push_str(&name);
                    }
                    if c.2.len() + piece.arguments.len() > MAX_ANSWER_BYTES {
                        return Err(fail(AiError::TooLong(MAX_ANSWER_BYTES / 1024), &content));
                    }
                    c.2.push_str(&piece.arguments);
                }
                let text = scrubber.push(&text);
                if !text.is_empty() {
                    if content.len() + text.len() > MAX_ANSWER_BYTES {
                        return Err(fail(AiError::TooLong(MAX_ANSWER_BYTES / 1024), &content));
                    }
                    content.push_str(&text);
                    let _ = progress.send(Progress::Text(text));
                }
                if finish_reason.is_some() {
                    finished = true;
                }
                if u.is_some() {
                    usage = u;
                }
            }
        }
    }
    let tail = scrubber.finish();
    if !tail.is_empty() {
        content.push_str(&tail);
        let _ = progress.send(Progress::Text(tail));
    }
    if !finished {
        return Err(fail(AiError::Truncated, &content));
    }
    Ok(Completion {
        content,
        usage,
        tool_calls: calls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_split_across_pieces_is_masked() {
        let k = Secret::new("sk-test-abcdefghijklmnop9876");
        for cut in 1..28 {
            let text = "before sk-test-abcdefghijklmnop9876 after sk-t";
            let (a, b) = text.split_at(7 + cut);
            let mut sc = Scrubber::new(Some(&k));
            let out = sc.push(a) + &sc.push(b) + &sc.finish();
            assert_eq!(out, "before sk-…9876 after sk-t", "cut {cut}");
        }
        // Text that only looks like the start of a key is passed on in the end.
        let mut sc = Scrubber::new(Some(&k));
        assert_eq!(sc.push("ask sk-te"), "ask ");
        assert_eq!(sc.push("a time"), "sk-tea time");
        assert_eq!(
            Scrubber::new(None).push("sk-test-abcdefghijklmnop9876"),
            "sk-test-abcdefghijklmnop9876"
        );
    }

    #[test]
    fn placeholder_keys_are_never_scrubbed_from_text_and_real_ones_always() {
        let text = "raise prices 7% to break even by 2027-03; keep churn under control (x, ollama, lm-studio)";
        for placeholder in ["k", "x", "ollama", "lm-studio", "none"] {
            let k = Secret::new(placeholder);
            assert_eq!(k.scrub(text), text, "{placeholder}");
            let mut sc = Scrubber::new(Some(&k));
            let streamed = sc.push(&text[..20]) + &sc.push(&text[20..]) + &sc.finish();
            assert_eq!(streamed, text, "{placeholder}");
        }
        let real = Secret::new("sk-live-0123456789abcdef");
        let leaked = format!("{text} sk-live-0123456789abcdef");
        assert_eq!(real.scrub(&leaked), format!("{text} sk-…cdef"));
        let mut sc = Scrubber::new(Some(&real));
        let streamed = sc.push(&leaked[..leaked.len() - 10]) + &sc.push(&leaked[leaked.len() - 10..]) + &sc.finish();
        assert!(!streamed.contains("0123456789abcdef"), "{streamed}");
    }

    #[test]
    fn keys_are_masked() {
        let k = Secret::new("sk-proj-abcdefghijklmnop1234");
        assert_eq!(k.masked(), "sk-…1234");
        assert_eq!(format!("{k:?}"), "sk-…1234");
        assert_eq!(Secret::new("short").masked(), "****");
    }

    #[test]
    fn server_messages_are_read_from_the_known_shapes() {
        assert_eq!(server_message(r#"{"error":{"message":"Invalid key"}}"#), "Invalid key");
        assert_eq!(server_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(server_message("plain text"), "plain text");
        assert_eq!(server_message(""), "(no message)");
    }
}
