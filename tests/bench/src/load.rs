//! A small HTTP/1.1 load generator: keep-alive connections on loopback, each sending a request and
//! reading its answer before the next. Two shapes:
//! - [`saturate`]: every connection sends as fast as answers come (closed loop): the rate at
//!   saturation;
//! - [`offered`]: requests scheduled at a fixed rate (open loop). A request's latency counts from
//!   when it was due, not when a busy connection got round to it, so a server falling behind shows
//!   in the figures instead of slowing the generator down (no coordinated omission).
//!
//! Requests come from a function of their sequence number, so each can be distinct (a new Avito
//! message id per webhook).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Makes request number `n`, whole (head and body).
pub type RequestMaker = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// A POST of a JSON `body` to `path`, as bytes on the wire.
pub fn post(addr: SocketAddr, path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One keep-alive connection.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and reads the answer; its status code.
    async fn exchange(&mut self, request: &[u8]) -> Result<u16, String> {
        self.stream.write_all(request).await.map_err(|e| e.to_string())?;
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                let status = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse::<u16>().ok())
                    .ok_or("no status line")?;
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or("no content-length")?;
                let total = end + 4 + length;
                while self.buffer.len() < total {
                    self.read_more(&mut chunk).await?;
                }
                self.buffer.drain(..total);
                return Ok(status);
            }
            self.read_more(&mut chunk).await?;
        }
    }

    async fn read_more(&mut self, chunk: &mut [u8]) -> Result<(), String> {
        let n = self.stream.read(chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// What a run measured.
pub struct Run {
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with another status.
    pub failed: u64,
    pub elapsed: Duration,
    /// Each answered request's latency, sorted (empty for [`saturate`]).
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at `q` (0..=1), or zero when nothing was answered.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i]
    }
}

/// `connections` keep-alive connections send back to back for `duration`, numbering requests from
/// `first`.
pub async fn saturate(
    addr: SocketAddr,
    make: RequestMaker,
    first: u64,
    connections: usize,
    duration: Duration,
) -> Result<Run, String> {
    let next = Arc::new(AtomicU64::new(first));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (make, next) = (Arc::clone(&make), Arc::clone(&next));
        let mut conn = Connection::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            while Instant::now() < deadline {
                let request = make(next.fetch_add(1, Ordering::Relaxed));
                match conn.exchange(&request).await? {
                    200..=299 => ok += 1,
                    _ => failed += 1,
                }
            }
            Ok::<_, String>((ok, failed))
        }));
    }
    let mut run = Run {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (ok, failed) = t.await.map_err(|e| e.to_string())??;
        run.ok += ok;
        run.failed += failed;
    }
    run.elapsed = start.elapsed();
    Ok(run)
}

/// `rate` requests a second for `duration`, spread over `connections` connections (request `i`
/// is due at `i / rate` and goes on connection `i mod connections`). `on_sent` learns each
/// request's number and due time, for measurements that end elsewhere (end to end).
pub async fn offered(
    addr: SocketAddr,
    make: RequestMaker,
    first: u64,
    rate: f64,
    duration: Duration,
    connections: usize,
) -> Result<(Run, Vec<(u64, Instant)>), String> {
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let start = Instant::now() + Duration::from_millis(20);
    let due = move |i: u64| start + Duration::from_secs_f64(i as f64 / rate);
    let mut tasks = Vec::new();
    for k in 0..connections as u64 {
        let make = Arc::clone(&make);
        let mut conn = Connection::open(addr).await?;
        let step = connections as u64;
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies, mut sent) = (0u64, 0u64, Vec::new(), Vec::new());
            let mut i = k;
            while i < total {
                let at = due(i);
                tokio::time::sleep_until(at.into()).await;
                let request = make(first + i);
                sent.push((first + i, at));
                match conn.exchange(&request).await? {
                    200..=299 => {
                        ok += 1;
                        latencies.push(at.elapsed());
                    }
                    _ => failed += 1,
                }
                i += step;
            }
            Ok::<_, String>((ok, failed, latencies, sent))
        }));
    }
    let mut run = Run {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    let mut all_sent = Vec::new();
    for t in tasks {
        let (ok, failed, latencies, sent) = t.await.map_err(|e| e.to_string())??;
        run.ok += ok;
        run.failed += failed;
        run.latencies.extend(latencies);
        all_sent.extend(sent);
    }
    run.elapsed = start.elapsed();
    run.latencies.sort();
    all_sent.sort_by_key(|(n, _)| *n);
    Ok((run, all_sent))
}

/// The bare baseline: hyper alone, answering every request with the same small JSON the webhook
/// answers, after reading the body. Runs until the process ends.
pub async fn bare_hyper(listener: tokio::net::TcpListener) {
    use http_body_util::{BodyExt, Full};
    use hyper::body::{Bytes, Incoming};
    use hyper::{Request, Response};
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|req: Request<Incoming>| async move {
                let _ = req.into_body().collect().await;
                let mut answer = Response::new(Full::new(Bytes::from_static(br#"{"ok":true,"reason":"accepted"}"#)));
                answer.headers_mut().insert(
                    "content-type",
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                Ok::<_, std::convert::Infallible>(answer)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}
