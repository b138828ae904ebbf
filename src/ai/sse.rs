//! The chat-completions stream: server-sent events (parsed by `eventsource-stream`,
//! which joins events split across network chunks and UTF-8 split across them)
//! turned into text deltas, the finish reason, the usage and `[DONE]`.

use super::AiError;
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct Usage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Text, a finish reason, usage (any may be empty: a usage-only chunk has no choices).
    Chunk {
        text: String,
        finish_reason: Option<String>,
        usage: Option<Usage>,
        /// Pieces of tool calls: the arguments arrive split across chunks.
        tool_calls: Vec<ToolDelta>,
    },
    Done,
}

#[derive(Deserialize)]
struct RawChunk {
    #[serde(default)]
    choices: Vec<RawChoice>,
    usage: Option<Usage>,
    error: Option<RawError>,
}

#[derive(Deserialize)]
struct RawChoice {
    #[serde(default)]
    delta: Option<RawDelta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawDelta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<RawToolDelta>,
}

#[derive(Deserialize)]
struct RawToolDelta {
    #[serde(default)]
    index: usize,
    id: Option<String>,
    function: Option<RawFunction>,
}

#[derive(Deserialize)]
struct RawFunction {
    name: Option<String>,
    arguments: Option<String>,
}

/// A piece of the `index`-th tool call of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDelta {
    pub index: usize,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: String,
}

#[derive(Deserialize)]
pub struct RawError {
    pub message: Option<String>,
}

/// Decodes the `data:` of one event.
pub fn decode(data: &str) -> Result<Item, AiError> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(Item::Done);
    }
    let chunk: RawChunk = serde_json::from_str(data).map_err(|e| {
        let excerpt: String = data.chars().take(80).collect();
        AiError::Malformed(format!("{e} in {excerpt:?}"))
    })?;
    if let Some(err) = chunk.error {
        return Err(AiError::Other(format!(
            "the endpoint reported an error mid-stream: {}",
            err.message.unwrap_or_default()
        )));
    }
    let mut text = String::new();
    let mut finish_reason = None;
    let mut tool_calls = Vec::new();
    for c in chunk.choices {
        if let Some(d) = c.delta {
            if let Some(t) = d.content {
                text.push_str(&t);
            }
            tool_calls.extend(d.tool_calls.into_iter().map(|t| {
                let (name, arguments) = t.function.map_or((None, None), |f| (f.name, f.arguments));
                ToolDelta {
                    index: t.index,
                    id: t.id,
                    name,
                    arguments: arguments.unwrap_or_default(),
                }
            }));
        }
        if c.finish_reason.is_some() {
            finish_reason = c.finish_reason;
        }
    }
    Ok(Item::Chunk {
        text,
        finish_reason,
        usage: chunk.usage,
        tool_calls,
    })
}

/// One event longer than this ends the stream (a real chunk is a few hundred bytes).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// A transport error, or an event past [`MAX_EVENT_BYTES`].
#[derive(Debug)]
enum Fault<E> {
    Transport(E),
    EventTooLong,
}

impl<E: std::fmt::Display> std::fmt::Display for Fault<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Transport(e) => e.fmt(f),
            Fault::EventTooLong => f.write_str("event too long"),
        }
    }
}

/// The items of a byte stream, in order; a transport error ends it with an
/// error, and so does an event over [`MAX_EVENT_BYTES`] (before it is buffered whole).
pub fn items<S, B, E>(bytes: S) -> impl Stream<Item = Result<Item, AiError>>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    // Bytes since the last blank line (an event boundary), and whether the
    // last byte other than CR was LF.
    let bounded = bytes.scan((0usize, false, false), |(run, after_lf, over), chunk| {
        if *over {
            return futures_util::future::ready(None);
        }
        let out = match chunk {
            Err(e) => Err(Fault::Transport(e)),
            Ok(b) => {
                for &byte in b.as_ref() {
                    match byte {
                        b'\r' => {}
                        b'\n' if *after_lf => *run = 0,
                        b'\n' => *after_lf = true,
                        _ => *after_lf = false,
                    }
                    if byte != b'\n' || !*after_lf {
                        *run += 1;
                    }
                }
                if *run > MAX_EVENT_BYTES {
                    *over = true;
                    Err(Fault::EventTooLong)
                } else {
                    Ok(b.as_ref().to_vec())
                }
            }
        };
        futures_util::future::ready(Some(out))
    });
    bounded.eventsource().map(|ev| match ev {
        Ok(ev) => decode(&ev.data),
        Err(eventsource_stream::EventStreamError::Transport(Fault::EventTooLong)) => {
            Err(AiError::EventTooLong(MAX_EVENT_BYTES / 1024))
        }
        Err(eventsource_stream::EventStreamError::Transport(e)) => {
            Err(AiError::Other(format!("the connection failed mid-stream: {e}")))
        }
        Err(e) => Err(AiError::Malformed(e.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(
        ": keep-alive comment\n\n",
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"Caja: 8,28 meses — ñandú 😀\"}}]}\r\n\r\n",
        "event: message\ndata: {\"choices\":[{\"delta\":{\"content\":\" fin\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":240,\"total_tokens\":1052}}\n\n",
        "data: [DONE]\n\n",
    );

    async fn collect(parts: Vec<Vec<u8>>) -> Vec<Item> {
        let stream = futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>));
        items(stream)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|r| r.expect("item"))
            .collect()
    }

    /// The same items however the bytes are cut, even inside a UTF-8 character.
    #[tokio::test]
    async fn fixture_split_at_every_byte_offset() {
        let bytes = FIXTURE.as_bytes();
        let whole = collect(vec![bytes.to_vec()]).await;
        let text: String = whole
            .iter()
            .filter_map(|i| match i {
                Item::Chunk { text, .. } => Some(text.as_str()),
                Item::Done => None,
            })
            .collect();
        assert_eq!(text, "Caja: 8,28 meses — ñandú 😀 fin");
        assert_eq!(whole.last(), Some(&Item::Done));
        assert!(
            whole
                .iter()
                .any(|i| matches!(i, Item::Chunk { usage: Some(u), .. } if u.prompt_tokens == 812))
        );
        assert!(
            whole
                .iter()
                .any(|i| matches!(i, Item::Chunk { finish_reason: Some(f), .. } if f == "stop"))
        );
        for cut in 1..bytes.len() {
            let parts = vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()];
            assert_eq!(collect(parts).await, whole, "cut at byte {cut}");
        }
        // And one byte at a time.
        assert_eq!(collect(bytes.iter().map(|b| vec![*b]).collect()).await, whole);
    }

    /// A 3 MiB event is refused once it passes the bound, not read whole.
    #[tokio::test]
    async fn an_endless_event_is_cut() {
        let mut parts = vec![b"data: {\"choices\":[{\"delta\":{\"content\":\"".to_vec()];
        parts.extend(std::iter::repeat_n(vec![b'x'; 64 * 1024], 48));
        let stream = futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>));
        let got: Vec<_> = items(stream).collect().await;
        assert!(matches!(got.as_slice(), [Err(AiError::EventTooLong(1024))]), "{got:?}");
        // Many ordinary events add up to far more than the bound, and pass.
        let event = "data: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\n\n".repeat(25_000);
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(event.into_bytes())]);
        assert_eq!(items(stream).collect::<Vec<_>>().await.len(), 25_000);
    }

    #[test]
    fn a_malformed_chunk_is_an_error_naming_it() {
        let err = decode("{\"choices\": [oops").unwrap_err();
        assert!(matches!(err, AiError::Malformed(ref m) if m.contains("oops")), "{err}");
    }
}
