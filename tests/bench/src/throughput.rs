//! The local server under load, in embedded mode, as `make run` starts it (its release binary, a
//! fresh data directory, the sandbox as Avito):
//! - **webhook ack**: the messenger webhook beside a bare hyper server answering the same
//!   request, both driven by [`crate::load`] in the same run;
//! - **end to end**: webhooks for new chats until each conversation counts in the operator queue.
//!
//! The clients' chats exist in the sandbox first (made with their webhook held back), so the
//! router's chat-info call finds them as it would on Avito.

use crate::load::{self, RequestMaker, Run};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

const ADMIN: &str = "dev-admin-token";
/// The sandbox account the bench connects (one of its demo accounts).
const ACCOUNT: i64 = 1001;
/// Keep-alive connections of the load generator.
pub const CONNECTIONS: usize = 64;

/// The local server, started from its release binary on a free port; stopped and its data
/// directory removed when dropped.
pub struct LocalServer {
    child: Child,
    pub addr: SocketAddr,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn failed(what: &str) -> impl Fn(reqwest::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl LocalServer {
    /// Starts `binary` (the `avito-cc-local` release build) and waits for its address.
    pub async fn start(binary: &Path, name: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("avito-cc-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = Command::new(binary)
            .env("LOCAL_ADDR", "127.0.0.1:0")
            .env("LOCAL_DATA_DIR", &dir)
            .env("RUST_LOG", "warn")
            .env_remove("LOCAL_API_TOKENS")
            .env_remove("AVITO_CLIENT_ID")
            .env_remove("AVITO_CLIENT_SECRET")
            .env_remove("PUBLIC_BASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdout = tokio::process::ChildStdout::from_std(stdout).map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.split("listening on http://").nth(1) {
                    return url.trim().parse::<SocketAddr>().ok();
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or("the local server printed no address")?;
        // Its later lines go nowhere; reading them keeps the pipe from filling.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            addr,
            dir,
            http: reqwest::Client::new(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request as the development administrator (bearer token), as a headless workspace makes
    /// it.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(ADMIN)
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value, String> {
        let resp = self
            .http
            .request(method, self.url(path))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .map_err(failed(path))?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(failed(path))?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {body}"));
        }
        Ok(body)
    }

    /// An Avito channel connected to the sandbox account, working round the clock (settings at
    /// their defaults: new conversations go to the queue); the path of its messenger webhook.
    pub async fn connected_channel(&self) -> Result<String, String> {
        let post = reqwest::Method::POST;
        let group = self
            .admin(post.clone(), "/v1/channel-groups", json!({"name": "Москва"}))
            .await?;
        let channel = self
            .admin(
                post.clone(),
                "/v1/channels",
                json!({"name": "Авито", "kind": "avito", "channel_group_id": group["id"]}),
            )
            .await?;
        let id = channel["id"].as_str().ok_or("no channel id")?;
        self.admin(
            post,
            &format!("/v1/channels/{id}/connect"),
            json!({"client_id": format!("personal-{ACCOUNT}"), "client_secret": format!("personal-secret-{ACCOUNT}")}),
        )
        .await?;
        let day = json!([{"start": "00:00", "end": "24:00"}]);
        let weekly: serde_json::Map<String, Value> = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|d| (d.to_string(), day.clone()))
        .collect();
        self.admin(
            reqwest::Method::PUT,
            "/v1/schedule",
            json!({"time_zone": "Europe/Moscow", "weekly": weekly}),
        )
        .await?;
        let account: Value = self
            .http
            .get(self.url(&format!("/sandbox/_sandbox/accounts/{ACCOUNT}")))
            .send()
            .await
            .map_err(failed("sandbox account"))?
            .json()
            .await
            .map_err(failed("sandbox account"))?;
        let url = account["messenger_subscriptions"][0]
            .as_str()
            .ok_or("the channel subscribed no webhook")?;
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]));
        path.map(str::to_owned).ok_or_else(|| format!("odd webhook URL {url}"))
    }

    /// Chats `first..first+count` (`u2i-bench-<n>`, client `600000+n`) made in the sandbox, their
    /// webhooks held back.
    pub async fn make_chats(&self, first: u64, count: u64) -> Result<(), String> {
        let url = self.url(&format!("/sandbox/_sandbox/accounts/{ACCOUNT}/client-messages"));
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..8u64 {
            let (http, url) = (self.http.clone(), url.clone());
            tasks.spawn(async move {
                let mut n = first + lane;
                while n < first + count {
                    let body = json!({"chat_id": format!("u2i-bench-{n}"), "hold": true,
                        "client": {"id": 600_000 + n, "name": format!("Покупатель {n}")},
                        "item": {"id": 7_100_000_000u64 + n, "title": "Велосипед", "price_string": "12 000 ₽"}});
                    let resp = http
                        .post(&url)
                        .json(&body)
                        .send()
                        .await
                        .map_err(failed("sandbox chat"))?;
                    if !resp.status().is_success() {
                        return Err(format!("sandbox chat: {}", resp.status()));
                    }
                    n += 8;
                }
                Ok::<_, String>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| e.to_string())??;
        }
        Ok(())
    }

    /// How many open conversations wait in the general queue.
    pub async fn queue_count(&self) -> Result<u64, String> {
        let counts: Value = self
            .http
            .get(self.url("/v1/conversations/counts"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .map_err(failed("counts"))?
            .json()
            .await
            .map_err(failed("counts"))?;
        counts["queue"]
            .as_u64()
            .ok_or_else(|| format!("no queue count in {counts}"))
    }
}

/// Webhook `n` (a text message with its own id, `bench-message-<n>`) goes to chat `n mod chats`,
/// or to chat `n` when `chats` is zero, as Avito would send it.
pub fn webhooks(addr: SocketAddr, path: &str, chats: u64) -> RequestMaker {
    let path = path.to_owned();
    Arc::new(move |n: u64| {
        let chat = if chats == 0 { n } else { n % chats };
        load::post(addr, &path, &webhook(n, chat).to_string())
    })
}

/// The body of webhook `n`: client message `bench-message-<n>` in chat `u2i-bench-<chat>`.
pub fn webhook(n: u64, chat: u64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"id": format!("bench-hook-{n}"), "version": "v3.0.0", "timestamp": now,
        "payload": {"type": "message", "value": {"id": format!("bench-message-{n}"),
        "chat_id": format!("u2i-bench-{chat}"), "user_id": ACCOUNT, "author_id": 600_000 + chat,
        "created": now, "type": "text", "chat_type": "u2i", "content": {"text": "Здравствуйте! Ещё продаёте?"},
        "item_id": 7_100_000_000u64 + chat}}})
}

/// The rate at saturation, `runs` times for `each`, sorted; request numbers go on from `*n`.
pub async fn saturation(
    addr: SocketAddr,
    make: &RequestMaker,
    runs: usize,
    each: Duration,
    n: &mut u64,
) -> Result<Vec<f64>, String> {
    let mut rates = Vec::new();
    for _ in 0..runs {
        let run = load::saturate(addr, Arc::clone(make), *n, CONNECTIONS, each).await?;
        if run.failed > 0 {
            return Err(format!("{} requests failed at saturation", run.failed));
        }
        *n += run.ok + run.failed;
        rates.push(run.rate());
    }
    rates.sort_by(f64::total_cmp);
    Ok(rates)
}

/// `runs` runs at the offered `rate`, each for `each`; request numbers go on from `*n`.
pub async fn at_rate(
    addr: SocketAddr,
    make: &RequestMaker,
    rate: f64,
    runs: usize,
    each: Duration,
    n: &mut u64,
) -> Result<Vec<Run>, String> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let (run, _) = load::offered(addr, Arc::clone(make), *n, rate, each, CONNECTIONS).await?;
        if run.failed > 0 {
            return Err(format!("{} requests failed at {rate}/s", run.failed));
        }
        *n += run.ok;
        out.push(run);
    }
    Ok(out)
}

/// Samples the queue count every `every` until it reaches `target` or `limit` passes: each
/// (time, count) seen.
async fn watch_queue(
    server: &LocalServer,
    target: u64,
    every: Duration,
    limit: Duration,
) -> Result<Vec<(Instant, u64)>, String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let count = server.queue_count().await?;
        seen.push((Instant::now(), count));
        if count >= target {
            return Ok(seen);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "only {count} of {target} conversations reached the queue in {limit:?}"
            ));
        }
        tokio::time::sleep(every).await;
    }
}

/// End to end, one run: `count` webhooks for new chats from `first`, offered at `rate`; the
/// messages per second from the first webhook until the last conversation counts in the queue,
/// and each message's latency (due time to the first sample that counts it; messages are routed
/// in arrival order, so the queue's n-th conversation is the n-th webhook's).
pub async fn end_to_end(
    server: &LocalServer,
    path: &str,
    first: u64,
    count: u64,
    rate: f64,
) -> Result<(f64, Vec<Duration>), String> {
    let before = server.queue_count().await?;
    let make = webhooks(server.addr, path, 0);
    let duration = Duration::from_secs_f64(count as f64 / rate);
    let sender = load::offered(server.addr, make, first, rate, duration, CONNECTIONS);
    let watcher = watch_queue(
        server,
        before + count,
        Duration::from_millis(5),
        duration + Duration::from_secs(120),
    );
    let (sent, seen) = tokio::join!(sender, watcher);
    let (run, sent) = sent?;
    let seen = seen?;
    if run.failed > 0 {
        return Err(format!("{} webhooks failed", run.failed));
    }
    let start = sent.first().map(|s| s.1).ok_or("nothing sent")?;
    let end = seen.last().map(|s| s.0).ok_or("nothing seen")?;
    let rate = count as f64 / end.duration_since(start).as_secs_f64();
    let mut latencies = Vec::with_capacity(sent.len());
    for (i, (_, due)) in sent.iter().enumerate() {
        let needed = before + i as u64 + 1;
        if let Some((at, _)) = seen.iter().find(|(_, c)| *c >= needed) {
            latencies.push(at.saturating_duration_since(*due));
        }
    }
    latencies.sort();
    Ok((rate, latencies))
}

/// Everything this module measures.
pub struct Figures {
    /// Webhook ack rates at saturation, sorted: the local server's, the bare server's.
    pub webhook_saturation: Vec<f64>,
    pub bare_saturation: Vec<f64>,
    /// Per offered load: the local server's runs and the bare server's.
    pub offered: Vec<(f64, Vec<Run>, Vec<Run>)>,
    /// End to end: messages per second at saturation, sorted.
    pub e2e_saturation: Vec<f64>,
    /// End to end at half the median saturation: the rate, and each run's latencies.
    pub e2e_half: (f64, Vec<Vec<Duration>>),
}

/// Runs per figure; seconds per ack run; messages per end-to-end saturation run; seconds per
/// end-to-end run at half load.
const RUNS: usize = 3;
const ACK_SECONDS: f64 = 2.0;
pub const E2E_MESSAGES: u64 = 6_000;
pub const E2E_HALF_SECONDS: f64 = 3.0;
/// Chats the ack load spreads over (most webhooks join a conversation, as most messages do).
pub const ACK_CHATS: u64 = 500;

/// The bare hyper server: this program started again with `bare-hyper`; its address.
fn start_bare() -> Result<(Child, SocketAddr), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("bare-hyper")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("bare server: {e}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map_err(|e| e.to_string())?;
    let addr = line.trim().parse().map_err(|_| format!("bare server said {line:?}"))?;
    Ok((child, addr))
}

/// `bench bare-hyper`: serves on a free loopback port, printing it, until killed.
pub fn serve_bare() {
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        std::process::exit(1);
    };
    rt.block_on(async {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            std::process::exit(1);
        };
        if let Ok(addr) = listener.local_addr() {
            println!("{addr}");
        }
        load::bare_hyper(listener).await;
    });
}

/// The webhook ack beside the bare server, then end to end on a fresh server.
pub async fn measure(local_binary: &Path) -> Result<Figures, String> {
    let each = Duration::from_secs_f64(ACK_SECONDS);
    let server = LocalServer::start(local_binary, "ack").await?;
    let path = server.connected_channel().await?;
    server.make_chats(0, ACK_CHATS).await?;
    let webhook = webhooks(server.addr, &path, ACK_CHATS);
    let (mut bare_child, bare_addr) = start_bare()?;
    let bare = webhooks(bare_addr, &path, ACK_CHATS);
    let (mut n, mut m) = (0, 0);
    let webhook_saturation = saturation(server.addr, &webhook, RUNS, each, &mut n).await;
    let bare_saturation = saturation(bare_addr, &bare, RUNS, each, &mut m).await;
    let mut offered = Vec::new();
    let result = async {
        let (webhook_saturation, bare_saturation) = (webhook_saturation?, bare_saturation?);
        let median = webhook_saturation[RUNS / 2];
        for fraction in [0.25, 0.5, 0.75] {
            let rate = (median * fraction / 100.0).round() * 100.0;
            let ours = at_rate(server.addr, &webhook, rate, RUNS, each, &mut n).await?;
            let theirs = at_rate(bare_addr, &bare, rate, RUNS, each, &mut m).await?;
            offered.push((rate, ours, theirs));
        }
        Ok::<_, String>((webhook_saturation, bare_saturation))
    }
    .await;
    let _ = bare_child.kill();
    let _ = bare_child.wait();
    drop(server);
    let (webhook_saturation, bare_saturation) = result?;

    let server = LocalServer::start(local_binary, "e2e").await?;
    let path = server.connected_channel().await?;
    let mut first = 0u64;
    let mut e2e_saturation = Vec::new();
    for _ in 0..RUNS {
        server.make_chats(first, E2E_MESSAGES).await?;
        // Offered far above what it can take: as fast as the webhook accepts.
        let (rate, _) = end_to_end(&server, &path, first, E2E_MESSAGES, 100_000.0).await?;
        e2e_saturation.push(rate);
        first += E2E_MESSAGES;
    }
    e2e_saturation.sort_by(f64::total_cmp);
    let half = (e2e_saturation[RUNS / 2] / 2.0 / 10.0).round() * 10.0;
    let count = (half * E2E_HALF_SECONDS) as u64;
    let mut e2e_half = Vec::new();
    for _ in 0..RUNS {
        server.make_chats(first, count).await?;
        let (_, latencies) = end_to_end(&server, &path, first, count, half).await?;
        e2e_half.push(latencies);
        first += count;
    }
    Ok(Figures {
        webhook_saturation,
        bare_saturation,
        offered,
        e2e_saturation,
        e2e_half: (half, e2e_half),
    })
}
