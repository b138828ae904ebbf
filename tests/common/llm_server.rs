//! A real HTTP server on 127.0.0.1 that speaks the chat-completions streaming
//! protocol from a script: each request gets the next scripted reply — a
//! server-sent-event stream written piece by piece, an error status, or
//! silence. It records what it was asked.

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub enum Reply {
    /// 200 `text/event-stream`: each piece after its pause, then the connection closes.
    Stream(Vec<(Duration, String)>),
    Status {
        code: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Reads the request and never answers.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Server {
    /// The base URL to configure: `http://127.0.0.1:PORT/v1`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    pub async fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    seen.lock().expect("lock").push(req);
                    let reply = script.lock().expect("lock").pop_front();
                    match reply {
                        Some(Reply::Stream(pieces)) => {
                            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
                            if sock.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            for (pause, piece) in pieces {
                                tokio::time::sleep(pause).await;
                                if sock.write_all(piece.as_bytes()).await.is_err() || sock.flush().await.is_err() {
                                    return;
                                }
                            }
                            let _ = sock.shutdown().await;
                        }
                        Some(Reply::Status { code, headers, body }) => {
                            let mut head = format!(
                                "HTTP/1.1 {code} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                                body.len()
                            );
                            for (k, v) in headers {
                                head.push_str(&format!("{k}: {v}\r\n"));
                            }
                            head.push_str("\r\n");
                            let _ = sock.write_all(head.as_bytes()).await;
                            let _ = sock.write_all(body.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                        Some(Reply::Hang) => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            drop(sock);
                        }
                        None => {
                            let body = r#"{"error":{"message":"no more scripted replies"}}"#;
                            let head = format!(
                                "HTTP/1.1 500 Scripted\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = sock.write_all(head.as_bytes()).await;
                        }
                    }
                });
            }
        });
        Server {
            url: format!("http://{addr}/v1"),
            requests,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let path = lines.next()?.split_whitespace().nth(1)?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
    Some(Request { path, headers, body })
}

/// One `data:` event with a content delta.
pub fn delta(text: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {"content": text}}]})
    )
}

pub fn finish() -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    )
}

/// A usage-only chunk: `choices` empty, as `stream_options.include_usage` sends it.
pub fn usage(prompt: i64, completion: i64) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}})
    )
}

pub const DONE: &str = "data: [DONE]\n\n";

/// `text` streamed in pieces of `size` characters, each after `pause`, then the
/// finish reason, the usage and `[DONE]`.
pub fn answer(text: &str, size: usize, pause: Duration) -> Vec<(Duration, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<(Duration, String)> = chars
        .chunks(size.max(1))
        .map(|c| (pause, delta(&c.iter().collect::<String>())))
        .collect();
    out.push((Duration::ZERO, finish()));
    out.push((Duration::ZERO, usage(812, 240)));
    out.push((Duration::ZERO, DONE.to_owned()));
    out
}
