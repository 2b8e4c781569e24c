//! A tiny HTTP/1.1 server on 127.0.0.1 that plays a script: each connection gets the next
//! canned reply (status, headers, body written in chunks with small pauses, or cut, or stalled).
//! Every request is recorded for assertions. One request per connection (`connection: close`),
//! so retries are separate connections, as they would be after a server error.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// How long a stalled reply waits; far longer than any test.
const FOREVER: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum Body {
    /// With `content-length`.
    Full(String),
    /// `transfer-encoding: chunked`, one chunk per part with `gap` between; with `cut`, the
    /// connection closes before the terminating chunk.
    Chunked {
        parts: Vec<String>,
        gap: Duration,
        cut: bool,
    },
    /// No length at all: the body ends when the connection closes (HTTP/1.0 style), so a cut
    /// looks like a clean end to the HTTP layer and only the parser can tell.
    UntilClose { parts: Vec<String>, gap: Duration },
    /// Headers, then nothing.
    StallAfterHeaders,
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

const GAP: Duration = Duration::from_millis(2);

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Full(body.into()),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: Body::Full(body.into()),
        }
    }

    /// A recorded SSE stream, one event per chunk.
    pub fn sse(stream: &str) -> Self {
        Self {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "text/event-stream; charset=utf-8".into(),
                ),
                ("cache-control".into(), "no-cache".into()),
            ],
            body: Body::Chunked {
                parts: split_keeping(stream, "\n\n"),
                gap: GAP,
                cut: false,
            },
        }
    }

    /// A recorded NDJSON stream, one line per chunk.
    pub fn ndjson(stream: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "application/x-ndjson".into())],
            body: Body::Chunked {
                parts: split_keeping(stream, "\n"),
                gap: GAP,
                cut: false,
            },
        }
    }

    /// Headers of a stream, then silence.
    pub fn stall(content_type: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: Body::StallAfterHeaders,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends only the first half of the stream's chunks, then closes the connection.
    pub fn cut_halfway(mut self) -> Self {
        if let Body::Chunked { parts, cut, .. } = &mut self.body {
            let half = parts.len() / 2;
            parts.truncate(half.max(1));
            *cut = true;
        }
        self
    }

    /// Like [`cut_halfway`](Self::cut_halfway) but without HTTP framing to betray the cut.
    pub fn cut_halfway_unframed(mut self) -> Self {
        if let Body::Chunked { parts, gap, .. } = self.body {
            let half = parts.len() / 2;
            self.body = Body::UntilClose {
                parts: parts.into_iter().take(half.max(1)).collect(),
                gap,
            };
        }
        self
    }
}

/// Splits after every `sep`, keeping it, so the parts concatenate to the input.
fn split_keeping(s: &str, sep: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(sep) {
        let (part, tail) = rest.split_at(i + sep.len());
        parts.push(part.to_string());
        rest = tail;
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent JSON")
    }
}

pub struct MockServer {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl MockServer {
    /// Serves `script` in order; requests beyond it get a 500 that says so.
    pub async fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let next = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let server_log = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (log, next, script) = (
                    Arc::clone(&server_log),
                    Arc::clone(&next),
                    Arc::clone(&script),
                );
                tokio::spawn(async move {
                    let mut socket = socket;
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    log.lock().unwrap().push(request);
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let reply = script.get(i).cloned().unwrap_or_else(|| {
                        Reply::json(500, r#"{"error":"the test script has no more replies"}"#)
                    });
                    write_reply(socket, reply).await;
                });
            }
        });
        Self { addr, log }
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Whatever",
    }
}

async fn write_reply(mut socket: TcpStream, reply: Reply) {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (n, v) in &reply.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("connection: close\r\n");
    match &reply.body {
        Body::Full(b) => head.push_str(&format!("content-length: {}\r\n", b.len())),
        Body::Chunked { .. } | Body::StallAfterHeaders => {
            head.push_str("transfer-encoding: chunked\r\n");
        }
        Body::UntilClose { .. } => {}
    }
    head.push_str("\r\n");
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let _ = socket.flush().await;
    match reply.body {
        Body::Full(b) => {
            let _ = socket.write_all(b.as_bytes()).await;
        }
        Body::Chunked { parts, gap, cut } => {
            for part in parts {
                let framed = format!("{:x}\r\n{part}\r\n", part.len());
                if socket.write_all(framed.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(gap).await;
            }
            if !cut {
                let _ = socket.write_all(b"0\r\n\r\n").await;
            }
        }
        Body::UntilClose { parts, gap } => {
            for part in parts {
                if socket.write_all(part.as_bytes()).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                tokio::time::sleep(gap).await;
            }
        }
        Body::StallAfterHeaders => {
            tokio::time::sleep(FOREVER).await;
        }
    }
    let _ = socket.flush().await;
    let _ = socket.shutdown().await;
}

/// An address where nothing listens: connections are refused at once.
pub async fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A listener whose accept queue is full and which never accepts: the kernel drops further
/// SYNs, so a new connection neither succeeds nor fails — the connect timeout must end it.
/// Keep the returned value alive for the test.
pub struct Blackhole {
    pub addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<TcpStream>,
}

impl Blackhole {
    /// `None` when this kernel completes connections anyway (the test then says so and skips).
    pub async fn new() -> Option<Self> {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        let listener = socket.listen(0).unwrap();
        let mut fillers = Vec::new();
        for _ in 0..16 {
            let attempt =
                tokio::time::timeout(Duration::from_millis(100), TcpStream::connect(addr)).await;
            match attempt {
                Ok(Ok(stream)) => fillers.push(stream),
                Ok(Err(_)) => return None,
                Err(_) => {
                    return Some(Self {
                        addr,
                        _listener: listener,
                        _fillers: fillers,
                    });
                }
            }
        }
        None
    }
}
