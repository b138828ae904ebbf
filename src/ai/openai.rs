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

impl Endpoint {
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
        let message = match tokio::time::timeout(ep.idle_timeout, resp.text()).await {
            Ok(Ok(t)) => server_message(&t),
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
    let mut content = String::new();
    let mut usage = None;
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
            Some(Err(e)) => return Err(fail(e, &content)),
            Some(Ok(Item::Done)) => {
                finished = true;
                break;
            }
            Some(Ok(Item::Chunk {
                text,
                finish_reason,
                usage: u,
            })) => {
                if !text.is_empty() {
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
    if !finished {
        return Err(fail(AiError::Truncated, &content));
    }
    Ok(Completion { content, usage })
}

#[cfg(test)]
mod tests {
    use super::*;

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
